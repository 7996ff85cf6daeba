// The machine a run came from, printed with its figures.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  /** OpenSSL inside Node (node:tls and node:crypto use it). */
  nodeOpenssl: string;
  /** The `openssl` command on the PATH, if any. */
  openssl: string;
  /** 1-minute load average when the run started: a busy machine skews every figure. */
  load: string;
  date: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  let openssl = 'not found';
  try {
    openssl = execFileSync('openssl', ['version'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch { /* no openssl command */ }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nodeOpenssl: process.versions.openssl,
    openssl,
    load: (os.loadavg()[0] ?? 0).toFixed(2),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}
