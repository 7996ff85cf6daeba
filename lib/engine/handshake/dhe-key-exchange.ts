// Finite-field DHE key exchange, both sides (RFC 5246 §7.4.3, §7.4.7.2, §8.1.2; DHE_PSK RFC 4279
// §3). The signature over the server's parameters (DHE_RSA) is the caller's: it signs or checks
// client_random + server_random + the ServerDHParams bytes returned here, as for ECDHE.
import { stripLeadingZeros } from '../../crypto/finite-field-dh.js';
import type { CryptoProvider, DhKeyShare, DhParameters, RandomSource } from '../../crypto/provider.js';
import { bigIntToBytes, bytesToBigInt } from '../../crypto/finite-field-dh.js';
import {
  decodeDhClientKeyExchange, encodeDhClientKeyExchange, encodeServerDhParams, type ServerDhParams,
} from './dhe-rsa-messages.js';
import { checkServerDhParameters } from './finite-field-group.js';

/** Server: our ephemeral share in `params` and the ServerDHParams that carry it. */
export function serverDhShare(provider: CryptoProvider, params: DhParameters, random: RandomSource): { share: DhKeyShare; paramsBytes: Uint8Array } {
  const share = provider.generateDhKeyShare(params, random);
  // dh_p and dh_g as minimal big-endian integers, dh_Ys at the length of p.
  const paramsBytes = encodeServerDhParams({ p: params.p, g: params.g, ys: share.publicKey });
  return { share, paramsBytes };
}

/** Server: the premaster part Z (leading zeros stripped, RFC 5246 §8.1.2 / RFC 4279 §3) from the
 *  client's dh_Yc, and the PSK identity for DHE_PSK. Throws illegal_parameter for a bad Yc. */
export function serverDhSecret(share: DhKeyShare, body: Uint8Array, withPskIdentity: boolean): { z: Uint8Array; pskIdentity?: Uint8Array } {
  const cke = decodeDhClientKeyExchange(body, withPskIdentity);
  const z = stripLeadingZeros(share.computeSecret(cke.yc));
  return cke.pskIdentity ? { z, pskIdentity: cke.pskIdentity } : { z };
}

/**
 * Client: our answer to the server's ServerDHParams (after the caller checked their signature,
 * for DHE_RSA): the group checked (finite-field-group.ts), our share, Z from the server's Ys
 * (illegal_parameter when 1 < Ys < p-1 fails), and the ClientKeyExchange body (with the PSK
 * identity first for DHE_PSK).
 */
export function clientDhExchange(
  provider: CryptoProvider,
  random: RandomSource,
  server: ServerDhParams,
  minBits: number,
  pskIdentity?: Uint8Array,
): { z: Uint8Array; body: Uint8Array; group: number | undefined; primeBits: number } {
  const { params, group } = checkServerDhParameters(server, minBits);
  const share = provider.generateDhKeyShare(params, random);
  // The server's Ys as a value of p's length (it may have been sent shorter or with zeros).
  const ys = bytesToBigInt(server.ys);
  const p = bytesToBigInt(params.p);
  const peer = ys < p ? bigIntToBytes(ys, params.p.length) : server.ys;
  const z = stripLeadingZeros(share.computeSecret(peer));
  return { z, body: encodeDhClientKeyExchange(share.publicKey, pskIdentity), group, primeBits: params.p.length * 8 };
}
