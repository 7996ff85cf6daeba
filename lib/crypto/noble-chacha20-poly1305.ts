// ChaCha20-Poly1305 (RFC 8439 §2.8) for the record path, on @noble/ciphers' ChaCha20 and Poly1305,
// composed here so that a record costs the cipher and the MAC and nothing around them. noble's
// one-shot chacha20poly1305() XORs the keystream byte by byte when its output is not 4-byte
// aligned (a record's fragment starts 5 bytes into the record, so sealing into the record always
// took that path) and Poly1305's update() copies the whole ciphertext before reading it. Here the
// keystream is XORed in an aligned scratch buffer, 32 bits at a time, and Poly1305 reads the
// ciphertext where it lies. The bytes are noble's: spec/record-path.spec.ts compares them with
// OpenSSL's at every offset.
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { Poly1305 } from '@noble/ciphers/_poly1305.js';
import { isLE } from '@noble/ciphers/utils.js';
import { AeadInto } from './aead-into.js';
import { constantTimeEqual } from '../constant-time.js';

const TAG = 16;
const BLOCK = 16;
/** The largest plaintext sealed through the scratch buffer: a TLS record (RFC 5246 §6.2.1,
 *  2^14 bytes) with room for a DTLS or CBC-sized one; larger inputs take noble's one-shot path. */
const SCRATCH = 16 * 1024 + 2048;
/** One scratch for every key: a record is sealed or opened synchronously from start to end, so
 *  no two records ever use it at once, and an idle connection keeps none of its own. Fresh
 *  ArrayBuffer: offset 0, 4-byte aligned. */
const WORK = new Uint8Array(SCRATCH);
/** RFC 8439 §2.6.1: the Poly1305 key is the first 32 bytes of the keystream block at counter 0. */
const ZEROS32 = new Uint8Array(32);
const PAD = new Uint8Array(BLOCK);
const LENGTHS = new Uint8Array(BLOCK);

/** Poly1305 that reads whole 16-byte blocks in place (noble's block function, its process()),
 *  without the copy update() makes of its input. */
class RecordPoly1305 extends Poly1305 {
  /** RFC 8439 §2.8: `data` then pad16(data), zero bytes up to a multiple of 16. */
  absorbPadded(data: Uint8Array): void {
    const whole = data.length - (data.length % BLOCK);
    const p = this as unknown as { process(d: Uint8Array, offset: number): void };
    for (let o = 0; o < whole; o += BLOCK) p.process(data, o);
    if (whole < data.length) {
      PAD.fill(0);
      PAD.set(data.subarray(whole));
      p.process(PAD, 0);
    }
  }

  /** RFC 8439 §2.8: le64(len(AAD)) || le64(len(ciphertext)), then the tag into `tag`. */
  finish(aadLength: number, ciphertextLength: number, tag: Uint8Array): void {
    LENGTHS.fill(0);
    writeLe32(LENGTHS, 0, aadLength);
    writeLe32(LENGTHS, 8, ciphertextLength);
    (this as unknown as { process(d: Uint8Array, offset: number): void }).process(LENGTHS, 0);
    this.digestInto(tag);
  }
}

/** open() (AeadInto) opens into a fresh, aligned buffer: the keystream is XORed in place there. */
export class NobleChaCha20Poly1305 extends AeadInto {
  readonly tagLength = TAG;
  /** Private (#): util.inspect never shows the key. */
  readonly #key: Uint8Array;
  readonly #tag = new Uint8Array(TAG);

  constructor(key: Uint8Array) {
    super();
    this.#key = key;
  }

  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
    const n = plaintext.length;
    if (n > SCRATCH || !isLE || nonce.length !== 12) {
      const sealed = chacha20poly1305(this.#key, nonce, aad).encrypt(plaintext);
      out.set(sealed, offset);
      return sealed.length;
    }
    // RFC 8439 §2.8: the payload is encrypted from block counter 1 (counter 0 made the MAC key).
    const work = WORK.subarray(0, n);
    work.set(plaintext);
    chacha20(this.#key, nonce, work, work, 1);
    this.computeTag(nonce, aad, work, this.#tag);
    out.set(work, offset);
    out.set(this.#tag, offset + n);
    return n + TAG;
  }

  openInto(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array, offset: number): number {
    const n = ciphertextAndTag.length - TAG;
    if (n < 0 || nonce.length !== 12) return -1;
    const ciphertext = ciphertextAndTag.subarray(0, n);
    if (n > SCRATCH || !isLE) {
      try {
        out.set(chacha20poly1305(this.#key, nonce, aad).decrypt(ciphertextAndTag), offset);
        return n;
      } catch {
        return -1; // tag mismatch: authentication failure
      }
    }
    // RFC 8439 §2.8: the tag is checked before any plaintext is released.
    this.computeTag(nonce, aad, ciphertext, this.#tag);
    if (!constantTimeEqual(this.#tag, ciphertextAndTag.subarray(n))) return -1;
    const target = out.subarray(offset, offset + n);
    if (target.byteOffset % 4 === 0) {
      target.set(ciphertext);
      chacha20(this.#key, nonce, target, target, 1);
      return n;
    }
    const work = WORK.subarray(0, n);
    work.set(ciphertext);
    chacha20(this.#key, nonce, work, work, 1);
    target.set(work);
    return n;
  }

  /** RFC 8439 §2.8: Poly1305 keyed by the counter-0 block over AAD || pad16 || ciphertext ||
   *  pad16 || le64(len(AAD)) || le64(len(ciphertext)). */
  private computeTag(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): void {
    const macKey = chacha20(this.#key, nonce, ZEROS32);
    const mac = new RecordPoly1305(macKey);
    macKey.fill(0);
    mac.absorbPadded(aad);
    mac.absorbPadded(ciphertext);
    mac.finish(aad.length, ciphertext.length, tag);
    mac.destroy();
  }
}

/** A length as a little-endian 64-bit number; record lengths stay far below 2^32. */
function writeLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
