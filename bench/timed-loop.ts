// Rates over a time window: run an operation back to back until the window has passed and at
// least `minOps` have completed.

/** Operations per second of `op` run one after another. */
export async function opsPerSecond(window: number, minOps: number, op: () => Promise<void>): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (n < minOps || elapsed < window) {
    await op();
    n++;
    elapsed = performance.now() - t0;
  }
  return n / (elapsed / 1000);
}

/** The same for a synchronous operation (the primitives), in batches to keep the clock out:
 *  after a warm-up, the best of three rounds, since a ceiling is what the primitive can do when nothing else
 *  runs. */
export function syncOpsPerSecond(window: number, minOps: number, op: () => void): number {
  syncRound(window / 3, 1, op); // warm-up: lazy tables, and time for the JIT to optimize op
  let best = 0;
  for (let round = 0; round < 3; round++) best = Math.max(best, syncRound(window / 3, minOps, op));
  return best;
}

function syncRound(window: number, minOps: number, op: () => void): number {
  let n = 0;
  let batch = 1;
  const t0 = performance.now();
  let elapsed = 0;
  while (n < minOps || elapsed < window) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    elapsed = performance.now() - t0;
    if (elapsed < window / 20) batch *= 2;
  }
  return n / (elapsed / 1000);
}
