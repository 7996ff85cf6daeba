// BER reader (X.690 §8): definite and indefinite lengths, low tag numbers. PKCS #12 files from
// Windows and Java are BER, not DER, so der.ts (DER only) is not enough for them. Malformed input
// throws DerError.

import { concatBytes } from '../concat-bytes.js';
import { DerError, readOid, readSmallInteger, Tag, type DerNode } from './der.js';


export interface BerNode extends DerNode {
  readonly children: readonly BerNode[];
}

/** Nesting depth bound (hostile input must not recurse without end). */
const MAX_DEPTH = 48;

function berAt(input: Uint8Array, offset: number, depth: number): BerNode {
  if (depth > MAX_DEPTH) throw new DerError('ASN.1 nesting too deep');
  if (offset + 2 > input.length) throw new DerError('truncated ASN.1 header');
  const tag = input[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high ASN.1 tag numbers are not used in PKCS #12');
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = input[pos++]!;
  if (first === 0x80) {
    // X.690 §8.1.3.6: indefinite length, constructed only, ends with end-of-contents (00 00).
    if (!constructed) throw new DerError('indefinite length on a primitive ASN.1 value');
    const children: BerNode[] = [];
    const start = pos;
    for (;;) {
      if (pos + 2 > input.length) throw new DerError('missing ASN.1 end-of-contents');
      if (input[pos] === 0 && input[pos + 1] === 0) break;
      const child = berAt(input, pos, depth + 1);
      children.push(child);
      pos += child.bytes.length;
    }
    return { tag, bytes: input.subarray(offset, pos + 2), content: input.subarray(start, pos), children };
  }
  let length = first;
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new DerError('ASN.1 length too large');
    if (pos + count > input.length) throw new DerError('truncated ASN.1 length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
  }
  const end = pos + length;
  if (end > input.length) throw new DerError('ASN.1 value runs past the end of its container');
  const content = input.subarray(pos, end);
  const children: BerNode[] = [];
  if (constructed) {
    for (let p = 0; p < content.length;) {
      const child = berAt(content, p, depth + 1);
      children.push(child);
      p += child.bytes.length;
    }
  }
  return { tag, bytes: input.subarray(offset, end), content, children };
}

/** Exactly one BER value spanning `input` (or starting it, with `trailing`). */
export function ber(input: Uint8Array, depth = 0, trailing = false): BerNode {
  const node = berAt(input, 0, depth);
  if (!trailing && node.bytes.length !== input.length) throw new DerError('trailing bytes after ASN.1 value');
  return node;
}

export function expect(node: BerNode | undefined, tag: number, what: string): BerNode {
  if (node === undefined || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

export function seq(node: BerNode | undefined, what: string): readonly BerNode[] {
  return expect(node, Tag.SEQUENCE, what).children;
}

/**
 * The value of an OCTET STRING (or of an IMPLICIT one with primitive tag `tag`), joining the
 * segments of a constructed encoding (X.690 §8.7.3).
 */
export function octets(node: BerNode | undefined, what: string, tag: number = Tag.OCTET_STRING): Uint8Array {
  if (node === undefined) throw new DerError(`missing ${what}`);
  if (node.tag === tag) return node.content;
  if (node.tag === (tag | 0x20)) return concatBytes(...node.children.map((c) => octets(c, what)));
  throw new DerError(`expected ${what} (OCTET STRING)`);
}

export function oidOf(node: BerNode | undefined, what: string): string {
  if (node === undefined || node.tag !== Tag.OID) throw new DerError(`expected ${what} (OID)`);
  // Real OIDs are short; a long one would only cost bigint work in readOid.
  if (node.content.length > 64) throw new DerError(`${what} OID too long`);
  return readOid(node);
}

/** The single element inside an EXPLICIT [0]. */
export function explicit0(node: BerNode | undefined, what: string): BerNode {
  if (node === undefined || node.tag !== 0xa0 || node.children.length !== 1) {
    throw new DerError(`expected ${what} ([0] EXPLICIT)`);
  }
  return node.children[0]!;
}

export function smallInt(node: BerNode | undefined, what: string): number {
  if (node === undefined || node.tag !== Tag.INTEGER) throw new DerError(`expected ${what} (INTEGER)`);
  return readSmallInteger(node);
}
