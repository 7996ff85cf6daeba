// connect() arguments and environment, node:tls and secure-duplex side by side
// (spec/parity/harness.ts): argument forms, Agent#createConnection(port, host, options),
// NODE_TLS_REJECT_UNAUTHORIZED=0, the `signal` option.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { parity } from './harness.js';
import { clientOptions, listen, secured, serverOptions, testPki } from './fixtures.js';

describe('parity with node:tls: connect() arguments and environment', function () {
  parity('argument forms: (port, host, options, cb), (port, options, cb), (options, host), ("port", host, options), (path, options, cb)', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const tls = { ca: testPki.ca.certPem, servername: 'localhost' };
    const forms: [string, () => Duplex][] = [
      ['(port, host, options, cb)', () => m.client.connect(port, '127.0.0.1', tls, () => rec.add('(port, host, options, cb)', 'callback'))],
      ['(port, options, cb)', () => m.client.connect(port, { ...tls, host: '127.0.0.1' }, () => rec.add('(port, options, cb)', 'callback'))],
      ['(options, host)', () => m.client.connect({ ...tls, port, host: '127.0.0.1' }, 'ignored.invalid')],
      ['("port", host, options)', () => m.client.connect(String(port), '127.0.0.1', tls)],
      ['(port, host, options with host)', () => m.client.connect(port, 'ignored.invalid', { ...tls, host: '127.0.0.1' })],
    ];
    for (const [name, make] of forms) {
      const c = rec.track(make() as Duplex & { remotePort?: number });
      c.on('error', (e: Error) => rec.add(name, 'error', e));
      rec.add(name, 'secured', await secured(rec, name, c), c.remotePort === port);
    }
    // A Unix socket path.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-'));
    rec.cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const sockPath = path.join(dir, 's');
    const unixServer = rec.track(m.server.createServer(serverOptions()));
    unixServer.on('secureConnection', (s: Duplex) => s.resume());
    await new Promise<void>((res) => unixServer.listen(sockPath, res));
    const u = rec.track(m.client.connect(sockPath, tls, () => rec.add('(path, options, cb)', 'callback')) as Duplex);
    u.on('error', (e: Error) => rec.add('(path, options, cb)', 'error', e));
    rec.add('(path, options, cb)', 'secured', await secured(rec, '(path, options, cb)', u));
  });

  parity('Agent#createConnection(port, host, options) connects to that port and host', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const agent = new m.client.Agent();
    const c = rec.track(agent.createConnection(port, '127.0.0.1', { ca: testPki.ca.certPem, servername: 'localhost' }) as Duplex & { remotePort?: number });
    c.on('error', (e: Error) => rec.add('agent', 'error', e));
    rec.add('agent', 'secured', await secured(rec, 'agent', c), c.remotePort === port);
  });

  parity('NODE_TLS_REJECT_UNAUTHORIZED=0: rejectUnauthorized defaults to false', async (m, rec) => {
    const self = testPki.selfSigned;
    const server = m.server.createServer(serverOptions({ cert: self.certPem, key: self.keyPem }));
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    let c: Duplex & { authorized?: boolean };
    try {
      c = rec.track(m.client.connect(clientOptions(port, { ca: undefined })) as Duplex);
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
    c.on('error', (e: Error) => rec.add('client', 'error', e));
    if (await secured(rec, 'client', c)) rec.props('client', 'connected', c, ['authorized', 'authorizationError']);
    // Without the variable: refused.
    const strict = rec.track(m.client.connect(clientOptions(port, { ca: undefined })) as Duplex);
    strict.on('error', (e: Error) => rec.add('client without the variable', 'error', e));
    await secured(rec, 'client without the variable', strict);
  });

  // (Not an already aborted signal: node 20's tls.connect() then dies on a native assertion,
  // "onread->IsFunction()", when the connection's first bytes arrive.)
  parity('signal: aborted after the handshake', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => { s.resume(); s.on('error', () => undefined); });
    const port = await listen(rec, server);
    const late = new AbortController();
    const b = rec.track(m.client.connect(clientOptions(port, { signal: late.signal })) as Duplex);
    rec.watch('aborted after', b, ['secureConnect', 'error', 'close']);
    await secured(rec, 'aborted after (secured)', b);
    late.abort();
    await rec.settle('aborted after', 'close', new Promise((res) => b.once('close', res)));
  });
});
