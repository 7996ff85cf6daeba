// One DTLS handshake message being reassembled from fragments (RFC 6347 §4.2.3). Fragments may
// arrive out of order, duplicated or overlapping; only bytes not yet held are kept, each as it
// arrives: the message costs what the peer actually sent, never the length its header claims.

/** Accounting overhead per stored piece (object and array slots), so that a flood of one-byte
 *  fragments is charged for what it really costs. */
export const PIECE_OVERHEAD = 64;

interface Piece {
  start: number;
  bytes: Uint8Array;
}

export class FragmentedMessage {
  private pieces: Piece[] = [];
  /** Covered byte ranges [start, end), merged and sorted. */
  private ranges: [number, number][] = [];
  /** Bytes charged for this message (pieces plus PIECE_OVERHEAD each). */
  held = 0;

  constructor(readonly type: number, readonly length: number) {}

  get complete(): boolean {
    return this.length === 0 || (this.ranges.length === 1 && this.ranges[0]![0] === 0 && this.ranges[0]![1] === this.length);
  }

  /** The parts of [fOff, fOff + frag.length) not held yet, and what keeping them would cost. */
  newParts(fOff: number, frag: Uint8Array): { parts: Piece[]; cost: number } {
    const parts: Piece[] = [];
    let cost = 0;
    let s = fOff;
    const e = fOff + frag.length;
    for (const [rs, re] of this.ranges) {
      if (re <= s) continue;
      if (rs >= e) break;
      if (rs > s) parts.push({ start: s, bytes: frag.subarray(s - fOff, rs - fOff) });
      s = Math.max(s, re);
      if (s >= e) break;
    }
    if (s < e) parts.push({ start: s, bytes: frag.subarray(s - fOff, e - fOff) });
    for (const p of parts) cost += p.bytes.length + PIECE_OVERHEAD;
    return { parts, cost };
  }

  /** Keep parts from newParts() (copied: the datagram they view is not ours to hold). */
  add(parts: Piece[], cost: number): void {
    for (const p of parts) {
      // new Uint8Array(view) copies; a Buffer's slice() would be another view of the datagram.
      this.pieces.push({ start: p.start, bytes: new Uint8Array(p.bytes) });
      this.ranges = mergeRange(this.ranges, p.start, p.start + p.bytes.length);
    }
    this.held += cost;
  }

  /** The whole body (call when complete). */
  assemble(): Uint8Array {
    const body = new Uint8Array(this.length);
    for (const p of this.pieces) body.set(p.bytes, p.start);
    return body;
  }
}

function mergeRange(ranges: [number, number][], s: number, e: number): [number, number][] {
  if (e <= s) return ranges;
  const all = [...ranges, [s, e] as [number, number]].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of all) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}
