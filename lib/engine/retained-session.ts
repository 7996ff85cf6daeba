// What an established connection keeps of its last handshake. The HandshakeResult a handshake
// hands over is built for the handshake's convenience: its small byte fields each have their
// own ArrayBuffer (or are views into a whole handshake message: the client_random of a
// ClientHello keeps the ClientHello), and it is built by spreading, which in V8 gives every
// object a hidden class of its own. For the lifetime of an idle connection that costs more
// than the values themselves, so the engine keeps this compact copy instead.
import type { CipherSuite } from './cipher-suites.js';
import type { HandshakeResult } from './handshake/handshake-host.js';

/** The empty ticket of every session that has none (a zero-length array cannot change). */
const NO_TICKET = new Uint8Array(0);

/**
 * The same session. client_random, server_random, both verify_data (the RFC 5746 binding of the
 * next renegotiation) and the session_id live in one buffer, and each is a view made when it is
 * read (they are read by a renegotiation, getSession() and exportKeyingMaterial(), not by an
 * idle connection). The master secret stays in its own SecretBytes (no other view may share a
 * buffer with a secret); certificate chains and the ticket are kept as they are. Every field of
 * HandshakeResult is named here, so a field added there fails to compile until it is kept.
 */
/** HandshakeResult with every field present (an optional one may hold undefined). */
type EveryField = { [K in keyof Required<HandshakeResult>]: HandshakeResult[K] };

export class RetainedSession implements EveryField {
  readonly suite: CipherSuite;
  readonly group: number;
  readonly signatureScheme: number;
  readonly masterSecret: Uint8Array;
  readonly extendedMasterSecret: boolean;
  readonly secureRenegotiation: boolean;
  readonly encryptThenMac: boolean | undefined;
  readonly peerChain: Uint8Array[];
  readonly authorized: boolean;
  readonly authorizationError: HandshakeResult['authorizationError'];
  readonly alpnProtocol: string | false;
  readonly ocspResponse: Uint8Array | null | undefined;
  readonly servername: string | undefined;
  readonly localChain: Uint8Array[] | undefined;
  readonly pskIdentity: string | undefined;
  readonly peerSignatureSchemes: number[] | undefined;
  readonly resumed: boolean;
  readonly ticket: Uint8Array;
  readonly ticketLifetime: number;
  readonly createdAt: number;
  /** client_random, server_random, client and server verify_data, session_id, in that order. */
  readonly #bytes: Uint8Array;
  /** Where client_random, server_random and each verify_data end in #bytes (the session_id
   *  runs to its end). */
  readonly #clientRandomEnd: number;
  readonly #serverRandomEnd: number;
  readonly #clientVerifyEnd: number;
  readonly #serverVerifyEnd: number;

  constructor(r: HandshakeResult) {
    this.suite = r.suite;
    this.group = r.group;
    this.signatureScheme = r.signatureScheme;
    this.masterSecret = r.masterSecret;
    this.extendedMasterSecret = r.extendedMasterSecret;
    this.secureRenegotiation = r.secureRenegotiation;
    this.encryptThenMac = r.encryptThenMac;
    this.peerChain = r.peerChain;
    this.authorized = r.authorized;
    this.authorizationError = r.authorizationError;
    this.alpnProtocol = r.alpnProtocol;
    this.ocspResponse = r.ocspResponse;
    this.servername = r.servername;
    this.localChain = r.localChain;
    this.pskIdentity = r.pskIdentity;
    this.peerSignatureSchemes = r.peerSignatureSchemes;
    this.resumed = r.resumed;
    this.ticket = r.ticket.length === 0 ? NO_TICKET : r.ticket;
    this.ticketLifetime = r.ticketLifetime;
    this.createdAt = r.createdAt;
    const parts = [r.clientRandom, r.serverRandom, r.clientVerifyData, r.serverVerifyData, r.sessionId];
    let total = 0;
    for (const p of parts) total += p.length;
    this.#bytes = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      this.#bytes.set(p, at);
      at += p.length;
    }
    this.#clientRandomEnd = r.clientRandom.length;
    this.#serverRandomEnd = this.#clientRandomEnd + r.serverRandom.length;
    this.#clientVerifyEnd = this.#serverRandomEnd + r.clientVerifyData.length;
    this.#serverVerifyEnd = this.#clientVerifyEnd + r.serverVerifyData.length;
  }

  get clientRandom(): Uint8Array {
    return this.#bytes.subarray(0, this.#clientRandomEnd);
  }

  get serverRandom(): Uint8Array {
    return this.#bytes.subarray(this.#clientRandomEnd, this.#serverRandomEnd);
  }

  get clientVerifyData(): Uint8Array {
    return this.#bytes.subarray(this.#serverRandomEnd, this.#clientVerifyEnd);
  }

  get serverVerifyData(): Uint8Array {
    return this.#bytes.subarray(this.#clientVerifyEnd, this.#serverVerifyEnd);
  }

  get sessionId(): Uint8Array {
    return this.#bytes.subarray(this.#serverVerifyEnd);
  }
}

/** The compact copy of `r` an established connection keeps. */
export function retainedSession(r: HandshakeResult): HandshakeResult {
  return new RetainedSession(r);
}
