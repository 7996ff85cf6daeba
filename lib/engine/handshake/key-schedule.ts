// From pre-master secret to record keys (RFC 5246 §6.3, §8.1; RFC 7627 §4).
import type { CryptoProvider } from '../../crypto/provider.js';
import { extendedMasterSecret, keyBlock, masterSecret } from '../../crypto/prf.js';
import type { CipherSuite } from '../cipher-suites.js';
import { CipherState } from '../record/cipher-state.js';

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
  client: CipherState;
  server: CipherState;
}

/**
 * RFC 5246 §6.3: key_block = client_write_key, server_write_key, client_write_IV,
 * server_write_IV (AEAD suites have no MAC keys, RFC 5288 §3 / RFC 7905 §2).
 */
export function deriveCipherStates(
  provider: CryptoProvider,
  suite: CipherSuite,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): DirectionalStates {
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  const block = keyBlock(provider, suite.hash, master, clientRandom, serverRandom, 2 * k + 2 * iv);
  return {
    client: new CipherState(provider, suite, block.slice(0, k), block.slice(2 * k, 2 * k + iv)),
    server: new CipherState(provider, suite, block.slice(k, 2 * k), block.slice(2 * k + iv, 2 * k + 2 * iv)),
  };
}
