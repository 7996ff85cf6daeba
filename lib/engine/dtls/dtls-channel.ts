// RecordChannel over datagrams: the flight layer of RFC 6347 §4.2 (message_seq, fragmentation
// to the MTU, reassembly, flights and retransmission timers) over the DTLS record layer of §4.1
// (dtls-record-layer.ts: epochs, sequence numbers, replay window, keys).
import { TlsError, ErrorCode } from '../../errors.js';
import { ContentType, HandshakeType, MAX_PLAINTEXT } from '../constants.js';
import { checkHandshakeHeader } from '../handshake/handshake-limits.js';
import type { RawHandshakeMessage } from '../handshake/messages.js';
import type { InboundRecord, RecordChannel } from '../record-channel.js';
import type { RecordProtection } from '../record/record-protection.js';
import { FragmentedMessage } from './fragmented-message.js';
import { ReassemblyBudget, type ReassemblyAccount } from './reassembly-budget.js';
import { DTLS_HANDSHAKE_HEADER_LENGTH, DTLS_RECORD_HEADER_LENGTH, dtlsHandshakeFragment, parseDtlsHandshakeHeader } from '../record/framing.js';
import { ByteReader } from '../wire.js';
import { DtlsRecordLayer } from './dtls-record-layer.js';

const RECORD_HEADER = DTLS_RECORD_HEADER_LENGTH;
const HS_HEADER = DTLS_HANDSHAKE_HEADER_LENGTH;

export interface DtlsChannelOptions {
  role: 'client' | 'server';
  now: () => number;
  /** Largest UDP payload we send (RFC 6347 §4.1.1.1 PMTU), default 1200. */
  mtu?: number;
  /** Initial retransmission timer (§4.2.4.1: 1 s), doubled per retransmission... */
  initialTimeout?: number;
  /** ...up to this cap (60 s). */
  maxTimeout?: number;
  /** A handshake that has not completed after this long fails (ms). */
  handshakeTimeout?: number;
  /** Bytes this connection may hold for handshake reassembly and records of the next epoch
   *  (default DEFAULT_MAX_REASSEMBLY_BYTES). Counted as fragments arrive, not as their headers
   *  claim; past it, fragments are dropped (the peer retransmits). */
  maxReassemblyBytes?: number;
  /** Where those bytes are counted (a DtlsServer's account per peer, bounding all its peers
   *  together); default an account of its own with `maxReassemblyBytes`. */
  reassemblyAccount?: ReassemblyAccount;
  /** Server behind a stateless HelloVerifyRequest (DtlsServer): the record number of the
   *  ClientHello that passed the cookie check. Our epoch-0 records continue from it even
   *  before that ClientHello is processed (an alert refusing it must not reuse the number
   *  the HelloVerifyRequest copied, or the client's replay window drops it). */
  epoch0Seq?: number;
}

interface FlightItem {
  kind: 'handshake' | 'ccs';
  epoch: number;
  type: number;
  seq: number;
  body: Uint8Array;
}

/** Default per-connection reassembly bound: room for the largest legitimate flight content
 *  (a 128 KiB ClientHello, or a 100 KiB certificate list plus the rest of the flight). */
export const DEFAULT_MAX_REASSEMBLY_BYTES = 256 * 1024;

export class DtlsChannel implements RecordChannel {
  readonly dtls = true;
  maxFragment = MAX_PLAINTEXT;
  private readonly o: Required<DtlsChannelOptions>;
  private readonly records: DtlsRecordLayer;
  /** Epoch and sequence number of the record last returned by nextRecord(). */
  private currentEpoch = 0;
  private currentSeq = 0;
  // handshake layer
  private inHandshake = true;
  /** Read epoch when the current handshake began: its Finished must come in a later one. */
  private handshakeStartEpoch = 0;
  private initialHandshake = true;
  private sendSeq = 0;
  private recvSeq: number | undefined;
  private readonly reassembly = new Map<number, FragmentedMessage>();
  /** Bytes held for reassembly and early records (see maxReassemblyBytes). */
  private readonly account: ReassemblyAccount;
  private flight: FlightItem[] = [];
  private flightOpen = false;
  private unsent: FlightItem[] = [];
  private outbox: Uint8Array[] = [];
  // timers
  private deadline: number | undefined;
  private timeout: number;
  private handshakeStarted: number;
  private lastReplayRetransmit = -Infinity;
  /** What happened last in the current handshake: we sent a flight, or a whole message came. */
  private lastFlightEvent: 'sent' | 'received' = 'received';
  /** §4.2.4: after a handshake, only the side that sent its final flight answers the peer's
   *  retransmissions (by resending that flight); the other side has nothing to resend. */
  private answersRetransmissions = false;
  /** That final flight, kept for such replays even when a new handshake has a flight of its own. */
  private finalFlight: FlightItem[] = [];

  constructor(options: DtlsChannelOptions) {
    this.o = {
      mtu: 1200, initialTimeout: 1000, maxTimeout: 60_000, handshakeTimeout: 60_000,
      maxReassemblyBytes: DEFAULT_MAX_REASSEMBLY_BYTES,
      ...options,
    } as Required<DtlsChannelOptions>;
    this.account = options.reassemblyAccount ?? new ReassemblyBudget(Infinity).account(this.o.maxReassemblyBytes);
    this.timeout = this.o.initialTimeout;
    this.handshakeStarted = this.o.now();
    this.records = new DtlsRecordLayer(this.account, options.epoch0Seq ?? 0);
  }

  get mtu(): number {
    return this.o.mtu;
  }

  /** Bytes held now for handshake reassembly and early records (for tests and monitoring). */
  get reassemblyBytes(): number {
    return this.account.held;
  }

  /**
   * Largest plaintext in one record of the current write epoch such that the record fits one
   * datagram of `mtu` bytes (RFC 6347 §4.1.1: each record fits in a single datagram; §4.1.1.1:
   * records are not to be fragmented by IP): mtu less the record header and the cipher's
   * explicit nonce and tag, never above the 2^14 fragment limit (RFC 5246 §6.2.1).
   */
  get recordBudget(): number {
    const overhead = RECORD_HEADER + this.records.overheadOf(this.records.writeEpoch)!;
    return Math.max(1, Math.min(this.maxFragment, this.o.mtu - overhead));
  }

  // --- inbound records ------------------------------------------------------------------

  /** One datagram; it may hold several records (§4.1.1). */
  push(datagram: Uint8Array): void {
    this.records.push(datagram);
  }

  nextRecord(): InboundRecord | null {
    const r = this.records.nextRecord();
    if (!r) return null;
    this.currentEpoch = r.epoch;
    this.currentSeq = r.seq;
    return r;
  }

  // --- handshake layer ------------------------------------------------------------------

  handshakeIn(data: Uint8Array): RawHandshakeMessage[] {
    if (!this.initialHandshake && this.currentEpoch === 0) {
      // After the first handshake nothing in epoch 0 is authenticated: a malformed handshake
      // record there is forged or damaged, and is discarded silently (§4.1.2.7).
      try {
        return this.handshakeInChecked(data);
      } catch (e) {
        if (e instanceof TlsError) return [];
        throw e;
      }
    }
    return this.handshakeInChecked(data);
  }

  private handshakeInChecked(data: Uint8Array): RawHandshakeMessage[] {
    const out: RawHandshakeMessage[] = [];
    let off = 0;
    while (off < data.length) {
      const { type, length, messageSeq, fragmentOffset, fragmentLength } = parseDtlsHandshakeHeader(new ByteReader(data, off));
      if (off + HS_HEADER + fragmentLength > data.length) throw decodeError('DTLS handshake fragment out of bounds');
      // The type, then the declared length (OpenSSL's per-type limits), before anything is kept.
      checkHandshakeHeader(type, length, { role: this.o.role === 'server' ? 'server' : 'client', dtls: true });
      const frag = data.subarray(off + HS_HEADER, off + HS_HEADER + fragmentLength);
      off += HS_HEADER + fragmentLength;
      this.fragmentIn(type, length, messageSeq, fragmentOffset, frag);
    }
    // Deliver complete messages in message_seq order (§4.2.2).
    for (;;) {
      if (this.recvSeq === undefined) break;
      const r = this.reassembly.get(this.recvSeq);
      if (!r || !r.complete) break;
      this.reassembly.delete(this.recvSeq);
      this.account.release(r.held);
      // The transcript sees each message as if it were sent unfragmented (§4.2.6).
      const raw = dtlsHandshakeFragment({ type: r.type, length: r.length, messageSeq: this.recvSeq, fragmentOffset: 0, fragmentLength: r.length }, r.assemble());
      out.push({ type: r.type, body: raw.subarray(HS_HEADER), raw });
      this.recvSeq++;
      // The retransmission timer keeps running until we answer with our next flight (or the
      // handshake ends): if the rest of the peer's flight is lost, resending ours makes the
      // peer resend all of it (§4.2.4).
      this.lastFlightEvent = 'received';
    }
    return out;
  }

  private fragmentIn(type: number, length: number, seq: number, fOff: number, frag: Uint8Array): void {
    if (this.currentEpoch < this.records.readEpoch) {
      // A handshake record of the previous epoch can only be a retransmission of the flight
      // that finished the last handshake (§4.2.4): the peer lost our answer.
      if (this.answersRetransmissions) this.replayFlight(this.finalFlight);
      else if (this.inHandshake) this.replayLastFlight();
      return;
    }
    if (!this.inHandshake || this.recvSeq === undefined) {
      if (!this.inHandshake) {
        // Between handshakes only the first message of a new one starts one (message_seq 0:
        // the client's ClientHello, or the server's HelloRequest); anything else is a
        // retransmission of the finished handshake's final flight.
        const opens = this.o.role === 'server' ? type === HandshakeType.client_hello : type === HandshakeType.hello_request;
        if (!(opens && seq === 0)) {
          if (this.answersRetransmissions) this.replayFlight(this.finalFlight);
          return;
        }
        this.beginHandshake();
        this.recvSeq = 0;
      } else if ((seq <= 1 || this.acceptsClientHelloAfterCookies(type)) && (this.o.role === 'server'
        ? type === HandshakeType.client_hello
        : type === HandshakeType.server_hello || type === HandshakeType.hello_verify_request || type === HandshakeType.hello_request)) {
        this.recvSeq = seq;
        // §4.2.2 with a stateless HelloVerifyRequest: the server's ServerHello answers the
        // client's second ClientHello with the same message_seq.
        if (this.o.role === 'server' && this.initialHandshake && type === HandshakeType.client_hello) {
          this.sendSeq = seq;
          // Likewise the record sequence: a stateless HelloVerifyRequest used the first
          // ClientHello's record number, so continue from this one's (as OpenSSL does).
          this.records.skipEpoch0To(this.currentSeq);
        }
      } else {
        return;
      }
    }
    if (seq < this.recvSeq!) {
      // §4.2.4: the peer retransmitted a flight we already have: it lost ours.
      this.replayLastFlight();
      return;
    }
    if (seq > this.recvSeq! + 16) return; // too far ahead to be legitimate
    if (type === HandshakeType.finished && this.records.readEpoch === this.handshakeStartEpoch) {
      // Finished always follows the peer's ChangeCipherSpec, in a new epoch: one in the epoch
      // this handshake started in is a late retransmission from the previous handshake, whose
      // message_seq may collide with this one's (message_seq restarts each handshake, §4.2.2).
      return;
    }
    let r = this.reassembly.get(seq);
    const isNew = r === undefined;
    if (!r) {
      r = new FragmentedMessage(type, length);
    } else if (r.type !== type || r.length !== length) {
      throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'DTLS handshake fragments disagree', 'illegal_parameter');
    }
    // Only bytes not held yet are kept, and they are paid for as they arrive: a fragment that
    // claims a large message costs its own size, not the message's.
    const { parts, cost } = r.newParts(fOff, frag);
    if (cost > 0 && !this.reserve(cost, seq)) return; // dropped; the peer retransmits (§4.2.4)
    if (cost > 0) r.add(parts, cost);
    if (isNew) this.reassembly.set(seq, r);
  }

  /** §4.2.2: each ClientHello a client sends after a HelloVerifyRequest takes the next
   *  message_seq, so one that got two (its cookie refused once) sends its third with 2. A
   *  stateless server (the cookie proved the address) takes the first one it accepts at
   *  whatever message_seq it has, as OpenSSL's stateful server does after its second
   *  HelloVerifyRequest. */
  private acceptsClientHelloAfterCookies(type: number): boolean {
    return this.o.role === 'server' && this.initialHandshake && type === HandshakeType.client_hello;
  }

  /** Room for `cost` bytes of message `seq`. The message everything waits for may push out
   *  later messages of the flight (they come again with the peer's retransmission). */
  private reserve(cost: number, seq: number): boolean {
    if (this.account.reserve(cost)) return true;
    if (seq !== this.recvSeq) return false;
    for (const [s, m] of [...this.reassembly].sort((a, b) => b[0] - a[0])) {
      if (s === seq) continue;
      this.reassembly.delete(s);
      this.account.release(m.held);
      if (this.account.reserve(cost)) return true;
    }
    return false;
  }

  /** Drop every partial message (and release its bytes). */
  private clearReassembly(): void {
    for (const m of this.reassembly.values()) this.account.release(m.held);
    this.reassembly.clear();
  }

  get handshakePartial(): boolean {
    return this.recvSeq !== undefined && this.reassembly.has(this.recvSeq);
  }

  /** A new handshake (renegotiation) starts on our side: message_seq restarts at 0 (§4.2.2). */
  beginHandshake(): void {
    this.inHandshake = true;
    this.lastFlightEvent = 'received';
    this.sendSeq = 0;
    this.recvSeq = undefined;
    this.clearReassembly();
    this.handshakeStarted = this.o.now();
    this.handshakeStartEpoch = this.records.readEpoch;
  }

  queueHandshake(type: number, body: Uint8Array): Uint8Array {
    if (!this.flightOpen) {
      this.flight = [];
      this.flightOpen = true;
    }
    const seq = this.sendSeq++;
    const item: FlightItem = { kind: 'handshake', epoch: this.records.writeEpoch, type, seq, body };
    this.flight.push(item);
    this.unsent.push(item);
    return dtlsHandshakeFragment({ type, length: body.length, messageSeq: seq, fragmentOffset: 0, fragmentLength: body.length }, body);
  }

  flush(): Uint8Array[] {
    const out = this.outbox;
    this.outbox = [];
    if (this.unsent.length > 0) {
      out.push(...this.packDatagrams(this.unsent.flatMap((it) => this.flightRecords(it))));
      this.unsent = [];
      this.flightOpen = false;
      // §4.2.4: wait for the peer's next flight; retransmit this one if it does not come.
      this.timeout = this.o.initialTimeout;
      this.deadline = this.inHandshake ? this.o.now() + this.timeout : undefined;
      if (this.inHandshake) this.lastFlightEvent = 'sent';
    }
    return out;
  }

  changeCipherSpec(): Uint8Array[] {
    if (!this.flightOpen) {
      this.flight = [];
      this.flightOpen = true;
    }
    const item: FlightItem = { kind: 'ccs', epoch: this.records.writeEpoch, type: ContentType.change_cipher_spec, seq: -1, body: CCS_BODY };
    this.flight.push(item);
    this.unsent.push(item);
    // §4.1: the epoch increments with each ChangeCipherSpec; sequence numbers restart at 0.
    this.records.activateWrite();
    return [];
  }

  /** Application data and alerts: each call's records go out now, one record per datagram
   *  (a write that fits recordBudget stays one record, one datagram). */
  encode(type: number, data: Uint8Array): Uint8Array[] {
    const out = this.flush();
    const max = this.recordBudget;
    for (let i = 0; i < Math.max(1, Math.ceil(data.length / max)); i++) {
      out.push(this.records.record(type, this.records.writeEpoch, data.subarray(i * max, Math.min(data.length, (i + 1) * max))));
    }
    return out;
  }

  setPending(read: RecordProtection, write: RecordProtection): void {
    this.records.setPending(read, write);
  }

  activateRead(): void {
    this.records.activateRead();
  }

  handshakeDone(): void {
    // Our flight went out after the peer's last message: it is the final flight (§4.2.4).
    this.answersRetransmissions = this.lastFlightEvent === 'sent';
    this.finalFlight = this.answersRetransmissions ? this.flight : [];
    this.inHandshake = false;
    this.initialHandshake = false;
    this.records.epoch0Closed = true;
    this.records.retirePreviousRead();
    this.deadline = undefined;
    this.flightOpen = false;
    this.clearReassembly();
  }

  cancelHandshake(): void {
    this.inHandshake = false;
    this.deadline = undefined;
    this.flightOpen = false;
    this.clearReassembly();
  }

  tick(now: number): Uint8Array[] {
    // The handshake timeout holds whether or not a retransmission is due (a handshake waiting
    // for a flight that never completes must still end).
    if (this.inHandshake && now - this.handshakeStarted > this.o.handshakeTimeout) {
      // The shell's own timer (same duration) says the same: one message for one code, as node:tls.
      throw new TlsError(ErrorCode.HANDSHAKE_TIMEOUT, 'TLS handshake timeout');
    }
    if (this.deadline === undefined || now < this.deadline) return [];
    // §4.2.4.1: retransmit the last flight and double the timer, up to the cap.
    this.timeout = Math.min(this.timeout * 2, this.o.maxTimeout);
    this.deadline = now + this.timeout;
    return this.retransmit();
  }

  get nextDeadline(): number | undefined {
    if (!this.inHandshake) return this.deadline;
    const timeoutAt = this.handshakeStarted + this.o.handshakeTimeout + 1;
    return this.deadline === undefined ? timeoutAt : Math.min(this.deadline, timeoutAt);
  }

  /** §4.2.4: on receiving the peer's retransmission, resend our last flight (rate limited). */
  private replayLastFlight(): void {
    this.replayFlight(this.flight);
  }

  private replayFlight(flight: FlightItem[]): void {
    const now = this.o.now();
    if (flight.length === 0 || now - this.lastReplayRetransmit < 100) return;
    this.lastReplayRetransmit = now;
    this.outbox.push(...this.packDatagrams(flight.flatMap((it) => this.flightRecords(it))));
  }

  private retransmit(): Uint8Array[] {
    return this.packDatagrams(this.flight.flatMap((it) => this.flightRecords(it)));
  }

  /** The records of one flight item: a ChangeCipherSpec, or a handshake message cut into
   *  fragments that fit the MTU (§4.2.3). */
  private flightRecords(it: FlightItem): Uint8Array[] {
    const epochOverhead = this.records.overheadOf(it.epoch);
    if (epochOverhead === undefined) return []; // an epoch we no longer keep
    if (it.kind === 'ccs') return [this.records.record(ContentType.change_cipher_spec, it.epoch, it.body)];
    const overhead = RECORD_HEADER + HS_HEADER + epochOverhead;
    const room = Math.max(64, this.o.mtu - overhead);
    const out: Uint8Array[] = [];
    const len = it.body.length;
    for (let o = 0; o === 0 || o < len; o += room) {
      const n = Math.min(room, len - o);
      const payload = dtlsHandshakeFragment({ type: it.type, length: len, messageSeq: it.seq, fragmentOffset: o, fragmentLength: n }, it.body.subarray(o, o + n));
      out.push(this.records.record(ContentType.handshake, it.epoch, payload));
      if (len === 0) break;
    }
    return out;
  }

  /** Several records per datagram (§4.1.1), each datagram at most the MTU. */
  private packDatagrams(records: Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    let batch: Uint8Array[] = [];
    let size = 0;
    const emit = (): void => {
      if (batch.length === 0) return;
      const d = new Uint8Array(size);
      let o = 0;
      for (const r of batch) { d.set(r, o); o += r.length; }
      out.push(d);
      batch = [];
      size = 0;
    };
    for (const r of records) {
      if (size + r.length > this.o.mtu) emit();
      batch.push(r);
      size += r.length;
    }
    emit();
    return out;
  }
}

const CCS_BODY = new Uint8Array([1]);


function decodeError(what: string): TlsError {
  return new TlsError(ErrorCode.DECODE, what, 'decode_error');
}
