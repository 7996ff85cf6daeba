// The headers of records and handshake messages, TLS and DTLS: the one place they are written and
// read. TLS record: type u8, version u16, length u16 (RFC 5246 §6.2.1). DTLS record: type u8,
// version u16, epoch u16, sequence_number u48, length u16 (RFC 6347 §4.1). TLS handshake
// message: msg_type u8, length u24 (RFC 5246 §7.4). DTLS handshake message: msg_type u8,
// length u24, message_seq u16, fragment_offset u24, fragment_length u24 (RFC 6347 §4.2.2).

import { TlsError, ErrorCode } from '../../errors.js';
import { ByteReader, ByteWriter } from '../wire.js';

export const TLS_RECORD_HEADER_LENGTH = 5;
export const DTLS_RECORD_HEADER_LENGTH = 13;
export const TLS_HANDSHAKE_HEADER_LENGTH = 4;
export const DTLS_HANDSHAKE_HEADER_LENGTH = 12;

/** The 48-bit DTLS record sequence number as its high 16 and low 32 bits. */
export interface DtlsRecordHeader {
  type: number;
  version: number;
  epoch: number;
  seqHi: number;
  seqLo: number;
  /** Length of the fragment that follows. */
  length: number;
}

/** RFC 6347 §4.2.2 DTLS handshake header fields. */
export interface DtlsHandshakeHeader {
  type: number;
  /** Length of the whole message body. */
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  fragmentLength: number;
}

/** Writes a TLS record header at `out[o]`. */
export function writeTlsRecordHeader(out: Uint8Array, o: number, type: number, version: number, length: number): void {
  out[o] = type;
  out[o + 1] = version >>> 8;
  out[o + 2] = version & 0xff;
  out[o + 3] = length >>> 8;
  out[o + 4] = length & 0xff;
}

/** Writes a DTLS record header at `out[o]`. */
export function writeDtlsRecordHeader(out: Uint8Array, o: number, h: DtlsRecordHeader): void {
  out[o] = h.type;
  out[o + 1] = h.version >>> 8;
  out[o + 2] = h.version & 0xff;
  out[o + 3] = h.epoch >>> 8;
  out[o + 4] = h.epoch & 0xff;
  out[o + 5] = h.seqHi >>> 8;
  out[o + 6] = h.seqHi & 0xff;
  out[o + 7] = h.seqLo >>> 24;
  out[o + 8] = (h.seqLo >>> 16) & 0xff;
  out[o + 9] = (h.seqLo >>> 8) & 0xff;
  out[o + 10] = h.seqLo & 0xff;
  out[o + 11] = h.length >>> 8;
  out[o + 12] = h.length & 0xff;
}

/** The DTLS record header at `d[o]`, or undefined when fewer than 13 bytes are left. Whether
 *  `length` bytes follow is for the caller to check. */
export function readDtlsRecordHeader(d: Uint8Array, o: number): DtlsRecordHeader | undefined {
  if (d.length - o < DTLS_RECORD_HEADER_LENGTH) return undefined;
  return {
    type: d[o]!,
    version: (d[o + 1]! << 8) | d[o + 2]!,
    epoch: (d[o + 3]! << 8) | d[o + 4]!,
    seqHi: (d[o + 5]! << 8) | d[o + 6]!,
    seqLo: ((d[o + 7]! << 24) | (d[o + 8]! << 16) | (d[o + 9]! << 8) | d[o + 10]!) >>> 0,
    length: (d[o + 11]! << 8) | d[o + 12]!,
  };
}

/** A whole TLS handshake message: header and body (the bytes the transcript hashes). */
export function tlsHandshakeMessage(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(TLS_HANDSHAKE_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = body.length >>> 16;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, TLS_HANDSHAKE_HEADER_LENGTH);
  return out;
}

/** A DTLS handshake fragment: the 12-byte header, then `fragment` (the bytes of the message
 *  body from `h.fragmentOffset`, `h.fragmentLength` of them). */
export function dtlsHandshakeFragment(h: DtlsHandshakeHeader, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(DTLS_HANDSHAKE_HEADER_LENGTH + fragment.length);
  out.set(encodeDtlsHandshakeHeader(h.type, h.length, h.messageSeq, h.fragmentOffset, h.fragmentLength), 0);
  out.set(fragment, DTLS_HANDSHAKE_HEADER_LENGTH);
  return out;
}

/** The 12-byte DTLS handshake header. A fragment beyond the message is a bug here. */
export function encodeDtlsHandshakeHeader(
  type: number,
  length: number,
  messageSeq: number,
  fragmentOffset: number,
  fragmentLength: number,
): Uint8Array {
  if (fragmentOffset + fragmentLength > length) {
    throw new TlsError(ErrorCode.INTERNAL, 'cannot encode a DTLS fragment beyond the message length', 'internal_error');
  }
  const w = new ByteWriter(DTLS_HANDSHAKE_HEADER_LENGTH);
  w.u8(type).u24(length).u16(messageSeq).u24(fragmentOffset).u24(fragmentLength);
  return w.finish();
}

/**
 * Reads a DTLS handshake header and leaves `reader` at the fragment. A fragment extending beyond
 * the message length → decode_error. Whether fragment_length bytes follow is for the caller.
 */
export function parseDtlsHandshakeHeader(reader: ByteReader): DtlsHandshakeHeader {
  const type = reader.u8('DTLS handshake msg_type');
  const length = reader.u24('DTLS handshake length');
  const messageSeq = reader.u16('DTLS handshake message_seq');
  const fragmentOffset = reader.u24('DTLS handshake fragment_offset');
  const fragmentLength = reader.u24('DTLS handshake fragment_length');
  if (fragmentOffset + fragmentLength > length) {
    throw new TlsError(ErrorCode.DECODE, 'malformed DTLS handshake fragment beyond message length', 'decode_error');
  }
  return { type, length, messageSeq, fragmentOffset, fragmentLength };
}
