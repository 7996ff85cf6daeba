// Negative conformance battery against our server over real sockets: each case sends hostile
// bytes (crafted records, or our own client engine with one message or record changed) and
// checks the alert on the wire and the error `code` our server reports. The same bytes go to
// `openssl s_server -tls1_2` (same certificate): where OpenSSL answers, its alert must equal ours;
// where it answers otherwise and the RFC allows both, the case says why and asserts OpenSSL's.
import { expect } from 'chai';
import { ErrorCode } from '../../lib/index.js';
import { AlertDescription, AlertLevel, type AlertName } from '../../lib/engine/alerts.js';
import { ContentType, EMPTY_RENEGOTIATION_INFO_SCSV, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../lib/engine/constants.js';
import type { ClientHello, Extension } from '../../lib/engine/handshake/message-types.js';
import type { SessionState } from '../../lib/engine/handshake/session.js';
import { encodeServerName, encodeSupportedGroups } from '../../lib/engine/handshake/extensions.js';
import { encodeHandshake } from '../../lib/engine/handshake/messages.js';
import { TlsRecordLayer } from '../../lib/engine/record/tls-record-layer.js';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import { opensslServer, requirePeer, type ListeningPeer, type PeerProcess } from '../helpers/peers.js';
import { makePki } from '../helpers/pki.js';
import {
  alertsOf, clientHello, defaultExtensions, editFlight, withExtension, OFF_CURVE_P256, handshakeFrame, handshakeRecord, OurServer, records, referenceServer, sendRaw,
  tamperedClient, type Answer, onMessage, type Tampering,
} from './raw-tls.js';

const FATAL = AlertLevel.fatal;
const A = AlertDescription;

interface Case {
  name: string;
  /** Crafted bytes, or our client with a change (for the states behind a key exchange). */
  send:
    | { raw: () => Uint8Array[] }
    | { tamper: () => Tampering }
    /** Crafted bytes offering a session the server holds (from a full handshake just before). */
    | { resume: (session: SessionState) => Uint8Array[] };
  /** Our fatal alert, or null: no alert (the server answers the hello and waits). */
  alert: AlertName | null;
  /** Our server's error code (when `alert` is set). */
  code?: string;
  /** OpenSSL's answer when it differs, with the reason both are allowed; default: the same. */
  reference?: { alert: AlertName | null; why: string };
}

// --- crafted ClientHellos -----------------------------------------------------------------------

/** The body of the default ClientHello (see clientHello()): version(2) random(32) sid_len(1)=0
 *  cs_len(2)=6 suites(6) comp_len(1)=1 comp(1) ext_len(2) extensions. */
const HELLO_BODY = (): Uint8Array => encodeHandshake(clientHello()).subarray(4);
const AT = { sessionIdLength: 34, suitesLength: 35, compressionLength: 43, extensionsLength: 45, extensions: 47 } as const;

/** The default ClientHello body changed by `edit`, framed with its (new) length. */
function helloWith(edit: (body: Uint8Array) => Uint8Array): () => Uint8Array[] {
  return () => [records(ContentType.handshake, handshakeFrame(HandshakeType.client_hello, edit(HELLO_BODY().slice())))];
}

function set16(b: Uint8Array, at: number, v: number): Uint8Array {
  b[at] = v >>> 8;
  b[at + 1] = v & 0xff;
  return b;
}

const hello = (): Uint8Array => handshakeRecord(clientHello());

/** One record with a header written by the library's framing but a length it would not send. */
function oversizedRecord(type: number, length: number): Uint8Array {
  const layer = new TlsRecordLayer();
  layer.maxFragment = length;
  return layer.encode(type, new Uint8Array(length));
}

// --- tampered handshakes --------------------------------------------------------------------

/** The plaintext ChangeCipherSpec record our client sends (one burst of its own). */
const isChangeCipherSpec = (bytes: Uint8Array): boolean => bytes[0] === ContentType.change_cipher_spec;

/** Runs `fn` on the burst after our ChangeCipherSpec (the encrypted Finished) only. */
function afterChangeCipherSpec(fn: NonNullable<Tampering['output']>): Tampering['output'] {
  let seen = false;
  return (bytes, channel) => {
    if (isChangeCipherSpec(bytes)) {
      seen = true;
      return bytes;
    }
    return seen ? fn(bytes, channel) : bytes;
  };
}

const CASES: Case[] = [
  // ClientHello truncated: the declared lengths match the cut body.
  ...[1, 20, AT.sessionIdLength, AT.suitesLength + 1, 40, AT.compressionLength + 1, AT.extensionsLength + 1, AT.extensions + 3].map((cut): Case => ({
    name: `ClientHello cut to ${cut} bytes`,
    send: { raw: helloWith((b) => b.subarray(0, cut)) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  })),
  {
    name: 'ClientHello cut inside its last extension',
    send: { raw: helloWith((b) => b.subarray(0, b.length - 1)) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientHello with a trailing byte after its extensions',
    send: { raw: helloWith((b) => Uint8Array.from([...b, 0])) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  // Wrong inner lengths.
  {
    name: 'ClientHello session_id of 33 bytes (RFC 5246 §7.4.1.2: at most 32)',
    send: { raw: helloWith((b) => Uint8Array.from([...b.subarray(0, AT.sessionIdLength), 33, ...new Uint8Array(33), ...b.subarray(AT.sessionIdLength + 1)])) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientHello cipher_suites of odd length',
    send: { raw: helloWith((b) => set16(b, AT.suitesLength, 5)) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientHello with no cipher suites (cipher_suites<2..2^16-2>)',
    send: { raw: helloWith((b) => Uint8Array.from([...set16(b.slice(0, AT.suitesLength + 2), AT.suitesLength, 0), ...b.subarray(AT.compressionLength)])) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
    reference: { alert: 'illegal_parameter', why: 'OpenSSL reports SSL_R_NO_CIPHERS_SPECIFIED as illegal_parameter; an empty vector with bound <2..2^16-2> is out of range, RFC 5246 §7.2.2 decode_error' },
  },
  {
    name: 'ClientHello with no compression methods (compression_methods<1..2^8-1>)',
    send: { raw: helloWith((b) => Uint8Array.from([...b.subarray(0, AT.compressionLength), 0, ...b.subarray(AT.compressionLength + 2)])) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientHello extensions length one more than present',
    send: { raw: helloWith((b) => set16(b, AT.extensionsLength, b.length - AT.extensions + 1)) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientHello extensions length one less than present',
    send: { raw: helloWith((b) => set16(b, AT.extensionsLength, b.length - AT.extensions - 1)) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientHello extension_data length past the extensions block',
    // The first extension (supported_groups) claims 0xff00 bytes.
    send: { raw: helloWith((b) => set16(b, AT.extensions + 2, 0xff00)) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  // Extensions.
  {
    name: 'ClientHello with supported_groups twice (RFC 5246 §7.4.1.4)',
    send: { raw: () => [handshakeRecord(clientHello({ extensions: [...defaultExtensions(), { type: ExtensionType.supported_groups, data: encodeSupportedGroups([NamedGroup.secp256r1]) }] }))] },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
    reference: { alert: 'illegal_parameter', why: 'RFC 5246 §7.4.1.4 names no alert for a duplicate; OpenSSL sends illegal_parameter, we treat the block as malformed (decode_error)' },
  },
  {
    name: 'ClientHello with an unknown extension: ignored, the handshake goes on',
    send: { raw: () => [handshakeRecord(clientHello({ extensions: [...defaultExtensions(), { type: 0x7a7a, data: new Uint8Array([1, 2, 3]) }] }))] },
    alert: null,
  },
  // Out of order, skipped, twice.
  {
    name: 'ClientHello twice',
    send: { raw: () => [hello(), hello()] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'Finished as the first message',
    send: { raw: () => [handshakeRecord({ type: 'finished', verifyData: new Uint8Array(12) })] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'Finished right after the ClientHello (ClientKeyExchange and ChangeCipherSpec skipped)',
    send: { raw: () => [hello(), handshakeRecord({ type: 'finished', verifyData: new Uint8Array(12) })] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a Certificate nobody asked for after the ClientHello',
    send: { raw: () => [hello(), handshakeRecord({ type: 'certificate', certificates: [makePki().client.der] })] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a ServerHelloDone sent to the server after the ClientHello',
    send: { raw: () => [hello(), handshakeRecord({ type: 'server_hello_done' })] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  // Records of the wrong content type, sizes, empty fragments.
  {
    name: 'application data before the handshake',
    send: { raw: () => [records(ContentType.application_data, new Uint8Array([0x47, 0x45, 0x54]))] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'application data after the ClientHello',
    send: { raw: () => [hello(), records(ContentType.application_data, new Uint8Array([1]))] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a record of unknown content type 99',
    send: { raw: () => [records(99, new Uint8Array([1, 2]))] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a plaintext record of 2^14 + 1 bytes (RFC 5246 §6.2.1)',
    send: { raw: () => [oversizedRecord(ContentType.handshake, 16385)] },
    alert: 'record_overflow',
    code: ErrorCode.RECORD_OVERFLOW,
  },
  {
    name: 'an empty handshake record (RFC 5246 §6.2.1: never sent)',
    send: { raw: () => [records(ContentType.handshake, new Uint8Array(0)), hello()] },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
    reference: { alert: null, why: 'OpenSSL skips empty records (up to 32 in a row) and answers the hello; RFC 5246 §6.2.1 forbids sending them, refusing them is allowed' },
  },
  {
    name: 'an empty alert record',
    send: { raw: () => [records(ContentType.alert, new Uint8Array(0)), hello()] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'an empty ChangeCipherSpec record',
    send: { raw: () => [records(ContentType.change_cipher_spec, new Uint8Array(0)), hello()] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
    reference: { alert: null, why: 'OpenSSL skips empty records (up to 32 in a row) and answers the hello; RFC 5246 §6.2.1 forbids sending them, refusing them is allowed' },
  },
  {
    name: 'an alert record of 3 bytes',
    send: { raw: () => [hello(), records(ContentType.alert, new Uint8Array([1, 112, 1]))] },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a ChangeCipherSpec inside a fragmented ClientHello',
    send: {
      raw: () => {
        const m = encodeHandshake(clientHello());
        return [records(ContentType.handshake, m.subarray(0, 10)), records(ContentType.change_cipher_spec, new Uint8Array([1])), records(ContentType.handshake, m.subarray(10))];
      },
    },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  // ClientKeyExchange, ChangeCipherSpec, Finished: our client with one thing changed.
  {
    name: 'ChangeCipherSpec before the ClientKeyExchange',
    send: { tamper: () => ({ output: (b) => (b[0] === ContentType.handshake && !isChangeCipherSpec(b) && b.length > 5 && b[5] === HandshakeType.client_key_exchange ? [records(ContentType.change_cipher_spec, new Uint8Array([1])), b] : b) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'ClientKeyExchange cut by one byte',
    send: { tamper: () => ({ output: editFlight(HandshakeType.client_key_exchange, (body) => body.subarray(0, body.length - 1)) }) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientKeyExchange with a byte added',
    send: { tamper: () => ({ output: editFlight(HandshakeType.client_key_exchange, (body) => Uint8Array.from([...body, 0])) }) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'a Finished of 13 bytes (RFC 5246 §7.4.9: verify_data is 12)',
    send: { tamper: () => ({ message: onMessage('finished', (m) => ({ ...m, verifyData: Uint8Array.from([...m.verifyData, 0]) })) }) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'a Finished of 11 bytes',
    send: { tamper: () => ({ message: onMessage('finished', (m) => ({ ...m, verifyData: m.verifyData.subarray(0, 11) })) }) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'ClientKeyExchange twice',
    send: { tamper: () => ({ message: onMessage('client_key_exchange', (m) => [m, m]) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a plaintext Finished before the ChangeCipherSpec',
    send: { tamper: () => ({ message: onMessage('client_key_exchange', (m) => [m, { type: 'finished', verifyData: new Uint8Array(12) }]) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'ChangeCipherSpec 01 01 where one is expected (RFC 5246 §7.1)',
    send: { tamper: () => ({ output: (b) => (isChangeCipherSpec(b) ? records(ContentType.change_cipher_spec, new Uint8Array([1, 1])) : b) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'ChangeCipherSpec twice (the second under the new keys)',
    send: { tamper: () => ({ message: onMessage('finished', (m, inject) => (inject(ContentType.change_cipher_spec, new Uint8Array([1])), m)) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'application data between ChangeCipherSpec and Finished (RFC 5246 §7.4.9)',
    send: { tamper: () => ({ message: onMessage('finished', (m, inject) => (inject(ContentType.application_data, new Uint8Array([1, 2, 3])), m)) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a wrong Finished verify_data (RFC 5246 §7.4.9)',
    send: { tamper: () => ({ message: onMessage('finished', (m) => ({ ...m, verifyData: m.verifyData.map((x, i) => (i === 0 ? x ^ 1 : x)) })) }) },
    alert: 'decrypt_error',
    code: ErrorCode.DECRYPT_ERROR,
  },
  // Every byte of the encrypted Finished record after its header (AES-128-GCM: 8-byte explicit
  // nonce, 16 bytes of ciphertext, 16-byte tag).
  ...Array.from({ length: 40 }, (_, i) => i + 5).map((at): Case => ({
    name: `one bit flipped at byte ${at} of the encrypted Finished record`,
    send: { tamper: () => ({ output: afterChangeCipherSpec((b) => b.map((x, i) => (i === at ? x ^ 0x10 : x))) }) },
    alert: 'bad_record_mac',
    code: ErrorCode.BAD_RECORD_MAC,
  })),
  {
    name: 'ClientKeyExchange with a P-256 point off the curve',
    send: { tamper: () => ({ client: { groups: [NamedGroup.secp256r1] }, message: onMessage('client_key_exchange', (m) => ({ ...m, publicKey: OFF_CURVE_P256 })) }) },
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  {
    name: 'ClientKeyExchange with an all-zero X25519 value (RFC 7748 §6.1: all-zero secret)',
    send: { tamper: () => ({ client: { groups: [NamedGroup.x25519] }, message: onMessage('client_key_exchange', (m) => ({ ...m, publicKey: new Uint8Array(32) })) }) },
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
    reference: { alert: 'handshake_failure', why: 'RFC 7748 §6.1 / RFC 8422 §5.11 name no alert; OpenSSL fails the derivation (handshake_failure), we refuse the peer value (illegal_parameter)' },
  },
  {
    name: 'ClientKeyExchange with a P-256 point of the wrong length',
    send: { tamper: () => ({ client: { groups: [NamedGroup.secp256r1] }, message: onMessage('client_key_exchange', (m) => ({ ...m, publicKey: m.publicKey!.subarray(0, 64) })) }) },
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  // Records under the new keys that break the record layer's bounds.
  {
    name: 'a ciphertext record of 2^14 + 2048 + 1 bytes (RFC 5246 §6.2.3)',
    send: { tamper: () => ({ output: afterChangeCipherSpec(() => oversizedRecord(ContentType.handshake, 16384 + 2048 + 1)) }) },
    alert: 'record_overflow',
    code: ErrorCode.RECORD_OVERFLOW,
  },
  {
    name: 'an encrypted record whose plaintext is 2^14 + 1 bytes (RFC 5246 §6.2.3)',
    send: {
      tamper: () => ({
        message: onMessage('finished', (m, inject, channel) => {
          // Sealed in place of the Finished (the sequence numbers stay in step).
          channel.maxFragment = 16385;
          inject(ContentType.handshake, new Uint8Array(16385));
          return m;
        }),
      }),
    },
    alert: 'record_overflow',
    code: ErrorCode.RECORD_OVERFLOW,
  },
  // Resumption.
  {
    name: 'a cached session offered without extended_master_secret (RFC 7627 §5.3)',
    send: { resume: (session) => [handshakeRecord(clientHello({ sessionId: session.sessionId, extensions: withSni(withExtension(ExtensionType.extended_master_secret, null)) }))] },
    alert: 'handshake_failure',
    code: ErrorCode.HANDSHAKE_FAILURE,
    reference: { alert: null, why: 'RFC 7627 §5.3 "MUST abort the abbreviated handshake": OpenSSL goes on with a full handshake, we end the connection' },
  },
  {
    name: 'a cached session offered without its cipher suite: a full handshake (RFC 5246 §7.4.1.2)',
    send: { resume: (session) => [handshakeRecord(clientHello({ sessionId: session.sessionId, extensions: withSni(defaultExtensions()), cipherSuites: [0xc02b, 0xc02c].filter((x) => x !== session.suite) }))] },
    alert: null,
  },
  {
    name: 'a session ticket sealed under another key: a full handshake (RFC 5077 §3.4)',
    send: { raw: () => [handshakeRecord(clientHello({ sessionId: new Uint8Array(32).fill(3), extensions: [...defaultExtensions(), { type: ExtensionType.session_ticket, data: new Uint8Array(160).fill(9) }] }))] },
    alert: null,
  },
  // Renegotiation (RFC 5746): the client renegotiates once the first handshake is done.
  {
    name: 'initial ClientHello with a non-empty renegotiation_info (RFC 5746 §3.6)',
    send: { raw: () => [handshakeRecord(clientHello({ extensions: [...defaultExtensions(), { type: ExtensionType.renegotiation_info, data: new Uint8Array([12, ...new Uint8Array(12)]) }] }))] },
    alert: 'handshake_failure',
    code: ErrorCode.RENEGOTIATION_INFO_MISMATCH,
  },
  {
    name: 'renegotiation ClientHello with a wrong renegotiation_info (RFC 5746 §3.7)',
    send: { tamper: () => renegotiationHello((m) => ({ ...m, extensions: m.extensions.map((e) => (e.type === ExtensionType.renegotiation_info ? { ...e, data: new Uint8Array([12, ...new Uint8Array(12).fill(7)]) } : e)) })) },
    alert: 'handshake_failure',
    code: ErrorCode.RENEGOTIATION_INFO_MISMATCH,
  },
  {
    name: 'renegotiation ClientHello without renegotiation_info (RFC 5746 §3.7)',
    send: { tamper: () => renegotiationHello((m) => ({ ...m, extensions: m.extensions.filter((e) => e.type !== ExtensionType.renegotiation_info) })) },
    alert: 'handshake_failure',
    code: ErrorCode.RENEGOTIATION_INFO_MISMATCH,
  },
  {
    name: 'renegotiation ClientHello with the SCSV (RFC 5746 §3.7)',
    send: { tamper: () => renegotiationHello((m) => ({ ...m, cipherSuites: [...m.cipherSuites, EMPTY_RENEGOTIATION_INFO_SCSV] })) },
    alert: 'handshake_failure',
    code: ErrorCode.RENEGOTIATION_INFO_MISMATCH,
  },
];

// --- client certificates (the server asks for one and requires it) ---------------------------

/** Our client engine presenting the test PKI's client certificate (or none). */
const withClientCertificate = (t: Tampering = {}, present = true): Tampering => ({
  ...t,
  client: { ...t.client, identities: present ? [{ chain: [makePki().client.der], key: nobleProvider.loadPrivateKey(makePki().client.keyPem) }] : [] },
});

const CLIENT_CERTIFICATE_CASES: Case[] = [
  {
    name: 'the client certificate and a valid CertificateVerify: the handshake completes',
    send: { tamper: () => withClientCertificate() },
    alert: null,
  },
  {
    name: 'no client certificate (an empty Certificate) where one is required',
    send: { tamper: () => withClientCertificate({}, false) },
    alert: 'handshake_failure',
    code: ErrorCode.PEER_DID_NOT_RETURN_A_CERTIFICATE,
  },
  {
    name: 'CertificateVerify with a wrong signature (RFC 5246 §7.4.8)',
    send: { tamper: () => withClientCertificate({ message: onMessage('certificate_verify', (m) => ({ ...m, signature: m.signature.map((x, i) => (i === m.signature.length - 1 ? x ^ 1 : x)) })) }) },
    alert: 'decrypt_error',
    code: ErrorCode.DECRYPT_ERROR,
  },
  {
    name: 'CertificateVerify with a scheme the server did not offer (0xfefe)',
    send: { tamper: () => withClientCertificate({ message: onMessage('certificate_verify', (m) => ({ ...m, scheme: 0xfefe })) }) },
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  {
    name: 'CertificateVerify with a scheme of another key type (rsa_pss_rsae_sha256 for a P-256 key)',
    send: { tamper: () => withClientCertificate({ message: onMessage('certificate_verify', (m) => ({ ...m, scheme: SignatureScheme.rsa_pss_rsae_sha256 })) }) },
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  {
    name: 'CertificateVerify missing after a client certificate (RFC 5246 §7.4.8)',
    send: { tamper: () => withClientCertificate({ message: onMessage('certificate_verify', () => []) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'CertificateVerify before the ClientKeyExchange',
    send: {
      tamper: () => withClientCertificate({
        message: (m) => (m.type === 'certificate' ? [m, { type: 'certificate_verify', scheme: SignatureScheme.ecdsa_secp256r1_sha256, signature: new Uint8Array(70) }] : m.type === 'certificate_verify' ? [] : m),
      }),
    },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'CertificateVerify twice',
    send: { tamper: () => withClientCertificate({ message: onMessage('certificate_verify', (m) => [m, m]) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'CertificateVerify cut by one byte',
    send: { tamper: () => withClientCertificate({ output: editFlight(HandshakeType.certificate_verify, (b) => b.subarray(0, b.length - 1)) }) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'CertificateVerify with a byte added',
    send: { tamper: () => withClientCertificate({ output: editFlight(HandshakeType.certificate_verify, (b) => Uint8Array.from([...b, 0])) }) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'client Certificate cut by one byte',
    send: { tamper: () => withClientCertificate({ output: editFlight(HandshakeType.certificate, (b) => b.subarray(0, b.length - 1)) }) },
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'client Certificate twice',
    send: { tamper: () => withClientCertificate({ message: onMessage('certificate', (m) => [m, m]) }) },
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'CertificateVerify without a client certificate (an empty Certificate)',
    send: {
      tamper: () => withClientCertificate({
        message: onMessage('client_key_exchange', (m) => [m, { type: 'certificate_verify', scheme: SignatureScheme.ecdsa_secp256r1_sha256, signature: new Uint8Array(70) }]),
      }, false),
    },
    alert: 'handshake_failure',
    code: ErrorCode.PEER_DID_NOT_RETURN_A_CERTIFICATE,
  },
];

/** `exts` with server_name localhost, as the tampering client sends it (a session is resumed
 *  only for the same name). */
function withSni(exts: Extension[]): Extension[] {
  return [...exts, { type: ExtensionType.server_name, data: encodeServerName('localhost') }];
}

/** Our client renegotiates after the first handshake, its renegotiation ClientHello changed. */
function renegotiationHello(fn: (m: ClientHello) => ClientHello): Tampering {
  let hellos = 0;
  return { renegotiate: true, message: onMessage('client_hello', (m) => (++hellos === 2 ? fn(m) : m)) };
}

/** The server's answer, with its alerts as [level, description]: read from the plaintext
 *  records (crafted bytes), or by our client engine, which also reads encrypted ones (a tampered
 *  handshake, a renegotiation). `alert` null: the server answers the hello and waits (we stop
 *  there). */
async function answer(port: number, c: Case, alert: AlertName | null): Promise<Answer & { alertPairs: [number, number][]; completed?: boolean }> {
  if ('raw' in c.send || 'resume' in c.send) {
    let bytes: Uint8Array[];
    if ('resume' in c.send) {
      // A full handshake with a session ID (no ticket) that the server caches.
      const first = await tamperedClient(port, { client: { sessionTickets: false } });
      expect(first.session?.sessionId.length, 'a cached session').to.equal(32);
      bytes = c.send.resume(first.session!);
    } else {
      bytes = c.send.raw();
    }
    const a = await sendRaw(port, bytes, alert === null ? { until: HandshakeType.server_hello_done } : {});
    return { ...a, alertPairs: alertsOf(a) };
  }
  const a = await tamperedClient(port, c.send.tamper());
  const fatal = a.received.filter((x) => !x.startsWith('warning '));
  return { ...a, alertPairs: fatal.map((name) => [FATAL, A[name as AlertName]]) };
}

const expected = (alert: AlertName | null): [number, number][] => (alert === null ? [] : [[FATAL, A[alert]]]);

/** One `it` per case: our server (its alert and error code), then the reference's alert. A
 *  tampered handshake that should complete (`alert` null) must complete. */
function battery(cases: readonly Case[], servers: () => { ours: OurServer; referencePort: number }): void {
  for (const c of cases) {
    it(`${c.name} → ${c.alert ?? 'no alert'}${c.reference ? ` (OpenSSL: ${c.reference.alert ?? 'no alert'})` : ', as OpenSSL'}`, async () => {
      const { ours, referencePort } = servers();
      const mark = ours.errors.length;
      const our = await answer(ours.port, c, c.alert);
      expect(our.alertPairs, 'ours').to.deep.equal(expected(c.alert));
      if (c.alert !== null) {
        expect(our.closed, 'ours closed the connection').to.equal(true);
        expect((await ours.error(mark)).code).to.equal(c.code);
      } else if ('tamper' in c.send) {
        expect(our.completed, 'the handshake completed').to.equal(true);
      } else {
        expect(our.handshakes.at(-1)).to.equal(HandshakeType.server_hello_done);
      }
      const refAlert = c.reference ? c.reference.alert : c.alert;
      const ref = await answer(referencePort, c, refAlert);
      expect(ref.alertPairs, `openssl s_server${c.reference ? ` (${c.reference.why})` : ''}`).to.deep.equal(expected(refAlert));
      if (refAlert === null && 'tamper' in c.send) expect(ref.completed, 'the handshake with openssl completed').to.equal(true);
    });
  }
}

describe('conformance battery: our server against hostile clients (openssl s_server as reference)', function () {
  this.timeout(60_000);
  let ours: OurServer;
  let reference: { peer: PeerProcess; port: number };

  before(async function () {
    requirePeer(this, 'openssl');
    const leaf = makePki().leaves['ec-p256'];
    ours = await OurServer.start(leaf);
    reference = await referenceServer(leaf);
  });

  after(async () => {
    await reference?.peer.kill();
    await ours?.close();
  });

  battery(CASES, () => ({ ours, referencePort: reference.port }));
});

describe('conformance battery: client certificates to our server with requestCert (openssl s_server -Verify 1 as reference)', function () {
  this.timeout(60_000);
  let ours: OurServer;
  let reference: ListeningPeer;

  before(async function () {
    requirePeer(this, 'openssl');
    const pki = makePki();
    const leaf = pki.leaves['ec-p256'];
    ours = await OurServer.start(leaf, { requestCert: true, ca: pki.ca.certPem });
    reference = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, ca: pki.ca.certPath, verifyClient: 'require', naccept: 1000 });
  });

  after(async () => {
    await reference?.kill();
    await ours?.close();
  });

  battery(CLIENT_CERTIFICATE_CASES, () => ({ ours, referencePort: reference.port }));
});
