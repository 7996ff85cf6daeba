// A queue of received byte chunks from which whole records are cut without concatenating
// every chunk: a record that lies inside one chunk is returned as a view of it (no copy).

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // read offset into chunks[0]
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Byte at position i from the front (i < length). */
  peek(i: number): number {
    let idx = 0;
    let off = this.head + i;
    while (off >= this.chunks[idx]!.length) {
      off -= this.chunks[idx]!.length;
      idx++;
    }
    return this.chunks[idx]![off]!;
  }

  /** Remove and return the first n bytes (n <= length). */
  take(n: number): Uint8Array {
    return this.takeInto(n, undefined);
  }

  /** take(), but bytes that span chunks are copied into `scratch` (when it is large enough)
   *  rather than a new buffer: for a caller done with them before the next take. */
  takeInto(n: number, scratch: Uint8Array | undefined): Uint8Array {
    if (n === 0) return new Uint8Array(0); // a zero-length record at the end of the input
    const first = this.chunks[0]!;
    if (first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.advance(n);
      return out;
    }
    const out = scratch !== undefined && scratch.length >= n ? scratch.subarray(0, n) : new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length - this.head, n - filled);
      out.set(c.subarray(this.head, this.head + part), filled);
      filled += part;
      this.advance(part);
    }
    return out;
  }

  private advance(n: number): void {
    this.head += n;
    this.total -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.total = 0;
  }
}
