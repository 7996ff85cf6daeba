// TLS 1.2 record layer (RFC 5246 §6.2): framing, and one DirectionState per direction. A
// renegotiation builds the next CipherState beside the current one (pending); each direction
// switches at its ChangeCipherSpec (§7.1), resetting that direction's sequence.
import { TlsError, ErrorCode } from '../../errors.js';
import { MAX_CIPHERTEXT, MAX_PLAINTEXT, ProtocolVersion } from '../constants.js';
import { ByteQueue } from './byte-queue.js';
import type { RecordProtection } from './record-protection.js';
import { DirectionState, TLS_MAX_SEQUENCE } from './direction-state.js';
import { TLS_RECORD_HEADER_LENGTH, writeTlsRecordHeader } from './framing.js';

export interface Record {
  type: number;
  /** Plaintext (already decrypted when a read RecordProtection is active). */
  data: Uint8Array;
}

const HEADER = TLS_RECORD_HEADER_LENGTH;
/** Below this many bytes a burst is sealed into one buffer even where the ciphertext could be
 *  sent as it comes (encodePieces): copying a small record costs less than a piece more. */
const DETACHED_MIN = 4096;
const TWO32 = 0x1_0000_0000;
/** Where a protected record that arrived across socket chunks is gathered before it is opened:
 *  one for every connection (records are opened synchronously, one at a time), made at the
 *  first such record. */
let SCRATCH: Uint8Array | undefined;

export class TlsRecordLayer {
  private readonly input = new ByteQueue();
  private readonly read = new DirectionState(TLS_MAX_SEQUENCE);
  private readonly write = new DirectionState(TLS_MAX_SEQUENCE);
  /** Version put in record headers: TLS 1.0 for the first ClientHello is common practice
   *  (RFC 5246 Appendix E.1) but TLS 1.2 is what everybody accepts; we always send 1.2. */
  private readonly version = ProtocolVersion.TLS1_2;
  /** Largest plaintext per record we send (setMaxSendFragment). */
  maxFragment = MAX_PLAINTEXT;

  /** Bytes received but not yet cut into records. */
  get buffered(): number {
    return this.input.length;
  }

  get readProtected(): boolean {
    return this.read.current.cipher !== null;
  }

  get writeProtected(): boolean {
    return this.write.current.cipher !== null;
  }

  setPending(read: RecordProtection, write: RecordProtection): void {
    this.read.prepare(read);
    this.write.prepare(write);
  }

  get hasPendingRead(): boolean {
    return this.read.hasPending;
  }

  /** RFC 5246 §7.1: on receiving ChangeCipherSpec the pending read state becomes current. */
  activateRead(): void {
    this.read.activate(() => new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'ChangeCipherSpec before keys were agreed', 'unexpected_message'));
  }

  /** RFC 5246 §7.1: after sending ChangeCipherSpec the pending write state becomes current. */
  activateWrite(): void {
    this.write.activate(() => new TlsError(ErrorCode.INTERNAL, 'no pending write state', 'internal_error'));
  }

  push(bytes: Uint8Array): void {
    this.input.push(bytes);
  }

  /**
   * The next complete record, decrypted, or null when more bytes are needed.
   * Throws TlsError for anything fatal (bad MAC, overflow, bad version or type).
   */
  nextRecord(): Record | null {
    const q = this.input;
    if (q.length < HEADER) return null;
    const type = q.peek(0);
    const major = q.peek(1);
    const length = (q.peek(3) << 8) | q.peek(4);
    // RFC 5246 §6.2.1: unknown content types get unexpected_message. A first byte that is not a
    // TLS content type at all is most likely a plaintext protocol (HTTP) or garbage.
    if (type < 20 || type > 23) {
      throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, `unknown record content type ${type}`, 'unexpected_message');
    }
    if (major !== 3) {
      throw new TlsError(ErrorCode.PROTOCOL_VERSION, `record version ${major}.${q.peek(2)} is not TLS`, 'protocol_version');
    }
    const keys = this.read.current;
    const limit = keys.cipher ? MAX_CIPHERTEXT : MAX_PLAINTEXT;
    if (length > limit) {
      // RFC 5246 §6.2.3: a TLSCiphertext longer than 2^14+2048 gets record_overflow.
      throw new TlsError(ErrorCode.RECORD_OVERFLOW, `record of ${length} bytes`, 'record_overflow');
    }
    if (q.length < HEADER + length) return null;
    const version = (q.peek(1) << 8) | q.peek(2);
    // Header and fragment cut in one piece: a view of the received chunk when the record lies
    // inside it (no copy); the fragment is a view of that. A protected record that spans
    // chunks is gathered in the scratch buffer: open() is done with it before the next record
    // (RecordProtection.open returns a buffer of its own). A record in the clear is kept by its
    // reader (the handshake reassembler), so it gets a buffer of its own.
    if (!keys.cipher) return { type, data: q.take(HEADER + length).subarray(HEADER) };
    const fragment = q.takeInto(HEADER + length, (SCRATCH ??= new Uint8Array(HEADER + MAX_CIPHERTEXT))).subarray(HEADER);
    const seq = keys.nextSeq();
    const data = keys.cipher.open(Math.floor(seq / TWO32), seq >>> 0, type, version, fragment);
    if (data === null) {
      // RFC 5246 §7.2.2: a record that does not authenticate ends the connection.
      throw new TlsError(ErrorCode.BAD_RECORD_MAC, 'record authentication failed', 'bad_record_mac');
    }
    if (data.length > MAX_PLAINTEXT) {
      throw new TlsError(ErrorCode.RECORD_OVERFLOW, 'decrypted record too long', 'record_overflow');
    }
    return { type, data };
  }

  /**
   * Frame (and protect) `data` as records of `type`, splitting at maxFragment, all written into
   * one output buffer so a burst of records goes to the socket as one write.
   */
  encode(type: number, data: Uint8Array): Uint8Array {
    const max = this.maxFragment;
    const count = Math.max(1, Math.ceil(data.length / max));
    const overhead = this.write.current.overhead;
    const out = new Uint8Array(data.length + count * (HEADER + overhead));
    let o = 0;
    for (let i = 0; i < count; i++) {
      const chunk = data.subarray(i * max, Math.min(data.length, (i + 1) * max));
      o += this.encodeOne(type, chunk, out, o);
    }
    return o === out.length ? out : out.subarray(0, o);
  }

  /**
   * encode() as the pieces to send back to back. With a provider whose ciphertext comes in a
   * buffer of its own (RecordProtection.sealDetached: node:crypto), records of DETACHED_MIN
   * bytes or more are not copied into one output buffer: the pieces are the ciphertexts and,
   * around them, views of one small buffer holding each record's header and explicit nonce and
   * the previous record's tag (so 2n + 1 pieces for n records). Otherwise, encode()'s one buffer.
   */
  encodePieces(type: number, data: Uint8Array): Uint8Array[] {
    const keys = this.write.current;
    const frame = keys.cipher?.detachedFrame;
    if (frame === undefined || data.length < DETACHED_MIN) return [this.encode(type, data)];
    const max = this.maxFragment;
    const count = Math.ceil(data.length / max);
    const before = HEADER + frame.before;
    const glue = new Uint8Array(count * (before + frame.after));
    const pieces: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < count; i++) {
      const chunk = data.subarray(i * max, Math.min(data.length, (i + 1) * max));
      const at = i * (before + frame.after);
      const seq = keys.nextSeq();
      const ct = keys.cipher!.sealDetached!(Math.floor(seq / TWO32), seq >>> 0, type, this.version, chunk, glue, at + HEADER, at + before);
      writeTlsRecordHeader(glue, at, type, this.version, frame.before + ct.length + frame.after);
      pieces.push(glue.subarray(start, at + before), ct);
      start = at + before;
    }
    pieces.push(glue.subarray(start));
    return pieces;
  }

  private encodeOne(type: number, chunk: Uint8Array, out: Uint8Array, o: number): number {
    let len: number;
    const keys = this.write.current;
    if (keys.cipher) {
      const seq = keys.nextSeq();
      len = keys.cipher.sealInto(Math.floor(seq / TWO32), seq >>> 0, type, this.version, chunk, out, o + HEADER);
    } else {
      out.set(chunk, o + HEADER);
      len = chunk.length;
    }
    writeTlsRecordHeader(out, o, type, this.version, len);
    return HEADER + len;
  }
}
