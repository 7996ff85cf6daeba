// Terminating proxy (bin/proxy-command.ts) as real processes: a plain TCP echo backend in this
// process behind `secure-duplex server --forward` (TLS; DTLS carries datagrams, see
// cli-dtls.spec.ts), reached through
// `secure-duplex client --listen` with a plain net client, while renegotiations run. And the
// library-level form: secure.pipe(net.connect(...)).pipe(secure).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { connect, createServer, type SecureDuplex } from '../lib/index.js';
import { startPeer, type PeerProcess } from './helpers/peers.js';
import { refusingPort, type RefusingPort } from './helpers/refusing-port.js';
import { receiveHashed, sendSeeded } from './helpers/stream-transfer.js';

// dist/spec/proxy.spec.js → dist/bin/cli.js
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/cli.js');
const RENEGOTIATED = /^renegotiation: complete \((local|peer), TLS_\w+\)$/gm;

/** A plain TCP echo server on 127.0.0.1 (the backend); counts connections. */
async function echoBackend(): Promise<{ server: net.Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return { server, port: (server.address() as net.AddressInfo).port, accepted: () => accepted };
}

function closeServer(server: net.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((res) => server.close(() => res()));
}

/** A plain TCP connection to 127.0.0.1:port, once connected. */
function plainConnect(port: number): Promise<net.Socket> {
  return new Promise((res, rej) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.removeListener('error', rej);
      res(s);
    });
    s.once('error', rej);
  });
}

function closed(s: net.Socket, ms = 10_000): Promise<void> {
  return new Promise((res, rej) => {
    if (s.destroyed) return res();
    const t = setTimeout(() => rej(new Error(`socket not closed within ${ms} ms`)), ms);
    s.once('close', () => {
      clearTimeout(t);
      res();
    });
  });
}

const countRenegotiations = (text: string): number => (text.match(RENEGOTIATED) ?? []).length;

describe('proxy: server --forward and client --listen', function () {
  this.timeout(60_000);
  let dir: string;
  const files = { ca: '', cert: '', key: '' };
  const procs: PeerProcess[] = [];
  let backend: Awaited<ReturnType<typeof echoBackend>> | undefined;
  let refusing: RefusingPort | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'secure-duplex-proxy-'));
    const ca = generateCertificate({ commonName: 'proxy test CA', isCA: true, altNames: [] });
    const leaf = generateCertificate({ issuer: ca, extKeyUsage: ['serverAuth'] });
    files.ca = join(dir, 'ca.pem');
    files.cert = join(dir, 'cert.pem');
    files.key = join(dir, 'key.pem');
    writeFileSync(files.ca, ca.certPem);
    writeFileSync(files.cert, leaf.certPem);
    writeFileSync(files.key, leaf.keyPem);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(async function () {
    const failed = this.currentTest?.state === 'failed';
    for (const p of procs.splice(0)) {
      if (failed) console.log(p.diagnostics());
      await p.kill(); // by PID: SIGTERM, then SIGKILL
    }
    await closeServer(backend?.server);
    backend = undefined;
    await refusing?.close();
    refusing = undefined;
  });

  /** A CLI process, once it has printed its listening line; resolves with its port. */
  async function cli(args: string[]): Promise<{ proc: PeerProcess; port: number }> {
    const proc = await startPeer(process.execPath, [CLI, ...args], {
      ready: /^listening: 127\.0\.0\.1:\d+$/m,
      env: { SECURE_DUPLEX_HOME: join(dir, 'home'), SSLKEYLOGFILE: '' },
    });
    procs.push(proc);
    const line = await proc.waitFor(/^listening: 127\.0\.0\.1:\d+$/m);
    return { proc, port: Number(/:(\d+)$/.exec(line)![1]) };
  }

  /** server --forward to the backend, and client --listen in front of it. */
  async function chain(serverArgs: string[], clientArgs: string[]): Promise<{ server: PeerProcess; client: PeerProcess; port: number }> {
    backend = await echoBackend();
    const server = await cli(['server', '-p', '0', '-c', files.cert, '-k', files.key, '-d', '-i',
      '--forward', `127.0.0.1:${backend.port}`, ...serverArgs]);
    await server.proc.waitFor(new RegExp(`^forwarding: to 127\\.0\\.0\\.1:${backend.port} over TCP$`, 'm'));
    const client = await cli(['client', '--listen', '0', '-p', String(server.port), '-A', files.ca, ...clientArgs]);
    await client.proc.waitFor(/^forwarding: to 127\.0\.0\.1:\d+ over TLS$/m);
    return { server: server.proc, client: client.proc, port: client.port };
  }

  it('TLS: 4 MiB each way through client --listen → server --forward → echo backend, server renegotiating every 50 ms', async () => {
    const { server, client, port } = await chain(['-M', '--renegotiate-every', '50'], ['-R']);
    const plain = await plainConnect(port);
    const total = 4 * 1024 * 1024;
    const received = receiveHashed(plain, total);
    // 16 KiB writes with backpressure, a pause every 256 KiB so the transfer spans several
    // renegotiation periods.
    const sent = await sendSeeded(plain, 'proxy-tls', total, 16384, async (i) => {
      if (i % 16 === 15) await new Promise((r) => setTimeout(r, 20));
    });
    const got = await received;
    const duringTransfer = countRenegotiations(server.stdout());
    const errorsDuringTransfer = server.stderr() + client.stderr();
    expect(got.bytes).to.equal(total);
    expect(got.sha256).to.equal(sent.sha256);
    expect(duringTransfer, 'renegotiations while the bytes flowed (server)').to.be.at.least(2);
    expect(countRenegotiations(client.stdout()), 'renegotiations (client)').to.be.at.least(2);
    expect(server.stdout()).to.match(/^renegotiation: complete \(local, /m);
    expect(client.stdout()).to.match(/^renegotiation: complete \(peer, /m);
    expect(client.stdout()).to.match(/^protocol: TLSv1\.2$/m);
    expect(client.stdout()).to.match(/^peer: localhost authorized=true$/m);
    // The proxy modes run on node:crypto unless --crypto says otherwise.
    await server.waitFor(/^crypto: node \(node:crypto\)$/m);
    await client.waitFor(/^crypto: node \(node:crypto\)$/m);
    expect(errorsDuringTransfer).not.to.match(/^error:/m);
    plain.end();
    await closed(plain);
    // Closing may cross a HelloRequest the server just sent; the periodic renegotiation it
    // abandons (ECONNRESET) is not reported, so no error line at all.
    const closeErrors = (server.stderr() + client.stderr()).split('\n').filter((l) => l.startsWith('error:'));
    expect(closeErrors).to.deep.equal([]);
    expect(backend!.accepted()).to.equal(1);
  });

  it('--crypto noble on the server, the default (node) on the client: 1 MiB each way intact between the two providers', async () => {
    const { server, client, port } = await chain(['--crypto', 'noble'], []);
    // Printed right after the forwarding: line chain() waited for; it may come in a later chunk.
    await server.waitFor(/^crypto: noble \(pure JavaScript\)$/m);
    await client.waitFor(/^crypto: node \(node:crypto\)$/m);
    const plain = await plainConnect(port);
    const total = 1024 * 1024;
    const received = receiveHashed(plain, total);
    const sent = await sendSeeded(plain, 'proxy-crypto', total, 16384);
    const got = await received;
    expect(got.bytes).to.equal(total);
    expect(got.sha256).to.equal(sent.sha256);
    plain.end();
    await closed(plain);
    expect(server.stderr() + client.stderr()).not.to.match(/^error:/m);
  });

  it('backend unreachable: server --forward prints an error: line and closes the client connection; -C ends it', async () => {
    refusing = await refusingPort(); // nothing listens there, nor can while the test runs
    const deadPort = refusing.port;
    const server = await cli(['server', '-p', '0', '-c', files.cert, '-k', files.key, '-d', '-C', '1',
      '--forward', `127.0.0.1:${deadPort}`]);
    const client = await cli(['client', '--listen', '0', '-p', String(server.port), '-A', files.ca, '-C', '1']);
    const plain = await plainConnect(client.port);
    let echoed = 0;
    plain.on('data', (d: Buffer) => (echoed += d.length));
    plain.write('nobody is listening behind the proxy');
    await closed(plain);
    expect(echoed).to.equal(0);
    const line = await server.proc.waitFor(/^error: ECONNREFUSED: /m);
    expect(line).to.include(`backend 127.0.0.1:${deadPort} unreachable`);
    expect(await server.proc.waitExit(15_000)).to.deep.equal({ code: 1, signal: null });
    expect(await client.proc.waitExit(15_000)).to.deep.equal({ code: 0, signal: null });
  });

  it('usage errors: --forward with -e, a bad HOST:PORT, --listen with --pipe, -C without --listen', async () => {
    const cases: [string[], RegExp][] = [
      [['server', '--forward', '127.0.0.1:1', '-e'], /--forward cannot be combined with -e or -g/],
      [['server', '--forward', 'localhost'], /--forward expects HOST:PORT/],
      [['server', '--forward', '127.0.0.1:70000'], /--forward expects HOST:PORT/],
      [['server', '--forward', '[localhost]:80'], /is not an IPv6 address/],
      [['client', '--listen', '0', '--pipe'], /--listen cannot be combined with --pipe or -g/],
      [['client', '-C', '2'], /-C needs --listen/],
      [['server', '--forward', '127.0.0.1:1', '--crypto', 'openssl'], /--crypto expects noble \(pure JavaScript\) or node \(node:crypto\), got "openssl"/],
      [['client', '--listen', '0', '--crypto'], /--crypto/],
    ];
    for (const [args, message] of cases) {
      const p = await startPeer(process.execPath, [CLI, ...args], { ready: () => true });
      procs.push(p);
      const exit = await p.waitExit(10_000);
      expect(exit.code, args.join(' ')).to.equal(2);
      expect(p.stderr(), args.join(' ')).to.match(message);
    }
  });
});

describe('proxy: secure.pipe(net.connect(...)).pipe(secure) in the library', function () {
  this.timeout(30_000);

  it('a TLS front for a plain echo backend: 2 MiB both ways intact with a client renegotiation mid-stream', async () => {
    const backend = await echoBackend();
    const ca = generateCertificate({ commonName: 'pipe CA', isCA: true, altNames: [] });
    const leaf = generateCertificate({ issuer: ca, extKeyUsage: ['serverAuth'] });
    const front = createServer({ cert: leaf.certPem, key: leaf.keyPem, allowRenegotiation: true }, (secure) => {
      const upstream = net.connect(backend.port, '127.0.0.1');
      secure.pipe(upstream).pipe(secure);
      upstream.on('error', () => secure.destroy());
      secure.on('error', () => upstream.destroy());
    });
    await new Promise<void>((res) => front.listen(0, '127.0.0.1', () => res()));
    const port = (front.address() as net.AddressInfo).port;
    let client: SecureDuplex | undefined;
    try {
      client = await new Promise<SecureDuplex>((res, rej) => {
        const c = connect({ host: '127.0.0.1', port, ca: ca.certPem }, () => res(c));
        c.once('error', rej);
      });
      const total = 2 * 1024 * 1024;
      const received = receiveHashed(client, total);
      let renegotiated: Promise<void> | undefined;
      const c = client;
      const sent = await sendSeeded(c, 'pipe-front', total, 16384, (i) => {
        if (i === 32) {
          renegotiated = new Promise<void>((res, rej) => c.renegotiate({}, (err) => (err ? rej(err) : res())));
        }
      });
      const got = await received;
      await renegotiated;
      expect(got.sha256).to.equal(sent.sha256);
      expect(got.bytes).to.equal(total);
      client.end();
      await new Promise<void>((res) => client!.once('close', () => res()));
    } finally {
      client?.destroy();
      await new Promise<void>((res) => front.close(() => res()));
      await closeServer(backend.server);
    }
  });
});
