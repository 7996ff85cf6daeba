// Parsed forms of the TLS 1.2 / DTLS 1.2 handshake messages (bodies only, without the 4-byte TLS
// or 12-byte DTLS handshake header). One interface per message type; messages.ts holds the
// encode/decode pair for each.

/** One extension as it appears on the wire; `data` is the extension_data body. */
export interface Extension {
  type: number;
  data: Uint8Array;
}

export interface ClientHello {
  type: 'client_hello';
  /** client_version, e.g. 0x0303 (TLS 1.2) or 0xfefd (DTLS 1.2). */
  version: number;
  random: Uint8Array; // 32 bytes
  sessionId: Uint8Array; // 0..32 bytes
  /** DTLS only (RFC 6347 §4.2.1): present exactly when the codec is in DTLS mode. */
  cookie?: Uint8Array; // 0..255 bytes
  cipherSuites: number[];
  compressionMethods: number[];
  /** In wire order; absent extensions block encodes as no bytes at all when the list is empty. */
  extensions: Extension[];
}

export interface ServerHello {
  type: 'server_hello';
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[];
}

export interface HelloRequest {
  type: 'hello_request';
}

export interface HelloVerifyRequest {
  type: 'hello_verify_request';
  version: number;
  cookie: Uint8Array;
}

export interface NewSessionTicket {
  type: 'new_session_ticket';
  lifetimeHint: number;
  ticket: Uint8Array;
}

export interface CertificateMsg {
  type: 'certificate';
  /** DER certificates, leaf first. */
  certificates: Uint8Array[];
}

/** RFC 8422 §5.4 ServerKeyExchange for ECDHE with a signature (TLS 1.2 form). */
export interface ServerKeyExchange {
  type: 'server_key_exchange';
  /** NamedGroup code. */
  group: number;
  /** ECPoint / x25519 public value. */
  publicKey: Uint8Array;
  /** SignatureScheme code (RFC 5246 §7.4.1.4.1 SignatureAndHashAlgorithm as a u16). */
  scheme: number;
  signature: Uint8Array;
}

/**
 * ServerKeyExchange of the PSK suites: RFC 4279 §2 ServerPSKParams (psk_identity_hint only) or,
 * with `ecdhe`, RFC 5489 §2 ServerECDHEPSKParams (hint + ServerECDHParams, not signed). The
 * layout depends on the suite, so the codec picks the shape that parses (see messages.ts) and
 * the handshake, which knows the suite, re-reads the body when the shape is not the suite's.
 */
export interface PskServerKeyExchange {
  type: 'server_key_exchange';
  /** opaque psk_identity_hint<0..2^16-1> (UTF-8, RFC 4279 §5.1). */
  pskIdentityHint: Uint8Array;
  ecdhe?: { group: number; publicKey: Uint8Array };
}

export interface CertificateRequest {
  type: 'certificate_request';
  certificateTypes: number[];
  signatureSchemes: number[];
  /** DER-encoded DistinguishedNames. */
  certificateAuthorities: Uint8Array[];
}

export interface ServerHelloDone {
  type: 'server_hello_done';
}

export interface CertificateVerify {
  type: 'certificate_verify';
  scheme: number;
  signature: Uint8Array;
}

/** RFC 8422 §5.7 ClientECDiffieHellmanPublic (explicit form). */
export interface ClientKeyExchange {
  type: 'client_key_exchange';
  publicKey: Uint8Array;
}

/** ClientKeyExchange of the PSK suites: RFC 4279 §2 psk_identity, plus (ECDHE_PSK, RFC 5489
 *  §2) the ClientECDiffieHellmanPublic point. */
export interface PskClientKeyExchange {
  type: 'client_key_exchange';
  /** opaque psk_identity<0..2^16-1> (UTF-8, RFC 4279 §5.1). */
  pskIdentity: Uint8Array;
  /** ECDHE_PSK only: ecdh_Yc. */
  publicKey?: Uint8Array;
}

export interface Finished {
  type: 'finished';
  verifyData: Uint8Array;
}

/** RFC 6066 §8 CertificateStatus: status_type ocsp(1) and a DER OCSPResponse (RFC 6960). */
export interface CertificateStatus {
  type: 'certificate_status';
  /** opaque OCSPResponse<1..2^24-1>. */
  response: Uint8Array;
}

export type HandshakeMessage =
  | HelloRequest
  | ClientHello
  | ServerHello
  | HelloVerifyRequest
  | NewSessionTicket
  | CertificateMsg
  | ServerKeyExchange
  | PskServerKeyExchange
  | CertificateRequest
  | ServerHelloDone
  | CertificateVerify
  | ClientKeyExchange
  | PskClientKeyExchange
  | Finished
  | CertificateStatus
  | OpaqueKeyExchange;

export type HandshakeMessageName = HandshakeMessage['type'];

/** A key-exchange message as received: its body cannot be read without the negotiated suite
 *  (RFC 4279, RFC 5489, RFC 8422 each define another shape), so the codec keeps it opaque and
 *  the handshake's key agreement decodes it for its suite. A key agreement may also send a body
 *  it encoded itself in this form. */
export interface OpaqueKeyExchange {
  type: 'server_key_exchange' | 'client_key_exchange';
  body: Uint8Array;
}

/** A handshake message as decodeBody() returns it. */
export type ReceivedHandshakeMessage =
  | Exclude<HandshakeMessage, ServerKeyExchange | PskServerKeyExchange | ClientKeyExchange | PskClientKeyExchange>
  | OpaqueKeyExchange;
