// The parent's handle on the benchmark's child process (peer-process.ts).
import { fork, type ChildProcess } from 'node:child_process';
import type { Budget } from './budget.js';
import type { Window } from './flow.js';
import type { PeerReply, PeerRequest } from './peer-process.js';
import type { ConnectionSpec, Stack } from './stacks.js';

/** A request as the caller writes it: the id is added by request(). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export class PeerProcess {
  private nextId = 1;
  private readonly handlers = new Map<number, (r: PeerReply) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (r: PeerReply) => this.handlers.get(r.id)?.(r));
    // A child that dies answers every open request with an error instead of leaving it hanging.
    child.on('exit', (code, signal) => {
      for (const [id, handler] of [...this.handlers]) handler({ id, kind: 'error', message: `child process exited (${signal ?? code})` });
    });
  }

  /** Start a child; `--expose-gc` so its memory samples follow a full collection, and
   *  `nodeFlags` after it. */
  static start(nodeFlags: readonly string[] = []): Promise<PeerProcess> {
    const child = fork(new URL('./peer-process.js', import.meta.url), [], {
      execArgv: ['--expose-gc', ...nodeFlags],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(new PeerProcess(child)));
      child.once('error', reject);
    });
  }

  /** Send a request; `onReply` sees each reply to it until it returns true. */
  private request(req: WithoutId<PeerRequest>, onReply: (r: PeerReply) => boolean): void {
    const id = this.nextId++;
    this.handlers.set(id, (r) => { if (onReply(r)) this.handlers.delete(id); });
    this.child.send({ ...req, id });
  }

  /** A server that measures what it receives; `measured` settles when its window closes. */
  bulkServer(stack: Stack, spec: ConnectionSpec, budget: Budget): Promise<{ port: number; measured: Promise<Window> }> {
    return new Promise((resolveListening, rejectListening) => {
      let settle!: { resolve: (w: Window) => void; reject: (e: Error) => void };
      const measured = new Promise<Window>((resolve, reject) => { settle = { resolve, reject }; });
      measured.catch(() => undefined); // rejections are seen by whoever awaits it
      let listening = false;
      this.request({ op: 'bulk', stack, spec, budget }, (r) => {
        if (r.kind === 'listening') {
          listening = true;
          resolveListening({ port: r.port, measured });
          return false;
        }
        if (r.kind === 'measured') settle.resolve({ bytes: r.bytes, ms: r.ms });
        else {
          const e = new Error(`child: ${r.kind === 'error' ? r.message : r.kind}`);
          if (listening) settle.reject(e);
          else rejectListening(e);
        }
        return true;
      });
    });
  }

  /** A server that keeps every connection it accepts, idle. */
  idleServer(stack: Stack, spec: ConnectionSpec): Promise<number> {
    return this.simple({ op: 'idle', stack, spec }, (r) => (r.kind === 'listening' ? r.port : undefined));
  }

  /** The child's memory after a full garbage collection. */
  sample(): Promise<{ rss: number; heapUsed: number; connections: number }> {
    return this.simple({ op: 'sample' }, (r) => (r.kind === 'memory' ? r : undefined));
  }

  private simple<T>(req: WithoutId<PeerRequest>, pick: (r: PeerReply) => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      this.request(req, (r) => {
        const v = pick(r);
        if (v !== undefined) resolve(v);
        else reject(new Error(`child: ${r.kind === 'error' ? r.message : `unexpected ${r.kind}`}`));
        return true;
      });
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.disconnect();
    });
  }
}
