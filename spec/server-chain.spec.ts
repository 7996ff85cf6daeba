// Which certificates a server sends when it is configured with its certificate alone: OpenSSL
// (so node:tls) completes the chain from the trust store (`ca`); ours must send the same. A
// node:tls client looks at each server's chain (getPeerCertificate(true)) and at `authorized`.

import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { createServer } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import { within } from './helpers/within.js';

interface Seen {
  authorized: boolean;
  error: string | null;
  /** fingerprint256 of each certificate of the detailed chain, leaf first (stops at a self-loop). */
  chain: string[];
}

function chainOf(cert: tls.DetailedPeerCertificate): string[] {
  const out: string[] = [];
  for (let c: tls.DetailedPeerCertificate | undefined = cert; c !== undefined && c.fingerprint256 !== undefined; c = c.issuerCertificate) {
    out.push(c.fingerprint256);
    if (c.issuerCertificate === c) break;
  }
  return out;
}

/** A node:tls client (trusting `ca`) connects to a server of `make` and reports what it saw. */
async function seenBy(make: (onConn: (s: { on: (e: string, f: () => void) => void; end: () => void }) => void) => tls.Server | ReturnType<typeof createServer>, ca: string[]): Promise<Seen> {
  const server = make((s) => {
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    return await within(new Promise<Seen>((resolve, reject) => {
      const c = tls.connect({ port, host: '127.0.0.1', ca, rejectUnauthorized: false, maxVersion: 'TLSv1.2' }, () => {
        resolve({ authorized: c.authorized, error: c.authorizationError === null ? null : String(c.authorizationError), chain: chainOf(c.getPeerCertificate(true)) });
        c.destroy();
      });
      c.on('error', reject);
    }), 'node:tls client');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('the chain a server sends for a certificate configured alone', function () {
  this.timeout(60_000);

  for (const [label, caOf] of [
    ['ca holds the root and the intermediate', (p: ReturnType<typeof makePki>) => [p.ca.certPem, p.intermediate.intermediateCa.certPem]],
    ['ca holds only the root (nothing to add)', (p: ReturnType<typeof makePki>) => [p.ca.certPem]],
  ] as const) {
    it(`${label}: a node:tls client sees the same chain and verdict from node:tls's server and ours`, async () => {
      const pki = makePki();
      const serverCa = caOf(pki);
      const opts = { cert: pki.intermediate.certPem, key: pki.intermediate.keyPem, ca: serverCa };
      const clientCa = [pki.ca.certPem];
      const theirs = await seenBy((cb) => tls.createServer({ ...opts, maxVersion: 'TLSv1.2' }, cb), clientCa);
      const ours = await seenBy((cb) => createServer(opts, cb), clientCa);
      expect(ours).to.deep.equal(theirs);
      // The case the issue is about: the intermediate found in `ca` makes the chain verify.
      expect(theirs.authorized).to.equal(serverCa.length === 2);
    });
  }
});
