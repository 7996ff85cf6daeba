// connect(): the client side, mirroring tls.connect().
import { connect as netConnect, type NetConnectOpts } from 'node:net';
import type { Duplex } from 'node:stream';
import { applySecureContext, type SecureContext, type SecureContextOptions } from './secure-context.js';
import { clientEngineOptions } from './engine-options.js';
import { SecureDuplex, tlsSocketHalfOpen } from './secure-duplex.js';
import { connectUdp } from './connect-udp.js';

export interface ConnectOptions extends SecureContextOptions {
  /** 'tcp' (TLS, default) or 'udp' (DTLS 1.2). */
  transport?: 'tcp' | 'udp';
  /** DTLS: path MTU, retransmission timers, handshake timeout, invalid-record limit. */
  dtls?: import('../engine/dtls/dtls-channel.js').DtlsChannelOptions extends infer O ? Omit<O, 'role' | 'now' | 'epoch0Seq'> : never;
  host?: string;
  port?: number;
  /** An existing transport (net.Socket or any Duplex) to run TLS over, as in tls.connect. */
  socket?: Duplex | import('node:dgram').Socket;
  /** SNI name and certificate name (default: host, unless host is an IP address). */
  servername?: string;
  checkServerIdentity?: (host: string, cert: object) => Error | undefined;
  allowHalfOpen?: boolean;
  handshakeTimeout?: number;
  /** A session to resume (a Buffer from getSession() or the 'session' event). */
  session?: Uint8Array;
  /** Ask the server for an OCSP staple (RFC 6066 status_request); 'OCSPResponse' tells. */
  requestOCSP?: boolean;
  /** node:tls pskCallback: the key and identity for the server's psk_identity_hint (null when
   *  none); return null to abort. PSK suites also need `ciphers` to name them (e.g. 'PSK'). */
  pskCallback?: (hint: string | null) => { psk: Uint8Array; identity: string } | null | undefined;
  /** A SecureContext from createSecureContext(): replaces the context options (cert, key, ca,
   *  ciphers, ...) given here, as in node:tls. */
  secureContext?: SecureContext;
  /** Passed to net.connect when we make the socket (`path`: a Unix socket instead of host:port). */
  family?: number;
  localAddress?: string;
  localPort?: number;
  path?: string | null;
  lookup?: import('node:net').TcpSocketConnectOpts['lookup'];
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  timeout?: number;
  /** Readable highWaterMark of the TLS socket (node:tls: of the socket it makes). */
  highWaterMark?: number;
}

export function connect(options: ConnectOptions, callback?: () => void): SecureDuplex;
export function connect(port: number, host?: string, options?: ConnectOptions, callback?: () => void): SecureDuplex;
export function connect(...args: unknown[]): SecureDuplex {
  let options: ConnectOptions;
  let callback: (() => void) | undefined;
  if (typeof args[0] === 'number') {
    const [port, host, rest, cb] = args as [number, string | ConnectOptions | (() => void) | undefined, unknown, unknown];
    if (typeof host === 'object') {
      options = { ...host, port };
      callback = rest as (() => void) | undefined;
    } else if (typeof host === 'function') {
      options = { port };
      callback = host;
    } else {
      options = { ...((rest as ConnectOptions) ?? {}), port, host };
      callback = (typeof rest === 'function' ? rest : cb) as (() => void) | undefined;
    }
  } else {
    options = (args[0] as ConnectOptions) ?? {};
    callback = args[1] as (() => void) | undefined;
  }
  options = applySecureContext(options);
  if (options.transport === 'udp') return connectUdp(options, callback);
  const host = options.host ?? 'localhost';
  const engine = clientEngineOptions(options, host);
  const transport: Duplex = (options.socket as Duplex | undefined) ?? netConnect(netConnectOptions(options, host));
  const tlsSocket = new SecureDuplex(transport, {
    isServer: false,
    engine,
    // node:tls: a socket given as `socket` keeps its own allowHalfOpen.
    allowHalfOpen: tlsSocketHalfOpen(options.socket as Duplex | undefined, options.allowHalfOpen),
    connectOptions: { host: options.host, port: options.port, path: options.path, localAddress: options.localAddress },
    handshakeTimeout: options.handshakeTimeout,
    highWaterMark: options.highWaterMark,
  });
  tlsSocket.once('_secureEstablished', () => {
    if (!tlsSocket.authorized && options.rejectUnauthorized === false) {
      // node:tls: with rejectUnauthorized false the connection proceeds; authorizationError tells why.
    }
    tlsSocket.emit('secureConnect');
  });
  if (callback) tlsSocket.once('secureConnect', callback);
  if (options.enableTrace) tlsSocket.enableTrace();
  // node:tls: `timeout` is set on a socket connect() creates itself.
  if (options.timeout !== undefined && !options.socket) tlsSocket.setTimeout(options.timeout);
  tlsSocket.startWhenConnected();
  return tlsSocket;
}

/** The net.connect() options of tls.connect() that reach the TCP socket we make. */
function netConnectOptions(o: ConnectOptions, host: string): NetConnectOpts {
  const common = { noDelay: o.noDelay, keepAlive: o.keepAlive, keepAliveInitialDelay: o.keepAliveInitialDelay };
  if (o.path) return { path: o.path, ...common }; // as net.connect: a falsy path (http.Agent passes null) means host:port
  return {
    host, port: o.port ?? 443, family: o.family, localAddress: o.localAddress, localPort: o.localPort, lookup: o.lookup, ...common,
  };
}
