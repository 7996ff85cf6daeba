// Big-endian wire primitives of the TLS presentation language (RFC 5246 §4): fixed-width
// unsigned integers (§4.4), opaque vectors with a 1/2/3-byte length prefix (§4.3).
//
// ByteReader: every overrun or length outside the declared bounds throws
// TlsError(ErrorCode.DECODE, ..., 'decode_error') (RFC 5246 §7.2.2 decode_error).
// ByteWriter: a growable buffer; writing a value that does not fit its field is a bug on our
// side and throws TlsError(ErrorCode.INTERNAL, ..., 'internal_error').
import { TlsError, ErrorCode } from '../errors.js';

function decodeError(what: string): TlsError {
  return new TlsError(ErrorCode.DECODE, `malformed ${what}`, 'decode_error');
}

function encodeError(what: string): TlsError {
  return new TlsError(ErrorCode.INTERNAL, `cannot encode ${what}`, 'internal_error');
}

/**
 * Reads big-endian fields from `buf[offset, end)`. Vectors and `bytes()` return subarrays of
 * the input (no copy): they alias it.
 */
export class ByteReader {
  private readonly buf: Uint8Array;
  private pos: number;
  private readonly end: number;

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    // Bounds may come from lengths on the wire, so a bad range is a decode_error.
    if (offset < 0 || end > buf.length || offset > end) throw decodeError('reader bounds');
    this.buf = buf;
    this.pos = offset;
    this.end = end;
  }

  /** Current read position (index into the underlying array). */
  get offset(): number {
    return this.pos;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): number {
    const p = this.pos;
    if (n > this.end - p) throw decodeError(what);
    this.pos = p + n;
    return p;
  }

  u8(what = 'uint8'): number {
    const p = this.need(1, what);
    return this.buf[p]!;
  }

  u16(what = 'uint16'): number {
    const p = this.need(2, what);
    const b = this.buf;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u24(what = 'uint24'): number {
    const p = this.need(3, what);
    const b = this.buf;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  u32(what = 'uint32'): number {
    const p = this.need(4, what);
    const b = this.buf;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** uint48 (RFC 6347 §4.1 sequence_number); exact, since 2^48 < 2^53. */
  u48(what = 'uint48'): number {
    const p = this.need(6, what);
    const b = this.buf;
    const hi = (b[p]! << 8) | b[p + 1]!;
    const lo = ((b[p + 2]! << 24) | (b[p + 3]! << 16) | (b[p + 4]! << 8) | b[p + 5]!) >>> 0;
    return hi * 0x1_0000_0000 + lo;
  }

  /** `n` raw bytes (a view, not a copy). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    const p = this.need(n, what);
    return this.buf.subarray(p, p + n);
  }

  /** Everything left (a view). */
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return this.buf.subarray(p, this.end);
  }

  private vecBody(len: number, what: string, min: number, max: number): Uint8Array {
    if (len < min || len > max) throw decodeError(what);
    return this.bytes(len, what);
  }

  /** opaque x<min..max> with a 1-byte length prefix (RFC 5246 §4.3); a view. */
  vec8(what = 'vector', min = 0, max = 0xff): Uint8Array {
    return this.vecBody(this.u8(what), what, min, max);
  }

  /** opaque x<min..max> with a 2-byte length prefix; a view. */
  vec16(what = 'vector', min = 0, max = 0xffff): Uint8Array {
    return this.vecBody(this.u16(what), what, min, max);
  }

  /** opaque x<min..max> with a 3-byte length prefix; a view. */
  vec24(what = 'vector', min = 0, max = 0xffffff): Uint8Array {
    return this.vecBody(this.u24(what), what, min, max);
  }

  /**
   * uint16 x<min..max> (bounds in bytes, as the RFC writes them, e.g. cipher_suites<2..2^16-2>):
   * a 2-byte length prefix followed by big-endian uint16 values; an odd length is malformed.
   */
  vec16OfU16(what = 'uint16 list', min = 0, max = 0xfffe): number[] {
    const v = this.vec16(what, min, max);
    if ((v.length & 1) !== 0) throw decodeError(what);
    const out = new Array<number>(v.length >>> 1);
    for (let i = 0, j = 0; i < v.length; i += 2, j++) out[j] = (v[i]! << 8) | v[i + 1]!;
    return out;
  }

  /** Throws decode_error unless everything has been read (no trailing bytes). */
  expectEnd(what = 'message'): void {
    if (this.pos !== this.end) throw decodeError(`${what} (trailing bytes)`);
  }
}

const EMPTY = new Uint8Array(0);
const MAX_BY_PREFIX = [0, 0xff, 0xffff, 0xffffff] as const;

/**
 * Growable big-endian writer. Capacity doubles on overflow (amortised O(1) per byte).
 * `finish()` hands out a view of the written bytes and detaches the buffer, so the writer can
 * be reused without ever overwriting a returned result.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;
  /** Open length-prefixed blocks: pairs (position of the prefix, prefix width). */
  private readonly open: number[] = [];

  constructor(initialCapacity = 256) {
    this.buf = initialCapacity > 0 ? new Uint8Array(initialCapacity) : EMPTY;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private grow(n: number): void {
    const needed = this.pos + n;
    let cap = Math.max(this.buf.length * 2, 64);
    while (cap < needed) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    if ((v & 0xff) !== v) throw encodeError(`uint8 ${v}`);
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    if ((v & 0xffff) !== v) throw encodeError(`uint16 ${v}`);
    if (this.pos + 2 > this.buf.length) this.grow(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
    return this;
  }

  u24(v: number): this {
    if ((v & 0xffffff) !== v) throw encodeError(`uint24 ${v}`);
    if (this.pos + 3 > this.buf.length) this.grow(3);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 16;
    b[p + 1] = v >>> 8;
    b[p + 2] = v;
    this.pos = p + 3;
    return this;
  }

  u32(v: number): this {
    if (v >>> 0 !== v) throw encodeError(`uint32 ${v}`);
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
    return this;
  }

  /** uint48 (RFC 6347 §4.1 sequence_number). */
  u48(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0 || v > 0xffff_ffff_ffff) throw encodeError(`uint48 ${v}`);
    if (this.pos + 6 > this.buf.length) this.grow(6);
    const hi = Math.floor(v / 0x1_0000_0000);
    const lo = v >>> 0;
    const b = this.buf;
    const p = this.pos;
    b[p] = hi >>> 8;
    b[p + 1] = hi;
    b[p + 2] = lo >>> 24;
    b[p + 3] = lo >>> 16;
    b[p + 4] = lo >>> 8;
    b[p + 5] = lo;
    this.pos = p + 6;
    return this;
  }

  /** Raw bytes, copied in. */
  bytes(data: Uint8Array): this {
    const n = data.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    this.buf.set(data, this.pos);
    this.pos += n;
    return this;
  }

  /** Opens a length-prefixed block with a `width`-byte length (RFC 5246 §4.3); close with endVec(). */
  startVec(width: 1 | 2 | 3): this {
    if (this.pos + width > this.buf.length) this.grow(width);
    this.open.push(this.pos, width);
    this.pos += width;
    return this;
  }

  /** Closes the innermost startVec() block, filling in its length. */
  endVec(): this {
    const width = this.open.pop();
    const at = this.open.pop();
    if (width === undefined || at === undefined) throw encodeError('endVec without startVec');
    const len = this.pos - at - width;
    if (len > MAX_BY_PREFIX[width as 1 | 2 | 3]) throw encodeError(`vector of ${len} bytes in a ${width}-byte length`);
    const b = this.buf;
    if (width === 3) {
      b[at] = len >>> 16;
      b[at + 1] = len >>> 8;
      b[at + 2] = len;
    } else if (width === 2) {
      b[at] = len >>> 8;
      b[at + 1] = len;
    } else {
      b[at] = len;
    }
    return this;
  }

  /** A block with a 1-byte length prefix whose contents `fill` writes. */
  vec8(fill: (w: this) => void): this {
    this.startVec(1);
    fill(this);
    return this.endVec();
  }

  /** A block with a 2-byte length prefix whose contents `fill` writes. */
  vec16(fill: (w: this) => void): this {
    this.startVec(2);
    fill(this);
    return this.endVec();
  }

  /** A block with a 3-byte length prefix whose contents `fill` writes. */
  vec24(fill: (w: this) => void): this {
    this.startVec(3);
    fill(this);
    return this.endVec();
  }

  /** opaque<0..2^8-1>: 1-byte length then the bytes. */
  opaque8(data: Uint8Array): this {
    if (data.length > 0xff) throw encodeError(`opaque of ${data.length} bytes in a 1-byte length`);
    return this.u8(data.length).bytes(data);
  }

  /** opaque<0..2^16-1>: 2-byte length then the bytes. */
  opaque16(data: Uint8Array): this {
    if (data.length > 0xffff) throw encodeError(`opaque of ${data.length} bytes in a 2-byte length`);
    return this.u16(data.length).bytes(data);
  }

  /** opaque<0..2^24-1>: 3-byte length then the bytes. */
  opaque24(data: Uint8Array): this {
    if (data.length > 0xffffff) throw encodeError(`opaque of ${data.length} bytes in a 3-byte length`);
    return this.u24(data.length).bytes(data);
  }

  /** uint16 x<..> with a 2-byte length prefix (e.g. cipher_suites, NamedCurveList). */
  vec16OfU16(values: readonly number[]): this {
    if (values.length > 0x7fff) throw encodeError(`list of ${values.length} uint16 values`);
    this.u16(values.length * 2);
    for (const v of values) this.u16(v);
    return this;
  }

  /**
   * The written bytes (a view of the internal buffer, no copy). The writer then starts over
   * empty with a fresh buffer, so later writes never alter the returned array.
   */
  finish(): Uint8Array {
    if (this.open.length !== 0) throw encodeError('unclosed vector');
    const out = this.buf.subarray(0, this.pos);
    this.buf = EMPTY;
    this.pos = 0;
    return out;
  }
}
