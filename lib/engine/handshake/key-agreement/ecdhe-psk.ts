// ECDHE_PSK key agreement (RFC 5489 §2): ephemeral ECDH authenticated by a pre-shared key; the
// ServerKeyExchange carries the hint (maybe empty) and ServerECDHParams, unsigned; the premaster
// joins the ECDH secret and the key (RFC 4279 §2 layout).
import type { KeyShare } from '../../../crypto/provider.js';
import { TlsError, ErrorCode } from '../../../errors.js';
import { decodeClientKeyExchangeFor, decodeServerKeyExchangeFor } from '../messages.js';
import type { PskServerKeyExchange } from '../message-types.js';
import { encodeIdentityHint, pskPremaster } from '../psk.js';
import { checkOfferedGroup, selectEcGroup, serverShare } from './ecdhe.js';
import type {
  AgreedSecret, ClientKeyAgreement, ClientKeyAgreementContext, KeyAgreementKind, ServerKeyAgreement, ServerKeyAgreementContext,
} from './key-agreement.js';
import { clientPskFor, pskUsable, readHint, serverPskFor } from './psk-key-agreement.js';

class EcdhePskServer implements ServerKeyAgreement {
  private share: KeyShare | undefined;

  get group(): number {
    return this.share?.group ?? 0;
  }

  generateServerKeyExchange(ctx: ServerKeyAgreementContext): PskServerKeyExchange {
    const share = serverShare(ctx);
    this.share = share;
    const hint = ctx.config.psk?.identityHint;
    return {
      type: 'server_key_exchange',
      pskIdentityHint: hint !== undefined ? encodeIdentityHint(hint) : new Uint8Array(0),
      ecdhe: { group: share.group, publicKey: share.publicKey },
    };
  }

  processClientKeyExchange(ctx: ServerKeyAgreementContext, body: Uint8Array): AgreedSecret {
    const cke = decodeClientKeyExchangeFor(ctx.suite.kx, body);
    if (!this.share || !('pskIdentity' in cke) || !cke.publicKey) {
      throw new TlsError(ErrorCode.DECODE, 'ClientKeyExchange of another key exchange', 'decode_error');
    }
    // The point is checked first (a bad one is illegal_parameter whoever the client claims to
    // be), then the identity.
    const shared = this.share.computeSecret(cke.publicKey);
    const { psk, pskIdentity } = serverPskFor(ctx, cke.pskIdentity);
    return { preMaster: pskPremaster(psk, shared), pskIdentity };
  }
}

class EcdhePskClient implements ClientKeyAgreement {
  readonly signatureScheme = 0;
  private hint: string | null = null;
  private params: { group: number; publicKey: Uint8Array } | undefined;

  get group(): number {
    return this.params?.group ?? 0;
  }

  processServerKeyExchange(ctx: ClientKeyAgreementContext, body: Uint8Array): void {
    const skx = decodeServerKeyExchangeFor(ctx.suite.kx, body);
    if (!('pskIdentityHint' in skx) || !skx.ecdhe) throw new TlsError(ErrorCode.DECODE, 'ServerKeyExchange of another key exchange', 'decode_error');
    const hint = readHint(skx);
    checkOfferedGroup(ctx.config, skx.ecdhe.group);
    this.hint = hint;
    this.params = skx.ecdhe;
  }

  generateClientKeyExchange(ctx: ClientKeyAgreementContext) {
    const params = this.params;
    if (!params) throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'ECDHE_PSK server sent no ServerKeyExchange', 'unexpected_message');
    const answer = clientPskFor(ctx, this.hint);
    const share = ctx.config.provider.generateKeyShare(params.group, ctx.config.random);
    return {
      preMaster: pskPremaster(answer.psk, share.computeSecret(params.publicKey)),
      pskIdentity: answer.identityString,
      message: { type: 'client_key_exchange' as const, pskIdentity: answer.identity, publicKey: share.publicKey },
    };
  }
}

export const ECDHE_PSK: KeyAgreementKind = {
  serverCertificate: false,
  serverKeyExchange: 'always',
  signsServerKeyExchange: false,
  usable: pskUsable,
  selectGroup: selectEcGroup,
  server: () => new EcdhePskServer(),
  client: () => new EcdhePskClient(),
};
