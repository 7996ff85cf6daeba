// Pre-shared keys in TLS 1.2 (RFC 4279 §2 PSK, RFC 5489 §2 ECDHE_PSK): the premaster secret,
// and what the protocol makes of the application's PSK callbacks (no key, an empty key, an
// identity over OpenSSL 3.0's PSK_MAX_IDENTITY_LEN of 256 bytes).
import { TlsError, ErrorCode } from '../../errors.js';
import type { PskConfig } from '../config.js';
import { secretBytes } from '../../crypto/secret-bytes.js';

/** OpenSSL 3.0 PSK_MAX_IDENTITY_LEN: longest identity (and hint) accepted, in bytes. */
export const PSK_MAX_IDENTITY_LENGTH = 256;
/** OpenSSL 3.0 PSK_MAX_PSK_LEN: longest key, in bytes. */
export const PSK_MAX_KEY_LENGTH = 512;
/** RFC 4279 §6: alert unknown_psk_identity. */
export const UNKNOWN_PSK_IDENTITY_ALERT = 115;

/**
 * RFC 4279 §2: premaster = uint16 len(other_secret) + other_secret + uint16 len(psk) + psk, where
 * other_secret is N zero bytes for plain PSK (N = len(psk)) and the ECDH shared secret for
 * ECDHE_PSK (RFC 5489 §2).
 */
export function pskPremaster(psk: Uint8Array, otherSecret?: Uint8Array): Uint8Array {
  const other = otherSecret ?? new Uint8Array(psk.length);
  const out = new Uint8Array(4 + other.length + psk.length);
  out[0] = other.length >>> 8;
  out[1] = other.length & 0xff;
  out.set(other, 2);
  out[2 + other.length] = psk.length >>> 8;
  out[3 + other.length] = psk.length & 0xff;
  out.set(psk, 4 + other.length);
  return secretBytes(out);
}

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** RFC 4279 §5.1: identities and hints are UTF-8 on the wire. */
export function pskString(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

function invalidArgValue(name: string, message: string): TlsError {
  return new TlsError(ErrorCode.INVALID_ARG, `The argument '${name}' ${message}`, 'internal_error');
}

function notFound(message: string, alert: 'handshake_failure' | typeof UNKNOWN_PSK_IDENTITY_ALERT): TlsError {
  return new TlsError(ErrorCode.PSK_IDENTITY_NOT_FOUND, message, alert);
}

/**
 * Client: ask the application for the key and identity for `hint` (RFC 4279 §2: the hint helps
 * the client choose). As node:tls: null/undefined or an empty key aborts the handshake
 * (ERR_SSL_PSK_IDENTITY_NOT_FOUND; OpenSSL then sends handshake_failure). (The shell checks the
 * answer's types and lengths as node:tls does, lib/shell/callback-results.ts.)
 */
export function clientPsk(cb: NonNullable<PskConfig['client']>, hint: string | null): { psk: Uint8Array; identity: Uint8Array; identityString: string } {
  const answer = cb(hint);
  if (answer === null || answer === undefined) throw notFound('psk identity not found (pskCallback returned no key)', 'handshake_failure');
  // OpenSSL treats a zero-length key as "no key" (measured through node:tls).
  if (answer.psk.length === 0) throw notFound('psk identity not found (pskCallback returned an empty key)', 'handshake_failure');
  return { psk: secretBytes(answer.psk, true), identity: utf8Encoder.encode(answer.identity), identityString: answer.identity };
}

/**
 * Server: the key for the client's identity. As OpenSSL 3.0 (measured against s_server): an
 * identity over PSK_MAX_IDENTITY_LEN is refused with decode_error before the callback; no
 * key (null/undefined/empty) → unknown_psk_identity (RFC 4279 §2 allows it, and node:tls
 * servers send it: measured). (The shell checks the answer's type and length as node:tls
 * does, lib/shell/callback-results.ts.)
 */
export function serverPsk(cb: NonNullable<PskConfig['server']>, identity: Uint8Array): Uint8Array {
  if (identity.length > PSK_MAX_IDENTITY_LENGTH) {
    throw new TlsError(ErrorCode.DECODE, `PSK identity of ${identity.length} bytes is over ${PSK_MAX_IDENTITY_LENGTH}`, 'decode_error');
  }
  const answer = cb(pskString(identity));
  if (answer === null || answer === undefined) {
    throw notFound('psk identity not found (pskCallback returned no key)', UNKNOWN_PSK_IDENTITY_ALERT);
  }
  const psk = answer instanceof Uint8Array ? answer : answer.psk;
  if (psk.length === 0) throw notFound('psk identity not found (pskCallback returned an empty key)', UNKNOWN_PSK_IDENTITY_ALERT);
  return secretBytes(psk, true);
}

/** pskIdentityHint as sent (UTF-8), checked against OpenSSL's limit. */
export function encodeIdentityHint(hint: string): Uint8Array {
  const bytes = utf8Encoder.encode(hint);
  if (bytes.length > PSK_MAX_IDENTITY_LENGTH) throw invalidArgValue('pskIdentityHint', `exceeds ${PSK_MAX_IDENTITY_LENGTH} bytes`);
  return bytes;
}
