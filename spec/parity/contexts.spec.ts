// Secure contexts and certificate choice, node:tls and secure-duplex side by side
// (spec/parity/harness.ts): createSecureContext() given as connect()'s `secureContext`,
// Server#addContext(), SNICallback, setKeyCert() from an ALPNCallback, and ALPNCallback's answers.
import { createPrivateKey } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { parity, type Ends, type Recorder } from './harness.js';
import { clientOptions, listen, secured, serverOptions, testPki } from './fixtures.js';

type Client = Duplex & { getPeerCertificate(): { subject?: { CN?: string } }; authorized: boolean; alpnProtocol: unknown };

const other = { cert: testPki.wrongHost.certPem, key: testPki.wrongHost.keyPem };

/** Connect with `extra`; record the certificate the server chose (its CN), authorized and
 *  ALPN, or the error. */
async function peerCN(rec: Recorder, m: Ends, port: number, ch: string, extra: object): Promise<void> {
  const c = rec.track(m.client.connect(clientOptions(port, extra)) as Client);
  c.on('error', (e: Error) => rec.add(ch, 'error', e));
  if (await secured(rec, ch, c)) rec.add(ch, 'connected', { CN: c.getPeerCertificate().subject?.CN, authorized: c.authorized, alpn: c.alpnProtocol });
}

describe('parity with node:tls: secure contexts and certificate choice', function () {
  parity("connect({ secureContext: createSecureContext({ ca }) }): the context's CA verifies the server", async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    const port = await listen(rec, server);
    await peerCN(rec, m, port, 'secureContext with the CA', { ca: undefined, secureContext: m.client.createSecureContext({ ca: testPki.ca.certPem }) });
    await peerCN(rec, m, port, 'secureContext without a CA', { ca: undefined, secureContext: m.client.createSecureContext({}) });
  });

  parity('addContext(): the certificate for the servername (last matching entry, wildcard one label), else the default', async (m, rec) => {
    const server = m.server.createServer(serverOptions());
    server.on('secureConnection', (s: Duplex) => s.resume());
    server.on('tlsClientError', () => undefined);
    server.addContext('*.invalid', { cert: testPki.selfSigned.certPem, key: testPki.selfSigned.keyPem });
    server.addContext('example.invalid', m.server.createSecureContext(other));
    const port = await listen(rec, server);
    await peerCN(rec, m, port, 'example.invalid', { servername: 'example.invalid' });
    await peerCN(rec, m, port, 'x.invalid (wildcard)', { servername: 'x.invalid', rejectUnauthorized: false });
    await peerCN(rec, m, port, 'localhost (default)', { servername: 'localhost' });
  });

  parity('SNICallback: a context per name, asynchronously; an error fails the handshake', async (m, rec) => {
    const server = m.server.createServer(serverOptions({
      SNICallback: (name: string, cb: (e: Error | null, ctx?: unknown) => void) => {
        rec.add('SNICallback', 'called', name);
        if (name === 'refused.invalid') return setImmediate(() => cb(new Error('no certificate for it')));
        setImmediate(() => cb(null, name === 'example.invalid' ? m.server.createSecureContext(other) : undefined));
      },
    }));
    server.on('secureConnection', (s: Duplex) => s.resume());
    server.on('tlsClientError', (e: Error) => rec.add('server', 'tlsClientError', e));
    const port = await listen(rec, server);
    await peerCN(rec, m, port, 'example.invalid', { servername: 'example.invalid' });
    await peerCN(rec, m, port, 'localhost', { servername: 'localhost' });
    await peerCN(rec, m, port, 'refused.invalid', { servername: 'refused.invalid' });
  }, {
    // node closes without an alert; ours sends unrecognized_name (compat.md): the client's
    // error differs, the server's is recorded.
    differences: [{ channel: 'refused.invalid', label: 'error', compat: 'with a fatal `unrecognized_name` alert (RFC 6066 §3; node closes without an alert)' }],
  });

  parity("ALPNCallback: its answer is the protocol; setKeyCert() in it picks this handshake's certificate", async (m, rec) => {
    const server = m.server.createServer(serverOptions({
      ALPNCallback(this: { setKeyCert(c: unknown): void }, { servername, protocols }: { servername: string; protocols: string[] }) {
        rec.add('ALPNCallback', 'called', servername, protocols);
        if (protocols.includes('other')) this.setKeyCert(m.server.createSecureContext(other));
        return protocols.includes('none') ? undefined : protocols[0];
      },
    }));
    server.on('secureConnection', (s: Duplex) => s.resume());
    server.on('tlsClientError', (e: Error) => rec.add('server', 'tlsClientError', e));
    const port = await listen(rec, server);
    await peerCN(rec, m, port, 'other', { ALPNProtocols: ['other', 'h2'], servername: 'example.invalid' });
    await peerCN(rec, m, port, 'plain', { ALPNProtocols: ['plain'] });
    await peerCN(rec, m, port, 'refused', { ALPNProtocols: ['none'] });
  });

  parity('an encrypted PEM key with passphrase (given beside it, or as { pem, passphrase }); a wrong passphrase throws', async (m, rec) => {
    const pw = 'parity';
    const encrypted = createPrivateKey(testPki.leaves['ec-p256'].keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: pw }) as string;
    for (const [name, extra] of [
      ['passphrase beside the key', { key: encrypted, passphrase: pw }],
      ['{ pem, passphrase }', { key: [{ pem: encrypted, passphrase: pw }] }],
      ['wrong passphrase', { key: encrypted, passphrase: 'wrong' }],
    ] as const) {
      const server = rec.call(name, 'createServer', () => m.server.createServer(serverOptions(extra))) as { on: Function } | undefined;
      if (!server) continue;
      server.on('secureConnection', (s: Duplex) => s.resume());
      await peerCN(rec, m, await listen(rec, server as never), name, {});
    }
  });

  parity('ALPNProtocols on both sides with no protocol in common', async (m, rec) => {
    const server = m.server.createServer(serverOptions({ ALPNProtocols: ['a'] }));
    server.on('secureConnection', (s: Duplex) => s.resume());
    server.on('tlsClientError', (e: Error) => rec.add('server', 'tlsClientError', e));
    const port = await listen(rec, server);
    await peerCN(rec, m, port, 'client offering b', { ALPNProtocols: ['b'] });
    await peerCN(rec, m, port, 'client offering none', {});
  });
});
