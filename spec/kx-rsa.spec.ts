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
import { opensslClient, requirePeer } from './helpers/peers.js';
import { inMemoryCase, interopCases, opensslServer0, Started } from './helpers/kx-interop.js';
import { makePki, type PkiEntry } from './helpers/pki.js';
import { within, EVENT_WAIT_MS } from './helpers/within.js';
import { alertsOf, onMessage, OurServer, tamperedClient, type Tampering } from './conformance/raw-tls.js';
import { encodeRsaClientKeyExchange } from '../lib/engine/handshake/key-agreement/dhe-rsa-messages.js';
import { ALL_CIPHER_SUITES, parseCipherList } from '../lib/engine/cipher-suites.js';
import { AlertDescription } from '../lib/engine/alerts.js';
import { ContentType, HandshakeType } from '../lib/engine/constants.js';
import { createServer, type SecureDuplex } from '../lib/index.js';
import type { TlsError } from '../lib/errors.js';
import type { AddressInfo } from 'node:net';

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

describe('static RSA suites against openssl and gnutls (TLS and DTLS)', function () {
  this.timeout(120_000);
  const pki = (): { ca: PkiEntry; leaf: PkiEntry } => {
    const p = makePki();
    return { ca: p.ca, leaf: p.leaves.rsa2048 };
  };
  for (const suite of ['AES128-GCM-SHA256', 'AES256-GCM-SHA384']) {
    describe(suite, () => {
      inMemoryCase(suite, 'RSA', () => pki().leaf);
      interopCases(suite, 'RSA', pki);
    });
  }
});

describe('static RSA: off unless `ciphers` names it', function () {
  this.timeout(60_000);
  const started = new Started();
  afterEach(() => started.stopAll());

  it('our server with the default cipher list refuses a client offering only AES128-GCM-SHA256 (handshake_failure); named, it serves it', async function () {
    requirePeer(this, 'openssl');
    const leaf = makePki().leaves.rsa2048;
    for (const ciphers of [undefined, 'AES128-GCM-SHA256']) {
      const server = started.server(createServer({ cert: leaf.certPem, key: leaf.keyPem, ...(ciphers ? { ciphers } : {}) }));
      const port = await within(new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))), 'listening');
      const outcome = within(new Promise<string>((resolve) => {
        server.once('secureConnection', (s: SecureDuplex) => {
          // s_client is killed below: the reset that follows is expected, not a failure.
          s.on('error', () => undefined);
          resolve(`secure ${s.getCipher()?.name}`);
        });
        server.once('tlsClientError', (e: TlsError) => resolve(`error ${e.alertName}`));
      }), 'server outcome');
      const c = started.peer(await opensslClient({ port, cipher: 'AES128-GCM-SHA256', waitHandshake: false }));
      expect(await outcome).to.equal(ciphers ? 'secure AES128-GCM-SHA256' : 'error handshake_failure');
      if (!ciphers) {
        await c.waitFor(/alert handshake failure/, EVENT_WAIT_MS);
        // The default list is node:tls's minus what we lack; node's own default (HIGH) does
        // include kRSA (docs/security.md).
        expect(parseCipherList(undefined).some((s) => s.kx === 'RSA')).to.equal(false);
      }
      await started.stopAll();
    }
  });

  it('our client offers RSA key exchange only when `ciphers` names it', () => {
    expect(parseCipherList(undefined).map((s) => s.kx)).to.not.include('RSA');
    // (Their order is OpenSSL's: spec/cipher-string compares 'kRSA' and 'RSA' with `openssl ciphers`.)
    const rsaKx = ALL_CIPHER_SUITES.filter((s) => s.kx === 'RSA').map((s) => s.opensslName);
    expect(rsaKx).to.include.members(['AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA', 'AES256-SHA256']);
    expect(parseCipherList('kRSA').map((s) => s.opensslName)).to.have.members(rsaKx);
    expect(parseCipherList('RSA').map((s) => s.opensslName)).to.have.members(rsaKx);
  });
});

/**
 * Bleichenbacher (RFC 5246 §7.4.7.1): a client that cannot tell a well-formed premaster from a
 * bad one learns nothing. Our tampering client (spec/conformance/raw-tls.ts) sends, in place of
 * its ClientKeyExchange, the server key's encryption of a block with wrong padding, a wrong
 * version or a wrong length, then its Finished under its own keys; and, for comparison, a correct
 * ClientKeyExchange followed by a Finished record it damaged (what a client that does not know
 * the premaster sends). The server must answer all four alike: the same messages, then the same
 * alert, then close; openssl s_server, run on the same four, is the reference.
 */
describe('static RSA: malformed premasters are indistinguishable on the wire', function () {
  this.timeout(120_000);
  const started = new Started();
  afterEach(() => started.stopAll());
  const suite = parseCipherList('AES128-GCM-SHA256');

  /** EM = 00 02 PS 00 M (RFC 8017 §7.2.1) for a k-byte modulus, PS non-zero. */
  function block(k: number, message: Uint8Array): Uint8Array {
    const em = new Uint8Array(k);
    em[1] = 2;
    em.fill(0x6b, 2, k - message.length - 1);
    em.set(message, k - message.length);
    return em;
  }

  function tampering(kind: string, leaf: PkiEntry): Tampering {
    const pub = nobleProvider.publicKeyFromCertificate(leaf.der);
    const k = pub.modulusLength!;
    const pm = makePremaster(0x0303, seededRandom(`bleichenbacher ${kind}`));
    const bad: Record<string, Uint8Array> = {
      'wrong padding (block type 1)': ((em) => { em[1] = 1; return em; })(block(k, pm)),
      'wrong version (3.1)': block(k, Uint8Array.of(3, 1, ...pm.subarray(2))),
      'wrong length (47 bytes)': block(k, pm.subarray(1)),
    };
    const em = bad[kind];
    let afterCcs = false;
    return {
      client: { cipherSuites: suite },
      message: em ? onMessage('client_key_exchange', () => ({ type: 'client_key_exchange', body: encodeRsaClientKeyExchange(pub.encryptRaw!(em)) })) : undefined,
      output: kind === 'correct premaster, damaged Finished' ? (bytes) => {
        if (bytes[0] === ContentType.change_cipher_spec) afterCcs = true;
        else if (afterCcs && bytes[0] === ContentType.handshake) {
          afterCcs = false;
          const damaged = bytes.slice();
          damaged[damaged.length - 1]! ^= 0x01;
          return damaged;
        }
        return bytes;
      } : undefined,
    };
  }

  const KINDS = ['wrong padding (block type 1)', 'wrong version (3.1)', 'wrong length (47 bytes)', 'correct premaster, damaged Finished'];

  it('our server: the same messages, then fatal bad_record_mac, for all four; an untouched handshake completes', async function () {
    const leaf = makePki().leaves.rsa2048;
    const ours = await OurServer.start(leaf, { ciphers: 'AES128-GCM-SHA256' });
    started.server(ours.server);
    const answers: string[] = [];
    for (const kind of KINDS) {
      const a = await tamperedClient(ours.port, tampering(kind, leaf));
      expect(a.completed, kind).to.equal(false);
      answers.push(JSON.stringify({ handshakes: a.handshakes, alerts: alertsOf(a), closed: a.closed }));
    }
    expect(new Set(answers).size, answers.join('\n')).to.equal(1);
    expect(JSON.parse(answers[0]!)).to.deep.equal({
      handshakes: [HandshakeType.server_hello, HandshakeType.certificate, HandshakeType.server_hello_done],
      alerts: [[2, AlertDescription.bad_record_mac]],
      closed: true,
    });
    // Our server reports them alike too.
    const errors = await Promise.all(KINDS.map((_k, i) => ours.error(i)));
    expect(new Set(errors.map((e) => `${e.code} ${e.alertName}`)).size).to.equal(1);
    // The control: the same client, untouched, completes.
    const ok = await tamperedClient(ours.port, { client: { cipherSuites: suite } });
    expect(ok.completed).to.equal(true);
  });

  it('openssl s_server (the reference) answers the same four the same way as ours', async function () {
    requirePeer(this, 'openssl');
    const leaf = makePki().leaves.rsa2048;
    const ours = await OurServer.start(leaf, { ciphers: 'AES128-GCM-SHA256' });
    started.server(ours.server);
    for (const kind of KINDS) {
      const { peer, port } = await opensslServer0(['-cert', leaf.certPath, '-key', leaf.keyPath, '-cipher', 'AES128-GCM-SHA256'], false);
      started.peer(peer);
      const theirs = await tamperedClient(port, tampering(kind, leaf));
      const mine = await tamperedClient(ours.port, tampering(kind, leaf));
      expect({ handshakes: mine.handshakes, alerts: alertsOf(mine), closed: mine.closed }, kind)
        .to.deep.equal({ handshakes: theirs.handshakes, alerts: alertsOf(theirs), closed: theirs.closed });
    }
  });
});
