// ECDHE key agreement signed by the server's certificate (RFC 8422 §5.4 ServerKeyExchange,
// §5.7 ClientKeyExchange): ephemeral keys on a named group both sides support.
import type { KeyShare } from '../../../crypto/provider.js';
import type { EngineConfig } from '../../config.js';
import { TlsError, ErrorCode } from '../../../errors.js';
import { decodeClientKeyExchangeFor, decodeServerKeyExchangeFor, encodeEcdheParams } from '../messages.js';
import type {
  ClientKeyAgreement, ClientKeyAgreementContext, KeyAgreementKind, ServerKeyAgreement, ServerKeyAgreementContext,
} from './key-agreement.js';
import { signParams, verifySignedParams } from './signed-params.js';

/** Server preference (our `groups` order) among the groups the client supports (RFC 8422 §5.1.1). */
export function selectEcGroup(config: EngineConfig, clientGroups: readonly number[]): number | undefined {
  return config.groups.find((g) => clientGroups.includes(g));
}

/** Client: the server's group must be one we offered in supported_groups (RFC 8422 §5.4). */
export function checkOfferedGroup(config: EngineConfig, group: number): void {
  if (!config.groups.includes(group)) {
    throw new TlsError(ErrorCode.ILLEGAL_PARAMETER, `server chose group ${group} that was not offered`, 'illegal_parameter');
  }
}

/** Server: a new ephemeral key share on the selected group. */
export function serverShare(ctx: ServerKeyAgreementContext): KeyShare {
  if (ctx.group === undefined) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'no common group', 'handshake_failure');
  return ctx.config.provider.generateKeyShare(ctx.group, ctx.config.random);
}

class EcdheServer implements ServerKeyAgreement {
  private share: KeyShare | undefined;

  get group(): number {
    return this.share?.group ?? 0;
  }

  generateServerKeyExchange(ctx: ServerKeyAgreementContext) {
    const share = serverShare(ctx);
    this.share = share;
    // RFC 8422 §5.4: sign client_random + server_random + ServerECDHParams.
    const signature = signParams(ctx, encodeEcdheParams(share.group, share.publicKey));
    return { type: 'server_key_exchange' as const, group: share.group, publicKey: share.publicKey, scheme: ctx.scheme, signature };
  }

  processClientKeyExchange(ctx: ServerKeyAgreementContext, body: Uint8Array) {
    const cke = decodeClientKeyExchangeFor(ctx.suite.kx, body);
    if (!this.share || 'pskIdentity' in cke) throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'ClientKeyExchange before our key share', 'unexpected_message');
    return { preMaster: this.share.computeSecret(cke.publicKey) };
  }
}

class EcdheClient implements ClientKeyAgreement {
  private params: { group: number; publicKey: Uint8Array; scheme: number } | undefined;

  get group(): number {
    return this.params?.group ?? 0;
  }

  get signatureScheme(): number {
    return this.params?.scheme ?? 0;
  }

  processServerKeyExchange(ctx: ClientKeyAgreementContext, body: Uint8Array): void {
    const skx = decodeServerKeyExchangeFor(ctx.suite.kx, body);
    if ('pskIdentityHint' in skx) throw new TlsError(ErrorCode.DECODE, 'ServerKeyExchange of another key exchange', 'decode_error');
    checkOfferedGroup(ctx.config, skx.group);
    // RFC 8422 §5.4: signature over client_random + server_random + ServerECDHParams.
    verifySignedParams(ctx, encodeEcdheParams(skx.group, skx.publicKey), skx.scheme, skx.signature);
    this.params = { group: skx.group, publicKey: skx.publicKey, scheme: skx.scheme };
  }

  generateClientKeyExchange(ctx: ClientKeyAgreementContext) {
    const params = this.params;
    if (!params) throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'server sent no ServerKeyExchange', 'unexpected_message');
    const share = ctx.config.provider.generateKeyShare(params.group, ctx.config.random);
    const preMaster = share.computeSecret(params.publicKey);
    return { preMaster, message: { type: 'client_key_exchange' as const, publicKey: share.publicKey } };
  }
}

export const ECDHE: KeyAgreementKind = {
  serverCertificate: true,
  serverKeyExchange: 'always',
  signsServerKeyExchange: true,
  usable: () => true,
  selectGroup: selectEcGroup,
  server: () => new EcdheServer(),
  client: () => new EcdheClient(),
};
