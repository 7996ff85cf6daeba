// createServer(): the server side, mirroring tls.createServer(). A net.Server whose
// connections are wrapped in SecureDuplex; 'secureConnection' once the handshake completes,
// 'tlsClientError' when it fails.
import { Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EngineOptions } from '../engine/engine.js';
import type { LocalIdentity } from '../engine/config.js';
import { TlsError, ErrorCode } from '../errors.js';
import { SessionStore, TICKET_KEYS_LENGTH } from '../engine/handshake/session-store.js';
import { decodeSession, encodeSession, type SessionState } from '../engine/handshake/session.js';
import type { ClientHelloInfo } from './handshake-sniffer.js';
import { findTrustedIssuer } from '../crypto/certificate-verifier.js';
import type { SecureContext, SecureContextOptions } from './secure-context.js';
import { SniSelector, type SNICallback } from './sni.js';
import { serverEngineOptions, ticketsEnabled } from './engine-options.js';
import { SecureDuplex } from './secure-duplex.js';
import { DtlsServer, type DtlsServerOptions } from '../transport/dtls-server.js';
import type { ConnectOptions } from './connect.js';

export interface ServerOptions extends SecureContextOptions, DtlsServerOptions {
  /** 'tcp' (TLS, default) or 'udp' (DTLS 1.2: createServer returns a DtlsServer). */
  transport?: 'tcp' | 'udp';
  /** DTLS: path MTU, retransmission timers, handshake timeout, invalid-record limit. */
  dtls?: ConnectOptions['dtls'];
  requestCert?: boolean;
  allowHalfOpen?: boolean;
  handshakeTimeout?: number;
  pauseOnConnect?: boolean;
  /** net.Server options for the accepted TCP sockets; highWaterMark also for the TLS sockets. */
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
  /** Choose the certificate by SNI name (replaces the addContext() lookup, as in node:tls). */
  SNICallback?: SNICallback;
  /** Seconds a session stays resumable, by session ID or ticket (node:tls default 300). */
  sessionTimeout?: number;
  /** 48 bytes: 16 key name + 32 key (node:tls ticketKeys); default random per server. */
  ticketKeys?: Uint8Array;
  /** node:tls ALPNCallback: pick one of the client's ALPN protocols, or return undefined to
   *  refuse the connection with a no_application_protocol alert. Not with ALPNProtocols. */
  ALPNCallback?: (args: { servername: string | undefined; protocols: string[] }) => string | undefined;
  /** node:tls pskCallback: the key for the client's PSK identity, or null/undefined to refuse it
   *  (unknown_psk_identity alert). PSK suites also need `ciphers` to name them (e.g. 'PSK'); a
   *  server without a certificate may serve them. */
  pskCallback?: (socket: SecureDuplex, identity: string) => Uint8Array | { psk: Uint8Array } | null | undefined;
  /** node:tls pskIdentityHint: RFC 4279 §2 psk_identity_hint sent to PSK clients (at most 256 bytes). */
  pskIdentityHint?: string;
}

function invalidArg(code: string, message: string): TlsError {
  return new TlsError(code, message);
}

/** node:tls checks of sessionTimeout and ticketKeys (same codes and wording). */
function checkSessionOptions(o: ServerOptions): void {
  const t = o.sessionTimeout;
  if (t !== undefined) {
    if (typeof t !== 'number') {
      throw invalidArg('ERR_INVALID_ARG_TYPE', `The "options.sessionTimeout" property must be of type number. Received type ${typeof t}`);
    }
    if (!Number.isInteger(t) || t < 0 || t > 2147483647) {
      throw invalidArg('ERR_OUT_OF_RANGE', `The value of "options.sessionTimeout" is out of range. It must be >= 0 && <= 2147483647. Received ${t}`);
    }
  }
  const k = o.ticketKeys;
  if (k !== undefined) {
    if (!(k instanceof Uint8Array)) {
      throw invalidArg('ERR_INVALID_ARG_TYPE', 'The "options.ticketKeys" property must be an instance of Buffer, TypedArray, or DataView.');
    }
    if (k.length !== TICKET_KEYS_LENGTH) {
      throw invalidArg(ErrorCode.INVALID_ARG, `The property 'options.ticketKeys' must be exactly 48 bytes. Received ${k.length}`);
    }
  }
}

/** One session-ID cache and set of ticket keys per server (docs/architecture.md, resumption). */
function makeSessionStore(o: ServerOptions, engine: EngineOptions): SessionStore {
  checkSessionOptions(o);
  return new SessionStore({
    provider: engine.provider,
    random: engine.random,
    now: engine.now,
    timeout: o.sessionTimeout,
    ticketKeys: o.ticketKeys,
    tickets: ticketsEnabled(o),
  });
}

export class Server extends NetServer {
  private engineOptions: EngineOptions;
  private readonly tlsOptions: ServerOptions;
  /** Session-ID cache and ticket keys shared by this server's connections. */
  readonly sessionStore: SessionStore;
  /** SNICallback / addContext(). */
  private readonly sni: SniSelector;

  constructor(options: ServerOptions = {}, listener?: (socket: SecureDuplex) => void) {
    super({
      allowHalfOpen: true,
      pauseOnConnect: options.pauseOnConnect,
      noDelay: options.noDelay,
      keepAlive: options.keepAlive,
      keepAliveInitialDelay: options.keepAliveInitialDelay,
      highWaterMark: options.highWaterMark,
    });
    this.tlsOptions = options;
    this.sni = new SniSelector(options.SNICallback);
    const engine = serverEngineOptions(options);
    this.sessionStore = makeSessionStore(options, engine);
    this.engineOptions = { ...engine, sessionStore: this.sessionStore };
    // node:tls 'newSession': each new session-ID session, for an external cache. Emitted on
    // the next tick (the engine is mid-handshake when it saves); the handshake does not wait.
    this.sessionStore.onSave = (state) => {
      if (this.listenerCount('newSession') === 0) return;
      const id = Buffer.from(state.sessionId);
      const data = Buffer.from(encodeSession(state));
      process.nextTick(() => this.emit('newSession', id, data, () => undefined));
    };
    if (listener) this.on('secureConnection', listener);
    this.on('connection', (socket: Socket) => { this.wrap(socket); });
  }

  /** node:tls setSecureContext(): new connections use the new options. */
  setSecureContext(options: ServerOptions): void {
    checkSessionOptions(options);
    const merged = { ...this.tlsOptions, ...options };
    // The session cache stays (sessions of the old context resume only with a suite the new
    // one allows); new sessionTimeout / ticketKeys apply from now on.
    if (options.sessionTimeout !== undefined) this.sessionStore.timeout = options.sessionTimeout;
    if (options.ticketKeys !== undefined) this.sessionStore.setTicketKeys(options.ticketKeys);
    this.sessionStore.tickets = ticketsEnabled(merged);
    this.engineOptions = { ...serverEngineOptions(merged), sessionStore: this.sessionStore };
  }

  /** node:tls getTicketKeys(): the current 48 bytes (16 name + 32 key). */
  getTicketKeys(): Buffer {
    return Buffer.from(this.sessionStore.getTicketKeys());
  }

  /**
   * node:tls setTicketKeys(): new keys for tickets issued from now on. Unlike node (which
   * forgets the old keys), the previous keys are kept for decryption: tickets issued under them
   * still resume, and are replaced by a ticket under the new keys (RFC 5077 §3.3).
   */
  setTicketKeys(keys: Uint8Array): void {
    if (!(keys instanceof Uint8Array)) {
      throw invalidArg('ERR_INVALID_ARG_TYPE', `The "buffer" argument must be an instance of Buffer, TypedArray, or DataView. Received type ${typeof keys}`);
    }
    if (keys.length !== TICKET_KEYS_LENGTH) {
      throw invalidArg(ErrorCode.INVALID_ARG, `Session ticket keys must be a ${TICKET_KEYS_LENGTH}-byte buffer. Received ${keys.length} bytes`);
    }
    this.sessionStore.setTicketKeys(keys);
  }

  /**
   * node:tls addContext(): clients whose SNI name matches `hostname` ('*' matches one label, as
   * in node) get this context's certificate. Without an SNICallback option.
   */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    this.sni.add(hostname, context);
  }

  /** Wrap an accepted transport (any Duplex) as this server would. */
  wrap(socket: Duplex): SecureDuplex {
    const bySni = this.sni.active;
    // As in node:tls, 'resumeSession' and 'OCSPRequest' listeners count for connections
    // accepted after they were added.
    const external = this.listenerCount('resumeSession') > 0;
    const stapling = this.listenerCount('OCSPRequest') > 0;
    const tlsSocket: SecureDuplex = new SecureDuplex(socket, {
      isServer: true,
      engine: stapling ? { ...this.engineOptions, ocspStapling: true } : this.engineOptions,
      onOcspRequest: stapling ? (chain, cb) => this.emitOcspRequest(chain, cb) : undefined,
      allowHalfOpen: this.tlsOptions.allowHalfOpen,
      handshakeTimeout: this.tlsOptions.handshakeTimeout,
      highWaterMark: this.tlsOptions.highWaterMark,
      onClientHello: bySni || external ? (hello, cb) => this.onClientHello(tlsSocket, hello, bySni, external, cb) : undefined,
    });
    tlsSocket.on('keylog', (line: Buffer) => this.emit('keylog', line, tlsSocket));
    if (this.tlsOptions.enableTrace) tlsSocket.enableTrace();
    const onError = (err: Error): void => {
      this.emit('tlsClientError', err, tlsSocket);
    };
    tlsSocket.once('error', onError);
    tlsSocket.once('_secureEstablished', () => {
      tlsSocket.removeListener('error', onError);
      this.emit('secureConnection', tlsSocket);
    });
    return tlsSocket;
  }

  /** The initial ClientHello, before the engine sees it: an offered session ID we do not
   *  hold goes to 'resumeSession' (node:tls external cache), then the SNI certificate choice. */
  private onClientHello(
    tlsSocket: SecureDuplex,
    hello: ClientHelloInfo,
    bySni: boolean,
    external: boolean,
    cb: (err: Error | null, identities?: readonly LocalIdentity[]) => void,
  ): void {
    const sni = (): void => {
      if (bySni && hello.servername !== undefined) this.sni.resolve(tlsSocket, hello.servername, cb);
      else cb(null);
    };
    // node:tls asks only for a session ID offered without a ticket.
    if (!external || hello.sessionId.length === 0 || hello.ticket || this.sessionStore.lookup(hello.sessionId)) return sni();
    let answered = false;
    this.emit('resumeSession', Buffer.from(hello.sessionId), (err: Error | null, data?: Uint8Array | null) => {
      if (answered) return;
      answered = true;
      if (err) return cb(err);
      if (data) this.loadSession(hello.sessionId, data);
      sni();
    });
  }

  /**
   * node:tls 'OCSPRequest' (certificate, issuer, callback): our leaf and its issuer (the next
   * certificate of our chain, else one from `ca` or the bundled roots; null when unknown, as
   * node), DER. `callback(err, response)`: a DER OCSPResponse to staple, or null for none.
   */
  private emitOcspRequest(chain: readonly Uint8Array[], cb: (err: Error | null, response?: Uint8Array | null) => void): void {
    const ca = this.tlsOptions.ca;
    const anchors = ca === undefined ? undefined : Array.isArray(ca) ? ca : [ca as string | Uint8Array];
    const issuer = chain[1] ?? findTrustedIssuer(chain[0]!, anchors);
    this.emit('OCSPRequest', Buffer.from(chain[0]!), issuer ? Buffer.from(issuer) : null, cb);
  }

  /** A session from 'resumeSession' (what 'newSession' gave): into the cache for this
   *  ClientHello. Unreadable data, or a session under another ID, means a full handshake. */
  private loadSession(id: Uint8Array, data: Uint8Array): void {
    let state: SessionState;
    try {
      state = decodeSession(data);
    } catch {
      return;
    }
    if (Buffer.compare(Buffer.from(state.sessionId), Buffer.from(id)) !== 0) return;
    this.sessionStore.save(state, false);
  }

}

export function createServer(options: ServerOptions & { transport: 'udp' }, listener?: (socket: SecureDuplex) => void): DtlsServer;
export function createServer(options?: ServerOptions, listener?: (socket: SecureDuplex) => void): Server;
export function createServer(listener?: (socket: SecureDuplex) => void): Server;
export function createServer(a?: ServerOptions | ((socket: SecureDuplex) => void), b?: (socket: SecureDuplex) => void): Server | DtlsServer {
  if (typeof a === 'object' && a.transport === 'udp') {
    const opts = a;
    const base = serverEngineOptions(opts);
    const engine = { ...base, transport: 'dtls' as const, dtls: opts.dtls, sessionStore: makeSessionStore(opts, base) };
    return new DtlsServer(() => engine, opts, b);
  }
  return typeof a === 'function' ? new Server({}, a) : new Server(a ?? {}, b);
}
