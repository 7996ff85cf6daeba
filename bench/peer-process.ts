// The child process of the benchmark (started by peer-client.ts, never by hand): it runs the
// server end when client and server must not share a process, and holds idle connections for
// the memory figure. Requests and replies travel over the IPC channel, matched by `id`.
import type { Budget } from './budget.js';
import { measureReceive } from './flow.js';
import { listen, shut, type AnyServer, type AnySocket, type ConnectionSpec, type Stack } from './stacks.js';

export type PeerRequest =
  | { id: number; op: 'bulk'; stack: Stack; spec: ConnectionSpec; budget: Budget }
  | { id: number; op: 'idle'; stack: Stack; spec: ConnectionSpec }
  | { id: number; op: 'sample' };

export type PeerReply =
  | { id: number; kind: 'listening'; port: number }
  | { id: number; kind: 'measured'; bytes: number; ms: number }
  | { id: number; kind: 'memory'; rss: number; heapUsed: number; connections: number }
  | { id: number; kind: 'error'; message: string };

const servers: AnyServer[] = [];
const idle: AnySocket[] = [];

function reply(r: PeerReply): void {
  process.send!(r);
}

async function handle(req: PeerRequest): Promise<void> {
  switch (req.op) {
    case 'bulk': {
      const { server, port } = await listen(req.stack, req.spec, (s) => {
        measureReceive(s, req.budget.warmup, req.budget.window).then(
          (w) => reply({ id: req.id, kind: 'measured', ...w }),
          (e: Error) => reply({ id: req.id, kind: 'error', message: e.message }),
        ).finally(() => {
          s.destroy();
          shut(server);
        });
      });
      reply({ id: req.id, kind: 'listening', port });
      return;
    }
    case 'idle': {
      const { server, port } = await listen(req.stack, req.spec, (s) => { idle.push(s); });
      servers.push(server);
      reply({ id: req.id, kind: 'listening', port });
      return;
    }
    case 'sample': {
      // Two collections: the second frees what the first's finalizers released.
      global.gc?.();
      global.gc?.();
      const m = process.memoryUsage();
      reply({ id: req.id, kind: 'memory', rss: m.rss, heapUsed: m.heapUsed, connections: idle.length });
      return;
    }
  }
}

process.on('message', (req: PeerRequest) => {
  handle(req).catch((e: Error) => reply({ id: req.id, kind: 'error', message: e.message }));
});
process.on('disconnect', () => {
  for (const s of idle) s.destroy();
  for (const s of servers) shut(s);
  process.exit(0);
});
