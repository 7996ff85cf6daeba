// DTLS under hostile input over real UDP sockets: forged datagrams on an established
// association's 4-tuple, peers that declare large handshake messages and send tiny fragments,
// the server-wide reassembly bound, UDP buffer sizes, and peers that close.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type DtlsServer, type SecureDuplex, type ServerOptions } from '../lib/index.js';
import { PIECE_OVERHEAD } from '../lib/engine/dtls/fragmented-message.js';
import type { DatagramDuplex } from '../lib/transport/datagram-duplex.js';
import { EnginePair } from './helpers/engine-pair.js';
import { makePki } from './helpers/pki.js';
import { runCleanups } from './helpers/cleanups.js';
import { UdpRelay } from './helpers/udp-relay.js';
import { within } from './helpers/within.js';
import { seededRandom } from './helpers/deterministic-random.js';

const pki = makePki();
const leaf = pki.leaves['ec-p256'];

/** Wait (bounded) until `cond` holds, looking every 10 ms. */
async function until(cond: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`${what}: not reached`);
}

/** A DTLS record: type, epoch, 48-bit sequence number, payload. */
function record(type: number, epoch: number, seq: number, payload: Uint8Array): Buffer {
  const r = Buffer.alloc(13 + payload.length);
  r[0] = type; r[1] = 0xfe; r[2] = 0xfd;
  r.writeUInt16BE(epoch, 3);
  r.writeUIntBE(seq, 5, 6);
  r.writeUInt16BE(payload.length, 11);
  Buffer.from(payload).copy(r, 13);
  return r;
}

/** A DTLS handshake fragment (RFC 6347 §4.2.2 header + bytes). */
function fragment(type: number, length: number, messageSeq: number, offset: number, bytes: Uint8Array): Buffer {
  const h = Buffer.alloc(12);
  h[0] = type;
  h.writeUIntBE(length, 1, 3);
  h.writeUInt16BE(messageSeq, 4);
  h.writeUIntBE(offset, 6, 3);
  h.writeUIntBE(bytes.length, 9, 3);
  return Buffer.concat([h, bytes]);
}

describe('DTLS limits over real sockets', function () {
  this.timeout(60_000);
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups));

  async function listen(options: ServerOptions = {}, onSocket?: (s: SecureDuplex) => void): Promise<{ server: DtlsServer; port: number }> {
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem, ...options, transport: 'udp' }, (s) => {
      s.on('error', () => undefined);
      onSocket?.(s);
    });
    server.on('tlsClientError', () => undefined);
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
    cleanups.push(() => server.destroy());
    return { server, port };
  }

  /** A raw UDP peer that gets past the cookie exchange with a real ClientHello (our client
   *  engine), then sends whatever the test wants. Resolves once the server has answered the
   *  ClientHello that carries the cookie (the peer exists on the server). */
  async function peerPastCookie(port: number, seed: string): Promise<{ sock: UdpSocket; send: (d: Buffer) => void }> {
    const pair = new EnginePair({ seed, serverCert: leaf, client: { transport: 'dtls' } });
    const sock = createSocket('udp4');
    cleanups.push(() => sock.close());
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const send = (d: Buffer): void => sock.send(d, port, '127.0.0.1');
    let answers = 0;
    const answered = new Promise<void>((resolve) => {
      sock.on('message', (m) => {
        answers++;
        if (answers === 1) {
          pair.client.receive(m); // HelloVerifyRequest → ClientHello with the cookie
          for (const d of pair.client.takeOutput()) send(Buffer.from(d));
        } else {
          resolve(); // the server's first flight: the peer exists
        }
      });
    });
    pair.client.start();
    for (const d of pair.client.takeOutput()) send(Buffer.from(d));
    await within(answered, 'server flight');
    return { sock, send };
  }

  it('200+ forged datagrams on an established association\'s 4-tuple are dropped silently; data then flows (SHA-256) with no alert', async () => {
    const errors: Error[] = [];
    let serverSide: SecureDuplex | undefined;
    const { port: serverPort } = await listen({}, (s) => {
      serverSide = s;
      s.on('error', (e) => errors.push(e));
      s.on('data', (d: Buffer) => s.write(d)); // echo
    });
    const relay = new UdpRelay(serverPort, { delay: 0 }, 'forged');
    cleanups.push(() => relay.close());
    const port = await relay.listen();
    const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' });
    cleanups.push(() => c.destroy());
    c.on('error', (e) => errors.push(e));
    const warnings: string[] = [];
    c.on('warning', (w: unknown) => warnings.push(String(w)));
    await within(new Promise<void>((r) => c.once('secureConnect', () => r())), 'handshake');
    await until(() => serverSide !== undefined, 'server socket');
    serverSide!.on('warning', (w: unknown) => warnings.push(String(w)));

    // Forgeries in both directions: every kind of invalid record the RFC says to discard.
    const rnd = seededRandom('forged');
    const forged: Buffer[] = [];
    for (let i = 0; i < 60; i++) forged.push(record(23, 1, 1000 + i, rnd(48))); // bad MAC, current epoch
    for (let i = 0; i < 30; i++) forged.push(record(23, 7, i, rnd(48))); // unknown epoch
    for (let i = 0; i < 30; i++) forged.push(Buffer.from(rnd(40))); // garbage
    for (let i = 0; i < 20; i++) forged.push(record(21, 0, 500 + i, Uint8Array.of(2, 40))); // epoch-0 fatal alert
    for (let i = 0; i < 20; i++) forged.push(record(20, 0, 600 + i, Uint8Array.of(1, 1))); // epoch-0 ChangeCipherSpec, wrong body
    for (let i = 0; i < 20; i++) forged.push(record(20, 0, 700 + i, Uint8Array.of(1))); // epoch-0 ChangeCipherSpec
    for (let i = 0; i < 20; i++) forged.push(record(22, 0, 800 + i, Uint8Array.of(1, 2, 3))); // epoch-0 truncated handshake header
    for (let i = 0; i < 20; i++) forged.push(record(22, 0, 900 + i, fragment(11, 0xffffff, 3, 0, rnd(8)))); // over every limit
    expect(forged.length).to.be.greaterThan(200);
    for (const d of forged) {
      relay.injectToServer(d);
      relay.injectToClient(d);
      await new Promise((r) => setImmediate(r));
    }
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let received = 0;
    const total = 100 * 512;
    c.on('data', (d: Buffer) => { got.update(d); received += d.length; });
    for (let i = 0; i < 100; i++) {
      const d = Buffer.from(rnd(512));
      sent.update(d);
      c.write(d);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => received >= total, 'echo');
    expect(got.digest('hex')).to.equal(sent.digest('hex'));
    expect(errors.map((e) => (e as { code?: string }).code)).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
    expect(c.destroyed).to.equal(false);
  });

  it('a peer that declares large messages in tiny fragments holds what it sent; the bytes go back when it is dropped', async () => {
    const { server, port } = await listen({ handshakeTimeout: 1500 });
    const peer = await peerPastCookie(port, 'tiny');
    expect(server.peerCount).to.equal(1);
    // The server waits for message_seq 2; seq 2..18 each claim a 100 KiB Certificate, 1 byte sent.
    for (let seq = 2; seq <= 18; seq++) peer.send(record(22, 0, 100 + seq, fragment(11, 100 * 1024, seq, 0, Uint8Array.of(0x30))));
    const expected = 17 * (1 + PIECE_OVERHEAD);
    await until(() => server.reassemblyBytes >= expected, 'fragments held');
    expect(server.reassemblyBytes).to.equal(expected); // not 17 × 100 KiB
    // It never completes its handshake: dropped at the handshake timeout, its bytes released.
    await until(() => server.peerCount === 0, 'pending peer dropped');
    expect(server.reassemblyBytes).to.equal(0);
  });

  it('reassembly is bounded per peer and in total per server', async () => {
    const perPeer = 6 * 1024;
    const total = 20 * 1024;
    const { server, port } = await listen({ maxTotalReassemblyBytes: total, dtls: { maxReassemblyBytes: perPeer } });
    const peers = [];
    for (let i = 0; i < 5; i++) peers.push(await peerPastCookie(port, `bound-${i}`));
    expect(server.peerCount).to.equal(5);
    // Each peer sends 8 real 1000-byte fragments of a 100 KiB Certificate (message_seq 2).
    const piece = 1000 + PIECE_OVERHEAD;
    peers.forEach((p, k) => {
      for (let f = 0; f < 8; f++) p.send(record(22, 0, 200 + f, fragment(11, 100 * 1024, 2, f * 1000, new Uint8Array(1000).fill(k))));
    });
    // per peer: floor(6 KiB / 1064) = 5 fragments; in total: floor(20 KiB / 1064) = 19 fragments
    const cap = Math.floor(total / piece) * piece;
    await until(() => server.reassemblyBytes >= cap, 'server-wide bound reached');
    expect(server.reassemblyBytes).to.equal(cap); // never more, whatever else arrives
    server.destroy();
    await until(() => server.reassemblyBytes === 0, 'released');
  });

  it('recvBufferSize / sendBufferSize set the UDP sockets\' buffers, server and client (as node:dgram does)', async () => {
    const size = 64 * 1024;
    const reference = createSocket({ type: 'udp4', recvBufferSize: size, sendBufferSize: size });
    const plain = createSocket('udp4');
    await Promise.all([reference, plain].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))));
    const want = { recv: reference.getRecvBufferSize(), send: reference.getSendBufferSize() };
    expect(want).to.not.deep.equal({ recv: plain.getRecvBufferSize(), send: plain.getSendBufferSize() });
    reference.close();
    plain.close();

    const { server, port } = await listen({ recvBufferSize: size, sendBufferSize: size });
    expect({ recv: server.getRecvBufferSize(), send: server.getSendBufferSize() }).to.deep.equal(want);
    const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', recvBufferSize: size, sendBufferSize: size });
    cleanups.push(() => c.destroy());
    await within(new Promise<void>((r) => c.once('secureConnect', () => r())), 'handshake');
    const udp = (c.socket as DatagramDuplex).udpSocket!;
    expect({ recv: udp.getRecvBufferSize(), send: udp.getSendBufferSize() }).to.deep.equal(want);
  });

  it('a peer whose client sent close_notify is dropped at once, even when the application keeps its side open', async () => {
    const ends: number[] = [];
    const { server, port } = await listen({ allowHalfOpen: true }, (s) => {
      s.on('end', () => ends.push(1)); // and never end()s its side
      s.resume();
    });
    const n = 20;
    const clients: SecureDuplex[] = [];
    for (let i = 0; i < n; i++) {
      const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' });
      cleanups.push(() => c.destroy());
      c.on('error', () => undefined);
      await within(new Promise<void>((r) => c.once('secureConnect', () => r())), 'handshake');
      clients.push(c);
    }
    await until(() => server.peerCount === n, 'all peers');
    for (const c of clients) c.end();
    await until(() => ends.length === n, 'close_notify seen by every server socket');
    expect(server.peerCount).to.equal(0);
  });
});
