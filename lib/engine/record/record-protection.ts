// What the record layers (TLS and DTLS) need from one direction's keys, whatever the suite's
// record protection: an AEAD (RFC 5246 §6.2.3.3, cipher-state.ts) or a block cipher with HMAC
// (§6.2.3.2, MAC-then-encrypt or RFC 7366 encrypt-then-MAC, cbc-cipher-state.ts).
// The 64-bit sequence number comes as two 32-bit halves (TLS: the implicit counter; DTLS:
// epoch || sequence_number, RFC 6347 §4.1.2.1).
import type { CipherSuite } from '../cipher-suites.js';

export interface RecordProtection {
  readonly suite: CipherSuite;
  /** The most bytes a record gains under these keys (explicit nonce or IV, tag or MAC,
   *  padding): callers size output buffers with it; sealInto() says what it really wrote. */
  readonly overhead: number;
  /** Protect one record's plaintext into `out` at `offset` (room for plaintext.length +
   *  overhead bytes). Returns the bytes written. */
  sealInto(hi: number, lo: number, type: number, version: number,
    plaintext: Uint8Array, out: Uint8Array, offset: number): number;
  /** The plaintext of a record fragment, or null for any failure (short, bad tag, MAC or
   *  padding): RFC 5246 §7.2.2, one bad_record_mac for all of them. Never throws. The
   *  plaintext is a buffer of its own, never a view of `fragment` (which the record layer may
   *  reuse for the next record). */
  open(hi: number, lo: number, type: number, version: number, fragment: Uint8Array): Uint8Array | null;
  /** Set when sealDetached() is offered: the bytes a fragment has before its ciphertext (the
   *  explicit nonce) and after it (the tag). */
  readonly detachedFrame?: { readonly before: number; readonly after: number };
  /** Optional, for a provider whose cipher returns the ciphertext in a buffer of its own
   *  (Aead.sealDetached): protect one record's plaintext as pieces sent back to back. The bytes
   *  before the ciphertext go into `glue` at `beforeAt`, those after it at `afterAt`; the
   *  ciphertext is returned, not copied. */
  sealDetached?(hi: number, lo: number, type: number, version: number,
    plaintext: Uint8Array, glue: Uint8Array, beforeAt: number, afterAt: number): Uint8Array;
}
