// TLS 1.2 pseudorandom function (RFC 5246 §5) and the key derivations built on it.

import type { CryptoProvider, HashAlgorithm } from './provider.js';
import { concatBytes } from '../concat-bytes.js';
import { secretBytes } from './secret-bytes.js';

const HASH_LENGTH: Record<HashAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

function ascii(s: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

const concat = concatBytes;

/**
 * RFC 5246 §5:
 *   PRF(secret, label, seed) = P_<hash>(secret, label + seed)
 *   P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
 *   A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
 * The label is ASCII without a length byte or trailing NUL.
 */
export function prf(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Uint8Array<ArrayBuffer> {
  const labelSeed = concat(ascii(label), seed);
  const hLen = HASH_LENGTH[hash];
  const out = new Uint8Array(length);
  // Scratch buffer holding A(i) || label + seed.
  const block = new Uint8Array(hLen + labelSeed.length);
  block.set(labelSeed, hLen);
  let a: Uint8Array = labelSeed; // A(0)
  for (let off = 0; off < length; off += hLen) {
    a = provider.hmac(hash, secret, a); // A(i)
    block.set(a, 0);
    const chunk = provider.hmac(hash, secret, block);
    out.set(length - off >= hLen ? chunk : chunk.subarray(0, length - off), off);
  }
  return out;
}

/** RFC 5246 §8.1: master_secret = PRF(pre_master_secret, "master secret",
 *  ClientHello.random + ServerHello.random)[0..47]. */
export function masterSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  preMaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return secretBytes(prf(provider, hash, preMaster, 'master secret', concat(clientRandom, serverRandom), 48));
}

/** RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret",
 *  session_hash)[0..47], session_hash = Hash(handshake messages through ClientKeyExchange). */
export function extendedMasterSecret(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  preMaster: Uint8Array,
  sessionHash: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return secretBytes(prf(provider, hash, preMaster, 'extended master secret', sessionHash, 48));
}

/** RFC 5246 §6.3: key_block = PRF(SecurityParameters.master_secret, "key expansion",
 *  SecurityParameters.server_random + SecurityParameters.client_random). */
export function keyBlock(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  length: number,
): Uint8Array<ArrayBuffer> {
  return secretBytes(prf(provider, hash, master, 'key expansion', concat(serverRandom, clientRandom), length));
}

/** RFC 5246 §7.4.9: verify_data = PRF(master_secret, finished_label,
 *  Hash(handshake_messages))[0..verify_data_length-1], verify_data_length = 12. */
export function verifyData(
  provider: CryptoProvider,
  hash: HashAlgorithm,
  master: Uint8Array,
  label: 'client finished' | 'server finished',
  handshakeHash: Uint8Array,
): Uint8Array<ArrayBuffer> {
  return prf(provider, hash, master, label, handshakeHash, 12);
}
