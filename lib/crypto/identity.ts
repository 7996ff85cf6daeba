// Pairs certificate chains with private keys (node:tls `cert` + `key` options).
import { createPublicKey, X509Certificate } from 'node:crypto';
import { TlsError, ErrorCode } from '../errors.js';
import type { CryptoProvider, SigningKey } from './provider.js';

/** A certificate chain with its private key: what we authenticate with. */
export interface LocalIdentity {
  /** DER certificates, leaf first. */
  chain: Uint8Array[];
  key: SigningKey;
}

export interface KeyInput {
  pem: string | Uint8Array;
  passphrase?: string;
}

/**
 * Each key is matched to the chain whose leaf carries its public key (node:tls matches the same
 * way, so `cert: [rsaChain, ecChain], key: [ecKey, rsaKey]` works in any order).
 */
export function pairIdentities(
  provider: CryptoProvider,
  chains: Uint8Array[][],
  keys: KeyInput[],
): LocalIdentity[] {
  const leafKeys = chains.map((chain) => spki(new X509Certificate(Buffer.from(chain[0]!)).publicKey.export({ type: 'spki', format: 'der' })));
  const out: LocalIdentity[] = [];
  for (const k of keys) {
    let pub: string;
    try {
      const text = typeof k.pem === 'string' ? k.pem : Buffer.from(k.pem);
      pub = spki(createPublicKey({ key: text, passphrase: k.passphrase, format: looksPem(text) ? 'pem' : 'der', type: looksPem(text) ? undefined : 'pkcs8' } as Parameters<typeof createPublicKey>[0]).export({ type: 'spki', format: 'der' }));
    } catch (e) {
      // node:tls passes OpenSSL's error on as it is (a wrong passphrase: ERR_OSSL_BAD_DECRYPT).
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('ERR_OSSL_')) throw new TlsError(code, (e as Error).message);
      throw new TlsError(ErrorCode.INVALID_ARG, `cannot read private key: ${(e as Error).message}`);
    }
    const i = leafKeys.indexOf(pub);
    if (i < 0) {
      throw new TlsError('ERR_OSSL_X509_KEY_VALUES_MISMATCH', 'key values mismatch: no certificate matches the private key');
    }
    out.push({ chain: chains[i]!, key: provider.loadPrivateKey(k.pem, k.passphrase) });
  }
  return out;
}

function spki(b: Buffer): string {
  return b.toString('base64');
}

function looksPem(x: string | Buffer): boolean {
  return (typeof x === 'string' ? x : x.subarray(0, 64).toString('latin1')).includes('-----BEGIN');
}
