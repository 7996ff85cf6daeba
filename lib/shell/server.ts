// createServer(): the server side, mirroring tls.createServer(). A net.Server whose
// connections are wrapped in SecureDuplex; 'secureConnection' once the handshake completes,
// 'tlsClientError' when it fails.
import { Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EngineOptions } from '../engine/engine.js';
import type { SecureContextOptions } from './secure-context.js';
import { buildEngineOptions } from './engine-options.js';
import { SecureDuplex } from './secure-duplex.js';

export interface ServerOptions extends SecureContextOptions {
  requestCert?: boolean;
  allowHalfOpen?: boolean;
  handshakeTimeout?: number;
  pauseOnConnect?: boolean;
}

export class Server extends NetServer {
  private engineOptions: EngineOptions;
  private readonly tlsOptions: ServerOptions;

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

  /** Wrap an accepted transport (any Duplex) as this server would. */
  wrap(socket: Duplex): SecureDuplex {
    const tlsSocket = new SecureDuplex(socket, {
      isServer: true,
      engine: this.engineOptions,
      allowHalfOpen: this.tlsOptions.allowHalfOpen,
      handshakeTimeout: this.tlsOptions.handshakeTimeout,
    });
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
}

function serverEngineOptions(options: ServerOptions): EngineOptions {
  return buildEngineOptions(options, {
    role: 'server',
    requestCert: options.requestCert === true,
    // node:tls: a server rejects unauthorized client certificates only when requestCert is set.
    rejectUnauthorized: options.rejectUnauthorized !== false,
  });
}

export function createServer(options?: ServerOptions, listener?: (socket: SecureDuplex) => void): Server;
export function createServer(listener?: (socket: SecureDuplex) => void): Server;
export function createServer(a?: ServerOptions | ((socket: SecureDuplex) => void), b?: (socket: SecureDuplex) => void): Server {
  return typeof a === 'function' ? new Server({}, a) : new Server(a ?? {}, b);
}
