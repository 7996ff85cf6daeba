// DER: the Distinguished Encoding Rules of ASN.1 (ITU-T X.690 §8 basic rules, §10 DER
// restrictions), limited to what X.509 certificates (RFC 5280 §4.1) use: low tag numbers,
// definite lengths, and the universal types below. Encoding and decoding of TLVs only; the
// meaning of certificate fields lives with the code that reads or writes them.
import { concatBytes } from '../concat-bytes.js';

/** Universal tags (X.690 §8.1.2; constructed bit 0x20 included for SEQUENCE / SET). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag of a context-specific [n] field (X.690 §8.1.2.2, class bits 10). */
export function contextTag(n: number, constructed: boolean): number {
  if (n < 0 || n > 30) throw new RangeError(`context tag [${n}] out of range`);
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** One decoded TLV. `bytes` is the whole encoding (tag, length, content); `content` the value. */
export interface DerNode {
  readonly tag: number;
  readonly bytes: Uint8Array;
  readonly content: Uint8Array;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Decodes the TLV that starts at `offset` (X.690 §8.1). Throws DerError on malformed input. */
export function decodeAt(input: Uint8Array, offset: number): DerNode {
  if (offset + 2 > input.length) throw new DerError('truncated DER header');
  const tag = input[offset]!;
  // X.690 §8.1.2.4: tag number 31 introduces the high-tag-number form, unused in X.509.
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let pos = offset + 1;
  const first = input[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    // X.690 §10.1: definite form only; §8.1.3.5: long form with 1..4 length octets here.
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4) throw new DerError('DER length too large');
    if (pos + count > input.length) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
    // X.690 §10.1: the minimum number of length octets.
    if (length < 0x80 || (count > 1 && input[pos - count] === 0)) {
      throw new DerError('non-minimal DER length');
    }
  }
  const end = pos + length;
  if (end > input.length) throw new DerError('DER content runs past the end of input');
  return { tag, bytes: input.subarray(offset, end), content: input.subarray(pos, end) };
}

/** Decodes exactly one TLV that must span all of `input`. */
export function decode(input: Uint8Array): DerNode {
  const node = decodeAt(input, 0);
  if (node.bytes.length !== input.length) throw new DerError('trailing bytes after DER value');
  return node;
}

/** Decodes the concatenation of TLVs in `input` (the content of a SEQUENCE / SET). */
export function decodeList(input: Uint8Array): DerNode[] {
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < input.length) {
    const node = decodeAt(input, offset);
    out.push(node);
    offset += node.bytes.length;
  }
  return out;
}

/** The elements of a constructed value. */
export function children(node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw new DerError(`tag 0x${node.tag.toString(16)} is not constructed`);
  return decodeList(node.content);
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined || node.tag !== tag) {
    throw new DerError(`expected ${what} (tag 0x${tag.toString(16)})`);
  }
  return node;
}

/** OBJECT IDENTIFIER (X.690 §8.19) in dotted form. */
export function readOid(node: DerNode): string {
  expectTag(node, Tag.OID, 'OBJECT IDENTIFIER');
  const c = node.content;
  if (c.length === 0) throw new DerError('empty OID');
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (value === 0n && b === 0x80) throw new DerError('non-minimal OID arc');
    value = (value << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    } else if (i === c.length - 1) {
      throw new DerError('truncated OID arc');
    }
  }
  // §8.19.4: the first subidentifier packs the first two arcs.
  const head = arcs[0]!;
  const first = head < 40n ? 0n : head < 80n ? 1n : 2n;
  return [first, head - first * 40n, ...arcs.slice(1)].join('.');
}

/** INTEGER content bytes (two's complement, big-endian; X.690 §8.3). */
export function readIntegerBytes(node: DerNode): Uint8Array {
  expectTag(node, Tag.INTEGER, 'INTEGER');
  if (node.content.length === 0) throw new DerError('empty INTEGER');
  return node.content;
}

/** A small non-negative INTEGER as a number (e.g. a version or pathLenConstraint). */
export function readSmallInteger(node: DerNode): number {
  const c = readIntegerBytes(node);
  if ((c[0]! & 0x80) !== 0) throw new DerError('negative INTEGER');
  if (c.length > 6) throw new DerError('INTEGER too large');
  let v = 0;
  for (const b of c) v = v * 256 + b;
  return v;
}

export function readBoolean(node: DerNode): boolean {
  expectTag(node, Tag.BOOLEAN, 'BOOLEAN');
  if (node.content.length !== 1) throw new DerError('bad BOOLEAN length');
  return node.content[0] !== 0;
}

/** BIT STRING (X.690 §8.6): the unused-bit count and the bit bytes. */
export function readBitString(node: DerNode): { unusedBits: number; bytes: Uint8Array } {
  expectTag(node, Tag.BIT_STRING, 'BIT STRING');
  const c = node.content;
  if (c.length === 0 || c[0]! > 7 || (c.length === 1 && c[0] !== 0)) {
    throw new DerError('malformed BIT STRING');
  }
  return { unusedBits: c[0]!, bytes: c.subarray(1) };
}

/** UTCTime / GeneralizedTime as RFC 5280 §4.1.2.5 profiles them (Zulu, seconds), in ms. */
export function readTime(node: DerNode): number {
  const s = latin1(node.content);
  let m: RegExpExecArray | null;
  if (node.tag === Tag.UTC_TIME) {
    // §4.1.2.5.1: YYMMDDHHMMSSZ; YY >= 50 means 19YY, else 20YY.
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s);
    if (m === null) throw new DerError(`bad UTCTime ${JSON.stringify(s)}`);
    const yy = Number(m[1]);
    return Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]),
      Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  }
  if (node.tag === Tag.GENERALIZED_TIME) {
    // §4.1.2.5.2: YYYYMMDDHHMMSSZ (fractions tolerated and dropped).
    m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.\d+)?Z$/.exec(s);
    if (m === null) throw new DerError(`bad GeneralizedTime ${JSON.stringify(s)}`);
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]),
      Number(m[6]));
  }
  throw new DerError('expected UTCTime or GeneralizedTime');
}

/** The text of a character-string type (UTF8, Printable, IA5, Visible, T61, BMP, Universal). */
export function readString(node: DerNode): string {
  const c = node.content;
  switch (node.tag) {
    case Tag.UTF8_STRING:
      return new TextDecoder('utf-8', { fatal: false }).decode(c);
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
    case Tag.VISIBLE_STRING:
    case Tag.T61_STRING: // treated as Latin-1, as OpenSSL does
      return latin1(c);
    case Tag.BMP_STRING: {
      let s = '';
      for (let i = 0; i + 1 < c.length; i += 2) s += String.fromCharCode((c[i]! << 8) | c[i + 1]!);
      return s;
    }
    case Tag.UNIVERSAL_STRING: {
      let s = '';
      for (let i = 0; i + 3 < c.length; i += 4) {
        s += String.fromCodePoint(((c[i]! << 24) | (c[i + 1]! << 16) | (c[i + 2]! << 8) | c[i + 3]!) >>> 0);
      }
      return s;
    }
    default:
      throw new DerError(`tag 0x${node.tag.toString(16)} is not a character string`);
  }
}

export function isStringTag(tag: number): boolean {
  return tag === Tag.UTF8_STRING || tag === Tag.PRINTABLE_STRING || tag === Tag.IA5_STRING ||
    tag === Tag.VISIBLE_STRING || tag === Tag.T61_STRING || tag === Tag.BMP_STRING ||
    tag === Tag.UNIVERSAL_STRING;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...parts);
}

/** One TLV with definite, minimal length (X.690 §8.1.3, §10.1). */
export function encode(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  const n = body.length;
  let header: number[];
  if (n < 0x80) {
    header = [tag, n];
  } else {
    const lenBytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) lenBytes.unshift(v & 0xff);
    header = [tag, 0x80 | lenBytes.length, ...lenBytes];
  }
  return concat([Uint8Array.from(header), body]);
}

export function sequence(...items: Uint8Array[]): Uint8Array {
  return encode(Tag.SEQUENCE, ...items);
}

/** SET OF with its elements in DER order (X.690 §11.6: sorted by encoding). */
export function setOf(...items: Uint8Array[]): Uint8Array {
  const sorted = [...items].sort(compareBytes);
  return encode(Tag.SET, ...sorted);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** INTEGER from a non-negative number or unsigned big-endian magnitude bytes (X.690 §8.3). */
export function integer(value: number | Uint8Array): Uint8Array {
  let mag: Uint8Array;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('bad INTEGER value');
    const bytes: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    mag = Uint8Array.from(bytes);
  } else {
    mag = value;
  }
  let start = 0;
  while (start < mag.length - 1 && mag[start] === 0) start++; // §8.3.2: minimal octets
  mag = mag.subarray(start);
  if (mag.length === 0) mag = new Uint8Array(1);
  // A set top bit would read as negative: prefix a zero octet.
  const body = (mag[0]! & 0x80) !== 0 ? concat([new Uint8Array(1), mag]) : mag;
  return encode(Tag.INTEGER, body);
}

export function boolean(value: boolean): Uint8Array {
  return encode(Tag.BOOLEAN, Uint8Array.of(value ? 0xff : 0x00)); // X.690 §11.1
}

export function nullValue(): Uint8Array {
  return encode(Tag.NULL);
}

/** OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new RangeError(`bad OID ${dotted}`);
  const subids = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const id of subids) {
    const chunk: number[] = [Number(id & 0x7fn)];
    for (let v = id >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...chunk);
  }
  return encode(Tag.OID, Uint8Array.from(out));
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return encode(Tag.OCTET_STRING, bytes);
}

/** BIT STRING (X.690 §8.6) with `unusedBits` trailing pad bits in the last octet. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Uint8Array {
  return encode(Tag.BIT_STRING, Uint8Array.of(unusedBits), bytes);
}

/** A named-bit BIT STRING (e.g. KeyUsage) from bit positions, trailing zero bits dropped as
 *  X.690 §11.2.2 requires. Bit 0 is the most significant bit of the first octet. */
export function namedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return bitString(new Uint8Array(0));
  const highest = Math.max(...bits);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return bitString(bytes, 7 - (highest & 7));
}

export function utf8String(s: string): Uint8Array {
  return encode(Tag.UTF8_STRING, new TextEncoder().encode(s));
}

export function ia5String(s: string): Uint8Array {
  if (!/^[\x00-\x7f]*$/.test(s)) throw new RangeError('IA5String must be ASCII');
  return encode(Tag.IA5_STRING, new TextEncoder().encode(s));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function time(date: Date): Uint8Array {
  const y = date.getUTCFullYear();
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const rest = p2(date.getUTCMonth() + 1) + p2(date.getUTCDate()) + p2(date.getUTCHours()) +
    p2(date.getUTCMinutes()) + p2(date.getUTCSeconds()) + 'Z';
  if (y >= 1950 && y < 2050) {
    return encode(Tag.UTC_TIME, new TextEncoder().encode(p2(y % 100) + rest));
  }
  return encode(Tag.GENERALIZED_TIME, new TextEncoder().encode(String(y).padStart(4, '0') + rest));
}

/** [n] EXPLICIT: a constructed context tag wrapping a complete TLV (X.690 §8.14). */
export function explicit(n: number, inner: Uint8Array): Uint8Array {
  return encode(contextTag(n, true), inner);
}

/** [n] IMPLICIT on a primitive type: the context tag replaces the universal one. */
export function implicit(n: number, content: Uint8Array): Uint8Array {
  return encode(contextTag(n, false), content);
}
