// Which finite-field group a DHE or DHE_PSK handshake uses: the server's choice (RFC 7919 §4,
// then the `dhparam` option as node:tls/OpenSSL read it) and the client's checks of the group the
// server sent (RFC 7919 §3 named groups recognised, a minimum size, RFC 5246 §7.4.3 values).
import { autoDhParameters, FFDHE_GROUPS, ffdheGroupOf, knownModpGroup } from '../../../crypto/dh-groups.js';
import { bitLength, bytesToBigInt } from '../../../crypto/finite-field-dh.js';
import type { DhParameters } from '../../../crypto/provider.js';
import { ErrorCode, TlsError } from '../../../errors.js';
import type { EngineConfig } from '../../config.js';
import type { ServerDhParams } from './dhe-rsa-messages.js';
import type { ServerKeyAgreementContext } from './key-agreement.js';

/** RFC 7919 §2: NamedGroup values 256..511 are the finite-field groups. */
export function isFfdheGroup(code: number): boolean {
  return code >= 256 && code <= 511;
}

/** The RFC 7919 groups a client lists in supported_groups when it offers DHE suites (RFC 7919
 *  §3), smallest first. */
export const CLIENT_FFDHE_GROUPS: readonly number[] = [...FFDHE_GROUPS.keys()];

/** Server: DHE needs DH parameters (node:tls dhparam; OpenSSL 3 without them chooses no DHE
 *  suite). */
export function serverHasDhParameters(config: EngineConfig): boolean {
  return config.dhParam !== undefined;
}

/**
 * Server, RFC 7919 §4: a client whose supported_groups lists FFDHE groups gets one of them (the
 * first it lists that we know); when we know none of them, no DHE suite (undefined). A client
 * that lists none gets our configured parameters (0: no named group).
 */
export function selectFfdheGroup(_config: EngineConfig, clientGroups: readonly number[]): number | undefined {
  const offered = clientGroups.filter(isFfdheGroup);
  if (offered.length === 0) return 0;
  return offered.find((g) => FFDHE_GROUPS.has(g));
}

/** What OpenSSL's EVP_PKEY_get_security_bits says of an RSA key of `bits` (BN_security_bits). */
function rsaSecurityBits(bits: number): number {
  if (bits >= 15360) return 256;
  if (bits >= 7680) return 192;
  if (bits >= 3072) return 128;
  if (bits >= 2048) return 112;
  return 80;
}

/**
 * Server: the parameters for this handshake: the RFC 7919 group selectFfdheGroup() chose, else
 * the configured ones, or for 'auto' OpenSSL 3.0's choice (ssl_get_auto_dh): by the security
 * bits of the certificate key, or for PSK suites 128 bits with a 256-bit cipher and 80
 * otherwise; under 112 bits we still use 2048 bits (our own minimum).
 */
export function serverDhParameters(ctx: ServerKeyAgreementContext): DhParameters {
  const named = ctx.group ? FFDHE_GROUPS.get(ctx.group) : undefined;
  if (named) return named;
  const setting = ctx.config.dhParam;
  if (setting === undefined) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'DHE without DH parameters', 'internal_error');
  if (setting !== 'auto') return setting;
  let securityBits = ctx.suite.keyLength === 32 ? 128 : 80;
  if (ctx.identity) {
    let modulusLength: number | undefined;
    try {
      modulusLength = ctx.config.provider.publicKeyFromCertificate(ctx.identity.chain[0]!).modulusLength;
    } catch {
      modulusLength = undefined;
    }
    securityBits = rsaSecurityBits((modulusLength ?? 256) * 8);
  }
  return autoDhParameters(securityBits);
}

/** Default minimum prime size a client accepts: 2048 bits, below which OpenSSL 3.0 at security
 *  level 2 refuses (measured: `openssl s_client` here refuses 1024 and 1536 bits with "dh key
 *  too small"). node:tls's minDHSize defaults to 1024. */
export const DEFAULT_MIN_DH_BITS = 2048;

/**
 * Client: the server's ServerDHParams as parameters to answer with, after RFC 5246 §7.4.3 / RFC
 * 7919 §3 checks: p at least `minBits` (handshake_failure, ERR_TLS_DH_PARAM_SIZE as node:tls), p
 * odd and 1 < g < p-1 (illegal_parameter). The server's Ys is checked when the secret is computed
 * (1 < Ys < p-1, illegal_parameter). A group that is one of RFC 7919's or RFC 3526's is
 * recognised (and its short exponent used); any other group is taken as it is, with an exponent
 * as long as p (as OpenSSL: no primality test).
 */
export function checkServerDhParameters(params: ServerDhParams, minBits: number): { params: DhParameters; group: number | undefined } {
  const bits = bitLength(params.p);
  if (bits < minBits) {
    throw new TlsError('ERR_TLS_DH_PARAM_SIZE', `DH parameter size ${bits} is less than ${minBits}`, 'handshake_failure');
  }
  const p = bytesToBigInt(params.p);
  const g = bytesToBigInt(params.g);
  if ((p & 1n) === 0n || g <= 1n || g >= p - 1n) {
    throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, 'ServerDHParams: p is even or g is out of range', 'illegal_parameter');
  }
  // Minimal big-endian forms (a peer may send leading zeros).
  const pBytes = params.p.subarray(params.p.length - Math.ceil(bits / 8));
  const gBytes = params.g.subarray(params.g.length - Math.ceil(bitLength(params.g) / 8));
  const group = ffdheGroupOf(pBytes, gBytes);
  if (group !== undefined) return { params: FFDHE_GROUPS.get(group)!, group };
  // The RFC 3526 groups OpenSSL's 'auto' sends are safe primes too: their short exponent.
  return { params: knownModpGroup(pBytes, gBytes) ?? { p: pBytes, g: gBytes }, group: undefined };
}
