// AES-CCM (RFC 3610; NIST SP 800-38C) on noble's AES, which has no CCM: CBC-MAC from its CBC
// mode (zero IV, last block) and the encryption from its CTR mode. Used by the TLS AES-CCM and
// AES-CCM_8 suites (RFC 6655 §3, RFC 7251) with a 12-byte nonce (L = 3) and 16- or 8-byte tags;
// the code takes any RFC 3610 nonce length (7..13 bytes) so the published vectors apply.
import { cbc, ctr } from '@noble/ciphers/aes.js';
import { constantTimeEqual } from '../constant-time.js';

const BLOCK = 16;

export class AesCcm {
  constructor(
    private readonly key: Uint8Array,
    /** M: 4, 6, 8, 10, 12, 14 or 16 bytes (RFC 3610 §2). */
    readonly tagLength: number,
  ) {
    if (tagLength < 4 || tagLength > 16 || tagLength % 2 !== 0) throw new RangeError(`CCM tag length ${tagLength}`);
  }

  /** Returns ciphertext || tag (RFC 3610 §2.4). */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + this.tagLength);
    const tag = this.cbcMac(nonce, aad, plaintext);
    out.set(ctr(this.key, counterBlock(nonce, 1)).encrypt(plaintext), 0);
    const s0 = ctr(this.key, counterBlock(nonce, 0)).encrypt(tag.subarray(0, this.tagLength));
    out.set(s0, plaintext.length);
    return out;
  }

  /** The plaintext, or null when the tag does not verify (RFC 3610 §2.5: nothing else is
   *  revealed). */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    const ptLength = ciphertextAndTag.length - this.tagLength;
    if (ptLength < 0 || nonce.length < 7 || nonce.length > 13) return null;
    const plaintext = ctr(this.key, counterBlock(nonce, 1)).encrypt(ciphertextAndTag.subarray(0, ptLength));
    const expected = ctr(this.key, counterBlock(nonce, 0)).encrypt(this.cbcMac(nonce, aad, plaintext).subarray(0, this.tagLength));
    return constantTimeEqual(expected, ciphertextAndTag.subarray(ptLength)) ? plaintext : null;
  }

  /** RFC 3610 §2.2: T = the first M bytes of CBC-MAC(B_0 || encoded a || padding || m ||
   *  padding), returned as the whole last block (16 bytes). */
  private cbcMac(nonce: Uint8Array, aad: Uint8Array, message: Uint8Array): Uint8Array {
    const L = 15 - nonce.length;
    if (L < 2 || L > 8) throw new RangeError(`CCM nonce of ${nonce.length} bytes`);
    // §2.2: a is encoded with a 2-byte length when 0 < l(a) < 2^16 - 2^8, else 0xfffe || 4 bytes.
    const aadHeader = aad.length === 0 ? 0 : aad.length < 0xff00 ? 2 : 6;
    const aadBlock = roundUp(aadHeader + aad.length);
    const b = new Uint8Array(BLOCK + aadBlock + roundUp(message.length));
    // B_0: Flags = 64*Adata + 8*M' + L', M' = (M-2)/2, L' = L-1; then the nonce, then l(m).
    b[0] = (aad.length > 0 ? 0x40 : 0) | (((this.tagLength - 2) / 2) << 3) | (L - 1);
    b.set(nonce, 1);
    let len = message.length;
    for (let i = 15; i > nonce.length; i--) {
      b[i] = len & 0xff;
      len = Math.floor(len / 256);
    }
    let o = BLOCK;
    if (aadHeader === 2) {
      b[o++] = aad.length >>> 8;
      b[o++] = aad.length & 0xff;
    } else if (aadHeader === 6) {
      b[o++] = 0xff;
      b[o++] = 0xfe;
      b[o++] = aad.length >>> 24;
      b[o++] = (aad.length >>> 16) & 0xff;
      b[o++] = (aad.length >>> 8) & 0xff;
      b[o++] = aad.length & 0xff;
    }
    b.set(aad, o);
    b.set(message, BLOCK + aadBlock);
    const chained = cbc(this.key, new Uint8Array(BLOCK), { disablePadding: true }).encrypt(b);
    return chained.subarray(chained.length - BLOCK);
  }
}

/** RFC 3610 §2.3: A_i = Flags (L' only) || nonce || counter i in L bytes. noble's CTR mode
 *  increments the whole block big-endian, which is the same while i < 2^(8L). */
function counterBlock(nonce: Uint8Array, i: number): Uint8Array {
  const a = new Uint8Array(BLOCK);
  a[0] = 15 - nonce.length - 1;
  a.set(nonce, 1);
  a[15] = i;
  return a;
}

function roundUp(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}
