// Handshake message codec (RFC 5246 §7.4, RFC 6347 §4.2, RFC 5077 §3.3, RFC 8422 §5.4/§5.7,
// RFC 4279 §2 / RFC 5489 §2 for the PSK key exchange messages):
// body encode/decode for every message in message-types.ts, the TLS 4-byte and DTLS 12-byte
// handshake headers, and the TLS handshake-message reassembler (RFC 5246 §6.2.1: handshake
// messages may be coalesced into one record or fragmented across several).
//
// Decoding: malformed bodies (overruns, lengths outside the RFC vector bounds, trailing bytes,
// duplicate extensions) → TlsError(ErrorCode.DECODE, ..., 'decode_error'); unknown handshake
// types → TlsError(ErrorCode.UNEXPECTED_MESSAGE, ..., 'unexpected_message'). Decoded byte
// fields are views of the body passed in (no copies).
// Encoding a message the wire cannot carry → TlsError(ErrorCode.INTERNAL).
import { TlsError, ErrorCode } from '../../errors.js';
import { EC_CURVE_TYPE_NAMED, HandshakeType } from '../constants.js';
import { ByteReader, ByteWriter } from '../wire.js';
import type {
  CertificateMsg,
  CertificateStatus,
  CertificateRequest,
  CertificateVerify,
  ClientHello,
  ClientKeyExchange,
  Extension,
  HandshakeMessage,
  HelloVerifyRequest,
  NewSessionTicket,
  PskClientKeyExchange,
  PskServerKeyExchange,
  ReceivedHandshakeMessage,
  ServerHello,
  ServerKeyExchange,
} from './message-types.js';
import type { KeyExchangeKind } from '../cipher-suites.js';
import { tlsHandshakeMessage } from '../record/framing.js';

/** RFC 5246 §7.4.1.2 Random: 32 bytes. */
const RANDOM_LENGTH = 32;
/** RFC 5246 §7.4.1.2 SessionID session_id<0..32>. */
const MAX_SESSION_ID = 32;

function encodeError(what: string): TlsError {
  return new TlsError(ErrorCode.INTERNAL, `cannot encode ${what}`, 'internal_error');
}

function decodeError(what: string): TlsError {
  return new TlsError(ErrorCode.DECODE, what, 'decode_error');
}

function check(ok: boolean, what: string): void {
  if (!ok) throw encodeError(what);
}

// --- extensions block: RFC 5246 §7.4.1.2 / §7.4.1.4 ---------------------------------------

/**
 * Extension extensions<0..2^16-1>, present only when there is at least one extension (the
 * block is optional on the wire, RFC 5246 §7.4.1.2).
 */
function writeExtensions(w: ByteWriter, exts: readonly Extension[]): void {
  if (exts.length === 0) return;
  w.startVec(2);
  for (const e of exts) w.u16(e.type).opaque16(e.data);
  w.endVec();
}

/**
 * The optional extensions block at the end of a hello: absent → []. "There MUST NOT be more
 * than one extension of the same type" (RFC 5246 §7.4.1.4) → decode_error.
 */
function readExtensions(r: ByteReader, what: string): Extension[] {
  if (r.remaining === 0) return [];
  const block = new ByteReader(r.vec16(`${what} extensions`));
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16(`${what} extension type`);
    const data = block.vec16(`${what} extension_data`);
    if (seen.has(type)) throw decodeError(`${what}: duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

function writeRandomAndSession(w: ByteWriter, random: Uint8Array, sessionId: Uint8Array): void {
  check(random.length === RANDOM_LENGTH, 'random (must be 32 bytes)');
  check(sessionId.length <= MAX_SESSION_ID, 'session_id (over 32 bytes)');
  w.bytes(random).opaque8(sessionId);
}

// --- ClientHello: RFC 5246 §7.4.1.2, RFC 6347 §4.2.1 --------------------------------------

function encodeClientHello(w: ByteWriter, m: ClientHello, dtls: boolean): void {
  w.u16(m.version);
  writeRandomAndSession(w, m.random, m.sessionId);
  if (dtls) {
    // RFC 6347 §4.2.1: opaque cookie<0..2^8-1> follows session_id.
    w.opaque8(m.cookie ?? new Uint8Array(0));
  } else {
    check(m.cookie === undefined, 'ClientHello cookie in TLS mode');
  }
  // cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>
  check(m.cipherSuites.length > 0, 'ClientHello without cipher suites');
  check(m.compressionMethods.length > 0 && m.compressionMethods.length <= 0xff, 'ClientHello compression_methods');
  w.vec16OfU16(m.cipherSuites);
  w.u8(m.compressionMethods.length);
  for (const c of m.compressionMethods) w.u8(c);
  writeExtensions(w, m.extensions);
}

function decodeClientHello(r: ByteReader, dtls: boolean): ClientHello {
  const version = r.u16('ClientHello client_version');
  const random = r.bytes(RANDOM_LENGTH, 'ClientHello random');
  const sessionId = r.vec8('ClientHello session_id', 0, MAX_SESSION_ID);
  const cookie = dtls ? r.vec8('ClientHello cookie') : undefined;
  const cipherSuites = r.vec16OfU16('ClientHello cipher_suites', 2, 0xfffe);
  const compressionMethods = Array.from(r.vec8('ClientHello compression_methods', 1));
  const extensions = readExtensions(r, 'ClientHello');
  r.expectEnd('ClientHello');
  const m: ClientHello = { type: 'client_hello', version, random, sessionId, cipherSuites, compressionMethods, extensions };
  if (cookie !== undefined) m.cookie = cookie;
  return m;
}

// --- ServerHello: RFC 5246 §7.4.1.3 -------------------------------------------------------

function encodeServerHello(w: ByteWriter, m: ServerHello): void {
  w.u16(m.version);
  writeRandomAndSession(w, m.random, m.sessionId);
  w.u16(m.cipherSuite).u8(m.compressionMethod);
  writeExtensions(w, m.extensions);
}

function decodeServerHello(r: ByteReader): ServerHello {
  const version = r.u16('ServerHello server_version');
  const random = r.bytes(RANDOM_LENGTH, 'ServerHello random');
  const sessionId = r.vec8('ServerHello session_id', 0, MAX_SESSION_ID);
  const cipherSuite = r.u16('ServerHello cipher_suite');
  const compressionMethod = r.u8('ServerHello compression_method');
  const extensions = readExtensions(r, 'ServerHello');
  r.expectEnd('ServerHello');
  return { type: 'server_hello', version, random, sessionId, cipherSuite, compressionMethod, extensions };
}

// --- HelloVerifyRequest: RFC 6347 §4.2.1 (DTLS only) --------------------------------------

function encodeHelloVerifyRequest(w: ByteWriter, m: HelloVerifyRequest): void {
  w.u16(m.version).opaque8(m.cookie);
}

function decodeHelloVerifyRequest(r: ByteReader): HelloVerifyRequest {
  const version = r.u16('HelloVerifyRequest server_version');
  const cookie = r.vec8('HelloVerifyRequest cookie');
  r.expectEnd('HelloVerifyRequest');
  return { type: 'hello_verify_request', version, cookie };
}

// --- NewSessionTicket: RFC 5077 §3.3 ------------------------------------------------------

function encodeNewSessionTicket(w: ByteWriter, m: NewSessionTicket): void {
  w.u32(m.lifetimeHint).opaque16(m.ticket);
}

function decodeNewSessionTicket(r: ByteReader): NewSessionTicket {
  const lifetimeHint = r.u32('NewSessionTicket ticket_lifetime_hint');
  const ticket = r.vec16('NewSessionTicket ticket');
  r.expectEnd('NewSessionTicket');
  return { type: 'new_session_ticket', lifetimeHint, ticket };
}

// --- Certificate: RFC 5246 §7.4.2 ---------------------------------------------------------

function encodeCertificate(w: ByteWriter, m: CertificateMsg): void {
  // ASN.1Cert certificate_list<0..2^24-1>; opaque ASN.1Cert<1..2^24-1>
  w.startVec(3);
  for (const c of m.certificates) {
    check(c.length > 0, 'empty certificate');
    w.opaque24(c);
  }
  w.endVec();
}

function decodeCertificate(r: ByteReader): CertificateMsg {
  const list = new ByteReader(r.vec24('Certificate certificate_list'));
  r.expectEnd('Certificate');
  const certificates: Uint8Array[] = [];
  while (list.remaining > 0) certificates.push(list.vec24('Certificate ASN.1Cert', 1));
  return { type: 'certificate', certificates };
}

// --- CertificateStatus: RFC 6066 §8 ----------------------------------------------------------

/** RFC 6066 §8: CertificateStatusType ocsp(1), the only type defined. */
const STATUS_TYPE_OCSP = 1;

function encodeCertificateStatus(w: ByteWriter, m: CertificateStatus): void {
  check(m.response.length > 0, 'empty OCSP response');
  w.u8(STATUS_TYPE_OCSP).opaque24(m.response);
}

function decodeCertificateStatus(r: ByteReader): CertificateStatus {
  const statusType = r.u8('CertificateStatus status_type');
  if (statusType !== STATUS_TYPE_OCSP) {
    throw new TlsError(ErrorCode.DECODE, `CertificateStatus with unknown status_type ${statusType}`, 'decode_error');
  }
  const response = r.vec24('CertificateStatus OCSPResponse', 1);
  r.expectEnd('CertificateStatus');
  return { type: 'certificate_status', response };
}

// --- ServerKeyExchange (ECDHE, signed): RFC 8422 §5.4, RFC 5246 §4.7 ----------------------

/**
 * ServerECDHParams (RFC 8422 §5.4): ECParameters { curve_type = named_curve (3), namedcurve }
 * followed by ECPoint public (opaque point<1..2^8-1>). These bytes, preceded by
 * client_random + server_random, are what the ServerKeyExchange signature covers.
 */
export function encodeEcdheParams(group: number, publicKey: Uint8Array): Uint8Array {
  const w = new ByteWriter(4 + publicKey.length);
  writeEcdheParams(w, group, publicKey);
  return w.finish();
}

function writeEcdheParams(w: ByteWriter, group: number, publicKey: Uint8Array): void {
  check(publicKey.length > 0, 'empty ECDH public key');
  w.u8(EC_CURVE_TYPE_NAMED).u16(group).opaque8(publicKey);
}

function encodeServerKeyExchange(w: ByteWriter, m: ServerKeyExchange | PskServerKeyExchange): void {
  if ('pskIdentityHint' in m) {
    // RFC 4279 §2 ServerPSKParams / RFC 5489 §2 ServerECDHEPSKParams (no signature).
    w.opaque16(m.pskIdentityHint);
    if (m.ecdhe) writeEcdheParams(w, m.ecdhe.group, m.ecdhe.publicKey);
    return;
  }
  writeEcdheParams(w, m.group, m.publicKey);
  // digitally-signed struct (RFC 5246 §4.7): SignatureAndHashAlgorithm + opaque<0..2^16-1>
  w.u16(m.scheme).opaque16(m.signature);
}

function readEcdheParams(r: ByteReader): { group: number; publicKey: Uint8Array } {
  const curveType = r.u8('ServerKeyExchange curve_type');
  const group = r.u16('ServerKeyExchange namedcurve');
  if (curveType !== EC_CURVE_TYPE_NAMED) {
    // RFC 8422 §5.4: explicit_prime / explicit_char2 are deprecated; only named_curve is valid.
    throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `ServerKeyExchange curve_type ${curveType}`, 'illegal_parameter');
  }
  const publicKey = r.vec8('ServerKeyExchange ECPoint', 1);
  return { group, publicKey };
}

function decodeEcdheServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const r = new ByteReader(body);
  const { group, publicKey } = readEcdheParams(r);
  const scheme = r.u16('ServerKeyExchange SignatureAndHashAlgorithm');
  const signature = r.vec16('ServerKeyExchange signature');
  r.expectEnd('ServerKeyExchange');
  return { type: 'server_key_exchange', group, publicKey, scheme, signature };
}

function decodePskServerKeyExchange(body: Uint8Array, withEcdhe: boolean): PskServerKeyExchange {
  const r = new ByteReader(body);
  const pskIdentityHint = r.vec16('ServerKeyExchange psk_identity_hint');
  const ecdhe = withEcdhe ? readEcdheParams(r) : undefined;
  r.expectEnd('ServerKeyExchange');
  return ecdhe ? { type: 'server_key_exchange', pskIdentityHint, ecdhe } : { type: 'server_key_exchange', pskIdentityHint };
}

/** A ServerKeyExchange body read as the key exchange `kx` defines it (the handshake knows it). */
export function decodeServerKeyExchangeFor(kx: KeyExchangeKind, body: Uint8Array): ServerKeyExchange | PskServerKeyExchange {
  return kx === 'ECDHE' ? decodeEcdheServerKeyExchange(body) : decodePskServerKeyExchange(body, kx === 'ECDHE_PSK');
}


// --- CertificateRequest: RFC 5246 §7.4.4 --------------------------------------------------

function encodeCertificateRequest(w: ByteWriter, m: CertificateRequest): void {
  // ClientCertificateType certificate_types<1..2^8-1>
  check(m.certificateTypes.length > 0 && m.certificateTypes.length <= 0xff, 'CertificateRequest certificate_types');
  w.u8(m.certificateTypes.length);
  for (const t of m.certificateTypes) w.u8(t);
  // SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>
  check(m.signatureSchemes.length > 0, 'CertificateRequest without signature algorithms');
  w.vec16OfU16(m.signatureSchemes);
  // DistinguishedName certificate_authorities<0..2^16-1>; opaque DistinguishedName<1..2^16-1>
  w.startVec(2);
  for (const dn of m.certificateAuthorities) {
    check(dn.length > 0, 'empty DistinguishedName');
    w.opaque16(dn);
  }
  w.endVec();
}

function decodeCertificateRequest(r: ByteReader): CertificateRequest {
  const certificateTypes = Array.from(r.vec8('CertificateRequest certificate_types', 1));
  const signatureSchemes = r.vec16OfU16('CertificateRequest supported_signature_algorithms', 2, 0xfffe);
  const cas = new ByteReader(r.vec16('CertificateRequest certificate_authorities'));
  r.expectEnd('CertificateRequest');
  const certificateAuthorities: Uint8Array[] = [];
  while (cas.remaining > 0) certificateAuthorities.push(cas.vec16('CertificateRequest DistinguishedName', 1));
  return { type: 'certificate_request', certificateTypes, signatureSchemes, certificateAuthorities };
}

// --- CertificateVerify: RFC 5246 §7.4.8 ---------------------------------------------------

function encodeCertificateVerify(w: ByteWriter, m: CertificateVerify): void {
  w.u16(m.scheme).opaque16(m.signature);
}

function decodeCertificateVerify(r: ByteReader): CertificateVerify {
  const scheme = r.u16('CertificateVerify SignatureAndHashAlgorithm');
  const signature = r.vec16('CertificateVerify signature');
  r.expectEnd('CertificateVerify');
  return { type: 'certificate_verify', scheme, signature };
}

// --- ClientKeyExchange (ECDHE, explicit): RFC 8422 §5.7 -----------------------------------

function encodeClientKeyExchange(w: ByteWriter, m: ClientKeyExchange | PskClientKeyExchange): void {
  // RFC 4279 §2 / RFC 5489 §2: psk_identity first.
  if ('pskIdentity' in m) w.opaque16(m.pskIdentity);
  if (m.publicKey === undefined) return;
  // ClientECDiffieHellmanPublic: ECPoint ecdh_Yc, opaque point<1..2^8-1>
  check(m.publicKey.length > 0, 'empty ECDH public key');
  w.opaque8(m.publicKey);
}

function decodeEcdheClientKeyExchange(body: Uint8Array): ClientKeyExchange {
  const r = new ByteReader(body);
  const publicKey = r.vec8('ClientKeyExchange ecdh_Yc', 1);
  r.expectEnd('ClientKeyExchange');
  return { type: 'client_key_exchange', publicKey };
}

function decodePskClientKeyExchange(body: Uint8Array, withEcdhe: boolean): PskClientKeyExchange {
  const r = new ByteReader(body);
  const pskIdentity = r.vec16('ClientKeyExchange psk_identity');
  const publicKey = withEcdhe ? r.vec8('ClientKeyExchange ecdh_Yc', 1) : undefined;
  r.expectEnd('ClientKeyExchange');
  return publicKey ? { type: 'client_key_exchange', pskIdentity, publicKey } : { type: 'client_key_exchange', pskIdentity };
}

/** A ClientKeyExchange body read as the key exchange `kx` defines it (the handshake knows it). */
export function decodeClientKeyExchangeFor(kx: KeyExchangeKind, body: Uint8Array): ClientKeyExchange | PskClientKeyExchange {
  return kx === 'ECDHE' ? decodeEcdheClientKeyExchange(body) : decodePskClientKeyExchange(body, kx === 'ECDHE_PSK');
}


// --- body dispatch ------------------------------------------------------------------------

/**
 * Encodes a handshake message body (without header). `dtls` selects the DTLS 1.2 variants
 * (RFC 6347 §4.2.1: ClientHello cookie; HelloVerifyRequest exists only in DTLS).
 */
export function encodeBody(msg: HandshakeMessage, dtls: boolean): Uint8Array {
  switch (msg.type) {
    // RFC 5246 §7.4.1.1 HelloRequest, §7.4.5 ServerHelloDone: empty bodies.
    case 'hello_request':
    case 'server_hello_done':
      return new Uint8Array(0);
    // RFC 5246 §7.4.9: the body is verify_data.
    case 'finished':
      return msg.verifyData.slice();
    default:
      break;
  }
  const w = new ByteWriter(256);
  switch (msg.type) {
    case 'client_hello':
      encodeClientHello(w, msg, dtls);
      break;
    case 'server_hello':
      encodeServerHello(w, msg);
      break;
    case 'hello_verify_request':
      check(dtls, 'HelloVerifyRequest outside DTLS');
      encodeHelloVerifyRequest(w, msg);
      break;
    case 'new_session_ticket':
      encodeNewSessionTicket(w, msg);
      break;
    case 'certificate':
      encodeCertificate(w, msg);
      break;
    case 'server_key_exchange':
      if ('body' in msg) w.bytes(msg.body);
      else encodeServerKeyExchange(w, msg);
      break;
    case 'certificate_request':
      encodeCertificateRequest(w, msg);
      break;
    case 'certificate_verify':
      encodeCertificateVerify(w, msg);
      break;
    case 'client_key_exchange':
      if ('body' in msg) w.bytes(msg.body);
      else encodeClientKeyExchange(w, msg);
      break;
    case 'certificate_status':
      encodeCertificateStatus(w, msg);
      break;
    default: {
      const never: never = msg;
      throw encodeError(`unknown message ${(never as { type: string }).type}`);
    }
  }
  const body = w.finish();
  check(body.length <= 0xffffff, 'handshake body over 2^24-1 bytes');
  return body;
}

function unexpected(type: number): TlsError {
  return new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unknown handshake type ${type}`, 'unexpected_message');
}

/**
 * Decodes a handshake body of wire type `type` (RFC 5246 §7.4 HandshakeType). Unknown types
 * (and hello_verify_request outside DTLS) → unexpected_message; malformed bodies → decode_error.
 */
export function decodeBody(type: number, body: Uint8Array, dtls: boolean): ReceivedHandshakeMessage {
  const r = new ByteReader(body);
  switch (type) {
    case HandshakeType.hello_request:
      r.expectEnd('HelloRequest');
      return { type: 'hello_request' };
    case HandshakeType.client_hello:
      return decodeClientHello(r, dtls);
    case HandshakeType.server_hello:
      return decodeServerHello(r);
    case HandshakeType.hello_verify_request:
      if (!dtls) throw unexpected(type);
      return decodeHelloVerifyRequest(r);
    case HandshakeType.new_session_ticket:
      return decodeNewSessionTicket(r);
    case HandshakeType.certificate:
      return decodeCertificate(r);
    case HandshakeType.server_key_exchange:
      return { type: 'server_key_exchange', body };
    case HandshakeType.certificate_request:
      return decodeCertificateRequest(r);
    case HandshakeType.server_hello_done:
      r.expectEnd('ServerHelloDone');
      return { type: 'server_hello_done' };
    case HandshakeType.certificate_verify:
      return decodeCertificateVerify(r);
    case HandshakeType.client_key_exchange:
      return { type: 'client_key_exchange', body };
    case HandshakeType.finished:
      // verify_data is the whole body; its length (12 in TLS 1.2) is checked by the handshake.
      return { type: 'finished', verifyData: body };
    case HandshakeType.certificate_status:
      return decodeCertificateStatus(r);
    default:
      throw unexpected(type);
  }
}

// --- headers ------------------------------------------------------------------------------

/**
 * A complete TLS handshake message (RFC 5246 §7.4 Handshake struct): 4-byte header
 * (msg_type, uint24 length) + body; these are the bytes that enter the transcript hash.
 * TLS framing only (DTLS fragments are framed by the DTLS channel), hence `dtls` can only be
 * false.
 */
export function encodeHandshake(msg: HandshakeMessage, dtls: false = false): Uint8Array {
  return tlsHandshakeMessage(HandshakeType[msg.type], encodeBody(msg, dtls));
}

// --- TLS reassembly: RFC 5246 §6.2.1 ------------------------------------------------------

/** A complete handshake message out of the reassembler. */
export interface RawHandshakeMessage {
  /** msg_type from the header. */
  type: number;
  /** The body (a view of `raw`). */
  body: Uint8Array;
  /** Header + body, exactly as received: the transcript-hash input. */
  raw: Uint8Array;
}

export { HandshakeReassembler, type HandshakeReassemblerOptions } from './handshake-reassembler.js';
