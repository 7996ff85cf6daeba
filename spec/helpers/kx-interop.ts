// Interop runs for the DHE, DHE_PSK and static RSA suites (spec/kx-dhe.spec.ts,
// spec/kx-rsa.spec.ts): one handshake, data hashed both ways and a renegotiation while data
// flows, between ours and openssl s_server / s_client / gnutls-serv / gnutls-cli, over TLS and
// DTLS. Peers bind port 0 themselves (startListeningPeer reads the port they got).
//
// DTLS data goes in lock-step (1 KiB, then wait until the other side has it): UDP on loopback
// drops bursts (docs/peers.md), and a test must count what arrives, not hope.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { connect, createServer, type SecureDuplex, type Server } from '../../lib/index.js';
import {
  GNUTLS_TLS12_PRIORITY, gnutlsClient, opensslClient, peersTmpDir, randomBytesSeeded, randomTextLines, requirePeer, sha256Hex,
  startListeningPeer, withPeerDiagnostics, type PeerProcess,
} from './peers.js';
import { receiveHashed, renegotiated, sendSeeded } from './stream-transfer.js';
import { within } from './within.js';
import type { PkiEntry } from './pki.js';
import { EnginePair, sha256 } from './engine-pair.js';
import { seededRandom } from './deterministic-random.js';
import { nobleProvider } from '../../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../../lib/crypto/node-provider.js';
import { parseCipherList } from '../../lib/engine/cipher-suites.js';

export const WAIT_MS = 30_000;
export const PSK_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
export const PSK_IDENTITY = 'Client_identity';
/** TLS runs: bytes each way (the renegotiation starts a quarter of the way in). */
const TLS_BYTES = 256 * 1024;
/** DTLS runs: lock-step chunks of 1 KiB. */
const DTLS_CHUNKS = 48;
const DTLS_CHUNK = 1024;

export interface KxCase {
  /** OpenSSL name of the suite. */
  suite: string;
  psk: boolean;
  dtls: boolean;
}

/** Processes, sockets and servers a test started; stopped after it by `stopAll`. */
export class Started {
  private readonly peers: PeerProcess[] = [];
  private readonly sockets: SecureDuplex[] = [];
  private readonly servers: Server[] = [];
  peer<T extends PeerProcess>(p: T): T {
    this.peers.push(p);
    return p;
  }
  socket<T extends SecureDuplex>(s: T): T {
    this.sockets.push(s);
    return s;
  }
  server<T extends Server>(s: T): T {
    this.servers.push(s);
    return s;
  }
  async stopAll(): Promise<void> {
    for (const s of this.sockets.splice(0)) s.destroy();
    for (const s of this.servers.splice(0)) s.close();
    await Promise.all(this.peers.splice(0).map((p) => p.kill()));
  }
}

/** Resolves on `event`, rejects on 'error' or an early 'close'. */
export function nextEvent<T = void>(s: NodeJS.EventEmitter, event: string, ms = WAIT_MS): Promise<T> {
  return within(new Promise<T>((resolve, reject) => {
    const done = (f: () => void): void => {
      s.removeListener(event, onEvent);
      s.removeListener('error', onError);
      s.removeListener('close', onClose);
      f();
    };
    const onEvent = (v: T): void => done(() => resolve(v));
    const onError = (e: Error): void => done(() => reject(e));
    const onClose = (): void => done(() => reject(new Error(`closed before '${event}'`)));
    s.once(event, onEvent);
    s.once('error', onError);
    if (event !== 'close') s.once('close', onClose);
  }), `waiting for '${event}'`, ms);
}


/** openssl s_server on 127.0.0.1, port chosen by the kernel; `-naccept 1`, `-brief` (stdout is
 *  exactly the data received, stdin is sent), renegotiation by the client allowed. */
export async function opensslServer0(args: readonly string[], dtls: boolean): Promise<{ peer: PeerProcess; port: number }> {
  const peer = await startListeningPeer('openssl', [
    's_server', '-accept', '127.0.0.1:0', dtls ? '-dtls1_2' : '-tls1_2', '-brief', '-naccept', '1', '-client_renegotiation', ...args,
  ], dtls ? 'udp' : 'tcp', 0, {});
  return { peer, port: peer.port };
}

/** gnutls-serv --echo (text lines, CRLF kept) on a port the kernel chose. */
export async function gnutlsEchoServer0(args: readonly string[], udp: boolean, priority: string): Promise<{ peer: PeerProcess; port: number }> {
  const peer = await startListeningPeer('gnutls-serv', [
    '-p', '0', '--echo', '--crlf', '--disable-client-cert', '--priority', priority, ...(udp ? ['--udp'] : []), ...args,
  ], udp ? 'udp' : 'tcp', 0, {});
  return { peer, port: peer.port };
}

/** GnuTLS priority for one key exchange over TLS 1.2 / DTLS 1.2. */
export function gnutlsPriority(kx: 'DHE-RSA' | 'RSA' | 'DHE-PSK'): string {
  return `${GNUTLS_TLS12_PRIORITY}:-KX-ALL:+${kx}`;
}

/** Our client for a case: `ciphers` names the one suite; a PSK callback for PSK suites. */
export function ourClient(started: Started, port: number, k: KxCase, ca: PkiEntry | undefined, extra: Record<string, unknown> = {}): SecureDuplex {
  return started.socket(connect({
    host: '127.0.0.1', port, ciphers: k.suite, handshakeTimeout: WAIT_MS, renegotiationLimit: 100,
    ...(ca ? { ca: ca.certPem, servername: 'localhost' } : { rejectUnauthorized: false }),
    ...(k.dtls ? { transport: 'udp' as const } : {}),
    ...(k.psk ? { pskCallback: () => ({ psk: PSK_KEY, identity: PSK_IDENTITY }) } : {}),
    ...extra,
  }));
}

/** Our server for a case (dhparam 'auto'), and its next secure connection. */
export async function ourServer(started: Started, k: KxCase, leaf: PkiEntry, extra: Record<string, unknown> = {}): Promise<{ port: number; next: () => Promise<SecureDuplex> }> {
  const server = started.server(createServer({
    cert: leaf.certPem, key: leaf.keyPem, ciphers: k.suite, dhparam: 'auto', handshakeTimeout: WAIT_MS,
    ...(k.dtls ? { transport: 'udp' as const } : {}),
    ...(k.psk ? { pskCallback: (_s: SecureDuplex, id: string) => (id === PSK_IDENTITY ? PSK_KEY : null) } : {}),
    ...extra,
  }));
  const port = await within(new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  }), 'our server listening');
  const next = (): Promise<SecureDuplex> => within(new Promise<SecureDuplex>((resolve, reject) => {
    server.once('secureConnection', (s: SecureDuplex) => resolve(started.socket(s)));
    server.once('tlsClientError', reject);
  }), 'secureConnection');
  return { port, next };
}

/**
 * TLS: `TLS_BYTES` each way between our socket and a peer process (stdin its outgoing, stdout
 * its incoming, byte-exact), our side renegotiating a quarter of the way into its sending;
 * SHA-256 compared at both ends.
 */
async function tlsTransfer(ours: SecureDuplex, peer: PeerProcess, label: string, renegotiate: boolean, peerWritesFirst: boolean): Promise<void> {
  const toUs = randomBytesSeeded(`${label} peer->ours`, TLS_BYTES);
  const got = within(receiveHashed(ours, TLS_BYTES), `receiving (${label})`);
  // Awaited below; until then its failure must not count as unhandled (the first error of the
  // transfer is the one reported, with the peer's output).
  got.catch(() => undefined);
  if (peerWritesFirst) {
    // openssl s_client answering our HelloRequest runs its handshake inside SSL_write() when it
    // has stdin to send, and there any application record of ours it meets is fatal
    // (`write:errno=0`; docs/renegotiation-interop.md): it fails so against openssl s_server too.
    // So its bytes all arrive first, and ours flow through our renegotiation.
    await within(peer.write(toUs), `peer stdin (${label})`);
    await got;
  }
  let renegotiation: Promise<void> | undefined;
  const sending = within(sendSeeded(ours, `${label} ours->peer`, TLS_BYTES, 16384, (i) => {
    if (renegotiate && i === 4) {
      renegotiation = renegotiated(ours);
      // Awaited below; if the sending fails first, its error is the one reported.
      renegotiation.catch(() => undefined);
    }
  }), `sending (${label})`);
  const [sent] = await Promise.all([sending, peerWritesFirst ? undefined : within(peer.write(toUs), `peer stdin (${label})`)]);
  await renegotiation;
  expect(await got).to.deep.equal({ bytes: TLS_BYTES, sha256: sha256Hex(toUs) });
  await peer.waitForBytes(TLS_BYTES, WAIT_MS);
  expect(peer.stdoutBytes()).to.equal(TLS_BYTES);
  expect(peer.stdoutSha256()).to.equal(sent.sha256);
}

/**
 * DTLS: lock-step chunks both ways (ours → peer, wait until the peer has it; peer → ours, wait
 * until we have it), our side renegotiating halfway (and waiting for it); SHA-256 compared.
 */
async function dtlsTransfer(ours: SecureDuplex, peer: PeerProcess, label: string, renegotiate: boolean): Promise<void> {
  const fromPeer = createHash('sha256');
  const toPeer = createHash('sha256');
  const sentByPeer = createHash('sha256');
  let received = 0;
  ours.on('data', (d: Buffer) => {
    fromPeer.update(d);
    received += d.length;
  });
  const arrived = (n: number): Promise<void> => within(new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (received < n) return;
      ours.removeListener('data', check);
      ours.removeListener('close', onClose);
      resolve();
    };
    const onClose = (): void => reject(new Error(`closed after ${received} of ${n} bytes`));
    ours.on('data', check);
    ours.once('close', onClose);
    check();
  }), `${n} bytes from the peer (${label})`);
  for (let i = 0; i < DTLS_CHUNKS; i++) {
    if (renegotiate && i === DTLS_CHUNKS / 2) await renegotiated(ours);
    const out = randomBytesSeeded(`${label} ours->peer ${i}`, DTLS_CHUNK);
    toPeer.update(out);
    ours.write(out);
    await peer.waitForBytes((i + 1) * DTLS_CHUNK, WAIT_MS);
    const back = randomBytesSeeded(`${label} peer->ours ${i}`, DTLS_CHUNK);
    sentByPeer.update(back);
    await within(peer.write(back), `peer stdin (${label})`);
    await arrived((i + 1) * DTLS_CHUNK);
  }
  expect(peer.stdoutBytes()).to.equal(DTLS_CHUNKS * DTLS_CHUNK);
  expect(peer.stdoutSha256()).to.equal(toPeer.digest('hex'));
  expect(received).to.equal(DTLS_CHUNKS * DTLS_CHUNK);
  expect(fromPeer.digest('hex')).to.equal(sentByPeer.digest('hex'));
}

/** Data both ways with a peer process, hashed (TLS: bulk; DTLS: lock-step), with our side
 *  renegotiating meanwhile when `renegotiate`. */
export function transfer(ours: SecureDuplex, peer: PeerProcess, label: string, o: { dtls: boolean; renegotiate: boolean; peerWritesFirst?: boolean }): Promise<void> {
  return withPeerDiagnostics(peer, o.dtls ? dtlsTransfer(ours, peer, label, o.renegotiate) : tlsTransfer(ours, peer, label, o.renegotiate, o.peerWritesFirst ?? false));
}

/**
 * Our client and gnutls-serv --echo: text lines (gnutls-serv --echo is not binary-safe) sent and
 * echoed, our client renegotiating halfway; the echo's SHA-256 compared with what was sent. Over
 * DTLS one line at a time, each echoed before the next.
 */
export async function echoTransferWithRenegotiation(ours: SecureDuplex, label: string, dtls: boolean): Promise<void> {
  const lines = randomTextLines(label, dtls ? 48 : 2000).map((l) => `${l}\r\n`);
  const text = lines.join('');
  const total = Buffer.byteLength(text);
  const echoed = createHash('sha256');
  let got = 0;
  const progress: (() => void)[] = [];
  ours.on('data', (d: Buffer) => {
    echoed.update(d);
    got += d.length;
    for (const p of progress.splice(0)) p();
  });
  const until = (n: number): Promise<void> => within(new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (got >= n) resolve();
      else if (ours.destroyed) reject(new Error(`closed after ${got} of ${n} bytes`));
      else progress.push(check);
    };
    check();
  }), `echo of ${n} bytes (${label})`);
  let sent = 0;
  for (let i = 0; i < lines.length; i++) {
    if (i === Math.floor(lines.length / 2)) {
      // Everything sent so far echoed first: gnutls-serv answers the renegotiation at once.
      await until(sent);
      await renegotiated(ours);
    }
    ours.write(lines[i]!);
    sent += Buffer.byteLength(lines[i]!);
    if (dtls) await until(sent);
  }
  await until(total);
  expect(got).to.equal(total);
  expect(echoed.digest('hex')).to.equal(sha256Hex(text));
}

/** gnutls-serv's --pskpasswd file for PSK_IDENTITY / PSK_KEY. */
function gnutlsPskFile(dir: string): string {
  const file = path.join(dir, 'kx-psk.txt');
  fs.writeFileSync(file, `${PSK_IDENTITY}:${PSK_KEY.toString('hex')}\n`);
  return file;
}

/**
 * The interop cases of one suite, as mocha tests: our client with openssl s_server and
 * gnutls-serv, our server with openssl s_client and gnutls-cli, over TLS and DTLS; each one
 * handshake, data hashed both ways and a renegotiation while data flows (gnutls-cli
 * renegotiates itself, right after its handshake, with --rehandshake). gnutls-cli is left out
 * for PSK suites: 3.7.9 segfaults after every DHE-PSK / ECDHE-PSK handshake, against openssl
 * s_server as well (docs/peers.md).
 */
export function interopCases(suite: string, kx: 'DHE-RSA' | 'RSA' | 'DHE-PSK', pki: () => { ca: PkiEntry; leaf: PkiEntry }): void {
  const psk = kx === 'DHE-PSK';
  const started = new Started();
  afterEach(() => started.stopAll());
  for (const dtls of [false, true]) {
    const k: KxCase = { suite, psk, dtls };
    const proto = dtls ? 'DTLS' : 'TLS';
    const serverIdentity = (): string[] => psk
      ? ['-nocert', '-psk', PSK_KEY.toString('hex'), '-psk_identity', PSK_IDENTITY]
      : ['-cert', pki().leaf.certPath, '-key', pki().leaf.keyPath];

    it(`${proto}: our client <-> openssl s_server: data hashed both ways, our client renegotiates while it flows`, async function () {
      requirePeer(this, 'openssl');
      const { peer, port } = await opensslServer0([...serverIdentity(), '-cipher', suite], dtls);
      started.peer(peer);
      const c = ourClient(started, port, k, psk ? undefined : pki().ca);
      await nextEvent(c, 'secureConnect');
      expect(c.getCipher()?.name).to.equal(suite);
      await transfer(c, peer, `${suite} ${proto} s_server`, { dtls, renegotiate: true });
      expect(c.getCipher()?.name).to.equal(suite);
    });

    it(`${proto}: openssl s_client <-> our server: data hashed both ways, our server renegotiates while it flows`, async function () {
      requirePeer(this, 'openssl');
      const srv = await ourServer(started, k, pki().leaf);
      const conn = srv.next();
      const c = started.peer(await opensslClient({
        port: srv.port, cipher: suite, dtls,
        ...(psk ? { extraArgs: ['-psk', PSK_KEY.toString('hex')] } : { ca: pki().ca.certPath, servername: 'localhost' }),
      }));
      const s = await conn;
      expect(s.getCipher()?.name).to.equal(suite);
      expect(c.stderr()).to.match(new RegExp(`^Ciphersuite: ${suite}$`, 'm'));
      await transfer(s, c, `${suite} ${proto} s_client`, { dtls, renegotiate: true, peerWritesFirst: true });
    });

    it(`${proto}: our client <-> gnutls-serv --echo: lines echoed and hashed, our client renegotiates halfway`, async function () {
      requirePeer(this, 'gnutls-serv');
      const args = psk ? ['--pskpasswd', gnutlsPskFile(peersTmpDir())] : ['--x509certfile', pki().leaf.certPath, '--x509keyfile', pki().leaf.keyPath];
      const { peer, port } = await gnutlsEchoServer0(args, dtls, gnutlsPriority(kx));
      started.peer(peer);
      const c = ourClient(started, port, k, psk ? undefined : pki().ca);
      await nextEvent(c, 'secureConnect');
      expect(c.getCipher()?.name).to.equal(suite);
      await echoTransferWithRenegotiation(c, `${suite} ${proto} gnutls-serv`, dtls);
    });

    if (psk) continue;
    it(`${proto}: gnutls-cli --rehandshake <-> our server: its renegotiation, then data hashed both ways`, async function () {
      requirePeer(this, 'gnutls-cli');
      const srv = await ourServer(started, k, pki().leaf);
      // Listening for the renegotiation from the first handshake on: gnutls-cli may have done
      // both before its launcher sees it connected.
      const conn = srv.next().then((s) => ({ s, renegotiation: nextEvent<{ initiator: string }>(s, 'renegotiated') }));
      const c = started.peer(await gnutlsClient({
        port: srv.port, ca: pki().ca.certPath, udp: dtls, rehandshake: true, logFile: true, priority: gnutlsPriority(kx),
      }));
      const { s, renegotiation } = await conn;
      expect(s.getCipher()?.name).to.equal(suite);
      const info = await renegotiation;
      expect(info.initiator).to.equal('peer');
      await transfer(s, c, `${suite} ${proto} gnutls-cli`, { dtls, renegotiate: false });
    });
  }
}

/**
 * Two engines in memory (deterministic randomness), one per crypto provider in each role: a
 * handshake with `suite`, data both ways, a renegotiation started by each side while data is in
 * flight, data again; every byte arrives and both sides end on the suite.
 */
export function inMemoryCase(suite: string, kx: 'DHE-RSA' | 'RSA' | 'DHE-PSK', leaf: () => PkiEntry): void {
  const psk = kx === 'DHE-PSK';
  for (const [cp, sp] of [[nobleProvider, nodeCryptoProvider], [nodeCryptoProvider, nobleProvider]] as const) {
    it(`in memory, client ${cp.name} / server ${sp.name}: handshake, data, renegotiations by both sides with data in flight`, () => {
      const suites = parseCipherList(suite);
      const p = new EnginePair({
        seed: `${suite}/${cp.name}`, serverCert: leaf(), suites,
        client: { provider: cp, renegotiationLimit: 10, ...(psk ? { psk: { client: () => ({ psk: PSK_KEY, identity: PSK_IDENTITY }) } } : {}) },
        server: { provider: sp, renegotiationLimit: 10, dhParam: 'auto', ...(psk ? { psk: { server: () => PSK_KEY } } : {}) },
      });
      p.handshake();
      expect(EnginePair.errors(p.clientEvents).concat(EnginePair.errors(p.serverEvents))).to.deep.equal([]);
      const rnd = seededRandom(`${suite} in memory`);
      const up: Uint8Array[] = [];
      const down: Uint8Array[] = [];
      const exchange = (): void => {
        const u = rnd(5000);
        const d = rnd(3000);
        p.client.write(u);
        p.server.write(d);
        up.push(u);
        down.push(d);
      };
      exchange();
      p.run();
      for (const starter of [p.client, p.server]) {
        expect(starter.renegotiate()).to.equal(true);
        exchange();
        p.run();
        exchange();
        p.run();
      }
      expect(EnginePair.errors(p.clientEvents).concat(EnginePair.errors(p.serverEvents))).to.deep.equal([]);
      const handshakes = (events: typeof p.clientEvents): number => events.filter((e) => e.type === 'handshake').length;
      expect([handshakes(p.clientEvents), handshakes(p.serverEvents)]).to.deep.equal([3, 3]);
      expect(sha256(EnginePair.dataOf(p.serverEvents))).to.equal(sha256(Buffer.concat(up)));
      expect(sha256(EnginePair.dataOf(p.clientEvents))).to.equal(sha256(Buffer.concat(down)));
      expect(p.client.session?.suite.opensslName).to.equal(suite);
      expect(p.server.session?.suite.opensslName).to.equal(suite);
    });
  }
}
