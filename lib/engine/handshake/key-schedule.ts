// From pre-master secret to record keys (RFC 5246 §6.3, §8.1; RFC 7627 §4).
import type { CryptoProvider, RandomSource } from '../../crypto/provider.js';
import { extendedMasterSecret, keyBlock, masterSecret } from '../../crypto/prf.js';
import type { CipherSuite } from '../cipher-suites.js';
import { CbcCipherState } from '../record/cbc-cipher-state.js';
import { CipherState } from '../record/cipher-state.js';
import type { RecordProtection } from '../record/record-protection.js';
import { systemRandom } from '../../crypto/system-random.js';

export function computeMasterSecret(
  provider: CryptoProvider,
  suite: CipherSuite,
  preMaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  sessionHash: Uint8Array | null,
): Uint8Array {
  // RFC 7627 §4: with extended master secret the seed is the session hash.
  return sessionHash
    ? extendedMasterSecret(provider, suite.hash, preMaster, sessionHash)
    : masterSecret(provider, suite.hash, preMaster, clientRandom, serverRandom);
}

export interface DirectionalStates {
  client: RecordProtection;
  server: RecordProtection;
}

/** What the record protection needs beyond the keys: the CBC suites' random IVs (RFC 5246
 *  §6.2.3.2) and whether RFC 7366 encrypt-then-MAC was negotiated. */
export interface RecordOptions {
  random?: RandomSource;
  encryptThenMac?: boolean;
}

/**
 * RFC 5246 §6.3: key_block = client_write_MAC_key, server_write_MAC_key, client_write_key,
 * server_write_key, client_write_IV, server_write_IV. AEAD suites have no MAC keys (RFC 5288
 * §3, RFC 6655 §3, RFC 7905 §2); CBC suites have no implicit IVs in TLS 1.2.
 */
export function deriveCipherStates(
  provider: CryptoProvider,
  suite: CipherSuite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  opts: RecordOptions = {},
): DirectionalStates {
  const m = suite.macLength;
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const block = keyBlock(provider, suite.hash, master, clientRandom, serverRandom, 2 * m + 2 * k + 2 * iv);
  const part = (index: number, size: number, before: number): Uint8Array => block.slice(before + index * size, before + (index + 1) * size);
  if (suite.cbc !== undefined) {
    const random = opts.random ?? systemRandom;
    const etm = opts.encryptThenMac === true;
    return {
      client: new CbcCipherState(provider, suite, part(0, m, 0), part(0, k, 2 * m), random, etm),
      server: new CbcCipherState(provider, suite, part(1, m, 0), part(1, k, 2 * m), random, etm),
    };
  }
  return {
    client: new CipherState(provider, suite, part(0, k, 0), part(0, iv, 2 * k)),
    server: new CipherState(provider, suite, part(1, k, 0), part(1, iv, 2 * k)),
  };
}
