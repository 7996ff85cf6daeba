// PKCS #12 (RFC 7292) files, the `pfx` option of node:tls: parse a PFX into its private keys and
// certificates, and pick the key / leaf / chain the way node:tls (OpenSSL's PKCS12_parse) does.
//
// Supported:
// - PFX version 3, password integrity mode (authSafe of type `data`) with a MacData whose MAC is
//   HMAC-SHA-1/224/256/384/512(/512-224/512-256) keyed by the PKCS #12 KDF (RFC 7292 App. B,
//   ID=3), or PBMAC1 (RFC 9579: PBKDF2 + HMAC); files without a MAC.
// - AuthenticatedSafe ContentInfos of type `data` and `encryptedData` (password privacy mode).
// - Encryption: PBES2 (RFC 8018 §6.2) with PBKDF2 (HMAC-SHA-1/224/256/384/512) and
//   AES-128/192/256-CBC or DES-EDE3-CBC; the PKCS #12 PBE schemes (RFC 7292 App. C)
//   pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd2-KeyTripleDES-CBC,
//   pbeWithSHAAnd128BitRC2-CBC and pbeWithSHAAnd40BitRC2-CBC (what `openssl pkcs12 -legacy`
//   writes; node:tls on OpenSSL 3 rejects those without the legacy provider, we accept them).
// - SafeBags: keyBag, pkcs8ShroudedKeyBag, certBag (x509Certificate), safeContentsBag (nested);
//   attributes localKeyId and friendlyName. crlBag, secretBag and unknown bags are skipped.
// - BER as well as DER (indefinite lengths, constructed OCTET STRINGs), as Windows and Java
//   write them.
// Not supported (ERR_PFX_UNSUPPORTED, naming the OID): public-key integrity mode (signedData),
// public-key privacy mode (envelopedData), PBES1, RC4-based PBEs, PBES2 with other ciphers or
// KDFs (scrypt), other MAC digests.
//
// Passwords: the PKCS #12 KDF takes the password as a BMPString (UTF-16BE) with a trailing zero
// code unit; PBKDF2 takes its UTF-8 bytes. A missing or empty passphrase is tried as OpenSSL's
// PKCS12_parse (and so node:tls) does: first as "no password" (zero bytes), then as the empty
// BMPString (two zero bytes). A non-ASCII password is also tried in the encoding OpenSSL < 1.1
// used (each UTF-8 byte as one BMP character).
//
// Hostile input: every failure is a TlsError (ERR_PFX_INVALID, ERR_PFX_BAD_PASSWORD,
// ERR_PFX_UNSUPPORTED). Work is bounded: nesting depth is capped, every KDF iteration count
// must be at most `maxIterations` (default 2,000,000), and one call may spend at most
// `maxTotalIterations` (default 8,000,000) iterations in total, counting each output block a
// KDF computes (a 64-byte PBKDF2-SHA1 key is 4 runs of the iterations). Real files use 2,048
// (OpenSSL), 2,000 (Windows) or 10,000 (Java); a million iterations cost about a second here.

import { createDecipheriv, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { cbc } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha224, sha256, sha384, sha512, sha512_224, sha512_256 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { concatBytes } from '../concat-bytes.js';
import { TlsError } from '../errors.js';
import { ber, explicit0, expect, octets, oidOf, seq, smallInt, type BerNode } from './ber.js';
import { DerError, Tag } from './der.js';
import { rc2DecryptBlock, rc2Expand } from './rc2.js';
import { toPem } from './pem.js';
import { constantTimeEqual } from '../constant-time.js';

export interface PfxContents {
  /** Private keys as PKCS #8 PrivateKeyInfo DER, in file order. */
  keys: { der: Uint8Array; localKeyId?: Uint8Array }[];
  /** X.509 certificates (DER), in file order. */
  certificates: { der: Uint8Array; localKeyId?: Uint8Array; friendlyName?: string }[];
}

export interface PfxParseOptions {
  /** Largest iteration count accepted for one KDF run (default 2,000,000). */
  maxIterations?: number;
  /** Largest sum of KDF iterations spent by one call, each output block counted (default 8,000,000). */
  maxTotalIterations?: number;
}

export const PFX_ERR_INVALID = 'ERR_PFX_INVALID';
export const PFX_ERR_BAD_PASSWORD = 'ERR_PFX_BAD_PASSWORD';
export const PFX_ERR_UNSUPPORTED = 'ERR_PFX_UNSUPPORTED';

// ---------------------------------------------------------------------------------------------
// Object identifiers
// ---------------------------------------------------------------------------------------------

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbmac1: '1.2.840.113549.1.5.14',
  pbeSha3Des: '1.2.840.113549.1.12.1.3',
  pbeSha2Des: '1.2.840.113549.1.12.1.4',
  pbeShaRc2_128: '1.2.840.113549.1.12.1.5',
  pbeShaRc2_40: '1.2.840.113549.1.12.1.6',
  desEde3Cbc: '1.2.840.113549.3.7',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

/** Digest algorithms of a MacData DigestInfo (RFC 7292 §4, as OpenSSL accepts them). */
const DIGESTS: Record<string, [string, CHash]> = {
  '1.3.14.3.2.26': ['sha1', sha1],
  '2.16.840.1.101.3.4.2.4': ['sha224', sha224],
  '2.16.840.1.101.3.4.2.1': ['sha256', sha256],
  '2.16.840.1.101.3.4.2.2': ['sha384', sha384],
  '2.16.840.1.101.3.4.2.3': ['sha512', sha512],
  '2.16.840.1.101.3.4.2.5': ['sha512-224', sha512_224],
  '2.16.840.1.101.3.4.2.6': ['sha512-256', sha512_256],
};

/** PBKDF2 PRFs / PBMAC1 MACs (RFC 8018 App. B.1). */
const HMACS: Record<string, [string, CHash]> = {
  '1.2.840.113549.2.7': ['hmacWithSHA1', sha1],
  '1.2.840.113549.2.8': ['hmacWithSHA224', sha224],
  '1.2.840.113549.2.9': ['hmacWithSHA256', sha256],
  '1.2.840.113549.2.10': ['hmacWithSHA384', sha384],
  '1.2.840.113549.2.11': ['hmacWithSHA512', sha512],
  '1.2.840.113549.2.12': ['hmacWithSHA512-224', sha512_224],
  '1.2.840.113549.2.13': ['hmacWithSHA512-256', sha512_256],
};

/** Names of OIDs we recognise but do not implement, for error messages. */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC',
  '1.2.840.113549.1.5.6': 'pbeWithMD5AndRC2-CBC',
  '1.2.840.113549.1.5.11': 'pbeWithSHA1AndRC2-CBC',
  '1.3.6.1.4.1.11591.4.11': 'scrypt',
  '1.2.840.113549.3.2': 'rc2-cbc',
  '1.3.14.3.2.7': 'des-cbc',
  '1.2.840.113549.2.5': 'md5',
  [OID.signedData]: 'signedData',
  [OID.envelopedData]: 'envelopedData',
};

function unsupported(what: string, oid: string): TlsError {
  const name = KNOWN_UNSUPPORTED[oid];
  return new TlsError(PFX_ERR_UNSUPPORTED, `unsupported ${what} ${oid}${name ? ` (${name})` : ''} in PFX`);
}

function invalid(message: string): TlsError {
  return new TlsError(PFX_ERR_INVALID, `invalid PFX: ${message}`);
}

/** Decryption produced bad padding or garbage: a wrong password (or a corrupted file). */
class DecryptFailure extends Error {}

// ---------------------------------------------------------------------------------------------
// Passwords and key derivation
// ---------------------------------------------------------------------------------------------

interface Secret {
  /** The PKCS #12 KDF password: BMPString with trailing zero, or empty for "no password". */
  bmp: Uint8Array;
  /** The PBKDF2 password: UTF-8 bytes. */
  utf8: Uint8Array;
}

function bmpOf(units: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(units.length * 2 + 2);
  for (let i = 0; i < units.length; i++) {
    out[2 * i] = units[i]! >> 8;
    out[2 * i + 1] = units[i]! & 0xff;
  }
  return out;
}

function secretsFor(passphrase: string | undefined): Secret[] {
  if (passphrase === undefined || passphrase === '') {
    // OpenSSL PKCS12_parse: NULL password first, then "".
    return [{ bmp: new Uint8Array(0), utf8: new Uint8Array(0) }, { bmp: new Uint8Array(2), utf8: new Uint8Array(0) }];
  }
  const utf8 = new TextEncoder().encode(passphrase);
  const units: number[] = [];
  for (let i = 0; i < passphrase.length; i++) units.push(passphrase.charCodeAt(i));
  const out: Secret[] = [{ bmp: bmpOf(units), utf8 }];
  // OpenSSL before 1.1.0 turned each byte of the (UTF-8) password into one BMP character.
  if (/[^\x00-\x7f]/.test(passphrase)) out.push({ bmp: bmpOf(utf8), utf8 });
  return out;
}

class Budget {
  private spent = 0;
  constructor(private readonly perRun: number, private readonly total: number) {}
  /** A KDF run of `iterations` that computes `outputLength` bytes with a `hashLength` hash. */
  take(iterations: number, outputLength: number, hashLength: number): void {
    if (iterations < 1) throw invalid('iteration count must be positive');
    if (iterations > this.perRun) {
      throw new TlsError(PFX_ERR_UNSUPPORTED, `PFX iteration count ${iterations} exceeds the limit of ${this.perRun}`);
    }
    this.spent += iterations * Math.max(1, Math.ceil(outputLength / hashLength));
    if (this.spent > this.total) {
      throw new TlsError(PFX_ERR_UNSUPPORTED, `PFX key derivations exceed the total limit of ${this.total} iterations`);
    }
  }
}

/** RFC 7292 Appendix B.2: the PKCS #12 key derivation function. */
export function pkcs12Kdf(hash: CHash, password: Uint8Array, salt: Uint8Array, id: 1 | 2 | 3,
  iterations: number, length: number): Uint8Array {
  const u = hash.outputLen;
  const v = hash.blockLen;
  const fill = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const D = new Uint8Array(v).fill(id);
  const I = concatBytes(fill(salt), fill(password));
  const out = new Uint8Array(length);
  for (let done = 0; done < length; done += u) {
    let A = hash(concatBytes(D, I));
    for (let r = 1; r < iterations; r++) A = hash(A);
    out.set(A.subarray(0, Math.min(u, length - done)), done);
    if (done + u >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + A[k % u]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ciphers
// ---------------------------------------------------------------------------------------------

function unpad(data: Uint8Array, block: number): Uint8Array {
  const n = data[data.length - 1] ?? 0;
  if (n < 1 || n > block || n > data.length) throw new DecryptFailure('bad padding');
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) throw new DecryptFailure('bad padding');
  return data.subarray(0, data.length - n);
}

function checkBlocks(data: Uint8Array, block: number): void {
  if (data.length === 0 || data.length % block !== 0) throw invalid('ciphertext is not a whole number of blocks');
}

function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data, 16);
  if (iv.length !== 16) throw invalid('AES-CBC IV must be 16 bytes');
  return unpad(cbc(key, iv, { disablePadding: true }).decrypt(data), 16);
}

function desEde3CbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data, 8);
  if (iv.length !== 8) throw invalid('DES-EDE3-CBC IV must be 8 bytes');
  const d = createDecipheriv('des-ede3-cbc', key, iv);
  d.setAutoPadding(false);
  const plain = new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  return unpad(plain, 8);
}

/** RC2-CBC decryption (RFC 2268 + CBC + PKCS #7 padding). Exported for its known-answer test. */
export function rc2CbcDecrypt(key: Uint8Array, bits: number, iv: Uint8Array, data: Uint8Array, padded = true): Uint8Array {
  checkBlocks(data, 8);
  if (iv.length !== 8) throw invalid('RC2-CBC IV must be 8 bytes');
  if (key.length < 1 || key.length > 128 || bits < 1 || bits > 1024) throw invalid('bad RC2 key');
  const K = rc2Expand(key, bits);
  const out = Uint8Array.from(data);
  for (let o = out.length - 8; o >= 0; o -= 8) {
    rc2DecryptBlock(K, out, o);
    const prev = o === 0 ? iv : data.subarray(o - 8, o);
    for (let i = 0; i < 8; i++) out[o + i]! ^= prev[i]!;
  }
  return padded ? unpad(out, 8) : out;
}

// ---------------------------------------------------------------------------------------------
// Decryption of EncryptedData / EncryptedPrivateKeyInfo
// ---------------------------------------------------------------------------------------------

interface Ctx {
  secret: Secret;
  budget: Budget;
}

function pbkdf2Key(params: BerNode | undefined, secret: Secret, budget: Budget, fixedLength?: number): Uint8Array {
  const p = seq(params, 'PBKDF2-params');
  if (p[0]?.tag === Tag.SEQUENCE) {
    throw new TlsError(PFX_ERR_UNSUPPORTED, 'PBKDF2 salt from otherSource is not supported in PFX');
  }
  const salt = octets(p[0], 'PBKDF2 salt');
  const iterations = smallInt(p[1], 'PBKDF2 iteration count');
  let i = 2;
  let keyLength: number | undefined;
  if (p[i]?.tag === Tag.INTEGER) keyLength = smallInt(p[i++], 'PBKDF2 key length');
  let prf = HMACS['1.2.840.113549.2.7']!; // DEFAULT hmacWithSHA1
  if (p[i] !== undefined) {
    const alg = seq(p[i++], 'PBKDF2 prf');
    const oid = oidOf(alg[0], 'PBKDF2 prf');
    const known = HMACS[oid];
    if (known === undefined) throw unsupported('PBKDF2 PRF', oid);
    prf = known;
  }
  if (i !== p.length) throw invalid('extra fields in PBKDF2-params');
  const length = fixedLength ?? keyLength;
  if (length === undefined) throw invalid('PBKDF2 key length missing');
  if (keyLength !== undefined && keyLength !== length) throw invalid('PBKDF2 key length does not match the cipher');
  if (length < 1 || length > 64) throw invalid('PBKDF2 key length out of range');
  budget.take(iterations, length, prf[1].outputLen);
  return pbkdf2(prf[1], secret.utf8, salt, { c: iterations, dkLen: length });
}

/** Decrypts `data` with the PBE algorithm `alg` (an AlgorithmIdentifier). */
function pbeDecrypt(alg: BerNode | undefined, data: Uint8Array, ctx: Ctx): Uint8Array {
  const a = seq(alg, 'encryption AlgorithmIdentifier');
  const oid = oidOf(a[0], 'encryption algorithm');
  if (oid === OID.pbes2) {
    const p = seq(a[1], 'PBES2-params');
    if (p.length !== 2) throw invalid('PBES2-params must have two fields');
    const kdf = seq(p[0], 'PBES2 key derivation function');
    const kdfOid = oidOf(kdf[0], 'PBES2 key derivation function');
    if (kdfOid !== OID.pbkdf2) throw unsupported('PBES2 key derivation function', kdfOid);
    const enc = seq(p[1], 'PBES2 encryption scheme');
    const encOid = oidOf(enc[0], 'PBES2 encryption scheme');
    const iv = () => octets(enc[1], 'cipher IV');
    switch (encOid) {
      case OID.aes128Cbc:
      case OID.aes192Cbc:
      case OID.aes256Cbc: {
        const len = encOid === OID.aes128Cbc ? 16 : encOid === OID.aes192Cbc ? 24 : 32;
        return aesCbcDecrypt(pbkdf2Key(kdf[1], ctx.secret, ctx.budget, len), iv(), data);
      }
      case OID.desEde3Cbc:
        return desEde3CbcDecrypt(pbkdf2Key(kdf[1], ctx.secret, ctx.budget, 24), iv(), data);
      default:
        throw unsupported('PBES2 encryption scheme', encOid);
    }
  }
  const scheme = {
    [OID.pbeSha3Des]: { keyLen: 24, ivLen: 8 },
    [OID.pbeSha2Des]: { keyLen: 16, ivLen: 8 },
    [OID.pbeShaRc2_128]: { keyLen: 16, ivLen: 8 },
    [OID.pbeShaRc2_40]: { keyLen: 5, ivLen: 8 },
  }[oid];
  if (scheme === undefined) throw unsupported('encryption algorithm', oid);
  // RFC 7292 App. C: pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }.
  const p = seq(a[1], 'pkcs-12PbeParams');
  if (p.length !== 2) throw invalid('pkcs-12PbeParams must have two fields');
  const salt = octets(p[0], 'PBE salt');
  const iterations = smallInt(p[1], 'PBE iteration count');
  ctx.budget.take(iterations, scheme.keyLen, sha1.outputLen);
  ctx.budget.take(iterations, scheme.ivLen, sha1.outputLen);
  const key = pkcs12Kdf(sha1, ctx.secret.bmp, salt, 1, iterations, scheme.keyLen);
  const iv = pkcs12Kdf(sha1, ctx.secret.bmp, salt, 2, iterations, scheme.ivLen);
  switch (oid) {
    case OID.pbeSha3Des:
      return desEde3CbcDecrypt(key, iv, data);
    case OID.pbeSha2Des:
      return desEde3CbcDecrypt(concatBytes(key, key.subarray(0, 8)), iv, data);
    default:
      return rc2CbcDecrypt(key, key.length * 8, iv, data);
  }
}

/** Plaintext from a decryption must be one ASN.1 SEQUENCE; garbage means a wrong password. */
function decryptedSequence(plain: Uint8Array, depth: number): BerNode {
  let node: BerNode;
  try {
    node = ber(plain, depth);
  } catch (e) {
    if (e instanceof DerError) throw new DecryptFailure('decrypted data is not ASN.1');
    throw e;
  }
  if (node.tag !== Tag.SEQUENCE) throw new DecryptFailure('decrypted data is not a SEQUENCE');
  return node;
}

// ---------------------------------------------------------------------------------------------
// Structure
// ---------------------------------------------------------------------------------------------

interface Attributes {
  localKeyId?: Uint8Array;
  friendlyName?: string;
}

function readAttributes(node: BerNode | undefined): Attributes {
  const out: Attributes = {};
  if (node === undefined) return out;
  for (const attr of expect(node, Tag.SET, 'bagAttributes').children) {
    const a = seq(attr, 'PKCS12Attribute');
    const oid = oidOf(a[0], 'attribute type');
    const value = expect(a[1], Tag.SET, 'attribute values').children[0];
    // Values of an unexpected type are ignored, like unknown attributes.
    if (oid === OID.localKeyId && value?.tag === Tag.OCTET_STRING) {
      out.localKeyId = Uint8Array.from(value.content);
    } else if (oid === OID.friendlyName && value?.tag === Tag.BMP_STRING) {
      const v = value.content;
      let s = '';
      for (let i = 0; i + 1 < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
      out.friendlyName = s;
    }
  }
  return out;
}

function readSafeContents(node: BerNode, ctx: Ctx, out: PfxContents, nesting: number): void {
  if (nesting > 4) throw invalid('safeContentsBag nested too deep');
  for (const bagNode of seq(node, 'SafeContents')) {
    const bag = seq(bagNode, 'SafeBag');
    if (bag.length < 2 || bag.length > 3) throw invalid('SafeBag must have two or three fields');
    const bagId = oidOf(bag[0], 'bagId');
    const value = explicit0(bag[1], 'bagValue');
    const attrs = readAttributes(bag[2]);
    switch (bagId) {
      case OID.keyBag:
        expect(value, Tag.SEQUENCE, 'PrivateKeyInfo');
        out.keys.push({ der: Uint8Array.from(value.bytes), ...lkid(attrs) });
        break;
      case OID.pkcs8ShroudedKeyBag: {
        // RFC 5958 EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING }
        const e = seq(value, 'EncryptedPrivateKeyInfo');
        if (e.length !== 2) throw invalid('EncryptedPrivateKeyInfo must have two fields');
        const plain = pbeDecrypt(e[0], octets(e[1], 'encrypted private key'), ctx);
        out.keys.push({ der: Uint8Array.from(decryptedSequence(plain, 0).bytes), ...lkid(attrs) });
        break;
      }
      case OID.certBag: {
        const c = seq(value, 'CertBag');
        const certId = oidOf(c[0], 'certId');
        if (certId !== OID.x509Certificate) break; // sdsiCertificate and others: skipped
        const der = Uint8Array.from(octets(explicit0(c[1], 'certValue'), 'x509Certificate'));
        out.certificates.push({
          der,
          ...lkid(attrs),
          ...(attrs.friendlyName !== undefined ? { friendlyName: attrs.friendlyName } : {}),
        });
        break;
      }
      case OID.safeContentsBag:
        readSafeContents(value, ctx, out, nesting + 1);
        break;
      default:
        break; // crlBag, secretBag, unknown bags: ignored, as OpenSSL does
    }
  }
}

function lkid(attrs: Attributes): { localKeyId?: Uint8Array } {
  return attrs.localKeyId !== undefined ? { localKeyId: attrs.localKeyId } : {};
}

/** AuthenticatedSafe ::= SEQUENCE OF ContentInfo (RFC 7292 §4.1). */
function readAuthSafe(authSafe: Uint8Array, ctx: Ctx): PfxContents {
  const out: PfxContents = { keys: [], certificates: [] };
  for (const ciNode of seq(ber(authSafe), 'AuthenticatedSafe')) {
    const ci = seq(ciNode, 'ContentInfo');
    const type = oidOf(ci[0], 'contentType');
    if (type === OID.data) {
      readSafeContents(ber(octets(explicit0(ci[1], 'content'), 'data')), ctx, out, 0);
    } else if (type === OID.encryptedData) {
      // EncryptedData ::= SEQUENCE { version, EncryptedContentInfo, [1] unprotectedAttrs OPTIONAL }
      const ed = seq(explicit0(ci[1], 'content'), 'EncryptedData');
      smallInt(ed[0], 'EncryptedData version');
      const eci = seq(ed[1], 'EncryptedContentInfo');
      if (oidOf(eci[0], 'EncryptedContentInfo contentType') !== OID.data) {
        throw invalid('EncryptedContentInfo does not hold data');
      }
      const cipherText = octets(eci[2], 'encryptedContent', 0x80); // [0] IMPLICIT OCTET STRING
      const plain = pbeDecrypt(eci[1], cipherText, ctx);
      readSafeContents(decryptedSequence(plain, 0), ctx, out, 0);
    } else if (type === OID.envelopedData) {
      throw unsupported('content type', type);
    }
    // Other content types: skipped, as OpenSSL's PKCS12_parse does.
  }
  return out;
}


/** A function checking the MacData (RFC 7292 §4 / RFC 9579) for one password. */
function macVerifier(macData: BerNode, authSafe: Uint8Array, budget: Budget): (s: Secret) => boolean {
  const m = seq(macData, 'MacData');
  const digestInfo = seq(m[0], 'DigestInfo');
  const alg = seq(digestInfo[0], 'MAC digest algorithm');
  const algOid = oidOf(alg[0], 'MAC digest algorithm');
  const expected = octets(digestInfo[1], 'MAC digest');
  const salt = octets(m[1], 'macSalt');
  const iterations = m[2] === undefined ? 1 : smallInt(m[2], 'MAC iteration count'); // DEFAULT 1
  if (algOid === OID.pbmac1) {
    // RFC 9579: PBMAC1-params { keyDerivationFunc (PBKDF2), messageAuthScheme (HMAC) }; the
    // MacData salt and iterations are not used.
    const p = seq(alg[1], 'PBMAC1-params');
    if (p.length !== 2) throw invalid('PBMAC1-params must have two fields');
    const kdf = seq(p[0], 'PBMAC1 key derivation function');
    const kdfOid = oidOf(kdf[0], 'PBMAC1 key derivation function');
    if (kdfOid !== OID.pbkdf2) throw unsupported('PBMAC1 key derivation function', kdfOid);
    const macOid = oidOf(seq(p[1], 'PBMAC1 message authentication scheme')[0], 'PBMAC1 MAC');
    const mac = HMACS[macOid];
    if (mac === undefined) throw unsupported('PBMAC1 MAC', macOid);
    return (s) => constantTimeEqual(hmac(mac[1], pbkdf2Key(kdf[1], s, budget), authSafe), expected);
  }
  const digest = DIGESTS[algOid];
  if (digest === undefined) throw unsupported('MAC digest algorithm', algOid);
  const hash = digest[1];
  if (expected.length !== hash.outputLen) throw invalid('MAC length does not match its digest');
  return (s) => {
    budget.take(iterations, hash.outputLen, hash.outputLen);
    const key = pkcs12Kdf(hash, s.bmp, salt, 3, iterations, hash.outputLen);
    return constantTimeEqual(hmac(hash, key, authSafe), expected);
  };
}

function parse(pfx: Uint8Array, passphrase: string | undefined, options: PfxParseOptions): PfxContents {
  const budget = new Budget(options.maxIterations ?? 2_000_000, options.maxTotalIterations ?? 8_000_000);
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
  // Bytes after the PFX are ignored, as node:tls (d2i_PKCS12_bio) does.
  const top = seq(ber(pfx, 0, true), 'PFX');
  if (top.length < 2 || top.length > 3) throw invalid('PFX must have two or three fields');
  const version = smallInt(top[0], 'PFX version');
  if (version !== 3) throw new TlsError(PFX_ERR_UNSUPPORTED, `unsupported PFX version ${version}`);
  const authSafeCi = seq(top[1], 'authSafe ContentInfo');
  const type = oidOf(authSafeCi[0], 'authSafe contentType');
  if (type === OID.signedData) {
    throw new TlsError(PFX_ERR_UNSUPPORTED,
      `unsupported PFX integrity mode: authSafe is signedData (${type}, public-key integrity); only password integrity (data) is supported`);
  }
  if (type !== OID.data) throw unsupported('authSafe content type', type);
  const authSafe = octets(explicit0(authSafeCi[1], 'authSafe content'), 'authSafe data');

  const secrets = secretsFor(passphrase);
  if (top[2] !== undefined) {
    const verify = macVerifier(top[2], authSafe, budget);
    const secret = secrets.find(verify);
    if (secret === undefined) throw new TlsError(PFX_ERR_BAD_PASSWORD, 'mac verify failure');
    try {
      return readAuthSafe(authSafe, { secret, budget });
    } catch (e) {
      if (e instanceof DecryptFailure) {
        throw new TlsError(PFX_ERR_BAD_PASSWORD, `PFX decryption failed (${e.message}): the MAC verified, so the encryption password differs`);
      }
      throw e;
    }
  }
  // No MAC: the password can only be judged by decrypting.
  for (const secret of secrets) {
    try {
      return readAuthSafe(authSafe, { secret, budget });
    } catch (e) {
      if (!(e instanceof DecryptFailure)) throw e;
    }
  }
  throw new TlsError(PFX_ERR_BAD_PASSWORD, 'PFX decryption failed (bad decrypt): wrong password');
}

function asTlsError(e: unknown): TlsError {
  if (e instanceof TlsError) return e;
  return invalid(e instanceof Error ? e.message : String(e));
}

/**
 * Parses a PKCS #12 file (`pfx` as node:tls takes it) with `passphrase`. Throws TlsError:
 * ERR_PFX_BAD_PASSWORD ("mac verify failure"), ERR_PFX_INVALID, ERR_PFX_UNSUPPORTED.
 */
export function parsePfx(pfx: Uint8Array, passphrase?: string, options: PfxParseOptions = {}): PfxContents {
  try {
    return parse(pfx, passphrase, options);
  } catch (e) {
    throw asTlsError(e);
  }
}

/**
 * node:tls semantics: the key is the first private key; the leaf is the certificate whose
 * localKeyId matches the key's (else the one whose public key matches the key); the remaining
 * certificates, in file order, are the chain (`cert` = leaf then chain) and `ca`.
 */
export function pfxToKeyAndCert(pfx: Uint8Array, passphrase?: string, options: PfxParseOptions = {}):
  { key: string; cert: string; ca: string[] } {
  const contents = parsePfx(pfx, passphrase, options);
  try {
    const first = contents.keys[0];
    if (first === undefined) throw invalid('no private key in PFX');
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: Buffer.from(first.der), format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw invalid(`unreadable private key (${(e as Error).message})`);
    }
    const matches = (der: Uint8Array): boolean => {
      try {
        return new X509Certificate(Buffer.from(der)).checkPrivateKey(key);
      } catch {
        return false;
      }
    };
    const certs = contents.certificates;
    let leaf = first.localKeyId === undefined ? -1
      : certs.findIndex((c) => c.localKeyId !== undefined && constantTimeEqual(c.localKeyId, first.localKeyId!) && matches(c.der));
    if (leaf < 0) leaf = certs.findIndex((c) => matches(c.der));
    if (leaf < 0) throw invalid('no certificate in the PFX matches its private key');
    const ca = certs.filter((_, i) => i !== leaf).map((c) => toPem(c.der));
    return {
      key: key.export({ type: 'pkcs8', format: 'pem' }) as string,
      cert: toPem(certs[leaf]!.der) + ca.join(''),
      ca,
    };
  } catch (e) {
    throw asTlsError(e);
  }
}
