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
  /** More warning alerts in a row than the limit (CVE-2016-8610; alert unexpected_message);
   *  node:tls's code for OpenSSL's SSL_R_TOO_MANY_WARN_ALERTS. */
  TOO_MANY_WARN_ALERTS: 'ERR_SSL_TOO_MANY_WARN_ALERTS',
  EXCESSIVE_MESSAGE_SIZE: 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE',
  /** node:tls's code for OpenSSL's SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS. */
  NO_SHARED_SIGNATURE_ALGORITHMS: 'ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS',
  /** Finished or signature verification failed (alert decrypt_error). */
  DECRYPT_ERROR: 'ERR_TLS_DECRYPT_ERROR',
  PROTOCOL_VERSION: 'ERR_TLS_PROTOCOL_VERSION',
  /** node:tls's code for OpenSSL's SSL_R_NO_APPLICATION_PROTOCOL (server: ALPN refused). */
  NO_APPLICATION_PROTOCOL: 'ERR_SSL_NO_APPLICATION_PROTOCOL',
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

/**
 * OpenSSL's reason for each alert received (ssl/ssl_err.c, SSL_R_SSLV3_ALERT_* /
 * SSL_R_TLSV1_ALERT_* ...), which node:tls turns into the error's code (`ERR_SSL_` + the reason
 * in capitals) and ends its message with. Measured with node 20 / OpenSSL 3.0 receiving each
 * alert (spec/parity/api.spec.ts). An alert that is not here has no OpenSSL reason.
 */
const OPENSSL_ALERT_REASONS: Readonly<Record<number, string>> = {
  10: 'sslv3 alert unexpected message',
  20: 'sslv3 alert bad record mac',
  21: 'tlsv1 alert decryption failed',
  22: 'tlsv1 alert record overflow',
  30: 'sslv3 alert decompression failure',
  40: 'sslv3 alert handshake failure',
  41: 'sslv3 alert no certificate',
  42: 'sslv3 alert bad certificate',
  43: 'sslv3 alert unsupported certificate',
  44: 'sslv3 alert certificate revoked',
  45: 'sslv3 alert certificate expired',
  46: 'sslv3 alert certificate unknown',
  47: 'sslv3 alert illegal parameter',
  48: 'tlsv1 alert unknown ca',
  49: 'tlsv1 alert access denied',
  50: 'tlsv1 alert decode error',
  51: 'tlsv1 alert decrypt error',
  60: 'tlsv1 alert export restriction',
  70: 'tlsv1 alert protocol version',
  71: 'tlsv1 alert insufficient security',
  80: 'tlsv1 alert internal error',
  86: 'tlsv1 alert inappropriate fallback',
  90: 'tlsv1 alert user cancelled',
  100: 'tlsv1 alert no renegotiation',
  110: 'tlsv1 unsupported extension',
  111: 'tlsv1 certificate unobtainable',
  112: 'tlsv1 unrecognized name',
  113: 'tlsv1 bad certificate status response',
  114: 'tlsv1 bad certificate hash value',
  115: 'tlsv1 alert unknown psk identity',
  116: 'tlsv13 alert certificate required',
  120: 'tlsv1 alert no application protocol',
};

/**
 * The error for a fatal alert received, as node:tls reports it: code
 * `ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE` (etc.), message OpenSSL's reason; `alertReceived`
 * names the alert. An alert OpenSSL has no reason for keeps ERR_TLS_ALERT_RECEIVED.
 */
export function alertReceivedError(err: TlsError): TlsError {
  if (err.code !== ErrorCode.ALERT_RECEIVED || err.alertReceived === undefined) return err;
  // alertName() spells descriptions it has no name for "unknown_alert_<n>".
  const desc = AlertDescription[err.alertReceived as AlertName] ?? Number(/^unknown_alert_(\d+)$/.exec(err.alertReceived)?.[1]);
  const reason = desc === undefined ? undefined : OPENSSL_ALERT_REASONS[desc];
  if (reason === undefined) return err;
  const named = new TlsError(`ERR_SSL_${reason.toUpperCase().replace(/ /g, '_')}`, reason);
  named.alertReceived = err.alertReceived;
  return named;
}

/** How node's ERR_INVALID_ARG_TYPE describes the value it got (internal/errors.js
 *  determineSpecificType). */
function receivedValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? 'type number (-0)' : `type number (${String(value)})`;
    case 'bigint':
      return `type bigint (${String(value)}n)`;
    case 'boolean':
    case 'symbol':
      return `type ${typeof value} (${String(value)})`;
    case 'function':
      return `function ${(value as { name: string }).name}`;
    case 'string': {
      const s = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return `type string (${s.includes("'") ? JSON.stringify(s) : `'${s}'`})`;
    }
    default: {
      const ctor = (value as { constructor?: { name?: string } }).constructor;
      return ctor?.name ? `an instance of ${ctor.name}` : 'an object';
    }
  }
}

/** node's ERR_INVALID_ARG_TYPE: `The "<name>" argument (or property) must be <expected>.
 *  Received <value>`, a TypeError. */
export function invalidArgType(name: string, expected: string, value: unknown, what: 'argument' | 'property' = 'argument'): TypeError {
  return Object.assign(new TypeError(`The "${name}" ${what} must be ${expected}. Received ${receivedValue(value)}`), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** node's ERR_OUT_OF_RANGE, a RangeError. */
export function outOfRange(name: string, range: string, value: unknown): RangeError {
  return Object.assign(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`), { code: 'ERR_OUT_OF_RANGE' });
}
