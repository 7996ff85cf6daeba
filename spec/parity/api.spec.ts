// Results and API of node:tls and secure-duplex side by side (spec/parity/harness.ts):
// authorizationError, the error of each alert received, calling Server/Agent without new,
// null/false options, renegotiation (README example, the client's limit, HTTP/2).
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { expect } from 'chai';
import { nodeTls, oursTls, parity, Recorder } from './harness.js';
import { runCleanups } from '../helpers/cleanups.js';
import { within } from '../helpers/within.js';
import { clientOptions, listen, next, serverOptions, testPki } from './fixtures.js';

/** Connect, wait for secureConnect or an error (recorded), then record `props` of both ends. */
async function handshake(rec: Recorder, m: { client: { connect: Function } }, server: { on: Function }, port: number, channel: string, options: object): Promise<void> {
  const accepted = new Promise<Duplex>((res) => server.on('secureConnection', res));
  let c: Duplex;
  try {
    c = rec.track(m.client.connect(clientOptions(port, options)) as Duplex);
  } catch (e) {
    rec.add(channel, 'connect() threw', e);
    return;
  }
  c.on('error', (e: Error) => rec.add(channel, 'client error', e));
  const ok = await rec.settle(channel, 'secureConnect', new Promise<boolean>((res) => {
    c.once('secureConnect', () => res(true));
    c.once('close', () => res(false));
  }));
  if (!ok) return;
  rec.props(channel, 'client', c, ['authorized', 'authorizationError']);
  rec.props(channel, 'server socket', await accepted, ['authorized', 'authorizationError']);
}

describe('parity with node:tls: results and API', function () {
  parity('authorizationError is node\'s string code, on both sides', async (m, rec) => {
    const self = testPki.selfSigned;
    const s1 = m.server.createServer(serverOptions({ cert: self.certPem, key: self.keyPem }));
    await handshake(rec, m, s1, await listen(rec, s1), 'self-signed server', { rejectUnauthorized: false });
    const s2 = m.server.createServer(serverOptions({ cert: testPki.wrongHost.certPem, key: testPki.wrongHost.keyPem }));
    await handshake(rec, m, s2, await listen(rec, s2), 'wrong host', { rejectUnauthorized: false });
    const s3 = m.server.createServer(serverOptions({ requestCert: true, rejectUnauthorized: false, ca: testPki.ca.certPem }));
    const p3 = await listen(rec, s3);
    await handshake(rec, m, s3, p3, 'client without a certificate', {});
    await handshake(rec, m, s3, p3, 'client with a certificate', { cert: testPki.client.certPem, key: testPki.client.keyPem });
    await handshake(rec, m, s3, p3, 'client with a self-signed certificate', { cert: self.certPem, key: self.keyPem });
  });

  // RFC 5246 §7.2 and the later registry entries a TLS 1.2 peer may send, and one unassigned.
  const ALERTS = [10, 20, 21, 22, 30, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 60, 70, 71, 80, 86, 90, 100, 110, 111, 112, 113, 114, 115, 116, 120, 200];
  parity('a fatal alert from the server: one error code per alert, as OpenSSL names it', async (m, rec) => {
    // (200, unassigned: OpenSSL has no reason for it and node:tls reports a reset; see compat.md.)
    for (const desc of ALERTS) {
      // A server that answers the ClientHello with this fatal alert (RFC 5246 §7.2).
      const raw = net.createServer((s) => {
        s.on('error', () => undefined);
        s.once('data', () => s.end(Buffer.from([21, 3, 3, 0, 2, 2, desc])));
      });
      const port = await listen(rec, raw);
      const c = rec.track(m.client.connect(clientOptions(port)) as Duplex);
      const err = await rec.settle(`alert ${desc}`, 'error', next<Error>(c, 'error'));
      rec.add(desc === 200 ? 'unassigned alert' : `alert ${desc}`, 'error', err);
      rec.add(`alert ${desc}`, 'failed', err !== undefined);
      raw.close();
    }
  }, { differences: [{ channel: 'unassigned alert', compat: 'an alert description OpenSSL has no reason for' }] });

  parity('a record of an unknown content type from the server', async (m, rec) => {
    const raw = net.createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end(Buffer.from([99, 3, 3, 0, 2, 1, 2])));
    });
    const port = await listen(rec, raw);
    const c = rec.track(m.client.connect(clientOptions(port)) as Duplex);
    const err = await rec.settle('client', 'error', next<Error>(c, 'error'));
    rec.add('client', 'failed', err !== undefined);
    rec.add('client error', 'error', err);
  }, { differences: [{ channel: 'client error', compat: 'a record of an unknown content type' }] });

  parity("README example: a server's renegotiate({ requestCert: true }) to a client without a certificate", async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    const renegotiated = new Promise<unknown>((res) => server.on('secureConnection', (s: Duplex & { renegotiate: Function }) => {
      s.on('error', (e: Error) => rec.add('server socket', 'error', e));
      s.pipe(s);
      rec.call('server socket', 'renegotiate', () => s.renegotiate({ requestCert: true }, (err: Error | null) => res(err)));
    }));
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)) as Duplex);
    rec.watch('client alert', c, ['error']);
    const closed = new Promise((res) => c.on('close', res));
    c.on('data', (d: Buffer) => rec.add('client', 'data', d));
    c.once('secureConnect', () => rec.add('client', 'secureConnect'));
    rec.add('server socket', 'renegotiate callback', await rec.settle('server socket', 'renegotiate callback', renegotiated));
    // Then the server closes the connection (no echo of what the client writes now).
    c.write('after');
    rec.add('client', 'close', await rec.settle('client', 'close', closed));
  });

  parity('a server that renegotiates 5 times: the client does not count them (node applies its limit to client-started ones only)', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    const done = new Promise<void>((res) => server.on('secureConnection', async (s: Duplex & { renegotiate: Function }) => {
      s.on('error', (e: Error) => rec.add('server socket errors', 'error', e));
      s.resume();
      for (let i = 0; i < 5; i++) {
        const err = await new Promise((r) => {
          if (!s.renegotiate({ rejectUnauthorized: false }, r)) r('renegotiate() returned false');
        });
        rec.add('server socket', `renegotiation ${i + 1}`, err);
        if (err) break;
      }
      res();
    }));
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)) as Duplex);
    rec.watch('client', c, ['error']);
    rec.watch('client secureConnect', c, ['secureConnect']);
    c.once('secureConnect', () => rec.add('client', 'secureConnect'));
    await rec.settle('server socket', 'renegotiations', done, 10_000);
    rec.props('client', 'after 5 renegotiations', c, ['destroyed']);
  }, {
    differences: [
      { channel: 'server socket errors', compat: 'counts the renegotiations it starts itself' },
      { channel: 'client secureConnect', compat: "re-emits `'secureConnect'` after every renegotiation" },
    ],
  });

  parity('tls.Server() and Agent() called without new', async (m, rec) => {
    for (const [name, make] of [['Server', () => m.server.Server(serverOptions())], ['Agent', () => m.client.Agent({ keepAlive: true })]] as const) {
      // (node: function constructors; ours: classes exported through callableWithoutNew().)
      try {
        const made = rec.track(make() as { destroy(): unknown });
        rec.add(name, 'called without new', { instance: made instanceof (name === 'Server' ? m.server : m.client)[name] });
        if (name === 'Agent') rec.props(name, 'options', made, ['keepAlive']);
      } catch (e) {
        rec.add(name, 'called without new', e);
      }
    }
  });

  // Each option set to null (or false): as node, treated as absent.
  const SERVER_ABSENT: Record<string, unknown>[] = [
    { ciphers: null }, { crl: null }, { pfx: null }, { sigalgs: null }, { ca: null }, { ca: false }, { passphrase: null },
    { dhparam: null }, { crl: false }, { pfx: false }, { ALPNProtocols: null }, { ecdhCurve: null },
  ];
  const CLIENT_ABSENT: Record<string, unknown>[] = [
    { key: false, cert: false }, { key: null, cert: null }, { pfx: null }, { crl: null }, { ciphers: null }, { sigalgs: null }, { session: null },
  ];
  parity('null and false option values are treated as absent', async (m, rec) => {
    for (const extra of SERVER_ABSENT) {
      const ch = `server ${JSON.stringify(extra)}`;
      const server = rec.call(ch, 'createServer', () => m.server.createServer(serverOptions(extra))) as { on: Function } | undefined;
      if (!server) continue;
      await handshake(rec, m, server, await listen(rec, server as never), ch, {});
    }
    const server = m.server.createServer(serverOptions());
    const port = await listen(rec, server);
    for (const extra of CLIENT_ABSENT) await handshake(rec, m, server, port, `client ${JSON.stringify(extra)}`, extra);
  });

  parity('behind an HTTP/2 server a client-started renegotiation is refused (RFC 9113 §9.2.1)', async (m, rec) => {
    const h2 = http2.createServer();
    h2.on('sessionError', (e: Error) => rec.add('http2', 'sessionError', e));
    const server = m.server.createServer(serverOptions({ ALPNProtocols: ['h2'] }));
    server.on('secureConnection', (s: Duplex) => {
      // (node:tls emits the error twice; the first one counts.)
      s.once('error', (e: Error) => rec.add('server socket', 'error', e));
      s.on('error', () => undefined);
      h2.emit('connection', s);
    });
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port, { ALPNProtocols: ['h2'] })) as Duplex & { renegotiate: Function });
    c.on('error', (e: Error) => rec.add('client', 'error', e));
    await next(c, 'secureConnect');
    const result = new Promise((res) => {
      if (!c.renegotiate({}, res)) res('renegotiate() returned false');
    });
    // (node's client never calls back: a bounded wait, in a channel not compared.)
    rec.add('client', 'renegotiate callback', await rec.settle('client', 'renegotiate callback', result, 1000));
  }, {
    // Our server, behind node's http2, with node's client (ours refuses to start one: below).
    runs: ['server'],
    differences: [{ channel: 'client', compat: 'a node:tls client whose renegotiation the server drops this way never calls back' }],
  });

  it('with h2 agreed by ALPN our client does not renegotiate (RFC 9113 §9.2.1), against a node:tls server', async function () {
    const rec = new Recorder();
    try {
      const server = nodeTls.createServer({ ...serverOptions({ ALPNProtocols: ['h2'] }), maxVersion: 'TLSv1.2' });
      server.on('secureConnection', (s: Duplex) => s.on('error', () => undefined));
      const port = await listen(rec, server);
      const c = rec.track(oursTls.connect(clientOptions(port, { ALPNProtocols: ['h2'] })) as Duplex & { renegotiate: Function; alpnProtocol: unknown });
      await next(c, 'secureConnect');
      expect(c.alpnProtocol).to.equal('h2');
      let started: boolean | undefined;
      const err = await within(new Promise<NodeJS.ErrnoException>((res) => { started = c.renegotiate({}, res); }), 'renegotiate callback');
      expect(started).to.equal(false);
      expect(err.code).to.equal('ERR_TLS_RENEGOTIATION_DISABLED');
    } finally {
      await runCleanups(rec.cleanups);
    }
  });
});
