// Static RSA key exchange (RFC 5246 §7.4.7.1): no ServerKeyExchange; the client encrypts a
// 48-byte premaster (its ClientHello version first) to the server certificate's RSA key, and the
// server decrypts it without revealing whether the padding, length or version was wrong
// (lib/crypto/rsa-premaster.ts): a bad one becomes a random premaster and the handshake fails at
// the client's Finished like any wrong key would.
import { decryptPremaster, encryptPremaster, makePremaster } from '../../../crypto/rsa-premaster.js';
import { TlsError, ErrorCode } from '../../../errors.js';
import { ProtocolVersion } from '../../constants.js';
import { decodeRsaClientKeyExchange, encodeRsaClientKeyExchange } from './dhe-rsa-messages.js';
import type {
  AgreedSecret, ClientKeyAgreement, ClientKeyAgreementContext, KeyAgreementKind, OutgoingClientKeyExchange,
  OutgoingServerKeyExchange, ServerKeyAgreement, ServerKeyAgreementContext,
} from './key-agreement.js';
import { serverKey } from './signed-params.js';

class RsaServer implements ServerKeyAgreement {
  readonly group = 0;

  generateServerKeyExchange(): OutgoingServerKeyExchange | undefined {
    // RFC 5246 §7.4.3: not sent for RSA key exchange.
    return undefined;
  }

  processClientKeyExchange(ctx: ServerKeyAgreementContext, body: Uint8Array): AgreedSecret {
    const key = ctx.identity?.key;
    if (!key) throw new TlsError(ErrorCode.HANDSHAKE_FAILURE, 'RSA key exchange without a certificate', 'internal_error');
    // A malformed vector is a decode_error (public framing); what it carries is never refused.
    const encrypted = decodeRsaClientKeyExchange(body);
    // RFC 5246 §7.4.7.1: the version is the one the client offered in its ClientHello.
    return { preMaster: decryptPremaster(key, encrypted, ctx.clientVersion, ctx.config.random) };
  }
}

class RsaClient implements ClientKeyAgreement {
  readonly group = 0;
  readonly signatureScheme = 0;

  processServerKeyExchange(): void {
    // RFC 5246 §7.4.3: "It is not legal to send the server key exchange message for ... RSA".
    throw new TlsError(ErrorCode.UNEXPECTED_MESSAGE, 'ServerKeyExchange in an RSA key exchange', 'unexpected_message');
  }

  generateClientKeyExchange(ctx: ClientKeyAgreementContext): AgreedSecret & { message: OutgoingClientKeyExchange } {
    // The certificate key must be RSA (serverKey() checks it fits the suite).
    const key = serverKey(ctx);
    // RFC 5246 §7.4.7.1: client_version is the latest version the client supports, as in its
    // ClientHello.
    const version = ctx.config.transport === 'dtls' ? ProtocolVersion.DTLS1_2 : ProtocolVersion.TLS1_2;
    const preMaster = makePremaster(version, ctx.config.random);
    const encrypted = encryptPremaster(key, preMaster, ctx.config.random);
    return { preMaster, message: { type: 'client_key_exchange', body: encodeRsaClientKeyExchange(encrypted) } };
  }
}

export const RSA: KeyAgreementKind = {
  serverCertificate: true,
  serverKeyExchange: 'never',
  signsServerKeyExchange: false,
  usable: () => true,
  server: () => new RsaServer(),
  client: () => new RsaClient(),
};
