// The one interface between the protocol code and cryptography. Nothing above lib/crypto imports
// @noble/* or node:crypto for primitives; it goes through a CryptoProvider.

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';
export type AeadAlgorithm = 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305';
/** Injected randomness: returns n fresh random bytes. */
export type RandomSource = (n: number) => Uint8Array;

export interface IncrementalHash {
  update(data: Uint8Array): void;
  /** An independent copy of the running state (the transcript hash needs snapshots). */
  clone(): IncrementalHash;
  /** Digest of everything so far; does not disturb the running state. */
  digest(): Uint8Array;
}

/** An AEAD bound to one key (kept per epoch / per direction). */
export interface Aead {
  readonly tagLength: number;
  /** Returns ciphertext || tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Returns the plaintext, or null when authentication fails. Never throws for bad input. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
  /** Optional, the record path's form of seal: ciphertext || tag written into `out` at `offset`
   *  (room for plaintext.length + tagLength bytes), no intermediate buffer. Returns the bytes
   *  written. Callers fall back to seal() where a provider has no sealInto. */
  sealInto?(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /** Optional, the record path's form of open: the plaintext written into `out` at `offset`
   *  (room for ciphertextAndTag.length − tagLength bytes). Returns its length, or −1 when
   *  authentication fails (nothing is written then). Never throws for bad input. */
  openInto?(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array, offset: number): number;
}

/** One ephemeral ECDHE key pair for a NamedGroup code (23, 24, 29). */
export interface KeyShare {
  readonly group: number;
  /** Uncompressed point (0x04||X||Y) for NIST curves, 32 raw bytes for x25519. */
  readonly publicKey: Uint8Array;
  /** Shared secret (x-coordinate for NIST curves, RFC 7748 output for x25519). Throws a
   *  TlsError(illegal_parameter) if the peer's value is malformed / not on the curve / all-zero. */
  computeSecret(peerPublicKey: Uint8Array): Uint8Array;
}

/** A private key able to produce TLS 1.2 signatures. */
export interface SigningKey {
  readonly keyType: 'ec' | 'ed25519' | 'rsa';
  /** For 'ec': 'P-256' | 'P-384'. */
  readonly curve?: string;
  /** Signature schemes (codes) this key can make, most preferred first. */
  readonly schemes: readonly number[];
  sign(scheme: number, data: Uint8Array): Uint8Array;
}

/** A public key (from a certificate) able to check TLS 1.2 signatures. */
export interface VerifyingKey {
  readonly keyType: 'ec' | 'ed25519' | 'rsa';
  readonly curve?: string;
  readonly schemes: readonly number[];
  /** False for a bad signature or a scheme this key cannot use; never throws. */
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean;
}

export interface CryptoProvider {
  readonly name: string;
  hash(alg: HashAlgorithm, data: Uint8Array): Uint8Array;
  createHash(alg: HashAlgorithm): IncrementalHash;
  hmac(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  aead(alg: AeadAlgorithm, key: Uint8Array): Aead;
  /** Groups this provider supports, by NamedGroup code. */
  readonly groups: readonly number[];
  generateKeyShare(group: number, random: RandomSource): KeyShare;
  /** Load a private key: PEM (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY",
   *  encrypted PKCS#8 with passphrase) or DER (PKCS#8). */
  loadPrivateKey(key: string | Uint8Array, passphrase?: string): SigningKey;
  /** Public key of a DER certificate. */
  publicKeyFromCertificate(der: Uint8Array): VerifyingKey;
}
