// A HelloRequest that crosses the client's own renegotiation ClientHello (the seed's `server -m`
// with `client -i` when both start at once): RFC 5246 §7.4.1.1, the client ignores a
// HelloRequest while it is negotiating; the server takes the client's ClientHello as the answer.
// One renegotiation results, on both sides, TLS and DTLS, with data flowing.
import { expect } from 'chai';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { EnginePair } from './helpers/engine-pair.js';

const serverCert = generateCertificate({ keyType: 'ec-p256' });

for (const transport of ['tls', 'dtls'] as const) {
  describe(`renegotiations started at once by both sides (${transport.toUpperCase()})`, () => {
    it('the client ignores the HelloRequest during its own renegotiation: one renegotiation, no alert, data delivered', () => {
      const t = transport === 'dtls' ? { transport } : {};
      const p = new EnginePair({
        serverCert, seed: `crossing-${transport}`,
        client: { ...t, sendPolicy: 'eager', renegotiationLimit: 10 },
        server: { ...t, renegotiationLimit: 10 },
      });
      p.handshake();
      expect(p.client.established && p.server.established).to.equal(true);
      p.client.takeEvents();
      p.server.takeEvents();
      p.clientEvents.length = 0;
      p.serverEvents.length = 0;

      // Both start before either has seen the other's message.
      expect(p.client.renegotiate()).to.equal(true);
      expect(p.server.renegotiate()).to.equal(true);
      p.client.write(new TextEncoder().encode('msg sent during renegotiation'));
      p.collect();
      expect(p.client.handshaking && p.server.handshaking).to.equal(true);
      p.run();

      for (const [who, events] of [['client', p.clientEvents], ['server', p.serverEvents]] as const) {
        expect(EnginePair.errors(events), who).to.deep.equal([]);
        expect(events.filter((e) => e.type === 'warning'), `${who}: no no_renegotiation warning`).to.deep.equal([]);
        expect(events.filter((e) => e.type === 'handshake'), `${who}: renegotiations`).to.have.length(1);
      }
      const reneg = p.clientEvents.find((e) => e.type === 'handshake') as { renegotiation?: boolean };
      expect(reneg.renegotiation).to.equal(true);
      expect(p.client.handshaking || p.server.handshaking).to.equal(false);
      expect(EnginePair.dataOf(p.serverEvents).toString()).to.equal('msg sent during renegotiation');
      const data = p.serverEvents.find((e) => e.type === 'data') as { duringRenegotiation?: boolean };
      expect(data.duringRenegotiation).to.equal(true);

      // Still usable afterwards: another renegotiation from the server alone.
      expect(p.server.renegotiate()).to.equal(true);
      p.run();
      expect(p.clientEvents.filter((e) => e.type === 'handshake')).to.have.length(2);
      expect(EnginePair.errors(p.clientEvents)).to.deep.equal([]);
    });
  });
}
