// The one interface between the protocol code and cryptography. Nothing above lib/crypto imports
// @noble/* or node:crypto for primitives; it goes through a CryptoProvider.

export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';
/** What hash() and hmac() take: the PRF hashes and SHA-1, for the HMAC-SHA1 record MAC
 *  (RFC 5246 §6.2.3.1; never a PRF or signature hash in TLS 1.2 here). */
export type DigestAlgorithm = HashAlgorithm | 'sha1';
/** AEADs: AES-GCM (RFC 5288), ChaCha20-Poly1305 (RFC 7905), AES-CCM with a 16-byte tag and
 *  AES-CCM_8 with an 8-byte tag (RFC 6655 §3). */
export type AeadAlgorithm =
  | 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305'
  | 'AES-128-CCM' | 'AES-256-CCM' | 'AES-128-CCM-8' | 'AES-256-CCM-8';
/** Block ciphers in CBC mode for the RFC 5246 §6.2.3.2 record protection. */
export type CbcAlgorithm = 'AES-128-CBC' | 'AES-256-CBC';
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
  /** Returns the plaintext, a buffer of its own (never a view of `ciphertextAndTag`), or null
   *  when authentication fails. Never throws for bad input. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
  /** Optional, the record path's form of seal: ciphertext || tag written into `out` at `offset`
   *  (room for plaintext.length + tagLength bytes), no intermediate buffer. Returns the bytes
   *  written. Callers fall back to seal() where a provider has no sealInto. */
  sealInto?(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /** Optional, the record path's form of open: the plaintext written into `out` at `offset`
   *  (room for ciphertextAndTag.length − tagLength bytes). Returns its length, or −1 when
   *  authentication fails (nothing is written then). Never throws for bad input. */
  openInto?(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array, offset: number): number;
  /** Optional, for a provider whose cipher returns the ciphertext in a buffer of its own
   *  (node:crypto's update()): that buffer, as it is, with the tag written into `tagOut` at
   *  `tagOffset`. The record layer sends it between the record's header and its tag, where
   *  sealInto() would copy it into the record. */
  sealDetached?(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, tagOut: Uint8Array, tagOffset: number): Uint8Array;
}

/** AES in CBC mode bound to one key, without padding (the record layer pads, RFC 5246
 *  §6.2.3.2). Inputs are whole 16-byte blocks. */
export interface CbcCipher {
  encrypt(iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;
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

/** A finite-field Diffie-Hellman group (PKCS #3 DHParameter; RFC 5246 §7.4.3 ServerDHParams):
 *  prime p and generator g, big-endian without leading zeros. */
export interface DhParameters {
  readonly p: Uint8Array;
  readonly g: Uint8Array;
  /** Bits of the private exponent; undefined: one bit less than p (any group). Set only for the
   *  safe-prime groups of RFC 7919 / RFC 3526, whose exponent may be short (RFC 7919 §5.2). */
  readonly exponentBits?: number;
}

/** One ephemeral finite-field DH key pair. */
export interface DhKeyShare {
  /** Y = g^x mod p, left-padded to the length of p. */
  readonly publicKey: Uint8Array;
  /** Z = Y_peer^x mod p, left-padded to the length of p (the caller strips leading zeros where
   *  the protocol says so, RFC 5246 §8.1.2). Throws a TlsError(illegal_parameter) when the
   *  peer's value is not in [2, p-2] (RFC 7919 §5.1; SP 800-56A §5.6.2.3.1). */
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
  /** RSA keys only: the raw RSA decryption c^d mod n (RSA_NO_PADDING), as many bytes as the
   *  modulus; null when `ciphertext` is not that long or not below the modulus (both public
   *  facts). The padding check is the caller's (lib/crypto/rsa-premaster.ts). */
  decryptRaw?(ciphertext: Uint8Array): Uint8Array | null;
}

/** A public key (from a certificate) able to check TLS 1.2 signatures. */
export interface VerifyingKey {
  readonly keyType: 'ec' | 'ed25519' | 'rsa';
  readonly curve?: string;
  readonly schemes: readonly number[];
  /** False for a bad signature or a scheme this key cannot use; never throws. */
  verify(scheme: number, data: Uint8Array, signature: Uint8Array): boolean;
  /** RSA keys only: bytes of the modulus. */
  readonly modulusLength?: number;
  /** RSA keys only: the raw RSA encryption m^e mod n of a modulus-length message below the
   *  modulus (RSA_NO_PADDING; the caller pads, lib/crypto/rsa-premaster.ts). */
  encryptRaw?(message: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  readonly name: string;
  hash(alg: DigestAlgorithm, data: Uint8Array): Uint8Array;
  createHash(alg: HashAlgorithm): IncrementalHash;
  hmac(alg: DigestAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  aead(alg: AeadAlgorithm, key: Uint8Array): Aead;
  cbc(alg: CbcAlgorithm, key: Uint8Array): CbcCipher;
  /** Groups this provider supports, by NamedGroup code. */
  readonly groups: readonly number[];
  generateKeyShare(group: number, random: RandomSource): KeyShare;
  /** An ephemeral finite-field DH key pair in `params` (DHE, DHE_PSK), its private exponent drawn
   *  from `random` (lib/crypto/finite-field-dh.ts: the same draw in every provider). */
  generateDhKeyShare(params: DhParameters, random: RandomSource): DhKeyShare;
  /** Load a private key: PEM (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY",
   *  encrypted PKCS#8 with passphrase) or DER (PKCS#8). */
  loadPrivateKey(key: string | Uint8Array, passphrase?: string): SigningKey;
  /** Public key of a DER certificate. */
  publicKeyFromCertificate(der: Uint8Array): VerifyingKey;
}
