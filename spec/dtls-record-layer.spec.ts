// The DTLS record layer on its own (RFC 6347 §4.1; lib/engine/dtls/dtls-record-layer.ts):
// epochs and their keys, 48-bit sequence numbers in the nonce and additional data, the replay
// window, records of the next epoch that arrive before the ChangeCipherSpec, and silent drops
// (§4.1.2.7). Two layers back to back: what one writes, the other reads.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { ALL_CIPHER_SUITES, type CipherSuite } from '../lib/engine/cipher-suites.js';
import { ContentType, ProtocolVersion } from '../lib/engine/constants.js';
import { DtlsRecordLayer } from '../lib/engine/dtls/dtls-record-layer.js';
import { ReassemblyBudget } from '../lib/engine/dtls/reassembly-budget.js';
import { CipherState } from '../lib/engine/record/cipher-state.js';
import { DTLS_RECORD_HEADER_LENGTH, readDtlsRecordHeader } from '../lib/engine/record/framing.js';
import { TlsError } from '../lib/errors.js';
import { referenceFragment } from './helpers/reference-aead-record.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Keys {
  suite: CipherSuite;
  key: Uint8Array;
  iv: Uint8Array;
}

function keysFor(suite: CipherSuite): Keys {
  return { suite, key: randomBytes(suite.keyLength), iv: randomBytes(suite.fixedIvLength) };
}
const stateOf = (k: Keys): CipherState => new CipherState(nobleProvider, k.suite, k.key, k.iv);

/** A writer and a reader layer. switchWriter() / switchReader(): each side's ChangeCipherSpec
 *  into epoch 1 under the same fresh keys; epoch1() does both. */
function pair(suite: CipherSuite = ALL_CIPHER_SUITES[0]!, readerBytes = 64 * 1024) {
  const budget = new ReassemblyBudget(Infinity);
  const writer = new DtlsRecordLayer(budget.account(Infinity));
  const account = budget.account(readerBytes);
  const reader = new DtlsRecordLayer(account);
  // Only one direction is exercised: the writer's write keys are the reader's read keys.
  const keys = keysFor(suite);
  const unused = keysFor(suite);
  const switchWriter = (): void => {
    writer.setPending(stateOf(unused), stateOf(keys));
    writer.activateWrite();
  };
  const switchReader = (): void => {
    reader.setPending(stateOf(keys), stateOf(unused));
    reader.activateRead();
  };
  const epoch1 = (): void => {
    switchWriter();
    switchReader();
  };
  const read = (): { type: number; data: string; epoch: number; seq: number }[] => {
    const out = [];
    for (let r = reader.nextRecord(); r; r = reader.nextRecord()) out.push({ type: r.type, data: str(r.data), epoch: r.epoch, seq: r.seq });
    return out;
  };
  return { writer, reader, account, keys, switchWriter, switchReader, epoch1, read };
}

describe('DTLS record layer (RFC 6347 §4.1)', () => {
  // One suite per AEAD (the CBC construction has its own record tests: spec/cbc-records).
  const suites = [...new Map(ALL_CIPHER_SUITES.filter((s) => s.aead !== undefined).map((s) => [s.aead, s])).values()];

  for (const suite of suites) {
    it(`${suite.aead}: a record of epoch 1 is sealed with epoch || sequence_number as the 64-bit sequence number (§4.1.2.1), as node:crypto computes it`, () => {
      const { writer, reader, keys, epoch1, read } = pair(suite);
      writer.record(ContentType.handshake, 0, text('epoch 0 flight'));
      epoch1();
      for (let i = 0; i < 3; i++) {
        const rec = writer.record(ContentType.application_data, 1, text(`record ${i}`));
        const h = readDtlsRecordHeader(rec, 0)!;
        expect([h.type, h.version, h.epoch, h.seqHi, h.seqLo]).to.deep.equal([ContentType.application_data, ProtocolVersion.DTLS1_2, 1, 0, i]);
        const expected = referenceFragment(suite, keys.key, keys.iv, (1n << 48n) | BigInt(i), ContentType.application_data, ProtocolVersion.DTLS1_2, text(`record ${i}`));
        expect(Buffer.from(rec.subarray(DTLS_RECORD_HEADER_LENGTH)).equals(expected), `record ${i}`).to.equal(true);
        reader.push(rec);
      }
      expect(read().map((r) => [r.epoch, r.seq, r.data])).to.deep.equal([[1, 0, 'record 0'], [1, 1, 'record 1'], [1, 2, 'record 2']]);
    });
  }

  it('the epoch restarts sequence numbers at 0; the flight of the epoch before can still be resent, two epochs back cannot', () => {
    const { writer, epoch1 } = pair();
    writer.record(ContentType.handshake, 0, text('a'));
    writer.record(ContentType.handshake, 0, text('b'));
    epoch1();
    expect(readDtlsRecordHeader(writer.record(ContentType.handshake, 1, text('fin')), 0)!.seqLo).to.equal(0);
    expect(readDtlsRecordHeader(writer.record(ContentType.handshake, 0, text('again')), 0)!.seqLo).to.equal(2);
    expect(writer.overheadOf(0)).to.equal(0);
    writer.setPending(stateOf(keysFor(ALL_CIPHER_SUITES[0]!)), stateOf(keysFor(ALL_CIPHER_SUITES[0]!)));
    writer.activateWrite();
    expect(writer.writeEpoch).to.equal(2);
    expect(writer.overheadOf(1)).to.be.greaterThan(0);
    expect(writer.overheadOf(0)).to.equal(undefined);
  });

  it('a ChangeCipherSpec before keys were agreed: unexpected_message', () => {
    const { reader } = pair();
    let err: unknown;
    try {
      reader.activateRead();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(TlsError);
    expect((err as TlsError).alertName).to.equal('unexpected_message');
  });

  it('replayed and forged records of an authenticated epoch are dropped silently (§4.1.2.6, §4.1.2.7)', () => {
    const { writer, reader, epoch1, read } = pair();
    epoch1();
    const rec = writer.record(ContentType.application_data, 1, text('once'));
    reader.push(rec);
    reader.push(rec);
    const forged = rec.slice();
    forged[forged.length - 1]! ^= 1;
    forged[10]! += 5; // an unused sequence number: it passes the window and fails the tag
    reader.push(forged);
    reader.push(writer.record(ContentType.application_data, 1, text('twice')));
    expect(read().map((r) => r.data)).to.deep.equal(['once', 'twice']);
  });

  it('epoch 0 is never authenticated: application data is dropped, alerts once the first handshake is over, duplicates pass (message_seq catches them)', () => {
    const { writer, reader, read } = pair();
    const hs = writer.record(ContentType.handshake, 0, text('hello'));
    reader.push(hs);
    reader.push(hs);
    reader.push(writer.record(ContentType.application_data, 0, text('cleartext data')));
    reader.push(writer.record(ContentType.alert, 0, Uint8Array.of(2, 40)));
    expect(read().map((r) => [r.type, r.data])).to.deep.equal([[22, 'hello'], [22, 'hello'], [21, '\x02(']]);
    reader.epoch0Closed = true;
    reader.push(writer.record(ContentType.alert, 0, Uint8Array.of(2, 40)));
    reader.push(writer.record(ContentType.handshake, 0, text('retransmission')));
    expect(read().map((r) => r.data)).to.deep.equal(['retransmission']);
  });

  it('records of the next epoch that come before the ChangeCipherSpec are held (paid from the account) and delivered first after it', () => {
    const { writer, reader, account, switchWriter, switchReader, read } = pair();
    switchWriter(); // the writer's epoch-1 records overtake the reader's switch
    const early = [writer.record(ContentType.handshake, 1, text('finished')), writer.record(ContentType.application_data, 1, text('early data'))];
    for (const r of early) reader.push(r);
    reader.push(writer.record(ContentType.handshake, 0, text('late epoch 0')));
    expect(read().map((r) => r.data)).to.deep.equal(['late epoch 0']);
    expect(account.held).to.equal(early.reduce((n, r) => n + r.length - DTLS_RECORD_HEADER_LENGTH, 0));
    reader.push(writer.record(ContentType.handshake, 0, text('queued before the switch')));
    switchReader();
    expect(read().map((r) => [r.epoch, r.data])).to.deep.equal([[1, 'finished'], [1, 'early data'], [0, 'queued before the switch']]);
    expect(account.held).to.equal(0);
  });

  it('early records are bounded: at most 64, and no more than the account allows', () => {
    for (const [limit, want] of [[64 * 1024, 64], [10 * 48, 10]] as const) {
      const { writer, reader, account, switchWriter, switchReader, read } = pair(ALL_CIPHER_SUITES[0]!, limit);
      switchWriter();
      // 24-byte payloads: 48 bytes each once sealed (8-byte explicit nonce, 16-byte tag, GCM).
      for (let i = 0; i < 100; i++) reader.push(writer.record(ContentType.application_data, 1, text(`early ${String(i).padStart(18, '0')}`)));
      expect(account.held).to.be.at.most(limit);
      switchReader();
      expect(read().length, `limit ${limit}`).to.equal(want);
    }
  });

  it('after the switch, data of the epoch before still counts (§4.1), a ChangeCipherSpec of it does not switch again', () => {
    const { writer, reader, switchWriter, switchReader, read } = pair();
    // Data sent just before the writer's switch arrives after the reader's.
    const late = writer.record(ContentType.handshake, 0, text('late flight'));
    switchWriter();
    switchReader();
    reader.push(late);
    reader.push(writer.record(ContentType.change_cipher_spec, 0, Uint8Array.of(1)));
    reader.push(writer.record(ContentType.application_data, 1, text('new epoch')));
    expect(read().map((r) => [r.type, r.epoch, r.data])).to.deep.equal([[22, 0, 'late flight'], [23, 1, 'new epoch']]);
    expect(reader.readEpoch).to.equal(1);
  });

  it('a datagram whose next record is malformed keeps the records before it and drops the rest silently', () => {
    const { writer, reader, read } = pair();
    const good = writer.record(ContentType.handshake, 0, text('first'));
    const bad = writer.record(ContentType.handshake, 0, text('second'));
    bad[1] = 0x03; // not a DTLS version
    const after = writer.record(ContentType.handshake, 0, text('third'));
    reader.push(Buffer.concat([good, bad, after]));
    const truncated = writer.record(ContentType.handshake, 0, text('cut short'));
    reader.push(Buffer.concat([writer.record(ContentType.handshake, 0, text('fourth')), truncated.subarray(0, truncated.length - 1)]));
    expect(read().map((r) => r.data)).to.deep.equal(['first', 'fourth']);
  });

  it('skipEpoch0To continues epoch-0 numbering at a record number, never going back', () => {
    const { writer } = pair();
    writer.skipEpoch0To(41);
    expect(readDtlsRecordHeader(writer.record(ContentType.alert, 0, Uint8Array.of(2, 112)), 0)!.seqLo).to.equal(41);
    writer.skipEpoch0To(3);
    expect(readDtlsRecordHeader(writer.record(ContentType.alert, 0, Uint8Array.of(2, 112)), 0)!.seqLo).to.equal(42);
  });
});
