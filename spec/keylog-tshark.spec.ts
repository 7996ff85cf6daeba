// The 'keylog' lines (NSS CLIENT_RANDOM) are right: tshark decrypts a captured connection with
// them, the application data before a renegotiation and after it (which needs the second
// handshake's line). tshark captures on lo; facts measured here are in docs/peers.md
// ("tshark (key log check)").
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { connect, createServer, type SecureDuplex, type Server } from '../lib/index.js';
import { peersTmpDir, requirePeer, startPeer, type PeerProcess } from './helpers/peers.js';

const BEFORE = 'KEYLOG-MARKER-BEFORE-RENEGOTIATION-7f3a';
const AFTER = 'KEYLOG-MARKER-AFTER-RENEGOTIATION-c91e';
/** Packets reach the capture file only after dumpcap's ~250 ms read timeout, and a stop
 *  signal drops what has not (docs/peers.md): wait this long after the last packet. */
const FLUSH_MS = 1000;
/** "Capturing on 'Loopback: lo'" comes ~20 ms before packets are really captured; the
 *  "Capture started." log line is the reliable one. Without it, go this long after the first. */
const CAPTURING_FALLBACK_MS = 500;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('keylog: tshark decrypts a capture with the CLIENT_RANDOM lines', function () {
  this.timeout(60_000);
  let tshark: PeerProcess | undefined;
  let server: Server | undefined;
  let client: SecureDuplex | undefined;

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && tshark) console.log(tshark.diagnostics());
    client?.destroy();
    if (server) await new Promise<void>((res) => server!.close(() => res()));
    await tshark?.kill(); // by PID; a no-op once it has exited
    tshark = undefined;
    server = undefined;
    client = undefined;
  });

  it('our client ↔ our server on lo: data before and after a client renegotiation is decrypted', async function () {
    requirePeer(this, 'tshark');
    const dir = fs.mkdtempSync(path.join(peersTmpDir(), 'keylog-'));
    const pcap = path.join(dir, 'capture.pcapng');
    const keylog = path.join(dir, 'keylog.txt');

    // 1. Our server, on a port it binds itself (nothing is sent before the client connects).
    const ca = generateCertificate({ commonName: 'keylog CA', isCA: true, altNames: [] });
    const leaf = generateCertificate({ issuer: ca, extKeyUsage: ['serverAuth'] });
    let received = '';
    const serverLines: string[] = [];
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem, allowRenegotiation: true }, (socket) => {
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (received += d));
      socket.on('error', () => undefined);
    });
    server.on('keylog', (line: Buffer) => serverLines.push(line.toString('latin1')));
    await new Promise<void>((res) => server!.listen(0, '127.0.0.1', () => res()));
    const { port } = server.address() as AddressInfo;

    // 2. Capture before the client connects, and only this test's port.
    let capturingSince: number | undefined;
    tshark = await startPeer('tshark', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', pcap], {
      ready: (out) => {
        if (!out.includes("Capturing on 'Loopback: lo'")) return false;
        capturingSince ??= Date.now();
        return out.includes('Capture started.') || Date.now() - capturingSince >= CAPTURING_FALLBACK_MS;
      },
      readyTimeoutMs: 20_000,
    });

    // 3. Our client on that port; it renegotiates between the markers.
    const lines: string[] = [];
    const c = connect({ host: '127.0.0.1', port, ca: ca.certPem });
    client = c;
    c.on('keylog', (line: Buffer) => {
      lines.push(line.toString('latin1'));
      fs.appendFileSync(keylog, line);
    });
    await new Promise<void>((res, rej) => {
      c.once('secureConnect', res);
      c.once('error', rej);
    });
    const until = async (what: string, cond: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !cond(); i++) await delay(25);
      if (!cond()) throw new Error(`timed out waiting for ${what}`);
    };
    c.write(BEFORE + '\n');
    await until('the first marker at the server', () => received.includes(BEFORE));
    await new Promise<void>((res, rej) => c.renegotiate({}, (err) => (err ? rej(err) : res())));
    c.write(AFTER + '\n');
    await until('the second marker at the server', () => received.includes(AFTER));
    c.end();
    await until('the client to close', () => c.destroyed);

    // One line per handshake, the same on both sides, two different client randoms.
    expect(lines).to.have.length(2);
    for (const l of lines) expect(l).to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
    expect(lines[0]!.split(' ')[1]).not.to.equal(lines[1]!.split(' ')[1]);
    await until('the server keylog lines', () => serverLines.length === 2);
    expect(serverLines).to.deep.equal(lines);

    // 4. Let dumpcap hand over the last packets, then stop tshark by PID (SIGTERM).
    await delay(FLUSH_MS);
    await tshark.kill();
    expect(tshark.exited(), 'tshark exit').to.deep.equal({ code: 0, signal: null });

    // 5. Decrypt with the key log and follow the TLS stream.
    const follow = spawnSync('tshark', [
      '-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-d', `tcp.port==${port},tls`, '-q', '-z', 'follow,tls,ascii,0',
    ], { encoding: 'utf8', timeout: 30_000 });
    const shown = `tshark -r exit ${follow.status}\n--- stdout\n${follow.stdout}\n--- stderr\n${follow.stderr}`;
    expect(follow.status, shown).to.equal(0);
    expect(follow.stdout, shown).to.include(BEFORE);
    expect(follow.stdout, shown).to.include(AFTER);

    // Control: without the key log nothing is readable; with only the first line, only the
    // data before the renegotiation is.
    const firstOnly = path.join(dir, 'first-line.txt');
    fs.writeFileSync(firstOnly, lines[0]!);
    const run = (keyFile?: string): string => spawnSync('tshark', [
      '-r', pcap, ...(keyFile ? ['-o', `tls.keylog_file:${keyFile}`] : []), '-d', `tcp.port==${port},tls`,
      '-q', '-z', 'follow,tls,ascii,0',
    ], { encoding: 'utf8', timeout: 30_000 }).stdout;
    const none = run();
    expect(none).not.to.include(BEFORE);
    expect(none).not.to.include(AFTER);
    const partial = run(firstOnly);
    expect(partial).to.include(BEFORE);
    expect(partial).not.to.include(AFTER);
  });
});
