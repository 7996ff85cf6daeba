// Server-requested renegotiation, node:tls and secure-duplex side by side
// (spec/parity/harness.ts): which handshake each end makes (isSessionReused() on both sides,
// whether a client certificate was asked for) and the client's 'session' events. node's client
// (OpenSSL's SSL_renegotiate_abbreviated on a HelloRequest) offers its current session; a server
// that resumes it makes an abbreviated handshake (RFC 5246 §7.3). A client-started
// renegotiation offers none (SSL_renegotiate: a full handshake).
import { constants } from 'node:crypto';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { parity, type Ends, type Recorder } from './harness.js';
import { clientOptions, listen, next, serverOptions, testPki } from './fixtures.js';

interface RenegotiatingSocket extends Duplex {
  renegotiate(o: object, cb: (e: Error | null) => void): boolean;
  isSessionReused(): boolean;
  getPeerCertificate(): { raw?: Buffer };
  authorized: boolean;
}

interface Case {
  /** Who starts the renegotiation. */
  by: 'server' | 'client';
  renegotiate: object;
  serverExtra?: object;
  clientExtra?: object;
}

/** One connection, one renegotiation; records both ends' view of each handshake. */
function renegotiationScenario(c: Case) {
  return async (m: Ends, rec: Recorder): Promise<void> => {
    const server = m.server.createServer(serverOptions(c.serverExtra));
    server.on('secureConnection', (s: RenegotiatingSocket) => {
      s.on('error', (e: Error) => rec.add('server socket', 'error', e));
      s.resume();
      rec.add('server socket', 'secureConnection', { reused: s.isSessionReused() });
      if (c.by !== 'server') return;
      const started = s.renegotiate(c.renegotiate, (err) => {
        rec.add('server socket', 'renegotiate callback', err, {
          reused: s.isSessionReused(),
          peerCertificate: s.getPeerCertificate().raw !== undefined,
        });
        s.end();
      });
      rec.add('server socket', 'renegotiate', started);
    });
    const port = await listen(rec, server);
    const client = rec.track(m.client.connect(clientOptions(port, c.clientExtra)) as RenegotiatingSocket);
    client.on('error', (e: Error) => rec.add('client', 'error', e));
    // (node:tls re-emits 'secureConnect' after a renegotiation, ours emits 'renegotiated':
    // compat.md. The first one only.)
    client.once('secureConnect', () => {
      rec.add('client', 'secureConnect', { reused: client.isSessionReused() });
      if (c.by !== 'client') return;
      client.renegotiate(c.renegotiate, (err) => {
        rec.add('client', 'renegotiate callback', err, { reused: client.isSessionReused() });
        client.end();
      });
    });
    client.on('session', () => rec.add('client', 'session'));
    client.resume();
    const closed = new Promise((res) => client.once('close', res));
    if (c.by === 'server') {
      // The server ends the connection once its renegotiation is done: the last handshake as
      // the client saw it.
      await rec.settle('client', 'end', new Promise<void>((res) => client.once('end', () => res())));
      rec.add('client', 'at end', { reused: client.isSessionReused() });
    }
    await rec.settle('client', 'close', closed);
  };
}

const clientCert = { cert: testPki.client.certPem, key: testPki.client.keyPem };

/** The client starts a renegotiation; a relay holds the client's next flight until the server
 *  has answered the ClientHello, and the server calls renegotiate() then, mid-handshake. */
async function renegotiateDuringPeers(m: Ends, rec: Recorder): Promise<void> {
  const server = m.server.createServer(serverOptions());
  const accepted = new Promise<RenegotiatingSocket>((res) => server.on('secureConnection', (s: RenegotiatingSocket) => {
    s.on('error', (e: Error) => rec.add('server socket', 'error', e));
    s.resume();
    res(s);
  }));
  const port = await listen(rec, server);
  let phase: 'handshake' | 'client hello next' | 'holding' | 'released' = 'handshake';
  const held: Buffer[] = [];
  let serverDone!: () => void;
  const serverCallback = new Promise<void>((res) => (serverDone = res));
  const relay = net.createServer((a) => {
    const b = net.connect(port, '127.0.0.1');
    rec.cleanups.push(() => b.destroy(), () => a.destroy());
    a.on('error', () => undefined);
    b.on('error', () => undefined);
    a.on('data', (d: Buffer) => {
      if (phase === 'holding') return void held.push(d);
      b.write(d);
      if (phase === 'client hello next') phase = 'holding';
    });
    b.on('data', (d: Buffer) => {
      a.write(d);
      if (phase !== 'holding') return;
      // The server has answered the renegotiation's ClientHello: it is mid-handshake.
      phase = 'released';
      void accepted.then((s) => {
        const r = s.renegotiate({}, (err) => {
          rec.add('server socket', 'renegotiate callback', err);
          serverDone();
        });
        rec.add('server socket', 'renegotiate() mid-handshake', r);
        for (const h of held.splice(0)) b.write(h);
      });
    });
  });
  const c = rec.track(m.client.connect(clientOptions(await listen(rec, relay))) as RenegotiatingSocket);
  let keylogs = 0;
  c.on('keylog', () => keylogs++);
  c.on('error', (e: Error) => rec.add('client', 'error', e));
  c.resume();
  await next(c, 'secureConnect');
  phase = 'client hello next';
  const clientCallback = new Promise<void>((res) => c.renegotiate({}, (err) => {
    rec.add('client', 'renegotiate callback', err);
    res();
  }));
  await rec.settle('client', 'renegotiate callback', clientCallback);
  await rec.settle('server socket', 'renegotiate callback', serverCallback);
  // One handshake after the first: the server's call joined the client's (no third one began).
  rec.add('client', 'handshakes (keylog lines)', keylogs);
}

describe('parity with node:tls: which handshake a renegotiation makes', function () {
  parity("renegotiate() while the peer's renegotiation is running joins it: true, and the callback when it completes", renegotiateDuringPeers);

  parity("server renegotiate({}): the client offers its session (ticket), the server resumes it", renegotiationScenario({
    by: 'server', renegotiate: {},
  }));

  parity('client renegotiate({}): a full handshake (no session offered)', renegotiationScenario({
    by: 'client', renegotiate: {},
  }));

  // Our client against node's server: node's server resumes the offered session, so it never
  // asks for the certificate and the renegotiation succeeds without one.
  parity('server renegotiate({ requestCert: true }): our client offers its session as node\'s does (node\'s server resumes it)', renegotiationScenario({
    by: 'server', renegotiate: { requestCert: true, rejectUnauthorized: false },
  }), { runs: ['client'] });
  parity('server renegotiate({ requestCert: true }) to a client with a certificate: our client offers its session (node\'s server resumes it)', renegotiationScenario({
    by: 'server', renegotiate: { requestCert: true, rejectUnauthorized: false }, clientExtra: clientCert,
  }), { runs: ['client'] });

  // Our server: a session that carries no client certificate is not resumed when the
  // renegotiation asks for one (a full handshake with a CertificateRequest), where node's
  // server resumes it and so never asks (compat.md).
  parity('server renegotiate({ requestCert: true }) by our server: a full handshake that asks for the certificate', renegotiationScenario({
    by: 'server', renegotiate: { requestCert: true, rejectUnauthorized: false }, clientExtra: clientCert,
  }), {
    runs: ['server', 'both'],
    differences: [
      { channel: 'server socket', label: 'renegotiate callback', compat: 'resumes only a session that carries one' },
      { channel: 'client', label: 'at end', compat: 'resumes only a session that carries one' },
      // (A full handshake makes a new session: node's client emits 'session' for it.)
      { channel: 'client', label: 'session', compat: 'resumes only a session that carries one' },
    ],
  });

  // Session IDs only: node's server (no sessionIdContext) resumes none, so this compares our
  // client's offer against node's server only.
  parity('server renegotiate({}) with session IDs (SSL_OP_NO_TICKET): a full handshake with node\'s server', renegotiationScenario({
    by: 'server', renegotiate: {}, serverExtra: { secureOptions: constants.SSL_OP_NO_TICKET },
  }), { runs: ['client'] });
});
