// The stateless half of a DTLS server (RFC 6347 §4.2.1): look at a datagram from an unknown
// peer, and either let it through (a ClientHello with a valid cookie) or answer it with a
// HelloVerifyRequest without keeping any state.
import { ContentType, HandshakeType, ProtocolVersion } from '../engine/constants.js';
import { decodeBody, encodeBody } from '../engine/handshake/messages.js';
import type { ClientHello } from '../engine/handshake/message-types.js';

export interface HelloInfo {
  hello: ClientHello;
  recordSeqHi: number;
  recordSeqLo: number;
  messageSeq: number;
}

/** The ClientHello in an epoch-0 datagram, if it carries one whole. */
export function readClientHello(d: Uint8Array): HelloInfo | undefined {
  if (d.length < 13 + 12 || d[0] !== ContentType.handshake || d[1] !== 0xfe) return undefined;
  if (d[3] !== 0 || d[4] !== 0) return undefined; // epoch 0 only
  const recLen = (d[11]! << 8) | d[12]!;
  if (13 + recLen > d.length) return undefined;
  const h = d.subarray(13, 13 + recLen);
  if (h[0] !== HandshakeType.client_hello) return undefined;
  const length = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
  const fOff = (h[6]! << 16) | (h[7]! << 8) | h[8]!;
  const fLen = (h[9]! << 16) | (h[10]! << 8) | h[11]!;
  if (fOff !== 0 || fLen !== length || 12 + length > h.length) return undefined;
  try {
    const hello = decodeBody(HandshakeType.client_hello, h.subarray(12, 12 + length), true);
    if (hello.type !== 'client_hello') return undefined;
    return {
      hello,
      recordSeqHi: (d[5]! << 8) | d[6]!,
      recordSeqLo: ((d[7]! << 24) | (d[8]! << 16) | (d[9]! << 8) | d[10]!) >>> 0,
      messageSeq: (h[4]! << 8) | h[5]!,
    };
  } catch {
    return undefined;
  }
}

/** A HelloVerifyRequest datagram answering `info` (§4.2.1: version DTLS 1.0, the record
 *  sequence number and message_seq copied from the ClientHello). */
export function helloVerifyRequest(info: HelloInfo, cookie: Uint8Array): Uint8Array {
  const body = encodeBody({ type: 'hello_verify_request', version: ProtocolVersion.DTLS1_0, cookie }, true);
  const hs = new Uint8Array(12 + body.length);
  hs.set([HandshakeType.hello_verify_request, 0, body.length >>> 8, body.length & 0xff, info.messageSeq >>> 8, info.messageSeq & 0xff, 0, 0, 0, 0, body.length >>> 8, body.length & 0xff]);
  hs.set(body, 12);
  const rec = new Uint8Array(13 + hs.length);
  const v = ProtocolVersion.DTLS1_0;
  rec.set([
    ContentType.handshake, v >>> 8, v & 0xff, 0, 0,
    info.recordSeqHi >>> 8, info.recordSeqHi & 0xff,
    info.recordSeqLo >>> 24, (info.recordSeqLo >>> 16) & 0xff, (info.recordSeqLo >>> 8) & 0xff, info.recordSeqLo & 0xff,
    hs.length >>> 8, hs.length & 0xff,
  ]);
  rec.set(hs, 13);
  return rec;
}
