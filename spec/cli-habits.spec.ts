// openssl s_client / s_server habits in our CLI, each compared with openssl (or gnutls) run on
// the same server in the same test: --showcerts, --trace, --alpn, --status, --sess-out /
// --sess-in, --reconnect, --version; and --json.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectExit, useCliProcesses } from './helpers/cli-process.js';
import { refusingPort } from './helpers/refusing-port.js';
import { requirePeer } from './helpers/peers.js';

/** The PEM blocks in a text, in order. */
const pemBlocks = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];

/** Handshake message names, normalised: "ServerKeyExchange" and "server_key_exchange" → "serverkeyexchange". */
const norm = (name: string): string => name.replace(/_/g, '').toLowerCase();

/** openssl -msg: the handshake messages it sent (>>>) and received (<<<). */
function opensslMessages(text: string): { sent: string[]; received: string[] } {
  const sent: string[] = [];
  const received: string[] = [];
  for (const m of text.matchAll(/^(<<<|>>>) TLS 1\.[23], Handshake \[length [0-9a-f]+\], (\w+)$/gm)) {
    (m[1] === '>>>' ? sent : received).push(norm(m[2]!));
  }
  return { sent, received };
}

/** Our --trace lines: the handshake messages sent and received. */
function ourMessages(text: string, who: 'client' | 'server'): { sent: string[]; received: string[] } {
  const sent: string[] = [];
  const received: string[] = [];
  for (const m of text.matchAll(new RegExp(`^TLS trace \\(${who}\\): (Sent|Received) handshake: (\\w+) `, 'gm'))) {
    (m[1] === 'Sent' ? sent : received).push(norm(m[2]!));
  }
  return { sent, received };
}

describe('CLI: s_client / s_server habits, compared with openssl', function () {
  this.timeout(60_000);
  const { run, openssl, spawnPeer, startServer, sServer, files } = useCliProcesses();

  it('--version prints "<name> <version>" first, as gnutls-cli --version does', async function () {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const ours = run('--version', ['--version']);
    await expectExit(ours, 0);
    expect(ours.stdout.split('\n')[0]).to.equal(`secure-duplex ${pkg.version}`);
    requirePeer(this, 'gnutls-cli');
    const g = spawnPeer('gnutls-cli --version', 'gnutls-cli', ['--version']);
    await expectExit(g, 0);
    expect(g.stdout.split('\n')[0]).to.match(/^gnutls-cli \d+\.\d+\.\d+$/);
  });

  it('--showcerts prints the chain the server sent, as openssl s_client -showcerts: same s:/i:/v: lines and PEM blocks', async function () {
    requirePeer(this, 'openssl');
    // The server sends leaf and CA.
    const { proc: server, port } = await sServer(['-naccept', '2', '-tls1_2', '-cert', files.cert, '-cert_chain', files.ca, '-key', files.key]);
    const theirs = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${port}`, '-showcerts', '-CAfile', files.ca]);
    theirs.endInput();
    await expectExit(theirs, 0);
    // s_server reads its stdin once the next client is connected: this line is the reply our
    // client waits for (no reply timeout, which a loaded machine could also hit in the handshake).
    server.write('a reply\n');
    const ours = run('client --showcerts', ['client', '-p', String(port), '-A', files.ca, '-S', 'localhost', '--showcerts']);
    await expectExit(ours, 0);
    expect(ours.stdout).to.match(/^Server response: a reply$/m);
    expect(ours.stdout).to.match(/^certificate chain: 2$/m);
    const lines = (t: string): string[] => t.split('\n').filter((l) => /^ +(\d+ s:|i:|v:)/.test(l));
    expect(lines(ours.stdout)).to.have.length(6);
    expect(lines(ours.stdout)).to.deep.equal(lines(theirs.stdout));
    expect(pemBlocks(ours.stdout)).to.deep.equal(pemBlocks(theirs.stdout));
    expect(pemBlocks(ours.stdout)).to.have.length(2);
  });

  it('client --trace lists the handshake messages openssl s_server -msg saw, in order, both directions', async function () {
    requirePeer(this, 'openssl');
    const { proc, port } = await sServer(['-naccept', '1', '-tls1_2', '-cert', files.cert, '-key', files.key, '-msg']);
    // The reply our client waits for, read by s_server once the client is connected: the client
    // ends on it, not on a timeout (which a loaded machine could also hit in the handshake).
    proc.write('a reply\n');
    const ours = run('client --trace', ['client', '-p', String(port), '-A', files.ca, '-S', 'localhost', '--trace']);
    await expectExit(ours, 0);
    expect(ours.stdout).to.match(/^Server response: a reply$/m);
    const t = ourMessages(ours.stderr, 'client');
    const o = opensslMessages(proc.stdout);
    expect(t.sent).to.deep.equal(['clienthello', 'clientkeyexchange', 'finished']);
    expect(t.sent).to.deep.equal(o.received);
    expect(t.received).to.deep.equal(o.sent);
    expect(t.received.slice(0, 4)).to.deep.equal(['serverhello', 'certificate', 'serverkeyexchange', 'serverhellodone']);
  });

  it('server --trace lists the handshake messages openssl s_client -msg saw', async function () {
    requirePeer(this, 'openssl');
    const { server, port: p } = await startServer(['-c', files.cert, '-k', files.key, '--trace', '-e']);
    const theirs = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${p}`, '-tls1_2', '-msg', '-CAfile', files.ca]);
    theirs.endInput();
    await expectExit(theirs, 0);
    await expectExit(server, 0);
    const t = ourMessages(server.stderr, 'server');
    const o = opensslMessages(theirs.stdout);
    expect(t.received[0]).to.equal('clienthello');
    expect(t.sent).to.deep.equal(o.received);
    expect(t.received).to.deep.equal(o.sent);
  });

  it('--alpn: our client and openssl s_client agree on what openssl s_server chose; openssl s_client and our server agree too', async function () {
    requirePeer(this, 'openssl');
    const { port: p1 } = await sServer(['-naccept', '2', '-tls1_2', '-cert', files.cert, '-key', files.key, '-alpn', 'http/1.1']);
    const theirs = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${p1}`, '-alpn', 'h2,http/1.1', '-CAfile', files.ca]);
    theirs.endInput();
    await expectExit(theirs, 0);
    expect(theirs.stdout).to.match(/^ALPN protocol: http\/1\.1$/m);
    const ours = run('client --alpn', ['client', '-p', String(p1), '-A', files.ca, '-S', 'localhost', '--alpn', 'h2,http/1.1', '--timeout', '1']);
    await ours.exited();
    expect(ours.stdout).to.match(/^alpn: http\/1\.1$/m);

    const { server, port: p2 } = await startServer(['-c', files.cert, '-k', files.key, '-e', '--alpn', 'h2,http/1.1']);
    const sClient = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${p2}`, '-tls1_2', '-alpn', 'http/1.1,h2', '-CAfile', files.ca]);
    sClient.endInput();
    await expectExit(sClient, 0);
    await expectExit(server, 0);
    // The server's preference wins (RFC 7301 §3.2).
    expect(sClient.stdout).to.match(/^ALPN protocol: h2$/m);
    expect(server.stdout).to.match(/^alpn: h2$/m);
  });

  it('--status against a server without a staple: as openssl s_client -status, "no response sent"', async function () {
    requirePeer(this, 'openssl');
    const { port } = await sServer(['-naccept', '2', '-tls1_2', '-cert', files.cert, '-key', files.key]);
    const theirs = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${port}`, '-status', '-CAfile', files.ca]);
    theirs.endInput();
    await expectExit(theirs, 0);
    expect(theirs.stdout + theirs.stderr).to.match(/^OCSP response: no response sent$/m);
    const ours = run('client --status', ['client', '-p', String(port), '-A', files.ca, '-S', 'localhost', '--status', '--timeout', '1']);
    await ours.exited();
    expect(ours.stdout).to.match(/^ocsp: no response sent$/m);
  });

  it('--sess-out / --sess-in and --reconnect resume sessions as openssl s_client -sess_out / -sess_in / -reconnect do on the same server', async function () {
    requirePeer(this, 'openssl');
    const { port } = await startServer(['-i', '-c', files.cert, '-k', files.key]);
    const theirSess = join(files.dir, 'openssl.sess');
    const first = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-sess_out', theirSess, '-CAfile', files.ca]);
    first.endInput();
    await expectExit(first, 0);
    expect(first.stdout).to.match(/^New, TLSv1\.2, /m);
    // The ephemeral key of a full handshake is printed; a resumed one had none.
    expect(first.stdout).to.match(/^Server Temp Key: X25519, /m);
    const again = openssl('openssl s_client', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-sess_in', theirSess, '-CAfile', files.ca]);
    again.endInput();
    await expectExit(again, 0);
    expect(again.stdout).to.match(/^Reused, TLSv1\.2, /m);
    expect(again.stdout).to.not.match(/^Server Temp Key:/m);
    const theirReconnect = openssl('openssl s_client -reconnect', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-reconnect', '-CAfile', files.ca]);
    theirReconnect.endInput();
    await expectExit(theirReconnect, 0);
    expect(theirReconnect.stdout.match(/^(New|Reused), /gm)).to.deep.equal(['New, ', 'Reused, ', 'Reused, ', 'Reused, ', 'Reused, ', 'Reused, ']);

    const ourSess = join(files.dir, 'ours.sess');
    const args = ['client', '-p', String(port), '-A', files.ca, '-S', 'localhost'];
    const out = run('client --sess-out', [...args, '--sess-out', ourSess]);
    await expectExit(out, 0);
    expect(out.stdout).to.match(/^session: new$/m);
    expect(out.stdout).to.match(/^group: X25519$/m);
    const into = run('client --sess-in', [...args, '--sess-in', ourSess]);
    await expectExit(into, 0);
    expect(into.stdout).to.match(/^session: reused$/m);
    expect(into.stdout).to.not.match(/^group:/m);
    const rec = run('client --reconnect 5', [...args, '--reconnect', '5']);
    await expectExit(rec, 0);
    expect(rec.stdout.match(/^session: \w+$/gm)).to.deep.equal(['session: new', ...Array(5).fill('session: reused')]);
    expect(rec.stdout.match(/^Server response: I hear you fa shizzle!$/gm)).to.have.length(6);
  });

  it('--json: every status line is one JSON object; an error is one JSON object on stderr with its hint', async () => {
    const server = run('server --json', ['server', '-p', '0', '-c', files.cert, '-k', files.key, '--json']);
    const port = Number((await server.match(/^\{"status":"listening","value":"127\.0\.0\.1:(\d+)"\}$/m))[1]);
    const client = run('client --json', ['client', '-p', String(port), '-A', files.ca, '-S', 'localhost', '--json']);
    await expectExit(client, 0);
    await expectExit(server, 0);
    for (const p of [client, server]) {
      const objects = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; value?: string });
      expect(objects).to.deep.include({ status: 'protocol', value: 'TLSv1.2' });
    }
    const c = client.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; value?: string });
    expect(c).to.deep.include({ status: 'Server response', value: 'I hear you fa shizzle!' });
    const s = server.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status: string; value?: string });
    expect(s).to.deep.include({ status: 'Client message', value: 'hello wolfssl!' });

    const refusing = await refusingPort();
    const refused = run('client --json (refused)', ['client', '-p', String(refusing.port), '--json']);
    await expectExit(refused, 1).finally(() => refusing.close());
    const e = JSON.parse(refused.stderr.trim()) as { error: string; message: string; hint?: string };
    expect(e.error).to.equal('ECONNREFUSED');
    expect(e.hint).to.match(/^nothing accepts connections on 127\.0\.0\.1:\d+: start the server first/);
  });
});
