// The CLI (bin/cli.ts) as real processes: `node dist/bin/cli.js server|client|demo` talking to
// each other, to `openssl s_client` / `openssl s_server`, and to node:tls.
import { expect } from 'chai';
import { connect as nodeTlsConnect } from 'node:tls';
import { requirePeer } from './helpers/peers.js';
import { expectExit, STEP_MS, useCliProcesses } from './helpers/cli-process.js';

describe('CLI (dist/bin/cli.js)', function () {
  this.timeout(60_000);
  const { run, openssl, startServer, files } = useCliProcesses();

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
    // s_server's stdin stays an open pipe: it is how s_server is told what to send. Without
    // -brief it prints the port it bound: "ACCEPT 127.0.0.1:PORT".
    const sServer = openssl('openssl s_server', ['s_server', '-accept', '127.0.0.1:0', '-tls1_2', '-cert', files.cert, '-key', files.key]);
    const port = Number((await sServer.match(/^ACCEPT 127\.0\.0\.1:(\d+)$/m))[1]);
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

  for (const dtls of [false, true]) {
    it(`demo${dtls ? ' -u (DTLS)' : ''}: every line fits 80 columns, sizes in binary units, demo: OK`, async () => {
      const demo = run('demo', ['demo', '--seconds', '2', ...(dtls ? ['-u'] : [])]);
      await expectExit(demo, 0, 45_000);
      expect(demo.stdout).to.match(/^demo: OK$/m);
      expect(demo.stdout).to.match(new RegExp(`^protocol: ${dtls ? 'DTLSv1\\.2' : 'TLSv1\\.2'}$`, 'm'));
      const live = demo.stdout.split('\n').filter((l) => l.startsWith('demo ') && l.includes(' | '));
      expect(live.length).to.be.at.least(2);
      for (const l of live) expect(l).to.match(/^demo \d+\.\d s \| [\d.]+ (B|KiB|MiB|GiB) \/ [\d.]+ (B|KiB|MiB|GiB) \| reneg \d+ \| mid [\d.]+ (B|KiB|MiB|GiB)$/);
      for (const l of demo.stdout.split('\n').filter((x) => !x.startsWith('fingerprint: '))) {
        expect([...l].length, l).to.be.at.most(80);
      }
      expect(demo.stdout).not.to.match(/\bMB\b/);
      expect(demo.stdout).to.match(/^demo: client→server [\d.]+ (KiB|MiB|GiB) sent and received, sha256 [0-9a-f]{16}… match$/m);
    });
  }

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
