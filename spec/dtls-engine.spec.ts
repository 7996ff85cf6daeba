// DTLS 1.2 engines over a simulated lossy link: handshake, retransmission, cookies,
// replay protection, renegotiation across epochs with data in flight.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { DtlsChannel } from '../lib/engine/dtls/dtls-channel.js';
import { PIECE_OVERHEAD } from '../lib/engine/dtls/fragmented-message.js';
import type { EngineEvent } from '../lib/engine/engine.js';
import { TlsError } from '../lib/errors.js';
import { dtlsEnginePair } from './helpers/dtls-engine-pair.js';
import { EnginePair } from './helpers/engine-pair.js';

const errors = (ev: EngineEvent[]) => ev.filter((e) => e.type === 'error').map((e) => (e as { error: TlsError }).error.message);
const handshakes = (ev: EngineEvent[]) => ev.filter((e) => e.type === 'handshake').length;

describe('DTLS engine over a simulated link', function () {
  this.timeout(120_000);

  it('handshake with a cookie exchange and a small MTU (fragmented flights), then data both ways', () => {
    const { p, link } = dtlsEnginePair({ seed: 'basic', cookies: true, mtu: 300 });
    const l = link({}, 'basic');
    p.client.start();
    expect(l.runUntil(() => { p.drainEvents(); return p.client.established && p.server.established; })).to.equal(true);
    expect(p.client.session?.extendedMasterSecret).to.equal(true);
    p.client.write(new TextEncoder().encode('ping'));
    p.server.write(new TextEncoder().encode('pong'));
    l.runUntil(() => { p.drainEvents(); return EnginePair.dataOf(p.serverEvents).length === 4 && EnginePair.dataOf(p.clientEvents).length === 4; });
    expect(EnginePair.dataOf(p.serverEvents).toString()).to.equal('ping');
    expect(EnginePair.dataOf(p.clientEvents).toString()).to.equal('pong');
    expect(errors(p.clientEvents).concat(errors(p.serverEvents))).to.deep.equal([]);
  });

  it('a ClientHello without a valid cookie gets a HelloVerifyRequest and no server state', () => {
    const { p } = dtlsEnginePair({ seed: 'cookie', cookies: true });
    p.client.start();
    const hello = p.client.takeOutput();
    p.server.receive(hello[0]!);
    const reply = p.server.takeOutput();
    expect(reply).to.have.length(1);
    // Record header (13) then handshake header: type 3 = hello_verify_request.
    expect(reply[0]![13]).to.equal(3);
    expect(p.server.handshaking).to.equal(true); // only the stateless wait for a ClientHello
    expect(p.server.established).to.equal(false);
  });

  it('completes the handshake and 20 renegotiations at 10 % loss with reordering and duplicates', () => {
    const { p, link } = dtlsEnginePair({ seed: 'lossy', cookies: true });
    const l = link({ loss: 0.1, reorder: 0.2, duplicate: 0.05 }, 'lossy-link');
    p.client.start();
    expect(l.runUntil(() => { p.drainEvents(); return p.client.established && p.server.established; })).to.equal(true);
    for (let i = 0; i < 20; i++) {
      const before = handshakes(p.clientEvents);
      const starter = i % 2 === 0 ? p.client : p.server;
      expect(starter.renegotiate()).to.equal(true);
      // Application datagrams keep flowing during the renegotiation.
      for (let k = 0; k < 5; k++) {
        p.client.write(new Uint8Array([i, k]));
        p.server.write(new Uint8Array([i, k, 1]));
      }
      const ok = l.runUntil(() => {
        p.drainEvents();
        return handshakes(p.clientEvents) > before && handshakes(p.serverEvents) > before && !p.client.handshaking && !p.server.handshaking;
      });
      expect(ok, `renegotiation ${i}`).to.equal(true);
    }
    expect(errors(p.clientEvents).concat(errors(p.serverEvents))).to.deep.equal([]);
    expect(handshakes(p.clientEvents)).to.equal(21);
    expect(l.dropped).to.be.greaterThan(0);
  });

  it('on a lossless link every application datagram sent during renegotiations arrives exactly once, in order', () => {
    const { p, link } = dtlsEnginePair({ seed: 'lossless' });
    const l = link({}, 'lossless');
    p.client.start();
    l.runUntil(() => { p.drainEvents(); return p.client.established && p.server.established; });
    const sent = createHash('sha256');
    let count = 0;
    for (let i = 0; i < 20; i++) {
      const before = handshakes(p.clientEvents);
      (i % 2 === 0 ? p.client : p.server).renegotiate();
      for (let k = 0; k < 10; k++) {
        const d = new Uint8Array(100).fill(count % 251);
        new DataView(d.buffer).setUint32(0, count);
        sent.update(d);
        count++;
        p.client.write(d);
        l.collect();
        l.runUntil(() => false, 3);
      }
      l.runUntil(() => { p.drainEvents(); return handshakes(p.clientEvents) > before && handshakes(p.serverEvents) > before; });
    }
    l.runUntil(() => { p.drainEvents(); return p.serverEvents.filter((e) => e.type === 'data').length >= count; });
    const chunks = p.serverEvents.filter((e) => e.type === 'data').map((e) => (e as { data: Uint8Array }).data);
    expect(chunks).to.have.length(count);
    const got = createHash('sha256');
    for (const c of chunks) got.update(c);
    expect(got.digest('hex')).to.equal(sent.digest('hex'));
  });

  it('a replayed record is ignored; forged ones are ignored however many come (RFC 6347 §4.1.2.7)', () => {
    const { p, link } = dtlsEnginePair({ seed: 'replay' });
    const l = link({}, 'replay');
    p.client.start();
    l.runUntil(() => { p.drainEvents(); return p.client.established && p.server.established; });
    p.client.write(new TextEncoder().encode('once'));
    const datagram = p.client.takeOutput()[0]!;
    p.server.receive(datagram);
    p.server.receive(datagram); // replay
    p.drainEvents();
    expect(EnginePair.dataOf(p.serverEvents).toString()).to.equal('once');
    const forged = datagram.slice();
    forged[forged.length - 1]! ^= 0x55;
    forged[10]! += 1; // new sequence number, so it passes the window and fails authentication
    p.server.receive(forged);
    p.drainEvents();
    expect(errors(p.serverEvents)).to.deep.equal([]);
    for (let i = 0; i < 1000 && !p.server.failed; i++) {
      const f = datagram.slice();
      f[9] = (i >> 8) & 0xff;
      f[10] = i & 0xff;
      f[f.length - 2]! ^= 0x33;
      p.server.receive(f);
    }
    p.drainEvents();
    expect(errors(p.serverEvents)).to.deep.equal([]);
    expect(p.server.failed).to.equal(false);
    p.client.write(new TextEncoder().encode('after'));
    for (const d of p.client.takeOutput()) p.server.receive(d);
    p.drainEvents();
    expect(EnginePair.dataOf(p.serverEvents).toString()).to.equal('onceafter');
  });

  it('a handshake that gets no answer retransmits with doubling timers, then times out with an error', () => {
    const { p, time } = dtlsEnginePair({ seed: 'timeout' });
    p.client.start();
    const sends: number[] = [];
    for (let i = 0; i < 100 && !p.client.failed; i++) {
      if (p.client.takeOutput().length > 0) sends.push(time.t);
      const d = p.client.nextDeadline;
      if (d === undefined) break;
      time.t = d;
      p.client.tick(time.t);
    }
    const gaps = sends.slice(1).map((t, i) => t - sends[i]!);
    expect(gaps.slice(0, 4)).to.deep.equal([1000, 2000, 4000, 8000]);
    const err = p.client.takeEvents().find((e) => e.type === 'error') as { error: TlsError } | undefined;
    expect(err?.error.code).to.equal('ERR_TLS_HANDSHAKE_TIMEOUT');
  });
});

describe('DtlsChannel reassembly bound', () => {
  it('fragments claiming large messages for 17 message numbers hold what was sent, not what was claimed', () => {
    const ch = new DtlsChannel({ role: 'server', now: () => 0 });
    // One tiny fragment per message_seq 0..16, each claiming a 256 KiB Certificate (type 11).
    for (let seq = 0; seq <= 16; seq++) {
      const hs = Buffer.alloc(12 + 1);
      hs[0] = seq === 0 ? 1 : 11; // a ClientHello first, so the handshake layer starts at seq 0
      hs.writeUIntBE(seq === 0 ? 128 * 1024 : 100 * 1024, 1, 3);
      hs.writeUInt16BE(seq, 4);
      hs.writeUIntBE(0, 6, 3);
      hs.writeUIntBE(1, 9, 3);
      const rec = Buffer.alloc(13);
      rec[0] = 22; rec[1] = 0xfe; rec[2] = 0xfd;
      rec.writeUIntBE(seq + 1, 5, 6);
      rec.writeUInt16BE(hs.length, 11);
      ch.push(Buffer.concat([rec, hs]));
      for (let r = ch.nextRecord(); r; r = ch.nextRecord()) ch.handshakeIn(r.data);
    }
    // 17 one-byte fragments, each charged one byte plus the per-piece overhead
    expect(ch.reassemblyBytes).to.equal(17 * (1 + PIECE_OVERHEAD));
  });
});

describe('DtlsChannel reassembly bound: the next expected message', () => {
  it('is never refused for lack of room (later messages of the flight already hold the budget)', () => {
    const ch = new DtlsChannel({ role: 'client', now: () => 0 });
    ch.beginHandshake();
    const fragAt = (type: number, len: number, seq: number, off: number, n: number): Uint8Array => {
      const b = new Uint8Array(12 + n);
      b.set([type, len >> 16, (len >> 8) & 255, len & 255, seq >> 8, seq & 255, off >> 16, (off >> 8) & 255, off & 255, n >> 16, (n >> 8) & 255, n & 255]);
      return b;
    };
    const frag = (type: number, len: number, seq: number, n: number): Uint8Array => fragAt(type, len, seq, 0, n);
    expect(ch.handshakeIn(frag(3, 0, 0, 0)).map((m) => m.type)).to.deep.equal([3]); // HelloVerifyRequest
    // The ServerHello (seq 1) is lost; the rest of the flight arrives and fills the bound.
    for (let o = 0; o < 100 * 1024; o += 1000) ch.handshakeIn(fragAt(11, 100 * 1024, 2, o, Math.min(1000, 100 * 1024 - o)));
    for (let o = 0; o < 100 * 1024; o += 1000) ch.handshakeIn(fragAt(13, 100 * 1024, 3, o, Math.min(1000, 100 * 1024 - o)));
    const rest = 256 * 1024 - ch.reassemblyBytes - PIECE_OVERHEAD;
    ch.handshakeIn(frag(12, rest, 4, rest));
    expect(ch.reassemblyBytes).to.equal(256 * 1024); // full
    // Its retransmission must still be taken (the last message of the flight makes room), and the
    // complete messages behind it follow.
    expect(ch.handshakeIn(frag(2, 80, 1, 80)).map((m) => m.type)).to.deep.equal([2, 11, 13]);
    expect(ch.reassemblyBytes).to.equal(0);
  });
});

describe('DTLS engine: review findings (regressions)', () => {
  /** A DTLS record: type, epoch, sequence number, payload. */
  function rec(type: number, epoch: number, seq: number, payload: Uint8Array): Uint8Array {
    const r = new Uint8Array(13 + payload.length);
    r.set([type, 0xfe, 0xfd, epoch >> 8, epoch & 0xff, 0, 0, 0, 0, (seq >> 8) & 0xff, seq & 0xff, payload.length >> 8, payload.length & 0xff]);
    r.set(payload, 13);
    return r;
  }
  const dataOf = (ev: EngineEvent[]) => ev.filter((e) => e.type === 'data').map((e) => Buffer.from((e as { data: Uint8Array }).data).toString());

  it('epoch-0 (unauthenticated) application data is never delivered, and an epoch-0 alert after the handshake is ignored', () => {
    const { p, link } = dtlsEnginePair({ seed: 'epoch0' });
    const l = link({}, 'epoch0');
    p.client.start();
    expect(l.runUntil(() => p.client.established && p.server.established)).to.equal(true);
    p.drainEvents();
    const evil = Buffer.from('INJECTED-PLAINTEXT');
    p.client.receive(rec(23, 0, 9999, evil));
    p.server.receive(rec(23, 0, 9999, evil));
    // A forged fatal handshake_failure in epoch 0.
    p.client.receive(rec(21, 0, 9998, Uint8Array.of(2, 40)));
    p.drainEvents();
    expect(dataOf(p.clientEvents).concat(dataOf(p.serverEvents))).to.deep.equal([]);
    expect(errors(p.clientEvents)).to.deep.equal([]);
    expect(p.client.failed).to.equal(false);
  });

  it('a refused peer renegotiation leaves no handshake timer: the established server does not time out later', () => {
    const { p, link } = dtlsEnginePair({ seed: 'refuse', server: { allowRenegotiation: false } });
    const l = link({}, 'refuse');
    p.client.start();
    expect(l.runUntil(() => p.client.established && p.server.established)).to.equal(true);
    expect(p.client.renegotiate()).to.equal(true);
    expect(l.runUntil(() => { p.drainEvents(); return p.clientEvents.some((e) => e.type === 'renegotiation-refused'); }, 10_000)).to.equal(true);
    expect(p.server.nextDeadline).to.equal(undefined);
    l.runUntil(() => p.server.failed || p.client.failed, 200_000);
    p.drainEvents();
    expect(errors(p.serverEvents)).to.deep.equal([]);
    expect(p.server.failed).to.equal(false);
  });

  it('the final flight is replayed even when its sender has already started a renegotiation (lost CCS+Finished)', () => {
    const { p, link } = dtlsEnginePair({ seed: 'final-lost' });
    let armed = false;
    // The moment the server completes, drop its final flight and have it renegotiate at once.
    const dropIf = (to: 'client' | 'server'): boolean => {
      if (to !== 'client' || armed || !p.server.established || p.client.established) return false;
      armed = true;
      expect(p.server.renegotiate()).to.equal(true);
      return true;
    };
    const l = link({ dropIf }, 'final-lost');
    p.client.start();
    const ok = l.runUntil(() => p.client.established && p.server.established && !p.client.handshaking && !p.server.handshaking, 200_000);
    p.drainEvents();
    expect(armed).to.equal(true);
    expect(errors(p.clientEvents).concat(errors(p.serverEvents))).to.deep.equal([]);
    expect(ok).to.equal(true);
  });
});
