// What a TLS Server and a DtlsServer share: the options (node:tls setSecureContext()), the
// engine options every connection starts from, the session-ID cache and ticket keys
// (getTicketKeys() / setTicketKeys()), the SNI certificate choice (addContext()), and the
// server events of each connection ('keylog', 'newSession', 'resumeSession', 'OCSPRequest',
// 'tlsClientError', 'secureConnection').
import type { EventEmitter } from 'node:events';
import { findTrustedIssuer } from '../crypto/trust-store.js';
import type { LocalIdentity } from '../engine/config.js';
import type { EngineOptions } from '../engine/engine.js';
import { decodeSession, encodeSession, type SessionState } from '../engine/handshake/session.js';
import { SessionStore, TICKET_KEYS_LENGTH } from '../engine/handshake/session-store.js';
import { TlsError, ErrorCode, invalidArgType, outOfRange } from '../errors.js';
import { connectionConfig } from './connection-config.js';
import { serverEngineOptions, ticketsEnabled } from './engine-options.js';
import type { ClientHelloInfo } from '../engine/handshake/client-hello-info.js';
import type { SecureContext, SecureContextOptions } from './secure-context.js';
import type { SecureDuplex, SecureDuplexOptions } from './secure-duplex.js';
import type { ServerOptions } from './server.js';
import { SniSelector } from './sni.js';

/** node:tls checks of sessionTimeout and ticketKeys (same codes and wording). */
function checkSessionOptions(o: ServerOptions): void {
  if (o.SNICallback !== undefined && o.SNICallback !== null && typeof o.SNICallback !== 'function') {
    throw invalidArgType('options.SNICallback', 'of type function', o.SNICallback, 'property');
  }
  const t = o.sessionTimeout;
  if (t !== undefined) {
    // node: validateInt32(sessionTimeout, 'options.sessionTimeout', 0).
    if (typeof t !== 'number') throw invalidArgType('options.sessionTimeout', 'of type number', t, 'property');
    if (!Number.isInteger(t)) throw outOfRange('options.sessionTimeout', 'an integer', t);
    if (t < 0 || t > 2147483647) throw outOfRange('options.sessionTimeout', '>= 0 && <= 2147483647', t);
  }
  const k = o.ticketKeys;
  if (k !== undefined) {
    if (!(k instanceof Uint8Array)) {
      throw invalidArgType('options.ticketKeys', 'an instance of Buffer, TypedArray, or DataView', k, 'property');
    }
    if (k.length !== TICKET_KEYS_LENGTH) {
      // node: ERR_INVALID_ARG_VALUE, a TypeError.
      throw Object.assign(new TypeError(`The property 'options.ticketKeys' must be exactly 48 bytes. Received ${k.length}`), { code: ErrorCode.INVALID_ARG });
    }
  }
}

export class ServerContext {
  /** The options as given, merged with every setSecureContext() since. Private (#): they hold
   *  the private key, passphrase and ticket keys, which util.inspect / JSON.stringify must not
   *  show. */
  #options!: ServerOptions;

  get options(): ServerOptions {
    return this.#options;
  }

  set options(o: ServerOptions) {
    this.#options = o;
  }
  /** What each new connection's engine starts from. */
  engineOptions: EngineOptions;
  /** Session-ID cache and ticket keys shared by the server's connections. */
  readonly sessionStore: SessionStore;
  /** SNICallback / addContext(). */
  readonly sni: SniSelector;

  /** `server`: the Server or DtlsServer whose events these are. `transportOptions`: engine
   *  options of the transport (DTLS: transport and timers). */
  constructor(
    options: ServerOptions,
    private readonly server: EventEmitter,
    private readonly transportOptions: Partial<EngineOptions> = {},
  ) {
    checkSessionOptions(options);
    this.options = options;
    this.sni = new SniSelector(options.SNICallback);
    const engine = serverEngineOptions(options);
    this.sessionStore = new SessionStore({
      provider: engine.provider,
      random: engine.random,
      now: engine.now,
      timeout: options.sessionTimeout,
      ticketKeys: options.ticketKeys,
      tickets: ticketsEnabled(options),
    });
    this.engineOptions = { ...engine, ...transportOptions, sessionStore: this.sessionStore };
    // node:tls 'newSession': each new session-ID session, for an external cache. Emitted on
    // the next tick (the engine is mid-handshake when it saves); the handshake does not wait.
    this.sessionStore.onSave = (state) => {
      if (server.listenerCount('newSession') === 0) return;
      const id = Buffer.from(state.sessionId);
      const data = Buffer.from(encodeSession(state));
      process.nextTick(() => server.emit('newSession', id, data, () => undefined));
    };
  }

  /**
   * The SecureDuplex options of a new connection. As in node:tls, 'resumeSession' and
   * 'OCSPRequest' listeners count for connections accepted after they were added. `self` gives
   * the connection (SNICallback's `this`); `engineExtra` adds transport details.
   */
  connectionOptions(self: () => SecureDuplex, engineExtra: Partial<EngineOptions> = {}): SecureDuplexOptions {
    const bySni = this.sni.active;
    const external = this.server.listenerCount('resumeSession') > 0;
    const stapling = this.server.listenerCount('OCSPRequest') > 0;
    return {
      isServer: true,
      // The shared options themselves (the connection layers its own over them, never copies).
      engine: stapling || Object.keys(engineExtra).length > 0
        ? connectionConfig(this.engineOptions, stapling ? { ...engineExtra, ocspStapling: true } : engineExtra)
        : this.engineOptions,
      onOcspRequest: stapling ? (chain, cb) => this.emitOcspRequest(chain, cb) : undefined,
      allowHalfOpen: this.options.allowHalfOpen,
      handshakeTimeout: this.options.handshakeTimeout,
      highWaterMark: this.options.highWaterMark,
      onClientHello: bySni || external ? (hello, cb) => this.onClientHello(self(), hello, bySni, external, cb) : undefined,
    };
  }

  /** The server's events for a new connection: 'keylog' (when the server listens for it now),
   *  'tlsClientError' until the handshake completes, then 'secureConnection'. */
  watch(tlsSocket: SecureDuplex): void {
    const server = this.server;
    if (server.listenerCount('keylog') > 0) tlsSocket.on('keylog', (line: Buffer) => server.emit('keylog', line, tlsSocket));
    if (this.options.enableTrace) tlsSocket.enableTrace();
    const onError = (err: Error): void => {
      server.emit('tlsClientError', err, tlsSocket);
    };
    tlsSocket.once('error', onError);
    tlsSocket.once('_secureEstablished', () => {
      tlsSocket.removeListener('error', onError);
      server.emit('secureConnection', tlsSocket);
    });
  }

  /** The initial ClientHello, before the handshake acts on it: an offered session ID we do not
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
    this.server.emit('resumeSession', Buffer.from(hello.sessionId), (err: Error | null, data?: Uint8Array | null) => {
      if (answered) return;
      answered = true;
      if (err) return cb(err);
      if (data) this.loadSession(hello.sessionId, data);
      sni();
    });
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

  /**
   * node:tls 'OCSPRequest' (certificate, issuer, callback): our leaf and its issuer (the next
   * certificate of our chain, else one from `ca` or the bundled roots; null when unknown, as
   * node), DER. `callback(err, response)`: a DER OCSPResponse to staple, or null for none.
   */
  private emitOcspRequest(chain: readonly Uint8Array[], cb: (err: Error | null, response?: Uint8Array | null) => void): void {
    const ca = this.options.ca;
    const anchors = ca === undefined ? undefined : Array.isArray(ca) ? ca : [ca as string | Uint8Array];
    const issuer = chain[1] ?? findTrustedIssuer(chain[0]!, anchors);
    this.server.emit('OCSPRequest', Buffer.from(chain[0]!), issuer ? Buffer.from(issuer) : null, cb);
  }

  /** node:tls setSecureContext(): new connections use the new options. The session cache
   *  stays (sessions of the old context resume only with a suite the new one allows); new
   *  sessionTimeout / ticketKeys apply from now on. */
  setSecureContext(options: ServerOptions): void {
    checkSessionOptions(options);
    const merged = { ...this.options, ...options };
    const engine = serverEngineOptions(merged);
    if (options.sessionTimeout !== undefined) this.sessionStore.timeout = options.sessionTimeout;
    if (options.ticketKeys !== undefined) this.sessionStore.setTicketKeys(options.ticketKeys);
    this.sessionStore.tickets = ticketsEnabled(merged);
    this.options = merged;
    this.engineOptions = { ...engine, ...this.transportOptions, sessionStore: this.sessionStore };
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
      throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', keys);
    }
    if (keys.length !== TICKET_KEYS_LENGTH) {
      throw new TlsError(ErrorCode.INVALID_ARG, `Session ticket keys must be a ${TICKET_KEYS_LENGTH}-byte buffer. Received ${keys.length} bytes`);
    }
    this.sessionStore.setTicketKeys(keys);
  }

  /** node:tls addContext(): clients whose SNI name matches `hostname` ('*' matches one label,
   *  as in node) get this context's certificate. Without an SNICallback option. */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    this.sni.add(hostname, context);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ServerBase = new (...args: any[]) => EventEmitter;

/** The node:tls Server methods withServerContext() adds. */
export interface ContextServerMethods {
  /** Options, engine options, session cache and ticket keys, SNI choice (internal). */
  readonly context: ServerContext;
  /** Session-ID cache and ticket keys shared by this server's connections. */
  readonly sessionStore: SessionStore;
  setSecureContext(options: ServerOptions): void;
  getTicketKeys(): Buffer;
  setTicketKeys(keys: Uint8Array): void;
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void;
}

/**
 * The node:tls Server methods a ServerContext implements, added to `Base` (net.Server for the
 * TLS Server, EventEmitter for the DtlsServer). The subclass makes `context` in its
 * constructor. The return type is spelled out so that declaration files name the base class
 * instead of inlining its members.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withServerContext<B extends ServerBase>(Base: B): B & (abstract new (...args: any[]) => ContextServerMethods) {
  abstract class ContextServer extends Base {
    /** Options, engine options, session cache and ticket keys, SNI choice (internal). */
    abstract readonly context: ServerContext;

    /** Session-ID cache and ticket keys shared by this server's connections. */
    get sessionStore(): SessionStore {
      return this.context.sessionStore;
    }

    /** node:tls setSecureContext(): new connections use the new options. */
    setSecureContext(options: ServerOptions): void {
      this.context.setSecureContext(options);
    }

    /** node:tls getTicketKeys(). */
    getTicketKeys(): Buffer {
      return this.context.getTicketKeys();
    }

    /** node:tls setTicketKeys() (the previous keys still open tickets). */
    setTicketKeys(keys: Uint8Array): void {
      this.context.setTicketKeys(keys);
    }

    /** node:tls addContext(): clients whose SNI name matches `hostname` get this certificate. */
    addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
      this.context.addContext(hostname, context);
    }
  }
  return ContextServer;
}
