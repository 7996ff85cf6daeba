/** Compare two byte strings without an early exit on the first difference (Finished, RFC 5746 values). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** 0xffffffff when a === b, else 0, without a branch (a, b: non-negative, below 2^31: bytes
 *  and indices). (x - 1) has its top bit set only for x == 0. */
export function ctEqMask(a: number, b: number): number {
  const x = (a ^ b) >>> 0;
  return ((x - 1) >> 31) | 0;
}

/** 0xffffffff when a >= b, else 0 (a, b below 2^31), without a branch. */
export function ctGeMask(a: number, b: number): number {
  return ~((a - b) >> 31) | 0;
}
