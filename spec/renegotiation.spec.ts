// Renegotiation with application data flowing both ways over real loopback TCP:
// nothing is dropped, every renegotiation completes, suites change, certificates are requested.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type SecureDuplex, type Server, TlsError } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import { receiveHashed, sendSeeded } from './helpers/stream-transfer.js';
import { RENEGOTIATION_READ_CAP } from '../lib/shell/secure-duplex.js';

const MiB = 1024 * 1024;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function whenClosed(s: SecureDuplex): Promise<void> {
  return s.destroyed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));
}

/** Renegotiate from `s` and wait until `peer` has seen it complete too (the initiator's
 *  callback can fire before the peer has processed the last Finished). */
function renegotiate(s: SecureDuplex, opts: Parameters<SecureDuplex['renegotiate']>[0], peer?: SecureDuplex): Promise<void> {
  const peerDone = peer ? new Promise<void>((resolve) => peer.once('renegotiated', () => resolve())) : Promise.resolve();
  const local = new Promise<void>((resolve, reject) => {
    const started = s.renegotiate(opts, (err) => (err ? reject(err) : resolve()));
    if (!started) reject(new Error('renegotiate() returned false'));
  });
  return local.then(() => peerDone);
}

describe('Renegotiation while data flows (TCP)', function () {
  this.timeout(180_000);
  const pki = makePki();
  let server: Server | undefined;
  let serverErrors: Error[] = [];
  beforeEach(() => { serverErrors = []; });
  afterEach(() => server?.close());

  async function pair(extra: { server?: object; client?: object } = {}): Promise<{ c: SecureDuplex; s: SecureDuplex }> {
    let serverSide: SecureDuplex | undefined;
    server = createServer({
      cert: [pki.leaves['ec-p256'].certPem, pki.leaves.rsa2048.certPem],
      key: [pki.leaves['ec-p256'].keyPem, pki.leaves.rsa2048.keyPem],
      ca: pki.ca.certPem,
      renegotiationLimit: 1000,
      // The ECDSA certificate first (the default list, OpenSSL's order, starts with an RSA suite):
      // the tests below renegotiate to other ECDSA suites, or to an RSA one to change identity.
      ciphers: 'aECDSA:aRSA',
      ...extra.server,
    }, (s) => { serverSide = s; });
    const port = await listen(server);
    const c = connect({
      host: '127.0.0.1', port, ca: pki.ca.certPem,
      cert: pki.client.certPem, key: pki.client.keyPem, renegotiationLimit: 1000, ...extra.client,
    });
    await new Promise<void>((resolve, reject) => { c.once('secureConnect', resolve); c.once('error', reject); });
    for (let i = 0; i < 200 && !serverSide; i++) await new Promise((r) => setTimeout(r, 5));
    c.setNoDelay(true);
    serverSide!.setNoDelay(true);
    // Server-side errors are asserted through the client or explicit listeners in each test.
    serverSide!.on('error', (e) => serverErrors.push(e));
    return { c, s: serverSide! };
  }

  it('32 MiB each way while 50 renegotiations alternate sides, change suites and request certificates', async () => {
    const { c, s } = await pair();
    const total = 32 * MiB;
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    s.on('error', (e) => errors.push(e));
    let midReneg = 0;
    c.on('renegotiationData', (n: number) => { midReneg += n; });
    s.on('renegotiationData', (n: number) => { midReneg += n; });
    // Suite changes stay within ECDSA: an RSA suite would switch to the server's RSA certificate,
    // which the identity check refuses (tested separately below).
    const suites = ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-GCM-SHA256'];
    const seen = new Set<string>();
    let clientCertSeen = false;
    let done = false;
    const transfers = Promise.all([
      sendSeeded(c, 'up', total, 16384),
      sendSeeded(s, 'down', total, 16384),
      receiveHashed(s, total),
      receiveHashed(c, total),
    ]).finally(() => { done = true; });
    let renegs = 0;
    while (renegs < 50) {
      const i = renegs;
      if (i % 2 === 0) {
        // Client-initiated; every third one offers a different suite.
        await renegotiate(c, i % 3 === 0 ? { ciphers: suites[(i / 2) % suites.length] } : {}, s);
      } else {
        // Server-initiated; some ask for the client's certificate.
        await renegotiate(s, { requestCert: i % 4 === 1 }, c);
        if (i % 4 === 1 && Object.keys(s.getPeerCertificate()).length > 0) clientCertSeen = s.authorized;
      }
      seen.add(c.getCipher()!.standardName);
      renegs++;
    }
    const [up, down, gotUp, gotDown] = await transfers;
    expect(errors).to.deep.equal([]);
    expect(gotUp.sha256).to.equal(up.sha256);
    expect(gotDown.sha256).to.equal(down.sha256);
    expect(c.renegotiations).to.equal(50);
    expect(s.renegotiations).to.equal(50);
    expect(seen.size).to.be.greaterThan(1);
    expect(clientCertSeen).to.equal(true);
    // The renegotiations overlapped the transfer (they were not all after it).
    expect(done || midReneg > 0).to.equal(true);
    c.end();
  });

  it('a reader that stops during renegotiations loses nothing and recovers', async () => {
    const { c, s } = await pair();
    const total = 16 * MiB;
    const sending = sendSeeded(s, 'paused', total, 65536);
    c.pause();
    await new Promise((r) => setTimeout(r, 100));
    // A renegotiation started while the reader is stopped: its handshake messages sit behind
    // unread application data in the TCP stream, so it completes once reading resumes.
    const reneg = renegotiate(c, {}, s);
    await new Promise((r) => setTimeout(r, 300));
    // Bounded: during a renegotiation the shell reads on past the highWaterMark (to reach the
    // handshake behind the data) up to RENEGOTIATION_READ_CAP, then the socket is paused.
    expect(c.readableLength).to.be.below(RENEGOTIATION_READ_CAP + 128 * 1024);
    const receiving = receiveHashed(c, total);
    c.resume();
    await reneg;
    await renegotiate(s, {}, c);
    const [sent, got] = await Promise.all([sending, receiving]);
    expect(got.sha256).to.equal(sent.sha256);
    c.end();
  });

  it('renegotiate() on a client with allowRenegotiation false on the server gets no_renegotiation; data continues', async () => {
    const { c, s } = await pair({ server: { allowRenegotiation: false } });
    const err = await renegotiate(c, {}).then(() => undefined, (e: TlsError) => e);
    expect(err).to.be.instanceOf(TlsError);
    expect(err!.code).to.equal('ERR_TLS_RENEGOTIATION_REFUSED');
    const [sent, got] = await Promise.all([sendSeeded(c, 'after-refusal', 64 * 1024), receiveHashed(s, 64 * 1024)]);
    expect(got.sha256).to.equal(sent.sha256);
    c.end();
  });

  it('a renegotiation that would change the server certificate fails with ERR_TLS_PEER_IDENTITY_CHANGED unless allowed', async () => {
    const { c } = await pair();
    const err = await renegotiate(c, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }).then(() => undefined, (e: TlsError) => e);
    expect(err?.code).to.equal('ERR_TLS_PEER_IDENTITY_CHANGED');
    await new Promise((r) => setTimeout(r, 50));
    expect(serverErrors.map((e) => (e as TlsError).alertReceived)).to.deep.equal(['handshake_failure']);
    const lax = await pair({ client: { allowPeerIdentityChange: true } });
    await renegotiate(lax.c, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, lax.s);
    expect(lax.c.getCipher()?.standardName).to.equal('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    lax.c.end();
  });

  it('an echo server (pipe) does not deadlock when renegotiations overlap a bulk transfer', async () => {
    const { c, s: serverSide } = await pair();
    serverSide.pipe(serverSide);
    const total = 24 * MiB;
    const echo = Promise.all([sendSeeded(c, 'echo-reneg', total, 65536), receiveHashed(c, total)]);
    let renegs = 0;
    let finished = false;
    void echo.finally(() => { finished = true; });
    while (!finished && renegs < 20) {
      await renegotiate(renegs % 2 === 0 ? c : serverSide!, {}, renegs % 2 === 0 ? serverSide! : c);
      renegs++;
    }
    const [sent, got] = await echo;
    expect(got.sha256).to.equal(sent.sha256);
    expect(renegs).to.be.greaterThan(0);
    c.end();
  });

  for (const closer of ['client', 'server'] as const) {
    it(`end() on the ${closer} right after it starts a renegotiation: held data is delivered and both sides close`, async () => {
      const { c, s } = await pair();
      const [closing, other] = closer === 'client' ? [c, s] : [s, c];
      const size = 256 * 1024;
      // Both directions carry data; the closer renegotiates, writes, and ends at once.
      const toOther = receiveHashed(other, size);
      const toCloser = receiveHashed(closing, size);
      const otherSent = sendSeeded(other, `${closer}-other`, size, 16384);
      const renegDone = new Promise<Error | null>((resolve) => { closing.renegotiate({}, (err) => resolve(err)); });
      const closerSent = await sendSeeded(closing, `${closer}-closer`, size, 16384);
      closing.end();
      const [gotOther, gotCloser, sentOther] = await Promise.all([toOther, toCloser, otherSent]);
      expect(gotOther.sha256).to.equal(closerSent.sha256);
      expect(gotCloser.sha256).to.equal(sentOther.sha256);
      other.end();
      closing.resume();
      other.resume();
      await Promise.all([whenClosed(closing), whenClosed(other)]);
      // The renegotiation either completed or was abandoned because the connection closed.
      const err = await renegDone;
      if (err) expect((err as TlsError).code).to.be.a('string');
    });
  }

  for (const closer of ['client', 'server'] as const) {
    it(`echo peer: the ${closer} renegotiates, writes and ends at once; everything is echoed and both close`, async () => {
      const { c, s } = await pair();
      const [closing, echo] = closer === 'client' ? [c, s] : [s, c];
      echo.pipe(echo);
      const size = 512 * 1024;
      const echoed = receiveHashed(closing, size);
      // Renegotiate half way through the writes, then end() as soon as the last write is queued.
      const sent = await sendSeeded(closing, `echo-${closer}`, size, 16384, (i) => {
        if (i === 15) closing.renegotiate({}, () => undefined);
      });
      closing.end();
      const got = await echoed;
      expect(got.sha256).to.equal(sent.sha256);
      closing.resume(); // consume to the end so 'close' can follow
      await Promise.all([whenClosed(closing), whenClosed(echo)]);
    });
  }

  it('a peer that drops TCP (FIN, no alert) in the middle of a renegotiation: the server socket still closes', async () => {
    const { c, s } = await pair();
    s.on('data', () => undefined);
    c.on('error', () => undefined);
    const closed = whenClosed(s);
    // The client asks for a renegotiation and hangs up before finishing it; the server has
    // answered with its flight and holds its writes meanwhile.
    c.renegotiate({}, () => undefined);
    const written = new Promise<void>((r) => s.write(Buffer.alloc(1000, 1), () => r()));
    c.socket.end();
    await Promise.race([
      Promise.all([closed, written]),
      new Promise((_, reject) => setTimeout(() => reject(new Error('server socket did not close')), 5000)),
    ]);
  });

  it('peer-initiated renegotiations over the limit end with ERR_TLS_SESSION_ATTACK', async () => {
    const { c, s } = await pair({ server: { renegotiationLimit: 3 } });
    const serverError = new Promise<TlsError>((resolve) => s.once('error', (e) => resolve(e as TlsError)));
    for (let i = 0; i < 3; i++) await renegotiate(c, {}, s);
    const fourth = renegotiate(c, {}).catch((e: Error) => e);
    expect((await serverError).code).to.equal('ERR_TLS_SESSION_ATTACK');
    expect(await fourth).to.be.instanceOf(Error);
  });
});
