// RFC 6347 §4.1.2.6 anti-replay: a sliding window of the last 64 record sequence numbers.
const WINDOW = 64n;

export class ReplayWindow {
  /** Highest sequence number accepted so far (-1: none). */
  private top = -1n;
  /** Bit i set: sequence number top - i was seen. */
  private bits = 0n;

  /** Would this sequence number be accepted (not a replay, not too old)? */
  check(seq: number): boolean {
    const s = BigInt(seq);
    if (s > this.top) return true;
    const offset = this.top - s;
    if (offset >= WINDOW) return false;
    return ((this.bits >> offset) & 1n) === 0n;
  }

  /** Record a sequence number of a record that authenticated (RFC 6347: only after the MAC check). */
  mark(seq: number): void {
    const s = BigInt(seq);
    if (s > this.top) {
      const shift = s - this.top;
      this.bits = shift >= WINDOW ? 1n : ((this.bits << shift) | 1n) & ((1n << WINDOW) - 1n);
      this.top = s;
    } else {
      this.bits |= 1n << (this.top - s);
    }
  }
}
