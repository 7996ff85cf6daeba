// A raw DTLS 1.2 peer for the conformance specs: crafted datagrams go over a real UDP socket to
// a server (our DtlsServer, or `openssl s_server -dtls1_2` as the reference), and what comes back
// is read as plaintext records: handshake fragments (type, message_seq) and alerts. DTLS drops
// much bad input silently (RFC 6347 §4.1.2.7), so a case sends its datagrams and then a probe
// that must be answered: what the server said about the bad datagrams comes before that answer
// (one server socket, loopback, in order).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { ContentType, HandshakeType, ProtocolVersion } from '../../lib/engine/constants.js';
import { encodeBody } from '../../lib/engine/handshake/messages.js';
import {
  DTLS_RECORD_HEADER_LENGTH, parseDtlsHandshakeHeader, readDtlsRecordHeader, writeDtlsRecordHeader,
} from '../../lib/engine/record/framing.js';
import { ByteReader, ByteWriter } from '../../lib/engine/wire.js';
import { Condition } from '../helpers/condition.js';
import { within } from '../helpers/within.js';
import { ANSWER_MS, clientHello, type Alert } from './raw-tls.js';

/** One plaintext DTLS record (RFC 6347 §4.1) of `type` in `epoch` with sequence number `seq`. */
export function dtlsRecord(type: number, epoch: number, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(DTLS_RECORD_HEADER_LENGTH + payload.length);
  writeDtlsRecordHeader(out, 0, {
    type, version: ProtocolVersion.DTLS1_2, epoch, seqHi: Math.floor(seq / 2 ** 32), seqLo: seq >>> 0, length: payload.length,
  });
  out.set(payload, DTLS_RECORD_HEADER_LENGTH);
  return out;
}

/** A handshake fragment (RFC 6347 §4.2.2) with any header values, also inconsistent ones (the
 *  library's encoder refuses a fragment beyond its message). */
export function dtlsFragment(type: number, length: number, messageSeq: number, offset: number, bytes: Uint8Array): Uint8Array {
  return new ByteWriter(12 + bytes.length).u8(type).u24(length).u16(messageSeq).u24(offset).u24(bytes.length).bytes(bytes).finish();
}

/** The body of clientHello() in its DTLS form with `cookie` (RFC 6347 §4.2.1). */
export function dtlsClientHelloBody(cookie: Uint8Array): Uint8Array {
  return encodeBody({ ...clientHello({ version: ProtocolVersion.DTLS1_2 }), cookie }, true);
}

/** One whole ClientHello as a datagram (record `seq`, `messageSeq`). */
export function dtlsClientHello(cookie: Uint8Array, seq: number, messageSeq: number): Uint8Array {
  const body = dtlsClientHelloBody(cookie);
  return dtlsRecord(ContentType.handshake, 0, seq, dtlsFragment(HandshakeType.client_hello, body.length, messageSeq, 0, body));
}

/** What the server sent, in order. */
export interface DtlsAnswer {
  /** Plaintext handshake fragments: type and message_seq. */
  handshakes: { type: number; messageSeq: number }[];
  /** Plaintext alerts. */
  alerts: Alert[];
  /** The cookie of the last HelloVerifyRequest. */
  cookie?: Uint8Array;
}

/** A UDP socket on 127.0.0.1 talking to one server port. */
export class RawDtlsPeer {
  readonly answer: DtlsAnswer = { handshakes: [], alerts: [] };
  private readonly received = new Condition();

  private constructor(private readonly socket: UdpSocket, private readonly port: number) {
    socket.on('message', (d: Buffer) => {
      this.read(new Uint8Array(d.buffer, d.byteOffset, d.length));
      this.received.wake();
    });
  }

  static async open(port: number): Promise<RawDtlsPeer> {
    const socket = createSocket('udp4');
    await within(new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve)), 'UDP bind');
    return new RawDtlsPeer(socket, port);
  }

  /** Each array in its own datagram. */
  send(...datagrams: Uint8Array[]): void {
    for (const d of datagrams) this.socket.send(d, this.port, '127.0.0.1');
  }

  /** Resolves once the answer holds a handshake message of `type` after the first `from`
   *  messages (bounded by ANSWER_MS). */
  until(type: number, from: number, what: string): Promise<void> {
    return this.untilAnswer(() => this.answer.handshakes.slice(from).some((h) => h.type === type), what);
  }

  /** Resolves once the server has sent an alert (bounded by ANSWER_MS). */
  untilAlert(): Promise<void> {
    return this.untilAnswer(() => this.answer.alerts.length > 0, 'an alert');
  }

  /** Resolves once `ok()` holds, checked at each datagram from the server (bounded by
   *  ANSWER_MS). */
  untilAnswer(ok: () => boolean, what: string): Promise<void> {
    return this.received.until(ok, what, ANSWER_MS);
  }

  /** The cookie exchange (RFC 6347 §4.2.1): a ClientHello without a cookie (record 0,
   *  message_seq 0), the HelloVerifyRequest's cookie back. */
  async cookie(): Promise<Uint8Array> {
    const from = this.answer.handshakes.length;
    this.send(dtlsClientHello(new Uint8Array(0), 0, 0));
    await this.until(HandshakeType.hello_verify_request, from, 'a HelloVerifyRequest');
    return this.answer.cookie!;
  }

  close(): void {
    this.socket.close();
  }

  private read(d: Uint8Array): void {
    for (let o = 0; ;) {
      const rec = readDtlsRecordHeader(d, o);
      if (!rec || o + DTLS_RECORD_HEADER_LENGTH + rec.length > d.length) return;
      const payload = d.subarray(o + DTLS_RECORD_HEADER_LENGTH, o + DTLS_RECORD_HEADER_LENGTH + rec.length);
      o += DTLS_RECORD_HEADER_LENGTH + rec.length;
      if (rec.epoch !== 0) continue;
      if (rec.type === ContentType.alert && payload.length === 2) this.answer.alerts.push({ level: payload[0]!, description: payload[1]! });
      if (rec.type !== ContentType.handshake) continue;
      const r = new ByteReader(payload);
      while (r.remaining > 0) {
        const h = parseDtlsHandshakeHeader(r);
        const fragment = r.bytes(h.fragmentLength);
        this.answer.handshakes.push({ type: h.type, messageSeq: h.messageSeq });
        // HelloVerifyRequest: server_version(2), cookie<0..2^8-1> (RFC 6347 §4.2.1).
        if (h.type === HandshakeType.hello_verify_request) this.answer.cookie = fragment.subarray(3, 3 + fragment[2]!);
      }
    }
  }
}
