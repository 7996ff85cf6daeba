// The object node:tls's TLSSocket#getPeerCertificate() returns, built from the DER chain the
// peer sent. Each certificate's fields come from node:crypto's X509Certificate#toLegacyObject(),
// which is the same C++ routine (X509ToObject) that getPeerCertificate() uses, so subject,
// subjectaltname, fingerprints, serialNumber, valid_from/valid_to, etc. are byte-for-byte node's.
// The `detailed` issuer chain is linked as node's GetPeerCert does (src/crypto/crypto_common.cc).

import type { X509Certificate } from 'node:crypto';
import { cachedX509 } from './certificate-cache.js';
import { findTrustedIssuer } from './trust-store.js';

/** Subject / issuer distinguished name: attribute short name → value (an array when repeated). */
export interface CertificateName {
  C?: string | string[];
  ST?: string | string[];
  L?: string | string[];
  O?: string | string[];
  OU?: string | string[];
  CN?: string | string[];
  [attribute: string]: string | string[] | undefined;
}

/** node:tls's PeerCertificate / DetailedPeerCertificate shape. */
export interface PeerCertificate {
  subject: CertificateName;
  issuer: CertificateName;
  /** "DNS:localhost, IP Address:127.0.0.1" (RFC 5280 §4.2.1.6 subjectAltName). */
  subjectaltname?: string;
  /** RFC 5280 §4.2.2.1 authorityInfoAccess: method → locations. */
  infoAccess?: Record<string, string[]>;
  /** basicConstraints cA (RFC 5280 §4.2.1.9). */
  ca: boolean;
  /** RSA: modulus (uppercase hex), exponent ('0x10001'). */
  modulus?: string;
  exponent?: string;
  bits?: number;
  /** SubjectPublicKeyInfo contents as node gives them (RSA and EC keys). */
  pubkey?: Buffer;
  /** EC: 'prime256v1' / 'secp384r1'; nistCurve 'P-256' / 'P-384'. */
  asn1Curve?: string;
  nistCurve?: string;
  valid_from: string;
  valid_to: string;
  fingerprint: string;
  fingerprint256: string;
  fingerprint512: string;
  /** extKeyUsage OIDs (RFC 5280 §4.2.1.12). */
  ext_key_usage?: string[];
  /** Uppercase hex. */
  serialNumber: string;
  raw: Buffer;
  /** Only when `detailed`: the issuer's object; the object itself at a self-signed root. */
  issuerCertificate?: PeerCertificate;
}

/** Trust store to complete a detailed chain from, like node's SSL_CTX_get_issuer() lookups;
 *  `ca` undefined means the default roots. */
export interface PeerCertificateTrust {
  ca?: readonly (string | Uint8Array)[];
}

function legacyObject(x509: X509Certificate): PeerCertificate {
  return x509.toLegacyObject() as unknown as PeerCertificate;
}

/**
 * getPeerCertificate(detailed) for a DER chain (leaf first). An empty chain gives {} as node's
 * does. With `detailed`, issuerCertificate links each certificate to its issuer among the sent
 * certificates (any order), then, if `trust` is given, on through the trust store, and a final
 * certificate that issued itself (X509_check_issued) links to itself.
 */
export function toPeerCertificate(
  chain: readonly Uint8Array[],
  detailed: boolean,
  trust?: PeerCertificateTrust,
): PeerCertificate | Record<string, never> {
  if (chain.length === 0) return {};
  const certs = chain.map((d) => cachedX509(d));
  let cert = certs[0]!;
  const result = legacyObject(cert);
  if (!detailed) return result;

  // AddIssuerChainToObject: repeatedly find the current certificate's issuer among the rest.
  let tail = result;
  const rest = certs.slice(1);
  for (;;) {
    const i = rest.findIndex((ca) => cert.checkIssued(ca)); // "cert was issued by ca"
    if (i < 0) break;
    cert = rest[i]!;
    rest.splice(i, 1);
    tail.issuerCertificate = legacyObject(cert);
    tail = tail.issuerCertificate;
  }

  // GetLastIssuedCert: continue with issuers from the trust store.
  if (trust !== undefined) {
    let fromStore = false;
    while (!cert.checkIssued(cert)) {
      const caDer = findTrustedIssuer(new Uint8Array(cert.raw), trust.ca);
      if (caDer === undefined) break;
      const ca = cachedX509(caDer);
      tail.issuerCertificate = legacyObject(ca);
      tail = tail.issuerCertificate;
      // The store returned the certificate we already hold (a self-signed certificate whose
      // keyUsage lacks keyCertSign): stop, as node does.
      if (fromStore && cert.raw.equals(ca.raw)) break;
      cert = ca;
      fromStore = true;
    }
  }

  // "Last certificate should be self-signed."
  if (cert.checkIssued(cert)) tail.issuerCertificate = tail;
  return result;
}
