// Options and Server methods, node:tls and secure-duplex side by side (spec/parity/harness.ts):
// checkServerIdentity, highWaterMark, timeout, localAddress/family, minVersion/maxVersion, the
// server's handshakeTimeout, setSecureContext(), getConnections(), honorCipherOrder, the
// OpenSSL-only options both accept, and the net.Socket methods forwarded to the transport.
import * as net from 'node:net';
import { constants } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { parity, type Recorder } from './harness.js';
import { clientOptions, listen, next, secured, serverOptions, testPki } from './fixtures.js';

type Sock = Duplex & Record<string, (...a: unknown[]) => unknown>;

/** secureConnect (true) or close first (false), bounded; errors recorded in `channel`. */
function securedOrError(rec: Recorder, channel: string, c: Duplex): Promise<boolean | undefined> {
  c.on('error', (e: Error) => rec.add(channel, 'error', e));
  return secured(rec, channel, c);
}

describe('parity with node:tls: options and server methods', function () {
  parity('checkServerIdentity: called with the host and the certificate; an Error it returns fails the handshake', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    server.on('tlsClientError', () => undefined);
    const port = await listen(rec, server);
    for (const verdict of ['accept', 'refuse'] as const) {
      const ch = `checkServerIdentity ${verdict}s`;
      const c = rec.track(m.client.connect(clientOptions(port, {
        checkServerIdentity: (host: string, cert: { subject?: { CN?: string }; raw?: Buffer }) => {
          rec.add(ch, 'called', host, cert.subject?.CN, Buffer.isBuffer(cert.raw));
          return verdict === 'accept' ? undefined : Object.assign(new Error('not this one'), { code: 'MY_CHECK' });
        },
      })) as Duplex);
      rec.add(ch, 'secured', await securedOrError(rec, ch, c));
    }
  });

  parity('highWaterMark (connect and createServer), timeout, localAddress and family', async (m, rec) => {
    const server = m.server.createServer(serverOptions({ highWaterMark: 1024 }));
    const accepted = new Promise<Duplex>((res) => server.on('secureConnection', res));
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port, { highWaterMark: 2048, timeout: 200, localAddress: '127.0.0.1', family: 4 })) as Duplex & { localAddress?: string; timeout?: number });
    await next(c, 'secureConnect');
    const s = await accepted;
    rec.add('client', 'connected', { readableHighWaterMark: c.readableHighWaterMark, localAddress: c.localAddress, timeout: c.timeout });
    // (node 20's server gives it to the TCP sockets only: compat.md.)
    rec.add('server socket highWaterMark', 'accepted', { readableHighWaterMark: s.readableHighWaterMark });
    // Nothing is sent: the socket times out (and stays open: 'timeout' only tells).
    await rec.waitFor('client', c, 'timeout');
    rec.add('client', 'timeout', { destroyed: c.destroyed });
  }, { differences: [{ channel: 'server socket highWaterMark', compat: 'node 20 gives it to the TCP sockets only' }] });

  parity('minVersion / maxVersion that include TLS 1.2 connect at TLS 1.2', async (m, rec) => {
    const server = m.server.createServer(serverOptions({ minVersion: 'TLSv1', maxVersion: 'TLSv1.2' }));
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })) as Duplex & { getProtocol(): string });
    if (await securedOrError(rec, 'client', c)) rec.add('client', 'protocol', c.getProtocol());
  });

  parity("the server's handshakeTimeout: a client that sends nothing gets tlsClientError ERR_TLS_HANDSHAKE_TIMEOUT", async (m, rec) => {
    const server = m.server.createServer(serverOptions({ handshakeTimeout: 300 }));
    const failed = new Promise((res) => server.on('tlsClientError', res));
    const port = await listen(rec, server);
    const raw = rec.track(net.connect(port, '127.0.0.1'));
    raw.on('error', () => undefined);
    const got: Buffer[] = [];
    raw.on('data', (d: Buffer) => got.push(d));
    const ended = new Promise((res) => raw.once('close', res));
    rec.add('server', 'tlsClientError', await rec.settle('server', 'tlsClientError', failed));
    // (node 20's server leaves the TCP connection open: compat.md.)
    await rec.settle('raw client closed', 'close', ended, 1000);
    rec.add('raw client', 'received', Buffer.concat(got).toString('hex'));
  }, { differences: [{ channel: 'raw client closed', compat: 'leaves the connection open until the application destroys it' }] });

  parity('setSecureContext(): new connections get the new certificate; getConnections() counts them', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const peerCN = async (ch: string): Promise<void> => {
      const c = rec.track(m.client.connect(clientOptions(port, { rejectUnauthorized: false })) as Duplex & { getPeerCertificate(): { subject?: { CN?: string } } });
      if (await securedOrError(rec, ch, c)) rec.add(ch, 'peer', c.getPeerCertificate().subject?.CN);
    };
    await peerCN('before');
    server.setSecureContext({ cert: testPki.selfSigned.certPem, key: testPki.selfSigned.keyPem });
    await peerCN('after setSecureContext');
    rec.add('server', 'getConnections', await rec.settle('server', 'getConnections', new Promise((res) => server.getConnections((e: Error | null, n: number) => res(e ?? n)))));
  });

  parity("honorCipherOrder: true (the server's order) and the suite when the server has no preference", async (m, rec) => {
    for (const honorCipherOrder of [true, false]) {
      const ch = `honorCipherOrder: ${honorCipherOrder}`;
      const server = m.server.createServer(serverOptions({ honorCipherOrder, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305' }));
      server.on('secureConnection', (s: Duplex) => s.resume());
      const port = await listen(rec, server);
      const c = rec.track(m.client.connect(clientOptions(port, { ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256' })) as Duplex & { getCipher(): { name: string } });
      if (await securedOrError(rec, ch, c)) rec.add(ch === 'honorCipherOrder: false' ? 'client order' : ch, 'cipher', c.getCipher().name);
    }
  }, { differences: [{ channel: 'client order', compat: 'Always on: the server picks by its own order' }] });

  parity('OpenSSL-only options are accepted (and have no effect on a TLS 1.2 ECDHE handshake)', async (m, rec) => {
    const openssl = {
      secureOptions: constants.SSL_OP_NO_COMPRESSION, secureProtocol: 'TLSv1_2_method', sessionIdContext: 'parity',
      minDHSize: 2048,
    };
    const server = rec.call('server', 'createServer', () => m.server.createServer(serverOptions(openssl))) as { on: Function } | undefined;
    if (!server) return;
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server as never);
    const c = rec.track(m.client.connect(clientOptions(port, openssl)) as Duplex & { getProtocol(): string });
    if (await securedOrError(rec, 'client', c)) rec.add('client', 'protocol', c.getProtocol());
  });

  parity('net.Socket methods return the socket; setEncoding, cork/uncork, pause/resume, pipe', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.pipe(s));
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)) as Sock);
    await next(c, 'secureConnect');
    const calls: [string, unknown[]][] = [['setNoDelay', [true]], ['setKeepAlive', [true, 1000]], ['setTimeout', [0]], ['ref', []], ['unref', []], ['ref', []], ['setEncoding', ['utf8']], ['pause', []]];
    for (const [name, args] of calls) rec.add('client', name, c[name]!(...args) === c);
    c.cork();
    c.write('a');
    c.write('b');
    c.uncork();
    rec.add('client', 'isPaused', c.isPaused());
    const got = new Promise<string>((res) => {
      let text = '';
      c.on('data', (d: unknown) => {
        rec.add('client', 'data is a string', typeof d === 'string');
        text += String(d);
        if (text.length >= 2) res(text);
      });
    });
    c.resume();
    rec.add('client', 'echo', await rec.settle('client', 'echo', got));
    rec.add('client', 'bytes counted', { bytesRead: (c.bytesRead as unknown as number) > 0, bytesWritten: (c.bytesWritten as unknown as number) > 0 });
  });

  parity('destroySoon() ends the connection cleanly; resetAndDestroy() resets it (the server socket sees ECONNRESET)', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    for (const how of ['destroySoon', 'resetAndDestroy'] as const) {
      const accepted = next<Duplex>(server, 'secureConnection');
      const c = rec.track(m.client.connect(clientOptions(port)) as Sock);
      c.on('error', (e: Error) => rec.add(how, 'client error', e));
      await next(c, 'secureConnect');
      const s = await accepted;
      const closed = new Promise((res) => s.once('close', res));
      const events: string[] = [];
      for (const ev of ['end', 'error', 'close']) s.on(ev, (e?: unknown) => events.push(ev === 'error' ? `error ${(e as NodeJS.ErrnoException).code}` : ev));
      // (node 20's TLSSocket#resetAndDestroy() throws ERR_INVALID_HANDLE_TYPE over TCP: its
      // handle is the TLS wrap, not the TCP handle; compat.md.)
      const r = rec.call(how, 'call', () => c[how]!() === c);
      if (r === undefined) c.destroy();
      await rec.settle(how, 'server socket close', closed);
      rec.add(how, 'server socket', events);
    }
  }, { differences: [{ channel: 'resetAndDestroy', compat: 'Over TCP node 20 throws `ERR_INVALID_HANDLE_TYPE` there' }] });

  parity('pauseOnConnect: the handshake waits until the TCP socket is resumed', async (m, rec) => {
    const server = m.server.createServer(serverOptions({ pauseOnConnect: true }));
    server.on('connection', (raw: net.Socket) => {
      rec.add('server', 'connection', { paused: raw.isPaused() });
      setImmediate(() => raw.resume());
    });
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)) as Duplex);
    rec.add('client', 'secured', await securedOrError(rec, 'client', c));
  });
});
