/**
 * Interop: RFC 5746 renegotiation WHILE APPLICATION DATA FLOWS, against real peers in their own
 * processes (openssl s_server / s_client, node:tls, gnutls-serv / gnutls-cli), and the same
 * scenario between two instances of each peer, so that a failure can be put on the right side.
 * The measured results and their explanations are in docs/renegotiation-interop.md.
 *
 * Every scenario streams data both ways where the peer program allows it, counts the
 * renegotiations that completed, hashes everything sent and everything received (a failed run
 * must still have delivered an intact prefix: nothing corrupted), records errors from both
 * sides, and audits the TLS records OUR socket writes (WireAudit: no application data between
 * our ServerHello / ClientHello and our ChangeCipherSpec under 'conservative').
 * RENEG_INTEROP_REPORT=FILE (or '-') writes all rows as a Markdown table at the end;
 * RENEG_INTEROP_VERBOSE=1 prints each row, =2 also the peers' stderr.
 *
 * Every wait is on an event or on bytes counted, bounded (timeouts of 3-30 s, loops by count;
 * a harness wait that runs out is an error of the row, so a clean row fails); between two steps
 * a scenario waits until more data has arrived in every direction, then streams on for a fixed
 * 100-300 ms (see FLOW_MS). Peers listen/connect on 127.0.0.1 (gnutls-serv cannot bind one
 * address), servers on a port they bind themselves (port 0), and are stopped by PID.
 *
 * How each peer program is driven (see also spec/helpers/peers.ts and docs/peers.md):
 * - openssl s_server renegotiates on "r\n" / "R\n" read from stdin, but only in commands mode
 *   (no -brief/-quiet), where its stdout mixes diagnostics with the data, and the command must be
 *   the first bytes of one read() of stdin (the rest of that read is thrown away). So the text we
 *   feed it is paused, the command is written once everything fed so far has reached the client,
 *   and the feed resumes as soon as s_server has sent its HelloRequest (-state prints it).
 *   The data going INTO s_server is text from TEXT_ALPHABET, so that every diagnostic line
 *   (all of them start with a character outside it) can be cut out of its stdout exactly.
 * - openssl s_client renegotiates on "R" as the first byte of a read() of stdin (-brief keeps
 *   stdout pure data and the command letters on; -nocommands would turn them off).
 * - -state makes both print their handshake states on stderr; "SSL_accept:SSLv3/TLS read
 *   finished" / "SSL_connect:SSLv3/TLS read finished" mark a completed handshake ("write
 *   finished" can be printed twice for one handshake when the write blocks).
 * - gnutls-cli --inline-commands renegotiates on a "^renegotiate^" line in its stdin;
 *   --rehandshake renegotiates once right after the first handshake. It reads its stdin only
 *   when its socket has nothing to read and takes in only ~200 KB/s, so what we send it is paced.
 * - node:tls: spec/helpers/node-tls-peer.ts (nodeTlsPeer), and for what it cannot do (a server
 *   renegotiate({ requestCert: true }), a client streaming fixed-size writes, a client
 *   certificate, a raised tls.CLIENT_RENEG_LIMIT) the small child script NODE_RENEG_PEER below.
 */
import { expect } from 'chai';
import { constants, createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { connect, createServer, type RenegotiationSendPolicy, type SecureDuplex, type Server, type TlsError } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import {
  GNUTLS_TLS12_PRIORITY,
  gnutlsClient,
  gnutlsServer,
  nodeTlsPeer,
  opensslServer,
  peersTmpDir,
  peerVersion,
  randomBytesSeeded,
  requirePeer,
  sha256Hex,
  startListeningPeer,
  startPeer,
  type ListeningPeer,
  type NodeTlsPeer,
  type PeerMark,
  type PeerProcess,
} from './helpers/peers.js';
import { receiveHashed, sendSeeded, type SendResult } from './helpers/stream-transfer.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

export interface Row {
  /** Scenario key, e.g. 'a' for the brief's (a). */
  scenario: string;
  /** Who talks to whom: "openssl s_server → secure-duplex client". */
  pairing: string;
  /** Our send policy, or '—' for peer vs itself. */
  policy: RenegotiationSendPolicy | '—';
  attempted: number;
  completed: number;
  /** 'yes', or per direction 'truncated (prefix of N B intact)' / 'NO (...)'. */
  intact: string;
  /** Bytes each way: "→ N / ← M" from the first-named side's view. */
  bytes: string;
  /** Application bytes that arrived on our side during a renegotiation ('renegotiationData'). */
  midReneg: number | '—';
  errors: string[];
  notes: string[];
  ms: number;
  /** For assertions: measured numbers (wire audit, certificates, ...). */
  facts: {
    /** Our app-data records inside held windows (see WireAudit); undefined: not audited. */
    wireInWindow?: number;
    wireWindows?: number;
    /** Some direction arrived with different bytes (not just cut short). */
    corrupt?: boolean;
    /** One of our sockets had its transport ended mid-renegotiation and was still open 1 s later. */
    lingering?: boolean;
    clientCerts?: number;
    peerCN?: string;
  };
}

const rows: Row[] = [];

function newRow(scenario: string, pairing: string, policy: Row['policy']): Row {
  return { scenario, pairing, policy, attempted: 0, completed: 0, intact: '?', bytes: '', midReneg: '—', errors: [], notes: [], ms: 0, facts: {} };
}

function mdTable(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    '| # | pairing | policy | renegotiations (done/tried) | bytes intact | bytes (→ / ←) | mid-reneg bytes | errors | notes | ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${esc(r.pairing)} | ${r.policy} | ${r.completed}/${r.attempted} | ${esc(r.intact)} | ${r.bytes} | ${r.midReneg} | ${esc(r.errors.join('; ') || '—')} | ${esc(r.notes.join('; ') || '—')} | ${r.ms} |`,
    );
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Data: generators, a pump that streams until stopped, sinks that hash what arrives
// ---------------------------------------------------------------------------------------------

/**
 * Characters of the text we stream where a peer program looks at it: no s_server command letter
 * (q Q r R k K c P S B), no s_client one (R Q K k), no gnutls-cli inline-command prefix (^), no
 * NUL or CR (gnutls-serv --echo), and none of the first characters of s_server's diagnostic
 * lines (uppercase, '-', 's' of "shutting down SSL"), so those lines can be cut out exactly.
 */
const TEXT_ALPHABET = '0123456789abdefghijlmnopuvwxyz';
const NOT_TEXT = /[^0-9abdefghijlmnopuvwxyz\n]/;

/** `n` deterministic bytes of text: 63 characters of TEXT_ALPHABET then '\n', repeated. */
function textChunk(seed: string, n: number): Buffer {
  const b = randomBytesSeeded(seed, n);
  for (let i = 0; i < n; i++) b[i] = i % 64 === 63 ? 0x0a : TEXT_ALPHABET.charCodeAt(b[i]! % TEXT_ALPHABET.length);
  return b;
}

function binChunk(seed: string, n: number): Buffer {
  return randomBytesSeeded(seed, n);
}

type Gen = (seed: string, n: number) => Buffer;
type Writer = (b: Buffer) => Promise<void>;

/** Writes to a Duplex, resolving at once or on 'drain' (rejecting if it closes first). */
function duplexWriter(s: Duplex): Writer {
  return (b) =>
    new Promise<void>((resolve, reject) => {
      if (s.destroyed || s.writableEnded) return reject(new Error('socket closed'));
      if (s.write(b)) return resolve();
      const done = (err?: Error) => {
        s.removeListener('drain', onDrain);
        s.removeListener('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error('socket closed while writing'));
      s.once('drain', onDrain);
      s.once('close', onClose);
    });
}

/** Writes to a peer's stdin (resolves once handed to the pipe). */
function peerWriter(p: PeerProcess): Writer {
  return (b) => p.write(b);
}

/**
 * Streams gen(`${seed}:${i}`, chunk) through `write` until stop(); counts and hashes every
 * chunk handed to `write`. pause() waits for the write in progress to settle.
 */
class Pump {
  bytes = 0;
  chunks = 0;
  error: Error | undefined;
  private readonly hash: Hash = createHash('sha256');
  private stopped = false;
  private gate: { promise: Promise<void>; open: () => void } | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly done: Promise<void>;
  private final: { bytes: number; sha256: string } | undefined;

  constructor(
    private readonly write: Writer,
    private readonly gen: Gen,
    readonly seed: string,
    readonly chunk: number,
    /** Pause between chunks (ms); 0: only yield to the event loop. */
    private readonly gapMs = 0,
  ) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    // The first chunk is written synchronously (from the constructor): a pump started in a
    // 'secureConnection' listener has data on the wire before the peer's next flight.
    for (let i = 0; !this.stopped; i++) {
      if (this.gate) await this.gate.promise;
      if (this.stopped) break;
      const b = this.gen(`${this.seed}:${i}`, this.chunk);
      this.hash.update(b);
      this.bytes += b.length;
      this.chunks++;
      let settle!: () => void;
      this.inFlight = new Promise<void>((r) => (settle = r));
      try {
        await this.write(b);
      } catch (e) {
        this.error = e as Error;
        settle();
        break;
      }
      settle();
      if (this.gapMs > 0) await sleep(this.gapMs);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Stop before the next chunk; resolves once the chunk being written has been taken. */
  async pause(timeoutMs = 5000): Promise<void> {
    if (!this.gate) {
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      this.gate = { promise, open };
    }
    await Promise.race([this.inFlight, sleep(timeoutMs)]);
  }

  resume(): void {
    const g = this.gate;
    this.gate = null;
    g?.open();
  }

  /** Stop for good; the totals cover every chunk handed to write (even one still pending). */
  async stop(timeoutMs = 5000): Promise<{ bytes: number; sha256: string }> {
    if (!this.final) {
      this.stopped = true;
      this.resume();
      await Promise.race([this.done, sleep(timeoutMs)]);
      this.final = { bytes: this.bytes, sha256: this.hash.copy().digest('hex') };
    }
    return this.final;
  }

  /** sha256 of the first n bytes streamed (regenerated from the seed). */
  prefixSha256(n: number): string {
    const h = createHash('sha256');
    for (let i = 0, left = n; left > 0; i++) {
      const b = this.gen(`${this.seed}:${i}`, this.chunk);
      h.update(left >= b.length ? b : b.subarray(0, left));
      left -= b.length;
    }
    return h.digest('hex');
  }
}

/** What arrived at one end: a running count and hash. */
interface Received {
  bytes(): number;
  sha256(): string;
}

class Sink implements Received {
  n = 0;
  midReneg = 0;
  private readonly h: Hash = createHash('sha256');
  push(d: Uint8Array): void {
    this.n += d.length;
    this.h.update(d);
  }
  bytes(): number {
    return this.n;
  }
  sha256(): string {
    return this.h.copy().digest('hex');
  }
}

function sinkOf(s: SecureDuplex): Sink {
  const k = new Sink();
  s.on('data', (d: Buffer) => k.push(d));
  s.on('renegotiationData', (n: number) => (k.midReneg += n));
  return k;
}

/** A peer whose stdout is exactly the data received. */
function stdoutOf(p: PeerProcess): Received {
  return { bytes: () => p.stdoutBytes(), sha256: () => p.stdoutSha256() };
}

/**
 * The data in a commands-mode s_server's stdout: everything after the connection summary
 * ("Secure Renegotiation IS supported"), minus diagnostic lines ("SSL_do_handshake -> 1",
 * "Read BLOCK", "DONE", "ERROR", ...), which are written between two data writes and start
 * with a character that TEXT_ALPHABET does not have.
 */
class OpensslServerStdout extends Sink {
  readonly diagnostics: string[] = [];
  private pending = '';
  private started = false;
  constructor(p: PeerProcess) {
    super();
    p.proc.stdout.on('data', (b: Buffer) => this.feed(b.toString('latin1')));
  }
  private feed(t: string): void {
    this.pending += t;
    if (!this.started) {
      const m = /Secure Renegotiation IS (?:NOT )?supported\n/.exec(this.pending);
      if (!m) return;
      this.pending = this.pending.slice(m.index + m[0].length);
      this.started = true;
    }
    for (;;) {
      const i = this.pending.search(NOT_TEXT);
      if (i < 0) {
        if (this.pending) this.push(Buffer.from(this.pending, 'latin1'));
        this.pending = '';
        return;
      }
      if (i > 0) {
        this.push(Buffer.from(this.pending.slice(0, i), 'latin1'));
        this.pending = this.pending.slice(i);
      }
      const nl = this.pending.indexOf('\n');
      if (nl < 0) return;
      this.diagnostics.push(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
  }
}

/** Polls `cond` every 5 ms; false on timeout. */
async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(5);
  }
  return true;
}

/** A wait of the harness itself ran out (no data arrived where it should be flowing): recorded
 *  as an error of the row, so that a scenario expected to be clean fails. */
class HarnessTimeout extends Error {}

/*
 * Between two steps (before the first renegotiation, between two) a scenario first waits until
 * more data has arrived in every direction (bytes counted: data is flowing, however loaded the
 * machine), then streams on for a fixed time (100-300 ms, `await sleep(...)` after `flowing()`):
 * a length of streaming, not a wait for something. Whether a renegotiation meets data in flight
 * (what the 'eager' scenarios and several peer-vs-itself rows fail on) depends on the state of
 * the stream when it starts, and the measured results were made with these lengths. Ended by
 * bytes counted alone (four or sixteen chunks more in every direction, or a chunk in flight),
 * gnutls-serv failed our eager client in 75-90 % of runs instead of 12 of 12, and s_client
 * against s_server completed 6/6 in one run of about twelve.
 */

/** How long a step waits for more data to arrive in every direction. */
const FLOW_MS = 10_000;
/** How many chunks of its sender a step waits for in every direction: several records, so that
 *  a renegotiation starts with data in flight both ways (what the 'eager' scenarios need to
 *  fail, and the 'conservative' ones must survive). */
const FLOW_CHUNKS = 4;
/** The same for the senders of node children (16 KiB writes). */
const FLOW_BYTES = FLOW_CHUNKS * 16 * KiB;

/** Resolves once every receiver has `bytes` more than when called (data is flowing), or
 *  `failed()`; throws HarnessTimeout after `ms`. */
async function moreArrived(rx: readonly { rx: Received; bytes: number }[], failed: () => boolean, ms = FLOW_MS): Promise<void> {
  const start = rx.map((r) => r.rx.bytes());
  const grown = (): boolean => rx.every((r, i) => r.rx.bytes() >= start[i]! + r.bytes);
  if (!(await waitUntil(() => grown() || failed(), ms)) || (!grown() && !failed())) {
    throw new HarnessTimeout(`no data arrived within ${ms} ms (${rx.map((r, i) => `${r.rx.bytes() - start[i]!} B`).join(', ')})`);
  }
}

/** Compares what `pump` sent with what `rx` received; describes the result. */
async function compare(pump: Pump, rx: Received, settleMs: number, failed: () => boolean): Promise<{ ok: boolean; text: string; sent: number; got: number }> {
  const sent = await pump.stop(failed() ? 500 : 5000);
  await waitUntil(() => rx.bytes() >= sent.bytes || failed(), settleMs);
  await new Promise<void>((r) => setImmediate(r)); // data events already queued are counted too
  const got = rx.bytes();
  if (got === sent.bytes && rx.sha256() === sent.sha256) return { ok: true, text: 'yes', sent: sent.bytes, got };
  if (got < sent.bytes && rx.sha256() === pump.prefixSha256(got)) {
    return { ok: false, text: `truncated (prefix of ${got} B intact)`, sent: sent.bytes, got };
  }
  return { ok: false, text: `NO (${got} of ${sent.bytes} B, hash differs)`, sent: sent.bytes, got };
}

function fmtBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${Math.round(n / KiB)} KiB`;
}

function errText(e: Error): string {
  const t = e as TlsError & { code?: string };
  return `${t.code ?? t.name}: ${t.message}${t.alertReceived ? ` [alert ${t.alertReceived}]` : ''}`;
}

/** Lines of a peer's stderr that report a failure (OpenSSL error queue, alerts, gnutls). */
function peerErrorLines(text: string): string[] {
  const out: string[] = [];
  for (const l of text.split('\n')) {
    if (/error:[0-9A-F]{8}:|alert (?:read|write):fatal|\*\*\* Fatal|Error in|\*\*\* .*[Ff]ailed|write:errno|read:errno|SSL_ERROR|^ERROR$/.test(l)) {
      out.push(l.trim().replace(/^[0-9A-F]{12,}:/, ''));
    }
  }
  return [...new Set(out)].slice(0, 4);
}

function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'gm')) ?? []).length;
}

// ---------------------------------------------------------------------------------------------
// Our endpoints
// ---------------------------------------------------------------------------------------------

const pki = makePki();
const leaf = pki.leaves['ec-p256'];

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

interface Ours {
  sock: SecureDuplex;
  errors: Error[];
  close(): Promise<void>;
}

async function ourClient(port: number, policy: RenegotiationSendPolicy): Promise<Ours> {
  const errors: Error[] = [];
  const c = connect({
    host: '127.0.0.1',
    port,
    ca: pki.ca.certPem,
    cert: pki.client.certPem,
    key: pki.client.keyPem,
    renegotiationLimit: 1000,
    renegotiationSendPolicy: policy,
  });
  c.on('error', (e) => errors.push(e));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('our client: no secureConnect in 10 s')), 10_000);
    c.once('secureConnect', () => (clearTimeout(t), resolve()));
    c.once('error', (e) => (clearTimeout(t), reject(e)));
  });
  c.setNoDelay(true);
  return { sock: c, errors, close: () => closeGracefully(c) };
}

/** end() (close_notify), give the peer 300 ms to close too, then destroy. */
async function closeGracefully(s: SecureDuplex): Promise<void> {
  if (!s.destroyed) {
    try {
      s.end();
    } catch {
      /* already failed */
    }
    await Promise.race([new Promise((r) => s.once('close', r)), sleep(300)]);
  }
  s.destroy();
}

interface OurServer {
  port: number;
  errors: Error[];
  accepted(): Promise<SecureDuplex>;
  close(): Promise<void>;
}

async function ourServer(policy: RenegotiationSendPolicy, onSocket?: (s: SecureDuplex) => void): Promise<OurServer> {
  const errors: Error[] = [];
  let sock: SecureDuplex | undefined;
  const server = createServer(
    { cert: leaf.certPem, key: leaf.keyPem, ca: pki.ca.certPem, renegotiationLimit: 1000, renegotiationSendPolicy: policy },
    (s) => {
      sock = s;
      s.setNoDelay(true);
      s.on('error', (e) => errors.push(e));
      onSocket?.(s);
    },
  );
  server.on('tlsClientError', (e) => errors.push(e));
  const port = await listen(server);
  return {
    port,
    errors,
    async accepted() {
      if (!(await waitUntil(() => sock !== undefined, 10_000))) throw new Error('our server: no secureConnection in 10 s');
      return sock!;
    },
    async close() {
      if (sock) await closeGracefully(sock);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}


/** Resolves null when the renegotiation completed, else a description of why not. */
function renegotiateWithin(s: SecureDuplex, ms: number, opts: Parameters<SecureDuplex['renegotiate']>[0] = {}): Promise<string | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(`renegotiate(): no callback within ${ms} ms`), ms);
    s.renegotiate(opts, (err) => {
      clearTimeout(t);
      resolve(err ? errText(err) : null);
    });
  });
}

/**
 * Watches the TLS records one of OUR sockets writes to the wire (TLS 1.2 record headers are in
 * the clear: content type and length). A "held window" opens at our first big handshake record
 * of a renegotiation (server: the ServerHello flight; client: the ClientHello; a HelloRequest
 * is a small record) and closes at our ChangeCipherSpec. Application-data records written inside
 * such a window are counted: 'conservative' must write none there, 'eager' may.
 */
class WireAudit {
  windows = 0;
  appInWindow = 0;
  appRecords = 0;
  private inWindow = false;
  private carry: Buffer = Buffer.alloc(0);

  constructor(s: SecureDuplex) {
    const sock = s.socket as Duplex & { write: (...args: unknown[]) => boolean };
    const orig = sock.write;
    sock.write = (chunk: unknown, ...rest: unknown[]) => {
      if (chunk instanceof Uint8Array) this.feed(chunk);
      return orig.call(sock, chunk, ...rest);
    };
  }

  private feed(chunk: Uint8Array): void {
    const b = this.carry.length ? Buffer.concat([this.carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let o = 0;
    while (b.length - o >= 5) {
      const len = b.readUInt16BE(o + 3);
      if (b.length - o < 5 + len) break;
      this.record(b[o]!, len);
      o += 5 + len;
    }
    this.carry = Buffer.from(b.subarray(o));
  }

  private record(type: number, len: number): void {
    if (type === 22 && len > 64 && !this.inWindow) {
      this.inWindow = true;
      this.windows++;
    } else if (type === 20) {
      this.inWindow = false;
    } else if (type === 23) {
      this.appRecords++;
      if (this.inWindow) this.appInWindow++;
    }
  }

  text(): string {
    return `wire: ${this.appInWindow} of our ${this.appRecords} app-data records inside ${this.windows} held window(s)`;
  }
}

// ---------------------------------------------------------------------------------------------
// One measured run: endpoints, directions of data, errors, cleanup
// ---------------------------------------------------------------------------------------------

interface DirectionResult {
  name: string;
  ok: boolean;
  text: string;
  sent: number;
  got: number;
}

class Run {
  readonly row: Row;
  private readonly t0 = Date.now();
  private readonly peers: { label: string; p: PeerProcess }[] = [];
  private readonly ours: { label: string; sock?: SecureDuplex; errors: Error[]; close: () => Promise<void> }[] = [];
  private readonly sinks: Sink[] = [];
  private readonly directions: { name: string; pump: Pump; rx: Received }[] = [];
  private readonly failures: (() => boolean)[] = [];
  readonly results: DirectionResult[] = [];
  wire: WireAudit | undefined;

  constructor(scenario: string, pairing: string, policy: Row['policy']) {
    this.row = newRow(scenario, pairing, policy);
  }

  peer<P extends PeerProcess>(label: string, p: P): P {
    this.peers.push({ label, p });
    return p;
  }

  /** The node children of this run. */
  nodePeers(): { label: string; p: PeerProcess }[] {
    return this.peers.filter(({ label }) => label.startsWith('node'));
  }

  client(o: Ours): Ours {
    this.ours.push({ label: 'ours', sock: o.sock, errors: o.errors, close: o.close });
    return o;
  }

  server(o: OurServer): OurServer {
    this.ours.push({ label: 'ours', errors: o.errors, close: o.close });
    return o;
  }

  sink(s: SecureDuplex): Sink {
    const k = sinkOf(s);
    this.sinks.push(k);
    return k;
  }

  /** Audit the records our socket writes (call once the first handshake is done). */
  audit(s: SecureDuplex): WireAudit {
    this.wire = new WireAudit(s);
    this.audited = s;
    return this.wire;
  }

  private audited: SecureDuplex | undefined;

  /** Another way to notice that the connection is gone (e.g. a node child reported 'closed'). */
  failWhen(pred: () => boolean, what = 'peer reported closed/error'): void {
    this.failures.push(pred);
    this.failureNames.push(what);
  }

  private readonly failureNames: string[] = [];
  /** What was seen first when failed() first returned true. */
  firstFailure: string | undefined;

  /** Data streamed by `pump`, to be compared with `rx` at the end. */
  direction(name: string, pump: Pump, rx: Received): void {
    this.directions.push({ name, pump, rx });
  }

  result(r: DirectionResult): void {
    this.results.push(r);
  }

  /** A peer process has exited or one of our sockets is gone. */
  failed(): boolean {
    const peer = this.peers.find(({ p }) => p.exited() !== null);
    const ours = this.ours.find((o) => o.sock?.destroyed || o.errors.length > 0);
    const other = this.failures.findIndex((f) => f());
    const why = peer
      ? `${peer.label} exited (${JSON.stringify(peer.p.exited())})`
      : ours
        ? `our socket ${ours.errors.length > 0 ? 'errored' : 'closed'}`
        : other >= 0
          ? this.failureNames[other]
          : undefined;
    if (why && !this.firstFailure) this.firstFailure = `${why} after ${this.row.completed} renegotiation(s)`;
    return why !== undefined;
  }

  note(s: string): void {
    this.row.notes.push(s);
  }

  /** Resolves once more data has arrived in every direction of the run (or it failed). */
  flowing(): Promise<void> {
    return moreArrived(this.directions.map((d) => ({ rx: d.rx, bytes: FLOW_CHUNKS * d.pump.chunk })), () => this.failed());
  }

  /** Up to `n` renegotiations by `sock`, one after another with data flowing between them (and
   *  150 ms of streaming), counted in the row; stops at the first that fails (noted) or when the
   *  run has failed. */
  async renegotiateRepeatedly(sock: SecureDuplex, n: number): Promise<void> {
    for (let i = 0; i < n && !this.failed(); i++) {
      this.row.attempted++;
      const err = await renegotiateWithin(sock, 10_000);
      if (err) {
        this.note(err);
        return;
      }
      this.row.completed++;
      await this.flowing();
      await sleep(150);
    }
  }

  stopped(e: unknown): void {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    if (e instanceof HarnessTimeout) this.row.errors.push(`harness: ${msg}`);
    this.row.notes.push(`stopped: ${msg.replace(/ from openssl .*$| from gnutls-\w+ .*$/, '')}`);
  }

  /** Runs after the data comparisons, before the cleanup. */
  beforeCleanup: (() => Promise<void>) | undefined;

  async finish(): Promise<Row> {
    // Stop every pump first, then wait for each direction to arrive.
    await Promise.all(this.directions.map((d) => d.pump.stop(this.failed() ? 500 : 5000)));
    for (const d of this.directions) {
      const r = await compare(d.pump, d.rx, 8000, () => this.failed());
      this.results.push({ name: d.name, ...r });
    }
    await this.beforeCleanup?.();
    const row = this.row;
    if (this.firstFailure) row.notes.unshift(`connection lost: ${this.firstFailure}`);
    row.intact = this.results.length === 0 ? 'n/a' : this.results.every((r) => r.ok) ? 'yes' : this.results.map((r) => `${r.name}: ${r.text}`).join(', ');
    row.bytes = this.results.map((r) => `${r.name} ${fmtBytes(r.got)}`).join(' / ');
    if (this.sinks.length > 0) row.midReneg = this.sinks.reduce((n, k) => n + k.midReneg, 0);
    if (this.wire) {
      row.notes.push(this.wire.text());
      row.facts.wireInWindow = this.wire.appInWindow;
      row.facts.wireWindows = this.wire.windows;
    }
    row.facts.corrupt = this.results.some((r) => /hash differs/.test(r.text));
    const s = this.audited;
    if (s && !s.destroyed && s.readableEnded && s.engine.handshaking) {
      // The peer's side is gone (FIN) but the renegotiation it interrupted keeps our socket open:
      // is it still open 1 s later (or does it close before)?
      await Promise.race([new Promise((r) => s.once('close', r)), sleep(1000)]);
      if (!s.destroyed) {
        row.facts.lingering = true;
        row.notes.push(`ours: transport ended mid-renegotiation, socket still open 1 s later (${s.writableLength} B of writes pending)`);
      }
    }
    for (const o of this.ours) for (const e of o.errors) row.errors.push(`ours: ${errText(e)}`);
    for (const { label, p } of this.peers) {
      for (const l of peerErrorLines(p.stderr())) row.errors.push(`${label}: ${l}`);
    }
    row.errors = [...new Set(row.errors)];
    if (process.env['RENEG_INTEROP_VERBOSE'] === '2') {
      for (const { p } of this.peers) console.log(p.diagnostics().replace(/--- stdout[\s\S]*?--- stderr/, '--- stderr'));
    }
    for (const o of this.ours) await o.close();
    await Promise.all(this.peers.map(({ p }) => p.kill()));
    row.ms = Date.now() - this.t0;
    rows.push(row);
    return row;
  }
}

// ---------------------------------------------------------------------------------------------
// node:tls peer for what spec/helpers/node-tls-peer.ts cannot do
// ---------------------------------------------------------------------------------------------

/**
 * A node:tls endpoint in a child process (TLS 1.2 only, 127.0.0.1, noDelay). JSON args:
 * { mode: 'server' | 'client', port?, cert?, key?, ca?, send?: boolean, chunk?: number,
 *   gapMs?: number, renegLimit?: number }. With `send`, it streams crypto-random chunks of
 * `chunk` bytes (awaiting 'drain', then `gapMs`) from the handshake until "stop". Everything
 * received is hashed. A server sets tls.CLIENT_RENEG_LIMIT = renegLimit when given.
 * stdin commands: "renegotiate {json options}", "stop" (→ stopped {sent, sha256}),
 * "await N MS" (→ report {rx, sha256} once N bytes have arrived, or after MS ms), "exit".
 * stdout: one JSON event per line (ready, secure, renegotiated, stopped, report, error, closed).
 */
const NODE_RENEG_PEER = `
import tls from 'node:tls';
import * as fs from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
const a = JSON.parse(process.argv[2]);
const emit = (e) => process.stdout.write(JSON.stringify(e) + '\\n');
if (a.renegLimit) tls.CLIENT_RENEG_LIMIT = a.renegLimit;
let sock = null, sending = false, sent = 0, rx = 0, waiters = [];
const sentHash = createHash('sha256'), rxHash = createHash('sha256');
const report = (timeout) => emit({ event: 'report', rx, sha256: rxHash.copy().digest('hex'), timeout });
function onSocket(s) {
  sock = s;
  s.setNoDelay(true);
  emit({ event: 'secure', cipher: s.getCipher()?.name });
  s.on('data', (d) => { rx += d.length; rxHash.update(d); waiters = waiters.filter((w) => (rx >= w.n ? (report(false), false) : true)); });
  s.on('close', () => emit({ event: 'closed', rx, sent }));
  if (a.send) pump();
}
async function pump() {
  sending = true;
  while (sending && !sock.destroyed) {
    const b = randomBytes(a.chunk || 16384);
    sent += b.length;
    sentHash.update(b);
    if (!sock.write(b)) await new Promise((r) => { sock.once('drain', r); sock.once('close', r); });
    if (a.gapMs) await new Promise((r) => setTimeout(r, a.gapMs));
    else await new Promise((r) => setImmediate(r));
  }
}
setInterval(() => { const now = Date.now(); waiters = waiters.filter((w) => (now > w.until ? (report(true), false) : true)); }, 20).unref();
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    const sp = line.indexOf(' ');
    const cmd = sp < 0 ? line : line.slice(0, sp), arg = sp < 0 ? '' : line.slice(sp + 1);
    if (cmd === 'renegotiate') {
      const t0 = Date.now();
      const ok = sock.renegotiate(arg ? JSON.parse(arg) : {}, (err) => {
        const pc = sock.getPeerCertificate();
        emit({ event: 'renegotiated', ok: !err, error: err ? err.message : undefined, ms: Date.now() - t0, peerCN: pc && pc.subject ? pc.subject.CN : null, authorized: sock.authorized });
      });
      if (!ok) emit({ event: 'renegotiated', ok: false, error: 'renegotiate() returned false' });
    } else if (cmd === 'stop') {
      sending = false;
      emit({ event: 'stopped', sent, sha256: sentHash.copy().digest('hex') });
    } else if (cmd === 'await') {
      const [n, ms] = arg.split(' ').map(Number);
      if (rx >= n) report(false); else waiters.push({ n, until: Date.now() + (ms || 5000) });
    } else if (cmd === 'exit') process.exit(0);
  }
});
const common = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ca: a.ca ? fs.readFileSync(a.ca) : undefined,
  cert: a.cert ? fs.readFileSync(a.cert) : undefined, key: a.key ? fs.readFileSync(a.key) : undefined };
const onError = (where) => (e) => emit({ event: 'error', where, code: e.code || null, message: e.message });
if (a.mode === 'server') {
  const server = tls.createServer({ ...common, requestCert: false, rejectUnauthorized: false, secureOptions: a.secureOptions }, (s) => { s.on('error', onError('socket')); onSocket(s); });
  server.on('tlsClientError', onError('handshake'));
  server.listen(0, '127.0.0.1', () => emit({ event: 'ready', port: server.address().port }));
} else {
  const s = tls.connect({ ...common, host: '127.0.0.1', port: a.port, servername: 'localhost' }, () => { emit({ event: 'ready', port: a.port }); onSocket(s); });
  s.on('error', onError('socket'));
}
`;

interface NodeRenegPeerArgs {
  mode: 'server' | 'client';
  port?: number;
  cert?: string;
  key?: string;
  ca?: string;
  send?: boolean;
  chunk?: number;
  gapMs?: number;
  renegLimit?: number;
  /** Server: SSL_OP_* bits (SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION). */
  secureOptions?: number;
}

type JsonEvent = { event: string; [k: string]: unknown };

function nodeEvents(p: PeerProcess): JsonEvent[] {
  const out: JsonEvent[] = [];
  for (const l of p.stdout().split('\n')) {
    if (!l.startsWith('{') || !l.endsWith('}')) continue;
    try {
      out.push(JSON.parse(l) as JsonEvent);
    } catch {
      /* partial line */
    }
  }
  return out;
}

async function waitEvent(p: PeerProcess, name: string, timeoutMs: number, since?: ReturnType<PeerProcess['mark']>): Promise<JsonEvent> {
  const line = await p.waitFor(new RegExp(`^\\{"event":"${name}".*\\}$`, 'm'), timeoutMs, since);
  return JSON.parse(line) as JsonEvent;
}

async function nodeRenegPeer(args: NodeRenegPeerArgs): Promise<PeerProcess & { port: number }> {
  const file = path.join(peersTmpDir(), 'node-reneg-peer.mjs');
  if (!fs.existsSync(file)) fs.writeFileSync(file, NODE_RENEG_PEER);
  const p = await startPeer(process.execPath, [file, JSON.stringify(args)], { ready: /^\{"event":"ready".*\}$/m });
  const port = Number(nodeEvents(p).find((e) => e.event === 'ready')?.['port']);
  return Object.assign(p, { port });
}

/** Errors a node child reported (node-tls-peer or NODE_RENEG_PEER). */
function nodeErrors(p: PeerProcess): string[] {
  return nodeEvents(p)
    .filter((e) => e.event === 'error' || (e.event === 'renegotiated' && e['ok'] === false))
    .map((e) => String(e['message'] ?? e['error']));
}

/** Counts lines matching `re` in a stream as they go by (for peers whose output is too big to keep). */
class LineWatch {
  n = 0;
  readonly lines: string[] = [];
  private carry = '';
  constructor(stream: NodeJS.ReadableStream, private readonly re: RegExp) {
    stream.on('data', (b: Buffer) => {
      const parts = (this.carry + b.toString('latin1')).split('\n');
      this.carry = parts.pop()!;
      for (const l of parts) {
        if (this.re.test(l)) {
          this.n++;
          if (this.lines.length < 20) this.lines.push(l);
        }
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// OpenSSL scenarios
// ---------------------------------------------------------------------------------------------

/** "SSL_accept:SSLv3/TLS write finished": the server wrote its Finished, its handshake is done. */
const S_SERVER_DONE = /SSL_accept:SSLv3\/TLS read finished/;
/** "SSL_connect:SSLv3/TLS read finished": the client read the server's Finished. */
const S_CLIENT_DONE = /SSL_connect:SSLv3\/TLS read finished/;

/** s_server in commands mode (no -brief): renegotiates on "r\n" / "R\n" read from stdin. */
function opensslCommandServer(extra: readonly string[] = []): Promise<ListeningPeer> {
  const args = ['s_server', '-accept', '127.0.0.1:0', '-tls1_2', '-cert', leaf.certPath, '-key', leaf.keyPath,
    '-CAfile', pki.ca.certPath, '-naccept', '1', '-state', ...extra];
  return startListeningPeer('openssl', args, 'tcp', 0, {});
}

/** s_client -brief: stdout is pure data. With `commands`, "R" as the first byte of a read of
 *  stdin renegotiates (prints "RENEGOTIATING" on stderr); otherwise -nocommands. */
function opensslStateClient(port: number, o: { cert?: boolean; commands?: boolean }): Promise<PeerProcess> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-brief', '-CAfile', pki.ca.certPath, '-verify_return_error', '-state'];
  if (!o.commands) args.push('-nocommands');
  if (o.cert) args.push('-cert', pki.client.certPath, '-key', pki.client.keyPath);
  return startPeer('openssl', args, { ready: /^CONNECTION ESTABLISHED\n(?:.*\n)*?Ciphersuite: \S+\n/m });
}

/**
 * (a) s_server renegotiates — "r", or "R" which asks for a client certificate — while data
 * flows both ways, with our client or with s_client.
 */
async function scenarioA(client: 'ours' | 'openssl', policy: Row['policy'], commands: readonly ('r' | 'R')[], serverArgs: readonly string[] = []): Promise<Row> {
  const run = new Run('a', `openssl s_server ${serverArgs.join(' ')} (${[...new Set(commands)].join('/')}) ↔ ${client === 'ours' ? 'secure-duplex client' : 'openssl s_client'}`.replace('  ', ' '), policy);
  let s: PeerProcess | undefined;
  try {
    const server = run.peer('s_server', await opensslCommandServer(serverArgs));
    s = server;
    const { port } = server;
    const serverIn = new OpensslServerStdout(s);
    let rx: Received;
    let up: Pump;
    let done: () => number;
    if (client === 'ours') {
      const c = run.client(await ourClient(port, policy as RenegotiationSendPolicy));
      run.audit(c.sock);
      rx = run.sink(c.sock);
      up = new Pump(duplexWriter(c.sock), textChunk, 'a-up', 16 * KiB);
      done = () => c.sock.renegotiations;
    } else {
      const cl = run.peer('s_client', await opensslStateClient(port, { cert: true }));
      rx = stdoutOf(cl);
      up = new Pump(peerWriter(cl), textChunk, 'a-up', 16 * KiB);
      done = () => count(cl.stderr(), S_CLIENT_DONE) - 1;
    }
    const down = new Pump(peerWriter(s), textChunk, 'a-down', 16 * KiB);
    run.direction('→', up, serverIn);
    run.direction('←', down, rx);
    await run.flowing();
    await sleep(200);
    for (const cmd of commands) {
      if (run.failed()) break;
      run.row.attempted++;
      // The command must be a read() of s_server's stdin of its own: wait until everything fed
      // so far has come out at the client, i.e. s_server has read it all.
      await down.pause();
      if (!(await waitUntil(() => rx.bytes() >= down.bytes || run.failed(), 5000))) throw new Error('s_server stdin did not drain');
      if (run.failed()) break;
      const m = s.mark();
      const before = done();
      await s.write(`${cmd}\n`);
      try {
        await s.waitFor(/SSL_accept:SSLv3\/TLS write hello request/, 5000, m);
      } finally {
        down.resume(); // s_server has acted on the command: its next read is data again
      }
      await s.waitFor(S_SERVER_DONE, 10_000, m);
      if ((await waitUntil(() => done() > before || run.failed(), 5000)) && done() > before) run.row.completed++;
      await run.flowing();
      await sleep(150);
    }
  } catch (e) {
    run.stopped(e);
  }
  if (s) {
    const err = s.stderr();
    run.row.facts.clientCerts = count(err, /read client certificate/);
    run.note(`s_server: ${count(err, S_SERVER_DONE) - 1} renegotiations done, ${run.row.facts.clientCerts} client certificate(s) received`);
  }
  return run.finish();
}

/**
 * (b) s_client renegotiates ("R") against our server or against s_server
 * -client_renegotiation, while data flows both ways. With `feedDuringHandshake` false, the
 * stdin of s_client is not fed between "R" and the end of its handshake.
 */
async function scenarioB(server: 'ours' | 'openssl', policy: Row['policy'], n: number, serverArgs: readonly string[] = []): Promise<Row> {
  const run = new Run('b', `openssl s_client (R) ↔ ${server === 'ours' ? 'secure-duplex server' : `openssl s_server -client_renegotiation ${serverArgs.join(' ')}`.trim()}`, policy);
  let cl: PeerProcess | undefined;
  let serverDone: () => number = () => 0;
  try {
    let serverRx: Received;
    let down: Pump;
    if (server === 'ours') {
      const srv = run.server(await ourServer(policy as RenegotiationSendPolicy));
      cl = run.peer('s_client', await opensslStateClient(srv.port, { commands: true }));
      const ss = await srv.accepted();
      run.audit(ss);
      run.failWhen(() => ss.destroyed, 'our socket closed');
      serverRx = run.sink(ss);
      down = new Pump(duplexWriter(ss), binChunk, 'b-down', 16 * KiB);
      serverDone = () => ss.renegotiations;
    } else {
      const s = run.peer('s_server', await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, clientRenegotiation: true, extraArgs: ['-state', ...serverArgs] }));
      cl = run.peer('s_client', await opensslStateClient(s.port, { commands: true }));
      serverRx = stdoutOf(s);
      down = new Pump(peerWriter(s), binChunk, 'b-down', 16 * KiB);
      serverDone = () => count(s.stderr(), S_SERVER_DONE) - 1;
    }
    const up = new Pump(peerWriter(cl), textChunk, 'b-up', 16 * KiB);
    run.direction('→', up, serverRx);
    run.direction('←', down, stdoutOf(cl));
    await run.flowing();
    await sleep(200);
    for (let i = 0; i < n && !run.failed(); i++) {
      run.row.attempted++;
      // "R" must be the first byte of a read() of s_client's stdin.
      await up.pause();
      if (!(await waitUntil(() => serverRx.bytes() >= up.bytes || run.failed(), 5000))) throw new Error('s_client stdin did not drain');
      if (run.failed()) break;
      const m = cl.mark();
      const before = serverDone();
      await cl.write('R');
      try {
        await cl.waitFor(/^RENEGOTIATING$/m, 5000, m);
      } finally {
        up.resume();
      }
      await cl.waitFor(S_CLIENT_DONE, 10_000, m);
      if ((await waitUntil(() => serverDone() > before || run.failed(), 5000)) && serverDone() > before) run.row.completed++;
      await run.flowing();
      await sleep(150);
    }
  } catch (e) {
    run.stopped(e);
  }
  if (cl) run.note(`s_client: ${count(cl.stderr(), S_CLIENT_DONE) - 1} renegotiations done`);
  if (server === 'openssl') run.note(`s_server: ${serverDone()} done`);
  return run.finish();
}

/** (c) our client renegotiates against s_server -client_renegotiation while data flows. */
async function scenarioC(policy: RenegotiationSendPolicy, n: number): Promise<Row> {
  const run = new Run('c', 'secure-duplex client (renegotiate()) ↔ openssl s_server -client_renegotiation', policy);
  let s: PeerProcess | undefined;
  try {
    const server = run.peer('s_server', await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, clientRenegotiation: true, extraArgs: ['-state'] }));
    s = server;
    const c = run.client(await ourClient(server.port, policy));
    run.audit(c.sock);
    const rx = run.sink(c.sock);
    run.direction('→', new Pump(duplexWriter(c.sock), binChunk, 'c-up', 16 * KiB), stdoutOf(s));
    run.direction('←', new Pump(peerWriter(s), binChunk, 'c-down', 16 * KiB), rx);
    await run.flowing();
    await sleep(200);
    await run.renegotiateRepeatedly(c.sock, n);
  } catch (e) {
    run.stopped(e);
  }
  if (s) run.note(`s_server: ${count(s.stderr(), S_SERVER_DONE) - 1} done`);
  return run.finish();
}

// ---------------------------------------------------------------------------------------------
// node:tls scenarios
// ---------------------------------------------------------------------------------------------

function timeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, sleep(ms).then(() => undefined)]);
}

/** The event, or undefined when it did not come within `ms` or the run failed first. */
async function eventOrFailure(run: Run, p: PeerProcess, name: string, ms: number, since: PeerMark): Promise<JsonEvent | undefined> {
  let ev: JsonEvent | undefined;
  const w = waitEvent(p, name, ms, since).then(
    (e) => void (ev = e),
    () => undefined,
  );
  await Promise.race([w, waitUntil(() => run.failed(), ms)]);
  if (!ev) await Promise.race([w, sleep(100)]); // an event that raced the failure
  return ev;
}

/** One end of a data direction: something that sends (and can stop) and/or hashes what it got. */
interface End {
  stop(timeoutMs?: number): Promise<{ bytes: number; sha256: string } | undefined>;
  received(atLeast: number, ms: number): Promise<{ bytes: number; sha256: string } | undefined>;
}

function nodeEnd(p: PeerProcess): End {
  return {
    async stop() {
      const m = p.mark();
      await p.write('stop\n').catch(() => undefined);
      const ev = await waitEvent(p, 'stopped', 2000, m).catch(() => undefined);
      return ev ? { bytes: Number(ev['sent']), sha256: String(ev['sha256']) } : undefined;
    },
    async received(atLeast, ms) {
      const m = p.mark();
      await p.write(`await ${atLeast} ${ms}\n`).catch(() => undefined);
      const ev = await waitEvent(p, 'report', ms + 1000, m).catch(() => undefined);
      return ev ? { bytes: Number(ev['rx']), sha256: String(ev['sha256']) } : undefined;
    },
  };
}

function ourEnd(pump: Pump | undefined, sink: Sink | undefined): End {
  return {
    stop: async (timeoutMs) => (pump ? pump.stop(timeoutMs) : undefined),
    async received(atLeast, ms) {
      if (!sink) return undefined;
      await waitUntil(() => sink.bytes() >= atLeast, ms);
      return { bytes: sink.bytes(), sha256: sink.sha256() };
    },
  };
}

/** As moreArrived, for ends that say what they have received when asked (node children, our
 *  sinks): resolves once each has FLOW_BYTES more than it had, or `failed()`; throws HarnessTimeout after
 *  `ms` for one end. */
async function moreAtEnds(ends: readonly End[], failed: () => boolean, ms = FLOW_MS): Promise<void> {
  // A wait ends early when the run fails (a peer gone: its end would only time out).
  const orFailure = <T>(p: Promise<T>): Promise<T | undefined> => Promise.race([p, waitUntil(failed, ms + 1000).then(() => undefined)]);
  for (const end of ends) {
    const start = (await orFailure(end.received(0, ms)))?.bytes ?? 0;
    if (failed()) return;
    const now = await orFailure(end.received(start + FLOW_BYTES, ms));
    if (failed()) return;
    if (!now || now.bytes < start + FLOW_BYTES) throw new HarnessTimeout(`no data arrived within ${ms} ms (${now ? `${now.bytes - start} B` : 'no report'})`);
  }
}

/** Stops `from`, waits for its bytes at `to`, records the comparison. */
async function checkDirection(run: Run, name: string, from: End, to: End, ms: number): Promise<void> {
  const sent = await from.stop(run.failed() ? 500 : 5000);
  if (!sent) {
    run.result({ name, ok: false, text: 'sender did not report', sent: 0, got: 0 });
    return;
  }
  const got = await to.received(sent.bytes, run.failed() ? 300 : ms);
  const ok = !!got && got.bytes === sent.bytes && got.sha256 === sent.sha256;
  const text = ok
    ? 'yes'
    : got
      ? `NO (${got.bytes} of ${sent.bytes} B${got.bytes < sent.bytes ? ', stalled or cut' : ', hash differs'})`
      : 'receiver did not report';
  run.result({ name, ok, text, sent: sent.bytes, got: got?.bytes ?? 0 });
}

/** A node child is gone: it reported 'closed' or 'error'. */
function nodeFailed(p: PeerProcess): () => boolean {
  return () => nodeEvents(p).some((e) => e.event === 'closed' || e.event === 'error' || e.event === 'echoed');
}

/**
 * (d) node:tls CLIENT calls renegotiate() while data flows, against our server or a node:tls
 * server. `traffic`:
 * - 'echo': the client streams `chunk`-byte writes to an echo server (both ways);
 * - 'both': the client streams 16 KiB writes and the server streams 16 KiB writes;
 * - 'down': only the server streams (the client only reads).
 */
async function scenarioDClient(traffic: 'echo' | 'both' | 'down', server: 'ours' | 'node', policy: Row['policy'], n: number, chunk = 16 * KiB): Promise<Row> {
  const what = traffic === 'echo' ? `${chunk / KiB} KiB writes to an echo server` : traffic === 'both' ? 'data both ways' : 'server → client data only';
  const run = new Run('d', `node:tls client renegotiate() (${what}) ↔ ${server === 'ours' ? 'secure-duplex server' : 'node:tls server'}`, policy);
  let cl: (PeerProcess & { port: number }) | undefined;
  try {
    let port: number;
    let serverEnd: End;
    let ss: SecureDuplex | undefined;
    if (server === 'ours') {
      let pump: Pump | undefined;
      let sink: Sink | undefined;
      const srv = run.server(
        await ourServer(policy as RenegotiationSendPolicy, (s) => {
          ss = s;
          run.audit(s);
          sink = run.sink(s);
          if (traffic === 'echo') {
            echoWithBackpressure(s);
          } else {
            pump = new Pump(duplexWriter(s), binChunk, 'd-down', 16 * KiB);
          }
        }),
      );
      port = srv.port;
      serverEnd = { stop: (t) => ourEnd(pump, sink).stop(t), received: (a, ms) => ourEnd(pump, sink).received(a, ms) };
    } else if (traffic === 'echo') {
      const es = run.peer('node echo server', await nodeTlsPeer({ mode: 'server-echo', cert: leaf.certPath, key: leaf.keyPath }));
      run.failWhen(nodeFailed(es), 'node echo server: connection closed/error');
      port = es.port;
      serverEnd = { stop: async () => undefined, received: async () => undefined };
    } else {
      const ns = run.peer('node server', await nodeRenegPeer({ mode: 'server', cert: leaf.certPath, key: leaf.keyPath, send: true, renegLimit: 1000 }));
      run.failWhen(nodeFailed(ns), 'node server: connection closed/error');
      port = ns.port;
      serverEnd = nodeEnd(ns);
    }
    const sending = traffic !== 'down';
    cl = run.peer('node client', await nodeRenegPeer({ mode: 'client', port, ca: pki.ca.certPath, send: sending, chunk: traffic === 'echo' ? chunk : 16 * KiB }));
    run.failWhen(nodeFailed(cl), 'node client: connection closed/error');
    const client = nodeEnd(cl);
    // Where data arrives: the client always (the echo, or the server's stream); the server when
    // the client sends, unless it is node's echo server (which does not report).
    const receivers = traffic === 'down' || (traffic === 'echo' && server !== 'ours') ? [client] : [client, serverEnd];
    const flowing = (): Promise<void> => moreAtEnds(receivers, () => run.failed());
    await flowing();
    await sleep(200);
    for (let i = 0; i < n && !run.failed(); i++) {
      run.row.attempted++;
      const before = ss?.renegotiations ?? 0;
      const m = cl.mark();
      await cl.write('renegotiate\n');
      const ev = await eventOrFailure(run, cl, 'renegotiated', 3000, m);
      if (!ev) {
        run.note(`renegotiate(): no callback within 3 s${run.failed() ? ' (connection failed)' : ''}`);
        break;
      }
      if (ev['ok'] !== true) {
        run.note(`renegotiate() failed: ${String(ev['error'])}`);
        break;
      }
      if (ss) {
        const s = ss;
        await waitUntil(() => s.renegotiations > before || run.failed(), 3000);
        if (s.renegotiations <= before) break;
      }
      run.row.completed++;
      await flowing();
      await sleep(100);
    }
    if (ss) run.note(`our server saw ${ss.renegotiations} renegotiation(s)`);
    if (traffic === 'echo') await checkDirection(run, '→←', client, client, 3000);
    else {
      await checkDirection(run, '←', serverEnd, client, 3000);
      if (sending) await checkDirection(run, '→', client, serverEnd, 3000);
    }
  } catch (e) {
    run.stopped(e);
  }
  if (cl) for (const e of nodeErrors(cl)) run.row.errors.push(`node client: ${e}`);
  for (const { label, p } of run.nodePeers()) if (p !== cl) for (const e of nodeErrors(p)) run.row.errors.push(`${label}: ${e}`);
  return run.finish();
}

/**
 * (d) node-tls-peer client-sink-source (ONE `size` write each way) calls renegotiate() against
 * our server or node-tls-peer server-sink-source.
 */
async function scenarioDSinkSource(server: 'ours' | 'node', policy: Row['policy'], size: number): Promise<Row> {
  const run = new Run('d', `node:tls client renegotiate() (one ${fmtBytes(size)} write each way, node-tls-peer) ↔ ${server === 'ours' ? 'secure-duplex server' : 'node:tls server'}`, policy);
  let cl: NodeTlsPeer | undefined;
  let serverSide: Promise<[SendResult, SendResult] | undefined> = Promise.resolve(undefined);
  let ss: SecureDuplex | undefined;
  let nodeSrv: NodeTlsPeer | undefined;
  try {
    let port: number;
    if (server === 'ours') {
      const srv = run.server(
        await ourServer(policy as RenegotiationSendPolicy, (s) => {
          ss = s;
          run.audit(s);
          run.sink(s);
          serverSide = Promise.all([sendSeeded(s, 'd-down', size), receiveHashed(s, size)]).catch(() => undefined);
        }),
      );
      port = srv.port;
    } else {
      nodeSrv = run.peer('node server', await nodeTlsPeer({ mode: 'server-sink-source', cert: leaf.certPath, key: leaf.keyPath, readBytes: size, writeBytes: size, seed: 42 }));
      port = nodeSrv.port;
    }
    cl = run.peer('node client', await nodeTlsPeer({ mode: 'client-sink-source', port, ca: pki.ca.certPath, servername: 'localhost', readBytes: size, writeBytes: size, seed: 41 }));
    run.row.attempted++;
    if (cl.events().some((e) => e.event === 'sent')) throw new HarnessTimeout('the client\'s write completed before renegotiate');
    const m = cl.mark();
    await cl.write('renegotiate\n');
    // Whichever the client printed first: the renegotiate() callback, or the end of its write
    // (its 'sent' event); a callback after that is not one while the write was pending.
    const ms = 3 * FLOW_MS;
    const client = cl;
    await Promise.race([waitEvent(client, 'renegotiated', ms, m), waitEvent(client, 'sent', ms, m)]).catch(() => undefined);
    const first = client.events().find((e) => e.event === 'renegotiated' || e.event === 'sent');
    if (!first) throw new HarnessTimeout(`neither a renegotiate() callback nor the end of the client's write within ${ms} ms (or before the client exited)`);
    const ev = first.event === 'renegotiated' ? first : undefined;
    if (!ev) run.note('renegotiate(): no callback while the client\'s write was pending (the write completed first)');
    else if (ev['ok'] === true) run.row.completed++;
    else run.note(`renegotiate() failed: ${String(ev['error'])}`);
    if (ss) run.note(`our server saw ${ss.renegotiations} renegotiation(s)`);
  } catch (e) {
    run.stopped(e);
  }
  if (cl) {
    const got = await waitEvent(cl, 'received', 10_000).catch(() => undefined);
    const sent = server === 'ours' ? (await timeout(serverSide, 5000))?.[0] : { bytes: size, sha256: sha256Hex(randomBytesSeeded(42, size)) };
    const ok = !!got && !!sent && got['bytes'] === sent.bytes && got['sha256'] === sent.sha256;
    run.result({ name: '←', ok, text: ok ? 'yes' : `NO (${String(got?.['bytes'] ?? 'nothing')} B received)`, sent: size, got: Number(got?.['bytes'] ?? 0) });
    let up: { bytes: number; sha256: string } | undefined;
    if (server === 'ours') up = (await timeout(serverSide, 5000))?.[1];
    else {
      const e2 = await waitEvent(nodeSrv!, 'received', 10_000).catch(() => undefined);
      up = e2 ? { bytes: Number(e2['bytes']), sha256: String(e2['sha256']) } : undefined;
    }
    const upOk = !!up && up.bytes === size && up.sha256 === sha256Hex(randomBytesSeeded(41, size));
    run.result({ name: '→', ok: upOk, text: upOk ? 'yes' : `NO (${up?.bytes ?? 'not all'} B received)`, sent: size, got: up?.bytes ?? 0 });
    for (const e of nodeErrors(cl)) run.row.errors.push(`node client: ${e}`);
  }
  if (nodeSrv) for (const e of nodeErrors(nodeSrv)) run.row.errors.push(`node server: ${e}`);
  return run.finish();
}

/**
 * (d) node:tls SERVER renegotiate({ requestCert: true, rejectUnauthorized: true }) while both
 * sides stream, against our client or a node:tls client (both offer pki.client).
 * `renegLimit` is the node server's tls.CLIENT_RENEG_LIMIT (undefined: node's default, 3).
 */
async function scenarioDServer(client: 'ours' | 'node', policy: Row['policy'], n: number, renegLimit: number | undefined = 1000, secureOptions?: number): Promise<Row> {
  const run = new Run('d', `node:tls server renegotiate({requestCert}) ↔ ${client === 'ours' ? 'secure-duplex client' : 'node:tls client'} (data both ways)`, policy);
  if (renegLimit === undefined) run.note('node server with the default tls.CLIENT_RENEG_LIMIT (3)');
  let srv: (PeerProcess & { port: number }) | undefined;
  let ncl: PeerProcess | undefined;
  try {
    srv = run.peer('node server', await nodeRenegPeer({ mode: 'server', cert: leaf.certPath, key: leaf.keyPath, ca: pki.ca.certPath, send: true, renegLimit, secureOptions }));
    run.failWhen(nodeFailed(srv), 'node server: connection closed/error');
    let ours: Ours | undefined;
    let clientEnd: End;
    if (client === 'ours') {
      ours = run.client(await ourClient(srv.port, policy as RenegotiationSendPolicy));
      run.audit(ours.sock);
      const sink = run.sink(ours.sock);
      clientEnd = ourEnd(new Pump(duplexWriter(ours.sock), binChunk, 'd2-up', 16 * KiB), sink);
    } else {
      ncl = run.peer('node client', await nodeRenegPeer({ mode: 'client', port: srv.port, ca: pki.ca.certPath, cert: pki.client.certPath, key: pki.client.keyPath, send: true }));
      run.failWhen(nodeFailed(ncl), 'node client: connection closed/error');
      clientEnd = nodeEnd(ncl);
    }
    const server = nodeEnd(srv);
    const flowing = (): Promise<void> => moreAtEnds([server, clientEnd], () => run.failed());
    await flowing();
    await sleep(200);
    let peerCN: unknown;
    for (let i = 0; i < n && !run.failed(); i++) {
      run.row.attempted++;
      const before = ours?.sock.renegotiations ?? 0;
      const m = srv.mark();
      await srv.write('renegotiate {"requestCert":true,"rejectUnauthorized":true}\n');
      // (A full handshake with a client certificate while megabytes flow both ways: on a loaded
      // machine it took more than 3 s now and then.)
      const ev = await eventOrFailure(run, srv, 'renegotiated', 10_000, m);
      if (!ev) {
        run.note(`server renegotiate(): no callback within 10 s${run.failed() ? ' (connection failed)' : ''}`);
        break;
      }
      if (ev['ok'] !== true) {
        run.note(`server renegotiate() failed: ${String(ev['error'])}`);
        break;
      }
      peerCN = ev['peerCN'];
      if (ours) {
        const o = ours;
        await waitUntil(() => o.sock.renegotiations > before || run.failed(), 3000);
        if (o.sock.renegotiations <= before) break;
      }
      run.row.completed++;
      await flowing();
      await sleep(100);
    }
    if (peerCN !== undefined) {
      run.row.facts.peerCN = String(peerCN);
      run.note(`client certificate seen by the node server: CN=${String(peerCN)}`);
    }
    await checkDirection(run, '←', server, clientEnd, 3000);
    await checkDirection(run, '→', clientEnd, server, 3000);
  } catch (e) {
    run.stopped(e);
  }
  if (srv) for (const e of nodeErrors(srv)) run.row.errors.push(`node server: ${e}`);
  if (ncl) for (const e of nodeErrors(ncl)) run.row.errors.push(`node client: ${e}`);
  return run.finish();
}

// ---------------------------------------------------------------------------------------------
// GnuTLS scenarios
// ---------------------------------------------------------------------------------------------

/** gnutls-cli --logfile: stdout is pure data, the log (block-buffered) is complete at exit. */
async function gnutlsCliLog(cli: PeerProcess, run: Run): Promise<string> {
  await cli.end();
  await cli.waitExit(5000).catch(() => undefined);
  const log = cli.log();
  const fatal = log.split('\n').filter((l) => /\*\*\* (?:Fatal|.*[Ff]ail)|Error/.test(l));
  for (const l of fatal.slice(0, 3)) run.row.errors.push(`gnutls-cli: ${l.trim()}`);
  return log;
}

/**
 * (e) gnutls-cli renegotiates: `rehandshake` uses --rehandshake (once, right after the first
 * handshake); `inline` uses --inline-commands with "^renegotiate^" lines written into its stdin
 * while data flows. Servers: our server streaming text to it from the first moment
 * ('ours-stream'), our server echoing ('ours-echo', the same traffic as gnutls-serv --echo), or
 * gnutls-serv --echo ('gnutls').
 */
async function scenarioECli(
  server: 'ours-stream' | 'ours-echo' | 'gnutls',
  policy: Row['policy'],
  mode: 'rehandshake' | 'inline',
  n: number,
  /** Echo servers: write the command while echoed data is still on its way back. */
  inFlight = false,
): Promise<Row> {
  const how = mode === 'rehandshake' ? '--rehandshake' : '--inline-commands ^renegotiate^';
  const peerName = server === 'ours-stream' ? 'secure-duplex server (streaming)' : server === 'ours-echo' ? 'secure-duplex echo server' : 'gnutls-serv --echo';
  const traffic = server === 'ours-stream' || inFlight ? 'data in flight at each command' : 'echo drained before each command';
  const run = new Run('e', `gnutls-cli ${how} ↔ ${peerName}${mode === 'inline' ? ` (${traffic})` : ''}`, policy);
  let cli: PeerProcess | undefined;
  let helloSeen: LineWatch | undefined;
  try {
    const cliStdout: Received = { bytes: () => cli?.stdoutBytes() ?? 0, sha256: () => cli?.stdoutSha256() ?? '' };
    // What the server has received of what gnutls-cli sends (for echo servers: what came back).
    let serverRx: Received = cliStdout;
    let done: () => number;
    let ss: SecureDuplex | undefined;
    const cliOptions = { ca: pki.ca.certPath, logFile: true, rehandshake: mode === 'rehandshake', extraArgs: mode === 'inline' ? ['--inline-commands'] : [] };
    if (server !== 'gnutls') {
      let sink: Sink | undefined;
      const srv = run.server(
        await ourServer(policy as RenegotiationSendPolicy, (s) => {
          ss = s;
          run.audit(s);
          sink = run.sink(s);
          if (server === 'ours-echo') {
            echoWithBackpressure(s);
          } else {
            // From the first moment, so data is in flight during --rehandshake. Paced to
            // ~400 KB/s: gnutls-cli takes in only ~200 KB/s (so a backlog is always in flight)
            // and, sent much faster, it stops reading its stdin.
            run.direction('←', new Pump(duplexWriter(s), textChunk, 'e-down', 4 * KiB, 10), cliStdout);
          }
        }),
      );
      // Ready at once: with --rehandshake against a streaming server gnutls-cli may be gone
      // before its socket could be seen connected, and its output is what we want then.
      cli = run.peer('gnutls-cli', await gnutlsCliNow(srv.port, cliOptions.rehandshake, cliOptions.extraArgs));
      const s = await srv.accepted();
      run.failWhen(() => s.destroyed, 'our socket closed');
      if (server === 'ours-stream') serverRx = sink!;
      done = () => s.renegotiations;
    } else {
      const gs = run.peer('gnutls-serv', await gnutlsServer({ cert: leaf.certPath, key: leaf.keyPath, echo: true }));
      helloSeen = new LineWatch(gs.proc.stderr, /\*\*\* Received hello message/);
      cli = run.peer('gnutls-cli', await gnutlsClient({ port: gs.port, ...cliOptions }));
      const h = helloSeen;
      done = () => h.n;
    }
    const c = cli;
    const inFlightAtCommand = inFlight || server === 'ours-stream';
    const up = new Pump(peerWriter(c), textChunk, 'e-up', 4 * KiB, inFlight ? 2 : 20);
    run.direction(server === 'ours-stream' ? '→' : '→←', up, serverRx);
    if (mode === 'rehandshake') {
      run.row.attempted = 1;
      if ((await waitUntil(() => done() >= 1 || run.failed(), 5000)) && done() >= 1 && ss) run.row.completed = 1;
      await run.flowing();
      await sleep(300);
    } else {
      await run.flowing();
      await sleep(200);
      for (let i = 0; i < n && !run.failed(); i++) {
        run.row.attempted++;
        // The command must be a line of its own (every chunk of text ends with '\n').
        // 'Drained': first wait until everything sent has come back (nothing in flight).
        await up.pause();
        if (!inFlightAtCommand && !(await waitUntil(() => serverRx.bytes() >= up.bytes || run.failed(), 5000))) throw new Error('gnutls-cli stdin did not drain');
        const before = done();
        await c.write('^renegotiate^\n');
        if (inFlightAtCommand) up.resume();
        const ok = await waitUntil(() => done() > before || run.failed(), 5000);
        up.resume();
        if (!ok || done() <= before) {
          run.note('renegotiation not seen by the server within 5 s');
          break;
        }
        if (ss) run.row.completed++;
        await run.flowing();
        await sleep(150);
      }
    }
  } catch (e) {
    run.stopped(e);
  }
  // Compare the data, then end gnutls-cli (its log is complete only at exit).
  return finishWith(run, async () => {
    if (!cli) return;
    const log = await gnutlsCliLog(cli, run);
    const logDone = count(log, /^- ReHandshake was completed/);
    run.note(`gnutls-cli log: ${logDone} × "ReHandshake was completed"`);
    if (server === 'gnutls') run.row.completed = logDone;
    if (helloSeen) run.note(`gnutls-serv: ${helloSeen.n} × "Received hello message"`);
  });
}

/** gnutls-cli (TLS 1.2, --logfile so stdout is pure data), counted as started at once. */
function gnutlsCliNow(port: number, rehandshake: boolean, extra: readonly string[]): Promise<PeerProcess> {
  const logFile = path.join(peersTmpDir(), `gnutls-cli-reneg-${port}.log`);
  const args = ['-p', String(port), '--priority', GNUTLS_TLS12_PRIORITY, '--logfile', logFile, '--x509cafile', pki.ca.certPath];
  if (rehandshake) args.push('--rehandshake');
  args.push(...extra, '127.0.0.1');
  return startPeer('gnutls-cli', args, { ready: () => true, logFile });
}

/** Run.finish with `before` run after the data comparisons and before the cleanup. */
async function finishWith(run: Run, before: () => Promise<void>): Promise<Row> {
  run.beforeCleanup = before;
  return run.finish();
}

/** (e) our client renegotiates against gnutls-serv --echo while text flows both ways. */
async function scenarioEServ(policy: RenegotiationSendPolicy, n: number): Promise<Row> {
  const run = new Run('e', 'secure-duplex client (renegotiate()) ↔ gnutls-serv --echo', policy);
  let hello: LineWatch | undefined;
  let fails: LineWatch | undefined;
  try {
    const gs = run.peer('gnutls-serv', await gnutlsServer({ cert: leaf.certPath, key: leaf.keyPath, echo: true }));
    const port = gs.port;
    hello = new LineWatch(gs.proc.stderr, /\*\*\* Received hello message/);
    fails = new LineWatch(gs.proc.stderr, /Error|rror in|\*\*\* .*(?:[Ff]ail|[Ee]rror)/);
    const c = run.client(await ourClient(port, policy));
    run.audit(c.sock);
    run.direction('→←', new Pump(duplexWriter(c.sock), textChunk, 'e2-up', 16 * KiB), run.sink(c.sock));
    await run.flowing();
    await sleep(200);
    await run.renegotiateRepeatedly(c.sock, n);
  } catch (e) {
    run.stopped(e);
  }
  const row = await run.finish();
  if (hello) row.notes.push(`gnutls-serv: ${hello.n} × "Received hello message"`);
  if (fails) for (const l of fails.lines.slice(0, 3)) row.errors.push(`gnutls-serv: ${l.trim()}`);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

function why(row: Row): string {
  const { facts, ...rest } = row;
  return `\n${JSON.stringify({ ...rest, facts }, null, 1)}`;
}

/** Everything attempted completed, every byte arrived intact, nothing failed. */
function expectClean(row: Row, n: number): void {
  if (process.env['RENEG_INTEROP_VERBOSE']) console.log(JSON.stringify(row));
  expect(row.attempted, why(row)).to.equal(n);
  expect(row.completed, why(row)).to.equal(n);
  expect(row.intact, why(row)).to.equal('yes');
  expect(row.errors, why(row)).to.deep.equal([]);
  // 'conservative' wrote no application data inside a held window.
  if (row.facts.wireInWindow !== undefined) expect(row.facts.wireInWindow, why(row)).to.equal(0);
}

/**
 * The run stopped short of `n` renegotiations because of the failure described by `peerError`
 * (matched against the errors and notes), and nothing arrived corrupted: every direction is
 * intact or an intact prefix of what was sent.
 */
function expectFailure(row: Row, n: number, peerError: RegExp): void {
  if (process.env['RENEG_INTEROP_VERBOSE']) console.log(JSON.stringify(row));
  expect(row.attempted, why(row)).to.be.greaterThan(0);
  expect(row.completed, why(row)).to.be.below(n);
  expect([...row.errors, ...row.notes].join('\n'), why(row)).to.match(peerError);
  expect(row.facts.corrupt, why(row)).to.equal(false);
}

/** Timing-dependent outcome (see the doc for the measured frequency): clean, or `peerError`. */
function expectCleanOrFailure(row: Row, n: number, peerError: RegExp): void {
  if (row.completed === n && row.errors.length === 0) expectClean(row, n);
  else expectFailure(row, n, peerError);
}

/** OpenSSL (s_server, s_client, node:tls) refusing an application-data record in a handshake. */
const OPENSSL_UNEXPECTED_RECORD = /ssl3_read_bytes:unexpected record/;
/** gnutls-cli: gnutls_handshake() returned GNUTLS_E_GOT_APPLICATION_DATA. */
const GNUTLS_GOT_APP_DATA = /gnutls-cli: \*\*\* Fatal error: TLS Application data were received, while expecting handshake data/;
/** ... or, under 'eager', GNUTLS_E_UNEXPECTED_PACKET for our data between ServerHello and ChangeCipherSpec. */
const GNUTLS_CLI_EAGER = /gnutls-cli: \*\*\* Fatal error: (?:TLS Application data were received, while expecting handshake data|An unexpected TLS packet was received)/;

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------


/** Echo every chunk back, pausing the reader while the echo waits for 'drain'. */
function echoWithBackpressure(s: SecureDuplex): void {
  s.on('data', (d: Buffer) => {
    if (!s.write(d)) {
      s.pause();
      s.once('drain', () => s.resume());
    }
  });
}

describe('interop: renegotiation while data flows (real peers)', function () {
  this.timeout(60_000);

  after(function () {
    const out = process.env['RENEG_INTEROP_REPORT'];
    if (!out) return;
    const versions = `<!-- ${[peerVersion('openssl'), peerVersion('gnutls-cli'), `node ${process.version}`].join('; ')} -->\n`;
    if (out === '-') process.stdout.write('\n' + versions + mdTable());
    else fs.writeFileSync(out, versions + mdTable());
  });

  const AR = ['R', 'r', 'R', 'r', 'R', 'r'] as const;
  const UNEXPECTED = OPENSSL_UNEXPECTED_RECORD;

  describe('(a) openssl s_server renegotiates (r, R) while data flows both ways', function () {
    it('secure-duplex client, conservative: 6/6, bytes intact; our client offers its session on the HelloRequest and s_server resumes it (no certificate asked, as with s_client)', async function () {
      requirePeer(this, 'openssl');
      const row = await scenarioA('ours', 'conservative', AR);
      expectClean(row, 6);
      expect(row.facts.clientCerts, why(row)).to.equal(0);
      expect(row.midReneg, why(row)).to.be.greaterThan(0);
    });
    it('secure-duplex client, conservative, s_server -no_resumption_on_reneg: 6/6, bytes intact, client certificate sent on R', async function () {
      requirePeer(this, 'openssl');
      const row = await scenarioA('ours', 'conservative', AR, ['-no_resumption_on_reneg']);
      expectClean(row, 6);
      expect(row.facts.clientCerts, why(row)).to.equal(1); // VERIFY_CLIENT_ONCE: only the first R asks
    });
    it('secure-duplex client, eager: s_server fails the connection (unexpected_message)', async function () {
      requirePeer(this, 'openssl');
      const row = await scenarioA('ours', 'eager', AR);
      expectFailure(row, 6, /s_server: .*unexpected record/);
      expect(row.errors.join('\n'), why(row)).to.match(/ours: .*\[alert unexpected_message\]/);
      expect(row.facts.wireInWindow, why(row)).to.be.greaterThan(0);
    });
    // OpenSSL against itself mostly completes, but now and then s_client gives up inside its
    // write ("write:errno=0") and s_server reports a truncated record.
    const SELF_A = /s_client: write:errno=0|s_server: .*(?:decode error|unexpected eof)/;
    it('openssl s_client (peer vs itself; OpenSSL resumes the session in each renegotiation)', async function () {
      requirePeer(this, 'openssl');
      expectCleanOrFailure(await scenarioA('openssl', '—', AR), 6, SELF_A);
    });
    it('openssl s_client (peer vs itself; full handshakes: -no_resumption_on_reneg)', async function () {
      requirePeer(this, 'openssl');
      expectCleanOrFailure(await scenarioA('openssl', '—', AR, ['-no_resumption_on_reneg']), 6, SELF_A);
    });
  });

  describe('(b) openssl s_client renegotiates (R) while data flows both ways', function () {
    // s_client runs its renegotiation inside SSL_write(con, buf, 0), where OpenSSL refuses every
    // application-data record: it fails whenever the server had data in flight.
    it('secure-duplex server, conservative: s_client refuses data we sent before our ServerHello (as against itself)', async function () {
      requirePeer(this, 'openssl');
      const row = await scenarioB('ours', 'conservative', 6);
      expectCleanOrFailure(row, 6, /s_client: .*unexpected record/);
      expect(row.facts.wireInWindow, why(row)).to.equal(0);
    });
    it('secure-duplex server, eager', async function () {
      requirePeer(this, 'openssl');
      expectFailure(await scenarioB('ours', 'eager', 6), 6, /s_client: .*unexpected record/);
    });
    it('openssl s_server -client_renegotiation (peer vs itself): s_client fails the same way', async function () {
      requirePeer(this, 'openssl');
      expectFailure(await scenarioB('openssl', '—', 6), 6, /s_client: .*unexpected record/);
    });
  });

  describe('(c) secure-duplex client renegotiates against openssl s_server -client_renegotiation', function () {
    it('conservative: 6/6, bytes intact', async function () {
      requirePeer(this, 'openssl');
      const row = await scenarioC('conservative', 6);
      expectClean(row, 6);
      expect(row.midReneg, why(row)).to.be.greaterThan(0);
    });
    it('eager: s_server fails the connection when our data follows our ClientHello', async function () {
      requirePeer(this, 'openssl');
      expectCleanOrFailure(await scenarioC('eager', 6), 6, /s_server: .*unexpected record/);
    });
  });

  describe('(d) node:tls client renegotiate()', function () {
    // node runs the client's handshake from SSL_write whenever it has writes queued; OpenSSL
    // then refuses the server's in-flight application data ("unexpected record").
    // 'echo' runs 3 renegotiations: node-tls-peer's echo server keeps node's default
    // tls.CLIENT_RENEG_LIMIT (3 per 10 minutes; the 4th is ERR_TLS_SESSION_ATTACK).
    for (const traffic of ['both', 'echo'] as const) {
      const chunk = traffic === 'echo' ? 64 * KiB : 16 * KiB;
      const n = traffic === 'echo' ? 3 : 5;
      it(`${traffic}: secure-duplex server, conservative: node fails as against itself; we sent nothing after our ServerHello`, async function () {
        const row = await scenarioDClient(traffic, 'ours', 'conservative', n, chunk);
        expectFailure(row, n, UNEXPECTED);
        expect(row.facts.wireInWindow, why(row)).to.equal(0);
      });
      it(`${traffic}: secure-duplex server, eager`, async function () {
        expectFailure(await scenarioDClient(traffic, 'ours', 'eager', n, chunk), n, UNEXPECTED);
      });
    }
    it('both: node:tls server (peer vs itself): the node client fails', async function () {
      expectFailure(await scenarioDClient('both', 'node', '—', 5), 5, UNEXPECTED);
    });
    it('echo: node:tls echo server (peer vs itself): the node client fails, or (rarely) completes', async function () {
      expectCleanOrFailure(await scenarioDClient('echo', 'node', '—', 3, 64 * KiB), 3, UNEXPECTED);
    });
    it('down: secure-duplex server, conservative: 5/5', async function () {
      expectClean(await scenarioDClient('down', 'ours', 'conservative', 5), 5);
    });
    it('down: secure-duplex server, eager: node refuses our data after the ServerHello', async function () {
      const row = await scenarioDClient('down', 'ours', 'eager', 5);
      expectFailure(row, 5, UNEXPECTED);
      expect(row.facts.wireInWindow, why(row)).to.be.greaterThan(0);
    });
    it('down: node:tls server (peer vs itself): 5/5', async function () {
      expectClean(await scenarioDClient('down', 'node', '—', 5), 5);
    });
    it('node-tls-peer client-sink-source ↔ secure-duplex server: no renegotiate() callback while its write is pending', async function () {
      const row = await scenarioDSinkSource('ours', 'conservative', 16 * MiB);
      if (process.env['RENEG_INTEROP_VERBOSE']) console.log(JSON.stringify(row));
      expect(row.completed, why(row)).to.equal(0);
      expect(row.intact, why(row)).to.equal('yes');
    });
    it('node-tls-peer client-sink-source ↔ server-sink-source (peer vs itself): the same', async function () {
      const row = await scenarioDSinkSource('node', '—', 16 * MiB);
      if (process.env['RENEG_INTEROP_VERBOSE']) console.log(JSON.stringify(row));
      expect(row.completed, why(row)).to.equal(0);
      expect(row.intact, why(row)).to.equal('yes');
    });
  });

  describe('(d) node:tls server renegotiate({ requestCert: true }) while data flows both ways', function () {
    // Our client answers the HelloRequest offering its session, as node's: a node server that
    // resumes it asks for no certificate; with SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION it
    // makes the full handshake that does.
    const NO_RESUMPTION = constants.SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION;
    it('secure-duplex client, conservative, node server with SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION: 5/5, bytes intact, node sees our certificate', async function () {
      const row = await scenarioDServer('ours', 'conservative', 5, 1000, NO_RESUMPTION);
      expectClean(row, 5);
      expect(row.facts.peerCN, why(row)).to.equal('client');
    });
    it('secure-duplex client, eager (node server without resumption on renegotiation): node refuses our data after our ClientHello', async function () {
      expectFailure(await scenarioDServer('ours', 'eager', 5, 1000, NO_RESUMPTION), 5, /node server: .*unexpected record/);
    });
    it('secure-duplex client, conservative: as the node client, resumes its session, so no certificate, and the node server drops the connection', async function () {
      const row = await scenarioDServer('ours', 'conservative', 5);
      // (The drop reaches us as a close or, when we were writing, ECONNRESET.)
      expectFailure(row, 5, /connection lost: our socket (?:closed|errored)/);
      expect(row.facts.peerCN, why(row)).to.equal('null');
    });
    it('node:tls client (peer vs itself): fails; the node client resumes its session, so no certificate either', async function () {
      // The node (OpenSSL) client answers the HelloRequest with a session-resuming ClientHello:
      // an abbreviated handshake, no CertificateRequest, and the node server (rejectUnauthorized)
      // drops the connection. Or the client dies first on in-flight data (unexpected record).
      const row = await scenarioDServer('node', '—', 5);
      expectFailure(row, 5, /node client: (?:read|write) (?:EPROTO|ECONNRESET)/);
      expect(row.facts.peerCN, why(row)).to.not.equal('client');
    });
  });

  describe('(e) gnutls-cli renegotiates', function () {
    // gnutls-cli treats GNUTLS_E_GOT_APPLICATION_DATA from its own gnutls_handshake() as fatal:
    // any application data in flight when it starts a renegotiation ends the connection.
    for (const policy of ['conservative', 'eager'] as const) {
      it(`--rehandshake: secure-duplex server streaming from the start, ${policy}: gnutls-cli fails on our in-flight data`, async function () {
        requirePeer(this, 'gnutls-cli');
        const row = await scenarioECli('ours-stream', policy, 'rehandshake', 1);
        expectFailure(row, 1, policy === 'eager' ? GNUTLS_CLI_EAGER : GNUTLS_GOT_APP_DATA);
        if (policy === 'conservative') expect(row.facts.wireInWindow, why(row)).to.equal(0);
      });
    }
    it('--rehandshake: secure-duplex echo server: 1/1', async function () {
      requirePeer(this, 'gnutls-cli');
      expectClean(await scenarioECli('ours-echo', 'conservative', 'rehandshake', 1), 1);
    });
    it('--rehandshake: gnutls-serv --echo (peer vs itself): 1/1', async function () {
      requirePeer(this, 'gnutls-cli');
      requirePeer(this, 'gnutls-serv');
      expectClean(await scenarioECli('gnutls', '—', 'rehandshake', 1), 1);
    });
    // (A server that streams on its own would starve gnutls-cli's stdin: it reads its stdin only
    // when its socket has nothing to read, so it may never see the command. Echo servers don't.)
    for (const policy of ['conservative', 'eager'] as const) {
      it(`^renegotiate^: secure-duplex echo server, echo in flight, ${policy}: gnutls-cli fails on the in-flight echo`, async function () {
        requirePeer(this, 'gnutls-cli');
        const row = await scenarioECli('ours-echo', policy, 'inline', 3, true);
        expectCleanOrFailure(row, 3, policy === 'eager' ? GNUTLS_CLI_EAGER : GNUTLS_GOT_APP_DATA);
        if (policy === 'conservative') expect(row.facts.wireInWindow, why(row)).to.equal(0);
      });
    }
    it('^renegotiate^: gnutls-serv --echo, echo in flight (peer vs itself): the same', async function () {
      requirePeer(this, 'gnutls-cli');
      requirePeer(this, 'gnutls-serv');
      expectCleanOrFailure(await scenarioECli('gnutls', '—', 'inline', 3, true), 3, GNUTLS_GOT_APP_DATA);
    });
    it('^renegotiate^: secure-duplex echo server, echo drained before each command: 5/5', async function () {
      requirePeer(this, 'gnutls-cli');
      expectClean(await scenarioECli('ours-echo', 'conservative', 'inline', 5), 5);
    });
    it('^renegotiate^: gnutls-serv --echo, echo drained before each command (peer vs itself): 5/5', async function () {
      requirePeer(this, 'gnutls-cli');
      requirePeer(this, 'gnutls-serv');
      expectClean(await scenarioECli('gnutls', '—', 'inline', 5), 5);
    });
  });

  describe('(e) secure-duplex client renegotiates against gnutls-serv --echo', function () {
    it('conservative: 5/5, bytes intact', async function () {
      requirePeer(this, 'gnutls-serv');
      const row = await scenarioEServ('conservative', 5);
      expectClean(row, 5);
      expect(row.midReneg, why(row)).to.be.greaterThan(0);
    });
    it('eager: gnutls-serv fails the rehandshake ("An unexpected TLS packet was received")', async function () {
      requirePeer(this, 'gnutls-serv');
      expectFailure(await scenarioEServ('eager', 5), 5, /gnutls-serv: Error in rehandshake|unexpected_message/);
    });
  });
});
