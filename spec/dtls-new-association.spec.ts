// RFC 6347 §4.2.8: a client that comes back from the address and port of an association the
// server still holds (it lost its state, or a new socket got the same port) must get a new
// association after a cookie exchange, not be taken for the old peer.

import { expect } from 'chai';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type SecureDuplex } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import { within } from './helpers/within.js';

function boundSocket(port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

function handshake(port: number, socket: UdpSocket, provider: 'noble' | 'node'): Promise<SecureDuplex> {
  const pki = makePki();
  return within(new Promise<SecureDuplex>((resolve, reject) => {
    const c = connect({ transport: 'udp', port, host: '127.0.0.1', socket, ca: pki.ca.certPem, servername: 'localhost', cryptoProvider: provider });
    c.once('secureConnect', () => resolve(c));
    c.once('error', reject);
  }), 'DTLS handshake', 15_000);
}

describe('DTLS: a new client on the address and port of an existing association (RFC 6347 §4.2.8)', function () {
  this.timeout(60_000);

  for (const provider of ['noble', 'node'] as const) {
    it(`${provider}: the second client, from the same port after the first vanished without close_notify, gets its own association and echo`, async () => {
      const pki = makePki();
      const accepted: SecureDuplex[] = [];
      const server = createServer({ transport: 'udp', cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, cryptoProvider: provider }, (s) => {
        accepted.push(s);
        s.on('error', () => {});
        s.on('data', (d: Buffer) => s.write(d));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const port = server.address().port;
        const first = await boundSocket(0);
        const localPort = first.address().port;
        const a = await handshake(port, first, provider);
        // The first client vanishes: its socket closes, no close_notify is sent.
        first.close();
        a.destroy();
        const second = await boundSocket(localPort);
        const b = await handshake(port, second, provider);
        const echoed = await within(new Promise<string>((resolve) => {
          b.once('data', (d: Buffer) => resolve(d.toString()));
          b.write('hello from the new association');
        }), 'echo');
        expect(echoed).to.equal('hello from the new association');
        expect(accepted.length).to.equal(2);
        expect(accepted[0]!.destroyed, 'the old association is gone').to.equal(true);
        b.destroy();
        second.close();
      } finally {
        server.destroy();
      }
    });
  }
});
