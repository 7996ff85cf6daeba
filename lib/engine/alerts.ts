// RFC 5246 §7.2 alert protocol: levels and descriptions (plus RFC 7301 no_application_protocol).
export const AlertLevel = { warning: 1, fatal: 2 } as const;

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  unsupported_extension: 110,
  unrecognized_name: 112,
  unknown_psk_identity: 115,
  no_application_protocol: 120,
} as const;

export type AlertName = keyof typeof AlertDescription;

const namesByCode = new Map<number, AlertName>(
  (Object.entries(AlertDescription) as [AlertName, number][]).map(([n, c]) => [c, n]),
);

/** The RFC name of an alert description code, or `unknown_alert_<n>`. */
export function alertName(code: number): string {
  return namesByCode.get(code) ?? `unknown_alert_${code}`;
}

/**
 * Warning alerts accepted in a row (CVE-2016-8610, "SSL Death Alert"): the next one ends the
 * connection with unexpected_message. Any non-empty record of another type resets the count.
 * OpenSSL's MAX_WARN_ALERT_COUNT is 5: its fifth warning in a row is fatal, as ours is.
 */
export const DEFAULT_MAX_WARNING_ALERTS_IN_ROW = 4;
