// The DTLS 1.2 record layer (RFC 6347 §4.1): records in datagrams, epochs, 48-bit sequence
// numbers, the replay window, and the read and write keys of each epoch. Records that fail
// any check are dropped silently (§4.1.2.7). The flight layer (dtls-channel.ts) sits on top.
import { TlsError, ErrorCode } from '../../errors.js';
import { ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT, ProtocolVersion } from '../constants.js';
import type { InboundRecord } from '../record-channel.js';
import type { RecordProtection } from '../record/record-protection.js';
import { DirectionState, DTLS_MAX_SEQUENCE, type EpochKeys } from '../record/direction-state.js';
import { DTLS_RECORD_HEADER_LENGTH, readDtlsRecordHeader, writeDtlsRecordHeader } from '../record/framing.js';
import type { ReassemblyAccount } from './reassembly-budget.js';
import { ReplayWindow } from './replay-window.js';

const RECORD_HEADER = DTLS_RECORD_HEADER_LENGTH;
const TWO32 = 0x1_0000_0000;

interface ReadEpoch {
  epoch: number;
  state: RecordProtection | null;
  window: ReplayWindow;
}

interface EarlyRecord {
  type: number;
  version: number;
  epoch: number;
  seq: number;
  fragment: Uint8Array;
}

/** An inbound record with where it came from. */
export interface DtlsInboundRecord extends InboundRecord {
  epoch: number;
  seq: number;
}

export class DtlsRecordLayer {
  private readonly version = ProtocolVersion.DTLS1_2;
  // write side
  private readonly write: DirectionState;
  /** Keys of the current write epoch and the one before (for retransmitting its flight). */
  private readonly writeEpochs: Map<number, EpochKeys>;
  // read side
  private readonly readKeys = new DirectionState(DTLS_MAX_SEQUENCE);
  private read: ReadEpoch = { epoch: 0, state: null, window: new ReplayWindow() };
  private previousRead: ReadEpoch | undefined;
  private early: EarlyRecord[] = [];
  private inbox: DtlsInboundRecord[] = [];
  /** After the first handshake nothing in epoch 0 is authenticated: its application data and
   *  alerts are dropped. */
  epoch0Closed = false;

  /** `account` pays for records of the next epoch held before its ChangeCipherSpec (they are
   *  not authenticated until then); `epoch0Seq`: see DtlsChannelOptions. */
  constructor(private readonly account: ReassemblyAccount, epoch0Seq = 0) {
    this.write = new DirectionState(DTLS_MAX_SEQUENCE, epoch0Seq);
    this.writeEpochs = new Map([[0, this.write.current]]);
  }

  get writeEpoch(): number {
    return this.write.epoch;
  }

  get readEpoch(): number {
    return this.read.epoch;
  }

  /** Bytes a record of write epoch `epoch` gains (explicit nonce, tag); undefined when that
   *  epoch's keys are no longer kept. */
  overheadOf(epoch: number): number | undefined {
    return this.writeEpochs.get(epoch)?.overhead;
  }

  /** Continue epoch 0's numbering at `seq` or later (after a stateless cookie exchange). */
  skipEpoch0To(seq: number): void {
    this.writeEpochs.get(0)?.skipTo(seq);
  }

  // --- inbound ----------------------------------------------------------------------------

  /** One datagram; it may hold several records (§4.1.1). Bad records are dropped silently. */
  push(datagram: Uint8Array): void {
    let off = 0;
    for (let h = readDtlsRecordHeader(datagram, off); h !== undefined; h = readDtlsRecordHeader(datagram, off)) {
      const end = off + RECORD_HEADER + h.length;
      // §4.1.2.7: malformed datagrams are discarded silently; the rest of it cannot be parsed.
      if (end > datagram.length || h.type < 20 || h.type > 23 || h.version >>> 8 !== 0xfe || h.length > MAX_CIPHERTEXT) return;
      const fragment = datagram.subarray(off + RECORD_HEADER, end);
      off = end;
      this.acceptRecord({ type: h.type, version: h.version, epoch: h.epoch, seq: h.seqHi * TWO32 + h.seqLo, fragment });
    }
  }

  private acceptRecord(r: EarlyRecord): void {
    let rd: ReadEpoch | undefined;
    if (r.epoch === this.read.epoch) rd = this.read;
    else if (this.previousRead && r.epoch === this.previousRead.epoch) rd = this.previousRead;
    else if (r.epoch === this.read.epoch + 1) {
      // §4.1: records of the next epoch may arrive before the ChangeCipherSpec; keep a few
      // (unauthenticated until then, so within the reassembly bound).
      if (this.early.length < 64 && this.account.reserve(r.fragment.length)) this.early.push({ ...r, fragment: new Uint8Array(r.fragment) }); // a copy (Buffer#slice is a view)
      return;
    }
    if (!rd) return; // an epoch we do not know
    // A ChangeCipherSpec only ever switches from the current read epoch; one in an older epoch
    // is a retransmission (or forged: epoch 0 has no MAC) and must not touch the epochs.
    if (r.type === ContentType.change_cipher_spec && rd !== this.read) return;
    if (!rd.state) {
      // Epoch 0 is never authenticated: application data never comes in it, and once the first
      // handshake is over the peer's alerts come in its current epoch, so an epoch-0 one is
      // forged or stale. Handshake records stay (retransmissions are answered from them).
      if (r.type === ContentType.application_data) return;
      if (r.type === ContentType.alert && this.epoch0Closed) return;
    }
    // §4.1.2.6: replay protection once records are authenticated. Epoch 0 has no MAC, so its
    // window would move on whatever sequence number a damaged or forged record claims and then
    // drop the genuine flight as "old"; duplicates there are caught by message_seq instead.
    if (rd.state && !rd.window.check(r.seq)) return;
    let data: Uint8Array | null = r.fragment;
    if (rd.state) {
      const hi = ((r.epoch << 16) | Math.floor(r.seq / TWO32)) >>> 0;
      data = rd.state.open(hi, r.seq >>> 0, r.type, r.version, r.fragment);
      // §4.1.2.7: invalid records are discarded silently. No count of them ends the
      // connection: anyone who knows the 4-tuple can send records that fail authentication,
      // so a limit would let an off-path sender close the association.
      if (data === null) return;
    }
    if (data.length > MAX_PLAINTEXT) return;
    if (rd.state) rd.window.mark(r.seq);
    // Records of the previous epoch stay valid (§4.1: application data sent before the peer's
    // ChangeCipherSpec may arrive after it); its handshake records are retransmissions.
    this.inbox.push({ type: r.type, data, epoch: r.epoch, seq: r.seq });
  }

  nextRecord(): DtlsInboundRecord | null {
    return this.inbox.shift() ?? null;
  }

  // --- keys -------------------------------------------------------------------------------

  setPending(read: RecordProtection, write: RecordProtection): void {
    this.readKeys.prepare(read);
    this.write.prepare(write);
  }

  /** Our ChangeCipherSpec went out: §4.1, the write epoch increments, sequence numbers
   *  restart at 0; the epoch before is kept for retransmitting its flight. */
  activateWrite(): void {
    const keys = this.write.activate(() => new TlsError(ErrorCode.INTERNAL, 'no pending write state', 'internal_error'));
    this.writeEpochs.set(this.write.epoch, keys);
    this.writeEpochs.delete(this.write.epoch - 2);
  }

  activateRead(): void {
    const keys = this.readKeys.activate(() => new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'ChangeCipherSpec before keys were agreed', 'unexpected_message'));
    this.previousRead = this.read;
    this.read = { epoch: this.readKeys.epoch, state: keys.cipher, window: new ReplayWindow() };
    // Records of the new epoch that arrived early go first, right after the ChangeCipherSpec.
    const early = this.early;
    this.early = [];
    for (const r of early) this.account.release(r.fragment.length);
    const before = this.inbox;
    this.inbox = [];
    for (const r of early) if (r.epoch === this.read.epoch) this.acceptRecord(r);
    this.inbox.push(...before);
  }

  /**
   * The handshake that made the current read epoch is complete: the peer has switched to it
   * (its Finished came in it), so the epoch before is retired. RFC 6347 §4.1 lets an
   * implementation keep old keys for records the network reordered (up to the TCP MSL), but
   * kept longer they would let whoever holds the keys a renegotiation replaced add records to
   * the connection for as long as it lasts (OpenSSL keeps none past the ChangeCipherSpec).
   * Epoch 0 has no keys and stays: its handshake records are answered as retransmissions.
   */
  retirePreviousRead(): void {
    if (this.previousRead?.state) this.previousRead = undefined;
  }

  // --- outbound ---------------------------------------------------------------------------

  /** One record of `type` under the keys of write epoch `epoch` (§4.1; the flight layer
   *  resends a flight under the epoch it was first sent in). */
  record(type: number, epoch: number, payload: Uint8Array): Uint8Array {
    const w = this.writeEpochs.get(epoch)!;
    const seq = w.nextSeq();
    const seqHi = Math.floor(seq / TWO32);
    const rec = new Uint8Array(RECORD_HEADER + payload.length + w.overhead);
    let len = payload.length;
    if (w.cipher) {
      // §4.1.2.1: the 64-bit sequence number in the nonce and AAD is epoch || sequence_number.
      len = w.cipher.sealInto(((epoch << 16) | seqHi) >>> 0, seq >>> 0, type, this.version, payload, rec, RECORD_HEADER);
    } else {
      rec.set(payload, RECORD_HEADER);
    }
    writeDtlsRecordHeader(rec, 0, { type, version: this.version, epoch, seqHi, seqLo: seq >>> 0, length: len });
    return rec.length === RECORD_HEADER + len ? rec : rec.subarray(0, RECORD_HEADER + len);
  }

}
