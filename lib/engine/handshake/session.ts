// A resumable TLS 1.2 / DTLS 1.2 session (RFC 5246 §7.3 "session state", §7.4.1.2 session_id;
// RFC 5077 §4 ticket contents) and its versioned binary serialization. The same bytes are what
// the shell's getSession() / 'session' event hand out (client) and what a server seals into a
// session ticket (RFC 5077 §4 leaves the ticket format to the server).
//
// Format, version 1 (big-endian, RFC 5246 §4 presentation-language vectors):
//
//   opaque magic[2] = "SD"           identifies a secure-duplex session
//   uint8  format = 1
//   uint16 protocol_version          0x0303 TLS 1.2 / 0xfefd DTLS 1.2 (resumes only over the same)
//   uint16 cipher_suite              RFC 5246 §7.4.1.3: a session resumes with its own suite
//   uint8  flags                     bit 0: extended master secret (RFC 7627); bit 1: a
//                                    psk_identity follows peer_chain; others 0
//   opaque master_secret<0..255>     48 bytes (RFC 5246 §8.1)
//   opaque session_id<0..32>         as the server sent it (may be empty with a ticket)
//   opaque ticket<0..2^16-1>         client: the RFC 5077 ticket (empty: none)
//   uint32 ticket_lifetime           seconds from creation_time the ticket may be offered (0: unknown)
//   uint48 creation_time             ms since the epoch, of the full handshake
//   opaque server_name<0..255>       SNI name (ASCII) of the full handshake, empty for none
//   ASN.1Cert peer_chain<0..2^24-1>  the peer's certificates (DER, leaf first), as authenticated
//                                    in the full handshake (opaque ASN.1Cert<1..2^24-1> each)
//   opaque psk_identity<0..2^16-1>   only with flag bit 1: the RFC 4279 psk_identity (UTF-8) of
//                                    a PSK-suite session (its peer_chain is empty)
//
// Decoders reject anything else (other magic/format, trailing bytes) with a decode_error
// TlsError; a reader of a later format must treat unknown flag bits as "not resumable".
import { TlsError, ErrorCode } from '../../errors.js';
import { ByteReader, ByteWriter } from '../wire.js';
import { secretBytes } from '../../crypto/secret-bytes.js';

export interface SessionState {
  /** ProtocolVersion of the session: TLS 1.2 (0x0303) or DTLS 1.2 (0xfefd). */
  version: number;
  /** Cipher suite id (RFC 5246 §7.4.1.3: resumption keeps it). */
  suite: number;
  masterSecret: Uint8Array;
  /** RFC 7627: the master secret is an extended one. Sessions without it are never resumed. */
  extendedMasterSecret: boolean;
  /** The peer's certificate chain (DER, leaf first) from the full handshake; [] without one. */
  peerChain: Uint8Array[];
  /** RFC 5246 §7.4.1.3 session_id the server assigned (empty: not in a server cache). */
  sessionId: Uint8Array;
  /** Client: RFC 5077 ticket (empty: none). */
  ticket: Uint8Array;
  /** Seconds after createdAt during which the ticket may be offered; 0 = no limit known. */
  ticketLifetime: number;
  /** SNI name of the full handshake (RFC 6066 §3: a server resumes only for the same name). */
  servername?: string;
  /** When the full handshake completed (ms since the epoch). */
  createdAt: number;
  /** PSK suites (RFC 4279): the client's psk_identity of the full handshake. */
  pskIdentity?: string;
}

const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x44; // 'D'
const FORMAT_VERSION = 1;
const FLAG_EMS = 1;
const FLAG_PSK_IDENTITY = 2;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Serializes a session (format above). */
export function encodeSession(s: SessionState): Uint8Array {
  const w = new ByteWriter(256 + s.ticket.length + s.peerChain.reduce((n, c) => n + c.length + 3, 0));
  w.u8(MAGIC_0).u8(MAGIC_1).u8(FORMAT_VERSION);
  const pskIdentity = s.pskIdentity !== undefined ? utf8Encoder.encode(s.pskIdentity) : undefined;
  w.u16(s.version).u16(s.suite).u8((s.extendedMasterSecret ? FLAG_EMS : 0) | (pskIdentity ? FLAG_PSK_IDENTITY : 0));
  w.opaque8(s.masterSecret).opaque8(s.sessionId).opaque16(s.ticket);
  w.u32(Math.max(0, Math.min(0xffffffff, Math.floor(s.ticketLifetime))));
  w.u48(Math.max(0, Math.floor(s.createdAt)));
  w.opaque8(latin1(s.servername ?? ''));
  w.startVec(3);
  for (const c of s.peerChain) w.opaque24(c);
  w.endVec();
  if (pskIdentity) w.opaque16(pskIdentity);
  return w.finish();
}

/** Names are ASCII on the wire (RFC 6066 §3); non-ASCII is kept as latin1, as decodeServerName
 *  reads it, so a name round-trips unchanged. */
function latin1(name: string): Uint8Array {
  const out = new Uint8Array(Math.min(name.length, 255));
  for (let i = 0; i < out.length; i++) out[i] = name.charCodeAt(i) & 0xff;
  return out;
}

/** Parses a serialized session; malformed or foreign input → TlsError(decode_error). The
 *  returned byte fields are copies (the input may be reused by the caller). */
export function decodeSession(data: Uint8Array): SessionState {
  const r = new ByteReader(data);
  if (r.u8('session magic') !== MAGIC_0 || r.u8('session magic') !== MAGIC_1) {
    throw new TlsError(ErrorCode.DECODE, 'not a secure-duplex session', 'decode_error');
  }
  const format = r.u8('session format');
  if (format !== FORMAT_VERSION) {
    throw new TlsError(ErrorCode.DECODE, `session format ${format} is not supported`, 'decode_error');
  }
  const version = r.u16('session protocol_version');
  const suite = r.u16('session cipher_suite');
  const flags = r.u8('session flags');
  if ((flags & ~(FLAG_EMS | FLAG_PSK_IDENTITY)) !== 0) throw new TlsError(ErrorCode.DECODE, 'unknown session flags', 'decode_error');
  const masterSecret = secretBytes(r.vec8('session master_secret', 48, 48).slice());
  const sessionId = r.vec8('session session_id', 0, 32).slice();
  const ticket = r.vec16('session ticket').slice();
  const ticketLifetime = r.u32('session ticket_lifetime');
  const createdAt = r.u48('session creation_time');
  const name = r.vec8('session server_name');
  const chain = new ByteReader(r.vec24('session peer_chain'));
  const pskIdentity = (flags & FLAG_PSK_IDENTITY) !== 0 ? utf8Decoder.decode(r.vec16('session psk_identity')) : undefined;
  r.expectEnd('session');
  const peerChain: Uint8Array[] = [];
  while (chain.remaining > 0) peerChain.push(chain.vec24('session ASN.1Cert', 1).slice());
  const s: SessionState = {
    version, suite, masterSecret, extendedMasterSecret: (flags & FLAG_EMS) !== 0, peerChain, sessionId, ticket,
    ticketLifetime, createdAt,
  };
  if (name.length > 0) s.servername = String.fromCharCode(...name);
  if (pskIdentity !== undefined) s.pskIdentity = pskIdentity;
  return s;
}
