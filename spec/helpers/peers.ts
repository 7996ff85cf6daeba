/**
 * Harness for interop tests against REAL peer processes: openssl s_server/s_client,
 * gnutls-serv/gnutls-cli and a node:tls peer running in a child process
 * (spec/helpers/node-tls-peer.ts).
 *
 * Model: data TO a peer is written to its stdin, data FROM a peer is read from its stdout.
 * The launchers below pick flags so that, where the tool allows it, stdout carries exactly the
 * application data received (and nothing else) and stdin is sent as-is (no command letters).
 *
 * Measured on this machine (OpenSSL 3.0.19, GnuTLS 3.7.9, Node 20.20.2); see docs/peers.md,
 * section "Measured by the interop harness", for the full list:
 *
 * openssl s_server
 * - With `-brief` (or `-quiet`) stdout is byte-exact application data: 1 MiB of random binary
 *   went through both ways and compared equal by sha256. Command letters are off in these
 *   modes (the command checks in s_server run only when neither -quiet nor -brief is given).
 * - With `-brief`/`-quiet` NOTHING is printed before a client connects (no "ACCEPT"), so
 *   readiness is detected by looking for the listening socket of that PID in /proc/net/{tcp,udp}
 *   (see isListening). A TCP probe would use up the `-naccept 1` connection. OpenSSL binds its
 *   UDP socket with SO_REUSEADDR: two DTLS s_servers can sit on the same port, so the check
 *   matches the socket inode against /proc/PID/fd.
 * - `-brief` prints its connection summary on stderr ("Protocol version: ...",
 *   "Ciphersuite: ...") only when the handshake is driven by a read; when s_server already has
 *   stdin data queued the handshake runs inside SSL_write and NOTHING is printed. Do not wait
 *   for it.
 * - Closing s_server's stdin ends the connection (close_notify) and, with `-naccept 1`, the
 *   process exits 0 (TLS and DTLS). But while it still waits for a client, a -brief/-quiet
 *   s_server ignores stdin EOF (TLS and DTLS) and waits on: kill it. Without -quiet/-brief a
 *   DTLS s_server does exit at stdin EOF before any client came.
 * - Commands mode (no -brief/-quiet): stdout mixes diagnostics ("Using default temp DH
 *   parameters", "ACCEPT", "-----BEGIN SSL SESSION PARAMETERS-----", "SSL_do_handshake -> 1",
 *   "Read BLOCK", "DONE", "CONNECTION CLOSED" and cache statistics) with the received data.
 *   The command is decided by the FIRST BYTE OF EACH read() OF STDIN (not of each line):
 *   'q'/'Q' quit, 'P' writes plaintext into the TCP stream (kills the connection), 'S' prints
 *   statistics; 'r', 'R', 'k', 'K', 'c' only when the next byte is '\n' or '\r'. After "r\n"
 *   s_server renegotiates and prints "SSL_do_handshake -> 1" once the handshake completes.
 *   At stdin EOF it prints "DONE" and quits WITHOUT close_notify (gnutls-cli: "The TLS
 *   connection was non-properly terminated", exit 1).
 *
 * openssl s_client
 * - `-quiet` implies -ign_eof, which also disables all command letters; `-brief -nocommands`
 *   likewise sends stdin as-is (1 MiB random binary byte-exact both ways). Without -nocommands
 *   and without -ign_eof, stdin chunks starting with Q quit (we saw EPIPE on the writer).
 * - `-brief` prints "CONNECTION ESTABLISHED" then "Protocol version: TLSv1.2",
 *   "Ciphersuite: ..." on stderr after the handshake: reliable (10/10 TLS, 5/5 DTLS, even with
 *   stdin data already queued). stdout is pure data.
 * - Without -ign_eof, stdin EOF makes s_client send close_notify and exit 0 at once, dropping
 *   anything still in flight from the server: wait for the expected bytes before end().
 * - stderr always carries "Can't use SSL_get_servername" when connecting to an IP without
 *   -servername, and verify lines ("depth=0 CN = localhost", "verify return:1").
 *
 * gnutls-serv
 * - Has NO option to choose the bind address: it listens on 0.0.0.0 and :: (port from -p).
 * - Prints on stderr "Echo Server listening on IPv4 0.0.0.0 port N...done" (TLS echo),
 *   "UDP Echo Server listening on IPv4 ..." (--udp --echo), "HTTP Server listening on IPv4 ..."
 *   (default mode, no --echo: answers a GET with an HTML status page), then the same for IPv6.
 *   IPv4 comes first, so the IPv4 line means 127.0.0.1 works.
 * - Without --priority it negotiates TLS 1.3: the launchers pin
 *   "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-DTLS1.2".
 * - It requests a client certificate by default; the launcher passes --disable-client-cert
 *   unless requestClientCert is set.
 * - --echo is text only: random binary came back EMPTY; a received chunk ending in "\r\n" is
 *   echoed ending in "\n" (only the chunk's end is changed; "a\r\nb\r\n" came back "a\r\nb\n").
 *   Per-connection details go to stdout (block buffered), received data is logged on stderr
 *   ("received cmd: ...", "*** Processing N bytes command: ...").
 *
 * gnutls-cli
 * - Without --logfile, stdout = session details, then "- Handshake was completed\n\n- Simple
 *   Client Mode:\n\n", then the received data (flushed at once; byte-exact after that marker).
 *   With --rehandshake, the renegotiation follows "- Simple Client Mode:": certificate and
 *   session details again, then "- ReHandshake was completed\n", then data (TLS and DTLS).
 *   But when the SERVER renegotiates, gnutls-cli prints "*** Received rehandshake request",
 *   certificate details and "*** Rehandshake was performed." on stdout among the data (and
 *   "*** Non fatal error: Rehandshake was requested by the peer." on stderr); when the server
 *   closes with close_notify it appends "- Peer has closed the GnuTLS connection" to stdout
 *   (without one: "*** Fatal error: The TLS connection was non-properly terminated." on
 *   stderr, exit 1).
 * - With --logfile FILE, stdout is pure data (1 MiB random both ways vs openssl s_server,
 *   byte-exact) but the log file is block-buffered: it stays EMPTY until gnutls-cli exits.
 *   "--logfile /dev/stderr" fails ("Unable to open '/dev/stderr'!") when stderr is a pipe.
 * - stdin is sent as-is (no command parsing unless --inline-commands).
 * - Without --x509cafile it fails ("The certificate issuer is unknown", exit 1); --insecure and
 *   --no-ca-verification both connect to a self-signed server. Connecting to 127.0.0.1 verifies
 *   against the certificate's IP SAN.
 * - TCP: stdin EOF makes it close and exit 0 within a few ms (wait for the data first).
 *   UDP (--udp): it did NOT exit within 2 s of stdin EOF: kill it.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_WAIT_MS } from './within.js';

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

/** A TCP port that was free on 127.0.0.1 a moment ago (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('freePort: no port'))));
    });
  });
}

/** A UDP port that was free on 127.0.0.1 a moment ago. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.unref();
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const port = sock.address().port;
      sock.close(() => resolve(port));
    });
  });
}

/** Socket inodes owned by `pid` (from /proc/PID/fd), or null if the process is gone. */
function socketInodes(pid: number): Set<string> | null {
  try {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        /* fd closed meanwhile */
      }
    }
    return inodes;
  } catch {
    return null;
  }
}

/** Does `pid` own a socket in /proc/net/{proto,proto6} for which `match(localPort, remotePort, state)` holds? */
function procSocket(pid: number, proto: 'tcp' | 'udp', match: (local: number, remote: number, state: string) => boolean): boolean {
  const tables = proto === 'tcp' ? ['/proc/net/tcp', '/proc/net/tcp6'] : ['/proc/net/udp', '/proc/net/udp6'];
  if (!fs.existsSync(tables[0]!)) return true; // no /proc/net: best effort, rely on timeouts
  const inodes = socketInodes(pid);
  if (!inodes) return false;
  for (const f of procNetRows(tables)) {
    if (f.length < 10 || !inodes.has(f[9]!)) continue;
    if (match(portOf(f[1]!), portOf(f[2]!), f[3]!)) return true;
  }
  return false;
}

/** The port of a /proc/net address ("0100007F:1F90"). */
const portOf = (addr: string): number => parseInt(addr.slice(addr.lastIndexOf(':') + 1), 16);

/** The rows of /proc/net tables (e.g. /proc/net/udp), split into fields; missing tables skipped. */
function* procNetRows(tables: readonly string[]): Generator<string[]> {
  for (const table of tables) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) yield line.trim().split(/\s+/);
  }
}

/**
 * True when process `pid` owns a socket on local port `port` that is LISTENing (tcp) or bound
 * and unconnected (udp), per /proc/net/{tcp,tcp6,udp,udp6} and /proc/PID/fd. Linux only; where
 * /proc/net is missing it returns true (then only the timeouts guard).
 */
export function isListening(pid: number, port: number, proto: 'tcp' | 'udp'): boolean {
  const want = proto === 'tcp' ? '0A' : '07'; // TCP_LISTEN / unconnected UDP
  return procSocket(pid, proto, (local, _remote, state) => local === port && state === want);
}

/** The IPv4 port of the socket `pid` LISTENs on (tcp) or holds bound and unconnected (udp),
 *  or undefined: for peers started on port 0 that do not print the port they got (openssl
 *  s_server -brief, gnutls-serv -p 0). */
export function listeningPort(pid: number, proto: 'tcp' | 'udp'): number | undefined {
  const want = proto === 'tcp' ? '0A' : '07';
  const inodes = socketInodes(pid);
  if (!inodes) return undefined;
  for (const f of procNetRows([`/proc/net/${proto}`])) {
    if (f.length >= 10 && inodes.has(f[9]!) && f[3] === want) return portOf(f[1]!);
  }
  return undefined;
}

/** Datagrams the kernel dropped at the UDP socket bound to local port `port` (receive buffer
 *  full), from the `drops` column of /proc/net/{udp,udp6}; 0 where /proc/net is missing. */
export function udpDrops(port: number): number {
  let drops = 0;
  for (const f of procNetRows(['/proc/net/udp', '/proc/net/udp6'])) {
    if (f.length >= 13 && portOf(f[1]!) === port) drops += Number(f[12]);
  }
  return drops;
}

/** True when process `pid` owns a connected (ESTABLISHED) socket whose remote port is `port`. */
export function isConnected(pid: number, port: number, proto: 'tcp' | 'udp'): boolean {
  return procSocket(pid, proto, (_local, remote, state) => remote === port && state === '01');
}

// ---------------------------------------------------------------------------------------------
// requirePeer
// ---------------------------------------------------------------------------------------------

export type PeerCommand = 'openssl' | 'gnutls-serv' | 'gnutls-cli' | 'tshark';

const peerAvailability = new Map<PeerCommand, string | null>();

/** Version line of `cmd`, or null when it cannot be run. Cached. */
export function peerVersion(cmd: PeerCommand): string | null {
  if (!peerAvailability.has(cmd)) {
    const r = spawnSync(cmd, cmd === 'openssl' ? ['version'] : ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ok = !r.error && r.status === 0;
    peerAvailability.set(cmd, ok ? (r.stdout.split('\n')[0] ?? '').trim() || cmd : null);
  }
  return peerAvailability.get(cmd) ?? null;
}

/**
 * Makes sure `cmd` can be run. When it cannot: under CI (process.env.CI set) it throws, so the
 * test FAILS; elsewhere it prints a loud warning on stderr and skips the test (ctx.skip()).
 * Call it as `requirePeer(this, 'openssl')` inside a `function () {}` test or hook.
 */
export function requirePeer(ctx: Mocha.Context, cmd: PeerCommand): void {
  if (peerVersion(cmd) !== null) return;
  const pkg = cmd === 'openssl' || cmd === 'tshark' ? cmd : 'gnutls-bin';
  requireCapability(ctx, false, `peer program '${cmd}' is not installed (Debian package: ${pkg}; .ci/run installs it)`);
}

/**
 * A test that needs something of the machine (`ok`): without it, under CI the test FAILS (so CI
 * never passes by skipping), elsewhere it is skipped with a loud warning saying `what` is missing.
 */
export function requireCapability(ctx: Mocha.Context, ok: boolean, what: string): void {
  if (ok) return;
  if (process.env['CI']) throw new Error(`${what} -- tests must not be skipped in CI`);
  process.stderr.write(
    `\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n` +
      `!!! WARNING: SKIPPING test: ${what}\n` +
      `!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`,
  );
  ctx.skip();
}

// ---------------------------------------------------------------------------------------------
// PeerProcess
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Launchers
// ---------------------------------------------------------------------------------------------

export interface OpensslServerOptions {
  port: number;
  cert: string;
  key: string;
  /** -CAfile: trust anchors for client certificates. */
  ca?: string;
  /** Ask for a client certificate (-verify 1) or require one (-Verify 1). */
  verifyClient?: 'request' | 'require';
  /** -cipher (TLS 1.2 cipher list). */
  cipher?: string;
  dtls?: boolean;
  /** -naccept; default 1 (the process exits after that many connections). */
  naccept?: number;
  /**
   * false (default): `-brief`, stdout = exactly the bytes received, stdin = bytes to send,
   * no command letters. true: no -brief, stdin lines are commands (write "r\n" to
   * renegotiate; see the header comment) and stdout mixes diagnostics with the data.
   */
  commands?: boolean;
  /** -client_renegotiation (OpenSSL 3 refuses client-initiated renegotiation without it). */
  clientRenegotiation?: boolean;
  /** -keylogfile */
  keylog?: string;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

/** openssl s_server on 127.0.0.1:port, TLS 1.2 (or DTLS 1.2). Ready once its socket is bound. */
export function opensslServer(o: OpensslServerOptions): Promise<PeerProcess> {
  const args = ['s_server', '-accept', `127.0.0.1:${o.port}`, o.dtls ? '-dtls1_2' : '-tls1_2', '-cert', o.cert, '-key', o.key];
  args.push('-naccept', String(o.naccept ?? 1));
  if (!o.commands) args.push('-brief');
  if (o.ca) args.push('-CAfile', o.ca);
  if (o.verifyClient) args.push(o.verifyClient === 'require' ? '-Verify' : '-verify', '1');
  if (o.cipher) args.push('-cipher', o.cipher);
  if (o.clientRenegotiation) args.push('-client_renegotiation');
  if (o.keylog) args.push('-keylogfile', o.keylog);
  args.push(...(o.extraArgs ?? []));
  return startPeer('openssl', args, {
    ready: (_out, p) => isListening(p.pid, o.port, o.dtls ? 'udp' : 'tcp'),
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

export interface OpensslClientOptions {
  port: number;
  /** -CAfile + -verify_return_error: the handshake fails if the server is not trusted. */
  ca?: string;
  cipher?: string;
  /** -servername (SNI). Without it, connecting to an IP sends no SNI. */
  servername?: string;
  dtls?: boolean;
  /**
   * Keep running after stdin EOF (-ign_eof). Default false: stdin EOF sends close_notify and
   * exits at once (so wait for the expected data before end()).
   */
  ignEof?: boolean;
  /** -keylogfile */
  keylog?: string;
  extraArgs?: string[];
  /** Default: resolves after the handshake ("CONNECTION ESTABLISHED" ... "Ciphersuite: X" on stderr). */
  waitHandshake?: boolean;
  readyTimeoutMs?: number;
}

/**
 * openssl s_client to 127.0.0.1:port with `-brief -nocommands`: stdin is sent as-is, stdout is
 * exactly the bytes received. Resolves after the handshake unless waitHandshake is false.
 */
export function opensslClient(o: OpensslClientOptions): Promise<PeerProcess> {
  const args = ['s_client', '-connect', `127.0.0.1:${o.port}`, o.dtls ? '-dtls1_2' : '-tls1_2', '-brief', '-nocommands'];
  if (o.ignEof) args.push('-ign_eof');
  if (o.ca) args.push('-CAfile', o.ca, '-verify_return_error');
  if (o.cipher) args.push('-cipher', o.cipher);
  if (o.servername) args.push('-servername', o.servername);
  if (o.keylog) args.push('-keylogfile', o.keylog);
  args.push(...(o.extraArgs ?? []));
  return startPeer('openssl', args, {
    // -brief prints "CONNECTION ESTABLISHED", "Protocol version: ...", "Ciphersuite: ..." (one
    // write each) on stderr after the handshake.
    ready: o.waitHandshake === false ? () => true : /^CONNECTION ESTABLISHED\n(?:.*\n)*?Ciphersuite: \S+\n/m,
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

/** TLS 1.2 and DTLS 1.2 only (gnutls otherwise picks TLS 1.3). */
export const GNUTLS_TLS12_PRIORITY = 'NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-DTLS1.2';

export interface GnutlsServerOptions {
  port: number;
  cert: string;
  key: string;
  /** --echo (text only, see header). Default false: the HTTP status-page server. */
  echo?: boolean;
  /** --udp: DTLS. */
  udp?: boolean;
  /** --priority; default GNUTLS_TLS12_PRIORITY. */
  priority?: string;
  /** Default false: --disable-client-cert (gnutls-serv asks for one by default). */
  requestClientCert?: boolean;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

/**
 * gnutls-serv on port (all addresses: gnutls-serv cannot bind 127.0.0.1 only). Serves any
 * number of connections until killed. Ready on "... listening on IPv4 ... port N...done".
 */
export function gnutlsServer(o: GnutlsServerOptions): Promise<PeerProcess> {
  const args = ['-p', String(o.port), '--x509certfile', o.cert, '--x509keyfile', o.key, '--priority', o.priority ?? GNUTLS_TLS12_PRIORITY];
  if (o.echo) args.push('--echo');
  if (o.udp) args.push('--udp');
  if (!o.requestClientCert) args.push('--disable-client-cert');
  args.push(...(o.extraArgs ?? []));
  return startPeer('gnutls-serv', args, {
    ready: new RegExp(`listening on IPv4 \\S+ port ${o.port}\\.\\.\\.done`),
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

export interface GnutlsClientOptions {
  port: number;
  /** --x509cafile. Without it the launcher passes --insecure (no verification). */
  ca?: string;
  udp?: boolean;
  /** --rehandshake: renegotiate right after the handshake ("- ReHandshake was completed"). */
  rehandshake?: boolean;
  /** --priority; default GNUTLS_TLS12_PRIORITY. */
  priority?: string;
  /** --sni-hostname */
  servername?: string;
  /**
   * false (default): session details on stdout, split off into preamble() at
   * "- Simple Client Mode:\n\n" (with rehandshake: at "- ReHandshake was completed\n", which
   * follows "- Simple Client Mode:" and the new session's details); resolves after the
   * handshake (and the rehandshake); live messages. BUT if the server renegotiates, gnutls-cli prints "*** Received rehandshake
   * request", certificate details and "*** Rehandshake was performed." INTO stdout, among the
   * data, and after a close_notify it appends "- Peer has closed the GnuTLS connection".
   * true: --logfile FILE: stdout is exactly the data, always; but the log is block-buffered by
   * gnutls-cli, so log() is empty until it exits; resolves once its socket is connected (the
   * handshake may still be running; stdin written meanwhile waits in the pipe).
   */
  logFile?: boolean;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

let logSeq = 0;

/** The marker after which gnutls-cli's stdout carries the received data. */
export const GNUTLS_CLI_DATA_MARKER = '- Simple Client Mode:\n\n';
/** With --rehandshake the renegotiation's details follow "- Simple Client Mode:", ending in this. */
export const GNUTLS_CLI_REHANDSHAKE_DATA_MARKER = '- ReHandshake was completed\n';

/** gnutls-cli to 127.0.0.1:port, TLS 1.2 (DTLS 1.2 with udp). See GnutlsClientOptions.logFile. */
export function gnutlsClient(o: GnutlsClientOptions): Promise<PeerProcess> {
  const args = ['-p', String(o.port), '--priority', o.priority ?? GNUTLS_TLS12_PRIORITY];
  const logFile = o.logFile ? path.join(peersTmpDir(), `gnutls-cli-${process.pid}-${++logSeq}.log`) : undefined;
  if (logFile) args.push('--logfile', logFile);
  args.push(...(o.ca ? ['--x509cafile', o.ca] : ['--insecure']));
  if (o.udp) args.push('--udp');
  if (o.rehandshake) args.push('--rehandshake');
  if (o.servername) args.push('--sni-hostname', o.servername);
  args.push(...(o.extraArgs ?? []), '127.0.0.1');
  return startPeer('gnutls-cli', args, {
    ready: logFile
      ? (_out, p) => isConnected(p.pid, o.port, o.udp ? 'udp' : 'tcp')
      : o.rehandshake
        ? /^- ReHandshake was completed$/m
        : /^- Simple Client Mode:$/m,
    readyTimeoutMs: o.readyTimeoutMs,
    logFile,
    stdoutPreamble: logFile ? undefined : o.rehandshake ? GNUTLS_CLI_REHANDSHAKE_DATA_MARKER : GNUTLS_CLI_DATA_MARKER,
  });
}

// ---------------------------------------------------------------------------------------------
// node:tls peer in a child process
// ---------------------------------------------------------------------------------------------

interface NodeTlsPeerCommon {
  /** -> tls options `ciphers` */
  ciphers?: string;
  /** Write TLS secrets here (NSS key log format). */
  keylog?: string;
}

export interface NodeTlsServerArgs extends NodeTlsPeerCommon {
  mode: 'server-echo' | 'server-sink-source';
  cert: string;
  key: string;
  /** 0 or absent: an ephemeral port, reported in the ready line. */
  port?: number;
  /** Client certificate trust anchors; with requestCert, verified (rejectUnauthorized). */
  ca?: string;
  requestCert?: boolean;
  /** Exit after this many connections have closed (default 1). */
  connections?: number;
  /** sink-source: bytes to receive before reporting (event "received"). */
  readBytes?: number;
  /** sink-source: bytes of randomBytesSeeded(seed, writeBytes) to send. */
  writeBytes?: number;
  seed?: number;
}

export interface NodeTlsClientArgs extends NodeTlsPeerCommon {
  mode: 'client-sink-source';
  port: number;
  /** Trust anchors; without ca the client does not verify (rejectUnauthorized false). */
  ca?: string;
  servername?: string;
  readBytes?: number;
  writeBytes?: number;
  seed?: number;
}

export type NodeTlsPeerArgs = NodeTlsServerArgs | NodeTlsClientArgs;

/** One JSON line printed by node-tls-peer. */
export interface NodeTlsPeerEvent {
  event: string;
  [k: string]: unknown;
}

export interface NodeTlsPeer extends PeerProcess {
  /** Server: the listening port. Client: the port it connects to. */
  readonly port: number;
  /** All JSON event lines printed so far. */
  events(): NodeTlsPeerEvent[];
  /** Resolves with the first event named `name` printed after `since` (default: any). */
  waitEvent(name: string, timeoutMs?: number, since?: PeerMark): Promise<NodeTlsPeerEvent>;
}

/** Path of the compiled child script (dist/spec/helpers/node-tls-peer.js). */
export const NODE_TLS_PEER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-tls-peer.js');

/**
 * Runs spec/helpers/node-tls-peer.js with process.execPath and the JSON args; resolves on its
 * ready line ({"event":"ready","port":N}). Write "renegotiate\n" / "end\n" to its stdin to
 * renegotiate / end all its connections (see node-tls-peer.ts).
 */
export async function nodeTlsPeer(args: NodeTlsPeerArgs, readyTimeoutMs = EVENT_WAIT_MS): Promise<NodeTlsPeer> {
  const p = await startPeer(process.execPath, [NODE_TLS_PEER_SCRIPT, JSON.stringify(args)], {
    ready: /^\{"event":"ready".*\}$/m,
    readyTimeoutMs,
  });
  const events = (): NodeTlsPeerEvent[] => {
    const lines = p.stdout().split('\n');
    lines.pop(); // an unfinished line
    const out: NodeTlsPeerEvent[] = [];
    for (const l of lines) {
      try {
        if (l.startsWith('{')) out.push(JSON.parse(l) as NodeTlsPeerEvent);
      } catch {
        /* not an event line */
      }
    }
    return out;
  };
  const port = Number(events().find((e) => e.event === 'ready')?.['port']);
  const extra = {
    port,
    events,
    async waitEvent(name: string, timeoutMs = EVENT_WAIT_MS, since?: PeerMark): Promise<NodeTlsPeerEvent> {
      const line = await p.waitFor(new RegExp(`^\\{"event":"${name}".*\\}$`, 'm'), timeoutMs, since);
      return JSON.parse(line) as NodeTlsPeerEvent;
    },
  };
  return Object.assign(p, extra);
}

// ---------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Deterministic pseudo-random bytes: xoshiro128** seeded through splitmix32 from `seed`
 * (a number, or a string hashed with sha256). Same (seed, n) -> same bytes, on any machine.
 * Not cryptographic; about 250 MB/s.
 */
export function randomBytesSeeded(seed: number | string, n: number): Buffer {
  const s = new Uint32Array(4);
  if (typeof seed === 'string') {
    const h = createHash('sha256').update(seed).digest();
    for (let i = 0; i < 4; i++) s[i] = h.readUInt32LE(i * 4);
  } else {
    let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  let a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
  while (i < n) {
    const r0 = Math.imul(b, 5);
    const r = Math.imul((r0 << 7) | (r0 >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    if (i + 4 <= n) {
      out.writeUInt32LE(r, i);
      i += 4;
    } else {
      for (let k = 0; i < n; k++) out[i++] = (r >>> (8 * k)) & 0xff;
    }
  }
  return out;
}

/** First characters randomTextLines never uses (s_client: R Q K k; s_server: q Q r R k K c P S). */
export const TEXT_LINE_FORBIDDEN_FIRST = 'RQKkqrcPS';

/**
 * `count` deterministic printable-ASCII lines (no newline included; join with "\n"), each
 * 1..maxLen long, never starting with a command letter of s_client or s_server (see
 * TEXT_LINE_FORBIDDEN_FIRST) nor with a space, and without CR. Safe for gnutls-serv --echo.
 */
export function randomTextLines(seed: number | string, count: number, maxLen = 72): string[] {
  const bytes = randomBytesSeeded(typeof seed === 'string' ? `lines:${seed}` : `lines:${seed}`, count * (maxLen + 2));
  const firstChars = 'ABCDEFGHIJLMNOTUVWXYZabdefghijlmnopstuvwxyz0123456789'.split('').filter((ch) => !TEXT_LINE_FORBIDDEN_FIRST.includes(ch));
  const lines: string[] = [];
  let j = 0;
  for (let i = 0; i < count; i++) {
    const len = 1 + (bytes[j++]! % maxLen);
    let line = firstChars[bytes[j++]! % firstChars.length]!;
    for (let k = 1; k < len; k++) line += String.fromCharCode(0x20 + (bytes[j++]! % 95));
    lines.push(line);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

export interface TestCert {
  cert: string;
  key: string;
}

/**
 * Self-signed P-256 certificate for CN=localhost, SAN DNS:localhost + IP:127.0.0.1, valid 2
 * days, made with the openssl CLI into `dir` as NAME.pem / NAME.key. Doubles as its own CA.
 */
export function generateCert(dir: string, name = 'server', cn = 'localhost'): TestCert {
  const cert = path.join(dir, `${name}.pem`);
  const key = path.join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`,
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', cert],
    { encoding: 'utf8', timeout: 20_000 },
  );
  if (r.error || r.status !== 0) throw new Error(`openssl req failed: ${r.error?.message ?? ''}\n${r.stderr}`);
  return { cert, key };
}
