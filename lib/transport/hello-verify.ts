// The stateless half of a DTLS server (RFC 6347 §4.2.1): look at a datagram from an unknown
// peer, and either let it through (a ClientHello with a valid cookie) or answer it with a
// HelloVerifyRequest without keeping any state.
import { ContentType, HandshakeType, ProtocolVersion } from '../engine/constants.js';
import { decodeBody, encodeBody } from '../engine/handshake/messages.js';
import type { ClientHello } from '../engine/handshake/message-types.js';
import {
  DTLS_RECORD_HEADER_LENGTH,
  dtlsHandshakeFragment,
  parseDtlsHandshakeHeader,
  readDtlsRecordHeader,
  writeDtlsRecordHeader,
} from '../engine/record/framing.js';
import { ByteReader } from '../engine/wire.js';

export interface HelloInfo {
  hello: ClientHello;
  recordSeqHi: number;
  recordSeqLo: number;
  messageSeq: number;
}

/** The ClientHello in an epoch-0 datagram, if it carries one whole. */
export function readClientHello(d: Uint8Array): HelloInfo | undefined {
  // The DtlsServer asks this of every datagram, application data included: the first byte
  // (content type) and the epoch (bytes 3–4) settle most of them without parsing anything.
  if (d[0] !== ContentType.handshake || d[3] !== 0 || d[4] !== 0) return undefined;
  const rec = readDtlsRecordHeader(d, 0);
  if (rec === undefined || rec.type !== ContentType.handshake || rec.version >>> 8 !== 0xfe) return undefined;
  if (rec.epoch !== 0) return undefined;
  const end = DTLS_RECORD_HEADER_LENGTH + rec.length;
  if (end > d.length) return undefined;
  try {
    const reader = new ByteReader(d, DTLS_RECORD_HEADER_LENGTH, end);
    const h = parseDtlsHandshakeHeader(reader);
    if (h.type !== HandshakeType.client_hello || h.fragmentOffset !== 0 || h.fragmentLength !== h.length) return undefined;
    const hello = decodeBody(HandshakeType.client_hello, reader.bytes(h.length), true);
    if (hello.type !== 'client_hello') return undefined;
    return { hello, recordSeqHi: rec.seqHi, recordSeqLo: rec.seqLo, messageSeq: h.messageSeq };
  } catch {
    return undefined;
  }
}

/** A HelloVerifyRequest datagram answering `info` (§4.2.1: version DTLS 1.0, the record
 *  sequence number and message_seq copied from the ClientHello). */
export function helloVerifyRequest(info: HelloInfo, cookie: Uint8Array): Uint8Array {
  const body = encodeBody({ type: 'hello_verify_request', version: ProtocolVersion.DTLS1_0, cookie }, true);
  const hs = dtlsHandshakeFragment(
    { type: HandshakeType.hello_verify_request, length: body.length, messageSeq: info.messageSeq, fragmentOffset: 0, fragmentLength: body.length },
    body,
  );
  const rec = new Uint8Array(DTLS_RECORD_HEADER_LENGTH + hs.length);
  writeDtlsRecordHeader(rec, 0, {
    type: ContentType.handshake, version: ProtocolVersion.DTLS1_0, epoch: 0, seqHi: info.recordSeqHi, seqLo: info.recordSeqLo, length: hs.length,
  });
  rec.set(hs, DTLS_RECORD_HEADER_LENGTH);
  return rec;
}
