// Finite-field Diffie-Hellman (RFC 5246 §8.1.2, RFC 7919): what every provider shares (the
// private exponent drawn from the injected randomness, the check of the peer's public value) and
// the noble provider's key share on BigInt arithmetic.
//
// BigInt is not constant time: its multiplication and reduction take time that depends on the
// values. The exponentiation below does one multiplication and one squaring per bit, whatever
// the bit, over a fixed bit count (a Montgomery ladder), so the exponent's bits do not change the
// number or kind of operations; their own timing still depends on the secret intermediate values.
// The exponent is ephemeral (one handshake). Use the 'node' provider (OpenSSL's constant-time
// BN_mod_exp_mont_consttime) where that matters.
import { ErrorCode, TlsError } from '../errors.js';
import type { DhKeyShare, DhParameters, RandomSource } from './provider.js';
import { secretBytes } from './secret-bytes.js';

export function bytesToBigInt(b: Uint8Array): bigint {
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

/** `v` as `length` big-endian bytes (v must fit). */
export function bigIntToBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bitLength(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

function illegalParameter(message: string): TlsError {
  return new TlsError(ErrorCode.ILLEGAL_PARAMETER, message, 'illegal_parameter');
}

/**
 * The private exponent x for `params`, as big-endian bytes: `exponentBits` random bits (one bit
 * less than p without it), at least 2. Both providers draw it this way, so with the same random
 * source they produce the same public value (spec/kx-dhe.spec.ts checks it).
 */
export function drawPrivateExponent(params: DhParameters, random: RandomSource): Uint8Array {
  const bits = params.exponentBits ?? bitLength(params.p) - 1;
  const length = Math.ceil(bits / 8);
  const x = secretBytes(random(length), true);
  if (x.length !== length) throw new TlsError(ErrorCode.INTERNAL, 'random source returned wrong length', 'internal_error');
  const extra = length * 8 - bits;
  x[0] = x[0]! & (0xff >>> extra);
  // x >= 2: g^0 and g^1 are public.
  let high = 0;
  for (let i = 0; i < length - 1; i++) high |= x[i]!;
  if (high === 0 && x[length - 1]! < 2) x[length - 1] = 2;
  return x;
}

/**
 * The peer's public value as an integer, after RFC 7919 §5.1 / SP 800-56A §5.6.2.3.1: 1 < Y < p-1
 * (0, 1 and p-1 give a secret an attacker knows; Y >= p is not an element of the group).
 */
export function checkPeerPublicValue(peer: Uint8Array, p: bigint): bigint {
  const y = bytesToBigInt(peer);
  if (y <= 1n || y >= p - 1n) throw illegalParameter('DH public value out of range (must be 1 < Y < p-1)');
  return y;
}

/** base^exp mod m, one square and one multiply per bit of `bits` bits (Montgomery ladder). */
export function modPow(base: bigint, exp: bigint, m: bigint, bits: number): bigint {
  let r0 = 1n;
  let r1 = base % m;
  for (let i = bits - 1; i >= 0; i--) {
    if (((exp >> BigInt(i)) & 1n) === 0n) {
      r1 = (r0 * r1) % m;
      r0 = (r0 * r0) % m;
    } else {
      r0 = (r0 * r1) % m;
      r1 = (r1 * r1) % m;
    }
  }
  return r0;
}

/** The noble provider's key share: the exponentiation on BigInt. */
export class BigIntDhKeyShare implements DhKeyShare {
  readonly publicKey: Uint8Array;
  private readonly p: bigint;
  private readonly length: number;
  private readonly bits: number;
  /** Private (#): never shown by util.inspect. */
  readonly #x: bigint;

  constructor(params: DhParameters, random: RandomSource) {
    const x = drawPrivateExponent(params, random);
    this.p = bytesToBigInt(params.p);
    this.length = params.p.length;
    this.bits = x.length * 8;
    this.#x = bytesToBigInt(x);
    x.fill(0);
    this.publicKey = bigIntToBytes(modPow(bytesToBigInt(params.g), this.#x, this.p, this.bits), this.length);
  }

  computeSecret(peerPublicKey: Uint8Array): Uint8Array {
    const y = checkPeerPublicValue(peerPublicKey, this.p);
    return secretBytes(bigIntToBytes(modPow(y, this.#x, this.p, this.bits), this.length));
  }
}

/** RFC 5246 §8.1.2: "Leading bytes of Z that contain all zero bits are stripped before it is
 *  used as the pre_master_secret" (RFC 4279 §3 does the same for DHE_PSK's other_secret). */
export function stripLeadingZeros(z: Uint8Array): Uint8Array {
  let i = 0;
  while (i < z.length - 1 && z[i] === 0) i++;
  return z.subarray(i);
}
