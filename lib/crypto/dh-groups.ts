// Finite-field Diffie-Hellman groups with a name: the RFC 7919 groups (ffdhe2048/3072/4096, which a
// client names in supported_groups, RFC 7919 §2) and the RFC 3526 MODP groups that OpenSSL's (so
// node:tls's) dhparam 'auto' chooses from. All are safe primes with generator 2, so a private
// exponent of twice the group's estimated strength is enough (RFC 7919 §5.2; the sizes are
// OpenSSL's for the same groups).
import { getDiffieHellman } from 'node:crypto';
import type { DhParameters } from './provider.js';

/** RFC 7919 §2 / the TLS Supported Groups registry: the FFDHE NamedGroup code points. */
export const FfdheGroup = {
  ffdhe2048: 256,
  ffdhe3072: 257,
  ffdhe4096: 258,
} as const;

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const G2 = Uint8Array.of(2);

/** RFC 7919 Appendix A.1: ffdhe2048 (generator 2). */
const FFDHE2048_P =
  'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef9' +
  '7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
  '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fb' +
  'b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
  '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa' +
  '886b423861285c97ffffffffffffffff';

/** RFC 7919 Appendix A.2: ffdhe3072 (generator 2). */
const FFDHE3072_P =
  'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef9' +
  '7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
  '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fb' +
  'b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
  '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa' +
  '886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c' +
  'aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff5cae82ab9c9df69ee86d2bc522363a0d' +
  'abc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b66c62e37ffffffffffffffff';

/** RFC 7919 Appendix A.3: ffdhe4096 (generator 2). */
const FFDHE4096_P =
  'ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef9' +
  '7d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935' +
  '984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fb' +
  'b96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f61' +
  '9172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa' +
  '886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee598cb0fac186d91c' +
  'aefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff5cae82ab9c9df69ee86d2bc522363a0d' +
  'abc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb' +
  '7930e9e4e58857b6ac7d5f42d69f6d187763cf1d5503400487f55ba57e31cc7a7135c886efb4318aed6a1e012d9e6832' +
  'a907600a918130c46dc778f971ad0038092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf' +
  '8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e655f6affffffffffffffff';

/** The RFC 7919 groups by NamedGroup code, in our order of preference (smallest first, as
 *  OpenSSL's TLS 1.3 list, since each is at least the 112-bit level). */
export const FFDHE_GROUPS: ReadonlyMap<number, DhParameters> = new Map([
  [FfdheGroup.ffdhe2048, { p: hexBytes(FFDHE2048_P), g: G2, exponentBits: 225 }],
  [FfdheGroup.ffdhe3072, { p: hexBytes(FFDHE3072_P), g: G2, exponentBits: 275 }],
  [FfdheGroup.ffdhe4096, { p: hexBytes(FFDHE4096_P), g: G2, exponentBits: 325 }],
]);

/** The named group whose prime and generator these are, if any (a client recognises a named
 *  group sent as explicit parameters, RFC 7919 §3). */
export function ffdheGroupOf(p: Uint8Array, g: Uint8Array): number | undefined {
  for (const [code, params] of FFDHE_GROUPS) {
    if (Buffer.compare(params.p, p) === 0 && Buffer.compare(params.g, g) === 0) return code;
  }
  return undefined;
}

/** RFC 3526 MODP group (node's getDiffieHellman names), with OpenSSL's exponent size for it. */
function modp(name: 'modp14' | 'modp15' | 'modp16' | 'modp18', exponentBits: number): DhParameters {
  return { p: new Uint8Array(getDiffieHellman(name).getPrime()), g: G2, exponentBits };
}

let modpCache: DhParameters[] | undefined;

function modpGroups(): DhParameters[] {
  modpCache ??= [modp('modp14', 225), modp('modp15', 275), modp('modp16', 325), modp('modp18', 400)];
  return modpCache;
}

/** The RFC 3526 group (as 'auto' servers send it, OpenSSL's and ours) whose prime and generator
 *  these are, with its short exponent size; undefined for any other group. */
export function knownModpGroup(p: Uint8Array, g: Uint8Array): DhParameters | undefined {
  return modpGroups().find((m) => Buffer.compare(m.p, p) === 0 && Buffer.compare(m.g, g) === 0);
}

/**
 * dhparam 'auto' without an FFDHE group from the client: OpenSSL 3.0's ssl_get_auto_dh (what
 * node's 'auto' sets) picks an RFC 3526 group by the security bits of the certificate key, or of
 * the cipher for suites without one (PSK): >= 192 bits 8192, >= 152 4096, >= 128 3072, else 2048
 * (its 1024-bit step is below our own minimum).
 */
export function autoDhParameters(securityBits: number): DhParameters {
  const [m2048, m3072, m4096, m8192] = modpGroups() as [DhParameters, DhParameters, DhParameters, DhParameters];
  if (securityBits >= 192) return m8192;
  if (securityBits >= 152) return m4096;
  if (securityBits >= 128) return m3072;
  return m2048;
}
