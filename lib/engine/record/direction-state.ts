// One direction of a record layer, TLS or DTLS (Go's halfConn; rustls' per-direction state):
// the keys in use and the keys prepared beside them, switched in at a ChangeCipherSpec (RFC 5246
// §7.1, RFC 6347 §4.1), each epoch with its own record sequence numbers that must never wrap.

import { TlsError, ErrorCode } from '../../errors.js';
import type { RecordProtection } from './record-protection.js';

/** RFC 5246 §6.1: a TLS sequence number may not wrap (2^64 − 1; JS numbers stop exact before). */
export const TLS_MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;
/** RFC 6347 §4.1: a DTLS sequence number is 48 bits, per epoch. */
export const DTLS_MAX_SEQUENCE = 2 ** 48 - 1;

/** The keys of one epoch of one direction and the next record number sent under them. */
export class EpochKeys {
  private seq: number;

  /** `cipher` null: the epoch before the first ChangeCipherSpec (records in the clear). */
  constructor(readonly cipher: RecordProtection | null, private readonly maxSeq: number, firstSeq = 0) {
    this.seq = firstSeq;
  }

  /** Bytes a record gains under these keys (explicit nonce and tag). */
  get overhead(): number {
    return this.cipher?.overhead ?? 0;
  }

  /** Continue numbering at `seq` or later (a DTLS server answering a ClientHello that passed
   *  a stateless cookie exchange continues from that ClientHello's record number). */
  skipTo(seq: number): void {
    this.seq = Math.max(this.seq, seq);
  }

  /** The next record's sequence number. Running out is fatal: RFC 5246 §6.1 and RFC 6347 §4.1
   *  require new keys (a renegotiation) long before; we end the connection rather than reuse a
   *  number under the same key. */
  nextSeq(): number {
    if (this.seq > this.maxSeq) {
      throw new TlsError(ErrorCode.INTERNAL, 'record sequence number space exhausted', 'internal_error');
    }
    return this.seq++;
  }
}

export class DirectionState {
  /** Epoch of `current` (DTLS puts it in every record; TLS counts ChangeCipherSpecs). */
  epoch = 0;
  current: EpochKeys;
  private pending: RecordProtection | null = null;

  constructor(private readonly maxSeq: number, firstSeq = 0) {
    this.current = new EpochKeys(null, maxSeq, firstSeq);
  }

  /** Keys agreed by a handshake, waiting for this direction's ChangeCipherSpec. */
  prepare(cipher: RecordProtection): void {
    this.pending = cipher;
  }

  get hasPending(): boolean {
    return this.pending !== null;
  }

  /** ChangeCipherSpec: the prepared keys become current in a new epoch, numbering from 0.
   *  Without prepared keys the ChangeCipherSpec came too early: `tooEarly` says how to fail. */
  activate(tooEarly: () => TlsError): EpochKeys {
    if (this.pending === null) throw tooEarly();
    this.epoch++;
    this.current = new EpochKeys(this.pending, this.maxSeq);
    this.pending = null;
    return this.current;
  }
}
