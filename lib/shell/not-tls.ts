// The first record header from the peer, checked as OpenSSL checks it (ssl3_get_record, for the
// first record only): bytes whose version major is not 3 are not TLS at all, so the connection
// ends with an error and no alert (OpenSSL's SSL_AD_NO_ALERT), which node:tls reports as
// ERR_SSL_HTTP_REQUEST, ERR_SSL_HTTPS_PROXY_REQUEST or ERR_SSL_WRONG_VERSION_NUMBER. Later
// records (and a version-3 first record) are the engine's to judge.
import { TlsError } from '../errors.js';

/** RFC 5246 §6.2.1: ContentType (1) + ProtocolVersion (2) + length (2). */
export const RECORD_HEADER_LENGTH = 5;

/** The error for a first record that is not TLS, or undefined. `b`: at least the header. */
export function notTlsError(b: Uint8Array, isServer: boolean): TlsError | undefined {
  // An SSLv2-format ClientHello (RFC 5246 Appendix E.2) has no version there: the engine
  // refuses it with an alert, as OpenSSL (which parses it) would refuse its version.
  if (isServer && (b[0]! & 0x80) !== 0 && b[2] === 1) return undefined;
  if (b[1] === 3) return undefined;
  const text = Buffer.from(b.subarray(0, RECORD_HEADER_LENGTH)).toString('latin1');
  // OpenSSL's reason strings are the messages (node:tls's message ends with them).
  if (/^(GET |POST |HEAD |PUT )/.test(text)) return new TlsError('ERR_SSL_HTTP_REQUEST', 'http request');
  if (text.startsWith('CONNE')) return new TlsError('ERR_SSL_HTTPS_PROXY_REQUEST', 'https proxy request');
  return new TlsError('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number');
}
