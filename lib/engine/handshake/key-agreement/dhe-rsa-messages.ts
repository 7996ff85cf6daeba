// ServerKeyExchange and ClientKeyExchange bodies of the finite-field DHE (RFC 5246 §7.4.3,
// §7.4.7.2), DHE_PSK (RFC 4279 §3) and static RSA (RFC 5246 §7.4.7.1) key exchanges. They travel
// as opaque bodies (message-types.ts OpaqueKeyExchange); the key agreement reads and writes them
// here. Malformed bodies → decode_error, as the other codecs.
import { ByteReader, ByteWriter } from '../../wire.js';

/** RFC 5246 §7.4.3 ServerDHParams: opaque dh_p<1..2^16-1>, dh_g<1..2^16-1>, dh_Ys<1..2^16-1>. */
export interface ServerDhParams {
  p: Uint8Array;
  g: Uint8Array;
  ys: Uint8Array;
}

/** ServerDHParams as sent (what the signature covers after the two randoms, §7.4.3). */
export function encodeServerDhParams(params: ServerDhParams): Uint8Array {
  return new ByteWriter(6 + params.p.length + params.g.length + params.ys.length)
    .opaque16(params.p).opaque16(params.g).opaque16(params.ys).finish();
}

function readServerDhParams(r: ByteReader): ServerDhParams {
  const p = r.vec16('ServerDHParams dh_p', 1);
  const g = r.vec16('ServerDHParams dh_g', 1);
  const ys = r.vec16('ServerDHParams dh_Ys', 1);
  return { p, g, ys };
}

/** DHE_RSA ServerKeyExchange: ServerDHParams + digitally-signed (RFC 5246 §7.4.3, §4.7). */
export interface DheServerKeyExchangeBody {
  params: ServerDhParams;
  /** The ServerDHParams bytes as received (signed over client_random + server_random + these). */
  paramsBytes: Uint8Array;
  scheme: number;
  signature: Uint8Array;
}

export function encodeDheServerKeyExchange(paramsBytes: Uint8Array, scheme: number, signature: Uint8Array): Uint8Array {
  return new ByteWriter(paramsBytes.length + 4 + signature.length).bytes(paramsBytes).u16(scheme).opaque16(signature).finish();
}

export function decodeDheServerKeyExchange(body: Uint8Array): DheServerKeyExchangeBody {
  const r = new ByteReader(body);
  const params = readServerDhParams(r);
  const paramsBytes = body.subarray(0, body.length - r.remaining);
  const scheme = r.u16('ServerKeyExchange SignatureAndHashAlgorithm');
  const signature = r.vec16('ServerKeyExchange signature');
  r.expectEnd('ServerKeyExchange');
  return { params, paramsBytes, scheme, signature };
}

/** RFC 4279 §3: ServerKeyExchange = psk_identity_hint<0..2^16-1> + ServerDHParams (unsigned). */
export function encodeDhePskServerKeyExchange(hint: Uint8Array, params: ServerDhParams): Uint8Array {
  return new ByteWriter(2 + hint.length).opaque16(hint).bytes(encodeServerDhParams(params)).finish();
}

export function decodeDhePskServerKeyExchange(body: Uint8Array): { hint: Uint8Array; params: ServerDhParams } {
  const r = new ByteReader(body);
  const hint = r.vec16('ServerKeyExchange psk_identity_hint');
  const params = readServerDhParams(r);
  r.expectEnd('ServerKeyExchange');
  return { hint, params };
}

/** RFC 5246 §7.4.7.2 ClientDiffieHellmanPublic (explicit): dh_Yc<1..2^16-1>; DHE_PSK (RFC 4279
 *  §3) puts psk_identity<0..2^16-1> first. */
export function encodeDhClientKeyExchange(yc: Uint8Array, pskIdentity?: Uint8Array): Uint8Array {
  const w = new ByteWriter(4 + yc.length + (pskIdentity?.length ?? 0));
  if (pskIdentity) w.opaque16(pskIdentity);
  return w.opaque16(yc).finish();
}

export function decodeDhClientKeyExchange(body: Uint8Array, withPskIdentity: boolean): { yc: Uint8Array; pskIdentity?: Uint8Array } {
  const r = new ByteReader(body);
  const pskIdentity = withPskIdentity ? r.vec16('ClientKeyExchange psk_identity') : undefined;
  const yc = r.vec16('ClientKeyExchange dh_Yc', 1);
  r.expectEnd('ClientKeyExchange');
  return pskIdentity ? { yc, pskIdentity } : { yc };
}

/** RFC 5246 §7.4.7.1: EncryptedPreMasterSecret, public-key-encrypted, so opaque<0..2^16-1> in
 *  TLS 1.0 and later (the 2-byte length). */
export function encodeRsaClientKeyExchange(encrypted: Uint8Array): Uint8Array {
  return new ByteWriter(2 + encrypted.length).opaque16(encrypted).finish();
}

export function decodeRsaClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new ByteReader(body);
  const encrypted = r.vec16('ClientKeyExchange EncryptedPreMasterSecret');
  r.expectEnd('ClientKeyExchange');
  return encrypted;
}
