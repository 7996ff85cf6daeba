// Which handshake messages a side may receive and how long each may be: checked at the message
// header, before any of its body is buffered. The lengths are OpenSSL 3.0's (statem_clnt.c /
// statem_srvr.c *_max_message_size), so a message OpenSSL accepts we accept too.
import { ErrorCode, TlsError } from '../../errors.js';
import { HandshakeType } from '../constants.js';

/** OpenSSL's SSL_MAX_CERT_LIST_DEFAULT: the largest Certificate (and CertificateRequest) body. */
export const DEFAULT_MAX_CERTIFICATE_LIST = 100 * 1024;

/** RFC 5246 §7.4.1.2: the largest possible ClientHello body, 2+32+(1+32)+(2+65534)+(1+255)+(2+65535)
 *  = 131 396 bytes (OpenSSL's CLIENT_HELLO_MAX_LENGTH). */
export const MAX_CLIENT_HELLO = 131_396;

export interface HandshakeLimitOptions {
  /** Largest Certificate / CertificateRequest body (default DEFAULT_MAX_CERTIFICATE_LIST). */
  maxCertificateList?: number;
}

/** Largest body per message type, or undefined for a type that has no limit because it is not a
 *  TLS 1.2 handshake message at all. */
export function maxHandshakeBody(type: number, o: HandshakeLimitOptions = {}): number | undefined {
  const certList = o.maxCertificateList ?? DEFAULT_MAX_CERTIFICATE_LIST;
  switch (type) {
    case HandshakeType.hello_request: return 0; // RFC 5246 §7.4.1.1: empty
    case HandshakeType.client_hello: return MAX_CLIENT_HELLO;
    case HandshakeType.server_hello: return 20_000; // SERVER_HELLO_MAX_LENGTH
    case HandshakeType.hello_verify_request: return 258; // HELLO_VERIFY_REQUEST_MAX_LENGTH
    case HandshakeType.new_session_ticket: return 65_541; // SESSION_TICKET_MAX_LENGTH_TLS12
    case HandshakeType.certificate: return certList;
    case HandshakeType.server_key_exchange: return 102_400; // SERVER_KEY_EXCH_MAX_LENGTH
    case HandshakeType.certificate_request: return certList; // OpenSSL: "for compatibility"
    case HandshakeType.server_hello_done: return 0; // RFC 5246 §7.4.5: empty
    case HandshakeType.certificate_verify: return 16_384; // SSL3_RT_MAX_PLAIN_LENGTH
    case HandshakeType.client_key_exchange: return 2_048; // CLIENT_KEY_EXCH_MAX_LENGTH
    case HandshakeType.finished: return 64; // FINISHED_MAX_LENGTH
    case HandshakeType.certificate_status: return 16_384; // SSL3_RT_MAX_PLAIN_LENGTH
    default: return undefined;
  }
}

const SERVER_RECEIVES = new Set<number>([
  HandshakeType.client_hello, HandshakeType.certificate, HandshakeType.client_key_exchange,
  HandshakeType.certificate_verify, HandshakeType.finished,
]);

const CLIENT_RECEIVES = new Set<number>([
  HandshakeType.hello_request, HandshakeType.server_hello, HandshakeType.hello_verify_request,
  HandshakeType.new_session_ticket, HandshakeType.certificate, HandshakeType.server_key_exchange,
  HandshakeType.certificate_request, HandshakeType.server_hello_done, HandshakeType.finished,
  HandshakeType.certificate_status,
]);

export interface HeaderCheck extends HandshakeLimitOptions {
  /** The side receiving; without it any TLS 1.2 message type passes the type check. */
  role?: 'client' | 'server';
  /** DTLS (hello_verify_request exists only there, RFC 6347 §4.2.1). */
  dtls?: boolean;
  /** Nothing has been received yet on this connection: the first message of the first
   *  handshake is the ClientHello (server) or a ServerHello / HelloVerifyRequest (client;
   *  a HelloRequest is ignored before it, RFC 5246 §7.4.1.1). */
  first?: boolean;
}

/**
 * Checks a handshake message header before anything is buffered for it: first its type (a
 * message this side can never receive now → unexpected_message, RFC 5246 §7.4, as OpenSSL's
 * state transition check), then its length (over the type's limit → illegal_parameter, as
 * OpenSSL's SSL_R_EXCESSIVE_MESSAGE_SIZE; node:tls reports ERR_SSL_EXCESSIVE_MESSAGE_SIZE).
 */
export function checkHandshakeHeader(type: number, length: number, c: HeaderCheck): void {
  const limit = maxHandshakeBody(type, c);
  const receivable = c.role === undefined ? true : (c.role === 'server' ? SERVER_RECEIVES : CLIENT_RECEIVES).has(type);
  const dtlsOnly = type === HandshakeType.hello_verify_request && !c.dtls;
  const firstOk = !c.first || c.role === undefined || (c.role === 'server'
    ? type === HandshakeType.client_hello
    : type === HandshakeType.server_hello || type === HandshakeType.hello_request
      || (c.dtls === true && type === HandshakeType.hello_verify_request));
  if (limit === undefined || !receivable || dtlsOnly || !firstOk) {
    throw new TlsError('ERR_TLS_UNEXPECTED_MESSAGE', `unexpected handshake message type ${type}`, 'unexpected_message');
  }
  if (length > limit) {
    throw new TlsError(
      ErrorCode.EXCESSIVE_MESSAGE_SIZE,
      `handshake message type ${type} of ${length} bytes exceeds the ${limit}-byte limit`,
      'illegal_parameter',
    );
  }
}
