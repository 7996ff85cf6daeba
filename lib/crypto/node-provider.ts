// An optional CryptoProvider that runs the whole connection on node:crypto (OpenSSL, with AES-NI
// where the CPU has it): record AEADs, hashes, HMAC (so the PRF), ECDHE key shares (X25519,
// P-256, P-384) and ECDSA / Ed25519 / RSA signatures and their verification. Key and scalar
// choice, scheme lists and the checks on peer values are the noble provider's, so the two are
// interchangeable on the wire. Not the default: noble stays the reference implementation; pass
// `cryptoProvider: nodeCryptoProvider` (or 'node') to connect()/createServer() for speed.
import {
  createCipheriv,
  createDecipheriv,
  createDiffieHellman,
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  sign as nodeSign,
  verify as nodeVerify,
  type CipherGCMTypes,
  type ECDH,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { TlsError, ErrorCode } from '../errors.js';
import {
  NobleCryptoProvider,
  certificatePublicKey,
  EC_CURVES,
  ecCurveName,
  ecdsaSchemes,
  illegalParameter,
  parsePrivateKey,
  RSA_SCHEMES,
  rsaDecryptRaw,
  rsaEncryptRaw,
  rsaModulusLength,
  rsaParams,
  unsupportedScheme,
} from './noble-provider.js';
import { checkPeerPublicValue, bytesToBigInt, drawPrivateExponent } from './finite-field-dh.js';
import type { Aead, AeadAlgorithm, CbcAlgorithm, CbcCipher, DhKeyShare, DhParameters, DigestAlgorithm, HashAlgorithm, IncrementalHash, KeyShare, RandomSource, SigningKey, VerifyingKey } from './provider.js';
import { NamedGroup, SignatureScheme } from '../iana-registry.js';

const CIPHERS: Record<AeadAlgorithm, string> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
  'AES-128-CCM': 'aes-128-ccm',
  'AES-256-CCM': 'aes-256-ccm',
  'AES-128-CCM-8': 'aes-128-ccm',
  'AES-256-CCM-8': 'aes-256-ccm',
};

const TAG = 16;

/** AES-CBC without padding on node:crypto (the record layer pads, RFC 5246 §6.2.3.2). */
class NodeCbc implements CbcCipher {
  private readonly cipher: string;
  readonly #key: Buffer;
  constructor(alg: CbcAlgorithm, key: Uint8Array) {
    this.cipher = alg.toLowerCase();
    this.#key = Buffer.from(key);
  }
  encrypt(iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const c = createCipheriv(this.cipher, this.#key, iv).setAutoPadding(false);
    return Buffer.concat([c.update(plaintext), c.final()]);
  }
  decrypt(iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const d = createDecipheriv(this.cipher, this.#key, iv).setAutoPadding(false);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  }
}

/** AES-GCM, ChaCha20-Poly1305, and AES-CCM / AES-CCM_8 (RFC 6655 §3: 16- or 8-byte tag; CCM
 *  wants the plaintext length with the AAD). */
class NodeAead implements Aead {
  private readonly cipher: CipherGCMTypes;
  /** The key imported into a KeyObject once per epoch (not on every record). Private (#): never
   *  shown by util.inspect or JSON.stringify. */
  readonly #key: KeyObject;
  /** CCM: node:crypto cannot seal or open an empty message ("tag not set": it skips the
   *  zero-length update OpenSSL needs); those go through the noble construction. */
  readonly #empty: Aead | undefined;

  constructor(alg: AeadAlgorithm, key: Uint8Array, readonly tagLength = TAG, empty?: Aead) {
    // chacha20-poly1305 and aes-*-ccm take the same options as GCM (authTagLength, setAAD's
    // plaintextLength).
    this.cipher = CIPHERS[alg] as CipherGCMTypes;
    this.#key = createSecretKey(key);
    this.#empty = empty;
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = Buffer.allocUnsafe(plaintext.length + this.tagLength);
    this.sealInto(nonce, aad, plaintext, out, 0);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    const ctLen = ciphertextAndTag.length - this.tagLength;
    if (ctLen < 0) return null;
    if (this.#empty && ctLen === 0) return this.#empty.open(nonce, aad, ciphertextAndTag);
    try {
      const d = createDecipheriv(this.cipher, this.#key, nonce, { authTagLength: this.tagLength });
      d.setAuthTag(ciphertextAndTag.subarray(ctLen));
      d.setAAD(aad, { plaintextLength: ctLen });
      const pt = d.update(ciphertextAndTag.subarray(0, ctLen));
      d.final(); // throws when the tag does not authenticate
      return pt;
    } catch {
      return null;
    }
  }

  /** node:crypto has no update-into: its update() output is copied once, into the record. */
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const ct = this.sealDetached(nonce, aad, plaintext, out, offset + plaintext.length);
    out.set(ct, offset);
    return ct.length + this.tagLength;
  }

  /** The ciphertext is update()'s own buffer (the ciphers here are stream modes: as long as the
   *  plaintext). */
  sealDetached(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagOut: Uint8Array, tagOffset: number): Uint8Array {
    if (this.#empty && plaintext.length === 0) {
      tagOut.set(this.#empty.seal(nonce, aad, plaintext), tagOffset);
      return plaintext;
    }
    const c = createCipheriv(this.cipher, this.#key, nonce, { authTagLength: this.tagLength });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    const ct = c.update(plaintext);
    c.final();
    tagOut.set(c.getAuthTag(), tagOffset);
    return ct;
  }

  openInto(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array, offset: number): number {
    const pt = this.open(nonce, aad, ciphertextAndTag);
    if (pt === null) return -1;
    out.set(pt, offset);
    return pt.length;
  }
}

class NodeHash implements IncrementalHash {
  constructor(private readonly h: ReturnType<typeof createHash>) {}
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  clone(): IncrementalHash {
    return new NodeHash(this.h.copy());
  }
  digest(): Uint8Array {
    return this.h.copy().digest();
  }
}

// ---------------------------------------------------------------------------------------------
// ECDHE (RFC 8422 §5.10, RFC 7748 §6.1)

/** An X25519 key as a JWK (RFC 8037 §2: "OKP", base64url raw keys). node:crypto imports a JWK
 *  OKP key straight from its raw bytes; a PKCS #8 / SPKI encoding goes through OpenSSL 3's
 *  decoders, ten times slower. (For a private key node reads `d` and only checks that `x` is a
 *  string.) */
function x25519Jwk(raw: Uint8Array, part: 'd' | 'x'): JsonWebKey {
  const b64 = Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('base64url');
  return part === 'd' ? { kty: 'OKP', crv: 'X25519', d: b64, x: '' } : { kty: 'OKP', crv: 'X25519', x: b64 };
}

class NativeX25519KeyShare implements KeyShare {
  readonly group = NamedGroup.x25519;
  readonly publicKey: Uint8Array;
  private readonly privateKey: KeyObject;
  constructor(random: RandomSource) {
    // RFC 7748 §6.1: 32 random bytes, clamped by the scalar multiplication.
    const secret = random(32);
    if (secret.length !== 32) throw new TlsError(ErrorCode.INTERNAL, 'random source returned wrong length', 'internal_error');
    this.privateKey = createPrivateKey({ key: x25519Jwk(secret, 'd'), format: 'jwk' });
    const x = createPublicKey(this.privateKey).export({ format: 'jwk' }).x;
    this.publicKey = new Uint8Array(Buffer.from(x ?? '', 'base64url'));
  }
  computeSecret(peerPublicKey: Uint8Array): Uint8Array {
    if (peerPublicKey.length !== 32) throw illegalParameter('x25519 public value must be 32 bytes');
    let shared: Buffer;
    try {
      const publicKey = createPublicKey({ key: x25519Jwk(peerPublicKey, 'x'), format: 'jwk' });
      shared = diffieHellman({ privateKey: this.privateKey, publicKey });
    } catch {
      // OpenSSL refuses low-order points (their output is all zeros).
      throw illegalParameter('x25519 public value is of low order');
    }
    // RFC 7748 §6.1: abort if the shared secret is all zeros.
    if (shared.every((b) => b === 0)) throw illegalParameter('x25519 shared secret is all zeros');
    return new Uint8Array(shared.buffer, shared.byteOffset, shared.length);
  }
}

const NIST = {
  [NamedGroup.secp256r1]: { name: 'prime256v1', curve: p256 },
  [NamedGroup.secp384r1]: { name: 'secp384r1', curve: p384 },
} as const;

class NativeNistKeyShare implements KeyShare {
  readonly publicKey: Uint8Array;
  private readonly ecdh: ECDH;
  constructor(readonly group: keyof typeof NIST, random: RandomSource) {
    const { name, curve } = NIST[group];
    // The scalar as the noble provider draws it (reduced into [1, n-1]); OpenSSL multiplies.
    const secretKey = curve.utils.randomSecretKey(random(curve.lengths.seed!));
    this.ecdh = createECDH(name);
    this.ecdh.setPrivateKey(Buffer.from(secretKey));
    // RFC 8422 §5.4.1: only the uncompressed point format is used.
    this.publicKey = new Uint8Array(this.ecdh.getPublicKey(null, 'uncompressed'));
  }
  computeSecret(peerPublicKey: Uint8Array): Uint8Array {
    // RFC 8422 §5.11: the peer's point must be uncompressed (0x04 || X || Y) and on the curve.
    if (peerPublicKey.length !== this.publicKey.length || peerPublicKey[0] !== 0x04) {
      throw illegalParameter('ECDHE public value is not an uncompressed point of the right size');
    }
    try {
      // RFC 8422 §5.10: the x-coordinate, at the field's length.
      return new Uint8Array(this.ecdh.computeSecret(Buffer.from(peerPublicKey)));
    } catch {
      throw illegalParameter('ECDHE public value is not a valid curve point');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Finite-field DHE (RFC 5246 §8.1.2, RFC 7919): OpenSSL's exponentiation; the exponent drawn and
// the peer's value checked as in the noble provider.

class NativeDhKeyShare implements DhKeyShare {
  readonly publicKey: Uint8Array;
  private readonly p: bigint;
  readonly #dh: ReturnType<typeof createDiffieHellman>;
  constructor(params: DhParameters, random: RandomSource) {
    this.p = bytesToBigInt(params.p);
    this.#dh = createDiffieHellman(Buffer.from(params.p), Buffer.from(params.g));
    const x = drawPrivateExponent(params, random);
    this.#dh.setPrivateKey(Buffer.from(x));
    x.fill(0);
    // With the private key set, generateKeys() computes g^x mod p from it.
    this.#dh.generateKeys();
    this.publicKey = fixedLength(new Uint8Array(this.#dh.getPublicKey()), params.p.length);
  }
  computeSecret(peerPublicKey: Uint8Array): Uint8Array {
    checkPeerPublicValue(peerPublicKey, this.p);
    // node pads the result to the prime's length.
    return new Uint8Array(this.#dh.computeSecret(Buffer.from(peerPublicKey)));
  }
}

/** Left-pad a big-endian value to `length` bytes. */
function fixedLength(b: Uint8Array, length: number): Uint8Array {
  if (b.length >= length) return b;
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Signatures (RFC 5246 §4.7, §7.4.1.4.1; RFC 8422 §5.4)

/** RFC 5246 §7.4.1.4.1 HashAlgorithm, the high byte of a TLS 1.2 SignatureAndHashAlgorithm. */
const TLS12_HASH = new Map<number, string>([[3, 'sha224'], [4, 'sha256'], [5, 'sha384'], [6, 'sha512']]);

/** node:crypto sign()/verify() arguments for `scheme` with a key of `keyType`, or undefined. */
function nativeParams(keyType: SigningKey['keyType'], scheme: number):
  { hash: string | null; options: { padding?: number; saltLength?: number; dsaEncoding?: 'der' } } | undefined {
  switch (keyType) {
    case 'ec': {
      // TLS 1.2: {hash, ecdsa(3)}; DER-encoded Ecdsa-Sig-Value (RFC 8422 §5.4).
      const hash = (scheme & 0xff) === 3 ? TLS12_HASH.get(scheme >> 8) : undefined;
      return hash === undefined ? undefined : { hash, options: { dsaEncoding: 'der' } };
    }
    case 'ed25519':
      // RFC 8422 §5.4 / RFC 8032: PureEdDSA over the data itself.
      return scheme === SignatureScheme.ed25519 ? { hash: null, options: {} } : undefined;
    case 'rsa': {
      const p = rsaParams(scheme);
      return p === undefined ? undefined : { hash: p.hash, options: { padding: p.padding, ...(p.saltLength === undefined ? {} : { saltLength: p.saltLength }) } };
    }
    default:
      return undefined;
  }
}

class NativeSigningKey implements SigningKey {
  readonly keyType: SigningKey['keyType'];
  readonly curve?: string;
  readonly schemes: readonly number[];
  constructor(base: SigningKey, private readonly key: KeyObject) {
    this.keyType = base.keyType;
    if (base.curve !== undefined) this.curve = base.curve;
    this.schemes = base.schemes;
  }
  sign(scheme: number, data: Uint8Array): Uint8Array {
    const p = this.schemes.includes(scheme) ? nativeParams(this.keyType, scheme) : undefined;
    if (p === undefined) throw unsupportedScheme(scheme);
    const sig = nodeSign(p.hash, data, { key: this.key, ...p.options });
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.length);
  }
  decryptRaw(ciphertext: Uint8Array): Uint8Array | null {
    if (this.keyType !== 'rsa') throw new TypeError('not an RSA key');
    return rsaDecryptRaw(this.key, ciphertext);
  }
}

class NativeVerifyingKey implements VerifyingKey {
  readonly modulusLength?: number;
  constructor(
    readonly keyType: VerifyingKey['keyType'],
    readonly schemes: readonly number[],
    private readonly key: KeyObject,
    readonly curve?: string,
  ) {
    if (keyType === 'rsa') this.modulusLength = rsaModulusLength(key);
  }
  encryptRaw(message: Uint8Array): Uint8Array {
    if (this.keyType !== 'rsa') throw new TypeError('not an RSA key');
    return rsaEncryptRaw(this.key, message);
  }
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
    const p = this.schemes.includes(scheme) ? nativeParams(this.keyType, scheme) : undefined;
    if (p === undefined) return false;
    try {
      return nodeVerify(p.hash, data, { key: this.key, ...p.options }, signature);
    } catch {
      return false;
    }
  }
}

export class NodeCryptoProvider extends NobleCryptoProvider {
  override readonly name: string = 'node';

  override hash(alg: DigestAlgorithm, data: Uint8Array): Uint8Array {
    return createHash(alg).update(data).digest();
  }

  override createHash(alg: HashAlgorithm): IncrementalHash {
    return new NodeHash(createHash(alg));
  }

  override hmac(alg: DigestAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
    return createHmac(alg, key).update(data).digest();
  }

  override aead(alg: AeadAlgorithm, key: Uint8Array): Aead {
    if (alg.includes('CCM')) {
      // The noble object checks algorithm and key length as for the noble provider.
      return new NodeAead(alg, key, alg.endsWith('-8') ? 8 : 16, super.aead(alg, key));
    }
    return new NodeAead(alg, key);
  }

  override cbc(alg: CbcAlgorithm, key: Uint8Array): CbcCipher {
    super.cbc(alg, key); // refuses a key of the wrong length as the noble provider does
    return new NodeCbc(alg, key);
  }

  override generateKeyShare(group: number, random: RandomSource): KeyShare {
    if (group === NamedGroup.x25519) return new NativeX25519KeyShare(random);
    if (group === NamedGroup.secp256r1 || group === NamedGroup.secp384r1) return new NativeNistKeyShare(group, random);
    return super.generateKeyShare(group, random); // refuses it as the noble provider does
  }

  override generateDhKeyShare(params: DhParameters, random: RandomSource): DhKeyShare {
    return new NativeDhKeyShare(params, random);
  }

  override loadPrivateKey(key: string | Uint8Array, passphrase?: string): SigningKey {
    // The noble key decides type, curve and schemes (and refuses what neither supports).
    return new NativeSigningKey(super.loadPrivateKey(key, passphrase), parsePrivateKey(key, passphrase));
  }

  override publicKeyFromCertificate(der: Uint8Array): VerifyingKey {
    const k = certificatePublicKey(der);
    switch (k.asymmetricKeyType) {
      case 'ec': {
        const curve = ecCurveName(k);
        if (curve !== undefined) return new NativeVerifyingKey('ec', ecdsaSchemes(EC_CURVES[curve].scheme), k, curve);
        break;
      }
      case 'ed25519':
        return new NativeVerifyingKey('ed25519', [SignatureScheme.ed25519], k);
      case 'rsa':
        return new NativeVerifyingKey('rsa', RSA_SCHEMES, k);
    }
    return super.publicKeyFromCertificate(der); // refuses it as the noble provider does
  }
}

export const nodeCryptoProvider = new NodeCryptoProvider();
