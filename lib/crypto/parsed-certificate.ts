// A certificate parsed for path validation: the facts of RFC 5280 §4.1 and §4.2.1 that the checks
// need, read once per certificate, and the issuer-matching rules of OpenSSL 3
// (ossl_x509_likely_issued, X509_check_akid).

import type { X509Certificate, KeyObject } from 'node:crypto';
import { cachedFacet, cachedPublicKey, cachedX509 } from './certificate-cache.js';
import { readAuthorityKeyId, readCrlDistributionPoints, serialKey, signedParts, type DistributionPoint, type SignedData } from './crl.js';
import * as der from './der.js';
import { PolicyExtensionReader, type PolicyExtensions } from './certificate-policies.js';
import { readGeneralNames, readNameConstraints, type ConstrainedNames, type GeneralName, type NameConstraints } from './name-constraints.js';
import { canonicalName } from './x509-name.js';
import { toHex } from '../hex.js';

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  crlDistributionPoints: '2.5.29.31',
  subjectAltName: '2.5.29.17',
  nameConstraints: '2.5.29.30',
  nsCertType: '2.16.840.1.113730.1.1',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  nsSgc: '2.16.840.1.113730.4.1',
  msSgc: '1.3.6.1.4.1.311.10.3.3',
} as const;

/** Extensions that may be critical: each is enforced here (RFC 5280 §4.2: a certificate with a
 *  critical extension that is not processed must be rejected). OpenSSL's X509_supported_extension
 *  also lists the RFC 3779 resource extensions and proxyCertInfo (RFC 3820), which this verifier
 *  does not process: critical ones fail the chain. cRLDistributionPoints and ocsp-nocheck only
 *  inform revocation checking. */
export const SUPPORTED_EXTENSIONS = new Set([
  '2.16.840.1.113730.1.1', // netscape-cert-type
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.37', // extKeyUsage
  '1.3.6.1.5.5.7.48.1.5', // id-pkix-ocsp-nocheck
  '2.5.29.36', // policyConstraints
  '2.5.29.30', // nameConstraints
  '2.5.29.33', // policyMappings
  '2.5.29.54', // inhibitAnyPolicy
]);

/** Netscape certificate type bits (first octet; OpenSSL NS_*): still honoured by OpenSSL's
 *  purpose checks, so by node:tls. */
export const NS = {
  sslClient: 0x80,
  sslServer: 0x40,
  sslCa: 0x04,
  anyCa: 0x07,
} as const;

/** KeyUsage bits as OpenSSL packs them (first octet, then second octet << 8); RFC 5280 §4.2.1.3. */
export const KU = {
  digitalSignature: 0x80,
  keyEncipherment: 0x20,
  keyAgreement: 0x08,
  keyCertSign: 0x04,
  cRLSign: 0x02,
} as const;

/** Public key types a signature algorithm can be checked with (OpenSSL check_sig_alg_match). */
export function signatureKeyTypes(algorithm: string): readonly string[] {
  if (/^1\.2\.840\.113549\.1\.1\.(2|3|4|5|11|12|13|14|15|16)$/.test(algorithm) || algorithm === '1.3.14.3.2.29') {
    return ['rsa']; // RFC 3279 §2.2.1, RFC 4055 §5
  }
  if (algorithm === '1.2.840.113549.1.1.10') return ['rsa', 'rsa-pss']; // RFC 4055 §3.1
  if (algorithm === '1.2.840.10045.4.1' || /^1\.2\.840\.10045\.4\.3\.[1-4]$/.test(algorithm)) return ['ec']; // RFC 5758 §3.2
  if (algorithm === '1.3.101.112') return ['ed25519']; // RFC 8410 §3
  if (algorithm === '1.3.101.113') return ['ed448'];
  if (algorithm === '1.2.840.10040.4.3' || /^2\.16\.840\.1\.101\.3\.4\.3\.[12]$/.test(algorithm)) return ['dsa'];
  return [];
}

export interface AuthorityKeyId {
  keyId?: string;
  serial?: string;
  issuerName?: string;
}

/** A parsed certificate (internal). */
export interface Cert {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  /** Canonical subject / issuer names (X509_NAME_cmp equivalence). */
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  /** The serial as crl.ts serialKey() keys it. */
  readonly serialKey: string;
  /** The signed parts, for verifySigned(). */
  readonly signed: SignedData;
  readonly v1: boolean;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Key types able to check this certificate's signature. */
  readonly signatureKeyTypes: readonly string[];
  readonly skid?: string;
  readonly akid?: AuthorityKeyId;
  /** basicConstraints present / cA / pathLenConstraint (-1: none). */
  readonly hasBasicConstraints: boolean;
  readonly isCA: boolean;
  readonly pathLen: number;
  readonly keyUsage?: number;
  readonly extKeyUsage?: ReadonlySet<string>;
  /** Netscape certificate type (first octet), when present. */
  readonly nsCertType?: number;
  /** certificatePolicies, policyMappings, policyConstraints, inhibitAnyPolicy (§4.2.1.4, .5,
   *  .11, .14), for policy processing. */
  readonly policy: PolicyExtensions;
  /** Subject Name and subjectAltName entries (§4.1.2.6, §4.2.1.6), for name constraints. */
  readonly names: ConstrainedNames;
  /** nameConstraints (§4.2.1.10) of a CA. */
  readonly nameConstraints?: NameConstraints;
  /** cRLDistributionPoints (§4.2.1.13), when present and readable. */
  readonly crlDistributionPoints?: readonly DistributionPoint[];
  readonly unhandledCritical: boolean;
  /** Subject name equals issuer name (RFC 5280 §6.1: "self-issued"). */
  readonly selfIssued: boolean;
  /** Self-issued, AKID consistent and signature algorithm fits the own key (OpenSSL EXFLAG_SS). */
  selfSigned: boolean;
  publicKeyCache?: KeyObject | null;
}

export function publicKeyOf(c: Cert): KeyObject | null {
  if (c.publicKeyCache === undefined) {
    try {
      c.publicKeyCache = cachedPublicKey(c.der);
    } catch {
      c.publicKeyCache = null;
    }
  }
  return c.publicKeyCache;
}


/** Parses a DER certificate (RFC 5280 §4.1). Throws on malformed input. The parse is kept by
 *  the certificate's bytes (certificate-cache.ts): the same certificate is parsed once, and the
 *  Cert returned may be shared (its fields are not changed after the parse). */
export function parseCertificate(certDer: Uint8Array): Cert {
  return cachedFacet(certDer, 'rfc5280', readCertificate);
}

function readCertificate(certDer: Uint8Array): Cert {
  const x509 = cachedX509(certDer);
  const signed = signedParts(certDer, (fields) => fields[fields[0]?.tag === der.contextTag(0, true) ? 2 : 1]!);
  const tbs = der.children(der.decode(signed.tbs));
  let i = 0;
  let version = 0;
  if (tbs[0]?.tag === der.contextTag(0, true)) {
    version = der.readSmallInteger(der.decode(tbs[0].content));
    i = 1;
  }
  const serialBytes = der.readIntegerBytes(tbs[i]!);
  const serial = toHex(serialBytes);
  const sigAlg = der.readOid(der.children(der.expectTag(tbs[i + 1], der.Tag.SEQUENCE, 'signature'))[0]!);
  const issuerNode = der.expectTag(tbs[i + 2], der.Tag.SEQUENCE, 'issuer');
  const [nb, na] = der.children(der.expectTag(tbs[i + 3], der.Tag.SEQUENCE, 'validity'));
  const subjectNode = der.expectTag(tbs[i + 4], der.Tag.SEQUENCE, 'subject');
  const subject = canonicalName(subjectNode);
  const issuer = canonicalName(issuerNode);

  let skid: string | undefined;
  let akid: AuthorityKeyId | undefined;
  let hasBasicConstraints = false;
  let isCA = false;
  let pathLen = -1;
  let keyUsage: number | undefined;
  let extKeyUsage: Set<string> | undefined;
  let crlDistributionPoints: DistributionPoint[] | undefined;
  let nsCertType: number | undefined;
  const policy = new PolicyExtensionReader();
  let altNames: GeneralName[] = [];
  let nameConstraints: NameConstraints | undefined;
  let unhandledCritical = false;
  const extsNode = tbs.slice(i + 6).find((n) => n.tag === der.contextTag(3, true));
  if (extsNode !== undefined) {
    for (const ext of der.children(der.children(extsNode)[0]!)) {
      const parts = der.children(ext);
      const id = der.readOid(parts[0]!);
      const critical = parts.length === 3 && der.readBoolean(parts[1]!);
      const value = der.decode(der.expectTag(parts[parts.length - 1], der.Tag.OCTET_STRING, 'extnValue').content);
      if (critical && !SUPPORTED_EXTENSIONS.has(id)) unhandledCritical = true;
      switch (id) {
        case OID.subjectKeyIdentifier: // §4.2.1.2
          skid = toHex(der.expectTag(value, der.Tag.OCTET_STRING, 'keyIdentifier').content);
          break;
        case OID.authorityKeyIdentifier: // §4.2.1.1
          akid = canonicalAkid(readAuthorityKeyId(value));
          break;
        case OID.crlDistributionPoints: // §4.2.1.13, only read to match CRL scopes
          try {
            crlDistributionPoints = readCrlDistributionPoints(value);
          } catch {
            crlDistributionPoints = undefined;
          }
          break;
        case OID.basicConstraints: { // §4.2.1.9
          hasBasicConstraints = true;
          const fields = der.children(value);
          let k = 0;
          if (fields[k]?.tag === der.Tag.BOOLEAN) isCA = der.readBoolean(fields[k++]!);
          if (fields[k]?.tag === der.Tag.INTEGER && isCA) pathLen = der.readSmallInteger(fields[k]!);
          break;
        }
        case OID.keyUsage: { // §4.2.1.3
          const { bytes } = der.readBitString(value);
          keyUsage = (bytes[0] ?? 0) | ((bytes[1] ?? 0) << 8);
          break;
        }
        case OID.extKeyUsage: // §4.2.1.12
          extKeyUsage = new Set(der.children(value).map((n) => der.readOid(n)));
          break;
        case OID.subjectAltName: // §4.2.1.6
          altNames = readGeneralNames(value);
          break;
        case OID.nameConstraints: // §4.2.1.10 (a malformed one fails the parse: fail closed)
          nameConstraints = readNameConstraints(value);
          break;
        case OID.nsCertType:
          nsCertType = der.readBitString(value).bytes[0] ?? 0;
          break;
        default:
          policy.read(id, value);
          break;
      }
    }
  }

  const cert: Cert = {
    der: certDer,
    x509,
    subject,
    issuer,
    serial,
    serialKey: serialKey(serialBytes),
    signed,
    v1: version === 0,
    notBefore: der.readTime(nb!),
    notAfter: der.readTime(na!),
    signatureKeyTypes: signatureKeyTypes(sigAlg),
    ...(skid === undefined ? {} : { skid }),
    ...(akid === undefined ? {} : { akid }),
    hasBasicConstraints,
    isCA,
    pathLen,
    ...(keyUsage === undefined ? {} : { keyUsage }),
    ...(extKeyUsage === undefined ? {} : { extKeyUsage }),
    ...(nsCertType === undefined ? {} : { nsCertType }),
    policy: policy.result(),
    names: { subject: subjectNode, altNames },
    ...(nameConstraints === undefined ? {} : { nameConstraints }),
    ...(crlDistributionPoints === undefined ? {} : { crlDistributionPoints }),
    unhandledCritical,
    selfIssued: subject === issuer,
    selfSigned: false,
  };
  cert.selfSigned = likelyIssued(cert, cert);
  return cert;
}

/** OpenSSL ossl_x509_likely_issued (no signature check): issuer name matches, the subject's
 *  authorityKeyIdentifier agrees with the issuer (RFC 5280 §4.2.1.1), and the subject's signature
 *  algorithm suits the issuer's key. */
export function likelyIssued(issuer: Cert, subject: Cert): boolean {
  if (issuer.subject !== subject.issuer) return false;
  if (!akidMatches(issuer, subject.akid)) return false;
  const keyType = publicKeyOf(issuer)?.asymmetricKeyType;
  return keyType !== undefined && subject.signatureKeyTypes.includes(keyType);
}

/** OpenSSL X509_check_akid: an authorityKeyIdentifier (of a certificate or a CRL) agrees with
 *  the candidate issuer's subjectKeyIdentifier, serial and issuer name, where present. */
export function akidMatches(issuer: Cert, akid: AuthorityKeyId | undefined): boolean {
  if (akid === undefined) return true;
  if (akid.keyId !== undefined && issuer.skid !== undefined && akid.keyId !== issuer.skid) return false;
  if (akid.serial !== undefined && akid.serial !== issuer.serial) return false;
  if (akid.issuerName !== undefined && akid.issuerName !== issuer.issuer) return false;
  return true;
}

export function canonicalAkid(raw: ReturnType<typeof readAuthorityKeyId>): AuthorityKeyId {
  return {
    ...(raw.keyId === undefined ? {} : { keyId: raw.keyId }),
    ...(raw.serial === undefined ? {} : { serial: raw.serial }),
    ...(raw.issuerName === undefined ? {} : { issuerName: canonicalName(raw.issuerName) }),
  };
}

/** RFC 5280 §4.1.2.5 validity at `now`, as OpenSSL compares: notBefore <= now < notAfter. */
function timeValid(c: Cert, now: number): boolean {
  return c.notBefore <= now && now < c.notAfter;
}

/** OpenSSL's issuer choice among candidates: the first currently valid one, else the one that
 *  expires last. */
export function pickIssuer(candidates: Iterable<Cert>, subject: Cert, now: number): Cert | undefined {
  let fallback: Cert | undefined;
  for (const c of candidates) {
    if (!likelyIssued(c, subject)) continue;
    if (timeValid(c, now)) return c;
    if (fallback === undefined || c.notAfter > fallback.notAfter) fallback = c;
  }
  return fallback;
}
