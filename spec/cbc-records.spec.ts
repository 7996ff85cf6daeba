// AES-CBC record protection (RFC 5246 §6.2.3.2; RFC 7366 encrypt-then-MAC):
// - records built independently with node:crypto (createCipheriv + createHmac) equal ours, with
//   both providers, in both modes, for every CBC cipher/MAC pair;
// - the padding oracle: records with a bad padding, a bad MAC or a bad length end the connection
//   with the same alert after the same records on the wire, and opening them costs the same
//   number of hash compression blocks (counted inside noble's hash functions) whatever the
//   padding length (Lucky Thirteen);
// - a fast-check fuzz target for the CBC record open path (TlsRecordLayer.nextRecord): nothing
//   but TlsError bad_record_mac / record_overflow ever comes out;
// - encrypt_then_mac negotiation (RFC 7366 §2) and its no-downgrade rule on renegotiation (§3.1);
// - a renegotiation that moves between suite families (CCM_8 → GCM → CBC) while data flows.
import { expect } from 'chai';
import fc from 'fast-check';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256, sha384 } from '@noble/hashes/sha2.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import { keyBlock } from '../lib/crypto/prf.js';
import { ALL_CIPHER_SUITES, type CipherSuite } from '../lib/engine/cipher-suites.js';
import { ContentType } from '../lib/engine/constants.js';
import { CbcCipherState } from '../lib/engine/record/cbc-cipher-state.js';
import { TlsRecordLayer } from '../lib/engine/record/tls-record-layer.js';
import { DtlsRecordLayer } from '../lib/engine/dtls/dtls-record-layer.js';
import { ReassemblyBudget } from '../lib/engine/dtls/reassembly-budget.js';
import { encryptThenMacOffered } from '../lib/engine/handshake/extensions.js';
import { TlsError } from '../lib/errors.js';
import { EnginePair, sha256 } from './helpers/engine-pair.js';
import { seededRandom } from './helpers/deterministic-random.js';

const suiteNamed = (name: string): CipherSuite => ALL_CIPHER_SUITES.find((s) => s.opensslName === name)!;
/** One CBC suite per (cipher, MAC) pair. */
const CBC_SUITES = [...new Map(ALL_CIPHER_SUITES.filter((s) => s.cbc).map((s) => [`${s.cbc}/${s.mac}`, s])).values()];
const TLS12 = 0x0303;

function seqBytes(hi: number, lo: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(hi, 0);
  b.writeUInt32BE(lo, 4);
  return b;
}

/** RFC 5246 §6.2.3.1: seq_num + type + version + length. */
function macHeader(hi: number, lo: number, type: number, length: number): Buffer {
  return Buffer.concat([seqBytes(hi, lo), Buffer.from([type, TLS12 >> 8, TLS12 & 0xff, length >> 8, length & 0xff])]);
}

function aesCbc(suite: CipherSuite, key: Uint8Array, iv: Uint8Array, data: Buffer): Buffer {
  const c = createCipheriv(suite.cbc!.toLowerCase(), key, iv).setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Padding of RFC 5246 §6.2.3.2 after `length` bytes: padLength + 1 bytes of padLength. */
function padding(length: number, padLength?: number): Buffer {
  const p = padLength ?? (16 - ((length + 1) % 16)) % 16;
  return Buffer.alloc(p + 1, p);
}

/** The record fragment RFC 5246 §6.2.3.2 (or RFC 7366 §3) defines, from node:crypto. */
function referenceFragment(suite: CipherSuite, macKey: Uint8Array, key: Uint8Array, iv: Uint8Array,
  hi: number, lo: number, type: number, pt: Buffer, etm: boolean): Buffer {
  if (!etm) {
    const mac = createHmac(suite.mac!, macKey).update(macHeader(hi, lo, type, pt.length)).update(pt).digest();
    const body = Buffer.concat([pt, mac]);
    return Buffer.concat([iv, aesCbc(suite, key, iv, Buffer.concat([body, padding(body.length)]))]);
  }
  const ivCt = Buffer.concat([iv, aesCbc(suite, key, iv, Buffer.concat([pt, padding(pt.length)]))]);
  return Buffer.concat([ivCt, createHmac(suite.mac!, macKey).update(macHeader(hi, lo, type, ivCt.length)).update(ivCt).digest()]);
}

/** A MAC-then-encrypt fragment with a chosen padding (length and content) and MAC. */
function craftedFragment(suite: CipherSuite, macKey: Uint8Array, key: Uint8Array, hi: number, lo: number,
  pt: Buffer, o: { padLength?: number; padByte?: number; lengthByte?: number; badMac?: boolean } = {}): Buffer {
  const mac = createHmac(suite.mac!, macKey).update(macHeader(hi, lo, ContentType.application_data, pt.length)).update(pt).digest();
  if (o.badMac) mac[0]! ^= 1;
  const body = Buffer.concat([pt, mac]);
  const pad = padding(body.length, o.padLength);
  if (o.padByte !== undefined) pad[0] = o.padByte;
  if (o.lengthByte !== undefined) pad[pad.length - 1] = o.lengthByte;
  const iv = randomBytes(16);
  return Buffer.concat([iv, aesCbc(suite, key, iv, Buffer.concat([body, pad]))]);
}

function stateFor(suite: CipherSuite, provider = nobleProvider, etm = false, iv?: Uint8Array) {
  const macKey = randomBytes(suite.macLength);
  const key = randomBytes(suite.keyLength);
  const random = (n: number): Uint8Array => (iv ? iv.slice(0, n) : randomBytes(n));
  return { macKey, key, state: new CbcCipherState(provider, suite, macKey, key, random, etm) };
}

// --- counting compression blocks inside noble's hashes -----------------------------------------

/** Wrap the per-block `process` method of noble's SHA-1, SHA-256 and SHA-384/512 classes. */
function countCompressions<T>(fn: () => T): { result: T; blocks: number } {
  let blocks = 0;
  const protos = [sha1.create(), nobleSha256.create(), sha384.create()].map((h) => Object.getPrototypeOf(h) as { process: (...a: unknown[]) => void });
  const originals = protos.map((p) => p.process);
  protos.forEach((p, i) => {
    p.process = function (this: unknown, ...a: unknown[]) {
      blocks++;
      return originals[i]!.apply(this, a);
    };
  });
  try {
    return { result: fn(), blocks };
  } finally {
    protos.forEach((p, i) => (p.process = originals[i]!));
  }
}

const certs = { ec: generateCertificate({ keyType: 'ec-p256' }) };

describe('AES-CBC records (RFC 5246 §6.2.3.2, RFC 7366)', function () {
  this.timeout(60_000);

  describe('known answers: records built with node:crypto', () => {
    for (const [providerName, provider] of [['noble', nobleProvider], ['node:crypto', nodeCryptoProvider]] as const) {
      for (const suite of CBC_SUITES) {
        for (const etm of [false, true]) {
          it(`${providerName} ${suite.cbc} HMAC-${suite.mac} ${etm ? 'encrypt-then-MAC' : 'MAC-then-encrypt'}: equal fragments, opened back, every field authenticated`, () => {
            const iv = randomBytes(16);
            const { macKey, key, state } = stateFor(suite, provider, etm, iv);
            const reader = new CbcCipherState(provider, suite, macKey, key, () => new Uint8Array(16), etm);
            for (const [hi, lo] of [[0, 0], [0, 1], [0x0001_0000, 0x2a], [0xffffffff, 0xfffffffe]] as const) {
              for (const len of [0, 1, 15, 16, 31, 300, 16384]) {
                const pt = randomBytes(len);
                const out = new Uint8Array(len + state.overhead + 5);
                const n = state.sealInto(hi, lo, 23, TLS12, pt, out, 5);
                const fragment = out.subarray(5, 5 + n);
                expect(Buffer.from(fragment).equals(referenceFragment(suite, macKey, key, iv, hi, lo, 23, pt, etm)), `seq ${hi}:${lo} len ${len}`).to.equal(true);
                expect(Buffer.from(reader.open(hi, lo, 23, TLS12, fragment)!).equals(pt)).to.equal(true);
                expect(reader.open(hi, (lo + 1) >>> 0, 23, TLS12, fragment)).to.equal(null);
                expect(reader.open(hi, lo, 22, TLS12, fragment)).to.equal(null);
                expect(reader.open(hi, lo, 23, 0xfefd, fragment)).to.equal(null);
              }
            }
            // Every bit of a record is covered (IV, ciphertext, MAC, padding).
            const out = new Uint8Array(100 + state.overhead);
            const n = state.sealInto(0, 9, 23, TLS12, randomBytes(100), out, 0);
            for (let bit = 0; bit < n * 8; bit += 7) {
              const bad = out.slice(0, n);
              bad[bit >> 3]! ^= 1 << (bit & 7);
              expect(reader.open(0, 9, 23, TLS12, bad), `bit ${bit}`).to.equal(null);
            }
          });
        }
      }
    }

    it('a peer may pad more than needed (up to 255 bytes): such records open', () => {
      const suite = suiteNamed('ECDHE-RSA-AES128-SHA256');
      const { macKey, key, state } = stateFor(suite);
      const pt = randomBytes(33);
      for (const padLength of [0 + 14, 14 + 16, 14 + 16 * 15]) {
        // 33 + 32 (MAC) + 1 + padLength must be a multiple of 16.
        const frag = craftedFragment(suite, macKey, key, 0, 3, pt, { padLength });
        expect(Buffer.from(state.open(0, 3, 23, TLS12, frag)!).equals(pt), `padding ${padLength}`).to.equal(true);
      }
    });
  });

  describe('the padding oracle (Lucky Thirteen): one failure, one alert, the same MAC work', () => {
    for (const name of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384']) {
      it(`${name}: bad padding, bad MAC and every padding length cost the same hash compression blocks`, () => {
        const suite = suiteNamed(name);
        const { macKey, key, state } = stateFor(suite);
        // All these fragments have the same length (IV + 20 blocks): what a record shows.
        const total = 20 * 16;
        const variants: Record<string, Buffer> = {};
        for (const padLength of [0, 15, 47, 255]) {
          const ptLength = total - suite.macLength - 1 - padLength;
          if (ptLength < 0) continue;
          variants[`good, padding ${padLength}`] = craftedFragment(suite, macKey, key, 0, 5, randomBytes(ptLength), { padLength });
        }
        const mid = total - suite.macLength - 1 - 47;
        variants['bad padding byte'] = craftedFragment(suite, macKey, key, 0, 5, randomBytes(mid), { padLength: 47, padByte: 46 });
        variants['padding_length 255 over 16 padding bytes'] = craftedFragment(suite, macKey, key, 0, 5, randomBytes(total - suite.macLength - 1 - 15), { padLength: 15, lengthByte: 255 });
        variants['padding_length beyond the record'] = craftedFragment(suite, macKey, key, 0, 5, randomBytes(total - suite.macLength - 1 - 15), { padLength: 15, lengthByte: 255, padByte: 255 });
        variants['bad MAC, padding 0'] = craftedFragment(suite, macKey, key, 0, 5, randomBytes(total - suite.macLength - 1), { padLength: 0, badMac: true });
        variants['bad MAC, padding 255'] = craftedFragment(suite, macKey, key, 0, 5, randomBytes(total - suite.macLength - 256), { padLength: 255, badMac: true });
        const counts: Record<string, number> = {};
        const outcomes: Record<string, boolean> = {};
        for (const [what, frag] of Object.entries(variants)) {
          expect(frag.length, what).to.equal(16 + total);
          const { result, blocks } = countCompressions(() => state.open(0, 5, 23, TLS12, frag));
          counts[what] = blocks;
          outcomes[what] = result !== null;
        }
        expect(outcomes).to.deep.equal(Object.fromEntries(Object.keys(variants).map((k) => [k, k.startsWith('good')])));
        const distinct = new Set(Object.values(counts));
        expect(distinct.size, JSON.stringify(counts)).to.equal(1);
        // It is real work: more than one HMAC over the longest content.
        expect([...distinct][0]).to.be.greaterThan(Math.ceil(total / (suite.mac === 'sha384' ? 128 : 64)));
      });
    }

    it('over the wire: bad padding, bad MAC and bad lengths end in the same bad_record_mac alert after the same records', () => {
      const suite = suiteNamed('ECDHE-ECDSA-AES128-SHA256');
      /** A MAC-then-encrypt connection; the client's write keys from the session's key block. */
      const connection = () => {
        const p = new EnginePair({ serverCert: certs.ec, suites: [suite], seed: 'oracle', client: { encryptThenMac: false } });
        p.handshake();
        const s = p.client.session!;
        expect(s.encryptThenMac).to.equal(false);
        const block = keyBlock(nobleProvider, suite.hash, s.masterSecret, s.clientRandom, s.serverRandom, 2 * suite.macLength + 2 * suite.keyLength);
        return { p, macKey: block.subarray(0, suite.macLength), key: block.subarray(2 * suite.macLength, 2 * suite.macLength + suite.keyLength) };
      };
      // The client has sent one record (Finished, seq 0) under these keys: ours is seq 1.
      const cases: Record<string, (macKey: Uint8Array, key: Uint8Array) => Buffer> = {
        // 60 + 32 (MAC) + 1 + padLength: a whole number of blocks for padLength 3, 19, 35, ...
        'bad padding': (m, k) => craftedFragment(suite, m, k, 0, 1, randomBytes(60), { padLength: 19, padByte: 18 }),
        'bad MAC': (m, k) => craftedFragment(suite, m, k, 0, 1, randomBytes(60), { badMac: true }),
        'padding_length beyond the record': (m, k) => craftedFragment(suite, m, k, 0, 1, randomBytes(60), { padLength: 3, lengthByte: 200 }),
        'length not a whole number of blocks': (m, k) => craftedFragment(suite, m, k, 0, 1, randomBytes(60)).subarray(0, 16 + 80 + 5),
        'too short for IV + MAC': () => randomBytes(32),
        'only an IV': () => randomBytes(16),
      };
      const seen: Record<string, unknown> = {};
      for (const [what, make] of Object.entries(cases)) {
        const { p, macKey, key } = connection();
        const frag = make(macKey, key);
        const record = Buffer.concat([Buffer.from([23, 3, 3, frag.length >> 8, frag.length & 0xff]), frag]);
        p.server.receive(record);
        p.collect();
        const wire = p.toClient.map((b) => Buffer.from(b));
        p.toClient = [];
        const errors = EnginePair.errors(p.serverEvents).map((e) => (e as { error: TlsError }).error);
        // What the client reads from those bytes: the alert.
        for (const b of wire) p.client.receive(b);
        p.collect();
        const clientError = EnginePair.errors(p.clientEvents).map((e) => (e as { error: TlsError }).error)[0];
        seen[what] = {
          records: wire.flatMap((b) => recordShapes(b)),
          server: errors.map((e) => [e.code, e.alertName, e.message]),
          clientSees: clientError?.alertReceived,
        };
      }
      const first = Object.values(seen)[0];
      for (const [what, v] of Object.entries(seen)) expect(v, what).to.deep.equal(first);
      expect(first).to.deep.equal({
        // One encrypted alert record: IV + 2 alert bytes + MAC + padding = 16 + 48.
        records: [[ContentType.alert, 64]],
        server: [['ERR_TLS_BAD_RECORD_MAC', 'bad_record_mac', 'record authentication failed']],
        clientSees: 'bad_record_mac',
      });
    });
  });

  describe('fuzz: the CBC record open path', () => {
    for (const etm of [false, true]) {
      it(`${etm ? 'encrypt-then-MAC' : 'MAC-then-encrypt'}: any fragment, or a mutated genuine record, yields a record or TlsError bad_record_mac / record_overflow`, () => {
        const suites = CBC_SUITES;
        fc.assert(fc.property(
          fc.nat({ max: suites.length - 1 }),
          fc.oneof(
            fc.uint8Array({ maxLength: 600 }).map((b) => ({ raw: b })),
            fc.record({ len: fc.nat({ max: 400 }), cut: fc.nat({ max: 500 }), flip: fc.nat(), grow: fc.nat({ max: 40 }) }),
            fc.constant({ huge: true }),
          ),
          (si, input) => {
            const suite = suites[si]!;
            const { macKey, key, state } = stateFor(suite, nobleProvider, etm);
            const reader = new CbcCipherState(nobleProvider, suite, macKey, key, () => new Uint8Array(16), etm);
            let frag: Uint8Array;
            if ('raw' in input) frag = input.raw;
            else if ('huge' in input) frag = new Uint8Array(16384 + 2049);
            else {
              const out = new Uint8Array(input.len + state.overhead);
              const n = state.sealInto(0, 0, 23, TLS12, randomBytes(input.len), out, 0);
              const b = Buffer.concat([out.subarray(0, n), randomBytes(input.grow)]);
              if (input.flip % 3 === 0) b[input.flip % b.length]! ^= 1 << (input.flip % 8);
              frag = b.subarray(0, input.flip % 3 === 1 ? Math.min(input.cut, b.length) : b.length);
            }
            const layer = new TlsRecordLayer();
            layer.setPending(reader, reader);
            layer.activateRead();
            const header = Buffer.from([23, 3, 3, frag.length >> 8, frag.length & 0xff]);
            layer.push(Buffer.concat([header, frag]));
            try {
              const r = layer.nextRecord();
              if (r) expect(r.type).to.equal(23);
            } catch (e) {
              expect(e).to.be.instanceOf(TlsError);
              expect(['bad_record_mac', 'record_overflow']).to.include((e as TlsError).alertName);
            }
          },
        ), { numRuns: 400 });
      });
    }
  });

  describe('fuzz: the DTLS record layer with CBC keys', () => {
    for (const etm of [false, true]) {
      it(`${etm ? 'encrypt-then-MAC' : 'MAC-then-encrypt'}: mutated datagrams never throw; only records the writer sealed come out (RFC 6347 §4.1.2.7)`, () => {
        const suite = suiteNamed('ECDHE-PSK-AES256-CBC-SHA384');
        fc.assert(fc.property(
          fc.array(fc.record({ len: fc.nat({ max: 700 }), flip: fc.option(fc.nat()), cut: fc.option(fc.nat({ max: 800 })), junk: fc.uint8Array({ maxLength: 30 }) }), { minLength: 1, maxLength: 8 }),
          (records) => {
            const macKey = randomBytes(suite.macLength);
            const key = randomBytes(suite.keyLength);
            const budget = new ReassemblyBudget(1 << 20);
            const writer = new DtlsRecordLayer(budget.account(1 << 16));
            const reader = new DtlsRecordLayer(budget.account(1 << 16));
            const state = () => new CbcCipherState(nobleProvider, suite, macKey, key, (n) => randomBytes(n), etm);
            writer.setPending(state(), state());
            writer.activateWrite();
            reader.setPending(state(), state());
            reader.activateRead();
            const sent = new Set<string>();
            const mustArrive = new Set<string>();
            for (const r of records) {
              const payload = randomBytes(r.len);
              const rec = Buffer.from(writer.record(23, 1, payload));
              let datagram: Buffer = rec;
              if (r.flip !== null) {
                datagram = Buffer.from(rec);
                datagram[13 + (r.flip % (rec.length - 13))]! ^= 1 << (r.flip % 8); // after the header
              } else {
                sent.add(payload.toString('hex'));
              }
              if (r.cut !== null) datagram = datagram.subarray(0, Math.min(r.cut, datagram.length));
              if (r.flip === null && datagram.length === rec.length) mustArrive.add(payload.toString('hex'));
              reader.push(Buffer.concat([datagram, r.junk]));
            }
            const arrived = new Set<string>();
            for (let out = reader.nextRecord(); out; out = reader.nextRecord()) {
              const hex = Buffer.from(out.data).toString('hex');
              expect(sent.has(hex)).to.equal(true);
              arrived.add(hex);
            }
            for (const hex of mustArrive) expect(arrived.has(hex), 'an intact record was dropped').to.equal(true);
          },
        ), { numRuns: 150 });
      });
    }
  });

  describe('encrypt_then_mac negotiation (RFC 7366)', () => {
    it('the extension body must be empty (decode_error), as RFC 7366 §2 defines it', () => {
      expect(() => encryptThenMacOffered({ type: 22, data: new Uint8Array([0]) }, false)).to.throw(TlsError).with.property('code', 'ERR_TLS_DECODE_ERROR');
      expect(encryptThenMacOffered({ type: 22, data: new Uint8Array(0) }, false)).to.equal(true);
      expect(encryptThenMacOffered(undefined, false)).to.equal(false);
    });

    const pair = (o: { client?: boolean; server?: boolean; suites?: CipherSuite[] } = {}) =>
      new EnginePair({
        serverCert: certs.ec, seed: 'etm', suites: o.suites ?? [suiteNamed('ECDHE-ECDSA-AES256-SHA')],
        client: { encryptThenMac: o.client ?? true }, server: { encryptThenMac: o.server ?? true },
      });

    it('both sides willing: used; either side unwilling: MAC-then-encrypt; an AEAD suite: not used', () => {
      const cases: [Parameters<typeof pair>[0], boolean][] = [
        [{}, true], [{ client: false }, false], [{ server: false }, false],
        [{ suites: [suiteNamed('ECDHE-ECDSA-AES128-GCM-SHA256'), suiteNamed('ECDHE-ECDSA-AES256-SHA')] }, false],
      ];
      for (const [o, expected] of cases) {
        const p = pair(o);
        p.handshake();
        expect(EnginePair.errors(p.clientEvents), JSON.stringify(o)).to.deep.equal([]);
        expect([p.client.session!.encryptThenMac, p.server.session!.encryptThenMac], JSON.stringify(o)).to.deep.equal([expected, expected]);
        const up = randomBytes(5000);
        p.client.write(up);
        p.run();
        expect(sha256(EnginePair.dataOf(p.serverEvents))).to.equal(sha256(up));
      }
    });

    it('§3.1: a renegotiation that drops it is fatal (server: the ClientHello lacks it; client: the ServerHello lacks it)', () => {
      for (const side of ['client', 'server'] as const) {
        const p = pair();
        p.handshake();
        expect(p.server.session!.encryptThenMac).to.equal(true);
        // The next handshake runs with encrypt-then-MAC switched off on one side.
        (side === 'client' ? p.client : p.server).config.encryptThenMac = false;
        p.client.renegotiate({});
        p.run();
        const failing = side === 'client' ? p.serverEvents : p.clientEvents;
        const err = EnginePair.errors(failing).map((e) => (e as { error: TlsError }).error)[0];
        expect(err?.alertName, side).to.equal('handshake_failure');
        expect(err?.message, side).to.match(/RFC 7366 §3\.1/);
      }
    });
  });

  it('a renegotiation moves between suite families (CCM_8 → GCM → CBC → CCM) while data flows both ways', () => {
    const order = ['ECDHE-ECDSA-AES128-CCM8', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-CCM'].map(suiteNamed);
    const p = new EnginePair({ serverCert: certs.ec, seed: 'families', suites: order });
    p.handshake();
    expect(p.client.cipherSuite?.opensslName).to.equal('ECDHE-ECDSA-AES128-CCM8');
    const rnd = seededRandom('families/data');
    const up: Buffer[] = [];
    const down: Buffer[] = [];
    const seen: string[] = [p.client.cipherSuite!.opensslName];
    for (const next of order.slice(1)) {
      // Data in flight in both directions before, during and after the renegotiation.
      const a = Buffer.from(rnd(3000));
      const b = Buffer.from(rnd(3000));
      up.push(a);
      down.push(b);
      p.client.write(a);
      p.server.write(b);
      p.client.renegotiate({ cipherSuites: [next] });
      p.collect();
      const c = Buffer.from(rnd(2000));
      const d = Buffer.from(rnd(2000));
      up.push(c);
      down.push(d);
      p.client.write(c);
      p.server.write(d);
      p.run();
      expect(EnginePair.errors(p.clientEvents)).to.deep.equal([]);
      expect(EnginePair.errors(p.serverEvents)).to.deep.equal([]);
      seen.push(p.client.cipherSuite!.opensslName);
      expect(p.server.cipherSuite?.id).to.equal(next.id);
    }
    expect(seen).to.deep.equal(order.map((s) => s.opensslName));
    expect(p.client.session!.encryptThenMac).to.equal(false); // CCM in the end: not applicable
    expect(sha256(EnginePair.dataOf(p.serverEvents))).to.equal(sha256(Buffer.concat(up)));
    expect(sha256(EnginePair.dataOf(p.clientEvents))).to.equal(sha256(Buffer.concat(down)));
  });
});

/** [content type, length] of each TLS record in `b`. */
function recordShapes(b: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let o = 0; o + 5 <= b.length; o += 5 + b.readUInt16BE(o + 3)) out.push([b[o]!, b.readUInt16BE(o + 3)]);
  return out;
}
