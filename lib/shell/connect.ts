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
  /** DTLS: path MTU, retransmission timers, handshake timeout, reassembly bound. */
  dtls?: import('../engine/dtls/dtls-channel.js').DtlsChannelOptions extends infer O ? Omit<O, 'role' | 'now' | 'epoch0Seq' | 'reassemblyAccount'> : never;
  /** DTLS: SO_RCVBUF / SO_SNDBUF of the UDP socket we make (node:dgram createSocket options). */
  recvBufferSize?: number;
  sendBufferSize?: number;
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
  /** Smallest DHE prime accepted from the server, in bits (node:tls minDHSize); default 2048. */
  minDHSize?: number;
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
  /** node:tls/net `signal`: aborting it destroys the socket with an AbortError. */
  signal?: AbortSignal;
}

export function connect(options: ConnectOptions, callback?: () => void): SecureDuplex;
export function connect(port: number, host?: string, options?: ConnectOptions, callback?: () => void): SecureDuplex;
export function connect(port: number, options?: ConnectOptions, callback?: () => void): SecureDuplex;
export function connect(path: string, options?: ConnectOptions, callback?: () => void): SecureDuplex;
export function connect(...args: unknown[]): SecureDuplex {
  const { options: given, callback } = connectArgs(args);
  const options = rejectUnauthorizedDefault(applySecureContext(given));
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
  const signal = options.signal;
  if (signal) {
    // node: net.Socket's `signal` (addAbortSignal): aborting destroys the socket.
    const abort = (): void => { tlsSocket.destroy(abortError(signal.reason)); };
    if (signal.aborted) abort();
    else {
      signal.addEventListener('abort', abort, { once: true });
      tlsSocket.once('close', () => signal.removeEventListener('abort', abort));
    }
  }
  return tlsSocket;
}

/**
 * tls.connect()'s argument forms, as node reads them (net's normalizeArgs, then the first
 * object among the 2nd and 3rd arguments is merged in, overriding host/port): (options[, cb]),
 * (port[, host][, options][, cb]), (path[, options][, cb]) where path is a string that is not
 * a number; the callback is the last argument when it is a function.
 */
export function connectArgs(args: unknown[]): { options: ConnectOptions; callback: (() => void) | undefined } {
  const last = args[args.length - 1];
  const callback = typeof last === 'function' ? (last as () => void) : undefined;
  const [first, second, third] = args;
  let options: ConnectOptions;
  if (first !== null && typeof first === 'object') {
    options = { ...(first as ConnectOptions) };
  } else if (typeof first === 'string' && !/^\d+$/.test(first)) {
    options = { path: first };
  } else {
    options = { port: first as number };
    if (typeof second === 'string') options.host = second;
  }
  if (first === null || typeof first !== 'object') {
    if (second !== null && typeof second === 'object') Object.assign(options, second);
    else if (third !== null && typeof third === 'object') Object.assign(options, third);
  }
  if (typeof options.port === 'string') options.port = Number(options.port);
  return { options, callback };
}

/** node:tls: NODE_TLS_REJECT_UNAUTHORIZED=0 makes rejectUnauthorized default to false (with
 *  node's warning, once). */
let insecureWarned = false;
function rejectUnauthorizedDefault(options: ConnectOptions): ConnectOptions {
  if (options.rejectUnauthorized !== undefined || process.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0') return options;
  if (!insecureWarned) {
    insecureWarned = true;
    process.emitWarning("Setting the NODE_TLS_REJECT_UNAUTHORIZED environment variable to '0' makes TLS connections and HTTPS requests insecure by disabling certificate verification.");
  }
  return { ...options, rejectUnauthorized: false };
}

/** node's AbortError for the `signal` option. */
function abortError(reason: unknown): Error {
  return Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** The net.connect() options of tls.connect() that reach the TCP socket we make. */
function netConnectOptions(o: ConnectOptions, host: string): NetConnectOpts {
  const common = { noDelay: o.noDelay, keepAlive: o.keepAlive, keepAliveInitialDelay: o.keepAliveInitialDelay };
  if (o.path) return { path: o.path, ...common }; // as net.connect: a falsy path (http.Agent passes null) means host:port
  return {
    host, port: o.port ?? 443, family: o.family, localAddress: o.localAddress, localPort: o.localPort, lookup: o.lookup, ...common,
  };
}
