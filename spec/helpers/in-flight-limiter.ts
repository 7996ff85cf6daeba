// Pacing by events: at most `limit` units (datagrams) in flight at once; a sender waits for a
// token, the receiver gives it back when the unit is accounted for. Over UDP this keeps a
// load test under the kernel's socket buffers, so datagrams are not dropped for want of room.

export class InFlightLimiter {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves when a token is free (and takes it). */
  acquire(): Promise<void> {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => resolve()));
  }

  /** Give a token back: the oldest waiter gets it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}
