// An AEAD written in the record path's forms, sealInto() and openInto() (provider.ts): seal() and
// open() are those with an output buffer of their own.
import type { Aead } from './provider.js';

export abstract class AeadInto implements Aead {
  abstract readonly tagLength: number;
  abstract sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  abstract openInto(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array, out: Uint8Array, offset: number): number;

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + this.tagLength);
    this.sealInto(nonce, aad, plaintext, out, 0);
    return out;
  }

  /** The plaintext in a fresh buffer (4-byte aligned, the caller's to keep), or null. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (ciphertextAndTag.length < this.tagLength) return null;
    const out = new Uint8Array(ciphertextAndTag.length - this.tagLength);
    return this.openInto(nonce, aad, ciphertextAndTag, out, 0) < 0 ? null : out;
  }
}
