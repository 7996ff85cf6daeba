// What a handshake state machine may do to its connection. The Engine implements it; the
// handshake never sees records, only messages (DESIGN.md).
import type { EngineConfig } from '../config.js';
import type { RecordProtection } from '../record/record-protection.js';
import type { HandshakeMessage } from './message-types.js';
import type { SessionState } from './session.js';
import type { LocalIdentity } from '../../crypto/identity.js';
import type { ClientHelloInfo } from './client-hello-info.js';

export interface HandshakeHost {
  readonly config: EngineConfig;
  /** Our certificates and keys now: config.identities until setIdentities() changes them for
   *  this connection (node:tls setKeyCert()). */
  readonly identities: readonly LocalIdentity[];
  /** Encode and queue a handshake message; returns the bytes that enter the transcript. */
  sendHandshake(msg: HandshakeMessage): Uint8Array;
  /** Install the states the next ChangeCipherSpec in each direction switches to. */
  setPendingStates(read: RecordProtection, write: RecordProtection): void;
  /** Send ChangeCipherSpec and switch our write direction to the pending state (§7.1). */
  sendChangeCipherSpec(): void;
  /** Server, initial handshake: the ClientHello has arrived, before any of it is acted on.
   *  Returns true when the application answers first (the handshake then waits for
   *  ServerHandshake.acceptClientHello(), as rustls' Acceptor / Accepted). */
  clientHelloReceived(hello: ClientHelloInfo): boolean;
  /** Server: ask the application for an OCSP response for `chain` (leaf first); the answer comes
   *  back through ServerHandshake.respondOcsp(). */
  requestOcspResponse(chain: readonly Uint8Array[]): void;
  /** Client with requestOcsp: the server's first full flight is in, with its staple (or null). */
  ocspResponseReceived(response: Uint8Array | null): void;
  /** The master secret for this handshake is known (a full handshake's, or the one a server
   *  resumes); for NSS key logs. A client's resumption is logged when it completes (the server
   *  may still turn it into a full handshake). */
  masterSecretReady(clientRandom: Uint8Array, masterSecret: Uint8Array): void;
  /** The peer has shown who it is in this handshake (a certificate chain, leaf first, or a PSK
   *  identity; a resumed session's), before we send our Finished: throws (handshake_failure)
   *  when a renegotiation's peer is someone else and that is not allowed. */
  checkPeerIdentity(chain: readonly Uint8Array[], pskIdentity: string | undefined): void;
}

/** The RFC 5746 binding of a renegotiation to the connection it renegotiates. */
export interface RenegotiationBinding {
  clientVerifyData: Uint8Array;
  serverVerifyData: Uint8Array;
  /** The connection uses RFC 7366 encrypt-then-MAC (a renegotiation must keep it, §3.1). */
  encryptThenMac?: boolean;
}

/** What a completed handshake leaves behind for the connection. */
export interface HandshakeResult {
  suite: import('../cipher-suites.js').CipherSuite;
  group: number;
  /** Signature scheme used in ServerKeyExchange. */
  signatureScheme: number;
  masterSecret: Uint8Array;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  extendedMasterSecret: boolean;
  /** RFC 7366: the records of this session use encrypt-then-MAC (CBC suites only). */
  encryptThenMac?: boolean;
  /** RFC 5746: the peer signalled secure renegotiation (initial) / it was bound (renegotiation). */
  secureRenegotiation: boolean;
  clientVerifyData: Uint8Array;
  serverVerifyData: Uint8Array;
  /** Peer chain, DER, leaf first (empty when the peer sent none). */
  peerChain: Uint8Array[];
  /** Whether the peer's certificate passed verification (false when none was sent). */
  authorized: boolean;
  authorizationError?: { code: string; message: string };
  alpnProtocol: string | false;
  /** Client with requestOcsp: the server's stapled OCSP response, null without one. */
  ocspResponse?: Uint8Array | null;
  servername?: string;
  /** Local certificate chain we presented, if any. */
  localChain?: Uint8Array[];
  /** PSK suites (RFC 4279): the psk_identity the client sent (client: the one we sent); on a
   *  resumption, the session's. */
  pskIdentity?: string;
  /** The peer's signature algorithms, for getSharedSigalgs(): server side, the client's
   *  signature_algorithms extension as sent (undefined without it); client side, the
   *  CertificateRequest's supported_signature_algorithms (undefined when none was sent). */
  peerSignatureSchemes?: number[];
  /** RFC 5246 §7.3 abbreviated handshake: the session was resumed (no certificates, no key
   *  exchange; `group` and `signatureScheme` are 0, `peerChain` is the session's). */
  resumed: boolean;
  /** The session_id of the session (empty when the server assigned none). */
  sessionId: Uint8Array;
  /** Client: the RFC 5077 ticket to offer next time (empty: none). */
  ticket: Uint8Array;
  /** Seconds after createdAt the ticket may be offered (0: unknown). */
  ticketLifetime: number;
  /** When the session's full handshake completed (ms, EngineConfig.now). */
  createdAt: number;
}

/** The resumable session state a completed handshake leaves (RFC 5246 §7.3). */
export function sessionStateOf(r: HandshakeResult, version: number): SessionState {
  const s: SessionState = {
    version,
    suite: r.suite.id,
    masterSecret: r.masterSecret,
    extendedMasterSecret: r.extendedMasterSecret,
    peerChain: r.peerChain,
    sessionId: r.sessionId,
    ticket: r.ticket,
    ticketLifetime: r.ticketLifetime,
    createdAt: r.createdAt,
  };
  if (r.servername !== undefined) s.servername = r.servername;
  if (r.pskIdentity !== undefined) s.pskIdentity = r.pskIdentity;
  return s;
}
