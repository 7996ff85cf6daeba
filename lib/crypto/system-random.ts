// The default RandomSource: the operating system's CSPRNG.
import { randomFillSync } from 'node:crypto';
import type { RandomSource } from './provider.js';

export const systemRandom: RandomSource = (n) => randomFillSync(new Uint8Array(n));
