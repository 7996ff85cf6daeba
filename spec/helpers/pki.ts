// Test PKI fixture: one root CA and the leaves the specs need, as PEM strings and as files in a
// temporary directory (removed when the process exits). Built once per process.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  generateCertificate,
  type CertificateKeyType,
  type GenerateCertificateOptions,
} from '../../lib/crypto/certificate-generator.js';

export interface PkiEntry {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  certPath: string;
  keyPath: string;
  der: Uint8Array;
  fingerprint256: string;
}

/** A leaf issued by an intermediate CA: send `chainPem` (leaf then intermediate). */
export interface PkiChainEntry extends PkiEntry {
  chainPem: string;
  chainPath: string;
  /** DER, leaf first, as a server sends it. */
  chain: Uint8Array[];
  intermediateCa: PkiEntry;
}

export interface Pki {
  dir: string;
  /** Root CA, P-256, self-signed. Trust this (`ca: [pki.ca.certPem]`). */
  ca: PkiEntry;
  /** Server leaves for localhost / 127.0.0.1 / ::1 (EKU serverAuth), signed by `ca`. */
  leaves: Record<CertificateKeyType, PkiEntry>;
  /** Client leaf (EKU clientAuth, CN 'client'), signed by `ca`. */
  client: PkiEntry;
  /** Server leaf for localhost whose validity ended 30 days ago, signed by `ca`. */
  expired: PkiEntry;
  /** Server leaf for 'example.invalid' only, signed by `ca`. */
  wrongHost: PkiEntry;
  /** Self-signed server leaf for localhost (not a CA). */
  selfSigned: PkiEntry;
  /** Server leaf for localhost signed by an intermediate CA that `ca` signed. */
  intermediate: PkiChainEntry;
}

const KEY_TYPES: readonly CertificateKeyType[] = ['ec-p256', 'ec-p384', 'ed25519', 'rsa2048'];
const DAY = 86400_000;

let memo: Pki | undefined;

export function makePki(): Pki {
  if (memo !== undefined) return memo;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secure-duplex-pki-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, opts: GenerateCertificateOptions): PkiEntry => {
    const cert = generateCertificate(opts);
    const certPath = path.join(dir, `${name}.crt`);
    const keyPath = path.join(dir, `${name}.key`);
    fs.writeFileSync(certPath, cert.certPem);
    fs.writeFileSync(keyPath, cert.keyPem, { mode: 0o600 });
    return { ...cert, certPath, keyPath };
  };

  const ca = write('root-ca', { commonName: 'secure-duplex test root CA', isCA: true, altNames: [] });
  const issuer = { certPem: ca.certPem, keyPem: ca.keyPem };
  const server: GenerateCertificateOptions = { issuer, extKeyUsage: ['serverAuth'] };

  const leaves = {} as Record<CertificateKeyType, PkiEntry>;
  for (const keyType of KEY_TYPES) leaves[keyType] = write(`leaf-${keyType}`, { ...server, keyType });

  const now = Date.now();
  const client = write('client', { issuer, commonName: 'client', altNames: [], extKeyUsage: ['clientAuth'] });
  const expired = write('expired', {
    ...server,
    notBefore: new Date(now - 60 * DAY),
    notAfter: new Date(now - 30 * DAY),
  });
  const wrongHost = write('wrong-host', {
    ...server,
    commonName: 'example.invalid',
    altNames: ['example.invalid'],
  });
  const selfSigned = write('self-signed', { extKeyUsage: ['serverAuth'] });

  const intermediateCa = write('intermediate-ca', {
    issuer,
    commonName: 'secure-duplex test intermediate CA',
    isCA: true,
    altNames: [],
  });
  const viaIntermediate = write('intermediate-leaf', {
    issuer: { certPem: intermediateCa.certPem, keyPem: intermediateCa.keyPem },
    extKeyUsage: ['serverAuth'],
  });
  const chainPem = viaIntermediate.certPem + intermediateCa.certPem;
  const chainPath = path.join(dir, 'intermediate-chain.crt');
  fs.writeFileSync(chainPath, chainPem);

  memo = {
    dir,
    ca,
    leaves,
    client,
    expired,
    wrongHost,
    selfSigned,
    intermediate: {
      ...viaIntermediate,
      chainPem,
      chainPath,
      chain: [viaIntermediate.der, intermediateCa.der],
      intermediateCa,
    },
  };
  return memo;
}
