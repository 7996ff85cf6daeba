// Finite-field DHE key agreements: DHE_RSA signed by the server's certificate (RFC 5246 §7.4.3
// ServerDHParams, §7.4.7.2 ClientDiffieHellmanPublic, §8.1.2 premaster = Z without its leading
// zero bytes) and DHE_PSK authenticated by a pre-shared key (RFC 4279 §3: hint + ServerDHParams,
// unsigned; psk_identity + dh_Yc; premaster = the RFC 4279 §2 layout with Z as other_secret).
// The group: finite-field-group.ts.
import { bigIntToBytes, bytesToBigInt, stripLeadingZeros } from '../../../crypto/finite-field-dh.js';
import type { DhKeyShare } from '../../../crypto/provider.js';
import { TlsError, ErrorCode } from '../../../errors.js';
import type { EngineConfig } from '../../config.js';
import { encodeIdentityHint, pskPremaster } from '../psk.js';
import {
  decodeDhClientKeyExchange, decodeDhePskServerKeyExchange, decodeDheServerKeyExchange, encodeDhClientKeyExchange,
  encodeDhePskServerKeyExchange, encodeDheServerKeyExchange, encodeServerDhParams, type ServerDhParams,
} from './dhe-rsa-messages.js';
import {
  checkServerDhParameters, CLIENT_FFDHE_GROUPS, DEFAULT_MIN_DH_BITS, selectFfdheGroup, serverDhParameters, serverHasDhParameters,
} from './finite-field-group.js';
import type {
  AgreedSecret, ClientKeyAgreement, ClientKeyAgreementContext, KeyAgreementKind, OutgoingClientKeyExchange,
  OutgoingServerKeyExchange, ServerKeyAgreement, ServerKeyAgreementContext,
} from './key-agreement.js';
import { clientPskFor, pskUsable, readHint, serverPskFor } from './psk-key-agreement.js';
import { signParams, verifySignedParams } from './signed-params.js';

class DheServer implements ServerKeyAgreement {
  private share: DhKeyShare | undefined;
  group = 0;

  constructor(private readonly psk: boolean) {}

  generateServerKeyExchange(ctx: ServerKeyAgreementContext): OutgoingServerKeyExchange {
    const params = serverDhParameters(ctx);
    const share = ctx.config.provider.generateDhKeyShare(params, ctx.config.random);
    this.share = share;
    this.group = ctx.group ?? 0;
    const server: ServerDhParams = { p: params.p, g: params.g, ys: share.publicKey };
    if (this.psk) {
      const hint = ctx.config.psk?.identityHint;
      return { type: 'server_key_exchange', body: encodeDhePskServerKeyExchange(hint !== undefined ? encodeIdentityHint(hint) : new Uint8Array(0), server) };
    }
    // RFC 5246 §7.4.3: sign client_random + server_random + ServerDHParams.
    const paramsBytes = encodeServerDhParams(server);
    return { type: 'server_key_exchange', body: encodeDheServerKeyExchange(paramsBytes, ctx.scheme, signParams(ctx, paramsBytes)) };
  }

  processClientKeyExchange(ctx: ServerKeyAgreementContext, body: Uint8Array): AgreedSecret {
    if (!this.share) throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'ClientKeyExchange before our key share', 'unexpected_message');
    const cke = decodeDhClientKeyExchange(body, this.psk);
    // dh_Yc is checked first (illegal_parameter whoever the client claims to be), then the
    // identity, as for ECDHE_PSK.
    const z = stripLeadingZeros(this.share.computeSecret(cke.yc));
    if (!cke.pskIdentity) return { preMaster: z };
    const { psk, pskIdentity } = serverPskFor(ctx, cke.pskIdentity);
    return { preMaster: pskPremaster(psk, z), pskIdentity };
  }
}

class DheClient implements ClientKeyAgreement {
  signatureScheme = 0;
  group = 0;
  private server: ServerDhParams | undefined;
  private hint: string | null = null;

  constructor(private readonly psk: boolean) {}

  processServerKeyExchange(ctx: ClientKeyAgreementContext, body: Uint8Array): void {
    if (this.psk) {
      const skx = decodeDhePskServerKeyExchange(body);
      this.hint = readHint({ type: 'server_key_exchange', pskIdentityHint: skx.hint });
      this.server = skx.params;
    } else {
      const skx = decodeDheServerKeyExchange(body);
      // RFC 5246 §7.4.3: signature over client_random + server_random + ServerDHParams.
      verifySignedParams(ctx, skx.paramsBytes, skx.scheme, skx.signature);
      this.signatureScheme = skx.scheme;
      this.server = skx.params;
    }
    // The group is checked once the signature holds (size, g; Ys when the secret is computed).
    this.group = checkServerDhParameters(this.server, minDhBits(ctx.config)).group ?? 0;
  }

  generateClientKeyExchange(ctx: ClientKeyAgreementContext): AgreedSecret & { message: OutgoingClientKeyExchange } {
    const server = this.server;
    if (!server) throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'DHE server sent no ServerKeyExchange', 'unexpected_message');
    const { params } = checkServerDhParameters(server, minDhBits(ctx.config));
    const share = ctx.config.provider.generateDhKeyShare(params, ctx.config.random);
    // The server's Ys at the length of p (it may come shorter, or with leading zeros); a value
    // of p or more stays as sent and is refused by computeSecret().
    const ys = bytesToBigInt(server.ys);
    const peer = ys < bytesToBigInt(params.p) ? bigIntToBytes(ys, params.p.length) : server.ys;
    const z = stripLeadingZeros(share.computeSecret(peer));
    if (!this.psk) return { preMaster: z, message: { type: 'client_key_exchange', body: encodeDhClientKeyExchange(share.publicKey) } };
    const answer = clientPskFor(ctx, this.hint);
    return {
      preMaster: pskPremaster(answer.psk, z),
      pskIdentity: answer.identityString,
      message: { type: 'client_key_exchange', body: encodeDhClientKeyExchange(share.publicKey, answer.identity) },
    };
  }
}

/** Client: the smallest prime accepted (node:tls minDHSize; 1024 bits at the least, below which
 *  OpenSSL refuses at any security level but 0). */
function minDhBits(config: EngineConfig): number {
  return Math.max(config.minDhBits ?? DEFAULT_MIN_DH_BITS, 1024);
}

export const DHE: KeyAgreementKind = {
  serverCertificate: true,
  serverKeyExchange: 'always',
  signsServerKeyExchange: true,
  usable: (config, role) => role === 'client' || serverHasDhParameters(config),
  selectGroup: selectFfdheGroup,
  offeredGroups: CLIENT_FFDHE_GROUPS,
  server: () => new DheServer(false),
  client: () => new DheClient(false),
};

export const DHE_PSK: KeyAgreementKind = {
  serverCertificate: false,
  serverKeyExchange: 'always',
  signsServerKeyExchange: false,
  usable: (config, role) => pskUsable(config, role) && (role === 'client' || serverHasDhParameters(config)),
  selectGroup: selectFfdheGroup,
  offeredGroups: CLIENT_FFDHE_GROUPS,
  server: () => new DheServer(true),
  client: () => new DheClient(true),
};
