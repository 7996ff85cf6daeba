// createServer(): the server side, mirroring tls.createServer(). A net.Server whose
// connections are wrapped in SecureDuplex; 'secureConnection' once the handshake completes,
// 'tlsClientError' when it fails.
import { Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { LocalIdentity } from '../engine/config.js';
import type { SessionStore } from '../engine/handshake/session-store.js';
import { decodeSession, encodeSession, type SessionState } from '../engine/handshake/session.js';
import type { ClientHelloInfo } from './handshake-sniffer.js';
import { findTrustedIssuer } from '../crypto/certificate-verifier.js';
import type { SecureContext, SecureContextOptions } from './secure-context.js';
import type { SNICallback } from './sni.js';
import { ServerContext } from './server-context.js';
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

export class Server extends NetServer {
  /** Options, engine options, session cache and ticket keys, SNI choice (shared with DtlsServer). */
  private readonly context: ServerContext;

  constructor(options: ServerOptions = {}, listener?: (socket: SecureDuplex) => void) {
    super({
      allowHalfOpen: true,
      pauseOnConnect: options.pauseOnConnect,
      noDelay: options.noDelay,
      keepAlive: options.keepAlive,
      keepAliveInitialDelay: options.keepAliveInitialDelay,
      highWaterMark: options.highWaterMark,
    });
    this.context = new ServerContext(options);
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

  /** node:tls setTicketKeys() (the previous keys still open tickets: ServerContext). */
  setTicketKeys(keys: Uint8Array): void {
    this.context.setTicketKeys(keys);
  }

  /** node:tls addContext(). */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    this.context.addContext(hostname, context);
  }

  /** Wrap an accepted transport (any Duplex) as this server would. */
  wrap(socket: Duplex): SecureDuplex {
    const bySni = this.context.sni.active;
    // As in node:tls, 'resumeSession' and 'OCSPRequest' listeners count for connections
    // accepted after they were added.
    const external = this.listenerCount('resumeSession') > 0;
    const stapling = this.listenerCount('OCSPRequest') > 0;
    const tlsSocket: SecureDuplex = new SecureDuplex(socket, {
      isServer: true,
      engine: stapling ? { ...this.context.engineOptions, ocspStapling: true } : this.context.engineOptions,
      onOcspRequest: stapling ? (chain, cb) => this.emitOcspRequest(chain, cb) : undefined,
      allowHalfOpen: this.context.options.allowHalfOpen,
      handshakeTimeout: this.context.options.handshakeTimeout,
      highWaterMark: this.context.options.highWaterMark,
      onClientHello: bySni || external ? (hello, cb) => this.onClientHello(tlsSocket, hello, bySni, external, cb) : undefined,
    });
    // As node:tls, Server 'keylog' listeners count for connections accepted after they were
    // added (a socket without keylog listeners formats no lines).
    if (this.listenerCount('keylog') > 0) tlsSocket.on('keylog', (line: Buffer) => this.emit('keylog', line, tlsSocket));
    if (this.context.options.enableTrace) tlsSocket.enableTrace();
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
      if (bySni && hello.servername !== undefined) this.context.sni.resolve(tlsSocket, hello.servername, cb);
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
    const ca = this.context.options.ca;
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
  if (typeof a === 'object' && a.transport === 'udp') return new DtlsServer(a, b);
  return typeof a === 'function' ? new Server({}, a) : new Server(a ?? {}, b);
}
