// AES-CCM (lib/crypto/aes-ccm.ts on noble's AES, and the node:crypto provider's CCM) against the
// published vectors (RFC 3610 §8 packet vectors, NIST SP 800-38C Appendix C examples) and
// against node:crypto's aes-*-ccm on random inputs with the TLS parameters (RFC 6655 §3: 12-byte
// nonce, 16- or 8-byte tag).
import { expect } from 'chai';
import fc from 'fast-check';
import { createCipheriv } from 'node:crypto';
import { AesCcm } from '../lib/crypto/aes-ccm.js';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';

const h = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface Vector {
  name: string;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  tagLength: number;
  /** ciphertext || tag */
  sealed: string;
}

const VECTORS: Vector[] = [
  {
    name: 'RFC 3610 packet vector #1',
    key: 'C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF', nonce: '00000003020100A0A1A2A3A4A5', aad: '0001020304050607',
    plaintext: '08090A0B0C0D0E0F101112131415161718191A1B1C1D1E', tagLength: 8,
    sealed: '588C979A61C663D2F066D0C2C0F989806D5F6B61DAC38417E8D12CFDF926E0',
  },
  {
    name: 'RFC 3610 packet vector #2',
    key: 'C0C1C2C3C4C5C6C7C8C9CACBCCCDCECF', nonce: '00000004030201A0A1A2A3A4A5', aad: '0001020304050607',
    plaintext: '08090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', tagLength: 8,
    sealed: '72C91A36E135F8CF291CA894085C87E3CC15C439C9E43A3BA091D56E10400916',
  },
  {
    name: 'SP 800-38C example 1',
    key: '404142434445464748494a4b4c4d4e4f', nonce: '10111213141516', aad: '0001020304050607',
    plaintext: '20212223', tagLength: 4, sealed: '7162015b4dac255d',
  },
  {
    name: 'SP 800-38C example 2',
    key: '404142434445464748494a4b4c4d4e4f', nonce: '1011121314151617', aad: '000102030405060708090a0b0c0d0e0f',
    plaintext: '202122232425262728292a2b2c2d2e2f', tagLength: 6, sealed: 'd2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd',
  },
  {
    name: 'SP 800-38C example 3',
    key: '404142434445464748494a4b4c4d4e4f', nonce: '101112131415161718191a1b', aad: '000102030405060708090a0b0c0d0e0f10111213',
    plaintext: '202122232425262728292a2b2c2d2e2f3031323334353637', tagLength: 8,
    sealed: 'e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951',
  },
];

/** node:crypto's AES-CCM, the independent reference (non-empty plaintext only, see NodeAead). */
function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, tagLength: number): string {
  const c = createCipheriv(`aes-${key.length * 8}-ccm` as 'aes-128-ccm', key, nonce, { authTagLength: tagLength });
  c.setAAD(aad, { plaintextLength: pt.length });
  return hex(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

describe('AES-CCM (RFC 3610, SP 800-38C; RFC 6655 in TLS)', () => {
  for (const v of VECTORS) {
    it(`${v.name}: noble construction seals and opens the published bytes`, () => {
      const ccm = new AesCcm(h(v.key), v.tagLength);
      expect(hex(ccm.seal(h(v.nonce), h(v.aad), h(v.plaintext)))).to.equal(v.sealed.toLowerCase());
      expect(hex(ccm.open(h(v.nonce), h(v.aad), h(v.sealed))!)).to.equal(v.plaintext.toLowerCase());
      // The reference agrees too (so the vector was copied right).
      expect(nodeSeal(h(v.key), h(v.nonce), h(v.aad), h(v.plaintext), v.tagLength)).to.equal(v.sealed.toLowerCase());
      const bad = h(v.sealed);
      bad[bad.length - 1]! ^= 1;
      expect(ccm.open(h(v.nonce), h(v.aad), bad)).to.equal(null);
    });
  }

  for (const [providerName, provider] of [['noble', nobleProvider], ['node:crypto', nodeCryptoProvider]] as const) {
    for (const alg of ['AES-128-CCM', 'AES-256-CCM', 'AES-128-CCM-8', 'AES-256-CCM-8'] as const) {
      it(`${providerName} ${alg} equals node:crypto's aes-ccm on random TLS-shaped inputs, and refuses any change`, () => {
        const keyLength = alg.startsWith('AES-128') ? 16 : 32;
        const tagLength = alg.endsWith('-8') ? 8 : 16;
        fc.assert(fc.property(
          fc.uint8Array({ minLength: keyLength, maxLength: keyLength }),
          fc.uint8Array({ minLength: 12, maxLength: 12 }),
          fc.uint8Array({ minLength: 13, maxLength: 13 }),
          fc.uint8Array({ minLength: 1, maxLength: 600 }),
          fc.nat(),
          (key, nonce, aad, pt, flip) => {
            const aead = provider.aead(alg, key);
            expect(aead.tagLength).to.equal(tagLength);
            const sealed = aead.seal(nonce, aad, pt);
            expect(hex(sealed)).to.equal(nodeSeal(key, nonce, aad, pt, tagLength));
            expect(hex(aead.open(nonce, aad, sealed)!)).to.equal(hex(pt));
            const bad = sealed.slice();
            bad[flip % bad.length]! ^= 1 << (flip % 8);
            expect(aead.open(nonce, aad, bad)).to.equal(null);
            expect(aead.open(nonce, aad, sealed.subarray(0, tagLength - 1))).to.equal(null);
          },
        ), { numRuns: 40 });
      });
    }

    it(`${providerName}: an empty CCM message (an empty TLS record) seals and opens`, () => {
      const aead = provider.aead('AES-128-CCM-8', new Uint8Array(16).fill(7));
      const n = new Uint8Array(12);
      const sealed = aead.seal(n, new Uint8Array(13), new Uint8Array(0));
      expect(sealed.length).to.equal(8);
      // The same tag from the noble construction: CCM of nothing is the encrypted CBC-MAC of B_0 || AAD.
      expect(hex(sealed)).to.equal(hex(new AesCcm(new Uint8Array(16).fill(7), 8).seal(n, new Uint8Array(13), new Uint8Array(0))));
      expect(aead.open(n, new Uint8Array(13), sealed)!.length).to.equal(0);
      expect(aead.open(n, new Uint8Array(13).fill(1), sealed)).to.equal(null);
    });
  }
});
