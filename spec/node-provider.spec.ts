// The optional node:crypto provider must be interchangeable with noble's: same AEAD output, the
// RFC 7748 X25519 vectors, the same ECDH secrets, signatures each verifies of the other, the same
// refusals of bad peer values, and the same handshake on the wire when one end uses each.
// (Interop of the native provider with OpenSSL: spec/interop-tls.spec.ts, section 7.)
import { expect } from 'chai';
import { TlsError } from '../lib/errors.js';
import { NamedGroup } from '../lib/engine/constants.js';
import type { CryptoProvider } from '../lib/crypto/provider.js';
import { resolveCryptoProvider } from '../lib/crypto/provider-choice.js';
import { connect, createServer } from '../lib/index.js';
import type { AddressInfo } from 'node:net';
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

  const providers: [string, CryptoProvider][] = [['noble', nobleProvider], ['node', nodeCryptoProvider]];
  const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
  const fixed = (bytes: Uint8Array) => (n: number): Uint8Array => {
    expect(n).to.equal(bytes.length);
    return bytes;
  };

  for (const [name, provider] of providers) {
    it(`${name}: X25519 gives RFC 7748 §6.1's public keys and shared secret`, () => {
      const alice = provider.generateKeyShare(NamedGroup.x25519, fixed(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')));
      const bob = provider.generateKeyShare(NamedGroup.x25519, fixed(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')));
      expect(Buffer.from(alice.publicKey).toString('hex')).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      expect(Buffer.from(bob.publicKey).toString('hex')).to.equal('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      expect(Buffer.from(alice.computeSecret(bob.publicKey)).toString('hex')).to.equal(shared);
      expect(Buffer.from(bob.computeSecret(alice.publicKey)).toString('hex')).to.equal(shared);
    });

    it(`${name}: refuses bad peer key shares with illegal_parameter (low-order X25519, off-curve and compressed NIST points, wrong sizes)`, () => {
      const bad: [number, Uint8Array][] = [
        [NamedGroup.x25519, new Uint8Array(32)], // the zero point: all-zero output (RFC 7748 §6.1)
        [NamedGroup.x25519, hex('0100000000000000000000000000000000000000000000000000000000000000')], // order 4
        [NamedGroup.x25519, new Uint8Array(31)],
        [NamedGroup.secp256r1, new Uint8Array([4, ...new Uint8Array(64).fill(1)])], // not on the curve
        [NamedGroup.secp256r1, new Uint8Array(65)], // 0x00 prefix: point at infinity encoding / wrong format
        [NamedGroup.secp384r1, new Uint8Array([2, ...new Uint8Array(48).fill(7)])], // compressed (RFC 8422 §5.4.1)
      ];
      for (const [group, value] of bad) {
        const share = provider.generateKeyShare(group, rnd);
        let err: unknown;
        try {
          share.computeSecret(value);
        } catch (e) {
          err = e;
        }
        expect(err, `group ${group} value ${Buffer.from(value).toString('hex').slice(0, 16)}`).to.be.instanceOf(TlsError);
        expect((err as TlsError).alertName).to.equal('illegal_parameter');
      }
    });
  }

  for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
    it(`group ${group}: a noble share and a node share agree on the secret, and the same random gives the same public key`, () => {
      const seed = rnd(96);
      const a = nobleProvider.generateKeyShare(group, (n) => seed.subarray(0, n));
      const b = nodeCryptoProvider.generateKeyShare(group, (n) => seed.subarray(0, n));
      expect(Buffer.from(a.publicKey).equals(Buffer.from(b.publicKey))).to.equal(true);
      const other = nodeCryptoProvider.generateKeyShare(group, rnd);
      expect(Buffer.from(a.computeSecret(other.publicKey)).equals(Buffer.from(other.computeSecret(a.publicKey)))).to.equal(true);
      expect(Buffer.from(b.computeSecret(other.publicKey)).equals(Buffer.from(a.computeSecret(other.publicKey)))).to.equal(true);
    });
  }

  for (const keyType of ['ec-p256', 'ec-p384', 'ed25519', 'rsa2048'] as const) {
    it(`${keyType}: every scheme the key offers is signed by one provider and verified by the other; tampering fails`, () => {
      const cert = generateCertificate({ keyType });
      const der = new Uint8Array(Buffer.from(cert.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
      const keys = providers.map(([, p]) => ({ sign: p.loadPrivateKey(cert.keyPem), verify: p.publicKeyFromCertificate(der) }));
      expect(keys[1]!.sign.schemes).to.deep.equal(keys[0]!.sign.schemes);
      expect(keys[1]!.verify.schemes).to.deep.equal(keys[0]!.verify.schemes);
      const data = rnd(300);
      for (const scheme of keys[0]!.sign.schemes) {
        for (const [from, to] of [[0, 1], [1, 0], [1, 1]] as const) {
          const sig = keys[from]!.sign.sign(scheme, data);
          expect(keys[to]!.verify.verify(scheme, data, sig), `scheme 0x${scheme.toString(16)} ${from}->${to}`).to.equal(true);
          const tampered = data.slice();
          tampered[0]! ^= 1;
          expect(keys[to]!.verify.verify(scheme, tampered, sig)).to.equal(false);
        }
      }
      // A scheme the key cannot make is refused by both.
      for (const k of keys) {
        expect(() => k.sign.sign(0x0201, data)).to.throw(TlsError);
        expect(k.verify.verify(0x0201, data, new Uint8Array(64))).to.equal(false);
      }
    });
  }

  it("the cryptoProvider option takes 'noble' and 'node' (a 'node' server and a 'noble' client exchange data) and refuses other names", async () => {
    expect(resolveCryptoProvider('node')).to.equal(nodeCryptoProvider);
    expect(resolveCryptoProvider('noble')).to.equal(nobleProvider);
    expect(resolveCryptoProvider(undefined)).to.equal(nobleProvider);
    expect(() => resolveCryptoProvider('openssl' as never)).to.throw(TlsError).with.property('code', 'ERR_INVALID_ARG_VALUE');
    const cert = generateCertificate({ keyType: 'ec-p256' });
    const server = createServer({ cert: cert.certPem, key: cert.keyPem, cryptoProvider: 'node' }, (s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', ca: cert.certPem, servername: 'localhost', cryptoProvider: 'noble' });
      const echoed = await new Promise<string>((resolve, reject) => {
        let got = '';
        c.on('error', reject);
        c.on('secureConnect', () => c.end('ping over two providers'));
        c.on('data', (d: Buffer) => { got += d.toString(); });
        c.on('end', () => resolve(got));
      });
      expect(echoed).to.equal('ping over two providers');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
