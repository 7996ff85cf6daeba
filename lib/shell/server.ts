// createServer(): the server side, mirroring tls.createServer(). A net.Server whose
// connections are wrapped in SecureDuplex; 'secureConnection' once the handshake completes,
// 'tlsClientError' when it fails.
import { Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EngineOptions } from '../engine/engine.js';
import type { LocalIdentity } from '../engine/config.js';
import { TlsError } from '../errors.js';
import { toSecureContext, type SecureContext, type SecureContextOptions } from './secure-context.js';
import { buildEngineOptions } from './engine-options.js';
import { SecureDuplex } from './secure-duplex.js';
import { DtlsServer, type DtlsServerOptions } from '../transport/dtls-server.js';
import type { ConnectOptions } from './connect.js';

/**
 * node:tls SNICallback: called with the client's SNI name (only when it sent one); answer with a
 * SecureContext (createSecureContext()) or options for one, or nothing for the default
 * certificate. `this` is the connection. The answer may come later: the ClientHello waits.
 */
export type SNICallback = (
  this: SecureDuplex,
  servername: string,
  cb: (err: Error | null, ctx?: SecureContext | SecureContextOptions | null) => void,
) => void;

export interface ServerOptions extends SecureContextOptions, DtlsServerOptions {
  /** 'tcp' (TLS, default) or 'udp' (DTLS 1.2: createServer returns a DtlsServer). */
  transport?: 'tcp' | 'udp';
  /** DTLS: path MTU, retransmission timers, handshake timeout, invalid-record limit. */
  dtls?: ConnectOptions['dtls'];
  requestCert?: boolean;
  allowHalfOpen?: boolean;
  handshakeTimeout?: number;
  pauseOnConnect?: boolean;
  /** Choose the certificate by SNI name (replaces the addContext() lookup, as in node:tls). */
  SNICallback?: SNICallback;
}

export class Server extends NetServer {
  private engineOptions: EngineOptions;
  private readonly tlsOptions: ServerOptions;
  /** addContext() entries: host-name pattern → context; the last match wins (node:tls). */
  private readonly contexts: [RegExp, SecureContext][] = [];

  constructor(options: ServerOptions = {}, listener?: (socket: SecureDuplex) => void) {
    super({ allowHalfOpen: true, pauseOnConnect: options.pauseOnConnect });
    this.tlsOptions = options;
    this.engineOptions = serverEngineOptions(options);
    if (listener) this.on('secureConnection', listener);
    this.on('connection', (socket: Socket) => { this.wrap(socket); });
  }

  /** node:tls setSecureContext(): new connections use the new options. */
  setSecureContext(options: ServerOptions): void {
    this.engineOptions = serverEngineOptions({ ...this.tlsOptions, ...options });
  }

  /**
   * node:tls addContext(): clients whose SNI name matches `hostname` ('*' matches one label, as
   * in node) get this context's certificate. Without an SNICallback option.
   */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    if (!hostname) throw new TlsError('ERR_TLS_REQUIRED_SERVER_NAME', '"servername" is required parameter for Server.addContext');
    const pattern = hostname.replace(/([.^$+?\-\\[\]{}])/g, '\\$1').replaceAll('*', '[^.]*');
    this.contexts.push([new RegExp(`^${pattern}$`), toSecureContext(context)]);
  }

  /** Wrap an accepted transport (any Duplex) as this server would. */
  wrap(socket: Duplex): SecureDuplex {
    const sni = this.tlsOptions.SNICallback;
    const bySni = sni !== undefined || this.contexts.length > 0;
    const tlsSocket: SecureDuplex = new SecureDuplex(socket, {
      isServer: true,
      engine: this.engineOptions,
      allowHalfOpen: this.tlsOptions.allowHalfOpen,
      handshakeTimeout: this.tlsOptions.handshakeTimeout,
      resolveIdentities: bySni ? (name, cb) => this.resolveSni(tlsSocket, name, cb) : undefined,
    });
    tlsSocket.on('keylog', (line: Buffer) => this.emit('keylog', line, tlsSocket));
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

  private resolveSni(
    tlsSocket: SecureDuplex,
    servername: string,
    cb: (err: Error | null, identities?: readonly LocalIdentity[]) => void,
  ): void {
    const sni = this.tlsOptions.SNICallback;
    if (sni) {
      sni.call(tlsSocket, servername, (err, ctx) => {
        if (err) return cb(err);
        if (ctx === undefined || ctx === null) return cb(null);
        let resolved: SecureContext;
        try {
          resolved = toSecureContext(ctx);
        } catch (e) {
          return cb(e as Error);
        }
        cb(null, resolved.identities);
      });
      return;
    }
    for (let i = this.contexts.length - 1; i >= 0; i--) {
      const [pattern, context] = this.contexts[i]!;
      if (pattern.test(servername)) return cb(null, context.identities);
    }
    cb(null);
  }
}

function serverEngineOptions(options: ServerOptions): EngineOptions {
  return buildEngineOptions(options, {
    role: 'server',
    requestCert: options.requestCert === true,
    // node:tls: a server rejects unauthorized client certificates only when requestCert is set.
    rejectUnauthorized: options.rejectUnauthorized !== false,
  });
}

export function createServer(options: ServerOptions & { transport: 'udp' }, listener?: (socket: SecureDuplex) => void): DtlsServer;
export function createServer(options?: ServerOptions, listener?: (socket: SecureDuplex) => void): Server;
export function createServer(listener?: (socket: SecureDuplex) => void): Server;
export function createServer(a?: ServerOptions | ((socket: SecureDuplex) => void), b?: (socket: SecureDuplex) => void): Server | DtlsServer {
  if (typeof a === 'object' && a.transport === 'udp') {
    const opts = a;
    const engine = { ...serverEngineOptions(opts), transport: 'dtls' as const, dtls: opts.dtls };
    return new DtlsServer(() => engine, opts, b);
  }
  return typeof a === 'function' ? new Server({}, a) : new Server(a ?? {}, b);
}
