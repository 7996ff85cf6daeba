// Keys for the benchmark: a self-signed ECDSA P-256 or RSA-2048 certificate (the client trusts
// it directly) and a pre-shared key for the PSK suite.
import { generateCertificate } from '../lib/crypto/certificate-generator.js';

export interface Credentials {
  kind: 'ecdsa-p256' | 'rsa-2048';
  certPem: string;
  keyPem: string;
}

export function makeCredentials(kind: Credentials['kind']): Credentials {
  const c = generateCertificate({ keyType: kind === 'rsa-2048' ? 'rsa2048' : 'ec-p256' });
  return { kind, certPem: c.certPem, keyPem: c.keyPem };
}

const PSK_KEY = Buffer.alloc(32, 0x5a);
export const PSK_SERVER = { pskCallback: (): Buffer => PSK_KEY };
export const PSK_CLIENT = {
  pskCallback: (): { psk: Buffer; identity: string } => ({ psk: PSK_KEY, identity: 'bench' }),
  checkServerIdentity: (): undefined => undefined,
};
