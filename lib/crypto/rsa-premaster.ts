// The static RSA key exchange's premaster secret (RFC 5246 §7.4.7.1): RSAES-PKCS1-v1_5 (RFC 8017
// §7.2) encryption by the client, and the server's decryption that reveals nothing about the
// padding. The raw RSA operations are the provider's (SigningKey.decryptRaw,
// VerifyingKey.encryptRaw); the padding is here, so that both providers share it and the
// randomness is the injected one.
import { ctEqMask, ctGeMask } from '../constant-time.js';
import { ErrorCode, TlsError } from '../errors.js';
import type { RandomSource, SigningKey, VerifyingKey } from './provider.js';
import { secretBytes } from './secret-bytes.js';

/** RFC 5246 §7.4.7.1: PreMasterSecret = client_version (2 bytes) + random (46 bytes). */
export const PREMASTER_LENGTH = 48;

/** RFC 8017 §7.2.1: at least 8 bytes of non-zero padding. */
const MIN_PADDING = 8;

/** The client's PreMasterSecret: client_version (the version of its ClientHello, RFC 5246
 *  §7.4.7.1) followed by 46 random bytes. */
export function makePremaster(clientVersion: number, random: RandomSource): Uint8Array {
  const pm = secretBytes(new Uint8Array(PREMASTER_LENGTH));
  pm[0] = clientVersion >>> 8;
  pm[1] = clientVersion & 0xff;
  pm.set(random(PREMASTER_LENGTH - 2), 2);
  return pm;
}

/** RFC 8017 §7.2.1 RSAES-PKCS1-V1_5-ENCRYPT: EM = 0x00 || 0x02 || PS || 0x00 || M, PS non-zero
 *  random bytes, then c = EM^e mod n. */
export function encryptPremaster(key: VerifyingKey, premaster: Uint8Array, random: RandomSource): Uint8Array {
  const k = key.modulusLength;
  if (key.keyType !== 'rsa' || k === undefined || key.encryptRaw === undefined) {
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'the server certificate has no RSA key for the RSA key exchange', 'unsupported_certificate');
  }
  const psLength = k - premaster.length - 3;
  if (psLength < MIN_PADDING) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'RSA modulus too small', 'handshake_failure');
  const em = secretBytes(new Uint8Array(k));
  em[1] = 0x02;
  let filled = 0;
  // Non-zero padding bytes: draw, keep the non-zero ones, draw again for the rest (bounded: each
  // round keeps 255/256 of the bytes on average).
  for (let round = 0; filled < psLength && round < 64; round++) {
    for (const b of random(psLength - filled)) if (b !== 0) em[2 + filled++] = b;
  }
  if (filled < psLength) throw new TlsError(ErrorCode.INTERNAL, 'random source gives only zero bytes', 'internal_error');
  em.set(premaster, k - premaster.length);
  try {
    return key.encryptRaw(em);
  } finally {
    em.fill(0);
  }
}


/**
 * RFC 5246 §7.4.7.1, server side. Whatever is wrong with the ciphertext (not decryptable, padding
 * not 00 02 PS(>= 8 non-zero) 00, message not 48 bytes, version bytes not the ClientHello's
 * client_version), the result is a 48-byte premaster: the decrypted one when all is right, else
 * a random one drawn before the decryption. The checks are masks over the whole block (no early
 * exit, no branch or index on secret bytes, as OpenSSL's
 * ossl_rsa_padding_check_PKCS1_type_2_TLS), so the handshake goes on identically and fails
 * later, at the client's Finished, with the same alert. (JavaScript gives no hard guarantee of
 * constant time; this code keeps secret data out of branches and memory addresses.)
 */
export function decryptPremaster(key: SigningKey, ciphertext: Uint8Array, clientVersion: number, random: RandomSource): Uint8Array {
  // Drawn first, whatever happens next ("generate a string R of 46 random bytes").
  const fallback = secretBytes(random(PREMASTER_LENGTH), true);
  fallback[0] = clientVersion >>> 8;
  fallback[1] = clientVersion & 0xff;
  if (key.keyType !== 'rsa' || key.decryptRaw === undefined) {
    throw new TlsError(ErrorCode.INTERNAL, 'RSA key exchange without an RSA key', 'internal_error');
  }
  // A ciphertext of the wrong length or not below n fails on public facts; the result is the
  // random premaster all the same (RFC 5246 §7.4.7.1 treats every failure alike).
  const em = key.decryptRaw(ciphertext);
  const k = em?.length ?? 0;
  if (em === null || k < PREMASTER_LENGTH + 3 + MIN_PADDING) return fallback;
  let good = ctEqMask(em[0]!, 0) & ctEqMask(em[1]!, 2);
  // The first zero byte after the 0x02 marks the end of PS.
  let zeroIndex = 0;
  let foundZero = 0;
  for (let i = 2; i < k; i++) {
    const isZero = ctEqMask(em[i]!, 0);
    zeroIndex = (zeroIndex & (foundZero | ~isZero)) | (i & ~foundZero & isZero);
    foundZero |= isZero;
  }
  good &= foundZero;
  // PS is at least 8 bytes: the separator is at index 10 or later.
  good &= ctGeMask(zeroIndex, 2 + MIN_PADDING);
  // The message (after the separator) is exactly 48 bytes.
  good &= ctEqMask(k - (zeroIndex + 1), PREMASTER_LENGTH);
  // Its first two bytes are the ClientHello's client_version.
  good &= ctEqMask(em[k - PREMASTER_LENGTH]!, clientVersion >>> 8);
  good &= ctEqMask(em[k - PREMASTER_LENGTH + 1]!, clientVersion & 0xff);
  const out = secretBytes(new Uint8Array(PREMASTER_LENGTH));
  const keep = good & 0xff;
  for (let i = 0; i < PREMASTER_LENGTH; i++) out[i] = (em[k - PREMASTER_LENGTH + i]! & keep) | (fallback[i]! & ~keep & 0xff);
  em.fill(0);
  fallback.fill(0);
  return out;
}
