// The code examples of README.md and docs/*.md run verbatim: each JavaScript (or TypeScript) block is either a
// program, run here as written (its file, `import ... from 'secure-duplex'` resolving to this
// checkout, the cert.pem / key.pem it reads), or a fragment that names its context (`socket`,
// `...`), listed below with that reason. A new block fails until it is one or the other.
// Where the README says what node:tls does, the same program runs with node:tls in place of
// secure-duplex (pinned to TLS 1.2), for each end and both, and prints the same lines.
//
// The examples listen on fixed ports (8443, a backend on 8080); a preload module maps them to
// free ones in the child process, so that the text needs no change and the test no fixed port.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { connect as oursConnect } from '../../lib/index.js';
import { startPeer, type PeerProcess } from '../helpers/peers.js';
import { runCleanups } from '../helpers/cleanups.js';
import { within } from '../helpers/within.js';
import { testPki } from './fixtures.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The ```js and ```ts blocks of a Markdown file, in order. */
function jsBlocks(file: string): string[] {
  return [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/^```(?:js|ts)\n([^]*?)^```$/gm)].map((m) => m[1]!);
}

/** Preload for the example's process: listen() on a port of PORT_FIXED binds a free port
 *  instead (printed on stderr as "port-map: FIXED -> REAL"), connect() to such a port goes to
 *  the real one, and PORT_TO="8080=54321" sends connections for 8080 to 54321. Runs in the
 *  example's directory (EXAMPLE_DIR), where its files are. */
const PORT_MAP = `
import net from 'node:net';
import dgram from 'node:dgram';
process.chdir(process.env.EXAMPLE_DIR);
const fixed = new Set((process.env.PORT_FIXED ?? '').split(',').filter(Boolean).map(Number));
const to = new Map((process.env.PORT_TO ?? '').split(',').filter(Boolean).map((p) => p.split('=').map(Number)));
const waiting = new Map();
const bound = (port, real) => {
  to.set(port, real);
  process.stderr.write('port-map: ' + port + ' -> ' + real + '\\n');
  for (const go of waiting.get(port) ?? []) go();
  waiting.delete(port);
};
// net.Server#listen() and (UDP, docs/dtls.md) dgram.Socket#bind(): a fixed port binds port 0.
for (const [proto, method] of [[net.Server.prototype, 'listen'], [dgram.Socket.prototype, 'bind']]) {
  const original = proto[method];
  proto[method] = function (...args) {
    const obj = typeof args[0] === 'object' && args[0] !== null;
    const port = Number(obj ? args[0].port : args[0]);
    if (fixed.has(port)) {
      args[0] = obj ? { ...args[0], port: 0 } : 0;
      this.once('listening', () => bound(port, this.address().port));
    }
    return original.apply(this, args);
  };
}
// A UDP connect() to a fixed port waits until it is bound (the DTLS example connects right
// after listen(), before the bind completed).
const dconnect = dgram.Socket.prototype.connect;
dgram.Socket.prototype.connect = function (port, ...rest) {
  const go = () => dconnect.call(this, to.get(Number(port)) ?? port, ...rest);
  if (!fixed.has(Number(port)) || to.has(Number(port))) return go();
  waiting.set(Number(port), [...(waiting.get(Number(port)) ?? []), go]);
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const a = Array.isArray(args[0]) ? args[0] : args;
  if (typeof a[0] === 'object' && a[0] !== null && to.has(Number(a[0].port))) a[0] = { ...a[0], port: to.get(Number(a[0].port)) };
  else if ((typeof a[0] === 'number' || typeof a[0] === 'string') && to.has(Number(a[0]))) a[0] = to.get(Number(a[0]));
  return connect.apply(this, args);
};
`;

/** A directory with the program, cert.pem / key.pem (a self-signed certificate for localhost),
 *  the preload, and node_modules/secure-duplex → this checkout. */
function exampleDir(cleanups: (() => unknown)[], code: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-example-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'secure-duplex'), 'dir');
  fs.writeFileSync(path.join(dir, 'cert.pem'), testPki.selfSigned.certPem);
  fs.writeFileSync(path.join(dir, 'key.pem'), testPki.selfSigned.keyPem);
  fs.writeFileSync(path.join(dir, 'port-map.mjs'), PORT_MAP);
  fs.writeFileSync(path.join(dir, 'example.mjs'), code);
  return dir;
}

/** Run `code` until `ready` says its output is complete (bounded), then stop it. */
async function run(cleanups: (() => unknown)[], code: string, env: Record<string, string>, ready: (out: string) => boolean, nodeFlags: string[] = []): Promise<PeerProcess> {
  const dir = exampleDir(cleanups, code);
  const p = await startPeer(process.execPath, [...nodeFlags, '--import', path.join(dir, 'port-map.mjs'), path.join(dir, 'example.mjs')], {
    ready: (out) => ready(out),
    env: { ...env, EXAMPLE_DIR: dir },
  });
  cleanups.push(() => p.kill());
  return p;
}

const IMPORT = "import { connect, createServer } from 'secure-duplex';";

/** The program with node:tls for the `node` ends (the client, the server or both). */
function withNodeTls(code: string, node: 'client' | 'server' | 'both'): string {
  expect(code, 'the example imports connect and createServer in one line').to.include(IMPORT);
  const line = node === 'both'
    ? "import { connect, createServer } from 'node:tls';"
    : node === 'client'
      ? "import { connect } from 'node:tls';\nimport { createServer } from 'secure-duplex';"
      : "import { connect } from 'secure-duplex';\nimport { createServer } from 'node:tls';";
  return code.replace(IMPORT, line);
}

const [API, PIPE] = jsBlocks('README.md');

/** Blocks that are not programs, and why. */
const FRAGMENTS: Record<string, { count: number; why: string }> = {
  // (The README's two blocks are programs: run below.)
  'docs/renegotiation.md': { count: 1, why: 'the API on a `socket` the reader has, with `...` for the callbacks' },
  'docs/peers.md': { count: 1, why: 'a mocha test of the interop harness (`it`, `this`, the test\'s `cert` / `key`): the harness\'s own tests are spec/peers.spec.ts' },
};

describe('README.md and docs examples run verbatim', function () {
  this.timeout(120_000);
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups.splice(0)));

  it('every JavaScript block is run below or named as a fragment with its reason', function () {
    expect(jsBlocks('README.md'), 'README.md: the API example and the pipe example').to.have.length(2);
    for (const file of fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)) {
      const n = jsBlocks(file).length;
      if (n === 0) continue;
      if (file === 'docs/dtls.md') expect(n, file).to.equal(1); // run below
      else expect(FRAGMENTS[file]?.count, `${file} has ${n} js block(s): run them here or name them as fragments`).to.equal(n);
    }
  });

  // The lines the API example prints, except 'renegotiated by ...' (our event: node's sockets
  // have no 'renegotiated'), sorted: the two sockets' callbacks interleave by scheduling.
  const COMMON = [/^TLSv1\.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256$/m, /^client renegotiated null$/m, /^server renegotiated null$/m, /^got data keeps flowing during the renegotiation$/m];
  const common = (out: string): string[] => out.split('\n').filter((l) => l !== '' && !l.startsWith('renegotiated by ')).sort();

  it('README API example: secure-duplex at both ends prints what node:tls prints, plus our renegotiated events', async function () {
    const ours = await run(cleanups, API!, { PORT_FIXED: '8443' }, (out) => COMMON.every((re) => re.test(out)) && (out.match(/^renegotiated by /gm) ?? []).length >= 2);
    const reference = await run(cleanups, withNodeTls(API!, 'both'), { PORT_FIXED: '8443' }, (out) => COMMON.every((re) => re.test(out)), ['--tls-max-v1.2']);
    expect(common(ours.stdout())).to.deep.equal(common(reference.stdout()));
    // Our client sees its own renegotiation and the server's.
    expect(ours.stdout()).to.match(/^renegotiated by local TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256$/m);
    expect(ours.stdout()).to.match(/^renegotiated by peer TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256$/m);
    expect(ours.stderr()).not.to.match(/Error|Warning/);
  });

  for (const node of ['client', 'server'] as const) {
    it(`README API example with node:tls as the ${node}: the same lines`, async function () {
      const ourClient = node === 'server';
      const p = await run(cleanups, withNodeTls(API!, node), { PORT_FIXED: '8443' },
        (out) => COMMON.every((re) => re.test(out)) && (!ourClient || (out.match(/^renegotiated by /gm) ?? []).length >= 2), ['--tls-max-v1.2']);
      expect(common(p.stdout())).to.deep.equal(COMMON.map((re) => re.source.slice(1, -1).replace(/\\/g, '')).sort());
      expect(p.stderr()).not.to.match(/Error|Warning/);
    });
  }

  it('docs/dtls.md API example: DTLSv1.2, the datagram echoed, a renegotiation', async function () {
    const [DTLS] = jsBlocks('docs/dtls.md');
    const expected = [/^DTLSv1\.2$/m, /^echo one datagram$/m, /^renegotiated null$/m];
    const p = await run(cleanups, DTLS!, { PORT_FIXED: '4433' }, (out) => expected.every((re) => re.test(out)));
    expect(p.stdout().split('\n').filter((l) => l !== '').sort()).to.deep.equal(['DTLSv1.2', 'echo one datagram', 'renegotiated null']);
    expect(p.stderr()).not.to.match(/Error|Warning/);
  });

  it('README pipe example: a TLS front for a plain TCP service echoes through it, to our client and to node:tls', async function () {
    // The backend on 8080: an echo service.
    const backend = net.createServer((s) => s.pipe(s));
    cleanups.push(() => backend.close());
    await within(new Promise<void>((res) => backend.listen(0, '127.0.0.1', () => res())), 'backend listen');
    const backendPort = (backend.address() as net.AddressInfo).port;
    const p = await run(cleanups, PIPE!, { PORT_FIXED: '8443', PORT_TO: `8080=${backendPort}` }, (out) => /port-map: 8443 -> \d+/.test(out));
    const port = Number(/port-map: 8443 -> (\d+)/.exec(p.stderr())![1]);
    const clients: [string, (o: object) => Duplex][] = [['secure-duplex', oursConnect as (o: object) => Duplex], ['node:tls', tls.connect as (o: object) => Duplex]];
    for (const [name, connect] of clients) {
      const c = connect({ host: '127.0.0.1', port, ca: testPki.selfSigned.certPem, servername: 'localhost', maxVersion: 'TLSv1.2' });
      cleanups.push(() => c.destroy());
      const echoed = new Promise<string>((res, rej) => {
        let got = '';
        c.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.length >= 11) res(got);
        });
        c.on('error', rej);
      });
      c.write('hello pipes');
      expect(await within(echoed, `${name}: echo through the front`), name).to.equal('hello pipes');
      c.destroy();
    }
  });
});
