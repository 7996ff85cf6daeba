// connect({ transport: 'udp' }): DTLS 1.2 over a dgram socket (or over a message-oriented
// Duplex given as `socket`, one chunk per datagram).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { DatagramDuplex } from '../transport/datagram-duplex.js';
import type { ConnectOptions } from './connect.js';
import { clientEngineOptions } from './engine-options.js';
import { SecureDuplex } from './secure-duplex.js';

function isUdpSocket(s: unknown): s is UdpSocket {
  return typeof (s as UdpSocket | undefined)?.send === 'function' && typeof (s as UdpSocket).bind === 'function';
}

export function connectUdp(options: ConnectOptions, callback?: () => void): SecureDuplex {
  const host = options.host ?? 'localhost';
  const port = options.port ?? 4433;
  const engine = { ...clientEngineOptions(options, host), transport: 'dtls' as const, dtls: options.dtls };
  let transport: Duplex;
  let ready: (go: () => void) => void;
  const given = options.socket as unknown;
  if (given !== undefined && !isUdpSocket(given)) {
    // A message-oriented Duplex: one chunk per datagram.
    transport = given as Duplex;
    ready = (go) => process.nextTick(go);
  } else {
    const sock: UdpSocket = isUdpSocket(given) ? given : createSocket({
      type: isIP(host) === 6 ? 'udp6' : 'udp4',
      recvBufferSize: options.recvBufferSize,
      sendBufferSize: options.sendBufferSize,
    });
    const dd = new DatagramDuplex((d) => sock.send(d), sock);
    sock.on('message', (m) => dd.deliver(m));
    sock.on('error', (e) => {
      // Once either side has closed (close_notify, RFC 5246 §7.2.1) an ICMP port unreachable,
      // e.g. answering our close_notify after the peer has exited, ends the connection quietly:
      // nothing further was to be exchanged.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ECONNREFUSED' && (tlsSocket.readableEnded || tlsSocket.writableEnded)) dd.destroy();
      else dd.destroy(e);
    });
    dd.once('close', () => { try { sock.close(); } catch { /* already closed */ } });
    transport = dd;
    ready = (go) => sock.connect(port, host, () => {
      Object.assign(dd, { remoteAddress: sock.remoteAddress().address, remotePort: sock.remoteAddress().port });
      go();
    });
  }
  const tlsSocket = new SecureDuplex(transport, {
    isServer: false,
    engine,
    allowHalfOpen: options.allowHalfOpen,
    handshakeTimeout: options.handshakeTimeout,
  });
  tlsSocket.once('_secureEstablished', () => tlsSocket.emit('secureConnect'));
  if (callback) tlsSocket.once('secureConnect', callback);
  if (options.enableTrace) tlsSocket.enableTrace();
  ready(() => tlsSocket.startHandshake());
  return tlsSocket;
}
