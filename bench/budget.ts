// How long each measurement runs. `full` is the run docs/performance.md is made from (a few
// minutes), `quick` a look during development (under a minute), `check` only proves every
// measurement still runs (seconds; its numbers mean nothing).
export type Mode = 'full' | 'quick' | 'check';

export interface Budget {
  /** Time a rate (ops/s, bytes/s) is measured over, in ms. */
  window: number;
  /** Bulk: time streamed before the window opens (TCP and JIT warm-up), in ms. */
  warmup: number;
  /** Time each primitive is measured over, per library, in ms. */
  primitiveWindow: number;
  /** Fewest operations behind an ops/s figure, however long they take. */
  minOps: number;
  /** Throughput dip: streaming time with and without renegotiations, in ms, and the interval
   *  between renegotiations (once a second, as a server rotating keys might). The first comes
   *  half an interval into the window, so a window of n intervals holds n renegotiations. */
  dipWindow: number;
  dipInterval: number;
  /** Idle connections opened for the memory figure. */
  idleConnections: number;
}

export const BUDGETS: Record<Mode, Budget> = {
  full: { window: 2_000, warmup: 300, primitiveWindow: 1_000, minOps: 20, dipWindow: 6_000, dipInterval: 1_000, idleConnections: 1_000 },
  quick: { window: 250, warmup: 100, primitiveWindow: 200, minOps: 3, dipWindow: 1_000, dipInterval: 1_000, idleConnections: 200 },
  check: { window: 40, warmup: 10, primitiveWindow: 20, minOps: 1, dipWindow: 200, dipInterval: 100, idleConnections: 30 },
};
