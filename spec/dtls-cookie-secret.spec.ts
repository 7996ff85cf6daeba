// A shared HelloVerifyRequest cookie secret (DtlsServerOptions.cookieSecret, what `server
// --workers -u` gives every worker): a cookie issued by one server is accepted by another given
// the same secret, and refused by one with another secret, over real UDP sockets; and the jar
// that derives each rotation period's secret from it, at the unit level.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type DtlsServer, type ServerOptions } from '../lib/index.js';
import { CookieJar } from '../lib/engine/dtls/cookie.js';
import type { ClientHello } from '../lib/engine/handshake/message-types.js';
import { nobleProvider } from '../lib/crypto/noble-provider.js';
import { ErrorCode } from '../lib/errors.js';
import { EnginePair } from './helpers/engine-pair.js';
import { makePki } from './helpers/pki.js';
import { runCleanups } from './helpers/cleanups.js';
import { within } from './helpers/within.js';
import { seededRandom } from './helpers/deterministic-random.js';

const pki = makePki();
const leaf = pki.leaves['ec-p256'];

/** RFC 6347 §4.2.2 / §4.3.2: handshake message types of the server's first answers. */
const SERVER_HELLO = 2;
const HELLO_VERIFY_REQUEST = 3;

/** The handshake message type of the first record of a server datagram (a DTLS handshake record:
 *  13-byte record header, then the message header whose first byte is the type). */
function firstMessageType(datagram: Buffer): number {
  expect(datagram[0], 'record content type').to.equal(22);
  return datagram[13]!;
}

describe('DTLS cookie secret shared between servers', function () {
  this.timeout(60_000);
  const cleanups: (() => unknown)[] = [];
  afterEach(() => runCleanups(cleanups));

  async function listen(options: ServerOptions): Promise<{ server: DtlsServer; port: number }> {
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem, ...options, transport: 'udp' }, (s) => s.on('error', () => undefined));
    server.on('tlsClientError', () => undefined);
    const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r(server.address().port)));
    cleanups.push(() => server.destroy());
    return { server, port };
  }

  /** One client socket (one address and port: the cookie binds them) and a client engine. */
  async function client(seed: string): Promise<{ sock: UdpSocket; ask: (port: number, datagrams: Uint8Array[]) => Promise<Buffer>; pair: EnginePair }> {
    const pair = new EnginePair({ seed, serverCert: leaf, client: { transport: 'dtls' } });
    const sock = createSocket('udp4');
    cleanups.push(() => sock.close());
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const ask = (port: number, datagrams: Uint8Array[]): Promise<Buffer> => {
      const answer = new Promise<Buffer>((resolve) => sock.once('message', (m) => resolve(m)));
      for (const d of datagrams) sock.send(d, port, '127.0.0.1');
      return within(answer, `answer from port ${port}`);
    };
    return { sock, ask, pair };
  }

  it('a cookie from a server with secret S is accepted by another server given S, refused (new HelloVerifyRequest) by one with another secret', async () => {
    const shared = randomBytes(32);
    const issuer = await listen({ cookieSecret: shared });
    const sibling = await listen({ cookieSecret: shared });
    const stranger = await listen({ cookieSecret: randomBytes(32) });
    const unset = await listen({});

    const { ask, pair } = await client('shared-cookie');
    pair.client.start();
    const hvr = await ask(issuer.port, pair.client.takeOutput());
    expect(firstMessageType(hvr), 'issuer answers the first hello').to.equal(HELLO_VERIFY_REQUEST);
    pair.client.receive(hvr);
    const withCookie = pair.client.takeOutput(); // the ClientHello again, with the issuer's cookie

    // The same datagram(s), from the same address and port, to each server.
    expect(firstMessageType(await ask(stranger.port, withCookie)), 'another secret').to.equal(HELLO_VERIFY_REQUEST);
    expect(stranger.server.peerCount).to.equal(0);
    expect(firstMessageType(await ask(unset.port, withCookie)), 'a random secret of its own').to.equal(HELLO_VERIFY_REQUEST);
    expect(unset.server.peerCount).to.equal(0);
    expect(firstMessageType(await ask(sibling.port, withCookie)), 'the same secret').to.equal(SERVER_HELLO);
    expect(sibling.server.peerCount).to.equal(1);
    expect(issuer.server.peerCount).to.equal(0);
  });

  it('cookieSecret shorter than 16 bytes or not bytes: TypeError ERR_INVALID_ARG_VALUE', () => {
    for (const bad of [new Uint8Array(15), 'secret-secret-secret' as unknown as Uint8Array]) {
      expect(() => createServer({ cert: leaf.certPem, key: leaf.keyPem, transport: 'udp', cookieSecret: bad }))
        .to.throw(TypeError, /options\.cookieSecret/)
        .with.property('code', ErrorCode.INVALID_ARG);
    }
  });

  describe('CookieJar with a shared secret', () => {
    const PERIOD = 300_000;
    const hello: ClientHello = {
      type: 'client_hello', version: 0xfefd, random: new Uint8Array(32).fill(7), sessionId: new Uint8Array(0),
      cipherSuites: [0xc02b, 0xc02f], compressionMethods: [0], extensions: [],
    };
    const peer = '192.0.2.1|5555';
    const jarAt = (clock: { t: number }, secret?: Uint8Array): CookieJar =>
      new CookieJar(nobleProvider, seededRandom(`jar-${String(secret?.[0])}-${clock.t}`), () => clock.t, PERIOD, secret);

    it('two jars with one secret make the same cookie and verify each other\'s; rotation keeps the previous period only', () => {
      const s = new Uint8Array(32).fill(1);
      const clock = { t: 10 * PERIOD + 1234 };
      const a = jarAt(clock, s);
      const b = jarAt({ t: clock.t }, s); // made at another moment of the same period: same secret
      const cookie = a.make(peer, hello);
      expect(Buffer.from(b.make(peer, hello)).equals(Buffer.from(cookie))).to.equal(true);
      const withCookie = { ...hello, cookie };
      expect(b.verify(peer, withCookie)).to.equal(true);
      expect(b.verify('192.0.2.1|5556', withCookie), 'another port').to.equal(false);
      expect(jarAt(clock, new Uint8Array(32).fill(2)).verify(peer, withCookie), 'another secret').to.equal(false);
      expect(jarAt(clock).verify(peer, withCookie), 'a jar with its own random secret').to.equal(false);
      // Next period: both jars rotate at the same moment (by the clock, not their age).
      clock.t += PERIOD;
      const b2 = jarAt(clock, s);
      expect(a.verify(peer, withCookie), 'previous period, issuer').to.equal(true);
      expect(b2.verify(peer, withCookie), 'previous period, a jar made after the rotation').to.equal(true);
      expect(Buffer.from(a.make(peer, hello)).equals(Buffer.from(b2.make(peer, hello)))).to.equal(true);
      expect(Buffer.from(a.make(peer, hello)).equals(Buffer.from(cookie)), 'a new period, a new cookie').to.equal(false);
      clock.t += PERIOD;
      expect(a.verify(peer, withCookie), 'two periods later').to.equal(false);
      expect(jarAt(clock, s).verify(peer, withCookie)).to.equal(false);
    });
  });
});
