// A UDP relay between a DTLS client and server that knows the keys: it is given the client's
// NSS key log lines ('keylog' event: CLIENT_RANDOM <client_random> <master_secret>), reads each
// handshake's randoms and cipher suite from the ClientHello and ServerHello it forwards
// (decrypting them in a renegotiation), and derives every epoch's record keys with the
// library's own key schedule (RFC 5246 §6.3). So it can open any record it saw and seal new
// ones with a valid MAC under any epoch and sequence number: an attacker who holds the keys.
// It forwards everything at once, in order, and keeps a copy of every record.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import { CIPHER_SUITES } from '../../lib/engine/cipher-suites.js';
import { ContentType, HandshakeType, ProtocolVersion } from '../../lib/engine/constants.js';
import { deriveCipherStates, type DirectionalStates } from '../../lib/engine/handshake/key-schedule.js';
import {
  DTLS_HANDSHAKE_HEADER_LENGTH, DTLS_RECORD_HEADER_LENGTH, readDtlsRecordHeader, writeDtlsRecordHeader,
} from '../../lib/engine/record/framing.js';
import { toHex } from '../../lib/hex.js';
import { within } from './within.js';

export type Direction = 'toServer' | 'toClient';

/** One record as it crossed the relay. */
export interface SeenRecord {
  direction: Direction;
  type: number;
  epoch: number;
  /** The 48-bit sequence number (RFC 6347 §4.1). */
  seq: number;
  /** The record's bytes on the wire (header included), to replay as they were. */
  wire: Uint8Array;
  /** Its position among all records the relay has seen, both directions. */
  index: number;
}

/** The keys of one epoch: epoch n uses the keys of the n-th handshake (RFC 6347 §4.1). */
interface EpochSecrets {
  clientRandom?: Uint8Array;
  serverRandom?: Uint8Array;
  suiteId?: number;
  states?: DirectionalStates;
}

const TWO32 = 2 ** 32;

export class KeyedDtlsRelay {
  private readonly front: Socket = createSocket('udp4');
  private readonly back: Socket = createSocket('udp4');
  private client: RemoteInfo | undefined;
  /** Master secrets by client_random (hex), from the key log. */
  private readonly masters = new Map<string, Uint8Array>();
  /** Index n: the handshake whose keys protect epoch n (index 0 unused: epoch 0 is plaintext). */
  private readonly epochs: EpochSecrets[] = [{}];
  readonly records: SeenRecord[] = [];
  /** Datagrams to drop instead of forwarding, decided from the records each holds (recorded
   *  all the same; default: none). */
  hold: ((records: SeenRecord[], direction: Direction) => boolean) | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly serverPort: number) {
    this.front.on('message', (m, rinfo) => {
      this.client = rinfo;
      this.pass(m, 'toServer');
    });
    this.back.on('message', (m) => this.pass(m, 'toClient'));
  }

  /** Binds both sockets on 127.0.0.1; resolves with the port the client must connect to. */
  async listen(): Promise<number> {
    await within(new Promise<void>((r) => this.back.bind(0, '127.0.0.1', () => r())), 'relay bind');
    return within(new Promise<number>((r) => this.front.bind(0, '127.0.0.1', () => r(this.front.address().port))), 'relay bind');
  }

  /** One NSS key log line (or several): CLIENT_RANDOM <hex> <hex>. */
  keylog(lines: string | Uint8Array): void {
    for (const line of Buffer.from(lines).toString('latin1').split('\n')) {
      const m = /^CLIENT_RANDOM ([0-9a-f]{64}) ([0-9a-f]{96})$/i.exec(line.trim());
      if (m) this.masters.set(m[1]!.toLowerCase(), new Uint8Array(Buffer.from(m[2]!, 'hex')));
    }
  }

  /** The records of `type` seen going `direction` in `epoch`, in order. */
  seen(direction: Direction, type: number, epoch?: number): SeenRecord[] {
    return this.records.filter((r) => r.direction === direction && r.type === type && (epoch === undefined || r.epoch === epoch));
  }

  /** The plaintext of a record the relay saw (null: it does not authenticate). */
  open(r: Pick<SeenRecord, 'direction' | 'type' | 'epoch' | 'seq' | 'wire'>): Uint8Array | null {
    const st = this.statesOf(r.epoch);
    const state = r.direction === 'toServer' ? st.client : st.server;
    const hi = ((r.epoch << 16) | Math.floor(r.seq / TWO32)) >>> 0;
    const version = (r.wire[1]! << 8) | r.wire[2]!;
    return state.open(hi, r.seq >>> 0, r.type, version, r.wire.subarray(DTLS_RECORD_HEADER_LENGTH));
  }

  /** A new record with a valid MAC: `plaintext` as `type` in `epoch` with sequence number `seq`,
   *  sealed with the keys of the side that sends towards `direction`. */
  seal(direction: Direction, type: number, epoch: number, seq: number, plaintext: Uint8Array): Uint8Array {
    const st = this.statesOf(epoch);
    const state = direction === 'toServer' ? st.client : st.server;
    const seqHi = Math.floor(seq / TWO32);
    const out = new Uint8Array(DTLS_RECORD_HEADER_LENGTH + plaintext.length + state.overhead);
    const n = state.sealInto(((epoch << 16) | seqHi) >>> 0, seq >>> 0, type, ProtocolVersion.DTLS1_2, plaintext, out, DTLS_RECORD_HEADER_LENGTH);
    writeDtlsRecordHeader(out, 0, { type, version: ProtocolVersion.DTLS1_2, epoch, seqHi, seqLo: seq >>> 0, length: n });
    return out.subarray(0, DTLS_RECORD_HEADER_LENGTH + n);
  }

  /** Sends datagrams as if they came from the client (same 4-tuple as its traffic). */
  injectToServer(...datagrams: Uint8Array[]): void {
    for (const d of datagrams) this.back.send(d, this.serverPort, '127.0.0.1');
  }

  /** Sends datagrams to the client as if they came from the server. */
  injectToClient(...datagrams: Uint8Array[]): void {
    const c = this.client;
    if (!c) throw new Error('no client has spoken yet');
    for (const d of datagrams) this.front.send(d, c.port, c.address);
  }

  /** Resolves once `ok()` holds, checked at every datagram the relay passes on. */
  until(ok: () => boolean, what: string, ms?: number): Promise<void> {
    if (ok()) return Promise.resolve();
    let wake!: () => void;
    const p = new Promise<void>((resolve) => {
      wake = () => {
        if (!ok()) return;
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
    return within(p, what, ms).finally(() => this.waiters.delete(wake));
  }

  close(): void {
    this.front.close();
    this.back.close();
  }

  private pass(m: Buffer, direction: Direction): void {
    const d = new Uint8Array(m.buffer, m.byteOffset, m.length);
    const first = this.records.length;
    for (let o = 0; ;) {
      const h = readDtlsRecordHeader(d, o);
      if (!h || o + DTLS_RECORD_HEADER_LENGTH + h.length > d.length) break;
      const wire = d.slice(o, o + DTLS_RECORD_HEADER_LENGTH + h.length);
      o += wire.length;
      const r: SeenRecord = { direction, type: h.type, epoch: h.epoch, seq: h.seqHi * TWO32 + h.seqLo, wire, index: this.records.length };
      this.records.push(r);
      if (r.type === ContentType.handshake) this.learn(r);
    }
    if (!this.hold?.(this.records.slice(first), direction)) {
      if (direction === 'toServer') this.back.send(m, this.serverPort, '127.0.0.1');
      else if (this.client) this.front.send(m, this.client.port, this.client.address);
    }
    for (const w of [...this.waiters]) w();
  }

  /** Picks the randoms and the suite out of a ClientHello or ServerHello (RFC 5246 §7.4.1.2,
   *  §7.4.1.3): the handshake they start has its keys in epoch `record epoch + 1`. */
  private learn(r: SeenRecord): void {
    const payload = r.epoch === 0 ? r.wire.subarray(DTLS_RECORD_HEADER_LENGTH) : this.tryOpen(r);
    if (!payload || payload.length < DTLS_HANDSHAKE_HEADER_LENGTH) return;
    const type = payload[0]!;
    const fragmentOffset = (payload[6]! << 16) | (payload[7]! << 8) | payload[8]!;
    if (fragmentOffset !== 0 || (type !== HandshakeType.client_hello && type !== HandshakeType.server_hello)) return;
    const body = payload.subarray(DTLS_HANDSHAKE_HEADER_LENGTH);
    const e = (this.epochs[r.epoch + 1] ??= {});
    const random = body.slice(2, 34);
    if (type === HandshakeType.client_hello) {
      e.clientRandom = random;
    } else {
      e.serverRandom = random;
      const sid = body[34]!;
      e.suiteId = (body[35 + sid]! << 8) | body[36 + sid]!;
    }
    e.states = undefined;
  }

  private tryOpen(r: SeenRecord): Uint8Array | null {
    try {
      return this.open(r);
    } catch {
      return null; // keys not known (yet)
    }
  }

  private statesOf(epoch: number): DirectionalStates {
    const e = this.epochs[epoch];
    if (!e?.clientRandom || !e.serverRandom || e.suiteId === undefined) throw new Error(`relay: the handshake of epoch ${epoch} was not seen`);
    if (!e.states) {
      const master = this.masters.get(toHex(e.clientRandom));
      if (!master) throw new Error(`relay: no key log line for the handshake of epoch ${epoch}`);
      const suite = CIPHER_SUITES.find((s) => s.id === e.suiteId);
      if (!suite) throw new Error(`relay: unknown cipher suite 0x${e.suiteId.toString(16)}`);
      e.states = deriveCipherStates(nobleProvider, suite, master, e.clientRandom, e.serverRandom);
    }
    return e.states;
  }
}
