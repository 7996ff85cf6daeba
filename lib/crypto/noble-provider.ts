// CryptoProvider backed by @noble/* (hashes, AEADs, ECDHE, ECDSA, Ed25519). RSA and key/certificate
// parsing go through node:crypto, which noble does not cover.

import {
  createPrivateKey,
  sign as nodeSign,
  verify as nodeVerify,
  privateDecrypt,
  publicEncrypt,
  constants as nodeConstants,
  type KeyObject,
} from 'node:crypto';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import type { CHash } from '@noble/hashes/utils.js';
import { cbc } from '@noble/ciphers/aes.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { AesCcm } from './aes-ccm.js';
import type {
  Aead,
  AeadAlgorithm,
  CbcAlgorithm,
  CbcCipher,
  CryptoProvider,
  DigestAlgorithm,
  DhKeyShare,
  DhParameters,
  HashAlgorithm,
  IncrementalHash,
  KeyShare,
  RandomSource,
  SigningKey,
  VerifyingKey,
} from './provider.js';
import { NamedGroup, SignatureScheme } from '../iana-registry.js';
import { NobleGcm } from './noble-gcm.js';
import { cachedPublicKey } from './certificate-cache.js';
import { NobleChaCha20Poly1305 } from './noble-chacha20-poly1305.js';
import { ErrorCode, TlsError } from '../errors.js';
import { secretBytes } from './secret-bytes.js';
import { BigIntDhKeyShare } from './finite-field-dh.js';

/** The part of a noble hash instance we use. */
interface RunningHash {
  update(data: Uint8Array): unknown;
  clone(): RunningHash;
  digest(): Uint8Array;
}
type Ecdsa = typeof p256;

const HASHES: Record<DigestAlgorithm, CHash> = { sha1, sha256, sha384, sha512 };

function hashFn(alg: DigestAlgorithm): CHash {
  const h = HASHES[alg];
  if (h === undefined) throw new TlsError(ErrorCode.INTERNAL, `unsupported hash ${String(alg)}`, 'internal_error');
  return h;
}

// ---------------------------------------------------------------------------------------------
// Hashes (RFC 5246 §7.4.9 transcript hash needs snapshots: clone() / non-destructive digest()).

class NobleIncrementalHash implements IncrementalHash {
  constructor(private readonly h: RunningHash) {}
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  clone(): IncrementalHash {
    return new NobleIncrementalHash(this.h.clone());
  }
  digest(): Uint8Array {
    // Finish a copy so the running state stays usable.
    return this.h.clone().digest();
  }
}

// ---------------------------------------------------------------------------------------------
// AEADs (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305). One object per key; nonce and AAD per record.

/** AES-CCM (RFC 6655 §3): noble has none; lib/crypto/aes-ccm.ts builds it on noble's AES. */
class NobleCcm implements Aead {
  private readonly ccm: AesCcm;
  constructor(key: Uint8Array, readonly tagLength: number) {
    this.ccm = new AesCcm(key, tagLength);
  }
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.ccm.seal(nonce, aad, plaintext);
  }
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    return this.ccm.open(nonce, aad, ciphertextAndTag);
  }
}

/** Key length of each AEAD; AES-CCM's tag length (NobleCcm). AES-GCM is NobleGcm,
 *  ChaCha20-Poly1305 NobleChaCha20Poly1305. */
const AEADS: Record<AeadAlgorithm, { keyLength: number; ccmTag?: number }> = {
  'AES-128-GCM': { keyLength: 16 },
  'AES-256-GCM': { keyLength: 32 },
  'CHACHA20-POLY1305': { keyLength: 32 },
  'AES-128-CCM': { keyLength: 16, ccmTag: 16 },
  'AES-256-CCM': { keyLength: 32, ccmTag: 16 },
  'AES-128-CCM-8': { keyLength: 16, ccmTag: 8 },
  'AES-256-CCM-8': { keyLength: 32, ccmTag: 8 },
};

/** Key length of each CBC cipher (AES-128 / AES-256). */
export const CBC_KEY_LENGTH: Record<CbcAlgorithm, number> = { 'AES-128-CBC': 16, 'AES-256-CBC': 32 };

/** AES-CBC without padding on noble (the record layer pads, RFC 5246 §6.2.3.2). */
class NobleCbc implements CbcCipher {
  constructor(private readonly key: Uint8Array) {}
  encrypt(iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return cbc(this.key, iv, { disablePadding: true }).encrypt(plaintext);
  }
  decrypt(iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    return cbc(this.key, iv, { disablePadding: true }).decrypt(ciphertext);
  }
}

// ---------------------------------------------------------------------------------------------
// ECDHE key shares (RFC 8422 §5.10, RFC 7748 §6.1).

export function illegalParameter(message: string): TlsError {
  return new TlsError(ErrorCode.ILLEGAL_PARAMETER, message, 'illegal_parameter');
}

class NistKeyShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly secretKey: Uint8Array;
  constructor(
    readonly group: number,
    private readonly curve: Ecdsa,
    random: RandomSource,
  ) {
    // FIPS 186-5 A.2.1-style: reduce (fieldLen + 8+) random bytes into [1, n-1] (noble mapHashToField).
    const seedLength = curve.lengths.seed;
    if (seedLength === undefined) throw new TlsError(ErrorCode.INTERNAL, 'curve has no seed length', 'internal_error');
    this.secretKey = secretBytes(curve.utils.randomSecretKey(random(seedLength)), true);
    // RFC 8422 §5.4.1: only the uncompressed point format is used.
    this.publicKey = curve.getPublicKey(this.secretKey, false);
  }
  computeSecret(peerPublicKey: Uint8Array): Uint8Array {
    // RFC 8422 §5.11: the peer's point must be uncompressed (0x04 || X || Y) and on the curve.
    if (peerPublicKey.length !== this.publicKey.length || peerPublicKey[0] !== 0x04) {
      throw illegalParameter('ECDHE public value is not an uncompressed point of the right size');
    }
    let shared: Uint8Array;
    try {
      shared = this.curve.getSharedSecret(this.secretKey, peerPublicKey, true);
    } catch {
      throw illegalParameter('ECDHE public value is not a valid curve point');
    }
    // RFC 8422 §5.10: the premaster secret is the x-coordinate, fixed length (leading zeros kept).
    return secretBytes(shared.subarray(1), true);
  }
}

class X25519KeyShare implements KeyShare {
  readonly group = NamedGroup.x25519;
  readonly publicKey: Uint8Array;
  private readonly secretKey: Uint8Array;
  constructor(random: RandomSource) {
    // RFC 7748 §6.1: 32 random bytes (clamped by the scalar multiplication).
    this.secretKey = secretBytes(random(32), true); // own copy: the source may reuse its buffer
    if (this.secretKey.length !== 32) throw new TlsError(ErrorCode.INTERNAL, 'random source returned wrong length', 'internal_error');
    this.publicKey = x25519.getPublicKey(this.secretKey);
  }
  computeSecret(peerPublicKey: Uint8Array): Uint8Array {
    if (peerPublicKey.length !== 32) throw illegalParameter('x25519 public value must be 32 bytes');
    let shared: Uint8Array;
    try {
      // noble rejects low-order inputs up front (they would give the all-zero output).
      shared = x25519.getSharedSecret(this.secretKey, peerPublicKey);
    } catch {
      throw illegalParameter('x25519 public value is of low order');
    }
    // RFC 7748 §6.1: abort if the shared secret is all zeros.
    let acc = 0;
    for (let i = 0; i < shared.length; i++) acc |= shared[i]!;
    if (acc === 0) throw illegalParameter('x25519 shared secret is all zeros');
    return secretBytes(shared);
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures (RFC 5246 §4.7 digitally-signed, RFC 8422 §5.4/§5.8 ECDSA and EdDSA, RFC 8446 §4.2.3
// code points; RSASSA-PSS with salt length = hash length per RFC 8446 §4.2.3).

const S = SignatureScheme;

export type EcCurveName = 'P-256' | 'P-384';
export const EC_CURVES: Record<EcCurveName, { curve: Ecdsa; scheme: number; hash: CHash; fieldLength: number }> = {
  'P-256': { curve: p256, scheme: S.ecdsa_secp256r1_sha256, hash: sha256, fieldLength: 32 },
  'P-384': { curve: p384, scheme: S.ecdsa_secp384r1_sha384, hash: sha384, fieldLength: 48 },
};

/**
 * TLS 1.2 ECDSA: the SignatureAndHashAlgorithm names the hash, not the curve (RFC 5246
 * §7.4.1.4.1; the curve binding of ecdsa_secp256r1_sha256 & co. is TLS 1.3's), so any EC key may
 * sign or verify with any of these hashes (FIPS 186-4 §6.4: a digest longer than the order is
 * truncated to its leftmost bits). OpenSSL servers pick {sha384, ecdsa} for a P-256 key when a
 * peer lists it first, and sign with {sha512, ecdsa} or {sha224, ecdsa} when a client offers only
 * that. The key's own curve hash stays first in preference, then the stronger hashes.
 */
const ECDSA_HASHES = new Map<number, CHash>([
  [S.ecdsa_secp256r1_sha256, sha256],
  [S.ecdsa_secp384r1_sha384, sha384],
  [S.ecdsa_secp521r1_sha512, sha512],
  [S.ecdsa_sha224, sha224],
]);

export function ecdsaSchemes(own: number): number[] {
  return [own, ...[...ECDSA_HASHES.keys()].filter((s) => s !== own)];
}

export const RSA_SCHEMES: readonly number[] = [
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_rsae_sha512,
  S.rsa_pkcs1_sha256,
  S.rsa_pkcs1_sha384,
  S.rsa_pkcs1_sha512,
];

/** node:crypto sign/verify parameters for an RSA scheme, or undefined if not an RSA scheme. */
export function rsaParams(scheme: number): { hash: HashAlgorithm; padding: number; saltLength?: number } | undefined {
  const { RSA_PKCS1_PADDING, RSA_PKCS1_PSS_PADDING } = nodeConstants;
  switch (scheme) {
    case S.rsa_pkcs1_sha256: return { hash: 'sha256', padding: RSA_PKCS1_PADDING };
    case S.rsa_pkcs1_sha384: return { hash: 'sha384', padding: RSA_PKCS1_PADDING };
    case S.rsa_pkcs1_sha512: return { hash: 'sha512', padding: RSA_PKCS1_PADDING };
    case S.rsa_pss_rsae_sha256: return { hash: 'sha256', padding: RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    case S.rsa_pss_rsae_sha384: return { hash: 'sha384', padding: RSA_PKCS1_PSS_PADDING, saltLength: 48 };
    case S.rsa_pss_rsae_sha512: return { hash: 'sha512', padding: RSA_PKCS1_PSS_PADDING, saltLength: 64 };
    default: return undefined;
  }
}

export function unsupportedScheme(scheme: number): TlsError {
  return new TlsError(ErrorCode.INVALID_ARG, `signature scheme 0x${scheme.toString(16)} not supported by this key`);
}

function b64url(s: string | undefined): Uint8Array {
  if (s === undefined) throw new TlsError(ErrorCode.INVALID_ARG, 'key export lacks a component');
  const b = Buffer.from(s, 'base64url');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Left-pad a big-endian integer to `length` bytes (JWK members should already be full length). */
function fixedLength(bytes: Uint8Array, length: number): Uint8Array {
  if (bytes.length === length) return bytes;
  if (bytes.length > length) throw new TlsError(ErrorCode.INVALID_ARG, 'key component too long');
  const out = new Uint8Array(length);
  out.set(bytes, length - bytes.length);
  return out;
}

export function ecCurveName(key: KeyObject): EcCurveName | undefined {
  switch (key.asymmetricKeyDetails?.namedCurve) {
    case 'prime256v1':
    case 'P-256':
      return 'P-256';
    case 'secp384r1':
    case 'P-384':
      return 'P-384';
    default:
      return undefined;
  }
}

/** What an ECDSA key of either kind knows of its curve: its parameters and the schemes it can
 *  sign or verify (RFC 8422 §5.1.3, any hash, RFC 5246 §7.4.1.4.1). */
abstract class EcKeyBase {
  readonly keyType = 'ec';
  readonly schemes: readonly number[];
  protected readonly params: (typeof EC_CURVES)[EcCurveName];
  constructor(readonly curve: EcCurveName) {
    this.params = EC_CURVES[curve];
    this.schemes = ecdsaSchemes(this.params.scheme);
  }
}

class EcSigningKey extends EcKeyBase implements SigningKey {
  private readonly secretKey: Uint8Array;
  constructor(curve: EcCurveName, key: KeyObject) {
    super(curve);
    this.secretKey = secretBytes(fixedLength(b64url(key.export({ format: 'jwk' }).d), this.params.fieldLength), true);
  }
  sign(scheme: number, data: Uint8Array): Uint8Array {
    const hash = ECDSA_HASHES.get(scheme);
    if (!hash) throw unsupportedScheme(scheme);
    // ECDSA over Hash(data), DER-encoded Ecdsa-Sig-Value (RFC 8422 §5.4); RFC 6979 deterministic k.
    const digest = hash(data);
    return this.params.curve.sign(digest, this.secretKey, { prehash: false, format: 'der' });
  }
}

class Ed25519SigningKey implements SigningKey {
  readonly keyType = 'ed25519';
  readonly schemes: readonly number[] = [S.ed25519];
  private readonly seed: Uint8Array;
  constructor(key: KeyObject) {
    this.seed = secretBytes(fixedLength(b64url(key.export({ format: 'jwk' }).d), 32), true);
  }
  sign(scheme: number, data: Uint8Array): Uint8Array {
    if (scheme !== S.ed25519) throw unsupportedScheme(scheme);
    // RFC 8422 §5.4 / RFC 8032 §5.1.6: PureEdDSA over the data itself.
    return ed25519.sign(data, this.seed);
  }
}

/**
 * Raw RSA decryption (RSA_NO_PADDING) with node:crypto, for both providers: c^d mod n, or null
 * when c is not modulus-sized or not below n (OpenSSL refuses it; both are public facts). Node 20
 * refuses RSA_PKCS1_PADDING for private decryption (CVE-2023-46809), so the PKCS #1 v1.5 check
 * is ours (lib/crypto/rsa-premaster.ts).
 */
export function rsaDecryptRaw(key: KeyObject, ciphertext: Uint8Array): Uint8Array | null {
  if (ciphertext.length !== rsaModulusLength(key)) return null;
  try {
    const m = privateDecrypt({ key, padding: nodeConstants.RSA_NO_PADDING }, ciphertext);
    const out = secretBytes(m, true);
    m.fill(0);
    return out;
  } catch {
    return null;
  }
}

/** Raw RSA encryption (RSA_NO_PADDING) with node:crypto: m^e mod n of a padded block. */
export function rsaEncryptRaw(key: KeyObject, message: Uint8Array): Uint8Array {
  const c = publicEncrypt({ key, padding: nodeConstants.RSA_NO_PADDING }, message);
  return new Uint8Array(c.buffer, c.byteOffset, c.length);
}

/** Bytes of an RSA key's modulus. */
export function rsaModulusLength(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

class RsaSigningKey implements SigningKey {
  readonly keyType = 'rsa';
  readonly schemes = RSA_SCHEMES;
  constructor(private readonly key: KeyObject) {}
  sign(scheme: number, data: Uint8Array): Uint8Array {
    const p = rsaParams(scheme);
    if (p === undefined) throw unsupportedScheme(scheme);
    const sig = nodeSign(p.hash, data, { key: this.key, padding: p.padding, saltLength: p.saltLength });
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.length);
  }
  decryptRaw(ciphertext: Uint8Array): Uint8Array | null {
    return rsaDecryptRaw(this.key, ciphertext);
  }
}

class EcVerifyingKey extends EcKeyBase implements VerifyingKey {
  private readonly publicKey: Uint8Array;
  constructor(curve: EcCurveName, key: KeyObject) {
    super(curve);
    const jwk = key.export({ format: 'jwk' });
    const n = this.params.fieldLength;
    const pub = new Uint8Array(1 + 2 * n);
    pub[0] = 0x04;
    pub.set(fixedLength(b64url(jwk.x), n), 1);
    pub.set(fixedLength(b64url(jwk.y), n), 1 + n);
    this.publicKey = pub;
  }
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const hash = ECDSA_HASHES.get(scheme);
    if (!hash) return false;
    try {
      // DER signatures; high-S accepted (other stacks do not normalise S).
      return this.params.curve.verify(signature, hash(data), this.publicKey, {
        prehash: false,
        lowS: false,
        format: 'der',
      });
    } catch {
      return false;
    }
  }
}

class Ed25519VerifyingKey implements VerifyingKey {
  readonly keyType = 'ed25519';
  readonly schemes: readonly number[] = [S.ed25519];
  private readonly publicKey: Uint8Array;
  constructor(key: KeyObject) {
    this.publicKey = fixedLength(b64url(key.export({ format: 'jwk' }).x), 32);
  }
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    if (scheme !== S.ed25519) return false;
    try {
      // RFC 8032 §5.1.7 strict decoding (not ZIP-215).
      return ed25519.verify(signature, data, this.publicKey, { zip215: false });
    } catch {
      return false;
    }
  }
}

class RsaVerifyingKey implements VerifyingKey {
  readonly keyType = 'rsa';
  readonly schemes = RSA_SCHEMES;
  readonly modulusLength: number;
  constructor(private readonly key: KeyObject) {
    this.modulusLength = rsaModulusLength(key);
  }
  encryptRaw(message: Uint8Array): Uint8Array {
    return rsaEncryptRaw(this.key, message);
  }
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const p = rsaParams(scheme);
    if (p === undefined) return false;
    try {
      return nodeVerify(p.hash, data, { key: this.key, padding: p.padding, saltLength: p.saltLength }, signature);
    } catch {
      return false;
    }
  }
}

const PEM_PREFIX = '-----BEGIN';

function looksLikePem(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  for (let j = 0; j < PEM_PREFIX.length; j++) if (bytes[i + j] !== PEM_PREFIX.charCodeAt(j)) return false;
  return true;
}

export function parsePrivateKey(key: string | Uint8Array, passphrase: string | undefined): KeyObject {
  try {
    if (typeof key === 'string') return createPrivateKey({ key, format: 'pem', passphrase });
    if (looksLikePem(key)) {
      return createPrivateKey({ key: Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1'), format: 'pem', passphrase });
    }
    return createPrivateKey({ key: Buffer.from(key.buffer, key.byteOffset, key.length), format: 'der', type: 'pkcs8', passphrase });
  } catch (e) {
    throw new TlsError(ErrorCode.INVALID_ARG, `cannot load private key: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------

export class NobleCryptoProvider implements CryptoProvider {
  readonly name: string = 'noble';
  readonly groups: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

  hash(alg: DigestAlgorithm, data: Uint8Array): Uint8Array {
    return hashFn(alg)(data);
  }

  createHash(alg: HashAlgorithm): IncrementalHash {
    return new NobleIncrementalHash(hashFn(alg).create());
  }

  hmac(alg: DigestAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return hmac(hashFn(alg), key, data);
  }

  cbc(alg: CbcAlgorithm, key: Uint8Array): CbcCipher {
    if (key.length !== CBC_KEY_LENGTH[alg]) {
      throw new TlsError(ErrorCode.INTERNAL, `${alg} needs a ${CBC_KEY_LENGTH[alg]}-byte key`, 'internal_error');
    }
    return new NobleCbc(secretBytes(key.slice()));
  }

  aead(alg: AeadAlgorithm, key: Uint8Array): Aead {
    const spec = AEADS[alg];
    if (spec === undefined) throw new TlsError(ErrorCode.INTERNAL, `unsupported AEAD ${String(alg)}`, 'internal_error');
    if (key.length !== spec.keyLength) {
      throw new TlsError(ErrorCode.INTERNAL, `${alg} needs a ${spec.keyLength}-byte key`, 'internal_error');
    }
    // Own copy: the caller's key-block buffer may be reused or wiped.
    const own = secretBytes(key.slice());
    if (spec.ccmTag !== undefined) return new NobleCcm(own, spec.ccmTag);
    return alg === 'CHACHA20-POLY1305' ? new NobleChaCha20Poly1305(own) : new NobleGcm(own);
  }

  generateKeyShare(group: number, random: RandomSource): KeyShare {
    switch (group) {
      case NamedGroup.x25519: return new X25519KeyShare(random);
      case NamedGroup.secp256r1: return new NistKeyShare(group, p256, random);
      case NamedGroup.secp384r1: return new NistKeyShare(group, p384, random);
      default: throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `unsupported group ${group}`, 'handshake_failure');
    }
  }

  generateDhKeyShare(params: DhParameters, random: RandomSource): DhKeyShare {
    return new BigIntDhKeyShare(params, random);
  }

  loadPrivateKey(key: string | Uint8Array, passphrase?: string): SigningKey {
    const k = parsePrivateKey(key, passphrase);
    switch (k.asymmetricKeyType) {
      case 'ec': {
        const curve = ecCurveName(k);
        if (curve === undefined) {
          throw new TlsError(ErrorCode.INVALID_ARG, `unsupported EC curve ${k.asymmetricKeyDetails?.namedCurve}`);
        }
        return new EcSigningKey(curve, k);
      }
      case 'ed25519':
        return new Ed25519SigningKey(k);
      case 'rsa':
        return new RsaSigningKey(k);
      default:
        throw new TlsError(ErrorCode.INVALID_ARG, `unsupported private key type ${k.asymmetricKeyType}`);
    }
  }

  publicKeyFromCertificate(der: Uint8Array): VerifyingKey {
    const k = certificatePublicKey(der);
    switch (k.asymmetricKeyType) {
      case 'ec': {
        const curve = ecCurveName(k);
        if (curve !== undefined) return new EcVerifyingKey(curve, k);
        break;
      }
      case 'ed25519':
        return new Ed25519VerifyingKey(k);
      case 'rsa':
        return new RsaVerifyingKey(k);
    }
    throw unsupportedCertificateKey(k);
  }
}

/** The public key of a DER certificate; bad_certificate when it does not parse. */
export function certificatePublicKey(der: Uint8Array): KeyObject {
  try {
    return cachedPublicKey(der);
  } catch (e) {
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `cannot parse certificate: ${(e as Error).message}`, 'bad_certificate');
  }
}

/** A certificate key of a type or curve no provider here supports (RFC 5246 §7.2.2). */
export function unsupportedCertificateKey(k: KeyObject): TlsError {
  return new TlsError(
    ErrorCode.HANDSHAKE_FAILURE,
    `unsupported certificate key ${k.asymmetricKeyType} ${k.asymmetricKeyDetails?.namedCurve ?? ''}`.trim(),
    'unsupported_certificate',
  );
}

export const nobleProvider: CryptoProvider = new NobleCryptoProvider();
