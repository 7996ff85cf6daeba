// Choosing a CryptoProvider by object or by name (the `cryptoProvider` option).

import { ErrorCode, TlsError } from '../errors.js';
import { nobleProvider } from './noble-provider.js';
import { nodeCryptoProvider } from './node-provider.js';
import type { CryptoProvider } from './provider.js';

/** 'noble': pure JavaScript (@noble/*), the default, independent of OpenSSL. 'node': everything
 *  on node:crypto (OpenSSL), for speed. */
export type CryptoProviderName = 'noble' | 'node';

const BY_NAME: Readonly<Record<CryptoProviderName, CryptoProvider>> = { noble: nobleProvider, node: nodeCryptoProvider };

/** The provider an option names or is; noble when absent. */
export function resolveCryptoProvider(option: CryptoProvider | CryptoProviderName | undefined): CryptoProvider {
  if (option === undefined) return nobleProvider;
  if (typeof option !== 'string') return option;
  const p = BY_NAME[option as CryptoProviderName];
  if (p === undefined) {
    throw new TlsError(ErrorCode.INVALID_ARG, `The property 'options.cryptoProvider' must be 'noble', 'node' or a CryptoProvider. Received '${option}'`);
  }
  return p;
}
