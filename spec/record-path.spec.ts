// The record path's AEAD forms (sealInto/openInto on both providers) and noble AES-GCM's per-key
// state (lib/crypto/noble-gcm.ts: the expanded key and GHASH table kept once a key has carried
// HOT_AFTER_BYTES): every output compared with node:crypto (OpenSSL) on the same inputs, before
// and after the state is built, and engines on the two providers exchanging data past it.
import { expect } from 'chai';
import { createCipheriv } from 'node:crypto';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import { HOT_AFTER_BYTES } from '../lib/crypto/noble-gcm.js';
import type { AeadAlgorithm, CryptoProvider } from '../lib/crypto/provider.js';
import { CIPHER_SUITES } from '../lib/engine/cipher-suites.js';
import { CipherState } from '../lib/engine/record/cipher-state.js';
import { TlsRecordLayer } from '../lib/engine/record/tls-record-layer.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { seededRandom } from './helpers/deterministic-random.js';
import { EnginePair, sha256 } from './helpers/engine-pair.js';
import type { Duplex } from 'node:stream';
import { connect, createServer, type SecureDuplex } from '../lib/index.js';
import { duplexPair } from './helpers/duplex-pair.js';
import { makePki } from './helpers/pki.js';
import { within } from './helpers/within.js';
import type { AddressInfo } from 'node:net';
import { receiveHashed, renegotiated, sendSeeded } from './helpers/stream-transfer.js';

const ALGS: [AeadAlgorithm, string, number][] = [
  ['AES-128-GCM', 'aes-128-gcm', 16],
  ['AES-256-GCM', 'aes-256-gcm', 32],
  ['CHACHA20-POLY1305', 'chacha20-poly1305', 32],
];
const PROVIDERS: [string, CryptoProvider][] = [['noble', nobleProvider], ['node', nodeCryptoProvider]];

/** OpenSSL's ciphertext || tag, through node:crypto directly. */
function reference(cipher: string, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Buffer {
  const c = createCipheriv(cipher as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

describe('record path: sealInto / openInto and per-key AEAD state', () => {
  const rnd = seededRandom('record-path');

  for (const [pname, provider] of PROVIDERS) {
    for (const [alg, cipher, keyLength] of ALGS) {
      it(`${pname} ${alg}: sealInto writes OpenSSL's bytes at any offset, openInto takes them back; before and after ${HOT_AFTER_BYTES / 1024} KiB under the key`, () => {
        const key = rnd(keyLength);
        const aead = provider.aead(alg, key);
        expect(aead.sealInto, 'sealInto').to.be.a('function');
        expect(aead.openInto, 'openInto').to.be.a('function');
        let carried = 0;
        let records = 0;
        // Sizes that cross block and word boundaries, then enough full records to pass the
        // threshold well, then small ones under the kept state.
        const sizes = [0, 1, 13, 16, 17, 1023, 16384, ...Array<number>(6).fill(16384), 0, 1, 15, 31, 100, 1200, 16383, 20000];
        for (const n of sizes) {
          const nonce = rnd(12);
          const aad = rnd(13);
          // An unaligned plaintext view, as a record cut from a socket chunk is.
          const pt = rnd(n + 3).subarray(3);
          const want = reference(cipher, key, nonce, aad, pt);
          const offset = 5 + (records % 4);
          const out = new Uint8Array(offset + n + 16 + 2).fill(0xee);
          expect(aead.sealInto!(nonce, aad, pt, out, offset), `sealInto length, ${n} bytes`).to.equal(n + 16);
          expect(Buffer.from(out.subarray(offset, offset + n + 16)).equals(want), `sealInto bytes, ${n} bytes after ${carried}`).to.equal(true);
          expect([...out.subarray(0, offset), ...out.subarray(offset + n + 16)].every((b) => b === 0xee), 'nothing written outside').to.equal(true);
          expect(Buffer.from(aead.seal(nonce, aad, pt)).equals(want), 'seal() agrees').to.equal(true);

          const plain = new Uint8Array(n + 7).fill(0xee);
          expect(aead.openInto!(nonce, aad, want, plain, 7)).to.equal(n);
          expect(Buffer.from(plain.subarray(7)).equals(Buffer.from(pt))).to.equal(true);
          const bad = Buffer.from(want);
          bad[records % bad.length]! ^= 0x40;
          const untouched = new Uint8Array(n).fill(0xee);
          expect(aead.openInto!(nonce, aad, bad, untouched, 0), 'a flipped bit').to.equal(-1);
          expect(untouched.every((b) => b === 0xee), 'no plaintext released on failure').to.equal(true);
          expect(aead.open(nonce, aad, bad)).to.equal(null);
          expect(aead.openInto!(nonce, aad, new Uint8Array(15), new Uint8Array(0), 0), 'shorter than a tag').to.equal(-1);
          carried += 3 * n;
          records++;
        }
        expect(carried).to.be.greaterThan(2 * HOT_AFTER_BYTES);
      });
    }
  }

  it("node:crypto's records go out as pieces around the ciphertext it made, byte for byte the records sealed into one buffer; noble's in one buffer", () => {
    for (const name of ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8']) {
      const suite = CIPHER_SUITES.find((x) => x.name === name)!;
      const key = rnd(suite.keyLength);
      const iv = rnd(suite.fixedIvLength);
      const layer = (provider: CryptoProvider): TlsRecordLayer => {
        const l = new TlsRecordLayer();
        l.setPending(new CipherState(provider, suite, key, iv), new CipherState(provider, suite, key, iv));
        l.activateWrite();
        return l;
      };
      const pieces = layer(nodeCryptoProvider);
      const joined = layer(nodeCryptoProvider);
      const noble = layer(nobleProvider);
      // 40 000 bytes: two full records and one of 7232 bytes; then small bursts, sealed into one
      // buffer by every provider; then large again (the sequence numbers stay in step).
      for (const n of [40_000, 16_384, 100, 4095, 4096, 0, 70_000]) {
        const data = rnd(n);
        const records = Math.max(1, Math.ceil(n / 16_384));
        const got = pieces.encodePieces(23, data);
        const want = Buffer.from(joined.encode(23, data));
        expect(got.length, `${name}, ${n} bytes: pieces`).to.equal(n >= 4096 ? 2 * records + 1 : 1);
        expect(Buffer.concat(got).equals(want), `${name}, ${n} bytes: the same bytes`).to.equal(true);
        const fromNoble = noble.encodePieces(23, data);
        expect(fromNoble.length, `${name}, ${n} bytes: noble`).to.equal(1);
        expect(Buffer.from(fromNoble[0]!).equals(want), `${name}, ${n} bytes: noble's bytes`).to.equal(true);
      }
    }
  });

  it('records cut across socket chunks anywhere open intact, and what was opened stays intact after the next records (both providers; GCM, ChaCha20-Poly1305, CCM)', () => {
    for (const name of ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM']) {
      const suite = CIPHER_SUITES.find((x) => x.name === name)!;
      for (const [pname, provider] of PROVIDERS) {
        const key = rnd(suite.keyLength);
        const iv = rnd(suite.fixedIvLength);
        const layer = (): TlsRecordLayer => {
          const l = new TlsRecordLayer();
          l.setPending(new CipherState(provider, suite, key, iv), new CipherState(provider, suite, key, iv));
          l.activateWrite();
          l.activateRead();
          return l;
        };
        const writer = layer();
        const reader = layer();
        const data = rnd(5 * 16_384 + 999);
        const wire = Buffer.concat(writer.encodePieces(23, data));
        const opened: Uint8Array[] = [];
        // Chunks of 1, 7, 5000, 16 405 (a whole record, off its boundary), ... bytes.
        const sizes = [1, 7, 5000, 16_405, 3, 20_000, 11];
        for (let o = 0, i = 0; o < wire.length; i++) {
          const n = Math.min(sizes[i % sizes.length]!, wire.length - o);
          reader.push(wire.subarray(o, o + n));
          o += n;
          for (let r = reader.nextRecord(); r !== null; r = reader.nextRecord()) opened.push(r.data);
        }
        expect(opened.length, `${name} on ${pname}: records`).to.equal(6);
        expect(sha256(Buffer.concat(opened)), `${name} on ${pname}: bytes`).to.equal(sha256(data));
      }
    }
  });

  it('engines on noble and on node:crypto exchange 256 KiB each way on every suite (noble past its kept GCM state)', () => {
    const ec = generateCertificate({ keyType: 'ec-p256' });
    const rsa = generateCertificate({ keyType: 'rsa2048' });
    for (const suite of CIPHER_SUITES) {
      const p = new EnginePair({ serverCert: suite.auth === 'RSA' ? rsa : ec, suites: [suite], client: { provider: nodeCryptoProvider } });
      p.handshake();
      const up = rnd(256 * 1024);
      const down = rnd(256 * 1024);
      for (let o = 0; o < up.length; o += 40_000) {
        p.client.write(up.subarray(o, o + 40_000));
        p.server.write(down.subarray(o, o + 40_000));
        p.run();
      }
      expect(sha256(EnginePair.dataOf(p.serverEvents)), `${suite.name} up`).to.equal(sha256(up));
      expect(sha256(EnginePair.dataOf(p.clientEvents)), `${suite.name} down`).to.equal(sha256(down));
    }
  });
});

/** The TLS records in `wire` (RFC 5246 §6.2.1: type u8, version u16, length u16, fragment). */
function recordsOf(wire: Buffer): { type: number; length: number }[] {
  const out: { type: number; length: number }[] = [];
  for (let o = 0; o + 5 <= wire.length;) {
    const length = wire.readUInt16BE(o + 3);
    out.push({ type: wire[o]!, length });
    o += 5 + length;
  }
  return out;
}

/** A client over an in-memory pair whose transport writes are recorded (and, once `stuck`, held:
 *  their callbacks wait for release(), as a socket's wait for a kernel that does not take more). */
async function tappedPair(): Promise<{
  client: SecureDuplex; server: SecureDuplex; wire: Buffer[]; stick(): void; release(): void;
}> {
  const pki = makePki();
  const [a, b] = duplexPair();
  const wire: Buffer[] = [];
  let held: (() => void)[] | undefined;
  const write = a._write.bind(a);
  a._write = (chunk: Buffer, enc: BufferEncoding, cb: (err?: Error | null) => void): void => {
    wire.push(Buffer.from(chunk));
    if (held) held.push(() => write(chunk, enc, cb));
    else write(chunk, enc, cb);
  };
  const server = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem }).wrap(b);
  const client = connect({ socket: a, servername: 'localhost', ca: pki.ca.certPem, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  await within(new Promise((res) => client.once('secureConnect', res)), 'handshake');
  wire.length = 0;
  return {
    client, server, wire,
    stick: () => { held = []; },
    release: () => { const h = held ?? []; held = undefined; for (const f of h) f(); },
  };
}

function received(s: Duplex, total: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return within(new Promise((res) => {
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= total) res(Buffer.concat(chunks));
    });
  }), `${total} bytes`);
}

describe("record path: the stream's writes", () => {
  const rnd = seededRandom('record-path-writes');
  /** AES-128-GCM: an 8-byte explicit nonce and a 16-byte tag around each fragment. */
  const OVERHEAD = 24;

  it('a burst of small writes in one tick goes out as full records, in order, every callback called in order', async () => {
    const { client, server, wire } = await tappedPair();
    const data = Buffer.from(rnd(40 * 1024));
    const arriving = received(server, data.length);
    const calls: number[] = [];
    const returns: boolean[] = [];
    // 40 writes of 1 KiB in one tick: more than the high-water mark, as an application that
    // ignores write()'s result does.
    for (let i = 0; i < 40; i++) returns.push(client.write(data.subarray(i * 1024, (i + 1) * 1024), () => calls.push(i)));
    // The stream's own backpressure is untouched: false from the write that reaches 16 KiB.
    expect(returns.indexOf(false)).to.equal(15);
    expect(sha256(await arriving)).to.equal(sha256(data));
    await within(new Promise((res) => (client.writableLength === 0 ? res(null) : client.once('drain', res))), 'drain');
    expect(calls).to.deep.equal([...Array(40).keys()]);
    const records = recordsOf(Buffer.concat(wire)).filter((r) => r.type === 23);
    // The first 1 KiB write waits for its tick's end, the other 39 join it: 40 KiB as 16 + 16 + 8
    // rather than forty records of 1 KiB.
    expect(records.map((r) => r.length - OVERHEAD)).to.deep.equal([16384, 16384, 8192]);
    client.destroy();
    server.destroy();
  });

  it('a lone small write goes out at the end of its tick, before its callback', async () => {
    const { client, server, wire } = await tappedPair();
    const arriving = received(server, 100);
    let seenOnWire = -1;
    await within(new Promise<void>((res) => client.write(Buffer.alloc(100, 1), () => { seenOnWire = wire.length; res(); })), 'write callback');
    expect(seenOnWire).to.equal(1);
    expect(recordsOf(Buffer.concat(wire)).map((r) => [r.type, r.length - OVERHEAD])).to.deep.equal([[23, 100]]);
    expect((await arriving).length).to.equal(100);
    client.destroy();
    server.destroy();
  });

  it('a transport that does not take writes is backpressure: write() turns false at the high-water mark, and nothing is lost once it takes them', async () => {
    const { client, server, stick, release } = await tappedPair();
    stick();
    const data = Buffer.from(rnd(64 * 1024));
    const arriving = received(server, data.length);
    // One 1 KiB write per turn of the event loop (each flushed alone at the end of its tick).
    let writes = 0;
    let ok = true;
    while (ok && writes < 64) {
      ok = client.write(data.subarray(writes * 1024, (writes + 1) * 1024));
      writes++;
      await new Promise((res) => setImmediate(res));
    }
    expect(ok, 'write() returned false').to.equal(false);
    // The first write is with the stuck transport (its callback waits), the stream holds the
    // rest: the 16th write reaches the 16 KiB mark, as with node:tls.
    expect(writes).to.equal(16);
    expect(client.writableLength).to.equal(16 * 1024);
    release();
    await within(new Promise((res) => client.once('drain', res)), 'drain');
    for (let i = writes; i < 64; i++) client.write(data.subarray(i * 1024, (i + 1) * 1024));
    expect(sha256(await arriving)).to.equal(sha256(data));
    client.destroy();
    server.destroy();
  });

  it('bursts of 1000-byte writes both ways while both sides renegotiate, one side on node:crypto: every byte arrives, in order', async function () {
    this.timeout(120_000);
    const pki = makePki();
    let accept: (x: SecureDuplex) => void = () => undefined;
    const accepted = new Promise<SecureDuplex>((res) => { accept = res; });
    const srv = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, renegotiationLimit: 100 }, (x) => accept(x));
    await within(new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res())), 'listen');
    const port = (srv.address() as AddressInfo).port;
    const c = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, cryptoProvider: nodeCryptoProvider, renegotiationLimit: 100 });
    await within(new Promise((res) => c.once('secureConnect', res)), 'handshake');
    const s = await within(accepted, 'accepted');
    try {
      const total = 4 * 1024 * 1024;
      let duringRenegotiation = 0;
      c.on('renegotiationData', (n: number) => { duringRenegotiation += n; });
      s.on('renegotiationData', (n: number) => { duringRenegotiation += n; });
      let renegotiating = true;
      // Each side writes 1000 bytes at a time until write() says false: bursts of small writes;
      // while renegotiations remain, a turn of the event loop every 50 writes keeps the transfer
      // going until they are done.
      const pace = async (i: number): Promise<void> => {
        if (renegotiating && i % 50 === 0) await new Promise((res) => setImmediate(res));
      };
      const transfers = Promise.all([
        sendSeeded(c, 'burst-up', total, 1000, pace), sendSeeded(s, 'burst-down', total, 1000, pace),
        receiveHashed(s, total), receiveHashed(c, total),
      ]);
      for (let i = 0; i < 8; i++) await renegotiated(i % 2 === 0 ? c : s);
      renegotiating = false;
      const [up, down, gotUp, gotDown] = await within(transfers, 'transfers');
      expect(gotUp.sha256).to.equal(up.sha256);
      expect(gotDown.sha256).to.equal(down.sha256);
      expect(c.renegotiations).to.equal(8);
      expect(duringRenegotiation, 'bytes that arrived during a renegotiation').to.be.above(0);
    } finally {
      c.destroy();
      s.destroy();
      srv.close();
    }
  });

  it('write() then destroy() in the same tick: the data still reaches the transport first', async () => {
    const { client, server, wire } = await tappedPair();
    const arriving = received(server, 300);
    client.write(Buffer.alloc(300, 3));
    client.destroy();
    expect(recordsOf(Buffer.concat(wire)).map((r) => [r.type, r.length - OVERHEAD])).to.deep.equal([[23, 300]]);
    expect((await arriving).length).to.equal(300);
    server.destroy();
  });
});
