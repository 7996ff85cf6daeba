// TLS handshake reassembly (RFC 5246 §6.2.1): the handshake byte stream, cut into records at
// arbitrary points, back into whole messages.
import { checkHandshakeHeader, type HeaderCheck } from './handshake-limits.js';
import type { RawHandshakeMessage } from './messages.js';

const HEADER = 4; // RFC 5246 §7.4: msg_type, uint24 length

export type HandshakeReassemblerOptions = Omit<HeaderCheck, 'first'>;

/**
 * Splits the handshake byte stream into messages. Several messages in one fragment and one
 * message over many fragments are both handled. Each header is checked (type, then length:
 * `checkHandshakeHeader`) before any of its body is kept, and a body is kept as its bytes
 * arrive, never at the length the header claims: a peer that declares a large message and
 * sends little costs what it sent (`bufferedBytes`). Results never alias the pushed fragments.
 */
export class HandshakeReassembler {
  private readonly check: HeaderCheck;
  /** The header of the message being received; allocated with its first byte and released
   *  with the message, so an idle connection holds none. */
  private header: Uint8Array | undefined;
  private headerFill = 0;
  /** Declared body length of the message being received, once its header is known. */
  private bodyLength: number | undefined;
  /** Its body bytes so far, copied as they came. */
  private pieces: Uint8Array[] = [];
  private piecesFill = 0;

  /** `first`: the next message is the first of the connection's first handshake (checked as
   *  such when `role` is given). */
  constructor(options: HandshakeReassemblerOptions = {}, first = true) {
    // Named fields, not a spread: V8 gives each spread copy a map of its own (~450 bytes that
    // every connection would keep).
    this.check = { role: options.role, dtls: options.dtls, maxCertificateList: options.maxCertificateList, first: first && options.role !== undefined };
  }

  /** True while bytes of an incomplete message are buffered. */
  get hasPartial(): boolean {
    return this.headerFill > 0 || this.bodyLength !== undefined;
  }

  /** Bytes held for the incomplete message (header and body received so far). */
  get bufferedBytes(): number {
    return this.headerFill + (this.bodyLength === undefined ? 0 : HEADER + this.piecesFill);
  }

  /** Feeds the payload of one handshake record; returns the messages completed by it, in order.
   *  Throws TlsError (unexpected_message / illegal_parameter) as soon as a bad header is seen. */
  push(fragment: Uint8Array): RawHandshakeMessage[] {
    const out: RawHandshakeMessage[] = [];
    const n = fragment.length;
    let pos = 0;
    while (pos < n || (this.bodyLength === 0)) {
      if (this.bodyLength === undefined) {
        const take = Math.min(HEADER - this.headerFill, n - pos);
        this.header ??= new Uint8Array(HEADER);
        this.header.set(fragment.subarray(pos, pos + take), this.headerFill);
        this.headerFill += take;
        pos += take;
        if (this.headerFill < HEADER) break;
        const h = this.header;
        const length = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
        checkHandshakeHeader(h[0]!, length, this.check);
        this.check.first = false;
        this.headerFill = 0;
        this.bodyLength = length;
      }
      const take = Math.min(this.bodyLength - this.piecesFill, n - pos);
      if (take > 0) {
        // A copy (new Uint8Array(view)): a Buffer's slice() would pin the transport's chunk.
        this.pieces.push(new Uint8Array(fragment.subarray(pos, pos + take)));
        this.piecesFill += take;
        pos += take;
      }
      if (this.piecesFill === this.bodyLength) out.push(this.complete());
    }
    return out;
  }

  private complete(): RawHandshakeMessage {
    const raw = new Uint8Array(HEADER + this.piecesFill);
    raw.set(this.header!);
    let o = HEADER;
    for (const p of this.pieces) {
      raw.set(p, o);
      o += p.length;
    }
    this.pieces = [];
    this.piecesFill = 0;
    this.bodyLength = undefined;
    this.header = undefined;
    return { type: raw[0]!, body: raw.subarray(HEADER), raw };
  }
}
