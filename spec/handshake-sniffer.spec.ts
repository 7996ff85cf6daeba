// The shell's ClientHello finder (lib/shell/handshake-sniffer.ts): a real ClientHello in any
// record split, and hostile input (an oversized declared length, a flood of tiny records)
// handled in linear time without holding more than the engine would accept.
import { expect } from 'chai';
import { HandshakeSniffer } from '../lib/shell/handshake-sniffer.js';
import { EnginePair } from './helpers/engine-pair.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';

const serverCert = generateCertificate({ keyType: 'ec-p256' });

/** The first flight of a client with SNI "sniff.test", as the transport carries it. */
function clientHelloRecord(): Buffer {
  const p = new EnginePair({ serverCert, client: { servername: 'sniff.test' } });
  p.client.start();
  p.collect();
  return Buffer.concat(p.toServer);
}

/** The same handshake bytes re-cut into records of `size` bytes each. */
function recut(record: Buffer, size: number): Buffer[] {
  const body = record.subarray(5);
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    out.push(Buffer.concat([Buffer.from([22, 3, 3, part.length >> 8, part.length & 0xff]), part]));
  }
  return out;
}

describe('HandshakeSniffer (server: the ClientHello before the engine sees it)', () => {
  it('finds the SNI name, session ID and ticket offer in one record, in 1-byte records, and byte by byte', () => {
    const record = clientHelloRecord();
    for (const chunks of [[record], recut(record, 1), [...record].map((b) => Buffer.from([b]))]) {
      const s = new HandshakeSniffer();
      for (const c of chunks) s.push(c);
      expect(s.done).to.equal(true);
      expect(s.clientHello).to.deep.include({ servername: 'sniff.test', ticket: false });
      expect(s.clientHello!.sessionId).to.have.length(0);
    }
  });

  it('stops at once (nothing found) for a ClientHello declared over its 131 396-byte limit', () => {
    const s = new HandshakeSniffer();
    s.push(Buffer.from([22, 3, 3, 0, 4, 1, 0x07, 0xff, 0xff]));
    expect(s.done).to.equal(true);
    expect(s.clientHello).to.equal(undefined);
  });

  it('a 60 000-byte body in 1-byte records is read without re-copying (finishes; garbage → nothing found)', () => {
    const s = new HandshakeSniffer();
    s.push(Buffer.from([22, 3, 3, 0, 4, 1, 0, 0xea, 0x60]));
    const one = Buffer.from([22, 3, 3, 0, 1, 0x41]);
    for (let i = 0; i < 60_000 && !s.done; i++) s.push(one);
    expect(s.done).to.equal(true);
    expect(s.clientHello).to.equal(undefined);
  });

  it('anything but a ClientHello first (or application data) stops it', () => {
    const s = new HandshakeSniffer();
    s.push(Buffer.from([23, 3, 3, 0, 1, 0]));
    expect([s.done, s.clientHello]).to.deep.equal([true, undefined]);
  });
});
