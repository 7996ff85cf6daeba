// All cores: the CLI's `secure-duplex server --workers N` (node:cluster) with 1 and 2 workers,
// loaded by node:tls clients in this process, several at once so that every worker has work:
// full handshakes per second against `-e` (echo), and bulk throughput through `--forward` to a
// TCP sink here that counts the bytes. The server runs as users run it, in its own processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as netCreateServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import type { Budget } from './budget.js';
import type { Credentials } from './credentials.js';
import { drained } from './flow.js';
import type { Stack } from './stacks.js';

/** Connections at once: enough to keep two workers busy from one client thread. */
export const CONCURRENT = 4;
export const WORKERS_SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
const START_MS = 60_000;
// dist/bench/workers.js → dist/bin/cli.js
const CLI = new URL('../bin/cli.js', import.meta.url);

interface WorkersServer {
  port: number;
  stop(): Promise<void>;
}

/** `server --workers N` on a free port with the stack's provider; resolves once every worker
 *  listens. `forward`: a TCP port to forward to (else -e). */
async function startServer(stack: Stack, workers: number, credentials: Credentials, forward?: number): Promise<WorkersServer> {
  const dir = mkdtempSync(join(tmpdir(), 'secure-duplex-bench-'));
  writeFileSync(join(dir, 'cert.pem'), credentials.certPem);
  writeFileSync(join(dir, 'key.pem'), credentials.keyPem);
  const args = [CLI.pathname, 'server', '--workers', String(workers), '-p', '0', '-c', join(dir, 'cert.pem'), '-k', join(dir, 'key.pem'),
    '-l', WORKERS_SUITE, '--crypto', stack === 'native' ? 'node' : 'noble', ...(forward === undefined ? ['-e'] : ['--forward', `127.0.0.1:${forward}`])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SECURE_DUPLEX_HOME: dir } });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    // Only the start matters; the per-connection lines are read and dropped.
    if (out.length < 4096) out += s;
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server --workers ${workers}: not listening after ${START_MS} ms\n${out}${err}`)), START_MS);
      const check = (): void => {
        const ports = [...out.matchAll(/^listening: 127\.0\.0\.1:(\d+)$/gm)].map((m) => Number(m[1]));
        if (ports.length >= workers) {
          clearTimeout(timer);
          resolve(ports[0]!);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`server --workers ${workers} exited: ${err}`));
      });
    });
    return { port, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function client(port: number, credentials: Credentials): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const c = tls.connect({
      host: '127.0.0.1', port, servername: 'localhost', ca: credentials.certPem,
      maxVersion: 'TLSv1.2', ciphers: WORKERS_SUITE, ecdhCurve: 'X25519:P-256', session: undefined,
    }, () => {
      c.off('error', reject);
      resolve(c);
    });
    c.once('error', reject);
  });
}

/** Full handshakes/s: CONCURRENT loops of connect, handshake, destroy. */
export async function workersHandshakesPerSecond(stack: Stack, workers: number, credentials: Credentials, budget: Budget): Promise<number> {
  const server = await startServer(stack, workers, credentials);
  try {
    (await client(server.port, credentials)).destroy(); // every worker's JIT starts somewhere
    let n = 0;
    const t0 = performance.now();
    const loop = async (): Promise<void> => {
      while (performance.now() - t0 < budget.window || n < budget.minOps) {
        (await client(server.port, credentials)).destroy();
        n++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT }, loop));
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await server.stop();
  }
}

/** Bulk MiB/s through `--forward` to a sink here: CONCURRENT connections writing 64 KiB at a
 *  time; the sink counts over the window that opens after the warm-up. */
export async function workersBulk(stack: Stack, workers: number, credentials: Credentials, budget: Budget): Promise<number> {
  let bytes = 0;
  let onBytes: (() => void) | undefined;
  /** Resolves once the sink has counted more than `n` bytes. */
  const beyond = (n: number): Promise<void> => new Promise((resolve) => {
    if (bytes > n) return resolve();
    onBytes = () => {
      if (bytes <= n) return;
      onBytes = undefined;
      resolve();
    };
  });
  const sink: Server = netCreateServer((s) => {
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      onBytes?.();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const server = await startServer(stack, workers, credentials, (sink.address() as AddressInfo).port);
  const clients: tls.TLSSocket[] = [];
  let done = false;
  try {
    for (let i = 0; i < CONCURRENT; i++) clients.push(await client(server.port, credentials));
    const chunk = Buffer.alloc(64 * 1024, 7);
    const sending = clients.map(async (c) => {
      c.on('error', () => undefined);
      c.resume();
      while (!done && !c.destroyed) if (!c.write(chunk)) await drained(c);
    });
    // As measureReceive: the warm-up starts at the first byte through, and the window holds at
    // least some bytes however busy the machine is.
    await beyond(0);
    await new Promise((r) => setTimeout(r, budget.warmup));
    const b0 = bytes;
    const t0 = performance.now();
    await Promise.all([new Promise((r) => setTimeout(r, budget.window)), beyond(b0)]);
    const mib = (bytes - b0) / (1024 * 1024) / ((performance.now() - t0) / 1000);
    done = true;
    for (const c of clients) c.destroy();
    await Promise.all(sending);
    return mib;
  } finally {
    done = true;
    for (const c of clients) c.destroy();
    await server.stop();
    sink.close();
  }
}
