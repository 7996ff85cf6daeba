// One direction's record protection for the AEAD suites (RFC 5246 §6.2.3.3).
// The same object serves TLS and DTLS: the caller passes the 64-bit sequence number as two
// 32-bit halves (TLS: the implicit counter; DTLS: epoch || sequence_number, RFC 6347 §4.1.2.1).
import type { Aead, CryptoProvider } from '../../crypto/provider.js';
import type { CipherSuite } from '../cipher-suites.js';
import type { RecordProtection } from './record-protection.js';

/** Scratch for the record being sealed or opened: the 12-byte nonce and the 13-byte additional
 *  data. One pair for every connection, not one per CipherState: a record is sealed or opened
 *  synchronously from start to end (the provider's seal/open return their result), so no two
 *  records ever use them at once, and an idle connection keeps no scratch of its own. */
const NONCE = new Uint8Array(12);
const AAD = new Uint8Array(13);

/** The pieces around a ciphertext sealed detached (explicit nonce before, tag after), one
 *  shared object per shape rather than one per connection and direction. */
const detachedFrames = new Map<number, { readonly before: number; readonly after: number }>();
function detachedFrame(before: number, after: number): { readonly before: number; readonly after: number } {
  const k = before * 256 + after;
  let f = detachedFrames.get(k);
  if (!f) detachedFrames.set(k, (f = Object.freeze({ before, after })));
  return f;
}

export class CipherState implements RecordProtection {
  readonly suite: CipherSuite;
  private readonly aead: Aead;
  /** The fixed IV (client/server_write_IV, RFC 5246 §6.3) as three 32-bit words: GCM and CCM
   *  use 4 bytes (the salt, #iv0), ChaCha20-Poly1305 12. Numbers, not a Uint8Array of 4 or 12
   *  bytes (about 200 bytes of heap that every connection would keep per direction); private
   *  (#), so util.inspect and JSON.stringify never show them. */
  readonly #iv0: number;
  readonly #iv1: number;
  readonly #iv2: number;

  readonly detachedFrame: { readonly before: number; readonly after: number } | undefined;

  constructor(provider: CryptoProvider, suite: CipherSuite, key: Uint8Array, fixedIv: Uint8Array) {
    this.suite = suite;
    this.aead = provider.aead(suite.aead!, key);
    this.#iv0 = readU32(fixedIv, 0) | 0;
    this.#iv1 = fixedIv.length >= 12 ? readU32(fixedIv, 4) | 0 : 0;
    this.#iv2 = fixedIv.length >= 12 ? readU32(fixedIv, 8) | 0 : 0;
    this.detachedFrame = this.aead.sealDetached ? detachedFrame(suite.explicitNonceLength, this.aead.tagLength) : undefined;
  }

  /** Bytes this state adds to a plaintext: explicit nonce + tag. */
  get overhead(): number {
    return this.suite.explicitNonceLength + this.aead.tagLength;
  }

  /**
   * Nonce for record number (hi, lo).
   * GCM, RFC 5288 §3: salt (4 bytes of the key block) || nonce_explicit, where we use the
   * sequence number as nonce_explicit (unique per key, as §3 requires).
   * ChaCha20-Poly1305, RFC 7905 §2: the 64-bit sequence number, left-padded to 12 bytes,
   * XORed with the 12-byte IV.
   */
  private setNonce(hi: number, lo: number): void {
    const n = NONCE;
    writeU32(n, 0, this.#iv0);
    if (this.suite.explicitNonceLength === 8) {
      writeU32(n, 4, hi);
      writeU32(n, 8, lo);
    } else {
      writeU32(n, 4, (hi ^ this.#iv1) >>> 0);
      writeU32(n, 8, (lo ^ this.#iv2) >>> 0);
    }
  }

  /** RFC 5246 §6.2.3.3: additional_data = seq_num + type + version + length (of plaintext). */
  private setAad(hi: number, lo: number, type: number, version: number, length: number): void {
    const a = AAD;
    writeU32(a, 0, hi);
    writeU32(a, 4, lo);
    a[8] = type;
    a[9] = version >>> 8;
    a[10] = version & 0xff;
    a[11] = length >>> 8;
    a[12] = length & 0xff;
  }

  /**
   * Encrypt one record's plaintext into `out` at `offset` (explicit nonce, then ciphertext and
   * tag). `out` must have room for plaintext.length + overhead bytes. Returns bytes written.
   */
  sealInto(
    hi: number, lo: number, type: number, version: number,
    plaintext: Uint8Array, out: Uint8Array, offset: number,
  ): number {
    this.setNonce(hi, lo);
    this.setAad(hi, lo, type, version, plaintext.length);
    let o = offset;
    if (this.suite.explicitNonceLength === 8) {
      out.set(NONCE.subarray(4), o);
      o += 8;
    }
    const aead = this.aead;
    if (aead.sealInto !== undefined) return o + aead.sealInto(NONCE, AAD, plaintext, out, o) - offset;
    const sealed = aead.seal(NONCE, AAD, plaintext);
    out.set(sealed, o);
    return o + sealed.length - offset;
  }

  /** sealInto() in pieces (RecordProtection.sealDetached): the explicit nonce into `glue` at
   *  `beforeAt`, the tag at `afterAt`, the ciphertext returned as the provider made it. */
  sealDetached(
    hi: number, lo: number, type: number, version: number,
    plaintext: Uint8Array, glue: Uint8Array, beforeAt: number, afterAt: number,
  ): Uint8Array {
    this.setNonce(hi, lo);
    this.setAad(hi, lo, type, version, plaintext.length);
    if (this.suite.explicitNonceLength === 8) glue.set(NONCE.subarray(4), beforeAt);
    return this.aead.sealDetached!(NONCE, AAD, plaintext, glue, afterAt);
  }

  /** Decrypt a record fragment; null when it does not authenticate or is too short. */
  open(hi: number, lo: number, type: number, version: number, fragment: Uint8Array): Uint8Array | null {
    const explicit = this.suite.explicitNonceLength;
    const ptLength = fragment.length - explicit - this.aead.tagLength;
    if (ptLength < 0) return null;
    if (explicit === 8) {
      // RFC 5288 §3: the nonce is salt || the record's nonce_explicit.
      writeU32(NONCE, 0, this.#iv0);
      NONCE.set(fragment.subarray(0, 8), 4);
    } else {
      this.setNonce(hi, lo);
    }
    this.setAad(hi, lo, type, version, ptLength);
    // open(), not openInto(): the plaintext goes up to the application, which may keep it, so it
    // needs a buffer of its own anyway; every provider's open() allocates exactly that one (node's
    // is its decipher's output), and it is handed up without a copy.
    return this.aead.open(NONCE, AAD, fragment.subarray(explicit));
  }
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
