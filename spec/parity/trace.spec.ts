// enableTrace, node:tls and secure-duplex side by side: node's trace is OpenSSL's SSL_trace,
// written by native code to the process's stderr, so each runs in a child process (a client and
// a server in one script, the traced end chosen) and the two traces are compared as the
// sequence of what they report: handshake messages, ChangeCipherSpecs and alerts, sent or
// received. The formats differ (ours is one line per item, compat.md); the items must not.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer, type PeerProcess } from '../helpers/peers.js';
import { runCleanups } from '../helpers/cleanups.js';
import { testPki } from './fixtures.js';

const LIB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lib/index.js');

/** argv: library ("node" | "ours"), traced end ("client" | "server"), how ("option" | "method"),
 *  cert, key, CA. One connection; the server ends it; prints "done" when the client has closed. */
const SCRIPT = `
import tls from 'node:tls';
import * as fs from 'node:fs';
tls.DEFAULT_MAX_VERSION = 'TLSv1.2';
const [which, traced, how, certPath, keyPath, caPath] = process.argv.slice(2);
const lib = which === 'ours' ? await import(${JSON.stringify(LIB)}) : tls;
const cert = fs.readFileSync(certPath), key = fs.readFileSync(keyPath), ca = fs.readFileSync(caPath);
const byOption = how === 'option';
const server = lib.createServer({ cert, key, enableTrace: byOption && traced === 'server' }, (s) => {
  s.resume();
  s.end('bye');
});
server.listen(0, '127.0.0.1', () => {
  const c = lib.connect({ port: server.address().port, host: '127.0.0.1', ca, servername: 'localhost', enableTrace: byOption && traced === 'client' });
  if (!byOption && traced === 'client') c.enableTrace();
  c.resume();
  c.on('close', () => server.close(() => process.stdout.write('done\\n')));
});
`;

const SNAKE = (name: string): string => name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();

/** node:tls's (OpenSSL's SSL_trace) output as items: "Sent handshake: client_hello",
 *  "Received ChangeCipherSpec", "Sent alert: warning close_notify". */
export function opensslItems(text: string): string[] {
  const out: string[] = [];
  let dir = '';
  for (const line of text.split('\n')) {
    const record = /^(Sent|Received) Record$/.exec(line);
    if (record) dir = record[1]!;
    const hs = /^ {4}([A-Za-z]+), Length=\d+$/.exec(line);
    if (hs) out.push(`${dir} handshake: ${SNAKE(hs[1]!)}`);
    if (/^ {2}Content Type = ChangeCipherSpec \(20\)$/.test(line)) out.push(`${dir} ChangeCipherSpec`);
    const alert = /^ {4}Level=(\w+)\(\d+\), description=([\w ]+)\(\d+\)$/.exec(line);
    if (alert) out.push(`${dir} alert: ${alert[1]} ${alert[2]!.replace(/ /g, '_')}`);
  }
  return out;
}

/** Our trace lines as the same items. */
export function ourItems(text: string, side: string): string[] {
  const prefix = `TLS trace (${side}): `;
  return text.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).replace(/ \(\d+ bytes\)$/, ''));
}

describe('parity with node:tls: enableTrace', function () {
  this.timeout(60_000);
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups.splice(0)));

  function script(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-trace-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'trace.mjs'), SCRIPT);
    return path.join(dir, 'trace.mjs');
  }

  async function trace(file: string, which: 'node' | 'ours', side: 'client' | 'server', how: 'option' | 'method'): Promise<PeerProcess> {
    const leaf = testPki.leaves['ec-p256'];
    const p = await startPeer(process.execPath, [file, which, side, how, leaf.certPath, leaf.keyPath, testPki.ca.certPath], { ready: /^done$/m });
    cleanups.push(() => p.kill());
    return p;
  }

  for (const side of ['client', 'server'] as const) {
    it(`the ${side}'s trace (enableTrace option) reports the same messages, ChangeCipherSpecs and alerts as node:tls's`, async function () {
      const file = script();
      const node = opensslItems((await trace(file, 'node', side, 'option')).stderr());
      const ours = ourItems((await trace(file, 'ours', side, 'option')).stderr(), side);
      expect(node, "node's trace was read").to.include(side === 'client' ? 'Sent handshake: client_hello' : 'Received handshake: client_hello');
      expect(ours).to.deep.equal(node);
    });
  }

  it("the client's enableTrace() method: the same items as node:tls's", async function () {
    const file = script();
    const node = opensslItems((await trace(file, 'node', 'client', 'method')).stderr());
    const ours = ourItems((await trace(file, 'ours', 'client', 'method')).stderr(), 'client');
    expect(node.length).to.be.at.least(10);
    expect(ours).to.deep.equal(node);
  });

  it('the reading of OpenSSL trace lines', function () {
    expect(opensslItems('Sent Record\nHeader:\n    ClientHello, Length=253\nReceived Record\n  Content Type = ChangeCipherSpec (20)\n    change_cipher_spec (1)\nSent Record\n  Content Type = Alert (21)\n    Level=warning(1), description=close notify(0)\n'))
      .to.deep.equal(['Sent handshake: client_hello', 'Received ChangeCipherSpec', 'Sent alert: warning close_notify']);
  });
});
