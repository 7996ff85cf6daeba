// The benchmark still runs: `bench --check` (every measurement, tiny) in a child process must
// report every row for every stack with finite, positive figures and ceilings. The values
// themselves are not asserted (no timing asserts in tests).
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

// dist/spec/bench.spec.js → dist/bench/bench.js
const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '../bench/bench.js');

const ALL = ['noble', 'native', 'node:tls'];
const OURS = ['noble', 'native'];
const SUITES = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'PSK-AES128-GCM-SHA256'];

/** Every row the benchmark must produce, with the stacks it is measured on and whether each
 *  figure has a ceiling. */
const EXPECTED: { id: string; stacks: string[]; ceiling: boolean }[] = [
  ...SUITES.flatMap((suite) => ['64k', '1k'].flatMap((size) => ['1p', '2p'].map((p) => ({ id: `bulk/${suite}/${size}/${p}`, stacks: ALL, ceiling: true })))),
  ...['ecdsa-p256', 'rsa-2048'].flatMap((cert) => ['X25519', 'P-256'].map((g) => ({ id: `handshakes/full/${cert}/${g}`, stacks: ALL, ceiling: true }))),
  { id: 'handshakes/resumed', stacks: ALL, ceiling: false },
  { id: 'handshakes/psk', stacks: ALL, ceiling: false },
  { id: 'renegotiation/idle', stacks: ALL, ceiling: true },
  { id: 'renegotiation/dip', stacks: ALL, ceiling: true },
  { id: 'dtls/throughput', stacks: OURS, ceiling: true },
  { id: 'dtls/handshakes', stacks: OURS, ceiling: true },
  { id: 'memory/rss', stacks: ALL, ceiling: false },
  { id: 'memory/heap', stacks: ALL, ceiling: false },
  { id: 'memory/heap-objects', stacks: ALL, ceiling: false },
  ...['handshakes', 'bulk'].flatMap((kind) => [
    { id: `workers/${kind}/1`, stacks: OURS, ceiling: false },
    // The ceiling of the two-worker row is the one-worker figure.
    { id: `workers/${kind}/2`, stacks: OURS, ceiling: true },
  ]),
];

const PRIMITIVES = [
  ...['AES-128-GCM', 'CHACHA20-POLY1305'].flatMap((a) => ['16 KiB', '1 KiB'].flatMap((s) => [`seal ${a} ${s}`, `open ${a} ${s}`])),
  'X25519', 'P-256 ECDH', 'ECDSA P-256 sign', 'ECDSA P-256 verify', 'RSA-2048 sign', 'RSA-2048 verify',
];

interface Report {
  rows: { id: string; values: Record<string, number>; ceilings: Record<string, number> }[];
  primitives: { primitive: string; values: Record<string, number> }[];
  errors: string[];
  machine: Record<string, unknown>;
}

function positive(what: string, v: unknown): void {
  expect(v, what).to.be.a('number');
  expect(Number.isFinite(v) && (v as number) > 0, `${what} = ${String(v)}`).to.equal(true);
}

/** A memory difference over the few connections of --check: the allocator may hand back freed
 *  pages, so it can be zero or below; it must still be a number. */
function finite(what: string, v: unknown): void {
  expect(v, what).to.be.a('number');
  expect(Number.isFinite(v), `${what} = ${String(v)}`).to.equal(true);
}

describe('bench --check', function () {
  this.timeout(240_000);
  let report: Report;

  before(async function () {
    const stdout = await new Promise<string>((resolvePromise, reject) => {
      execFile(process.execPath, [BENCH, '--check', '--json', '--no-write'], { timeout: 230_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, stderr) => {
        // exit code 1 means some measurement failed: the report still says which.
        if (err && (err as { code?: unknown }).code !== 1) reject(new Error(`${err.message}\n${stderr}`));
        else resolvePromise(out);
      });
    });
    report = JSON.parse(stdout) as Report;
  });

  it('no measurement failed', function () {
    expect(report.errors).to.deep.equal([]);
  });

  it('every row is there, for every stack, with a finite positive figure (memory: finite) and ceiling', function () {
    for (const e of EXPECTED) {
      const row = report.rows.find((r) => r.id === e.id);
      expect(row, e.id).to.not.equal(undefined);
      expect(Object.keys(row!.values).sort(), e.id).to.deep.equal([...e.stacks].sort());
      for (const s of e.stacks) {
        (e.id.startsWith('memory/') ? finite : positive)(`${e.id} ${s}`, row!.values[s]);
        if (e.ceiling) positive(`${e.id} ${s} ceiling`, row!.ceilings[s]);
      }
    }
    expect(report.rows.map((r) => r.id).sort()).to.deep.equal(EXPECTED.map((e) => e.id).sort());
  });

  it('every primitive is measured for noble (except RSA) and node:crypto', function () {
    expect(report.primitives.map((p) => p.primitive).sort()).to.deep.equal([...PRIMITIVES].sort());
    for (const p of report.primitives) {
      positive(`${p.primitive} node:crypto`, p.values['node:crypto']);
      if (p.primitive.startsWith('RSA')) expect(p.values.noble, p.primitive).to.equal(undefined);
      else positive(`${p.primitive} noble`, p.values.noble);
    }
  });

  it('the machine is described (CPU, cores, Node, OpenSSL, date)', function () {
    for (const k of ['cpu', 'cores', 'node', 'nodeOpenssl', 'openssl', 'date']) expect(report.machine[k], k).to.not.equal(undefined);
    positive('cores', report.machine.cores);
    expect(Number.isNaN(Date.parse(String(report.machine.date)))).to.equal(false);
  });
});
