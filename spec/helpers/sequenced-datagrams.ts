// An application-level sequence over datagrams (DTLS): each datagram carries its sequence number
// and seeded bytes derived from it, so the receiver detects loss, duplicates, reordering and
// corruption by itself, and hashes everything that arrived for comparison with what was sent.
import { createHash } from 'node:crypto';
import { randomBytesSeeded } from './peers.js';

/** Datagram `seq` of stream `stream`: 4-byte big-endian seq, then `size - 4` seeded bytes. */
export function sequencedDatagram(stream: string, seq: number, size: number): Buffer {
  const d = Buffer.alloc(size);
  d.writeUInt32BE(seq, 0);
  randomBytesSeeded(`${stream}/${seq}`, size - 4).copy(d, 4);
  return d;
}

/** What a receiver saw of one stream. DTLS (RFC 6347 §4.1.2.6) promises no corruption and no
 *  duplicates; on loopback nothing reorders datagrams, so nothing may arrive out of order. */
export interface SequenceReport {
  received: number;
  /** Sequence numbers skipped over (datagrams that never arrived). */
  lost: number;
  /** A datagram whose seq is not above the last one (a duplicate or a reordering). */
  backwards: number;
  /** A datagram whose bytes differ from what was sent under its seq. */
  corrupt: number;
  sha256: string;
}

export class SequenceChecker {
  private next = 0;
  private readonly hash = createHash('sha256');
  readonly report: Omit<SequenceReport, 'sha256'> = { received: 0, lost: 0, backwards: 0, corrupt: 0 };

  /** `onSeq(seq)` runs for every sequence number accounted for: arrived or skipped. */
  constructor(private readonly stream: string, private readonly size: number, private readonly onSeq: (seq: number) => void = () => undefined) {}

  /** Everything up to here has been accounted for. */
  get accounted(): number {
    return this.next;
  }

  onDatagram(d: Buffer): void {
    this.report.received++;
    this.hash.update(d);
    if (d.length !== this.size) {
      this.report.corrupt++;
      return;
    }
    const seq = d.readUInt32BE(0);
    if (!d.equals(sequencedDatagram(this.stream, seq, this.size))) this.report.corrupt++;
    if (seq < this.next) {
      this.report.backwards++;
      return;
    }
    for (; this.next < seq; this.next++) {
      this.report.lost++;
      this.onSeq(this.next);
    }
    this.next = seq + 1;
    this.onSeq(seq);
  }

  finish(): SequenceReport {
    return { ...this.report, sha256: this.hash.digest('hex') };
  }
}

/** SHA-256 of datagrams 0..count-1 of `stream`, as the receiver hashes them when all arrive. */
export function sequenceSha256(stream: string, count: number, size: number): string {
  const h = createHash('sha256');
  for (let seq = 0; seq < count; seq++) h.update(sequencedDatagram(stream, seq, size));
  return h.digest('hex');
}
