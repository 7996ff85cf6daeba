// Code points of the IANA TLS registries that both the protocol engine and the crypto providers
// speak: named groups (key exchange) and signature schemes.

/** Supported groups (RFC 8422 §5.1.1, RFC 7748). */
export const NamedGroup = {
  secp256r1: 23,
  secp384r1: 24,
  x25519: 29,
} as const;
export type NamedGroupName = keyof typeof NamedGroup;

/** SignatureScheme code points (RFC 8446 §4.2.3, which RFC 8422 / TLS 1.2 also use; in TLS 1.2
 *  the high byte is the HashAlgorithm and the low byte the SignatureAlgorithm, RFC 5246 §7.4.1.4.1). */
export const SignatureScheme = {
  /** {sha224, ecdsa} (TLS 1.2 only). */
  ecdsa_sha224: 0x0303,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  /** In TLS 1.2 {sha512, ecdsa}, with any curve. */
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
} as const;
export type SignatureSchemeName = keyof typeof SignatureScheme;
