// A seeded RandomSource for reproducible engine tests: SHA-256 in counter mode.
import { createHash } from 'node:crypto';
import type { RandomSource } from '../../lib/crypto/provider.js';

export function seededRandom(seed: string): RandomSource {
  let counter = 0;
  let pool = new Uint8Array(0);
  let pos = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (pos === pool.length) {
        pool = new Uint8Array(createHash('sha256').update(`${seed}/${counter++}`).digest());
        pos = 0;
      }
      out[i] = pool[pos++]!;
    }
    return out;
  };
}

/** Seeded floats in [0, 1), from seededRandom(seed) (for reproducible schedules in specs). */
export function seededUnit(seed: string): () => number {
  const r = seededRandom(seed);
  return () => {
    const b = r(4);
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 0x1_0000_0000;
  };
}
