// Secrets never show through ordinary logging: util.inspect at full depth, console.log (which
// formats with util.inspect) and JSON.stringify of every public object — client and server
// sockets, Server, DtlsServer, their engines and sessions, secure contexts — contain none of the
// master secret (from the 'keylog' line), the PSK, the ticket keys or the private key.
import { expect } from 'chai';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { connect, createSecureContext, createServer, type SecureDuplex } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import { runCleanups } from './helpers/cleanups.js';
import { within } from './helpers/within.js';

/** Every form a byte string may take in inspect or JSON output (first 12 bytes suffice). */
function forms(secret: Uint8Array): string[] {
  const b = Buffer.from(secret.subarray(0, 12));
  const dec = [...b].join(',');
  return [
    b.toString('hex'), b.toString('hex').toUpperCase(), [...b].map((x) => x.toString(16).padStart(2, '0')).join(' '),
    b.toString('base64').slice(0, 12), b.toString('base64url').slice(0, 12),
    dec, [...b].map((x, i) => `"${i}":${x}`).join(','),
  ];
}

/** JSON.stringify that skips cycles (and functions), as a logging library would. */
function safeStringify(o: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(o, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return undefined;
      seen.add(v);
    }
    return v;
  }) ?? '';
}

/** What logging would print, whitespace removed so numbers split over lines still match. */
function renderings(o: unknown): { how: string; text: string }[] {
  const opts = { depth: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity, breakLength: Infinity };
  return [
    { how: 'inspect', text: inspect(o, opts) },
    { how: 'inspect (defaults, as console.log)', text: inspect(o) },
    { how: 'JSON', text: safeStringify(o) },
  ].map((r) => ({ how: r.how, text: r.text.replace(/\s+/g, '').replace(/\s/g, '') }));
}

function expectNoSecrets(objects: Record<string, unknown>, secrets: Record<string, Uint8Array | string>): void {
  const leaks: string[] = [];
  for (const [name, o] of Object.entries(objects)) {
    for (const r of renderings(o)) {
      for (const [sname, s] of Object.entries(secrets)) {
        const needles = typeof s === 'string' ? [s.replace(/\s/g, '')] : forms(s).map((f) => f.replace(/\s/g, ''));
        if (needles.some((n) => r.text.includes(n))) leaks.push(`${sname} in ${r.how} of ${name}`);
      }
    }
  }
  expect(leaks).to.deep.equal([]);
}

describe('Secrets are never shown by inspect, console.log or JSON.stringify', function () {
  this.timeout(60_000);
  const pki = makePki();
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups));

  /** The private key as PEM body text, and its raw scalar. */
  function keySecrets(pem: string): Record<string, Uint8Array | string> {
    const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
    const d = Buffer.from(createPrivateKey(pem).export({ format: 'jwk' }).d!, 'base64url');
    // 40 characters of one line (inspect shows line breaks as \n): the second line of a long
    // key, or the key-specific end of a one-line (Ed25519) key
    const pemPart = body.length > 1 ? body[1]!.slice(0, 40) : body[0]!.slice(-40);
    return { 'private key PEM': pemPart, 'private key scalar': d };
  }

  function masterSecretFrom(line: Buffer): Uint8Array {
    const [, , ms] = line.toString().trim().split(' ');
    return Buffer.from(ms!, 'hex');
  }

  for (const keyType of ['ec-p256', 'rsa2048', 'ed25519'] as const) {
    it(`TLS (${keyType} server key): client and server sockets, Server, secure context, then a resumed connection`, async () => {
      const leaf = pki.leaves[keyType];
      const ticketKeys = randomBytes(48);
      const server = createServer({ cert: leaf.certPem, key: leaf.keyPem, ticketKeys, requestCert: true, ca: pki.ca.certPem });
      const serverSides: SecureDuplex[] = [];
      server.on('secureConnection', (s: SecureDuplex) => { serverSides.push(s); s.resume(); });
      const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
      const open = async (session?: Buffer) => {
        const c = connect({ host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', cert: pki.client.certPem, key: pki.client.keyPem, session });
        cleanups.push(() => c.destroy());
        const keylog = within(new Promise<Buffer>((r) => c.once('keylog', r)), 'keylog');
        const ticket = within(new Promise<Buffer>((r) => c.once('session', r)), 'session');
        await within(new Promise<void>((r) => c.once('secureConnect', () => r())), 'handshake');
        return { c, ms: masterSecretFrom(await keylog), ticket: session ? undefined : await ticket };
      };
      const first = await open();
      const second = await open(first.ticket);
      expect(second.c.isSessionReused()).to.equal(true);
      expect(Buffer.from(second.ms).equals(Buffer.from(first.ms))).to.equal(true);
      for (let i = 0; i < 100 && serverSides.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      expect(serverSides).to.have.length(2);
      const ctx = createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
      expectNoSecrets(
        {
          client: first.c, 'resumed client': second.c, server: serverSides[0], 'resumed server': serverSides[1], Server: server,
          'secure context': ctx, 'client engine': (first.c as unknown as { engine: unknown }).engine,
        },
        {
          'master secret': first.ms, 'ticket key': ticketKeys.subarray(16), // (its first 16 bytes name the key in every ticket: not secret)
          ...keySecrets(leaf.keyPem), ...Object.fromEntries(Object.entries(keySecrets(pki.client.keyPem)).map(([k, v]) => [`client ${k}`, v])),
        },
      );
    });
  }

  it('TLS with a PSK', async () => {
    const psk = randomBytes(32);
    const server = createServer({ ciphers: 'PSK', pskCallback: () => psk, pskIdentityHint: 'hint' });
    let serverSide: SecureDuplex | undefined;
    server.on('secureConnection', (s: SecureDuplex) => { serverSide = s; s.resume(); });
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const c = connect({ host: '127.0.0.1', port, ciphers: 'PSK', pskCallback: () => ({ psk, identity: 'me' }), checkServerIdentity: () => undefined });
    cleanups.push(() => c.destroy());
    // mid-handshake too: the client's key log line comes before its Finished
    let midHandshake = '';
    const keylog = within(new Promise<Buffer>((r) => c.once('keylog', (line: Buffer) => {
      midHandshake = inspect(c, { depth: Infinity, maxArrayLength: Infinity, breakLength: Infinity });
      r(line);
    })), 'keylog');
    await within(new Promise<void>((r) => c.once('secureConnect', () => r())), 'handshake');
    const ms = masterSecretFrom(await keylog);
    for (let i = 0; i < 100 && !serverSide; i++) await new Promise((r) => setTimeout(r, 5));
    expectNoSecrets({ client: c, server: serverSide, Server: server, 'client mid-handshake': midHandshake }, { 'master secret': ms, psk });
  });

  it('DTLS: client socket, server socket, DtlsServer', async () => {
    const leaf = pki.leaves['ec-p256'];
    const sharedCookieSecret = randomBytes(32); // as `server --workers -u` gives its workers
    const server = createServer({ transport: 'udp', cert: leaf.certPem, key: leaf.keyPem, cookieSecret: sharedCookieSecret });
    let serverSide: SecureDuplex | undefined;
    server.on('secureConnection', (s: SecureDuplex) => { serverSide = s; s.resume(); });
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
    cleanups.push(() => server.destroy());
    const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' });
    cleanups.push(() => c.destroy());
    const keylog = within(new Promise<Buffer>((r) => c.once('keylog', r)), 'keylog');
    await within(new Promise<void>((r) => c.once('secureConnect', () => r())), 'handshake');
    const ms = masterSecretFrom(await keylog);
    for (let i = 0; i < 100 && !serverSide; i++) await new Promise((r) => setTimeout(r, 5));
    const cookieSecret = (server as unknown as { cookies: { secret: Uint8Array } }).cookies.secret;
    expect(cookieSecret).to.have.length(32);
    expectNoSecrets({ client: c, server: serverSide, DtlsServer: server }, { 'master secret': ms, 'cookie secret': cookieSecret, 'shared cookie secret': sharedCookieSecret, ...keySecrets(leaf.keyPem) });
  });
});
