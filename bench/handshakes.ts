// Handshakes per second, one connection after another, both ends in this process: full
// handshakes (a new key exchange and signature each time) and resumed ones (RFC 5077 ticket /
// session ID: the client offers the session it got from getSession()).
import type { Budget } from './budget.js';
import { opsPerSecond } from './timed-loop.js';
import { dial, expectGroup, listen, shut, type ConnectionSpec, type Stack } from './stacks.js';

export async function handshakesPerSecond(stack: Stack, spec: ConnectionSpec, budget: Budget): Promise<number> {
  const { server, port } = await listen(stack, spec, (s) => s.resume());
  try {
    const first = await dial(stack, port, spec);
    try {
      expectGroup(first, spec);
    } finally {
      first.destroy();
    }
    return await opsPerSecond(budget.window, budget.minOps, async () => {
      (await dial(stack, port, spec)).destroy();
    });
  } finally {
    shut(server);
  }
}

export async function resumedHandshakesPerSecond(stack: Stack, spec: ConnectionSpec, budget: Budget): Promise<number> {
  const { server, port } = await listen(stack, spec, (s) => s.resume());
  try {
    const first = await dial(stack, port, spec);
    const session = first.getSession();
    first.end();
    if (session === undefined) throw new Error(`${stack}: getSession() returned nothing to resume`);
    const resumed = { ...spec, session: new Uint8Array(session) };
    return await opsPerSecond(budget.window, budget.minOps, async () => {
      const c = await dial(stack, port, resumed);
      const reused = c.isSessionReused();
      c.destroy();
      if (!reused) throw new Error(`${stack}: the server did not resume the session`);
    });
  } finally {
    shut(server);
  }
}
