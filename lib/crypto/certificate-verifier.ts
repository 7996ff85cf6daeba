// Peer certificate chain verification as node:tls reports it: RFC 5280 §6 path validation in the
// order and with the error codes of OpenSSL 3's X509_verify_cert (crypto/x509/x509_vfy.c).
//
// node:tls verifies with a callback that accepts every error and reads SSL_get_verify_result()
// after the handshake, i.e. the *last* error OpenSSL recorded. This module runs the same stages
// (build the chain, check extensions, check revocation when `crl` is given, check signatures and
// validity dates from the anchor down, then name constraints and policies) and likewise reports
// the last failure, so an expired self-signed leaf reads CERT_HAS_EXPIRED, exactly as node says.
//
// The pieces: parsed-certificate.ts (what is read from each certificate), trust-store.ts (the
// anchors), certificate-signature.ts, revocation.ts, name-constraints.ts,
// certificate-policies.ts, verify-errors.ts; host names are server-identity.ts.

import { ErrorCode, type TlsError } from '../errors.js';
import { checkPolicies } from './certificate-policies.js';
import { verifySigned } from './certificate-signature.js';
import { checkCommonNameConstraints, checkNameConstraints, hasDnsAltName, type NameConstraintVerdict } from './name-constraints.js';
import { KU, likelyIssued, NS, OID, pickIssuer, publicKeyOf, parseCertificate, type Cert } from './parsed-certificate.js';
import { checkRevocation, crlIndex, type CrlIndex } from './revocation.js';
import { trustStore, trustedIssuer, type TrustStore } from './trust-store.js';
import { V, type VerifyError } from './verify-errors.js';
import { equalBytes } from '../equal-bytes.js';

export type VerifyPurpose = 'server' | 'client';

export interface VerifyCertificateChainOptions {
  /** Trust anchors: PEM strings (any number of certificates each) or DER. Default: node's
   *  bundled root store (tls.rootCertificates) plus NODE_EXTRA_CA_CERTS, as node:tls. */
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
        if (equalBytes(x.der, anchor.der)) {
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
