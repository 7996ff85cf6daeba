// Property-based robustness of the Engine as a whole (DESIGN.md "Tests": hostile bytes must end in
// an alert and a clean error, never an uncaught exception or a hang). Two engines back to back
// (EnginePair: deterministic RNG and clock); bytes in flight are mutated at a generated step;
// fresh engines get record-shaped garbage; valid byte streams are cut into arbitrary chunks.
// Every property has a fixed seed: a failure prints the seed and path that replay it.
//
// The invariants checked on every engine call (see Side.call / Side.drain):
// - no call throws (receive, tick, write, renegotiate, start), none takes more than CALL_MS;
// - every event is one of the documented EngineEvent types, with the documented fields;
// - every 'error' carries a TlsError with a non-empty string `code`; at most one per engine;
//   nothing (no event, no output) after it;
// - TLS: an error other than a received alert names the alert it sent, and the engine's output
//   ends with that alert record (checked in plaintext, or by the peer reporting it received it);
// - output stays bounded (per call and per case); DTLS timers never fire in the past and stop.
// And at the end of a case: TLS data received is a prefix of what was sent (all of it when
// nothing was lost); DTLS datagrams arrive at most once; after only benign transformations
// (re-chunking; for DTLS also loss, duplication, reordering) both sides finish without error.
//
// The last describe block holds the shrunk counterexamples of the properties that fail today, one
// `it` per bug in lib/. FUZZ_STATS=1 prints how the generated cases ended (coverage check).
import { expect } from 'chai';
import fc from 'fast-check';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { alertName } from '../lib/engine/alerts.js';
import { CIPHER_SUITES, PSK_CIPHER_SUITES, type CipherSuite } from '../lib/engine/cipher-suites.js';
import { ContentType, ExtensionType, HandshakeType } from '../lib/engine/constants.js';
import { CookieJar } from '../lib/engine/dtls/cookie.js';
import type { Engine, EngineEvent, EngineOptions } from '../lib/engine/engine.js';
import { SessionStore } from '../lib/engine/handshake/session-store.js';
import type { SessionState } from '../lib/engine/handshake/session.js';
import { ErrorCode, TlsError } from '../lib/errors.js';
import { seededRandom } from './helpers/deterministic-random.js';
import { EnginePair } from './helpers/engine-pair.js';
import { concatBytes } from '../lib/concat-bytes.js';

// ---------------------------------------------------------------------------------------------
// fixtures and limits

const SERVER_CERT = generateCertificate({ keyType: 'ec-p256' });
const CLIENT_CERT = generateCertificate({ keyType: 'ec-p256', commonName: 'fuzz client', altNames: [] });
const PSK_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
const PSK_IDENTITY = 'fuzz-device';
const TICKET_KEYS = Uint8Array.from({ length: 48 }, (_, i) => 255 - i);
const ECDSA_SUITES = CIPHER_SUITES.filter((s) => s.auth === 'ECDSA');
const KiB = 1024;

/** One engine call may not take longer than this (a hang or a quadratic blow-up). */
const CALL_MS = 2000;
/** Output of one engine call (TLS bytes) / (DTLS datagrams). */
const MAX_CALL_BYTES = 256 * KiB;
const MAX_CALL_DATAGRAMS = 64;
/** All output of one engine over one generated case. */
const MAX_CASE_BYTES = 1024 * KiB;
/** Simulated time a case may run (DTLS handshake timeout is 60 s), and scheduler steps. */
const MAX_SIM_MS = 400_000;
const MAX_STEPS = 4000;

const EVENT_TYPES = new Set(['handshake', 'data', 'peer-closed', 'renegotiation-refused', 'warning', 'keylog', 'ocsp-request', 'error']);

const concat = (parts: readonly Uint8Array[]): Uint8Array => concatBytes(...parts);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const u24 = (n: number): number[] => [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

/** FUZZ_STATS=1: print what the generated cases did (coverage check while writing the spec). */
const STATS = process.env.FUZZ_STATS ? new Map<string, number>() : undefined;
function stat(key: string): void {
  STATS?.set(key, (STATS.get(key) ?? 0) + 1);
}
if (STATS) process.on('exit', () => console.log([...STATS].sort().map(([k, v]) => `${k}: ${v}`).join('\n')));

/** When set, an ERR_TLS_INTERNAL_ERROR from peer input is a violation too: it is what the engine
 *  reports when a JS exception (TypeError, RangeError, ...) escaped its own code. */
let strictInternal = false;
function withStrictInternal(fn: () => void): void {
  strictInternal = true;
  try {
    fn();
  } finally {
    strictInternal = false;
  }
}

class Violation extends Error {
  override name = 'Violation';
}
function violation(msg: string): never {
  throw new Violation(msg);
}

// ---------------------------------------------------------------------------------------------
// record framing (test-side, independent of lib/)

interface TlsRec {
  type: number;
  bytes: Uint8Array; // header + body
}

/** Cut a TLS byte stream into records; `rest` is an incomplete tail. */
function tlsRecords(bytes: Uint8Array): { recs: TlsRec[]; rest: Uint8Array } {
  const recs: TlsRec[] = [];
  let off = 0;
  while (bytes.length - off >= 5) {
    const len = (bytes[off + 3]! << 8) | bytes[off + 4]!;
    if (off + 5 + len > bytes.length) break;
    recs.push({ type: bytes[off]!, bytes: bytes.subarray(off, off + 5 + len) });
    off += 5 + len;
  }
  return { recs, rest: bytes.subarray(off) };
}

interface DtlsRec {
  type: number;
  epoch: number;
  bytes: Uint8Array; // header + body
}

/** Cut a datagram into DTLS records; `rest` is what does not parse as a record. */
function dtlsRecords(d: Uint8Array): { recs: DtlsRec[]; rest: Uint8Array } {
  const recs: DtlsRec[] = [];
  let off = 0;
  while (d.length - off >= 13) {
    const len = (d[off + 11]! << 8) | d[off + 12]!;
    if (off + 13 + len > d.length) break;
    recs.push({ type: d[off]!, epoch: (d[off + 3]! << 8) | d[off + 4]!, bytes: d.subarray(off, off + 13 + len) });
    off += 13 + len;
  }
  return { recs, rest: d.subarray(off) };
}

// ---------------------------------------------------------------------------------------------
// one engine under observation

type SideName = 'client' | 'server';

class Side {
  readonly events: EngineEvent[] = [];
  readonly errors: TlsError[] = [];
  /** Everything the engine sent, in order (TLS: one byte stream; DTLS: datagrams). */
  readonly out: Uint8Array[] = [];
  outBytes = 0;
  /** Plaintext received ('data' events), in order. */
  readonly received: Uint8Array[] = [];
  /** Plaintext this side wrote, in order. */
  readonly written: Uint8Array[] = [];
  handshakes = 0;

  constructor(
    readonly name: SideName,
    readonly engine: Engine,
    readonly dtls: boolean,
  ) {}

  get failed(): boolean {
    return this.errors.length > 0;
  }

  /** Run one engine call under the invariants; returns what it sent. */
  call(what: string, fn: () => void): Uint8Array[] {
    const t0 = performance.now();
    try {
      fn();
    } catch (e) {
      violation(`${this.name}.${what} threw ${(e as Error)?.stack ?? String(e)}`);
    }
    const ms = performance.now() - t0;
    if (ms > CALL_MS) violation(`${this.name}.${what} took ${ms.toFixed(0)} ms`);
    return this.drain(what);
  }

  private drain(what: string): Uint8Array[] {
    const out = this.engine.takeOutput();
    const events = this.engine.takeEvents();
    const before = this.failed;
    if (before && (out.length > 0 || events.length > 0)) {
      violation(`${this.name}: after its error, ${what} produced ${out.length} outputs and events [${events.map((e) => e.type)}]`);
    }
    let bytes = 0;
    for (const o of out) {
      if (!(o instanceof Uint8Array)) violation(`${this.name}.${what}: output is not a Uint8Array`);
      bytes += o.length;
    }
    if (this.dtls ? out.length > MAX_CALL_DATAGRAMS : bytes > MAX_CALL_BYTES) {
      violation(`${this.name}.${what}: one call produced ${out.length} outputs / ${bytes} bytes`);
    }
    this.outBytes += bytes;
    if (this.outBytes > MAX_CASE_BYTES) violation(`${this.name}: ${this.outBytes} bytes of output in one case`);
    this.out.push(...out);
    for (const e of events) this.event(e, what);
    return out;
  }

  private event(e: EngineEvent, what: string): void {
    const where = `${this.name}.${what}`;
    if (!e || typeof e !== 'object' || !EVENT_TYPES.has((e as { type: string }).type)) {
      violation(`${where}: undocumented event ${JSON.stringify(e)}`);
    }
    if (this.failed) violation(`${where}: event '${e.type}' after the error ${this.errors[0]!.code}`);
    this.events.push(e);
    switch (e.type) {
      case 'handshake':
        if (typeof e.renegotiation !== 'boolean' || typeof e.resumed !== 'boolean' || !['local', 'peer'].includes(e.initiator)) {
          violation(`${where}: malformed handshake event ${JSON.stringify(e)}`);
        }
        this.handshakes++;
        return;
      case 'data':
        if (!(e.data instanceof Uint8Array) || typeof e.duringRenegotiation !== 'boolean') violation(`${where}: malformed data event`);
        if (e.data.length === 0) violation(`${where}: empty data event`);
        // Copy: the engine may hand out views of buffers it (or the test) later reuses.
        this.received.push(e.data.slice());
        return;
      case 'renegotiation-refused':
        checkError(e.error, `${where} renegotiation-refused`);
        return;
      case 'warning':
        if (typeof e.alert !== 'string' || e.alert.length === 0) violation(`${where}: malformed warning event`);
        return;
      case 'keylog':
        if (!(e.clientRandom instanceof Uint8Array) || e.clientRandom.length !== 32 || !(e.masterSecret instanceof Uint8Array) || e.masterSecret.length !== 48) {
          violation(`${where}: malformed keylog event`);
        }
        return;
      case 'ocsp-request':
        if (!Array.isArray(e.chain)) violation(`${where}: malformed ocsp-request event`);
        return;
      case 'peer-closed':
        return;
      case 'error':
        checkError(e.error, `${where} error`);
        this.errors.push(e.error);
        if (strictInternal && e.error.code === ErrorCode.INTERNAL) {
          violation(`${where}: peer input caused an internal error: ${e.error.stack?.split('\n').slice(0, 3).join(' | ')}`);
        }
        if (!this.dtls && e.error.code !== ErrorCode.ALERT_RECEIVED && e.error.alert === undefined) {
          violation(`${where}: TLS error ${e.error.code} (${e.error.message}) sent no alert`);
        }
        return;
    }
  }

  /** TLS: the last record this engine sent. */
  lastTlsRecord(): TlsRec | undefined {
    const { recs } = tlsRecords(concat(this.out));
    return recs[recs.length - 1];
  }
}

function checkError(err: unknown, where: string): void {
  if (!(err instanceof TlsError)) violation(`${where}: not a TlsError: ${String(err)}`);
  if (typeof err.code !== 'string' || err.code.length === 0) violation(`${where}: TlsError without a code: ${err.message}`);
}

/** TLS: after an error that sent an alert, the output ends with that fatal alert record, and a
 *  peer that was still reading reports receiving it. */
function checkAlertSent(s: Side, peer: Side | undefined): void {
  if (s.dtls || !s.failed) return;
  const err = s.errors[0]!;
  if (err.code === ErrorCode.ALERT_RECEIVED || err.alert === undefined) return;
  const last = s.lastTlsRecord();
  if (!last || last.type !== ContentType.alert) {
    violation(`${s.name}: error ${err.code} (alert ${err.alertName}) but its output ends with record type ${last?.type}`);
  }
  if (last.bytes.length === 7 && (last.bytes[5] !== 2 || last.bytes[6] !== err.alert)) {
    violation(`${s.name}: error ${err.code} should end with fatal ${err.alertName}, sent [${last.bytes[5]}, ${last.bytes[6]}]`);
  }
  if (peer && peer.errors[0]?.code === ErrorCode.ALERT_RECEIVED && peer.errors[0].alertReceived !== alertName(err.alert)) {
    violation(`${s.name} sent ${err.alertName} but ${peer.name} received ${peer.errors[0].alertReceived}`);
  }
}

// ---------------------------------------------------------------------------------------------
// mutations of the bytes in flight

type Op =
  | { k: 'flip'; d: number; pos: number; bit: number }
  | { k: 'overwrite'; d: number; pos: number; value: number }
  | { k: 'truncate'; d: number; pos: number }
  | { k: 'insert'; d: number; pos: number; bytes: Uint8Array }
  | { k: 'dupRecord'; d: number; rec: number }
  | { k: 'dropRecord'; d: number; rec: number }
  | { k: 'swapRecords'; d: number; a: number; b: number }
  /** Re-frame one record as two (TLS: two records; DTLS handshake: two fragments). */
  | { k: 'splitRecord'; d: number; rec: number; at: number }
  /** TLS: deliver the flight in chunks of these sizes (cycled). DTLS: split datagram d after record `rec`. */
  | { k: 'chunk'; d: number; rec: number; sizes: number[] }
  | { k: 'dupDatagram'; d: number }
  | { k: 'dropDatagram'; d: number }
  | { k: 'swapDatagrams'; d: number; e: number }
  /** DTLS: cut datagram d at an arbitrary byte. */
  | { k: 'cutDatagram'; d: number; pos: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), d: fc.nat(), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('overwrite' as const), d: fc.nat(), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ k: fc.constant('truncate' as const), d: fc.nat(), pos: fc.nat() }),
  fc.record({ k: fc.constant('insert' as const), d: fc.nat(), pos: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ k: fc.constant('dupRecord' as const), d: fc.nat(), rec: fc.nat() }),
  fc.record({ k: fc.constant('dropRecord' as const), d: fc.nat(), rec: fc.nat() }),
  fc.record({ k: fc.constant('swapRecords' as const), d: fc.nat(), a: fc.nat(), b: fc.nat() }),
  fc.record({ k: fc.constant('splitRecord' as const), d: fc.nat(), rec: fc.nat(), at: fc.nat() }),
  fc.record({
    k: fc.constant('chunk' as const), d: fc.nat(), rec: fc.nat(),
    sizes: fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 2000 })), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ k: fc.constant('dupDatagram' as const), d: fc.nat() }),
  fc.record({ k: fc.constant('dropDatagram' as const), d: fc.nat() }),
  fc.record({ k: fc.constant('swapDatagrams' as const), d: fc.nat(), e: fc.nat() }),
  fc.record({ k: fc.constant('cutDatagram' as const), d: fc.nat(), pos: fc.nat() }),
);

/** What a set of mutations did, for the expectations that follow. */
interface MutationEffect {
  /** Only transformations a correct peer must get through (TLS: re-chunking, re-framing a
   *  plaintext handshake record; DTLS: loss, duplication, reordering, re-fragmenting). */
  benign: boolean;
  /** DTLS: an application-data record was dropped (UDP may lose data). */
  droppedAppData: boolean;
  /** TLS: deliver in chunks of these sizes. */
  chunks?: number[];
}

/** Split a TLS record into two records of the same type (valid for plaintext records only). */
function splitTlsRecord(r: TlsRec, at: number): Uint8Array[] {
  const body = r.bytes.subarray(5);
  if (body.length < 2) return [r.bytes];
  const cut = 1 + (at % (body.length - 1));
  const head = r.bytes.subarray(0, 3);
  return [
    concat([head, new Uint8Array(u16(cut)), body.subarray(0, cut)]),
    concat([head, new Uint8Array(u16(body.length - cut)), body.subarray(cut)]),
  ];
}

/** DTLS plaintext handshake record: split its first handshake fragment in two, both kept in the
 *  same record (same record sequence number), the second first when `at` is odd. */
function refragmentDtls(r: DtlsRec, at: number): Uint8Array | undefined {
  const body = r.bytes.subarray(13);
  if (r.type !== ContentType.handshake || r.epoch !== 0 || body.length < 12) return undefined;
  const fLen = (body[9]! << 16) | (body[10]! << 8) | body[11]!;
  const fOff = (body[6]! << 16) | (body[7]! << 8) | body[8]!;
  if (fLen < 2 || 12 + fLen > body.length) return undefined;
  const cut = 1 + (at % (fLen - 1));
  const frag = (o: number, n: number) => concat([body.subarray(0, 6), new Uint8Array([...u24(fOff + o), ...u24(n)]), body.subarray(12 + o, 12 + o + n)]);
  const a = frag(0, cut);
  const b = frag(cut, fLen - cut);
  const rest = body.subarray(12 + fLen);
  const newBody = concat(at % 2 === 1 ? [b, a, rest] : [a, b, rest]);
  return concat([r.bytes.subarray(0, 11), new Uint8Array(u16(newBody.length)), newBody]);
}

/** Apply `ops` to one batch of TLS bytes going to a receiver whose read side is (not) encrypted. */
function mutateTls(batch: Uint8Array[], ops: readonly Op[], readEncrypted: boolean): { out: Uint8Array; effect: MutationEffect } {
  let bytes = concat(batch);
  const effect: MutationEffect = { benign: true, droppedAppData: false };
  const recOp = (fn: (recs: TlsRec[]) => Uint8Array[] | undefined) => {
    const { recs, rest } = tlsRecords(bytes);
    if (recs.length === 0) return;
    const parts = fn(recs);
    if (parts) bytes = concat([...parts, rest]);
  };
  for (const op of ops) {
    const n = bytes.length;
    switch (op.k) {
      case 'flip':
        if (n === 0) break;
        bytes = bytes.slice();
        bytes[op.pos % n]! ^= 1 << op.bit;
        effect.benign = false;
        break;
      case 'overwrite':
        if (n === 0) break;
        bytes = bytes.slice();
        if (bytes[op.pos % n] === op.value) break;
        bytes[op.pos % n] = op.value;
        effect.benign = false;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, op.pos % (n + 1));
        effect.benign &&= bytes.length === n;
        break;
      case 'insert': {
        const p = op.pos % (n + 1);
        bytes = concat([bytes.subarray(0, p), op.bytes, bytes.subarray(p)]);
        effect.benign = false;
        break;
      }
      case 'dupRecord':
      case 'dropRecord':
        recOp((recs) => {
          const i = op.rec % recs.length;
          effect.benign = false;
          const parts = recs.map((r) => r.bytes);
          if (op.k === 'dupRecord') parts.splice(i, 0, recs[i]!.bytes);
          else parts.splice(i, 1);
          return parts;
        });
        break;
      case 'swapRecords':
        recOp((recs) => {
          const a = op.a % recs.length;
          const b = op.b % recs.length;
          if (a === b) return undefined;
          effect.benign = false;
          const parts = recs.map((r) => r.bytes);
          [parts[a], parts[b]] = [parts[b]!, parts[a]!];
          return parts;
        });
        break;
      case 'splitRecord':
        recOp((recs) => {
          const i = op.rec % recs.length;
          // Plaintext: the receiver reads in the clear and no ChangeCipherSpec precedes it here.
          const plaintext = !readEncrypted && !recs.slice(0, i).some((r) => r.type === ContentType.change_cipher_spec);
          const parts = recs.map((r) => [r.bytes]);
          parts[i] = splitTlsRecord(recs[i]!, op.at);
          if (parts[i]!.length === 2 && !(plaintext && recs[i]!.type === ContentType.handshake)) effect.benign = false;
          return parts.flat();
        });
        break;
      case 'chunk':
        effect.chunks = op.sizes;
        break;
      default:
        break; // datagram operations do not apply to a byte stream
    }
  }
  return { out: bytes, effect };
}

/** Apply `ops` to one batch of DTLS datagrams. */
function mutateDtls(batch: Uint8Array[], ops: readonly Op[]): { out: Uint8Array[]; effect: MutationEffect } {
  let ds = batch.slice();
  const effect: MutationEffect = { benign: true, droppedAppData: false };
  const hasAppData = (d: Uint8Array) => dtlsRecords(d).recs.some((r) => r.type === ContentType.application_data);
  for (const op of ops) {
    if (ds.length === 0) break;
    const i = op.d % ds.length;
    const d = ds[i]!;
    const n = d.length;
    const recOp = (fn: (recs: DtlsRec[]) => Uint8Array[] | undefined) => {
      const { recs, rest } = dtlsRecords(d);
      if (recs.length === 0) return;
      const parts = fn(recs);
      if (parts) ds[i] = concat([...parts, rest]);
    };
    switch (op.k) {
      case 'flip': {
        if (n === 0) break;
        const c = d.slice();
        c[op.pos % n]! ^= 1 << op.bit;
        ds[i] = c;
        effect.benign = false;
        break;
      }
      case 'overwrite': {
        if (n === 0 || d[op.pos % n] === op.value) break;
        const c = d.slice();
        c[op.pos % n] = op.value;
        ds[i] = c;
        effect.benign = false;
        break;
      }
      case 'truncate':
        if (op.pos % (n + 1) === n) break;
        ds[i] = d.subarray(0, op.pos % (n + 1));
        effect.benign = false;
        break;
      case 'insert': {
        const p = op.pos % (n + 1);
        ds[i] = concat([d.subarray(0, p), op.bytes, d.subarray(p)]);
        effect.benign = false;
        break;
      }
      case 'dupRecord':
        recOp((recs) => {
          const j = op.rec % recs.length;
          const parts = recs.map((r) => r.bytes);
          parts.splice(j, 0, recs[j]!.bytes);
          return parts;
        });
        break;
      case 'dropRecord':
        recOp((recs) => {
          const j = op.rec % recs.length;
          if (recs[j]!.type === ContentType.application_data) effect.droppedAppData = true;
          const parts = recs.map((r) => r.bytes);
          parts.splice(j, 1);
          return parts;
        });
        break;
      case 'swapRecords':
        recOp((recs) => {
          const a = op.a % recs.length;
          const b = op.b % recs.length;
          const parts = recs.map((r) => r.bytes);
          [parts[a], parts[b]] = [parts[b]!, parts[a]!];
          return parts;
        });
        break;
      case 'splitRecord':
        recOp((recs) => {
          const j = op.rec % recs.length;
          const re = refragmentDtls(recs[j]!, op.at);
          if (!re) return undefined;
          const parts = recs.map((r) => r.bytes);
          parts[j] = re;
          return parts;
        });
        break;
      case 'chunk': {
        // Split the datagram after one of its records: two datagrams, each well formed.
        const { recs, rest } = dtlsRecords(d);
        if (recs.length < 2) break;
        const j = 1 + (op.rec % (recs.length - 1));
        ds.splice(i, 1, concat(recs.slice(0, j).map((r) => r.bytes)), concat([...recs.slice(j).map((r) => r.bytes), rest]));
        break;
      }
      case 'dupDatagram':
        ds.splice(i, 0, d);
        break;
      case 'dropDatagram':
        if (hasAppData(d)) effect.droppedAppData = true;
        ds.splice(i, 1);
        break;
      case 'swapDatagrams': {
        const j = op.e % ds.length;
        [ds[i], ds[j]] = [ds[j]!, ds[i]!];
        break;
      }
      case 'cutDatagram': {
        const p = op.pos % (n + 1);
        if (p === 0 || p === n) break;
        ds.splice(i, 1, d.subarray(0, p), d.subarray(p));
        effect.benign = false;
        break;
      }
    }
    ds = ds.filter((x) => x !== undefined);
  }
  return { out: ds, effect };
}

// ---------------------------------------------------------------------------------------------
// scenarios: a real pair, driven on a simulated clock, with one mutation at a generated step

type Family = 'cert' | 'psk';
type Phase = 'initial' | 'reneg-client' | 'reneg-server' | 'resume-ticket' | 'resume-id';

interface Write {
  at: number; // scheduler step (of the mutated phase)
  side: SideName;
  len: number;
}

interface Scenario {
  transport: 'tls' | 'dtls';
  family: Family;
  phase: Phase;
  suite: number;
  target: SideName;
  /** Index of the batch (flight) delivered to `target` during the phase that gets mutated. */
  step: number;
  ops: Op[];
  writes: Write[];
  /** Client-initiated renegotiation: offer the current session (abbreviated). */
  resumeReneg: boolean;
  /** Server-initiated renegotiation (certificate suites): ask for a client certificate. */
  requestCert: boolean;
  /** DTLS: HelloVerifyRequest cookies, MTU, one-way latency (ms). */
  cookies: boolean;
  mtu: number;
  latency: number;
  /** PSK: the server sends an identity hint. */
  hint: boolean;
  /** Seed of the engines' RNG. */
  rng: number;
}

function suitesFor(family: Family, first: number): CipherSuite[] {
  const all = family === 'cert' ? ECDSA_SUITES : PSK_CIPHER_SUITES;
  const s = all[first % all.length]!;
  return [s, ...all.filter((x) => x !== s)];
}

/** First full handshakes whose sessions the resumption scenarios offer, one per
 *  transport / family / mechanism. */
const sessionCache = new Map<string, { client: SessionState; server: SessionState | undefined }>();

type ScenarioBase = Pick<Scenario, 'transport' | 'family' | 'suite' | 'cookies' | 'mtu' | 'hint'>;

interface PairExtra {
  session?: SessionState;
  /** Server session store, built on the pair's clock. */
  store?: (now: () => number) => SessionStore;
  tickets?: boolean;
  client?: Partial<EngineOptions>;
  server?: Partial<EngineOptions>;
}

function pairFor(sc: ScenarioBase, seed: string, extra: PairExtra = {}): EnginePair {
  const dtls = sc.transport === 'dtls';
  const ref: { p?: EnginePair } = {};
  const now = () => ref.p?.clock ?? 1_000_000; // EnginePair's initial clock
  const cookies = dtls && sc.cookies ? new CookieJar(nobleProvider, seededRandom(`${seed}/cookies`), now) : undefined;
  const common: Partial<EngineOptions> = dtls ? { transport: 'dtls', dtls: { mtu: sc.mtu } } : {};
  const client: Partial<EngineOptions> = { ...common };
  const server: Partial<EngineOptions> = { ...common };
  if (sc.family === 'psk') {
    client.psk = { client: () => ({ psk: PSK_KEY, identity: PSK_IDENTITY }) };
    server.identities = [];
    server.psk = { server: (id) => (id === PSK_IDENTITY ? PSK_KEY : null), ...(sc.hint ? { identityHint: 'fuzz hint' } : {}) };
  }
  if (cookies) server.dtlsCookies = { make: (ch) => cookies.make('peer', ch), verify: (ch) => cookies.verify('peer', ch) };
  if (extra.session) client.session = extra.session;
  if (extra.tickets === false) client.sessionTickets = false;
  if (extra.store) server.sessionStore = extra.store(now);
  const p = new EnginePair({
    serverCert: SERVER_CERT,
    clientCert: sc.family === 'cert' ? CLIENT_CERT : undefined,
    seed,
    suites: suitesFor(sc.family, sc.suite),
    client: { ...client, ...extra.client },
    server: { ...server, ...extra.server },
  });
  ref.p = p;
  return p;
}

/**
 * Moves datagrams / byte chunks between two Sides on the pair's clock: each output arrives
 * `latency` ms after it was sent; DTLS timers fire at their deadlines. The batch of units arriving
 * at one side at one instant is a "flight"; the mutation hook may rewrite it.
 */
class Wire {
  private queue: { at: number; to: SideName; data: Uint8Array; seq: number }[] = [];
  private seq = 0;
  steps = 0;
  readonly sides: Record<SideName, Side>;
  /** Called with each batch before delivery; returns what to deliver instead. */
  onBatch: ((to: SideName, batch: Uint8Array[]) => Uint8Array[]) | undefined;
  /** Called at each scheduler step, before delivery (writes). */
  onStep: ((step: number) => void) | undefined;
  /** TLS: deliver each batch in chunks of these sizes (set by the mutation of one batch). */
  chunking: number[] | undefined;

  constructor(
    readonly p: EnginePair,
    readonly dtls: boolean,
    readonly latency: number,
  ) {
    this.sides = { client: new Side('client', p.client, dtls), server: new Side('server', p.server, dtls) };
  }

  other(s: SideName): SideName {
    return s === 'client' ? 'server' : 'client';
  }

  /** Run an engine call on `side` and put its output on the wire. */
  call(side: SideName, what: string, fn: (e: Engine) => void): void {
    const s = this.sides[side];
    const out = s.call(what, () => fn(s.engine));
    for (const d of out) this.queue.push({ at: this.p.clock + this.latency, to: this.other(side), data: d, seq: this.seq++ });
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Run until nothing is in flight and no timer is set, or `until()` holds. */
  run(until: () => boolean = () => false): void {
    const start = this.p.clock;
    for (;;) {
      if (until()) return;
      if (++this.steps > MAX_STEPS) violation(`did not settle after ${MAX_STEPS} scheduler steps (clock +${this.p.clock - start} ms, ${this.queue.length} in flight)`);
      this.onStep?.(this.steps);
      const deadlines = (['client', 'server'] as const)
        .map((n) => this.sides[n].engine.nextDeadline)
        .filter((d): d is number => d !== undefined);
      if (this.queue.length === 0 && deadlines.length === 0) return;
      const next = Math.min(...this.queue.map((q) => q.at), ...deadlines);
      if (next - start > MAX_SIM_MS) {
        violation(`still busy after ${MAX_SIM_MS} ms simulated: ${this.queue.length} in flight, deadlines ${deadlines.map((d) => d - this.p.clock)}`);
      }
      if (next > this.p.clock) this.p.clock = next;
      const now = this.p.clock;
      for (const to of ['server', 'client'] as const) {
        const due = this.queue.filter((q) => q.to === to && q.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq);
        if (due.length === 0) continue;
        this.queue = this.queue.filter((q) => !due.includes(q));
        let batch = due.map((q) => q.data);
        this.chunking = undefined;
        if (this.onBatch) batch = this.onBatch(to, batch);
        if (!this.dtls && this.chunking) batch = rechunk(concat(batch), this.chunking);
        for (const b of batch) this.call(to, `receive(${b.length})`, (e) => e.receive(b));
      }
      for (const n of ['client', 'server'] as const) {
        const e = this.sides[n].engine;
        const d = e.nextDeadline;
        if (d !== undefined && d <= now) {
          this.call(n, `tick(${now})`, (x) => x.tick(now));
          const d2 = e.nextDeadline;
          if (d2 !== undefined && d2 <= now) violation(`${n}: after tick(${now}) the next deadline is ${d2}, not in the future`);
        }
      }
    }
  }
}

/** Cut `bytes` into chunks of the given sizes (cycled; 0 = an empty receive). */
function rechunk(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; off < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(bytes.subarray(off, off + n));
    off += n;
    if (i > 4 * KiB) {
      out.push(bytes.subarray(off));
      break;
    }
  }
  return out;
}

/** Writes of the scenario: TLS: a seeded byte stream per side; DTLS: numbered datagrams. */
class Writer {
  private readonly rnd: Record<SideName, (n: number) => Uint8Array>;
  private n = 0;

  constructor(
    readonly wire: Wire,
    seed: string,
  ) {
    this.rnd = { client: seededRandom(`${seed}/data/client`), server: seededRandom(`${seed}/data/server`) };
  }

  write(side: SideName, len: number): void {
    const s = this.wire.sides[side];
    let data = this.rnd[side](len);
    if (this.wire.dtls) {
      // Each write is one record (one datagram): number them so duplicates show.
      data = concat([new Uint8Array([side === 'client' ? 0xc1 : 0x5e, ...u24(this.n++)]), data]);
    }
    if (s.failed) {
      // Writing to a failed engine is refused with a typed error, not ignored.
      try {
        s.engine.write(data);
      } catch (e) {
        checkError(e, `${side}.write after error`);
        return;
      }
      violation(`${side}.write after its error did not throw`);
    }
    s.written.push(data);
    this.wire.call(side, `write(${len})`, (e) => e.write(data));
  }
}

/** Data each side received, against what the other side wrote. */
function checkData(w: Wire, mustArrive: boolean, dtlsMayLose: boolean): void {
  for (const to of ['client', 'server'] as const) {
    const rx = w.sides[to];
    const tx = w.sides[w.other(to)];
    if (!w.dtls) {
      // TLS: a prefix of what was sent, exactly once and in order (records are authenticated and
      // numbered; what a mutation cut off may stall but never arrive altered).
      const got = concat(rx.received);
      const sent = concat(tx.written);
      if (got.length > sent.length || hex(got) !== hex(sent.subarray(0, got.length))) {
        violation(`${to} received ${got.length} bytes that are not a prefix of the ${sent.length} bytes ${tx.name} wrote`);
      }
      if (mustArrive && got.length !== sent.length) violation(`${to} received ${got.length} of the ${sent.length} bytes ${tx.name} wrote`);
    } else {
      // DTLS: each write is one datagram, or, when larger than the record budget (mtu less the
      // record overhead), several that each fit (docs/dtls.md): every datagram received is an
      // unaltered piece of one write, received at most once; all of them unless one was lost.
      const written = tx.written.map((d) => Buffer.from(d));
      const seen = new Set<string>();
      const covered = written.map(() => 0);
      for (const d of rx.received) {
        const i = written.findIndex((w) => w.indexOf(Buffer.from(d)) >= 0);
        if (i < 0) {
          violation(`${to} received a datagram ${tx.name} never wrote (${hex(d).slice(0, 16)}...)`);
          continue;
        }
        const key = `${i}:${written[i]!.indexOf(Buffer.from(d))}:${d.length}`;
        if (seen.has(key)) violation(`${to} received datagram ${hex(d).slice(0, 8)} twice`);
        seen.add(key);
        covered[i]! += d.length;
      }
      const complete = covered.filter((n, i) => n === written[i]!.length).length;
      if (mustArrive && !dtlsMayLose && complete !== written.length) violation(`${to} received ${complete} of the ${written.length} datagrams ${tx.name} wrote`);
    }
  }
}

/** Final state checks of a case: both sides settled cleanly (error or done). */
function checkEnd(w: Wire, sc: Scenario, effect: MutationEffect | undefined): void {
  const { client, server } = w.sides;
  for (const s of [client, server]) {
    if (s.errors.length > 1) violation(`${s.name}: ${s.errors.length} error events`);
    if (s.failed !== s.engine.failed) violation(`${s.name}: error events (${s.errors.length}) disagree with failed=${s.engine.failed}`);
    if (s.failed && s.engine.nextDeadline !== undefined) violation(`${s.name}: failed but still has a timer`);
    checkAlertSent(s, w.sides[w.other(s.name)]);
  }
  if (!w.dtls) {
    // TLS: a fatal alert on an intact stream reaches the peer, which then fails too.
    for (const s of [client, server]) {
      const peer = w.sides[w.other(s.name)];
      const err = s.errors[0];
      if (!err || err.code === ErrorCode.ALERT_RECEIVED || peer.failed) continue;
      if (effect === undefined || sc.target !== s.name) continue; // only the unmutated direction is known intact
      violation(`${s.name} failed with ${err.code} (sent ${err.alertName}) but ${peer.name} never learned of it`);
    }
  } else {
    // DTLS: every engine ends failed, or established with no handshake left.
    // A server that never got a ClientHello it could answer statefully may stay idle.
    for (const s of [client, server]) {
      if (s.failed || (s.engine.established && !s.engine.handshaking)) continue;
      if (s.name === 'server' && !s.engine.established && client.failed) continue;
      violation(`${s.name}: DTLS engine neither failed nor done at the end (handshaking=${s.engine.handshaking}, established=${s.engine.established})`);
    }
  }
  const clean = !client.failed && !server.failed;
  const benign = effect === undefined || effect.benign;
  if (benign) {
    // Nothing a correct peer could not get through: both sides finish, nobody fails.
    for (const s of [client, server]) {
      if (s.failed) violation(`${s.name} failed (${s.errors[0]!.code}: ${s.errors[0]!.message}) after only benign transformations`);
      if (!s.engine.established || s.engine.handshaking) violation(`${s.name} did not finish after only benign transformations`);
      if (s.engine.heldWriteBytes !== 0) violation(`${s.name} still holds ${s.engine.heldWriteBytes} bytes of writes`);
      // ...and what the phase was about happened.
      const hs = s.events.filter((e) => e.type === 'handshake') as Extract<EngineEvent, { type: 'handshake' }>[];
      const last = hs[hs.length - 1];
      if (sc.phase.startsWith('resume') && !last?.resumed) violation(`${s.name}: the session was not resumed`);
      if (sc.phase.startsWith('reneg') && !last?.renegotiation) violation(`${s.name}: no renegotiation completed`);
    }
  }
  checkData(w, benign && clean, effect?.droppedAppData ?? false);
}

/** One generated case of property 1. */
function runMutatedFlight(sc: Scenario, seed: string): void {
  const dtls = sc.transport === 'dtls';
  let p: EnginePair;
  const resume = sc.phase === 'resume-ticket' || sc.phase === 'resume-id';
  if (resume) {
    const tickets = sc.phase === 'resume-ticket';
    const key = `${sc.transport}/${sc.family}/${sc.phase}`;
    let first = sessionCache.get(key);
    const store = (now: () => number) => new SessionStore({ provider: nobleProvider, random: seededRandom(`${key}/store`), now, ticketKeys: TICKET_KEYS, tickets });
    if (!first) {
      let serverSession: SessionState | undefined;
      // Fixed parameters, so that the session depends on the key alone (a counterexample
      // replays the same whichever case ran first).
      const fp = pairFor({ transport: sc.transport, family: sc.family, suite: 0, cookies: false, mtu: 1200, hint: false }, `${key}/first`, {
        tickets,
        store: (now) => {
          const st = store(now);
          st.onSave = (s) => { serverSession = s; };
          return st;
        },
      });
      // The first connection ran two minutes before the ones that resume its session (the
      // session must lie in the past, and still be live; the engines' clocks start at 1_000_000).
      fp.clock -= 120_000;
      const fw = new Wire(fp, dtls, 5);
      fw.call('client', 'start()', (e) => e.start());
      fw.run();
      const session = fp.client.sessionState;
      if (fw.sides.client.failed || fw.sides.server.failed || !session || (!tickets && !serverSession)) {
        violation(`setup: first handshake for ${key} failed or left no session`);
      }
      first = { client: session, server: serverSession };
      sessionCache.set(key, first);
    }
    const serverSession = first.server;
    p = pairFor(sc, `${seed}/${sc.rng}`, {
      session: first.client,
      tickets,
      store: (now) => {
        const st = store(now);
        if (!tickets) st.save(serverSession!, false);
        return st;
      },
    });
  } else {
    p = pairFor(sc, `${seed}/${sc.rng}`);
  }
  const w = new Wire(p, dtls, dtls ? sc.latency : 5);
  const writer = new Writer(w, seed);
  if (sc.phase === 'reneg-client' || sc.phase === 'reneg-server') {
    // Setup: a clean first handshake.
    w.call('client', 'start()', (e) => e.start());
    w.run(() => w.idle && p.client.established && p.server.established && !p.client.handshaking && !p.server.handshaking);
    for (const s of Object.values(w.sides)) {
      if (s.failed || !s.engine.established) violation(`setup: ${s.name} did not complete the first handshake: ${s.errors[0]?.message}`);
    }
  }
  // The mutated phase.
  const startedAt = w.steps;
  let delivered = 0;
  let effect: MutationEffect | undefined;
  const readEncrypted: Record<SideName, boolean> = { client: !!p.client.session, server: !!p.server.session };
  w.onBatch = (to, batch) => {
    let out = batch;
    if (to === sc.target && effect === undefined && delivered++ === sc.step) {
      if (dtls) {
        const m = mutateDtls(batch, sc.ops);
        out = m.out;
        effect = m.effect;
      } else {
        const m = mutateTls(batch, sc.ops, readEncrypted[to]);
        out = [m.out];
        effect = m.effect;
        w.chunking = m.effect.chunks;
      }
    }
    if (!dtls && !readEncrypted[to] && tlsRecords(concat(batch)).recs.some((r) => r.type === ContentType.change_cipher_spec)) readEncrypted[to] = true;
    return out;
  };
  let pending = sc.writes.slice();
  w.onStep = (step) => {
    const due = pending.filter((wr) => wr.at < step - startedAt);
    pending = pending.filter((wr) => !due.includes(wr));
    for (const wr of due) writer.write(wr.side, wr.len);
  };
  // Data in flight as the phase begins.
  writer.write('client', 100);
  writer.write('server', 120);
  switch (sc.phase) {
    case 'initial':
    case 'resume-ticket':
    case 'resume-id':
      w.call('client', 'start()', (e) => e.start());
      break;
    case 'reneg-client':
      w.call('client', 'renegotiate()', (e) => {
        if (!e.renegotiate({ resume: sc.resumeReneg })) violation('client.renegotiate() refused');
      });
      break;
    case 'reneg-server':
      w.call('server', 'renegotiate()', (e) => {
        if (!e.renegotiate({ requestCert: sc.requestCert && sc.family === 'cert' })) violation('server.renegotiate() refused');
      });
      break;
  }
  w.run();
  // Writes scheduled after everything settled still go out (to an open or a failed engine).
  w.onStep = undefined;
  for (const wr of pending) writer.write(wr.side, wr.len);
  w.onBatch = undefined;
  w.run();
  if (STATS) {
    const c = w.sides.client;
    const sv = w.sides.server;
    const tag = `p1 ${sc.transport} ${sc.phase} ${sc.family}`;
    stat(`${tag} mutated=${effect !== undefined} benign=${effect?.benign}`);
    stat(`${tag} end: client ${c.errors[0]?.code ?? (c.engine.established ? 'ok' : 'stalled')} / server ${sv.errors[0]?.code ?? (sv.engine.established ? 'ok' : 'stalled')}`);
  }
  checkEnd(w, sc, effect);
}

const scenarioArb = (transport: 'tls' | 'dtls', phases: readonly Phase[]): fc.Arbitrary<Scenario> =>
  fc.record({
    transport: fc.constant(transport),
    family: fc.constantFrom<Family>('cert', 'psk'),
    phase: fc.constantFrom(...phases),
    suite: fc.nat({ max: 3 }),
    target: fc.constantFrom<SideName>('server', 'client'),
    step: fc.nat({ max: transport === 'dtls' ? 4 : 3 }),
    ops: fc.array(opArb, { minLength: 1, maxLength: 3 }),
    writes: fc.array(
      fc.record({ at: fc.nat({ max: 12 }), side: fc.constantFrom<SideName>('client', 'server'), len: fc.integer({ min: 1, max: 1500 }) }),
      { maxLength: 4 },
    ),
    resumeReneg: fc.boolean(),
    requestCert: fc.boolean(),
    cookies: fc.boolean(),
    mtu: fc.constantFrom(256, 1200),
    latency: fc.constantFrom(5, 150),
    hint: fc.boolean(),
    rng: fc.nat({ max: 0xffff }),
  });

/** fast-check options of one property: a fixed seed so a failure replays. */
/** Fixed seeds, so CI is deterministic; FUZZ_SEED_OFFSET / FUZZ_RUNS_SCALE explore further by
 *  hand (e.g. FUZZ_SEED_OFFSET=7 FUZZ_RUNS_SCALE=4 npx mocha dist/spec/engine-fuzz.spec.js). */
const SEED_OFFSET = Number(process.env.FUZZ_SEED_OFFSET ?? 0);
const RUNS_SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1);
const opts = (seed: number, numRuns: number) => ({ seed: seed + SEED_OFFSET, numRuns: Math.max(1, Math.round(numRuns * RUNS_SCALE)) });

// ---------------------------------------------------------------------------------------------
// garbage for fresh engines

const HANDSHAKE_TYPES = Object.values(HandshakeType);
const REAL_SUITES = [...CIPHER_SUITES, ...PSK_CIPHER_SUITES].map((s) => s.id);

const bytesArb = (max: number) => fc.uint8Array({ maxLength: max });
const u16Arb = fc.integer({ min: 0, max: 0xffff });

/** Extension blocks: known types with plausible or random bodies, sometimes duplicated. */
const extensionArb: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof(fc.constantFrom(...Object.values(ExtensionType)), u16Arb, u16Arb),
    fc.oneof(
      bytesArb(24),
      fc.constant(new Uint8Array([0])), // empty renegotiation_info
      fc.constant(new Uint8Array(0)),
      fc.constant(new Uint8Array([0, 6, 0, 29, 0, 23, 0, 24])), // supported_groups
      fc.constant(new Uint8Array([0, 4, 4, 3, 8, 7])), // signature_algorithms
      fc.constant(new Uint8Array([1, 0])), // ec_point_formats
      fc.constant(new Uint8Array([0, 12, 0, 0, 9, ...Buffer.from('localhost')])), // server_name
    ),
  )
  .map(([type, body]) => new Uint8Array([...u16(type), ...u16(body.length), ...body]));

const ext = (type: number, body: number[]): number[] => [...u16(type), ...u16(body.length), ...body];
/** The extensions a real hello carries (so that generated hellos get past the first checks). */
const CORE_CLIENT_EXTENSIONS = new Uint8Array([
  ...ext(ExtensionType.server_name, [0, 12, 0, 0, 9, ...Buffer.from('localhost')]),
  ...ext(ExtensionType.supported_groups, [0, 6, 0, 29, 0, 23, 0, 24]),
  ...ext(ExtensionType.ec_point_formats, [1, 0]),
  ...ext(ExtensionType.signature_algorithms, [0, 4, 4, 3, 8, 7]),
  ...ext(ExtensionType.extended_master_secret, []),
  ...ext(ExtensionType.renegotiation_info, [0]),
]);
const CORE_SERVER_EXTENSIONS = new Uint8Array([
  ...ext(ExtensionType.extended_master_secret, []),
  ...ext(ExtensionType.renegotiation_info, [0]),
  ...ext(ExtensionType.ec_point_formats, [1, 0]),
]);

/** A structurally plausible ClientHello / ServerHello body, with some fields off. */
const helloBodyArb = (dtls: boolean, server: boolean): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      version: fc.oneof({ weight: 6, arbitrary: fc.constant(dtls ? 0xfefd : 0x0303) }, fc.constant(dtls ? 0xfeff : 0x0301), u16Arb),
      random: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      sessionId: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 32, maxLength: 32 }), bytesArb(40)),
      cookie: bytesArb(40),
      suites: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...REAL_SUITES, 0x00ff) }, u16Arb), { maxLength: 8 }),
      compression: fc.oneof({ weight: 4, arbitrary: fc.constant([0]) }, fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 })),
      core: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      extensions: fc.array(extensionArb, { maxLength: 2 }),
      noExtensions: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 5, arbitrary: fc.constant(false) }),
      lengthSkew: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
    })
    .map((h) => {
      const exts = concat([...(h.core ? [server ? CORE_SERVER_EXTENSIONS : CORE_CLIENT_EXTENSIONS] : []), ...h.extensions]);
      const extBlock = h.noExtensions ? [] : [...u16(Math.max(0, exts.length + h.lengthSkew)), ...exts];
      if (server) {
        return new Uint8Array([
          ...u16(h.version), ...h.random, h.sessionId.length, ...h.sessionId,
          ...u16(h.suites[0] ?? 0xc02b), h.compression[0] ?? 0, ...extBlock,
        ]);
      }
      const suites = h.suites.flatMap(u16);
      return new Uint8Array([
        ...u16(h.version), ...h.random, h.sessionId.length, ...h.sessionId,
        ...(dtls ? [h.cookie.length, ...h.cookie] : []),
        ...u16(suites.length), ...suites, h.compression.length, ...h.compression, ...extBlock,
      ]);
    });

/** One handshake message (header + body): a plausible hello, or any type with a random body. */
const handshakeMsgArb = (dtls: boolean, to: SideName): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      kind: fc.oneof(
        // Mostly the hello the receiver waits for, sometimes the other one.
        { weight: to === 'server' ? 5 : 1, arbitrary: fc.record({ type: fc.constant(HandshakeType.client_hello), body: helloBodyArb(dtls, false) }) },
        { weight: to === 'client' ? 5 : 1, arbitrary: fc.record({ type: fc.constant(HandshakeType.server_hello), body: helloBodyArb(dtls, true) }) },
        { weight: 3, arbitrary: fc.record({ type: fc.oneof(fc.constantFrom(...HANDSHAKE_TYPES), fc.integer({ min: 0, max: 255 })), body: bytesArb(80) }) },
        { weight: 1, arbitrary: fc.record({ type: fc.constantFrom(HandshakeType.hello_request, HandshakeType.server_hello_done), body: fc.constant(new Uint8Array(0)) }) },
      ),
      msgSeq: fc.nat({ max: 3 }),
      lengthSkew: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -4, max: 70_000 }) }),
      fragOffset: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 0xffffff }) }),
    })
    .map(({ kind, msgSeq, lengthSkew, fragOffset }) => {
      const len = Math.max(0, Math.min(0xffffff, kind.body.length + lengthSkew));
      const head = dtls
        ? [kind.type, ...u24(len), ...u16(msgSeq), ...u24(fragOffset), ...u24(kind.body.length)]
        : [kind.type, ...u24(len)];
      return new Uint8Array([...head, ...kind.body]);
    });

/** A record with a valid-looking header: content type, version, (DTLS epoch and sequence),
 *  length (usually right), and a body: handshake messages, an alert, a ChangeCipherSpec, or
 *  random bytes. */
const recordArb = (dtls: boolean, to: SideName): fc.Arbitrary<Uint8Array> =>
  fc
    .record({
      body: fc.oneof(
        { weight: 8, arbitrary: fc.record({ type: fc.constant(22), bytes: fc.array(handshakeMsgArb(dtls, to), { minLength: 1, maxLength: 3 }).map(concat) }) },
        { weight: 1, arbitrary: fc.record({ type: fc.constant(21), bytes: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })).map(([l, d]) => new Uint8Array([l, d])) }) },
        { weight: 1, arbitrary: fc.record({ type: fc.constant(20), bytes: fc.oneof(fc.constant(new Uint8Array([1])), bytesArb(3)) }) },
        { weight: 1, arbitrary: fc.record({ type: fc.constantFrom(20, 21, 22, 23), bytes: bytesArb(120) }) },
        { weight: 1, arbitrary: fc.record({ type: fc.integer({ min: 0, max: 255 }), bytes: bytesArb(40) }) },
      ),
      version: fc.oneof(
        { weight: 14, arbitrary: fc.constant(dtls ? 0xfefd : 0x0303) },
        { weight: 1, arbitrary: fc.constantFrom(0x0301, 0x0300, 0xfeff) },
        { weight: 1, arbitrary: u16Arb },
      ),
      epoch: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 3 }) }),
      seq: fc.oneof(fc.nat({ max: 8 }), fc.nat()),
      lengthSkew: fc.oneof(
        { weight: 16, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
        { weight: 1, arbitrary: fc.constantFrom(16385, 18432, 18433, 0xffff) },
      ),
    })
    .map(({ body, version, epoch, seq, lengthSkew }) => {
      const len = Math.max(0, Math.min(0xffff, body.bytes.length + lengthSkew));
      const head = dtls
        ? [body.type, ...u16(version), ...u16(epoch), 0, 0, ...u16(Math.floor(seq / 0x10000)), ...u16(seq & 0xffff), ...u16(len)]
        : [body.type, ...u16(version), ...u16(len)];
      return new Uint8Array([...head, ...body.bytes]);
    });

interface GarbageCase {
  role: SideName;
  /** Client: call start() first (it then waits for a ServerHello). */
  started: boolean;
  /** PSK-only engine (no certificate) or a certificate one. */
  family: Family;
  records: Uint8Array[];
  /** Raw random bytes inserted between records at these indices. */
  noise: { at: number; bytes: Uint8Array }[];
  /** TLS: how the stream is cut into receive() calls; DTLS: records per datagram. */
  sizes: number[];
  ticks: number;
  rng: number;
}

const garbageArb = (dtls: boolean): fc.Arbitrary<GarbageCase> =>
  fc.constantFrom<SideName>('server', 'client').chain((role) => fc.record({
    role: fc.constant(role),
    started: fc.boolean(),
    family: fc.constantFrom<Family>('cert', 'psk'),
    records: fc.array(recordArb(dtls, role), { minLength: 1, maxLength: 6 }),
    noise: fc.oneof(
      { weight: 3, arbitrary: fc.constant<{ at: number; bytes: Uint8Array }[]>([]) },
      { weight: 1, arbitrary: fc.array(fc.record({ at: fc.nat({ max: 6 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 30 }) }), { maxLength: 2 }) },
    ),
    sizes: fc.array(fc.integer({ min: dtls ? 1 : 0, max: dtls ? 4 : 400 }), { minLength: 1, maxLength: 5 }),
    ticks: fc.nat({ max: 3 }),
    rng: fc.nat({ max: 0xffff }),
  }));

function runGarbage(g: GarbageCase, dtls: boolean, seed: string): void {
  const p = pairFor({ transport: dtls ? 'dtls' : 'tls', family: g.family, suite: 0, cookies: false, mtu: 1200, hint: false }, `${seed}/${g.rng}`);
  const w = new Wire(p, dtls, 5);
  const s = w.sides[g.role];
  if (g.role === 'client' && g.started) w.call('client', 'start()', (e) => e.start());
  const parts: Uint8Array[] = [];
  g.records.forEach((r, i) => {
    for (const n of g.noise) if (n.at === i) parts.push(n.bytes);
    parts.push(r);
  });
  const units: Uint8Array[] = [];
  if (dtls) {
    // Datagrams of `sizes[i]` parts each.
    for (let i = 0, k = 0; i < parts.length; k++) {
      const n = g.sizes[k % g.sizes.length]!;
      units.push(concat(parts.slice(i, i + n)));
      i += n;
    }
  } else {
    units.push(...rechunk(concat(parts), g.sizes.some((n) => n > 0) ? g.sizes : [1]));
  }
  for (const u of units) s.call(`receive(${u.length})`, () => s.engine.receive(u));
  for (let i = 0; i < g.ticks; i++) {
    p.clock += 1500 * (i + 1);
    s.call(`tick(${p.clock})`, () => s.engine.tick(p.clock));
  }
  if (s.errors.length > 1) violation(`${s.name}: ${s.errors.length} error events`);
  if (s.failed !== s.engine.failed) violation(`${s.name}: error events disagree with failed=${s.engine.failed}`);
  checkAlertSent(s, undefined);
  if (!dtls && s.failed && s.errors[0]!.code !== ErrorCode.ALERT_RECEIVED) {
    // A fresh engine has no keys, so its alert is a plaintext fatal one, unless the garbage got
    // it as far as its own ChangeCipherSpec (a PSK client needs no server proof before its
    // second flight): then the alert goes out encrypted, still last.
    const { recs } = tlsRecords(concat(s.out));
    const last = recs[recs.length - 1]!;
    const sentCcs = recs.slice(0, -1).some((r) => r.type === 20);
    if (sentCcs) expect(last.type, `${s.name}: last record ${hex(last.bytes)}`).to.equal(21);
    else expect(hex(last.bytes.subarray(0, 6)), `${s.name}: last record ${hex(last.bytes)}`).to.equal('150303000202');
  }
  stat(`p2 ${dtls ? 'dtls' : 'tls'} ${g.role}${g.started ? ' started' : ''}: ${s.errors[0]?.code ?? 'no error'}, ${s.outBytes > 0 ? 'answered' : 'silent'}`);
  if (s.received.length > 0) violation(`${s.name}: 'data' from garbage before any handshake`);
  if (s.engine.established) violation(`${s.name}: established by garbage`);
}

// ---------------------------------------------------------------------------------------------
// valid streams cut into arbitrary chunks (TLS)

type SplitAction =
  | { a: 'write'; side: SideName; len: number }
  | { a: 'reneg'; side: SideName; resume: boolean }
  /** Deliver what is in flight in one direction, cut at these sizes; `keep` leaves the last
   *  `keep` bytes in flight for later. */
  | { a: 'deliver'; to: SideName; sizes: number[]; keep: number };

const splitActionArb: fc.Arbitrary<SplitAction> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ a: fc.constant('write' as const), side: fc.constantFrom<SideName>('client', 'server'), len: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 40_000 })) }) },
  { weight: 2, arbitrary: fc.record({ a: fc.constant('reneg' as const), side: fc.constantFrom<SideName>('client', 'server'), resume: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      a: fc.constant('deliver' as const),
      to: fc.constantFrom<SideName>('client', 'server'),
      sizes: fc.array(fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 20_000 })), { minLength: 1, maxLength: 6 }),
      keep: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 })),
    }),
  },
);

interface SplitCase {
  family: Family;
  suite: number;
  handshakeSizes: number[];
  actions: SplitAction[];
  finalSizes: number[];
  rng: number;
}

const splitCaseArb: fc.Arbitrary<SplitCase> = fc.record({
  family: fc.constantFrom<Family>('cert', 'psk'),
  suite: fc.nat({ max: 3 }),
  handshakeSizes: fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 5 }),
  actions: fc.array(splitActionArb, { minLength: 1, maxLength: 16 }),
  finalSizes: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 4 }),
  rng: fc.nat({ max: 0xffff }),
});

function runSplit(c: SplitCase, seed: string): void {
  const p = pairFor({ transport: 'tls', family: c.family, suite: c.suite, cookies: false, mtu: 1200, hint: false }, `${seed}/${c.rng}`, {
    client: { renegotiationLimit: 1000 },
    server: { renegotiationLimit: 1000 },
  });
  const w = new Wire(p, false, 0);
  const writer = new Writer(w, seed);
  // Bytes in flight per direction (to client / to server), as one stream each.
  const inFlight: Record<SideName, Uint8Array> = { client: new Uint8Array(0), server: new Uint8Array(0) };
  const send = (from: SideName, what: string, fn: (e: Engine) => void) => {
    const s = w.sides[from];
    const out = s.call(what, () => fn(s.engine));
    if (out.length > 0) inFlight[w.other(from)] = concat([inFlight[w.other(from)], ...out]);
  };
  // Outputs of Writer.write go through Wire.call: route them into the streams instead.
  (w as unknown as { call: Wire['call'] }).call = (side, what, fn) => send(side, what, fn);
  const deliver = (to: SideName, sizes: number[], keep: number) => {
    const all = inFlight[to];
    const n = Math.max(0, all.length - keep);
    inFlight[to] = all.subarray(n);
    for (const chunk of rechunk(all.subarray(0, n), sizes)) send(to, `receive(${chunk.length})`, (e) => e.receive(chunk));
  };
  const settle = (sizes: number[]) => {
    for (let i = 0; i < 200; i++) {
      if (inFlight.client.length === 0 && inFlight.server.length === 0) return;
      deliver('server', sizes, 0);
      deliver('client', sizes, 0);
    }
    violation('the pair did not settle');
  };
  let renegotiations = 0;
  send('client', 'start()', (e) => e.start());
  settle(c.handshakeSizes);
  for (const act of c.actions) {
    if (act.a === 'write') writer.write(act.side, act.len);
    else if (act.a === 'deliver') deliver(act.to, act.sizes, act.keep);
    else {
      let started = false;
      send(act.side, 'renegotiate()', (e) => { started = e.renegotiate({ resume: act.resume }); });
      if (started) renegotiations++;
    }
  }
  settle(c.finalSizes);
  for (const s of Object.values(w.sides)) {
    if (s.failed) violation(`${s.name} failed: ${s.errors[0]!.code} ${s.errors[0]!.message}`);
    if (!s.engine.established || s.engine.handshaking) violation(`${s.name} did not finish its handshakes`);
    if (s.engine.heldWriteBytes !== 0) violation(`${s.name} still holds ${s.engine.heldWriteBytes} bytes`);
  }
  // Renegotiations started at once from both sides may merge into one (a HelloRequest is ignored
  // during a handshake); each side sees the same ones, and at least one if any started.
  const renegs = (s: Side) => s.events.filter((e) => e.type === 'handshake' && e.renegotiation).length;
  const rc = renegs(w.sides.client);
  const rs = renegs(w.sides.server);
  if (rc !== rs || rc > renegotiations || (renegotiations > 0 && rc === 0)) {
    violation(`renegotiations: ${renegotiations} started, client saw ${rc}, server saw ${rs}`);
  }
  stat(`p3 renegotiations started=${Math.min(renegotiations, 3)} completed=${Math.min(rc, 3)}; data ${concat(w.sides.client.written).length > 0 ? 'up' : '-'} ${concat(w.sides.server.written).length > 0 ? 'down' : '-'}`);
  checkData(w, true, false);
}

// ---------------------------------------------------------------------------------------------

/** A scenario of property 1 with the fields a counterexample does not care about filled in. */
const scenario = (sc: Partial<Scenario> & Pick<Scenario, 'transport' | 'phase' | 'target' | 'step' | 'ops'>): Scenario => ({
  family: 'psk', suite: 1, writes: [], resumeReneg: false, requestCert: false, cookies: false, mtu: 1200, latency: 5, hint: false, rng: 0,
  ...sc,
});

describe('Engine robustness (property-based)', function () {
  this.timeout(120_000);

  describe('1. mutated flights: every failure is a typed error with an alert, never an exception, a hang or lost data', () => {
    const cases: [string, 'tls' | 'dtls', readonly Phase[], number, number][] = [
      ['TLS initial handshake', 'tls', ['initial'], 0x5eed01, 500],
      ['TLS renegotiation (client- and server-initiated) with data in flight', 'tls', ['reneg-client', 'reneg-server'], 0x5eed02, 350],
      ['TLS resumption (ticket and session ID)', 'tls', ['resume-ticket', 'resume-id'], 0x5eed03, 400],
      ['DTLS initial handshake', 'dtls', ['initial'], 0x5eed04, 400],
      ['DTLS renegotiation (client- and server-initiated) with data in flight', 'dtls', ['reneg-client', 'reneg-server'], 0x5eed05, 250],
      ['DTLS resumption (ticket and session ID)', 'dtls', ['resume-ticket', 'resume-id'], 0x5eed06, 400],
    ];
    for (const [name, transport, phases, seed, runs] of cases) {
      it(`${name}: ${runs} mutated cases, certificate and PSK suites, client and server receivers`, () => {
        fc.assert(fc.property(scenarioArb(transport, phases), (sc) => runMutatedFlight(sc, `p1/${transport}`)), opts(seed, runs));
      });
    }
  });

  describe('2. record-shaped garbage to fresh engines', () => {
    it('TLS: fresh server and fresh client (started or not)', () => {
      fc.assert(fc.property(garbageArb(false), (g) => runGarbage(g, false, 'p2/tls')), opts(0x9a5b01, 2000));
    });
    it('DTLS: fresh server and fresh client (started or not), timers ticking', () => {
      fc.assert(fc.property(garbageArb(true), (g) => runGarbage(g, true, 'p2/dtls')), opts(0x9a5b02, 2000));
    });
    it('stricter: no garbage makes lib/ throw internally (an ERR_TLS_INTERNAL_ERROR is a JS exception that escaped), TLS and DTLS', () => {
      withStrictInternal(() => {
        fc.assert(fc.property(garbageArb(false), (g) => runGarbage(g, false, 'p2/tls')), opts(0x9a5b03, 1000));
        fc.assert(fc.property(garbageArb(true), (g) => runGarbage(g, true, 'p2/dtls')), opts(0x9a5b04, 1000));
      });
    });
  });

  describe('3. data integrity under arbitrary chunking of valid TLS streams', () => {
    it('application data arrives exactly once, in order, across renegotiations, however the bytes are cut', () => {
      fc.assert(fc.property(splitCaseArb, (c) => runSplit(c, 'p3')), opts(0x5b1101, 400));
    });
  });

  // The shrunk counterexamples the properties above found (bugs in lib/, fixed since), kept as
  // regression tests that run on their own (`--grep 'regression:'`).
  describe('counterexamples found by the properties (fixed bugs)', () => {
    it('regression: DTLS, 150 ms one-way latency, one lost datagram: after the handshake only the final flight\'s sender answers retransmissions (no endless exchange)', () => {
      // The server's first flight is answered twice (the client's timer and its reply to the
      // server's retransmission); the server answers both copies with its final flight (the 100 ms
      // replay limit is shorter than the round trip); the client, done, answers the server's
      // retransmitted Finished by resending its own last flight (RFC 6347 §4.2.4 only asks that of
      // the side that sent the last flight), and so on: one flight each way per round trip, with
      // no timer set, for as long as the connection lives.
      runMutatedFlight(scenario({ transport: 'dtls', phase: 'initial', target: 'server', step: 1, ops: [{ k: 'dropDatagram', d: 0 }], latency: 150 }), 'p1/dtls');
    });

    it('regression: DTLS, the server\'s application data overtaking its lost (or late) Finished waits for it (no unexpected_message)', () => {
      // Loss of the datagram holding the server's ChangeCipherSpec and Finished, or the swap of it
      // and the next one. The epoch-1 data record is kept as early, replayed first when the
      // retransmitted ChangeCipherSpec arrives, and the Engine refuses data before the first
      // handshake completes (onApplicationData checks `!this.session` before the DTLS buffering
      // for wait_finished). The same happens to a server in an abbreviated handshake (second case).
      runMutatedFlight(scenario({ transport: 'dtls', phase: 'initial', target: 'client', step: 1, ops: [{ k: 'dropDatagram', d: 0 }] }), 'p1/dtls');
    });

    it('regression: DTLS resumption, the client\'s application data overtaking its lost Finished waits for it', () => {
      runMutatedFlight(scenario({ transport: 'dtls', phase: 'resume-ticket', target: 'server', step: 1, ops: [{ k: 'dropDatagram', d: 0 }] }), 'p1/dtls');
    });

    it('regression: DTLS, a client that got the first message of the server\'s flight but not the rest retransmits and, at worst, times out', () => {
      // One bit flipped in flight: in the ServerHello's record sequence number (epoch 0 records
      // move the replay window unauthenticated, so the rest of the flight and every
      // retransmission is "too old"), or in the ServerHello.random of an abbreviated handshake
      // (the server's Finished never authenticates and is dropped silently). The channel cancels
      // its retransmission timer as soon as the peer's next flight begins, and the handshake
      // timeout is only checked in tick() while a timer is set: the engine is left handshaking
      // with no deadline, forever.
      runMutatedFlight(scenario({ transport: 'dtls', phase: 'initial', target: 'client', step: 0, ops: [{ k: 'flip', d: 0, pos: 10, bit: 7 }] }), 'p1/dtls');
      runMutatedFlight(scenario({ transport: 'dtls', phase: 'resume-ticket', target: 'client', step: 0, ops: [{ k: 'flip', d: 0, pos: 27, bit: 0 }] }), 'p1/dtls');
    });

    it('regression: TLS, a zero-length record at the end of the bytes received gets its protocol alert (was a TypeError in ByteQueue.take)', () => {
      // ByteQueue.take(0) on an empty queue reads chunks[0].length. Any content type, before or
      // after the handshake; followed by one more byte the same record gets its proper alert.
      withStrictInternal(() => {
        for (const type of [20, 21, 22, 23]) {
          runGarbage({ role: 'server', started: false, family: 'cert', records: [Uint8Array.of(type, 3, 3, 0, 0)], noise: [], sizes: [5], ticks: 0, rng: 0 }, false, 'p2/tls');
        }
      });
    });
  });
});
