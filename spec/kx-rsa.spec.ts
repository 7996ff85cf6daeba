// Static RSA key exchange (RFC 5246 §7.4.7.1).
// 1. Crypto: our RSAES-PKCS1-v1_5 premaster encryption decrypts with `openssl pkeyutl`, and
//    OpenSSL's encryption decrypts with ours (both providers); every malformed block (padding,
//    length, version, ciphertext size) yields the random premaster, never an error.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import type { CryptoProvider, SigningKey, VerifyingKey } from '../lib/crypto/provider.js';
import { decryptPremaster, encryptPremaster, makePremaster, PREMASTER_LENGTH } from '../lib/crypto/rsa-premaster.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { seededRandom } from './helpers/deterministic-random.js';
import { requirePeer } from './helpers/peers.js';

const PROVIDERS: [string, CryptoProvider][] = [['noble', nobleProvider], ['node', nodeCryptoProvider]];
const TLS12 = 0x0303;

describe('static RSA premaster (RFC 5246 §7.4.7.1)', function () {
  this.timeout(60_000);
  let dir: string;
  let keyPem: string;
  let pubPath: string;
  let keyPath: string;
  let publicKey: KeyObject;
  let certDer: Uint8Array;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kx-rsa-'));
    const cert = generateCertificate({ keyType: 'rsa2048', commonName: 'rsa-kx' });
    keyPem = cert.keyPem;
    certDer = cert.der;
    publicKey = createPublicKey(keyPem);
    keyPath = path.join(dir, 'key.pem');
    pubPath = path.join(dir, 'pub.pem');
    fs.writeFileSync(keyPath, keyPem);
    fs.writeFileSync(pubPath, publicKey.export({ type: 'spki', format: 'pem' }) as string);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function keys(provider: CryptoProvider): { priv: SigningKey; pub: VerifyingKey } {
    return { priv: provider.loadPrivateKey(keyPem), pub: provider.publicKeyFromCertificate(certDer) };
  }

  /** `block` (modulus-sized) encrypted raw, as a client that pads by hand would. */
  function rawEncrypt(provider: CryptoProvider, block: Uint8Array): Uint8Array {
    return keys(provider).pub.encryptRaw!(block);
  }

  /** A well-formed EM = 00 02 PS 00 M (RFC 8017 §7.2.1), then edited. */
  function block(message: Uint8Array, psLength = 256 - message.length - 3): Uint8Array {
    const em = new Uint8Array(256);
    em[1] = 2;
    em.fill(0x5a, 2, 2 + psLength);
    em.set(message, 256 - message.length);
    return em;
  }

  for (const [name, provider] of PROVIDERS) {
    it(`${name}: our encryption decrypts with openssl pkeyutl; OpenSSL's decrypts with ours`, function () {
      requirePeer(this, 'openssl');
      const { priv, pub } = keys(provider);
      const pm = makePremaster(TLS12, seededRandom(`pm-${name}`));
      const c = encryptPremaster(pub, pm, seededRandom(`pad-${name}`));
      const cPath = path.join(dir, `c-${name}`);
      fs.writeFileSync(cPath, c);
      const dec = spawnSync('openssl', ['pkeyutl', '-decrypt', '-inkey', keyPath, '-in', cPath], { timeout: 20_000 });
      expect(dec.status, dec.stderr.toString()).to.equal(0);
      expect(Buffer.from(dec.stdout).equals(Buffer.from(pm))).to.equal(true);

      const mPath = path.join(dir, `m-${name}`);
      fs.writeFileSync(mPath, pm);
      const enc = spawnSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', pubPath, '-in', mPath], { timeout: 20_000 });
      expect(enc.status, enc.stderr.toString()).to.equal(0);
      const got = decryptPremaster(priv, new Uint8Array(enc.stdout), TLS12, seededRandom('unused'));
      expect(Buffer.from(got).equals(Buffer.from(pm))).to.equal(true);
    });

    it(`${name}: every malformed premaster gives the random one (drawn first), no error`, () => {
      const { priv } = keys(provider);
      const pm = makePremaster(TLS12, seededRandom('pm'));
      const cases: [string, Uint8Array][] = [
        ['first byte not 0', ((b) => { b[0] = 1; return b; })(block(pm))],
        ['block type 1, not 2', ((b) => { b[1] = 1; return b; })(block(pm))],
        ['no zero separator', block(pm).map((x, i) => (i >= 2 && x === 0 ? 0x77 : x))],
        ['message of 47 bytes', block(pm.subarray(1))],
        ['message of 49 bytes', block(Uint8Array.of(9, ...pm))],
        ['version 3.1 (TLS 1.0)', block(Uint8Array.of(3, 1, ...pm.subarray(2)))],
        ['version bytes swapped', block(Uint8Array.of(3, 3, ...pm.subarray(2)).map((x, i) => (i === 0 ? 3 : i === 1 ? 2 : x)))],
      ];
      // PS of 7 bytes: 00 02, 7 non-zero bytes, 00, then 246 bytes ending in the premaster.
      const short = block(pm);
      short[9] = 0;
      cases.push(['padding of 7 bytes', short]);
      const empty = block(pm);
      empty[2] = 0;
      cases.push(['no padding at all (zero right after 00 02)', empty]);
      for (const [what, em] of cases) {
        const c = rawEncrypt(provider, em);
        const fallback = seededRandom(`fb-${what}`)(PREMASTER_LENGTH);
        fallback[0] = 3;
        fallback[1] = 3;
        const got = decryptPremaster(priv, c, TLS12, seededRandom(`fb-${what}`));
        expect(Buffer.from(got).toString('hex'), what).to.equal(Buffer.from(fallback).toString('hex'));
      }
      // The well-formed block itself decrypts to its message (the cases above can fail).
      expect(Buffer.from(decryptPremaster(priv, rawEncrypt(provider, block(pm)), TLS12, seededRandom('x'))).equals(Buffer.from(pm))).to.equal(true);
      // Ciphertexts refused on public facts: wrong size, not below n.
      for (const c of [new Uint8Array(255).fill(1), new Uint8Array(257).fill(1), new Uint8Array(256).fill(0xff), new Uint8Array(0)]) {
        const got = decryptPremaster(priv, c, TLS12, seededRandom('pub'));
        const fallback = seededRandom('pub')(PREMASTER_LENGTH);
        fallback[0] = 3;
        fallback[1] = 3;
        expect(Buffer.from(got).equals(Buffer.from(fallback))).to.equal(true);
      }
    });
  }
});
