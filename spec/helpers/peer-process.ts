/**
 * Harness for interop tests against REAL peer processes: openssl s_server/s_client,
 * gnutls-serv/gnutls-cli and a node:tls peer running in a child process
 * (spec/helpers/node-tls-peer.ts).
 *
 * Model: data TO a peer is written to its stdin, data FROM a peer is read from its stdout.
 * The launchers pick flags so that, where the tool allows it, stdout carries exactly the
 * application data received (and nothing else) and stdin is sent as-is (no command letters).
 *
 * A peer is a PeerProcess (this file): a spawned program whose outputs are collected, waited on
 * with deadlines and which is killed by PID after the test (or at exit). Launchers and what was
 * measured of each program: openssl-peer.ts, gnutls-peer.ts, node-tls-launcher.ts; docs/peers.md,
 * section "Measured by the interop harness", has the full list.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isListening, listeningPort } from './proc-sockets.js';
import { EVENT_WAIT_MS } from './within.js';

export interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Byte offsets into a peer's outputs; see PeerProcess.mark(). */
export interface PeerMark {
  stdout: number;
  stderr: number;
  log: number;
  preamble: number;
}

export interface StartPeerOptions {
  /**
   * When the peer counts as started. A RegExp is tested against stdout, stderr and the log file
   * (each on its own). A function gets preamble + stdout + "\n" + stderr + "\n" + log and the peer; it is
   * called on every output chunk AND every 25 ms, so it may look at outside state (see
   * isListening).
   */
  ready: RegExp | ((out: string, peer: PeerProcess) => boolean);
  readyTimeoutMs?: number;
  /** Extra environment variables (merged over process.env). */
  env?: Record<string, string>;
  /** A file the peer writes diagnostics to (gnutls-cli --logfile); searched like stdout. */
  logFile?: string;
  /** How much of each output is kept for stdout()/stderr()/log() (the tail). Default 1 MiB. */
  maxBuffer?: number;
  /**
   * stdout up to and including the first occurrence of this string is diagnostics, not data:
   * it goes to preamble(), and stdout()/stdoutBytes()/stdoutSha256()/waitForBytes() count only
   * what follows (gnutls-cli without --logfile: "- Simple Client Mode:\n\n").
   */
  stdoutPreamble?: string;
}

export interface PeerProcess {
  readonly pid: number;
  readonly proc: ChildProcessWithoutNullStreams;
  /** The command line, for messages. */
  readonly command: string;
  /** Collected stdout as text (the last maxBuffer bytes). */
  stdout(): string;
  /** Collected stderr as text (the last maxBuffer bytes). */
  stderr(): string;
  /** Contents of the log file, if any (the last maxBuffer bytes). */
  log(): string;
  /** stdout before the data (see StartPeerOptions.stdoutPreamble); '' if none. */
  preamble(): string;
  /** Collected stdout as bytes (the last maxBuffer bytes). */
  stdoutBuffer(): Buffer;
  /** Total bytes seen on stdout since start (not capped). */
  stdoutBytes(): number;
  /** sha256 (hex) of EVERYTHING seen on stdout since start (not capped). */
  stdoutSha256(): string;
  /**
   * Writes to the peer's stdin; resolves once handed to the OS pipe (64 KiB). A peer that is not
   * reading its stdin yet (s_server before a client connects) holds a larger write until it
   * does: don't await such a write before connecting the other side.
   */
  write(data: string | Uint8Array): Promise<void>;
  /** Closes the peer's stdin (EOF). */
  end(): Promise<void>;
  /** Current output offsets: pass to waitFor to only look at later output. */
  mark(): PeerMark;
  /**
   * Resolves with the whole line (of stdout, stderr or the log) in which `pattern` matches;
   * rejects with diagnostics on timeout or if the peer exits without it.
   */
  waitFor(pattern: RegExp, timeoutMs?: number, since?: PeerMark): Promise<string>;
  /** Resolves once at least n bytes have arrived on stdout in total. */
  waitForBytes(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited and its outputs are closed. */
  waitExit(timeoutMs?: number): Promise<PeerExit>;
  /** SIGTERM, SIGKILL after 2 s; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Exit status, or null while running. */
  exited(): PeerExit | null;
  /** Command line, state and the tails of stdout/stderr/log, for error messages. */
  diagnostics(): string;
}

/** Keeps the last `cap` bytes of a stream plus a running count and hash of all of it. */
class Collector {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  private readonly hash: Hash = createHash('sha256');
  constructor(private readonly cap: number) {}
  push(b: Buffer): void {
    this.total += b.length;
    this.hash.update(b);
    this.chunks.push(b);
    this.kept += b.length;
    while (this.kept > this.cap && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.kept - this.cap;
      if (first.length <= excess) {
        this.chunks.shift();
        this.kept -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.kept -= excess;
      }
    }
  }
  /** Replace contents by a whole-file snapshot (for log files). */
  setAll(b: Buffer): void {
    this.total = b.length;
    const tail = b.length > this.cap ? b.subarray(b.length - this.cap) : b;
    this.chunks = [tail];
    this.kept = tail.length;
  }
  buffer(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
  /** Bytes from absolute offset `from` (clamped to what is kept). */
  since(from: number): Buffer {
    const buf = this.buffer();
    const dropped = this.total - buf.length;
    return buf.subarray(Math.max(0, from - dropped));
  }
  sha256(): string {
    return this.hash.copy().digest('hex');
  }
}

const livePeers = new Set<PeerProcessImpl>();
let tmpDir: string | null = null;

/** A per-test-run temporary directory (removed at exit). */
/** `work`, with the peer's command line, state and output tails added to its error when it
 *  fails: what the peer said is often the reason (an error it printed before closing). */
export async function withPeerDiagnostics<T>(peer: PeerProcess, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    // A new error (mocha prints the stack, which keeps the message it was made with).
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${peer.diagnostics()}`, { cause: e });
  }
}

export function peersTmpDir(): string {
  if (!tmpDir) tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-duplex-peers-'));
  return tmpDir;
}

function tail(text: string, n = 4096): string {
  return text.length > n ? `...(${text.length - n} chars cut)...` + text.slice(-n) : text;
}

function lineAt(text: string, index: number, length: number): string {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  let end = text.indexOf('\n', index + Math.max(length, 1) - 1);
  if (end < 0) end = text.length;
  return text.slice(start, end).replace(/\r$/, '');
}

interface Waiter {
  check(): boolean;
  fail(why: string): void;
}

class PeerProcessImpl implements PeerProcess {
  readonly pid: number;
  readonly command: string;
  private readonly out: Collector;
  private readonly err: Collector;
  private readonly logC: Collector;
  private readonly pre: Collector;
  private preambleBuf: Buffer | null;
  private exit: PeerExit | null = null;
  private closed = false;
  private readonly waiters = new Set<Waiter>();
  private readonly timer: NodeJS.Timeout;
  private readonly closedPromise: Promise<void>;
  private stdinError: Error | null = null;

  constructor(
    readonly proc: ChildProcessWithoutNullStreams,
    cmd: string,
    args: readonly string[],
    private readonly logFile: string | undefined,
    cap: number,
    private readonly preambleMarker?: string,
  ) {
    this.pid = proc.pid ?? -1;
    this.command = [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
    this.out = new Collector(cap);
    this.err = new Collector(cap);
    this.logC = new Collector(cap);
    this.pre = new Collector(cap);
    this.preambleBuf = preambleMarker ? Buffer.alloc(0) : null;
    proc.stdout.on('data', (b: Buffer) => {
      this.onStdout(b);
      this.poke();
    });
    proc.stderr.on('data', (b: Buffer) => {
      this.err.push(b);
      this.poke();
    });
    proc.stdin.on('error', (e) => {
      this.stdinError = e; // EPIPE when the peer is gone: reported via diagnostics
    });
    this.timer = setInterval(() => {
      this.readLog();
      this.poke();
    }, 25);
    this.timer.unref();
    this.closedPromise = new Promise<void>((resolve) => {
      let fallback: NodeJS.Timeout | undefined;
      const done = () => {
        if (this.closed) return;
        if (fallback) clearTimeout(fallback);
        this.closed = true;
        clearInterval(this.timer);
        this.readLog();
        livePeers.delete(this);
        this.poke();
        for (const w of [...this.waiters]) w.fail(`process exited (${this.exitText()})`);
        resolve();
      };
      proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        // 'close' normally follows once stdout/stderr are drained; don't hang if a grandchild
        // keeps them open.
        fallback = setTimeout(done, 1000);
        fallback.unref();
      });
      proc.once('close', (code, signal) => {
        this.exit ??= { code, signal };
        done();
      });
      proc.on('error', (e) => {
        // spawn failure (ENOENT...): no 'exit' will come
        if (this.exit === null && proc.pid === undefined) {
          this.err.push(Buffer.from(`spawn error: ${e.message}\n`));
          this.exit = { code: null, signal: null };
          done();
        }
      });
    });
    livePeers.add(this);
  }

  private onStdout(b: Buffer): void {
    if (this.preambleBuf === null) return this.out.push(b);
    const all = Buffer.concat([this.preambleBuf, b]);
    const i = all.indexOf(this.preambleMarker!, 0, 'latin1');
    if (i < 0) {
      this.preambleBuf = all;
      this.pre.setAll(all);
      return;
    }
    const end = i + Buffer.byteLength(this.preambleMarker!, 'latin1');
    this.pre.setAll(all.subarray(0, end));
    this.preambleBuf = null;
    if (end < all.length) this.out.push(all.subarray(end));
  }

  private exitText(): string {
    if (!this.exit) return 'running';
    return this.exit.signal ? `signal ${this.exit.signal}` : `code ${this.exit.code}`;
  }

  private readLog(): void {
    if (!this.logFile) return;
    try {
      this.logC.setAll(fs.readFileSync(this.logFile));
    } catch {
      /* not created yet */
    }
  }

  private poke(): void {
    for (const w of [...this.waiters]) if (w.check()) this.waiters.delete(w);
  }

  /** Registers a waiter; resolves when check() returns a value (not undefined). Module-internal. */
  until<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const w: Waiter = {
        check: () => {
          let v: T | undefined;
          try {
            v = check();
          } catch (e) {
            w.fail(`check threw: ${e instanceof Error ? e.message : String(e)}`);
            return true;
          }
          if (v === undefined) return false;
          if (timer) clearTimeout(timer);
          resolve(v);
          return true;
        },
        fail: (why) => {
          if (timer) clearTimeout(timer);
          this.waiters.delete(w);
          reject(new Error(`${what}: ${why}\n${this.diagnostics()}`));
        },
      };
      if (w.check()) return;
      if (this.closed) return w.fail(`process had already exited (${this.exitText()})`);
      this.waiters.add(w);
      timer = setTimeout(() => w.fail(`timed out after ${timeoutMs} ms`), timeoutMs);
    });
  }

  stdout(): string {
    return this.out.buffer().toString('utf8');
  }
  stderr(): string {
    return this.err.buffer().toString('utf8');
  }
  log(): string {
    this.readLog();
    return this.logC.buffer().toString('utf8');
  }
  preamble(): string {
    return this.pre.buffer().toString('utf8');
  }
  stdoutBuffer(): Buffer {
    return Buffer.from(this.out.buffer());
  }
  stdoutBytes(): number {
    return this.out.total;
  }
  stdoutSha256(): string {
    return this.out.sha256();
  }
  exited(): PeerExit | null {
    return this.exit;
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.proc.stdin.destroyed || this.proc.stdin.writableEnded) {
        return reject(new Error(`write to ${this.command}: stdin is closed\n${this.diagnostics()}`));
      }
      this.proc.stdin.write(data, (e) =>
        e ? reject(new Error(`write to ${this.command}: ${e.message}\n${this.diagnostics()}`)) : resolve(),
      );
    });
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.stdin.destroyed || this.proc.stdin.writableEnded) return resolve();
      this.proc.stdin.end(() => resolve());
      // an EPIPE'd stdin never calls back
      setTimeout(resolve, 1000).unref();
    });
  }

  mark(): PeerMark {
    this.readLog();
    return { stdout: this.out.total, stderr: this.err.total, log: this.logC.total, preamble: this.pre.total };
  }

  waitFor(pattern: RegExp, timeoutMs = EVENT_WAIT_MS, since?: PeerMark): Promise<string> {
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    const from = since ?? { stdout: 0, stderr: 0, log: 0, preamble: 0 };
    return this.until(`waiting for ${pattern} from ${this.command}`, timeoutMs, () => {
      for (const [c, start] of [
        [this.out, from.stdout],
        [this.err, from.stderr],
        [this.logC, from.log],
        [this.pre, from.preamble],
      ] as const) {
        const text = c.since(start).toString('utf8');
        const m = re.exec(text);
        if (m) return lineAt(text, m.index, m[0].length);
      }
      return undefined;
    });
  }

  waitForBytes(n: number, timeoutMs = EVENT_WAIT_MS): Promise<void> {
    return this.until(`waiting for ${n} bytes on stdout of ${this.command}`, timeoutMs, () =>
      this.out.total >= n ? true : undefined,
    ).then(() => undefined);
  }

  waitExit(timeoutMs = EVENT_WAIT_MS): Promise<PeerExit> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve(this.exit!);
      const t = setTimeout(
        () => reject(new Error(`waiting for ${this.command} to exit: timed out after ${timeoutMs} ms\n${this.diagnostics()}`)),
        timeoutMs,
      );
      void this.closedPromise.then(() => {
        clearTimeout(t);
        resolve(this.exit!);
      });
    });
  }

  kill(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.exit === null) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const k = setTimeout(() => {
        try {
          if (this.exit === null) process.kill(this.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 2000);
      k.unref();
      void this.closedPromise.then(() => clearTimeout(k));
    }
    this.proc.stdin.destroy();
    return this.closedPromise;
  }

  /** Synchronous last resort (process 'exit' handler). */
  killNow(): void {
    if (this.exit !== null || this.pid <= 0) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  diagnostics(): string {
    this.readLog();
    const show = (c: Collector) => {
      const b = c.buffer();
      const t = b.subarray(Math.max(0, b.length - 4096));
      // binary-safe rendering: keep printable ASCII and newlines
      return (b.length > t.length ? `...(${c.total - t.length} bytes before)...` : '') +
        t.toString('latin1').replace(/[^\x20-\x7e\n\t]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
    };
    let s =
      `--- peer: ${this.command}\n--- pid ${this.pid}, ${this.exitText()}` +
      (this.stdinError ? `, stdin error: ${this.stdinError.message}` : '') +
      (this.preambleMarker ? `\n--- stdout preamble (${this.pre.total} bytes):\n${show(this.pre)}` : '') +
      `\n--- stdout (${this.out.total} bytes):\n${show(this.out)}\n--- stderr (${this.err.total} bytes):\n${show(this.err)}\n`;
    if (this.logFile) s += `--- log ${this.logFile} (${this.logC.total} bytes):\n${tail(this.logC.buffer().toString('utf8'))}\n`;
    return s;
  }
}

/**
 * Spawns a peer with stdin as a pipe that stays open (openssl s_server quits at stdin EOF),
 * collects its outputs and resolves once `ready` is seen. Rejects (after killing it) with the
 * collected output if the process exits first or the timeout passes.
 */
export function startPeer(cmd: string, args: readonly string[], opts: StartPeerOptions): Promise<PeerProcess> {
  const { ready, readyTimeoutMs = EVENT_WAIT_MS, env, logFile, maxBuffer = 1 << 20, stdoutPreamble } = opts;
  const proc = spawn(cmd, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: env ? { ...process.env, ...env } : process.env,
  });
  const peer = new PeerProcessImpl(proc, cmd, args, logFile, maxBuffer, stdoutPreamble);
  const isReady =
    ready instanceof RegExp
      ? () =>
          ready.test(peer.stdout()) ||
          ready.test(peer.stderr()) ||
          (!!logFile && ready.test(peer.log())) ||
          (!!stdoutPreamble && ready.test(peer.preamble()))
      : () => ready(`${peer.preamble()}${peer.stdout()}\n${peer.stderr()}\n${logFile ? peer.log() : ''}`, peer);
  return peer
    .until(`starting ${peer.command} (ready: ${String(ready)})`, readyTimeoutMs, () => (isReady() ? true : undefined))
    .then(
      () => peer as PeerProcess,
      async (e: unknown) => {
        await peer.kill();
        throw e;
      },
    );
}

/** A server peer and the port it listens on. */
export interface ListeningPeer extends PeerProcess {
  /** The port the peer bound (read back from the kernel when it was told to bind port 0). */
  readonly port: number;
}

/**
 * startPeer for a server that binds `port` itself. Port 0 (the usual case): the peer binds any
 * free port and the port it got is read back from its own IPv4 socket (listeningPort), so no
 * other process can take the port between finding and binding it. Ready once that socket
 * listens (tcp) or is bound (udp) and, if given, `ready` matches the output.
 */
export async function startListeningPeer(
  cmd: string,
  args: readonly string[],
  proto: 'tcp' | 'udp',
  port: number,
  opts: Omit<StartPeerOptions, 'ready'> & { ready?: RegExp },
): Promise<ListeningPeer> {
  let bound: number | undefined;
  const p = await startPeer(cmd, args, {
    ...opts,
    ready: (out, peer) => {
      if (opts.ready && !opts.ready.test(out)) return false;
      bound = port === 0 ? listeningPort(peer.pid, proto) : isListening(peer.pid, port, proto) ? port : undefined;
      return bound !== undefined;
    },
  });
  return Object.assign(p, { port: bound! });
}

/** Kills every peer still running (SIGTERM, then SIGKILL after 2 s). */
export async function killAllPeers(): Promise<void> {
  await Promise.all([...livePeers].map((p) => p.kill()));
}

/** Number of peers still running (for leak checks). */
export function livePeerCount(): number {
  return livePeers.size;
}

function killAllPeersSync(): void {
  for (const p of livePeers) p.killNow();
  if (tmpDir) {
    try {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
}

process.on('exit', killAllPeersSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllPeersSync();
    process.kill(process.pid, sig); // default action now that our listener is gone
  });
}
// Root-level mocha hook (registered when this module is first imported by a spec file).
{
  const g = globalThis as { after?: (fn: () => Promise<void>) => void };
  if (typeof g.after === 'function') {
    g.after(async function killLeftoverPeers() {
      await killAllPeers();
    });
  }
}
