// Which alert to send when a peer's certificate is rejected (RFC 5246 §7.2.2), by failure code.
import type { AlertName } from '../alerts.js';

export function certificateAlert(code: string): AlertName {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'certificate_expired';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'unknown_ca';
    case 'CERT_SIGNATURE_FAILURE':
    case 'INVALID_CA':
      return 'bad_certificate';
    case 'INVALID_PURPOSE':
      return 'unsupported_certificate';
    case 'CERT_REVOKED':
      return 'certificate_revoked';
    default:
      return 'certificate_unknown';
  }
}
