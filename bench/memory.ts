// Memory per idle connection: a fresh child process runs the server of one stack and keeps
// every connection open; this process opens them (node:tls clients, the same for every stack,
// resuming one session so the run is quick) and the child reports RSS and heap after a full
// garbage collection, before and after. Only the server side is measured.
import type { Budget } from './budget.js';
import type { Credentials } from './credentials.js';
import { PeerProcess } from './peer-client.js';
import { dial, type AnySocket, type ConnectionSpec, type Stack } from './stacks.js';

export const MEMORY_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
/** Connections opened before the first sample (no more than are measured, so that --check
 *  stays quick). The JIT compiles the handshake's hot functions during the first hundred or so
 *  connections (about 200 KB of code and feedback, measured with heap snapshots): code of the
 *  process, not of a connection, so it goes in the baseline. */
const WARM_CONNECTIONS = 100;
const PARALLEL = 20;

export interface ConnectionMemory {
  /** Bytes per connection. */
  rss: number;
  heap: number;
}

/**
 * Memory per idle connection, server side. `jit: false` runs the server without V8's optimizing
 * and baseline compilers (`--no-opt --no-sparkplug`): what remains per connection is then the
 * objects it retains. With them (the default, what users run) the figure also holds the code the
 * JIT compiles while the connections open: code of the process, not of a connection, that keeps
 * growing for the first thousand or so connections and whose timing under load moves a
 * 300-connection figure by about ±0.5 KiB.
 */
export async function memoryPerIdleConnection(stack: Stack, credentials: Credentials, budget: Budget, options: { jit?: boolean } = {}): Promise<ConnectionMemory> {
  const peer = await PeerProcess.start(options.jit === false ? ['--no-opt', '--no-sparkplug', '--no-flush-bytecode'] : []);
  const clients: AnySocket[] = [];
  try {
    const spec: ConnectionSpec = { ciphers: MEMORY_SUITE, credentials, group: 'X25519' };
    const port = await peer.idleServer(stack, spec);
    const first = await dial('node:tls', port, spec);
    clients.push(first);
    const session = first.getSession();
    const resumed = { ...spec, session: session === undefined ? undefined : new Uint8Array(session) };
    const open = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i += PARALLEL) {
        const batch = await Promise.all(Array.from({ length: Math.min(PARALLEL, n - i) }, () => dial('node:tls', port, resumed)));
        clients.push(...batch);
      }
    };
    await open(Math.min(WARM_CONNECTIONS, budget.idleConnections) - 1);
    const before = await settled(peer, clients.length);
    await open(budget.idleConnections);
    const after = await settled(peer, clients.length);
    const n = after.connections - before.connections;
    return { rss: (after.rss - before.rss) / n, heap: (after.heapUsed - before.heapUsed) / n };
  } finally {
    for (const c of clients) c.destroy();
    await peer.stop();
  }
}

/** A sample once the child holds all `expected` connections (its side finishes a moment after
 *  ours). */
async function settled(peer: PeerProcess, expected: number): Promise<{ rss: number; heapUsed: number; connections: number }> {
  for (let i = 0; i < 100; i++) {
    const s = await peer.sample();
    if (s.connections >= expected) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the child accepted fewer than ${expected} connections`);
}
