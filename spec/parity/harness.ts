// The differential harness: one scenario, run with node:tls (pinned to TLS 1.2) at both ends and
// then with secure-duplex in place of one end or both, records what the application sees; the
// traces must be equal, except for entries a test names as a difference documented in
// docs/compat.md (with its reason there).
//
// A scenario gets `m = { client, server }`, each a `TlsLike` (node:tls's or ours: `connect`,
// `createServer`, `Server`, `TLSSocket`, `Agent`, `createSecureContext`), and a Recorder. It writes to named channels
// (one per socket or per role), so the interleaving of two sockets' events, which depends on
// scheduling, is never compared, only the order within one channel.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import tls from 'node:tls';
import * as https from 'node:https';
import type { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as ours from '../../lib/index.js';
import { runCleanups } from '../helpers/cleanups.js';
import { within } from '../helpers/within.js';

/** What a scenario may use of a TLS module: the node:tls surface both implement. */
export interface TlsLike {
  readonly name: 'node' | 'ours';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  connect: (...args: any[]) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createServer: (...args: any[]) => any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Server: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  TLSSocket: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Agent: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createSecureContext: (...args: any[]) => any;
}

export const nodeTls: TlsLike = {
  name: 'node',
  connect: tls.connect,
  createServer: tls.createServer,
  Server: tls.Server,
  TLSSocket: tls.TLSSocket,
  Agent: https.Agent,
  createSecureContext: tls.createSecureContext,
};

export const oursTls: TlsLike = {
  name: 'ours',
  connect: ours.connect,
  createServer: ours.createServer,
  Server: ours.Server,
  TLSSocket: ours.TLSSocket,
  Agent: ours.Agent,
  createSecureContext: ours.createSecureContext,
};

export interface Ends {
  client: TlsLike;
  server: TlsLike;
}

/** The shape of a value as the application sees it: errors by name/code/message, bytes by
 *  length and hash, sockets and servers by kind, plain data as is. */
export function shape(v: unknown, depth = 0): unknown {
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'symbol') return String(v);
  if (typeof v === 'function') return '[function]';
  if (v instanceof Error) {
    const e = v as NodeJS.ErrnoException;
    return { error: e.name, code: e.code, message: stableMessage(e.message) };
  }
  if (v instanceof Uint8Array) return { bytes: v.length, sha256: sha256(v) };
  const o = v as Record<string, unknown>;
  if (o.encrypted === true) return '[TLSSocket]';
  if (typeof o.listen === 'function') return '[Server]';
  if (typeof o.pipe === 'function') return '[stream]';
  if (depth > 3) return '[object]';
  if (Array.isArray(v)) return v.map((x) => shape(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = shape(o[k], depth + 1);
  return out;
}

/** node:tls's OpenSSL errors read "<thread id>:error:<code>:SSL routines:<function>:<reason>:<file>:<line>:";
 *  only the reason is stable (and is what ours says). */
function stableMessage(m: string): string {
  return /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(m)?.[1] ?? m;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex').slice(0, 16);
}

export type Trace = Record<string, unknown[]>;

export class Recorder {
  readonly trace: Trace = {};
  /** Stopped after the scenario, newest first. */
  readonly cleanups: (() => unknown)[] = [];

  add(channel: string, what: string, ...values: unknown[]): void {
    (this.trace[channel] ??= []).push(values.length === 0 ? what : [what, ...values.map((x) => shape(x))]);
  }

  /** Record each of `events` on `emitter` in `channel`, with the shape of its arguments. */
  watch(channel: string, emitter: EventEmitter, events: readonly string[]): void {
    for (const ev of events) emitter.on(ev, (...args: unknown[]) => this.add(channel, ev, ...args));
  }

  /** Record properties of `obj` (a property that throws is recorded as its error). */
  props(channel: string, label: string, obj: object, names: readonly string[]): void {
    const out: Record<string, unknown> = {};
    for (const n of names) {
      try {
        const v = (obj as Record<string, unknown>)[n];
        out[n] = shape(typeof v === 'function' ? (v as () => unknown).call(obj) : v);
      } catch (e) {
        out[n] = { threw: shape(e) };
      }
    }
    this.add(channel, label, out);
  }

  /** Run `fn`, recording what it returns or throws. */
  call(channel: string, label: string, fn: () => unknown): unknown {
    try {
      const r = fn();
      this.add(channel, label, { returned: r });
      return r;
    } catch (e) {
      this.add(channel, label, { threw: e });
      return undefined;
    }
  }

  track<T>(x: T & ({ destroy(): unknown } | { close(): unknown })): T {
    this.cleanups.push(() => {
      const c = x as { destroy?(): unknown; close?(): unknown };
      return c.destroy ? c.destroy() : c.close!();
    });
    return x;
  }

  /** Wait for `event` on `emitter` (bounded): records "never: <what>" in `channel` instead of
   *  failing, so that the difference shows in the compared traces. Resolves with the event's
   *  first argument, or undefined. */
  async waitFor(channel: string, emitter: EventEmitter, event: string, ms = 3_000): Promise<unknown> {
    try {
      return await within(new Promise((res) => emitter.once(event, (v: unknown) => res(v))), event, ms);
    } catch {
      this.add(channel, `never: ${event}`);
      return undefined;
    }
  }

  /** As waitFor(), for any promise. */
  async settle<T>(channel: string, what: string, p: Promise<T>, ms = 3_000): Promise<T | undefined> {
    try {
      return await within(p, what, ms);
    } catch (e) {
      this.add(channel, `never: ${what}`, (e as Error).message.includes('timed out') ? undefined : e);
      return undefined;
    }
  }
}

export type Scenario = (m: Ends, rec: Recorder) => Promise<void>;

/** Channel entries named as documented differences (removed from both traces before the
 *  comparison). `label` is the first element of the entry (its "what"), `compat` a phrase of
 *  docs/compat.md that states the difference and its reason. */
export interface Difference {
  channel: string;
  /** Without a label: the whole channel. */
  label?: string;
  compat: string;
}

export interface ParityOptions {
  /** Which ends are ours in the runs compared with node/node (default: each alone, then both). */
  runs?: ('client' | 'server' | 'both')[];
  differences?: Difference[];
}

const COMPAT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/compat.md');

async function runOnce(scenario: Scenario, m: Ends): Promise<Trace> {
  const rec = new Recorder();
  const saved = tls.DEFAULT_MAX_VERSION;
  // node:tls pinned to TLS 1.2 (every context made during the scenario, all argument forms).
  tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
  try {
    await scenario(m, rec);
  } finally {
    tls.DEFAULT_MAX_VERSION = saved;
    await runCleanups(rec.cleanups);
  }
  return rec.trace;
}

function strip(trace: Trace, diffs: readonly Difference[]): Trace {
  const out: Trace = {};
  for (const [ch, entries] of Object.entries(trace)) {
    const kept = entries.filter((e) => {
      const label = Array.isArray(e) ? e[0] : e;
      return !diffs.some((d) => d.channel === ch && (d.label === undefined || d.label === label));
    });
    if (kept.length > 0) out[ch] = kept;
  }
  return out;
}

/** A mocha test: the scenario with node:tls at both ends, then with ours at `runs`; the traces
 *  must be equal but for the named, documented differences. */
export function parity(title: string, scenario: Scenario, options: ParityOptions = {}): void {
  it(title, async function () {
    this.timeout(60_000);
    const diffs = options.differences ?? [];
    if (diffs.length > 0) {
      const compat = fs.readFileSync(COMPAT, 'utf8').replace(/\s+/g, ' ');
      for (const d of diffs) expect(compat, `docs/compat.md must document: ${d.compat}`).to.include(d.compat);
    }
    const reference = await runOnce(scenario, { client: nodeTls, server: nodeTls });
    // PARITY_TRACE=1 prints node's trace (to see what a scenario records).
    if (process.env.PARITY_TRACE) console.log(JSON.stringify(reference, null, 1));
    for (const run of options.runs ?? ['client', 'server', 'both']) {
      const m: Ends = {
        client: run === 'server' ? nodeTls : oursTls,
        server: run === 'client' ? nodeTls : oursTls,
      };
      const trace = await runOnce(scenario, m);
      expect(strip(trace, diffs), `secure-duplex as ${run === 'both' ? 'both ends' : `the ${run}`} (node:tls the rest)`)
        .to.deep.equal(strip(reference, diffs));
    }
  });
}
