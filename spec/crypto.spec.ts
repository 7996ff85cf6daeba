import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  constants,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256, p384 } from '@noble/curves/nist.js';
import { nobleProvider as P } from '../lib/crypto/noble-provider.js';
import { extendedMasterSecret, keyBlock, masterSecret, prf, verifyData } from '../lib/crypto/prf.js';
import type { AeadAlgorithm, HashAlgorithm, SigningKey, VerifyingKey } from '../lib/crypto/provider.js';
import { pemBlocks, toPem } from '../lib/crypto/pem.js';
import { systemRandom } from '../lib/crypto/system-random.js';
import { NamedGroup, SignatureScheme as S } from '../lib/engine/constants.js';
import { ErrorCode, TlsError } from '../lib/errors.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const rnd = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

function expectTlsError(fn: () => unknown, code: string): TlsError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(TlsError);
    expect((e as TlsError).code).to.equal(code);
    return e as TlsError;
  }
  throw new Error('expected a TlsError');
}

/** Independent RFC 5246 §5 P_hash with node:crypto, for cross-checks. */
function refPrf(hash: HashAlgorithm, secret: Uint8Array, label: string, seed: Uint8Array, length: number): string {
  const ls = Buffer.concat([Buffer.from(label, 'ascii'), seed]);
  let a: Buffer = ls;
  let out = Buffer.alloc(0);
  while (out.length < length) {
    a = createHmac(hash, secret).update(a).digest();
    out = Buffer.concat([out, createHmac(hash, secret).update(a).update(ls).digest()]);
  }
  return out.subarray(0, length).toString('hex');
}

describe('crypto: TLS 1.2 PRF (RFC 5246 §5)', () => {
  it('matches the SHA-256 PRF test vector (100 bytes)', () => {
    const out = prf(
      P,
      'sha256',
      hex('9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35'),
      'test label',
      hex('a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c'),
      100,
    );
    expect(toHex(out)).to.equal(
      (
        'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9' +
        'c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789ba' +
        'a48082d122ee42c5a72e5a5110fff70187347b66'
      ),
    );
  });

  for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
    it(`agrees with a node:crypto P_${hash} for lengths 0..200`, () => {
      const secret = rnd(48);
      const seed = rnd(64);
      for (const len of [0, 1, 12, 31, 32, 33, 47, 48, 49, 64, 65, 104, 200]) {
        expect(toHex(prf(P, hash, secret, 'some label', seed, len))).to.equal(refPrf(hash, secret, 'some label', seed, len));
      }
    });
  }

  it('derives master secret, extended master secret, key block and verify_data with the RFC labels/seeds', () => {
    const pre = rnd(32);
    const cr = rnd(32);
    const sr = rnd(32);
    const sessionHash = rnd(48);
    const ms = masterSecret(P, 'sha256', pre, cr, sr);
    expect(ms.length).to.equal(48);
    expect(toHex(ms)).to.equal(refPrf('sha256', pre, 'master secret', Buffer.concat([cr, sr]), 48));
    const ems = extendedMasterSecret(P, 'sha384', pre, sessionHash);
    expect(toHex(ems)).to.equal(refPrf('sha384', pre, 'extended master secret', sessionHash, 48));
    const kb = keyBlock(P, 'sha256', ms, cr, sr, 72);
    expect(toHex(kb)).to.equal(refPrf('sha256', ms, 'key expansion', Buffer.concat([sr, cr]), 72));
    const hh = rnd(32);
    const vd = verifyData(P, 'sha256', ms, 'client finished', hh);
    expect(vd.length).to.equal(12);
    expect(toHex(vd)).to.equal(refPrf('sha256', ms, 'client finished', hh, 12));
    expect(toHex(verifyData(P, 'sha256', ms, 'server finished', hh))).to.equal(refPrf('sha256', ms, 'server finished', hh, 12));
  });
});

describe('crypto: systemRandom (the default RandomSource)', () => {
  it('gives each draw its own bytes, of the length asked, across block refills and beyond the pooled size', () => {
    // 32-byte draws cross several 4 KiB blocks: no two are alike, none is all zeros (the
    // block zeroes what it hands out: a draw from used bytes would be).
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const r = systemRandom(32);
      expect(r.length).to.equal(32);
      expect(r.some((b) => b !== 0), 'not zeroed bytes').to.equal(true);
      seen.add(Buffer.from(r).toString('hex'));
    }
    expect(seen.size).to.equal(1000);
    for (const n of [0, 1, 48, 256, 257, 5000]) expect(systemRandom(n).length).to.equal(n);
    // Each draw is a copy: changing one does not change the next.
    const a = systemRandom(16);
    const b = systemRandom(16);
    a.fill(0);
    expect(b.some((x) => x !== 0)).to.equal(true);
    // Bytes are spread as a CSPRNG's: 64 KiB of 32-byte draws have every byte value.
    const counts = new Uint32Array(256);
    for (let i = 0; i < 2048; i++) for (const x of systemRandom(32)) counts[x]!++;
    expect(Math.min(...counts)).to.be.greaterThan(100);
  });
});

describe('crypto: hashes and HMAC', () => {
  for (const alg of ['sha256', 'sha384', 'sha512'] as const) {
    it(`${alg}: hash() and hmac() agree with node:crypto`, () => {
      for (const n of [0, 1, 55, 64, 111, 128, 1000]) {
        const data = rnd(n);
        expect(toHex(P.hash(alg, data))).to.equal(createHash(alg).update(data).digest('hex'));
        for (const klen of [0, 16, 200]) {
          const key = rnd(klen);
          expect(toHex(P.hmac(alg, key, data))).to.equal(createHmac(alg, key).update(data).digest('hex'));
        }
      }
    });

    it(`${alg}: createHash() digest() is non-destructive and clone() is independent`, () => {
      const a = rnd(100);
      const b = rnd(70);
      const c = rnd(3);
      const h = P.createHash(alg);
      h.update(a);
      const d1 = h.digest();
      expect(toHex(h.digest())).to.equal(toHex(d1));
      expect(toHex(d1)).to.equal(createHash(alg).update(a).digest('hex'));
      const snap = h.clone();
      h.update(b);
      snap.update(c);
      expect(toHex(h.digest())).to.equal(createHash(alg).update(a).update(b).digest('hex'));
      expect(toHex(snap.digest())).to.equal(createHash(alg).update(a).update(c).digest('hex'));
      h.update(c);
      expect(toHex(h.digest())).to.equal(createHash(alg).update(a).update(b).update(c).digest('hex'));
      expect(toHex(snap.digest())).to.equal(createHash(alg).update(a).update(c).digest('hex'));
    });
  }
});

describe('crypto: AEAD', () => {
  const algs: { alg: AeadAlgorithm; node: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'; keyLen: number }[] = [
    { alg: 'AES-128-GCM', node: 'aes-128-gcm', keyLen: 16 },
    { alg: 'AES-256-GCM', node: 'aes-256-gcm', keyLen: 32 },
    { alg: 'CHACHA20-POLY1305', node: 'chacha20-poly1305', keyLen: 32 },
  ];

  function nodeSeal(alg: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): string {
    const c = createCipheriv(alg as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(aad);
    return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]).toString('hex');
  }
  function nodeOpen(alg: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): string {
    const d = createDecipheriv(alg as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]).toString('hex');
  }

  for (const { alg, node, keyLen } of algs) {
    describe(alg, () => {
      it('seal() matches node:crypto and open() round-trips (incl. node output)', () => {
        const key = rnd(keyLen);
        const aead = P.aead(alg, key);
        expect(aead.tagLength).to.equal(16);
        for (const n of [0, 1, 15, 16, 17, 255, 1024, 16384]) {
          const nonce = rnd(12);
          const aad = rnd(13);
          const pt = rnd(n);
          const ptCopy = toHex(pt);
          const ct = aead.seal(nonce, aad, pt);
          expect(toHex(pt)).to.equal(ptCopy, 'seal must not modify the plaintext');
          expect(ct.length).to.equal(n + 16);
          expect(toHex(ct)).to.equal(nodeSeal(node, key, nonce, aad, pt));
          expect(nodeOpen(node, key, nonce, aad, ct)).to.equal(ptCopy);
          const back = aead.open(nonce, aad, ct);
          expect(back).to.not.equal(null);
          expect(toHex(back!)).to.equal(ptCopy);
        }
      });

      it('works on unaligned subarray views and keeps its own copy of the key', () => {
        const key = rnd(keyLen);
        const keyCopy = key.slice();
        const aead = P.aead(alg, key);
        key.fill(0);
        const buf = rnd(1 + 12 + 13 + 100);
        const nonce = buf.subarray(1, 13);
        const aad = buf.subarray(13, 26);
        const pt = buf.subarray(26);
        const ct = aead.seal(nonce, aad, pt);
        expect(toHex(ct)).to.equal(nodeSeal(node, keyCopy, nonce, aad, pt));
        const wrapped = new Uint8Array(ct.length + 3);
        wrapped.set(ct, 3);
        expect(toHex(aead.open(nonce, aad, wrapped.subarray(3))!)).to.equal(toHex(pt));
      });

      it('open() returns null for any flipped bit, short input or bad nonce, and never throws', () => {
        const key = rnd(keyLen);
        const aead = P.aead(alg, key);
        const nonce = rnd(12);
        const aad = rnd(13);
        const pt = rnd(40);
        const ct = aead.seal(nonce, aad, pt);
        for (let i = 0; i < ct.length; i++) {
          const bad = ct.slice();
          bad[i]! ^= 1 << (i % 8);
          expect(aead.open(nonce, aad, bad)).to.equal(null);
        }
        const badAad = aad.slice();
        badAad[0]! ^= 0x80;
        expect(aead.open(nonce, badAad, ct)).to.equal(null);
        const badNonce = nonce.slice();
        badNonce[11]! ^= 1;
        expect(aead.open(badNonce, aad, ct)).to.equal(null);
        expect(aead.open(nonce, aad, ct.subarray(1))).to.equal(null);
        for (let n = 0; n < 16; n++) expect(aead.open(nonce, aad, ct.subarray(0, n))).to.equal(null);
        expect(aead.open(new Uint8Array(0), aad, ct)).to.equal(null);
        expect(aead.open(rnd(7), aad, ct)).to.equal(null);
        expect(P.aead(alg, rnd(keyLen)).open(nonce, aad, ct)).to.equal(null);
      });

      it('rejects a wrong key length', () => {
        expect(() => P.aead(alg, rnd(keyLen + 1))).to.throw(TlsError);
      });
    });
  }
});

describe('crypto: ECDHE key shares', () => {
  it('advertises x25519, secp256r1, secp384r1', () => {
    expect([...P.groups]).to.deep.equal([29, 23, 24]);
  });

  it('x25519: agrees with node:crypto diffieHellman', () => {
    for (let i = 0; i < 5; i++) {
      const ours = P.generateKeyShare(NamedGroup.x25519, randomBytes);
      expect(ours.group).to.equal(29);
      expect(ours.publicKey.length).to.equal(32);
      const { privateKey, publicKey } = generateKeyPairSync('x25519');
      const nodePub = u8(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'));
      const ourPubKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(ours.publicKey).toString('base64url') },
        format: 'jwk',
      });
      const expected = diffieHellman({ privateKey, publicKey: ourPubKey });
      const secret = ours.computeSecret(nodePub);
      expect(secret.length).to.equal(32);
      expect(toHex(secret)).to.equal(expected.toString('hex'));
    }
  });

  for (const [name, group, nodeCurve, len] of [
    ['secp256r1', NamedGroup.secp256r1, 'prime256v1', 32],
    ['secp384r1', NamedGroup.secp384r1, 'secp384r1', 48],
  ] as const) {
    it(`${name}: agrees with node:crypto ECDH and returns a fixed-length x-coordinate`, () => {
      for (let i = 0; i < 5; i++) {
        const ours = P.generateKeyShare(group, randomBytes);
        expect(ours.group).to.equal(group);
        expect(ours.publicKey.length).to.equal(1 + 2 * len);
        expect(ours.publicKey[0]).to.equal(4);
        const ecdh = createECDH(nodeCurve);
        ecdh.generateKeys();
        const secret = ours.computeSecret(u8(ecdh.getPublicKey()));
        expect(secret.length).to.equal(len);
        expect(toHex(secret)).to.equal(ecdh.computeSecret(ours.publicKey).toString('hex'));
      }
    });
  }

  it('two of our shares agree with each other, for every group', () => {
    for (const g of P.groups) {
      const a = P.generateKeyShare(g, randomBytes);
      const b = P.generateKeyShare(g, randomBytes);
      expect(toHex(a.computeSecret(b.publicKey))).to.equal(toHex(b.computeSecret(a.publicKey)));
    }
  });

  it('takes its private key from the injected random source', () => {
    for (const g of P.groups) {
      const seed = rnd(128);
      const fixed = (n: number): Uint8Array => seed.slice(0, n);
      expect(toHex(P.generateKeyShare(g, fixed).publicKey)).to.equal(toHex(P.generateKeyShare(g, fixed).publicKey));
    }
    // A scalar of all 0xff bytes (>= n) must still give a valid key (reduced, not rejected).
    for (const g of [NamedGroup.secp256r1, NamedGroup.secp384r1]) {
      const share = P.generateKeyShare(g, (n) => new Uint8Array(n).fill(0xff));
      const other = P.generateKeyShare(g, randomBytes);
      expect(toHex(share.computeSecret(other.publicKey))).to.equal(toHex(other.computeSecret(share.publicKey)));
    }
  });

  it('rejects invalid NIST points with illegal_parameter', () => {
    for (const [group, curve, len] of [
      [NamedGroup.secp256r1, p256, 32],
      [NamedGroup.secp384r1, p384, 48],
    ] as const) {
      const share = P.generateKeyShare(group, randomBytes);
      const valid = curve.getPublicKey(curve.utils.randomSecretKey(), false);
      const offCurve = valid.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      const bad: Uint8Array[] = [
        new Uint8Array(0),
        new Uint8Array([0]), // point at infinity
        curve.getPublicKey(curve.utils.randomSecretKey(), true), // compressed
        valid.subarray(0, valid.length - 1),
        Uint8Array.of(...valid, 0),
        Uint8Array.of(0x05, ...valid.subarray(1)),
        offCurve,
        Uint8Array.of(4, ...new Uint8Array(2 * len)),
        Uint8Array.of(4, ...new Uint8Array(2 * len).fill(0xff)), // coordinates >= p
      ];
      for (const pub of bad) {
        const err = expectTlsError(() => share.computeSecret(pub), ErrorCode.ILLEGAL_PARAMETER);
        expect(err.code).to.equal('ERR_TLS_ILLEGAL_PARAMETER');
        expect(err.alertName).to.equal('illegal_parameter');
      }
    }
  });

  it('rejects bad x25519 values (wrong length, low order → all-zero secret) with illegal_parameter', () => {
    const share = P.generateKeyShare(NamedGroup.x25519, randomBytes);
    const le = (v: bigint): Uint8Array => {
      const out = new Uint8Array(32);
      for (let i = 0; i < 32; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
      return out;
    };
    const p = 2n ** 255n - 19n;
    const lowOrder = [
      0n,
      1n,
      p - 1n,
      p, // non-canonical 0
      p + 1n, // non-canonical 1
      325606250916557431795983626356110631294008115727848805560023387167927233504n,
      39382357235489614581723060781553021112529911719440698176882885853963445705823n,
    ].map(le);
    for (const pub of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0), ...lowOrder]) {
      expectTlsError(() => share.computeSecret(pub), ErrorCode.ILLEGAL_PARAMETER);
    }
  });

  it('refuses an unknown group', () => {
    expect(() => P.generateKeyShare(25, randomBytes)).to.throw(TlsError);
  });
});

describe('crypto: signatures', () => {
  let dir: string;
  type Case = {
    name: string;
    keyType: 'ec' | 'ed25519' | 'rsa';
    schemes: number[];
    priv: KeyObject;
    pub: KeyObject;
    certDer: Uint8Array;
  };
  const cases: Case[] = [];

  function certFor(name: string, priv: KeyObject): Uint8Array {
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.crt`);
    writeFileSync(keyFile, priv.export({ format: 'pem', type: 'pkcs8' }));
    execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', '/CN=t', '-days', '1', '-out', certFile], {
      stdio: 'pipe',
    });
    return u8(new X509Certificate(readFileSync(certFile)).raw);
  }

  before(function () {
    this.timeout(60000);
    dir = mkdtempSync(join(tmpdir(), 'sd-crypto-'));
    const gen: [string, Case['keyType'], number[], KeyObject, KeyObject][] = [];
    let kp = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // TLS 1.2 ECDSA names the hash, not the curve: either EC key signs with SHA-256, SHA-384,
    // SHA-512 or SHA-224, its own curve's hash first (OpenSSL picks {sha384, ecdsa} with a P-256
    // key when asked to, and {sha512, ecdsa} or {sha224, ecdsa} when only that is offered).
    const otherHashes = [S.ecdsa_secp521r1_sha512, S.ecdsa_sha224];
    gen.push(['p256', 'ec', [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384, ...otherHashes], kp.privateKey, kp.publicKey]);
    kp = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    gen.push(['p384', 'ec', [S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256, ...otherHashes], kp.privateKey, kp.publicKey]);
    kp = generateKeyPairSync('ed25519');
    gen.push(['ed25519', 'ed25519', [S.ed25519], kp.privateKey, kp.publicKey]);
    kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
    gen.push(['rsa', 'rsa', [0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601], kp.privateKey, kp.publicKey]);
    for (const [name, keyType, schemes, priv, pub] of gen) {
      cases.push({ name, keyType, schemes, priv, pub, certDer: certFor(name, priv) });
    }
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const ALL_SCHEMES = Object.values(S) as number[];
  const hashOf = (scheme: number): string =>
    ({ 0x0401: 'sha256', 0x0501: 'sha384', 0x0601: 'sha512', 0x0403: 'sha256', 0x0503: 'sha384', 0x0603: 'sha512', 0x0303: 'sha224', 0x0804: 'sha256', 0x0805: 'sha384', 0x0806: 'sha512' })[scheme]!;
  const isPss = (scheme: number): boolean => scheme >= 0x0804 && scheme <= 0x0806;
  const saltOf = (scheme: number): number => ({ 0x0804: 32, 0x0805: 48, 0x0806: 64 })[scheme]!;

  function nodeVerifies(c: Case, scheme: number, data: Uint8Array, sig: Uint8Array): boolean {
    if (c.keyType === 'ed25519') return nodeVerify(null, data, c.pub, sig);
    if (c.keyType === 'ec') return nodeVerify(hashOf(scheme), data, c.pub, sig);
    return nodeVerify(
      hashOf(scheme),
      data,
      isPss(scheme)
        ? { key: c.pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltOf(scheme) }
        : { key: c.pub, padding: constants.RSA_PKCS1_PADDING },
      sig,
    );
  }
  function nodeSigns(c: Case, scheme: number, data: Uint8Array): Uint8Array {
    if (c.keyType === 'ed25519') return u8(nodeSign(null, data, c.priv));
    if (c.keyType === 'ec') return u8(nodeSign(hashOf(scheme), data, c.priv));
    return u8(
      nodeSign(
        hashOf(scheme),
        data,
        isPss(scheme)
          ? { key: c.priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltOf(scheme) }
          : { key: c.priv, padding: constants.RSA_PKCS1_PADDING },
      ),
    );
  }

  for (const name of ['p256', 'p384', 'ed25519', 'rsa']) {
    describe(name, () => {
      let c: Case;
      let sk: SigningKey;
      let vk: VerifyingKey;
      before(() => {
        c = cases.find((x) => x.name === name)!;
        sk = P.loadPrivateKey(c.priv.export({ format: 'pem', type: 'pkcs8' }) as string);
        vk = P.publicKeyFromCertificate(c.certDer);
      });

      it('loads with the right key type and schemes', () => {
        expect(sk.keyType).to.equal(c.keyType);
        expect([...sk.schemes]).to.deep.equal(c.schemes);
        expect(vk.keyType).to.equal(c.keyType);
        expect([...vk.schemes]).to.deep.equal(c.schemes);
        if (name === 'p256') expect([sk.curve, vk.curve]).to.deep.equal(['P-256', 'P-256']);
        if (name === 'p384') expect([sk.curve, vk.curve]).to.deep.equal(['P-384', 'P-384']);
      });

      it('our signatures verify with node:crypto, node signatures verify with ours', () => {
        for (const scheme of c.schemes) {
          for (const n of [0, 32, 500]) {
            const data = rnd(n);
            const ours = sk.sign(scheme, data);
            expect(nodeVerifies(c, scheme, data, ours), `node verifies ours 0x${scheme.toString(16)}`).to.equal(true);
            expect(vk.verify(scheme, data, ours)).to.equal(true);
            const theirs = nodeSigns(c, scheme, data);
            expect(vk.verify(scheme, data, theirs), `we verify node 0x${scheme.toString(16)}`).to.equal(true);
          }
        }
      });

      it('verify() is false for tampered data/signature, wrong or unknown scheme, garbage; never throws', () => {
        for (const scheme of c.schemes) {
          const data = rnd(64);
          const sig = sk.sign(scheme, data);
          const badData = data.slice();
          badData[5]! ^= 1;
          expect(vk.verify(scheme, badData, sig)).to.equal(false);
          for (const i of [0, 1, 8, sig.length >> 1, sig.length - 1]) {
            const badSig = sig.slice();
            badSig[i]! ^= 0x10;
            expect(vk.verify(scheme, data, badSig)).to.equal(false);
          }
          expect(vk.verify(scheme, data, new Uint8Array(0))).to.equal(false);
          expect(vk.verify(scheme, data, rnd(sig.length))).to.equal(false);
          expect(vk.verify(scheme, data, Uint8Array.of(...sig, 0))).to.equal(false);
          for (const other of [...ALL_SCHEMES, 0x0000, 0x0203, 0x0809, 0xffff]) {
            if (!c.schemes.includes(other)) expect(vk.verify(other, data, sig), `0x${other.toString(16)}`).to.equal(false);
          }
        }
      });

      it('sign() refuses schemes the key cannot make', () => {
        for (const other of ALL_SCHEMES) {
          if (!c.schemes.includes(other)) expect(() => sk.sign(other, rnd(4))).to.throw(TlsError);
        }
      });
    });
  }

  it('ECDSA: verifies high-S signatures (no low-S requirement on peers)', () => {
    for (const [name, curve, scheme] of [
      ['p256', p256, S.ecdsa_secp256r1_sha256],
      ['p384', p384, S.ecdsa_secp384r1_sha384],
    ] as const) {
      const c = cases.find((x) => x.name === name)!;
      const vk = P.publicKeyFromCertificate(c.certDer);
      const data = rnd(77);
      const nodeSig = nodeSigns(c, scheme, data);
      const sig = curve.Signature.fromBytes(nodeSig, 'der');
      // (r, n - s) is the other valid signature; keep whichever has the high S.
      const high = sig.hasHighS() ? nodeSig : new curve.Signature(sig.r, curve.Point.Fn.ORDER - sig.s).toBytes('der');
      expect(curve.Signature.fromBytes(high, 'der').hasHighS()).to.equal(true);
      expect(nodeVerify(scheme === S.ecdsa_secp256r1_sha256 ? 'sha256' : 'sha384', data, c.pub, high)).to.equal(true);
      expect(vk.verify(scheme, data, high)).to.equal(true);
    }
  });

  it('RSA-PSS: a salt length other than the hash length is rejected (RFC 8446 §4.2.3)', () => {
    const c = cases.find((x) => x.name === 'rsa')!;
    const vk = P.publicKeyFromCertificate(c.certDer);
    const data = rnd(50);
    const sig = nodeSign('sha256', data, { key: c.priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
    expect(vk.verify(S.rsa_pss_rsae_sha256, data, u8(sig))).to.equal(false);
  });

  it('loads SEC1, PKCS#1, DER PKCS#8, PEM bytes and encrypted PKCS#8 keys', () => {
    const ec = cases.find((x) => x.name === 'p256')!;
    const rsa = cases.find((x) => x.name === 'rsa')!;
    const ed = cases.find((x) => x.name === 'ed25519')!;
    const data = rnd(20);
    const check = (sk: SigningKey, c: Case): void => {
      const scheme = sk.schemes[0]!;
      expect(nodeVerifies(c, scheme, data, sk.sign(scheme, data))).to.equal(true);
    };
    const sec1 = ec.priv.export({ format: 'pem', type: 'sec1' }) as string;
    expect(sec1).to.contain('BEGIN EC PRIVATE KEY');
    check(P.loadPrivateKey(sec1), ec);
    const pkcs1 = rsa.priv.export({ format: 'pem', type: 'pkcs1' }) as string;
    expect(pkcs1).to.contain('BEGIN RSA PRIVATE KEY');
    check(P.loadPrivateKey(pkcs1), rsa);
    check(P.loadPrivateKey(u8(ed.priv.export({ format: 'der', type: 'pkcs8' }) as Buffer)), ed);
    check(P.loadPrivateKey(u8(ec.priv.export({ format: 'der', type: 'pkcs8' }) as Buffer)), ec);
    check(P.loadPrivateKey(u8(Buffer.from('\n' + (rsa.priv.export({ format: 'pem', type: 'pkcs8' }) as string)))), rsa);
    const enc = ec.priv.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'hunter2' }) as string;
    expect(enc).to.contain('BEGIN ENCRYPTED PRIVATE KEY');
    check(P.loadPrivateKey(enc, 'hunter2'), ec);
    expectTlsError(() => P.loadPrivateKey(enc, 'wrong'), ErrorCode.INVALID_ARG);
    expectTlsError(() => P.loadPrivateKey(enc), ErrorCode.INVALID_ARG);
  });

  it('refuses garbage and unsupported keys/certificates', () => {
    expectTlsError(() => P.loadPrivateKey('not a key'), ErrorCode.INVALID_ARG);
    expectTlsError(() => P.loadPrivateKey(rnd(100)), ErrorCode.INVALID_ARG);
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    expectTlsError(() => P.loadPrivateKey(k1.export({ format: 'pem', type: 'pkcs8' }) as string), ErrorCode.INVALID_ARG);
    const x = generateKeyPairSync('x25519').privateKey;
    expectTlsError(() => P.loadPrivateKey(x.export({ format: 'pem', type: 'pkcs8' }) as string), ErrorCode.INVALID_ARG);
    expect(() => P.publicKeyFromCertificate(rnd(64))).to.throw(TlsError);
    const k1Cert = certFor('k1', createPrivateKey(k1.export({ format: 'pem', type: 'pkcs8' })));
    expect(() => P.publicKeyFromCertificate(k1Cert)).to.throw(TlsError);
  });
});

describe('PEM blocks (pemBlocks)', () => {
  const der = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]);
  const block = (label: string, body: Uint8Array): string => toPem(body, label);

  it('reads every block of the label, skipping other labels, text between, and an unterminated block', () => {
    const other = new Uint8Array([0x30, 0x00]);
    const text = `junk\n${block('PRIVATE KEY', other)}middle\n${block('CERTIFICATE', der)}${block('CERTIFICATE', other)}-----BEGIN CERTIFICATE-----\nAAAA\n`;
    const found = pemBlocks(text).map((d) => Buffer.from(d).toString('hex'));
    expect(found).to.deep.equal(['3003020105', '3000']);
    expect(pemBlocks(text, 'PRIVATE KEY').map((d) => Buffer.from(d).toString('hex'))).to.deep.equal(['3000']);
  });

  it('hostile input (80 000 BEGIN lines, no END) is read in one pass: nothing found', () => {
    expect(pemBlocks('-----BEGIN CERTIFICATE-----\n'.repeat(80_000))).to.deep.equal([]);
    expect(pemBlocks('-----BEGIN CERTIFICATE-----'.repeat(80_000))).to.deep.equal([]);
    expect(pemBlocks(`${'-----BEGIN X-----\n'.repeat(1000)}${block('CERTIFICATE', der)}`)).to.have.length(1);
    // BEGIN lines of 80 000 different labels (one END search per label would be quadratic).
    let many = '';
    for (let i = 0; i < 80_000; i++) many += `-----BEGIN X${i}-----\n`;
    expect(pemBlocks(many + block('CERTIFICATE', der))).to.have.length(1);
  });

  it('a broken header line right before a block does not hide the block (the label ends on its line)', () => {
    expect(pemBlocks(`-----BEGIN CERT\n${block('CERTIFICATE', der)}`)).to.have.length(1);
    expect(pemBlocks(`-----BEGIN lower-----\n${block('CERTIFICATE', der)}`)).to.have.length(1);
  });
});
