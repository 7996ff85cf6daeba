// The CLI (bin/cli.ts) as real processes: `node dist/bin/cli.js server|client|demo` talking to
// each other, to `openssl s_client` / `openssl s_server`, and to node:tls.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as netCreateServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { connect as nodeTlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { requirePeer } from './helpers/peers.js';

// dist/spec/cli.spec.js → dist/bin/cli.js
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/cli.js');
const STEP_MS = 15_000;

class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly name: string, command: string, args: string[]) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => this.onOutput(() => (this.stdout += s)));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => this.onOutput(() => (this.stderr += s)));
    this.child.stdin!.on('error', () => undefined); // EPIPE when the process has gone
    this.exit = new Promise((res) => this.child.once('close', (code, signal) => res({ code, signal })));
  }

  get all(): string {
    return this.stdout + this.stderr;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  endInput(text?: string): void {
    this.child.stdin!.end(text);
  }

  /** Resolve once `pattern` shows in stdout or stderr; reject after `ms` or if the process exits first. */
  async waitFor(pattern: RegExp | string, ms = STEP_MS): Promise<void> {
    const found = (): boolean => (typeof pattern === 'string' ? this.all.includes(pattern) : pattern.test(this.all));
    if (found()) return;
    await new Promise<void>((res, rej) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) rej(err);
        else res();
      };
      const check = (): void => {
        if (found()) done();
        else if (!this.running) done(this.failure(`exited before printing ${pattern}`));
      };
      const timer = setTimeout(() => done(this.failure(`did not print ${pattern} within ${ms} ms`)), ms);
      this.listeners.add(check);
      this.exit.then(check, check);
    });
  }

  /** The exit code once the process ends; rejects after `ms`. */
  async exited(ms = STEP_MS): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(this.failure(`did not exit within ${ms} ms`)), ms);
    });
    try {
      const r = await Promise.race([this.exit, timeout]);
      return r.code;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.running && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private onOutput(append: () => void): void {
    append();
    for (const l of [...this.listeners]) l();
  }

  private failure(what: string): Error {
    return new Error(`${this.name} ${what}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`);
  }
}

/** The process exits with `code`; the message shows its output when it does not. */
async function expectExit(p: Proc, code: number, ms = STEP_MS): Promise<void> {
  const got = await p.exited(ms);
  expect(got, `${p.name} exit code\n--- stdout ---\n${p.stdout}\n--- stderr ---\n${p.stderr}`).to.equal(code);
}

async function freePort(): Promise<number> {
  const srv = netCreateServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

describe('CLI (dist/bin/cli.js)', function () {
  this.timeout(60_000);
  const procs: Proc[] = [];
  let dir: string;
  const files = { ca: '', cert: '', key: '', clientCert: '', clientKey: '' };

  const run = (name: string, args: string[]): Proc => {
    const p = new Proc(name, process.execPath, [CLI, ...args]);
    procs.push(p);
    return p;
  };
  const openssl = (name: string, args: string[]): Proc => {
    const p = new Proc(name, 'openssl', args);
    procs.push(p);
    return p;
  };
  /** A server on a free port, once it listens. */
  const startServer = async (args: string[]): Promise<{ server: Proc; port: number }> => {
    const port = await freePort();
    const server = run('server', ['server', '-p', String(port), ...args]);
    await server.waitFor(`listening: 127.0.0.1:${port}`);
    return { server, port };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'secure-duplex-cli-'));
    // The CLI's demo CA (bin/demo-ca.ts) lives here for this run; children inherit the env.
    process.env.SECURE_DUPLEX_HOME = join(dir, 'home');
    const ca = generateCertificate({ commonName: 'CLI test CA', isCA: true, altNames: [] });
    const leaf = generateCertificate({ issuer: ca, extKeyUsage: ['serverAuth'] });
    const client = generateCertificate({ issuer: ca, commonName: 'cli-client', altNames: [], extKeyUsage: ['clientAuth'] });
    const write = (name: string, text: string): string => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    files.ca = write('ca.pem', ca.certPem);
    files.cert = write('cert.pem', leaf.certPem);
    files.key = write('key.pem', leaf.keyPem);
    files.clientCert = write('client.pem', client.certPem);
    files.clientKey = write('client-key.pem', client.keyPem);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(function () {
    const failed = this.currentTest?.state === 'failed';
    for (const p of procs.splice(0)) {
      p.kill();
      if (failed) console.log(`--- ${p.name} stdout ---\n${p.stdout}--- ${p.name} stderr ---\n${p.stderr}`);
    }
  });

  it('--help and server --help list every flag', async () => {
    const main = run('help', ['--help']);
    await expectExit(main, 0);
    expect(main.stdout).to.match(/usage: secure-duplex/);
    const server = run('server --help', ['server', '--help']);
    await expectExit(server, 0);
    for (const f of ['-p', '-b', '-c', '-k', '-A', '-d', '-e', '-i', '-C', '-l', '-g', '-N', '-v', '-M', '-m', '-u', '--renegotiate-every']) {
      expect(server.stdout, f).to.match(new RegExp(`(^|\\s)${f.replace(/[-?]/g, '\\$&')}[ ,]`, 'm'));
    }
    const client = run('client --help', ['client', '--help']);
    await expectExit(client, 0);
    for (const f of ['-h', '-p', '-A', '-c', '-k', '-x', '-d', '-l', '-g', '-N', '-v', '--pipe', '-R', '-i', '-u', '--renegotiate-every']) {
      expect(client.stdout, f).to.match(new RegExp(`(^|\\s)${f.replace(/[-?]/g, '\\$&')}[ ,]`, 'm'));
    }
  });

  it('server -e -d (generated certificate) echoes a client --pipe round trip', async () => {
    const { server, port } = await startServer(['-e', '-d']);
    expect(server.stdout).to.match(/^fingerprint: SHA256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
    const client = run('client', ['client', '-p', String(port), '-d', '--pipe']);
    client.write('round trip over TLS 1.2\n');
    await client.waitFor('round trip over TLS 1.2\n');
    client.endInput('second line\n');
    await expectExit(client, 0);
    expect(client.stdout).to.equal('round trip over TLS 1.2\nsecond line\n');
    // --pipe: every status line on stderr.
    expect(client.stderr).to.match(/^protocol: TLSv1\.2$/m);
    expect(client.stderr).to.match(/^cipher: TLS_ECDHE_/m);
    // Not required with -d, but the generated certificate does verify against the demo CA.
    expect(client.stderr).to.match(/^peer: localhost authorized=true$/m);
    await expectExit(server, 0);
    expect(server.stdout).to.match(/^protocol: TLSv1\.2$/m);
  });

  it('server (message mode) and client (default) exchange the wolfSSL example messages', async () => {
    const { server, port } = await startServer([]);
    const client = run('client', ['client', '-p', String(port), '-d']);
    await expectExit(client, 0);
    expect(client.stdout).to.match(/^protocol: TLSv1\.2$/m);
    expect(client.stdout).to.match(/^cipher: TLS_ECDHE_ECDSA_WITH_/m);
    expect(client.stdout).to.match(/^group: \S+$/m);
    expect(client.stdout).to.match(/^Server response: I hear you fa shizzle!$/m);
    await expectExit(server, 0);
    expect(server.stdout).to.match(/^Client message: hello wolfssl!$/m);
  });

  it('client verifies the server against -A and fails without it (the server keeps serving, -C 2)', async () => {
    const { server, port } = await startServer(['-C', '2', '-c', files.cert, '-k', files.key]);
    const rejected = run('client (no -A)', ['client', '-p', String(port)]);
    await expectExit(rejected, 1);
    expect(rejected.stderr).to.match(/^error: UNABLE_TO_VERIFY_LEAF_SIGNATURE: /m);
    await server.waitFor(/^error: \S+: /m);
    const ok = run('client -A', ['client', '-p', String(port), '-A', files.ca]);
    await expectExit(ok, 0);
    expect(ok.stdout).to.match(/^Server response: /m);
    // A failed handshake makes the server's exit code non-zero once it is done.
    await expectExit(server, 1);
    expect(server.stdout).to.match(/^Client message: hello wolfssl!$/m);
  });

  it('server -A asks for and checks client certificates; client -c/-k offers one, -x none', async () => {
    const { server, port } = await startServer(['-C', '2', '-c', files.cert, '-k', files.key, '-A', files.ca]);
    const withCert = run('client -c -k', ['client', '-h', 'localhost', '-p', String(port), '-A', files.ca, '-c', files.clientCert, '-k', files.clientKey]);
    await expectExit(withCert, 0);
    expect(withCert.stdout).to.match(/^peer: localhost authorized=true$/m);
    await server.waitFor(/^peer: cli-client authorized=true$/m);
    const without = run('client -x', ['client', '-p', String(port), '-A', files.ca, '-c', files.clientCert, '-k', files.clientKey, '-x']);
    await expectExit(without, 1);
    expect(without.stderr).to.match(/^error: \S+: /m);
    await expectExit(server, 1);
    expect(server.stderr).to.match(/^error: ERR_TLS_PEER_DID_NOT_RETURN_A_CERTIFICATE: /m);
  });

  it('server -e -c/-k echoes a line for openssl s_client -tls1_2 -CAfile', async function () {
    requirePeer(this, 'openssl'); // fails in CI when missing, skips loudly elsewhere
    const { server, port } = await startServer(['-e', '-c', files.cert, '-k', files.key]);
    const sClient = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-CAfile', files.ca, '-quiet', '-no_ign_eof']);
    sClient.write('echo me, secure-duplex\n');
    await sClient.waitFor('echo me, secure-duplex\n');
    expect(sClient.stderr).to.match(/verify return:1/);
    sClient.endInput();
    await expectExit(sClient, 0);
    await expectExit(server, 0);
    expect(server.stdout).to.match(/^cipher: TLS_ECDHE_ECDSA_WITH_/m);
  });

  it('client -d talks to openssl s_server -tls1_2', async function () {
    requirePeer(this, 'openssl'); // fails in CI when missing, skips loudly elsewhere
    const port = await freePort();
    // s_server's stdin stays an open pipe: it is how s_server is told what to send.
    const sServer = openssl('openssl s_server', ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_2', '-cert', files.cert, '-key', files.key]);
    await sServer.waitFor('ACCEPT');
    const client = run('client', ['client', '-p', String(port), '-d']);
    await sServer.waitFor('hello wolfssl!');
    sServer.write('pong from openssl\n');
    await expectExit(client, 0);
    expect(client.stdout).to.match(/^protocol: TLSv1\.2$/m);
    expect(client.stdout).to.match(/^Server response: pong from openssl$/m);
  });

  it('-s (pre-shared key): server -s -e and client -s, then openssl s_client -psk 1a2b3c4d (its default identity) against server -s, over TLS and DTLS', async function () {
    requirePeer(this, 'openssl'); // fails in CI when missing, skips loudly elsewhere
    const { server, port } = await startServer(['-s', '-C', '2']);
    expect(server.stdout).to.match(/^psk: identity "Client_identity", 4-byte key; PSK suites only$/m);
    const client = run('client', ['client', '-p', String(port), '-s']);
    await expectExit(client, 0);
    expect(client.stdout).to.match(/^cipher: TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256$/m);
    expect(client.stdout).to.match(/^Server response: I hear you fa shizzle!$/m);
    const sClient = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-psk', '1a2b3c4d', '-quiet', '-no_ign_eof']);
    sClient.write('hello from s_client\n');
    await server.waitFor('Client message: hello from s_client');
    await sClient.waitFor('I hear you fa shizzle!');
    sClient.endInput();
    await expectExit(server, 0);
    // A wrong key over TLS: the server cannot decrypt the client's Finished (bad_record_mac).
    // (Over DTLS such records are silently dropped, RFC 6347 §4.1.2.7: the handshake times out.)
    const { server: server2, port: port2 } = await startServer(['-s', '--psk-key', '00112233']);
    const wrong = run('client', ['client', '-p', String(port2), '-s']);
    await expectExit(wrong, 1);
    expect(wrong.stdout + wrong.stderr).to.match(/bad_record_mac/);
    await expectExit(server2, 1);
    const { port: port3 } = await startServer(['-s', '-u', '-e', '--psk-identity', 'device-7', '--psk-key', '00112233']);
    const good = run('client', ['client', '-p', String(port3), '-s', '-u', '--psk-identity', 'device-7', '--psk-key', '00112233']);
    await expectExit(good, 0);
    expect(good.stdout).to.match(/^protocol: DTLSv1\.2$/m);
    expect(good.stdout).to.match(/^Server response: hello wolfssl!$/m);
  });

  it('client -g gets a 200 page from server -g', async () => {
    const { server, port } = await startServer(['-g']);
    const client = run('client -g', ['client', '-p', String(port), '-d', '-g']);
    await expectExit(client, 0);
    expect(client.stdout).to.match(/^Server response: HTTP\/1\.1 200 OK\r?$/m);
    expect(client.stdout).to.match(/Content-Length: \d+/);
    expect(client.stdout).to.match(/<html>/);
    await expectExit(server, 0);
  });

  it('server -g keeps the connection open for the next request (node:tls client)', async () => {
    const { server, port } = await startServer(['-g']);
    const socket = nodeTlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    try {
      let text = '';
      socket.setEncoding('utf8');
      const responses = (n: number): Promise<void> => new Promise((res, rej) => {
        const check = (): void => {
          if ((text.match(/HTTP\/1\.1 200 OK/g) ?? []).length >= n && /<\/html>\n$/.test(text)) res();
        };
        socket.on('data', (s: string) => {
          text += s;
          check();
        });
        socket.once('error', rej);
        setTimeout(() => rej(new Error(`got ${JSON.stringify(text)}`)), STEP_MS).unref();
      });
      await new Promise<void>((res) => socket.once('secureConnect', () => res()));
      const first = responses(1);
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await first;
      const second = responses(2);
      // \n\n ends a request too.
      socket.write('GET /again HTTP/1.1\nHost: localhost\n\n');
      await second;
      expect(text).to.match(/Connection: keep-alive/);
    } finally {
      socket.destroy();
    }
    await expectExit(server, 0);
  });

  for (const dtls of [false, true]) {
    it(`the seed command lines over ${dtls ? 'DTLS (-u)' : 'TLS'}: server -M -m -d -N with client -R -i scr-app-data -N`, async () => {
      const u = dtls ? ['-u'] : [];
      const port = await freePort();
      const server = run('server', ['server', '-M', '-m', '-d', '-N', ...u, '-p', String(port)]);
      await server.waitFor(`listening: 127.0.0.1:${port}`);
      // No -A and no -d: the client verifies the server's generated certificate against the
      // CLI's demo CA, as the wolfSSL examples verify against certs/ca-cert.pem.
      const client = run('client', ['client', '-R', '-i', 'scr-app-data', '-N', ...u, '-p', String(port)]);
      await expectExit(client, 0);
      expect(client.stdout).to.match(new RegExp(`^protocol: ${dtls ? 'DTLSv1\\.2' : 'TLSv1\\.2'}$`, 'm'));
      expect(client.stdout).to.match(/^peer: localhost authorized=true$/m);
      expect(client.stdout).to.match(/^renegotiation: complete /m);
      expect(client.stdout).to.match(/^(Server response|Server message received during secure renegotiation): I hear you fa shizzle!$/m);
      await expectExit(server, 0);
      expect(server.stdout).to.match(/^renegotiation: complete /m);
      expect(server.stdout).to.match(/^(Client message|Client message received during secure renegotiation): hello wolfssl!$/m);
    });
  }

  it('-v 2 exits with a clear error', async () => {
    const v2 = run('server -v 2', ['server', '-v', '2']);
    await expectExit(v2, 2);
    expect(v2.stderr).to.match(/^error: \S+: -v 2 .*TLS 1\.2/m);
    const v2c = run('client -v 2', ['client', '-v', '2']);
    await expectExit(v2c, 2);
    const bad = run('client -Z', ['client', '-Z']);
    await expectExit(bad, 2);
    expect(bad.stderr).to.match(/^error: ERR_USAGE: unknown option -Z$/m);
  });

  it('demo --seconds 2 (what npm start runs) prints demo: OK', async () => {
    const demo = run('demo', ['demo', '--seconds', '2']);
    await expectExit(demo, 0, 45_000);
    expect(demo.stdout).to.match(/^demo: OK$/m);
    expect(demo.stdout).to.match(/^protocol: TLSv1\.2$/m);
    expect(demo.stdout).to.match(/^demo: renegotiations [1-9]\d* /m);
  });

  it('server -M -m -d renegotiates with client -R', async () => {
    const { server, port } = await startServer(['-M', '-m', '-d']);
    const client = run('client -R', ['client', '-p', String(port), '-d', '-R']);
    await expectExit(client, 0);
    expect(client.stdout).to.match(/^renegotiation: complete \(peer, TLS_ECDHE_\w+\)$/m);
    expect(client.stdout).to.match(/^(Server response|Server message received during secure renegotiation): I hear you fa shizzle!$/m);
    await expectExit(server, 0);
    expect(server.stdout).to.match(/^renegotiation: complete \(local, TLS_ECDHE_\w+\)$/m);
    expect(server.stdout).to.match(/^(Client message|Client message received during secure renegotiation): hello wolfssl!$/m);
  });

  it('server -m without client -R: the client refuses, the server reports it', async () => {
    const { server, port } = await startServer(['-m', '-d']);
    const client = run('client', ['client', '-p', String(port), '-d']);
    await expectExit(client, 0);
    expect(client.stdout).not.to.match(/^renegotiation: complete/m);
    await expectExit(server, 1);
    expect(server.stderr).to.match(/^error: ERR_TLS_RENEGOTIATION_REFUSED: /m);
  });

  it('client -R -i scr-app-data renegotiates with server -M -e and writes during it', async () => {
    const { server, port } = await startServer(['-M', '-e']);
    const client = run('client -i scr-app-data', ['client', '-p', String(port), '-d', '-R', '-i', 'scr-app-data']);
    await expectExit(client, 0);
    expect(client.stdout).to.match(/^renegotiation: complete \(local, TLS_ECDHE_\w+\)$/m);
    expect(client.stdout).to.match(/^(Server response|Server message received during secure renegotiation): hello wolfssl!$/m);
    await expectExit(server, 0);
    expect(server.stdout).to.match(/^renegotiation: complete \(peer, TLS_ECDHE_\w+\)$/m);
  });

  it('server without -M refuses a client -i renegotiation', async () => {
    const { server, port } = await startServer(['-e']);
    const client = run('client -i', ['client', '-p', String(port), '-d', '-i']);
    await expectExit(client, 1);
    expect(client.stderr).to.match(/^error: ERR_TLS_RENEGOTIATION_REFUSED: /m);
    expect(client.stdout).not.to.match(/^renegotiation: complete/m);
    await server.exited();
  });

  it('--renegotiate-every keeps renegotiating while a --pipe connection is up', async () => {
    const { server, port } = await startServer(['-M', '-e', '-d', '--renegotiate-every', '150']);
    const client = run('client --pipe', ['client', '-p', String(port), '-d', '-R', '--pipe', '--renegotiate-every', '200']);
    client.write('first\n');
    await client.waitFor('first\n');
    await client.waitFor(/(renegotiation: complete \(local[^]*){2}/);
    await client.waitFor(/(renegotiation: complete \(peer[^]*){2}/);
    client.endInput('last\n');
    await expectExit(client, 0);
    expect(client.stdout).to.equal('first\nlast\n');
    await expectExit(server, 0);
  });
});
