// What the Engine needs from the layers below the handshake: records in and out, and
// handshake messages framed for the wire. TLS (a byte stream) and DTLS (datagrams with epochs,
// fragmentation and retransmission) each implement it; the Engine's protocol logic is shared.
import type { RawHandshakeMessage } from './handshake/messages.js';
import type { RecordProtection } from './record/record-protection.js';

export interface InboundRecord {
  type: number;
  data: Uint8Array;
}

export interface RecordChannel {
  readonly dtls: boolean;
  /** Largest plaintext per record we send. */
  maxFragment: number;
  /** Transport input: a chunk of the TLS byte stream, or one DTLS datagram. */
  push(bytes: Uint8Array): void;
  /** The next decrypted record, or null. Throws TlsError when the connection must end. */
  nextRecord(): InboundRecord | null;
  /** Handshake record payload → complete handshake messages (raw = transcript bytes). */
  handshakeIn(data: Uint8Array): RawHandshakeMessage[];
  /** A handshake message is partly received (a ChangeCipherSpec must not arrive then). */
  readonly handshakePartial: boolean;
  /** Frame a handshake message for sending (queued until flush); returns its transcript bytes. */
  queueHandshake(type: number, body: Uint8Array): Uint8Array;
  /** Send queued handshake messages; returns transport units (byte chunks or datagrams). */
  flush(): Uint8Array[];
  /** Send ChangeCipherSpec after the queued messages and switch the write state. */
  changeCipherSpec(): Uint8Array[];
  /** Encode records (application data, alerts) now. */
  encode(type: number, data: Uint8Array): Uint8Array[];
  setPending(read: RecordProtection, write: RecordProtection): void;
  /** The peer's ChangeCipherSpec: switch the read state. */
  activateRead(): void;
  /** A handshake we start ourselves (renegotiation) begins (DTLS: message_seq restarts). */
  beginHandshake?(): void;
  /** The handshake completed (DTLS: stop retransmitting, keep the final flight for replays). */
  handshakeDone(): void;
  /** A renegotiation that will not happen (refused or abandoned): back to the established state
   *  without counting it as a completed handshake (DTLS: stop its timers, keep the final flight
   *  of the last completed handshake for replays). */
  cancelHandshake?(): void;
  /** Time passed (DTLS retransmission timers): transport units to send. */
  tick(now: number): Uint8Array[];
  /** When tick() next has work, or undefined. */
  readonly nextDeadline: number | undefined;
}
