// AES-GCM (NIST SP 800-38D, RFC 5288) for one key, on @noble/ciphers' AES and GHASH, with the
// key-dependent work done once per key instead of once per record. noble's gcm() expands the AES
// key, computes the hash subkey H = E_K(0^128) and builds the GHASH multiplication table on every
// call (about 12 µs, as much as sealing 600 bytes); a TLS epoch seals thousands of records under
// one key. That state costs about 30 KiB per direction, so it is built only once the key has
// carried HOT_AFTER_BYTES: an idle connection (a handshake and a few records) stays small and
// uses noble's gcm() per record, a connection that streams pays for the table once.
import { gcm, unsafe } from '@noble/ciphers/aes.js';
import { GHASH } from '@noble/ciphers/_polyval.js';
import { isLE } from '@noble/ciphers/utils.js';
import { constantTimeEqual } from '../constant-time.js';
import { AeadInto } from './aead-into.js';

const BLOCK = 16;
const TAG = 16;
/** Bytes sealed or opened under one key before its expanded key and GHASH table are kept. */
export const HOT_AFTER_BYTES = 64 * 1024;
/** The GHASH table is sized for records of this length (noble picks its window from it). */
const RECORD_HINT = 16 * 1024;
const ZERO_BLOCK = new Uint8Array(BLOCK);

/** GHASH whose running state can start over for the next record under the same H (the table
 *  is the expensive part; the state is four words). */
class ReusableGhash extends GHASH {
  reset(): this {
    this.s0 = 0;
    this.s1 = 0;
    this.s2 = 0;
    this.s3 = 0;
    this.finished = false;
    return this;
  }

  /**
   * Absorbs data whose whole 16-byte blocks are read through `words` (4-byte aligned, little-
   * endian host, see NobleGcm.hot) without the copy update() makes; the tail goes to update().
   * The multiplication is noble's (_updateBlock: the table of multiples of H, one lookup per
   * window of W bits, SP 800-38D §6.3), written out here without the array noble makes per block,
   * which was the garbage collector's largest load on the record path.
   */
  absorbAligned(data: Uint8Array, words: Uint32Array): void {
    const blocks = Math.floor(data.length / BLOCK);
    const table = this.t;
    const { W, windowSize } = this as unknown as { W: number; windowSize: number };
    const mask = (1 << W) - 1;
    const steps = 8 / W;
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0, b = 0; i < blocks; i++, b += 4) {
      s0 ^= words[b]!; s1 ^= words[b + 1]!; s2 ^= words[b + 2]!; s3 ^= words[b + 3]!;
      let o0 = 0, o1 = 0, o2 = 0, o3 = 0;
      let w = 0;
      for (let k = 0; k < 4; k++) {
        const num = k === 0 ? s0 : k === 1 ? s1 : k === 2 ? s2 : s3;
        for (let bytePos = 0; bytePos < 4; bytePos++) {
          const byte = (num >>> (8 * bytePos)) & 0xff;
          for (let bitPos = steps - 1; bitPos >= 0; bitPos--) {
            const e = table[w * windowSize + ((byte >>> (W * bitPos)) & mask)]!;
            o0 ^= e.s0; o1 ^= e.s1; o2 ^= e.s2; o3 ^= e.s3;
            w++;
          }
        }
      }
      s0 = o0; s1 = o1; s2 = o2; s3 = o3;
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
    if (data.length > blocks * BLOCK) this.update(data.subarray(blocks * BLOCK));
  }
}

/** The per-key state kept once the key is hot. */
interface HotState {
  /** Expanded AES key schedule. */
  xk: Uint32Array;
  ghash: ReusableGhash;
  /** Counter block (J0, then J0 + 1 onwards), the tag mask E_K(J0), the tag, the length block. */
  counter: Uint8Array;
  mask: Uint8Array;
  tag: Uint8Array;
  lengths: Uint8Array;
  /** Aligned working copy of one record (noble's CTR and our GHASH read it as 32-bit words). */
  work: Uint8Array;
  words: Uint32Array;
}

export class NobleGcm extends AeadInto {
  readonly tagLength = TAG;
  private carried = 0;
  /** Private (#): util.inspect never shows the expanded key or the table. */
  #state: HotState | undefined;

  /** The key as signed 32-bit big-endian words (4 for AES-128, 8 for AES-256): small numbers
   *  in an array rather than a Uint8Array and its ArrayBuffer (about 100 bytes less heap that
   *  an idle connection keeps per direction). Private (#): util.inspect never shows it. */
  readonly #key: number[];

  constructor(key: Uint8Array) {
    super();
    // Sized once (an array grown by push() reserves room for 17 elements).
    const words = new Array<number>(key.length >>> 2);
    for (let i = 0; i < words.length; i++) {
      const o = 4 * i;
      words[i] = (key[o]! << 24) | (key[o + 1]! << 16) | (key[o + 2]! << 8) | key[o + 3]!;
    }
    this.#key = words;
  }

  /** The key's bytes, made for one use (the caller wipes them). */
  #keyBytes(): Uint8Array {
    const w = this.#key;
    const out = new Uint8Array(4 * w.length);
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      out[4 * i] = v >>> 24; out[4 * i + 1] = (v >>> 16) & 0xff; out[4 * i + 2] = (v >>> 8) & 0xff; out[4 * i + 3] = v & 0xff;
    }
    return out;
  }

  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const s = this.hot(plaintext.length, nonce);
    if (s === undefined) {
      const key = this.#keyBytes();
      const sealed = gcm(key, nonce, aad).encrypt(plaintext);
      key.fill(0);
      out.set(sealed, offset);
      return sealed.length;
    }
    const n = plaintext.length;
    const work = s.work.subarray(0, n);
    work.set(plaintext);
    unsafe.ctr32(s.xk, false, s.counter, work, work);
    this.computeTag(s, aad, work);
    out.set(work, offset);
    out.set(s.tag, offset + n);
    return n + TAG;
  }

  openInto(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array, offset: number): number {
    if (ciphertextAndTag.length < TAG) return -1;
    const n = ciphertextAndTag.length - TAG;
    const s = this.hot(n, nonce);
    if (s === undefined) {
      try {
        const plain = decryptCold(this.#keyBytes(), nonce, aad, ciphertextAndTag);
        out.set(plain, offset);
        return plain.length;
      } catch {
        return -1; // tag mismatch or malformed nonce: authentication failure either way
      }
    }
    const work = s.work.subarray(0, n);
    work.set(ciphertextAndTag.subarray(0, n));
    this.computeTag(s, aad, work);
    // SP 800-38D §7.2: the tag is checked before any plaintext is released.
    if (!constantTimeEqual(s.tag, ciphertextAndTag.subarray(n))) return -1;
    unsafe.ctr32(s.xk, false, s.counter, work, work);
    out.set(work, offset);
    return n;
  }

  /**
   * The kept state, with its counter at J0 + 1 and its mask E_K(J0) for `nonce` (SP 800-38D
   * §7.1: J0 = IV || 0^31 || 1 for a 96-bit IV), or undefined while the key is still cold (or
   * the nonce is not 96 bits, or the host is big-endian: noble's gcm() handles those).
   */
  private hot(length: number, nonce: Uint8Array): HotState | undefined {
    if (this.#state === undefined) {
      this.carried += length;
      if (this.carried < HOT_AFTER_BYTES || nonce.length !== 12 || !isLE) return undefined;
      this.#state = this.buildState();
    }
    const s = this.#state;
    if (s.work.length < length) {
      s.work = new Uint8Array(length);
      s.words = new Uint32Array(s.work.buffer, 0, length >>> 2);
    }
    s.counter.set(nonce);
    s.counter[12] = 0; s.counter[13] = 0; s.counter[14] = 0; s.counter[15] = 1;
    unsafe.ctr32(s.xk, false, s.counter, ZERO_BLOCK, s.mask);
    return s;
  }

  private buildState(): HotState {
    const key = this.#keyBytes();
    const xk = unsafe.expandKeyLE(key);
    key.fill(0);
    // SP 800-38D §6.4: the hash subkey H = E_K(0^128).
    const h = unsafe.encryptBlock(xk, new Uint8Array(BLOCK));
    const ghash = new ReusableGhash(h, RECORD_HINT);
    h.fill(0);
    const work = new Uint8Array(RECORD_HINT);
    return {
      xk, ghash, work, words: new Uint32Array(work.buffer),
      counter: new Uint8Array(BLOCK), mask: new Uint8Array(BLOCK), tag: new Uint8Array(BLOCK), lengths: new Uint8Array(BLOCK),
    };
  }

  /** SP 800-38D §7.1 steps 5-6: S = GHASH_H(A || 0^v || C || 0^u || [len(A)]64 || [len(C)]64),
   *  T = E_K(J0) xor S, into s.tag. `ciphertext` is s.work (aligned). */
  private computeTag(s: HotState, aad: Uint8Array, ciphertext: Uint8Array): void {
    const g = s.ghash.reset();
    if (aad.length > 0) g.update(aad);
    g.absorbAligned(ciphertext, s.words);
    writeBitLength(s.lengths, 0, aad.length);
    writeBitLength(s.lengths, 8, ciphertext.length);
    g.update(s.lengths);
    g.digestInto(s.tag);
    for (let i = 0; i < TAG; i++) s.tag[i]! ^= s.mask[i]!;
  }
}

/** noble's gcm() decryption with a key made for this one call, wiped after it (it throws when
 *  the tag does not authenticate). */
function decryptCold(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array {
  try {
    return gcm(key, nonce, aad).decrypt(ciphertextAndTag);
  } finally {
    key.fill(0);
  }
}

/** A byte length as a 64-bit big-endian count of bits (lengths here stay far below 2^53). */
function writeBitLength(b: Uint8Array, o: number, bytes: number): void {
  const bits = bytes * 8;
  const hi = Math.floor(bits / 0x1_0000_0000);
  const lo = bits >>> 0;
  b[o] = hi >>> 24; b[o + 1] = (hi >>> 16) & 0xff; b[o + 2] = (hi >>> 8) & 0xff; b[o + 3] = hi & 0xff;
  b[o + 4] = lo >>> 24; b[o + 5] = (lo >>> 16) & 0xff; b[o + 6] = (lo >>> 8) & 0xff; b[o + 7] = lo & 0xff;
}
