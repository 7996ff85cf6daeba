// The key-agreement seam (Go's crypto/tls keyAgreement, key_agreement.go): everything a
// handshake does that depends on the suite's key exchange — which messages the server's flight
// carries, the ServerKeyExchange (made or checked), the ClientKeyExchange (made or read) and the
// premaster secret — lives behind one interface, one implementation per CipherSuite.kx. The
// handshakes pick the implementation from the registry (registry.ts) and never branch on kx.
import type { LocalIdentity } from '../../../crypto/identity.js';
import type { CipherSuite } from '../../cipher-suites.js';
import type { EngineConfig } from '../../config.js';
import type {
  ClientKeyExchange, OpaqueKeyExchange, PskClientKeyExchange, PskServerKeyExchange, ServerKeyExchange,
} from '../message-types.js';

/** What every key agreement may use, on either side. */
export interface KeyAgreementContext {
  /** provider, random, groups, signatureSchemes, psk callbacks... */
  readonly config: EngineConfig;
  readonly suite: CipherSuite;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
}

/** Server side: what the suite selection chose for this key agreement. */
export interface ServerKeyAgreementContext extends KeyAgreementContext {
  /** Our certificate and key for this suite (undefined when `serverCertificate` is false). */
  readonly identity: LocalIdentity | undefined;
  /** The scheme to sign the ServerKeyExchange with, one the client accepts (RFC 5246
   *  §7.4.1.4.1); 0 when `signsServerKeyExchange` is false. */
  readonly scheme: number;
  /** What selectGroup() chose for this client (undefined for a key agreement without groups). */
  readonly group: number | undefined;
  /** The client's supported_groups (RFC 8422 §4 default applied: secp256r1 without the
   *  extension), in the client's order. */
  readonly clientGroups: readonly number[];
  /** ClientHello.client_version (RFC 5246 §7.4.7.1: the static RSA premaster starts with it). */
  readonly clientVersion: number;
}

/** Client side: what the server has shown so far. */
export interface ClientKeyAgreementContext extends KeyAgreementContext {
  /** The server's certificate chain, leaf first (empty when `serverCertificate` is false). */
  readonly peerChain: readonly Uint8Array[];
}

/** A ServerKeyExchange to send: a codec message, or a body this key agreement encoded itself. */
export type OutgoingServerKeyExchange = ServerKeyExchange | PskServerKeyExchange | (OpaqueKeyExchange & { type: 'server_key_exchange' });
/** A ClientKeyExchange to send: a codec message, or a body this key agreement encoded itself. */
export type OutgoingClientKeyExchange = ClientKeyExchange | PskClientKeyExchange | (OpaqueKeyExchange & { type: 'client_key_exchange' });

/** The outcome of the key exchange, on either side. */
export interface AgreedSecret {
  /** RFC 5246 §8.1 pre_master_secret. */
  preMaster: Uint8Array;
  /** PSK key exchanges (RFC 4279 §2): the client's identity (the PSK authenticates the peer). */
  pskIdentity?: string;
}

/** One handshake's server side of a key exchange (holds its ephemeral key between messages). */
export interface ServerKeyAgreement {
  /** The ServerKeyExchange to send after our Certificate, or undefined to send none. */
  generateServerKeyExchange(ctx: ServerKeyAgreementContext): OutgoingServerKeyExchange | undefined;
  /** The client's ClientKeyExchange body (opaque in the codec: its shape is this key
   *  exchange's) → the premaster secret. Bad input throws a TlsError with its alert. */
  processClientKeyExchange(ctx: ServerKeyAgreementContext, body: Uint8Array): AgreedSecret;
  /** NamedGroup of the key exchange, for the handshake result (0: none). */
  readonly group: number;
}

/** One handshake's client side of a key exchange. */
export interface ClientKeyAgreement {
  /** The server's ServerKeyExchange body: decode it, check it (signature, group), keep it. */
  processServerKeyExchange(ctx: ClientKeyAgreementContext, body: Uint8Array): void;
  /** Our ClientKeyExchange and the premaster secret, once the server's flight is complete
   *  (the ServerKeyExchange may have been absent where `serverKeyExchange` allows it). */
  generateClientKeyExchange(ctx: ClientKeyAgreementContext): AgreedSecret & { message: OutgoingClientKeyExchange };
  /** NamedGroup of the key exchange, for the handshake result (0: none). */
  readonly group: number;
  /** Signature scheme of the server's ServerKeyExchange, for the handshake result (0: none). */
  readonly signatureScheme: number;
}

/** A key exchange method: the shape of the server's flight, when it can be used, and the two
 *  sides' implementations. */
export interface KeyAgreementKind {
  /** The server sends its Certificate (and may ask for the client's: RFC 4279 §2 and RFC 5489
   *  §2 have no CertificateRequest), and the suite's `auth` names its key type. */
  readonly serverCertificate: boolean;
  /** What the client expects: a ServerKeyExchange always (ECDHE, RFC 8422 §5.4), maybe (PSK
   *  with a hint, RFC 4279 §2), or never (static RSA, RFC 5246 §7.4.3). */
  readonly serverKeyExchange: 'always' | 'optional' | 'never';
  /** The server signs its ServerKeyExchange with the certificate key: the suite needs a
   *  signature scheme that the client accepts and our key can make. */
  readonly signsServerKeyExchange: boolean;
  /** Whether this side can use the key exchange at all (PSK: only with the role's callback,
   *  as OpenSSL). */
  usable(config: EngineConfig, role: 'client' | 'server'): boolean;
  /** Server: the group to use with a client offering `clientGroups`; undefined when none fits,
   *  and the suite is skipped. Absent for key exchanges without groups. */
  selectGroup?(config: EngineConfig, clientGroups: readonly number[]): number | undefined;
  /** Client: groups to list in supported_groups, beyond the ECDHE `groups`, when a suite of
   *  this key exchange is offered (RFC 7919 §3: the FFDHE groups for DHE). */
  readonly offeredGroups?: readonly number[];
  server(): ServerKeyAgreement;
  client(): ClientKeyAgreement;
}
