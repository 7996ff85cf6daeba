// The record layer's pieces on their own: CipherState's nonce and additional data (RFC 5246
// §6.2.3.3, RFC 5288 §3, RFC 7905 §2) against records built independently with node:crypto,
// with both providers; the DTLS anti-replay window (RFC 6347 §4.1.2.6) and the ByteQueue against
// simple models (fast-check).

import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import { ALL_CIPHER_SUITES } from '../lib/engine/cipher-suites.js';
import { ReplayWindow } from '../lib/engine/dtls/replay-window.js';
import { ByteQueue } from '../lib/engine/record/byte-queue.js';
import { CipherState } from '../lib/engine/record/cipher-state.js';
import { DirectionState, DTLS_MAX_SEQUENCE, EpochKeys } from '../lib/engine/record/direction-state.js';
import { TlsError } from '../lib/errors.js';
import { referenceFragment } from './helpers/reference-aead-record.js';

describe('record layer pieces', () => {
  const suites = [...new Map(ALL_CIPHER_SUITES.filter((s) => s.aead !== undefined).map((s) => [s.aead, s])).values()];

  for (const [providerName, provider] of [['noble', nobleProvider], ['node:crypto', nodeCryptoProvider]] as const) {
    for (const suite of suites) {
      it(`CipherState (${providerName}, ${suite.aead}) seals what RFC 5246 §6.2.3.3 defines and opens it, at small and 64-bit sequence numbers`, () => {
        const key = randomBytes(suite.keyLength);
        const fixedIv = randomBytes(suite.fixedIvLength);
        const writer = new CipherState(provider, suite, key, fixedIv);
        const reader = new CipherState(provider, suite, key, fixedIv);
        for (const seq of [0n, 1n, 0xffffffffn, 0x100000000n, 0x0001_0000_0000_002an, 0xffff_ffff_ffff_fffen]) {
          for (const len of [0, 1, 300, 16384]) {
            const plaintext = randomBytes(len);
            const hi = Number(seq >> 32n);
            const lo = Number(seq & 0xffffffffn);
            const out = new Uint8Array(len + writer.overhead + 3);
            const n = writer.sealInto(hi, lo, 23, 0x0303, plaintext, out, 3);
            const fragment = out.subarray(3, 3 + n);
            // node:crypto cannot build an empty CCM message (see NodeCcm); the CCM vectors in
            // spec/ccm.spec.ts cover empty messages.
            if (len > 0 || !suite.aead!.includes('CCM')) {
              expect(Buffer.from(fragment).equals(referenceFragment(suite, key, fixedIv, seq, 23, 0x0303, plaintext)), `seq ${seq} len ${len}`).to.equal(true);
            }
            expect(Buffer.from(reader.open(hi, lo, 23, 0x0303, fragment)!).equals(plaintext)).to.equal(true);
            // The sequence number, type and version are authenticated (RFC 5246 §6.2.3.3).
            expect(reader.open(hi, (lo + 1) >>> 0, 23, 0x0303, fragment)).to.equal(null);
            expect(reader.open(hi, lo, 22, 0x0303, fragment)).to.equal(null);
            expect(reader.open(hi, lo, 23, 0xfefd, fragment)).to.equal(null);
          }
        }
      });
    }
  }

  it('CipherState.open refuses fragments shorter than nonce + tag and any bit flip', () => {
    const suite = suites[0]!;
    const state = new CipherState(nobleProvider, suite, randomBytes(suite.keyLength), randomBytes(suite.fixedIvLength));
    for (let len = 0; len < suite.explicitNonceLength + 16; len++) expect(state.open(0, 0, 23, 0x0303, new Uint8Array(len))).to.equal(null);
    const out = new Uint8Array(64 + state.overhead);
    const n = state.sealInto(0, 7, 23, 0x0303, randomBytes(64), out, 0);
    for (let bit = 0; bit < n * 8; bit += 13) {
      const bad = out.slice(0, n);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      // A flip in GCM's explicit nonce changes the nonce; anywhere else the tag check fails.
      expect(state.open(0, 7, 23, 0x0303, bad), `bit ${bit}`).to.equal(null);
    }
  });

  it('ReplayWindow accepts exactly the numbers a 64-wide sliding window of seen numbers allows (model check)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: 300 }), fc.boolean()), { maxLength: 400 }), (ops) => {
      const w = new ReplayWindow();
      const seen = new Set<number>();
      let top = -1;
      for (const [seq, authentic] of ops) {
        const expected = !seen.has(seq) && seq > top - 64;
        expect(w.check(seq), `check(${seq}) top ${top}`).to.equal(expected);
        // Only records that authenticate are marked (RFC 6347 §4.1.2.6).
        if (expected && authentic) {
          w.mark(seq);
          seen.add(seq);
          top = Math.max(top, seq);
        }
      }
    }), { numRuns: 300, seed: 20261207 });
  });

  it('ReplayWindow handles 48-bit sequence numbers and jumps wider than the window', () => {
    const w = new ReplayWindow();
    const big = 2 ** 48 - 2;
    w.mark(5);
    w.mark(big);
    expect(w.check(5)).to.equal(false); // far below the window now
    expect(w.check(big)).to.equal(false);
    expect(w.check(big - 63)).to.equal(true);
    expect(w.check(big - 64)).to.equal(false);
    expect(w.check(big + 1)).to.equal(true);
  });

  it('ByteQueue hands out the same bytes as one concatenated buffer (model check)', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.record({ push: fc.uint8Array({ maxLength: 40 }) }),
        fc.record({ take: fc.nat({ max: 60 }) }),
        fc.record({ peek: fc.nat({ max: 60 }) }),
      ), { maxLength: 80 }),
      (ops) => {
        const q = new ByteQueue();
        let model = new Uint8Array(0);
        for (const op of ops) {
          if ('push' in op) {
            q.push(op.push);
            model = new Uint8Array([...model, ...op.push]);
          } else if ('take' in op) {
            const n = Math.min(op.take, model.length);
            expect([...q.take(n)]).to.deep.equal([...model.subarray(0, n)]);
            model = model.slice(n);
          } else if (op.peek < model.length) {
            expect(q.peek(op.peek)).to.equal(model[op.peek]);
          }
          expect(q.length).to.equal(model.length);
        }
      },
    ), { numRuns: 300, seed: 20261207 });
  });

  it('ByteQueue.takeInto gathers bytes that span chunks in the scratch it is given, a view of one chunk otherwise, a new buffer when the scratch is too small', () => {
    const q = new ByteQueue();
    const scratch = new Uint8Array(8);
    q.push(new Uint8Array([1, 2, 3]));
    q.push(new Uint8Array([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
    const spanning = q.takeInto(5, scratch);
    expect(spanning.buffer).to.equal(scratch.buffer);
    expect([...spanning]).to.deep.equal([1, 2, 3, 4, 5]);
    const inside = q.takeInto(3, scratch);
    expect(inside.buffer).to.not.equal(scratch.buffer);
    expect([...inside]).to.deep.equal([6, 7, 8]);
    q.push(new Uint8Array([14, 15, 16, 17, 18, 19, 20]));
    const large = q.takeInto(10, scratch);
    expect(large.buffer).to.not.equal(scratch.buffer);
    expect([...large]).to.deep.equal([9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
  });

  it('ByteQueue returns a record inside one chunk as a view, without copying', () => {
    const q = new ByteQueue();
    const chunk = new Uint8Array([1, 2, 3, 4, 5, 6]);
    q.push(chunk);
    const view = q.take(4);
    expect(view.buffer).to.equal(chunk.buffer);
    expect([...view]).to.deep.equal([1, 2, 3, 4]);
  });

  it('EpochKeys numbers records from 0 (or a given start) and refuses to wrap: the last number is used, the next throws', () => {
    const keys = new EpochKeys(null, 5, 3);
    expect([keys.nextSeq(), keys.nextSeq(), keys.nextSeq()]).to.deep.equal([3, 4, 5]);
    expect(() => keys.nextSeq()).to.throw(TlsError, 'sequence number space exhausted');
    const dtls = new EpochKeys(null, DTLS_MAX_SEQUENCE, DTLS_MAX_SEQUENCE);
    expect(dtls.nextSeq()).to.equal(2 ** 48 - 1); // RFC 6347 §4.1: 48 bits
    expect(() => dtls.nextSeq()).to.throw(TlsError);
    keys.skipTo(2); // never backwards
    expect(() => keys.nextSeq()).to.throw(TlsError);
  });

  it('DirectionState: prepared keys become current at activate() in a new epoch numbered from 0; activate() without them fails as told', () => {
    const suite = suites[0]!;
    const d = new DirectionState(DTLS_MAX_SEQUENCE, 7);
    expect(d.epoch).to.equal(0);
    expect(d.current.cipher).to.equal(null);
    expect(d.current.nextSeq()).to.equal(7);
    expect(() => d.activate(() => new TlsError('X', 'too early'))).to.throw(TlsError, 'too early');
    const next = new CipherState(nobleProvider, suite, randomBytes(suite.keyLength), randomBytes(suite.fixedIvLength));
    d.prepare(next);
    expect(d.hasPending).to.equal(true);
    const keys = d.activate(() => new TlsError('X', 'too early'));
    expect(keys).to.equal(d.current);
    expect(d.epoch).to.equal(1);
    expect(keys.cipher).to.equal(next);
    expect(keys.nextSeq()).to.equal(0);
    expect(d.hasPending).to.equal(false);
  });
});
