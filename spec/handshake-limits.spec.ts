// Handshake message limits over real sockets, beside openssl s_server on the same bytes: a
// ClientHello up to the largest the format allows (131 396 bytes) connects; one declared
// larger, or a first message that is not a ClientHello, is refused at its header with the
// alert OpenSSL sends. The TCP reassembler holds what arrived, not what a header claims.
import { expect } from 'chai';
import { connect as netConnect } from 'node:net';
import { createServer, type Server } from '../lib/index.js';
import { TlsChannel } from '../lib/engine/record/tls-channel.js';
import { opensslServer, requirePeer } from './helpers/peers.js';
import { makePki } from './helpers/pki.js';
import { runCleanups } from './helpers/cleanups.js';
import { within } from './helpers/within.js';

const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const u24 = (n: number): number[] => [n >> 16, (n >> 8) & 0xff, n & 0xff];

function ext(type: number, data: number[] | Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([...u16(type), ...u16(data.length)]), Buffer.from(data)]);
}

/** A well-formed TLS 1.2 ClientHello body of exactly `bodyLength` bytes (at most 131 396): a
 *  full session_id, many cipher suites (two real ones first), up to 255 compression methods and
 *  an unknown extension filling the rest. */
function bigClientHelloBody(bodyLength: number): Buffer {
  const suites: number[] = [0xc0, 0x2b, 0xc0, 0x2f];
  for (let v = 0x2000; suites.length < 65534; v++) if (v !== 0x5600) suites.push(...u16(v)); // skip TLS_FALLBACK_SCSV
  const compression = Array.from({ length: 255 }, (_, i) => i); // null (0) first
  const fixed = [
    ext(10, [...u16(4), 0x00, 0x1d, 0x00, 0x17]), // supported_groups: x25519, secp256r1
    ext(11, [1, 0]), // ec_point_formats: uncompressed
    ext(13, [...u16(6), 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]), // signature_algorithms
    ext(23, []), // extended_master_secret
    ext(0xff01, [0]), // renegotiation_info (initial)
  ];
  const head = Buffer.from([0x03, 0x03, ...new Array(32).fill(7), 32, ...new Array(32).fill(9)]);
  const base = head.length + 2 + suites.length + 1 + compression.length + 2 + fixed.reduce((n, e) => n + e.length, 0);
  const fill = bodyLength - base - 4;
  if (fill < 0 || fill > 65535) throw new Error(`cannot build a ${bodyLength}-byte ClientHello`);
  const exts = Buffer.concat([...fixed, ext(0xfabc, new Uint8Array(fill).fill(0x5a))]);
  if (exts.length > 65535) throw new Error('extensions too long');
  const body = Buffer.concat([head, Buffer.from(u16(suites.length)), Buffer.from(suites), Buffer.from([compression.length, ...compression]), Buffer.from(u16(exts.length)), exts]);
  expect(body.length).to.equal(bodyLength);
  return body;
}

/** Handshake bytes cut into plaintext TLS records of at most 16 384 bytes. */
function records(handshake: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let o = 0; o < handshake.length; o += 16384) {
    const part = handshake.subarray(o, Math.min(handshake.length, o + 16384));
    out.push(Buffer.from([22, 3, 1, ...u16(part.length)]), part);
  }
  return Buffer.concat(out);
}

/** Sends `bytes` to 127.0.0.1:port and returns the first record that comes back: its content
 *  type and first two payload bytes (ServerHello: [22, 2, ...]; alert: [21, level, description]). */
async function firstRecord(port: number, bytes: Buffer): Promise<[number, number, number]> {
  const sock = netConnect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  try {
    return await within(new Promise<[number, number, number]>((resolve, reject) => {
      let got = Buffer.alloc(0);
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 7) resolve([got[0]!, got[5]!, got[6]!]);
      });
      sock.on('close', () => reject(new Error(`closed after ${got.length} bytes`)));
      sock.write(bytes);
    }), 'first record', 20_000);
  } finally {
    sock.destroy();
  }
}

describe('Handshake message limits (OpenSSL\'s, checked at the header)', function () {
  this.timeout(60_000);
  const pki = makePki();
  const leaf = pki.leaves['ec-p256'];
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups));

  async function servers(): Promise<{ ours: number; openssl: number }> {
    const server: Server = createServer({ cert: leaf.certPem, key: leaf.keyPem });
    server.on('tlsClientError', () => undefined);
    const ours = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const peer = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, naccept: 10 });
    const port = peer.port;
    cleanups.push(() => peer.kill());
    return { ours, openssl: port };
  }

  it('ClientHellos of 120 KiB and of the largest possible size (131 396 bytes) get a ServerHello from both', async function () {
    requirePeer(this, 'openssl');
    const { ours, openssl } = await servers();
    for (const size of [120 * 1024, 131_396]) {
      const hello = records(Buffer.concat([Buffer.from([1, ...u24(size)]), bigClientHelloBody(size)]));
      expect(await firstRecord(openssl, hello), `openssl, ${size}`).to.deep.equal([22, 2, 0]);
      expect(await firstRecord(ours, hello), `ours, ${size}`).to.deep.equal([22, 2, 0]);
    }
  });

  it('a ClientHello declared one byte over, or a Certificate first: the same alert from both, at the header', async function () {
    requirePeer(this, 'openssl');
    const { ours, openssl } = await servers();
    const cases: [string, Buffer, number][] = [
      ['ClientHello of 131 397 bytes', records(Buffer.from([1, ...u24(131_397)])), 47], // illegal_parameter
      ['ClientHello of 16 MiB', records(Buffer.from([1, 0xff, 0xff, 0xff])), 47],
      ['Certificate of 100 KiB first', records(Buffer.from([11, ...u24(100 * 1024)])), 10], // unexpected_message
      ['unknown type 99 first', records(Buffer.from([99, ...u24(10)])), 10],
    ];
    for (const [what, bytes, alert] of cases) {
      // only the header is sent: the alert cannot wait for a body
      expect(await firstRecord(openssl, bytes), `openssl: ${what}`).to.deep.equal([21, 2, alert]);
      expect(await firstRecord(ours, bytes), `ours: ${what}`).to.deep.equal([21, 2, alert]);
    }
  });

  it('a plaintext record over 2^14 bytes gets record_overflow from both (RFC 5246 §6.2.1)', async function () {
    requirePeer(this, 'openssl');
    const { ours, openssl } = await servers();
    const big = Buffer.concat([Buffer.from([22, 3, 1, ...u16(16385)]), Buffer.alloc(16385, 1)]);
    expect(await firstRecord(openssl, big), 'openssl').to.deep.equal([21, 2, 22]);
    expect(await firstRecord(ours, big), 'ours').to.deep.equal([21, 2, 22]);
  });

  it('a client that stalls in the middle of its ClientHello (slowloris) is closed by the handshake timeout', async () => {
    const server: Server = createServer({ cert: leaf.certPem, key: leaf.keyPem, handshakeTimeout: 300 });
    const errors: string[] = [];
    server.on('tlsClientError', (e: Error & { code?: string }) => errors.push(e.code ?? ''));
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const sock = netConnect(port, '127.0.0.1');
    cleanups.push(() => sock.destroy());
    sock.on('error', () => undefined);
    sock.write(Buffer.from([22, 3, 1, 0, 10, 1, 0, 0])); // a slow client: part of a ClientHello, then nothing
    await within(new Promise<void>((r) => sock.once('close', () => r())), 'server closes the idle handshake');
    expect(errors).to.deep.equal(['ERR_TLS_HANDSHAKE_TIMEOUT']);
  });

  it('tiny records that declare a large ClientHello cost the server what they carry, not the declared length', () => {
    const ch = new TlsChannel({ role: 'server' });
    const held = (): number => ch.handshakeBufferedBytes;
    ch.push(records(Buffer.from([1, ...u24(131_396)])));
    for (let r = ch.nextRecord(); r; r = ch.nextRecord()) ch.handshakeIn(r.data);
    expect(held()).to.equal(4);
    for (let i = 0; i < 100; i++) {
      ch.push(Buffer.from([22, 3, 3, 0, 1, 0x41]));
      for (let r = ch.nextRecord(); r; r = ch.nextRecord()) ch.handshakeIn(r.data);
    }
    expect(held()).to.equal(104);
  });
});
