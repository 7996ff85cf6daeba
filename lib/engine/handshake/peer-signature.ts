// A peer's signature (ServerKeyExchange, CertificateVerify) checked against its certificate key.
import type { VerifyingKey } from '../../crypto/provider.js';
import { TlsError, ErrorCode } from '../../errors.js';

/**
 * RFC 5246 §7.4.1.4.1, §7.4.3, §7.4.8: the SignatureAndHashAlgorithm names the key's signature
 * algorithm; a scheme the certificate's key cannot make (rsa_pss_* with an EC key) is a wrong
 * parameter, not a bad signature: illegal_parameter (as OpenSSL, SSL_R_WRONG_SIGNATURE_TYPE).
 */
export function checkSchemeFitsKey(key: VerifyingKey, scheme: number, what: string): void {
  if (!key.schemes.includes(scheme)) {
    throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `${what} scheme 0x${scheme.toString(16)} does not fit the certificate's ${key.keyType} key`, 'illegal_parameter');
  }
}
