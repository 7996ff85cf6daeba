// X.509: certificate generation (RFC 5280 §4), chain verification (RFC 5280 §6 as OpenSSL/node
// report it), host name checks (RFC 6125 as node:tls does them) and the getPeerCertificate()
// object. Node's own answers, from real node:tls connections over 127.0.0.1, are the oracle.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { generateCertificate, type CertificateKeyType } from '../lib/crypto/certificate-generator.js';
import { verifyCertificateChain, type VerifyPurpose, type VerifyResult } from '../lib/crypto/certificate-verifier.js';
import { AltNameInvalidError, checkServerIdentity } from '../lib/crypto/server-identity.js';
import { findTrustedIssuer, trustStore } from '../lib/crypto/trust-store.js';
import * as der from '../lib/crypto/der.js';
import { parseCertificate } from '../lib/crypto/parsed-certificate.js';
import { requirePeer } from './helpers/peers.js';
import { toPeerCertificate, type PeerCertificate } from '../lib/crypto/peer-certificate.js';
import { ErrorCode, TlsError } from '../lib/errors.js';
import { makePki, type Pki } from './helpers/pki.js';
import { nodeClientVerdictOf, nodeServerVerdictOf } from './helpers/node-verdict.js';

const DAY = 86400_000;
const KEY_TYPES: readonly CertificateKeyType[] = ['ec-p256', 'ec-p384', 'ed25519', 'rsa2048'];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function toPem(d: Uint8Array): string {
  const b64 = Buffer.from(d).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

function pemToDers(pem: string): Uint8Array[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)]
    .map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

interface Ext {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

/** Re-signs `certDer` with `issuerKeyPem` after editing its extensions (to make certificates the
 *  generator deliberately cannot: no basicConstraints, odd key usages, unknown critical ones). */
function reissue(certDer: Uint8Array, issuerKeyPem: string, edit: (exts: Ext[]) => Ext[]): string {
  const [tbsNode, algNode] = der.children(der.decode(certDer));
  const tbs = der.children(tbsNode!);
  const idx = tbs.findIndex((n) => n.tag === der.contextTag(3, true));
  const exts = der.children(der.children(tbs[idx]!)[0]!).map((e): Ext => {
    const p = der.children(e);
    return { oid: der.readOid(p[0]!), critical: p.length === 3, value: p[p.length - 1]!.content };
  });
  const encoded = edit(exts).map((e) => (e.critical
    ? der.sequence(der.oid(e.oid), der.boolean(true), der.octetString(e.value))
    : der.sequence(der.oid(e.oid), der.octetString(e.value))));
  const parts = tbs.map((n) => n.bytes);
  parts[idx] = der.explicit(3, der.sequence(...encoded));
  const newTbs = der.sequence(...parts);
  const key = createPrivateKey(issuerKeyPem);
  const hash = key.asymmetricKeyType === 'ed25519' ? null
    : key.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'sha384' : 'sha256';
  return toPem(der.sequence(newTbs, algNode!.bytes, der.bitString(new Uint8Array(sign(hash, newTbs, key)))));
}

const replaceExt = (oid: string, value: Uint8Array) => (exts: Ext[]): Ext[] =>
  exts.map((e) => (e.oid === oid ? { ...e, value } : e));
const dropExt = (oid: string) => (exts: Ext[]): Ext[] => exts.filter((e) => e.oid !== oid);

interface NodeVerdict {
  ok: boolean;
  code?: string;
  message?: string;
}

/** node:tls's verdict on a server presenting `chainPem`: a client with `ca` connects to it. */
async function nodeServerVerdict(chainPem: string, keyPem: string, ca: string[] | undefined): Promise<NodeVerdict> {
  const v = await nodeClientVerdictOf({ chainPem, keyPem }, ca);
  return v.code === 'ok' ? { ok: true } : { ok: false, code: v.code, message: v.message };
}

/** node:tls's verdict on a client presenting `chainPem` to a server with requestCert and `ca`. */
async function nodeClientVerdict(chainPem: string, keyPem: string, ca: string[]): Promise<NodeVerdict> {
  const code = await nodeServerVerdictOf({ chainPem, keyPem }, makePki().leaves['ec-p256'], ca);
  return code === 'ok' ? { ok: true } : { ok: false, code };
}

/** What a node:tls client sees: getPeerCertificate(detailed) of a server sending `chainPem`. */
function nodePeerCertificate(chainPem: string, keyPem: string, ca: string[], detailed: boolean): Promise<tls.DetailedPeerCertificate> {
  return new Promise((resolve, reject) => {
    const server = tls.createServer({ cert: chainPem, key: keyPem }, (s) => {
      s.on('error', () => {});
      s.end();
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      const c = tls.connect({ port, host: '127.0.0.1', ca, rejectUnauthorized: false });
      c.on('secureConnect', () => {
        const cert = c.getPeerCertificate(detailed) as tls.DetailedPeerCertificate;
        c.destroy();
        server.close();
        resolve(cert);
      });
      c.on('error', (e) => {
        server.close();
        reject(e);
      });
    });
  });
}

/** Connects a node:tls client (ca = the test root) to a node:tls server using `cert`/`key`. */
function nodeHandshake(
  server: tls.TlsOptions,
  client: tls.ConnectionOptions,
): Promise<{ authorized: boolean; error?: NodeJS.ErrnoException; serverAuthorized?: boolean }> {
  return new Promise((resolve) => {
    let serverAuthorized: boolean | undefined;
    const srv = tls.createServer(server, (s) => {
      serverAuthorized = s.authorized;
      s.on('error', () => {});
      s.end('hi');
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      const c = tls.connect({ port, host: '127.0.0.1', ...client });
      c.on('secureConnect', () => {
        c.on('data', () => {});
        c.on('end', () => {
          c.destroy();
          srv.close();
          resolve({ authorized: c.authorized, serverAuthorized });
        });
      });
      c.on('error', (error: NodeJS.ErrnoException) => {
        srv.close();
        resolve({ authorized: false, error });
      });
    });
  });
}


function opensslVerify(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('openssl', ['verify', ...args], { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

// ---------------------------------------------------------------------------------------------
// DER
// ---------------------------------------------------------------------------------------------

describe('x509', () => {
  let pki: Pki;
  before(() => {
    pki = makePki();
  });

  describe('der (X.690)', () => {
    const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

    it('encodes minimal INTEGERs with a sign octet when needed', () => {
      expect(hexOf(der.integer(0))).to.equal('020100');
      expect(hexOf(der.integer(127))).to.equal('02017f');
      expect(hexOf(der.integer(128))).to.equal('02020080');
      expect(hexOf(der.integer(256))).to.equal('02020100');
      expect(hexOf(der.integer(Uint8Array.of(0, 0, 0x05)))).to.equal('020105');
    });

    it('round-trips OIDs, long lengths and times', () => {
      for (const o of ['2.5.29.19', '1.2.840.113549.1.1.11', '1.3.101.112', '2.999.3']) {
        expect(der.readOid(der.decode(der.oid(o)))).to.equal(o);
      }
      const big = der.octetString(new Uint8Array(300));
      expect(hexOf(big.subarray(0, 4))).to.equal('0482012c');
      expect(der.decode(big).content.length).to.equal(300);
      const d2049 = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));
      const d2050 = new Date(Date.UTC(2050, 0, 1, 0, 0, 0));
      expect(der.decode(der.time(d2049)).tag).to.equal(der.Tag.UTC_TIME);
      expect(der.decode(der.time(d2050)).tag).to.equal(der.Tag.GENERALIZED_TIME);
      expect(der.readTime(der.decode(der.time(d2049)))).to.equal(d2049.getTime());
      expect(der.readTime(der.decode(der.time(d2050)))).to.equal(d2050.getTime());
    });

    it('drops trailing zero bits of named BIT STRINGs and rejects non-DER lengths', () => {
      expect(hexOf(der.namedBits([0]))).to.equal('03020780'); // digitalSignature
      expect(hexOf(der.namedBits([5, 6]))).to.equal('03020106'); // keyCertSign, cRLSign
      expect(() => der.decode(Uint8Array.of(0x04, 0x81, 0x01, 0x00))).to.throw(der.DerError);
      expect(() => der.decode(Uint8Array.of(0x30, 0x80, 0x00, 0x00))).to.throw(der.DerError);
      expect(() => der.decode(Uint8Array.of(0x04, 0x02, 0x00))).to.throw(der.DerError);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Generator
  // -------------------------------------------------------------------------------------------

  describe('generateCertificate', () => {
    for (const keyType of KEY_TYPES) {
      it(`makes a ${keyType} leaf that node:crypto parses with the requested fields`, () => {
        const leaf = pki.leaves[keyType];
        const x = new X509Certificate(leaf.certPem);
        expect(x.subject).to.equal('CN=localhost');
        expect(x.issuer).to.equal('CN=secure-duplex test root CA');
        expect(x.subjectAltName).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
        expect(x.ca).to.equal(false);
        expect(x.keyUsage).to.deep.equal(['1.3.6.1.5.5.7.3.1']);
        expect(x.fingerprint256).to.equal(leaf.fingerprint256);
        expect(Buffer.from(x.raw).equals(leaf.der)).to.equal(true);
        expect(x.serialNumber).to.match(/^[0-7][0-9A-F]{31}$/);
        expect(x.verify(new X509Certificate(pki.ca.certPem).publicKey)).to.equal(true);
        expect(x.checkPrivateKey(createPrivateKey(leaf.keyPem))).to.equal(true);
        expect(leaf.keyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
        expect(x.publicKey.asymmetricKeyType).to.equal(keyType === 'rsa2048' ? 'rsa' : keyType.startsWith('ec') ? 'ec' : 'ed25519');
      });
    }

    it('makes self-signed CAs, honours validity dates and leaves SAN out when asked', () => {
      const notBefore = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));
      const notAfter = new Date(Date.UTC(2051, 5, 6, 7, 8, 9));
      const c = generateCertificate({ isCA: true, commonName: 'Some CA', altNames: [], notBefore, notAfter });
      const x = new X509Certificate(c.certPem);
      expect(x.ca).to.equal(true);
      expect(x.subjectAltName).to.equal(undefined);
      expect(x.checkIssued(x)).to.equal(true);
      expect(x.verify(x.publicKey)).to.equal(true);
      expect(x.validFrom).to.equal('Jan  2 03:04:05 2030 GMT');
      expect(x.validTo).to.equal('Jun  6 07:08:09 2051 GMT');
      const defaults = new X509Certificate(generateCertificate().certPem);
      const from = Date.parse(defaults.validFrom);
      const to = Date.parse(defaults.validTo);
      expect(Math.abs(from - (Date.now() - 3600_000))).to.be.below(10_000);
      expect(Math.abs(to - (Date.now() + 30 * DAY))).to.be.below(10_000);
    });

    it('rejects an issuer key that does not belong to the issuer certificate', () => {
      expect(() => generateCertificate({ issuer: { certPem: pki.ca.certPem, keyPem: pki.client.keyPem } }))
        .to.throw(/does not match/);
    });

    describe('openssl verify (CLI, -x509_strict)', () => {
      before(function () {
        requirePeer(this, 'openssl'); // fails in CI when missing, skips loudly elsewhere
      });

      it('accepts every server leaf for sslserver under the root', () => {
        const r = opensslVerify(['-x509_strict', '-purpose', 'sslserver', '-CAfile', pki.ca.certPath,
          ...KEY_TYPES.map((k) => pki.leaves[k].certPath), pki.wrongHost.certPath]);
        expect(r.ok, r.out).to.equal(true);
      });

      it('accepts the client leaf for sslclient, the intermediate chain and the self-signed leaf', () => {
        let r = opensslVerify(['-x509_strict', '-purpose', 'sslclient', '-CAfile', pki.ca.certPath, pki.client.certPath]);
        expect(r.ok, r.out).to.equal(true);
        r = opensslVerify(['-x509_strict', '-purpose', 'sslserver', '-CAfile', pki.ca.certPath,
          '-untrusted', pki.intermediate.intermediateCa.certPath, pki.intermediate.certPath]);
        expect(r.ok, r.out).to.equal(true);
        r = opensslVerify(['-x509_strict', '-CAfile', pki.selfSigned.certPath, pki.selfSigned.certPath]);
        expect(r.ok, r.out).to.equal(true);
      });

      it('accepts chains under RSA, Ed25519 and P-384 issuers', () => {
        const root = generateCertificate({ keyType: 'rsa2048', isCA: true, commonName: 'rsa root', altNames: [] });
        const mid = generateCertificate({ keyType: 'ed25519', isCA: true, commonName: 'ed25519 mid', altNames: [], issuer: root });
        const mid2 = generateCertificate({ keyType: 'ec-p384', isCA: true, commonName: 'p384 mid', altNames: [], issuer: mid });
        const leaf = generateCertificate({ keyType: 'ec-p256', issuer: mid2, extKeyUsage: ['serverAuth', 'clientAuth'] });
        const dir = fs.mkdtempSync(path.join(pki.dir, 'chain-'));
        const w = (n: string, s: string): string => {
          fs.writeFileSync(path.join(dir, n), s);
          return path.join(dir, n);
        };
        const r = opensslVerify(['-x509_strict', '-purpose', 'sslserver', '-CAfile', w('root.pem', root.certPem),
          '-untrusted', w('mids.pem', mid.certPem + mid2.certPem), w('leaf.pem', leaf.certPem)]);
        expect(r.ok, r.out).to.equal(true);
        expect(verifyCertificateChain([leaf.der, mid2.der, mid.der], { ca: [root.certPem], purpose: 'client' }))
          .to.deep.equal({ ok: true });
      });

      it('reports the expired leaf as expired', () => {
        const r = opensslVerify(['-CAfile', pki.ca.certPath, pki.expired.certPath]);
        expect(r.ok).to.equal(false);
        expect(r.out).to.include('certificate has expired');
      });
    });

    describe('node:tls', () => {
      for (const keyType of KEY_TYPES) {
        it(`serves the ${keyType} leaf to a verifying node:tls client (by name and by IP)`, async () => {
          const leaf = pki.leaves[keyType];
          const server = { cert: leaf.certPem, key: leaf.keyPem };
          const byName = await nodeHandshake(server, { ca: [pki.ca.certPem], servername: 'localhost' });
          expect(byName.error?.message).to.equal(undefined);
          expect(byName.authorized).to.equal(true);
          const byIp = await nodeHandshake({ ...server, maxVersion: 'TLSv1.2' }, { ca: [pki.ca.certPem] });
          expect(byIp.error?.message).to.equal(undefined);
          expect(byIp.authorized).to.equal(true);
        });
      }

      it('serves the intermediate chain and authenticates the client leaf', async () => {
        const r = await nodeHandshake(
          { cert: pki.intermediate.chainPem, key: pki.intermediate.keyPem, requestCert: true, rejectUnauthorized: true, ca: [pki.ca.certPem] },
          { ca: [pki.ca.certPem], servername: 'localhost', cert: pki.client.certPem, key: pki.client.keyPem },
        );
        expect(r.error?.message).to.equal(undefined);
        expect(r.authorized).to.equal(true);
        expect(r.serverAuthorized).to.equal(true);
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  // Chain verification vs node:tls
  // -------------------------------------------------------------------------------------------

  describe('verifyCertificateChain', () => {
    interface Scenario {
      name: string;
      expected: string | 'ok';
      purpose?: VerifyPurpose;
      /** Built lazily (the PKI exists only once `before` ran). */
      build: () => { chainPem: string; keyPem: string; ca: string[] | undefined };
    }
    let other: ReturnType<typeof generateCertificate>;
    let cache: Map<string, ReturnType<Scenario['build']>>;
    before(() => {
      other = generateCertificate({ isCA: true, commonName: 'unrelated CA', altNames: [] });
      cache = new Map();
    });
    const now = Date.now();
    const root = (): { certPem: string; keyPem: string } => ({ certPem: pki.ca.certPem, keyPem: pki.ca.keyPem });

    const scenarios: Scenario[] = [
      { name: 'a leaf issued by the root', expected: 'ok',
        build: () => ({ chainPem: pki.leaves['ec-p256'].certPem, keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.ca.certPem] }) },
      { name: 'an intermediate chain', expected: 'ok',
        build: () => ({ chainPem: pki.intermediate.chainPem, keyPem: pki.intermediate.keyPem, ca: [pki.ca.certPem] }) },
      { name: 'extra, unrelated and out-of-order certificates in the chain', expected: 'ok',
        build: () => ({
          chainPem: pki.intermediate.certPem + other.certPem + pki.ca.certPem + pki.intermediate.intermediateCa.certPem + pki.intermediate.certPem,
          keyPem: pki.intermediate.keyPem, ca: [pki.ca.certPem],
        }) },
      { name: 'a self-signed leaf that is itself trusted', expected: 'ok',
        build: () => ({ chainPem: pki.selfSigned.certPem, keyPem: pki.selfSigned.keyPem, ca: [pki.selfSigned.certPem] }) },
      { name: 'a self-signed leaf not in ca', expected: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        build: () => ({ chainPem: pki.selfSigned.certPem, keyPem: pki.selfSigned.keyPem, ca: [pki.ca.certPem] }) },
      { name: 'a self-signed leaf against the default roots', expected: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        build: () => ({ chainPem: pki.selfSigned.certPem, keyPem: pki.selfSigned.keyPem, ca: undefined }) },
      { name: 'a self-signed leaf mimicking a trusted one (same name and key)', expected: 'DEPTH_ZERO_SELF_SIGNED_CERT',
        build: () => ({
          chainPem: reissue(pki.selfSigned.der, pki.selfSigned.keyPem, dropExt('2.5.29.37')),
          keyPem: pki.selfSigned.keyPem, ca: [pki.selfSigned.certPem],
        }) },
      { name: 'a lone leaf whose issuer is unknown', expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        build: () => ({ chainPem: pki.leaves['ec-p256'].certPem, keyPem: pki.leaves['ec-p256'].keyPem, ca: [other.certPem] }) },
      { name: 'a lone leaf against the default roots', expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        build: () => ({ chainPem: pki.leaves['ec-p256'].certPem, keyPem: pki.leaves['ec-p256'].keyPem, ca: undefined }) },
      { name: 'a leaf sent without its intermediate', expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        build: () => ({ chainPem: pki.intermediate.certPem, keyPem: pki.intermediate.keyPem, ca: [pki.ca.certPem] }) },
      { name: 'a non-self-signed leaf that is itself in ca', expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        build: () => ({ chainPem: pki.leaves['ec-p256'].certPem, keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.leaves['ec-p256'].certPem] }) },
      { name: 'leaf + intermediate whose root is unknown', expected: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
        build: () => ({ chainPem: pki.intermediate.chainPem, keyPem: pki.intermediate.keyPem, ca: [other.certPem] }) },
      { name: 'a chain ending in an untrusted self-signed root', expected: 'SELF_SIGNED_CERT_IN_CHAIN',
        build: () => ({ chainPem: pki.intermediate.chainPem + pki.ca.certPem, keyPem: pki.intermediate.keyPem, ca: [other.certPem] }) },
      { name: 'a non-self-signed intermediate as the only anchor', expected: 'UNABLE_TO_GET_ISSUER_CERT',
        build: () => ({ chainPem: pki.intermediate.chainPem, keyPem: pki.intermediate.keyPem, ca: [pki.intermediate.intermediateCa.certPem] }) },
      { name: 'an expired leaf', expected: 'CERT_HAS_EXPIRED',
        build: () => ({ chainPem: pki.expired.certPem, keyPem: pki.expired.keyPem, ca: [pki.ca.certPem] }) },
      { name: 'an expired leaf whose issuer is unknown (dates are checked last)', expected: 'CERT_HAS_EXPIRED',
        build: () => ({ chainPem: pki.expired.certPem, keyPem: pki.expired.keyPem, ca: [other.certPem] }) },
      { name: 'an expired self-signed leaf not in ca', expected: 'CERT_HAS_EXPIRED',
        build: () => {
          const c = generateCertificate({ notBefore: new Date(now - 60 * DAY), notAfter: new Date(now - 30 * DAY) });
          return { chainPem: c.certPem, keyPem: c.keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'an expired intermediate', expected: 'CERT_HAS_EXPIRED',
        build: () => {
          const mid = generateCertificate({ issuer: root(), isCA: true, commonName: 'expired mid', altNames: [], notBefore: new Date(now - 60 * DAY), notAfter: new Date(now - 30 * DAY) });
          const leaf = generateCertificate({ issuer: mid });
          return { chainPem: leaf.certPem + mid.certPem, keyPem: leaf.keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'a trusted but expired root', expected: 'CERT_HAS_EXPIRED',
        build: () => {
          const r = generateCertificate({ isCA: true, commonName: 'expired root', altNames: [], notBefore: new Date(now - 60 * DAY), notAfter: new Date(now - 30 * DAY) });
          const leaf = generateCertificate({ issuer: r });
          return { chainPem: leaf.certPem, keyPem: leaf.keyPem, ca: [r.certPem] };
        } },
      { name: 'a leaf that is not yet valid', expected: 'CERT_NOT_YET_VALID',
        build: () => {
          const c = generateCertificate({ issuer: root(), notBefore: new Date(now + DAY), notAfter: new Date(now + 30 * DAY) });
          return { chainPem: c.certPem, keyPem: c.keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'a leaf with a bad signature', expected: 'CERT_SIGNATURE_FAILURE',
        build: () => {
          const bad = new Uint8Array(pki.leaves['ec-p256'].der);
          bad[bad.length - 1]! ^= 1;
          return { chainPem: toPem(bad), keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'an intermediate without basicConstraints (keyCertSign only)', expected: 'INVALID_CA',
        build: () => ({
          chainPem: pki.intermediate.certPem + reissue(pki.intermediate.intermediateCa.der, pki.ca.keyPem, dropExt('2.5.29.19')),
          keyPem: pki.intermediate.keyPem, ca: [pki.ca.certPem],
        }) },
      { name: 'a non-CA intermediate without keyUsage', expected: 'INVALID_PURPOSE',
        build: () => {
          const nonCa = generateCertificate({ issuer: root(), commonName: 'not a CA', altNames: [] });
          const noKu = reissue(nonCa.der, pki.ca.keyPem, dropExt('2.5.29.15'));
          const leaf = generateCertificate({ issuer: { certPem: noKu, keyPem: nonCa.keyPem } });
          return { chainPem: leaf.certPem + noKu, keyPem: leaf.keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'a non-CA intermediate whose keyUsage lacks keyCertSign', expected: 'UNSPECIFIED',
        build: () => {
          const nonCa = generateCertificate({ issuer: root(), commonName: 'not a CA', altNames: [] });
          const leaf = generateCertificate({ issuer: nonCa });
          return { chainPem: leaf.certPem + nonCa.certPem, keyPem: leaf.keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'a client certificate presented by a server', expected: 'INVALID_PURPOSE',
        build: () => ({ chainPem: pki.client.certPem, keyPem: pki.client.keyPem, ca: [pki.ca.certPem] }) },
      { name: 'a leaf whose EKU is anyExtendedKeyUsage only', expected: 'INVALID_PURPOSE',
        build: () => ({
          chainPem: reissue(pki.leaves['ec-p256'].der, pki.ca.keyPem,
            replaceExt('2.5.29.37', der.sequence(der.oid('2.5.29.37.0')))),
          keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.ca.certPem],
        }) },
      { name: 'a leaf whose keyUsage is keyAgreement only', expected: 'ok',
        build: () => ({
          chainPem: reissue(pki.leaves['ec-p256'].der, pki.ca.keyPem, replaceExt('2.5.29.15', der.namedBits([4]))),
          keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.ca.certPem],
        }) },
      { name: 'a leaf whose keyUsage is keyCertSign only', expected: 'INVALID_PURPOSE',
        build: () => ({
          chainPem: reissue(pki.leaves['ec-p256'].der, pki.ca.keyPem, replaceExt('2.5.29.15', der.namedBits([5]))),
          keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.ca.certPem],
        }) },
      { name: 'an intermediate whose EKU excludes serverAuth', expected: 'INVALID_PURPOSE',
        build: () => ({
          chainPem: pki.intermediate.certPem + reissue(pki.intermediate.intermediateCa.der, pki.ca.keyPem,
            (e) => [...e, { oid: '2.5.29.37', critical: false, value: der.sequence(der.oid('1.3.6.1.5.5.7.3.2')) }]),
          keyPem: pki.intermediate.keyPem, ca: [pki.ca.certPem],
        }) },
      { name: 'an intermediate CA below a pathLenConstraint 0 CA', expected: 'PATH_LENGTH_EXCEEDED',
        build: () => {
          const mid = reissue(pki.intermediate.intermediateCa.der, pki.ca.keyPem,
            replaceExt('2.5.29.19', der.sequence(der.boolean(true), der.integer(0))));
          const mid2 = generateCertificate({ issuer: { certPem: mid, keyPem: pki.intermediate.intermediateCa.keyPem }, isCA: true, commonName: 'mid2', altNames: [] });
          const leaf = generateCertificate({ issuer: mid2 });
          return { chainPem: leaf.certPem + mid2.certPem + mid, keyPem: leaf.keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'a leaf with an unknown critical extension', expected: 'UNSPECIFIED',
        build: () => ({
          chainPem: reissue(pki.leaves['ec-p256'].der, pki.ca.keyPem,
            (e) => [...e, { oid: '1.2.3.4', critical: true, value: der.nullValue() }]),
          keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.ca.certPem],
        }) },
      { name: 'client: the client leaf', purpose: 'client', expected: 'ok',
        build: () => ({ chainPem: pki.client.certPem, keyPem: pki.client.keyPem, ca: [pki.ca.certPem] }) },
      { name: 'client: a serverAuth-only leaf', purpose: 'client', expected: 'INVALID_PURPOSE',
        build: () => ({ chainPem: pki.leaves['ec-p256'].certPem, keyPem: pki.leaves['ec-p256'].keyPem, ca: [pki.ca.certPem] }) },
      { name: 'client: a leaf without EKU', purpose: 'client', expected: 'ok',
        build: () => {
          const c = generateCertificate({ issuer: root(), commonName: 'any purpose', altNames: [] });
          return { chainPem: c.certPem, keyPem: c.keyPem, ca: [pki.ca.certPem] };
        } },
      { name: 'client: the client leaf under an unknown issuer', purpose: 'client', expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        build: () => ({ chainPem: pki.client.certPem, keyPem: pki.client.keyPem, ca: [other.certPem] }) },
      { name: 'client: an expired leaf', purpose: 'client', expected: 'CERT_HAS_EXPIRED',
        build: () => ({ chainPem: pki.expired.certPem, keyPem: pki.expired.keyPem, ca: [pki.ca.certPem] }) },
    ];

    const inputs = (s: Scenario): ReturnType<Scenario['build']> => {
      let v = cache.get(s.name);
      if (v === undefined) {
        v = s.build();
        cache.set(s.name, v);
      }
      return v;
    };

    for (const s of scenarios) {
      it(`${s.name} → ${s.expected}, as node:tls says`, async () => {
        const { chainPem, keyPem, ca } = inputs(s);
        const purpose = s.purpose ?? 'server';
        const ours = verifyCertificateChain(pemToDers(chainPem), { ca, purpose });
        expect(ours.ok ? 'ok' : ours.code).to.equal(s.expected);
        if (purpose === 'server') {
          const theirs = await nodeServerVerdict(chainPem, keyPem, ca);
          expect(ours).to.deep.equal(theirs);
        } else {
          const theirs = await nodeClientVerdict(chainPem, keyPem, ca!);
          expect(ours.ok ? { ok: true } : { ok: false, code: ours.code }).to.deep.equal(theirs);
        }
      });
    }

    it('uses node\'s messages for the named codes', () => {
      const msg = (r: VerifyResult): string => (r.ok ? 'ok' : r.message);
      const ca = [pki.ca.certPem];
      expect(msg(verifyCertificateChain([pki.selfSigned.der], { ca, purpose: 'server' }))).to.equal('self-signed certificate');
      expect(msg(verifyCertificateChain([pki.intermediate.der], { ca, purpose: 'server' }))).to.equal('unable to verify the first certificate');
      expect(msg(verifyCertificateChain([pki.expired.der], { ca, purpose: 'server' }))).to.equal('certificate has expired');
      expect(msg(verifyCertificateChain([...pki.intermediate.chain, pki.ca.der], { ca: [pki.selfSigned.certPem], purpose: 'server' })))
        .to.equal('self-signed certificate in certificate chain');
      expect(msg(verifyCertificateChain(pki.intermediate.chain, { ca: [pki.selfSigned.certPem], purpose: 'server' })))
        .to.equal('unable to get local issuer certificate');
    });

    it('checks dates at opts.now', () => {
      const leaf = [pki.leaves['ec-p256'].der];
      const ca = [pki.ca.certPem];
      const notBefore = Date.parse(new X509Certificate(pki.leaves['ec-p256'].certPem).validFrom);
      const notAfter = Date.parse(new X509Certificate(pki.leaves['ec-p256'].certPem).validTo);
      const at = (t: number): string => {
        const r = verifyCertificateChain(leaf, { ca, purpose: 'server', now: new Date(t) });
        return r.ok ? 'ok' : r.code;
      };
      expect(at(notBefore - 1000)).to.equal(ErrorCode.CERT_NOT_YET_VALID);
      expect(at(notBefore)).to.equal('ok');
      // The root was made a moment before the leaf, for as long: it may expire first (under load,
      // by more than a second), and every certificate's dates count.
      const rootNotAfter = Date.parse(new X509Certificate(pki.ca.certPem).validTo);
      expect(at(Math.min(notAfter, rootNotAfter) - 1000)).to.equal('ok');
      expect(at(notAfter)).to.equal(ErrorCode.CERT_HAS_EXPIRED); // OpenSSL: notAfter <= now is expired
      expect(at(Date.now() - 45 * DAY)).to.equal(ErrorCode.CERT_NOT_YET_VALID);
      // Inside the expired leaf's validity, but before the root's: every certificate's dates count.
      const r = verifyCertificateChain([pki.expired.der], { ca, purpose: 'server', now: new Date(Date.now() - 45 * DAY) });
      expect(r.ok ? 'ok' : r.code).to.equal(ErrorCode.CERT_NOT_YET_VALID);
    });

    it('accepts ca as PEM bundles, DER and PEM bytes, and notices a changed ca array', () => {
      const chain = pki.intermediate.chain;
      const ok = { ok: true };
      expect(verifyCertificateChain(chain, { ca: [other.certPem + pki.ca.certPem], purpose: 'server' })).to.deep.equal(ok);
      expect(verifyCertificateChain(chain, { ca: [pki.ca.der], purpose: 'server' })).to.deep.equal(ok);
      expect(verifyCertificateChain(chain, { ca: [Buffer.from(pki.ca.certPem)], purpose: 'server' })).to.deep.equal(ok);
      const ca: string[] = [other.certPem];
      expect(verifyCertificateChain(chain, { ca, purpose: 'server' }).ok).to.equal(false);
      ca.push(pki.ca.certPem);
      expect(verifyCertificateChain(chain, { ca, purpose: 'server' })).to.deep.equal(ok);
    });

    it('reports an empty chain as node does and an undecodable certificate as a decode error', () => {
      expect(verifyCertificateChain([], { ca: [pki.ca.certPem], purpose: 'client' }))
        .to.deep.equal({ ok: false, code: 'UNABLE_TO_GET_ISSUER_CERT', message: 'unable to get issuer certificate' });
      const r = verifyCertificateChain([Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)], { ca: [pki.ca.certPem], purpose: 'server' });
      expect(r.ok ? 'ok' : r.code).to.equal(ErrorCode.DECODE);
    });

    it('caches the default roots (parsed once: later verifications reuse the same store)', () => {
      const leaf = [pki.leaves['ec-p256'].der];
      verifyCertificateChain(leaf, { purpose: 'server' });
      const store = trustStore(undefined);
      expect(store.bySubject.size, 'the default roots are parsed').to.be.greaterThan(50);
      for (let i = 0; i < 3; i++) verifyCertificateChain(leaf, { purpose: 'server' });
      expect(trustStore(undefined), 'the same parsed store, not a new parse').to.equal(store);
    });

    it('parses a certificate once, kept by its bytes, but validates the path on every call', () => {
      const [leaf, intermediate] = pki.intermediate.chain as [Uint8Array, Uint8Array];
      const ca = [pki.ca.certPem];
      const mine = Uint8Array.from(leaf);
      expect(parseCertificate(mine), 'the same bytes give the same parse').to.equal(parseCertificate(Uint8Array.from(leaf)));
      expect(verifyCertificateChain([mine, intermediate], { ca, purpose: 'server' })).to.deep.equal({ ok: true });
      // The cache holds its own copy: the caller's buffer changing later changes nothing kept.
      mine.fill(0);
      expect(Buffer.from(parseCertificate(leaf).der).equals(Buffer.from(leaf))).to.equal(true);
      const r0 = verifyCertificateChain([mine, intermediate], { ca, purpose: 'server' });
      expect(r0.ok ? 'ok' : r0.code).to.equal(ErrorCode.DECODE);
      // The verdict is not kept: the clock and the signature are checked again each time.
      const expired = verifyCertificateChain([leaf, intermediate], { ca, purpose: 'server', now: new Date(Date.now() + 3650 * DAY) });
      expect(expired.ok ? 'ok' : expired.code).to.equal('CERT_HAS_EXPIRED');
      const tampered = Uint8Array.from(leaf);
      tampered[tampered.length - 1]! ^= 0x01; // the last byte of the signature value
      const bad = verifyCertificateChain([tampered, intermediate], { ca, purpose: 'server' });
      expect(bad.ok ? 'ok' : bad.code).to.equal('CERT_SIGNATURE_FAILURE');
      expect(verifyCertificateChain([leaf, intermediate], { ca, purpose: 'server' })).to.deep.equal({ ok: true });
    });

    it('finds the trust-store issuer node\'s getPeerCertificate(true) would add', () => {
      expect(Buffer.from(findTrustedIssuer(pki.leaves['ec-p384'].der, [pki.ca.certPem])!).equals(pki.ca.der)).to.equal(true);
      expect(findTrustedIssuer(pki.leaves['ec-p384'].der, [other.certPem])).to.equal(undefined);
    });
  });

  // -------------------------------------------------------------------------------------------
  // Host names vs tls.checkServerIdentity
  // -------------------------------------------------------------------------------------------

  describe('checkServerIdentity', () => {
    const hosts = [
      'localhost', 'LocalHost', 'localhost.', '127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '127.0.0.2', '::2',
      'foo.example.com', 'FOO.Example.COM', 'a.b.example.com', 'example.com', 'abc.partial.example.com',
      'bc.partial.example.com', 'a.partial.example.com', 'x.com', 'xn--abc.idn.example.com', 'exact.example.com',
      'www.cn.example.com', 'cn.example.com', '10.0.0.1', '2001:db8:0:0:0:0:0:1', '2001:db8::2', '::ffff:10.0.0.1',
      'ip-only.example', 'ignored.example.com', '',
    ];
    const certs: Record<string, () => Uint8Array> = {
      'default leaf': () => pki.leaves['ec-p256'].der,
      'wildcards': () => generateCertificate({
        commonName: 'ignored.example.com',
        altNames: ['*.example.com', 'a*.partial.example.com', '*.com', 'xn--*.idn.example.com', 'exact.example.com'],
      }).der,
      'CN only (wildcard CN)': () => generateCertificate({ commonName: '*.cn.example.com', altNames: [] }).der,
      'CN only (plain CN)': () => generateCertificate({ commonName: 'cn.example.com', altNames: [] }).der,
      'IP SANs only': () => generateCertificate({ commonName: 'ip-only.example', altNames: ['10.0.0.1', '2001:db8::1', '::ffff:10.0.0.1'] }).der,
      'no names at all': () => generateCertificate({ commonName: '', altNames: [] }).der,
    };
    for (const [label, make] of Object.entries(certs)) {
      it(`matches tls.checkServerIdentity for a ${label} certificate`, () => {
        const d = make();
        const legacy = new X509Certificate(d).toLegacyObject();
        for (const host of hosts) {
          const theirs = tls.checkServerIdentity(host, legacy) as (Error & { code?: string; reason?: string; host?: string }) | undefined;
          const ours = checkServerIdentity(host, d) as AltNameInvalidError | undefined;
          const view = (e: typeof theirs | AltNameInvalidError | undefined): object | undefined =>
            e && { code: e.code, message: e.message, reason: e.reason, host: e.host };
          expect(view(ours), `host ${JSON.stringify(host)}`).to.deep.equal(view(theirs));
        }
      });
    }

    it('returns a TlsError with node\'s message, reason, host and cert', () => {
      const err = checkServerIdentity('example.com', pki.leaves['ec-p256'].der) as AltNameInvalidError;
      expect(err).to.be.instanceOf(TlsError);
      expect(err.code).to.equal(ErrorCode.ALTNAME_INVALID);
      expect(err.message).to.equal("Hostname/IP does not match certificate's altnames: Host: example.com. is not in the cert's altnames: " +
        'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
      expect(err.reason).to.equal("Host: example.com. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
      expect(err.host).to.equal('example.com');
      expect(err.cert.subject.CN).to.equal('localhost');
      expect(checkServerIdentity('localhost', pki.leaves['ec-p256'].der)).to.equal(undefined);
      expect(checkServerIdentity('::1', pki.leaves['ec-p256'].der)).to.equal(undefined);
    });

    it('fails the same way a node:tls client does for the wrong-host certificate', async () => {
      const r = await nodeHandshake({ cert: pki.wrongHost.certPem, key: pki.wrongHost.keyPem }, { ca: [pki.ca.certPem], servername: 'localhost' });
      const ours = checkServerIdentity('localhost', pki.wrongHost.der);
      expect(ours?.code).to.equal(r.error?.code);
      expect(ours?.message).to.equal(r.error?.message);
      expect(verifyCertificateChain([pki.wrongHost.der], { ca: [pki.ca.certPem], purpose: 'server' })).to.deep.equal({ ok: true });
    });
  });

  // -------------------------------------------------------------------------------------------
  // getPeerCertificate() shape
  // -------------------------------------------------------------------------------------------

  describe('toPeerCertificate', () => {
    const FIELDS = [
      'subjectaltname', 'fingerprint', 'fingerprint256', 'fingerprint512', 'serialNumber', 'valid_from', 'valid_to',
      'ca', 'bits', 'exponent', 'modulus', 'asn1Curve', 'nistCurve', 'ext_key_usage', 'infoAccess',
    ] as const;
    const view = (c: PeerCertificate | tls.PeerCertificate): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      for (const f of FIELDS) o[f] = (c as unknown as Record<string, unknown>)[f];
      o.subject = { ...c.subject };
      o.issuer = { ...c.issuer };
      o.raw = Buffer.from(c.raw).toString('hex');
      o.pubkey = c.pubkey === undefined ? undefined : Buffer.from(c.pubkey).toString('hex');
      return o;
    };
    /** The subject CNs along issuerCertificate, and where the first self-reference is. */
    const walk = (c: PeerCertificate | tls.DetailedPeerCertificate): string[] => {
      const names: string[] = [];
      let cur: PeerCertificate | tls.DetailedPeerCertificate | undefined = c;
      for (let i = 0; cur !== undefined && i < 8; i++) {
        names.push(String(cur.subject.CN));
        const next: PeerCertificate | tls.DetailedPeerCertificate | undefined = cur.issuerCertificate;
        if (next === cur) {
          names.push('(self)');
          break;
        }
        cur = next;
      }
      return names;
    };

    for (const keyType of KEY_TYPES) {
      it(`matches node's getPeerCertificate() for the ${keyType} leaf`, async () => {
        const leaf = pki.leaves[keyType];
        const theirs = await nodePeerCertificate(leaf.certPem, leaf.keyPem, [pki.ca.certPem], false);
        const ours = toPeerCertificate([leaf.der], false) as PeerCertificate;
        expect(ours.subjectaltname).to.equal('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
        expect(ours.fingerprint256).to.equal(leaf.fingerprint256);
        expect(view(ours)).to.deep.equal(view(theirs));
        expect(ours.subjectaltname).to.equal(theirs.subjectaltname);
        expect(ours.serialNumber).to.equal(theirs.serialNumber);
        expect(ours.valid_from).to.equal(theirs.valid_from);
        expect(ours.subject.CN).to.equal(theirs.subject.CN);
        expect(Buffer.isBuffer(ours.raw)).to.equal(true);
        expect(ours.issuerCertificate).to.equal(undefined);
      });
    }

    it('links the detailed chain like node, through the trust store to a self-referencing root', async () => {
      const theirs = await nodePeerCertificate(pki.intermediate.chainPem, pki.intermediate.keyPem, [pki.ca.certPem], true);
      const ours = toPeerCertificate(pki.intermediate.chain, true, { ca: [pki.ca.certPem] }) as PeerCertificate;
      expect(walk(ours)).to.deep.equal(['localhost', 'secure-duplex test intermediate CA', 'secure-duplex test root CA', '(self)']);
      expect(walk(ours)).to.deep.equal(walk(theirs));
      expect(view(ours.issuerCertificate!)).to.deep.equal(view(theirs.issuerCertificate));
      expect(view(ours.issuerCertificate!.issuerCertificate!)).to.deep.equal(view(theirs.issuerCertificate.issuerCertificate));
      // Without a trust store, only what the peer sent (in any order).
      const sent = toPeerCertificate([pki.intermediate.chain[0]!, pki.ca.der, pki.intermediate.chain[1]!], true) as PeerCertificate;
      expect(walk(sent)).to.deep.equal(['localhost', 'secure-duplex test intermediate CA', 'secure-duplex test root CA', '(self)']);
      expect(walk(toPeerCertificate(pki.intermediate.chain, true) as PeerCertificate))
        .to.deep.equal(['localhost', 'secure-duplex test intermediate CA']);
    });

    it('links a self-signed leaf as node does (with and without it in ca)', async () => {
      for (const ca of [[pki.selfSigned.certPem], [pki.ca.certPem]]) {
        const theirs = await nodePeerCertificate(pki.selfSigned.certPem, pki.selfSigned.keyPem, ca, true);
        const ours = toPeerCertificate([pki.selfSigned.der], true, { ca }) as PeerCertificate;
        expect(walk(ours)).to.deep.equal(walk(theirs));
      }
      const root = toPeerCertificate([pki.ca.der], true) as PeerCertificate;
      expect(root.issuerCertificate).to.equal(root);
    });

    it('decodes authorityInfoAccess into infoAccess like node', async () => {
      // RFC 5280 §4.2.2.1: AccessDescription ::= SEQUENCE { accessMethod, accessLocation [6] URI }.
      const uri = (s: string): Uint8Array => der.implicit(6, new TextEncoder().encode(s));
      const aia = der.sequence(
        der.sequence(der.oid('1.3.6.1.5.5.7.48.1'), uri('http://ocsp.example.test/')),
        der.sequence(der.oid('1.3.6.1.5.5.7.48.2'), uri('http://ca.example.test/ca.crt')),
      );
      const leaf = pki.leaves['ec-p256'];
      const pem = reissue(leaf.der, pki.ca.keyPem, (e) => [...e, { oid: '1.3.6.1.5.5.7.1.1', critical: false, value: aia }]);
      const theirs = await nodePeerCertificate(pem, leaf.keyPem, [pki.ca.certPem], false);
      const ours = toPeerCertificate(pemToDers(pem), false) as PeerCertificate;
      expect(ours.infoAccess).to.deep.equal({
        'OCSP - URI': ['http://ocsp.example.test/'],
        'CA Issuers - URI': ['http://ca.example.test/ca.crt'],
      });
      expect(view(ours)).to.deep.equal(view(theirs));
    });

    it('returns {} for an empty chain', () => {
      expect(toPeerCertificate([], true)).to.deep.equal({});
    });
  });
});
