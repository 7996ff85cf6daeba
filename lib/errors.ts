import { AlertDescription, alertName, type AlertName } from './engine/alerts.js';

/**
 * Every failure the stack reports is a TlsError: a stable `code` (node:tls's own code where it
 * has one for the same failure), and the TLS alert that was sent (`alertSent`) or received
 * (`alertReceived`), if any.
 */
export class TlsError extends Error {
  readonly code: string;
  /** Alert description we send to the peer because of this error (fatal). */
  readonly alert: number | undefined;
  /** Set when the error is the peer's fatal alert. */
  alertReceived?: string;
  constructor(code: string, message: string, alert?: AlertName | number) {
    super(message);
    // As node's own errors (an Error with a code); the class is TlsError.
    this.name = 'Error';
    this.code = code;
    this.alert = typeof alert === 'string' ? AlertDescription[alert] : alert;
  }
  get alertName(): string | undefined {
    return this.alert === undefined ? undefined : alertName(this.alert);
  }
}

/** Stable error codes. Where node:tls / OpenSSL has an equivalent, the same string is used. */
export const ErrorCode = {
  /** Malformed message or record from the peer (alert decode_error). */
  DECODE: 'ERR_TLS_DECODE_ERROR',
  /** A message that is not allowed in the current state (alert unexpected_message). */
  UNEXPECTED_MESSAGE: 'ERR_TLS_UNEXPECTED_MESSAGE',
  /** Record failed authentication (alert bad_record_mac). */
  BAD_RECORD_MAC: 'ERR_TLS_BAD_RECORD_MAC',
  RECORD_OVERFLOW: 'ERR_TLS_RECORD_OVERFLOW',
  /** No common cipher suite / group / signature scheme, or handshake parameters refused. */
  HANDSHAKE_FAILURE: 'ERR_TLS_HANDSHAKE_FAILURE',
  ILLEGAL_PARAMETER: 'ERR_TLS_ILLEGAL_PARAMETER',
  /** Finished or signature verification failed (alert decrypt_error). */
  DECRYPT_ERROR: 'ERR_TLS_DECRYPT_ERROR',
  PROTOCOL_VERSION: 'ERR_TLS_PROTOCOL_VERSION',
  NO_APPLICATION_PROTOCOL: 'ERR_TLS_NO_APPLICATION_PROTOCOL',
  /** The peer sent a fatal alert; `alertReceived` names it. */
  ALERT_RECEIVED: 'ERR_TLS_ALERT_RECEIVED',
  /** The transport closed before the handshake completed (node:tls: ECONNRESET-like). */
  SOCKET_CLOSED: 'ECONNRESET',
  HANDSHAKE_TIMEOUT: 'ERR_TLS_HANDSHAKE_TIMEOUT',
  INTERNAL: 'ERR_TLS_INTERNAL_ERROR',
  INVALID_ARG: 'ERR_INVALID_ARG_VALUE',
  /** Renegotiation (issue 3). */
  RENEGOTIATION_REFUSED: 'ERR_TLS_RENEGOTIATION_REFUSED',
  RENEGOTIATION_INFO_MISMATCH: 'ERR_TLS_RENEGOTIATION_INFO_MISMATCH',
  SESSION_ATTACK: 'ERR_TLS_SESSION_ATTACK',
  PEER_IDENTITY_CHANGED: 'ERR_TLS_PEER_IDENTITY_CHANGED',
  /** Certificate verification (node:tls / OpenSSL names). */
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  SELF_SIGNED_CERT_IN_CHAIN: 'SELF_SIGNED_CERT_IN_CHAIN',
  CERT_HAS_EXPIRED: 'CERT_HAS_EXPIRED',
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  CERT_SIGNATURE_FAILURE: 'CERT_SIGNATURE_FAILURE',
  INVALID_CA: 'INVALID_CA',
  INVALID_PURPOSE: 'INVALID_PURPOSE',
  ALTNAME_INVALID: 'ERR_TLS_CERT_ALTNAME_INVALID',
  /** PSK (RFC 4279): the server's pskCallback knows no key for the client's identity (we send
   *  unknown_psk_identity), or the client's pskCallback gave none (we send handshake_failure).
   *  node:tls reports both with this code (measured, node 20 / OpenSSL 3.0). */
  PSK_IDENTITY_NOT_FOUND: 'ERR_SSL_PSK_IDENTITY_NOT_FOUND',
  /** Client certificate required but not sent. */
  PEER_DID_NOT_RETURN_A_CERTIFICATE: 'ERR_TLS_PEER_DID_NOT_RETURN_A_CERTIFICATE',
} as const;
