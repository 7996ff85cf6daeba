// Plain PSK key agreement (RFC 4279 §2): no certificate, a ServerKeyExchange only to carry the
// server's psk_identity_hint, the client's psk_identity in the ClientKeyExchange, and a
// premaster made of the key alone.
import { TlsError, ErrorCode } from '../../../errors.js';
import type { EngineConfig } from '../../config.js';
import { decodeClientKeyExchangeFor, decodeServerKeyExchangeFor } from '../messages.js';
import type { PskServerKeyExchange } from '../message-types.js';
import {
  clientPsk, encodeIdentityHint, PSK_MAX_IDENTITY_LENGTH, pskPremaster, pskString, serverPsk,
} from '../psk.js';
import type {
  AgreedSecret, ClientKeyAgreement, ClientKeyAgreementContext, KeyAgreementKind, ServerKeyAgreement, ServerKeyAgreementContext,
} from './key-agreement.js';

/** As OpenSSL: PSK key exchanges only with the role's PSK callback. */
export function pskUsable(config: EngineConfig, role: 'client' | 'server'): boolean {
  return config.psk?.[role] !== undefined;
}

/** Server: the key for the identity in a PSK ClientKeyExchange (the application's callback). */
export function serverPskFor(ctx: ServerKeyAgreementContext, identity: Uint8Array): { psk: Uint8Array; pskIdentity: string } {
  const cb = ctx.config.psk?.server;
  if (!cb) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'PSK key exchange without a PSK callback', 'internal_error');
  const psk = serverPsk(cb, identity);
  return { psk, pskIdentity: pskString(identity) };
}

/** Client: the server's hint from a PSK ServerKeyExchange. OpenSSL 3.0's client refuses one
 *  over PSK_MAX_IDENTITY_LEN with handshake_failure (measured). An empty hint (always present
 *  in ECDHE_PSK, RFC 5489 §2) counts as none: OpenSSL's client keeps NULL, so node:tls's
 *  pskCallback gets null. */
export function readHint(skx: PskServerKeyExchange): string | null {
  if (skx.pskIdentityHint.length > PSK_MAX_IDENTITY_LENGTH) {
    throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, `psk_identity_hint of ${skx.pskIdentityHint.length} bytes is over ${PSK_MAX_IDENTITY_LENGTH}`, 'handshake_failure');
  }
  return skx.pskIdentityHint.length > 0 ? pskString(skx.pskIdentityHint) : null;
}

/** Client: the application's key and identity for the server's hint (asked when the key is
 *  needed, as OpenSSL calls it while building ClientKeyExchange). */
export function clientPskFor(ctx: ClientKeyAgreementContext, hint: string | null): ReturnType<typeof clientPsk> {
  const cb = ctx.config.psk?.client;
  if (!cb) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'PSK key exchange without a PSK callback', 'internal_error');
  return clientPsk(cb, hint);
}

class PskServer implements ServerKeyAgreement {
  readonly group = 0;

  generateServerKeyExchange(ctx: ServerKeyAgreementContext): PskServerKeyExchange | undefined {
    // RFC 4279 §2: ServerKeyExchange only to carry a hint ("If no hint is provided, the
    // ServerKeyExchange message is omitted"), as OpenSSL does.
    const hint = ctx.config.psk?.identityHint;
    return hint !== undefined ? { type: 'server_key_exchange', pskIdentityHint: encodeIdentityHint(hint) } : undefined;
  }

  processClientKeyExchange(ctx: ServerKeyAgreementContext, body: Uint8Array): AgreedSecret {
    const cke = decodeClientKeyExchangeFor(ctx.suite.kx, body);
    if (!('pskIdentity' in cke)) throw new TlsError(ErrorCode.DECODE, 'ClientKeyExchange of another key exchange', 'decode_error');
    const { psk, pskIdentity } = serverPskFor(ctx, cke.pskIdentity);
    return { preMaster: pskPremaster(psk), pskIdentity };
  }
}

class PskClient implements ClientKeyAgreement {
  readonly group = 0;
  readonly signatureScheme = 0;
  /** The server's psk_identity_hint (null: none sent). */
  private hint: string | null = null;

  processServerKeyExchange(ctx: ClientKeyAgreementContext, body: Uint8Array): void {
    const skx = decodeServerKeyExchangeFor(ctx.suite.kx, body);
    if (!('pskIdentityHint' in skx)) throw new TlsError(ErrorCode.DECODE, 'ServerKeyExchange of another key exchange', 'decode_error');
    this.hint = readHint(skx);
  }

  generateClientKeyExchange(ctx: ClientKeyAgreementContext) {
    const answer = clientPskFor(ctx, this.hint);
    return {
      preMaster: pskPremaster(answer.psk),
      pskIdentity: answer.identityString,
      message: { type: 'client_key_exchange' as const, pskIdentity: answer.identity },
    };
  }
}

export const PSK: KeyAgreementKind = {
  serverCertificate: false,
  serverKeyExchange: 'optional',
  signsServerKeyExchange: false,
  usable: pskUsable,
  server: () => new PskServer(),
  client: () => new PskClient(),
};
