// Negative conformance battery for DTLS 1.2 against our DtlsServer over UDP: cookie exchange
// misuse, malformed handshake fragments, records of a wrong epoch, forged alerts. The same
// datagrams go to `openssl s_server -dtls1_2` (same certificate). Much bad input is dropped
// silently in DTLS (RFC 6347 §4.1.2.7), so a case that expects that ends with a probe the server
// must answer — the association still works — and checks that no alert came before it.
import { expect } from 'chai';
import { createServer, ErrorCode, type DtlsServer, type TlsError } from '../../lib/index.js';
import { AlertDescription, AlertLevel, type AlertName } from '../../lib/engine/alerts.js';
import { ContentType, HandshakeType } from '../../lib/engine/constants.js';
import { opensslServer, requirePeer, type PeerProcess } from '../helpers/peers.js';
import { makePki, type PkiEntry } from '../helpers/pki.js';
import { Condition } from '../helpers/condition.js';
import { within } from '../helpers/within.js';
import { dtlsClientHello, dtlsClientHelloBody, dtlsFragment, dtlsRecord, RawDtlsPeer } from './raw-dtls.js';
import { ANSWER_MS } from './raw-tls.js';

/**
 * What a server does with a case's datagrams:
 * - 'continues': nothing on the wire about them; it then answers the probe (a ClientHello:
 *   with the cookie, or retransmitted once the association exists, RFC 6347 §4.2.4);
 * - alert: it sends that fatal alert (our server: and reports `code`);
 * - 'ends': no alert, and the association is over (our server: it reports `code`; OpenSSL:
 *   s_server, which serves one association, exits).
 */
type Outcome = 'continues' | { alert: AlertName; code?: string } | { ends: true; code?: string };

interface DtlsCase {
  name: string;
  /** 'cookie': the datagrams follow the cookie exchange only; 'association': they follow the
   *  whole ClientHello, answered by the server's flight (message_seq 1 to 4). */
  phase: 'cookie' | 'association';
  /** Sends the hostile datagrams (records 1.., after the phase's own). */
  send: (peer: RawDtlsPeer, cookie: Uint8Array) => Promise<void> | void;
  /** message_seq of the probe ClientHello; default 1. */
  probeSeq?: number;
  ours: Outcome;
  /** OpenSSL's outcome when it differs, with the reason both are allowed; default: the same. */
  reference?: { outcome: Outcome; why: string };
}

const flip = (b: Uint8Array, from: number, to: number): Uint8Array => b.map((x, i) => (i >= from && i < to ? x ^ 0x55 : x));
/** Bytes of a ClientKeyExchange the server waits for (message_seq 2) in the association cases. */
const cke = (length: number, offset: number, bytes: Uint8Array, type: number = HandshakeType.client_key_exchange): Uint8Array =>
  dtlsRecord(ContentType.handshake, 0, 10 + offset, dtlsFragment(type, length, 2, offset, bytes));

/** Waits for the answer to `send`: a second HelloVerifyRequest, or an alert. */
async function secondHelloVerify(peer: RawDtlsPeer, send: () => void): Promise<void> {
  const from = peer.answer.handshakes.length;
  send();
  await peer.untilAnswer(() => peer.answer.alerts.length > 0 || peer.answer.handshakes.slice(from).some((h) => h.type === HandshakeType.hello_verify_request), 'a second HelloVerifyRequest or an alert');
}

const CASES: DtlsCase[] = [
  {
    name: 'a ClientHello without a cookie after the HelloVerifyRequest: another HelloVerifyRequest, then the cookie in a ClientHello of message_seq 2 (RFC 6347 §4.2.1, §4.2.2)',
    phase: 'cookie',
    send: (peer) => secondHelloVerify(peer, () => peer.send(dtlsClientHello(new Uint8Array(0), 1, 1))),
    probeSeq: 2,
    ours: 'continues',
  },
  {
    name: 'a ClientHello with a wrong cookie: treated as one without (RFC 6347 §4.2.1), another HelloVerifyRequest',
    phase: 'cookie',
    send: (peer, cookie) => secondHelloVerify(peer, () => peer.send(dtlsClientHello(flip(cookie, cookie.length - 1, cookie.length), 1, 1))),
    probeSeq: 2,
    ours: 'continues',
    reference: { outcome: { alert: 'handshake_failure' }, why: 'RFC 6347 §4.2.1: a server SHOULD treat an invalid cookie as none (a new HelloVerifyRequest); s_server (without -listen) refuses it' },
  },
  {
    name: 'the first ClientHello in overlapping fragments whose common bytes differ: a stateless server keeps nothing before a whole, cookie-checked ClientHello',
    phase: 'cookie',
    send: (peer, cookie) => {
      const body = dtlsClientHelloBody(cookie);
      peer.send(
        dtlsRecord(ContentType.handshake, 0, 1, dtlsFragment(HandshakeType.client_hello, body.length, 1, 0, body.subarray(0, 40))),
        dtlsRecord(ContentType.handshake, 0, 2, dtlsFragment(HandshakeType.client_hello, body.length, 1, 20, flip(body, 20, 40).subarray(20))),
      );
    },
    ours: 'continues',
    reference: { outcome: { alert: 'decode_error' }, why: 's_server (stateful, without -listen) reassembles it with the later bytes and cannot parse it; ours, like OpenSSL\'s DTLSv1_listen, takes only a ClientHello in one datagram before it keeps state' },
  },
  {
    name: 'overlapping fragments of the next message whose common bytes differ: the bytes held first stay, nothing is said (RFC 6347 §4.2.3)',
    phase: 'association',
    send: (peer) => peer.send(cke(60, 0, new Uint8Array(30).fill(1)), cke(60, 20, new Uint8Array(20).fill(9))),
    ours: 'continues',
  },
  {
    name: 'a record of epoch 1 before any keys: dropped (RFC 6347 §4.1)',
    phase: 'association',
    send: (peer) => peer.send(dtlsRecord(ContentType.handshake, 1, 0, new Uint8Array(48).fill(0xa5))),
    ours: 'continues',
  },
  {
    name: 'a fragment beyond its message length',
    phase: 'association',
    send: (peer) => peer.send(cke(40, 30, new Uint8Array(20).fill(1))),
    ours: { alert: 'decode_error', code: ErrorCode.DECODE },
    reference: { outcome: { ends: true }, why: 'RFC 6347 names no answer for a malformed fragment; OpenSSL ends the association without an alert, we send the alert TLS would (RFC 5246 §7.2.2)' },
  },
  {
    name: 'fragments of one message_seq declaring different lengths',
    phase: 'association',
    send: (peer) => peer.send(cke(60, 0, new Uint8Array(20).fill(1)), cke(61, 20, new Uint8Array(20).fill(1))),
    ours: { alert: 'illegal_parameter', code: ErrorCode.ILLEGAL_PARAMETER },
    reference: { outcome: { ends: true }, why: 'RFC 6347 names no answer; OpenSSL ends the association without an alert, we name the inconsistency' },
  },
  {
    name: 'fragments of one message_seq declaring different types',
    phase: 'association',
    send: (peer) => peer.send(cke(60, 0, new Uint8Array(20).fill(1)), cke(60, 20, new Uint8Array(20).fill(1), HandshakeType.certificate)),
    ours: { alert: 'illegal_parameter', code: ErrorCode.ILLEGAL_PARAMETER },
    reference: { outcome: 'continues', why: 'RFC 6347 names no answer; OpenSSL ignores the later fragment, we refuse a message whose fragments disagree' },
  },
  {
    name: 'a fatal alert in epoch 0 during the handshake (unauthenticated: RFC 6347 §4.1.2.7 cannot tell it from the peer\'s) ends it',
    phase: 'association',
    send: (peer) => peer.send(dtlsRecord(ContentType.alert, 0, 10, new Uint8Array([AlertLevel.fatal, AlertDescription.handshake_failure]))),
    ours: { ends: true, code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' },
  },
  {
    name: 'a fatal alert in epoch 0 under the record sequence number of the ClientHello (a replay)',
    phase: 'association',
    send: (peer) => peer.send(dtlsRecord(ContentType.alert, 0, 1, new Uint8Array([AlertLevel.fatal, AlertDescription.handshake_failure]))),
    ours: { ends: true, code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' },
    reference: { outcome: 'continues', why: 'RFC 6347 §4.1.2.6 replay detection is optional and moves with records that pass authentication; epoch 0 has none, so we keep no window there (a forged number would make us drop the genuine flight) and a forger picks a fresh number anyway (the case above, where OpenSSL ends too); OpenSSL drops the replay' },
  },
];

describe('conformance battery: DTLS 1.2 against our DtlsServer (openssl s_server -dtls1_2 as reference)', function () {
  this.timeout(60_000);
  let leaf: PkiEntry;
  let ours: DtlsServer;
  let ourPort: number;
  const ourErrors: TlsError[] = [];
  const reported = new Condition();
  let reference: PeerProcess | undefined;

  before(async function () {
    requirePeer(this, 'openssl');
    leaf = makePki().leaves['ec-p256'];
    const record = (e: TlsError): void => {
      ourErrors.push(e);
      reported.wake();
    };
    ours = createServer({ transport: 'udp', cert: leaf.certPem, key: leaf.keyPem }, (s) => s.on('error', record));
    ours.on('tlsClientError', record);
    ourPort = await within(new Promise<number>((resolve) => ours.listen(0, '127.0.0.1', () => resolve(ours.address().port))), 'our DTLS server listening');
  });

  afterEach(async () => {
    await reference?.kill();
    reference = undefined;
  });

  after(() => ours?.destroy());

  /** Our server's `n`th error (0-based), once reported. */
  async function ourError(n: number): Promise<TlsError> {
    await reported.until(() => ourErrors.length > n, `our server's error #${n}`, ANSWER_MS);
    return ourErrors[n]!;
  }

  /** The case against the server on `port`, checked against `outcome`; `ended` resolves when
   *  that server reports the association's end (with its error code, if it has one). */
  async function run(port: number, c: DtlsCase, outcome: Outcome, who: string, ended: () => Promise<string | undefined>): Promise<void> {
    const peer = await RawDtlsPeer.open(port);
    try {
      const cookie = await peer.cookie();
      if (c.phase === 'association') {
        const from = peer.answer.handshakes.length;
        peer.send(dtlsClientHello(cookie, 1, 1));
        await peer.until(HandshakeType.server_hello_done, from, `${who}: its flight`);
      }
      await c.send(peer, cookie);
      if (outcome === 'continues') {
        const from = peer.answer.handshakes.length;
        peer.send(dtlsClientHello(peer.answer.cookie!, 30, c.probeSeq ?? 1));
        await peer.until(HandshakeType.server_hello, from, `${who}: a ServerHello to the probe`);
        expect(peer.answer.alerts, `${who}: alerts`).to.deep.equal([]);
        return;
      }
      if ('alert' in outcome) {
        await peer.untilAlert();
        expect(peer.answer.alerts, `${who}: alerts`).to.deep.equal([{ level: AlertLevel.fatal, description: AlertDescription[outcome.alert] }]);
      }
      const code = await ended();
      if (outcome.code !== undefined) expect(code, `${who}: error code`).to.equal(outcome.code);
      if ('ends' in outcome) expect(peer.answer.alerts, `${who}: alerts`).to.deep.equal([]);
    } finally {
      peer.close();
    }
  }

  const label = (o: Outcome): string => (o === 'continues' ? 'goes on' : 'alert' in o ? o.alert : 'ends silently');

  for (const c of CASES) {
    it(`${c.name} → ${label(c.ours)}${c.reference ? ` (OpenSSL: ${label(c.reference.outcome)})` : ', as OpenSSL'}`, async () => {
      const mark = ourErrors.length;
      await run(ourPort, c, c.ours, 'our server', async () => (await ourError(mark)).code);
      if (c.ours === 'continues') expect(ourErrors.slice(mark).map((e) => e.code), 'errors of our server').to.deep.equal([]);
      // One s_server per case: it serves one association (-naccept 1), then exits.
      const peer = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, dtls: true, naccept: 1 });
      const port = peer.port;
      reference = peer;
      const outcome = c.reference ? c.reference.outcome : c.ours;
      const refOutcome: Outcome = outcome === 'continues' ? outcome : 'alert' in outcome ? { alert: outcome.alert } : { ends: true };
      await run(port, c, refOutcome, `openssl s_server${c.reference ? ` (${c.reference.why})` : ''}`, async () => {
        await peer.waitExit(ANSWER_MS);
        return undefined;
      });
    });
  }
});
