// Wire codec tests: ByteReader/ByteWriter, handshake message bodies (RFC 5246 §7.4, RFC 6347
// §4.2), extension bodies, TLS handshake reassembly, hostile input, known openssl bytes.
import { expect } from 'chai';
import fc from 'fast-check';
import { TlsError, ErrorCode } from '../lib/errors.js';
import { AlertDescription } from '../lib/engine/alerts.js';
import { ExtensionType, HandshakeType } from '../lib/engine/constants.js';
import { ByteReader, ByteWriter } from '../lib/engine/wire.js';
import type {
  CertificateMsg,
  CertificateRequest,
  CertificateVerify,
  ClientHello,
  ClientKeyExchange,
  Extension,
  Finished,
  HandshakeMessage,
  HelloVerifyRequest,
  NewSessionTicket,
  ServerHello,
  ServerKeyExchange,
} from '../lib/engine/handshake/message-types.js';
import {
  decodeBody,
  decodeClientKeyExchangeFor,
  decodeServerKeyExchangeFor,
  encodeBody,
  encodeEcdheParams,
  encodeHandshake,
  HandshakeReassembler,
  type RawHandshakeMessage,
} from '../lib/engine/handshake/messages.js';
import { DTLS_HANDSHAKE_HEADER_LENGTH, encodeDtlsHandshakeHeader, parseDtlsHandshakeHeader } from '../lib/engine/record/framing.js';
import {
  decodeAlpn,
  decodeEcPointFormats,
  decodeExtendedMasterSecret,
  decodeRenegotiationInfo,
  decodeServerName,
  decodeSessionTicket,
  decodeSignatureAlgorithms,
  decodeSupportedGroups,
  encodeAlpn,
  encodeEcPointFormats,
  encodeExtendedMasterSecret,
  encodeRenegotiationInfo,
  encodeServerName,
  encodeSessionTicket,
  encodeSignatureAlgorithms,
  encodeSupportedGroups,
  findExtension,
} from '../lib/engine/handshake/extensions.js';
import { concatBytes } from '../lib/concat-bytes.js';

// ---------------------------------------------------------------------------------------------
// helpers

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const concat = (parts: readonly Uint8Array[]): Uint8Array => concatBytes(...parts);

const PEER_ERROR_CODES: readonly string[] = [ErrorCode.DECODE, ErrorCode.UNEXPECTED_MESSAGE, ErrorCode.ILLEGAL_PARAMETER];
const ALERT_FOR_CODE: Record<string, number> = {
  [ErrorCode.DECODE]: AlertDescription.decode_error,
  [ErrorCode.UNEXPECTED_MESSAGE]: AlertDescription.unexpected_message,
  [ErrorCode.ILLEGAL_PARAMETER]: AlertDescription.illegal_parameter,
};

/** Runs fn; if it throws, the error must be a peer-input TlsError with the matching alert. */
function onlyTlsErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof TlsError)) throw new Error(`non-TlsError thrown: ${String(err)}`);
    expect(PEER_ERROR_CODES).to.include(err.code);
    expect(err.alert).to.equal(ALERT_FOR_CODE[err.code]);
  }
}

/** fn must throw a TlsError with `code`. */
function expectTlsError(fn: () => unknown, code: string): TlsError {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof TlsError)) throw new Error(`non-TlsError thrown: ${String(err)}`);
    expect(err.code, err.message).to.equal(code);
    return err;
  }
  throw new Error(`expected ${code}, nothing thrown`);
}

// ---------------------------------------------------------------------------------------------
// arbitraries: valid messages

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });

const extensionsArb: fc.Arbitrary<Extension[]> = fc.uniqueArray(
  fc.record({ type: u16, data: bytes(0, 40) }),
  { selector: (e) => e.type, maxLength: 6 },
);

const clientHelloArb = (dtls: boolean): fc.Arbitrary<ClientHello> =>
  fc
    .record({
      version: u16,
      random: bytes(32, 32),
      sessionId: bytes(0, 32),
      cookie: bytes(0, 255),
      cipherSuites: fc.array(u16, { minLength: 1, maxLength: 40 }),
      compressionMethods: fc.array(u8, { minLength: 1, maxLength: 4 }),
      extensions: extensionsArb,
    })
    .map(({ cookie, ...r }) => {
      const m: ClientHello = { type: 'client_hello', ...r };
      if (dtls) m.cookie = cookie;
      return m;
    });

const serverHelloArb: fc.Arbitrary<ServerHello> = fc
  .record({ version: u16, random: bytes(32, 32), sessionId: bytes(0, 32), cipherSuite: u16, compressionMethod: u8, extensions: extensionsArb })
  .map((r) => ({ type: 'server_hello', ...r }));

const helloVerifyRequestArb: fc.Arbitrary<HelloVerifyRequest> = fc
  .record({ version: u16, cookie: bytes(0, 255) })
  .map((r) => ({ type: 'hello_verify_request', ...r }));

const newSessionTicketArb: fc.Arbitrary<NewSessionTicket> = fc
  .record({ lifetimeHint: u32, ticket: bytes(0, 300) })
  .map((r) => ({ type: 'new_session_ticket', ...r }));

const certificateArb: fc.Arbitrary<CertificateMsg> = fc
  .array(bytes(1, 300), { maxLength: 4 })
  .map((certificates) => ({ type: 'certificate', certificates }));

const serverKeyExchangeArb: fc.Arbitrary<ServerKeyExchange> = fc
  .record({ group: u16, publicKey: bytes(1, 255), scheme: u16, signature: bytes(0, 600) })
  .map((r) => ({ type: 'server_key_exchange', ...r }));

const certificateRequestArb: fc.Arbitrary<CertificateRequest> = fc
  .record({
    certificateTypes: fc.array(u8, { minLength: 1, maxLength: 5 }),
    signatureSchemes: fc.array(u16, { minLength: 1, maxLength: 20 }),
    certificateAuthorities: fc.array(bytes(1, 100), { maxLength: 4 }),
  })
  .map((r) => ({ type: 'certificate_request', ...r }));

const certificateVerifyArb: fc.Arbitrary<CertificateVerify> = fc
  .record({ scheme: u16, signature: bytes(0, 600) })
  .map((r) => ({ type: 'certificate_verify', ...r }));

const clientKeyExchangeArb: fc.Arbitrary<ClientKeyExchange> = bytes(1, 255).map((publicKey) => ({
  type: 'client_key_exchange',
  publicKey,
}));

const finishedArb: fc.Arbitrary<Finished> = bytes(0, 40).map((verifyData) => ({ type: 'finished', verifyData }));

/** One arbitrary per message type, for the given mode. */
function messageArbs(dtls: boolean): Record<HandshakeMessage['type'], fc.Arbitrary<HandshakeMessage> | undefined> {
  return {
    hello_request: fc.constant({ type: 'hello_request' }),
    client_hello: clientHelloArb(dtls),
    server_hello: serverHelloArb,
    // RFC 6347 §4.2.1: exists only in DTLS.
    hello_verify_request: dtls ? helloVerifyRequestArb : undefined,
    new_session_ticket: newSessionTicketArb,
    certificate: certificateArb,
    server_key_exchange: serverKeyExchangeArb,
    certificate_request: certificateRequestArb,
    server_hello_done: fc.constant({ type: 'server_hello_done' }),
    certificate_verify: certificateVerifyArb,
    client_key_exchange: clientKeyExchangeArb,
    finished: finishedArb,
    certificate_status: bytes(1, 700).map((response) => ({ type: 'certificate_status' as const, response })),
  };
}

const anyMessageArb = (dtls: boolean): fc.Arbitrary<HandshakeMessage> =>
  fc.oneof(...Object.values(messageArbs(dtls)).filter((a): a is fc.Arbitrary<HandshakeMessage> => a !== undefined));

/** Byte offset at which a hello's extensions block starts (or undefined if it has none). */
function extensionsBlockStart(m: HandshakeMessage, body: Uint8Array): number | undefined {
  if ((m.type !== 'client_hello' && m.type !== 'server_hello') || m.extensions.length === 0) return undefined;
  return body.length - 2 - m.extensions.reduce((n, e) => n + 4 + e.data.length, 0);
}

// ---------------------------------------------------------------------------------------------
// known bytes: ClientHellos captured from `openssl s_client` (OpenSSL 3.0.19), record header
// stripped, handshake header kept.

/** `openssl s_client -tls1_2 -servername example.com -alpn h2,http/1.1` */
const OPENSSL_TLS_CLIENT_HELLO =
  '010000d90303d12b63e70ab91f9c40914f63469f12f9af40baece61ca32852a6374366c7368b000038c02cc030009f' +
  'cca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c0035' +
  '002f00ff0100007800000010000e00000b6578616d706c652e636f6d000b000403000102000a000c000a001d0017' +
  '001e00190018002300000010000e000c02683208687474702f312e310016000000170000000d002a002804030503' +
  '0603080708080809080a080b080408050806040105010601030303010302040205020602';

/** `openssl s_client -dtls1_2` (first flight, empty cookie); 12-byte DTLS handshake header. */
const OPENSSL_DTLS_CLIENT_HELLO =
  '010000b400000000000000b4fefd45f26727dcf17380f69177553357227cadddf6a5d6bfe550843c6f3f182a76a5' +
  '00000038c02cc030009fcca9cca8ccaac02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033' +
  '009d009c003d003c0035002f00ff01000052000b000403000102000a000c000a001d0017001e0019001800230000' +
  '0016000000170000000d002a0028040305030603080708080809080a080b0804080508060401050106010303030103' +
  '02040205020602';

const OPENSSL_SUITES = [
  0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027,
  0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x00ff,
];
const OPENSSL_SIGALGS = [
  0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
  0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602,
];

// ---------------------------------------------------------------------------------------------

describe('codec', () => {
  describe('ByteReader / ByteWriter (RFC 5246 §4)', () => {
    type Op =
      | { k: 'u8' | 'u16' | 'u24' | 'u32' | 'u48'; v: number }
      | { k: 'bytes' | 'vec8' | 'vec16' | 'vec24'; v: Uint8Array };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      u8.map((v): Op => ({ k: 'u8', v })),
      u16.map((v): Op => ({ k: 'u16', v })),
      fc.integer({ min: 0, max: 0xffffff }).map((v): Op => ({ k: 'u24', v })),
      u32.map((v): Op => ({ k: 'u32', v })),
      fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((v): Op => ({ k: 'u48', v })),
      bytes(0, 40).map((v): Op => ({ k: 'bytes', v })),
      bytes(0, 255).map((v): Op => ({ k: 'vec8', v })),
      bytes(0, 300).map((v): Op => ({ k: 'vec16', v })),
      bytes(0, 300).map((v): Op => ({ k: 'vec24', v })),
    );

    it('round-trips any sequence of fields, growing from a tiny buffer', () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 30 }), fc.integer({ min: 0, max: 8 }), (ops, cap) => {
          const w = new ByteWriter(cap);
          for (const op of ops) {
            switch (op.k) {
              case 'u8': w.u8(op.v); break;
              case 'u16': w.u16(op.v); break;
              case 'u24': w.u24(op.v); break;
              case 'u32': w.u32(op.v); break;
              case 'u48': w.u48(op.v); break;
              case 'bytes': w.bytes(op.v); break;
              case 'vec8': w.vec8((x) => x.bytes(op.v)); break;
              case 'vec16': w.opaque16(op.v); break;
              case 'vec24': w.startVec(3).bytes(op.v).endVec(); break;
            }
          }
          const out = w.finish();
          const r = new ByteReader(out);
          for (const op of ops) {
            switch (op.k) {
              case 'u8': expect(r.u8()).to.equal(op.v); break;
              case 'u16': expect(r.u16()).to.equal(op.v); break;
              case 'u24': expect(r.u24()).to.equal(op.v); break;
              case 'u32': expect(r.u32()).to.equal(op.v); break;
              case 'u48': expect(r.u48()).to.equal(op.v); break;
              case 'bytes': expect(r.bytes(op.v.length)).to.deep.equal(op.v); break;
              case 'vec8': expect(r.vec8()).to.deep.equal(op.v); break;
              case 'vec16': expect(r.vec16()).to.deep.equal(op.v); break;
              case 'vec24': expect(r.vec24()).to.deep.equal(op.v); break;
            }
          }
          expect(r.remaining).to.equal(0);
          r.expectEnd();
        }),
      );
    });

    it('writes big-endian with nested length prefixes', () => {
      const w = new ByteWriter(1);
      w.u8(1).vec16((a) => a.u16(0x0203).vec8((b) => b.u24(0x040506))).u48(0x0708090a0b0c).u32(0xfffffffe);
      expect(toHex(w.finish())).to.equal('01' + '0006' + '0203' + '03' + '040506' + '0708090a0b0c' + 'fffffffe');
    });

    it('finish() detaches: later writes never alter a returned array', () => {
      const w = new ByteWriter(64);
      const a = w.u16(0x1234).finish();
      const b = w.u16(0xabcd).finish();
      expect(toHex(a)).to.equal('1234');
      expect(toHex(b)).to.equal('abcd');
    });

    it('reads views (no copy) and honours offset/end', () => {
      const buf = hex('ff0203aabbccff');
      const r = new ByteReader(buf, 1, 6);
      expect(r.offset).to.equal(1);
      const v = r.vec8();
      expect(toHex(v)).to.equal('03aa');
      expect(v.buffer).to.equal(buf.buffer);
      expect(r.remaining).to.equal(2);
      expectTlsError(() => r.expectEnd(), ErrorCode.DECODE);
      expect(toHex(r.rest())).to.equal('bbcc');
      r.expectEnd();
      expectTlsError(() => r.u8(), ErrorCode.DECODE);
    });

    it('throws decode_error on every overrun and on out-of-bounds vector lengths', () => {
      const e = expectTlsError(() => new ByteReader(hex('00')).u16('thing'), ErrorCode.DECODE);
      expect(e.alertName).to.equal('decode_error');
      expect(e.message).to.contain('thing');
      expectTlsError(() => new ByteReader(hex('0000')).u24(), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('000000')).u32(), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('0000000000')).u48(), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('0201')).vec8(), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('000301')).vec16(), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('00000301')).vec24(), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('00')).vec8('x', 1), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('020102')).vec8('x', 0, 1), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('0003010203')).vec16OfU16(), ErrorCode.DECODE);
      expectTlsError(() => new ByteReader(hex('0102')).bytes(3), ErrorCode.DECODE);
      expect(new ByteReader(hex('0004010203ff')).vec16OfU16()).to.deep.equal([0x0102, 0x03ff]);
    });

    it('refuses to encode values that do not fit (internal_error)', () => {
      const w = new ByteWriter();
      expectTlsError(() => w.u8(256), ErrorCode.INTERNAL);
      expectTlsError(() => w.u8(-1), ErrorCode.INTERNAL);
      expectTlsError(() => w.u16(1.5), ErrorCode.INTERNAL);
      expectTlsError(() => w.u24(0x1000000), ErrorCode.INTERNAL);
      expectTlsError(() => w.u32(2 ** 32), ErrorCode.INTERNAL);
      expectTlsError(() => w.u48(2 ** 48), ErrorCode.INTERNAL);
      expectTlsError(() => w.opaque8(new Uint8Array(256)), ErrorCode.INTERNAL);
      expectTlsError(() => new ByteWriter().vec8((x) => x.bytes(new Uint8Array(256))), ErrorCode.INTERNAL);
      expectTlsError(() => new ByteWriter().startVec(2).finish(), ErrorCode.INTERNAL);
      expectTlsError(() => new ByteWriter().endVec(), ErrorCode.INTERNAL);
    });
  });

  /** decodeBody, except that key-exchange bodies (opaque to decodeBody) are read in their
   *  ECDHE form, the form the arbitraries make. */
  const decodeAs = (code: number, body: Uint8Array, dtls: boolean): unknown =>
    code === HandshakeType.server_key_exchange ? decodeServerKeyExchangeFor('ECDHE', body)
      : code === HandshakeType.client_key_exchange ? decodeClientKeyExchangeFor('ECDHE', body)
        : decodeBody(code, body, dtls);

  for (const dtls of [false, true]) {
    const mode = dtls ? 'DTLS' : 'TLS';
    describe(`handshake bodies, ${mode} mode`, () => {
      it('key-exchange bodies stay opaque until the suite is known (the handshake decodes them)', () => {
        const ske = encodeBody({ type: 'server_key_exchange', group: 29, publicKey: new Uint8Array(32).fill(1), scheme: 0x0403, signature: hex('abcd') }, dtls);
        expect(decodeBody(HandshakeType.server_key_exchange, ske, dtls)).to.deep.equal({ type: 'server_key_exchange', body: ske });
        expect(decodeBody(HandshakeType.client_key_exchange, hex('0104'), dtls)).to.deep.equal({ type: 'client_key_exchange', body: hex('0104') });
      });

      for (const [name, arb] of Object.entries(messageArbs(dtls))) {
        if (arb === undefined) continue;
        const code = HandshakeType[name as HandshakeMessage['type']];
        it(`${name}: encode → decode round-trips`, () => {
          fc.assert(
            fc.property(arb, (m) => {
              const body = encodeBody(m, dtls);
              expect(decodeAs(code, body, dtls)).to.deep.equal(m);
            }),
          );
        });

        // Finished: verify_data is the whole body, any length decodes (the handshake checks it).
        if (name === 'finished') continue;

        it(`${name}: every truncation throws decode_error (or drops only the optional extensions block)`, () => {
          fc.assert(
            fc.property(arb, (m) => {
              const body = encodeBody(m, dtls);
              const extStart = extensionsBlockStart(m, body);
              for (let len = 0; len < body.length; len++) {
                const cut = body.subarray(0, len);
                if (len === extStart) {
                  const d = decodeAs(code, cut, dtls);
                  expect(d).to.deep.equal({ ...m, extensions: [] });
                } else {
                  expectTlsError(() => decodeAs(code, cut, dtls), ErrorCode.DECODE);
                }
              }
            }),
            { numRuns: 30 },
          );
        });

        it(`${name}: trailing bytes → decode_error`, () => {
          fc.assert(
            fc.property(arb, bytes(1, 4), (m, extra) => {
              // (an empty extensions block "0000" after a hello without extensions is valid)
              if (extensionsBlockStart(m, encodeBody(m, dtls)) === undefined && toHex(extra) === '0000') {
                if (m.type === 'client_hello' || m.type === 'server_hello') return;
              }
              const body = concat([encodeBody(m, dtls), extra]);
              // A hello without extensions followed by junk reads the junk as a broken
              // extensions block: still a decode_error.
              expectTlsError(() => decodeAs(code, body, dtls), ErrorCode.DECODE);
            }),
            { numRuns: 50 },
          );
        });
      }

      it('hostile bodies for every type throw only peer-input TlsErrors', () => {
        fc.assert(
          fc.property(u8, fc.uint8Array({ maxLength: 300 }), (type, body) => {
            onlyTlsErrors(() => decodeBody(type, body, dtls));
          }),
          { numRuns: 3000 },
        );
      });

      it('mutated valid bodies throw only peer-input TlsErrors', () => {
        fc.assert(
          fc.property(
            anyMessageArb(dtls),
            fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 4 }),
            (m, flips) => {
              const body = encodeBody(m, dtls).slice();
              if (body.length === 0) return;
              for (const [at, v] of flips) body[at % body.length] = v;
              onlyTlsErrors(() => decodeBody(HandshakeType[m.type], body, dtls));
            },
          ),
          { numRuns: 2000 },
        );
      });
    });
  }

  describe('handshake bodies: RFC bounds and error kinds', () => {
    const baseHello = (): ClientHello => ({
      type: 'client_hello',
      version: 0x0303,
      random: new Uint8Array(32).fill(7),
      sessionId: new Uint8Array(0),
      cipherSuites: [0xc02b],
      compressionMethods: [0],
      extensions: [],
    });

    it('ClientHello without extensions has no extensions block; an empty block decodes to []', () => {
      const body = encodeBody(baseHello(), false);
      expect(body.length).to.equal(2 + 32 + 1 + 2 + 2 + 1 + 1);
      const withEmptyBlock = concat([body, hex('0000')]);
      expect(decodeBody(HandshakeType.client_hello, withEmptyBlock, false)).to.deep.equal(baseHello());
    });

    it('ClientHello: empty or odd cipher_suites, empty compression_methods, session_id > 32 → decode_error', () => {
      const head = toHex(new Uint8Array(32).fill(7));
      const ch = (rest: string) => hex('0303' + head + rest);
      expectTlsError(() => decodeBody(1, ch('00' + '0000' + '0100'), false), ErrorCode.DECODE);
      expectTlsError(() => decodeBody(1, ch('00' + '0003c02b00' + '0100'), false), ErrorCode.DECODE);
      expectTlsError(() => decodeBody(1, ch('00' + '0002c02b' + '00'), false), ErrorCode.DECODE);
      expectTlsError(() => decodeBody(1, ch('21' + '00'.repeat(33) + '0002c02b' + '0100'), false), ErrorCode.DECODE);
      expect(decodeBody(1, ch('00' + '0002c02b' + '0100'), false)).to.deep.equal(baseHello());
    });

    it('duplicate extension types in a hello → decode_error (RFC 5246 §7.4.1.4)', () => {
      const dup: Extension[] = [
        { type: 23, data: new Uint8Array(0) },
        { type: 23, data: new Uint8Array(0) },
      ];
      const ch = encodeBody({ ...baseHello(), extensions: dup }, false);
      expectTlsError(() => decodeBody(HandshakeType.client_hello, ch, false), ErrorCode.DECODE);
      const sh: ServerHello = {
        type: 'server_hello', version: 0x0303, random: new Uint8Array(32), sessionId: new Uint8Array(0),
        cipherSuite: 0xc02f, compressionMethod: 0, extensions: dup,
      };
      expectTlsError(() => decodeBody(HandshakeType.server_hello, encodeBody(sh, false), false), ErrorCode.DECODE);
    });

    it('DTLS ClientHello carries the cookie after session_id (RFC 6347 §4.2.1)', () => {
      const m: ClientHello = { ...baseHello(), version: 0xfefd, cookie: hex('a1a2a3') };
      const body = encodeBody(m, true);
      expect(toHex(body.subarray(34, 39))).to.equal('0003a1a2a3');
      // In DTLS mode a missing cookie encodes as an empty one.
      const noCookie = decodeBody(1, encodeBody({ ...m, cookie: undefined }, true), true) as ClientHello;
      expect(noCookie.cookie).to.deep.equal(new Uint8Array(0));
      // A TLS ClientHello must not carry one.
      expectTlsError(() => encodeBody(m, false), ErrorCode.INTERNAL);
    });

    it('unknown handshake types → unexpected_message; hello_verify_request only in DTLS', () => {
      for (const t of [5, 6, 7, 8, 9, 10, 17, 21, 23, 24, 254, 255]) {
        const e = expectTlsError(() => decodeBody(t, new Uint8Array(0), false), ErrorCode.UNEXPECTED_MESSAGE);
        expect(e.alertName).to.equal('unexpected_message');
      }
      // certificate_status (22, RFC 6066 §8) is known: an empty or non-OCSP body is a decode error.
      for (const body of ['', '02000001ff', '01000000', '0100000201']) {
        expectTlsError(() => decodeBody(HandshakeType.certificate_status, hex(body), false), ErrorCode.DECODE);
      }
      expect(decodeBody(HandshakeType.certificate_status, hex('0100000130'), false)).to.deep.include({ type: 'certificate_status' });
      const hvr = encodeBody({ type: 'hello_verify_request', version: 0xfefd, cookie: hex('0102') }, true);
      expect(toHex(hvr)).to.equal('fefd' + '020102');
      expectTlsError(() => decodeBody(HandshakeType.hello_verify_request, hvr, false), ErrorCode.UNEXPECTED_MESSAGE);
      expectTlsError(
        () => encodeBody({ type: 'hello_verify_request', version: 0xfefd, cookie: hex('0102') }, false),
        ErrorCode.INTERNAL,
      );
    });

    it('HelloRequest / ServerHelloDone must be empty', () => {
      expectTlsError(() => decodeBody(HandshakeType.hello_request, hex('00'), false), ErrorCode.DECODE);
      expectTlsError(() => decodeBody(HandshakeType.server_hello_done, hex('00'), true), ErrorCode.DECODE);
    });

    it('Certificate: empty list is fine, an empty ASN.1Cert is not', () => {
      expect(decodeBody(HandshakeType.certificate, hex('000000'), false)).to.deep.equal({ type: 'certificate', certificates: [] });
      expectTlsError(() => decodeBody(HandshakeType.certificate, hex('000003000000'), false), ErrorCode.DECODE);
    });

    it('CertificateRequest: bounds on certificate_types, signature algorithms, DNs', () => {
      expectTlsError(() => decodeBody(13, hex('00' + '00020401' + '0000'), false), ErrorCode.DECODE);
      expectTlsError(() => decodeBody(13, hex('0101' + '0000' + '0000'), false), ErrorCode.DECODE);
      expectTlsError(() => decodeBody(13, hex('0101' + '00020401' + '00020000'), false), ErrorCode.DECODE);
      expect(decodeBody(13, hex('020140' + '00020401' + '0000'), false)).to.deep.equal({
        type: 'certificate_request', certificateTypes: [1, 64], signatureSchemes: [0x0401], certificateAuthorities: [],
      });
    });

    it('ServerKeyExchange: named_curve form and encodeEcdheParams (RFC 8422 §5.4)', () => {
      const ske: ServerKeyExchange = {
        type: 'server_key_exchange', group: 29, publicKey: new Uint8Array(32).fill(9), scheme: 0x0804, signature: hex('abcd'),
      };
      const body = encodeBody(ske, false);
      const params = encodeEcdheParams(29, ske.publicKey);
      expect(toHex(params.subarray(0, 4))).to.equal('03001d20');
      expect(toHex(body)).to.equal(toHex(params) + '0804' + '0002abcd');
      // explicit_prime (1) curve type → illegal_parameter
      const explicit = body.slice();
      explicit[0] = 1;
      const e = expectTlsError(() => decodeServerKeyExchangeFor('ECDHE', explicit), ErrorCode.ILLEGAL_PARAMETER);
      expect(e.alertName).to.equal('illegal_parameter');
      // empty point → decode_error
      expectTlsError(() => decodeServerKeyExchangeFor('ECDHE', hex('03001d00' + '0804' + '0000')), ErrorCode.DECODE);
    });

    it('ClientKeyExchange: empty point → decode_error (RFC 8422 §5.7)', () => {
      expectTlsError(() => decodeClientKeyExchangeFor('ECDHE', hex('00')), ErrorCode.DECODE);
      expect(decodeClientKeyExchangeFor('ECDHE', hex('0104'))).to.deep.equal({ type: 'client_key_exchange', publicKey: hex('04') });
    });

    it('Finished: the body is verify_data as is', () => {
      expect(decodeBody(20, hex('0102'), false)).to.deep.equal({ type: 'finished', verifyData: hex('0102') });
    });

    it('encodeHandshake prefixes msg_type and uint24 length (RFC 5246 §7.4)', () => {
      const fin = encodeHandshake({ type: 'finished', verifyData: new Uint8Array(12).fill(1) });
      expect(toHex(fin.subarray(0, 4))).to.equal('1400000c');
      expect(fin.length).to.equal(16);
      expect(toHex(encodeHandshake({ type: 'server_hello_done' }, false))).to.equal('0e000000');
    });
  });

  describe('DTLS handshake header (RFC 6347 §4.2.2)', () => {
    it('round-trips', () => {
      fc.assert(
        fc.property(u8, fc.integer({ min: 0, max: 0xffffff }), u16, fc.nat(), fc.nat(), (type, length, seq, a, b) => {
          const off = length === 0 ? 0 : a % (length + 1);
          const flen = (length - off) === 0 ? 0 : b % (length - off + 1);
          const h = encodeDtlsHandshakeHeader(type, length, seq, off, flen);
          expect(h.length).to.equal(DTLS_HANDSHAKE_HEADER_LENGTH);
          const r = new ByteReader(h);
          expect(parseDtlsHandshakeHeader(r)).to.deep.equal({
            type, length, messageSeq: seq, fragmentOffset: off, fragmentLength: flen,
          });
          expect(r.remaining).to.equal(0);
        }),
      );
    });

    it('layout and fragment bounds', () => {
      expect(toHex(encodeDtlsHandshakeHeader(1, 0x0100, 2, 0x10, 0x20))).to.equal('01000100000200001000' + '0020');
      expectTlsError(() => parseDtlsHandshakeHeader(new ByteReader(hex('010000100000000008000009'))), ErrorCode.DECODE);
      expectTlsError(() => parseDtlsHandshakeHeader(new ByteReader(hex('0100001000000000'))), ErrorCode.DECODE);
      expectTlsError(() => encodeDtlsHandshakeHeader(1, 16, 0, 8, 9), ErrorCode.INTERNAL);
    });
  });

  describe('extensions', () => {
    const hostArb = fc.string({
      unit: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 255,
    });
    const alpnNameArb = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      .filter((s) => new TextEncoder().encode(s).length <= 255);

    it('server_name round-trips (RFC 6066 §3)', () => {
      fc.assert(fc.property(hostArb, (h) => {
        expect(decodeServerName(encodeServerName(h))).to.equal(h);
      }));
      expect(toHex(encodeServerName('a.b'))).to.equal('0006' + '00' + '0003' + '612e62');
    });

    it('server_name: empty body (the ServerHello form) → decode_error, other name types skipped, bad lists rejected', () => {
      // RFC 6066 §3: the empty form is the ServerHello's acknowledgement, never a ClientHello's.
      expectTlsError(() => decodeServerName(new Uint8Array(0)), ErrorCode.DECODE);
      expect(decodeServerName(hex('0004' + '0100016b'))).to.equal(undefined);
      expect(decodeServerName(hex('0008' + '0100016b' + '00000161'))).to.equal('a');
      expectTlsError(() => decodeServerName(hex('0000')), ErrorCode.DECODE);
      expectTlsError(() => decodeServerName(hex('0003000000')), ErrorCode.DECODE);
      expectTlsError(() => decodeServerName(hex('0005000003612e')), ErrorCode.DECODE);
      expectTlsError(() => decodeServerName(hex('0008' + '00000161' + '00000162')), ErrorCode.DECODE);
      expectTlsError(() => decodeServerName(hex('0004' + '00000100')), ErrorCode.ILLEGAL_PARAMETER);
      expectTlsError(() => encodeServerName(''), ErrorCode.INTERNAL);
      expectTlsError(() => encodeServerName('é.com'), ErrorCode.INTERNAL);
    });

    it('supported_groups round-trips (RFC 8422 §5.1.1)', () => {
      fc.assert(fc.property(fc.array(u16, { minLength: 1, maxLength: 50 }), (g) => {
        expect(decodeSupportedGroups(encodeSupportedGroups(g))).to.deep.equal(g);
      }));
      expectTlsError(() => decodeSupportedGroups(hex('0000')), ErrorCode.DECODE);
      expectTlsError(() => decodeSupportedGroups(hex('0001001d')), ErrorCode.DECODE);
    });

    it('ec_point_formats round-trips (RFC 8422 §5.1.2)', () => {
      fc.assert(fc.property(fc.array(u8, { minLength: 1, maxLength: 255 }), (f) => {
        expect(decodeEcPointFormats(encodeEcPointFormats(f))).to.deep.equal(f);
      }));
      expectTlsError(() => decodeEcPointFormats(hex('00')), ErrorCode.DECODE);
    });

    it('signature_algorithms round-trips (RFC 5246 §7.4.1.4.1)', () => {
      fc.assert(fc.property(fc.array(u16, { minLength: 1, maxLength: 50 }), (s) => {
        expect(decodeSignatureAlgorithms(encodeSignatureAlgorithms(s))).to.deep.equal(s);
      }));
      expectTlsError(() => decodeSignatureAlgorithms(hex('0000')), ErrorCode.DECODE);
      expectTlsError(() => decodeSignatureAlgorithms(hex('000304')), ErrorCode.DECODE);
    });

    it('ALPN round-trips (RFC 7301 §3.1)', () => {
      fc.assert(fc.property(fc.array(alpnNameArb, { minLength: 1, maxLength: 8 }), (p) => {
        expect(decodeAlpn(encodeAlpn(p))).to.deep.equal(p);
      }));
      expect(toHex(encodeAlpn(['h2']))).to.equal('0003026832');
      expectTlsError(() => decodeAlpn(hex('0000')), ErrorCode.DECODE);
      expectTlsError(() => decodeAlpn(hex('000100')), ErrorCode.DECODE);
      expectTlsError(() => decodeAlpn(hex('0004026832' + '00')), ErrorCode.DECODE);
      expectTlsError(() => encodeAlpn(['']), ErrorCode.INTERNAL);
      expectTlsError(() => encodeAlpn([]), ErrorCode.INTERNAL);
    });

    it('extended_master_secret is empty (RFC 7627 §5.1)', () => {
      expect(encodeExtendedMasterSecret().length).to.equal(0);
      decodeExtendedMasterSecret(encodeExtendedMasterSecret());
      expectTlsError(() => decodeExtendedMasterSecret(hex('00')), ErrorCode.DECODE);
    });

    it('renegotiation_info round-trips (RFC 5746 §3.2)', () => {
      fc.assert(fc.property(bytes(0, 255), (v) => {
        expect(decodeRenegotiationInfo(encodeRenegotiationInfo(v))).to.deep.equal(v);
      }));
      expect(toHex(encodeRenegotiationInfo(new Uint8Array(0)))).to.equal('00');
      expectTlsError(() => decodeRenegotiationInfo(new Uint8Array(0)), ErrorCode.DECODE);
      expectTlsError(() => decodeRenegotiationInfo(hex('0001')), ErrorCode.DECODE);
      expectTlsError(() => decodeRenegotiationInfo(hex('0000')), ErrorCode.DECODE);
      expectTlsError(() => encodeRenegotiationInfo(new Uint8Array(256)), ErrorCode.INTERNAL);
    });

    it('session_ticket round-trips (RFC 5077 §3.2)', () => {
      fc.assert(fc.property(bytes(0, 300), (t) => {
        expect(decodeSessionTicket(encodeSessionTicket(t))).to.deep.equal(t);
      }));
    });

    it('findExtension returns the first of a type', () => {
      const exts: Extension[] = [{ type: 1, data: hex('01') }, { type: 2, data: hex('02') }];
      expect(findExtension(exts, 2)).to.equal(exts[1]);
      expect(findExtension(exts, 3)).to.equal(undefined);
    });

    it('hostile extension bodies throw only peer-input TlsErrors', () => {
      const decoders: ((d: Uint8Array) => unknown)[] = [
        decodeServerName, decodeSupportedGroups, decodeEcPointFormats, decodeSignatureAlgorithms, decodeAlpn,
        decodeExtendedMasterSecret, decodeRenegotiationInfo, decodeSessionTicket,
      ];
      fc.assert(
        fc.property(fc.constantFrom(...decoders), fc.uint8Array({ maxLength: 80 }), (decode, data) => {
          onlyTlsErrors(() => decode(data));
        }),
        { numRuns: 3000 },
      );
      // Structured-ish input reaches deeper: a valid outer length with random contents.
      fc.assert(
        fc.property(fc.constantFrom(...decoders), fc.uint8Array({ maxLength: 60 }), (decode, inner) => {
          onlyTlsErrors(() => decode(concat([hex(inner.length.toString(16).padStart(4, '0')), inner])));
        }),
        { numRuns: 2000 },
      );
    });

    it('truncated extension bodies throw decode_error', () => {
      const cases: [Uint8Array, (d: Uint8Array) => unknown][] = [
        [encodeServerName('example.com'), decodeServerName],
        [encodeSupportedGroups([29, 23]), decodeSupportedGroups],
        [encodeEcPointFormats([0]), decodeEcPointFormats],
        [encodeSignatureAlgorithms([0x0403, 0x0804]), decodeSignatureAlgorithms],
        [encodeAlpn(['h2', 'http/1.1']), decodeAlpn],
        [encodeRenegotiationInfo(new Uint8Array(12)), decodeRenegotiationInfo],
      ];
      for (const [enc, decode] of cases) {
        // (server_name's empty body is the valid server acknowledgement)
        for (let len = decode === decodeServerName ? 1 : 0; len < enc.length; len++) {
          expectTlsError(() => decode(enc.subarray(0, len)), ErrorCode.DECODE);
        }
      }
    });
  });

  describe('HandshakeReassembler (RFC 5246 §6.2.1)', () => {
    const tlsMessages = fc.array(anyMessageArb(false), { minLength: 1, maxLength: 8 });

    it('random fragmentation of a random message sequence gives back the same messages and raw bytes', () => {
      fc.assert(
        fc.property(tlsMessages, fc.array(fc.nat(), { maxLength: 20 }), (msgs, cutSeeds) => {
          const raws = msgs.map((m) => encodeHandshake(m));
          const stream = concat(raws);
          const cuts = [...new Set(cutSeeds.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const boundaries = new Set<number>([0]);
          let end = 0;
          for (const x of raws) boundaries.add((end += x.length));
          const r = new HandshakeReassembler();
          const got: RawHandshakeMessage[] = [];
          let prev = 0;
          for (const cut of [...cuts, stream.length]) {
            got.push(...r.push(stream.subarray(prev, cut)));
            // hasPartial ⇔ the bytes consumed so far end inside a message
            expect(r.hasPartial).to.equal(!boundaries.has(cut));
            prev = cut;
          }
          expect(r.hasPartial).to.equal(false);
          expect(got.length).to.equal(msgs.length);
          got.forEach((g, i) => {
            expect(g.raw).to.deep.equal(raws[i]);
            expect(g.type).to.equal(HandshakeType[msgs[i]!.type]);
            expect(g.body).to.deep.equal(raws[i]!.subarray(4));
            expect(decodeAs(g.type, g.body, false)).to.deep.equal(msgs[i]);
          });
        }),
        { numRuns: 300 },
      );
    });

    it('results do not alias the pushed fragments', () => {
      const raw = encodeHandshake({ type: 'finished', verifyData: new Uint8Array(12).fill(5) });
      const frag = raw.slice();
      const [m] = new HandshakeReassembler().push(frag);
      frag.fill(0);
      expect(m!.raw).to.deep.equal(raw);
    });

    it('a 200 KiB Certificate over 16 KiB records, byte-at-a-time header, empty fragments', () => {
      const cert: CertificateMsg = { type: 'certificate', certificates: [new Uint8Array(200 * 1024).fill(0x30), hex('3003')] };
      const raw = encodeHandshake(cert);
      const r = new HandshakeReassembler({ maxCertificateList: 256 * 1024 });
      const got: RawHandshakeMessage[] = [];
      got.push(...r.push(new Uint8Array(0)));
      got.push(...r.push(raw.subarray(0, 1)));
      got.push(...r.push(raw.subarray(1, 2)));
      expect(r.hasPartial).to.equal(true);
      for (let o = 2; o < raw.length; o += 16384) got.push(...r.push(raw.subarray(o, Math.min(raw.length, o + 16384))));
      expect(got.length).to.equal(1);
      expect(got[0]!.raw).to.deep.equal(raw);
      expect(decodeBody(got[0]!.type, got[0]!.body, false)).to.deep.equal(cert);
    });

    it('caps message length at the header per type (OpenSSL limits): illegal_parameter', () => {
      const header = (type: number, len: number) => hex(type.toString(16).padStart(2, '0') + len.toString(16).padStart(6, '0'));
      const cases: [number, number][] = [[1, 131_396], [11, 100 * 1024], [12, 102_400], [16, 2048], [20, 64], [14, 0], [2, 20_000]];
      for (const [type, max] of cases) {
        const ok = new HandshakeReassembler();
        expect(ok.push(header(type, max)).length).to.equal(max === 0 ? 1 : 0);
        const e = expectTlsError(() => new HandshakeReassembler().push(header(type, max + 1)), 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE');
        expect(e.alertName).to.equal('illegal_parameter');
      }
      expectTlsError(() => new HandshakeReassembler({ maxCertificateList: 1000 }).push(header(11, 1001)), 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE');
      // the header may arrive split; the check fires once it is complete
      const r = new HandshakeReassembler();
      r.push(header(2, 0xffffff).subarray(0, 3));
      expectTlsError(() => r.push(header(2, 0xffffff).subarray(3)), 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE');
    });

    it('checks the type before the length: unknown types, and what this side never receives, get unexpected_message', () => {
      const header = (type: number, len: number) => hex(type.toString(16).padStart(2, '0') + len.toString(16).padStart(6, '0'));
      for (const t of [5, 17, 21, 23, 255]) {
        expect(expectTlsError(() => new HandshakeReassembler().push(header(t, 10)), ErrorCode.UNEXPECTED_MESSAGE).alertName).to.equal('unexpected_message');
      }
      // a server receives no ServerHello (even an oversized one: the type is checked first) ...
      expectTlsError(() => new HandshakeReassembler({ role: 'server' }).push(header(2, 0xffffff)), ErrorCode.UNEXPECTED_MESSAGE);
      // ... and its first message is the ClientHello: a Certificate claiming 100 KiB is refused at once
      expectTlsError(() => new HandshakeReassembler({ role: 'server' }).push(header(11, 100 * 1024)), ErrorCode.UNEXPECTED_MESSAGE);
      expectTlsError(() => new HandshakeReassembler({ role: 'client' }).push(header(1, 100)), ErrorCode.UNEXPECTED_MESSAGE);
      expectTlsError(() => new HandshakeReassembler({ role: 'client' }).push(header(3, 10)), ErrorCode.UNEXPECTED_MESSAGE); // DTLS only
      expect(new HandshakeReassembler({ role: 'client', dtls: true }).push(header(3, 10)).length).to.equal(0);
    });

    it('holds what arrived, not what a header claims', () => {
      const r = new HandshakeReassembler({ role: 'server' });
      r.push(hex('01020000')); // ClientHello declaring 128 KiB
      expect(r.bufferedBytes).to.equal(4);
      for (let i = 0; i < 100; i++) r.push(new Uint8Array(1));
      expect(r.bufferedBytes).to.equal(104);
      expect(r.hasPartial).to.equal(true);
    });

    it('many fragments of one big message: linear work (bytes copied, not time)', () => {
      const raw = encodeHandshake({ type: 'certificate', certificates: [new Uint8Array(250 * 1024)] });
      const r = new HandshakeReassembler({ maxCertificateList: 256 * 1024 });
      // Count the bytes copied by TypedArray#set while the pieces arrive: re-joining what is
      // held on every fragment (quadratic) would copy ~4.7 GB here; linear work copies a few
      // times the message.
      const realSet = Uint8Array.prototype.set;
      let copied = 0;
      Uint8Array.prototype.set = function (this: Uint8Array, src: ArrayLike<number>, offset?: number) {
        copied += src.length;
        return realSet.call(this, src, offset);
      } as typeof realSet;
      let n = 0;
      try {
        for (let o = 0; o < raw.length; o += 7) n += r.push(raw.subarray(o, o + 7)).length;
      } finally {
        Uint8Array.prototype.set = realSet;
      }
      expect(n).to.equal(1);
      expect(copied, "the body is assembled by set()").to.be.greaterThan(raw.length / 2);
      expect(copied).to.be.lessThan(4 * raw.length);
    });
  });

  describe('known bytes: ClientHello from openssl s_client', () => {
    it('TLS 1.2 ClientHello decodes and re-encodes byte for byte', () => {
      const raw = hex(OPENSSL_TLS_CLIENT_HELLO);
      const [msg, ...more] = new HandshakeReassembler().push(raw);
      expect(more).to.have.length(0);
      expect(msg!.type).to.equal(HandshakeType.client_hello);
      const ch = decodeBody(msg!.type, msg!.body, false) as ClientHello;
      expect(ch.version).to.equal(0x0303);
      expect(toHex(ch.random)).to.equal('d12b63e70ab91f9c40914f63469f12f9af40baece61ca32852a6374366c7368b');
      expect(ch.sessionId.length).to.equal(0);
      expect(ch).to.not.have.property('cookie');
      expect(ch.cipherSuites).to.deep.equal(OPENSSL_SUITES);
      expect(ch.compressionMethods).to.deep.equal([0]);
      expect(ch.extensions.map((e) => e.type)).to.deep.equal([0, 11, 10, 35, 16, 22, 23, 13]);
      const ext = (t: number) => findExtension(ch.extensions, t)!.data;
      expect(decodeServerName(ext(ExtensionType.server_name))).to.equal('example.com');
      expect(decodeEcPointFormats(ext(ExtensionType.ec_point_formats))).to.deep.equal([0, 1, 2]);
      expect(decodeSupportedGroups(ext(ExtensionType.supported_groups))).to.deep.equal([29, 23, 30, 25, 24]);
      expect(decodeSessionTicket(ext(ExtensionType.session_ticket)).length).to.equal(0);
      expect(decodeAlpn(ext(ExtensionType.application_layer_protocol_negotiation))).to.deep.equal(['h2', 'http/1.1']);
      decodeExtendedMasterSecret(ext(ExtensionType.extended_master_secret));
      expect(decodeSignatureAlgorithms(ext(ExtensionType.signature_algorithms))).to.deep.equal(OPENSSL_SIGALGS);
      expect(toHex(encodeHandshake(ch))).to.equal(OPENSSL_TLS_CLIENT_HELLO);
    });

    it('DTLS 1.2 ClientHello (with its 12-byte header) decodes and re-encodes byte for byte', () => {
      const raw = hex(OPENSSL_DTLS_CLIENT_HELLO);
      const r = new ByteReader(raw);
      const h = parseDtlsHandshakeHeader(r);
      expect(h).to.deep.equal({ type: 1, length: 0xb4, messageSeq: 0, fragmentOffset: 0, fragmentLength: 0xb4 });
      const body = r.bytes(h.fragmentLength);
      r.expectEnd();
      const ch = decodeBody(h.type, body, true) as ClientHello;
      expect(ch.version).to.equal(0xfefd);
      expect(ch.cookie).to.deep.equal(new Uint8Array(0));
      expect(ch.cipherSuites).to.deep.equal(OPENSSL_SUITES);
      expect(ch.extensions.map((e) => e.type)).to.deep.equal([11, 10, 35, 22, 23, 13]);
      const reencoded = encodeBody(ch, true);
      expect(toHex(concat([encodeDtlsHandshakeHeader(1, reencoded.length, 0, 0, reencoded.length), reencoded]))).to.equal(
        OPENSSL_DTLS_CLIENT_HELLO,
      );
    });
  });
});
