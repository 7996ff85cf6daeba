// Everything an Engine is built with. The engine does no I/O: randomness, the clock, and
// certificate-path checking (which needs the trust store) are injected here.
import type { LocalIdentity } from '../crypto/identity.js';
export type { LocalIdentity };
import type { CryptoProvider, RandomSource } from '../crypto/provider.js';
import type { CipherSuite } from './cipher-suites.js';

/** A peer chain's verdict; refused with node:tls's code (e.g. 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')
 *  and message. */
export type CertificateCheck = { ok: true } | { ok: false; code: string; message: string };

/** Checks a peer chain (DER, leaf first): path to a trust anchor, dates, usage, and for a
 *  client the server name. Returns the first failure. */
export type CertificateVerifier = (chain: Uint8Array[], role: 'server' | 'client', servername?: string) => CertificateCheck;

/** DTLS HelloVerifyRequest cookies for one peer (RFC 6347 §4.2.1). */
export interface DtlsCookies {
  make(ch: import('./handshake/message-types.js').ClientHello): Uint8Array;
  verify(ch: import('./handshake/message-types.js').ClientHello): boolean;
}

/** What a client's PSK callback answers (node:tls pskCallback): the key and the identity to send. */
export interface PskClientAnswer {
  psk: Uint8Array;
  /** UTF-8 on the wire (RFC 4279 §5.1). */
  identity: string;
}

/** Pre-shared keys (RFC 4279, RFC 5489). PSK suites are used only by a side that has its callback. */
export interface PskConfig {
  /** Client: called with the server's psk_identity_hint (null when it sent none) when a PSK
   *  suite is negotiated; null/undefined aborts the handshake (ERR_SSL_PSK_IDENTITY_NOT_FOUND). */
  client?: (hint: string | null) => PskClientAnswer | null | undefined;
  /** Server: the key for the client's identity; null/undefined (or an empty key) refuses it with
   *  an unknown_psk_identity alert. The shell binds the connection (node's first argument). */
  server?: (identity: string) => Uint8Array | { psk: Uint8Array } | null | undefined;
  /** Server: RFC 4279 §2 psk_identity_hint; without it a PSK (non-ECDHE) server sends no
   *  ServerKeyExchange. */
  identityHint?: string;
}

export interface EngineConfig {
  role: 'client' | 'server';
  /** 'tls' (default) or 'dtls' (DTLS 1.2 over datagrams). */
  transport?: 'tls' | 'dtls';
  /** DTLS server: check ClientHello cookies here (omit when the datagram server already did). */
  dtlsCookies?: DtlsCookies;
  provider: CryptoProvider;
  random: RandomSource;
  /** Milliseconds, like Date.now(). */
  now: () => number;
  /** In preference order. */
  cipherSuites: readonly CipherSuite[];
  /** NamedGroup codes in preference order. */
  groups: readonly number[];
  /** SignatureScheme codes we accept from the peer, in preference order. */
  signatureSchemes: readonly number[];
  /** Our certificates (server: by key type; client: offered when asked). */
  identities: readonly LocalIdentity[];
  /** Server: the identities to choose from for the client's SNI name (SNICallback, addContext); default `identities`. */
  selectIdentities?: (servername: string | undefined) => readonly LocalIdentity[];
  verifier: CertificateVerifier;
  /** Client: fail the handshake when verification fails. Server: when requestCert, refuse
   *  clients without a valid certificate. */
  rejectUnauthorized: boolean;
  /** Client: SNI host name and the name checked against the certificate. */
  servername?: string;
  /** Client: host to check the certificate against (defaults to servername). */
  checkHost?: string;
  /** Client: ask for an OCSP staple (RFC 6066 §8 status_request; node:tls requestOCSP). */
  requestOcsp?: boolean;
  /** Server: when a client asks for an OCSP staple, pause the handshake for the application's
   *  answer (Engine 'ocsp-request' event, Engine.respondOcsp(); node:tls 'OCSPRequest'). */
  ocspStapling?: boolean;
  /** ALPN protocol names in preference order (client: offered; server: accepted). */
  alpnProtocols?: readonly string[];
  /** Server (node:tls ALPNCallback): called when the client offers ALPN; return one of
   *  `protocols`, or undefined to refuse the connection (no_application_protocol). */
  alpnCallback?: (args: { servername: string | undefined; protocols: string[] }) => string | undefined;
  /** Server: ask for a client certificate. */
  requestCert: boolean;
  /** Server: DER DistinguishedNames to list in CertificateRequest. */
  certificateAuthorities?: readonly Uint8Array[];
  /** Client: a session to offer for resumption (RFC 5246 §7.3 abbreviated handshake; session
   *  ID and/or RFC 5077 ticket). Offered only when it is resumable (see ClientHandshake). */
  session?: import('./handshake/session.js').SessionState;
  /** Server: the session-ID cache and ticket keys shared by a server's connections; without it
   *  the server never resumes, assigns no session IDs and issues no tickets. */
  sessionStore?: import('./handshake/session-store.js').SessionStore;
  /** Client: send the RFC 5077 session_ticket extension (ask for / offer tickets). Default true. */
  sessionTickets?: boolean;
  /** Offer (client) / accept (server) RFC 7627 extended master secret. Default true; false only
   *  to test peers that lack it (a session without it is never resumed). */
  extendedMasterSecret?: boolean;
  /** Offer (client) / accept (server) RFC 7366 encrypt-then-MAC for CBC suites. Default true;
   *  false gives MAC-then-encrypt (OpenSSL's -no_etm), e.g. to test that record path. */
  encryptThenMac?: boolean;
  /** Pre-shared keys (node:tls pskCallback / pskIdentityHint). */
  psk?: PskConfig;
  /** Server: DH parameters for DHE / DHE_PSK suites (node:tls dhparam: parameters or 'auto');
   *  without them no DHE suite is chosen. */
  dhParam?: import('../crypto/dh-parameters.js').DhParamSetting;
  /** Client: smallest DHE prime accepted, in bits (node:tls minDHSize); default 2048. */
  minDhBits?: number;
}
