// Bodies (extension_data) of the hello extensions we understand, one encode/decode pair each.
// Decoders throw TlsError(ErrorCode.DECODE, ..., 'decode_error') on malformed data (or
// ILLEGAL_PARAMETER for well-formed but unacceptable values); encoders throw
// TlsError(ErrorCode.INTERNAL) when given values the wire format cannot carry.
// Decoded byte fields are views of the input (no copy).
import { TlsError, ErrorCode } from '../../errors.js';
import { ByteReader, ByteWriter } from '../wire.js';
import type { CipherSuite } from '../cipher-suites.js';
import type { Extension } from './message-types.js';

function encodeError(what: string): TlsError {
  return new TlsError(ErrorCode.INTERNAL, `cannot encode ${what}`, 'internal_error');
}

/** The first extension of `type` in `exts`, or undefined. */
export function findExtension(exts: readonly Extension[], type: number): Extension | undefined {
  for (const e of exts) if (e.type === type) return e;
  return undefined;
}

// --- server_name: RFC 6066 §3 -------------------------------------------------------------

/** RFC 6066 §3 NameType host_name. */
const NAME_TYPE_HOST_NAME = 0;
/** RFC 6066 §3 / common practice (OpenSSL TLSEXT_MAXLEN_host_name): a DNS name is ≤ 255 bytes. */
const MAX_HOST_NAME = 255;

/**
 * ClientHello server_name body: ServerNameList<1..2^16-1> holding one host_name entry
 * (RFC 6066 §3; HostName is ASCII without a trailing dot — the caller supplies it that way).
 */
export function encodeServerName(host: string): Uint8Array {
  const n = host.length;
  if (n === 0 || n > MAX_HOST_NAME) throw encodeError(`server name of length ${n}`);
  const name = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c === 0 || c > 0x7f) throw encodeError('non-ASCII server name');
    name[i] = c;
  }
  const w = new ByteWriter(n + 5);
  w.vec16((l) => l.u8(NAME_TYPE_HOST_NAME).opaque16(name));
  return w.finish();
}

/**
 * Decodes a ClientHello server_name body (RFC 6066 §3 ServerNameList). The empty form is the
 * server's acknowledgement in a ServerHello ("the 'extension_data' field of this extension SHALL
 * be empty") and never valid in a ClientHello: an empty body → decode_error, as OpenSSL answers.
 * A list without a host_name entry yields undefined. Otherwise returns the host name (bytes as
 * latin1 chars, so non-ASCII input never matches an ASCII configured name).
 * Empty list, empty name or bad lengths → decode_error; more than one host_name ("The
 * ServerNameList MUST NOT contain more than one name of the same name_type") → decode_error;
 * a NUL byte or a name over 255 bytes → illegal_parameter.
 */
export function decodeServerName(data: Uint8Array): string | undefined {
  const r = new ByteReader(data);
  const list = new ByteReader(r.vec16('server_name list', 1));
  r.expectEnd('server_name');
  let host: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.u8('server_name name_type');
    // RFC 6066 §3 only defines host_name; other types are parsed with the same
    // opaque<1..2^16-1> layout (as RFC 3546 specified them) and ignored.
    const name = list.vec16('server_name HostName', 1);
    if (nameType !== NAME_TYPE_HOST_NAME) continue;
    if (host !== undefined) {
      throw new TlsError(ErrorCode.DECODE, 'server_name: more than one host_name', 'decode_error');
    }
    if (name.length > MAX_HOST_NAME || name.includes(0)) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'server_name: invalid host name', 'illegal_parameter');
    }
    host = String.fromCharCode(...name);
  }
  return host;
}

// --- supported_groups: RFC 8422 §5.1.1 ----------------------------------------------------

/** NamedCurveList named_curve_list<2..2^16-1> (RFC 8422 §5.1.1). */
export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  if (groups.length === 0) throw encodeError('empty supported_groups');
  return new ByteWriter(2 + groups.length * 2).vec16OfU16(groups).finish();
}

export function decodeSupportedGroups(data: Uint8Array): number[] {
  const r = new ByteReader(data);
  const groups = r.vec16OfU16('supported_groups', 2, 0xffff);
  r.expectEnd('supported_groups');
  return groups;
}

// --- ec_point_formats: RFC 8422 §5.1.2 ----------------------------------------------------

/** ECPointFormat ec_point_format_list<1..2^8-1> (RFC 8422 §5.1.2); uncompressed is 0. */
export function encodeEcPointFormats(formats: readonly number[]): Uint8Array {
  if (formats.length === 0 || formats.length > 0xff) throw encodeError('ec_point_formats length');
  const w = new ByteWriter(1 + formats.length).u8(formats.length);
  for (const f of formats) w.u8(f);
  return w.finish();
}

export function decodeEcPointFormats(data: Uint8Array): number[] {
  const r = new ByteReader(data);
  const formats = Array.from(r.vec8('ec_point_formats', 1));
  r.expectEnd('ec_point_formats');
  return formats;
}

// --- signature_algorithms: RFC 5246 §7.4.1.4.1 --------------------------------------------

/** supported_signature_algorithms<2..2^16-2> of SignatureAndHashAlgorithm (as u16 codes). */
export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  if (schemes.length === 0) throw encodeError('empty signature_algorithms');
  return new ByteWriter(2 + schemes.length * 2).vec16OfU16(schemes).finish();
}

export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  const r = new ByteReader(data);
  const schemes = r.vec16OfU16('signature_algorithms', 2, 0xfffe);
  r.expectEnd('signature_algorithms');
  return schemes;
}

// --- application_layer_protocol_negotiation: RFC 7301 §3.1 --------------------------------

const utf8Encoder = new TextEncoder();
// Not fatal: a peer may offer non-UTF-8 protocol ids alongside ones we know; an invalid
// sequence decodes with U+FFFD and so never equals a configured name.
const utf8Decoder = new TextDecoder('utf-8');

/** ProtocolNameList protocol_name_list<2..2^16-1> of ProtocolName<1..2^8-1> (UTF-8). */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  if (protocols.length === 0) throw encodeError('empty ALPN list');
  const w = new ByteWriter(64);
  w.vec16((l) => {
    for (const p of protocols) {
      const name = utf8Encoder.encode(p);
      if (name.length === 0 || name.length > 0xff) throw encodeError(`ALPN protocol name of ${name.length} bytes`);
      l.opaque8(name);
    }
  });
  return w.finish();
}

/** Decodes a ProtocolNameList; empty list or empty name → decode_error. */
export function decodeAlpn(data: Uint8Array): string[] {
  const r = new ByteReader(data);
  const list = new ByteReader(r.vec16('ALPN protocol_name_list', 2));
  r.expectEnd('ALPN');
  const out: string[] = [];
  while (list.remaining > 0) out.push(utf8Decoder.decode(list.vec8('ALPN ProtocolName', 1)));
  return out;
}

// --- extended_master_secret: RFC 7627 §5.1 ------------------------------------------------

/** The extension_data is empty (RFC 7627 §5.1). */
export function encodeExtendedMasterSecret(): Uint8Array {
  return new Uint8Array(0);
}

/** Accepts only an empty body; anything else → decode_error. */
export function decodeExtendedMasterSecret(data: Uint8Array): void {
  new ByteReader(data).expectEnd('extended_master_secret');
}

// --- encrypt_then_mac: RFC 7366 §2 ---------------------------------------------------------

/** The extension_data is empty (RFC 7366 §2). */
export function encodeEncryptThenMac(): Uint8Array {
  return new Uint8Array(0);
}

/**
 * Server: whether the ClientHello offers encrypt-then-MAC (a non-empty body → decode_error).
 * RFC 7366 §3.1: once a connection uses encrypt-then-MAC a renegotiation may not go back to
 * MAC-then-encrypt, so a renegotiating ClientHello without the extension is fatal.
 */
export function encryptThenMacOffered(ext: Extension | undefined, previouslyUsed: boolean | undefined): boolean {
  if (ext) new ByteReader(ext.data).expectEnd('encrypt_then_mac');
  if (!ext && previouslyUsed) {
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'renegotiation drops encrypt_then_mac (RFC 7366 §3.1)', 'handshake_failure');
  }
  return ext !== undefined;
}

/** Server: RFC 7366 §2, answer (and use) encrypt-then-MAC only for a CBC suite. */
export function serverUsesEncryptThenMac(offered: boolean, suite: CipherSuite): boolean {
  return offered && suite.cbc !== undefined;
}

/**
 * Client: whether the ServerHello turns encrypt-then-MAC on. It only applies to CBC suites
 * (RFC 7366 §2; an answer with an AEAD suite is ignored, as OpenSSL does); a renegotiation of
 * a connection that used it must keep it for a CBC suite (§3.1), else handshake_failure.
 */
export function clientUsesEncryptThenMac(ext: Extension | undefined, suite: CipherSuite, previouslyUsed: boolean | undefined): boolean {
  if (ext) new ByteReader(ext.data).expectEnd('encrypt_then_mac');
  if (suite.cbc === undefined) return false;
  if (!ext && previouslyUsed) {
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'renegotiation drops encrypt_then_mac (RFC 7366 §3.1)', 'handshake_failure');
  }
  return ext !== undefined;
}

// --- renegotiation_info: RFC 5746 §3.2 ----------------------------------------------------

/** opaque renegotiated_connection<0..255> (RFC 5746 §3.2). */
export function encodeRenegotiationInfo(renegotiatedConnection: Uint8Array): Uint8Array {
  return new ByteWriter(1 + renegotiatedConnection.length).opaque8(renegotiatedConnection).finish();
}

/** The renegotiated_connection value (a view; empty on an initial handshake). */
export function decodeRenegotiationInfo(data: Uint8Array): Uint8Array {
  const r = new ByteReader(data);
  const value = r.vec8('renegotiation_info');
  r.expectEnd('renegotiation_info');
  return value;
}

// --- session_ticket: RFC 5077 §3.2 --------------------------------------------------------

/** The extension_data is the ticket itself (empty to ask for a new one), RFC 5077 §3.2. */
export function encodeSessionTicket(ticket: Uint8Array): Uint8Array {
  if (ticket.length > 0xffff) throw encodeError('session ticket over 65535 bytes');
  return ticket.slice();
}

/** The ticket (a view of `data`; empty = "no ticket, please issue one"). */
export function decodeSessionTicket(data: Uint8Array): Uint8Array {
  return data;
}

// --- status_request: RFC 6066 §8 ------------------------------------------------------------

/** Client: CertificateStatusRequest for OCSP (status_type 1) with no responder IDs and no
 *  request extensions (what OpenSSL and node send). */
export function encodeStatusRequest(): Uint8Array {
  return new Uint8Array([1, 0, 0, 0, 0]);
}

/** Server: whether the client asks for an OCSP staple (status_type ocsp). Other types are
 *  ignored (RFC 6066 §8: a server that does not support the type ignores the extension). */
export function decodeStatusRequest(data: Uint8Array): boolean {
  const r = new ByteReader(data);
  const statusType = r.u8('status_request status_type');
  if (statusType !== 1) return false;
  r.vec16('status_request responder_id_list');
  r.vec16('status_request request_extensions');
  r.expectEnd('status_request');
  return true;
}
