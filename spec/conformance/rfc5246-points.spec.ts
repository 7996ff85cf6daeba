// The RFC 5246 conformance points our server once answered differently from OpenSSL: each test
// sends the exact bytes over a real socket to our server AND to `openssl s_server -tls1_2` (same
// P-256 certificate), and asserts that our alert on the wire equals OpenSSL's, plus the error
// `code` our server reports.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { connect, ErrorCode } from '../../lib/index.js';
import { AlertDescription, AlertLevel, DEFAULT_MAX_WARNING_ALERTS_IN_ROW } from '../../lib/engine/alerts.js';
import { ContentType, ExtensionType, HandshakeType, SignatureScheme } from '../../lib/engine/constants.js';
import { encodeSignatureAlgorithms } from '../../lib/engine/handshake/extensions.js';
import { encodeHandshake } from '../../lib/engine/handshake/messages.js';
import { opensslClient, requirePeer, type PeerProcess } from '../helpers/peers.js';
import { makePki, type PkiEntry } from '../helpers/pki.js';
import { within } from '../helpers/within.js';
import {
  alertRecord, alertsOf, clientHello, handshakeRecord, OurServer, records, referenceServer, sendRaw, withExtension,
  type Answer,
} from './raw-tls.js';

const FATAL = AlertLevel.fatal;
const WARNING = AlertLevel.warning;
const A = AlertDescription;
/** ExtensionType signature_algorithms_cert (RFC 8446 §4.2.3). */
const SIGNATURE_ALGORITHMS_CERT = 50;

/** The SignatureAndHashAlgorithm of the ServerKeyExchange in an answer (ECDHE body:
 *  curve_type, named_curve, point<1..255>, then the signature's algorithm). */
function skeScheme(a: Answer): number | undefined {
  const body = a.bodies[a.handshakes.indexOf(HandshakeType.server_key_exchange)];
  if (!body) return undefined;
  const at = 4 + body[3]!;
  return (body[at]! << 8) | body[at + 1]!;
}

describe('conformance: RFC 5246 points, against openssl s_server', function () {
  this.timeout(60_000);
  let leaf: PkiEntry;
  let ours: OurServer;
  let reference: { peer: PeerProcess; port: number };

  before(async function () {
    requirePeer(this, 'openssl');
    leaf = makePki().leaves['ec-p256'];
    ours = await OurServer.start(leaf);
    reference = await referenceServer(leaf);
  });

  after(async () => {
    await reference?.peer.kill();
    await ours?.close();
  });

  /** Sends `bytes` to both servers; returns both answers and the error our server reported. */
  async function both(bytes: Uint8Array | Uint8Array[]): Promise<{ our: Answer; ref: Answer; code: string }> {
    const mark = ours.errors.length;
    const our = await sendRaw(ours.port, bytes);
    const err = await ours.error(mark);
    const ref = await sendRaw(reference.port, bytes);
    return { our, ref, code: err.code };
  }

  /** Our answer is exactly one fatal `alert`, with no handshake message, as OpenSSL's. */
  function expectSameFatal(r: { our: Answer; ref: Answer }, alert: number): void {
    expect(alertsOf(r.ref), 'openssl s_server').to.deep.equal([[FATAL, alert]]);
    expect(alertsOf(r.our), 'ours').to.deep.equal(alertsOf(r.ref));
    expect(r.our.handshakes, 'ours: no handshake message').to.deep.equal([]);
    expect(r.our.closed, 'ours closed the connection').to.equal(true);
  }

  describe('1. ClientHello without signature_algorithms (RFC 5246 §7.4.1.4.1)', () => {
    it('implies {sha1, ecdsa}, which is refused: handshake_failure, as OpenSSL; never an unoffered scheme', async () => {
      const r = await both(handshakeRecord(clientHello({ extensions: withExtension(ExtensionType.signature_algorithms, null) })));
      expectSameFatal(r, A.handshake_failure);
      expect(r.code).to.equal(ErrorCode.HANDSHAKE_FAILURE);
    });

    it('signature_algorithms_cert alone: handshake_failure, as OpenSSL', async () => {
      const exts = [
        ...withExtension(ExtensionType.signature_algorithms, null),
        { type: SIGNATURE_ALGORITHMS_CERT, data: encodeSignatureAlgorithms([SignatureScheme.ecdsa_secp256r1_sha256]) },
      ];
      const r = await both(handshakeRecord(clientHello({ extensions: exts })));
      expectSameFatal(r, A.handshake_failure);
      expect(r.code).to.equal(ErrorCode.HANDSHAKE_FAILURE);
    });

    it('signature_algorithms offering only SHA-1 schemes: handshake_failure, as OpenSSL', async () => {
      // {sha1, ecdsa} and {sha1, rsa} (RFC 5246 §7.4.1.4.1 codes).
      const sha1 = encodeSignatureAlgorithms([0x0203, 0x0201]);
      const r = await both(handshakeRecord(clientHello({ extensions: withExtension(ExtensionType.signature_algorithms, sha1) })));
      expectSameFatal(r, A.handshake_failure);
      // node:tls's server reports the same case with this code (spec/parity/sigalgs.spec.ts).
      expect(r.code).to.equal(ErrorCode.NO_SHARED_SIGNATURE_ALGORITHMS);
    });
  });

  describe('1 (RSA certificate). ClientHello without signature_algorithms', () => {
    let rsaOurs: OurServer;
    let rsaReference: { peer: PeerProcess; port: number };
    before(async () => {
      const rsa = makePki().leaves.rsa2048;
      rsaOurs = await OurServer.start(rsa);
      rsaReference = await referenceServer(rsa);
    });
    after(async () => {
      await rsaReference?.peer.kill();
      await rsaOurs?.close();
    });

    // ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES256-GCM-SHA384.
    const rsaHello = (sigalgs: number[] | null): Uint8Array => handshakeRecord(clientHello({
      cipherSuites: [0xc02f, 0xc030],
      extensions: withExtension(ExtensionType.signature_algorithms, sigalgs && encodeSignatureAlgorithms(sigalgs)),
    }));

    it('implies {sha1, rsa}, which is refused: handshake_failure, as OpenSSL', async () => {
      const mark = rsaOurs.errors.length;
      const our = await sendRaw(rsaOurs.port, rsaHello(null));
      const ref = await sendRaw(rsaReference.port, rsaHello(null));
      expect(alertsOf(ref), 'openssl s_server').to.deep.equal([[FATAL, A.handshake_failure]]);
      expect(alertsOf(our), 'ours').to.deep.equal(alertsOf(ref));
      expect((await rsaOurs.error(mark)).code).to.equal(ErrorCode.HANDSHAKE_FAILURE);
    });

    it('with rsa_pkcs1_sha256 offered, both sign with it (the control)', async () => {
      const until = HandshakeType.server_hello_done;
      for (const port of [rsaOurs.port, rsaReference.port]) {
        const a = await sendRaw(port, rsaHello([SignatureScheme.rsa_pkcs1_sha256]), { until });
        expect(a.alerts).to.deep.equal([]);
        expect(skeScheme(a)).to.equal(SignatureScheme.rsa_pkcs1_sha256);
      }
    });
  });

  describe('3. a ClientHello body under another handshake type: the state check comes first', () => {
    const body = encodeHandshake(clientHello());
    for (const type of [0, 2, 4, 11, 12, 13, 14, 15, 16, 22]) {
      it(`type ${type} → unexpected_message, as OpenSSL`, async () => {
        const msg = body.slice();
        msg[0] = type;
        const r = await both(records(ContentType.handshake, msg));
        expectSameFatal(r, A.unexpected_message);
        expect(r.code).to.equal(ErrorCode.UNEXPECTED_MESSAGE);
      });
    }
  });

  describe('4. a ChangeCipherSpec with a wrong body (RFC 5246 §7.1)', () => {
    // (An empty ChangeCipherSpec record is not compared: OpenSSL skips empty records, up to 32 in
    // a row, and waits; RFC 5246 §6.2.1 forbids sending them and ours refuses it with the same
    // unexpected_message, see spec/conformance/server-battery.spec.ts.)
    for (const [name, body] of [['01 01', [1, 1]], ['02', [2]], ['01 00', [1, 0]]] as const) {
      it(`${name} before the handshake → unexpected_message, as OpenSSL`, async () => {
        const r = await both(records(ContentType.change_cipher_spec, new Uint8Array(body)));
        expectSameFatal(r, A.unexpected_message);
        expect(r.code).to.equal(ErrorCode.UNEXPECTED_MESSAGE);
      });
    }

    it('01 01 after the ClientHello (the server waits for the client flight) → unexpected_message, as OpenSSL', async () => {
      // After a ClientHello, both servers wait for the client's flight: a two-byte CCS there.
      const r = await both([handshakeRecord(clientHello()), records(ContentType.change_cipher_spec, new Uint8Array([1, 1]))]);
      expect(alertsOf(r.ref), 'openssl s_server').to.deep.equal([[FATAL, A.unexpected_message]]);
      expect(alertsOf(r.our), 'ours').to.deep.equal(alertsOf(r.ref));
      expect(r.code).to.equal(ErrorCode.UNEXPECTED_MESSAGE);
    });
  });

  describe('5/8. warning alerts are bounded (CVE-2016-8610)', () => {
    const warning = (): Uint8Array => alertRecord(WARNING, A.unrecognized_name);
    const warnings = (n: number): Uint8Array[] => Array.from({ length: n }, warning);
    const hello = (): Uint8Array => handshakeRecord(clientHello());

    it('one warning before the first ClientHello → unexpected_message, as OpenSSL', async () => {
      const r = await both(warning());
      expectSameFatal(r, A.unexpected_message);
      expect(r.code).to.equal(ErrorCode.UNEXPECTED_MESSAGE);
    });

    /** A ClientKeyExchange whose point length (1) overruns its body: decode_error in both
     *  servers. Sent after warnings, its alert shows they were taken (else unexpected_message). */
    const probe = (): Uint8Array => records(ContentType.handshake, new Uint8Array([HandshakeType.client_key_exchange, 0, 0, 1, 1]));

    it(`after the ClientHello: ${DEFAULT_MAX_WARNING_ALERTS_IN_ROW} in a row are taken, the next is fatal unexpected_message, as OpenSSL`, async () => {
      const n = DEFAULT_MAX_WARNING_ALERTS_IN_ROW;
      // n warnings, then the probe: both answer the probe (decode_error), so took the warnings.
      let r = await both([hello(), ...warnings(n), probe()]);
      expect(alertsOf(r.ref), 'openssl s_server').to.deep.equal([[FATAL, A.decode_error]]);
      expect(alertsOf(r.our), 'ours').to.deep.equal(alertsOf(r.ref));
      expect(r.code).to.equal(ErrorCode.DECODE);
      // n + 1: both end the connection with unexpected_message at the last warning.
      r = await both([hello(), ...warnings(n + 1), probe()]);
      expect(alertsOf(r.ref), 'openssl s_server').to.deep.equal([[FATAL, A.unexpected_message]]);
      expect(alertsOf(r.our), 'ours').to.deep.equal(alertsOf(r.ref));
      expect(r.our.handshakes.at(-1)).to.equal(HandshakeType.server_hello_done);
      expect(r.code).to.equal(ErrorCode.TOO_MANY_WARN_ALERTS);
    });

    it('the count restarts after a non-empty record of another type, as OpenSSL', async () => {
      const n = DEFAULT_MAX_WARNING_ALERTS_IN_ROW;
      // The probe cut in two records: its first byte between two runs of n warnings resets the
      // count; then the rest of it, answered with decode_error by both.
      const cke = probe();
      const first = records(ContentType.handshake, new Uint8Array([HandshakeType.client_key_exchange]));
      const rest = records(ContentType.handshake, new Uint8Array([0, 0, 1, 1]));
      expect(cke.length).to.equal(first.length + rest.length - 5);
      let r = await both([hello(), ...warnings(n), first, ...warnings(n), rest]);
      expect(alertsOf(r.ref), 'openssl s_server').to.deep.equal([[FATAL, A.decode_error]]);
      expect(alertsOf(r.our), 'ours').to.deep.equal(alertsOf(r.ref));
      expect(r.code).to.equal(ErrorCode.DECODE);
      // Without the reset, the run of 2n is over the limit in both.
      r = await both([hello(), ...warnings(n), ...warnings(n), first, rest]);
      expect(alertsOf(r.ref), 'openssl s_server').to.deep.equal([[FATAL, A.unexpected_message]]);
      expect(alertsOf(r.our), 'ours').to.deep.equal(alertsOf(r.ref));
      expect(r.code).to.equal(ErrorCode.TOO_MANY_WARN_ALERTS);
    });

    it('node:tls (TLS 1.2) answers the same alerts; the limit error has its code, ERR_SSL_TOO_MANY_WARN_ALERTS', async () => {
      const server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem, maxVersion: 'TLSv1.2' });
      const codes: string[] = [];
      const failed = new Promise<void>((resolve) => {
        server.on('tlsClientError', (err: Error & { code: string }) => {
          codes.push(err.code);
          if (codes.length === 2) resolve();
        });
      });
      await within(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 'node:tls server');
      try {
        const port = (server.address() as AddressInfo).port;
        const before = await sendRaw(port, warning());
        const after = await sendRaw(port, [hello(), ...warnings(DEFAULT_MAX_WARNING_ALERTS_IN_ROW + 1)]);
        await within(failed, "node:tls's errors");
        expect(alertsOf(before)).to.deep.equal([[FATAL, A.unexpected_message]]);
        expect(alertsOf(after)).to.deep.equal([[FATAL, A.unexpected_message]]);
        expect(codes[1]).to.equal(ErrorCode.TOO_MANY_WARN_ALERTS);
      } finally {
        server.close();
      }
    });

    for (const before of [true, false]) {
      it(`a flood of 100,000 warnings ${before ? 'before' : 'after'} the ClientHello: ended after ${before ? 1 : DEFAULT_MAX_WARNING_ALERTS_IN_ROW + 1} processed; a normal client connects meanwhile`, async () => {
        const mark = ours.errors.length;
        const index = ours.alertsProcessed.length;
        const flood = records(ContentType.alert, new Uint8Array(200_000).fill(0).map((_, i) => (i % 2 === 0 ? WARNING : A.unrecognized_name)));
        // 100,000 alerts, 8,192 per record, sent in 13 records (about 200 KB).
        let client: Promise<void> | undefined;
        const a = await sendRaw(ours.port, before ? [flood] : [hello(), flood], {
          afterWrite: () => {
            client = new Promise<void>((resolve, reject) => {
              const c = connect({ port: ours.port, host: '127.0.0.1', ca: [makePki().ca.certPem], servername: 'localhost' }, () => {
                c.end();
                resolve();
              });
              c.on('error', reject);
            });
          },
        });
        expect(alertsOf(a).at(-1)).to.deep.equal([FATAL, A.unexpected_message]);
        expect(a.closed).to.equal(true);
        const err = await ours.error(mark);
        expect(err.code).to.equal(before ? ErrorCode.UNEXPECTED_MESSAGE : ErrorCode.TOO_MANY_WARN_ALERTS);
        // The count of alerts the engine processed, not a timing: it stopped at the limit.
        expect(ours.alertsProcessed[index]).to.equal(before ? 1 : DEFAULT_MAX_WARNING_ALERTS_IN_ROW + 1);
        await within(client!, 'a normal client connecting during the flood', 20_000);
      });
    }
  });

  describe('6. server_name in a ClientHello (RFC 6066 §3)', () => {
    it('an empty extension (the ServerHello form) → decode_error, as OpenSSL', async () => {
      const r = await both(handshakeRecord(clientHello({ extensions: withExtension(ExtensionType.server_name, new Uint8Array(0)) })));
      expectSameFatal(r, A.decode_error);
      expect(r.code).to.equal(ErrorCode.DECODE);
    });
  });

  describe('7. a P-256 key signs with any hash the client offers (RFC 5246 §7.4.1.4.1)', () => {
    for (const [name, scheme, digest] of [
      ['ecdsa+sha512 (0x0603)', SignatureScheme.ecdsa_secp521r1_sha512, 'SHA512'],
      ['ecdsa+sha224 (0x0303)', SignatureScheme.ecdsa_sha224, 'SHA224'],
    ] as const) {
      it(`a ClientHello offering only ${name}: ServerKeyExchange signed with it, as OpenSSL`, async () => {
        const bytes = handshakeRecord(clientHello({ extensions: withExtension(ExtensionType.signature_algorithms, encodeSignatureAlgorithms([scheme])) }));
        const until = HandshakeType.server_hello_done;
        const our = await sendRaw(ours.port, bytes, { until });
        const ref = await sendRaw(reference.port, bytes, { until });
        expect(ref.alerts, 'openssl').to.deep.equal([]);
        expect(skeScheme(ref), 'openssl').to.equal(scheme);
        expect(our.alerts, 'ours').to.deep.equal([]);
        expect(skeScheme(our), 'ours').to.equal(scheme);
      });

      it(`openssl s_client -sigalgs ECDSA+${digest} completes a handshake with us, as with openssl s_server`, async () => {
        for (const port of [ours.port, reference.port]) {
          const before = ours.secureConnections;
          const c = await opensslClient({ port, ca: makePki().ca.certPath, servername: 'localhost', extraArgs: ['-sigalgs', `ECDSA+${digest}`] });
          try {
            // -brief: "Hash used: SHA512" names the digest of the server's ServerKeyExchange.
            await c.waitFor(new RegExp(`^Hash used: ${digest}$`, 'm'));
            if (port === ours.port) await ours.secureConnection(before);
          } finally {
            await c.kill();
          }
        }
      });
    }
  });
});
