// `server --workers N`: the same server in N worker processes on node:cluster, one port. The
// primary accepts the TCP connections and hands them to the workers in turn (node:cluster's
// round-robin), and it makes the secrets that must be the same in every worker: the
// session-ticket keys (RFC 5077 §4), so that a ticket issued by one worker resumes at any other.
// Workers ask for them over the cluster's IPC channel before they listen (never through the
// environment or the command line, which other processes can read).
//
// DTLS is refused: each client's datagrams must all reach the worker that holds its association,
// and Node 20's node:cluster cannot do that (docs/performance.md, "All cores").
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import type { Reporter } from './status.js';

export const WORKERS_FLAG: FlagSpec = {
  long: 'workers', value: 'required', valueName: 'N',
  description: 'serve from N worker processes on one port (node:cluster; 0: one per core), sharing the session-ticket keys; serves until killed',
};

/** The secrets a worker receives from the primary. */
export interface SharedSecrets {
  /** node:tls ticketKeys: 16 bytes of key name, 32 of keys. */
  ticketKeys: Buffer;
}

const ASK = 'secure-duplex:secrets?';
const ANSWER = 'secure-duplex:secrets';

/** --workers N as a worker count (0: one per core), or undefined without the flag. */
export function workerCount(args: ParsedArgs): number | undefined {
  if (!args.has('workers')) return undefined;
  const n = args.integer('workers', 0, 256);
  if (args.has('dtls')) {
    throw new UsageError('--workers with -u: a DTLS client\'s datagrams must all reach one worker, and Node 20\'s node:cluster ' +
      'hands each datagram of a shared UDP port to any worker (per-client balancing needs reusePort, Node 22.12+). Run a DTLS server in one process');
  }
  return n === 0 ? availableParallelism() : n;
}

/** This process is a worker started by runPrimary(). */
export function isServerWorker(): boolean {
  return cluster.isWorker;
}

/** The worker's line for each connection: which worker answered, and whether it resumed. */
export function workerLine(reused: boolean): string {
  return `worker: ${cluster.worker?.id ?? 0} pid ${process.pid} session=${reused ? 'reused' : 'new'}`;
}

/**
 * Primary: start `count` workers running this same command line, answer their request for the
 * shared secrets, and stop them on SIGINT/SIGTERM. Resolves with the exit code once every worker
 * has exited (0 when they were stopped, 1 when one failed on its own).
 */
export function runPrimary(count: number, reporter: Reporter): Promise<number> {
  const secrets = { ticketKeys: randomBytes(48).toString('base64') };
  let stopping = false;
  let failed = false;
  const workers = new Set<Worker>();
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      stopping = true;
      for (const w of workers) w.process.kill('SIGTERM');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    reporter.status(`workers: ${count} (node:cluster), session-ticket keys shared`);
    for (let i = 0; i < count; i++) {
      const w = cluster.fork();
      workers.add(w);
      w.on('message', (m: unknown) => {
        if (m === ASK) w.send({ type: ANSWER, ...secrets });
      });
      w.once('exit', (code, signal) => {
        workers.delete(w);
        if (!stopping) {
          failed = true;
          reporter.error(Object.assign(new Error(`worker ${w.id} exited (${signal ?? `code ${code}`})`), { code: 'ERR_WORKER_EXIT' }));
          // One worker gone means the port is served at a fraction; stop the rest too.
          stop();
        }
        if (workers.size === 0) resolve(failed ? 1 : 0);
      });
    }
  });
}

/** Worker: the primary's secrets (asked for over IPC). */
export function secretsFromPrimary(): Promise<SharedSecrets> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      const msg = m as { type?: string; ticketKeys?: string } | null;
      if (msg?.type !== ANSWER || typeof msg.ticketKeys !== 'string') return;
      process.off('message', onMessage);
      resolve({ ticketKeys: Buffer.from(msg.ticketKeys, 'base64') });
    };
    process.on('message', onMessage);
    process.send!(ASK);
  });
}
