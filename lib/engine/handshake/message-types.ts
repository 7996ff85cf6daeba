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

export interface Finished {
  type: 'finished';
  verifyData: Uint8Array;
}

export type HandshakeMessage =
  | HelloRequest
  | ClientHello
  | ServerHello
  | HelloVerifyRequest
  | NewSessionTicket
  | CertificateMsg
  | ServerKeyExchange
  | CertificateRequest
  | ServerHelloDone
  | CertificateVerify
  | ClientKeyExchange
  | Finished;

export type HandshakeMessageName = HandshakeMessage['type'];
