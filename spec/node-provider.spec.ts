// The optional node:crypto provider must be interchangeable with noble's: same AEAD output and
// the same handshake on the wire when one end uses each.
import { expect } from 'chai';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import type { AeadAlgorithm } from '../lib/crypto/provider.js';
import { CIPHER_SUITES } from '../lib/engine/cipher-suites.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { seededRandom } from './helpers/deterministic-random.js';
import { EnginePair, sha256 } from './helpers/engine-pair.js';

describe('node:crypto provider', () => {
  const rnd = seededRandom('node-provider');
  for (const alg of ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as AeadAlgorithm[]) {
    it(`${alg}: same sealed bytes as noble, opens noble's, rejects tampering`, () => {
      const key = rnd(alg === 'AES-128-GCM' ? 16 : 32);
      const a = nodeCryptoProvider.aead(alg, key);
      const b = nobleProvider.aead(alg, key);
      for (const n of [0, 1, 100, 16384]) {
        const nonce = rnd(12);
        const aad = rnd(13);
        const pt = rnd(n);
        const sealed = a.seal(nonce, aad, pt);
        expect(Buffer.from(sealed).equals(Buffer.from(b.seal(nonce, aad, pt)))).to.equal(true);
        expect(Buffer.from(a.open(nonce, aad, sealed)!).equals(Buffer.from(pt))).to.equal(true);
        const bad = sealed.slice();
        bad[bad.length - 1]! ^= 1;
        expect(a.open(nonce, aad, bad)).to.equal(null);
        expect(a.open(nonce, aad, new Uint8Array(3))).to.equal(null);
      }
    });
  }

  it('an engine on node:crypto talks to an engine on noble, every suite', () => {
    const ec = generateCertificate({ keyType: 'ec-p256' });
    const rsa = generateCertificate({ keyType: 'rsa2048' });
    for (const suite of CIPHER_SUITES) {
      const p = new EnginePair({ serverCert: suite.auth === 'RSA' ? rsa : ec, suites: [suite], client: { provider: nodeCryptoProvider } });
      p.handshake();
      const up = rnd(40_000);
      p.client.write(up);
      p.run();
      expect(sha256(EnginePair.dataOf(p.serverEvents)), suite.name).to.equal(sha256(up));
    }
  });
});
