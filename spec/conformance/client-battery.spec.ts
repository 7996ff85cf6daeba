// Negative conformance battery against our client over real sockets: a server (our engine with
// one message or record changed) answers the client under test, and the alert the client sends
// is read by that server's engine (so also after the client's ChangeCipherSpec, encrypted). Each
// case runs our client (connect()), checking that alert and the error `code` it reports, and
// `openssl s_client -tls1_2` against the same server: where OpenSSL answers, its alert must equal
// ours; where it answers otherwise and the RFC allows both, the case says why and asserts OpenSSL's.
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connect, ErrorCode, type SecureDuplex, type TlsError } from '../../lib/index.js';
import { SessionStore } from '../../lib/engine/handshake/session-store.js';
import { seededRandom } from '../helpers/deterministic-random.js';
import { AlertDescription, AlertLevel, type AlertName } from '../../lib/engine/alerts.js';
import type { CryptoProvider } from '../../lib/crypto/provider.js';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../lib/engine/constants.js';
import { encodeAlpn } from '../../lib/engine/handshake/extensions.js';
import { opensslClient, peersTmpDir, requirePeer } from '../helpers/peers.js';
import { makePki, type PkiEntry } from '../helpers/pki.js';
import { within } from '../helpers/within.js';
import { ANSWER_MS, alertRecord, editFlight, handshakeRecord, OFF_CURVE_P256, tamperedServer, onMessage, type ClientVerdict, type Inject, type Tampering } from './raw-tls.js';

interface Case {
  name: string;
  server: () => Tampering;
  /** The fatal alert our client sends, or null: the handshake completes. */
  alert: AlertName | null;
  /** Our client's error code (when `alert` is set). */
  code?: string;
  /** OpenSSL's answer when it differs, with the reason both are allowed; default: the same.
   *  'no alert': it takes the message and sends nothing (the handshake then fails elsewhere). */
  reference?: { alert: AlertName | null | 'no alert'; why: string };
  /** The client first makes an untouched full handshake with a server sharing the tampered
   *  one's session store, then offers that session to the tampered server. */
  resume?: boolean;
  /** The tampered server has a session store, so it issues tickets (RFC 5077). */
  tickets?: boolean;
}

const flipLast = (b: Uint8Array): Uint8Array => b.map((x, i) => (i === b.length - 1 ? x ^ 1 : x));
const warnings = (inject: Inject, n: number): void => {
  for (let i = 0; i < n; i++) inject(ContentType.alert, alertRecord(AlertLevel.warning, AlertDescription.unrecognized_name).subarray(5));
};

/** A tampered server that asks for a client certificate (and completes without one). */
const ASKS_FOR_CERTIFICATE = { requestCert: true, rejectUnauthorized: false };

/** A CertificateRequest body (RFC 5246 §7.4.4) split into its three vectors, edited, joined. */
function editCertificateRequest(edit: (v: { types: Uint8Array; schemes: Uint8Array; authorities: Uint8Array }) => { types: Uint8Array; schemes: Uint8Array; authorities: Uint8Array }): (body: Uint8Array) => Uint8Array {
  return (body) => {
    const n = body[0]!;
    const s = (body[1 + n]! << 8) | body[2 + n]!;
    const v = edit({ types: body.subarray(0, 1 + n), schemes: body.subarray(1 + n, 3 + n + s), authorities: body.subarray(3 + n + s) });
    return Uint8Array.from([...v.types, ...v.schemes, ...v.authorities]);
  };
}

const CERTIFICATE_REQUEST_CASES: Case[] = [
  {
    name: 'CertificateRequest cut by one byte',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, output: editFlight(HandshakeType.certificate_request, (b) => b.subarray(0, b.length - 1)) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'CertificateRequest with a byte added',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, output: editFlight(HandshakeType.certificate_request, (b) => Uint8Array.from([...b, 0])) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'CertificateRequest with no certificate types (certificate_types<1..2^8-1>)',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, output: editFlight(HandshakeType.certificate_request, editCertificateRequest((v) => ({ ...v, types: new Uint8Array([0]) }))) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
    // (The edited bytes are not in the server's transcript: a client that takes them fails the
    // server's check of its Finished.)
    reference: { alert: 'no alert', why: 'OpenSSL does not check the lower bound of certificate_types<1..2^8-1>; a vector out of its range is decode_error (RFC 5246 §4.3, §7.2.2)' },
  },
  {
    name: 'CertificateRequest with no signature algorithms (supported_signature_algorithms<2..2^16-2>)',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, output: editFlight(HandshakeType.certificate_request, editCertificateRequest((v) => ({ ...v, schemes: new Uint8Array([0, 0]) }))) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
    reference: { alert: 'internal_error', why: 'OpenSSL fails to save the empty list and reports internal_error; the message does not parse, RFC 5246 §7.2.2 decode_error' },
  },
  {
    name: 'CertificateRequest with signature algorithms of odd length',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, output: editFlight(HandshakeType.certificate_request, editCertificateRequest((v) => ({ ...v, schemes: new Uint8Array([0, 3, 4, 3, 5]) }))) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
    reference: { alert: 'internal_error', why: 'OpenSSL fails to save the odd-length list and reports internal_error; the message does not parse, RFC 5246 §7.2.2 decode_error' },
  },
  {
    name: 'CertificateRequest whose certificate_authorities holds a name longer than the list',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, output: editFlight(HandshakeType.certificate_request, editCertificateRequest((v) => ({ ...v, authorities: new Uint8Array([0, 4, 0, 10, 0x30, 0]) }))) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'CertificateRequest with an unknown certificate type and scheme besides known ones: no certificate sent, completes',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, message: onMessage('certificate_request', (m) => ({ ...m, certificateTypes: [...m.certificateTypes, 0xfe], signatureSchemes: [0xfefe, ...m.signatureSchemes] })) }),
    alert: null,
  },
  {
    name: 'CertificateRequest twice',
    server: () => ({ client: ASKS_FOR_CERTIFICATE, message: onMessage('certificate_request', (m) => [m, m]) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'CertificateRequest before the ServerKeyExchange (RFC 5246 §7.4: out of order)',
    server: () => ({ message: onMessage('server_key_exchange', (m) => [{ type: 'certificate_request', certificateTypes: [64], signatureSchemes: [0x0403], certificateAuthorities: [] }, m]) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
];

/** A NewSessionTicket whose ServerHello did not announce it (the server's own transcript
 *  does not hold it: a client that took it would fail at the Finished instead). */
const unannouncedTicket = (): Tampering => ({
  output: (b) => (b[0] === ContentType.change_cipher_spec ? [handshakeRecord({ type: 'new_session_ticket', lifetimeHint: 300, ticket: new Uint8Array(64).fill(7) }), b] : b),
});

const TICKET_AND_STATUS_CASES: Case[] = [
  {
    name: 'NewSessionTicket cut by one byte',
    tickets: true,
    server: () => ({ output: editFlight(HandshakeType.new_session_ticket, (b) => b.subarray(0, b.length - 1)) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'NewSessionTicket with a byte added',
    tickets: true,
    server: () => ({ output: editFlight(HandshakeType.new_session_ticket, (b) => Uint8Array.from([...b, 0])) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'NewSessionTicket twice',
    tickets: true,
    server: () => ({ message: onMessage('new_session_ticket', (m) => [m, m]) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'NewSessionTicket without session_ticket in the ServerHello (RFC 5077 §3.3)',
    server: unannouncedTicket,
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'CertificateStatus the client did not ask for (RFC 6066 §8)',
    server: () => ({ message: onMessage('certificate', (m) => [m, { type: 'certificate_status', response: new Uint8Array([0x30, 0]) }]) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
];

const CASES: Case[] = [
  ...CERTIFICATE_REQUEST_CASES,
  ...TICKET_AND_STATUS_CASES,
  {
    name: 'ServerHello choosing a suite the client did not offer (RC4-SHA)',
    server: () => ({ message: onMessage('server_hello', (m) => ({ ...m, cipherSuite: 0x0005 })) }),
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  {
    name: 'ServerHello with TLS 1.1 as its version',
    server: () => ({ message: onMessage('server_hello', (m) => ({ ...m, version: 0x0302 })) }),
    alert: 'protocol_version',
    code: ErrorCode.PROTOCOL_VERSION,
  },
  {
    name: 'ServerHello with an extension the client did not offer (ALPN; RFC 5246 §7.4.1.4)',
    server: () => ({ message: onMessage('server_hello', (m) => ({ ...m, extensions: [...m.extensions, { type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(['h2']) }] })) }),
    alert: 'unsupported_extension',
    code: ErrorCode.HANDSHAKE_FAILURE,
  },
  {
    name: 'ServerHello with the same extension twice',
    server: () => ({ message: onMessage('server_hello', (m) => ({ ...m, extensions: [...m.extensions, m.extensions[0]!] })) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
    reference: { alert: 'illegal_parameter', why: 'RFC 5246 §7.4.1.4 names no alert for a duplicate; OpenSSL sends illegal_parameter, we treat the block as malformed (decode_error)' },
  },
  {
    name: 'Certificate twice',
    server: () => ({ message: onMessage('certificate', (m) => [m, m]) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'ServerKeyExchange skipped in an ECDHE suite',
    server: () => ({ message: onMessage('server_key_exchange', () => []) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'ServerKeyExchange with a wrong signature (RFC 5246 §7.4.3)',
    server: () => ({ message: onMessage('server_key_exchange', (m) => ('signature' in m ? { ...m, signature: flipLast(m.signature) } : m)) }),
    alert: 'decrypt_error',
    code: ErrorCode.DECRYPT_ERROR,
  },
  {
    name: 'ServerKeyExchange signed with a scheme of another key type (rsa_pss_rsae_sha256 for a P-256 key)',
    server: () => ({ message: onMessage('server_key_exchange', (m) => ('signature' in m ? { ...m, scheme: SignatureScheme.rsa_pss_rsae_sha256 } : m)) }),
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  {
    name: 'a ChangeCipherSpec before the ServerHelloDone',
    server: () => ({ message: onMessage('server_hello_done', (m, inject) => (inject(ContentType.change_cipher_spec, new Uint8Array([1])), m)) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'application data before the ServerHelloDone',
    server: () => ({ message: onMessage('server_hello_done', (m, inject) => (inject(ContentType.application_data, new Uint8Array([1, 2, 3])), m)) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a HelloRequest inside the server flight: ignored (RFC 5246 §7.4.1.1)',
    server: () => ({ message: onMessage('server_hello_done', (m) => [{ type: 'hello_request' }, m]) }),
    alert: null,
  },
  {
    name: 'application data between the server ChangeCipherSpec and Finished (RFC 5246 §7.4.9)',
    server: () => ({ message: onMessage('finished', (m, inject) => (inject(ContentType.application_data, new Uint8Array([1, 2, 3])), m)) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a second server ChangeCipherSpec (under the new keys) before its Finished',
    server: () => ({ message: onMessage('finished', (m, inject) => (inject(ContentType.change_cipher_spec, new Uint8Array([1])), m)) }),
    alert: 'unexpected_message',
    code: ErrorCode.UNEXPECTED_MESSAGE,
  },
  {
    name: 'a server Finished of 13 bytes',
    server: () => ({ message: onMessage('finished', (m) => ({ ...m, verifyData: Uint8Array.from([...m.verifyData, 0]) })) }),
    alert: 'decode_error',
    code: ErrorCode.DECODE,
  },
  {
    name: 'a wrong server Finished (RFC 5246 §7.4.9)',
    server: () => ({ message: onMessage('finished', (m) => ({ ...m, verifyData: flipLast(m.verifyData) })) }),
    alert: 'decrypt_error',
    code: ErrorCode.DECRYPT_ERROR,
  },
  {
    name: '4 warning alerts before the ServerHelloDone: taken',
    server: () => ({ message: onMessage('server_hello_done', (m, inject) => (warnings(inject, 4), m)) }),
    alert: null,
  },
  {
    name: '5 warning alerts in a row (CVE-2016-8610)',
    server: () => ({ message: onMessage('server_hello_done', (m, inject) => (warnings(inject, 5), m)) }),
    alert: 'unexpected_message',
    code: ErrorCode.TOO_MANY_WARN_ALERTS,
  },
  {
    name: 'ServerKeyExchange (signed) with a P-256 point off the curve',
    server: () => ({ client: { groups: [NamedGroup.secp256r1], provider: withPublicKey(OFF_CURVE_P256) } }),
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  {
    name: 'ServerKeyExchange (signed) with an all-zero X25519 value (RFC 7748 §6.1)',
    server: () => ({ client: { groups: [NamedGroup.x25519], provider: withPublicKey(new Uint8Array(32)) } }),
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  // Each message of the server's first flight cut by one byte, or with one byte added (the
  // handshake header's length follows the body).
  ...(['server_hello', 'certificate', 'server_key_exchange', 'server_hello_done'] as const).flatMap((type): Case[] => [
    ...(type === 'server_hello_done' ? [] : [{
      name: `${type} cut by one byte`,
      server: () => ({ output: editFlight(HandshakeType[type], (body) => body.subarray(0, body.length - 1)) }),
      alert: 'decode_error' as const,
      code: ErrorCode.DECODE,
    }]),
    {
      name: `${type} with a byte added`,
      server: () => ({ output: editFlight(HandshakeType[type], (body) => Uint8Array.from([...body, 0])) }),
      // ServerHelloDone is an empty struct (RFC 5246 §7.4.5): a byte in it exceeds its size
      // limit, checked at the header, as OpenSSL checks it (illegal_parameter).
      ...(type === 'server_hello_done'
        ? { alert: 'illegal_parameter' as const, code: ErrorCode.EXCESSIVE_MESSAGE_SIZE }
        : { alert: 'decode_error' as const, code: ErrorCode.DECODE }),
    },
  ]),
  // Resumption (the client offers the session of a full handshake just before).
  {
    name: 'a resumption whose ServerHello names another cipher suite than the session (RFC 5246 §7.4.1.3)',
    resume: true,
    server: () => ({ message: onMessage('server_hello', (m) => ({ ...m, cipherSuite: m.cipherSuite === 0xc02b ? 0xc02c : 0xc02b })) }),
    alert: 'illegal_parameter',
    code: ErrorCode.ILLEGAL_PARAMETER,
  },
  {
    name: 'a resumption of an extended-master-secret session without the extension (RFC 7627 §5.3)',
    resume: true,
    server: () => ({ message: onMessage('server_hello', (m) => ({ ...m, extensions: m.extensions.filter((e) => e.type !== ExtensionType.extended_master_secret) })) }),
    alert: 'handshake_failure',
    code: ErrorCode.HANDSHAKE_FAILURE,
  },
];

/** A session store for two tampered servers (session IDs and tickets). */
function sharedStore(): SessionStore {
  return new SessionStore({ provider: nobleProvider, random: seededRandom('client-battery/store'), now: () => Date.now() });
}

/** `t` for a server that uses `store` (when given). */
function withStore(t: Tampering, store: SessionStore | undefined): Tampering {
  return store ? { ...t, client: { ...t.client, sessionStore: store } } : t;
}

/** The default provider, but every key share it makes shows `publicKey` (the server signs it
 *  in its ServerKeyExchange: the client must check the point itself). */
function withPublicKey(publicKey: Uint8Array): CryptoProvider {
  return {
    ...nobleProvider,
    generateKeyShare: (group, random) => ({ ...nobleProvider.generateKeyShare(group, random), publicKey }),
  };
}

describe('conformance battery: our client against hostile servers (openssl s_client as reference)', function () {
  this.timeout(60_000);
  let leaf: PkiEntry;

  before(function () {
    requirePeer(this, 'openssl');
    leaf = makePki().leaves['ec-p256'];
  });

  /** Our client connecting to `port` (offering `session`); settles on its error or handshake. */
  async function ourConnection(port: number, session?: Uint8Array): Promise<{ socket: SecureDuplex; error: TlsError | undefined }> {
    let error: TlsError | undefined;
    const socket = connect({ port, host: '127.0.0.1', ca: [makePki().ca.certPem], servername: 'localhost', ...(session ? { session } : {}) });
    await within(new Promise<void>((resolve) => {
      socket.on('error', (e: TlsError) => {
        error = e;
        resolve();
      });
      socket.on('secureConnect', () => resolve());
    }), 'our client', ANSWER_MS);
    return { socket, error };
  }

  /** Our client against a server tampered as `c` says: what the server read, and our error. */
  async function ourClient(c: Case): Promise<{ verdict: ClientVerdict; error: TlsError | undefined }> {
    const store = c.resume || c.tickets ? sharedStore() : undefined;
    let session: Uint8Array | undefined;
    if (store && c.resume) {
      const first = await tamperedServer(leaf, withStore({}, store));
      const { socket, error } = await ourConnection(first.port);
      expect(error, 'the first handshake').to.equal(undefined);
      session = socket.getSession();
      socket.destroy();
      await first.verdict;
    }
    const server = await tamperedServer(leaf, withStore(c.server(), store));
    try {
      const { socket, error } = await ourConnection(server.port, session);
      // Our client sent its alert (if any) before it failed; closing lets the server finish.
      socket.destroy();
      return { verdict: await server.verdict, error };
    } finally {
      server.close();
    }
  }

  /** openssl s_client against a server tampered as `c` says: what the server read. `fails`: the
   *  client is expected to give up (it exits; else it is stopped after the handshake). */
  async function referenceClient(c: Case, fails: boolean): Promise<ClientVerdict> {
    const store = c.resume || c.tickets ? sharedStore() : undefined;
    const args = { ca: makePki().ca.certPath, servername: 'localhost' };
    const sessionFile = path.join(peersTmpDir(), `client-battery-${process.pid}.pem`);
    fs.rmSync(sessionFile, { force: true });
    if (store && c.resume) {
      const first = await tamperedServer(leaf, withStore({}, store));
      const client = await opensslClient({ ...args, port: first.port, extraArgs: ['-sess_out', sessionFile] });
      await client.end();
      await client.waitExit(ANSWER_MS);
      await first.verdict;
      expect(fs.readFileSync(sessionFile, 'utf8')).to.match(/BEGIN SSL SESSION PARAMETERS/);
    }
    const server = await tamperedServer(leaf, withStore(c.server(), store));
    const client = await opensslClient({ ...args, port: server.port, waitHandshake: false, ignEof: true, extraArgs: c.resume ? ['-sess_in', sessionFile] : [] });
    try {
      // s_client exits after a fatal alert; after a handshake it stays: stop it then. (The
      // server's handshake is complete before the client has checked its Finished.)
      await (fails ? client.waitExit(ANSWER_MS) : server.handshake);
      await client.kill();
      return await server.verdict;
    } finally {
      server.close();
      await client.kill();
    }
  }

  for (const c of CASES) {
    it(`${c.name} → ${c.alert ?? 'handshake completes'}${c.reference ? ` (OpenSSL: ${c.reference.alert ?? 'completes'})` : ', as OpenSSL'}`, async () => {
      const ours = await ourClient(c);
      if (c.alert === null) {
        expect(ours.error, 'our client').to.equal(undefined);
        expect(ours.verdict.completed, 'handshake completed').to.equal(true);
        expect(ours.verdict.received.filter((a) => !a.startsWith('warning')), 'fatal alerts from our client').to.deep.equal([]);
      } else {
        expect(ours.verdict.received, 'alerts from our client').to.deep.equal([c.alert]);
        expect(ours.error?.code).to.equal(c.code);
        // The tampered server did resume (the alert is not that of a full handshake gone wrong).
        if (c.resume) expect(ours.error?.message).to.match(/resumed the session/);
      }
      const refAlert = c.reference ? c.reference.alert : c.alert;
      const ref = await referenceClient(c, refAlert !== null);
      const why = c.reference ? ` (${c.reference.why})` : '';
      if (refAlert === null) expect(ref.completed, `openssl s_client completes${why}`).to.equal(true);
      else expect(ref.received, `alerts from openssl s_client${why}`).to.deep.equal(refAlert === 'no alert' ? [] : [refAlert]);
    });
  }
});
