// DTLS through a lossy UDP relay on loopback: real sockets and real timers.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { connect, createServer, type DtlsServer, type SecureDuplex } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import { UdpRelay } from './helpers/udp-relay.js';

describe('DTLS through a lossy UDP relay', function () {
  this.timeout(120_000);
  const pki = makePki();
  let server: DtlsServer | undefined;
  let relay: UdpRelay | undefined;
  afterEach(() => {
    server?.destroy();
    relay?.close();
  });

  async function setup(rates: ConstructorParameters<typeof UdpRelay>[1], seed: string) {
    let serverSide: SecureDuplex | undefined;
    const dtls = { initialTimeout: 100, maxTimeout: 1000, handshakeTimeout: 30_000 };
    server = createServer({
      transport: 'udp', cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, renegotiationLimit: 1000, dtls,
    }, (s) => { serverSide = s; s.on('error', () => undefined); });
    const serverPort = await new Promise<number>((r) => server!.listen(0, '127.0.0.1', () => r(server!.address().port)));
    relay = new UdpRelay(serverPort, rates, seed);
    const port = await relay.listen();
    const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', renegotiationLimit: 1000, dtls });
    await new Promise<void>((resolve, reject) => { c.once('secureConnect', resolve); c.once('error', reject); });
    for (let i = 0; i < 200 && !serverSide; i++) await new Promise((r) => setTimeout(r, 5));
    return { c, s: serverSide! };
  }

  function renegotiateBoth(starter: SecureDuplex, other: SecureDuplex): Promise<void> {
    const seen = new Promise<void>((r) => other.once('renegotiated', () => r()));
    const done = new Promise<void>((resolve, reject) => {
      if (!starter.renegotiate({}, (e) => (e ? reject(e) : resolve()))) reject(new Error('renegotiate() returned false'));
    });
    return Promise.all([done, seen]).then(() => undefined);
  }

  it('handshake and 20 renegotiations at 10 % loss with reordering and duplicates, data flowing', async () => {
    const { c, s } = await setup({ loss: 0.1, reorder: 0.2, duplicate: 0.05 }, 'relay-lossy');
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    s.on('error', (e) => errors.push(e));
    let received = 0;
    s.on('data', () => { received++; });
    const pump = setInterval(() => c.write(Buffer.from('tick')), 5);
    try {
      for (let i = 0; i < 20; i++) await renegotiateBoth(i % 2 === 0 ? c : s, i % 2 === 0 ? s : c);
    } finally {
      clearInterval(pump);
    }
    expect(errors).to.deep.equal([]);
    expect(c.renegotiations).to.equal(20);
    expect(s.renegotiations).to.equal(20);
    expect(relay!.stats.dropped).to.be.greaterThan(0);
    expect(received).to.be.greaterThan(0);
    c.end();
  });

  it('lossless relay: every application datagram sent during 20 renegotiations arrives exactly once, in order', async () => {
    const { c, s } = await setup({ reorder: 0 }, 'relay-clean');
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    const sent = createHash('sha256');
    let n = 0;
    for (let i = 0; i < 20; i++) {
      const reneg = renegotiateBoth(i % 2 === 0 ? c : s, i % 2 === 0 ? s : c);
      for (let k = 0; k < 10; k++) {
        const d = Buffer.alloc(64, n % 256);
        d.writeUInt32BE(n++, 0);
        sent.update(d);
        c.write(d);
        await new Promise((r) => setImmediate(r));
      }
      await reneg;
    }
    for (let i = 0; i < 200 && got.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got.length).to.equal(n);
    const h = createHash('sha256');
    for (const d of got) h.update(d);
    expect(h.digest('hex')).to.equal(sent.digest('hex'));
    c.end();
  });
});
