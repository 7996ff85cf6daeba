// Bulk throughput, one direction (client → server), for one suite and write size: with both
// ends in this process, and with the server in a child process (each end on its own core).
import type { Budget } from './budget.js';
import { measureReceive, mibPerSecond, streamUntil, type Window } from './flow.js';
import type { PeerProcess } from './peer-client.js';
import { dial, listen, shut, type AnySocket, type ConnectionSpec, type Stack } from './stacks.js';

export async function bulkOneProcess(stack: Stack, spec: ConnectionSpec, writeSize: number, budget: Budget): Promise<number> {
  let measured!: Promise<Window>;
  let accepted!: () => void;
  const serverSide = new Promise<void>((r) => { accepted = r; });
  const { server, port } = await listen(stack, spec, (s) => {
    measured = measureReceive(s, budget.warmup, budget.window);
    accepted();
  });
  try {
    const c = await dial(stack, port, spec);
    try {
      await serverSide;
      return await sendWhileMeasured(c, writeSize, measured);
    } finally {
      c.destroy();
    }
  } finally {
    shut(server);
  }
}

export async function bulkTwoProcesses(peer: PeerProcess, stack: Stack, spec: ConnectionSpec, writeSize: number, budget: Budget): Promise<number> {
  const { port, measured } = await peer.bulkServer(stack, spec, budget);
  const c = await dial(stack, port, spec);
  try {
    return await sendWhileMeasured(c, writeSize, measured);
  } finally {
    c.destroy();
  }
}

/** Keep `c` full with writes of `writeSize` bytes until the receiver's window closes. The
 *  caller destroys `c` at once: what is still queued is not waited for. */
async function sendWhileMeasured(c: AnySocket, writeSize: number, measured: Promise<Window>): Promise<number> {
  let done = false;
  const sending = streamUntil(c, new Uint8Array(writeSize).fill(7), () => done);
  try {
    return mibPerSecond(await measured);
  } finally {
    done = true;
    c.destroy();
    await sending;
  }
}
