/**
 * Issue "TLS core" interop battery: the library against REAL peers (openssl s_server/s_client,
 * gnutls-serv/gnutls-cli, node:tls in a child process), for every cipher suite we speak.
 *
 * For each of the six AES-GCM and ChaCha20-Poly1305 suites (ECDSA suites with the ec-p256 leaf,
 * RSA suites with the rsa2048 leaf; spec/suites-interop covers every suite, CBC and CCM too, with
 * renegotiation) and each of the six pairings below, at least 1 MiB moves in EACH direction,
 * the SHA-256 of everything sent is compared with that of everything received, and the suite
 * negotiated is asserted on our side (getCipher().standardName). The PEER forces the suite
 * (openssl -cipher, gnutls --priority, node `ciphers`); our side offers its default list.
 *
 *   1. our client  <-> openssl s_server   (s_server stdin = its outgoing data, stdout = incoming)
 *   2. openssl s_client <-> our server
 *   3. our client  <-> gnutls-serv --echo --crlf  (see below: NUL-free binary, echoed back)
 *   4. gnutls-cli --logfile <-> our server  (stdin -> our server, our server -> stdout)
 *   5. our client  <-> node:tls server (server-sink-source)
 *   6. node:tls client (client-sink-source) <-> our server
 *
 * gnutls-serv has no binary-safe echo: it echoes the accumulated input as a C string once it
 * holds a '\n' (a NUL byte stalls the connection for good) and, without --crlf, turns a
 * chunk-final "\r\n" into "\n". With --crlf, every byte but NUL comes back unchanged (measured,
 * docs/peers.md "Measured by the TLS interop battery"). Pairing 3 therefore sends 1 MiB of
 * seeded random bytes with each NUL replaced and a final '\n', and compares the echo's SHA-256:
 * that counts as both directions.
 *
 * Plus: a fatal alert from a real peer surfaces as an `error` whose `alertReceived` names it, our
 * own fatal alert reaches a real peer, and certificate checking against a real peer.
 *
 * Every peer listens/connects on 127.0.0.1 (gnutls-serv: all addresses, it cannot choose); a
 * server binds port 0 itself and the test reads the port it got; every peer is stopped by PID
 * (spec/helpers/peer-process.ts), and a missing peer program FAILS the test in CI (requirePeer).
 */
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import {
  CIPHER_SUITES,
  connect,
  createServer,
  nodeCryptoProvider,
  type CipherSuite,
  type ConnectOptions,
  type SecureDuplex,
  type Server,
  type ServerOptions,
  TlsError,
} from '../lib/index.js';
import {
  gnutlsClient,
  gnutlsServer,
  GNUTLS_TLS12_PRIORITY,
  nodeTlsPeer,
  opensslClient,
  opensslServer,
  randomBytesSeeded,
  requirePeer,
  sha256Hex,
  type PeerProcess,
} from './helpers/peers.js';
import { makePki, type Pki, type PkiEntry } from './helpers/pki.js';
import { receiveHashed, sendSeeded } from './helpers/stream-transfer.js';
import { EVENT_WAIT_MS, within as withinNamed } from './helpers/within.js';

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => withinNamed(p, what, ms);

const MiB = 1 << 20;
/** Bound on every single wait inside a test (mocha's per-test timeout is above it): the
 *  harness-wide event bound, as a loaded machine moves 1 MiB through gnutls-cli in up to ~20 s. */
const WAIT_MS = EVENT_WAIT_MS;

// ---------------------------------------------------------------------------------------------
// Shared fixtures
// ---------------------------------------------------------------------------------------------

interface SuiteCase {
  suite: CipherSuite;
  /** Server leaf for this suite's authentication. */
  leaf: () => PkiEntry;
  /** gnutls priority string that allows exactly this suite (TLS 1.2). */
  gnutlsPriority: string;
}

let pki: Pki;

// The GCM and ChaCha20 suites; spec/suites-interop covers every suite (CBC and CCM too).
// The ECDHE AEAD suites of the default list (DHE, CBC and CCM suites: spec/suites-interop, spec/kx-dhe).
const SUITE_CASES: SuiteCase[] = CIPHER_SUITES.filter((s) => s.kx === 'ECDHE' && (s.aead === 'AES-128-GCM' || s.aead === 'AES-256-GCM' || s.aead === 'CHACHA20-POLY1305')).map((suite) => ({
  suite,
  leaf: () => (suite.auth === 'ECDSA' ? pki.leaves['ec-p256'] : pki.leaves.rsa2048),
  // e.g. NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-KX-ALL:+ECDHE-ECDSA; `gnutls-cli
  // -l --priority` lists exactly one suite for each of the six.
  gnutlsPriority: `${GNUTLS_TLS12_PRIORITY}:-CIPHER-ALL:+${suite.aead!}:-KX-ALL:+ECDHE-${suite.auth}`,
}));

/** Everything a test starts, torn down in afterEach whatever happened. */
const peers: PeerProcess[] = [];
const sockets: SecureDuplex[] = [];
const servers: Server[] = [];
const track = <T extends PeerProcess>(p: T): T => (peers.push(p), p);
const trackSocket = (s: SecureDuplex): SecureDuplex => (sockets.push(s), s);

async function teardown(): Promise<void> {
  for (const s of sockets.splice(0)) s.destroy();
  for (const srv of servers.splice(0)) srv.close();
  await Promise.all(peers.splice(0).map((p) => p.kill()));
}

/**
 * Rejects after `ms` with `what` in the message. The result is marked handled, so a promise a
 * test never gets to await (it failed earlier) cannot become an unhandled rejection later.
 */

/** Resolves on `event`; rejects on 'error' (or 'close' first) so a failing peer cannot hang us. */
function nextEvent<T = void>(s: SecureDuplex, event: string, ms = WAIT_MS): Promise<T> {
  return within(
    new Promise<T>((resolve, reject) => {
      const onEvent = (v: T): void => {
        cleanup();
        resolve(v);
      };
      const onError = (e: Error): void => {
        cleanup();
        reject(e);
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error(`closed before '${event}'`));
      };
      const cleanup = (): void => {
        s.removeListener(event, onEvent);
        s.removeListener('error', onError);
        s.removeListener('close', onClose);
      };
      s.once(event, onEvent);
      s.once('error', onError);
      if (event !== 'close') s.once('close', onClose);
    }),
    ms,
    `waiting for '${event}'`,
  );
}

/** Our client to 127.0.0.1:port, trusting the test CA (the leaves carry IP:127.0.0.1). */
function ourClient(port: number, extra: ConnectOptions = {}): SecureDuplex {
  return trackSocket(connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, handshakeTimeout: WAIT_MS, ...extra }));
}

interface OurServer {
  port: number;
  /** The next connection that completes its handshake; rejects on tlsClientError. */
  next(): Promise<SecureDuplex>;
}

async function ourServer(leaf: PkiEntry, extra: ServerOptions = {}): Promise<OurServer> {
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem, handshakeTimeout: WAIT_MS, ...extra });
  servers.push(server);
  const accepted: SecureDuplex[] = [];
  const failed: Error[] = [];
  let wake: (() => void) | undefined;
  server.on('secureConnection', (s: SecureDuplex) => {
    trackSocket(s);
    accepted.push(s);
    wake?.();
  });
  server.on('tlsClientError', (e: Error) => {
    failed.push(e);
    wake?.();
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const next = (): Promise<SecureDuplex> =>
    within(
      new Promise<SecureDuplex>((resolve, reject) => {
        const check = (): void => {
          if (failed.length > 0) return reject(failed.shift()!);
          if (accepted.length > 0) return resolve(accepted.shift()!);
          wake = check;
        };
        check();
      }),
      WAIT_MS,
      'waiting for secureConnection',
    );
  return { port, next };
}

/** sha256 + length of what a SecureDuplex receives, started at once (before any data can come). */
function receiving(s: SecureDuplex, n: number): Promise<{ bytes: number; sha256: string }> {
  return within(receiveHashed(s, n), WAIT_MS, `receiving ${n} bytes`);
}

function sending(s: SecureDuplex, seed: string, n: number): Promise<{ bytes: number; sha256: string }> {
  return within(sendSeeded(s, seed, n), WAIT_MS, `sending ${n} bytes`);
}

/**
 * randomBytesSeeded with every NUL replaced and a final '\n': what gnutls-serv --echo --crlf
 * returns unchanged (see the header comment).
 */
function echoSafeBinary(seed: string, n: number): Buffer {
  const b = randomBytesSeeded(seed, n);
  for (let i = 0; i < n; i++) if (b[i] === 0) b[i] = 0x80 | (i & 0x7f);
  b[n - 1] = 0x0a;
  return b;
}

const OK_EXIT = { code: 0, signal: null };

// ---------------------------------------------------------------------------------------------
// The battery
// ---------------------------------------------------------------------------------------------

describe('TLS core interop with real peers (every suite x every pairing)', function () {
  this.timeout(4 * EVENT_WAIT_MS);

  before(function () {
    this.timeout(120_000); // RSA key generation for the shared PKI, when this file runs first
    pki = makePki();
  });

  afterEach(teardown);

  describe('1. our client <-> openssl s_server', function () {
    for (const { suite, leaf } of SUITE_CASES) {
      it(`${suite.name}: 1 MiB each way, sha256 equal`, async function () {
        requirePeer(this, 'openssl');
        const s = track(await opensslServer({ cert: leaf().certPath, key: leaf().keyPath, cipher: suite.opensslName }));
        const port = s.port;
        const toUs = randomBytesSeeded(`s_server->ours ${suite.name}`, MiB);
        // s_server reads its stdin only once a client is there: don't await before connecting.
        const written = within(s.write(toUs), WAIT_MS, 'writing to s_server stdin');
        const c = ourClient(port);
        const got = receiving(c, MiB);
        await nextEvent(c, 'secureConnect');
        expect(c.getCipher()?.standardName).to.equal(suite.name);
        expect(c.getProtocol()).to.equal('TLSv1.2');
        expect(c.authorized).to.equal(true);

        const sent = await sending(c, `ours->s_server ${suite.name}`, MiB);
        await written;
        const received = await got;
        await s.waitForBytes(MiB, WAIT_MS);
        expect(received).to.deep.equal({ bytes: MiB, sha256: sha256Hex(toUs) });
        expect(s.stdoutBytes()).to.equal(MiB);
        expect(s.stdoutSha256()).to.equal(sent.sha256);

        // Our close_notify ends the connection; -naccept 1 makes s_server exit 0.
        const closed = nextEvent(c, 'close');
        c.end();
        expect(await s.waitExit(WAIT_MS)).to.deep.equal(OK_EXIT);
        await closed;
      });
    }
  });

  describe('2. openssl s_client <-> our server', function () {
    for (const { suite, leaf } of SUITE_CASES) {
      it(`${suite.name}: 1 MiB each way, sha256 equal`, async function () {
        requirePeer(this, 'openssl');
        const srv = await ourServer(leaf());
        const conn = srv.next();
        const c = track(
          await opensslClient({ port: srv.port, ca: pki.ca.certPath, servername: 'localhost', cipher: suite.opensslName }),
        );
        const s = await conn;
        expect(s.getCipher()?.standardName).to.equal(suite.name);
        expect(c.stderr()).to.match(new RegExp(`^Ciphersuite: ${suite.opensslName}$`, 'm'));
        // -brief's summary lines are separate writes: the launcher waited for "Ciphersuite:" only.
        await c.waitFor(/^Verification: OK$/m, WAIT_MS);

        const toUs = randomBytesSeeded(`s_client->ours ${suite.name}`, MiB);
        const got = receiving(s, MiB);
        const [sent] = await Promise.all([sending(s, `ours->s_client ${suite.name}`, MiB), c.write(toUs)]);
        const received = await got;
        await c.waitForBytes(MiB, WAIT_MS);
        expect(received).to.deep.equal({ bytes: MiB, sha256: sha256Hex(toUs) });
        expect(c.stdoutBytes()).to.equal(MiB);
        expect(c.stdoutSha256()).to.equal(sent.sha256);

        // s_client: stdin EOF -> close_notify, exit 0; our side sees the end and closes.
        const closed = nextEvent(s, 'close');
        await c.end();
        expect(await c.waitExit(WAIT_MS)).to.deep.equal(OK_EXIT);
        await closed;
      });
    }
  });

  describe('3. our client <-> gnutls-serv --echo --crlf (NUL-free binary, echoed)', function () {
    for (const { suite, leaf, gnutlsPriority } of SUITE_CASES) {
      it(`${suite.name}: 1 MiB echoed, sha256 equal`, async function () {
        requirePeer(this, 'gnutls-serv');
        const { port } = track(
          await gnutlsServer({
            cert: leaf().certPath,
            key: leaf().keyPath,
            echo: true,
            priority: gnutlsPriority,
            extraArgs: ['--crlf'],
          }),
        );
        const c = ourClient(port);
        await nextEvent(c, 'secureConnect');
        expect(c.getCipher()?.standardName).to.equal(suite.name);
        expect(c.authorized).to.equal(true);

        const payload = echoSafeBinary(`ours->gnutls-serv ${suite.name}`, MiB);
        const got = receiving(c, MiB);
        for (let i = 0; i < MiB; i += 16384) {
          if (!c.write(payload.subarray(i, i + 16384))) await nextEvent(c, 'drain');
        }
        expect(await got).to.deep.equal({ bytes: MiB, sha256: sha256Hex(payload) });

        const closed = nextEvent(c, 'close');
        c.end();
        await closed;
      });
    }
  });

  describe('4. gnutls-cli --logfile <-> our server', function () {
    for (const { suite, leaf, gnutlsPriority } of SUITE_CASES) {
      it(`${suite.name}: 1 MiB each way, sha256 equal`, async function () {
        requirePeer(this, 'gnutls-cli');
        const srv = await ourServer(leaf());
        const conn = srv.next();
        // logFile: stdout is exactly the received data (binary-safe); ready once connected.
        const c = track(await gnutlsClient({ port: srv.port, ca: pki.ca.certPath, priority: gnutlsPriority, logFile: true }));
        const s = await conn;
        expect(s.getCipher()?.standardName).to.equal(suite.name);

        const toUs = randomBytesSeeded(`gnutls-cli->ours ${suite.name}`, MiB);
        const got = receiving(s, MiB);
        const [sent] = await Promise.all([sending(s, `ours->gnutls-cli ${suite.name}`, MiB), c.write(toUs)]);
        const received = await got;
        await c.waitForBytes(MiB, WAIT_MS);
        expect(received).to.deep.equal({ bytes: MiB, sha256: sha256Hex(toUs) });
        expect(c.stdoutBytes()).to.equal(MiB);
        expect(c.stdoutSha256()).to.equal(sent.sha256);

        // TCP: stdin EOF makes gnutls-cli close (close_notify) and exit 0.
        const closed = nextEvent(s, 'close');
        await c.end();
        expect(await c.waitExit(WAIT_MS)).to.deep.equal(OK_EXIT);
        await closed;
        // The log (block-buffered, complete once gnutls-cli exited) describes the session, e.g.
        // "- Description: (TLS1.2-X.509)-(ECDHE-X25519)-(RSA-PSS-RSAE-SHA256)-(CHACHA20-POLY1305)".
        expect(c.log()).to.match(new RegExp(`^- Description: \\(TLS1\\.2-X\\.509\\)-\\(ECDHE-[^)]+\\)-\\([^)]+\\)-\\(${suite.aead!}\\)$`, 'm'));
        expect(c.log()).to.match(/^- Status: The certificate is trusted\. ?$/m);
      });
    }
  });

  describe('5. our client <-> node:tls server', function () {
    for (const [i, { suite, leaf }] of SUITE_CASES.entries()) {
      it(`${suite.name}: 1 MiB each way, sha256 equal`, async function () {
        const seed = 500 + i;
        const p = track(
          await nodeTlsPeer({
            mode: 'server-sink-source',
            cert: leaf().certPath,
            key: leaf().keyPath,
            ciphers: suite.opensslName,
            readBytes: MiB,
            writeBytes: MiB,
            seed,
          }),
        );
        const c = ourClient(p.port);
        const got = receiving(c, MiB);
        await nextEvent(c, 'secureConnect');
        expect(c.getCipher()?.standardName).to.equal(suite.name);
        expect(c.authorized).to.equal(true);
        expect(await p.waitEvent('secure', WAIT_MS)).to.deep.include({ protocol: 'TLSv1.2', cipher: suite.opensslName });

        const ended = nextEvent(c, 'end');
        const sent = await sending(c, `ours->node ${suite.name}`, MiB);
        expect(await got).to.deep.equal({ bytes: MiB, sha256: sha256Hex(randomBytesSeeded(seed, MiB)) });
        expect(await p.waitEvent('received', WAIT_MS)).to.deep.include({ bytes: MiB, sha256: sent.sha256 });
        // The node side ends (close_notify) once it has sent and received everything.
        await ended;
        expect(await p.waitExit(WAIT_MS)).to.deep.equal(OK_EXIT);
        expect(p.events().filter((e) => e.event === 'error')).to.deep.equal([]);
      });
    }
  });

  describe('6. node:tls client <-> our server', function () {
    for (const [i, { suite, leaf }] of SUITE_CASES.entries()) {
      it(`${suite.name}: 1 MiB each way, sha256 equal`, async function () {
        const seed = 600 + i;
        const srv = await ourServer(leaf());
        const conn = srv.next();
        const p = track(
          await nodeTlsPeer({
            mode: 'client-sink-source',
            port: srv.port,
            ca: pki.ca.certPath,
            servername: 'localhost',
            ciphers: suite.opensslName,
            readBytes: MiB,
            writeBytes: MiB,
            seed,
          }),
        );
        const s = await conn;
        expect(s.getCipher()?.standardName).to.equal(suite.name);
        expect(s.servername).to.equal('localhost');
        expect(await p.waitEvent('secure', WAIT_MS)).to.deep.include({ protocol: 'TLSv1.2', cipher: suite.opensslName });

        const got = receiving(s, MiB);
        const ended = nextEvent(s, 'end');
        const sent = await sending(s, `ours->node ${suite.name}`, MiB);
        expect(await got).to.deep.equal({ bytes: MiB, sha256: sha256Hex(randomBytesSeeded(seed, MiB)) });
        expect(await p.waitEvent('received', WAIT_MS)).to.deep.include({ bytes: MiB, sha256: sent.sha256 });
        await ended;
        expect(await p.waitExit(WAIT_MS)).to.deep.equal(OK_EXIT);
        expect(p.events().filter((e) => e.event === 'error')).to.deep.equal([]);
      });
    }
  });

  // -------------------------------------------------------------------------------------------
  // Failures against real peers
  // -------------------------------------------------------------------------------------------

  describe('7. the native provider (nodeCryptoProvider) against openssl, every key type x group', function () {
    // Key exchange, signatures and the record layer all on node:crypto; 256 KiB each way. The
    // server's list holds only the group under test; the client's also names the curve of an
    // ECDSA certificate, without which OpenSSL refuses that certificate in TLS 1.2 (both as server
    // and as client: "wrong curve").
    const certCurve = (keyType: string): string[] => (keyType === 'ec-p256' ? ['P-256'] : keyType === 'ec-p384' ? ['P-384'] : []);
    const clientGroups = (keyType: string, group: string): string => [...new Set([group, ...certCurve(keyType)])].join(':');
    const KEY_TYPES = ['ec-p256', 'ec-p384', 'ed25519', 'rsa2048'] as const;
    const GROUPS = [
      { ours: 'X25519', openssl: 'X25519', tempKey: /Server Temp Key: X25519/ },
      { ours: 'P-256', openssl: 'P-256', tempKey: /Server Temp Key: ECDH, prime256v1/ },
      { ours: 'P-384', openssl: 'P-384', tempKey: /Server Temp Key: ECDH, secp384r1/ },
    ] as const;
    const N = 256 * 1024;
    for (const keyType of KEY_TYPES) {
      for (const group of GROUPS) {
        it(`our client (${keyType} server certificate, ${group.ours}) <-> openssl s_server`, async function () {
          requirePeer(this, 'openssl');
          const leaf = pki.leaves[keyType];
          const s = track(await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, extraArgs: ['-groups', group.openssl] }));
          const port = s.port;
          const toUs = randomBytesSeeded(`s_server->native ${keyType} ${group.ours}`, N);
          const written = within(s.write(toUs), WAIT_MS, 'writing to s_server stdin');
          const c = ourClient(port, { cryptoProvider: nodeCryptoProvider, ecdhCurve: clientGroups(keyType, group.ours) });
          const got = receiving(c, N);
          await nextEvent(c, 'secureConnect');
          expect(c.authorized).to.equal(true);
          expect((c.getEphemeralKeyInfo() as { name?: string }).name).to.equal(group.ours === 'X25519' ? 'X25519' : group.ours === 'P-256' ? 'prime256v1' : 'secp384r1');
          const sent = await sending(c, `native->s_server ${keyType} ${group.ours}`, N);
          await written;
          expect(await got).to.deep.equal({ bytes: N, sha256: sha256Hex(toUs) });
          await s.waitForBytes(N, WAIT_MS);
          expect(s.stdoutSha256()).to.equal(sent.sha256);
          const closed = nextEvent(c, 'close');
          c.end();
          expect(await s.waitExit(WAIT_MS)).to.deep.equal(OK_EXIT);
          await closed;
        });

        it(`openssl s_client <-> our server (${keyType} certificate, ${group.ours})`, async function () {
          requirePeer(this, 'openssl');
          const srv = await ourServer(pki.leaves[keyType], { cryptoProvider: nodeCryptoProvider, ecdhCurve: group.ours });
          const conn = srv.next();
          const c = track(await opensslClient({
            port: srv.port, ca: pki.ca.certPath, servername: 'localhost', extraArgs: ['-groups', clientGroups(keyType, group.openssl)],
          }));
          const s = await conn;
          await c.waitFor(/^Verification: OK$/m, WAIT_MS);
          // -brief prints the key exchange after the verification line, in a write of its own.
          await c.waitFor(group.tempKey, WAIT_MS);
          const toUs = randomBytesSeeded(`s_client->native ${keyType} ${group.ours}`, N);
          const got = receiving(s, N);
          const [sent] = await Promise.all([sending(s, `native->s_client ${keyType} ${group.ours}`, N), c.write(toUs)]);
          expect(await got).to.deep.equal({ bytes: N, sha256: sha256Hex(toUs) });
          await c.waitForBytes(N, WAIT_MS);
          expect(c.stdoutSha256()).to.equal(sent.sha256);
          const closed = nextEvent(s, 'close');
          await c.end();
          expect(await c.waitExit(WAIT_MS)).to.deep.equal(OK_EXIT);
          await closed;
        });
      }
    }
  });

  describe('alerts and certificate checks against real peers', function () {
    it("s_server's fatal handshake_failure (we offer only RSA suites, it has an ECDSA-only cert) surfaces as alertReceived", async function () {
      requirePeer(this, 'openssl');
      const s = track(await opensslServer({ cert: pki.leaves['ec-p256'].certPath, key: pki.leaves['ec-p256'].keyPath }));
      const port = s.port;
      const c = ourClient(port, { ciphers: 'aRSA' });
      const err = await nextEvent(c, 'secureConnect').then(
        () => null,
        (e: Error) => e,
      );
      expect(err, 'the handshake must fail').to.be.instanceOf(TlsError);
      expect((err as TlsError).alertReceived).to.equal('handshake_failure');
      expect((err as TlsError).code).to.equal('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
      // No suite agreed; the failed socket is destroyed: null, as node:tls's.
      expect(c.getCipher()).to.equal(null);
      // s_server saw no shared cipher and sent the alert.
      await s.waitFor(/no shared cipher/, WAIT_MS);
    });

    it("gnutls-serv's fatal alert (no common suite) surfaces as alertReceived", async function () {
      requirePeer(this, 'gnutls-serv');
      const { port } = track(
        await gnutlsServer({
          cert: pki.leaves['ec-p256'].certPath,
          key: pki.leaves['ec-p256'].keyPath,
          echo: true,
        }),
      );
      const c = ourClient(port, { ciphers: 'aRSA' });
      const err = await nextEvent(c, 'secureConnect').then(
        () => null,
        (e: Error) => e,
      );
      expect(err, 'the handshake must fail').to.be.instanceOf(TlsError);
      expect((err as TlsError).code).to.equal('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
      expect((err as TlsError).alertReceived).to.equal('handshake_failure');
    });

    it('our fatal handshake_failure reaches openssl s_client (it offers only RSA suites to our ECDSA server)', async function () {
      requirePeer(this, 'openssl');
      const srv = await ourServer(pki.leaves['ec-p256']);
      const conn = srv.next();
      const c = track(
        await opensslClient({ port: srv.port, ca: pki.ca.certPath, cipher: 'aRSA', waitHandshake: false }),
      );
      const err = await conn.then(
        () => null,
        (e: Error) => e,
      );
      expect(err, 'our server must refuse').to.be.instanceOf(TlsError);
      expect((err as TlsError).alertName).to.equal('handshake_failure');
      await c.waitFor(/alert handshake failure/, WAIT_MS);
      expect((await c.waitExit(WAIT_MS)).code).to.not.equal(0);
    });

    for (const [label, servername] of [['IP 127.0.0.1', undefined], ['servername localhost', 'localhost']] as const) {
      it(`certificate name mismatch against openssl s_server (pki.wrongHost, ${label}) -> ERR_TLS_CERT_ALTNAME_INVALID`, async function () {
        requirePeer(this, 'openssl');
        const s = track(await opensslServer({ cert: pki.wrongHost.certPath, key: pki.wrongHost.keyPath }));
        const port = s.port;
        const c = ourClient(port, { servername });
        const err = await nextEvent(c, 'secureConnect').then(
          () => null,
          (e: Error) => e,
        );
        expect(err, 'the handshake must fail').to.be.instanceOf(TlsError);
        expect((err as TlsError).code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
        expect((err as TlsError).alertReceived).to.equal(undefined);
        expect(c.authorized).to.equal(false);
        // We tell the server why (certificate_unknown, RFC 5246 §7.2.2); s_server reports it.
        expect((err as TlsError).alertName).to.equal('certificate_unknown');
        await s.waitFor(/sslv3 alert certificate unknown.*SSL alert number 46/, WAIT_MS);
      });
    }

    it("gnutls-cli's fatal bad_certificate (our server's name does not match) surfaces as alertReceived", async function () {
      requirePeer(this, 'gnutls-cli');
      const srv = await ourServer(pki.wrongHost);
      const conn = srv.next();
      const launched = await gnutlsClient({ port: srv.port, ca: pki.ca.certPath }).then(
        (p) => (track(p), null),
        (e: Error) => e,
      );
      const err = await conn.then(
        () => null,
        (e: Error) => e,
      );
      expect(err, 'the handshake must fail on our side').to.be.instanceOf(TlsError);
      expect((err as TlsError).code).to.equal('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE');
      expect((err as TlsError).alertReceived).to.equal('bad_certificate');
      // gnutls-cli exits 1 before its "Simple Client Mode" marker, so the launcher rejects.
      expect(launched?.message).to.match(/The name in the certificate does not match the expected/);
    });

    it('the same s_server certificate is accepted for its own name (servername example.invalid)', async function () {
      requirePeer(this, 'openssl');
      const s = track(await opensslServer({ cert: pki.wrongHost.certPath, key: pki.wrongHost.keyPath }));
      const port = s.port;
      const c = ourClient(port, { servername: 'example.invalid' });
      await nextEvent(c, 'secureConnect');
      expect(c.authorized).to.equal(true);
      c.write('ping\n');
      await s.waitFor(/^ping$/m, WAIT_MS);
    });
  });
});
