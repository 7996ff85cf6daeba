// The signature of a ServerKeyExchange's parameters (RFC 5246 §7.4.3 digitally-signed: over
// client_random + server_random + params), made by the server and checked by the client, for
// every key exchange that signs its parameters (ECDHE: RFC 8422 §5.4).
import { concatBytes } from '../../../concat-bytes.js';
import { TlsError, ErrorCode } from '../../../errors.js';
import type { VerifyingKey } from '../../../crypto/provider.js';
import { checkSchemeFitsKey } from '../peer-signature.js';
import type { ClientKeyAgreementContext, ServerKeyAgreementContext } from './key-agreement.js';

/** Server: sign `params` with the chosen identity's key and scheme. */
export function signParams(ctx: ServerKeyAgreementContext, params: Uint8Array): Uint8Array {
  const identity = ctx.identity;
  if (!identity) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'no certificate to sign the ServerKeyExchange with', 'internal_error');
  return identity.key.sign(ctx.scheme, concatBytes(ctx.clientRandom, ctx.serverRandom, params));
}

/** Client: check the server's signature over `params` with its certificate key. */
export function verifySignedParams(ctx: ClientKeyAgreementContext, params: Uint8Array, scheme: number, signature: Uint8Array): void {
  const c = ctx.config;
  if (!c.signatureSchemes.includes(scheme)) {
    throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `server signed with scheme 0x${scheme.toString(16)} that was not offered`, 'illegal_parameter');
  }
  const key = serverKey(ctx);
  checkSchemeFitsKey(key, scheme, 'ServerKeyExchange');
  if (!key.verify(scheme, concatBytes(ctx.clientRandom, ctx.serverRandom, params), signature)) {
    throw new TlsError(ErrorCode.DECRYPT_ERROR, 'ServerKeyExchange signature does not verify', 'decrypt_error');
  }
}

/** Client: the server certificate's public key, which must fit the suite (RFC 8422 §5.3 / RFC
 *  5246 §7.4.2: an ECDSA suite needs an EC or EdDSA key, an RSA suite an RSA key). */
export function serverKey(ctx: ClientKeyAgreementContext): VerifyingKey {
  let key: VerifyingKey;
  try {
    key = ctx.config.provider.publicKeyFromCertificate(ctx.peerChain[0]!);
  } catch {
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'cannot use the server certificate key', 'unsupported_certificate');
  }
  const fits = ctx.suite.auth === 'RSA' ? key.keyType === 'rsa' : key.keyType === 'ec' || key.keyType === 'ed25519';
  if (!fits) {
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `server certificate key (${key.keyType}) does not fit ${ctx.suite.name}`, 'unsupported_certificate');
  }
  return key;
}
