// A message-oriented Duplex over a datagram socket: each write() is one datagram, each
// readable chunk is one received datagram (object mode keeps the boundaries). SecureDuplex runs
// DTLS over it exactly as it runs TLS over a net.Socket.
import type { Socket as UdpSocket } from 'node:dgram';
import { Duplex } from 'node:stream';

/** Datagrams kept while the reader is paused; beyond this they are dropped, as UDP would. */
const MAX_QUEUED = 256;

export class DatagramDuplex extends Duplex {
  private readonly sendDatagram: (d: Buffer) => void;
  /** The client's own UDP socket when it has one (getRecvBufferSize() and the like). */
  readonly udpSocket: UdpSocket | undefined;

  constructor(send: (d: Buffer) => void, udpSocket?: UdpSocket) {
    super({ readableObjectMode: true, allowHalfOpen: true });
    this.sendDatagram = send;
    this.udpSocket = udpSocket;
  }

  /** A datagram arrived from the peer. */
  deliver(d: Buffer): void {
    if (this.destroyed || this.readableEnded) return;
    if (this.readableLength >= MAX_QUEUED) return;
    this.push(d);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.sendDatagram(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _final(cb: () => void): void {
    cb();
  }
}
