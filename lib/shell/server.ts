// createServer(): the server side, mirroring tls.createServer(). A net.Server whose
// connections are wrapped in SecureDuplex; 'secureConnection' once the handshake completes,
// 'tlsClientError' when it fails.
import { Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from './secure-context.js';
import type { SNICallback } from './sni.js';
import { ServerContext, withServerContext } from './server-context.js';
import { SecureDuplex } from './secure-duplex.js';
import { DtlsServer, type DtlsServerOptions } from './dtls-server.js';
import type { ConnectOptions } from './connect.js';
import type { EmitArgs, Listener } from './typed-events.js';

export interface ServerOptions extends SecureContextOptions, DtlsServerOptions {
  /** 'tcp' (TLS, default) or 'udp' (DTLS 1.2: createServer returns a DtlsServer). */
  transport?: 'tcp' | 'udp';
  /** DTLS: path MTU, retransmission timers, handshake timeout, reassembly bound per peer. */
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

/** The events of a Server and their listeners' arguments (node:tls Server's and net.Server's). */
export interface ServerEvents {
  secureConnection: [tlsSocket: SecureDuplex];
  tlsClientError: [err: Error, tlsSocket: SecureDuplex];
  keylog: [line: Buffer, tlsSocket: SecureDuplex];
  newSession: [sessionId: Buffer, sessionData: Buffer, callback: () => void];
  resumeSession: [sessionId: Buffer, callback: (err: Error | null, sessionData?: Uint8Array | null) => void];
  OCSPRequest: [certificate: Buffer, issuer: Buffer | null, callback: (err: Error | null, response?: Uint8Array | null) => void];
  connection: [socket: Socket];
  listening: [];
  close: [];
  error: [err: Error];
}

// Typed on()/once()/emit()... for the events above (declaration merging with the class).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Server {
  on<E extends string | symbol>(event: E, listener: Listener<ServerEvents, E>): this;
  once<E extends string | symbol>(event: E, listener: Listener<ServerEvents, E>): this;
  addListener<E extends string | symbol>(event: E, listener: Listener<ServerEvents, E>): this;
  prependListener<E extends string | symbol>(event: E, listener: Listener<ServerEvents, E>): this;
  prependOnceListener<E extends string | symbol>(event: E, listener: Listener<ServerEvents, E>): this;
  off<E extends string | symbol>(event: E, listener: Listener<ServerEvents, E>): this;
  removeListener<E extends string | symbol>(event: E, listener: Listener<ServerEvents, E>): this;
  emit<E extends string | symbol>(event: E, ...args: EmitArgs<ServerEvents, E>): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Server extends withServerContext(NetServer) {
  /** Options, engine options, session cache and ticket keys, SNI choice (shared with DtlsServer). */
  override readonly context: ServerContext;

  constructor(options: ServerOptions = {}, listener?: (socket: SecureDuplex) => void) {
    // node:tls: server.allowHalfOpen is the option (default false), and so is its sockets'.
    super({
      allowHalfOpen: options.allowHalfOpen === true,
      pauseOnConnect: options.pauseOnConnect,
      noDelay: options.noDelay,
      keepAlive: options.keepAlive,
      keepAliveInitialDelay: options.keepAliveInitialDelay,
      highWaterMark: options.highWaterMark,
    });
    this.context = new ServerContext(options, this);
    if (listener) this.on('secureConnection', listener);
    this.on('connection', (socket: Socket) => {
      // The TCP socket itself stays half-open: a FIN (or close_notify) ends the TLS socket's
      // readable side, and the TLS socket decides (its allowHalfOpen) when to end the rest.
      socket.allowHalfOpen = true;
      this.wrap(socket);
    });
  }

  /** Wrap an accepted transport (any Duplex) as this server would. */
  wrap(socket: Duplex): SecureDuplex {
    const tlsSocket: SecureDuplex = new SecureDuplex(socket, this.context.connectionOptions(() => tlsSocket));
    this.context.watch(tlsSocket);
    return tlsSocket;
  }
}

export function createServer(options: ServerOptions & { transport: 'udp' }, listener?: (socket: SecureDuplex) => void): DtlsServer;
export function createServer(options?: ServerOptions, listener?: (socket: SecureDuplex) => void): Server;
export function createServer(listener?: (socket: SecureDuplex) => void): Server;
export function createServer(a?: ServerOptions | ((socket: SecureDuplex) => void), b?: (socket: SecureDuplex) => void): Server | DtlsServer {
  if (typeof a === 'object' && a.transport === 'udp') return new DtlsServer(a, b);
  return typeof a === 'function' ? new Server({}, a) : new Server(a ?? {}, b);
}
