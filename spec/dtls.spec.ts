// DTLS 1.2 over real UDP sockets on loopback: ours against ours, and against
// openssl s_server/s_client -dtls1_2 and gnutls-serv/gnutls-cli --udp.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer, type DtlsServer, type SecureDuplex } from '../lib/index.js';
import { makePki } from './helpers/pki.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { gnutlsClient, gnutlsServer, opensslClient, opensslServer, randomBytesSeeded, randomTextLines, requirePeer, startPeer, type PeerProcess } from './helpers/peers.js';

function listen(srv: DtlsServer, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => srv.listen(0, host, () => resolve(srv.address().port)));
}

function secure(c: SecureDuplex): Promise<void> {
  return new Promise((resolve, reject) => { c.once('secureConnect', resolve); c.once('error', reject); });
}

function nextData(s: SecureDuplex, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no datagram')), timeoutMs);
    s.once('data', (d: Buffer) => { clearTimeout(t); resolve(d); });
  });
}

function renegotiate(s: SecureDuplex): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!s.renegotiate({}, (e) => (e ? reject(e) : resolve()))) reject(new Error('renegotiate() returned false'));
  });
}

describe('DTLS over UDP', function () {
  this.timeout(60_000);
  const pki = makePki();
  const leaf = pki.leaves['ec-p256'];
  let server: DtlsServer | undefined;
  const peers: PeerProcess[] = [];
  afterEach(async () => {
    server?.destroy();
    server = undefined;
    for (const p of peers.splice(0)) await p.kill();
  });

  function echoServer(): DtlsServer {
    return createServer({ transport: 'udp', cert: leaf.certPem, key: leaf.keyPem, renegotiationLimit: 100 }, (s) => {
      s.on('data', (d: Buffer) => s.write(d));
      s.on('error', () => undefined);
    });
  }

  it('ours ↔ ours: DTLSv1.2, datagram boundaries kept, renegotiations from both sides with data', async () => {
    let serverSide: SecureDuplex | undefined;
    server = echoServer();
    server.on('secureConnection', (s: SecureDuplex) => { serverSide = s; });
    const port = await listen(server);
    const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', renegotiationLimit: 100 });
    await secure(c);
    expect(c.getProtocol()).to.equal('DTLSv1.2');
    for (let i = 0; i < 10; i++) {
      const msg = Buffer.from(`datagram ${i} `.repeat(i + 1));
      const reply = nextData(c);
      c.write(msg);
      expect((await reply).equals(msg)).to.equal(true);
      // Wait for both ends: the initiator's callback can fire before the other end has
      // processed the final Finished.
      const other = i % 2 === 0 ? serverSide! : c;
      const seen = new Promise<void>((r) => other.once('renegotiated', () => r()));
      await renegotiate(i % 2 === 0 ? c : serverSide!);
      await seen;
    }
    expect(c.renegotiations).to.equal(10);
    // getSharedSigalgs() comes from the engine: over DTLS and after renegotiations too.
    expect(serverSide!.getSharedSigalgs()).to.include.members(['ECDSA+SHA256', 'RSA-PSS+SHA256', 'Ed25519+UNDEF']);
    expect(c.getSharedSigalgs()).to.deep.equal([]); // no CertificateRequest
    c.end();
  });

  it('connect({ transport: "udp", socket }) runs over an existing dgram socket', async () => {
    server = echoServer();
    const port = await listen(server);
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    let peerPort: number | undefined;
    server.once('secureConnection', (s: SecureDuplex) => { peerPort = s.remotePort; });
    const c = connect({ transport: 'udp', host: '127.0.0.1', port, socket: sock, ca: pki.ca.certPem, servername: 'localhost' });
    await secure(c);
    expect(peerPort).to.equal(sock.address().port);
    const reply = nextData(c);
    c.write('over a given socket');
    expect((await reply).toString()).to.equal('over a given socket');
    c.end();
  });

  it('IPv6 (::1)', async () => {
    server = echoServer();
    const port = await listen(server, '::1');
    const c = connect({ transport: 'udp', host: '::1', port, ca: pki.ca.certPem, servername: 'localhost' });
    await secure(c);
    const reply = nextData(c);
    c.write('over v6');
    expect((await reply).toString()).to.equal('over v6');
    c.end();
  });

  it('ClientHellos without a valid cookie create no server state (a flood of them from 300 ports)', async () => {
    server = echoServer();
    const port = await listen(server);
    // A captured first ClientHello (no cookie) from a real client, replayed from many addresses.
    const sniff = createSocket('udp4');
    const sniffPort = await new Promise<number>((r) => sniff.bind(0, '127.0.0.1', () => r(sniff.address().port)));
    const hello = new Promise<Buffer>((r) => sniff.once('message', (m) => r(m)));
    const probe = connect({ transport: 'udp', host: '127.0.0.1', port: sniffPort, rejectUnauthorized: false, handshakeTimeout: 2000 });
    probe.on('error', () => undefined);
    const ch = await hello;
    probe.destroy();
    sniff.close();
    let answers = 0;
    const senders = await Promise.all(Array.from({ length: 300 }, () => new Promise<ReturnType<typeof createSocket>>((r) => {
      const s = createSocket('udp4');
      s.on('message', () => { answers++; });
      s.bind(0, '127.0.0.1', () => r(s));
    })));
    for (const s of senders) s.send(ch, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 500));
    expect(server.peerCount).to.equal(0);
    expect(answers).to.be.greaterThan(250); // each got a HelloVerifyRequest, statelessly
    for (const s of senders) s.close();
  });

  it('DtlsServer: ticketKeys shared by two servers resume; getTicketKeys/setTicketKeys; setSecureContext; keylog', async () => {
    const keys = Buffer.alloc(48, 3);
    const other = generateCertificate({ issuer: { certPem: pki.ca.certPem, keyPem: pki.ca.keyPem }, commonName: 'localhost', altNames: ['localhost'], extKeyUsage: ['serverAuth'] });
    const make = (): DtlsServer => createServer({ transport: 'udp', cert: leaf.certPem, key: leaf.keyPem, ticketKeys: keys }, (s) => {
      s.on('error', () => undefined);
      s.write(`reused=${s.isSessionReused()}`);
    });
    const one = make();
    const two = make();
    const keylog: string[] = [];
    one.on('keylog', (line: Buffer) => keylog.push(line.toString()));
    const ports = [await listen(one), await listen(two)];
    const round = async (port: number, session?: Buffer): Promise<{ greeting: string; session: Buffer; fingerprint: string }> => {
      const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', session });
      const greeting = (await nextData(c)).toString();
      const r = { greeting, session: c.getSession()!, fingerprint: String((c.getPeerCertificate() as { fingerprint256?: string }).fingerprint256) };
      c.destroy();
      return r;
    };
    try {
      expect(one.getTicketKeys().equals(keys)).to.equal(true);
      const a = await round(ports[0]!);
      expect(a.greeting).to.equal('reused=false');
      expect(keylog).to.have.length(1);
      expect(keylog[0]).to.match(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
      expect((await round(ports[1]!, a.session)).greeting).to.equal('reused=true');
      // New keys on server two: the old ticket still resumes there (previous key kept).
      two.setTicketKeys(Buffer.alloc(48, 4));
      expect(two.getTicketKeys().equals(Buffer.alloc(48, 4))).to.equal(true);
      expect((await round(ports[1]!, a.session)).greeting).to.equal('reused=true');
      // setSecureContext: new peers get the new certificate.
      one.setSecureContext({ cert: other.certPem, key: other.keyPem });
      const b = await round(ports[0]!);
      expect(b.fingerprint).to.not.equal(a.fingerprint);
      expect(() => one.setTicketKeys(Buffer.alloc(3))).to.throw().with.property('code', 'ERR_INVALID_ARG_VALUE');
    } finally {
      one.destroy();
      two.destroy();
    }
  });

  it("DtlsServer: 'newSession' / 'resumeSession' (external cache shared by two servers) and 'OCSPRequest' (staple to our DTLS client)", async () => {
    const NO_TICKET = 0x4000;
    const external = new Map<string, Buffer>();
    const make = (): DtlsServer => createServer({ transport: 'udp', cert: leaf.certPem, key: leaf.keyPem, ca: pki.ca.certPem, secureOptions: NO_TICKET }, (s) => {
      s.on('error', () => undefined);
      s.write(`reused=${s.isSessionReused()}`);
    });
    const one = make();
    const two = make();
    one.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => { external.set(id.toString('hex'), data); cb(); });
    const asked: string[] = [];
    two.on('resumeSession', (id: Buffer, cb: (e: Error | null, d?: Buffer | null) => void) => {
      asked.push(id.toString('hex'));
      setTimeout(() => cb(null, external.get(id.toString('hex')) ?? null), 10);
    });
    const staple = Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x06]);
    const issuers: (string | null)[] = [];
    two.on('OCSPRequest', (_cert: Buffer, issuer: Buffer | null, cb: (e: Error | null, r: Buffer) => void) => {
      issuers.push(issuer === null ? null : issuer.toString('hex'));
      cb(null, staple);
    });
    try {
      const ports = [await listen(one), await listen(two)];
      const round = async (port: number, extra: object = {}): Promise<{ greeting: string; session: Buffer; ocsp: (string | null)[] }> => {
        const ocsp: (string | null)[] = [];
        const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', secureOptions: NO_TICKET, ...extra });
        c.on('OCSPResponse', (r: Buffer | null) => ocsp.push(r === null ? null : r.toString('hex')));
        const greeting = (await nextData(c)).toString();
        const r = { greeting, session: c.getSession()!, ocsp };
        c.destroy();
        return r;
      };
      const a = await round(ports[0]!);
      expect(a.greeting).to.equal('reused=false');
      expect(external.size).to.equal(1);
      // Server two never saw the session: it asks 'resumeSession' and resumes it.
      const b = await round(ports[1]!, { session: a.session });
      expect(b.greeting).to.equal('reused=true');
      expect(asked).to.deep.equal([...external.keys()]);
      // A full handshake with server two staples the OCSP response for our DTLS client.
      const c = await round(ports[1]!, { requestOCSP: true });
      expect(c.ocsp).to.deep.equal([staple.toString('hex')]);
      expect(issuers).to.deep.equal([Buffer.from(pki.ca.der).toString('hex')]);
    } finally {
      one.destroy();
      two.destroy();
    }
  });

  describe('SNI (SNICallback, addContext) over DTLS', () => {
    const issuer = { certPem: pki.ca.certPem, keyPem: pki.ca.keyPem };
    const other = generateCertificate({ issuer, commonName: 'other.test', altNames: ['other.test'], extKeyUsage: ['serverAuth'] });
    const cn = (c: SecureDuplex): string => String((c.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN);
    const dial = async (port: number, servername: string): Promise<SecureDuplex> => {
      const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername });
      await secure(c);
      return c;
    };

    it('an asynchronous SNICallback chooses the certificate (kept across a renegotiation); addContext() without one', async () => {
      const seen: string[] = [];
      server = createServer({
        transport: 'udp', cert: leaf.certPem, key: leaf.keyPem,
        SNICallback(name, cb) {
          seen.push(name);
          setTimeout(() => cb(null, name === 'other.test' ? { cert: other.certPem, key: other.keyPem } : null), 50);
        },
      }, (s) => { s.on('data', (d: Buffer) => s.write(d)); s.on('error', () => undefined); });
      const port = await listen(server);
      const a = await dial(port, 'other.test');
      expect(cn(a)).to.equal('other.test');
      await renegotiate(a);
      const reply = nextData(a);
      a.write('after');
      expect((await reply).toString()).to.equal('after');
      const b = await dial(port, 'localhost');
      expect(cn(b)).to.equal('localhost');
      expect(seen).to.deep.equal(['other.test', 'localhost']);
      a.destroy();
      b.destroy();
      server.destroy();

      server = echoServer();
      server.addContext('*.test', { cert: other.certPem, key: other.keyPem });
      const port2 = await listen(server);
      const c = await dial(port2, 'other.test');
      expect(cn(c)).to.equal('other.test');
      c.destroy();
    });

    it('openssl s_client -dtls1_2 -servername gets the SNI certificate; an SNICallback error fails the handshake (tlsClientError)', async function () {
      requirePeer(this, 'openssl');
      server = createServer({
        transport: 'udp', cert: leaf.certPem, key: leaf.keyPem,
        SNICallback(name, cb) {
          if (name === 'bad.test') cb(new Error('no certificate for bad.test'));
          else cb(null, { cert: other.certPem, key: other.keyPem });
        },
      }, (s) => { s.on('data', (d: Buffer) => s.write(d)); s.on('error', () => undefined); });
      const errors: string[] = [];
      server.on('tlsClientError', (e: Error) => errors.push(e.message));
      const port = await listen(server);
      const cl = await opensslClient({ port, dtls: true, ca: pki.ca.certPath, servername: 'other.test', ignEof: true });
      peers.push(cl);
      await cl.write('ping over sni\n');
      await cl.waitFor(/ping over sni/, 5000);
      expect(cl.stderr() + cl.stdout()).to.match(/CN ?= ?other\.test/);
      // The refusal is a fatal unrecognized_name alert (RFC 6066 §3): s_client stops at once.
      const bad = await startPeer('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-dtls1_2', '-servername', 'bad.test', '-CAfile', pki.ca.certPath], { ready: () => true });
      peers.push(bad);
      const exit = await bad.waitExit(10_000);
      expect(exit.code).to.not.equal(0);
      expect(bad.stderr() + bad.stdout()).to.match(/unrecognized name/i);
      expect(errors).to.deep.equal(['no certificate for bad.test']);
    });
  });

  describe('interop', () => {
    it('our client ↔ openssl s_server -dtls1_2: data, then a client renegotiation (-client_renegotiation) and a server one (r)', async function () {
      requirePeer(this, 'openssl');
      const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, dtls: true, commands: true, clientRenegotiation: true });
      const port = s.port;
      peers.push(s);
      const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' });
      await secure(c);
      c.write('hello s_server\n');
      await s.waitFor(/hello s_server/, 5000);
      await renegotiate(c);
      c.write('after client renegotiation\n');
      await s.waitFor(/after client renegotiation/, 5000);
      const m = s.mark();
      const got = new Promise<void>((r) => c.once('renegotiated', () => r()));
      await s.write('r\n');
      await got;
      await s.waitFor(/SSL_do_handshake -> 1/, 5000, m);
      c.write('after server renegotiation\n');
      await s.waitFor(/after server renegotiation/, 5000);
      c.end();
    });

    /** Bulk both ways over DTLS with client renegotiations started while datagrams are in
     *  flight: `send` paces our writes (at most `window` unanswered), the peer's bytes are hashed. */
    async function bulkWithRenegotiations(c: SecureDuplex, count: number, sent: () => number, window: number,
      makeChunk: (i: number) => Buffer = (i) => randomBytesSeeded(`dtls-bulk-${i}`, 1000)): Promise<{ hash: string; renegotiations: number }> {
      const hash = createHash('sha256');
      let renegotiations = 0;
      const pending: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        if (i > 0 && i % Math.floor(count / 4) === 0) {
          pending.push(new Promise<void>((resolve, reject) => {
            if (!c.renegotiate({}, (e) => (e ? reject(e) : (renegotiations++, resolve())))) reject(new Error('renegotiate() returned false'));
          }));
        }
        const chunk = makeChunk(i);
        hash.update(chunk);
        c.write(chunk);
        const deadline = Date.now() + 10_000;
        while (i + 1 - sent() > window) {
          if (Date.now() > deadline) throw new Error(`peer stuck at ${sent()} of ${i + 1} datagrams`);
          await new Promise((r) => setTimeout(r, 2));
        }
      }
      await Promise.all(pending);
      return { hash: hash.digest('hex'), renegotiations };
    }

    it('bulk both ways with 3 client renegotiations in flight: our client ↔ openssl s_server -dtls1_2 -client_renegotiation (hashes equal)', async function () {
      requirePeer(this, 'openssl');
      const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, dtls: true, clientRenegotiation: true });
      const port = s.port;
      peers.push(s);
      const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', renegotiationLimit: 100 });
      await secure(c);
      const fromPeer = createHash('sha256');
      let fromPeerBytes = 0;
      c.on('data', (d: Buffer) => { fromPeer.update(d); fromPeerBytes += d.length; });
      // s_server → us: 300 KB through its stdin, while we send and renegotiate.
      const toUs = createHash('sha256');
      const feeding = (async () => {
        for (let i = 0; i < 300; i++) {
          const chunk = randomBytesSeeded(`dtls-bulk-back-${i}`, 1000);
          toUs.update(chunk);
          await s.write(chunk);
          const deadline = Date.now() + 10_000;
          while (fromPeerBytes < (i - 8) * 1000) {
            if (Date.now() > deadline) throw new Error(`stuck: ${fromPeerBytes} bytes from s_server`);
            await new Promise((r) => setTimeout(r, 2));
          }
        }
      })();
      const ours = await bulkWithRenegotiations(c, 300, () => Math.floor(s.stdoutBytes() / 1000), 8);
      await feeding;
      expect(ours.renegotiations).to.equal(3);
      await s.waitForBytes(300_000, 10_000);
      expect(s.stdoutBytes()).to.equal(300_000);
      expect(s.stdoutSha256()).to.equal(ours.hash);
      const deadline = Date.now() + 10_000;
      while (fromPeerBytes < 300_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(fromPeerBytes).to.equal(300_000);
      expect(fromPeer.digest('hex')).to.equal(toUs.digest('hex'));
      c.end();
    });

    it('bulk with 3 client renegotiations in flight: our client ↔ gnutls-serv --udp --echo (every byte echoed, in order)', async function () {
      requirePeer(this, 'gnutls-serv');
      const s = await gnutlsServer({ cert: leaf.certPath, key: leaf.keyPath, udp: true, echo: true });
      const port = s.port;
      peers.push(s);
      const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost', renegotiationLimit: 100 });
      await secure(c);
      const echoed = createHash('sha256');
      let echoedBytes = 0;
      c.on('data', (d: Buffer) => { echoed.update(d); echoedBytes += d.length; });
      // Text that never starts with one of gnutls-serv's command letters.
      const chunk = (i: number): Buffer => Buffer.from(`D${randomTextLines(`dtls-echo-${i}`, 30).join('\n')}`.padEnd(1000, '.').slice(0, 1000));
      const ours = await bulkWithRenegotiations(c, 400, () => Math.floor(echoedBytes / 1000), 8, chunk);
      const deadline = Date.now() + 10_000;
      while (echoedBytes < 400_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(ours.renegotiations).to.equal(3);
      expect(echoedBytes).to.equal(400_000);
      expect(echoed.digest('hex')).to.equal(ours.hash);
      c.end();
    });

    it('openssl s_client -dtls1_2 ↔ our server: echo', async function () {
      requirePeer(this, 'openssl');
      server = echoServer();
      const port = await listen(server);
      const cl = await opensslClient({ port, dtls: true, ca: pki.ca.certPath, servername: 'localhost', ignEof: true });
      peers.push(cl);
      await cl.write('ping from s_client\n');
      await cl.waitFor(/ping from s_client/, 5000);
    });

    it('our client ↔ gnutls-serv --udp --echo, with a renegotiation', async function () {
      requirePeer(this, 'gnutls-serv');
      const s = await gnutlsServer({ cert: leaf.certPath, key: leaf.keyPath, udp: true, echo: true });
      const port = s.port;
      peers.push(s);
      const c = connect({ transport: 'udp', host: '127.0.0.1', port, ca: pki.ca.certPem, servername: 'localhost' });
      await secure(c);
      let reply = nextData(c);
      c.write('hello gnutls\n');
      expect((await reply).toString()).to.equal('hello gnutls\n');
      await renegotiate(c);
      reply = nextData(c);
      c.write('after renegotiation\n');
      expect((await reply).toString()).to.equal('after renegotiation\n');
      c.end();
    });

    it('gnutls-cli --udp --rehandshake ↔ our server', async function () {
      requirePeer(this, 'gnutls-cli');
      server = echoServer();
      const port = await listen(server);
      const cl = await gnutlsClient({ port, ca: pki.ca.certPath, udp: true, rehandshake: true, servername: 'localhost' });
      peers.push(cl);
      expect(cl.preamble()).to.match(/ReHandshake was completed/);
      await cl.write('after rehandshake\n');
      await cl.waitFor(/after rehandshake/, 5000);
    });
  });
});
