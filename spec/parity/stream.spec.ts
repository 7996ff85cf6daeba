// Stream semantics of a TLS socket, node:tls and secure-duplex side by side (spec/parity/harness.ts):
// 'end'/'close' without a reader, backpressure, half-open, end() before the handshake, Duplex
// transports, non-TLS bytes, 'close' hadError, net.Socket properties, errors of a transport that
// goes away, TLS inside TLS.
import * as dns from 'node:dns';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { duplexPair } from '../helpers/duplex-pair.js';
import { parity, type Ends, type Recorder, sha256 } from './harness.js';
import { clientOptions, listen, next, serverOptions } from './fixtures.js';

const STREAM_EVENTS = ['end', 'finish', 'close', 'error'] as const;

/** A promise of `emitter`'s next `event`, made now (so an event that comes before the await is
 *  not missed); for rec.settle(). */
function upcoming(emitter: NodeJS.EventEmitter, event: string): Promise<unknown> {
  return new Promise((res) => emitter.once(event, res));
}

/** Hash what `s` delivers; records { bytes, sha256 } in `channel` at 'end'. */
function readAll(rec: Recorder, channel: string, s: Duplex): void {
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('end', () => {
    const all = Buffer.concat(chunks);
    rec.add(channel, 'received', { bytes: all.length, sha256: sha256(all) });
  });
}

describe('parity with node:tls: stream semantics', function () {
  parity('a socket nobody reads still emits end and close when the peer closes; server.close() calls back', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    const accepted = new Promise<Duplex>((res) => server.on('secureConnection', (s: Duplex) => {
      rec.watch('server socket', s, STREAM_EVENTS);
      res(s);
    }));
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)));
    rec.watch('client', c, ['secureConnect', ...STREAM_EVENTS]);
    const clientClosed = upcoming(c, 'close');
    await next(c, 'secureConnect');
    const s = await accepted;
    const serverSideClosed = upcoming(s, 'close');
    c.end();
    await rec.settle('server socket', 'close', serverSideClosed);
    await rec.settle('server', 'close() callback', new Promise<void>((res) => server.close(() => res())));
    rec.add('server', 'closed');
    await rec.settle('client', 'close', clientClosed);
  });

  parity('write() returns false at the 16 KiB high-water mark; writableLength counts what is not yet written', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => readAll(rec, 'server socket', s));
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)));
    await next(c, 'secureConnect');
    rec.props('client', 'before writing', c, ['writableHighWaterMark', 'writableLength', 'writableNeedDrain']);
    rec.call('client', 'write(1 MiB)', () => c.write(Buffer.alloc(1024 * 1024, 1)));
    rec.props('client', 'after write(1 MiB)', c, ['writableLength', 'writableNeedDrain']);
    await rec.waitFor('client', c, 'drain');
    rec.props('client', 'drained', c, ['writableLength', 'writableNeedDrain']);
    let writes = 0;
    let ok = true;
    while (ok && writes < 1000) {
      ok = c.write(Buffer.alloc(1024, 2));
      writes++;
    }
    rec.add('client', '1 KiB writes until write() returned false', writes, c.writableLength);
    if (!ok) await next(c, 'drain');
    const serverClosed = new Promise((res) => server.once('close', res));
    c.end();
    server.close();
    await next(c, 'close');
    await rec.settle('server', 'close', serverClosed);
  });

  parity("allowHalfOpen: server.allowHalfOpen defaults to false, connect() and the server's sockets take the option, new TLSSocket() the wrapped socket's", async (m, rec) => {
    const server = rec.track(m.server.createServer(serverOptions()));
    rec.props('server', 'created', server, ['allowHalfOpen']);
    const halfOpen = rec.track(m.server.createServer({ ...serverOptions(), allowHalfOpen: true }));
    rec.props('server', 'created with allowHalfOpen: true', halfOpen, ['allowHalfOpen']);
    for (const [duplexHalfOpen, allowHalfOpen] of [[true, false], [false, true], [false, undefined]] as const) {
      const [a] = duplexPair();
      a.allowHalfOpen = duplexHalfOpen;
      const sock = rec.track(new m.client.TLSSocket(a, { allowHalfOpen }));
      sock.on('error', () => undefined);
      rec.props('TLSSocket', `new TLSSocket(duplex with allowHalfOpen ${duplexHalfOpen}, { allowHalfOpen: ${allowHalfOpen} })`, sock, ['allowHalfOpen']);
    }
    for (const allowHalfOpen of [undefined, true]) {
      const srv = m.server.createServer({ ...serverOptions(), allowHalfOpen });
      const accepted = new Promise<Duplex>((res) => srv.on('secureConnection', res));
      const port = await listen(rec, srv);
      const c = rec.track(m.client.connect(clientOptions(port, { allowHalfOpen })));
      await next(c, 'secureConnect');
      rec.props('client', `connect({ allowHalfOpen: ${allowHalfOpen} })`, c, ['allowHalfOpen']);
      rec.props('server socket', `createServer({ allowHalfOpen: ${allowHalfOpen} })`, await accepted, ['allowHalfOpen']);
    }
  });

  parity('after the server end()s, what the client wrote still arrives (the server reads until the client closes)', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    const accepted = new Promise<Duplex>((res) => server.on('secureConnection', (s: Duplex) => {
      rec.watch('server socket', s, STREAM_EVENTS);
      readAll(rec, 'server socket', s);
      s.end();
      res(s);
    }));
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)));
    rec.watch('client', c, ['secureConnect', ...STREAM_EVENTS]);
    c.on('secureConnect', () => rec.call('client', 'write in secureConnect', () => c.write('from the client')));
    c.resume();
    const clientClosed = upcoming(c, 'close');
    const s = await accepted;
    const serverSideClosed = upcoming(s, 'close');
    await rec.settle('client', 'close', clientClosed);
    await rec.settle('server socket', 'close', serverSideClosed);
  });

  for (const [what, end] of [['end()', (c: Duplex) => c.end()], ["end('')", (c: Duplex) => c.end('')]] as const) {
    parity(`${what} before the handshake completes: the handshake completes, then the connection closes`, async (m, rec) => {
      const server = m.server.createServer(serverOptions());
      server.on('secureConnection', (s: Duplex) => {
        rec.add('server', 'secureConnection');
        rec.watch('server socket', s, STREAM_EVENTS);
        s.resume();
      });
      server.on('tlsClientError', (e: Error) => rec.add('server', 'tlsClientError', e));
      const port = await listen(rec, server);
      const c = rec.track(m.client.connect(clientOptions(port)));
      rec.watch('client', c, ['secureConnect', ...STREAM_EVENTS]);
      c.resume();
      const clientClosed = upcoming(c, 'close');
      end(c);
      await rec.settle('client', 'close', clientClosed);
    });
  }

  const writeThenDestroy = (overPair: boolean) => async (m: Ends, rec: Recorder): Promise<void> => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => {
      rec.add('server', 'secureConnection');
      rec.call('server', 'write', () => s.write('bye'));
      s.destroy();
    });
    let c: Duplex;
    if (overPair) {
      const [a, b] = duplexPair();
      rec.track(server);
      server.emit('connection', b);
      c = rec.track(m.client.connect({ ...clientOptions(0), socket: a }));
    } else {
      c = rec.track(m.client.connect(clientOptions(await listen(rec, server))));
    }
    rec.watch('client', c, ['secureConnect', 'data', 'error']);
    await rec.waitFor('client', c, 'data');
  };
  parity("write() then destroy() in 'secureConnection' over TCP: the client completes and gets the data", writeThenDestroy(false));
  parity("write() then destroy() in 'secureConnection' over a Duplex pair: node:tls loses the final flight and the data, ours delivers them", writeThenDestroy(true), {
    runs: ['server', 'both'],
    differences: [{ channel: 'client', compat: 'its JSStreamSocket writes asynchronously' }],
  });

  for (const [what, bytes] of [
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')],
    ['binary garbage', Buffer.from('00112233445566778899aabbccddeeff', 'hex')],
  ] as const) {
    parity(`${what} to a TLS server: tlsClientError, and the connection closes without an alert`, async (m, rec) => {
      const server = m.server.createServer(serverOptions());
      server.on('tlsClientError', (e: Error) => rec.add('server', 'tlsClientError', e));
      const port = await listen(rec, server);
      const raw = rec.track(net.connect(port, '127.0.0.1'));
      const got: Buffer[] = [];
      raw.on('data', (d: Buffer) => got.push(d));
      const ended = upcoming(raw, 'end');
      raw.write(bytes);
      await rec.settle('raw client', 'end', ended);
      rec.add('raw client', 'received', Buffer.concat(got).toString('hex'));
    });
  }

  parity('a client that goes away (destroy()) while the server socket, with no error listener, ends: no error, close', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => {
      // Only 'close' (no 'error' listener: an 'error' here would be uncaught, failing the test).
      s.on('close', (hadError: boolean) => rec.add('server socket', 'close', hadError));
      s.resume();
    });
    const port = await listen(rec, server);
    for (let i = 0; i < 3; i++) {
      const accepted = next<Duplex>(server, 'secureConnection');
      const c = m.client.connect(clientOptions(port));
      await next(c, 'secureConnect');
      const closed = upcoming(await accepted, 'close');
      c.destroy();
      await rec.settle('server socket', 'close', closed);
    }
  });

  parity('a server that answers in plain HTTP: the client fails with ERR_SSL_WRONG_VERSION_NUMBER', async (m, rec) => {
    const plain = net.createServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
      s.on('error', () => undefined);
    });
    const port = await listen(rec, plain);
    const c = rec.track(m.client.connect(clientOptions(port)));
    rec.watch('client', c, ['secureConnect', 'error', 'close']);
    await rec.waitFor('client', c, 'close');
  });

  parity("'close' says hadError after an error", async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('tlsClientError', () => undefined);
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port, { ca: [] })));
    rec.watch('client', c, ['secureConnect', ...STREAM_EVENTS]);
    await rec.waitFor('client', c, 'close');
  });

  parity('bufferSize and timeout, before and after the handshake and setTimeout()', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const c = rec.track(m.client.connect(clientOptions(port)));
    rec.props('client', 'connecting', c, ['bufferSize', 'timeout']);
    await next(c, 'secureConnect');
    rec.props('client', 'connected', c, ['bufferSize', 'timeout']);
    c.setTimeout(5000);
    rec.props('client', 'setTimeout(5000)', c, ['bufferSize', 'timeout']);
    c.setTimeout(0);
    rec.props('client', 'setTimeout(0)', c, ['bufferSize', 'timeout']);
  });

  parity('lookup is called with the options net gives it (family, hints)', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const lookup = (host: string, opts: dns.LookupOptions, cb: (...a: unknown[]) => void): void => {
      rec.add('client', 'lookup', host, opts);
      dns.lookup('127.0.0.1', opts, cb as never);
    };
    const c = rec.track(m.client.connect(clientOptions(port, { host: 'localhost', lookup })));
    await next(c, 'secureConnect');
  });

  parity('the transport closes before the handshake: ECONNRESET with host, port and localAddress (client); "socket hang up" (server)', async (m, rec) => {
    // A TCP server that closes every connection at once.
    const closer = net.createServer((s) => s.destroy());
    const port = await listen(rec, closer);
    const c = rec.track(m.client.connect(clientOptions(port)));
    const err = (await rec.waitFor('client', c, 'error')) as Record<string, unknown> | undefined;
    rec.add('client', 'error', err, err && { host: err.host, port: err.port === port, localAddress: err.localAddress, path: err.path });

    const server = m.server.createServer(serverOptions());
    const serverErr = upcoming(server, 'tlsClientError');
    const tlsPort = await listen(rec, server);
    const raw = net.connect(tlsPort, '127.0.0.1', () => raw.destroy());
    rec.add('server', 'tlsClientError', await rec.settle('server', 'tlsClientError', serverErr));
  });

  parity('TLS inside TLS: a TLSSocket over another TLSSocket, both ends, data both ways and a clean close', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    const innerServerClosed = new Promise((res) => server.on('secureConnection', (outer: Duplex) => {
      rec.watch('outer server socket', outer, ['error']);
      const inner = new m.server.TLSSocket(outer, { isServer: true, ...serverOptions() });
      rec.watch('inner server socket', inner, ['secure', 'error', 'close']);
      inner.on('data', (d: Buffer) => {
        rec.add('inner server socket', 'data', d);
        inner.end('pong');
      });
      inner.on('close', res);
    }));
    const port = await listen(rec, server);
    const outer = rec.track(m.client.connect(clientOptions(port)));
    // (Not 'end': whether the inner end() also ends the outer stream before the inner socket is
    // destroyed is a race in node:tls, whose JSStreamSocket ends it in a setImmediate.)
    rec.watch('outer client', outer, ['secureConnect', 'error', 'close']);
    await next(outer, 'secureConnect');
    const inner = rec.track(m.client.connect({ ...clientOptions(0), socket: outer }));
    rec.watch('inner client', inner, ['secureConnect', 'data', 'end', 'error', 'close']);
    await next(inner, 'secureConnect');
    const outerClosed = upcoming(outer, 'close');
    inner.write('ping');
    await rec.waitFor('inner client', inner, 'close');
    // The inner connection is over; the outer one stays open until ended.
    rec.props('outer client', 'inner closed', outer, ['destroyed']);
    outer.end();
    await rec.settle('outer client', 'close', outerClosed);
    await rec.settle('inner server socket', 'close', innerServerClosed);
  });
});
