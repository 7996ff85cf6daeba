// Peer certificate chain verification as node:tls reports it: RFC 5280 §6 path validation in the
// order and with the error codes of OpenSSL 3's X509_verify_cert (crypto/x509/x509_vfy.c), and
// node's tls.checkServerIdentity (RFC 6125 host name matching).
//
// node:tls verifies with a callback that accepts every error and reads SSL_get_verify_result()
// after the handshake, i.e. the *last* error OpenSSL recorded. This module runs the same stages
// (build the chain, check extensions, check revocation when `crl` is given, check signatures and
// validity dates from the anchor down)
// and likewise reports the last failure, so an expired self-signed leaf reads CERT_HAS_EXPIRED,
// exactly as node says.

import { constants as cryptoConstants, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls'; // only the default trust store is read from node:tls
import { ErrorCode, TlsError } from '../errors.js';
import {
  parseCrls,
  readAuthorityKeyId,
  readCrlDistributionPoints,
  serialKey,
  signedParts,
  type Crl,
  type DistributionPoint,
  type DistributionPointName,
  type SignedData,
} from './crl.js';
import * as der from './der.js';
import { pemBlocks } from './pem.js';
import {
  checkCommonNameConstraints,
  checkNameConstraints,
  hasDnsAltName,
  readGeneralNames,
  readNameConstraints,
  type ConstrainedNames,
  type GeneralName,
  type NameConstraints,
  type NameConstraintVerdict,
} from './name-constraints.js';
import { canonicalName } from './x509-name.js';
import { checkPolicies, PolicyExtensionReader, type PolicyExtensions } from './certificate-policies.js';
import { toPeerCertificate, type PeerCertificate } from './peer-certificate.js';

export type VerifyPurpose = 'server' | 'client';

export interface VerifyCertificateChainOptions {
  /** Trust anchors: PEM strings (any number of certificates each) or DER. Default: node's
   *  bundled root store (tls.rootCertificates). */
  ca?: readonly (string | Uint8Array)[];
  /** Verification time; default now. */
  now?: Date;
  /** The role of the peer whose chain this is: 'server' checks the serverAuth purpose (a client
   *  verifying a server), 'client' checks clientAuth (a server verifying a client). */
  purpose: VerifyPurpose;
  /** node:tls's `crl`: PEM "X509 CRL" entries (the first CRL block of each entry counts; see
   *  crl.ts parseCrls). Non-empty: every certificate of the built path, the trust anchor
   *  included, must be covered by a CRL from its issuer (OpenSSL X509_V_FLAG_CRL_CHECK |
   *  X509_V_FLAG_CRL_CHECK_ALL, as node sets them). An entry that does not parse fails the
   *  verification with code ERR_CRYPTO_OPERATION_FAILED (parse with parseCrls() when the option
   *  is given, to throw early as node does). */
  crl?: readonly (string | Uint8Array)[];
}

export type VerifyResult = { ok: true } | { ok: false; code: string; message: string };

// ---------------------------------------------------------------------------------------------
// Certificate facts the checks need (RFC 5280 §4.1, §4.2.1)
// ---------------------------------------------------------------------------------------------

const OID = {
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
const SUPPORTED_EXTENSIONS = new Set([
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
const NS = {
  sslClient: 0x80,
  sslServer: 0x40,
  sslCa: 0x04,
  anyCa: 0x07,
} as const;

/** KeyUsage bits as OpenSSL packs them (first octet, then second octet << 8); RFC 5280 §4.2.1.3. */
const KU = {
  digitalSignature: 0x80,
  keyEncipherment: 0x20,
  keyAgreement: 0x08,
  keyCertSign: 0x04,
  cRLSign: 0x02,
} as const;

/** Public key types a signature algorithm can be checked with (OpenSSL check_sig_alg_match). */
function signatureKeyTypes(algorithm: string): readonly string[] {
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

interface AuthorityKeyId {
  keyId?: string;
  serial?: string;
  issuerName?: string;
}

/** A parsed certificate (internal). */
interface Cert {
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

function publicKeyOf(c: Cert): KeyObject | null {
  if (c.publicKeyCache === undefined) {
    try {
      c.publicKeyCache = c.x509.publicKey;
    } catch {
      c.publicKeyCache = null;
    }
  }
  return c.publicKeyCache;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Parses a DER certificate (RFC 5280 §4.1). Throws on malformed input. */
function parseCertificate(certDer: Uint8Array): Cert {
  const x509 = new X509Certificate(certDer);
  const signed = signedParts(certDer, (fields) => fields[fields[0]?.tag === der.contextTag(0, true) ? 2 : 1]!);
  const tbs = der.children(der.decode(signed.tbs));
  let i = 0;
  let version = 0;
  if (tbs[0]?.tag === der.contextTag(0, true)) {
    version = der.readSmallInteger(der.decode(tbs[0].content));
    i = 1;
  }
  const serialBytes = der.readIntegerBytes(tbs[i]!);
  const serial = hex(serialBytes);
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
          skid = hex(der.expectTag(value, der.Tag.OCTET_STRING, 'keyIdentifier').content);
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
function likelyIssued(issuer: Cert, subject: Cert): boolean {
  if (issuer.subject !== subject.issuer) return false;
  if (!akidMatches(issuer, subject.akid)) return false;
  const keyType = publicKeyOf(issuer)?.asymmetricKeyType;
  return keyType !== undefined && subject.signatureKeyTypes.includes(keyType);
}

/** OpenSSL X509_check_akid: an authorityKeyIdentifier (of a certificate or a CRL) agrees with
 *  the candidate issuer's subjectKeyIdentifier, serial and issuer name, where present. */
function akidMatches(issuer: Cert, akid: AuthorityKeyId | undefined): boolean {
  if (akid === undefined) return true;
  if (akid.keyId !== undefined && issuer.skid !== undefined && akid.keyId !== issuer.skid) return false;
  if (akid.serial !== undefined && akid.serial !== issuer.serial) return false;
  if (akid.issuerName !== undefined && akid.issuerName !== issuer.issuer) return false;
  return true;
}

function canonicalAkid(raw: ReturnType<typeof readAuthorityKeyId>): AuthorityKeyId {
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
function pickIssuer(candidates: Iterable<Cert>, subject: Cert, now: number): Cert | undefined {
  let fallback: Cert | undefined;
  for (const c of candidates) {
    if (!likelyIssued(c, subject)) continue;
    if (timeValid(c, now)) return c;
    if (fallback === undefined || c.notAfter > fallback.notAfter) fallback = c;
  }
  return fallback;
}

// ---------------------------------------------------------------------------------------------
// Trust anchors (parsed once, cached)
// ---------------------------------------------------------------------------------------------

interface TrustStore {
  readonly bySubject: ReadonlyMap<string, readonly Cert[]>;
}

function buildStore(certs: readonly Cert[]): TrustStore {
  const bySubject = new Map<string, Cert[]>();
  for (const c of certs) {
    const list = bySubject.get(c.subject);
    if (list === undefined) bySubject.set(c.subject, [c]);
    else if (!list.some((o) => sameDer(o.der, c.der))) list.push(c);
  }
  return { bySubject };
}

function sameDer(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

const MAX_TEXT_CACHE = 64;
const textCache = new Map<string, Cert[]>();
const bytesCache = new WeakMap<Uint8Array, Cert[]>();
const storeCache = new WeakMap<readonly (string | Uint8Array)[], { items: (string | Uint8Array)[]; store: TrustStore }>();
let defaultStore: TrustStore | undefined;

function looksLikePem(b: Uint8Array): boolean {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, 4096)).toString('latin1').includes('-----BEGIN');
}

/** Certificates of one `ca` entry; entries that do not parse are skipped. */
function anchorsOf(item: string | Uint8Array): Cert[] {
  if (typeof item === 'string') {
    let certs = textCache.get(item);
    if (certs === undefined) {
      certs = parseAll(pemBlocks(item));
      if (textCache.size >= MAX_TEXT_CACHE) textCache.delete(textCache.keys().next().value as string);
      textCache.set(item, certs);
    }
    return certs;
  }
  let certs = bytesCache.get(item);
  if (certs === undefined) {
    certs = parseAll(looksLikePem(item) ? pemBlocks(Buffer.from(item).toString('latin1')) : [item]);
    bytesCache.set(item, certs);
  }
  return certs;
}

function parseAll(ders: readonly Uint8Array[]): Cert[] {
  const out: Cert[] = [];
  for (const d of ders) {
    try {
      out.push(parseCertificate(d));
    } catch {
      // An unparseable anchor cannot anchor anything.
    }
  }
  return out;
}

function trustStore(ca: readonly (string | Uint8Array)[] | undefined): TrustStore {
  if (ca === undefined) {
    defaultStore ??= buildStore(rootCertificates.flatMap(anchorsOf));
    return defaultStore;
  }
  const hit = storeCache.get(ca);
  if (hit !== undefined && hit.items.length === ca.length && hit.items.every((v, k) => v === ca[k])) {
    return hit.store;
  }
  const store = buildStore(ca.flatMap(anchorsOf));
  storeCache.set(ca, { items: [...ca], store });
  return store;
}

function trustedIssuer(store: TrustStore, subject: Cert, now: number): Cert | undefined {
  const candidates = store.bySubject.get(subject.issuer);
  return candidates === undefined ? undefined : pickIssuer(candidates, subject, now);
}

/** The trust-store certificate node's SSL_CTX_get_issuer() would return for `certDer` (used to
 *  complete getPeerCertificate(true) chains), or undefined. `ca` undefined: the default roots. */
export function findTrustedIssuer(
  certDer: Uint8Array,
  ca: readonly (string | Uint8Array)[] | undefined,
  now: Date = new Date(),
): Uint8Array | undefined {
  try {
    return trustedIssuer(trustStore(ca), parseCertificate(certDer), now.getTime())?.der;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Verification (OpenSSL x509_vfy.c: build_chain, check_extensions, internal_verify)
// ---------------------------------------------------------------------------------------------

/** X509_V_ERR_* as node reports them: `code` from node's X509ErrorCode() ('UNSPECIFIED' for the
 *  ones node has no name for), `message` from X509_verify_cert_error_string(). */
const V = {
  UNABLE_TO_GET_ISSUER_CERT: ['UNABLE_TO_GET_ISSUER_CERT', 'unable to get issuer certificate'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [ErrorCode.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 'unable to get local issuer certificate'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [ErrorCode.UNABLE_TO_VERIFY_LEAF_SIGNATURE, 'unable to verify the first certificate'],
  DEPTH_ZERO_SELF_SIGNED_CERT: [ErrorCode.DEPTH_ZERO_SELF_SIGNED_CERT, 'self-signed certificate'],
  SELF_SIGNED_CERT_IN_CHAIN: [ErrorCode.SELF_SIGNED_CERT_IN_CHAIN, 'self-signed certificate in certificate chain'],
  CERT_HAS_EXPIRED: [ErrorCode.CERT_HAS_EXPIRED, 'certificate has expired'],
  CERT_NOT_YET_VALID: [ErrorCode.CERT_NOT_YET_VALID, 'certificate is not yet valid'],
  CERT_SIGNATURE_FAILURE: [ErrorCode.CERT_SIGNATURE_FAILURE, 'certificate signature failure'],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: ['UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'unable to decode issuer public key'],
  INVALID_CA: [ErrorCode.INVALID_CA, 'invalid CA certificate'],
  INVALID_PURPOSE: [ErrorCode.INVALID_PURPOSE, 'unsuitable certificate purpose'],
  PATH_LENGTH_EXCEEDED: ['PATH_LENGTH_EXCEEDED', 'path length constraint exceeded'],
  CERT_CHAIN_TOO_LONG: ['CERT_CHAIN_TOO_LONG', 'certificate chain too long'],
  UNHANDLED_CRITICAL_EXTENSION: ['UNSPECIFIED', 'unhandled critical extension'],
  KEY_USAGE_NO_CERTSIGN: ['UNSPECIFIED', 'key usage does not include certificate signing'],
  UNABLE_TO_GET_CRL: ['UNABLE_TO_GET_CRL', 'unable to get certificate CRL'],
  CRL_SIGNATURE_FAILURE: ['CRL_SIGNATURE_FAILURE', 'CRL signature failure'],
  CRL_NOT_YET_VALID: ['CRL_NOT_YET_VALID', 'CRL is not yet valid'],
  CRL_HAS_EXPIRED: ['CRL_HAS_EXPIRED', 'CRL has expired'],
  ERROR_IN_CRL_LAST_UPDATE_FIELD: ['ERROR_IN_CRL_LAST_UPDATE_FIELD', "format error in CRL's lastUpdate field"],
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: ['ERROR_IN_CRL_NEXT_UPDATE_FIELD', "format error in CRL's nextUpdate field"],
  CERT_REVOKED: ['CERT_REVOKED', 'certificate revoked'],
  KEYUSAGE_NO_CRL_SIGN: ['UNSPECIFIED', 'key usage does not include CRL signing'],
  DIFFERENT_CRL_SCOPE: ['UNSPECIFIED', 'Different CRL scope'],
  UNHANDLED_CRITICAL_CRL_EXTENSION: ['UNSPECIFIED', 'unhandled critical CRL extension'],
  PERMITTED_VIOLATION: ['UNSPECIFIED', 'permitted subtree violation'],
  EXCLUDED_VIOLATION: ['UNSPECIFIED', 'excluded subtree violation'],
  SUBTREE_MINMAX: ['UNSPECIFIED', 'name constraints minimum and maximum not supported'],
  UNSUPPORTED_CONSTRAINT_TYPE: ['UNSPECIFIED', 'unsupported name constraint type'],
  UNSUPPORTED_NAME_SYNTAX: ['UNSPECIFIED', 'unsupported or invalid name syntax'],
  UNSPECIFIED: ['UNSPECIFIED', 'unspecified certificate verification error'],
  NO_EXPLICIT_POLICY: ['UNSPECIFIED', 'no explicit policy'],
  INVALID_POLICY_EXTENSION: ['UNSPECIFIED', 'invalid or inconsistent certificate policy extension'],
} as const satisfies Record<string, readonly [string, string]>;

type VerifyError = (typeof V)[keyof typeof V];

/** OpenSSL's default verify depth (X509_VERIFY_PARAM depth 100): at most 100 CAs above the leaf. */
const MAX_DEPTH = 100;

export function verifyCertificateChain(
  chain: readonly Uint8Array[],
  opts: VerifyCertificateChainOptions,
): VerifyResult {
  // node (VerifyPeerCertificate) reports a missing peer certificate this way.
  if (chain.length === 0) return fail(V.UNABLE_TO_GET_ISSUER_CERT);
  let certs: Cert[];
  try {
    certs = chain.map(parseCertificate);
  } catch (e) {
    return { ok: false, code: ErrorCode.DECODE, message: `unable to parse certificate: ${(e as Error).message}` };
  }
  const now = (opts.now ?? new Date()).getTime();
  const store = trustStore(opts.ca);
  let last: VerifyError | undefined;
  const report = (err: VerifyError): void => {
    last = err;
  };

  let crls: CrlIndex | undefined;
  if (opts.crl !== undefined && opts.crl.length > 0) {
    try {
      crls = crlIndex(opts.crl);
    } catch (e) {
      return { ok: false, code: (e as TlsError).code ?? 'ERR_CRYPTO_OPERATION_FAILED', message: (e as Error).message };
    }
  }

  const path = buildChain(certs, store, now, report);
  checkExtensions(path, opts.purpose, report);
  if (crls !== undefined) checkRevocation(path, crls, now, report);
  internalVerify(path, now, report);
  checkPathNameConstraints(path, report);
  // Policy processing runs always (OpenSSL, so node:tls, runs it only with
  // X509_V_FLAG_POLICY_CHECK): a CA that requires an explicit policy is obeyed.
  const policyVerdict = checkPolicies(path);
  if (policyVerdict !== 'ok') report(V[policyVerdict]);
  return last === undefined ? { ok: true } : fail(last);
}

function fail(err: VerifyError): VerifyResult {
  return { ok: false, code: err[0], message: err[1] };
}

/** build_chain: from the leaf, extend with an issuer from the trust store when there is one
 *  (X509_V_FLAG_TRUSTED_FIRST), else from the peer's other certificates, in any order; stop at a
 *  trust anchor. RFC 5280 §6.1 takes the path as given; this is the path-building step before. */
function buildChain(certs: readonly Cert[], store: TrustStore, now: number, report: (e: VerifyError) => void): Cert[] {
  const path: Cert[] = [certs[0]!];
  const pool = certs.slice(1);
  let numUntrusted = 1;
  let searchUntrusted = true;
  let trusted = false;

  for (;;) {
    if (path.length > MAX_DEPTH + 1) {
      report(V.CERT_CHAIN_TOO_LONG);
      return path;
    }
    const x = path[path.length - 1]!;
    let anchor = trustedIssuer(store, x, now);
    if (anchor !== undefined) {
      if (!x.selfSigned) {
        path.push(anchor);
      } else if (path.length === numUntrusted) {
        // A self-signed peer certificate is trusted only if it is the very anchor (not merely a
        // certificate with the same name and key identifier).
        if (sameDer(x.der, anchor.der)) {
          path[path.length - 1] = anchor;
          numUntrusted--;
        } else {
          anchor = undefined;
        }
      }
      if (anchor !== undefined) {
        searchUntrusted = false;
        // check_trust: a store certificate anchors the path if it is self-signed (no explicit
        // trust settings, X509_TRUST_COMPAT).
        if (path.slice(numUntrusted).some((c) => c.selfSigned)) {
          trusted = true;
          break;
        }
        if (!path[path.length - 1]!.selfSigned) continue;
      }
    }
    if (searchUntrusted) {
      const next = x.selfSigned ? undefined : pickIssuer(pool, x, now);
      if (next === undefined) {
        searchUntrusted = false;
        continue; // one more look in the trust store for the current top
      }
      pool.splice(pool.indexOf(next), 1);
      path.push(next);
      numUntrusted++;
      continue;
    }
    break;
  }

  if (!trusted) {
    const top = path[path.length - 1]!;
    if (top.selfSigned) {
      report(path.length === 1 ? V.DEPTH_ZERO_SELF_SIGNED_CERT : V.SELF_SIGNED_CERT_IN_CHAIN);
    } else {
      report(numUntrusted < path.length ? V.UNABLE_TO_GET_ISSUER_CERT : V.UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    }
  }
  return path;
}

/** X509_check_ca: 1 basicConstraints cA; 3 self-signed v1 root; 4 keyUsage with keyCertSign
 *  but no basicConstraints; 5 a Netscape CA type only; 0 not a CA (RFC 5280 §4.2.1.9,
 *  §4.2.1.3). */
function checkCa(c: Cert): number {
  if (c.keyUsage !== undefined && (c.keyUsage & KU.keyCertSign) === 0) return 0;
  if (c.hasBasicConstraints) return c.isCA ? 1 : 0;
  if (c.v1 && c.selfSigned) return 3;
  if (c.keyUsage !== undefined) return 4;
  if (c.nsCertType !== undefined && (c.nsCertType & NS.anyCa) !== 0) return 5;
  return 0;
}

/** X509_check_purpose for SSL server / SSL client (RFC 5280 §4.2.1.12 extKeyUsage, §4.2.1.3
 *  keyUsage; RFC 5246 §7.4.2 / §7.4.6 certificate requirements). */
function purposeAllows(c: Cert, purpose: VerifyPurpose, requireCa: boolean): boolean {
  const ekus = purpose === 'server' ? [OID.serverAuth, OID.nsSgc, OID.msSgc] : [OID.clientAuth];
  if (c.extKeyUsage !== undefined && !ekus.some((e) => c.extKeyUsage!.has(e))) return false;
  if (requireCa) {
    // check_ssl_ca: a CA by Netscape type alone must have the SSL CA bit.
    const ca = checkCa(c);
    return ca !== 0 && (ca !== 5 || (c.nsCertType! & NS.sslCa) !== 0);
  }
  const ns = purpose === 'server' ? NS.sslServer : NS.sslClient;
  if (c.nsCertType !== undefined && (c.nsCertType & ns) === 0) return false;
  const ku = purpose === 'server'
    ? KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement
    : KU.digitalSignature | KU.keyAgreement;
  return c.keyUsage === undefined || (c.keyUsage & ku) !== 0;
}

/** check_extensions: critical extensions, CA flags of issuers, purpose, path length
 *  (RFC 5280 §6.1.4 (k), (l), (m), (o)). */
function checkExtensions(path: readonly Cert[], purpose: VerifyPurpose, report: (e: VerifyError) => void): void {
  let plen = 0;
  for (let i = 0; i < path.length; i++) {
    const x = path[i]!;
    if (x.unhandledCritical) report(V.UNHANDLED_CRITICAL_EXTENSION);
    if (i > 0) {
      const ret = checkCa(x);
      // Intermediates must assert cA; the top may be a v1 root or keyUsage-only CA.
      if (ret === 0 || (i + 1 < path.length && ret !== 1)) report(V.INVALID_CA);
    }
    if (!purposeAllows(x, purpose, i > 0)) report(V.INVALID_PURPOSE);
    if (i > 1 && x.pathLen !== -1 && plen > x.pathLen) report(V.PATH_LENGTH_EXCEEDED);
    if (i > 0 && !x.selfIssued) plen++;
  }
}

/** internal_verify: from the anchor down to the leaf, each signature with its issuer's key
 *  (RFC 5280 §6.1.3 (a)(1)) and each certificate's validity (§6.1.3 (a)(2)); the anchor's own
 *  self-signature is not checked, its dates are. */
function internalVerify(path: readonly Cert[], now: number, report: (e: VerifyError) => void): void {
  let n = path.length - 1;
  let issuer = path[n]!;
  let subject: Cert;
  if (likelyIssued(issuer, issuer)) {
    subject = issuer;
  } else if (n <= 0) {
    report(V.UNABLE_TO_VERIFY_LEAF_SIGNATURE);
    subject = issuer;
  } else {
    n--;
    subject = path[n]!;
  }
  for (;;) {
    if (subject !== issuer) {
      // §6.1.4 (n): an issuer's keyUsage, when present, must allow keyCertSign.
      if (issuer.keyUsage !== undefined && (issuer.keyUsage & KU.keyCertSign) === 0) {
        report(V.KEY_USAGE_NO_CERTSIGN);
      }
      const key = publicKeyOf(issuer);
      if (key === null) report(V.UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY);
      else if (!verifySigned(subject.signed, key)) report(V.CERT_SIGNATURE_FAILURE);
    }
    // x509_check_cert_time: notBefore first, then notAfter (both may be reported).
    if (subject.notBefore > now) report(V.CERT_NOT_YET_VALID);
    if (subject.notAfter <= now) report(V.CERT_HAS_EXPIRED);
    if (--n < 0) return;
    issuer = subject;
    subject = path[n]!;
  }
}

/** check_name_constraints: every certificate below a CA with nameConstraints (the trust anchor's
 *  included: an anchor that states constraints expects them obeyed) must satisfy them; self-issued
 *  intermediates are exempt (RFC 5280 §6.1.4 (b) applies constraints to the names of subjects
 *  that are not self-issued, the leaf always). For the leaf without a DNS subjectAltName, a
 *  host-name-like commonName is checked against dNSName constraints too. */
function checkPathNameConstraints(path: readonly Cert[], report: (e: VerifyError) => void): void {
  for (let i = path.length - 1; i >= 0; i--) {
    const x = path[i]!;
    if (i !== 0 && x.selfIssued) continue;
    for (let j = path.length - 1; j > i; j--) {
      const nc = path[j]!.nameConstraints;
      if (nc === undefined) continue;
      let verdict: NameConstraintVerdict = checkNameConstraints(x.names, nc);
      if (verdict === 'ok' && i === 0 && !hasDnsAltName(x.names)) verdict = checkCommonNameConstraints(x.names, nc);
      if (verdict !== 'ok') report(V[verdict]);
    }
  }
}

/** Hash of each signature algorithm (RFC 3279 §2.2, RFC 4055 §5, RFC 5758 §3, RFC 8410 §3; null:
 *  the algorithm hashes internally). RSASSA-PSS takes its hash from the parameters. */
const SIGNATURE_HASH: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.2': 'md2',
  '1.2.840.113549.1.1.3': 'md4',
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.3.14.3.2.29': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.15': 'sha512-224',
  '1.2.840.113549.1.1.16': 'sha512-256',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1',
  '2.16.840.1.101.3.4.3.1': 'sha224',
  '2.16.840.1.101.3.4.3.2': 'sha256',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

/** Hash algorithm identifiers (RFC 3279 §2.1, RFC 5754 §2). */
const HASH_OID: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
};

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';

/** RSASSA-PSS-params (RFC 4055 §3.1): hash, salt length. Defaults SHA-1 / MGF1-SHA-1 / 20.
 *  undefined for what cannot be verified here: absent parameters (OpenSSL refuses them too),
 *  a trailer field other than 1, or an MGF1 hash different from the message hash (node's
 *  crypto.verify uses the message hash for MGF1; a documented limit). */
function pssParameters(algorithm: der.DerNode): { hash: string; saltLength: number } | undefined {
  const params = der.children(algorithm)[1];
  if (params === undefined || params.tag !== der.Tag.SEQUENCE) return undefined;
  const hashOf = (alg: der.DerNode | undefined): string | undefined =>
    alg === undefined ? undefined : HASH_OID[der.readOid(der.children(der.expectTag(alg, der.Tag.SEQUENCE, 'hash'))[0]!)];
  let hash: string | undefined = 'sha1';
  let mgfHash: string | undefined = 'sha1';
  let saltLength = 20;
  for (const f of der.children(params)) {
    const [inner] = der.children(f);
    if (f.tag === der.contextTag(0, true)) hash = hashOf(inner);
    else if (f.tag === der.contextTag(1, true)) {
      const [mgf, mgfParams] = der.children(der.expectTag(inner, der.Tag.SEQUENCE, 'maskGenAlgorithm'));
      mgfHash = der.readOid(mgf!) === MGF1 ? hashOf(mgfParams) : undefined;
    } else if (f.tag === der.contextTag(2, true)) saltLength = der.readSmallInteger(inner!);
    else if (f.tag === der.contextTag(3, true)) {
      if (der.readSmallInteger(inner!) !== 1) return undefined;
    } else return undefined;
  }
  return hash !== undefined && hash === mgfHash ? { hash, saltLength } : undefined;
}

/** X509_verify / X509_CRL_verify: the algorithm next to the signature must equal the one inside
 *  the signed part, the algorithm must suit the key's type, the BIT STRING must have no unused
 *  bits, and the signature must verify over the tbs DER. One function for certificates and CRLs. */
function verifySigned(signed: SignedData, key: KeyObject): boolean {
  try {
    if (!sameDer(signed.algorithm.bytes, signed.innerAlgorithm.bytes)) return false;
    const { unusedBits, bytes: signature } = der.readBitString(signed.signature);
    if (unusedBits !== 0) return false;
    const [oidNode, params] = der.children(signed.algorithm);
    const algorithm = der.readOid(oidNode!);
    const keyType = key.asymmetricKeyType;
    if (keyType === undefined || !signatureKeyTypes(algorithm).includes(keyType)) return false;
    if (algorithm === RSASSA_PSS) {
      const pss = pssParameters(signed.algorithm);
      if (pss === undefined) return false;
      return cryptoVerify(pss.hash, signed.tbs,
        { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature);
    }
    const hash = SIGNATURE_HASH[algorithm];
    if (hash === undefined) return false;
    if (hash === null && params !== undefined) return false; // RFC 8410 §3: parameters absent
    return cryptoVerify(hash, signed.tbs, key, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Revocation (OpenSSL x509_vfy.c check_revocation with X509_V_FLAG_CRL_CHECK_ALL; RFC 5280 §6.3)
// ---------------------------------------------------------------------------------------------

/** A CRL with its names in canonical form (X509_NAME_cmp). */
interface CrlEntry {
  readonly crl: Crl;
  readonly issuer: string;
  readonly akid?: AuthorityKeyId;
}

/** CRLs by canonical issuer name, in input order. */
type CrlIndex = ReadonlyMap<string, readonly CrlEntry[]>;

const crlCache = new WeakMap<readonly (string | Uint8Array)[], { items: (string | Uint8Array)[]; index: CrlIndex }>();

function crlIndex(input: readonly (string | Uint8Array)[]): CrlIndex {
  const hit = crlCache.get(input);
  if (hit !== undefined && hit.items.length === input.length && hit.items.every((v, k) => v === input[k])) {
    return hit.index;
  }
  const index = new Map<string, CrlEntry[]>();
  for (const crl of parseCrls(input)) {
    const entry: CrlEntry = {
      crl,
      issuer: canonicalName(crl.issuer),
      ...(crl.authorityKeyId === undefined ? {} : { akid: canonicalAkid(crl.authorityKeyId) }),
    };
    const list = index.get(entry.issuer);
    if (list === undefined) index.set(entry.issuer, [entry]);
    else if (!list.some((o) => sameDer(o.crl.der, crl.der))) list.push(entry); // X509_STORE_add_crl dedup
  }
  crlCache.set(input, { items: [...input], index });
  return index;
}

/** get_crl_score bits. */
const SCORE = {
  NOCRITICAL: 0x100,
  SCOPE: 0x080,
  TIME: 0x040,
  ISSUER_NAME: 0x020,
  ISSUER_CERT: 0x018,
  SAME_PATH: 0x008,
  AKID: 0x004,
} as const;

/** RFC 5280 §5.1.2.4-5: thisUpdate <= now < nextUpdate (absent nextUpdate: no expiry). With
 *  `report`, every failure is reported (check_crl_time notify mode); returns whether all held. */
function crlTimeValid(crl: Crl, now: number, report?: (e: VerifyError) => void): boolean {
  let ok = true;
  if (Number.isNaN(crl.thisUpdate)) {
    ok = false;
    report?.(V.ERROR_IN_CRL_LAST_UPDATE_FIELD);
  } else if (crl.thisUpdate > now) {
    ok = false;
    report?.(V.CRL_NOT_YET_VALID);
  }
  if (!ok && report === undefined) return false;
  if (crl.nextUpdate !== undefined) {
    if (Number.isNaN(crl.nextUpdate)) {
      ok = false;
      report?.(V.ERROR_IN_CRL_NEXT_UPDATE_FIELD);
    } else if (crl.nextUpdate <= now) {
      ok = false;
      report?.(V.CRL_HAS_EXPIRED);
    }
  }
  return ok;
}

/** Names a DistributionPointName stands for: fullName GeneralNames (directoryName canonical,
 *  others by DER), or the issuer's name extended by the relative RDN (DIST_POINT_set_dpname). */
function dpNames(name: DistributionPointName, issuer: der.DerNode): { relative?: string; general: string[] } {
  if (name.relative !== undefined) {
    const full = der.sequence(...der.children(issuer).map((n) => n.bytes), name.relative.bytes);
    return { relative: canonicalName(der.decode(full)), general: [] };
  }
  return {
    general: (name.fullName ?? []).map((g) => (g.tag === der.contextTag(4, true)
      ? `dn:${canonicalName(der.decode(g.content))}`
      : `raw:${hex(g.bytes)}`)),
  };
}

/** idp_check_dp: the certificate's distribution point name and the CRL's IDP name share a name. */
function dpNamesMatch(a: ReturnType<typeof dpNames>, b: ReturnType<typeof dpNames>): boolean {
  if (a.relative !== undefined && b.relative !== undefined) return a.relative === b.relative;
  const dn = a.relative ?? b.relative;
  if (dn !== undefined) return (a.relative === undefined ? a : b).general.includes(`dn:${dn}`);
  return a.general.some((n) => b.general.includes(n));
}

/** crl_crldp_check: is `x` within the CRL's scope (issuingDistributionPoint, RFC 5280 §5.2.5)? */
function crlCoversCert(x: Cert, entry: CrlEntry, certIssuerName: der.DerNode): boolean {
  const idp = entry.crl.issuingDistributionPoint;
  if (idp === undefined) return true;
  if (idp.onlyAttributes) return false;
  if (x.isCA ? idp.onlyUser : idp.onlyCA) return false;
  if (idp.distributionPoint === undefined) return true;
  const crlNames = dpNames(idp.distributionPoint, entry.crl.issuer);
  for (const dp of x.crlDistributionPoints ?? []) {
    if (dp.crlIssuer !== undefined && !dp.crlIssuer.some((g) =>
      g.tag === der.contextTag(4, true) && canonicalName(der.decode(g.content)) === entry.issuer)) continue;
    if (dp.name === undefined || dpNamesMatch(dpNames(dp.name, certIssuerName), crlNames)) return true;
  }
  return false;
}

/** get_crl_score (without X509_V_FLAG_EXTENDED_CRL_SUPPORT): 0 when the CRL cannot serve for
 *  path[i]; else the score and the chain certificate that issued the CRL (crl_akid_check). */
function crlScore(path: readonly Cert[], i: number, entry: CrlEntry, now: number): { score: number; issuer?: Cert } {
  const x = path[i]!;
  const crl = entry.crl;
  const idp = crl.issuingDistributionPoint;
  if (idp !== undefined && (idp.invalid || idp.indirect || idp.onlySomeReasons)) return { score: 0 };
  if (entry.issuer !== x.issuer) return { score: 0 };
  let score = SCORE.ISSUER_NAME;
  if (!crl.unhandledCritical) score |= SCORE.NOCRITICAL;
  if (crlTimeValid(crl, now)) score |= SCORE.TIME;
  // crl_akid_check: the next certificate up (the top one checks its own CRL), else any higher
  // certificate named as the CRL issuer whose key identifiers agree.
  let issuer: Cert | undefined;
  const next = i === path.length - 1 ? i : i + 1;
  if (akidMatches(path[next]!, entry.akid)) {
    issuer = path[next]!;
    score |= SCORE.AKID | SCORE.ISSUER_CERT;
  } else {
    for (let j = next + 1; j < path.length; j++) {
      if (path[j]!.subject === entry.issuer && akidMatches(path[j]!, entry.akid)) {
        issuer = path[j]!;
        score |= SCORE.AKID | SCORE.SAME_PATH;
        break;
      }
    }
  }
  if (issuer === undefined) return { score: 0 };
  const certIssuerName = crl.issuer; // equal (canonically) to x's issuer here
  if (crlCoversCert(x, entry, certIssuerName)) score |= SCORE.SCOPE;
  return { score, issuer };
}

/** check_cert for path[i]: pick the best CRL (get_crl_sk: highest score, then the latest
 *  thisUpdate), check it (check_crl) and look the certificate up in it (cert_crl). */
function checkCertRevocation(path: readonly Cert[], i: number, crls: CrlIndex, now: number, report: (e: VerifyError) => void): void {
  const x = path[i]!;
  let best: CrlEntry | undefined;
  let bestScore = 0;
  let bestIssuer: Cert | undefined;
  for (const entry of crls.get(x.issuer) ?? []) {
    const { score, issuer } = crlScore(path, i, entry, now);
    if (score === 0 || score < bestScore) continue;
    // An equally good CRL replaces the current one only when strictly newer.
    if (score === bestScore && best !== undefined && !(entry.crl.thisUpdate > best.crl.thisUpdate)) continue;
    best = entry;
    bestScore = score;
    bestIssuer = issuer;
  }
  if (best === undefined || bestIssuer === undefined) {
    report(V.UNABLE_TO_GET_CRL);
    return;
  }
  const crl = best.crl;
  // check_crl. Delta CRLs skip the key usage and scope checks (OpenSSL; without extended CRL
  // support a delta CRL is otherwise used like a complete one).
  if (!crl.delta) {
    if (bestIssuer.keyUsage !== undefined && (bestIssuer.keyUsage & KU.cRLSign) === 0) report(V.KEYUSAGE_NO_CRL_SIGN);
    if ((bestScore & SCORE.SCOPE) === 0) report(V.DIFFERENT_CRL_SCOPE);
  }
  if ((bestScore & SCORE.TIME) === 0) crlTimeValid(crl, now, report);
  const key = publicKeyOf(bestIssuer);
  if (key === null) report(V.UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY);
  else if (!verifySigned(crl.signed, key)) report(V.CRL_SIGNATURE_FAILURE);
  // cert_crl: a CRL with an unhandled critical extension cannot clear anything (RFC 5280 §5.2);
  // an entry whose reason is removeFromCRL (8) does not revoke.
  if (crl.unhandledCritical) report(V.UNHANDLED_CRITICAL_CRL_EXTENSION);
  const revoked = crl.revoked.get(x.serialKey);
  if (revoked !== undefined && revoked.reason !== 8) report(V.CERT_REVOKED);
  // Out of scope: the CRL covered no reasons for x, and no other CRL can.
  if ((bestScore & SCORE.SCOPE) === 0) report(V.UNABLE_TO_GET_CRL);
}

/** check_revocation with CRL_CHECK_ALL: every certificate of the path, leaf first, up to and
 *  including the top (a trust anchor is looked up in its own CRL). */
function checkRevocation(path: readonly Cert[], crls: CrlIndex, now: number, report: (e: VerifyError) => void): void {
  for (let i = 0; i < path.length; i++) checkCertRevocation(path, i, crls, now, report);
}

// ---------------------------------------------------------------------------------------------
// Host name check: node's tls.checkServerIdentity (RFC 6125 §6.4)
// ---------------------------------------------------------------------------------------------

/** The error checkServerIdentity returns, with node's extra fields. */
export class AltNameInvalidError extends TlsError {
  readonly reason: string;
  readonly host: string;
  readonly cert: PeerCertificate;
  constructor(reason: string, host: string, cert: PeerCertificate) {
    super(ErrorCode.ALTNAME_INVALID, `Hostname/IP does not match certificate's altnames: ${reason}`);
    this.reason = reason;
    this.host = host;
    this.cert = cert;
  }
}

/** Checks `hostname` against the certificate as node:tls does: IP literals against iPAddress
 *  SANs; names against dNSName SANs (one leftmost wildcard label, not on a two-label pattern);
 *  the subject CN only when there is no dNSName SAN. */
export function checkServerIdentity(hostname: string, certDer: Uint8Array): TlsError | undefined {
  let cert: PeerCertificate;
  try {
    cert = toPeerCertificate([certDer], false) as PeerCertificate;
  } catch (e) {
    return new TlsError(ErrorCode.DECODE, `unable to parse certificate: ${(e as Error).message}`);
  }
  const altNames = cert.subjectaltname;
  const dnsNames: string[] = [];
  const ips: (string | undefined)[] = [];
  if (altNames) {
    for (const name of altNames.includes('"') ? splitEscapedAltNames(altNames) : altNames.split(', ')) {
      if (name.startsWith('DNS:')) dnsNames.push(name.slice(4));
      else if (name.startsWith('IP Address:')) ips.push(canonicalizeIp(name.slice(11)));
    }
  }

  let valid = false;
  let reason = 'Unknown reason';
  const host = String(hostname).replace(/[.]$/, ''); // unfqdn
  const cn = cert.subject?.CN;
  if (isIP(host) !== 0) {
    valid = ips.includes(canonicalizeIp(host));
    if (!valid) reason = `IP: ${host} is not in the cert's list: ${ips.join(', ')}`;
  } else if (dnsNames.length > 0 || cn) {
    const hostParts = splitHost(host);
    const wildcard = (pattern: string): boolean => matchHost(hostParts, pattern, true);
    if (dnsNames.length > 0) {
      valid = dnsNames.some(wildcard);
      if (!valid) reason = `Host: ${host}. is not in the cert's altnames: ${altNames}`;
    } else {
      valid = Array.isArray(cn) ? cn.some(wildcard) : cn ? wildcard(cn) : false;
      if (!valid) reason = `Host: ${host}. is not cert's CN: ${String(cn)}`;
    }
  } else {
    reason = 'Cert does not contain a DNS name';
  }
  return valid ? undefined : new AltNameInvalidError(reason, host, cert);
}

/** Lowercases A-Z only (locale-independent) and splits on dots, after dropping a final dot. */
function splitHost(host: string): string[] {
  return host.replace(/[.]$/, '').replace(/[A-Z]/g, (c) => c.toLowerCase()).split('.');
}

/** RFC 6125 §6.4.3 as node implements it. */
function matchHost(hostParts: readonly string[], pattern: string, wildcards: boolean): boolean {
  if (!pattern) return false;
  const patternParts = splitHost(pattern);
  if (hostParts.length !== patternParts.length) return false;
  if (patternParts.includes('')) return false;
  // U-labels, control characters and blanks are rejected outright.
  if (patternParts.some((s) => /[^\u0021-\u007F]/u.test(s))) return false;
  for (let i = hostParts.length - 1; i > 0; i--) {
    if (hostParts[i] !== patternParts[i]) return false;
  }
  const hostSub = hostParts[0]!;
  const patternSub = patternParts[0]!;
  const pieces = patternSub.split('*', 3);
  // No wildcard, or an A-label (no wildcard substitution in punycode): exact match.
  if (pieces.length === 1 || patternSub.includes('xn--')) return hostSub === patternSub;
  if (!wildcards) return false;
  if (pieces.length > 2) return false; // more than one wildcard
  if (patternParts.length <= 2) return false; // *.tld
  const [prefix = '', suffix = ''] = pieces;
  if (prefix.length + suffix.length > hostSub.length) return false;
  return hostSub.startsWith(prefix) && hostSub.endsWith(suffix);
}

// Any JSON string literal (ECMA-404): node quotes altnames containing separators this way.
// eslint-disable-next-line no-control-regex
const JSON_STRING = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/;

function splitEscapedAltNames(altNames: string): string[] {
  const result: string[] = [];
  let current = '';
  let offset = 0;
  while (offset !== altNames.length) {
    const nextSep = altNames.indexOf(', ', offset);
    const nextQuote = altNames.indexOf('"', offset);
    if (nextQuote !== -1 && (nextSep === -1 || nextQuote < nextSep)) {
      current += altNames.substring(offset, nextQuote);
      const match = JSON_STRING.exec(altNames.substring(nextQuote));
      if (match === null) throw new TlsError('ERR_TLS_CERT_ALTNAME_FORMAT', 'Invalid subject alternative name string');
      current += JSON.parse(match[0]) as string;
      offset = nextQuote + match[0].length;
    } else if (nextSep !== -1) {
      current += altNames.substring(offset, nextSep);
      result.push(current);
      current = '';
      offset = nextSep + 2;
    } else {
      current += altNames.substring(offset);
      offset = altNames.length;
    }
  }
  result.push(current);
  return result;
}

/** node's canonicalizeIP: inet_pton then inet_ntop (libuv), or undefined if not an address. */
function canonicalizeIp(text: string): string | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4.join('.');
  const v6 = parseIpv6(text.split('%')[0]!);
  return v6 === undefined ? undefined : formatIpv6(v6);
}

/** inet_pton4: exactly four decimal octets, no leading zeros. */
function parseIpv4(text: string): number[] | undefined {
  if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(text)) return undefined;
  const parts = text.split('.').map(Number);
  return parts.every((p) => p <= 255) ? parts : undefined;
}

/** inet_pton6 (RFC 4291 §2.2): eight 16-bit groups, one optional '::', optional dotted tail. */
function parseIpv6(text: string): number[] | undefined {
  let s = text;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon === -1) return undefined;
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = s.slice(0, lastColon + 1);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return undefined;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
}

/** inet_ntop6 as libuv (BIND) writes it: longest zero run (>= 2 groups) as '::', lowercase hex,
 *  IPv4-compatible / -mapped addresses with a dotted tail. */
function formatIpv6(words: readonly number[]): string {
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  }
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 &&
      (best.len === 6 || (best.len === 7 && words[7] !== 0x0001) || (best.len === 5 && words[5] === 0xffff))) {
      out += `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
      return out;
    }
    out += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
