// X.509 v3 certificate issuance (RFC 5280 §4.1) for tests, demos and self-signed servers.
// The DER is built here; node:crypto generates the keys and makes the signatures.

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.js';

export type CertificateKeyType = 'ec-p256' | 'ec-p384' | 'ed25519' | 'rsa2048';
export type ExtendedKeyUsageName = 'serverAuth' | 'clientAuth';

export interface GenerateCertificateOptions {
  /** Key of the new certificate; default 'ec-p256'. */
  keyType?: CertificateKeyType;
  /** Subject CN; default 'localhost'. */
  commonName?: string;
  /** subjectAltName entries: DNS names or IP literals; default ['localhost', '127.0.0.1', '::1'].
   *  An empty array leaves the extension out. */
  altNames?: string[];
  /** Default: now - 1 hour. */
  notBefore?: Date;
  /** Default: now + 30 days. */
  notAfter?: Date;
  /** A CA certificate (basicConstraints cA, keyCertSign + cRLSign). */
  isCA?: boolean;
  /** Signing CA (PEM certificate and its private key); omitted means self-signed. */
  issuer?: { certPem: string; keyPem: string };
  /** extKeyUsage purposes; omitted leaves the extension out (any purpose). */
  extKeyUsage?: ExtendedKeyUsageName[];
}

export interface GeneratedCertificate {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  der: Uint8Array;
  /** SHA-256 of the DER as node:crypto formats it ('AB:CD:...'). */
  fingerprint256: string;
}

// RFC 5280 §4.2.1 extension OIDs (id-ce) and §4.2.1.12 key purposes (id-kp).
const OID = {
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  // RFC 5758 §3.2 (ECDSA), RFC 8410 §3 (Ed25519), RFC 4055 §5 (RSA PKCS#1 v1.5).
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ed25519: '1.3.101.112',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

/** RFC 5280 §4.2.1.3 KeyUsage bit numbers. */
const KeyUsageBit = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export function generateCertificate(opts: GenerateCertificateOptions = {}): GeneratedCertificate {
  const keyType = opts.keyType ?? 'ec-p256';
  const commonName = opts.commonName ?? 'localhost';
  const altNames = opts.altNames ?? ['localhost', '127.0.0.1', '::1'];
  const now = Date.now();
  const notBefore = opts.notBefore ?? new Date(now - 3600_000);
  const notAfter = opts.notAfter ?? new Date(now + 30 * 86400_000);
  const isCA = opts.isCA ?? false;

  const { privateKey, publicKey } = generateKey(keyType);
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const subjectKeyId = keyIdentifier(spki);
  const subjectName = der.sequence(
    der.setOf(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))),
  );

  let issuerName: Uint8Array;
  let authorityKeyId: Uint8Array;
  let signingKey: KeyObject;
  if (opts.issuer === undefined) {
    issuerName = subjectName;
    authorityKeyId = subjectKeyId;
    signingKey = privateKey;
  } else {
    const issuerCert = new X509Certificate(opts.issuer.certPem);
    signingKey = createPrivateKey(opts.issuer.keyPem);
    const issuerSpki = issuerCert.publicKey.export({ type: 'spki', format: 'der' });
    if (!issuerSpki.equals(createPublicKey(signingKey).export({ type: 'spki', format: 'der' }))) {
      throw new Error('issuer.keyPem does not match issuer.certPem');
    }
    const fields = readIssuerFields(new Uint8Array(issuerCert.raw));
    issuerName = fields.subject;
    authorityKeyId = fields.subjectKeyId ?? keyIdentifier(new Uint8Array(issuerSpki));
  }
  const sig = signatureAlgorithm(signingKey);

  // RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random octets with the top bit clear
  // and a non-zero first octet keep the encoding exactly 16 octets.
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = serial[0]! & 0x7f || 0x01;

  const extensions: Uint8Array[] = [
    // §4.2.1.9 basicConstraints, critical; cA DEFAULT FALSE is omitted for leaves (DER).
    extension(OID.basicConstraints, true, isCA ? der.sequence(der.boolean(true)) : der.sequence()),
    // §4.2.1.3 keyUsage, critical. An RSA leaf may also carry the static RSA key exchange's
    // premaster (keyEncipherment, RFC 5246 §7.4.2; OpenSSL clients require it for kRSA suites).
    extension(OID.keyUsage, true, der.namedBits(isCA
      ? [KeyUsageBit.keyCertSign, KeyUsageBit.cRLSign]
      : keyType.startsWith('rsa') ? [KeyUsageBit.digitalSignature, KeyUsageBit.keyEncipherment] : [KeyUsageBit.digitalSignature])),
  ];
  if (opts.extKeyUsage !== undefined && opts.extKeyUsage.length > 0) {
    // §4.2.1.12 extKeyUsage.
    extensions.push(extension(OID.extKeyUsage, false,
      der.sequence(...opts.extKeyUsage.map((p) => der.oid(OID[p])))));
  }
  if (altNames.length > 0) {
    // §4.2.1.6 subjectAltName; critical only when the subject is empty, which it never is here.
    extensions.push(extension(OID.subjectAltName, false, der.sequence(...altNames.map(generalName))));
  }
  // §4.2.1.2 subjectKeyIdentifier and §4.2.1.1 authorityKeyIdentifier ([0] keyIdentifier).
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(subjectKeyId)));
  extensions.push(extension(OID.authorityKeyIdentifier, false,
    der.sequence(der.implicit(0, authorityKeyId))));

  // §4.1.2: TBSCertificate.
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    der.integer(serial),
    sig.algorithm,
    issuerName,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    subjectName,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const signature = new Uint8Array(sign(sig.hash, tbs, signingKey));
  // §4.1.1: Certificate.
  const certDer = der.sequence(tbs, sig.algorithm, der.bitString(signature));

  const b64 = Buffer.from(certDer).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    keyPem: String(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    der: certDer,
    fingerprint256: createHash('sha256').update(certDer).digest('hex').toUpperCase()
      .replace(/..(?!$)/g, '$&:'),
  };
}

function generateKey(keyType: CertificateKeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (keyType) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ec-p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    case 'rsa2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    default:
      throw new Error(`unsupported keyType ${String(keyType)}`);
  }
}

/** AlgorithmIdentifier and digest for a signing key (RFC 5280 §4.1.1.2). */
function signatureAlgorithm(key: KeyObject): { algorithm: Uint8Array; hash: string | null } {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      // RFC 5758 §3.2: the parameters field is absent for ECDSA.
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return { algorithm: der.sequence(der.oid(OID.ecdsaWithSha384)), hash: 'sha384' };
      if (curve === 'prime256v1') return { algorithm: der.sequence(der.oid(OID.ecdsaWithSha256)), hash: 'sha256' };
      throw new Error(`unsupported issuer curve ${String(curve)}`);
    }
    case 'ed25519':
      // RFC 8410 §3: parameters absent.
      return { algorithm: der.sequence(der.oid(OID.ed25519)), hash: null };
    case 'rsa':
      // RFC 4055 §5: parameters NULL.
      return { algorithm: der.sequence(der.oid(OID.sha256WithRsa), der.nullValue()), hash: 'sha256' };
    default:
      throw new Error(`unsupported issuer key type ${String(key.asymmetricKeyType)}`);
  }
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
function keyIdentifier(spki: Uint8Array): Uint8Array {
  const [, subjectPublicKey] = der.children(der.decode(spki));
  const { bytes } = der.readBitString(der.expectTag(subjectPublicKey, der.Tag.BIT_STRING, 'subjectPublicKey'));
  return new Uint8Array(createHash('sha1').update(bytes).digest());
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(id), der.octetString(value));
}

/** GeneralName (RFC 5280 §4.2.1.6): iPAddress [7] for IP literals, dNSName [2] otherwise. */
function generalName(name: string): Uint8Array {
  const family = isIP(name);
  if (family === 4) return der.implicit(7, Uint8Array.from(name.split('.').map(Number)));
  if (family === 6) return der.implicit(7, ipv6Bytes(name.split('%')[0]!)); // no zone id in a SAN
  if (!/^[\x21-\x7e]+$/.test(name)) throw new Error(`altName ${JSON.stringify(name)} is not an IA5 DNS name`);
  return der.implicit(2, new TextEncoder().encode(name));
}

/** The 16 octets of an IPv6 literal (RFC 4291 §2.2 text forms), already validated by isIP. */
function ipv6Bytes(text: string): Uint8Array {
  let s = text;
  const words: number[] = [];
  const lastColon = s.lastIndexOf(':');
  let v4: number[] = [];
  if (s.slice(lastColon + 1).includes('.')) {
    v4 = s.slice(lastColon + 1).split('.').map(Number);
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', tail] = s.split('::');
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const headWords = parse(head);
  const tailWords = tail === undefined ? [] : parse(tail);
  const fill = tail === undefined ? 0 : 8 - headWords.length - tailWords.length;
  words.push(...headWords, ...new Array<number>(fill).fill(0), ...tailWords);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  if (v4.length === 4) out.set(v4, 12);
  return out;
}

/** The issuer's subject Name (copied verbatim, RFC 5280 §4.1.2.4) and its subjectKeyIdentifier. */
function readIssuerFields(certDer: Uint8Array): { subject: Uint8Array; subjectKeyId?: Uint8Array } {
  const [tbsNode] = der.children(der.decode(certDer));
  const tbs = der.children(der.expectTag(tbsNode, der.Tag.SEQUENCE, 'TBSCertificate'));
  const base = tbs[0]?.tag === der.contextTag(0, true) ? 1 : 0; // optional [0] version
  const subject = der.expectTag(tbs[base + 4], der.Tag.SEQUENCE, 'subject').bytes;
  const extsNode = tbs.find((n) => n.tag === der.contextTag(3, true));
  if (extsNode === undefined) return { subject };
  for (const ext of der.children(der.children(extsNode)[0]!)) {
    const parts = der.children(ext);
    if (der.readOid(parts[0]!) === OID.subjectKeyIdentifier) {
      const value = der.decode(parts[parts.length - 1]!.content);
      return { subject, subjectKeyId: der.expectTag(value, der.Tag.OCTET_STRING, 'keyIdentifier').content };
    }
  }
  return { subject };
}
