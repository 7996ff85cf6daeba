// Test payloads: deterministic pseudo-random bytes and text lines, and their sha256.
import { createHash } from 'node:crypto';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Deterministic pseudo-random bytes: xoshiro128** seeded through splitmix32 from `seed`
 * (a number, or a string hashed with sha256). Same (seed, n) -> same bytes, on any machine.
 * Not cryptographic; about 250 MB/s.
 */
export function randomBytesSeeded(seed: number | string, n: number): Buffer {
  const s = new Uint32Array(4);
  if (typeof seed === 'string') {
    const h = createHash('sha256').update(seed).digest();
    for (let i = 0; i < 4; i++) s[i] = h.readUInt32LE(i * 4);
  } else {
    let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  let a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!;
  while (i < n) {
    const r0 = Math.imul(b, 5);
    const r = Math.imul((r0 << 7) | (r0 >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    if (i + 4 <= n) {
      out.writeUInt32LE(r, i);
      i += 4;
    } else {
      for (let k = 0; i < n; k++) out[i++] = (r >>> (8 * k)) & 0xff;
    }
  }
  return out;
}

/** First characters randomTextLines never uses (s_client: R Q K k; s_server: q Q r R k K c P S). */
export const TEXT_LINE_FORBIDDEN_FIRST = 'RQKkqrcPS';

/**
 * `count` deterministic printable-ASCII lines (no newline included; join with "\n"), each
 * 1..maxLen long, never starting with a command letter of s_client or s_server (see
 * TEXT_LINE_FORBIDDEN_FIRST) nor with a space, and without CR. Safe for gnutls-serv --echo.
 */
export function randomTextLines(seed: number | string, count: number, maxLen = 72): string[] {
  const bytes = randomBytesSeeded(typeof seed === 'string' ? `lines:${seed}` : `lines:${seed}`, count * (maxLen + 2));
  const firstChars = 'ABCDEFGHIJLMNOTUVWXYZabdefghijlmnopstuvwxyz0123456789'.split('').filter((ch) => !TEXT_LINE_FORBIDDEN_FIRST.includes(ch));
  const lines: string[] = [];
  let j = 0;
  for (let i = 0; i < count; i++) {
    const len = 1 + (bytes[j++]! % maxLen);
    let line = firstChars[bytes[j++]! % firstChars.length]!;
    for (let k = 1; k < len; k++) line += String.fromCharCode(0x20 + (bytes[j++]! % 95));
    lines.push(line);
  }
  return lines;
}
