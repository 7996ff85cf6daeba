/**
 * HTTP on top of secure-duplex, against real peers:
 * - client: http.request({ createConnection: () => connect(...) }) against a node:tls
 *   https.createServer and against `openssl s_server -www`; our https.Agent subclass (`Agent`)
 *   with https.get, one-shot and keep-alive;
 * - server: an http.Server fed our Server's 'secureConnection' sockets serves
 *   `curl --tlsv1.2 --cacert` (two requests on one connection) and node's https.get, including a
 *   keep-alive connection on which our server renegotiates between two requests.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, connect, createServer, type SecureDuplex, type Server } from '../lib/index.js';
import { opensslServer, requirePeer } from './helpers/peers.js';
import { makePki, type Pki } from './helpers/pki.js';
import { within } from './helpers/within.js';
import { runCleanups } from './helpers/cleanups.js';


let pki: Pki;
const cleanups: (() => void)[] = [];


interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  localPort: number | undefined;
  socket: unknown;
}

/** Send `req` (already configured) and collect the whole response. */
function fetchWith(make: (cb: (res: http.IncomingMessage) => void) => http.ClientRequest, what: string): Promise<Response> {
  return within(new Promise<Response>((resolve, reject) => {
    const req = make((res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, localPort: res.socket?.localPort, socket: res.socket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  }), what);
}

/** curl must be installed (Debian package curl; .ci/run installs it). Same policy as requirePeer. */
function requireCurl(ctx: Mocha.Context): void {
  const r = spawnSync('curl', ['--version'], { stdio: 'ignore', timeout: 10_000 });
  if (!r.error && r.status === 0) return;
  const msg = "peer program 'curl' is not installed (Debian package: curl; .ci/run installs it)";
  if (process.env['CI']) throw new Error(`${msg} -- interop tests must not be skipped in CI`);
  process.stderr.write(`\n!!! WARNING: SKIPPING interop test: ${msg}\n`);
  ctx.skip();
}

function runCurl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return within(new Promise((resolve, reject) => {
    const child = spawn('curl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  }), `curl ${args.join(' ')}`);
}

async function listen(server: http.Server | Server): Promise<number> {
  cleanups.push(() => {
    server.close();
    (server as http.Server).closeAllConnections?.();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return (server.address() as AddressInfo).port;
}

/** A node:tls HTTPS server (TLS 1.2) answering "hello <path>". */
async function nodeHttpsServer(): Promise<{ port: number; server: https.Server }> {
  const leaf = pki.leaves['ec-p256'];
  const server = https.createServer({ cert: leaf.certPem, key: leaf.keyPem, maxVersion: 'TLSv1.2' }, (req, res) => {
    res.setHeader('x-tls', (req.socket as import('node:tls').TLSSocket).getProtocol() ?? 'none');
    res.end(`hello ${req.url}`);
  });
  return { port: await listen(server), server };
}

/**
 * Our TLS server whose connections an http.Server serves (it never listens itself).
 * `onRequest` answers; the page tells the path, the connection's number and its cipher.
 */
async function ourHttpServer(onRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{
  port: number;
  tlsServer: Server;
  httpServer: http.Server;
  sockets: SecureDuplex[];
}> {
  const leaf = pki.leaves['ec-p256'];
  const sockets: SecureDuplex[] = [];
  const httpServer = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    if (onRequest) return onRequest(req, res);
    const sock = req.socket as unknown as SecureDuplex;
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${req.url} on connection ${sockets.indexOf(sock)} over ${sock.getCipher()?.standardName}\n`);
  });
  const tlsServer = createServer({ cert: leaf.certPem, key: leaf.keyPem });
  tlsServer.on('secureConnection', (s: SecureDuplex) => {
    sockets.push(s);
    httpServer.emit('connection', s);
  });
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    httpServer.close();
  });
  return { port: await listen(tlsServer), tlsServer, httpServer, sockets };
}

describe('HTTP over secure-duplex', function () {
  this.timeout(30_000);

  before(() => {
    pki = makePki();
  });

  afterEach(() => runCleanups(cleanups));

  describe('client', () => {
    it('http.request({ createConnection: () => connect() }) against a node:tls https.createServer', async () => {
      const { port } = await nodeHttpsServer();
      let sock: SecureDuplex | undefined;
      const res = await fetchWith((cb) => http.request({
        host: '127.0.0.1',
        port,
        path: '/over/secure-duplex',
        createConnection: () => (sock = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem })),
      }, cb), 'GET via createConnection');
      expect(res.status).to.equal(200);
      expect(res.body).to.equal('hello /over/secure-duplex');
      expect(res.headers['x-tls']).to.equal('TLSv1.2');
      expect(sock).to.not.equal(undefined);
      expect(res.socket).to.equal(sock);
      expect(sock!.authorized).to.equal(true);
    });

    it('http.request({ createConnection }) against openssl s_server -www', async function () {
      requirePeer(this, 'openssl');
      const leaf = pki.leaves['ec-p256'];
      const s = await opensslServer({ cert: leaf.certPath, key: leaf.keyPath, extraArgs: ['-www'] });
      const port = s.port;
      cleanups.push(() => void s.kill());
      const res = await fetchWith((cb) => http.request({
        host: '127.0.0.1',
        port,
        path: '/',
        createConnection: () => connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.ca.certPem }),
      }, cb), 'GET from s_server -www');
      expect(res.status).to.equal(200);
      // s_server -www describes the connection it served.
      expect(res.body).to.match(/Protocol\s*: TLSv1\.2/);
      expect(res.body).to.match(/Cipher\s*: ECDHE-ECDSA-/);
    });

    it('Agent (https.Agent subclass) with https.get: one-shot, then keep-alive reusing one connection', async () => {
      const { port } = await nodeHttpsServer();
      // No servername: connecting to 127.0.0.1 sends no SNI and checks the certificate against
      // the IP address (in the test leaf), as https.Agent does with node:tls.
      const oneShot = new Agent({ ca: pki.ca.certPem });
      const first = await fetchWith((cb) => https.get({ host: '127.0.0.1', port, path: '/one', agent: oneShot }, cb), 'https.get one-shot');
      expect(first.status).to.equal(200);
      expect(first.body).to.equal('hello /one');
      expect(first.socket).to.have.property('engine'); // a SecureDuplex, not a tls.TLSSocket
      oneShot.destroy();

      const keepAlive = new Agent({ ca: pki.ca.certPem, servername: 'localhost', keepAlive: true, maxSockets: 1 });
      cleanups.push(() => keepAlive.destroy());
      const a = await fetchWith((cb) => https.get({ host: '127.0.0.1', port, path: '/a', agent: keepAlive }, cb), 'keep-alive GET /a');
      const b = await fetchWith((cb) => https.get({ host: '127.0.0.1', port, path: '/b', agent: keepAlive }, cb), 'keep-alive GET /b');
      expect([a.body, b.body]).to.deep.equal(['hello /a', 'hello /b']);
      expect(b.socket).to.equal(a.socket);
      expect(b.localPort).to.equal(a.localPort);
    });
  });

  describe('server (http.Server fed secureConnection sockets)', () => {
    it('serves curl --tlsv1.2 --cacert, two requests on one connection', async function () {
      requireCurl(this);
      const { port, sockets } = await ourHttpServer();
      const r = await runCurl([
        '--silent', '--show-error', '--tlsv1.2', '--tls-max', '1.2', '--http1.1',
        '--cacert', pki.ca.certPath, '--resolve', `localhost:${port}:127.0.0.1`,
        `https://localhost:${port}/first`, `https://localhost:${port}/second`,
      ]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^hello \/first on connection 0 over TLS_ECDHE_ECDSA_WITH_\S+\nhello \/second on connection 0 over /);
      expect(sockets).to.have.length(1);
      expect(sockets[0]!.servername).to.equal('localhost');
    });

    it("serves node's https.get; on a keep-alive connection the server renegotiates between two requests", async () => {
      let startRenegotiation!: (sock: SecureDuplex) => void;
      const renegotiationDone = new Promise<void>((resolve, reject) => {
        startRenegotiation = (sock) => sock.renegotiate({}, (err) => (err ? reject(err) : resolve()));
      });
      const { port, sockets } = await ourHttpServer((req, res) => {
        const sock = req.socket as unknown as SecureDuplex;
        res.end(`${req.url} renegotiations=${sock.renegotiations}\n`);
        // Once the first response is out, the server asks for a new handshake (HelloRequest).
        if (req.url === '/1') res.once('finish', () => startRenegotiation(sock));
      });
      const agent = new https.Agent({ ca: pki.ca.certPem, servername: 'localhost', keepAlive: true, maxSockets: 1, maxVersion: 'TLSv1.2' });
      cleanups.push(() => agent.destroy());
      const get = (path: string): Promise<Response> =>
        fetchWith((cb) => https.get({ host: '127.0.0.1', port, path, agent }, cb), `node https.get ${path}`);
      const r1 = await get('/1');
      // The node client answers the HelloRequest while its socket is idle in the agent's pool.
      await within(renegotiationDone, 'server renegotiation');
      const r2 = await get('/2');
      expect(r1.body).to.equal('/1 renegotiations=0\n');
      expect(r2.body).to.equal('/2 renegotiations=1\n');
      expect(r2.localPort).to.equal(r1.localPort);
      expect(r2.socket).to.equal(r1.socket);
      expect(sockets).to.have.length(1);
      expect(sockets[0]!.renegotiations).to.equal(1);
    });
  });
});
