// Two connected in-memory Duplex streams (what stream.duplexPair() is in Node 22), for running
// TLS over something that is not a socket.
import { Duplex } from 'node:stream';

class End extends Duplex {
  other: End | undefined;
  override _read(): void {
    this.other?.emit('pulled');
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const other = this.other!;
    if (other.push(chunk)) cb();
    else other.once('pulled', () => cb());
  }
  override _final(cb: () => void): void {
    this.other!.push(null);
    cb();
  }
}

export function duplexPair(): [Duplex, Duplex] {
  const a = new End();
  const b = new End();
  a.other = b;
  b.other = a;
  return [a, b];
}
