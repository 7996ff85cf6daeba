// The default RandomSource: the operating system's CSPRNG through node:crypto, drawn in blocks.
// One randomFillSync call costs about 12 µs under OpenSSL 3 whatever its size, and a handshake
// asks for a few dozen bytes several times (randoms, ECDHE secrets, session IDs, ticket IVs), so
// small draws are cut from a 4 KiB block. Each draw is copied out and its bytes in the block are
// zeroed at once: the block never hands out the same bytes twice and keeps none it handed out.
import { randomFillSync } from 'node:crypto';
import type { RandomSource } from './provider.js';

const BLOCK_BYTES = 4096;
/** Larger draws come straight from the CSPRNG. */
const MAX_POOLED_DRAW = 256;

let block = new Uint8Array(0);
let used = 0;

export const systemRandom: RandomSource = (n) => {
  if (n > MAX_POOLED_DRAW) return randomFillSync(new Uint8Array(n));
  if (used + n > block.length) {
    block = randomFillSync(new Uint8Array(BLOCK_BYTES));
    used = 0;
  }
  const out = block.slice(used, used + n);
  block.fill(0, used, used + n);
  used += n;
  return out;
};
