// Wire constants of TLS 1.2 (RFC 5246) and DTLS 1.2 (RFC 6347).

/** RFC 5246 §6.2.1 ContentType. */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

/** ProtocolVersion on the wire. DTLS 1.2 is {254, 253} (RFC 6347 §4.1). */
export const ProtocolVersion = {
  TLS1_0: 0x0301,
  TLS1_2: 0x0303,
  DTLS1_0: 0xfeff,
  DTLS1_2: 0xfefd,
} as const;

/** RFC 5246 §7.4 HandshakeType (+ RFC 6347 hello_verify_request, RFC 5077 new_session_ticket). */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  hello_verify_request: 3,
  new_session_ticket: 4,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  certificate_status: 22,
} as const;

const HANDSHAKE_TYPE_NAMES = new Map<number, keyof typeof HandshakeType>(
  (Object.entries(HandshakeType) as [keyof typeof HandshakeType, number][]).map(([name, code]) => [code, name]),
);

/** The name of a HandshakeType code, or undefined for a type we do not know. */
export function handshakeTypeName(code: number): keyof typeof HandshakeType | undefined {
  return HANDSHAKE_TYPE_NAMES.get(code);
}

/** Extension code points (IANA TLS ExtensionType Values). */
export const ExtensionType = {
  server_name: 0,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  application_layer_protocol_negotiation: 16,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  session_ticket: 35,
  renegotiation_info: 0xff01,
} as const;

/** RFC 5746 §3.3: TLS_EMPTY_RENEGOTIATION_INFO_SCSV. */
export const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;

// The named groups and signature schemes are shared with lib/crypto: they live in a module of
// their own, neither engine nor crypto.
export { NamedGroup, SignatureScheme, type NamedGroupName, type SignatureSchemeName } from '../iana-registry.js';

/** RFC 8422 §5.4 ECCurveType named_curve. */
export const EC_CURVE_TYPE_NAMED = 3;

/** RFC 5246 §7.4.4 ClientCertificateType values we request. */
export const ClientCertificateType = {
  rsa_sign: 1,
  ecdsa_sign: 64,
} as const;

/** RFC 5246 §6.2.1: a TLSPlaintext fragment is at most 2^14 bytes. */
export const MAX_PLAINTEXT = 16384;
/** RFC 5246 §6.2.3: TLSCiphertext at most 2^14 + 2048. */
export const MAX_CIPHERTEXT = 16384 + 2048;
