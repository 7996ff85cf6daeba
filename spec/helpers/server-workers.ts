// What specs read of `secure-duplex server --workers N` (bin/server-workers.ts): the workers'
// connection lines, whether their processes are gone, and which Node versions have the
// node:dgram `reusePort` that -u with workers needs.
import type { Proc } from './cli-process.js';

const WORKER_LINE = /^worker: (\d+) pid (\d+) session=(new|reused)$/gm;

export interface WorkerLine {
  id: number;
  pid: number;
  reused: boolean;
}

/** The `worker: ID pid PID session=new|reused` lines printed so far, in order. */
export function workerLines(server: Proc): WorkerLine[] {
  return [...server.stdout.matchAll(WORKER_LINE)].map((m) => ({ id: Number(m[1]), pid: Number(m[2]), reused: m[3] === 'reused' }));
}

/** Resolves once the workers have printed `count` connection lines. */
export function workerLinesCount(server: Proc, count: number, ms?: number): Promise<void> {
  return server.waitFor(new RegExp(`(?:^worker: \\d+ pid \\d+ session=\\w+$[\\s\\S]*?){${count}}`, 'm'), ms);
}

/** Whether a process with this pid still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Node 22.12 or later (`22.12.0`, `v23.1.0`): the versions whose node:dgram has `reusePort`
 *  (the test's oracle; the CLI finds out by binding). */
export function nodeHasDgramReusePort(version: string): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 12);
}
