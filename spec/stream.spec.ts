// SecureDuplex over real loopback TCP sockets and over an in-memory Duplex pair.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { connect, createServer, type SecureDuplex, type Server, TlsError } from '../lib/index.js';
import { duplexPair } from './helpers/duplex-pair.js';
import { makePki } from './helpers/pki.js';
import { receiveHashed, sendSeeded } from './helpers/stream-transfer.js';

const MiB = 1024 * 1024;

function listen(server: Server | tls.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function once<T = unknown>(emitter: NodeJS.EventEmitter, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    emitter.once(event, (v: T) => resolve(v));
    if (event !== 'error') emitter.once('error', reject);
  });
}

describe('SecureDuplex over TCP', function () {
  this.timeout(60_000);
  const pki = makePki();
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('echo server: 1 MiB each way, SHA-256 intact', async () => {
    server = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem }, (s) => s.pipe(s));
    const port = await listen(server);
    const c = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem });
    await once(c, 'secureConnect');
    expect(c.authorized).to.equal(true);
    expect(c.getProtocol()).to.equal('TLSv1.2');
    const [sent, got] = await Promise.all([sendSeeded(c, 'echo', MiB), receiveHashed(c, MiB)]);
    expect(got.sha256).to.equal(sent.sha256);
    c.end();
    await once(c, 'close');
  });

  it('connect({ socket }) over an in-memory Duplex pair, with Server.wrap on the other end', async () => {
    const [a, b] = duplexPair();
    const srv = createServer({ cert: pki.leaves.ed25519.certPem, key: pki.leaves.ed25519.keyPem });
    const serverSide = srv.wrap(b);
    serverSide.on('data', (d) => serverSide.write(d));
    const c = connect({ socket: a, servername: 'localhost', ca: pki.ca.certPem });
    await once(c, 'secureConnect');
    const [sent, got] = await Promise.all([sendSeeded(c, 'mem', 256 * 1024), receiveHashed(c, 256 * 1024)]);
    expect(got.sha256).to.equal(sent.sha256);
    expect(c.getCipher()?.standardName).to.equal('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    c.destroy();
  });

  const failures: [string, () => { certPem: string; keyPem: string; certChainPem?: string }, string][] = [
    ['unknown CA', () => pki.leaves['ec-p256'], 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['wrong host', () => pki.wrongHost, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['expired', () => pki.expired, 'CERT_HAS_EXPIRED'],
    ['self-signed', () => pki.selfSigned, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  ];
  for (const [name, entry, code] of failures) {
    it(`certificate failure (${name}) gives node:tls's code ${code}, and the same as node:tls itself`, async () => {
      const e = entry();
      const trust = name === 'unknown CA' ? [] : [pki.ca.certPem];
      server = createServer({ cert: e.certPem, key: e.keyPem }, (s) => s.end());
      const serverErrors: Error[] = [];
      server.on('tlsClientError', (err: Error) => serverErrors.push(err));
      const port = await listen(server);
      const c = connect({ host: '127.0.0.1', port, ca: trust, servername: 'localhost' });
      const err = await once<TlsError>(c, 'error').catch((x: TlsError) => x);
      expect(err).to.be.instanceOf(TlsError);
      expect(err.code).to.equal(code);
      // node:tls against the same server reports the same code.
      const nodeErr = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const n = tls.connect({ host: '127.0.0.1', port, ca: trust, servername: 'localhost', maxVersion: 'TLSv1.2' });
        n.on('error', resolve);
        n.on('secureConnect', () => resolve(new Error('connected') as NodeJS.ErrnoException));
      });
      expect(nodeErr.code).to.equal(code);
      // With rejectUnauthorized false the connection proceeds and says why it is not authorized.
      const lax = connect({ host: '127.0.0.1', port, ca: trust, servername: 'localhost', rejectUnauthorized: false });
      await once(lax, 'secureConnect');
      expect(lax.authorized).to.equal(false);
      expect(lax.authorizationError).to.equal(code);
      lax.destroy();
    });
  }

  it('a fatal alert from the peer surfaces as an error naming the alert', async () => {
    server = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem });
    const port = await listen(server);
    const serverErr = once<TlsError>(server, 'tlsClientError');
    const c = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    const err = await once<TlsError>(c, 'error').catch((x: TlsError) => x);
    expect(err.code).to.equal('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
    expect(err.alertReceived).to.equal('handshake_failure');
    expect((await serverErr).code).to.equal('ERR_TLS_HANDSHAKE_FAILURE');
  });

  it('rejects a version range without TLS 1.2 with a typed error', () => {
    expect(() => connect({ port: 1, minVersion: 'TLSv1.3' })).to.throw(TlsError).with.property('code', 'ERR_TLS_NO_PROTOCOLS_AVAILABLE');
  });

  it('a P-256 server that signs with {sha384, ecdsa} (TLS 1.2 allows it; OpenSSL does it when asked) is accepted', async () => {
    const leaf = pki.leaves['ec-p256'];
    const nodeServer = tls.createServer({
      cert: leaf.certPem, key: leaf.keyPem, maxVersion: 'TLSv1.2', sigalgs: 'ecdsa_secp384r1_sha384:ecdsa_secp256r1_sha256',
    }, (s) => s.end('signed with sha384'));
    const port = await listen(nodeServer);
    try {
      const c = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', sigalgs: 'ecdsa_secp384r1_sha384:ecdsa_secp256r1_sha256' });
      const chunks: Buffer[] = [];
      c.on('data', (d: Buffer) => chunks.push(d));
      await once(c, 'end');
      expect(Buffer.concat(chunks).toString()).to.equal('signed with sha384');
      expect(c.engine.session?.signatureScheme).to.equal(0x0503);
    } finally {
      nodeServer.close();
    }
  });

  it('ALPN is negotiated as node:tls does', async () => {
    server = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, ALPNProtocols: ['h2', 'http/1.1'] }, (s) => s.end());
    const port = await listen(server);
    const c = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, ALPNProtocols: ['http/1.1'] });
    await once(c, 'secureConnect');
    expect(c.alpnProtocol).to.equal('http/1.1');
    c.destroy();
  });

  it('a slow reader is backpressure: nothing lost, transport paused, bounded buffering', async () => {
    const total = 8 * MiB;
    let serverSide: SecureDuplex | undefined;
    server = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem }, (s) => { serverSide = s; });
    const port = await listen(server);
    const c = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem });
    await once(c, 'secureConnect');
    while (!serverSide) await new Promise((r) => setTimeout(r, 5));
    const sending = sendSeeded(serverSide, 'slow', total);
    // Do not read for a while: the client's readable buffer must stay near its highWaterMark.
    c.pause();
    await new Promise((r) => setTimeout(r, 300));
    expect(c.readableLength).to.be.below(c.readableHighWaterMark + 96 * 1024);
    const received = receiveHashed(c, total);
    c.resume();
    const [sent, got] = await Promise.all([sending, received]);
    expect(got.sha256).to.equal(sent.sha256);
    c.destroy();
  });
});
