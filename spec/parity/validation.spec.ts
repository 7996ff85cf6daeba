// Argument validation, node:tls and secure-duplex side by side (spec/parity/harness.ts): what
// bad arguments throw (error class, code, message).
import type { Duplex } from 'node:stream';
import { parity } from './harness.js';
import { clientOptions, listen, next, serverOptions } from './fixtures.js';

describe('parity with node:tls: argument validation', function () {
  parity('bad option values and method arguments throw as node:tls', async (m, rec) => {
    for (const [name, extra] of [['ciphers: 1', { ciphers: 1 }], ['SNICallback: "x"', { SNICallback: 'x' }], ['ALPNProtocols: 1', { ALPNProtocols: 1 }]] as const) {
      const s = rec.call('createServer', name, () => m.server.createServer(serverOptions(extra))) as { close(): unknown } | undefined;
      if (s) rec.track(s);
    }
    const server = m.server.createServer(serverOptions());
    const accepted = new Promise<Duplex>((res) => server.on('secureConnection', res));
    const port = await listen(rec, server);
    rec.call('server', 'setTicketKeys("x")', () => server.setTicketKeys('x'));
    rec.call('setTicketKeys length', 'setTicketKeys(10 bytes)', () => server.setTicketKeys(Buffer.alloc(10)));
    const c = rec.track(m.client.connect(clientOptions(port)));
    await next(c, 'secureConnect');
    const s = await accepted;
    for (const v of ['x', 100, 20000, 512.5]) rec.call('client', `setMaxSendFragment(${JSON.stringify(v)})`, () => c.setMaxSendFragment(v));
    rec.call('client', 'setServername(1)', () => c.setServername(1));
    rec.call('server socket', 'setServername("x")', () => (s as unknown as { setServername(n: string): void }).setServername('x'));
    rec.call('client', 'renegotiate(null)', () => c.renegotiate(null, () => undefined));
    rec.call('client', 'renegotiate({}, "x")', () => c.renegotiate({}, 'x'));
  }, { differences: [{ channel: 'setTicketKeys length', compat: 'where node 20 fails an internal assertion' }] });

  parity('sessionTimeout and ticketKeys options: the values taken and refused', async (m, rec) => {
    const keys = Buffer.alloc(48, 7);
    for (const [name, extra] of [
      ['sessionTimeout: 1', { sessionTimeout: 1 }], ['sessionTimeout: "x"', { sessionTimeout: 'x' }], ['sessionTimeout: -1', { sessionTimeout: -1 }],
      ['sessionTimeout: 2 ** 31', { sessionTimeout: 2 ** 31 }],
      ['ticketKeys: 48 bytes', { ticketKeys: keys }], ['ticketKeys: 47 bytes', { ticketKeys: Buffer.alloc(47) }], ['ticketKeys: "x"', { ticketKeys: 'x' }],
    ] as const) {
      const s = rec.call('createServer', name, () => m.server.createServer(serverOptions(extra))) as { close(): unknown; getTicketKeys(): Buffer } | undefined;
      if (!s) continue;
      rec.track(s);
      if (name === 'ticketKeys: 48 bytes') rec.add('createServer', 'getTicketKeys() is the option', s.getTicketKeys().equals(keys));
    }
  });
});
