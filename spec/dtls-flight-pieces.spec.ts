// The DTLS flight layer's pieces on their own (RFC 6347 §4.2): fragment reassembly
// (FragmentedMessage), the reassembly memory bound (ReassemblyBudget), and DtlsChannel's
// message_seq ordering, fragmentation to the MTU, flights and retransmission timers, driven by a
// fake clock. The engine-level behaviour over a lossy link is in dtls-engine.spec.ts; the TLS
// handshake reassembler's properties are in codec.spec.ts ("HandshakeReassembler").
import { expect } from 'chai';
import fc from 'fast-check';
import { ContentType, HandshakeType } from '../lib/engine/constants.js';
import { DtlsChannel, type DtlsChannelOptions } from '../lib/engine/dtls/dtls-channel.js';
import { FragmentedMessage, PIECE_OVERHEAD } from '../lib/engine/dtls/fragmented-message.js';
import { ReassemblyBudget } from '../lib/engine/dtls/reassembly-budget.js';
import type { RawHandshakeMessage } from '../lib/engine/handshake/messages.js';
import {
  DTLS_RECORD_HEADER_LENGTH,
  dtlsHandshakeFragment,
  readDtlsRecordHeader,
  type DtlsRecordHeader,
} from '../lib/engine/record/framing.js';
import { TlsError } from '../lib/errors.js';
import { seededRandom } from './helpers/deterministic-random.js';

/** A message body of `n` deterministic bytes. */
const bodyOf = (seed: string, n: number): Uint8Array => (n === 0 ? new Uint8Array(0) : seededRandom(seed)(n));

/** One handshake fragment (RFC 6347 §4.2.2 header + the body's bytes [off, off + n)). */
function fragment(type: number, seq: number, body: Uint8Array, off: number, n: number): Uint8Array {
  return dtlsHandshakeFragment({ type, length: body.length, messageSeq: seq, fragmentOffset: off, fragmentLength: n }, body.subarray(off, off + n));
}

/** The message as the transcript sees it: unfragmented (RFC 6347 §4.2.6). */
const whole = (type: number, seq: number, body: Uint8Array): Uint8Array => fragment(type, seq, body, 0, body.length);

/** The records of a datagram (§4.1.1: several per datagram), with their payloads. */
function recordsOf(datagram: Uint8Array): { h: DtlsRecordHeader; payload: Uint8Array }[] {
  const out: { h: DtlsRecordHeader; payload: Uint8Array }[] = [];
  for (let o = 0; o < datagram.length;) {
    const h = readDtlsRecordHeader(datagram, o)!;
    out.push({ h, payload: datagram.subarray(o + DTLS_RECORD_HEADER_LENGTH, o + DTLS_RECORD_HEADER_LENGTH + h.length) });
    o += DTLS_RECORD_HEADER_LENGTH + h.length;
  }
  return out;
}

/** Handshake record payloads of some datagrams (what a retransmission must repeat). */
const handshakePayloads = (datagrams: Uint8Array[]): string[] =>
  datagrams.flatMap(recordsOf).filter((r) => r.h.type === ContentType.handshake).map((r) => Buffer.from(r.payload).toString('hex'));

/** Datagrams into a channel; the handshake messages it completes, in order. */
function deliver(ch: DtlsChannel, datagrams: Uint8Array[]): RawHandshakeMessage[] {
  const out: RawHandshakeMessage[] = [];
  for (const d of datagrams) {
    ch.push(d);
    for (let r = ch.nextRecord(); r; r = ch.nextRecord()) if (r.type === ContentType.handshake) out.push(...ch.handshakeIn(r.data));
  }
  return out;
}

/** A fake clock and channels reading it. */
function clocked(start = 1_000_000) {
  const clock = { t: start };
  const channel = (o: Omit<DtlsChannelOptions, 'now'>): DtlsChannel => new DtlsChannel({ ...o, now: () => clock.t });
  return { clock, channel };
}

/** Fragment ranges of a `length`-byte body: a cover of [0, length) cut at `cuts`, plus `extra`
 *  ranges (duplicates and overlaps), in the order `order` gives. */
const fragmentPlan = fc.integer({ min: 0, max: 3000 }).chain((length) =>
  fc.record({
    length: fc.constant(length),
    cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 12 }),
    extra: fc.array(fc.tuple(fc.nat(length), fc.nat(length)), { maxLength: 8 }),
    order: fc.array(fc.nat(), { maxLength: 40 }),
  }),
).map(({ length, cuts, extra, order }) => {
  const points = [0, ...cuts.filter((c) => c < length).sort((a, b) => a - b), length];
  const cover: [number, number][] = [];
  for (let i = 1; i < points.length; i++) cover.push([points[i - 1]!, points[i]! - points[i - 1]!]);
  if (length === 0) cover.push([0, 0]);
  const ranges: [number, number][] = [...cover, ...extra.map(([a, b]): [number, number] => [Math.min(a, b), Math.abs(a - b)])];
  // A deterministic shuffle from `order`.
  for (let i = ranges.length - 1; i > 0; i--) {
    const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
    [ranges[i], ranges[j]] = [ranges[j]!, ranges[i]!];
  }
  return { length, ranges };
});

describe('DTLS flight layer pieces', () => {
  describe('FragmentedMessage (RFC 6347 §4.2.3)', () => {
    it('any order, duplicates and overlaps: complete exactly when every byte has come, the body intact, each byte paid once', () => {
      fc.assert(
        fc.property(fragmentPlan, ({ length, ranges }) => {
          const body = bodyOf(`fm/${length}`, length);
          const m = new FragmentedMessage(HandshakeType.certificate, length);
          const covered = new Uint8Array(length);
          let pieces = 0;
          for (const [off, n] of ranges) {
            const { parts, cost } = m.newParts(off, body.subarray(off, off + n));
            // Only bytes not held yet are new; a duplicate costs nothing.
            const fresh = covered.subarray(off, off + n).reduce((a, c) => a + (c === 0 ? 1 : 0), 0);
            expect(parts.reduce((a, p) => a + p.bytes.length, 0)).to.equal(fresh);
            expect(cost).to.equal(fresh + parts.length * PIECE_OVERHEAD);
            m.add(parts, cost);
            pieces += parts.length;
            covered.fill(1, off, off + n);
            expect(m.complete).to.equal(covered.every((c) => c === 1));
          }
          expect(m.complete).to.equal(true); // the ranges include a cover
          expect(Buffer.from(m.assemble()).equals(Buffer.from(body))).to.equal(true);
          expect(m.held).to.equal(length + pieces * PIECE_OVERHEAD);
        }),
        { numRuns: 300 },
      );
    });

    it('a fragment claiming a large message costs its own size, and the claim is not allocated', () => {
      const m = new FragmentedMessage(HandshakeType.certificate, 100 * 1024);
      const { parts, cost } = m.newParts(5000, new Uint8Array(10).fill(7));
      m.add(parts, cost);
      expect(m.held).to.equal(10 + PIECE_OVERHEAD);
      expect(m.complete).to.equal(false);
    });

    it('kept parts are copies: the datagram they came in may be reused', () => {
      const body = bodyOf('copy', 100);
      const m = new FragmentedMessage(HandshakeType.certificate, 100);
      // A Buffer, as dgram hands them (its slice() is a view; add() must still copy).
      const datagram = Buffer.from(body);
      const { parts, cost } = m.newParts(0, datagram);
      m.add(parts, cost);
      datagram.fill(0);
      expect(Buffer.from(m.assemble()).equals(Buffer.from(body))).to.equal(true);
    });
  });

  describe('ReassemblyBudget', () => {
    type Op = { k: 'reserve'; a: number; n: number } | { k: 'release'; a: number; n: number } | { k: 'close'; a: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constant('reserve' as const), a: fc.nat(3), n: fc.nat(600) }),
      fc.record({ k: fc.constant('release' as const), a: fc.nat(3), n: fc.nat(600) }),
      fc.record({ k: fc.constant('close' as const), a: fc.nat(3) }),
    );

    it('never exceeds a peer account\'s limit nor the shared limit; reserve succeeds exactly when both have room; close gives everything back', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2000 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }), fc.array(op, { maxLength: 60 }), (limit, limits, ops) => {
          const budget = new ReassemblyBudget(limit);
          const accounts = limits.map((l) => budget.account(l));
          const model = limits.map((l) => ({ limit: l, held: 0, closed: false }));
          for (const o of ops) {
            const a = accounts[o.a]!;
            const m = model[o.a]!;
            const used = model.reduce((s, x) => s + x.held, 0);
            if (o.k === 'reserve') {
              const fits = !m.closed && m.held + o.n <= m.limit && used + o.n <= limit;
              expect(a.reserve(o.n)).to.equal(fits);
              if (fits) m.held += o.n;
            } else if (o.k === 'release') {
              a.release(o.n);
              m.held -= Math.min(o.n, m.held);
            } else {
              a.close();
              m.held = 0;
              m.closed = true;
            }
            expect(a.held).to.equal(m.held);
            expect(budget.used).to.equal(model.reduce((s, x) => s + x.held, 0));
            expect(budget.used).to.be.at.most(limit);
            for (const [i, acc] of accounts.entries()) expect(acc.held).to.be.at.most(limits[i]!);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('two channels sharing one budget: a flood of fragments never holds more than the shared limit, and each channel stays within its own', () => {
      const frag = fc.record({
        type: fc.constantFrom(HandshakeType.client_hello, HandshakeType.certificate, HandshakeType.client_key_exchange),
        seq: fc.nat(20),
        claimed: fc.integer({ min: 1, max: 2048 }),
        off: fc.nat(2047),
        n: fc.integer({ min: 0, max: 400 }),
      });
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.boolean(), frag), { maxLength: 80 }), (flood) => {
          const budget = new ReassemblyBudget(3000);
          const { channel } = clocked();
          const chans = [0, 1].map(() => channel({ role: 'server', reassemblyAccount: budget.account(2000) }));
          // Each channel opens with a fragment of a ClientHello (message_seq 0), as a client must.
          for (const ch of chans) ch.handshakeIn(fragment(HandshakeType.client_hello, 0, new Uint8Array(2048), 0, 1));
          for (const [which, f] of flood) {
            const ch = chans[which ? 1 : 0]!;
            const off = Math.min(f.off, f.claimed - 1);
            const n = Math.min(f.n, f.claimed - off);
            try {
              ch.handshakeIn(fragment(f.type, f.seq, new Uint8Array(f.claimed), off, n));
            } catch (e) {
              // Fragments of one message_seq that disagree on type or length: illegal_parameter.
              expect(e).to.be.instanceOf(TlsError);
            }
            expect(budget.used).to.be.at.most(3000);
            expect(ch.reassemblyBytes).to.be.at.most(2000);
            expect(budget.used).to.equal(chans[0]!.reassemblyBytes + chans[1]!.reassemblyBytes);
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('DtlsChannel: message_seq order and reassembly (RFC 6347 §4.2.2, §4.2.3)', () => {
    const FLIGHT_TYPES = [HandshakeType.client_hello, HandshakeType.certificate, HandshakeType.client_key_exchange, HandshakeType.certificate_verify];

    it('a flight cut into fragments, shuffled and duplicated, gives each message exactly once, in message_seq order, as if unfragmented', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: FLIGHT_TYPES.length }),
          fc.integer({ min: 1, max: 400 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (lengths, size, order, dups) => {
            const msgs = lengths.map((n, seq) => ({ type: FLIGHT_TYPES[seq]!, seq, body: bodyOf(`flight/${seq}/${n}`, n) }));
            const frags: Uint8Array[] = [];
            for (const m of msgs) {
              for (let o = 0; o === 0 || o < m.body.length; o += size) {
                frags.push(fragment(m.type, m.seq, m.body, o, Math.min(size, m.body.length - o)));
                if (m.body.length === 0) break;
              }
            }
            // The first fragment of the ClientHello opens the handshake (a server ignores other
            // messages before it); the rest come in any order, some twice.
            const [first, ...rest] = frags;
            for (let i = rest.length - 1; i > 0; i--) {
              const j = order[i % order.length]! % (i + 1);
              [rest[i], rest[j]] = [rest[j]!, rest[i]!];
            }
            for (const d of dups) if (rest.length > 0) rest.splice(d % rest.length, 0, rest[(d * 7) % rest.length]!);
            const { channel } = clocked();
            // No reassembly limit here (the limits have their own properties above): 1-byte
            // fragments of four interleaved messages can exceed the default 256 KiB of charged
            // bytes, and the channel then rightly drops later messages until the peer's
            // retransmission, which this model has none of.
            const ch = channel({ role: 'server', reassemblyAccount: new ReassemblyBudget(Infinity).account(Infinity) });
            const got: RawHandshakeMessage[] = [];
            for (const f of [first!, ...rest]) got.push(...ch.handshakeIn(f));
            expect(got.map((g) => g.type)).to.deep.equal(msgs.map((m) => m.type));
            got.forEach((g, i) => {
              expect(Buffer.from(g.raw).equals(Buffer.from(whole(msgs[i]!.type, i, msgs[i]!.body))), `message ${i}`).to.equal(true);
              expect(Buffer.from(g.body).equals(Buffer.from(msgs[i]!.body))).to.equal(true);
            });
            // Nothing is held once the flight is delivered, and a late duplicate delivers nothing.
            expect(ch.reassemblyBytes).to.equal(0);
            expect(ch.handshakeIn(frags[frags.length - 1]!)).to.deep.equal([]);
          },
        ),
        { numRuns: 200 },
      );
    });

    it('a message is not delivered before the ones with lower message_seq', () => {
      const { channel } = clocked();
      const ch = channel({ role: 'server' });
      const hello = bodyOf('hello', 200);
      const cert = bodyOf('cert', 300);
      expect(ch.handshakeIn(fragment(HandshakeType.client_hello, 0, hello, 0, 100))).to.deep.equal([]);
      expect(ch.handshakeIn(whole(HandshakeType.certificate, 1, cert))).to.deep.equal([]); // complete, but waits
      const got = ch.handshakeIn(fragment(HandshakeType.client_hello, 0, hello, 100, 100));
      expect(got.map((m) => m.type)).to.deep.equal([HandshakeType.client_hello, HandshakeType.certificate]);
    });

    it('fragments of one message_seq that disagree on its type or length: illegal_parameter', () => {
      const { channel } = clocked();
      const ch = channel({ role: 'server' });
      const hello = bodyOf('hello', 200);
      ch.handshakeIn(fragment(HandshakeType.client_hello, 0, hello, 0, 100));
      let err: unknown;
      try {
        ch.handshakeIn(fragment(HandshakeType.client_hello, 0, bodyOf('other', 201), 100, 100));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(TlsError);
      expect((err as TlsError).alertName).to.equal('illegal_parameter');
    });

    it('our flight is cut to the MTU (each datagram at most mtu bytes) and the peer reassembles it from the datagrams in any order', () => {
      for (const mtu of [256, 576, 1200]) {
        const { channel } = clocked();
        const client = channel({ role: 'client', mtu });
        const server = channel({ role: 'server' });
        const hello = bodyOf(`hello/${mtu}`, 5000);
        const cert = bodyOf(`cert/${mtu}`, 3000);
        client.queueHandshake(HandshakeType.client_hello, hello);
        client.queueHandshake(HandshakeType.certificate, cert);
        const datagrams = client.flush();
        expect(datagrams.length).to.be.greaterThan(1);
        for (const d of datagrams) expect(d.length, `mtu ${mtu}`).to.be.at.most(mtu);
        // The first datagram opens the handshake; the rest arrive in reverse.
        const got = deliver(server, [datagrams[0]!, ...datagrams.slice(1).reverse()]);
        expect(got.map((m) => Buffer.from(m.raw).toString('hex'))).to.deep.equal([
          Buffer.from(whole(HandshakeType.client_hello, 0, hello)).toString('hex'),
          Buffer.from(whole(HandshakeType.certificate, 1, cert)).toString('hex'),
        ]);
      }
    });
  });

  describe('DtlsChannel: flights and retransmission timers (RFC 6347 §4.2.4), on a fake clock', () => {
    it('an unanswered flight is resent after 1 s, then 2, 4, 8 ... up to the cap, each time the same handshake fragments', () => {
      const { clock, channel } = clocked();
      const ch = channel({ role: 'client', initialTimeout: 1000, maxTimeout: 8000, handshakeTimeout: 600_000 });
      ch.queueHandshake(HandshakeType.client_hello, bodyOf('ch', 300));
      const first = ch.flush();
      const sentAt = [clock.t];
      const resent: Uint8Array[][] = [];
      for (let i = 0; i < 7; i++) {
        const due = ch.nextDeadline!;
        clock.t = due - 1;
        expect(ch.tick(clock.t), 'nothing before the deadline').to.deep.equal([]);
        clock.t = due;
        const out = ch.tick(clock.t);
        expect(out.length).to.be.greaterThan(0);
        resent.push(out);
        sentAt.push(clock.t);
      }
      expect(sentAt.slice(1).map((t, i) => t - sentAt[i]!)).to.deep.equal([1000, 2000, 4000, 8000, 8000, 8000, 8000]);
      for (const r of resent) expect(handshakePayloads(r)).to.deep.equal(handshakePayloads(first));
      // Each retransmission is a new record (§4.1: a new sequence number), in epoch 0.
      const seqs = [first, ...resent].flatMap((ds) => ds.flatMap(recordsOf)).map((r) => r.h.seqLo);
      expect(new Set(seqs).size).to.equal(seqs.length);
    });

    it('the handshake timeout ends an unanswered handshake with ERR_TLS_HANDSHAKE_TIMEOUT', () => {
      const { clock, channel } = clocked();
      const start = clock.t;
      const ch = channel({ role: 'client', handshakeTimeout: 20_000 });
      ch.queueHandshake(HandshakeType.client_hello, bodyOf('ch', 100));
      ch.flush();
      let err: unknown;
      for (let i = 0; i < 50 && err === undefined; i++) {
        clock.t = ch.nextDeadline!;
        try {
          ch.tick(clock.t);
        } catch (e) {
          err = e;
        }
      }
      expect(err).to.be.instanceOf(TlsError);
      expect((err as TlsError).code).to.equal('ERR_TLS_HANDSHAKE_TIMEOUT');
      expect(clock.t - start).to.equal(20_001); // nextDeadline names the moment it is due
    });

    it('sending our next flight restarts the timer at its initial value; a completed handshake stops it', () => {
      const { clock, channel } = clocked();
      const ch = channel({ role: 'server', initialTimeout: 1000 });
      ch.handshakeIn(whole(HandshakeType.client_hello, 0, bodyOf('ch', 100)));
      ch.queueHandshake(HandshakeType.server_hello, bodyOf('sh', 80));
      ch.flush();
      for (let i = 0; i < 3; i++) {
        clock.t = ch.nextDeadline!;
        ch.tick(clock.t); // 1, 2, 4 s: the timer is now 8 s
      }
      ch.handshakeIn(whole(HandshakeType.certificate, 1, bodyOf('cert', 100)));
      ch.queueHandshake(HandshakeType.finished, bodyOf('fin', 12));
      ch.flush();
      expect(ch.nextDeadline! - clock.t).to.equal(1000);
      ch.handshakeDone();
      expect(ch.nextDeadline).to.equal(undefined);
      clock.t += 3_600_000;
      expect(ch.tick(clock.t)).to.deep.equal([]);
    });

    it('the peer retransmitting a message we already have makes us resend our last flight, at most once per 100 ms', () => {
      const { clock, channel } = clocked();
      const ch = channel({ role: 'server' });
      const hello = whole(HandshakeType.client_hello, 0, bodyOf('ch', 100));
      expect(ch.handshakeIn(hello)).to.have.length(1);
      ch.queueHandshake(HandshakeType.server_hello, bodyOf('sh', 80));
      ch.queueHandshake(HandshakeType.server_hello_done, new Uint8Array(0));
      const flight = ch.flush();
      clock.t += 10;
      expect(ch.handshakeIn(hello)).to.deep.equal([]); // not delivered twice ...
      const replay = ch.flush(); // ... but answered with our flight (§4.2.4)
      expect(handshakePayloads(replay)).to.deep.equal(handshakePayloads(flight));
      clock.t += 50;
      ch.handshakeIn(hello);
      expect(ch.flush(), 'within 100 ms of the last replay').to.deep.equal([]);
      clock.t += 50;
      ch.handshakeIn(hello);
      expect(handshakePayloads(ch.flush())).to.deep.equal(handshakePayloads(flight));
    });

    it('a client and a server channel get their flights across a lossy fake link by their timers', () => {
      // The ClientHello is lost twice, the server's answer once.
      const { clock, channel } = clocked();
      const t0 = clock.t;
      const client = channel({ role: 'client', mtu: 300 });
      const server = channel({ role: 'server', mtu: 300 });
      const hello = bodyOf('hello', 900);
      const answer = bodyOf('answer', 700);
      client.queueHandshake(HandshakeType.client_hello, hello);
      let toServer = client.flush();
      let toClient: Uint8Array[] = [];
      let answered = false;
      let drops = { toServer: 2, toClient: 1 };
      const serverGot: { at: number; m: RawHandshakeMessage }[] = [];
      const clientGot: { at: number; m: RawHandshakeMessage }[] = [];
      for (let round = 0; round < 30 && clientGot.length === 0; round++) {
        if (toServer.length > 0) {
          if (drops.toServer > 0) drops = { ...drops, toServer: drops.toServer - 1 };
          else serverGot.push(...deliver(server, toServer).map((m) => ({ at: clock.t - t0, m })));
          toServer = [];
        }
        if (serverGot.length === 1 && !answered) {
          // Answer once; after that only the server's timer (or a replay) resends it.
          server.queueHandshake(HandshakeType.server_hello, answer);
          answered = true;
        }
        toClient.push(...server.flush());
        if (toClient.length > 0) {
          if (drops.toClient > 0) drops = { ...drops, toClient: drops.toClient - 1 };
          else clientGot.push(...deliver(client, toClient).map((m) => ({ at: clock.t - t0, m })));
          toClient = [];
        }
        if (clientGot.length > 0) break;
        clock.t = Math.min(client.nextDeadline!, server.nextDeadline!);
        toServer = client.tick(clock.t);
        toClient = server.tick(clock.t);
      }
      expect(serverGot.map(({ at, m }) => [at, Buffer.from(m.body).toString('hex')])).to.deep.equal([[3000, Buffer.from(hello).toString('hex')]]);
      // Sent at once at 3 s and lost; the server's own timer resends it 1 s later.
      expect(clientGot.map(({ at, m }) => [at, Buffer.from(m.body).toString('hex')])).to.deep.equal([[4000, Buffer.from(answer).toString('hex')]]);
    });
  });
});
