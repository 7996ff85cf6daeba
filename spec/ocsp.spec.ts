/**
 * OCSP stapling (RFC 6066 §8 status_request / CertificateStatus) with node:tls's API: the
 * client's `requestOCSP` option and 'OCSPResponse' event, the Server's 'OCSPRequest' event.
 *
 * - Engine pairs: the staple travels, the flight waits for the answer, a CertificateStatus or a
 *   status_request answer the client did not ask for is refused.
 * - node:tls as the reference: the same node client against a node:tls server and against ours
 *   (same 'OCSPRequest' arguments, same 'OCSPResponse' events), and our client against node's
 *   server.
 * - openssl: `s_server -status_file` (TLS and DTLS) against our client, `s_client -status`
 *   against our server.
 */
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { connect, createServer, type SecureDuplex, type Server } from '../lib/index.js';
import type { EngineEvent } from '../lib/engine/engine.js';
import { ContentType, HandshakeType } from '../lib/engine/constants.js';
import { EnginePair } from './helpers/engine-pair.js';
import { opensslServer, peersTmpDir, requirePeer, startPeer, type PeerProcess } from './helpers/peers.js';
import { makePki, type Pki } from './helpers/pki.js';
import { within } from './helpers/within.js';
import { runCleanups } from './helpers/cleanups.js';

/** A DER OCSPResponse without responseBytes (RFC 6960 §4.2.1): status unauthorized (6). What
 *  `openssl s_server -status_file` needs is a parseable OCSPResponse, not a signed one. */
const OCSP_UNAUTHORIZED = Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x06]);

let pki: Pki;
const cleanups: (() => unknown)[] = [];


async function listen(server: tls.Server | Server): Promise<number> {
  cleanups.push(() => server.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

/** A client's view: the 'OCSPResponse' events it saw by 'secureConnect' (or its error code). */
function clientOutcome(c: tls.TLSSocket | SecureDuplex): Promise<{ responses: (string | null)[]; error?: string }> {
  cleanups.push(() => c.destroy());
  const responses: (string | null)[] = [];
  c.on('OCSPResponse', (r: Buffer | null) => responses.push(r === null ? null : r.toString('hex')));
  return within(new Promise((resolve) => {
    c.once('secureConnect', () => resolve({ responses }));
    c.once('error', (e: NodeJS.ErrnoException) => resolve({ responses, error: String(e.code) }));
  }), 'client outcome');
}

const eventsOf = (events: EngineEvent[], type: EngineEvent['type']): EngineEvent[] => events.filter((e) => e.type === type);

/** TLS plaintext handshake messages of a flight, by type name. */
function messageTypes(chunks: Uint8Array[]): number[] {
  const bytes = Buffer.concat(chunks);
  const out: number[] = [];
  for (let off = 0; off + 5 <= bytes.length;) {
    const len = bytes.readUInt16BE(off + 3);
    if (bytes[off] === ContentType.handshake) {
      const body = bytes.subarray(off + 5, off + 5 + len);
      for (let m = 0; m + 4 <= body.length; m += 4 + body.readUIntBE(m + 1, 3)) out.push(body[m]!);
    }
    off += 5 + len;
  }
  return out;
}

describe('OCSP stapling (RFC 6066 status_request; node:tls requestOCSP / OCSPRequest / OCSPResponse)', function () {
  this.timeout(30_000);

  before(() => {
    pki = makePki();
  });

  afterEach(() => runCleanups(cleanups));

  describe('engine pairs', () => {
    const serverCert = () => ({ certPem: pki.leaves['ec-p256'].certPem, keyPem: pki.leaves['ec-p256'].keyPem });

    it('the flight waits for respondOcsp(); the staple follows the Certificate and reaches the client', () => {
      const p = new EnginePair({ serverCert: serverCert(), client: { requestOcsp: true }, server: { ocspStapling: true } });
      p.client.start();
      p.collect();
      for (const b of p.toServer.splice(0)) p.server.receive(b);
      p.collect();
      // Nothing sent yet: the server asks the application first.
      expect(p.toClient).to.deep.equal([]);
      const asks = eventsOf(p.serverEvents, 'ocsp-request') as unknown as { chain: Uint8Array[] }[];
      expect(asks).to.have.length(1);
      expect(Buffer.from(asks[0]!.chain[0]!).equals(new X509Certificate(pki.leaves['ec-p256'].certPem).raw)).to.equal(true);
      p.server.respondOcsp(OCSP_UNAUTHORIZED);
      p.collect();
      expect(messageTypes(p.toClient)).to.deep.equal([
        HandshakeType.server_hello, HandshakeType.certificate, HandshakeType.certificate_status, HandshakeType.server_key_exchange, HandshakeType.server_hello_done,
      ]);
      p.run();
      expect(p.client.established && p.server.established).to.equal(true);
      expect(Buffer.from(p.client.session!.ocspResponse!).equals(OCSP_UNAUTHORIZED)).to.equal(true);
    });

    it('null: no staple, no status_request answer; the client records null. Not asked: no event, no staple', () => {
      const p = new EnginePair({ serverCert: serverCert(), client: { requestOcsp: true }, server: { ocspStapling: true } });
      p.client.start();
      p.run();
      p.server.respondOcsp(null);
      p.run();
      expect(p.client.session!.ocspResponse).to.equal(null);
      const q = new EnginePair({ serverCert: serverCert(), server: { ocspStapling: true } });
      q.handshake();
      expect(eventsOf(q.serverEvents, 'ocsp-request')).to.deep.equal([]);
      expect(q.client.session!.ocspResponse).to.equal(undefined);
    });

    /** The server's first flight, message by message, each in its own plaintext record, with
     *  `insert` put right after the Certificate. */
    function reframed(flight: Uint8Array[], insert: Buffer): Buffer[] {
      const bytes = Buffer.concat(flight);
      const records: Buffer[] = [];
      for (let off = 0; off + 5 <= bytes.length;) {
        const len = bytes.readUInt16BE(off + 3);
        const body = bytes.subarray(off + 5, off + 5 + len);
        for (let m = 0; m + 4 <= body.length;) {
          const msg = body.subarray(m, m + 4 + body.readUIntBE(m + 1, 3));
          records.push(Buffer.concat([Buffer.from([ContentType.handshake, 3, 3, msg.length >> 8, msg.length & 0xff]), msg]));
          if (msg[0] === HandshakeType.certificate) {
            records.push(Buffer.concat([Buffer.from([ContentType.handshake, 3, 3, insert.length >> 8, insert.length & 0xff]), insert]));
          }
          m += msg.length;
        }
        off += 5 + len;
      }
      return records;
    }

    it('a CertificateStatus the ServerHello did not announce is unexpected_message; a status_request answer not asked for is unsupported_extension', () => {
      const status = Buffer.concat([Buffer.from([HandshakeType.certificate_status, 0, 0, 4 + OCSP_UNAUTHORIZED.length, 1, 0, 0, OCSP_UNAUTHORIZED.length]), OCSP_UNAUTHORIZED]);
      // The client asked, the server answered null (no status_request in its ServerHello).
      const p = new EnginePair({ serverCert: serverCert(), client: { requestOcsp: true }, server: { ocspStapling: true } });
      p.client.start();
      p.run();
      p.server.respondOcsp(null);
      p.collect();
      for (const r of reframed(p.toClient.splice(0), status)) p.client.receive(r);
      p.collect();
      const errors = EnginePair.errors(p.clientEvents) as { error: { alert?: number } }[];
      expect(errors.map((e) => e.error.alert)).to.deep.equal([10]);
      // A client that never asked gets a ServerHello with status_request (a stapling server's).
      const q = new EnginePair({ serverCert: serverCert(), client: { requestOcsp: true }, server: { ocspStapling: true } });
      q.client.start();
      q.run();
      q.server.respondOcsp(OCSP_UNAUTHORIZED);
      q.collect();
      const unasked = new EnginePair({ serverCert: serverCert() });
      unasked.client.start();
      unasked.collect();
      for (const b of q.toClient.splice(0)) unasked.client.receive(b);
      unasked.collect();
      expect((EnginePair.errors(unasked.clientEvents) as { error: { alert?: number } }[]).map((e) => e.error.alert)).to.deep.equal([110]);
    });
  });

  describe('node:tls as the reference', () => {
    for (const [name, config] of [
      ['a staple', (cb: (e: Error | null, r?: Buffer | null) => void) => cb(null, Buffer.from('hello world'))],
      ['null', (cb: (e: Error | null, r?: Buffer | null) => void) => cb(null, null)],
      ['an answer on a later tick', (cb: (e: Error | null, r?: Buffer | null) => void) => setTimeout(() => cb(null, OCSP_UNAUTHORIZED), 30)],
    ] as const) {
      it(`a node:tls client with requestOCSP sees the same 'OCSPResponse' from node's server and ours (${name})`, async () => {
        const results: unknown[] = [];
        const requests: (string | null)[][] = [];
        for (const server of [
          tls.createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, ca: pki.ca.certPem, maxVersion: 'TLSv1.2' }),
          createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, ca: pki.ca.certPem }),
        ]) {
          const seen: (string | null)[] = [];
          server.on('OCSPRequest', (cert: Buffer, issuer: Buffer | null, cb: (e: Error | null, r?: Buffer | null) => void) => {
            seen.push(cert.toString('hex'), issuer === null ? null : issuer.toString('hex'));
            config(cb);
          });
          const port = await listen(server);
          results.push(await clientOutcome(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', requestOCSP: true, maxVersion: 'TLSv1.2' } as tls.ConnectionOptions)));
          requests.push(seen);
        }
        expect(results[1]).to.deep.equal(results[0]);
        // Same certificate and issuer (the root, from `ca`) handed to 'OCSPRequest'.
        expect(requests[1]).to.deep.equal(requests[0]);
        expect(requests[0]![1]).to.equal(Buffer.from(pki.ca.der).toString('hex'));
      });
    }

    it("the issuer comes from our chain; no 'OCSPRequest' without requestOCSP; no listener → 'OCSPResponse' null", async () => {
      const issuers: (string | null)[] = [];
      const chained = createServer({ cert: pki.intermediate.chainPem, key: pki.intermediate.keyPem });
      chained.on('OCSPRequest', (_c: Buffer, issuer: Buffer | null, cb: (e: Error | null, r?: Buffer | null) => void) => {
        issuers.push(issuer === null ? null : issuer.toString('hex'));
        cb(null, null);
      });
      const port = await listen(chained);
      expect(await clientOutcome(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', requestOCSP: true, maxVersion: 'TLSv1.2' } as tls.ConnectionOptions)))
        .to.deep.equal({ responses: [null] });
      expect(issuers).to.deep.equal([Buffer.from(pki.intermediate.intermediateCa.der).toString('hex')]);
      expect(await clientOutcome(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', maxVersion: 'TLSv1.2' })))
        .to.deep.equal({ responses: [] });
      expect(issuers).to.have.length(1);
      const plain = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem });
      const port2 = await listen(plain);
      expect(await clientOutcome(tls.connect({ host: '127.0.0.1', port: port2, ca: pki.ca.certPem, servername: 'localhost', requestOCSP: true, maxVersion: 'TLSv1.2' } as tls.ConnectionOptions)))
        .to.deep.equal({ responses: [null] });
    });

    it("an error from the 'OCSPRequest' callback ends the connection (tlsClientError; internal_error alert)", async () => {
      const server = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem });
      server.on('OCSPRequest', (_c: Buffer, _i: Buffer | null, cb: (e: Error | null) => void) => cb(new Error('responder down')));
      const serverError = new Promise<Error>((r) => server.once('tlsClientError', r));
      const port = await listen(server);
      const outcome = await clientOutcome(tls.connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', requestOCSP: true, maxVersion: 'TLSv1.2' } as tls.ConnectionOptions));
      expect(outcome.error).to.equal('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');
      expect((await within(serverError, 'tlsClientError')).message).to.equal('responder down');
    });

    it("our client with requestOCSP against node:tls's server: the staple, or null; without requestOCSP no event", async () => {
      const server = tls.createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem, maxVersion: 'TLSv1.2' });
      let answer: Buffer | null = Buffer.from('hello world');
      server.on('OCSPRequest', (_c: Buffer, _i: Buffer | null, cb: (e: Error | null, r: Buffer | null) => void) => cb(null, answer));
      const port = await listen(server);
      const opts = { host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' };
      expect(await clientOutcome(connect({ ...opts, requestOCSP: true }))).to.deep.equal({ responses: [Buffer.from('hello world').toString('hex')] });
      answer = null;
      expect(await clientOutcome(connect({ ...opts, requestOCSP: true }))).to.deep.equal({ responses: [null] });
      expect(await clientOutcome(connect(opts))).to.deep.equal({ responses: [] });
    });
  });

  describe('openssl', () => {
    const peers: PeerProcess[] = [];
    afterEach(async () => {
      for (const p of peers.splice(0)) await p.kill();
    });

    for (const dtls of [false, true]) {
      it(`our client with requestOCSP gets openssl s_server -status_file's response (${dtls ? 'DTLS' : 'TLS'})`, async function () {
        requirePeer(this, 'openssl');
        const file = path.join(peersTmpDir(), `ocsp-${process.pid}.der`);
        fs.writeFileSync(file, OCSP_UNAUTHORIZED);
        const s = await opensslServer({ dtls, cert: pki.leaves['ec-p256'].certPath, key: pki.leaves['ec-p256'].keyPath, extraArgs: ['-status_file', file] });
        peers.push(s);
        const c = connect({ host: '127.0.0.1', port: s.port, ca: pki.ca.certPem, servername: 'localhost', requestOCSP: true, ...(dtls ? { transport: 'udp' as const } : {}) });
        expect(await clientOutcome(c)).to.deep.equal({ responses: [OCSP_UNAUTHORIZED.toString('hex')] });
      });
    }

    it("openssl s_client -status prints the response our server's 'OCSPRequest' stapled", async function () {
      requirePeer(this, 'openssl');
      const server = createServer({ cert: pki.leaves['ec-p256'].certPem, key: pki.leaves['ec-p256'].keyPem }, (s) => { s.on('error', () => undefined); s.write('stapled\n'); });
      server.on('OCSPRequest', (_c: Buffer, _i: Buffer | null, cb: (e: Error | null, r: Buffer) => void) => cb(null, OCSP_UNAUTHORIZED));
      const port = await listen(server);
      // Without -brief: s_client prints the OCSP response it got (on stdout).
      const c = await startPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-status', '-CAfile', pki.ca.certPath, '-verify_return_error', '-servername', 'localhost', '-ign_eof'], {
        ready: /stapled/,
      });
      peers.push(c);
      expect(c.stdout()).to.match(/OCSP Response Status: unauthorized \(0x6\)/);
      expect(c.stdout()).to.match(/Verify return code: 0 \(ok\)/);
    });
  });
});

