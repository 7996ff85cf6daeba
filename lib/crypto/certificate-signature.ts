// Checking the signature on a certificate or a CRL with its issuer's key (RFC 5280 §4.1.1.2,
// §5.1.1.2), for the algorithms OpenSSL accepts there.

import { constants as cryptoConstants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { SignedData } from './crl.js';
import * as der from './der.js';
import { equalBytes } from '../equal-bytes.js';
import { signatureKeyTypes } from './parsed-certificate.js';

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
export function verifySigned(signed: SignedData, key: KeyObject): boolean {
  try {
    if (!equalBytes(signed.algorithm.bytes, signed.innerAlgorithm.bytes)) return false;
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
