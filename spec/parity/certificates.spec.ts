// The peer's chain as the application sees it, node:tls and secure-duplex side by side
// (spec/parity/harness.ts): getPeerCertificate(true) (the chain sent, then completed from the
// receiver's trust store, a self-signed end linked to itself) and getPeerX509Certificate()'s
// issuerCertificate links (the chain as sent), on both sides, for chains the server builds from
// its `ca` and chains given in full.
import type { X509Certificate } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { parity, sha256, type Ends, type Recorder } from './harness.js';
import { clientOptions, listen, serverOptions, testPki } from './fixtures.js';

interface Detailed {
  subject?: { CN?: string };
  raw?: Buffer;
  issuerCertificate?: Detailed;
}

/** getPeerCertificate(true) down its issuerCertificate links: CN and hash of each, '(self)' when
 *  a certificate links to itself. */
function detailedChain(cert: Detailed): unknown[] {
  const out: unknown[] = [];
  for (let c: Detailed | undefined = cert, i = 0; c?.raw !== undefined && i < 8; i++) {
    out.push([c.subject?.CN, sha256(c.raw)]);
    if (c.issuerCertificate === c) {
      out.push('(self)');
      break;
    }
    c = c.issuerCertificate;
  }
  return out;
}

/** getPeerX509Certificate() down its issuerCertificate links. */
function x509Chain(cert: X509Certificate | undefined): unknown[] {
  const out: unknown[] = [];
  for (let c = cert, i = 0; c !== undefined && i < 8; i++, c = c.issuerCertificate) out.push([c.subject, sha256(c.raw)]);
  return out;
}

type PeerSocket = Duplex & { getPeerCertificate(d: boolean): Detailed; getPeerX509Certificate(): X509Certificate | undefined };

/** Record both views of the peer's chain (getPeerX509Certificate() once: node's removes the
 *  certificates it links from the connection, so a second call sees fewer). */
function recordPeerChain(rec: Recorder, channel: string, s: PeerSocket): void {
  rec.add(channel, 'getPeerCertificate(true)', detailedChain(s.getPeerCertificate(true)));
  rec.add(channel, 'getPeerX509Certificate()', x509Chain(s.getPeerX509Certificate()));
}

async function chainScenario(rec: Recorder, m: Ends, ch: string, serverExtra: object, clientExtra: object): Promise<void> {
  const server = m.server.createServer(serverOptions(serverExtra));
  const accepted = new Promise<void>((res) => server.on('secureConnection', (s: PeerSocket) => {
    if ((serverExtra as { requestCert?: boolean }).requestCert) recordPeerChain(rec, `${ch}: server`, s);
    s.on('error', () => undefined);
    s.end();
    res();
  }));
  server.on('tlsClientError', (e: Error) => rec.add(`${ch}: server`, 'tlsClientError', e));
  const port = await listen(rec, server);
  const c = rec.track(m.client.connect(clientOptions(port, clientExtra)) as PeerSocket);
  c.on('error', (e: Error) => rec.add(`${ch}: client`, 'error', e));
  if (await rec.settle(`${ch}: client`, 'secureConnect', new Promise((res) => c.once('secureConnect', () => res(true))))) {
    recordPeerChain(rec, `${ch}: client`, c);
  }
  await rec.settle(`${ch}: server`, 'secureConnection', accepted);
}

const root = testPki.ca.certPem;
const inter = testPki.intermediate;

describe("parity with node:tls: the peer's certificate chain", function () {
  parity('getPeerCertificate(true) and getPeerX509Certificate().issuerCertificate of a server chain', async (m, rec) => {
    // A leaf alone: the server finds no issuer for it (no `ca`), the client completes from its own.
    await chainScenario(rec, m, 'leaf alone', {}, {});
    // Leaf and intermediate sent; the root from the client's store.
    await chainScenario(rec, m, 'leaf and intermediate', { cert: inter.chainPem, key: inter.keyPem }, {});
    // The server builds leaf, intermediate, root from its `ca`.
    const built = { cert: inter.certPem, key: inter.keyPem, ca: [root, inter.intermediateCa.certPem] };
    await chainScenario(rec, m, 'chain from the server ca', built, {});
    await chainScenario(rec, m, 'chain from the server ca, client without ca', built, { ca: undefined, rejectUnauthorized: false });
    await chainScenario(rec, m, 'self-signed', { cert: testPki.selfSigned.certPem, key: testPki.selfSigned.keyPem }, { rejectUnauthorized: false });
  });

  parity('getPeerCertificate(true) and getPeerX509Certificate().issuerCertificate of a client certificate', async (m, rec) => {
    const client = { cert: testPki.client.certPem, key: testPki.client.keyPem };
    await chainScenario(rec, m, 'client sends its root', { requestCert: true, ca: root }, client);
    await chainScenario(rec, m, 'server without ca', { requestCert: true, rejectUnauthorized: false }, client);
    await chainScenario(rec, m, 'client without ca', { requestCert: true, ca: root }, { ...client, ca: undefined, rejectUnauthorized: false });
  });
});
