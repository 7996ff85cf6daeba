// The ClientHello decision inside the engine (server option awaitClientHello, as rustls'
// Acceptor / Accepted): the initial ClientHello is parsed once, by the engine, which emits
// 'client-hello' with what the application looks at (SNI name, offered session ID, ticket) and
// acts on nothing until acceptClientHello() (or abort()). The shell's SNICallback and
// 'resumeSession' run on it (spec/parity/ compares those with node:tls).
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { AlertDescription } from '../lib/engine/alerts.js';
import { ContentType, HandshakeType } from '../lib/engine/constants.js';
import type { EngineEvent } from '../lib/engine/engine.js';
import { ErrorCode } from '../lib/errors.js';
import { EnginePair } from './helpers/engine-pair.js';

const serverCert = generateCertificate({ keyType: 'ec-p256', commonName: 'default' });
const otherCert = generateCertificate({ keyType: 'ec-p256', commonName: 'chosen' });
const other = { chain: [new Uint8Array(new X509Certificate(otherCert.certPem).raw)], key: nobleProvider.loadPrivateKey(otherCert.keyPem) };

/** A pair whose server waits for the answer; the client asks for "answer.test". */
function waitingPair(extra: { chosen?: typeof other } = {}): { p: EnginePair; chosen: { value: typeof other | undefined } } {
  const chosen = { value: extra.chosen as typeof other | undefined };
  const p = new EnginePair({
    serverCert,
    client: { servername: 'answer.test' },
    server: { awaitClientHello: true, selectIdentities: () => (chosen.value ? [chosen.value] : p.server.identities) },
  });
  return { p, chosen };
}

/** The client's first flight, as the transport carries it (one record). */
function clientHelloBytes(p: EnginePair): Buffer {
  p.client.start();
  p.collect();
  return Buffer.concat(p.toServer.splice(0));
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

const helloEvents = (events: EngineEvent[]) => events.filter((e) => e.type === 'client-hello');

describe('the ClientHello decision in the engine (awaitClientHello)', () => {
  it('one client-hello event with the SNI name, session ID and ticket offer, whether the ClientHello comes in one record, in 1-byte records or byte by byte; nothing is sent before the answer', () => {
    for (const cut of ['one record', '1-byte records', 'byte by byte'] as const) {
      const { p } = waitingPair();
      const record = clientHelloBytes(p);
      const chunks = cut === 'one record' ? [record] : cut === '1-byte records' ? recut(record, 1) : [...record].map((b) => Buffer.from([b]));
      for (const c of chunks) p.server.receive(c);
      p.collect();
      const events = helloEvents(p.serverEvents);
      expect(events, cut).to.have.length(1);
      const hello = (events[0] as Extract<EngineEvent, { type: 'client-hello' }>).hello;
      expect(hello, cut).to.deep.include({ servername: 'answer.test', ticket: false });
      expect(hello.sessionId, cut).to.have.length(0);
      expect(p.toClient, `${cut}: no ServerHello before the answer`).to.deep.equal([]);
      expect(p.server.awaitsClientHelloAnswer).to.equal(true);
      p.server.acceptClientHello();
      p.run();
      expect([p.client.established, p.server.established], cut).to.deep.equal([true, true]);
      expect(EnginePair.errors(p.serverEvents), cut).to.deep.equal([]);
    }
  });

  it('the answer decides the certificate: selectIdentities is asked after it (the SNICallback choice)', () => {
    const { p, chosen } = waitingPair();
    p.server.receive(clientHelloBytes(p));
    p.collect();
    chosen.value = other;
    p.server.acceptClientHello();
    p.run();
    expect(Buffer.from(p.client.session!.peerChain[0]!).equals(Buffer.from(other.chain[0]!))).to.equal(true);
  });

  it('abort(unrecognized_name) instead of an answer: the fatal alert is the only thing sent, and later bytes are ignored', () => {
    const { p } = waitingPair();
    const ch = clientHelloBytes(p);
    p.server.receive(ch);
    p.server.abort(AlertDescription.unrecognized_name);
    p.server.receive(ch);
    p.collect();
    const out = Buffer.concat(p.toClient);
    expect([...out]).to.deep.equal([ContentType.alert, 3, 3, 0, 2, 2, AlertDescription.unrecognized_name]);
    expect(helloEvents(p.serverEvents)).to.have.length(1);
    expect(p.server.failed).to.equal(true);
  });

  it('records after the ClientHello wait with it and are read after the answer, in order (application data before the handshake: unexpected_message)', () => {
    const { p } = waitingPair();
    const ch = clientHelloBytes(p);
    const appData = Buffer.from([ContentType.application_data, 3, 3, 0, 1, 0x41]);
    p.server.receive(Buffer.concat([ch, appData]));
    p.server.receive(appData);
    p.collect();
    expect(EnginePair.errors(p.serverEvents), 'before the answer').to.deep.equal([]);
    expect(p.toClient).to.deep.equal([]);
    p.server.acceptClientHello();
    p.collect();
    const errors = EnginePair.errors(p.serverEvents) as Extract<EngineEvent, { type: 'error' }>[];
    expect(errors.map((e) => [e.error.code, e.error.alert])).to.deep.equal([[ErrorCode.UNEXPECTED_MESSAGE, AlertDescription.unexpected_message]]);
    // The ServerHello flight went out before the alert: the answer was acted on first.
    const out = Buffer.concat(p.toClient);
    expect(out[0]).to.equal(ContentType.handshake);
    expect(out[5]).to.equal(HandshakeType.server_hello);
    expect([...out.subarray(out.length - 7)]).to.deep.equal([ContentType.alert, 3, 3, 0, 2, 2, AlertDescription.unexpected_message]);
  });

  it('no event without awaitClientHello, for a ClientHello declared over its limit, or for a malformed server_name: the engine answers at once', () => {
    const plain = new EnginePair({ serverCert, client: { servername: 'answer.test' } });
    plain.server.receive(clientHelloBytes(plain));
    plain.collect();
    expect(helloEvents(plain.serverEvents)).to.deep.equal([]);
    expect(plain.toClient.length).to.be.greaterThan(0);

    const { p: over } = waitingPair();
    over.server.receive(Buffer.from([22, 3, 3, 0, 4, 1, 0x07, 0xff, 0xff]));
    over.collect();
    expect(helloEvents(over.serverEvents)).to.deep.equal([]);
    expect(over.server.failed).to.equal(true);

    // server_name with a host_name entry whose length runs past the extension.
    const { p: bad } = waitingPair();
    const ch = clientHelloBytes(bad);
    const at = ch.indexOf(Buffer.from('answer.test'));
    ch.writeUInt16BE(0x7fff, at - 2);
    bad.server.receive(ch);
    bad.collect();
    expect(helloEvents(bad.serverEvents)).to.deep.equal([]);
    const errors = EnginePair.errors(bad.serverEvents) as Extract<EngineEvent, { type: 'error' }>[];
    expect(errors.map((e) => e.error.alert)).to.deep.equal([AlertDescription.decode_error]);
  });

  it('a renegotiation ClientHello is not asked about (node:tls asks in the initial handshake only)', () => {
    const { p } = waitingPair();
    p.client.start();
    for (let i = 0; i < 10 && !p.server.established; i++) {
      p.run();
      if (p.server.awaitsClientHelloAnswer) p.server.acceptClientHello();
    }
    expect(p.server.established).to.equal(true);
    expect(p.client.renegotiate()).to.equal(true);
    p.run();
    expect(helloEvents(p.serverEvents)).to.have.length(1);
    expect(p.serverEvents.filter((e) => e.type === 'handshake')).to.have.length(2);
  });
});
