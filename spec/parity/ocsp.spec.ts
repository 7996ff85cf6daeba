// The client's 'OCSPResponse', node:tls and secure-duplex side by side (spec/parity/harness.ts):
// it comes once the server's flight is in, before the client answers it (so before 'keylog' and
// 'secureConnect'), only in the first full handshake, and a destroy() in its listener aborts
// the handshake (the server sees the connection reset).
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { parity, type Ends, type Recorder } from './harness.js';
import { clientOptions, listen, serverOptions } from './fixtures.js';

const STAPLE = Buffer.from('an OCSP response, not parsed by either side');

/** A server that staples STAPLE (or has no 'OCSPRequest' listener: no staple), records its own
 *  events in `server`; ends each connection after a reply, or renegotiates first. */
async function ocspServer(rec: Recorder, m: Ends, opts: { staple: boolean; renegotiate?: boolean }): Promise<{ port: number; server: EventEmitter }> {
  const server = m.server.createServer(serverOptions());
  if (opts.staple) {
    server.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, cb: (e: Error | null, r: Buffer) => void) => {
      rec.add('server', 'OCSPRequest');
      cb(null, STAPLE);
    });
  }
  server.on('tlsClientError', (e: Error) => rec.add('server', 'tlsClientError', e));
  server.on('secureConnection', (s: Duplex & { renegotiate: Function }) => {
    rec.add('server', 'secureConnection');
    s.on('error', (e: Error) => rec.add('server', 'socket error', e));
    s.resume();
    if (!opts.renegotiate) return void s.end('bye');
    s.renegotiate({}, (err: Error | null) => {
      rec.add('server', 'renegotiate callback', err);
      s.end('bye');
    });
  });
  return { port: await listen(rec, server), server };
}

/** A client with requestOCSP: its events in `channel` until it closes; returns its session. */
async function ocspClient(rec: Recorder, m: Ends, port: number, channel: string, opts: { destroyInListener?: boolean; session?: Buffer; only?: string[] } = {}): Promise<Buffer | undefined> {
  const c = rec.track(m.client.connect(clientOptions(port, { requestOCSP: true, session: opts.session })) as Duplex);
  let session: Buffer | undefined;
  const watched = opts.only ?? ['OCSPResponse', 'keylog', 'secureConnect', 'session', 'error'];
  for (const ev of watched) {
    // (keylog lines and sessions differ by connection: their arrival only.)
    c.on(ev, (arg: unknown) => (ev === 'OCSPResponse' || ev === 'error' ? rec.add(channel, ev, arg) : rec.add(channel, ev)));
  }
  c.on('session', (s: Buffer) => (session = s));
  if (opts.destroyInListener) c.on('OCSPResponse', () => c.destroy());
  c.resume();
  rec.add(channel, 'close', await rec.settle(channel, 'close', new Promise((res) => c.once('close', res))));
  return session;
}

describe("parity with node:tls: the client's 'OCSPResponse'", function () {
  parity("'OCSPResponse' (a staple, then none) before 'keylog' and 'secureConnect'; none in a resumption", async (m, rec) => {
    const { port } = await ocspServer(rec, m, { staple: true });
    const session = await ocspClient(rec, m, port, 'full handshake');
    await ocspClient(rec, m, port, 'resumption', { session });
    const unstapled = await ocspServer(rec, m, { staple: false });
    await ocspClient(rec, m, unstapled.port, 'no staple');
  });

  parity("a destroy() in the 'OCSPResponse' listener aborts the handshake", async (m, rec) => {
    const { port, server } = await ocspServer(rec, m, { staple: true });
    // The server sees the connection end mid-handshake (no 'secureConnection').
    const failed = rec.waitFor('server', server, 'tlsClientError');
    await ocspClient(rec, m, port, 'client', { destroyInListener: true });
    await failed;
  });

  parity("no 'OCSPResponse' in a renegotiation", async (m, rec) => {
    const { port } = await ocspServer(rec, m, { staple: true, renegotiate: true });
    await ocspClient(rec, m, port, 'client', { only: ['OCSPResponse', 'error'] });
  });
});
