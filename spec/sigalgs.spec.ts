// The `sigalgs` option and getSharedSigalgs() with the ECDSA hashes TLS 1.2 allows beyond the
// curve's own (SHA-512, SHA-224), side by side with node:tls.

import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { connect, createServer } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import { within } from './helpers/within.js';

const CLIENT_SIGALGS = 'ECDSA+SHA512:ECDSA+SHA224:ECDSA+SHA256';

/** getSharedSigalgs() of the server socket when a node:tls client offers CLIENT_SIGALGS. */
async function serverSharedSigalgs(make: (onConn: (s: { getSharedSigalgs(): string[]; end(): void; on(e: string, f: () => void): void }) => void) => tls.Server | ReturnType<typeof createServer>): Promise<string[]> {
  const pki = makePki();
  let shared: string[] = [];
  const server = make((s) => {
    s.on('error', () => {});
    shared = s.getSharedSigalgs();
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    await within(new Promise<void>((resolve, reject) => {
      const c = tls.connect({ port, host: '127.0.0.1', ca: pki.ca.certPem, servername: 'localhost', sigalgs: CLIENT_SIGALGS, maxVersion: 'TLSv1.2' });
      c.on('secureConnect', () => { c.destroy(); resolve(); });
      c.on('error', reject);
    }), 'node:tls client');
    return shared;
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('ECDSA with SHA-512 and SHA-224 (sigalgs, getSharedSigalgs), as node:tls', function () {
  this.timeout(30_000);

  it('a server reports the same shared signature algorithms as node:tls for a client offering them', async () => {
    const pki = makePki();
    const opts = { cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem };
    const theirs = await serverSharedSigalgs((cb) => tls.createServer({ ...opts, maxVersion: 'TLSv1.2' }, cb));
    const ours = await serverSharedSigalgs((cb) => createServer(opts, cb));
    expect(theirs).to.include('ECDSA+SHA512');
    expect(ours).to.deep.equal(theirs);
  });

  it("our client with sigalgs 'ECDSA+SHA512' completes against node:tls's server with a P-256 certificate", async () => {
    const pki = makePki();
    const server = tls.createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, maxVersion: 'TLSv1.2' }, (s) => {
      s.on('error', () => {});
      s.end('signed with sha512');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const got = await within(new Promise<string>((resolve, reject) => {
        const c = connect({ port, host: '127.0.0.1', ca: pki.ca.certPem, servername: 'localhost', sigalgs: 'ECDSA+SHA512' });
        let text = '';
        c.on('data', (d: Buffer) => { text += d.toString(); });
        c.on('end', () => resolve(text));
        c.on('error', reject);
      }), 'our client');
      expect(got).to.equal('signed with sha512');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('sigalgs names, as node:tls takes them (the same scheme twice is refused)', () => {
  for (const [names, accepted] of [['ECDSA+SHA224', true], ['ecdsa_secp521r1_sha512:ECDSA+SHA256', true], ['ecdsa_sha224', false], ['ecdsa_secp521r1_sha512:ECDSA+SHA512', false]] as const) {
    it(`'${names}' is ${accepted ? 'accepted' : 'refused'} by both`, () => {
      const theirs = (() => { try { tls.createSecureContext({ sigalgs: names }); return true; } catch { return false; } })();
      const pki = makePki();
      const ours = (() => {
        try {
          createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, sigalgs: names });
          return true;
        } catch {
          return false;
        }
      })();
      expect(theirs).to.equal(accepted);
      expect(ours).to.equal(theirs);
    });
  }
});
