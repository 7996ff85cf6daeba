// What an established connection keeps of its last handshake. The HandshakeResult a handshake
// hands over is built for the handshake's convenience: its small byte fields each have their
// own ArrayBuffer (or are views into a whole handshake message: the client_random of a
// ClientHello keeps the ClientHello), and it is built by spreading, which in V8 gives every
// object a hidden class of its own. For the lifetime of an idle connection that costs more
// than the values themselves, so the engine keeps this compact copy instead.
import { SecretBytes } from '../crypto/secret-bytes.js';
import type { CipherSuite } from './cipher-suites.js';
import type { HandshakeResult } from './handshake/handshake-host.js';

/** RFC 5246 §7.4.1.2: the length of client_random and server_random. */
const RANDOM = 32;
/** The empty ticket of every session that has none (a zero-length array cannot change). */
const NO_TICKET = new Uint8Array(0);
/** The peer chain of every session whose peer sent no certificate (frozen: nobody adds to it). */
const NO_CHAIN = Object.freeze([]) as unknown as Uint8Array[];

/** The boolean fields, one bit each in #flags (encryptThenMac may also be undefined). */
const EMS = 1;
const SECURE_RENEGOTIATION = 2;
const AUTHORIZED = 4;
const RESUMED = 8;
const ETM = 16;
const ETM_UNDEFINED = 32;
/** #flags: the peer sent a signature scheme list (its entries end #bytes). */
const HAS_SCHEMES = 64;

/**
 * The same session. The master secret, client_random, server_random, both verify_data (the
 * RFC 5746 binding of the next renegotiation), the session_id and the peer's signature schemes
 * (uint16 each) live in one private SecretBytes buffer. Each value is made when it is read: the
 * master secret a SecretBytes view, the others copies of their own (no view of a buffer that
 * holds a secret is ever handed out unredacted), the schemes an array. They are read by a
 * renegotiation, getSession(), exportKeyingMaterial(), 'keylog' and getSharedSigalgs(), not by an
 * idle connection. The booleans share one number. Certificate chains and the ticket are kept as
 * they are. Every field of HandshakeResult is named here, so a field added there fails to compile
 * until it is kept.
 */
/** HandshakeResult with every field present (an optional one may hold undefined). */
type EveryField = { [K in keyof Required<HandshakeResult>]: HandshakeResult[K] };

export class RetainedSession implements EveryField {
  readonly suite: CipherSuite;
  readonly group: number;
  readonly signatureScheme: number;
  readonly peerChain: Uint8Array[];
  readonly alpnProtocol: string | false;
  // The optional fields are `declare`d: a property exists only when the handshake gave a value.
  declare readonly authorizationError: HandshakeResult['authorizationError'];
  declare readonly ocspResponse: Uint8Array | null | undefined;
  declare readonly servername: string | undefined;
  declare readonly localChain: Uint8Array[] | undefined;
  declare readonly pskIdentity: string | undefined;
  readonly ticket: Uint8Array;
  readonly ticketLifetime: number;
  readonly createdAt: number;
  /** The master secret, client_random, server_random, client and server verify_data,
   *  session_id, then the peer's signature schemes (big-endian uint16), in that order. */
  readonly #bytes: SecretBytes;
  /** The lengths of client verify_data (bits 0-7), server verify_data (8-15), session_id
   *  (16-23) and the master secret (24-29: 48, RFC 5246 §8.1); both randoms are 32 bytes
   *  (RFC 5246 §7.4.1.2). */
  readonly #lengths: number;
  readonly #flags: number;

  constructor(r: HandshakeResult) {
    this.suite = r.suite;
    this.group = r.group;
    this.signatureScheme = r.signatureScheme;
    this.peerChain = r.peerChain.length === 0 ? NO_CHAIN : r.peerChain;
    this.alpnProtocol = r.alpnProtocol;
    if (r.authorizationError !== undefined) this.authorizationError = r.authorizationError;
    if (r.ocspResponse !== undefined) this.ocspResponse = r.ocspResponse;
    if (r.servername !== undefined) this.servername = r.servername;
    if (r.localChain !== undefined) this.localChain = r.localChain;
    if (r.pskIdentity !== undefined) this.pskIdentity = r.pskIdentity;
    this.ticket = r.ticket.length === 0 ? NO_TICKET : r.ticket;
    this.ticketLifetime = r.ticketLifetime;
    this.createdAt = r.createdAt;
    if (r.clientRandom.length !== RANDOM || r.serverRandom.length !== RANDOM) throw new RangeError('a TLS random is 32 bytes');
    const lengths = [r.clientVerifyData.length, r.serverVerifyData.length, r.sessionId.length];
    if (lengths.some((n) => n > 0xff) || r.masterSecret.length > 0x3f) throw new RangeError('verify_data and session_id are at most 255 bytes, a master secret 63');
    this.#lengths = lengths[0]! | (lengths[1]! << 8) | (lengths[2]! << 16) | (r.masterSecret.length << 24);
    const schemes = r.peerSignatureSchemes;
    const parts = [r.masterSecret, r.clientRandom, r.serverRandom, r.clientVerifyData, r.serverVerifyData, r.sessionId];
    let total = schemes === undefined ? 0 : 2 * schemes.length;
    for (const p of parts) total += p.length;
    const bytes = new SecretBytes(new ArrayBuffer(total));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    for (const s of schemes ?? []) {
      bytes[at++] = s >>> 8;
      bytes[at++] = s & 0xff;
    }
    this.#bytes = bytes;
    this.#flags = (r.extendedMasterSecret ? EMS : 0) | (r.secureRenegotiation ? SECURE_RENEGOTIATION : 0) |
      (r.authorized ? AUTHORIZED : 0) | (r.resumed ? RESUMED : 0) |
      (r.encryptThenMac === undefined ? ETM_UNDEFINED : r.encryptThenMac ? ETM : 0) | (schemes === undefined ? 0 : HAS_SCHEMES);
  }

  get extendedMasterSecret(): boolean {
    return (this.#flags & EMS) !== 0;
  }

  get secureRenegotiation(): boolean {
    return (this.#flags & SECURE_RENEGOTIATION) !== 0;
  }

  get authorized(): boolean {
    return (this.#flags & AUTHORIZED) !== 0;
  }

  get resumed(): boolean {
    return (this.#flags & RESUMED) !== 0;
  }

  get encryptThenMac(): boolean | undefined {
    return (this.#flags & ETM_UNDEFINED) !== 0 ? undefined : (this.#flags & ETM) !== 0;
  }

  get masterSecret(): Uint8Array {
    return this.#bytes.subarray(0, this.#masterEnd);
  }

  get clientRandom(): Uint8Array {
    return this.#copy(this.#masterEnd, this.#masterEnd + RANDOM);
  }

  get serverRandom(): Uint8Array {
    return this.#copy(this.#masterEnd + RANDOM, this.#masterEnd + 2 * RANDOM);
  }

  get clientVerifyData(): Uint8Array {
    return this.#copy(this.#masterEnd + 2 * RANDOM, this.#clientVerifyEnd);
  }

  get serverVerifyData(): Uint8Array {
    return this.#copy(this.#clientVerifyEnd, this.#serverVerifyEnd);
  }

  get sessionId(): Uint8Array {
    return this.#copy(this.#serverVerifyEnd, this.#sessionIdEnd);
  }

  get peerSignatureSchemes(): number[] | undefined {
    if ((this.#flags & HAS_SCHEMES) === 0) return undefined;
    const out: number[] = [];
    const b = this.#bytes;
    for (let i = this.#sessionIdEnd; i + 1 < b.length; i += 2) out.push((b[i]! << 8) | b[i + 1]!);
    return out;
  }

  /** A public value: a plain Uint8Array of its own (not a view of the buffer with the secret). */
  #copy(from: number, to: number): Uint8Array {
    return new Uint8Array(this.#bytes.subarray(from, to));
  }

  get #masterEnd(): number {
    return this.#lengths >>> 24;
  }

  get #clientVerifyEnd(): number {
    return this.#masterEnd + 2 * RANDOM + (this.#lengths & 0xff);
  }

  get #serverVerifyEnd(): number {
    return this.#clientVerifyEnd + ((this.#lengths >>> 8) & 0xff);
  }

  get #sessionIdEnd(): number {
    return this.#serverVerifyEnd + ((this.#lengths >>> 16) & 0xff);
  }
}

/** The compact copy of `r` an established connection keeps. */
export function retainedSession(r: HandshakeResult): HandshakeResult {
  return new RetainedSession(r);
}
