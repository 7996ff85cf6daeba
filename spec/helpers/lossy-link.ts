// A simulated datagram link between two DTLS engines: drops, duplicates, reorders and delays
// datagrams with a seeded RNG, on a virtual clock that also drives the engines' timers.
import type { Engine } from '../../lib/engine/engine.js';
import { seededRandom } from './deterministic-random.js';

export interface LinkRates {
  loss?: number;
  duplicate?: number;
  reorder?: number;
  /** Drop this datagram (a test's targeted loss), consulted before the random rates. */
  dropIf?: (to: 'client' | 'server', data: Uint8Array) => boolean;
}

interface InFlight {
  at: number;
  to: 'client' | 'server';
  data: Uint8Array;
}

export class LossyLink {
  private queue: InFlight[] = [];
  private readonly rnd: () => number;
  delivered = 0;
  dropped = 0;

  constructor(
    /** The virtual clock, shared with the engines' `now`. */
    private readonly time: { t: number },
    private readonly client: Engine,
    private readonly server: Engine,
    private readonly rates: LinkRates,
    seed: string,
    private readonly onDeliver?: (to: 'client' | 'server', data: Uint8Array) => void,
  ) {
    const r = seededRandom(seed);
    this.rnd = () => {
      const b = r(4);
      return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    };
  }

  private random(): number {
    return this.rnd() / 0x1_0000_0000;
  }

  private send(to: 'client' | 'server', data: Uint8Array): void {
    if (this.rates.dropIf?.(to, data) || this.random() < (this.rates.loss ?? 0)) {
      this.dropped++;
      return;
    }
    const base = this.time.t + 5; // 5 ms one-way
    const extra = this.random() < (this.rates.reorder ?? 0) ? 1 + Math.floor(this.random() * 30) : 0;
    this.queue.push({ at: base + extra, to, data });
    if (this.random() < (this.rates.duplicate ?? 0)) this.queue.push({ at: base + extra + 3, to, data });
  }

  /** Collect both engines' output into the link. */
  collect(): void {
    for (const d of this.client.takeOutput()) this.send('server', d);
    for (const d of this.server.takeOutput()) this.send('client', d);
  }

  /** Advance the virtual clock until `until()` holds or `maxMs` passes. */
  runUntil(until: () => boolean, maxMs = 600_000): boolean {
    const end = this.time.t + maxMs;
    this.collect();
    while (!until()) {
      if (this.time.t > end) return false;
      this.queue.sort((a, b) => a.at - b.at);
      const deadlines = [this.client.nextDeadline, this.server.nextDeadline].filter((d): d is number => d !== undefined);
      const next = Math.min(this.queue[0]?.at ?? Infinity, ...deadlines);
      if (next === Infinity) return until();
      this.time.t = Math.max(this.time.t, next);
      while (this.queue.length > 0 && this.queue[0]!.at <= this.time.t) {
        const m = this.queue.shift()!;
        this.delivered++;
        this.onDeliver?.(m.to, m.data);
        (m.to === 'client' ? this.client : this.server).receive(m.data);
      }
      this.client.tick(this.time.t);
      this.server.tick(this.time.t);
      this.collect();
    }
    return true;
  }
}
