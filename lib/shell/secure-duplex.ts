// SecureDuplex: the thin stream shell over the sans-IO Engine (DESIGN.md "Shell").
// It feeds transport bytes to the engine, writes the engine's output to the transport, maps
// engine events to stream events, and owns backpressure: when push() returns false we stop
// reading the transport and resume in _read(); writes complete when the transport takes them.
//
// Built on node:stream (not readable-stream): on Node 20 they are the same code (readable-stream
// v4 is a copy of Node's), node:stream is what net.Socket and tls.TLSSocket extend, and it
// avoids a dependency. See docs/architecture.md.
import { FFDHE_GROUPS } from '../crypto/dh-groups.js';
import { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { CipherNameAndProtocol } from 'node:tls';
import type { EmitArgs, Listener } from './typed-events.js';
import { toPeerCertificate } from '../crypto/peer-certificate.js';
import { pemBlocks } from '../crypto/pem.js';
import { prf } from '../crypto/prf.js';
import { TlsError, ErrorCode, alertReceivedError, invalidArgType, outOfRange } from '../errors.js';
import { parseCipherList } from '../engine/cipher-suites.js';
import type { LocalIdentity } from '../engine/config.js';
import { AlertDescription } from '../engine/alerts.js';
import { Engine, type EngineEvent, type EngineOptions, type RenegotiateOptions } from '../engine/engine.js';
import type { HandshakeResult } from '../engine/handshake/handshake-host.js';
import { encodeSession } from '../engine/handshake/session.js';
import type { ClientHelloInfo } from '../engine/handshake/client-hello-info.js';
import { notTlsError, RECORD_HEADER_LENGTH } from './not-tls.js';
import { MAX_PLAINTEXT } from '../engine/constants.js';
import { fromTlsSocketOptions, isEngineForm, type TLSSocketOptions } from './tls-socket-options.js';
import { SIGALG_NAMES, toSecureContext, trustOfVerifier, type SecureContext, type SecureContextOptions } from './secure-context.js';
import { peerX509Chain } from './peer-x509.js';
import { toHex } from '../hex.js';
import { connectionConfig } from './connection-config.js';

/** getCipher()'s result: node:tls's type ({ name (OpenSSL), standardName (IANA), version }). */
export type CipherInfo = CipherNameAndProtocol;

/** 'renegotiated': a renegotiation completed. */
export interface RenegotiatedInfo {
  cipher: CipherNameAndProtocol;
  /** Who started it: we ('local', renegotiate()) or the peer. */
  initiator: 'local' | 'peer';
  authorized: boolean;
}

/** The events of a SecureDuplex and their listeners' arguments (node:tls TLSSocket's, net.Socket's
 *  and ours). */
export interface SecureDuplexEvents {
  secureConnect: [];
  secure: [];
  /** Client: a new session to resume later (getSession()'s Buffer). */
  session: [session: Buffer];
  /** NSS key log line. */
  keylog: [line: Buffer];
  /** Client with requestOCSP: the stapled OCSP response, null without one. */
  OCSPResponse: [response: Buffer | null];
  renegotiated: [info: RenegotiatedInfo];
  /** Bytes of application data that arrived during a renegotiation. */
  renegotiationData: [bytes: number];
  /** A warning alert other than close_notify (its name). */
  alert: [alert: string];
  connect: [];
  timeout: [];
  /** A Buffer, a string after setEncoding() (`any`, as Duplex's own typing). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: [chunk: any];
  end: [];
  close: [hadError: boolean];
  error: [err: Error];
  drain: [];
  finish: [];
}

// Typed on()/once()/emit()... for the events above (declaration merging with the class).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface SecureDuplex {
  on<E extends string | symbol>(event: E, listener: Listener<SecureDuplexEvents, E>): this;
  once<E extends string | symbol>(event: E, listener: Listener<SecureDuplexEvents, E>): this;
  addListener<E extends string | symbol>(event: E, listener: Listener<SecureDuplexEvents, E>): this;
  prependListener<E extends string | symbol>(event: E, listener: Listener<SecureDuplexEvents, E>): this;
  prependOnceListener<E extends string | symbol>(event: E, listener: Listener<SecureDuplexEvents, E>): this;
  off<E extends string | symbol>(event: E, listener: Listener<SecureDuplexEvents, E>): this;
  removeListener<E extends string | symbol>(event: E, listener: Listener<SecureDuplexEvents, E>): this;
  emit<E extends string | symbol>(event: E, ...args: EmitArgs<SecureDuplexEvents, E>): boolean;
}

type RenegotiateCallback = (err: Error | null) => void;

/** node:tls renegotiate() options, plus `ciphers` to change the suite in this renegotiation
 *  and `resume` (client) to offer the current session for an abbreviated renegotiation. */
export interface RenegotiationOptions {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ciphers?: string;
  resume?: boolean;
}

/** The connect() options node:tls copies onto its ECONNRESET before the handshake. */
export interface ConnectErrorFields {
  host?: string;
  port?: number;
  path?: string | null;
  localAddress?: string;
}

export interface SecureDuplexOptions {
  isServer: boolean;
  engine: EngineOptions;
  /** node:tls: when false (default), the readable side ending also ends the writable side. */
  allowHalfOpen?: boolean;
  /** Abort the handshake after this many ms (node:tls handshakeTimeout, default 120 s). */
  handshakeTimeout?: number;
  /**
   * Server: look at the initial ClientHello before the handshake acts on it (Server's
   * SNICallback / addContext certificate choice, and its 'resumeSession' external cache). The
   * engine calls it once the whole ClientHello has arrived (its 'client-hello' event); the
   * callback may come later (the handshake waits for it). `identities`: the certificates for
   * this connection (undefined or empty: the default ones). An error ends the connection.
   */
  onClientHello?: (hello: ClientHelloInfo, cb: (err: Error | null, identities?: readonly LocalIdentity[]) => void) => void;
  /** node:stream highWaterMark of both sides (node:tls highWaterMark, readable side). */
  highWaterMark?: number;
  /** Client: what connect() was given (host, port, path, localAddress), copied onto an
   *  ECONNRESET before the handshake completes, as node:tls does. */
  connectOptions?: ConnectErrorFields;
  /**
   * Server (engine option ocspStapling): a client asked for an OCSP staple for our `chain`
   * (leaf first); answer with a DER OCSPResponse, or null for none. The handshake waits. An
   * error ends the connection.
   */
  onOcspRequest?: (chain: readonly Uint8Array[], cb: (err: Error | null, response?: Uint8Array | null) => void) => void;
}

/** RFC 5705 §4 / OpenSSL: labels that would collide with the TLS 1.2 key schedule. */
const RESERVED_EXPORTER_LABELS = ['client finished', 'server finished', 'master secret', 'extended master secret', 'key expansion'];

/** NSS key log line (CLIENT_RANDOM <client_random> <master_secret>), as node's 'keylog'. */
export function keylogLine(session: Pick<HandshakeResult, 'clientRandom' | 'masterSecret'>): Buffer {
  return Buffer.from(`CLIENT_RANDOM ${toHex(session.clientRandom)} ${toHex(session.masterSecret)}\n`, 'latin1');
}

/** Unread plaintext we accept past the highWaterMark while a renegotiation is in progress. */
export const RENEGOTIATION_READ_CAP = 8 * 1024 * 1024;

const GROUP_NAMES: Record<number, string> = { 23: 'prime256v1', 24: 'secp384r1', 29: 'X25519' };

/** node:tls `new TLSSocket(socket, options)`: the wrapped socket's allowHalfOpen decides (the
 *  option is used only without a socket). */
export function tlsSocketHalfOpen(socket: Duplex | undefined, option?: boolean): boolean {
  return socket ? (socket as { allowHalfOpen?: boolean }).allowHalfOpen === true : option === true;
}

/** Marks a connection's own layer of engine options (connectionConfig() over the shared ones). */
const OWN_LAYER = Symbol('ownOptions');

function ownLayer(shared: EngineOptions, own: Partial<EngineOptions>): EngineOptions {
  return connectionConfig(shared, Object.assign(own, { [OWN_LAYER]: true }));
}

/** On a transport: the SecureDuplex it carries (what the shared transport listeners act on). */
const OWNER = Symbol('secureDuplex');

function ownerOf(transport: Duplex): SecureDuplex {
  return (transport as unknown as Record<typeof OWNER, SecureDuplex>)[OWNER];
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class SecureDuplex extends Duplex {
  /** node:tls compatibility: always true. */
  readonly encrypted = true;
  readonly engine: Engine;
  /** The underlying transport. */
  readonly socket: Duplex;
  authorized = false;
  /** Why the peer is not authorized: node:tls's string code ('DEPTH_ZERO_SELF_SIGNED_CERT',
   *  'ERR_TLS_CERT_ALTNAME_INVALID', ...); null while there is none (as node:tls). The message
   *  is in engine.session.authorizationError. */
  authorizationError: string | null = null;
  alpnProtocol: string | false | null = null;
  /** null before the handshake (as node:tls). */
  servername: string | false | null = null;
  /** Count of completed renegotiations. */
  renegotiations = 0;
  /** net.Socket timeout: the last setTimeout() value, undefined before any. */
  timeout: number | undefined = undefined;
  private readonly isServer: boolean;
  private secureEstablished = false;
  /** TLS framing: the first bytes from the peer, until a record header can be checked. */
  private firstBytes: Buffer | undefined = Buffer.alloc(0);
  private transportPaused = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private ended = false;
  // The fields below are `declare`d: a property exists only once something sets it (absent
  // reads as undefined, a boolean as false), so an idle connection that never used them does
  // not carry them (8 bytes each).
  private declare renegotiateCallback: RenegotiateCallback | undefined;
  /** renegotiate() calls made while a renegotiation was running: called when it ends. */
  private declare joinedRenegotiation: RenegotiateCallback[] | undefined;
  /** Write callbacks waiting for held data to reach the transport. */
  private declare heldCallbacks: ((err?: Error) => void)[] | undefined;
  /** Write callbacks of writes made before the first handshake completed: as in node:tls they
   *  complete with it (so end() after a write waits for the handshake). */
  private declare secureCallbacks: ((err?: Error) => void)[] | undefined;
  private declare readonly connectOptions: ConnectErrorFields | undefined;
  /** Client: the RFC 5077 ticket of the last handshake (a new one means a new 'session'). */
  private declare lastTicket: Uint8Array | undefined;
  /** Server: our renegotiation asked for a certificate that must then be authorized. */
  private declare rejectAfterRenegotiation: boolean;
  private declare tickTimer: NodeJS.Timeout | undefined;
  private declare tickAt: number | undefined;
  /** _final's callback while close_notify waits for a renegotiation to complete. */
  private declare pendingFinal: ((err?: Error | null) => void) | undefined;
  private declare handshakeStarted: boolean;
  private declare renegotiationDisabled: boolean;
  /** setKeyCert(): our certificates from now on. */
  private declare keyCertIdentities: readonly LocalIdentity[] | undefined;
  private declare readonly onClientHello: SecureDuplexOptions['onClientHello'];
  private declare readonly onOcspRequest: SecureDuplexOptions['onOcspRequest'];
  /** A small write waiting for the end of its tick (acceptWrite). */
  private declare deferred: { chunks: Buffer[]; bytes: number; cb: (err?: Error | null) => void } | undefined;
  /** flushWrites is collecting the writes buffered behind the deferred one. */
  private declare gathering: { chunks: Buffer[]; cb: ((err?: Error | null) => void) | undefined } | undefined;

  /**
   * `options`: ours (`{ isServer, engine, ... }`, what connect() and Server.wrap() pass), or
   * node:tls's `new tls.TLSSocket(socket, options)` options (docs/compat.md). With node's
   * options a client starts its handshake as soon as the transport is connected.
   */
  constructor(socket: Duplex, given: SecureDuplexOptions | TLSSocketOptions = {}) {
    let self: SecureDuplex | undefined;
    const options = isEngineForm(given) ? given : fromTlsSocketOptions(given, () => self!);
    // DTLS keeps datagram boundaries: one readable chunk per record (object mode).
    // emitClose: 'close' is emitted by _destroy() with net.Socket's hadError argument.
    super({
      allowHalfOpen: isEngineForm(given) ? options.allowHalfOpen ?? false : tlsSocketHalfOpen(socket),
      emitClose: false,
      decodeStrings: true,
      readableObjectMode: options.engine.transport === 'dtls',
      ...(options.highWaterMark !== undefined ? { readableHighWaterMark: options.highWaterMark } : {}),
    });
    self = this;
    this.socket = socket;
    this.isServer = options.isServer;
    if (options.connectOptions) this.connectOptions = options.connectOptions;
    if (options.engine.transport === 'dtls') this.firstBytes = undefined;
    // This connection's view of the options: what it sets (the callbacks bound below,
    // setServername(), disableRenegotiation()) is its own layer (ownConfig()), the rest is read
    // from the shared object a Server hands to every connection, not copied (a copy of ~25
    // options cost each idle connection 1.6 KB of heap). A connection that sets nothing reads
    // the shared object itself.
    if (options.isServer && options.onClientHello) this.onClientHello = options.onClientHello;
    if (options.onOcspRequest) this.onOcspRequest = options.onOcspRequest;
    const own: Partial<EngineOptions> = {};
    if (options.isServer) {
      const shared = options.engine;
      // The engine asks about the initial ClientHello ('client-hello' event) and waits.
      if (this.onClientHello) own.awaitClientHello = true;
      // node:tls calls ALPNCallback with `this` = the socket (so it may call setKeyCert()), and
      // the server's pskCallback with the socket first.
      const alpn = shared.alpnCallback;
      if (alpn) own.alpnCallback = (args) => alpn.call(this, args);
      const psk = shared.psk;
      if (psk?.server) own.psk = { ...psk, server: (identity) => psk.server!.call(this, identity) };
    }
    this.engine = new Engine(Object.keys(own).length > 0 ? ownLayer(options.engine, own) : options.engine);
    // The transport's listeners are the same functions for every connection (`this`: the
    // transport, which names its SecureDuplex), not four closures per connection.
    (socket as Partial<Record<typeof OWNER, SecureDuplex>>)[OWNER] = this;
    socket.on('data', SecureDuplex.onData);
    socket.on('end', SecureDuplex.onEnd);
    socket.on('error', SecureDuplex.onError);
    socket.on('close', SecureDuplex.onClose);
    const timeout = options.handshakeTimeout ?? 120_000;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => {
        const e = new TlsError(ErrorCode.HANDSHAKE_TIMEOUT, 'TLS handshake timeout');
        this.destroy(e);
      }, timeout);
      this.handshakeTimer.unref?.();
    }
    if (!isEngineForm(given)) {
      if (given.enableTrace) this.enableTrace();
      if (!this.isServer) this.startWhenConnected();
    }
  }

  /** Client: start the handshake once the transport is connected ('connect' is re-emitted), or
   *  on the next tick when it already is. */
  startWhenConnected(): void {
    const sock = this.socket as Partial<Socket>;
    if (sock.connecting) {
      sock.once?.('connect', () => {
        this.emit('connect');
        this.startHandshake();
      });
    } else {
      process.nextTick(() => this.startHandshake());
    }
  }

  /** Client: send the ClientHello now (connect() calls this once the transport is connected). */
  startHandshake(): void {
    this.handshakeStarted = true;
    this.engine.start();
    this.pump();
  }

  // --- node:tls TLSSocket surface ------------------------------------------------------------

  /** node:tls getProtocol(): the version once a handshake has completed; before that 'unknown'
   *  on a client whose transport is connected, null on a server or a closed socket (as node). */
  getProtocol(): string | null {
    if (this.destroyed) return null;
    if (!this.engine.established) {
      const connected = !this.destroyed && !(this.socket as Partial<Socket>).connecting && !this.socket.destroyed;
      return !this.isServer && connected ? 'unknown' : null;
    }
    return this.engine.config.transport === 'dtls' ? 'DTLSv1.2' : 'TLSv1.2';
  }

  /** node:tls getCipher(), typed as node's (which omits that both return undefined before the
   *  handshake). */
  getCipher(): CipherNameAndProtocol {
    // node:tls: the getters of the connection's state give null once it is destroyed.
    if (this.destroyed) return null as unknown as CipherNameAndProtocol;
    const s = this.engine.cipherSuite;
    return (s ? { name: s.opensslName, standardName: s.name, version: 'TLSv1.2' } : undefined) as CipherNameAndProtocol;
  }

  /** node:tls getEphemeralKeyInfo(): the ECDHE group of the last handshake. As in node:tls:
   *  client only (null on a server or a destroyed socket), {} before the handshake. */
  getEphemeralKeyInfo(): { type: 'ECDH'; name: string; size: number } | { type: 'DH'; size: number } | object | null {
    if (this.isServer || this.destroyed) return null;
    const sess = this.engine.session;
    // A resumed session has no ephemeral key exchange (RFC 5246 §7.3), as OpenSSL reports it.
    if (!sess || sess.group === 0) return {};
    // RFC 7919 groups (DHE): node reports { type: 'DH', size } (a DHE group that is none of them
    // is not reported: {}).
    const ffdhe = FFDHE_GROUPS.get(sess.group);
    if (ffdhe) return { type: 'DH', size: ffdhe.p.length * 8 };
    const name = GROUP_NAMES[sess.group] ?? String(sess.group);
    return { type: 'ECDH', name, size: sess.group === 24 ? 384 : sess.group === 29 ? 253 : 256 };
  }

  getPeerCertificate(detailed = false): object {
    // node:tls: {} once destroyed.
    if (this.destroyed) return {};
    const chain = this.engine.session?.peerChain;
    if (!chain || chain.length === 0) return {};
    // As node: `detailed` goes on from the last certificate sent through our trust store.
    return toPeerCertificate(chain, detailed, trustOfVerifier(this.engine.config.verifier));
  }

  /** node:tls getCertificate(): our certificate; {} when we sent none, null once destroyed. */
  getCertificate(): object | null {
    if (this.destroyed) return null;
    const chain = this.engine.session?.localChain;
    return chain && chain.length > 0 ? toPeerCertificate(chain, false) : {};
  }

  getFinished(): Buffer | undefined {
    if (this.destroyed) return null as unknown as undefined;
    const s = this.engine.session;
    if (!s) return undefined;
    return Buffer.from(this.isServer ? s.serverVerifyData : s.clientVerifyData);
  }

  getPeerFinished(): Buffer | undefined {
    if (this.destroyed) return null as unknown as undefined;
    const s = this.engine.session;
    if (!s) return undefined;
    return Buffer.from(this.isServer ? s.clientVerifyData : s.serverVerifyData);
  }

  /** node:tls isSessionReused(): the last handshake resumed a session (abbreviated handshake). */
  isSessionReused(): boolean {
    if (this.destroyed) return null as unknown as boolean;
    return this.engine.session?.resumed ?? false;
  }

  /** node:tls getX509Certificate(): our certificate (leaf) of the last handshake. */
  getX509Certificate(): X509Certificate | undefined {
    const leaf = this.engine.session?.localChain?.[0];
    return leaf ? new X509Certificate(Buffer.from(leaf)) : undefined;
  }

  /** node:tls getPeerX509Certificate(): the peer's leaf certificate, `issuerCertificate`
   *  linking the chain it sent. */
  getPeerX509Certificate(): X509Certificate | undefined {
    if (this.destroyed) return undefined;
    return peerX509Chain(this.engine.session?.peerChain ?? []);
  }

  /**
   * node:tls getSharedSigalgs(): the signature algorithms both sides accept, named as node names
   * them ('ECDSA+SHA256', 'RSA-PSS+SHA256', 'Ed25519+UNDEF', ...). Server: the client's
   * signature_algorithms, in our order (node:tls servers default to honorCipherOrder, which makes
   * OpenSSL use the server's order); client: the server's CertificateRequest list in the server's
   * order ([] when it asked for no certificate), as OpenSSL does. From the last handshake
   * (renegotiations included; TLS and DTLS).
   */
  getSharedSigalgs(): string[] {
    const peer = this.engine.session?.peerSignatureSchemes;
    if (!peer) return [];
    const ours = this.engine.config.signatureSchemes;
    const shared = this.isServer ? ours.filter((s) => peer.includes(s)) : peer.filter((s) => ours.includes(s));
    return shared.filter((s) => SIGALG_NAMES[s] !== undefined).map((s) => SIGALG_NAMES[s]!);
  }

  /**
   * node:tls exportKeyingMaterial() (RFC 5705 §4): PRF(master_secret, label, client_random +
   * server_random [+ uint16 context length + context]) with the suite's PRF hash, from the last
   * handshake. Throws before the handshake (ERR_TLS_INVALID_STATE) and for the labels the TLS
   * 1.2 key schedule uses (ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL), as node does.
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > 0xffffffff) {
      const err = new RangeError(`The value of "length" is out of range. It must be >= 1 && <= 4294967295. Received ${String(length)}`);
      (err as { code?: string }).code = 'ERR_OUT_OF_RANGE';
      throw err;
    }
    if (typeof label !== 'string') throw invalidArgType('label', 'of type string', label);
    if (context !== undefined && !ArrayBuffer.isView(context)) {
      throw invalidArgType('context', 'an instance of Buffer, TypedArray, or DataView', context);
    }
    const s = this.engine.session;
    if (!s || this.destroyed) {
      throw new TlsError('ERR_TLS_INVALID_STATE', 'TLS socket connection must be securely established');
    }
    const labelBytes = Buffer.from(label, 'utf8');
    // OpenSSL compares the start of label + seed with each reserved label.
    if (RESERVED_EXPORTER_LABELS.some((r) => labelBytes.subarray(0, r.length).toString('latin1') === r)) {
      throw new TlsError('ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL', `"${label}" is reserved by TLS and cannot be an exporter label`);
    }
    const parts: Uint8Array[] = [labelBytes, s.clientRandom, s.serverRandom];
    if (context !== undefined) {
      const ctx = new Uint8Array(context.buffer, context.byteOffset, context.byteLength);
      if (ctx.length > 0xffff) throw new TlsError(ErrorCode.INVALID_ARG, 'exportKeyingMaterial: context is longer than 65535 bytes');
      parts.push(new Uint8Array([ctx.length >> 8, ctx.length & 0xff]), ctx);
    }
    // PRF(secret, label, seed) = P_hash(secret, label + seed): the label goes into the seed so
    // that it is hashed as UTF-8 bytes, as node passes it.
    const out = prf(this.engine.config.provider, s.suite.hash, s.masterSecret, '', Buffer.concat(parts), length);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }

  /**
   * node:tls setServername() (client): the SNI name of the ClientHello. Only before the handshake
   * starts (connect() starts it on the next tick, or when the transport connects).
   */
  setServername(name: string): void {
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    if (this.isServer) throw new TlsError('ERR_TLS_SNI_FROM_SERVER', 'Cannot issue SNI from a TLS server-side socket');
    if (this.handshakeStarted) {
      throw new TlsError('ERR_TLS_INVALID_STATE', 'setServername() must be called before the TLS handshake starts');
    }
    this.ownConfig().servername = name;
  }

  /**
   * node:tls disableRenegotiation(): from now on a renegotiation the peer asks for is refused
   * (no_renegotiation warning) and, on a server socket, emitted as an 'error'
   * ERR_TLS_RENEGOTIATION_DISABLED as node's (the connection is not ended by it); our own
   * renegotiate() returns false with ERR_TLS_RENEGOTIATION_DISABLED. (node:tls's client socket
   * takes no notice of it: see docs/compat.md.)
   */
  disableRenegotiation(): void {
    this.renegotiationDisabled = true;
    this.ownConfig().allowRenegotiation = false;
  }

  /**
   * node:tls getSession(): the session of the last handshake, serialized (a versioned binary
   * format, lib/engine/handshake/session.ts; not node's DER), to pass as `session` to a later
   * connect(). undefined before the handshake. A session without extended master secret
   * (RFC 7627) is returned too, but never offered for resumption.
   */
  getSession(): Buffer | undefined {
    if (this.destroyed) return null as unknown as undefined;
    const state = this.engine.sessionState;
    if (!state) return undefined;
    const bytes = encodeSession(state);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** node:tls getTLSTicket(): client, the RFC 5077 ticket the server gave for this session;
   *  undefined without one. */
  getTLSTicket(): Buffer | undefined {
    if (this.destroyed) return null as unknown as undefined;
    const t = this.engine.session?.ticket;
    return t && t.length > 0 ? Buffer.from(t) : undefined;
  }

  /**
   * node:tls enableTrace(): from now on, one line per handshake message, ChangeCipherSpec and
   * alert this connection sends or receives, on stderr (node prints OpenSSL's SSL_trace there;
   * our lines are shorter: `TLS trace (server): Received handshake: client_hello (212 bytes)`).
   */
  enableTrace(): void {
    const who = this.isServer ? 'server' : 'client';
    this.engine.trace = (line) => { process.stderr.write(`TLS trace (${who}): ${line}\n`); };
  }

  /** node:tls setMaxSendFragment(): 512..16384 (else false); not a number: ERR_INVALID_ARG_TYPE,
   *  not an integer: ERR_OUT_OF_RANGE, as node. */
  setMaxSendFragment(size: number): boolean {
    if (typeof size !== 'number') throw invalidArgType('size', 'of type number', size);
    if (!Number.isInteger(size)) throw outOfRange('size', 'an integer', size);
    return this.engine.setMaxSendFragment(size);
  }

  /**
   * Start a renegotiation (node:tls signature). Client: a new handshake; server: a HelloRequest
   * (with `requestCert` it asks the client for a certificate). The callback fires once.
   */
  renegotiate(options: RenegotiationOptions = {}, callback?: RenegotiateCallback): boolean {
    // node:tls checks its arguments first.
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
    // node:tls: a server that asks for a certificate in a renegotiation completes it whatever
    // the client sends, then (rejectUnauthorized) ends a connection whose client is not
    // authorized, quietly: the callback gets null, no 'error', no alert (onHandshake()).
    const reject = options.rejectUnauthorized ?? this.engine.config.rejectUnauthorized;
    const checkAfter = this.isServer && options.requestCert === true && reject;
    const engineOptions: RenegotiateOptions = {
      requestCert: options.requestCert,
      rejectUnauthorized: checkAfter ? false : options.rejectUnauthorized,
      cipherSuites: options.ciphers === undefined ? undefined : parseCipherList(options.ciphers),
      resume: options.resume === true,
    };
    if (this.renegotiationDisabled) {
      if (callback) process.nextTick(callback, new TlsError('ERR_TLS_RENEGOTIATION_DISABLED', 'TLS session renegotiation disabled for this socket'));
      return false;
    }
    if (!this.destroyed && !this.writableEnded && this.engine.established && this.engine.handshaking) {
      // node:tls: renegotiate() while a renegotiation is running (started by either side) joins
      // it: true, and the callback when that handshake completes (OpenSSL runs one at a time;
      // node calls back at the next handshake done). Its options do not apply to it.
      (this.joinedRenegotiation ??= []).push(callback ?? (() => undefined));
      return true;
    }
    const started = !this.destroyed && !this.renegotiateCallback && this.engine.renegotiate(engineOptions);
    if (!started) {
      if (callback) {
        const why = this.destroyed || this.ended || this.writableEnded
          ? 'the connection is closed or closing (close_notify sent or received); renegotiate before end()'
          : !this.engine.session?.secureRenegotiation && this.engine.established
            ? 'peer did not signal secure renegotiation (RFC 5746)'
            : this.engine.established
              ? 'a handshake is in progress; wait for its \'renegotiated\' event'
              : 'the connection is not established yet; wait for \'secureConnect\'';
        process.nextTick(callback, new TlsError(ErrorCode.RENEGOTIATION_REFUSED, `cannot renegotiate: ${why}`));
      }
      return false;
    }
    this.renegotiateCallback = callback ?? (() => undefined);
    this.rejectAfterRenegotiation = checkAfter;
    this.pump();
    return true;
  }

  /**
   * node:tls setKeyCert(): the certificate(s) and key(s) we present from now on: in this
   * handshake when called from an ALPNCallback (a server socket), else in the next renegotiation
   * (and, on a client, when a server asks for a certificate). `context` is a SecureContext
   * (createSecureContext()) or options with at least `key` and `cert`.
   */
  setKeyCert(context: SecureContext | SecureContextOptions): void {
    if (context === null || typeof context !== 'object') throw invalidArgType('context', 'of type object', context);
    const identities = toSecureContext(context).identities;
    if (identities.length === 0) throw new TlsError(ErrorCode.INVALID_ARG, 'setKeyCert(): the context has no certificate and key');
    this.keyCertIdentities = identities;
    this.engine.setIdentities(identities);
  }

  // --- net.Socket members forwarded to the transport -----------------------------------------

  /** net.Socket bufferSize (deprecated there): writableLength; undefined once destroyed. */
  get bufferSize(): number | undefined {
    return this.destroyed ? undefined : this.writableLength;
  }

  /** net.Socket connecting: true while the transport's TCP connection is being set up. */
  get connecting(): boolean {
    return (this.socket as Partial<Socket>).connecting === true;
  }

  /** net.Socket pending: true until the transport is connected. */
  get pending(): boolean {
    return (this.socket as Partial<Socket>).pending === true;
  }

  /** net.Socket readyState, from this stream's own state (the TLS layer's view). */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.destroyed) return 'closed';
    const readable = this.readable && !this.readableEnded;
    const writable = this.writable && !this.writableEnded;
    return readable && writable ? 'open' : readable ? 'readOnly' : writable ? 'writeOnly' : 'closed';
  }

  /** Bytes received / sent on the transport (records, as node:tls counts them). */
  get bytesRead(): number | undefined {
    return (this.socket as Partial<Socket>).bytesRead;
  }

  get bytesWritten(): number | undefined {
    return (this.socket as Partial<Socket>).bytesWritten;
  }

  /** net.Socket destroySoon(): end (close_notify) and destroy once the writes are out. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** net.Socket resetAndDestroy(): a TCP RST (when the transport can send one), no close_notify. */
  resetAndDestroy(): this {
    const s = this.socket as Partial<Socket>;
    if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
    this.destroy();
    return this;
  }

  /** Transport address passthroughs (net.Socket when the transport is one). */
  address(): ReturnType<Socket['address']> | {} {
    const s = this.socket as Partial<Socket>;
    return typeof s.address === 'function' ? s.address() : {};
  }

  get remoteAddress(): string | undefined {
    return (this.socket as Partial<Socket>).remoteAddress;
  }

  get remotePort(): number | undefined {
    return (this.socket as Partial<Socket>).remotePort;
  }

  get remoteFamily(): string | undefined {
    return (this.socket as Partial<Socket>).remoteFamily;
  }

  get localAddress(): string | undefined {
    return (this.socket as Partial<Socket>).localAddress;
  }

  get localPort(): number | undefined {
    return (this.socket as Partial<Socket>).localPort;
  }

  setNoDelay(noDelay?: boolean): this {
    (this.socket as Partial<Socket>).setNoDelay?.(noDelay);
    return this;
  }

  /** net.Socket ref()/unref() on the transport (http.Agent keep-alive pools call them). */
  ref(): this {
    (this.socket as Partial<Socket>).ref?.();
    return this;
  }

  unref(): this {
    (this.socket as Partial<Socket>).unref?.();
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    (this.socket as Partial<Socket>).setKeepAlive?.(enable, initialDelay);
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    const s = this.socket as Partial<Socket>;
    this.timeout = ms;
    if (s.setTimeout) {
      s.setTimeout(ms);
      if (cb) this.once('timeout', cb);
      if (!this.listenerCount('timeout') || !s.listenerCount?.('timeout')) s.on?.('timeout', () => this.emit('timeout'));
    }
    return this;
  }

  // --- Duplex --------------------------------------------------------------------------------

  override _read(): void {
    if (this.transportPaused) {
      this.transportPaused = false;
      this.socket.resume();
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.acceptWrite([chunk], chunk.length, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (this.engine.config.transport !== 'dtls') {
      const list = chunks.map((c) => c.chunk);
      let bytes = 0;
      for (const c of list) bytes += c.length;
      this.acceptWrite(list, bytes, cb);
      return;
    }
    if (chunks.length > 1) {
      // DTLS: each write is its own record/datagram; never merge them.
      let left = chunks.length;
      let failed = false;
      for (const c of chunks) {
        this.writeData(c.chunk, (err) => {
          if (failed) return;
          if (err) { failed = true; cb(err); return; }
          if (--left === 0) cb();
        });
      }
      return;
    }
    this.writeData(chunks[0]!.chunk, cb);
  }

  /**
   * TLS: a write smaller than a full record waits for the end of the current tick, so that a
   * burst of small writes is sealed as full records (one AEAD call and one socket write per
   * 16 KiB rather than per write: the record's fixed cost dominates a small one). Writes made
   * meanwhile are buffered by the stream; when the tick ends (flushWrites) the first write
   * completes, the stream hands the buffered ones over at once (_writev), and all of them go
   * out together. The last write still completes only when the transport has taken the records,
   * so a transport that does not keep up is backpressure as before.
   */
  private acceptWrite(chunks: Buffer[], bytes: number, cb: (err?: Error | null) => void): void {
    const gather = this.gathering;
    if (gather) {
      // Called from inside flushWrites' completion of the first write: join it.
      for (const c of chunks) gather.chunks.push(c);
      gather.cb = cb;
      return;
    }
    if (bytes < MAX_PLAINTEXT && this.secureEstablished && !this.destroyed && this.engine.heldWriteBytes === 0 && this.engine.config.transport !== 'dtls') {
      this.deferred = { chunks, bytes, cb };
      process.nextTick(() => this.flushWrites());
      return;
    }
    this.writeData(this.joined(chunks, bytes), cb);
  }

  /** The tick of a deferred write ended: send it with whatever was written behind it. */
  private flushWrites(): void {
    const d = this.deferred;
    if (d === undefined) return;
    this.deferred = undefined;
    let { chunks, bytes } = d;
    let cb = d.cb;
    if (this.writableLength > d.bytes && !this.destroyed && !this.writableCorked) {
      // More writes wait behind this one: complete it, and the stream passes them to
      // acceptWrite, synchronously, inside this call (they join `gather`).
      const gather: { chunks: Buffer[]; cb: ((err?: Error | null) => void) | undefined } = { chunks: [...chunks], cb: undefined };
      this.gathering = gather;
      try {
        d.cb();
      } finally {
        this.gathering = undefined;
      }
      if (gather.cb !== undefined) {
        chunks = gather.chunks;
        bytes = 0;
        for (const c of chunks) bytes += c.length;
        cb = gather.cb;
      } else {
        cb = ignoreCompletion;
      }
    }
    this.writeData(this.joined(chunks, bytes), cb);
  }

  /** The chunks of a burst of writes as one buffer for writeData (the record layer cuts it into
   *  records). When the engine will seal it before write() returns and keep none of it (it keeps
   *  data only to hold it), in the scratch shared by every connection; else a buffer of its own. */
  private joined(chunks: Buffer[], bytes: number): Buffer {
    if (chunks.length === 1) return chunks[0]!;
    if (bytes > JOIN_SCRATCH_BYTES || this.engine.holdsWrites || this.engine.failed) return Buffer.concat(chunks, bytes);
    JOIN_SCRATCH ??= Buffer.allocUnsafeSlow(JOIN_SCRATCH_BYTES);
    let o = 0;
    for (const c of chunks) {
      JOIN_SCRATCH.set(c, o);
      o += c.length;
    }
    return JOIN_SCRATCH.subarray(0, bytes);
  }

  /**
   * A write completes when its records have been written to the transport (the transport's own
   * write callback), never synchronously: as with node:tls, writableLength counts what the
   * transport has not taken yet, and write() returns false once that reaches the
   * writableHighWaterMark (16 KiB by default).
   */
  private writeData(data: Buffer, cb: (err?: Error | null) => void): void {
    if (this.engine.failed) {
      cb(new TlsError('ERR_STREAM_DESTROYED', 'the TLS connection has failed'));
      return;
    }
    try {
      this.engine.write(data);
    } catch (e) {
      cb(e as Error);
      return;
    }
    if (!this.secureEstablished) {
      // node:tls holds writes until the first handshake completes; so does the engine, and the
      // write (even an empty one) completes then.
      (this.secureCallbacks ??= []).push((err) => cb(err));
      this.pump();
      return;
    }
    if (this.engine.heldWriteBytes > 0) {
      // Completes when the held data goes out (end of the held window of a renegotiation).
      (this.heldCallbacks ??= []).push((err) => cb(err));
      this.pump();
      return;
    }
    this.pump(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.secureEstablished) {
      // end() with nothing written before the first handshake completed: as node:tls, no
      // close_notify (there is no connection to close yet), the transport is ended (after the
      // ClientHello when it is still connecting); the handshake then fails on the peer's side.
      this.finishWriting(cb);
      return;
    }
    this.engine.close();
    this.pump();
    if (this.engine.closePending) {
      // A renegotiation is in progress: close_notify goes out when it completes (pump()).
      this.pendingFinal = cb;
      return;
    }
    this.finishWriting(cb);
  }

  private finishWriting(cb: (err?: Error | null) => void): void {
    this.releaseHeldCallbacks();
    const s = this.socket;
    if (!s.writableEnded && !s.destroyed) s.end(() => cb());
    else cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.clearHandshakeTimer();
    if (this.tickTimer) clearTimeout(this.tickTimer);
    // A write waiting for the end of its tick goes to the transport before it is destroyed, as
    // it would have without the wait (net.Socket: write() then destroy() sends what the kernel
    // takes at once).
    const d = this.deferred;
    this.deferred = undefined;
    if (d !== undefined) this.writeData(this.joined(d.chunks, d.bytes), d.cb);
    if (!this.socket.destroyed) {
      // As node:tls, the transport is destroyed, not ended (what we wrote before, a fatal alert
      // or close_notify, has been handed to it).
      this.socket.destroy();
    }
    const cbs = [...this.secureCallbacks ?? [], ...this.heldCallbacks ?? []];
    this.heldCallbacks = undefined;
    this.secureCallbacks = undefined;
    // Held data that will never be sent: its writers learn why.
    for (const c of cbs) c(err ?? new TlsError(ErrorCode.SOCKET_CLOSED, 'the connection closed before held data could be sent'));
    if (this.renegotiateCallback || (this.joinedRenegotiation?.length ?? 0) > 0) {
      // (Made only when someone waits for it: an Error's stack trace costs every destroy().)
      const closed = err ?? new TlsError(ErrorCode.SOCKET_CLOSED, 'connection closed during renegotiation');
      const rc = this.renegotiateCallback;
      this.renegotiateCallback = undefined;
      rc?.(closed);
      this.releaseJoinedRenegotiation(closed);
    }
    cb(err);
    // net.Socket's 'close' (hadError), after 'error' (emitted on the next tick by destroy()).
    const hadError = err !== null && err !== undefined;
    process.nextTick(() => this.emit('close', hadError));
  }

  // --- plumbing ------------------------------------------------------------------------------

  /** This connection's own layer of engine options, put over the shared ones on first use. */
  private ownConfig(): EngineOptions {
    const config = this.engine.config;
    if (Object.hasOwn(config, OWN_LAYER)) return config;
    return (this.engine.config = ownLayer(config, {}));
  }

  private static onData(this: Duplex, chunk: Buffer): void {
    ownerOf(this).onTransportData(chunk);
  }

  private static onEnd(this: Duplex): void {
    ownerOf(this).onTransportEnd();
  }

  private static onError(this: Duplex, err: Error): void {
    ownerOf(this).onTransportError(err);
  }

  private static onClose(this: Duplex): void {
    ownerOf(this).onTransportClose();
  }

  private onTransportData(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.firstBytes) {
      // The first record header: bytes that are not TLS end the connection without an alert.
      const head = Buffer.concat([this.firstBytes, chunk]);
      if (head.length < RECORD_HEADER_LENGTH) {
        this.firstBytes = head;
        return;
      }
      this.firstBytes = undefined;
      const notTls = notTlsError(head, this.isServer);
      if (notTls) {
        this.destroy(notTls);
        return;
      }
      chunk = head;
    }
    this.engine.receive(chunk);
    // While the ClientHello waits for onClientHello, a stream transport is paused (the engine
    // keeps what came meanwhile; over datagrams it keeps a bounded number).
    if (this.engine.awaitsClientHelloAnswer && this.engine.config.transport !== 'dtls') this.socket.pause();
    this.pump();
  }

  /**
   * Server with onClientHello: the engine has the initial ClientHello and waits. The answer
   * comes on a later tick (the engine is mid-event here); then the handshake goes on with the
   * chosen certificates, and the transport resumes.
   */
  private askAboutClientHello(hello: ClientHelloInfo): void {
    let answered = false;
    const done = (err: Error | null, identities?: readonly LocalIdentity[]): void => {
      if (answered) return;
      answered = true;
      process.nextTick(() => {
        if (this.destroyed) return;
        if (err) {
          // RFC 6066 §3: a server that will not serve the name aborts with unrecognized_name
          // (node:tls just closes; over UDP a client would otherwise retransmit until it gives up).
          this.refuse(AlertDescription.unrecognized_name, err);
          return;
        }
        // The certificates for the SNI name, for this handshake and the renegotiations after
        // it; a setKeyCert() already made wins.
        if (identities && identities.length > 0 && !this.keyCertIdentities) this.engine.setIdentities(identities);
        this.engine.acceptClientHello();
        if (!this.transportPaused && this.engine.config.transport !== 'dtls') this.socket.resume();
        this.pump();
      });
    };
    if (!this.onClientHello) return done(null);
    try {
      this.onClientHello(hello, done);
    } catch (e) {
      done(e as Error);
    }
  }

  /**
   * The transport failed. Once the connection is closing (the peer's close_notify or FIN has
   * come, or we have ended), a peer that went away first makes our last writes (close_notify)
   * fail with EPIPE / ECONNRESET: as with node:tls, that only closes the socket, it is not an
   * 'error' (nobody may be listening for one any more).
   */
  private onTransportError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    const closing = this.ended || this.writableEnded;
    if (closing && (code === 'EPIPE' || code === 'ECONNRESET')) this.destroy();
    else this.destroy(err);
  }

  private onTransportEnd(): void {
    if (this.destroyed) return;
    if (!this.secureEstablished) {
      this.closedBeforeHandshake();
      return;
    }
    if (this.engine.handshaking) {
      // The peer hung up (FIN, no close_notify) in the middle of a renegotiation: it can never
      // complete, and the writes held for it cannot be delivered. Fail loudly rather than wait
      // forever or push data at a peer that is gone.
      this.destroy(new TlsError(ErrorCode.SOCKET_CLOSED, 'the peer closed the connection during a renegotiation'));
      return;
    }
    // TCP FIN without close_notify: node:tls ends the stream the same way (truncation is not
    // reported as an error); data already delivered stands.
    this.endReadable();
  }

  private onTransportClose(): void {
    if (!this.destroyed) {
      if (!this.secureEstablished) {
        this.closedBeforeHandshake();
      } else {
        this.endReadable();
        this.destroy();
      }
    }
  }

  /**
   * The transport ended or closed before the first handshake completed: ECONNRESET with
   * node:tls's wording, "socket hang up" on a server (its 'tlsClientError'); a client's error
   * carries connect()'s host, port, path and localAddress, and comes after 'end', as node's.
   */
  private closedBeforeHandshake(): void {
    if (this.isServer) {
      this.destroy(new TlsError(ErrorCode.SOCKET_CLOSED, 'socket hang up'));
      return;
    }
    if (this.ended) return;
    const err = new TlsError(ErrorCode.SOCKET_CLOSED, 'Client network socket disconnected before secure TLS connection was established');
    const o = this.connectOptions;
    Object.assign(err, { path: o?.path ?? undefined, host: o?.host, port: o?.port, localAddress: o?.localAddress });
    this.once('end', () => this.destroy(err));
    this.endReadable();
    // Nobody may read this stream ('end' would then never come): the error does not wait.
    if (!this.readableEnded) process.nextTick(() => this.destroy(err));
  }

  /** The readable side ends. As net.Socket, read(0) so that 'end' is emitted even when nobody
   *  reads (nothing buffered): with allowHalfOpen false that also ends the writable side. */
  private endReadable(): void {
    if (this.ended) return;
    this.ended = true;
    this.push(null);
    this.read(0);
  }

  /** Move engine output to the transport and engine events to the stream. `written`: called
   *  once the transport has taken this output (its write callback; on the next tick when there
   *  is nothing to write or no transport to write to). */
  private pump(written?: () => void): void {
    const events = this.engine.takeEvents();
    // node:tls 'OCSPResponse' comes before our answer to the server's flight goes out, so that
    // a destroy() in its listener aborts the handshake (node: OpenSSL's status callback); the
    // events before it (data of a renegotiation) keep their order.
    const ocsp = events.findIndex((e) => e.type === 'ocsp-response');
    let aborted = false;
    if (ocsp >= 0) {
      const alive = !this.destroyed;
      for (const ev of events.splice(0, ocsp + 1)) this.onEngineEvent(ev);
      aborted = alive && this.destroyed;
    }
    const out = this.engine.takeOutput();
    if (out.length > 0 && !this.socket.destroyed && this.socket.writable && !aborted) {
      // A burst of records (a flight, or writes that arrived together through _writev) goes to
      // the transport as one write: corked, so net.Socket hands them to the kernel in one writev.
      const last = out.length - 1;
      if (last > 0) (this.socket as Partial<Socket>).cork?.();
      for (let i = 0; i < last; i++) this.socket.write(out[i]!);
      if (written) this.socket.write(out[last]!, written);
      else this.socket.write(out[last]!);
      if (last > 0) (this.socket as Partial<Socket>).uncork?.();
    } else if (written) {
      process.nextTick(written);
    }
    for (const ev of events) this.onEngineEvent(ev);
    for (const ev of this.engine.takeEvents()) this.onEngineEvent(ev);
    if (this.engine.heldWriteBytes === 0) this.releaseHeldCallbacks();
    if (this.pendingFinal && !this.engine.closePending) {
      const cb = this.pendingFinal;
      this.pendingFinal = undefined;
      const out = this.engine.takeOutput();
      for (const o of out) if (!this.socket.destroyed && this.socket.writable) this.socket.write(o);
      this.finishWriting(cb);
    }
    this.scheduleTick();
  }

  /** DTLS retransmission timers: the engine says when it next needs tick(). */
  private scheduleTick(): void {
    const at = this.engine.nextDeadline;
    if (at === this.tickAt) return;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.tickAt = at;
    if (at === undefined || this.destroyed) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.tickAt = undefined;
      if (this.destroyed) return;
      this.engine.tick(Date.now());
      this.pump();
    }, Math.max(0, at - Date.now()));
  }

  /**
   * Backpressure: stop reading the transport until _read() asks for more. Exception: while a
   * renegotiation is in progress the handshake messages we need are queued behind application
   * data in the same TCP stream, and an application that echoes (pipe()) waits for its held
   * writes, which wait for the handshake: pausing would deadlock. So during a renegotiation we
   * keep reading up to RENEGOTIATION_READ_CAP bytes of unread data, then pause.
   */
  private applyBackpressure(): void {
    if (this.transportPaused) return;
    if (this.engine.handshaking && this.readableLength < RENEGOTIATION_READ_CAP) return;
    this.transportPaused = true;
    this.socket.pause();
  }

  private releaseHeldCallbacks(): void {
    const cbs = this.heldCallbacks;
    if (cbs === undefined) return;
    this.heldCallbacks = undefined;
    for (const c of cbs) c();
  }

  private onEngineEvent(ev: EngineEvent): void {
    switch (ev.type) {
      case 'data': {
        if (this.ended) return;
        if (ev.duringRenegotiation) this.emit('renegotiationData', ev.data.length);
        const more = this.push(Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength));
        if (!more) this.applyBackpressure();
        return;
      }
      case 'handshake':
        this.onHandshake(ev.renegotiation, ev.initiator);
        return;
      case 'peer-closed':
        this.endReadable();
        return;
      case 'renegotiation-refused': {
        const rc = this.renegotiateCallback;
        this.renegotiateCallback = undefined;
        rc?.(ev.error);
        this.releaseJoinedRenegotiation(ev.error);
        return;
      }
      case 'warning':
        this.emit('alert', ev.alert);
        return;
      case 'renegotiation-declined':
        // node:tls: after disableRenegotiation(), a server socket emits this 'error' when the
        // client starts a renegotiation (the connection is not ended: HTTP/2, which disables
        // renegotiation on its sockets, ends the session on it). A client socket says nothing.
        if (this.renegotiationDisabled && this.isServer) {
          this.emit('error', new TlsError('ERR_TLS_RENEGOTIATION_DISABLED', 'TLS session renegotiation disabled for this socket'));
        }
        return;
      case 'client-hello':
        this.askAboutClientHello(ev.hello);
        return;
      case 'ocsp-request':
        this.askForOcspResponse(ev.chain);
        return;
      case 'ocsp-response':
        // node:tls 'OCSPResponse' (client with requestOCSP): the stapled response, null without
        // one; first full handshake only, as node's.
        this.emit('OCSPResponse', ev.response ? Buffer.from(ev.response) : null);
        return;
      case 'keylog':
        // node:tls 'keylog' (and Server 'keylog'): one NSS line per handshake, renegotiations
        // too, as soon as the master secret is known (a handshake that then fails is logged).
        if (this.listenerCount('keylog') > 0) this.emit('keylog', keylogLine(ev));
        return;
      case 'error':
        this.failWith(ev.error);
        return;
    }
  }

  /** The engine waits for a staple: ask onOcspRequest (node:tls 'OCSPRequest'), answer on a
   *  later tick (the engine is mid-event here). */
  private askForOcspResponse(chain: readonly Uint8Array[]): void {
    let answered = false;
    const answer = (err: Error | null, response?: Uint8Array | null): void => {
      if (answered) return;
      answered = true;
      process.nextTick(() => {
        if (this.destroyed) return;
        if (err) return this.refuse(AlertDescription.internal_error, err);
        this.engine.respondOcsp(response instanceof Uint8Array ? response : null);
        this.pump();
      });
    };
    if (!this.onOcspRequest) return answer(null, null);
    try {
      this.onOcspRequest(chain, answer);
    } catch (e) {
      answer(e as Error);
    }
  }

  /** The application refused the handshake (a hook answered with an error): a fatal `alert`,
   *  then the connection ends with the application's error. */
  private refuse(alert: number, err: Error): void {
    this.engine.abort(alert);
    this.pump();
    this.destroy(err);
  }

  private failWith(engineError: TlsError): void {
    // node:tls's code for an alert received (ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE, ...).
    const err = alertReceivedError(engineError);
    if (this.isServer && this.secureEstablished && err.code === ErrorCode.PEER_DID_NOT_RETURN_A_CERTIFICATE) {
      // As node:tls: a server whose renegotiation asked for a certificate the client did not
      // send ends the connection quietly (no 'error'), and its renegotiate() callback gets null.
      const out = this.engine.takeOutput();
      if (!this.socket.destroyed && this.socket.writable) for (const o of out) this.socket.write(o);
      const rc = this.renegotiateCallback;
      this.renegotiateCallback = undefined;
      rc?.(null);
      this.releaseJoinedRenegotiation(null);
      this.destroy();
      return;
    }
    // The fatal alert is already queued: flush it before tearing the transport down.
    const out = this.engine.takeOutput();
    if (!this.socket.destroyed && this.socket.writable) {
      for (const o of out) this.socket.write(o);
    }
    this.destroy(err);
  }

  private onHandshake(renegotiation: boolean, initiator: 'local' | 'peer'): void {
    const sess = this.engine.session!;
    this.authorized = sess.authorized;
    this.authorizationError = sess.authorizationError ? sess.authorizationError.code : null;
    this.alpnProtocol = sess.alpnProtocol;
    // Server: the name the client asked for (false: none). Client: the SNI name we sent.
    if (this.isServer) this.servername = sess.servername ?? false;
    else this.servername = this.engine.config.servername || false;
    // node:tls 'session' (client): the session to resume later, for each new session (a full
    // handshake, renegotiations included) and for a resumption whose server renewed the ticket
    // (RFC 5077 §3.3); after 'secureConnect' for the first handshake, as node.
    let newSession = false;
    if (!this.isServer) {
      const offered = this.lastTicket ?? this.engine.config.session?.ticket;
      const renewed = sess.ticket.length > 0 && !(offered !== undefined && Buffer.compare(Buffer.from(offered), Buffer.from(sess.ticket)) === 0);
      this.lastTicket = sess.ticket;
      newSession = !sess.resumed || renewed;
    }
    const emitSession = (): void => {
      if (newSession && this.listenerCount('session') > 0) this.emit('session', this.getSession()!);
    };
    if (!renegotiation) {
      this.secureEstablished = true;
      this.clearHandshakeTimer();
      // RFC 9113 §9.2.1: HTTP/2 over TLS 1.2 MUST NOT renegotiate. node's http2 calls
      // disableRenegotiation() on the sockets it is given, but only on those with a native
      // handle (it wraps ours in a JSStreamSocket first): with h2 agreed we disable it ourselves.
      if (this.alpnProtocol === 'h2') this.disableRenegotiation();
      // node:tls: 'secureConnect' / 'secureConnection' come from the first 'secure' listener
      // (registered by connect() / the Server), so before the application's 'secure' listeners.
      this.emit('_secureEstablished');
      this.emit('secure');
      emitSession();
      // Writes made during the handshake went out with its end (the engine's held data).
      const cbs = this.secureCallbacks;
      if (cbs !== undefined) {
        this.secureCallbacks = undefined;
        for (const c of cbs) c();
      }
      return;
    }
    this.renegotiations++;
    emitSession();
    // Back to ordinary backpressure if the reader fell behind during the renegotiation.
    if (this.readableLength >= this.readableHighWaterMark) this.applyBackpressure();
    const cipher = this.getCipher();
    this.emit('renegotiated', { cipher, initiator, authorized: this.authorized });
    if (initiator === 'local' && this.renegotiateCallback) {
      const rc = this.renegotiateCallback;
      this.renegotiateCallback = undefined;
      rc(null);
      if (this.rejectAfterRenegotiation && !this.authorized) this.destroy();
    }
    this.releaseJoinedRenegotiation(null);
  }

  private releaseJoinedRenegotiation(err: Error | null): void {
    const cbs = this.joinedRenegotiation;
    if (cbs === undefined) return;
    this.joinedRenegotiation = undefined;
    for (const cb of cbs) cb(err);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}

/** Where a burst of writes is joined for the engine to seal (SecureDuplex.joined; one for every
 *  connection: the engine is done with it when write() returns), made at the first burst. */
const JOIN_SCRATCH_BYTES = 64 * 1024;
let JOIN_SCRATCH: Buffer | undefined;

/** The callback of a write that flushWrites completed early. */
function ignoreCompletion(): void {}


export { pemBlocks };
