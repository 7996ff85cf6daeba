// DTLS records never exceed the path MTU (RFC 6347 §4.1.1: each record fits in one datagram;
// §4.1.1.1: no reliance on IP fragmentation). A write larger than the record budget
// (mtu − record header − explicit nonce − tag) is split into records that each fit; a write that
// fits stays one record in one datagram.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { connect, type SecureDuplex } from '../lib/index.js';
import { runCleanups } from './helpers/cleanups.js';
import { makePki } from './helpers/pki.js';
import { opensslServer, randomBytesSeeded, requirePeer } from './helpers/peers.js';
import { UdpRelay } from './helpers/udp-relay.js';

describe('DTLS writes and the MTU', function () {
  this.timeout(60_000);
  const pki = makePki();
  const leaf = pki.leaves['ec-p256'];
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups));

  it('writes up to 40 000 bytes reach openssl s_server -dtls1_2 -mtu 1400 intact, every datagram ≤ 1400 bytes', async function () {
    requirePeer(this, 'openssl');
    const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, dtls: true, extraArgs: ['-mtu', '1400'] });
    const port = s.port;
    cleanups.push(() => s.proc.kill('SIGKILL'));
    // A loss-free relay in between, to see each datagram our client sends.
    const relay = new UdpRelay(port, {}, 'dtls-mtu');
    cleanups.push(() => relay.close());
    const front = await relay.listen();
    const c: SecureDuplex = connect({ transport: 'udp', host: '127.0.0.1', port: front, ca: pki.ca.certPem, servername: 'localhost', dtls: { mtu: 1400 } });
    cleanups.push(() => c.destroy());
    await new Promise<void>((res, rej) => {
      c.once('secureConnect', () => res());
      c.once('error', rej);
    });
    const cipher = c.getCipher()?.standardName ?? '';
    expect(cipher).to.match(/_GCM_/); // 8-byte explicit nonce + 16-byte tag
    const budget = 1400 - 13 - 8 - 16;

    const hash = createHash('sha256');
    let total = 0;
    for (const [i, size] of [100, budget, budget + 1, 5000, 16_384, 40_000].entries()) {
      const data = randomBytesSeeded(`dtls-mtu-${i}`, size);
      hash.update(data);
      total += size;
      const before = relay.sizes.toServer.length;
      c.write(data);
      // Paced: the next write only once s_server has printed this one (UDP has no flow control).
      await s.waitForBytes(total, 10_000);
      const datagrams = relay.sizes.toServer.slice(before);
      expect(datagrams.length, `datagrams for a ${size}-byte write`).to.equal(Math.ceil(size / budget));
      expect(Math.max(...datagrams), `largest datagram of a ${size}-byte write`).to.be.at.most(1400);
    }
    expect(s.stdoutBytes()).to.equal(total);
    expect(s.stdoutSha256()).to.equal(hash.digest('hex'));
    expect(Math.max(...relay.sizes.toServer)).to.be.at.most(1400);
  });

  it('the default MTU (1200): a 16 KiB write goes out as 15 records of at most 1200 bytes, delivered as one stream', async function () {
    requirePeer(this, 'openssl');
    const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, dtls: true });
    const port = s.port;
    cleanups.push(() => s.proc.kill('SIGKILL'));
    const relay = new UdpRelay(port, {}, 'dtls-mtu-default');
    cleanups.push(() => relay.close());
    const front = await relay.listen();
    const c = connect({ transport: 'udp', host: '127.0.0.1', port: front, ca: pki.ca.certPem, servername: 'localhost' });
    cleanups.push(() => c.destroy());
    await new Promise<void>((res, rej) => {
      c.once('secureConnect', () => res());
      c.once('error', rej);
    });
    const data = randomBytesSeeded('dtls-mtu-16k', 16_384);
    const before = relay.sizes.toServer.length;
    c.write(data);
    await s.waitForBytes(16_384, 10_000);
    const datagrams = relay.sizes.toServer.slice(before);
    expect(datagrams.length).to.equal(Math.ceil(16_384 / (1200 - 37)));
    expect(Math.max(...datagrams)).to.be.at.most(1200);
    expect(s.stdoutSha256()).to.equal(createHash('sha256').update(data).digest('hex'));
  });
});
