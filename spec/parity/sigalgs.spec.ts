// The server's `sigalgs` option, node:tls and secure-duplex side by side (spec/parity/harness.ts):
// it restricts the server's own ServerKeyExchange signature as well as what it accepts, and a
// client offering none of it fails the handshake (OpenSSL's tls1_set_server_sigalgs).
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { parity, type Ends, type Recorder } from './harness.js';
import { clientOptions, listen, serverOptions } from './fixtures.js';

/** A handshake of a client with `clientExtra` to a server with `serverExtra` (P-256
 *  certificate), through a TCP relay that records the first bytes the server sends when the
 *  handshake fails (the alert record on the wire). */
async function sigalgsHandshake(rec: Recorder, m: Ends, ch: string, serverExtra: object, clientExtra: object): Promise<void> {
  const server = m.server.createServer(serverOptions(serverExtra));
  server.on('tlsClientError', (e: Error) => rec.add(`${ch} server`, 'tlsClientError', e));
  server.on('secureConnection', (s: Duplex & { getSharedSigalgs(): string[] }) => {
    rec.add(`${ch} server`, 'secureConnection', { sharedSigalgs: s.getSharedSigalgs() });
    s.on('error', () => undefined);
    s.end();
  });
  const port = await listen(rec, server);
  let fromServer = Buffer.alloc(0);
  const relay = net.createServer((a) => {
    const b = net.connect(port, '127.0.0.1');
    a.on('error', () => undefined);
    b.on('error', () => undefined);
    a.pipe(b);
    b.on('data', (d: Buffer) => {
      fromServer = Buffer.concat([fromServer, d]);
      a.write(d);
    });
    b.on('end', () => a.end());
    rec.cleanups.push(() => b.destroy(), () => a.destroy());
  });
  const relayPort = await listen(rec, relay);
  const c = rec.track(m.client.connect(clientOptions(relayPort, clientExtra)) as Duplex & { getSharedSigalgs(): string[] });
  c.on('error', (e: Error) => rec.add(`${ch} client`, 'error', e));
  c.on('secureConnect', () => rec.add(`${ch} client`, 'secureConnect', { sharedSigalgs: c.getSharedSigalgs() }));
  c.resume();
  await rec.settle(`${ch} client`, 'close', new Promise((res) => c.once('close', res)));
  // The first record from the server: its ServerHello (type 22) or a fatal alert (21, with
  // its level and description).
  rec.add(`${ch} wire`, 'first record', fromServer[0] === 21 ? fromServer.subarray(0, 7).toString('hex') : fromServer[0]);
}

describe("parity with node:tls: the server's sigalgs", function () {
  parity('a server whose sigalgs share nothing with the client fails the handshake with a handshake_failure alert', async (m, rec) => {
    await sigalgsHandshake(rec, m, 'none shared', { sigalgs: 'ECDSA+SHA384' }, { sigalgs: 'ECDSA+SHA256' });
  });

  // SHA-1 is no scheme of ours (OpenSSL 3 refuses it at its default security level): a client
  // offering only SHA-1 shares nothing with either server. (node's client only: ours cannot
  // offer SHA-1.)
  parity('a client offering only SHA-1 schemes shares none with the server', async (m, rec) => {
    await sigalgsHandshake(rec, m, 'SHA-1 only', {}, { sigalgs: 'ECDSA+SHA1:RSA+SHA1', ciphers: 'ALL@SECLEVEL=0' });
  }, { runs: ['server'] });

  parity('a server restricted to ECDSA+SHA384 signs with it (getSharedSigalgs on both sides)', async (m, rec) => {
    await sigalgsHandshake(rec, m, 'one shared', { sigalgs: 'ECDSA+SHA384' }, {});
    await sigalgsHandshake(rec, m, 'several shared', { sigalgs: 'RSA-PSS+SHA256:ECDSA+SHA384:ECDSA+SHA256' }, { sigalgs: 'ECDSA+SHA256:ECDSA+SHA384' });
  });

  parity("a server whose sigalgs share only schemes its certificate cannot make: the client sees the same alert", async (m, rec) => {
    await sigalgsHandshake(rec, m, 'unusable', { sigalgs: 'RSA-PSS+SHA256' }, {});
  }, { differences: [{ channel: 'unusable server', label: 'tlsClientError', compat: 'a shared scheme the certificate cannot make' }] });
});
