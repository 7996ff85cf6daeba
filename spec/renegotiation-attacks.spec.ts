// RFC 5746 attacks at the engine level: each fails or is refused with the expected alert.
import { expect } from 'chai';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { EMPTY_RENEGOTIATION_INFO_SCSV, ExtensionType } from '../lib/engine/constants.js';
import type { Engine } from '../lib/engine/engine.js';
import type { HandshakeMessage } from '../lib/engine/handshake/message-types.js';
import { TlsError } from '../lib/errors.js';
import { EnginePair } from './helpers/engine-pair.js';

const serverCert = generateCertificate({ keyType: 'ec-p256' });

/** Rewrite messages an engine sends (after encoding they enter its own transcript as sent). */
function tamper(engine: Engine, fn: (m: HandshakeMessage) => HandshakeMessage): void {
  const original = engine.sendHandshake.bind(engine);
  engine.sendHandshake = (m: HandshakeMessage) => original(fn(m));
}

function firstError(events: ReturnType<Engine['takeEvents']>): TlsError | undefined {
  const e = events.find((x) => x.type === 'error') as { error: TlsError } | undefined;
  return e?.error;
}

function established(): EnginePair {
  const p = new EnginePair({ serverCert, server: { renegotiationLimit: 100 }, client: { renegotiationLimit: 100 } });
  p.handshake();
  expect(p.client.session?.secureRenegotiation).to.equal(true);
  return p;
}

function withoutRenegotiationInfo(m: HandshakeMessage): HandshakeMessage {
  if (m.type !== 'client_hello' && m.type !== 'server_hello') return m;
  return { ...m, extensions: m.extensions.filter((e) => e.type !== ExtensionType.renegotiation_info) };
}

describe('RFC 5746 attacks (engine)', () => {
  it('renegotiation ClientHello with a wrong renegotiation_info → server handshake_failure', () => {
    const p = established();
    tamper(p.client, (m) => m.type === 'client_hello'
      ? { ...m, extensions: m.extensions.map((e) => (e.type === ExtensionType.renegotiation_info ? { ...e, data: new Uint8Array([12, ...new Uint8Array(12)]) } : e)) }
      : m);
    p.client.renegotiate();
    p.run();
    expect(firstError(p.serverEvents)?.code).to.equal('ERR_TLS_RENEGOTIATION_INFO_MISMATCH');
    expect(firstError(p.clientEvents)?.alertReceived).to.equal('handshake_failure');
  });

  it('renegotiation ClientHello without renegotiation_info → server handshake_failure', () => {
    const p = established();
    tamper(p.client, withoutRenegotiationInfo);
    p.client.renegotiate();
    p.run();
    expect(firstError(p.serverEvents)?.code).to.equal('ERR_TLS_RENEGOTIATION_INFO_MISMATCH');
    expect(firstError(p.clientEvents)?.alertReceived).to.equal('handshake_failure');
  });

  it('SCSV in a renegotiation ClientHello → server handshake_failure', () => {
    const p = established();
    tamper(p.client, (m) => (m.type === 'client_hello' ? { ...m, cipherSuites: [...m.cipherSuites, EMPTY_RENEGOTIATION_INFO_SCSV] } : m));
    p.client.renegotiate();
    p.run();
    expect(firstError(p.serverEvents)?.code).to.equal('ERR_TLS_RENEGOTIATION_INFO_MISMATCH');
    expect(firstError(p.clientEvents)?.alertReceived).to.equal('handshake_failure');
  });

  it('server reply with wrong verify_data → client handshake_failure', () => {
    const p = established();
    tamper(p.server, (m) => m.type === 'server_hello'
      ? { ...m, extensions: m.extensions.map((e) => (e.type === ExtensionType.renegotiation_info ? { ...e, data: new Uint8Array([24, ...new Uint8Array(24).fill(1)]) } : e)) }
      : m);
    p.server.renegotiate();
    p.run();
    expect(firstError(p.clientEvents)?.code).to.equal('ERR_TLS_RENEGOTIATION_INFO_MISMATCH');
    expect(firstError(p.serverEvents)?.alertReceived).to.equal('handshake_failure');
  });

  it('a peer that did not signal support can connect, but renegotiation is refused both ways', () => {
    const p = new EnginePair({ serverCert });
    // The client sends neither the SCSV nor the extension in its initial ClientHello.
    tamper(p.client, (m) => (m.type === 'client_hello'
      ? { ...withoutRenegotiationInfo(m), cipherSuites: m.cipherSuites.filter((s) => s !== EMPTY_RENEGOTIATION_INFO_SCSV) } as HandshakeMessage
      : m));
    p.handshake();
    expect(p.client.established && p.server.established).to.equal(true);
    expect(p.server.session?.secureRenegotiation).to.equal(false);
    expect(p.client.session?.secureRenegotiation).to.equal(false);
    expect(p.client.renegotiate()).to.equal(false);
    expect(p.server.renegotiate()).to.equal(false);
  });

  it('a ClientHello from a client that did not signal support gets no_renegotiation; data continues', () => {
    const p = new EnginePair({ serverCert });
    let initial = true;
    tamper(p.client, (m) => {
      if (m.type !== 'client_hello' || !initial) return m;
      initial = false;
      return { ...withoutRenegotiationInfo(m), cipherSuites: m.cipherSuites.filter((s) => s !== EMPTY_RENEGOTIATION_INFO_SCSV) } as HandshakeMessage;
    });
    p.handshake();
    // Force the client's engine to believe renegotiation is allowed (a legacy peer would just send).
    // (The session's flags are getters: an own property shadows this one.)
    Object.defineProperty(p.client.session!, 'secureRenegotiation', { value: true });
    expect(p.client.renegotiate()).to.equal(true);
    p.run();
    expect(p.clientEvents.some((e) => e.type === 'renegotiation-refused')).to.equal(true);
    expect(firstError(p.serverEvents)).to.equal(undefined);
    p.server.write(new TextEncoder().encode('still open'));
    p.run();
    expect(EnginePair.dataOf(p.clientEvents).toString()).to.equal('still open');
  });

  it('a flood of HelloRequests: ignored during a handshake, then over the limit → ERR_TLS_SESSION_ATTACK', () => {
    const p = new EnginePair({ serverCert, client: { renegotiationLimit: 3 } });
    p.handshake();
    for (let i = 0; i < 4; i++) {
      expect(p.server.renegotiate()).to.equal(true);
      // Deliver the HelloRequest so the client starts its handshake.
      p.collect();
      for (const b of p.toClient.splice(0)) p.client.receive(b);
      // More HelloRequests (fresh records; a replayed one would be a bad_record_mac) while the
      // client is already renegotiating: ignored (RFC 5246 §7.4.1.1).
      p.server.sendHandshake({ type: 'hello_request' });
      p.server.sendHandshake({ type: 'hello_request' });
      (p.server as unknown as { flushHandshake(): void }).flushHandshake();
      p.run();
      if (firstError(p.clientEvents)) break;
    }
    expect(firstError(p.clientEvents)?.code).to.equal('ERR_TLS_SESSION_ATTACK');
    expect(firstError(p.serverEvents)?.alertReceived).to.equal('handshake_failure');
  });
});
