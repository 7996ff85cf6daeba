// Finite-field DHE (RFC 5246 §7.4.3, §8.1.2; RFC 7919; DHE_PSK RFC 4279 §3).
// 1. Crypto: the RFC 7919 primes are OpenSSL's; both providers draw the same exponent and agree
//    on the secret; the peer's value is checked (0, 1, p-1, >= p); the dhparam option reads as
//    node:tls reads it (tls.createSecureContext run side by side).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createDiffieHellman, getDiffieHellman } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { FFDHE_GROUPS, FfdheGroup, ffdheGroupOf } from '../lib/crypto/dh-groups.js';
import { resolveDhParam } from '../lib/crypto/dh-parameters.js';
import { bigIntToBytes, bytesToBigInt } from '../lib/crypto/finite-field-dh.js';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { nodeCryptoProvider } from '../lib/crypto/node-provider.js';
import type { CryptoProvider, DhParameters } from '../lib/crypto/provider.js';
import { toPem } from '../lib/crypto/pem.js';
import { integer, sequence } from '../lib/crypto/der.js';
import { TlsError } from '../lib/errors.js';
import { seededRandom } from './helpers/deterministic-random.js';
import { requirePeer } from './helpers/peers.js';
import {
  inMemoryCase, interopCases, nextEvent, opensslServer0, ourClient, ourServer, PSK_IDENTITY, PSK_KEY, Started,
} from './helpers/kx-interop.js';
import { opensslClient, peersTmpDir } from './helpers/peers.js';
import { EVENT_WAIT_MS, within } from './helpers/within.js';
import type { AddressInfo } from 'node:net';
import { alertsOf, onMessage, OurServer, tamperedClient, tamperedServer, type Tampering } from './conformance/raw-tls.js';
import {
  encodeDhClientKeyExchange, encodeDhePskServerKeyExchange, type ServerDhParams,
} from '../lib/engine/handshake/key-agreement/dhe-rsa-messages.js';
import { AlertDescription } from '../lib/engine/alerts.js';
import { DHE_AND_RSA_CIPHER_SUITES, parseCipherList } from '../lib/engine/cipher-suites.js';
import { makePki, type PkiEntry } from './helpers/pki.js';

const PROVIDERS: [string, CryptoProvider][] = [['noble', nobleProvider], ['node', nodeCryptoProvider]];

/** PEM "DH PARAMETERS" (PKCS #3) for prime p, generator 2. */
export function dhParamPem(p: Uint8Array): string {
  return toPem(sequence(integer(p), integer(2)), 'DH PARAMETERS');
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kx-dhe-'));
}

describe('DHE crypto', function () {
  this.timeout(60_000);

  for (const [name, code] of Object.entries(FfdheGroup)) {
    it(`${name}: the prime is OpenSSL's (openssl genpkey -pkeyopt group:${name})`, function () {
      requirePeer(this, 'openssl');
      const dir = tmpDir();
      const out = path.join(dir, `${name}.pem`);
      const r = spawnSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:${name}`, '-out', out], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).to.equal(0);
      const ours = FFDHE_GROUPS.get(code)!;
      const theirs = resolveDhParam(fs.readFileSync(out, 'utf8')).setting as DhParameters;
      expect(Buffer.from(theirs.p).toString('hex')).to.equal(Buffer.from(ours.p).toString('hex'));
      expect([...theirs.g]).to.deep.equal([2]);
      expect(ffdheGroupOf(theirs.p, theirs.g)).to.equal(code);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  it('a group that is not RFC 7919 is not recognised as one (RFC 3526 MODP 2048)', () => {
    expect(ffdheGroupOf(new Uint8Array(getDiffieHellman('modp14').getPrime()), Uint8Array.of(2))).to.equal(undefined);
  });

  for (const [code, params] of FFDHE_GROUPS) {
    it(`group ${code}: noble and node draw the same key from the same randomness, match node's DiffieHellman, agree on the secret`, () => {
      const a = nobleProvider.generateDhKeyShare(params, seededRandom(`dhe-${code}-a`));
      const a2 = nodeCryptoProvider.generateDhKeyShare(params, seededRandom(`dhe-${code}-a`));
      expect(Buffer.from(a.publicKey).equals(Buffer.from(a2.publicKey))).to.equal(true);
      expect(a.publicKey.length).to.equal(params.p.length);
      // Known answer from an independent computation: node's DiffieHellman with the same x.
      const x = seededRandom(`dhe-${code}-a`)(Math.ceil(params.exponentBits! / 8));
      x[0] = x[0]! & (0xff >>> (x.length * 8 - params.exponentBits!));
      const ref = createDiffieHellman(Buffer.from(params.p), Buffer.from(params.g));
      ref.setPrivateKey(Buffer.from(x));
      ref.generateKeys();
      expect(bytesToBigInt(a.publicKey)).to.equal(bytesToBigInt(ref.getPublicKey()));
      const b = nodeCryptoProvider.generateDhKeyShare(params, seededRandom(`dhe-${code}-b`));
      const z1 = a.computeSecret(b.publicKey);
      const z2 = b.computeSecret(a.publicKey);
      const z3 = a2.computeSecret(b.publicKey);
      expect(Buffer.from(z1).equals(Buffer.from(z2))).to.equal(true);
      expect(Buffer.from(z1).equals(Buffer.from(z3))).to.equal(true);
      expect(z1.length).to.equal(params.p.length);
      expect(Buffer.from(z1).equals(ref.computeSecret(Buffer.from(b.publicKey)))).to.equal(true);
    });
  }

  for (const [pname, provider] of PROVIDERS) {
    it(`${pname}: refuses peer values 0, 1, p-1, p, p+1 and longer than p with illegal_parameter`, () => {
      const params = FFDHE_GROUPS.get(FfdheGroup.ffdhe2048)!;
      const share = provider.generateDhKeyShare(params, seededRandom('dhe-bad'));
      const p = bytesToBigInt(params.p);
      const bad = [0n, 1n, p - 1n, p, p + 1n].map((v) => bigIntToBytes(v, 256));
      bad.push(Uint8Array.of(0), Uint8Array.of(1), new Uint8Array(257).fill(0xff));
      for (const y of bad) {
        let err: unknown;
        try {
          share.computeSecret(y);
        } catch (e) {
          err = e;
        }
        expect(err, `Y=${Buffer.from(y).toString('hex').slice(0, 16)}`).to.be.instanceOf(TlsError);
        expect((err as TlsError).alertName).to.equal('illegal_parameter');
      }
      // 2 and p-2 are fine.
      expect(share.computeSecret(bigIntToBytes(2n, 256)).length).to.equal(256);
      expect(share.computeSecret(bigIntToBytes(p - 2n, 256)).length).to.equal(256);
    });
  }

  describe('dhparam reads as node:tls reads it', () => {
    const modp = (name: string): Uint8Array => new Uint8Array(getDiffieHellman(name).getPrime());
    /** What tls.createSecureContext does with `dhparam`: throws (code, message), warns, or not. */
    function nodeVerdict(dhparam: unknown): { error?: string; warning?: string } {
      const warnings: string[] = [];
      const onWarning = (w: Error): void => void warnings.push(w.message);
      // node emits its SecurityWarning on the process; listen for it while creating the context.
      const saved = process.listeners('warning');
      process.removeAllListeners('warning');
      process.on('warning', onWarning);
      const emit = process.emitWarning;
      let verdict: { error?: string; warning?: string } = {};
      process.emitWarning = ((w: string | Error) => void warnings.push(typeof w === 'string' ? w : w.message)) as typeof process.emitWarning;
      try {
        tls.createSecureContext({ dhparam: dhparam as string });
      } catch (e) {
        verdict = { error: `${(e as { code?: string }).code}: ${(e as Error).message}` };
      } finally {
        process.emitWarning = emit;
        process.removeListener('warning', onWarning);
        for (const l of saved) process.on('warning', l);
      }
      return warnings.length > 0 ? { ...verdict, warning: warnings[0]! } : verdict;
    }
    function ourVerdict(dhparam: unknown): { error?: string; warning?: string } {
      try {
        const r = resolveDhParam(dhparam);
        return r.warning ? { warning: r.warning } : {};
      } catch (e) {
        return { error: `${(e as { code?: string }).code}: ${(e as Error).message}` };
      }
    }
    const cases: [string, () => unknown, 'params' | 'auto' | 'none' | 'error'][] = [
      ['2048-bit PEM string', () => dhParamPem(modp('modp14')), 'params'],
      ['2048-bit PEM Buffer', () => Buffer.from(dhParamPem(FFDHE_GROUPS.get(FfdheGroup.ffdhe2048)!.p)), 'params'],
      ['1536-bit PEM (warns)', () => dhParamPem(modp('modp5')), 'params'],
      ['1024-bit PEM (warns)', () => dhParamPem(modp('modp2')), 'params'],
      ['768-bit PEM (refused)', () => dhParamPem(modp('modp1')), 'error'],
      ["'auto'", () => 'auto', 'auto'],
      ['text without DH PARAMETERS (ignored)', () => 'not a pem', 'none'],
      ['empty string (ignored)', () => '', 'none'],
      ['a number (type error)', () => 5, 'error'],
    ];
    for (const [what, value, kind] of cases) {
      it(what, () => {
        const v = value();
        expect(ourVerdict(v)).to.deep.equal(nodeVerdict(v));
        if (kind === 'error') return;
        const r = resolveDhParam(v);
        if (kind === 'auto') expect(r.setting).to.equal('auto');
        else if (kind === 'none') expect(r.setting).to.equal(undefined);
        else expect((r.setting as DhParameters).p.length).to.be.greaterThan(0);
      });
    }
  });
});

describe('DHE suites against openssl and gnutls (TLS and DTLS)', function () {
  this.timeout(120_000);
  const pki = (): { ca: PkiEntry; leaf: PkiEntry } => {
    const p = makePki();
    return { ca: p.ca, leaf: p.leaves.rsa2048 };
  };
  for (const suite of ['DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384', 'DHE-RSA-CHACHA20-POLY1305']) {
    describe(suite, () => {
      inMemoryCase(suite, 'DHE-RSA', () => pki().leaf);
      interopCases(suite, 'DHE-RSA', pki);
    });
  }
  for (const suite of ['DHE-PSK-AES128-GCM-SHA256', 'DHE-PSK-AES256-GCM-SHA384', 'DHE-PSK-CHACHA20-POLY1305']) {
    describe(suite, () => {
      inMemoryCase(suite, 'DHE-PSK', () => pki().leaf);
      interopCases(suite, 'DHE-PSK', pki);
    });
  }
});

/**
 * The client's checks of the server's group (RFC 5246 §7.4.3, RFC 7919 §3/§5.1): our server
 * engine, tampered to send a DHE_PSK ServerKeyExchange (unsigned, so any group can be put in
 * it) with a bad public value or group, against our client and, on the same bytes, openssl
 * s_client (the reference: it must refuse each too).
 */
describe('DHE: the client refuses bad server groups and public values', function () {
  this.timeout(120_000);
  const started = new Started();
  afterEach(() => started.stopAll());
  const suite = parseCipherList('DHE-PSK-AES128-GCM-SHA256');
  const ffdhe2048 = FFDHE_GROUPS.get(FfdheGroup.ffdhe2048)!;
  const p = bytesToBigInt(ffdhe2048.p);
  const modp = (name: string): Uint8Array => new Uint8Array(getDiffieHellman(name).getPrime());
  const share = (params: DhParameters): Uint8Array => nobleProvider.generateDhKeyShare(params, seededRandom('bad-group')).publicKey;

  /** The ServerDHParams each case puts in place of ours. */
  const CASES: { what: string; params: () => ServerDhParams; alert: string; code: string }[] = [
    { what: 'Ys = 0', params: () => ({ ...ffdhe2048, ys: bigIntToBytes(0n, 256) }), alert: 'illegal_parameter', code: 'ERR_TLS_ILLEGAL_PARAMETER' },
    { what: 'Ys = 1', params: () => ({ ...ffdhe2048, ys: bigIntToBytes(1n, 256) }), alert: 'illegal_parameter', code: 'ERR_TLS_ILLEGAL_PARAMETER' },
    { what: 'Ys = p-1', params: () => ({ ...ffdhe2048, ys: bigIntToBytes(p - 1n, 256) }), alert: 'illegal_parameter', code: 'ERR_TLS_ILLEGAL_PARAMETER' },
    { what: 'Ys = p', params: () => ({ ...ffdhe2048, ys: bigIntToBytes(p, 256) }), alert: 'illegal_parameter', code: 'ERR_TLS_ILLEGAL_PARAMETER' },
    { what: 'Ys = p+1', params: () => ({ ...ffdhe2048, ys: bigIntToBytes(p + 1n, 256) }), alert: 'illegal_parameter', code: 'ERR_TLS_ILLEGAL_PARAMETER' },
    { what: 'a 1024-bit p (RFC 2409 group 2)', params: () => { const params = { p: modp('modp2'), g: Uint8Array.of(2) }; return { ...params, ys: share(params) }; }, alert: 'handshake_failure', code: 'ERR_TLS_DH_PARAM_SIZE' },
    { what: 'a 1536-bit p (RFC 3526 group 5)', params: () => { const params = { p: modp('modp5'), g: Uint8Array.of(2) }; return { ...params, ys: share(params) }; }, alert: 'handshake_failure', code: 'ERR_TLS_DH_PARAM_SIZE' },
  ];

  function tampered(params: (() => ServerDhParams) | undefined): Tampering {
    return {
      client: { cipherSuites: suite, dhParam: 'auto', psk: { server: (id) => (id === PSK_IDENTITY ? PSK_KEY : null) } },
      message: params ? onMessage('server_key_exchange', () => ({ type: 'server_key_exchange', body: encodeDhePskServerKeyExchange(new Uint8Array(0), params()) })) : undefined,
    };
  }

  for (const c of CASES) {
    it(`${c.what}: our client sends ${c.alert} (${c.code}), as openssl s_client does`, async function () {
      requirePeer(this, 'openssl');
      const leaf = makePki().leaves.rsa2048;
      // Ours.
      const srv = await tamperedServer(leaf, tampered(c.params));
      const client = ourClient(started, srv.port, { suite: 'DHE-PSK-AES128-GCM-SHA256', psk: true, dtls: false }, undefined);
      const err = await nextEvent(client, 'secureConnect').then(() => undefined, (e: TlsError) => e);
      expect(err?.code).to.equal(c.code);
      expect((await srv.verdict).received).to.deep.equal([c.alert]);
      // The reference on the same bytes.
      const ref = await tamperedServer(leaf, tampered(c.params));
      const s = started.peer(await opensslClient({ port: ref.port, cipher: 'DHE-PSK-AES128-GCM-SHA256', waitHandshake: false, extraArgs: ['-psk', PSK_KEY.toString('hex')] }));
      const verdict = await ref.verdict;
      expect(verdict.completed, s.stderr()).to.equal(false);
      expect(verdict.received, s.stderr()).to.deep.equal([c.alert]);
    });
  }

  it('the untouched server completes with both (the cases above can fail)', async function () {
    requirePeer(this, 'openssl');
    const leaf = makePki().leaves.rsa2048;
    const srv = await tamperedServer(leaf, tampered(undefined));
    const client = ourClient(started, srv.port, { suite: 'DHE-PSK-AES128-GCM-SHA256', psk: true, dtls: false }, undefined);
    await nextEvent(client, 'secureConnect');
    await srv.handshake;
    const ref = await tamperedServer(leaf, tampered(undefined));
    started.peer(await opensslClient({ port: ref.port, cipher: 'DHE-PSK-AES128-GCM-SHA256', extraArgs: ['-psk', PSK_KEY.toString('hex')] }));
    await ref.handshake;
  });
});

/**
 * `dhparam` and `minDHSize` as node:tls: the same server options on a node:tls server and on
 * ours, the same openssl s_client (TLS 1.2 only, so it lists no FFDHE group and the server's own
 * parameters are used) against each; what it reports (suite, server temp key) must match.
 */
describe('dhparam / minDHSize parity with node:tls', function () {
  this.timeout(120_000);
  const started = new Started();
  const nodeServers: tls.Server[] = [];
  afterEach(async () => {
    for (const s of nodeServers.splice(0)) s.close();
    await started.stopAll();
  });

  /** What s_client reports of a handshake with a server on `port`: its suite and temp key, or
   *  the alert it got. */
  async function sClientSees(port: number, cipher: string, psk: boolean): Promise<string> {
    const c = started.peer(await opensslClient({
      port, cipher, waitHandshake: false, extraArgs: psk ? ['-psk', PSK_KEY.toString('hex')] : [],
    }));
    // Whole lines only (up to their newline): the output may arrive cut mid-line.
    const line = (await c.waitFor(/^(Ciphersuite: \S+|.*alert \w[\w ]*)[^\n]*\n/m, EVENT_WAIT_MS)).trim();
    if (!line.startsWith('Ciphersuite')) return line.replace(/^.*(alert [\w ]+?)(:.*)?$/, '$1').trim();
    // Every suite here has an ephemeral key: s_client -brief reports it after the suite.
    const key = (await c.waitFor(/^Server Temp Key: [^\n]+\n/m, EVENT_WAIT_MS)).trim();
    return `${line} / ${key}`;
  }

  async function nodeServer(options: tls.TlsOptions): Promise<number> {
    const server = tls.createServer({ maxVersion: 'TLSv1.2', ...options }, (s) => s.on('error', () => undefined));
    server.on('tlsClientError', () => undefined);
    nodeServers.push(server);
    return within(new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))), 'node:tls listening');
  }

  const ffdhe3072Pem = (): string => dhParamPem(FFDHE_GROUPS.get(FfdheGroup.ffdhe3072)!.p);
  const CASES: { what: string; ciphers: string; dhparam?: () => string; psk?: boolean; expect: string }[] = [
    {
      what: 'DHE and ECDHE listed, no dhparam: ECDHE', ciphers: 'DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256',
      expect: 'Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256 / Server Temp Key: X25519, 253 bits',
    },
    {
      what: "DHE and ECDHE listed, dhparam 'auto': DHE with 2048 bits (RSA-2048 certificate)", ciphers: 'DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256', dhparam: () => 'auto',
      expect: 'Ciphersuite: DHE-RSA-AES128-GCM-SHA256 / Server Temp Key: DH, 2048 bits',
    },
    {
      what: 'dhparam PEM (3072 bits): DHE with those parameters', ciphers: 'DHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384', dhparam: ffdhe3072Pem,
      expect: 'Ciphersuite: DHE-RSA-AES256-GCM-SHA384 / Server Temp Key: DH, 3072 bits',
    },
    { what: 'DHE only, no dhparam: no suite, handshake_failure', ciphers: 'DHE-RSA-AES128-GCM-SHA256', expect: 'alert number 40' },
    {
      what: "DHE-PSK-AES256-GCM-SHA384 with 'auto': 3072 bits (OpenSSL's 128-bit choice for a 256-bit cipher)", ciphers: 'DHE-PSK-AES256-GCM-SHA384', dhparam: () => 'auto', psk: true,
      expect: 'Ciphersuite: DHE-PSK-AES256-GCM-SHA384 / Server Temp Key: DH, 3072 bits',
    },
  ];
  for (const k of CASES) {
    it(k.what, async function () {
      requirePeer(this, 'openssl');
      const leaf = makePki().leaves.rsa2048;
      const dhparam = k.dhparam?.();
      const common = {
        cert: leaf.certPem, key: leaf.keyPem, ciphers: k.ciphers, ...(dhparam !== undefined ? { dhparam } : {}),
        ...(k.psk ? { pskCallback: (_s: unknown, id: string) => (id === PSK_IDENTITY ? PSK_KEY : null) } : {}),
      };
      const theirs = await sClientSees(await nodeServer(common as tls.TlsOptions), k.ciphers, k.psk === true);
      const ours = await ourServer(started, { suite: k.ciphers, psk: false, dtls: false }, leaf, { dhparam, ...(k.psk ? { pskCallback: common.pskCallback } : {}) });
      const mine = await sClientSees(ours.port, k.ciphers, k.psk === true);
      expect(mine).to.equal(theirs);
      expect(mine).to.equal(k.expect);
    });
  }

  it("DHE-PSK-AES128-GCM-SHA256 with 'auto': node:tls uses 1024 bits (OpenSSL's 80-bit choice), we use 2048", async function () {
    requirePeer(this, 'openssl');
    const leaf = makePki().leaves.rsa2048;
    const pskCallback = (_s: unknown, id: string): Buffer | null => (id === PSK_IDENTITY ? PSK_KEY : null);
    const suite = 'DHE-PSK-AES128-GCM-SHA256:@SECLEVEL=0';
    const theirs = await sClientSees(await nodeServer({ cert: leaf.certPem, key: leaf.keyPem, ciphers: suite, dhparam: 'auto', pskCallback } as tls.TlsOptions), suite, true);
    const ours = await ourServer(started, { suite: 'DHE-PSK-AES128-GCM-SHA256', psk: false, dtls: false }, leaf, { dhparam: 'auto', pskCallback });
    const mine = await sClientSees(ours.port, suite, true);
    expect(theirs).to.equal('Ciphersuite: DHE-PSK-AES128-GCM-SHA256 / Server Temp Key: DH, 1024 bits');
    expect(mine).to.equal('Ciphersuite: DHE-PSK-AES128-GCM-SHA256 / Server Temp Key: DH, 2048 bits');
  });

  it('minDHSize: 1024-bit DH is refused by default (ERR_TLS_DH_PARAM_SIZE, as node:tls with minDHSize 2048) and accepted with minDHSize 1024 (node\'s default)', async function () {
    requirePeer(this, 'openssl');
    const leaf = makePki().leaves.rsa2048;
    const dir = fs.mkdtempSync(path.join(peersTmpDir(), 'dh1024-'));
    const dhFile = path.join(dir, 'dh1024.pem');
    fs.writeFileSync(dhFile, dhParamPem(new Uint8Array(getDiffieHellman('modp2').getPrime())));
    const serverArgs = ['-cert', leaf.certPath, '-key', leaf.keyPath, '-dhparam', dhFile, '-cipher', 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0'];
    const nodeVerdict = async (minDHSize: number | undefined): Promise<string> => {
      const { peer, port } = await opensslServer0(serverArgs, false);
      started.peer(peer);
      return within(new Promise<string>((resolve) => {
        const c = tls.connect({ host: '127.0.0.1', port, ca: makePki().ca.certPem, servername: 'localhost', ciphers: 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0', maxVersion: 'TLSv1.2', ...(minDHSize ? { minDHSize } : {}) }, () => {
          resolve(`ok ${(c.getEphemeralKeyInfo() as { size?: number }).size}`);
          c.destroy();
        });
        c.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
      }), 'node:tls client');
    };
    const ourVerdict = async (minDHSize: number | undefined): Promise<string> => {
      const { peer, port } = await opensslServer0(serverArgs, false);
      started.peer(peer);
      const c = ourClient(started, port, { suite: 'DHE-RSA-AES128-GCM-SHA256', psk: false, dtls: false }, makePki().ca, minDHSize ? { minDHSize } : {});
      return nextEvent(c, 'secureConnect').then(() => 'ok 1024', (e: TlsError) => `error ${e.code}`);
    };
    expect(await nodeVerdict(undefined)).to.equal('ok 1024');
    expect(await nodeVerdict(2048)).to.equal('error ERR_TLS_DH_PARAM_SIZE');
    expect(await ourVerdict(undefined)).to.equal('error ERR_TLS_DH_PARAM_SIZE');
    expect(await ourVerdict(1024)).to.equal('ok 1024');
  });
});

/** The server's check of the client's dh_Yc (RFC 7919 §5.1): our server and openssl s_server
 *  (the reference) get the same tampered ClientKeyExchange and must answer alike. */
describe("DHE: the server refuses a client's bad dh_Yc", function () {
  this.timeout(120_000);
  const started = new Started();
  afterEach(() => started.stopAll());
  const suite = parseCipherList('DHE-RSA-AES128-GCM-SHA256');

  for (const [what, yc] of [['Yc = 1', () => bigIntToBytes(1n, 256)], ['Yc = 0', () => bigIntToBytes(0n, 256)], ['Yc = p-1 of ffdhe2048', () => bigIntToBytes(bytesToBigInt(FFDHE_GROUPS.get(FfdheGroup.ffdhe2048)!.p) - 1n, 256)]] as const) {
    it(`${what}: illegal_parameter from ours, as from openssl s_server`, async function () {
      requirePeer(this, 'openssl');
      const leaf = makePki().leaves.rsa2048;
      const t: Tampering = {
        client: { cipherSuites: suite },
        message: onMessage('client_key_exchange', () => ({ type: 'client_key_exchange', body: encodeDhClientKeyExchange(yc()) })),
      };
      const ours = await OurServer.start(leaf, { ciphers: 'DHE-RSA-AES128-GCM-SHA256', dhparam: 'auto' });
      started.server(ours.server);
      const mine = await tamperedClient(ours.port, t);
      // Both servers on ffdhe2048 (ours because the client lists it, s_server by -dhparam).
      const dhFile = path.join(fs.mkdtempSync(path.join(peersTmpDir(), 'ffdhe2048-')), 'ffdhe2048.pem');
      fs.writeFileSync(dhFile, dhParamPem(FFDHE_GROUPS.get(FfdheGroup.ffdhe2048)!.p));
      const { peer, port } = await opensslServer0(['-cert', leaf.certPath, '-key', leaf.keyPath, '-dhparam', dhFile, '-cipher', 'DHE-RSA-AES128-GCM-SHA256'], false);
      started.peer(peer);
      const theirs = await tamperedClient(port, t);
      expect(alertsOf(mine)).to.deep.equal([[2, AlertDescription.illegal_parameter]]);
      expect(alertsOf(theirs)).to.deep.equal(alertsOf(mine));
      expect((await ours.error(0)).code).to.equal('ERR_TLS_ILLEGAL_PARAMETER');
    });
  }
});

describe('cipher-string keywords select the DHE, DHE-PSK and RSA suites as OpenSSL does', function () {
  this.timeout(60_000);
  const ours = new Set(DHE_AND_RSA_CIPHER_SUITES.map((s) => s.opensslName));
  // (SHA256 / SHA384 are left out: in OpenSSL they name the MAC, which AEAD suites do not have,
  // so they select none of these; ours select by the PRF hash — a difference in the keyword table.)
  const KEYWORDS = ['RSA', 'kRSA', 'aRSA', 'DHE', 'EDH', 'kDHE', 'kEDH', 'DH', 'kDHEPSK', 'PSK', 'aPSK', 'kPSK', 'HIGH', 'ALL', 'DEFAULT', 'AESGCM', 'AES128', 'AES256', 'CHACHA20', 'ECDHE', 'kRSA+AES256'];
  for (const k of KEYWORDS) {
    it(`${k}: the same of these suites as \`openssl ciphers -tls1_2 ${k}\``, function () {
      requirePeer(this, 'openssl');
      const r = spawnSync('openssl', ['ciphers', '-tls1_2', k], { encoding: 'utf8', timeout: 20_000 });
      const theirs = r.status === 0 ? r.stdout.trim().split(':').filter((n) => ours.has(n)).sort() : [];
      let mine: string[];
      try {
        mine = parseCipherList(k).map((s) => s.opensslName).filter((n) => ours.has(n)).sort();
      } catch {
        mine = [];
      }
      expect(mine).to.deep.equal(theirs);
    });
  }
});
