/**
 * Every cipher suite we implement (ALL_CIPHER_SUITES: rows added later are covered as they come)
 * against real peers, each connection with a renegotiation while application data flows, and
 * the SHA-256 of everything sent compared with everything received in both directions:
 *
 *   1. our client   <-> openssl s_server           TLS   (we renegotiate; -client_renegotiation)
 *   2. openssl s_client <-> our server             TLS   (our server renegotiates: HelloRequest)
 *   3. our client   <-> openssl s_server -dtls1_2  DTLS  (we renegotiate; paced datagrams)
 *   4. our client   <-> gnutls-serv --echo         TLS   (we renegotiate; text echoed back)
 *   5. our client   <-> gnutls-serv --udp --echo   DTLS  (we renegotiate; text echoed back)
 *
 * Each peer is told the suite (openssl -cipher NAME, a GnuTLS priority string derived from the
 * row: cipher, MAC and key exchange) and, for PSK suites, the key (openssl -psk/-psk_identity,
 * gnutls-serv --pskpasswd). Peers bind port 0 and the port is read from /proc (startListeningPeer).
 * CBC suites run MAC-then-encrypt in pairings 1 (s_server -no_etm) and 5 (GnuTLS %NO_ETM) and
 * RFC 7366 encrypt-then-MAC in 2, 3 and 4 (the peers' default); each test checks which one the
 * connection used. Renegotiation while data flows: our side uses the 'conservative' send policy, which holds our
 * writes where OpenSSL refuses records (PEERS.md: after its ServerHello); GnuTLS's echo server
 * takes a client rehandshake over TLS and DTLS.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  ALL_CIPHER_SUITES, connect, createServer, type CipherSuite, type ConnectOptions, type SecureDuplex, type Server,
} from '../lib/index.js';
import {
  GNUTLS_TLS12_PRIORITY, peersTmpDir, requirePeer, sha256Hex, startListeningPeer, opensslClient, randomBytesSeeded, withPeerDiagnostics,
  type PeerProcess,
} from './helpers/peers.js';
import { makePki, type Pki, type PkiEntry } from './helpers/pki.js';
import { receiveHashed, renegotiated, sendSeeded } from './helpers/stream-transfer.js';
import { within } from './helpers/within.js';

const WAIT_MS = 20_000;
const KiB = 1024;
/** Bytes each way per TLS connection; the renegotiation starts after a quarter of ours. */
const TLS_BYTES = 96 * KiB;
/** DTLS: text lines, echoed or counted, paced (UDP on loopback drops bursts). */
const DTLS_BYTES = 24 * KiB;
const PSK_IDENTITY = 'suites-client';
const PSK_KEY_HEX = '0f1e2d3c4b5a69788796a5b4c3d2e1f000112233445566778899aabbccddeeff';
const PSK_KEY = Buffer.from(PSK_KEY_HEX, 'hex');

const isPsk = (s: CipherSuite): boolean => s.kx.endsWith('PSK');

/** GnuTLS names of the row's cipher, MAC and key exchange. */
function gnutlsPriority(s: CipherSuite): string {
  const cipher = s.cbc ?? s.aead!;
  const mac = s.mac ? s.mac.toUpperCase() : 'AEAD';
  const kx: Record<string, string> = {
    ECDHE: `ECDHE-${s.auth}`, DHE: `DHE-${s.auth}`, RSA: 'RSA', PSK: 'PSK', ECDHE_PSK: 'ECDHE-PSK', DHE_PSK: 'DHE-PSK',
  };
  return `${GNUTLS_TLS12_PRIORITY}:-CIPHER-ALL:+${cipher}:-MAC-ALL:+${mac}:-KX-ALL:+${kx[s.kx]!}`;
}

let pki: Pki;
let pskFile: string;
const leafOf = (s: CipherSuite): PkiEntry => (s.auth === 'ECDSA' ? pki.leaves['ec-p256'] : pki.leaves.rsa2048);

/** What a test started, stopped after it whatever happened. */
const cleanups: (() => unknown)[] = [];
async function teardown(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      /* already gone */
    }
  }
}
const track = <T extends PeerProcess>(p: T): T => (cleanups.push(() => p.kill()), p);

/** A peer started on port 0: wait for its socket, read the port from /proc. */
async function peerOnPort0(cmd: string, args: string[], proto: 'tcp' | 'udp'): Promise<{ peer: PeerProcess; port: number }> {
  const peer = track(await startListeningPeer(cmd, args, proto, 0, { readyTimeoutMs: WAIT_MS }));
  return { peer, port: peer.port };
}

function opensslServerArgs(s: CipherSuite, dtls: boolean, noEtm = false): string[] {
  const args = ['s_server', '-accept', '127.0.0.1:0', dtls ? '-dtls1_2' : '-tls1_2', '-brief', '-naccept', '1', '-client_renegotiation', '-cipher', s.opensslName];
  if (isPsk(s)) args.push('-nocert', '-psk', PSK_KEY_HEX, '-psk_identity', PSK_IDENTITY);
  else args.push('-cert', leafOf(s).certPath, '-key', leafOf(s).keyPath);
  if (noEtm) args.push('-no_etm');
  return args;
}

function clientOptions(s: CipherSuite, dtls: boolean): ConnectOptions {
  const o: ConnectOptions = { host: '127.0.0.1', ciphers: s.opensslName, handshakeTimeout: WAIT_MS, ...(dtls ? { transport: 'udp' as const } : {}) };
  if (isPsk(s)) return { ...o, pskCallback: () => ({ psk: PSK_KEY, identity: PSK_IDENTITY }) };
  return { ...o, ca: pki.ca.certPem };
}

function ourClient(s: CipherSuite, port: number, dtls = false): SecureDuplex {
  const c = connect({ ...clientOptions(s, dtls), port });
  cleanups.push(() => c.destroy());
  return c;
}

function event<T = void>(e: NodeJS.EventEmitter, name: string, what: string): Promise<T> {
  return within(new Promise<T>((resolve, reject) => {
    e.once(name, resolve);
    if (name !== 'error') e.once('error', reject);
  }), what, WAIT_MS);
}

/** Whether the connection's records use RFC 7366 encrypt-then-MAC (never for AEAD suites). */
function expectEtm(ours: SecureDuplex, s: CipherSuite, etm: boolean): void {
  expect(ours.engine.session?.encryptThenMac, 'encrypt_then_mac').to.equal(s.cbc !== undefined && etm);
}


/** Both directions over TLS with one renegotiation started after a quarter of our bytes. With
 *  `peerWritesFirst` the peer's bytes all arrive before ours start: openssl s_client answering
 *  our HelloRequest runs its handshake inside SSL_write() while it has stdin to send, and there
 *  any application record of ours it meets is fatal (`write:errno=0`; it fails so against
 *  openssl s_server too, docs/renegotiation-interop.md). */
async function transfer(ours: SecureDuplex, peer: PeerProcess, label: string, peerWritesFirst = false): Promise<void> {
  const toUs = randomBytesSeeded(`${label} peer->ours`, TLS_BYTES);
  const got = within(receiveHashed(ours, TLS_BYTES), 'receiving', WAIT_MS);
  const writing = within(peer.write(toUs), 'peer stdin', WAIT_MS);
  // Both are awaited below; until then a failure of either must not count as unhandled (the
  // first error of the transfer is the one reported, with the peer's output).
  got.catch(() => undefined);
  writing.catch(() => undefined);
  if (peerWritesFirst) {
    await writing;
    await got;
  }
  let reneg: Promise<void> | undefined;
  const sent = await within(sendSeeded(ours, `${label} ours->peer`, TLS_BYTES, 4 * KiB, (i) => {
    if (i === 6) {
      reneg = renegotiated(ours);
      // Awaited below; if the sending fails first, its error is the one reported.
      reneg.catch(() => undefined);
    }
  }), 'sending', WAIT_MS);
  await reneg;
  await writing;
  expect(await got).to.deep.equal({ bytes: TLS_BYTES, sha256: sha256Hex(toUs) });
  await peer.waitForBytes(TLS_BYTES, WAIT_MS);
  expect(peer.stdoutBytes()).to.equal(TLS_BYTES);
  expect(peer.stdoutSha256()).to.equal(sent.sha256);
}

/** Text lines (what gnutls-serv --echo returns unchanged). */
function textLines(seed: string, total: number): Buffer {
  const r = randomBytesSeeded(seed, total);
  for (let i = 0; i < total; i++) r[i] = (i + 1) % 64 === 0 ? 0x0a : 0x61 + (r[i]! % 26);
  r[total - 1] = 0x0a;
  return r;
}

/** Wait until `cond()` holds (checked every few ms), bounded. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * DTLS: `total` bytes from us in 512-byte writes, at most 8 KiB ahead of what the far end has
 * taken (`progress()`), with a renegotiation after a third of it.
 */
async function pacedDtls(ours: SecureDuplex, data: Buffer, progress: () => number): Promise<void> {
  const chunk = 512;
  let reneg: Promise<void> | undefined;
  for (let o = 0; o < data.length; o += chunk) {
    ours.write(data.subarray(o, o + chunk));
    if (o >= data.length / 3 && !reneg) reneg = renegotiated(ours);
    await until(() => progress() >= o - 8 * KiB, `peer took ${progress()} of ${o} bytes`);
  }
  await reneg;
}

/** Hash of what a SecureDuplex receives, as it comes. */
function counting(s: SecureDuplex): { bytes: () => number; sha256: () => string } {
  const h = createHash('sha256');
  let n = 0;
  s.on('data', (d: Buffer) => {
    h.update(d);
    n += d.length;
  });
  return { bytes: () => n, sha256: () => h.copy().digest('hex') };
}

describe('every suite against OpenSSL and GnuTLS, TLS and DTLS, with a renegotiation while data flows', function () {
  this.timeout(60_000);

  before(function () {
    this.timeout(120_000);
    pki = makePki();
    pskFile = path.join(peersTmpDir(), `suites-psk-${process.pid}.txt`);
    fs.writeFileSync(pskFile, `${PSK_IDENTITY}:${PSK_KEY_HEX}\n`);
  });

  afterEach(teardown);

  describe('1. our client <-> openssl s_server (TLS)', () => {
    for (const s of ALL_CIPHER_SUITES) {
      it(s.opensslName, async function () {
        requirePeer(this, 'openssl');
        const { peer, port } = await peerOnPort0('openssl', opensslServerArgs(s, false, true), 'tcp');
        const c = ourClient(s, port);
        await event(c, 'secureConnect', 'secureConnect');
        expect(c.getCipher()?.standardName).to.equal(s.name);
        await transfer(c, peer, `1 ${s.name}`);
        expectEtm(c, s, false);
        c.end();
        expect(await peer.waitExit(WAIT_MS)).to.deep.equal({ code: 0, signal: null });
      });
    }
  });

  describe('2. openssl s_client <-> our server (TLS; our server renegotiates)', () => {
    for (const s of ALL_CIPHER_SUITES) {
      it(s.opensslName, async function () {
        requirePeer(this, 'openssl');
        const server: Server = createServer({
          ciphers: s.opensslName, handshakeTimeout: WAIT_MS,
          // A server chooses DHE only with DH parameters, as node:tls.
          ...(s.kx.startsWith('DHE') ? { dhparam: 'auto' as const } : {}),
          ...(isPsk(s) ? { pskCallback: (_sock: unknown, id: string) => (id === PSK_IDENTITY ? PSK_KEY : null) } : { cert: leafOf(s).certPem, key: leafOf(s).keyPem }),
        });
        cleanups.push(() => server.close());
        const accepted = event<SecureDuplex>(server, 'secureConnection', 'secureConnection');
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        const port = (server.address() as AddressInfo).port;
        const extraArgs = isPsk(s) ? ['-psk', PSK_KEY_HEX, '-psk_identity', PSK_IDENTITY] : [];
        const peer = track(await opensslClient({ port, cipher: s.opensslName, ...(isPsk(s) ? {} : { ca: pki.ca.certPath, servername: 'localhost' }), extraArgs }));
        const ours = await accepted;
        cleanups.push(() => ours.destroy());
        expect(ours.getCipher()?.standardName).to.equal(s.name);
        expect(peer.stderr()).to.match(new RegExp(`^Ciphersuite: ${s.opensslName}$`, 'm'));
        // An error of our socket fails the test with what s_client printed (its reason, if it
        // closed the connection).
        const failed = new Promise<never>((_, reject) => ours.once('error', reject));
        failed.catch(() => undefined);
        await withPeerDiagnostics(peer, Promise.race([transfer(ours, peer, `2 ${s.name}`, true), failed]));
        expectEtm(ours, s, true);
        // Our close_notify ends s_client.
        ours.end();
        expect(await peer.waitExit(WAIT_MS)).to.deep.equal({ code: 0, signal: null });
      });
    }
  });

  describe('3. our client <-> openssl s_server -dtls1_2 (DTLS)', () => {
    for (const s of ALL_CIPHER_SUITES) {
      it(s.opensslName, async function () {
        requirePeer(this, 'openssl');
        const { peer, port } = await peerOnPort0('openssl', opensslServerArgs(s, true), 'udp');
        const c = ourClient(s, port, true);
        await event(c, 'secureConnect', 'secureConnect');
        expect(c.getCipher()?.standardName).to.equal(s.name);
        expect(c.getProtocol()).to.equal('DTLSv1.2');
        const rx = counting(c);
        // s_server -> us, paced on what we received.
        const toUs = randomBytesSeeded(`3 ${s.name} peer->ours`, DTLS_BYTES);
        const feeding = (async () => {
          for (let o = 0; o < DTLS_BYTES; o += 512) {
            await peer.write(toUs.subarray(o, o + 512));
            await until(() => rx.bytes() >= o - 8 * KiB, `we got ${rx.bytes()} of ${o} bytes from s_server`);
          }
        })();
        const fromUs = randomBytesSeeded(`3 ${s.name} ours->peer`, DTLS_BYTES);
        await pacedDtls(c, fromUs, () => peer.stdoutBytes());
        await within(feeding, 'feeding s_server', WAIT_MS);
        await peer.waitForBytes(DTLS_BYTES, WAIT_MS);
        expect(peer.stdoutSha256()).to.equal(sha256Hex(fromUs));
        await until(() => rx.bytes() >= DTLS_BYTES, `we got ${rx.bytes()} bytes`);
        expect([rx.bytes(), rx.sha256()]).to.deep.equal([DTLS_BYTES, sha256Hex(toUs)]);
        expectEtm(c, s, true);
      });
    }
  });

  it('6. our client <-> openssl s_server: renegotiations move CCM_8 -> GCM -> CBC while data flows both ways', async function () {
    requirePeer(this, 'openssl');
    const names = ['ECDHE-ECDSA-AES128-CCM8', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-AES128-SHA256'];
    const first = ALL_CIPHER_SUITES.find((s) => s.opensslName === names[0])!;
    const args = opensslServerArgs(first, false);
    args[args.indexOf(first.opensslName)] = names.join(':');
    const { peer, port } = await peerOnPort0('openssl', args, 'tcp');
    const c = ourClient(first, port);
    await event(c, 'secureConnect', 'secureConnect');
    const seen = [c.getCipher()?.name];
    const total = 3 * TLS_BYTES;
    const toUs = randomBytesSeeded('6 peer->ours', total);
    const got = within(receiveHashed(c, total), 'receiving', WAIT_MS);
    const writing = within(peer.write(toUs), 'peer stdin', WAIT_MS);
  // Both are awaited below; until then a failure of either must not count as unhandled (the
  // first error of the transfer is the one reported, with the peer's output).
  got.catch(() => undefined);
  writing.catch(() => undefined);
    let renegs = Promise.resolve();
    const sent = await within(sendSeeded(c, '6 ours->peer', total, 4 * KiB, (i) => {
      const next = i === 20 ? names[1] : i === 50 ? names[2] : undefined;
      if (next) {
        renegs = renegs.then(() => within(new Promise<void>((resolve, reject) => {
          if (!c.renegotiate({ ciphers: next }, (e) => (e ? reject(e) : resolve()))) reject(new Error('renegotiate() returned false'));
        }), `renegotiation to ${next}`, WAIT_MS)).then(() => void seen.push(c.getCipher()?.name));
      }
      // Not awaited: our data keeps flowing during the renegotiation.
    }), 'sending', WAIT_MS);
    await renegs;
    await writing;
    expect(seen).to.deep.equal(names);
    expect(await got).to.deep.equal({ bytes: total, sha256: sha256Hex(toUs) });
    await peer.waitForBytes(total, WAIT_MS);
    expect(peer.stdoutSha256()).to.equal(sent.sha256);
    expectEtm(c, ALL_CIPHER_SUITES.find((s) => s.opensslName === names[2])!, true);
  });

  for (const udp of [false, true]) {
    describe(`${udp ? 5 : 4}. our client <-> gnutls-serv --echo (${udp ? 'DTLS' : 'TLS'})`, () => {
      for (const s of ALL_CIPHER_SUITES) {
        it(s.opensslName, async function () {
          requirePeer(this, 'gnutls-serv');
          const leaf = leafOf(s);
          const priority = gnutlsPriority(s) + (udp ? ':%NO_ETM' : '');
          const args = ['-p', '0', '--echo', '--disable-client-cert', '--priority', priority, '--x509certfile', leaf.certPath, '--x509keyfile', leaf.keyPath];
          if (isPsk(s)) args.push('--pskpasswd', pskFile);
          if (udp) args.push('--udp');
          const { port } = await peerOnPort0('gnutls-serv', args, udp ? 'udp' : 'tcp');
          const c = ourClient(s, port, udp);
          await event(c, 'secureConnect', 'secureConnect');
          expect(c.getCipher()?.standardName).to.equal(s.name);
          const rx = counting(c);
          const text = textLines(`${udp ? 5 : 4} ${s.name}`, udp ? DTLS_BYTES : TLS_BYTES);
          if (udp) {
            await pacedDtls(c, text, rx.bytes);
          } else {
            let reneg: Promise<void> | undefined;
            for (let o = 0; o < text.length; o += 4 * KiB) {
              if (!c.write(text.subarray(o, o + 4 * KiB))) await event(c, 'drain', 'drain');
              if (o === 6 * 4 * KiB) reneg = renegotiated(c);
            }
            await reneg;
          }
          // The echo carries both directions: what we sent, back.
          await until(() => rx.bytes() >= text.length, `echoed ${rx.bytes()} of ${text.length} bytes`);
          expect([rx.bytes(), rx.sha256()]).to.deep.equal([text.length, sha256Hex(text)]);
          expectEtm(c, s, !udp);
        });
      }
    });
  }
});
