// One direction's record protection for the AES-CBC suites: RFC 5246 §6.2.3.2 (GenericBlockCipher,
// MAC-then-encrypt, a random explicit IV per record) or, when negotiated, RFC 7366
// encrypt-then-MAC. The MAC is HMAC over seq_num || type || version || length || content
// (RFC 5246 §6.2.3.1).
//
// Opening a MAC-then-encrypt record does not depend on the padding for its outcome path or its
// MAC work (Lucky Thirteen, AlFardan & Paterson 2013; the countermeasure of OpenSSL's
// ssl3_cbc_digest_record / s2n's s2n_verify_cbc): every byte that could be padding is checked
// without an early exit, a bad padding is treated as a zero-length one, the MAC is computed, and
// then dummy hash blocks bring the compression-function count to what the longest possible
// content would have cost; the received MAC is copied out of the record without indexing at the
// secret offset. Every failure is the same null (the caller's one bad_record_mac). JavaScript
// gives no timing guarantees (JIT, garbage collection): this makes the work the same, which is
// what a program can do; encrypt-then-MAC, negotiated whenever the peer offers it, is the cure.
import { constantTimeEqual } from '../../constant-time.js';
import { secretBytes } from '../../crypto/secret-bytes.js';
import type { CbcCipher, CryptoProvider, DigestAlgorithm, RandomSource } from '../../crypto/provider.js';
import type { CipherSuite, MacAlgorithm } from '../cipher-suites.js';
import type { RecordProtection } from './record-protection.js';

const BLOCK = 16;
/** RFC 5246 §6.2.3.2: padding_length is one byte, so at most 255 bytes of padding + itself. */
const MAX_PAD = 256;

/** Hash block size and length-field size of each MAC hash (FIPS 180-4 §5.1). */
const HASH_GEOMETRY: Record<MacAlgorithm, { block: number; lengthField: number }> = {
  sha1: { block: 64, lengthField: 8 },
  sha256: { block: 64, lengthField: 8 },
  sha384: { block: 128, lengthField: 16 },
};

export class CbcCipherState implements RecordProtection {
  readonly suite: CipherSuite;
  readonly overhead: number;
  private readonly cipher: CbcCipher;
  private readonly macAlg: DigestAlgorithm;
  private readonly macLength: number;
  private readonly hashBlock: number;
  private readonly lengthField: number;
  /** Zeros fed to the dummy hash; long enough for the most dummy blocks a record can need. */
  private readonly dummy: Uint8Array;
  private readonly macKey: Uint8Array;

  constructor(
    private readonly provider: CryptoProvider,
    suite: CipherSuite,
    macKey: Uint8Array,
    key: Uint8Array,
    private readonly random: RandomSource,
    /** RFC 7366: encrypt-then-MAC was negotiated. */
    readonly encryptThenMac: boolean,
  ) {
    this.suite = suite;
    // Never shown by util.inspect (a view when it already is SecretBytes, as key-block slices are).
    this.macKey = secretBytes(macKey);
    this.cipher = provider.cbc(suite.cbc!, key);
    this.macAlg = suite.mac!;
    this.macLength = suite.macLength;
    const g = HASH_GEOMETRY[suite.mac!];
    this.hashBlock = g.block;
    this.lengthField = g.lengthField;
    // IV + MAC + at most one block of padding (we pad minimally).
    this.overhead = BLOCK + this.macLength + BLOCK;
    this.dummy = new Uint8Array(Math.ceil((MAX_PAD + this.macLength + BLOCK) / g.block + 2) * g.block);
  }

  /** RFC 5246 §6.2.3.1: seq_num || type || version || length, then `parts`. */
  private mac(hi: number, lo: number, type: number, version: number, length: number, ...parts: Uint8Array[]): Uint8Array {
    let total = 13;
    for (const p of parts) total += p.length;
    const input = new Uint8Array(total);
    writeHeader(input, hi, lo, type, version, length);
    let o = 13;
    for (const p of parts) {
      input.set(p, o);
      o += p.length;
    }
    return this.provider.hmac(this.macAlg, this.macKey, input);
  }

  sealInto(
    hi: number, lo: number, type: number, version: number,
    plaintext: Uint8Array, out: Uint8Array, offset: number,
  ): number {
    // RFC 5246 §6.2.3.2: the IV "SHOULD be chosen at random, and MUST be unpredictable".
    const iv = this.random(BLOCK);
    const macLen = this.encryptThenMac ? 0 : this.macLength;
    // Padding: padding_length + 1 bytes, each holding padding_length, to a whole block (the
    // shortest such padding).
    const unpadded = plaintext.length + macLen + 1;
    const padLength = (BLOCK - (unpadded % BLOCK)) % BLOCK;
    const body = new Uint8Array(unpadded + padLength);
    body.set(plaintext, 0);
    if (!this.encryptThenMac) {
      body.set(this.mac(hi, lo, type, version, plaintext.length, plaintext), plaintext.length);
    }
    body.fill(padLength, plaintext.length + macLen);
    const ct = this.cipher.encrypt(iv, body);
    out.set(iv, offset);
    out.set(ct, offset + BLOCK);
    let n = BLOCK + ct.length;
    if (this.encryptThenMac) {
      // RFC 7366 §3: MAC(MAC_write_key, seq_num + type + version + length + IV + ENC(content +
      // padding + padding_length)), length being that of IV + ciphertext.
      out.set(this.mac(hi, lo, type, version, n, iv, ct), offset + n);
      n += this.macLength;
    }
    return n;
  }

  open(hi: number, lo: number, type: number, version: number, fragment: Uint8Array): Uint8Array | null {
    return this.encryptThenMac
      ? this.openEncryptThenMac(hi, lo, type, version, fragment)
      : this.openMacThenEncrypt(hi, lo, type, version, fragment);
  }

  /** RFC 7366 §3: check the MAC over IV and ciphertext first, then decrypt and unpad. */
  private openEncryptThenMac(hi: number, lo: number, type: number, version: number, fragment: Uint8Array): Uint8Array | null {
    const ctLength = fragment.length - BLOCK - this.macLength;
    if (ctLength < BLOCK || ctLength % BLOCK !== 0) return null;
    const iv = fragment.subarray(0, BLOCK);
    const ct = fragment.subarray(BLOCK, BLOCK + ctLength);
    const expected = this.mac(hi, lo, type, version, BLOCK + ctLength, iv, ct);
    if (!constantTimeEqual(expected, fragment.subarray(BLOCK + ctLength))) return null;
    // The MAC covers the padding, so checking it needs no care for timing.
    const d = this.cipher.decrypt(iv, ct);
    const pad = d[d.length - 1]!;
    if (pad + 1 > d.length) return null;
    for (let i = d.length - 1 - pad; i < d.length; i++) if (d[i] !== pad) return null;
    return d.subarray(0, d.length - 1 - pad);
  }

  private openMacThenEncrypt(hi: number, lo: number, type: number, version: number, fragment: Uint8Array): Uint8Array | null {
    const macLen = this.macLength;
    const ctLength = fragment.length - BLOCK;
    // The record's length is public: a fragment that cannot hold an IV and a whole number of
    // blocks with a MAC and the padding_length byte fails at once (RFC 5246 §6.2.3.2).
    if (ctLength < BLOCK || ctLength % BLOCK !== 0 || ctLength < macLen + 1) return null;
    const d = this.cipher.decrypt(fragment.subarray(0, BLOCK), fragment.subarray(BLOCK));
    const n = d.length;
    const pad = d[n - 1]!;
    // bad = 1 when padding_length + 1 + MAC do not fit, or a padding byte differs. No branch on
    // `pad`: each of the last min(256, n) bytes is examined, masked by whether it is padding.
    let bad = ((n - macLen - 1 - pad) >>> 31) & 1;
    const toCheck = Math.min(MAX_PAD, n);
    for (let i = 1; i <= toCheck; i++) {
      const inPadding = ((i - 2 - pad) >>> 31) & 1; // i - 1 <= pad
      bad |= inPadding & nonZero(d[n - i]! ^ pad);
    }
    // A bad padding counts as none (as OpenSSL), so the MAC is still computed and fails.
    const effectivePad = pad & (bad - 1);
    const contentLength = n - effectivePad - 1 - macLen;
    const expected = this.mac(hi, lo, type, version, contentLength, d.subarray(0, contentLength));
    this.dummyBlocks(n - 1 - macLen, contentLength);
    const received = this.copyMac(d, contentLength);
    bad |= nonZero(diff(expected, received));
    return bad === 0 ? d.subarray(0, contentLength) : null;
  }

  /** Compression-function calls of the HMAC inner hash over 13 + `length` bytes. */
  private innerBlocks(length: number): number {
    return Math.ceil((this.hashBlock + 13 + length + 1 + this.lengthField) / this.hashBlock);
  }

  /** Hash as many extra blocks as the MAC of `longest` content would have cost more than that
   *  of `actual` content, plus one, so the total is the same for every padding length. */
  private dummyBlocks(longest: number, actual: number): void {
    const blocks = this.innerBlocks(longest) - this.innerBlocks(actual) + 1;
    // A message of blocks * B - 1 - lengthField bytes pads to exactly `blocks` blocks.
    this.provider.hash(this.macAlg, this.dummy.subarray(0, blocks * this.hashBlock - 1 - this.lengthField));
  }

  /**
   * The MAC at d[start .. start + macLength) without reading at the secret offset `start`
   * (OpenSSL's ssl3_cbc_copy_mac): collect it rotated from a public range, then un-rotate
   * with a loop over every position.
   */
  private copyMac(d: Uint8Array, start: number): Uint8Array {
    const macLen = this.macLength;
    const scanStart = Math.max(0, d.length - (macLen + MAX_PAD));
    const rotated = new Uint8Array(macLen);
    const end = start + macLen;
    for (let j = scanStart, k = 0; j < d.length; j++, k = k + 1 === macLen ? 0 : k + 1) {
      const inMac = ((start - 1 - j) >>> 31) & ((j - end) >>> 31) & 1; // start <= j < end
      rotated[k]! |= d[j]! & -inMac;
    }
    const offset = (start - scanStart) % macLen;
    const out = new Uint8Array(macLen);
    for (let i = 0; i < macLen; i++) {
      let want = i + offset;
      want -= macLen & -(((macLen - 1 - want) >>> 31) & 1); // want >= macLen → want - macLen
      let v = 0;
      for (let k = 0; k < macLen; k++) v |= rotated[k]! & -(1 - nonZero(k ^ want));
      out[i] = v;
    }
    return out;
  }
}

/** 1 when x (0 ≤ x < 2^31) is non-zero, else 0, without a branch. */
function nonZero(x: number): number {
  return ((x | -x) >>> 31) & 1;
}

/** OR of the byte differences (0 when equal); a and b have the same length here. */
function diff(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d;
}

function writeHeader(b: Uint8Array, hi: number, lo: number, type: number, version: number, length: number): void {
  b[0] = hi >>> 24; b[1] = (hi >>> 16) & 0xff; b[2] = (hi >>> 8) & 0xff; b[3] = hi & 0xff;
  b[4] = lo >>> 24; b[5] = (lo >>> 16) & 0xff; b[6] = (lo >>> 8) & 0xff; b[7] = lo & 0xff;
  b[8] = type;
  b[9] = version >>> 8;
  b[10] = version & 0xff;
  b[11] = length >>> 8;
  b[12] = length & 0xff;
}
