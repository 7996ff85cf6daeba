// The verification failures node:tls reports (OpenSSL X509_V_ERR_*), as [code, message] pairs.

import { ErrorCode } from '../errors.js';

/** X509_V_ERR_* as node reports them: `code` from node's X509ErrorCode() ('UNSPECIFIED' for the
 *  ones node has no name for), `message` from X509_verify_cert_error_string(). */
export const V = {
  UNABLE_TO_GET_ISSUER_CERT: ['UNABLE_TO_GET_ISSUER_CERT', 'unable to get issuer certificate'],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [ErrorCode.UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 'unable to get local issuer certificate'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [ErrorCode.UNABLE_TO_VERIFY_LEAF_SIGNATURE, 'unable to verify the first certificate'],
  DEPTH_ZERO_SELF_SIGNED_CERT: [ErrorCode.DEPTH_ZERO_SELF_SIGNED_CERT, 'self-signed certificate'],
  SELF_SIGNED_CERT_IN_CHAIN: [ErrorCode.SELF_SIGNED_CERT_IN_CHAIN, 'self-signed certificate in certificate chain'],
  CERT_HAS_EXPIRED: [ErrorCode.CERT_HAS_EXPIRED, 'certificate has expired'],
  CERT_NOT_YET_VALID: [ErrorCode.CERT_NOT_YET_VALID, 'certificate is not yet valid'],
  CERT_SIGNATURE_FAILURE: [ErrorCode.CERT_SIGNATURE_FAILURE, 'certificate signature failure'],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: ['UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'unable to decode issuer public key'],
  INVALID_CA: [ErrorCode.INVALID_CA, 'invalid CA certificate'],
  INVALID_PURPOSE: [ErrorCode.INVALID_PURPOSE, 'unsuitable certificate purpose'],
  PATH_LENGTH_EXCEEDED: ['PATH_LENGTH_EXCEEDED', 'path length constraint exceeded'],
  CERT_CHAIN_TOO_LONG: ['CERT_CHAIN_TOO_LONG', 'certificate chain too long'],
  UNHANDLED_CRITICAL_EXTENSION: ['UNSPECIFIED', 'unhandled critical extension'],
  KEY_USAGE_NO_CERTSIGN: ['UNSPECIFIED', 'key usage does not include certificate signing'],
  UNABLE_TO_GET_CRL: ['UNABLE_TO_GET_CRL', 'unable to get certificate CRL'],
  CRL_SIGNATURE_FAILURE: ['CRL_SIGNATURE_FAILURE', 'CRL signature failure'],
  CRL_NOT_YET_VALID: ['CRL_NOT_YET_VALID', 'CRL is not yet valid'],
  CRL_HAS_EXPIRED: ['CRL_HAS_EXPIRED', 'CRL has expired'],
  ERROR_IN_CRL_LAST_UPDATE_FIELD: ['ERROR_IN_CRL_LAST_UPDATE_FIELD', "format error in CRL's lastUpdate field"],
  ERROR_IN_CRL_NEXT_UPDATE_FIELD: ['ERROR_IN_CRL_NEXT_UPDATE_FIELD', "format error in CRL's nextUpdate field"],
  CERT_REVOKED: ['CERT_REVOKED', 'certificate revoked'],
  KEYUSAGE_NO_CRL_SIGN: ['UNSPECIFIED', 'key usage does not include CRL signing'],
  DIFFERENT_CRL_SCOPE: ['UNSPECIFIED', 'Different CRL scope'],
  UNHANDLED_CRITICAL_CRL_EXTENSION: ['UNSPECIFIED', 'unhandled critical CRL extension'],
  PERMITTED_VIOLATION: ['UNSPECIFIED', 'permitted subtree violation'],
  EXCLUDED_VIOLATION: ['UNSPECIFIED', 'excluded subtree violation'],
  SUBTREE_MINMAX: ['UNSPECIFIED', 'name constraints minimum and maximum not supported'],
  UNSUPPORTED_CONSTRAINT_TYPE: ['UNSPECIFIED', 'unsupported name constraint type'],
  UNSUPPORTED_NAME_SYNTAX: ['UNSPECIFIED', 'unsupported or invalid name syntax'],
  UNSPECIFIED: ['UNSPECIFIED', 'unspecified certificate verification error'],
  NO_EXPLICIT_POLICY: ['UNSPECIFIED', 'no explicit policy'],
  INVALID_POLICY_EXTENSION: ['UNSPECIFIED', 'invalid or inconsistent certificate policy extension'],
} as const satisfies Record<string, readonly [string, string]>;

export type VerifyError = (typeof V)[keyof typeof V];
