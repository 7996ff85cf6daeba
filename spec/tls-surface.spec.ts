/**
 * Drop-in for tls.TLSSocket: the node:tls surface beyond read/write, checked against
 * real peers (node:tls in this process, openssl s_server / s_client, the CLI as a process).
 *
 * - 'keylog' (socket and Server) equals the peer's own key log line for the same connection, for
 *   the initial handshake and after a renegotiation; the CLI's --keylog / SSLKEYLOGFILE too.
 * - exportKeyingMaterial() equals node:tls's on the other end (with and without a context, a
 *   SHA-256 and a SHA-384 suite) and our two ends agree.
 * - getSharedSigalgs() equals what node:tls reports for the same peer with the same sigalgs.
 * - setServername(), disableRenegotiation(), getX509Certificate(), getPeerX509Certificate(),
 *   getSession(), getTLSTicket(), enableTrace().
 * - Server addContext() and SNICallback (sync and async) choose the certificate by SNI.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import {
  ALL_CIPHER_SUITES, checkServerIdentity, connect, createSecureContext, createServer, getCiphers, rootCertificates,
  DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION,
  TLSSocket, type ConnectOptions, type SecureDuplex, type Server, type ServerOptions,
} from '../lib/index.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { opensslClient, opensslServer, peersTmpDir, requirePeer } from './helpers/peers.js';
import { makePki, type Pki } from './helpers/pki.js';
import { within } from './helpers/within.js';
import { runCleanups } from './helpers/cleanups.js';
import { DEFAULT_SIGNATURE_SCHEMES } from '../lib/engine/defaults.js';
import { SignatureScheme } from '../lib/iana-registry.js';

const WAIT_MS = 10_000;
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/cli.js');
/** Our default signature schemes, in node:tls `sigalgs` syntax. */
/** Our default signature schemes in OpenSSL's spelling: the IANA names, but {sha224, ecdsa},
 *  which has none (TLS 1.2 only) and which OpenSSL calls ECDSA+SHA224. */
const OUR_SIGALGS = DEFAULT_SIGNATURE_SCHEMES
  .map((code) => (code === SignatureScheme.ecdsa_sha224 ? 'ECDSA+SHA224' : Object.entries(SignatureScheme).find(([, c]) => c === code)![0]))
  .join(':');

let pki: Pki;
const cleanups: (() => void)[] = [];


function once<T = unknown>(emitter: NodeJS.EventEmitter, event: string, what = event): Promise<T> {
  return within(new Promise<T>((res, rej) => {
    const onError = (e: Error): void => {
      emitter.removeListener(event, onEvent);
      rej(e);
    };
    const onEvent = (v: T): void => {
      emitter.removeListener('error', onError);
      res(v);
    };
    emitter.once(event, onEvent);
    if (event !== 'error') emitter.once('error', onError);
  }), what);
}

function renegotiate(s: { renegotiate(o: object, cb: (err: Error | null) => void): unknown }, what: string): Promise<void> {
  return within(new Promise<void>((res, rej) => {
    s.renegotiate({}, (err) => (err ? rej(err) : res()));
  }), what);
}

async function listen(server: tls.Server | Server): Promise<number> {
  cleanups.push(() => server.close());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return (server.address() as AddressInfo).port;
}

function track<T extends { destroy(): unknown }>(s: T): T {
  cleanups.push(() => s.destroy());
  return s;
}

function nodeServer(options: tls.TlsOptions = {}): tls.Server {
  const leaf = pki.leaves['ec-p256'];
  return tls.createServer({ cert: leaf.certPem, key: leaf.keyPem, maxVersion: 'TLSv1.2', ...options });
}

function ourServer(options: ServerOptions = {}): Server {
  const leaf = pki.leaves['ec-p256'];
  return createServer({ cert: leaf.certPem, key: leaf.keyPem, ...options });
}

/** Our client to 127.0.0.1:port trusting the test CA; resolves after secureConnect. */
async function ourClient(port: number, options: ConnectOptions = {}): Promise<SecureDuplex> {
  const c = track(connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', ...options }));
  await once(c, 'secureConnect', 'our client secureConnect');
  return c;
}

/** node:tls client to 127.0.0.1:port trusting the test CA; resolves after secureConnect. */
async function nodeClient(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const c = track(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2', ...options }));
  await once(c, 'secureConnect', 'node client secureConnect');
  return c;
}

/** The next secureConnection of `server`. */
function nextConnection<T>(server: NodeJS.EventEmitter): Promise<T> {
  return once<T>(server, 'secureConnection', 'secureConnection');
}

/** node:tls exportKeyingMaterial() without a context (@types/node declares it required). */
function nodeEkm(s: tls.TLSSocket, length: number, label: string): Buffer {
  return (s as unknown as { exportKeyingMaterial(length: number, label: string): Buffer }).exportKeyingMaterial(length, label);
}

function keylogLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('CLIENT_RANDOM ')).map((l) => `${l}\n`);
}

async function waitForFileLines(file: string, n: number): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const lines = fs.existsSync(file) ? keylogLines(fs.readFileSync(file, 'utf8')) : [];
    if (lines.length >= n || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('node:tls surface', function () {
  this.timeout(30_000);

  before(() => {
    pki = makePki();
  });

  afterEach(() => runCleanups(cleanups));

  describe("'keylog'", () => {
    it('our client: equals openssl s_server -keylogfile, initial handshake and a renegotiation', async function () {
      requirePeer(this, 'openssl');
      const file = path.join(peersTmpDir(), `s_server-keylog-${process.pid}.txt`);
      const leaf = pki.leaves['ec-p256'];
      const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, clientRenegotiation: true, keylog: file });
      const port = s.port;
      cleanups.push(() => void s.kill());
      const ours: string[] = [];
      const c = track(connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' }));
      c.on('keylog', (line: Buffer) => ours.push(line.toString('latin1')));
      await once(c, 'secureConnect');
      expect(ours).to.have.length(1);
      await renegotiate(c, 'renegotiation with s_server');
      expect(ours).to.have.length(2);
      expect(ours[0]).to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
      expect(ours[1]).to.not.equal(ours[0]);
      expect(await waitForFileLines(file, 2)).to.deep.equal(ours);
    });

    it("our server (socket and Server 'keylog'): equals node:tls client's 'keylog', initial and renegotiated", async () => {
      const server = ourServer();
      const serverLines: { line: string; socket: SecureDuplex }[] = [];
      server.on('keylog', (line: Buffer, socket: SecureDuplex) => serverLines.push({ line: line.toString('latin1'), socket }));
      const port = await listen(server);
      const accepted = nextConnection<SecureDuplex>(server);
      const nodeLines: string[] = [];
      const c = track(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2' }));
      c.on('keylog', (line) => nodeLines.push(line.toString('latin1')));
      await once(c, 'secureConnect');
      const sock = await accepted;
      const socketLines: string[] = [];
      sock.on('keylog', (line: Buffer) => socketLines.push(line.toString('latin1')));
      c.resume();
      await renegotiate(c, 'node client renegotiation');
      expect(nodeLines).to.have.length(2);
      expect(serverLines.map((l) => l.line)).to.deep.equal(nodeLines);
      expect(serverLines.every((l) => l.socket === sock)).to.equal(true);
      expect(socketLines).to.deep.equal([nodeLines[1]]);
    });

    it('as soon as the master secret exists: a handshake that then fails (wrong PSK) is logged, as node:tls logs it', async () => {
      // A server whose key differs: the client computes its master secret, sends Finished, and
      // the server's bad_record_mac ends it. node:tls's client logs that handshake; so do we.
      const server = ourServer({ ciphers: 'PSK', pskCallback: () => Buffer.from('server key'), identities: undefined } as ServerOptions);
      server.on('tlsClientError', () => undefined);
      const port = await listen(server);
      const logged: Record<string, string[]> = { node: [], ours: [] };
      const psk = { psk: Buffer.from('client key'), identity: 'id' };
      const clients = {
        node: tls.connect({ host: '127.0.0.1', port, maxVersion: 'TLSv1.2', ciphers: 'PSK', pskCallback: () => psk, checkServerIdentity: () => undefined }),
        ours: connect({ host: '127.0.0.1', port, ciphers: 'PSK', pskCallback: () => psk }),
      };
      for (const [name, c] of Object.entries(clients)) {
        track(c);
        c.on('keylog', (line: Buffer) => logged[name]!.push(line.toString('latin1')));
      }
      for (const [name, c] of Object.entries(clients)) {
        const err = await once<NodeJS.ErrnoException & { alertReceived?: string }>(c, 'error', `${name} fails`).catch((e: NodeJS.ErrnoException & { alertReceived?: string }) => e);
        // Both node's code (ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC).
        expect(err.code, name).to.equal('ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC');
      }
      expect(logged.node).to.have.length(1);
      expect(logged.ours).to.have.length(1);
      expect(logged.ours![0]).to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
    });

    it('CLI: client --keylog FILE and server with SSLKEYLOGFILE append the lines the openssl peer logs', async function () {
      requirePeer(this, 'openssl');
      const dir = peersTmpDir();
      const leaf = pki.leaves['ec-p256'];
      /** The CLI's exit, and (for `server -p 0`) the port it bound, from its "listening:" line. */
      const runCli = (args: string[], env: NodeJS.ProcessEnv = process.env): { done: Promise<{ code: number | null; out: string }>; listening: Promise<number> } => {
        const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
        let out = '';
        let onListening: (port: number) => void = () => undefined;
        const listening = new Promise<number>((res) => (onListening = res));
        const take = (d: Buffer): void => {
          out += d.toString();
          const m = /^listening: 127\.0\.0\.1:(\d+)$/m.exec(out);
          if (m) onListening(Number(m[1]));
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        cleanups.push(() => child.kill('SIGKILL'));
        return {
          done: within(new Promise((res) => child.once('close', (code) => res({ code, out }))), `cli ${args.join(' ')}`, 20_000),
          listening: within(listening, `cli ${args.join(' ')} listening`, 20_000),
        };
      };

      // Our client (--keylog) against s_server -keylogfile.
      const peerFile1 = path.join(dir, `cli-s_server-${process.pid}.txt`);
      const ourFile1 = path.join(dir, `cli-client-${process.pid}.txt`);
      const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, keylog: peerFile1 });
      cleanups.push(() => void s.kill());
      const client = await runCli(['client', '-p', String(s.port), '-A', pki.ca.certPath, '-S', 'localhost', '--pipe', '--keylog', ourFile1]).done;
      expect(client.code, client.out).to.equal(0);
      const ourClientLines = keylogLines(fs.readFileSync(ourFile1, 'utf8'));
      expect(ourClientLines).to.have.length(1);
      expect(await waitForFileLines(peerFile1, 1)).to.deep.equal(ourClientLines);

      // Our server (SSLKEYLOGFILE) against s_client -keylogfile.
      const peerFile2 = path.join(dir, `cli-s_client-${process.pid}.txt`);
      const ourFile2 = path.join(dir, `cli-server-${process.pid}.txt`);
      const server = runCli(['server', '-p', '0', '-c', leaf.certPath, '-k', leaf.keyPath, '-e'], { ...process.env, SSLKEYLOGFILE: ourFile2 });
      const sc = await opensslClient({ port: await server.listening, ca: pki.ca.certPath, servername: 'localhost', keylog: peerFile2 });
      cleanups.push(() => void sc.kill());
      await sc.write('ping\n');
      await sc.waitForBytes(5);
      await sc.end();
      const srv = await server.done;
      expect(srv.code, srv.out).to.equal(0);
      const ourServerLines = keylogLines(fs.readFileSync(ourFile2, 'utf8'));
      expect(ourServerLines).to.have.length(1);
      expect(await waitForFileLines(peerFile2, 1)).to.deep.equal(ourServerLines);
    });
  });

  describe('exportKeyingMaterial()', () => {
    const LABEL = 'EXPERIMENTAL-secure-duplex';
    const CONTEXT = Buffer.from('some context bytes');

    for (const ciphers of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384']) {
      it(`our client = node:tls server, with and without context (${ciphers})`, async () => {
        const server = nodeServer({ ciphers });
        const port = await listen(server);
        const accepted = nextConnection<tls.TLSSocket>(server);
        const c = await ourClient(port);
        const peer = track(await accepted);
        expect(c.getCipher()?.name).to.equal(ciphers);
        for (const len of [1, 32, 100]) {
          expect(c.exportKeyingMaterial(len, LABEL).toString('hex'), `len ${len}`).to.equal(nodeEkm(peer, len, LABEL).toString('hex'));
        }
        expect(c.exportKeyingMaterial(48, LABEL, CONTEXT).toString('hex')).to.equal(peer.exportKeyingMaterial(48, LABEL, CONTEXT).toString('hex'));
        // An empty context is a context (RFC 5705 §4: its length is part of the seed).
        expect(c.exportKeyingMaterial(16, LABEL, Buffer.alloc(0)).toString('hex')).to.equal(peer.exportKeyingMaterial(16, LABEL, Buffer.alloc(0)).toString('hex'));
        expect(c.exportKeyingMaterial(16, LABEL, Buffer.alloc(0))).to.not.deep.equal(c.exportKeyingMaterial(16, LABEL));
      });
    }

    it('our server = node:tls client, also after a renegotiation; our two ends agree', async () => {
      const server = ourServer();
      const port = await listen(server);
      let accepted = nextConnection<SecureDuplex>(server);
      const c = await nodeClient(port);
      const sock = await accepted;
      c.resume();
      const before = sock.exportKeyingMaterial(32, LABEL, CONTEXT);
      expect(before.toString('hex')).to.equal(c.exportKeyingMaterial(32, LABEL, CONTEXT).toString('hex'));
      await renegotiate(c, 'node client renegotiation');
      const after = sock.exportKeyingMaterial(32, LABEL, CONTEXT);
      expect(after.toString('hex')).to.equal(c.exportKeyingMaterial(32, LABEL, CONTEXT).toString('hex'));
      expect(after).to.not.deep.equal(before);

      accepted = nextConnection<SecureDuplex>(server);
      const ours = await ourClient(port);
      const theirs = await accepted;
      expect(ours.exportKeyingMaterial(64, LABEL).toString('hex')).to.equal(theirs.exportKeyingMaterial(64, LABEL).toString('hex'));
      expect(ours.exportKeyingMaterial(64, LABEL, CONTEXT).toString('hex')).to.equal(theirs.exportKeyingMaterial(64, LABEL, CONTEXT).toString('hex'));
    });

    it('throws before the handshake, for reserved labels and bad arguments (node:tls codes)', async () => {
      const server = ourServer();
      const port = await listen(server);
      const c = track(connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' }));
      expect(() => c.exportKeyingMaterial(16, LABEL)).to.throw().with.property('code', 'ERR_TLS_INVALID_STATE');
      await once(c, 'secureConnect');
      expect(() => c.exportKeyingMaterial(16, 'key expansion')).to.throw().with.property('code', 'ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL');
      expect(() => c.exportKeyingMaterial(16, 'master secret')).to.throw().with.property('code', 'ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL');
      expect(() => c.exportKeyingMaterial(0, LABEL)).to.throw().with.property('code', 'ERR_OUT_OF_RANGE');
      expect(() => c.exportKeyingMaterial(16, 5 as unknown as string)).to.throw().with.property('code', 'ERR_INVALID_ARG_TYPE');
      expect(() => c.exportKeyingMaterial(16, LABEL, 'x' as unknown as Buffer)).to.throw().with.property('code', 'ERR_INVALID_ARG_TYPE');
    });
  });

  describe('getSharedSigalgs()', () => {
    for (const clientSigalgs of [undefined, 'rsa_pkcs1_sha256:ed25519:ecdsa_secp521r1_sha512:ecdsa_secp256r1_sha256:rsa_pss_rsae_sha384']) {
      it(`server side equals node:tls's for the same client (client sigalgs: ${clientSigalgs ?? 'default'})`, async () => {
        const theirs = nodeServer({ sigalgs: OUR_SIGALGS });
        const theirPort = await listen(theirs);
        const ours = ourServer();
        const ourPort = await listen(ours);
        const opts = clientSigalgs ? { sigalgs: clientSigalgs } : {};

        const a = nextConnection<tls.TLSSocket>(theirs);
        await nodeClient(theirPort, opts);
        const expected = track(await a).getSharedSigalgs();
        const b = nextConnection<SecureDuplex>(ours);
        await nodeClient(ourPort, opts);
        const got = (await b).getSharedSigalgs();
        expect(expected.length).to.be.greaterThan(0);
        expect(got).to.deep.equal(expected);
      });
    }

    it("client side equals node:tls's: [] without a CertificateRequest, the shared list with one", async () => {
      const client = pki.client;
      for (const requestCert of [false, true]) {
        const server = nodeServer({ requestCert, ca: pki.ca.certPem, sigalgs: 'rsa_pkcs1_sha256:ecdsa_secp256r1_sha256:ed448:ecdsa_secp384r1_sha384' });
        const port = await listen(server);
        server.on('secureConnection', (s: tls.TLSSocket) => track(s));
        const reference = await nodeClient(port, { cert: client.certPem, key: client.keyPem, sigalgs: OUR_SIGALGS });
        const ours = await ourClient(port, { cert: client.certPem, key: client.keyPem });
        expect(ours.getSharedSigalgs(), `requestCert ${requestCert}`).to.deep.equal(reference.getSharedSigalgs());
        if (requestCert) expect(ours.getSharedSigalgs()).to.deep.equal(['RSA+SHA256', 'ECDSA+SHA256', 'ECDSA+SHA384']);
        else expect(ours.getSharedSigalgs()).to.deep.equal([]);
      }
    });
  });

  describe('certificates, session, trace', () => {
    it('getX509Certificate() / getPeerX509Certificate() are node:crypto X509Certificates of both leaves', async () => {
      const server = ourServer({ requestCert: true, ca: pki.ca.certPem });
      const port = await listen(server);
      const accepted = nextConnection<SecureDuplex>(server);
      const c = track(connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', cert: pki.client.certPem, key: pki.client.keyPem }));
      expect(c.getX509Certificate()).to.equal(undefined);
      expect(c.getPeerX509Certificate()).to.equal(undefined);
      await once(c, 'secureConnect');
      const sock = await accepted;
      const serverLeaf = new X509Certificate(pki.leaves['ec-p256'].certPem);
      const clientLeaf = new X509Certificate(pki.client.certPem);
      expect(c.getPeerX509Certificate()).to.be.instanceOf(X509Certificate);
      expect(c.getPeerX509Certificate()!.fingerprint256).to.equal(serverLeaf.fingerprint256);
      expect(c.getX509Certificate()!.fingerprint256).to.equal(clientLeaf.fingerprint256);
      expect(sock.getX509Certificate()!.fingerprint256).to.equal(serverLeaf.fingerprint256);
      expect(sock.getPeerX509Certificate()!.fingerprint256).to.equal(clientLeaf.fingerprint256);
      // node:tls shapes: ephemeral key info on the client only; the client's SNI name.
      expect(c.getEphemeralKeyInfo()).to.deep.equal({ type: 'ECDH', name: 'X25519', size: 253 });
      expect(sock.getEphemeralKeyInfo()).to.equal(null);
      expect(c.servername).to.equal('localhost');
      expect(sock.servername).to.equal('localhost');
      // Sessions are serialized for resumption (spec/resumption.spec.ts).
      expect(Buffer.isBuffer(c.getSession())).to.equal(true);
    });

    it('enableTrace (option and method): the handshake messages, ChangeCipherSpecs and alerts of both sides on stderr, renegotiation included', async () => {
      const lines: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string | Uint8Array): boolean => {
        lines.push(...String(chunk).split('\n').filter((l) => l.startsWith('TLS trace')));
        return true;
      }) as typeof process.stderr.write;
      try {
        const server = ourServer({ enableTrace: true });
        const port = await listen(server);
        const accepted = nextConnection<SecureDuplex>(server);
        const c = await ourClient(port, { enableTrace: true });
        const s = await accepted;
        s.resume();
        c.resume();
        await renegotiate(c, 'traced renegotiation');
        const closed = once(s, 'end');
        const peerClosed = once(c, 'end');
        c.end();
        await closed;
        s.end();
        await peerClosed;
      } finally {
        process.stderr.write = write;
      }
      const client = lines.filter((l) => l.startsWith('TLS trace (client): ')).map((l) => l.slice(20).replace(/ \(\d+ bytes\)$/, ''));
      const server = lines.filter((l) => l.startsWith('TLS trace (server): ')).map((l) => l.slice(20).replace(/ \(\d+ bytes\)$/, ''));
      const fullClient = [
        'Sent handshake: client_hello', 'Received handshake: server_hello', 'Received handshake: certificate',
        'Received handshake: server_key_exchange', 'Received handshake: server_hello_done', 'Sent handshake: client_key_exchange',
        'Sent ChangeCipherSpec', 'Sent handshake: finished',
      ];
      // Initial handshake (the server sends a ticket), then the renegotiation, then close_notify.
      expect(client.slice(0, 8)).to.deep.equal(fullClient);
      expect(client).to.include('Received handshake: new_session_ticket');
      expect(client.filter((l) => l === 'Sent handshake: client_hello')).to.have.length(2);
      expect(client).to.include('Sent alert: warning close_notify');
      expect(server.slice(0, 3)).to.deep.equal(['Received handshake: client_hello', 'Sent handshake: server_hello', 'Sent handshake: certificate']);
      expect(server).to.include('Received alert: warning close_notify');
    });
  });

  describe('setServername()', () => {
    it('sets the SNI name a node:tls server sees; throws after the handshake started and on a server', async () => {
      const server = nodeServer();
      const port = await listen(server);
      const accepted = nextConnection<tls.TLSSocket>(server);
      // No servername: connecting to an IP address sends no SNI; setServername() adds one. The
      // certificate is still checked against the host (127.0.0.1 is in the test leaf).
      const c = track(connect({ host: '127.0.0.1', port, ca: pki.ca.certPem }));
      c.setServername('sni.example');
      await once(c, 'secureConnect');
      expect(c.authorized).to.equal(true);
      expect(c.servername).to.equal('sni.example');
      // No client certificate: {} as node:tls (null once destroyed).
      expect(c.getCertificate()).to.deep.equal({});
      expect((track(await accepted) as tls.TLSSocket & { servername: string }).servername).to.equal('sni.example');
      expect(() => c.setServername('late.example')).to.throw().with.property('code', 'ERR_TLS_INVALID_STATE');
      expect(() => c.setServername(7 as unknown as string)).to.throw().with.property('code', 'ERR_INVALID_ARG_TYPE');

      const ours = ourServer();
      const ourPort = await listen(ours);
      const ourAccepted = nextConnection<SecureDuplex>(ours);
      await ourClient(ourPort);
      let err: unknown;
      try {
        (await ourAccepted).setServername('x');
      } catch (e) {
        err = e;
      }
      expect(err).to.have.property('code', 'ERR_TLS_SNI_FROM_SERVER');
    });
  });

  describe('disableRenegotiation()', () => {
    it('server: a client-initiated renegotiation is refused and the connection goes on; own renegotiate() fails', async () => {
      const server = ourServer();
      const port = await listen(server);
      const accepted = nextConnection<SecureDuplex>(server);
      const c = await ourClient(port);
      const sock = await accepted;
      sock.disableRenegotiation();
      // As node:tls, the server socket also emits ERR_TLS_RENEGOTIATION_DISABLED (not fatal).
      const disabled = once<NodeJS.ErrnoException>(sock, 'error', 'ERR_TLS_RENEGOTIATION_DISABLED');
      let refused: Error | undefined;
      try {
        await renegotiate(c, 'refused renegotiation');
      } catch (e) {
        refused = e as Error;
      }
      expect(refused).to.have.property('code', 'ERR_TLS_RENEGOTIATION_REFUSED');
      expect((await disabled).code).to.equal('ERR_TLS_RENEGOTIATION_DISABLED');
      expect(sock.renegotiations).to.equal(0);
      // Still usable both ways.
      const got = once<Buffer>(sock, 'data');
      c.write('after');
      expect((await got).toString()).to.equal('after');
      let own: Error | null | undefined;
      const done = new Promise<void>((res) => {
        expect(sock.renegotiate({}, (e) => {
          own = e;
          res();
        })).to.equal(false);
      });
      await within(done, 'renegotiate callback');
      expect(own).to.have.property('code', 'ERR_TLS_RENEGOTIATION_DISABLED');
    });

    it('client: a HelloRequest from openssl s_server gets no_renegotiation (OpenSSL 3 then ends the connection)', async function () {
      requirePeer(this, 'openssl');
      const leaf = pki.leaves['ec-p256'];
      const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, commands: true });
      const port = s.port;
      cleanups.push(() => void s.kill());
      const c = await ourClient(port);
      c.disableRenegotiation();
      const failed = once<Error & { alertReceived?: string }>(c, 'error', 'our client error');
      await s.write('r\n');
      // OpenSSL treats a no_renegotiation answer to its HelloRequest as fatal
      // (SSL_R_NO_RENEGOTIATION, handshake_failure alert).
      const err = await failed;
      expect(err.alertReceived).to.equal('handshake_failure');
      await s.waitFor(/no renegotiation/);
      expect(c.renegotiations).to.equal(0);
    });
  });

  describe('ALPNCallback', () => {
    type AlpnArgs = { servername: string | undefined; protocols: string[] };
    /** Run node:tls's server and ours with the same ALPNCallback; the same node:tls client
     *  offering h2 + http/1.1 connects to each. Resolves the client's result per server. */
    async function bothServers(pick: (a: AlpnArgs) => string | undefined): Promise<{ node: unknown; ours: unknown; seen: AlpnArgs[] }> {
      const seen: AlpnArgs[] = [];
      const cb = (a: AlpnArgs): string | undefined => {
        seen.push(a);
        return pick(a);
      };
      const results: unknown[] = [];
      for (const server of [nodeServer({ ALPNCallback: cb } as tls.TlsOptions), ourServer({ ALPNCallback: cb })]) {
        server.on('tlsClientError', () => undefined);
        const port = await listen(server);
        const c = track(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2', ALPNProtocols: ['h2', 'http/1.1'] }));
        results.push(await within(new Promise((res) => {
          c.once('secureConnect', () => res({ alpn: c.alpnProtocol }));
          c.once('error', (e: NodeJS.ErrnoException) => res({ error: e.code }));
        }), 'client outcome'));
      }
      return { node: results[0], ours: results[1], seen };
    }

    it('the callback picks the protocol; undefined refuses with no_application_protocol (both as node:tls)', async () => {
      const picked = await bothServers((a) => a.protocols[1]);
      expect(picked.ours).to.deep.equal({ alpn: 'http/1.1' });
      expect(picked.ours).to.deep.equal(picked.node);
      expect(picked.seen).to.deep.equal([{ servername: 'localhost', protocols: ['h2', 'http/1.1'] }, { servername: 'localhost', protocols: ['h2', 'http/1.1'] }]);
      const refused = await bothServers(() => undefined);
      expect(refused.ours).to.deep.equal({ error: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' });
      expect(refused.ours).to.deep.equal(refused.node);
    });

    it('a protocol the client did not offer is ERR_TLS_ALPN_CALLBACK_INVALID_RESULT (tlsClientError, internal_error alert); ALPNProtocols with it throws', async () => {
      const server = ourServer({ ALPNCallback: () => 'spdy/3' });
      const port = await listen(server);
      const serverError = once<{ code: string }>(server, 'tlsClientError');
      const c = track(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2', ALPNProtocols: ['h2'] }));
      const clientError = once<{ code: string }>(c, 'error');
      expect((await serverError).code).to.equal('ERR_TLS_ALPN_CALLBACK_INVALID_RESULT');
      expect((await clientError).code).to.equal('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');
      // A client without ALPN never reaches the callback: no protocol, no error.
      const plain = await nodeClient(port);
      expect(plain.alpnProtocol).to.equal(false);
      expect(() => ourServer({ ALPNCallback: () => 'h2', ALPNProtocols: ['h2'] })).to.throw().with.property('code', 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS');
      expect(() => tls.createServer({ ALPNCallback: () => 'h2', ALPNProtocols: ['h2'] } as tls.TlsOptions)).to.throw().with.property('code', 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS');
    });
  });

  describe('secureContext, setKeyCert(), net.Socket members, module functions', () => {
    let other: { certPem: string; keyPem: string };
    before(() => {
      other = generateCertificate({ issuer: { certPem: pki.ca.certPem, keyPem: pki.ca.keyPem }, commonName: 'other.test', altNames: ['localhost'], extKeyUsage: ['serverAuth'] });
    });
    const peerCn = (c: { getPeerCertificate(): object }): string => String((c.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN);

    it('connect({ secureContext }): its cert/key/ca replace the options, as node:tls; a node:tls context is refused', async () => {
      const server = nodeServer({ requestCert: true, rejectUnauthorized: true, ca: pki.ca.certPem });
      const port = await listen(server);
      const accepted = nextConnection<tls.TLSSocket>(server);
      const secureContext = createSecureContext({ cert: pki.client.certPem, key: pki.client.keyPem, ca: pki.ca.certPem });
      // The cert, key and ca given beside it are ignored (a wrong ca would fail the handshake).
      const c = await ourClient(port, { secureContext, ca: other.certPem, cert: other.certPem, key: other.keyPem });
      expect(c.authorized).to.equal(true);
      const s = await accepted;
      expect(s.authorized).to.equal(true);
      expect(String(s.getPeerCertificate().subject?.CN)).to.equal('client');
      expect(() => connect({ port, secureContext: tls.createSecureContext({}) as never })).to.throw().with.property('code', 'ERR_TLS_INVALID_CONTEXT');
    });

    it('setKeyCert() from an ALPNCallback picks this handshake\'s certificate; on a server socket later, the next renegotiation\'s', async () => {
      const server = ourServer({
        ALPNCallback(this: SecureDuplex, { protocols }) {
          if (protocols.includes('other')) this.setKeyCert({ cert: other.certPem, key: other.keyPem });
          return protocols[0];
        },
      });
      const port = await listen(server);
      const a = await nodeClient(port, { ALPNProtocols: ['other'] });
      expect(peerCn(a)).to.equal('other.test');
      const accepted = nextConnection<SecureDuplex>(server);
      const b = await nodeClient(port, { ALPNProtocols: ['plain'] });
      expect(peerCn(b)).to.equal('localhost');
      const s = await accepted;
      expect(peerCn({ getPeerCertificate: () => s.getCertificate() ?? {} })).to.equal('localhost');
      // node:tls clients accept a new server certificate in a renegotiation (OpenSSL does not check).
      s.setKeyCert(createSecureContext({ cert: other.certPem, key: other.keyPem }));
      b.resume();
      await renegotiate(s, 'server renegotiation after setKeyCert');
      expect(peerCn(b)).to.equal('other.test');
      expect(peerCn({ getPeerCertificate: () => s.getCertificate() ?? {} })).to.equal('other.test');
      expect(() => s.setKeyCert({})).to.throw().with.property('code', 'ERR_INVALID_ARG_VALUE');
    });

    it('net.Socket members: connecting, pending, readyState, bytesRead/bytesWritten, highWaterMark, path, destroySoon(), resetAndDestroy()', async () => {
      const sockPath = path.join(peersTmpDir(), `surface-${process.pid}.sock`);
      fs.rmSync(sockPath, { force: true });
      const server = ourServer();
      cleanups.push(() => server.close());
      await new Promise<void>((res) => server.listen(sockPath, () => res()));
      const serverSide = nextConnection<SecureDuplex>(server);
      const c = track(connect({ path: sockPath, ca: pki.ca.certPem, servername: 'localhost', highWaterMark: 1234 }));
      expect(c.connecting).to.equal(true);
      expect(c.pending).to.equal(true);
      expect(c.readyState).to.equal('opening');
      await once(c, 'secureConnect');
      expect(c.authorized).to.equal(true);
      expect([c.connecting, c.pending, c.readyState]).to.deep.equal([false, false, 'open']);
      expect(c.readableHighWaterMark).to.equal(1234);
      expect(c.bytesRead).to.be.above(500); // ServerHello .. Finished
      expect(c.bytesWritten).to.be.above(100);
      const s = await serverSide;
      s.resume();
      // The server's own close_notify may meet a closed socket (EPIPE), as with node:tls.
      s.on('error', () => undefined);
      // destroySoon(): close_notify goes out, then the socket is destroyed; the peer sees 'end'.
      const ended = once(s, 'end');
      const closed = once(c, 'close', 'destroySoon close');
      c.destroySoon();
      await ended;
      await closed;
      expect(c.readyState).to.equal('closed');

      // resetAndDestroy(): a TCP RST, no close_notify: the peer fails with ECONNRESET.
      const server2 = ourServer();
      const port = await listen(server2);
      const accepted = nextConnection<SecureDuplex>(server2);
      const d = await ourClient(port);
      const peer = await accepted;
      const peerError = new Promise<NodeJS.ErrnoException>((res) => peer.once('error', res));
      d.resetAndDestroy();
      expect(d.destroyed).to.equal(true);
      expect((await within(peerError, 'peer error')).code).to.equal('ECONNRESET');
    });

    it('module functions: getCiphers(), DEFAULT_*, rootCertificates, checkServerIdentity() as node:tls', async () => {
      const ours = getCiphers();
      expect(ours).to.have.length(ALL_CIPHER_SUITES.length);
      expect(ours).to.include('dhe-rsa-aes128-gcm-sha256');
      expect(ours).to.include('psk-aes128-gcm-sha256');
      // node's getCiphers() lists OpenSSL's DEFAULT, which leaves out the CCM suites (its
      // COMPLEMENTOFDEFAULT); node:tls still takes them by name.
      for (const c of ours) {
        if (c.includes('-ccm')) expect(() => tls.createSecureContext({ ciphers: c.toUpperCase() }), c).to.not.throw();
        else expect(tls.getCiphers(), c).to.include(c);
      }
      expect(() => tls.createSecureContext({ ciphers: DEFAULT_CIPHERS })).to.not.throw();
      expect([DEFAULT_MIN_VERSION, DEFAULT_MAX_VERSION, DEFAULT_ECDH_CURVE]).to.deep.equal(['TLSv1.2', 'TLSv1.2', 'auto']);
      expect(rootCertificates).to.equal(tls.rootCertificates);
      const port = await listen(nodeServer());
      const c = await nodeClient(port);
      const cert = c.getPeerCertificate();
      for (const host of ['localhost', 'LOCALHOST.', '127.0.0.1', 'example.com', '10.0.0.1']) {
        const mine = checkServerIdentity(host, cert);
        const theirs = tls.checkServerIdentity(host, cert);
        expect(mine?.message, host).to.equal(theirs?.message);
        expect((mine as { code?: string } | undefined)?.code, host).to.equal((theirs as { code?: string } | undefined)?.code);
      }
    });
  });

  describe('new SecureDuplex(socket, node:tls TLSSocket options) (exported as TLSSocket)', () => {
    /** A plain TCP server whose connections are wrapped by `wrap` (a STARTTLS-style server). */
    async function plainServer(wrap: (s: import('node:net').Socket) => NodeJS.EventEmitter): Promise<{ port: number; sockets: NodeJS.EventEmitter[] }> {
      const sockets: NodeJS.EventEmitter[] = [];
      const server = net.createServer((raw) => { sockets.push(wrap(raw)); });
      cleanups.push(() => server.close());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      return { port: (server.address() as AddressInfo).port, sockets };
    }

    it('server side: the same options as new tls.TLSSocket(socket, { isServer, secureContext, requestCert, ... }) give the same result to a node:tls client', async () => {
      const leaf = pki.leaves['ec-p256'];
      const results: unknown[] = [];
      for (const kind of ['node', 'ours'] as const) {
        const secured: (tls.TLSSocket | SecureDuplex)[] = [];
        const { port } = await plainServer((raw) => {
          const opts = { isServer: true, requestCert: true, rejectUnauthorized: false, ca: pki.ca.certPem };
          const s = kind === 'node'
            ? new tls.TLSSocket(raw, { ...opts, secureContext: tls.createSecureContext({ cert: leaf.certPem, key: leaf.keyPem, ca: pki.ca.certPem, maxVersion: 'TLSv1.2' }) })
            : new TLSSocket(raw, { ...opts, secureContext: createSecureContext({ cert: leaf.certPem, key: leaf.keyPem, ca: pki.ca.certPem }) });
          s.on('error', () => undefined);
          s.once('secure', () => {
            secured.push(s);
            s.write(`hello ${String((s.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN)} authorized=${s.authorized}\n`);
          });
          track(s);
          return s;
        });
        const c = await nodeClient(port, { cert: pki.client.certPem, key: pki.client.keyPem });
        const line = await once<Buffer>(c, 'data', 'greeting');
        results.push({ authorized: c.authorized, greeting: line.toString(), protocol: secured[0]!.getProtocol() });
      }
      // One difference: node's TLSSocket made outside a tls.Server never checks the client's
      // certificate (tls.Server does it), so its `authorized` stays false; ours checks it.
      expect(results[0]).to.deep.equal({ authorized: true, greeting: 'hello client authorized=false\n', protocol: 'TLSv1.2' });
      expect(results[1]).to.deep.equal({ authorized: true, greeting: 'hello client authorized=true\n', protocol: 'TLSv1.2' });
    });

    it('server side with an SNICallback; client side over an existing socket (handshake at once, chain verified, name only with servername)', async () => {
      const other = generateCertificate({ issuer: { certPem: pki.ca.certPem, keyPem: pki.ca.keyPem }, commonName: 'other.test', altNames: ['other.test'], extKeyUsage: ['serverAuth'] });
      const leaf = pki.leaves['ec-p256'];
      const { port } = await plainServer((raw) => {
        const s = new TLSSocket(raw, {
          isServer: true, cert: leaf.certPem, key: leaf.keyPem,
          SNICallback(name, cb) { cb(null, name === 'other.test' ? { cert: other.certPem, key: other.keyPem } : null); },
        });
        s.on('error', () => undefined);
        s.on('data', (d: Buffer) => s.write(d));
        return track(s);
      });
      const cn = (c: SecureDuplex): string => String((c.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN);
      // Our client over a socket we connected ourselves: no host name, no name check.
      const raw = net.connect(port, '127.0.0.1');
      const c = track(new TLSSocket(raw, { ca: pki.ca.certPem, servername: 'other.test' }));
      expect(c.getProtocol()).to.equal(null); // still connecting
      // Before the handshake, as a fresh node:tls TLSSocket: nulls, not undefined.
      const fresh = new tls.TLSSocket(new net.Socket());
      expect([c.authorizationError, c.servername, c.alpnProtocol]).to.deep.equal([fresh.authorizationError, fresh.servername, fresh.alpnProtocol]);
      expect(c.authorizationError).to.equal(null);
      await once(c, 'secure', 'client secure');
      expect([cn(c), c.authorized, c.getProtocol()]).to.deep.equal(['other.test', true, 'TLSv1.2']);
      c.write('ping');
      expect((await once<Buffer>(c, 'data', 'echo')).toString()).to.equal('ping');
      // No servername: no SNI (the default certificate) and no name check, as node's TLSSocket.
      const d = track(new TLSSocket(net.connect(port, '127.0.0.1'), { ca: pki.ca.certPem }));
      await once(d, 'secure', 'client without servername');
      expect([cn(d), d.authorized]).to.deep.equal(['localhost', true]);
      // An untrusted chain is still refused (rejectUnauthorized defaults to true).
      const e = track(new TLSSocket(net.connect(port, '127.0.0.1'), { ca: other.certPem }));
      const err = await once<NodeJS.ErrnoException>(e, 'error', 'untrusted').catch((x: NodeJS.ErrnoException) => x);
      expect(err.code).to.equal('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });
  });

  describe('SNI: Server addContext() and SNICallback', () => {
    let other: { certPem: string; keyPem: string };
    let wild: { certPem: string; keyPem: string };
    before(() => {
      const issuer = { certPem: pki.ca.certPem, keyPem: pki.ca.keyPem };
      other = generateCertificate({ issuer, commonName: 'other.test', altNames: ['other.test'], extKeyUsage: ['serverAuth'] });
      wild = generateCertificate({ issuer, keyType: 'rsa2048', commonName: '*.wild.test', altNames: ['*.wild.test'], extKeyUsage: ['serverAuth'] });
    });

    const peerCn = (c: tls.TLSSocket): string => String(c.getPeerCertificate().subject?.CN);

    it('addContext(): node:tls clients get the certificate for their servername, others the default', async () => {
      const server = ourServer();
      server.addContext('other.test', { cert: other.certPem, key: other.keyPem });
      server.addContext('*.wild.test', createSecureContext({ cert: wild.certPem, key: wild.keyPem }));
      const port = await listen(server);
      const names: (string | false | null)[] = [];
      server.on('secureConnection', (s: SecureDuplex) => names.push(s.servername));
      for (const [servername, cn] of [['other.test', 'other.test'], ['a.wild.test', '*.wild.test'], ['localhost', 'localhost']] as const) {
        const c = await nodeClient(port, { servername });
        expect(c.authorized, servername).to.equal(true);
        expect(peerCn(c), servername).to.equal(cn);
      }
      expect(names).to.deep.equal(['other.test', 'a.wild.test', 'localhost']);
      // '*' is one label only, as in node:tls: a.b.wild.test gets the default certificate.
      const deep = await nodeClient(port, { servername: 'a.b.wild.test', checkServerIdentity: () => undefined });
      expect(peerCn(deep)).to.equal('localhost');
    });

    it('SNICallback answering later (async): the chosen certificate, kept across a renegotiation', async () => {
      const seen: string[] = [];
      const server = ourServer({
        SNICallback(servername, cb) {
          seen.push(servername);
          setTimeout(() => cb(null, servername === 'other.test' ? createSecureContext({ cert: other.certPem, key: other.keyPem }) : undefined), 30);
        },
      });
      const port = await listen(server);
      const c = await nodeClient(port, { servername: 'other.test' });
      expect(c.authorized).to.equal(true);
      expect(peerCn(c)).to.equal('other.test');
      c.resume();
      await renegotiate(c, 'renegotiation after SNI');
      expect(peerCn(c)).to.equal('other.test');
      const d = await nodeClient(port, { servername: 'localhost' });
      expect(peerCn(d)).to.equal('localhost');
      expect(seen).to.deep.equal(['other.test', 'localhost']);
    });

    it('SNICallback answering synchronously with options; an error fails the handshake (tlsClientError)', async () => {
      const server = ourServer({
        SNICallback(servername, cb) {
          if (servername === 'bad.test') cb(new Error('no certificate for bad.test'));
          else cb(null, { cert: other.certPem, key: other.keyPem });
        },
      });
      const port = await listen(server);
      const c = await nodeClient(port, { servername: 'other.test' });
      expect(peerCn(c)).to.equal('other.test');
      const clientError = once(server, 'tlsClientError');
      const bad = track(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'bad.test', maxVersion: 'TLSv1.2' }));
      const badClientFailed = once<Error>(bad, 'error');
      expect(((await clientError) as Error).message).to.equal('no certificate for bad.test');
      await badClientFailed;
    });
  });
});
