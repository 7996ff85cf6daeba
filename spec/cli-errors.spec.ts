// Every CLI error line says what to do: the file, the flag, the likely cause (bin/error-hints.ts,
// the PEM checks in bin/tls-options.ts). Each case runs the CLI as a process.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Reporter } from '../bin/status.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { connect, createServer, type SecureDuplex } from '../lib/index.js';
import { expectExit, useCliProcesses } from './helpers/cli-process.js';
import { gnutlsServer, requirePeer, type PeerProcess } from './helpers/peers.js';
import { refusingPort } from './helpers/refusing-port.js';

describe('CLI error messages say what to do', function () {
  this.timeout(60_000);
  const { run, startServer, sServer, files } = useCliProcesses();
  const peers: PeerProcess[] = [];
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.kill();
  });

  /** Run the CLI to its exit; its one error line. */
  async function errorOf(args: string[], code = 1): Promise<string> {
    const p = run(args.join(' '), args);
    await expectExit(p, code);
    const lines = p.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(lines, p.stderr).to.have.length(1);
    return lines[0]!;
  }

  it('-c with a file that is not a certificate names the file and says what -c takes', async () => {
    const line = await errorOf(['server', '-p', '0', '-c', 'README.md', '-k', files.key]);
    expect(line).to.equal('error: ERR_CERT_FILE: -c README.md: no PEM certificate in this file (it holds no PEM block: is it a PEM file?); -c takes a PEM certificate chain, leaf first, "-----BEGIN CERTIFICATE-----"');
  });

  it('-k with the certificate instead of the key: names the file, suspects -c/-k swapped', async () => {
    const line = await errorOf(['client', '-c', files.cert, '-k', files.cert]);
    expect(line).to.equal(`error: ERR_KEY_FILE: -k ${files.cert}: no PEM private key in this file; it holds only CERTIFICATE (a certificate: were -c and -k swapped?). -k takes the private key of the -c certificate, "-----BEGIN PRIVATE KEY-----"`);
  });

  it('-k with a key the library cannot decode: the decoder\'s words with both file names and what to check', async () => {
    const bad = join(files.dir, 'bad-key.pem');
    writeFileSync(bad, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const line = await errorOf(['server', '-p', '0', '-c', files.cert, '-k', bad]);
    expect(line).to.match(new RegExp(`^error: \\S+: -c ${files.cert} -k ${bad}: .+; check that -k is the private key of the -c certificate, in PEM$`));
  });

  it('-A with a file that holds no certificate', async () => {
    const line = await errorOf(['client', '-A', files.key]);
    expect(line).to.equal(`error: ERR_CERT_FILE: -A ${files.key}: no PEM certificate in this file (it holds only PRIVATE KEY); -A takes PEM CA certificates, "-----BEGIN CERTIFICATE-----"`);
  });

  it('a TLS 1.3-only server (openssl s_server -tls1_3): protocol_version, with the reason', async function () {
    requirePeer(this, 'openssl');
    const { port } = await sServer(['-naccept', '1', '-tls1_3', '-cert', files.cert, '-key', files.key]);
    const line = await errorOf(['client', '-p', String(port), '-d']);
    expect(line).to.equal('error: ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: tlsv1 alert protocol version (alert received: protocol_version) — the server does not accept TLS 1.2 (it may be TLS 1.3-only); secure-duplex speaks TLS 1.2 and DTLS 1.2 only');
  });

  it('a self-signed server certificate: DEPTH_ZERO_SELF_SIGNED_CERT, with -A and -d as the ways out', async function () {
    requirePeer(this, 'openssl');
    const self = generateCertificate({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });
    const cert = join(files.dir, 'self.pem');
    const key = join(files.dir, 'self-key.pem');
    writeFileSync(cert, self.certPem);
    writeFileSync(key, self.keyPem);
    const { port } = await sServer(['-naccept', '1', '-tls1_2', '-cert', cert, '-key', key]);
    const line = await errorOf(['client', '-p', String(port)]);
    expect(line).to.match(/^error: DEPTH_ZERO_SELF_SIGNED_CERT: .* — the server's certificate is not signed by a CA this client trusts: give its CA \(or the self-signed certificate itself\) with -A FILE, or skip verification with -d$/);
  });

  it('nothing listening: ECONNREFUSED, with the address and the flags to check', async () => {
    const refusing = await refusingPort();
    const port = refusing.port;
    const line = await errorOf(['client', '-p', String(port)]).finally(() => refusing.close());
    expect(line).to.equal(`error: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port} — nothing accepts connections on 127.0.0.1:${port}: start the server first, check -h/-p (and -u on both sides for DTLS)`);
  });

  it('a wrong pre-shared key over DTLS: a handshake timeout (--timeout) that names the likely cause', async () => {
    const { port } = await startServer(['-s', '-u', '-e', '--psk-key', '00112233']);
    const line = await errorOf(['client', '-s', '-u', '-p', String(port), '--timeout', '2']);
    expect(line).to.equal('error: ERR_TLS_HANDSHAKE_TIMEOUT: TLS handshake timeout — over DTLS a wrong pre-shared key gets no answer (records that fail to decrypt are dropped, RFC 6347 §4.1.2.7): check --psk-key and --psk-identity on both sides');
  });

  it('gnutls-serv --echo (line-based) never answers "hello wolfssl!": the reply timeout says why and what to do', async function () {
    requirePeer(this, 'gnutls-serv');
    const g = await gnutlsServer({ cert: files.cert, key: files.key, echo: true });
    peers.push(g);
    const line = await errorOf(['client', '-p', String(g.port), '-A', files.ca, '-S', 'localhost', '--timeout', '2']);
    expect(line).to.equal('error: ERR_REPLY_TIMEOUT: no reply from the server within 2 s — the server may be waiting for more: line-based servers (gnutls-serv --echo) answer only after a newline, so use --pipe and type lines; --timeout SEC waits longer');
  });

  it('renegotiate() after the peer\'s close_notify says the connection is closing (not "a handshake is in progress")', async () => {
    const leaf = generateCertificate({ commonName: 'localhost' });
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => s.end());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    try {
      const { port } = server.address() as AddressInfo;
      const c: SecureDuplex = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      c.resume();
      await new Promise<void>((res) => c.once('end', () => res()));
      const err = await new Promise<Error | null>((res) => c.renegotiate({}, (e) => res(e)));
      expect(err?.message).to.equal('cannot renegotiate: the connection is closed or closing (close_notify sent or received); renegotiate before end()');
      c.destroy();
    } finally {
      await new Promise<void>((res) => server.close(() => res()));
    }
  });

  it('one failure reported twice (socket error and renegotiate callback) prints one line', () => {
    let text = '';
    const sink = new Writable({ write: (c, _e, cb) => { text += String(c); cb(); } });
    const reporter = new Reporter(sink, sink);
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    reporter.error(reset);
    reporter.error(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(text).to.equal('error: ECONNRESET: read ECONNRESET\n');
    expect(reporter.failed).to.equal(true);
  });
});
