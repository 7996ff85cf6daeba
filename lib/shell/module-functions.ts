// The node:tls module-level functions and constants, for this stack (what `import * as tls
// from 'node:tls'` users reach for besides connect/createServer).
import { rootCertificates as nodeRootCertificates } from 'node:tls';
import { checkServerIdentity as checkIdentityDer } from '../crypto/server-identity.js';
import { ALL_CIPHER_SUITES, CIPHER_SUITES } from '../engine/cipher-suites.js';

/** Lower-case OpenSSL names of the suites this stack implements, PSK ones included (node:tls
 *  getCiphers() style). */
export function getCiphers(): string[] {
  return ALL_CIPHER_SUITES.map((s) => s.opensslName.toLowerCase());
}

/** The default `ciphers` list (OpenSSL names, ':'-separated), our preference order. */
export const DEFAULT_CIPHERS = CIPHER_SUITES.map((s) => s.opensslName).join(':');
export const DEFAULT_ECDH_CURVE = 'auto';
/** Only TLS 1.2 is spoken (docs/compat.md). */
export const DEFAULT_MIN_VERSION = 'TLSv1.2';
export const DEFAULT_MAX_VERSION = 'TLSv1.2';
/** node's bundled Mozilla roots (the same array as tls.rootCertificates); the default trust store
 *  adds the certificates of NODE_EXTRA_CA_CERTS, as node's does. */
export const rootCertificates: readonly string[] = nodeRootCertificates;

/**
 * node:tls checkServerIdentity(hostname, cert): `cert` is a getPeerCertificate() object (its
 * `raw` DER is what is checked). Returns an Error with node's code
 * (ERR_TLS_CERT_ALTNAME_INVALID) or undefined, as node does.
 */
export function checkServerIdentity(hostname: string, cert: { raw?: Uint8Array }): Error | undefined {
  if (!(cert?.raw instanceof Uint8Array)) {
    const err = new TypeError('The "cert" argument must be a certificate object with a "raw" Buffer (getPeerCertificate())');
    (err as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
    return err;
  }
  return checkIdentityDer(hostname, cert.raw);
}
