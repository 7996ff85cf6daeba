// Renegotiation attacks over real sockets (the engine-level versions are in
// spec/renegotiation-attacks.spec.ts): floods of ClientHellos against our server and of
// HelloRequests against our client are bounded by the renegotiation limit
// (ERR_TLS_SESSION_ATTACK) or refused (no_renegotiation), never answered without end; a peer that
// presents another certificate in a renegotiation is refused (ERR_TLS_PEER_IDENTITY_CHANGED)
// when its Certificate arrives, before our Finished (it never sees the renegotiation complete),
// unless allowPeerIdentityChange. Each case checks the alert on the wire (read by the tampering
// peer's engine: renegotiation records are encrypted), the error code our side reports, and how
// many handshakes completed; and runs `openssl s_server` / `openssl s_client` in the same role.
import { expect } from 'chai';
import { generateCertificate } from '../../lib/crypto/certificate-generator.js';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import type { LocalIdentity } from '../../lib/engine/config.js';
import type { Engine } from '../../lib/engine/engine.js';
import { connect, ErrorCode, type ConnectOptions, type SecureDuplex, type TlsError } from '../../lib/index.js';
import { opensslClient, opensslServer, requirePeer, type PeerProcess } from '../helpers/peers.js';
import { makePki, type PkiEntry } from '../helpers/pki.js';
import { within } from '../helpers/within.js';
import { ANSWER_MS, OurServer, tamperedClient, tamperedServer, type Tampering } from './raw-tls.js';

/** More renegotiations than any limit under test allows. */
const FLOOD = 20;

function identity(entry: { der: Uint8Array; keyPem: string }): LocalIdentity {
  return { chain: [entry.der], key: nobleProvider.loadPrivateKey(entry.keyPem) };
}

/** Sends `n` HelloRequests in one burst (RFC 5246 §7.4.1.1: a client in a handshake ignores them). */
function helloRequests(engine: Engine, n: number): void {
  for (let i = 0; i < n; i++) engine.sendHandshake({ type: 'hello_request' });
  (engine as unknown as { flushHandshake(): void }).flushHandshake();
}

describe('conformance battery: renegotiation attacks over sockets (openssl as reference)', function () {
  this.timeout(60_000);
  let leaf: PkiEntry;
  /** A second client certificate from the same CA (another identity, equally trusted). */
  let otherClient: ReturnType<typeof generateCertificate>;
  const peers: PeerProcess[] = [];
  const servers: OurServer[] = [];

  before(function () {
    requirePeer(this, 'openssl');
    const pki = makePki();
    leaf = pki.leaves['ec-p256'];
    otherClient = generateCertificate({ issuer: { certPem: pki.ca.certPem, keyPem: pki.ca.keyPem }, commonName: 'client 2', altNames: [], extKeyUsage: ['clientAuth'] });
  });

  afterEach(async () => {
    for (const p of peers.splice(0)) await p.kill();
    for (const s of servers.splice(0)) await s.close();
  });

  async function ourServer(options: Parameters<typeof OurServer.start>[1] = {}): Promise<OurServer> {
    const s = await OurServer.start(leaf, options);
    servers.push(s);
    return s;
  }

  async function opensslTls12Server(opts: { clientRenegotiation?: boolean; verifyClient?: boolean }): Promise<number> {
    const s = await opensslServer({
      cert: leaf.certPath, key: leaf.keyPath, naccept: 1, clientRenegotiation: opts.clientRenegotiation,
      ...(opts.verifyClient ? { verifyClient: 'require' as const, ca: makePki().ca.certPath } : {}),
    });
    peers.push(s);
    return s.port;
  }

  describe('our server', () => {
    it(`a ClientHello flood (${FLOOD} renegotiations in a row): the 4th in 10 min → handshake_failure, ERR_TLS_SESSION_ATTACK; OpenSSL refuses the first (no_renegotiation)`, async () => {
      const ours = await ourServer();
      const our = await tamperedClient(ours.port, { renegotiate: FLOOD });
      // node:tls CLIENT_RENEG_LIMIT: 3 renegotiations per CLIENT_RENEG_WINDOW, then fatal.
      expect(our.completedHandshakes, 'handshakes our server completed').to.equal(4);
      expect(our.received, 'alerts from our server').to.deep.equal(['handshake_failure']);
      expect((await ours.error(0)).code).to.equal(ErrorCode.SESSION_ATTACK);

      // openssl s_server (OpenSSL 3 default, no -client_renegotiation): declines every
      // client-started renegotiation with a warning; the connection goes on.
      const ref = await tamperedClient(await opensslTls12Server({}), { renegotiate: FLOOD });
      expect(ref.completedHandshakes, 'handshakes openssl completed').to.equal(1);
      expect(ref.received, 'alerts from openssl s_server').to.deep.equal(['warning no_renegotiation']);
    });

    it('allowRenegotiation: false declines the first renegotiation ClientHello with no_renegotiation, as OpenSSL', async () => {
      const ours = await ourServer({ allowRenegotiation: false });
      const our = await tamperedClient(ours.port, { renegotiate: FLOOD });
      expect(our.completedHandshakes).to.equal(1);
      expect(our.received, 'alerts from our server').to.deep.equal(['warning no_renegotiation']);
      expect(ours.errors.map((e) => e.code)).to.not.include(ErrorCode.SESSION_ATTACK);

      const ref = await tamperedClient(await opensslTls12Server({}), { renegotiate: FLOOD });
      expect(ref.received, 'alerts from openssl s_server').to.deep.equal(our.received);
      expect(ref.completedHandshakes).to.equal(our.completedHandshakes);
    });

    it('OpenSSL with -client_renegotiation has no limit (all renegotiations complete); ours stops at the limit', async () => {
      // Not the same answer: measured so that the difference is known. RFC 5746 sets no limit;
      // ours follows node:tls (3 per 10 min) since each costs the server a full handshake.
      const ref = await tamperedClient(await opensslTls12Server({ clientRenegotiation: true }), { renegotiate: 6 });
      expect(ref.received, 'alerts from openssl s_server').to.deep.equal([]);
      expect(ref.completedHandshakes).to.equal(7);
      const ours = await ourServer({ renegotiationLimit: 6 });
      const our = await tamperedClient(ours.port, { renegotiate: 6 });
      expect(our.received).to.deep.equal([]);
      expect(our.completedHandshakes, 'our limit raised to 6: the same').to.equal(7);
    });

    /** A client with the client certificate that renegotiates once, with `other` from then on;
     *  `seen` gets the trace of what it read from the first handshake's end on. */
    const identityChange = (seen: string[] = []): Tampering => ({
      renegotiate: 1,
      client: { identities: [identity(makePki().client)] },
      afterHandshake: (engine, n) => {
        if (n !== 1) return;
        engine.setIdentities([identity(otherClient)]);
        engine.trace = (line) => seen.push(line);
      },
    });

    it('a client certificate changed in a renegotiation → handshake_failure, ERR_TLS_PEER_IDENTITY_CHANGED; allowed with allowPeerIdentityChange (OpenSSL accepts it)', async () => {
      const ca = makePki().ca.certPem;
      const ours = await ourServer({ requestCert: true, ca });
      const seen: string[] = [];
      const our = await tamperedClient(ours.port, identityChange(seen));
      // Our server compares the identities when the client's Certificate arrives, before it
      // sends its ChangeCipherSpec and Finished: the client never sees the renegotiation
      // complete, only the fatal alert.
      expect(our.completedHandshakes).to.equal(1);
      expect(our.received, 'alerts from our server').to.deep.equal(['handshake_failure']);
      expect((await ours.error(0)).code).to.equal(ErrorCode.PEER_IDENTITY_CHANGED);
      const readByClient = seen.filter((l) => l.startsWith('Received'));
      expect(readByClient, 'what the client read in the renegotiation').to.include.members(['Received handshake: server_hello_done (0 bytes)', 'Received alert: fatal handshake_failure']);
      expect(readByClient.filter((l) => l.includes('finished') || l.includes('ChangeCipherSpec')), 'our server\'s ChangeCipherSpec / Finished').to.deep.equal([]);

      const allowing = await ourServer({ requestCert: true, ca, allowPeerIdentityChange: true });
      const allowed = await tamperedClient(allowing.port, identityChange());
      expect(allowed.received).to.deep.equal([]);
      expect(allowed.completedHandshakes).to.equal(2);

      // OpenSSL does not compare the certificates of a connection's handshakes (it relies on
      // RFC 5746 and the extended master secret against the triple handshake): it cannot play
      // the refusing role; measured: it completes the renegotiation with the new certificate.
      const ref = await tamperedClient(await opensslTls12Server({ clientRenegotiation: true, verifyClient: true }), identityChange());
      expect(ref.received, 'alerts from openssl s_server').to.deep.equal([]);
      expect(ref.completedHandshakes).to.equal(2);
    });
  });

  describe('our client', () => {
    /** Our client to a tampered server: its error (if any) once the server has completed
     *  `handshakes` handshakes, closed, or the client failed; then what the server read. */
    async function ourClient(t: Tampering, options: Partial<ConnectOptions>, handshakes: number): Promise<{ error: TlsError | undefined; received: string[]; completedHandshakes: number }> {
      const server = await tamperedServer(leaf, t);
      let error: TlsError | undefined;
      const socket: SecureDuplex = connect({ port: server.port, host: '127.0.0.1', ca: [makePki().ca.certPem], servername: 'localhost', ...options });
      try {
        const failed = new Promise<void>((resolve) => socket.on('error', (e: TlsError) => {
          error = e;
          resolve();
        }));
        socket.resume();
        await within(Promise.race([failed, server.handshakesDone(handshakes), server.verdict]), 'our client failing, the handshakes, or the server closing', ANSWER_MS);
        // A graceful end: whatever our client sent before comes first (a ClientHello for a
        // HelloRequest it should have ignored would reach the server before this).
        socket.end();
        const verdict = await server.verdict;
        return { error, ...verdict };
      } finally {
        socket.destroy();
        server.close();
      }
    }

    /** openssl s_client to a tampered server, stopped once the server has completed
     *  `handshakes` handshakes or closed (or it exits). */
    async function referenceClient(t: Tampering, handshakes: number, extraArgs: string[] = []): Promise<{ received: string[]; completedHandshakes: number }> {
      const server = await tamperedServer(leaf, t);
      const client = await opensslClient({ port: server.port, ca: makePki().ca.certPath, servername: 'localhost', waitHandshake: false, ignEof: true, extraArgs });
      peers.push(client);
      try {
        await within(Promise.race([client.waitExit(ANSWER_MS), server.handshakesDone(handshakes), server.verdict]), 'openssl s_client exiting, the handshakes, or the server closing', ANSWER_MS);
        await client.kill();
        return await server.verdict;
      } finally {
        server.close();
      }
    }

    it('50 HelloRequests in one burst start one renegotiation (RFC 5246 §7.4.1.1: the rest are ignored), as OpenSSL', async () => {
      const burst = (): Tampering => ({
        afterHandshake: (engine, n) => {
          if (n === 1 && engine.renegotiate()) helloRequests(engine, 49);
        },
      });
      const our = await ourClient(burst(), {}, 2);
      expect(our.error, 'our client').to.equal(undefined);
      expect(our.received.filter((a) => !a.startsWith('warning ')), 'fatal alerts from our client').to.deep.equal([]);
      expect(our.completedHandshakes).to.equal(2);
      const ref = await referenceClient(burst(), 2);
      expect(ref.received, 'alerts from openssl s_client').to.deep.equal([]);
      expect(ref.completedHandshakes).to.equal(2);
    });

    /** A server asking for a renegotiation after each handshake, `max` handshakes in all. */
    const requestsInARow = (max: number): Tampering => ({
      afterHandshake: (engine, n) => {
        if (n < max) engine.renegotiate();
      },
      // Declined: end the connection (the client under test then closes too).
      afterWarning: (engine, alert) => {
        if (alert === 'no_renegotiation') engine.close();
      },
    });

    it('renegotiationLimit: 3 and a server asking again after each renegotiation: the 4th HelloRequest → handshake_failure, ERR_TLS_SESSION_ATTACK', async () => {
      const our = await ourClient(requestsInARow(FLOOD), { renegotiationLimit: 3 }, FLOOD);
      expect(our.error?.code).to.equal(ErrorCode.SESSION_ATTACK);
      expect(our.received, 'alerts from our client').to.deep.equal(['handshake_failure']);
      expect(our.completedHandshakes).to.equal(4);
      // OpenSSL's client has no renegotiation limit (nor has node:tls's: it counts on servers
      // only), so it cannot play this role; measured: it follows every HelloRequest (6 here).
      const ref = await referenceClient(requestsInARow(6), 6);
      expect(ref.received, 'alerts from openssl s_client').to.deep.equal([]);
      expect(ref.completedHandshakes).to.equal(6);
    });

    it('allowRenegotiation: false declines a HelloRequest with no_renegotiation, as openssl s_client -no_renegotiation', async () => {
      const our = await ourClient(requestsInARow(FLOOD), { allowRenegotiation: false }, FLOOD);
      expect(our.error, 'our client').to.equal(undefined);
      expect(our.received, 'alerts from our client').to.deep.equal(['warning no_renegotiation']);
      expect(our.completedHandshakes).to.equal(1);
      const ref = await referenceClient(requestsInARow(FLOOD), FLOOD, ['-no_renegotiation']);
      expect(ref.received, 'alerts from openssl s_client').to.deep.equal(our.received);
      expect(ref.completedHandshakes).to.equal(1);
    });

    /** A server that presents `next` from the first renegotiation on (it asks for it); `seen`
     *  gets the trace of what it read from then on. */
    const serverIdentityChange = (next: PkiEntry, seen: string[] = []): Tampering => ({
      afterHandshake: (engine, n) => {
        if (n !== 1) return;
        engine.setIdentities([identity(next)]);
        engine.trace = (line) => seen.push(line);
        engine.renegotiate();
      },
    });

    it('a server certificate changed in a renegotiation → handshake_failure, ERR_TLS_PEER_IDENTITY_CHANGED; allowed with allowPeerIdentityChange (OpenSSL accepts it)', async () => {
      // Another valid certificate for localhost from the same CA.
      const next = makePki().leaves['ec-p384'];
      const seen: string[] = [];
      const our = await ourClient(serverIdentityChange(next, seen), {}, 2);
      expect(our.error?.code).to.equal(ErrorCode.PEER_IDENTITY_CHANGED);
      expect(our.received, 'alerts from our client').to.deep.equal(['handshake_failure']);
      // Our client compares the identities when the server's Certificate arrives: it sends
      // neither its key exchange nor its Finished, and the server never completes.
      expect(our.completedHandshakes).to.equal(1);
      const readByServer = seen.filter((l) => l.startsWith('Received'));
      expect(readByServer, 'what the server read in the renegotiation').to.include.members(['Received alert: fatal handshake_failure']);
      expect(readByServer.filter((l) => /client_key_exchange|finished|ChangeCipherSpec/.test(l)), 'our client\'s key exchange / ChangeCipherSpec / Finished').to.deep.equal([]);
      const allowed = await ourClient(serverIdentityChange(next), { allowPeerIdentityChange: true }, 2);
      expect(allowed.error).to.equal(undefined);
      expect(allowed.completedHandshakes).to.equal(2);
      // OpenSSL does not compare the certificates of a connection's handshakes: measured, it
      // completes the renegotiation with the new one.
      const ref = await referenceClient(serverIdentityChange(next), 2);
      expect(ref.received, 'alerts from openssl s_client').to.deep.equal([]);
      expect(ref.completedHandshakes).to.equal(2);
    });
  });
});
