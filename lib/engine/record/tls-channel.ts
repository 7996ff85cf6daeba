// RecordChannel over TLS's byte stream: the TLS record layer plus the handshake reassembler.
import { ContentType } from '../constants.js';
import { concatBytes } from '../../concat-bytes.js';
import type { RawHandshakeMessage } from '../handshake/messages.js';
import { HandshakeReassembler, type HandshakeReassemblerOptions } from '../handshake/handshake-reassembler.js';
import type { InboundRecord, RecordChannel } from '../record-channel.js';
import type { RecordProtection } from './record-protection.js';
import { TlsRecordLayer } from './tls-record-layer.js';
import { tlsHandshakeMessage } from './framing.js';

const CCS_BODY = new Uint8Array([1]);

export class TlsChannel implements RecordChannel {
  readonly dtls = false;
  private readonly records = new TlsRecordLayer();
  /** The reassembler, while handshake bytes come: made with the first of a handshake and let go
   *  when it completes with no partial message held, so an idle connection keeps none. */
  private reassembler: HandshakeReassembler | undefined;
  /** A handshake message has been received on this connection (the next reassembler does not
   *  check for the first message of the first handshake). */
  private received = false;
  /** Our handshake messages not yet put in records (none between flights). */
  private queued: Uint8Array[] | undefined;

  /** `role` lets the reassembler refuse, at the header, a message this side never receives.
   *  `options` is kept as given (an Engine passes one object for all its connections). */
  constructor(private readonly options: HandshakeReassemblerOptions = {}) {}

  get maxFragment(): number {
    return this.records.maxFragment;
  }

  set maxFragment(n: number) {
    this.records.maxFragment = n;
  }

  push(bytes: Uint8Array): void {
    this.records.push(bytes);
  }

  nextRecord(): InboundRecord | null {
    return this.records.nextRecord();
  }

  handshakeIn(data: Uint8Array): RawHandshakeMessage[] {
    const r = (this.reassembler ??= new HandshakeReassembler(this.options, !this.received));
    this.received = true;
    return r.push(data);
  }

  get handshakePartial(): boolean {
    return this.reassembler?.hasPartial ?? false;
  }

  /** Bytes held for a partly received handshake message (bounded by what the peer sent). */
  get handshakeBufferedBytes(): number {
    return this.reassembler?.bufferedBytes ?? 0;
  }

  queueHandshake(type: number, body: Uint8Array): Uint8Array {
    const raw = tlsHandshakeMessage(type, body);
    (this.queued ??= []).push(raw);
    return raw;
  }

  /** A whole flight goes out as one burst of handshake records. */
  flush(): Uint8Array[] {
    const parts = this.queued;
    if (parts === undefined) return [];
    this.queued = undefined;
    return [this.records.encode(ContentType.handshake, concatBytes(...parts))];
  }

  changeCipherSpec(): Uint8Array[] {
    const out = this.flush();
    out.push(this.records.encode(ContentType.change_cipher_spec, CCS_BODY));
    // RFC 5246 §7.1: from here our records use the new write state.
    this.records.activateWrite();
    return out;
  }

  encode(type: number, data: Uint8Array): Uint8Array[] {
    return this.records.encodePieces(type, data);
  }

  setPending(read: RecordProtection, write: RecordProtection): void {
    this.records.setPending(read, write);
  }

  activateRead(): void {
    this.records.activateRead();
  }

  handshakeDone(): void {
    if (this.reassembler?.hasPartial === false) this.reassembler = undefined;
  }

  tick(): Uint8Array[] {
    return [];
  }

  get nextDeadline(): number | undefined {
    return undefined;
  }
}
