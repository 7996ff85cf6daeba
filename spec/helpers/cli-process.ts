// The CLI (bin/cli.ts) as a child process for specs: output collected, waited on by pattern,
// exit code with a deadline, killed by PID.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCertificate } from '../../lib/crypto/certificate-generator.js';
import { listeningPort } from './proc-sockets.js';

// dist/spec/helpers/cli-process.js → dist/bin/cli.js
export const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/cli.js');
export const STEP_MS = 15_000;

export class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly name: string, command: string, args: string[]) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => this.onOutput(() => (this.stdout += s)));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => this.onOutput(() => (this.stderr += s)));
    this.child.stdin!.on('error', () => undefined); // EPIPE when the process has gone
    this.exit = new Promise((res) => this.child.once('close', (code, signal) => res({ code, signal })));
  }

  get all(): string {
    return this.stdout + this.stderr;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  endInput(text?: string): void {
    this.child.stdin!.end(text);
  }

  /** Resolve once `pattern` shows in stdout or stderr; reject after `ms` or if the process exits first. */
  async waitFor(pattern: RegExp | string, ms = STEP_MS): Promise<void> {
    const found = (): boolean => (typeof pattern === 'string' ? this.all.includes(pattern) : pattern.test(this.all));
    if (found()) return;
    await new Promise<void>((res, rej) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) rej(err);
        else res();
      };
      const check = (): void => {
        if (found()) done();
        else if (!this.running) done(this.failure(`exited before printing ${pattern}`));
      };
      const timer = setTimeout(() => done(this.failure(`did not print ${pattern} within ${ms} ms`)), ms);
      this.listeners.add(check);
      this.exit.then(check, check);
    });
  }

  /** The first match of `pattern` in stdout or stderr, once it shows (as waitFor). */
  async match(pattern: RegExp, ms = STEP_MS): Promise<RegExpExecArray> {
    await this.waitFor(pattern, ms);
    return pattern.exec(this.all)!;
  }

  /** The port this process listens on (tcp) or has bound (udp), once it has one (see
   *  listeningPort); rejects after `ms` or if it exits first. */
  async boundPort(proto: 'tcp' | 'udp', ms = STEP_MS): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const port = listeningPort(this.child.pid!, proto);
      if (port !== undefined) return port;
      if (!this.running) throw this.failure(`exited before binding a ${proto} port`);
      if (Date.now() > deadline) throw this.failure(`bound no ${proto} port within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The exit code once the process ends; rejects after `ms`. */
  async exited(ms = STEP_MS): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(this.failure(`did not exit within ${ms} ms`)), ms);
    });
    try {
      const r = await Promise.race([this.exit, timeout]);
      return r.code;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.running && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private onOutput(append: () => void): void {
    append();
    for (const l of [...this.listeners]) l();
  }

  private failure(what: string): Error {
    return new Error(`${this.name} ${what}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`);
  }
}

/** The process exits with `code`; the message shows its output when it does not. */
export async function expectExit(p: Proc, code: number, ms = STEP_MS): Promise<void> {
  const got = await p.exited(ms);
  expect(got, `${p.name} exit code\n--- stdout ---\n${p.stdout}\n--- stderr ---\n${p.stderr}`).to.equal(code);
}


/** The port in the CLI server's `listening: 127.0.0.1:PORT` line (it prints the port it bound,
 *  also for `-p 0`). */
export async function listeningLine(server: Proc): Promise<number> {
  return Number((await server.match(/^listening: 127\.0\.0\.1:(\d+)/m))[1]);
}

export interface CliProcesses {
  /** `node dist/bin/cli.js ...args`. */
  run(name: string, args: string[]): Proc;
  /** `openssl ...args`. */
  openssl(name: string, args: string[]): Proc;
  /** Any other program (gnutls-serv...). */
  spawnPeer(name: string, command: string, args: string[]): Proc;
  /** `server -p 0 ...args`, once it prints its listening: line (with the port it bound). */
  startServer(args: string[]): Promise<{ server: Proc; port: number }>;
  /** `openssl s_server -accept 127.0.0.1:0 ...args` (stdin kept open), once its TCP port is bound. */
  sServer(args: string[]): Promise<{ proc: Proc; port: number }>;
  /** PEM files written for the suite: a CA, a server leaf (localhost, 127.0.0.1) and a client leaf. */
  readonly files: { dir: string; ca: string; cert: string; key: string; clientCert: string; clientKey: string };
}

/**
 * Call inside a describe(): a temporary directory with certificates and the CLI's demo CA home
 * (SECURE_DUPLEX_HOME, inherited by the children), and every process started through the
 * returned functions killed after each test (its output printed when the test failed).
 */
export function useCliProcesses(): CliProcesses {
  const procs: Proc[] = [];
  const files = { dir: '', ca: '', cert: '', key: '', clientCert: '', clientKey: '' };
  const spawnPeer = (name: string, command: string, args: string[]): Proc => {
    const p = new Proc(name, command, args);
    procs.push(p);
    return p;
  };
  const run = (name: string, args: string[]): Proc => spawnPeer(name, process.execPath, [CLI, ...args]);
  const openssl = (name: string, args: string[]): Proc => spawnPeer(name, 'openssl', args);
  const startServer = async (args: string[]): Promise<{ server: Proc; port: number }> => {
    const server = run('server', ['server', '-p', '0', ...args]);
    return { server, port: await listeningLine(server) };
  };

  const sServer = async (args: string[]): Promise<{ proc: Proc; port: number }> => {
    const proc = openssl('openssl s_server', ['s_server', '-accept', '127.0.0.1:0', ...args]);
    return { proc, port: await proc.boundPort('tcp', 10_000) };
  };

  before(() => {
    files.dir = mkdtempSync(join(tmpdir(), 'secure-duplex-cli-'));
    // The CLI's demo CA (bin/demo-ca.ts) lives here for this run; children inherit the env.
    process.env.SECURE_DUPLEX_HOME = join(files.dir, 'home');
    const ca = generateCertificate({ commonName: 'CLI test CA', isCA: true, altNames: [] });
    const leaf = generateCertificate({ issuer: ca, extKeyUsage: ['serverAuth'] });
    const client = generateCertificate({ issuer: ca, commonName: 'cli-client', altNames: [], extKeyUsage: ['clientAuth'] });
    const write = (name: string, text: string): string => {
      const p = join(files.dir, name);
      writeFileSync(p, text);
      return p;
    };
    files.ca = write('ca.pem', ca.certPem);
    files.cert = write('cert.pem', leaf.certPem);
    files.key = write('key.pem', leaf.keyPem);
    files.clientCert = write('client.pem', client.certPem);
    files.clientKey = write('client-key.pem', client.keyPem);
  });

  after(() => rmSync(files.dir, { recursive: true, force: true }));

  afterEach(function () {
    const failed = this.currentTest?.state === 'failed';
    for (const p of procs.splice(0)) {
      p.kill();
      if (failed) console.log(`--- ${p.name} stdout ---\n${p.stdout}--- ${p.name} stderr ---\n${p.stderr}`);
    }
  });

  return { run, openssl, spawnPeer, startServer, sServer, files };
}
