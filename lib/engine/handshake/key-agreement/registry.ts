// The key agreement of each CipherSuite.kx (one row per key exchange method): the only place
// that maps a key exchange name to its implementation.
import type { CipherSuite, KeyExchangeKind } from '../../cipher-suites.js';
import { DHE, DHE_PSK } from './dhe.js';
import { ECDHE } from './ecdhe.js';
import { ECDHE_PSK } from './ecdhe-psk.js';
import type { KeyAgreementKind } from './key-agreement.js';
import { PSK } from './psk-key-agreement.js';
import { RSA } from './rsa.js';

const KEY_AGREEMENTS: { readonly [K in KeyExchangeKind]: KeyAgreementKind } = {
  ECDHE,
  PSK,
  ECDHE_PSK,
  DHE,
  DHE_PSK,
  RSA,
};

/** The key agreement of `suite`. */
export function keyAgreementOf(suite: CipherSuite): KeyAgreementKind {
  return KEY_AGREEMENTS[suite.kx];
}
