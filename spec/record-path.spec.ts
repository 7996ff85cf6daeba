// The record path's AEAD forms (sealInto/openInto on both providers) and noble AES-GCM's per-key
// state (lib/crypto/noble-gcm.ts: the expanded key and GHASH table kept once a key has carried
// HOT_AFTER_BYTES): every output compared with node:crypto (OpenSSL) on the same inputs, before
// and after the state is built, and engines on the two providers exchanging data past it.
import { expect } from 'chai';
import { createCipheriv } from 'node:crypto';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import { HOT_AFTER_BYTES } from '../lib/crypto/noble-gcm.js';
import type { AeadAlgorithm, CryptoProvider } from '../lib/crypto/provider.js';
import { CIPHER_SUITES } from '../lib/engine/cipher-suites.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { seededRandom } from './helpers/deterministic-random.js';
import { EnginePair, sha256 } from './helpers/engine-pair.js';

const ALGS: [AeadAlgorithm, string, number][] = [
  ['AES-128-GCM', 'aes-128-gcm', 16],
  ['AES-256-GCM', 'aes-256-gcm', 32],
  ['CHACHA20-POLY1305', 'chacha20-poly1305', 32],
];
const PROVIDERS: [string, CryptoProvider][] = [['noble', nobleProvider], ['node', nodeCryptoProvider]];

/** OpenSSL's ciphertext || tag, through node:crypto directly. */
function reference(cipher: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Buffer {
  const c = createCipheriv(cipher as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

describe('record path: sealInto / openInto and per-key AEAD state', () => {
  const rnd = seededRandom('record-path');

  for (const [pname, provider] of PROVIDERS) {
    for (const [alg, cipher, keyLength] of ALGS) {
      it(`${pname} ${alg}: sealInto writes OpenSSL's bytes at any offset, openInto takes them back; before and after ${HOT_AFTER_BYTES / 1024} KiB under the key`, () => {
        const key = rnd(keyLength);
        const aead = provider.aead(alg, key);
        expect(aead.sealInto, 'sealInto').to.be.a('function');
        expect(aead.openInto, 'openInto').to.be.a('function');
        let carried = 0;
        let records = 0;
        // Sizes that cross block and word boundaries, then enough full records to pass the
        // threshold well, then small ones under the kept state.
        const sizes = [0, 1, 13, 16, 17, 1023, 16384, ...Array<number>(6).fill(16384), 0, 1, 15, 31, 100, 1200, 16383];
        for (const n of sizes) {
          const nonce = rnd(12);
          const aad = rnd(13);
          // An unaligned plaintext view, as a record cut from a socket chunk is.
          const pt = rnd(n + 3).subarray(3);
          const want = reference(cipher, key, nonce, aad, pt);
          const offset = 5 + (records % 4);
          const out = new Uint8Array(offset + n + 16 + 2).fill(0xee);
          expect(aead.sealInto!(nonce, aad, pt, out, offset), `sealInto length, ${n} bytes`).to.equal(n + 16);
          expect(Buffer.from(out.subarray(offset, offset + n + 16)).equals(want), `sealInto bytes, ${n} bytes after ${carried}`).to.equal(true);
          expect([...out.subarray(0, offset), ...out.subarray(offset + n + 16)].every((b) => b === 0xee), 'nothing written outside').to.equal(true);
          expect(Buffer.from(aead.seal(nonce, aad, pt)).equals(want), 'seal() agrees').to.equal(true);

          const plain = new Uint8Array(n + 7).fill(0xee);
          expect(aead.openInto!(nonce, aad, want, plain, 7)).to.equal(n);
          expect(Buffer.from(plain.subarray(7)).equals(Buffer.from(pt))).to.equal(true);
          const bad = Buffer.from(want);
          bad[records % bad.length]! ^= 0x40;
          const untouched = new Uint8Array(n).fill(0xee);
          expect(aead.openInto!(nonce, aad, bad, untouched, 0), 'a flipped bit').to.equal(-1);
          expect(untouched.every((b) => b === 0xee), 'no plaintext released on failure').to.equal(true);
          expect(aead.open(nonce, aad, bad)).to.equal(null);
          expect(aead.openInto!(nonce, aad, new Uint8Array(15), new Uint8Array(0), 0), 'shorter than a tag').to.equal(-1);
          carried += 3 * n;
          records++;
        }
        expect(carried).to.be.greaterThan(2 * HOT_AFTER_BYTES);
      });
    }
  }

  it('engines on noble and on node:crypto exchange 256 KiB each way on every suite (noble past its kept GCM state)', () => {
    const ec = generateCertificate({ keyType: 'ec-p256' });
    const rsa = generateCertificate({ keyType: 'rsa2048' });
    for (const suite of CIPHER_SUITES) {
      const p = new EnginePair({ serverCert: suite.auth === 'RSA' ? rsa : ec, suites: [suite], client: { provider: nodeCryptoProvider } });
      p.handshake();
      const up = rnd(256 * 1024);
      const down = rnd(256 * 1024);
      for (let o = 0; o < up.length; o += 40_000) {
        p.client.write(up.subarray(o, o + 40_000));
        p.server.write(down.subarray(o, o + 40_000));
        p.run();
      }
      expect(sha256(EnginePair.dataOf(p.serverEvents)), `${suite.name} up`).to.equal(sha256(up));
      expect(sha256(EnginePair.dataOf(p.clientEvents)), `${suite.name} down`).to.equal(sha256(down));
    }
  });
});
