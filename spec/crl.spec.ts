// Certificate revocation lists (node:tls's `crl` option): CRLs made by the real `openssl ca`
// (-revoke / -gencrl) over the test PKI; for every case the verdict of verifyCertificateChain()
// must equal node:tls's own (a node:tls client or server on 127.0.0.1 with { ca, crl }), code and
// message. Hostile `crl` input must throw a TlsError at parse time, as node throws at
// createSecureContext(), and never anything else.

import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { generateCertificate, type CertificateKeyType } from '../lib/crypto/certificate-generator.js';
import { verifyCertificateChain, type VerifyPurpose } from '../lib/crypto/certificate-verifier.js';
import { CRL_PARSE_ERROR_CODE, parseCrl, parseCrls, serialKey } from '../lib/crypto/crl.js';
import { TlsError } from '../lib/errors.js';
import { connect, createServer, type SecureDuplex } from '../lib/index.js';
import { peersTmpDir, randomBytesSeeded, requireCapability, requirePeer } from './helpers/peers.js';
import { makePki, type Pki } from './helpers/pki.js';
import { nodeClientVerdictOf, nodeServerVerdictOf } from './helpers/node-verdict.js';

const DAY = 86400_000;

// ---------------------------------------------------------------------------------------------
// openssl ca: a minimal CA directory per issuing key
// ---------------------------------------------------------------------------------------------

interface OpensslCa {
  certPem: string;
  keyPem: string;
  /** Marks a certificate revoked in the CA database (openssl ca -revoke). */
  revoke(certPem: string, ...extra: string[]): void;
  /** A CRL (openssl ca -gencrl) of everything revoked so far, PEM. */
  crl(...extra: string[]): string;
}

let caCount = 0;

function opensslCa(certPem: string, keyPem: string, crlExtensions = 'authorityKeyIdentifier = keyid:always\n'): OpensslCa {
  const dir = path.join(peersTmpDir(), `crl-ca-${process.pid}-${caCount++}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'crlnumber'), '01\n');
  fs.writeFileSync(path.join(dir, 'ca.crt'), certPem);
  fs.writeFileSync(path.join(dir, 'ca.key'), keyPem, { mode: 0o600 });
  const config = path.join(dir, 'openssl.cnf');
  fs.writeFileSync(config, [
    '[ ca ]', 'default_ca = CA_default',
    '[ CA_default ]', `dir = ${dir}`, 'database = $dir/index.txt', 'crlnumber = $dir/crlnumber',
    'certificate = $dir/ca.crt', 'private_key = $dir/ca.key', 'default_md = default',
    'default_crl_days = 30', 'crl_extensions = crl_ext',
    '[ crl_ext ]', crlExtensions,
  ].join('\n'));
  let n = 0;
  const run = (...args: string[]): void => {
    execFileSync('openssl', ['ca', '-config', config, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  };
  return {
    certPem,
    keyPem,
    revoke(cert, ...extra) {
      const file = path.join(dir, `revoke-${n++}.pem`);
      fs.writeFileSync(file, cert);
      run('-revoke', file, ...extra);
    },
    crl(...extra) {
      const file = path.join(dir, `crl-${n++}.pem`);
      run('-gencrl', '-out', file, ...extra);
      return fs.readFileSync(file, 'utf8');
    },
  };
}

/** openssl ca's -crl_lastupdate / -crl_nextupdate (OpenSSL 3.0+) are the only way to make a CRL
 *  whose validity has already ended (-crldays/-crlhours cannot be negative). */
function opensslHasCrlDates(): boolean {
  const r = spawnSync('openssl', ['ca', '-help'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.includes('-crl_lastupdate');
}

/** YYYYMMDDHHMMSSZ for openssl's -crl_lastupdate / -crl_nextupdate. */
function asn1Time(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
}

function pemToDer(pem: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(pem);
  if (m === null) throw new Error(`no ${label} block`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

function crlPem(d: Uint8Array): string {
  const b64 = Buffer.from(d).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN X509 CRL-----\n${b64}\n-----END X509 CRL-----\n`;
}

function chainDers(chainPem: string): Uint8Array[] {
  return [...chainPem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)]
    .map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

// ---------------------------------------------------------------------------------------------
// The oracle: node:tls with { ca, crl }
// ---------------------------------------------------------------------------------------------

interface Verdict {
  code: string; // 'ok' when verified
  message?: string;
}

/** A node:tls client with { ca, crl } connecting to a server that sends `chainPem`:
 *  rejectUnauthorized, so the error carries node's code and message. */
function nodeClientVerdict(chainPem: string, keyPem: string, ca: string[], crl: string[]): Promise<Verdict> {
  return nodeClientVerdictOf({ chainPem, keyPem }, ca, { crl, maxVersion: 'TLSv1.2' });
}

/** A node:tls server with requestCert and { ca, crl } verifying a client that sends `chainPem`. */
async function nodeServerVerdict(chainPem: string, keyPem: string, ca: string[], crl: string[], pki: Pki): Promise<Verdict> {
  return { code: await nodeServerVerdictOf({ chainPem, keyPem }, pki.leaves['ec-p256'], ca, { crl }) };
}

function ourVerdict(chainPem: string, ca: string[], crl: string[], purpose: VerifyPurpose = 'server'): Verdict {
  const r = verifyCertificateChain(chainDers(chainPem), { ca, crl, purpose });
  return r.ok ? { code: 'ok' } : { code: r.code, message: r.message };
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

interface Case {
  name: string;
  /** node's verdict code, as observed (asserted, so a node change shows up here). */
  expected: string;
  build(): { chainPem: string; keyPem: string; ca: string[]; crl: string[] };
  /** Verify a client certificate (node server with requestCert) instead of a server's. */
  client?: boolean;
  /** Needs openssl ca -crl_lastupdate / -crl_nextupdate. */
  needsCrlDates?: boolean;
}

describe('CRL (node:tls crl option)', function () {
  let pki: Pki;
  let root: OpensslCa;
  let inter: OpensslCa;
  let hasCrlDates = false;
  const past = { last: '20200101000000Z', next: '20200201000000Z' };
  const future = { last: '20990101000000Z', next: '20990201000000Z' };

  before(function () {
    requirePeer(this, 'openssl');
    pki = makePki();
    root = opensslCa(pki.ca.certPem, pki.ca.keyPem);
    inter = opensslCa(pki.intermediate.intermediateCa.certPem, pki.intermediate.intermediateCa.keyPem);
    hasCrlDates = opensslHasCrlDates();
  });

  /** A fresh CA database over the root key (each case revokes what it needs). */
  const rootCa = (exts?: string): OpensslCa => opensslCa(pki.ca.certPem, pki.ca.keyPem, exts);
  const leaf = (): { chainPem: string; keyPem: string } => ({ chainPem: pki.leaves['ec-p256'].certPem, keyPem: pki.leaves['ec-p256'].keyPem });
  const chain = (): { chainPem: string; keyPem: string } => ({ chainPem: pki.intermediate.chainPem, keyPem: pki.intermediate.keyPem });
  const tamper = (pem: string): string => {
    const d = pemToDer(pem, 'X509 CRL');
    d[d.length - 5]! ^= 0x01; // inside the signature value
    return crlPem(d);
  };

  const cases: Case[] = [
    {
      name: 'a valid chain and a CRL not listing the leaf',
      expected: 'ok',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [root.crl()] }),
    },
    {
      name: 'the leaf revoked',
      expected: 'CERT_REVOKED',
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.leaves['ec-p256'].certPem);
        return { ...leaf(), ca: [pki.ca.certPem], crl: [ca.crl()] };
      },
    },
    {
      name: 'no CRL from the leaf\'s issuer (intermediate chain, root CRL only)',
      expected: 'UNABLE_TO_GET_CRL',
      build: () => ({ ...chain(), ca: [pki.ca.certPem], crl: [root.crl()] }),
    },
    {
      name: 'no CRL for the trust anchor itself (CRL_CHECK_ALL reaches the root)',
      expected: 'UNABLE_TO_GET_CRL',
      build: () => ({ ...chain(), ca: [pki.ca.certPem], crl: [inter.crl()] }),
    },
    {
      name: 'an intermediate chain with both CRLs',
      expected: 'ok',
      build: () => ({ ...chain(), ca: [pki.ca.certPem], crl: [root.crl(), inter.crl()] }),
    },
    {
      name: 'the intermediate revoked by the root\'s CRL',
      expected: 'CERT_REVOKED',
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.intermediate.intermediateCa.certPem);
        return { ...chain(), ca: [pki.ca.certPem], crl: [ca.crl(), inter.crl()] };
      },
    },
    {
      name: 'the trust anchor revoked in its own CRL',
      expected: 'CERT_REVOKED',
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.ca.certPem);
        return { ...leaf(), ca: [pki.ca.certPem], crl: [ca.crl()] };
      },
    },
    {
      name: 'a CRL with a tampered signature',
      expected: 'CRL_SIGNATURE_FAILURE',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [tamper(root.crl())] }),
    },
    {
      name: 'an expired CRL (nextUpdate passed)',
      expected: 'CRL_HAS_EXPIRED',
      needsCrlDates: true,
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [root.crl('-crl_lastupdate', past.last, '-crl_nextupdate', past.next)] }),
    },
    {
      name: 'a CRL not yet valid (thisUpdate ahead)',
      expected: 'CRL_NOT_YET_VALID',
      needsCrlDates: true,
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [root.crl('-crl_lastupdate', future.last, '-crl_nextupdate', future.next)] }),
    },
    {
      name: 'a CRL both not yet valid and expired (nextUpdate reported last)',
      expected: 'CRL_HAS_EXPIRED',
      needsCrlDates: true,
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [root.crl('-crl_lastupdate', future.last, '-crl_nextupdate', past.next)] }),
    },
    {
      name: 'an expired CRL with a bad signature (the signature is checked after the dates)',
      expected: 'CRL_SIGNATURE_FAILURE',
      needsCrlDates: true,
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [tamper(root.crl('-crl_lastupdate', past.last, '-crl_nextupdate', past.next))] }),
    },
    {
      name: 'a revoked leaf under an expired CRL (the anchor\'s own CRL check comes last)',
      expected: 'CRL_HAS_EXPIRED',
      needsCrlDates: true,
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.leaves['ec-p256'].certPem);
        return { ...leaf(), ca: [pki.ca.certPem], crl: [ca.crl('-crl_lastupdate', past.last, '-crl_nextupdate', past.next)] };
      },
    },
    {
      name: 'an expired CRL next to a current one (the current one wins)',
      expected: 'ok',
      needsCrlDates: true,
      build: () => ({
        ...leaf(), ca: [pki.ca.certPem],
        crl: [root.crl('-crl_lastupdate', past.last, '-crl_nextupdate', past.next), root.crl()],
      }),
    },
    {
      name: 'an older CRL revoking the leaf and a newer one not (the newest wins)',
      expected: 'ok',
      needsCrlDates: true,
      build: () => {
        const ca = rootCa();
        const now = Date.now();
        const empty = ca.crl('-crl_lastupdate', asn1Time(now - DAY), '-crl_nextupdate', asn1Time(now + 10 * DAY));
        ca.revoke(pki.leaves['ec-p256'].certPem);
        const older = ca.crl('-crl_lastupdate', asn1Time(now - 2 * DAY), '-crl_nextupdate', asn1Time(now + 10 * DAY));
        return { ...leaf(), ca: [pki.ca.certPem], crl: [older, empty] };
      },
    },
    {
      name: 'an expired leaf that is also revoked (dates are checked after revocation)',
      expected: 'CERT_HAS_EXPIRED',
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.expired.certPem);
        return { chainPem: pki.expired.certPem, keyPem: pki.expired.keyPem, ca: [pki.ca.certPem], crl: [ca.crl()] };
      },
    },
    {
      name: 'a revoked leaf whose chain also lacks the intermediate\'s CRL',
      expected: 'CERT_REVOKED',
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.intermediate.intermediateCa.certPem);
        return { ...chain(), ca: [pki.ca.certPem], crl: [ca.crl()] };
      },
    },
    {
      name: 'an entry with reason removeFromCRL (not a revocation)',
      expected: 'ok',
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.leaves['ec-p256'].certPem, '-crl_reason', 'removeFromCRL');
        return { ...leaf(), ca: [pki.ca.certPem], crl: [ca.crl()] };
      },
    },
    {
      name: 'an entry with reason certificateHold (a revocation)',
      expected: 'CERT_REVOKED',
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.leaves['ec-p256'].certPem, '-crl_reason', 'certificateHold');
        return { ...leaf(), ca: [pki.ca.certPem], crl: [ca.crl()] };
      },
    },
    {
      name: 'a CRL with an unknown critical extension (UNHANDLED_CRITICAL_CRL_EXTENSION)',
      expected: 'UNSPECIFIED',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [rootCa('authorityKeyIdentifier = keyid:always\n1.2.3.4 = critical,ASN1:NULL\n').crl()] }),
    },
    {
      name: 'a CRL with an unknown non-critical extension',
      expected: 'ok',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [rootCa('authorityKeyIdentifier = keyid:always\n1.2.3.4 = ASN1:NULL\n').crl()] }),
    },
    {
      name: 'a CRL without authorityKeyIdentifier',
      expected: 'ok',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [rootCa('').crl()] }),
    },
    {
      name: 'a CRL from another key with the root\'s name and a key identifier (not a candidate)',
      expected: 'UNABLE_TO_GET_CRL',
      build: () => {
        const impostor = generateCertificate({ commonName: 'secure-duplex test root CA', isCA: true, altNames: [] });
        return { ...leaf(), ca: [pki.ca.certPem], crl: [opensslCa(impostor.certPem, impostor.keyPem).crl()] };
      },
    },
    {
      name: 'a CRL from another key with the root\'s name and no key identifier (bad signature)',
      expected: 'CRL_SIGNATURE_FAILURE',
      build: () => {
        const impostor = generateCertificate({ commonName: 'secure-duplex test root CA', isCA: true, altNames: [] });
        return { ...leaf(), ca: [pki.ca.certPem], crl: [opensslCa(impostor.certPem, impostor.keyPem, '').crl()] };
      },
    },
    {
      name: 'a CA whose keyUsage lacks cRLSign (KEYUSAGE_NO_CRL_SIGN)',
      expected: 'UNSPECIFIED',
      build: () => {
        const ca = noCrlSignCa();
        const l = generateCertificate({ issuer: ca, extKeyUsage: ['serverAuth'] });
        return { chainPem: l.certPem, keyPem: l.keyPem, ca: [ca.certPem], crl: [opensslCa(ca.certPem, ca.keyPem).crl()] };
      },
    },
    {
      name: 'a CRL with issuingDistributionPoint onlyContainsUserCerts (the root is out of scope)',
      expected: 'UNABLE_TO_GET_CRL',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [rootCa(idp('onlyuser = TRUE')).crl()] }),
    },
    {
      name: 'an onlyContainsUserCerts CRL and an onlyContainsCACerts CRL together',
      expected: 'ok',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [rootCa(idp('onlyCA = TRUE')).crl(), rootCa(idp('onlyuser = TRUE')).crl()] }),
    },
    {
      name: 'a CRL whose distribution point the certificates do not name',
      expected: 'UNABLE_TO_GET_CRL',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [rootCa(idp('fullname = URI:http://example.invalid/crl')).crl()] }),
    },
    {
      name: 'an indirect CRL (needs extended CRL support, which node does not enable)',
      expected: 'UNABLE_TO_GET_CRL',
      build: () => ({ ...leaf(), ca: [pki.ca.certPem], crl: [rootCa(idp('indirectCRL = TRUE')).crl()] }),
    },
    {
      name: 'a delta CRL (used like a complete CRL without extended CRL support)',
      expected: 'ok',
      build: () => ({
        ...leaf(), ca: [pki.ca.certPem],
        crl: [rootCa('authorityKeyIdentifier = keyid:always\ncrlNumber = ASN1:INTEGER:1\ndeltaCRL = critical,ASN1:INTEGER:1\n').crl()],
      }),
    },
    {
      name: 'a self-signed leaf trusted directly, with only another issuer\'s CRL',
      expected: 'UNABLE_TO_GET_CRL',
      build: () => ({ chainPem: pki.selfSigned.certPem, keyPem: pki.selfSigned.keyPem, ca: [pki.selfSigned.certPem], crl: [root.crl()] }),
    },
    {
      name: 'an untrusted leaf (chain building fails, then revocation, then the leaf signature)',
      expected: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      build: () => ({ ...leaf(), ca: [pki.selfSigned.certPem], crl: [root.crl()] }),
    },
    {
      name: 'client certificate revoked (a node:tls server with requestCert verifies it)',
      expected: 'CERT_REVOKED',
      client: true,
      build: () => {
        const ca = rootCa();
        ca.revoke(pki.client.certPem);
        return { chainPem: pki.client.certPem, keyPem: pki.client.keyPem, ca: [pki.ca.certPem], crl: [ca.crl()] };
      },
    },
    {
      name: 'client certificate not revoked',
      expected: 'ok',
      client: true,
      build: () => ({ chainPem: pki.client.certPem, keyPem: pki.client.keyPem, ca: [pki.ca.certPem], crl: [root.crl()] }),
    },
  ];

  // CRL signature algorithms: a CA of each key type signs its CRL (RSA also with RSASSA-PSS).
  const signers: { keyType: CertificateKeyType; sigopt?: string[] }[] = [
    { keyType: 'ec-p384' },
    { keyType: 'ed25519' },
    { keyType: 'rsa2048' },
    { keyType: 'rsa2048', sigopt: ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'] },
  ];
  for (const { keyType, sigopt = [] } of signers) {
    const label = `${keyType}${sigopt.length > 0 ? ' RSASSA-PSS' : ''}`;
    for (const revoked of [false, true]) {
      cases.push({
        name: `a CRL signed by a ${label} CA, leaf ${revoked ? 'revoked' : 'not revoked'}`,
        expected: revoked ? 'CERT_REVOKED' : 'ok',
        build: () => {
          const c = generateCertificate({ commonName: `crl ${label} CA`, isCA: true, altNames: [], keyType });
          const l = generateCertificate({ issuer: c, extKeyUsage: ['serverAuth'] });
          const ca = opensslCa(c.certPem, c.keyPem);
          if (revoked) ca.revoke(l.certPem);
          return { chainPem: l.certPem, keyPem: l.keyPem, ca: [c.certPem], crl: [ca.crl(...sigopt)] };
        },
      });
      cases.push({
        name: `a tampered CRL signed by a ${label} CA`,
        expected: 'CRL_SIGNATURE_FAILURE',
        build: () => {
          const c = generateCertificate({ commonName: `crl ${label} CA`, isCA: true, altNames: [], keyType });
          const l = generateCertificate({ issuer: c, extKeyUsage: ['serverAuth'] });
          return { chainPem: l.certPem, keyPem: l.keyPem, ca: [c.certPem], crl: [tamper(opensslCa(c.certPem, c.keyPem).crl(...sigopt))] };
        },
      });
    }
  }

  function idp(line: string): string {
    return `authorityKeyIdentifier = keyid:always\nissuingDistributionPoint = critical, @idp\n[ idp ]\n${line}\n`;
  }

  /** A root CA whose keyUsage is keyCertSign only (the generator always adds cRLSign). */
  function noCrlSignCa(): { certPem: string; keyPem: string } {
    const dir = fs.mkdtempSync(path.join(peersTmpDir(), 'crl-nocrlsign-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=no cRLSign CA',
      '-addext', 'keyUsage=critical,keyCertSign', '-addext', 'basicConstraints=critical,CA:TRUE',
      '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.crt'), '-days', '30',
    ], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    return { certPem: fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'), keyPem: fs.readFileSync(path.join(dir, 'ca.key'), 'utf8') };
  }

  for (const c of cases) {
    it(`${c.name} → ${c.expected}, as node:tls says`, async function () {
      // Only an openssl ca with -crl_lastupdate/-crl_nextupdate (OpenSSL 3.0+) can date a CRL in
      // the past or the future; CI's (Debian's) has them, so there this never skips.
      if (c.needsCrlDates) requireCapability(this, hasCrlDates, 'openssl ca lacks -crl_lastupdate/-crl_nextupdate (OpenSSL < 3.0)');
      const { chainPem, keyPem, ca, crl } = c.build();
      const node = c.client
        ? await nodeServerVerdict(chainPem, keyPem, ca, crl, pki)
        : await nodeClientVerdict(chainPem, keyPem, ca, crl);
      const ours = ourVerdict(chainPem, ca, crl, c.client ? 'client' : 'server');
      expect(node.code, 'node:tls verdict (the oracle)').to.equal(c.expected);
      expect(ours.code).to.equal(node.code);
      if (node.message !== undefined) expect(ours.message).to.equal(node.message);
    });
  }

  it('takes CRLs as PEM strings or PEM bytes, and a CRL after other PEM blocks in one entry', async function () {
    const crl = root.crl();
    const ca = [pki.ca.certPem];
    const { certPem, keyPem } = pki.leaves['ec-p256'];
    const der = chainDers(certPem);
    expect(verifyCertificateChain(der, { ca, crl: [Buffer.from(crl)], purpose: 'server' }).ok).to.equal(true);
    expect(verifyCertificateChain(der, { ca, crl: [pki.ca.certPem + crl], purpose: 'server' }).ok).to.equal(true);
    // node reads only the first CRL of an entry: a revoking CRL after it in the same entry is
    // ignored, while the same CRL as an entry of its own counts.
    const revoking = rootCa();
    revoking.revoke(certPem);
    const revokingCrl = revoking.crl();
    for (const list of [[crl + revokingCrl], [revokingCrl + crl]]) {
      const node = await nodeClientVerdict(certPem, keyPem, ca, list);
      expect(ourVerdict(certPem, ca, list).code).to.equal(node.code);
    }
    expect(ourVerdict(certPem, ca, [crl + revokingCrl]).code).to.equal('ok');
    expect(ourVerdict(certPem, ca, [revokingCrl + crl]).code).to.equal('CERT_REVOKED');
    // An empty crl list means no revocation checking at all, as in node (no addCRL call).
    expect(verifyCertificateChain(der, { ca, crl: [], purpose: 'server' }).ok).to.equal(true);
  });

  it('parses the CRL fields (issuer, dates, revoked serials, reasons)', function () {
    const ca = rootCa();
    ca.revoke(pki.leaves['rsa2048'].certPem, '-crl_reason', 'keyCompromise');
    ca.revoke(pki.client.certPem);
    const [crl] = parseCrls(ca.crl());
    expect(crl!.version).to.equal(1);
    expect(crl!.nextUpdate! - crl!.thisUpdate).to.equal(30 * DAY);
    expect(crl!.revoked.size).to.equal(2);
    const serialOf = (pem: string): string => {
      const hexSerial = new X509Certificate(pem).serialNumber;
      return serialKey(Buffer.from(hexSerial.length % 2 ? `0${hexSerial}` : hexSerial, 'hex'));
    };
    expect(crl!.revoked.get(serialOf(pki.leaves['rsa2048'].certPem))).to.deep.equal({ reason: 1 });
    expect(crl!.revoked.get(serialOf(pki.client.certPem))).to.deep.equal({});
    expect(crl!.delta).to.equal(false);
    expect(crl!.unhandledCritical).to.equal(false);
    expect(serialKey(Uint8Array.of(0x00, 0x00, 0x7f))).to.equal('7f');
    expect(serialKey(Uint8Array.of(0x00, 0x80))).to.equal('0080');
    expect(serialKey(Uint8Array.of(0xff, 0xff, 0x80))).to.equal('80');
  });

  // -------------------------------------------------------------------------------------------
  // Hostile input
  // -------------------------------------------------------------------------------------------

  /** What tls.createSecureContext({ crl }) does with the input: 'ok' or the error code. */
  function nodeContext(crl: unknown): string {
    try {
      tls.createSecureContext({ crl: crl as string });
      return 'ok';
    } catch (e) {
      return String((e as NodeJS.ErrnoException).code);
    }
  }

  function ourParse(crl: unknown): string {
    try {
      parseCrls(crl as string);
      return 'ok';
    } catch (e) {
      expect(e, 'parseCrls throws only TlsError').to.be.instanceOf(TlsError);
      return (e as TlsError).code;
    }
  }

  it('throws at parse time where tls.createSecureContext() throws, with node\'s code', function () {
    const good = root.crl();
    const inputs: [string, unknown][] = [
      ['DER bytes (node reads PEM only)', Buffer.from(pemToDer(good, 'X509 CRL'))],
      ['garbage bytes', Buffer.from('garbage')],
      ['an empty string', ''],
      ['a certificate only', pki.ca.certPem],
      ['a certificate, then a CRL', pki.ca.certPem + good],
      ['bad base64 content', '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'],
      ['a CRL followed by junk', `${good}junk`],
      ['an empty array', []],
      ['a good entry and a bad one', [good, 'x']],
      ['a number', 5],
      ['a CRL as Uint8Array', new Uint8Array(Buffer.from(good))],
      ['a stray character in the base64 body', good.replace(/\n(.)/, '\n!$1')],
      ['the BEGIN line not at a line start', `junk${good}`],
      ['two CRLs in one entry', good + good],
      ['an unterminated block', good.replace(/-----END[^]*$/, '')],
    ];
    for (const [what, input] of inputs) {
      expect(ourParse(input), what).to.equal(nodeContext(input));
    }
    expect(CRL_PARSE_ERROR_CODE).to.equal('ERR_CRYPTO_OPERATION_FAILED');
  });

  it('reports an unparseable crl entry as a failed verification, not an exception', function () {
    const r = verifyCertificateChain(chainDers(pki.leaves['ec-p256'].certPem), { ca: [pki.ca.certPem], crl: ['garbage'], purpose: 'server' });
    expect(r).to.deep.include({ ok: false, code: 'ERR_CRYPTO_OPERATION_FAILED' });
  });

  it('survives random bytes and mutated CRLs: a TlsError or a parsed CRL, never another exception', function () {
    const ca = rootCa();
    ca.revoke(pki.leaves['ec-p256'].certPem, '-crl_reason', 'keyCompromise');
    ca.revoke(pki.client.certPem);
    const good = pemToDer(ca.crl(), 'X509 CRL');
    const chainDer = chainDers(pki.intermediate.chainPem);
    let parsed = 0;
    let rejected = 0;
    const N = 600;
    for (let k = 0; k < N; k++) {
      const rnd = randomBytesSeeded(`crl-mutation-${k}`, 8);
      let sample: Uint8Array;
      const mode = rnd[0]! % 5;
      if (mode === 0) {
        sample = new Uint8Array(randomBytesSeeded(`crl-random-${k}`, 1 + (rnd[1]! % 200)));
      } else if (mode === 1) {
        sample = good.subarray(0, rnd.readUInt16BE(2) % good.length); // truncated
      } else {
        sample = Uint8Array.from(good);
        const flips = 1 + (rnd[1]! % 4);
        for (let f = 0; f < flips; f++) {
          const at = (rnd.readUInt16BE(2) + f * 7919) % sample.length;
          sample[at] = mode === 2 ? sample[at]! ^ (1 << (rnd[4]! % 8)) : rnd[5 + (f % 3)]!;
        }
      }
      let ok = false;
      try {
        parseCrl(sample);
        parseCrls([crlPem(sample)]);
        ok = true;
      } catch (e) {
        expect(e).to.be.instanceOf(TlsError);
        expect((e as TlsError).code).to.equal('ERR_CRYPTO_OPERATION_FAILED');
      }
      if (ok) parsed++;
      else rejected++;
      // Whatever parsed is usable by the verifier without throwing.
      const r = verifyCertificateChain(chainDer, { ca: [pki.ca.certPem], crl: [crlPem(sample)], purpose: 'server' });
      expect(r.ok === true || typeof r.code === 'string').to.equal(true);
    }
    expect(parsed + rejected).to.equal(N);
    expect(rejected).to.be.greaterThan(0);
  });

  it('gives node:tls\'s verdict for mutated CRLs that both node and we accept', async function () {
    const ca = rootCa();
    const { certPem, keyPem } = pki.leaves['ec-p256'];
    ca.revoke(certPem, '-crl_reason', 'keyCompromise');
    ca.revoke(pki.client.certPem);
    const good = pemToDer(ca.crl(), 'X509 CRL');
    let compared = 0;
    for (let k = 0; k < 400 && compared < 40; k++) {
      const rnd = randomBytesSeeded(`crl-node-mutation-${k}`, 8);
      const sample = Uint8Array.from(good);
      const at = rnd.readUInt16BE(2) % sample.length;
      sample[at] = (rnd[0]! & 1) !== 0 ? sample[at]! ^ (1 << (rnd[4]! % 8)) : rnd[5]!;
      const pem = crlPem(sample);
      if (nodeContext(pem) !== 'ok' || ourParse(pem) !== 'ok') continue;
      const node = await nodeClientVerdict(certPem, keyPem, [pki.ca.certPem], [pem]);
      expect(ourVerdict(certPem, [pki.ca.certPem], [pem]).code, `byte ${at} set to ${sample[at]}`).to.equal(node.code);
      compared++;
    }
    expect(compared).to.be.greaterThan(10);
  });

  it('rejects large and deeply nested hostile CRLs (mocha\'s timeout bounds the time)', function () {
    const nested = new Uint8Array(60_000);
    for (let k = 0; k + 1 < nested.length; k += 2) {
      nested[k] = 0x30;
      nested[k + 1] = 0x80; // indefinite length: rejected at once
    }
    expect(ourParse(crlPem(nested))).to.equal('ERR_CRYPTO_OPERATION_FAILED');
    const huge = 'A'.repeat(2_000_000);
    expect(ourParse(`-----BEGIN X509 CRL-----\n${huge}\n-----END X509 CRL-----\n`)).to.equal('ERR_CRYPTO_OPERATION_FAILED');
    // Many BEGIN lines and no END: linear, not a regular expression backtracking over each.
    expect(ourParse('-----BEGIN X509 CRL-----\n'.repeat(80_000))).to.equal('ERR_CRYPTO_OPERATION_FAILED');
    expect(ourParse('-----BEGIN X509 CRL-----'.repeat(80_000))).to.equal('ERR_CRYPTO_OPERATION_FAILED');
  });

  describe('the crl option of createServer() / connect() (node:tls as the peer and as the reference)', () => {
    /** The error code the client side ends with (or 'ok'). */
    function clientOutcome(c: tls.TLSSocket | SecureDuplex): Promise<string> {
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve('timeout'), 10_000);
        c.once('secureConnect', () => { clearTimeout(t); resolve('ok'); c.destroy(); });
        c.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(t); resolve(String(e.code)); c.destroy(); });
      });
    }

    it('server { requestCert, ca, crl }: a revoked client certificate is refused (CERT_REVOKED, certificate_revoked alert; node:tls just drops the connection)', async () => {
      const ca = rootCa();
      ca.revoke(pki.client.certPem);
      const crl = [ca.crl()];
      const serverOpts = { cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, requestCert: true, rejectUnauthorized: true, ca: pki.ca.certPem, crl };
      const outcomes: string[] = [];
      const serverErrors: string[] = [];
      for (const server of [tls.createServer({ ...serverOpts, maxVersion: 'TLSv1.2' }), createServer(serverOpts)]) {
        server.on('tlsClientError', (e: NodeJS.ErrnoException) => serverErrors.push(String(e.code)));
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        const port = (server.address() as AddressInfo).port;
        const c = tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', cert: pki.client.certPem, key: pki.client.keyPem, maxVersion: 'TLSv1.2' });
        outcomes.push(await clientOutcome(c));
        server.close();
      }
      // node:tls checks the client certificate after its handshake and just drops the
      // connection (no alert: the client sees ECONNRESET); we refuse in the handshake with the
      // RFC 5246 §7.2.2 alert for the reason.
      expect(outcomes[0]).to.not.equal('ok');
      expect(outcomes[1]).to.equal('ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED');
      expect(serverErrors[1]).to.equal('CERT_REVOKED');
    });

    it('client { crl }: a revoked server certificate fails with CERT_REVOKED, as node:tls; an unlisted one connects', async () => {
      const ca = rootCa();
      ca.revoke(pki.leaves['ec-p256'].certPem);
      const revoking = [ca.crl()];
      const server = tls.createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, maxVersion: 'TLSv1.2' }, (s) => s.end());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (server.address() as AddressInfo).port;
        const opts = { host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' };
        expect(await clientOutcome(tls.connect({ ...opts, crl: revoking, maxVersion: 'TLSv1.2' }))).to.equal('CERT_REVOKED');
        expect(await clientOutcome(connect({ ...opts, crl: revoking }))).to.equal('CERT_REVOKED');
        expect(await clientOutcome(connect({ ...opts, crl: [root.crl()] }))).to.equal('ok');
        expect(() => connect({ ...opts, crl: 'not a crl' })).to.throw().with.property('code', 'ERR_CRYPTO_OPERATION_FAILED');
      } finally {
        server.close();
      }
    });
  });
});
