// `server --workers N`: the same server in N worker processes on node:cluster, one port. The
// primary makes the secrets that must be the same in every worker: the session-ticket keys
// (RFC 5077 §4), so that a ticket issued by one worker resumes at any other, and for DTLS the
// HelloVerifyRequest cookie secret (RFC 6347 §4.2.1), so that a cookie issued by one worker is
// good at any other. Workers ask for them over the cluster's IPC channel before they listen
// (never through the environment or the command line, which other processes can read).
//
// TLS: the primary accepts the TCP connections and hands them to the workers in turn
// (node:cluster's round-robin). DTLS: each client's datagrams must all reach the worker that
// holds its association, so each worker binds its own socket on the port with SO_REUSEPORT and
// the kernel keeps each client address and port on one socket (bin/reuse-port.ts); where the
// running Node cannot (Node 20's dgram has no reusePort), -u with --workers is refused.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { reserveSharedUdpPort, type SharedUdpPort } from './reuse-port.js';
import type { Reporter } from './status.js';

export const WORKERS_FLAG: FlagSpec = {
  long: 'workers', value: 'required', valueName: 'N',
  description: 'serve from N worker processes on one port (node:cluster; 0: one per core), sharing the session-ticket keys (and with -u the DTLS cookie secret; -u needs Node 22.12+); serves until killed',
};

/** The secrets a worker receives from the primary. */
export interface SharedSecrets {
  /** node:tls ticketKeys: 16 bytes of key name, 32 of keys. */
  ticketKeys: Buffer;
  /** DTLS: the HelloVerifyRequest cookie secret (DtlsServerOptions.cookieSecret). */
  cookieSecret?: Buffer;
  /** DTLS: bind this port with reusePort (the primary holds it until every worker has). */
  udpPort?: number;
}

/** Where a DTLS server with workers listens. */
export interface UdpListen {
  host: string;
  port: number;
}

const ASK = 'secure-duplex:secrets?';
const ANSWER = 'secure-duplex:secrets';
/** DTLS: worker → primary, its socket is bound; primary → workers, the port is theirs alone. */
const BOUND = 'secure-duplex:bound';
const SERVING = 'secure-duplex:serving';

/** What the refusal of -u says is needed, and what this Node is. */
function reusePortRefusal(): UsageError {
  return new UsageError(`--workers with -u needs node:dgram's reusePort (SO_REUSEPORT: Node 22.12+ or 23.1+, on Linux), ` +
    `which this Node (${process.version}, ${process.platform}) does not have: without it node:cluster hands each datagram of a ` +
    'shared UDP port to any worker, and a DTLS client\'s datagrams must all reach one worker. Run a DTLS server in one process, or on a newer Node');
}

/** --workers N as a worker count (0: one per core), or undefined without the flag. */
export function workerCount(args: ParsedArgs): number | undefined {
  if (!args.has('workers')) return undefined;
  const n = args.integer('workers', 0, 256);
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
 * shared secrets, and stop them on SIGINT/SIGTERM. With `udp` (DTLS) it first reserves the port
 * for sharing with SO_REUSEPORT (refused with ERR_USAGE where this Node cannot) and releases it
 * once every worker has bound its own socket. Resolves with the exit code once every worker has
 * exited (0 when they were stopped, 1 when one failed on its own).
 */
export async function runPrimary(count: number, reporter: Reporter, udp?: UdpListen): Promise<number> {
  let shared: SharedUdpPort | undefined;
  if (udp) {
    shared = await reserveSharedUdpPort(udp.host.includes(':') ? 'udp6' : 'udp4', udp.host, udp.port);
    if (!shared) throw reusePortRefusal();
  }
  const secrets = {
    ticketKeys: randomBytes(48).toString('base64'),
    ...(shared ? { cookieSecret: randomBytes(32).toString('base64'), udpPort: shared.port } : {}),
  };
  let stopping = false;
  let failed = false;
  const workers = new Set<Worker>();
  const bound = new Set<Worker>();
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      stopping = true;
      void shared?.release();
      for (const w of workers) w.process.kill('SIGTERM');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    reporter.status(`workers: ${count} (node:cluster), session-ticket keys shared` +
      (shared ? ', DTLS cookie secret shared, UDP port shared with SO_REUSEPORT' : ''));
    for (let i = 0; i < count; i++) {
      const w = cluster.fork();
      workers.add(w);
      w.on('message', (m: unknown) => {
        if (m === ASK) w.send({ type: ANSWER, ...secrets });
        if (m === BOUND && shared && !bound.has(w)) {
          bound.add(w);
          if (bound.size < count) return;
          // Every worker's socket is in the group: the primary's leaves it, then the workers
          // say they listen (no datagram of a client goes to the primary's unread socket).
          void shared.release().then(() => {
            if (stopping) return;
            for (const x of workers) if (x.isConnected()) x.send(SERVING);
          });
        }
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

/** DTLS worker: tell the primary this worker's socket is bound; resolves once every worker's
 *  is and the primary has let go of the port. */
export function boundAtPrimary(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      if (m !== SERVING) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send!(BOUND);
  });
}

/** Worker: the primary's secrets (asked for over IPC). */
export function secretsFromPrimary(): Promise<SharedSecrets> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      const msg = m as { type?: string; ticketKeys?: string; cookieSecret?: string; udpPort?: number } | null;
      if (msg?.type !== ANSWER || typeof msg.ticketKeys !== 'string') return;
      process.off('message', onMessage);
      resolve({
        ticketKeys: Buffer.from(msg.ticketKeys, 'base64'),
        ...(typeof msg.cookieSecret === 'string' ? { cookieSecret: Buffer.from(msg.cookieSecret, 'base64') } : {}),
        ...(typeof msg.udpPort === 'number' ? { udpPort: msg.udpPort } : {}),
      });
    };
    process.on('message', onMessage);
    process.send!(ASK);
  });
}
