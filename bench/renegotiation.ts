// Renegotiation (RFC 5746): how many full renegotiations an idle connection completes per
// second (the client starts each and waits for it), and what renegotiating once a second costs
// a bulk transfer.
import type { Budget } from './budget.js';
import { streamUntil } from './flow.js';
import { opsPerSecond } from './timed-loop.js';
import { dial, listen, shut, type AnySocket, type ConnectionSpec, type Stack } from './stacks.js';

function renegotiate(c: AnySocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = c.renegotiate({}, (err) => (err ? reject(err) : resolve()));
    if (!started) reject(new Error('renegotiate() returned false'));
  });
}

export async function idleRenegotiationsPerSecond(stack: Stack, spec: ConnectionSpec, budget: Budget): Promise<number> {
  const { server, port } = await listen(stack, spec, (s) => s.resume());
  try {
    const c = await dial(stack, port, spec);
    c.setNoDelay(true);
    try {
      return await opsPerSecond(budget.window, budget.minOps, () => renegotiate(c));
    } finally {
      c.destroy();
    }
  } finally {
    shut(server);
  }
}

/** MiB/s received while the client streams 64 KiB writes: first plain, then with a client
 *  renegotiation every `dipInterval` ms (the first half an interval in), on the same connection. */
export async function throughputWithRenegotiation(stack: Stack, spec: ConnectionSpec, budget: Budget): Promise<{ plain: number; renegotiating: number; renegotiations: number }> {
  let received = 0;
  const { server, port } = await listen(stack, spec, (s) => s.on('data', (d: Uint8Array) => { received += d.length; }));
  try {
    const c = await dial(stack, port, spec);
    let stop = false;
    const sending = streamUntil(c, new Uint8Array(64 * 1024).fill(7), () => stop);
    try {
      await sleep(budget.warmup);
      const rate = async (renegotiating: boolean): Promise<{ mibs: number; renegotiations: number }> => {
        const b0 = received;
        const t0 = performance.now();
        let renegotiations = 0;
        let failure: Error | undefined;
        let inFlight: Promise<void> | undefined;
        const once = (): void => {
          if (inFlight) return; // the previous one is still running
          inFlight = renegotiate(c).then(() => { renegotiations++; }, (e: Error) => { failure = e; }).finally(() => { inFlight = undefined; });
        };
        let timer: NodeJS.Timeout | undefined;
        const first = renegotiating ? setTimeout(() => {
          once();
          timer = setInterval(once, budget.dipInterval);
        }, budget.dipInterval / 2) : undefined;
        await sleep(budget.dipWindow);
        clearTimeout(first);
        clearInterval(timer);
        const mibs = (received - b0) / (1024 * 1024) / ((performance.now() - t0) / 1000);
        await inFlight;
        if (failure) throw failure;
        return { mibs, renegotiations };
      };
      const plain = await rate(false);
      const reneg = await rate(true);
      if (reneg.renegotiations === 0) throw new Error('no renegotiation completed during the window');
      return { plain: plain.mibs, renegotiating: reneg.mibs, renegotiations: reneg.renegotiations };
    } finally {
      stop = true;
      c.destroy();
      await sending;
    }
  } finally {
    shut(server);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
