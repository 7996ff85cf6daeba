/**
 * A node:tls peer that runs in its OWN process, so its timing and event loop are apart from the
 * test's. Started by nodeTlsPeer() in ./node-tls-launcher.ts:
 *
 *   node dist/spec/helpers/node-tls-peer.js '<NodeTlsPeerArgs as JSON>'
 *
 * Always TLS 1.2 (minVersion = maxVersion = 'TLSv1.2'), 127.0.0.1 only, noDelay on.
 *
 * Modes:
 * - server-echo:        listens; echoes every byte back on each connection.
 * - server-sink-source: listens; on each connection sends randomBytesSeeded(seed, writeBytes) and
 *                       reads until readBytes have come (or the peer ends), then reports them.
 * - client-sink-source: connects to 127.0.0.1:port; same as server-sink-source.
 *   A sink-source side calls end() (close_notify) once it has both sent and received everything.
 *
 * Output: one JSON object per line on stdout ("event" first), nothing else:
 *   {"event":"ready","port":N}                     server listening / client handshake done
 *   {"event":"secure","protocol":"TLSv1.2","cipher":"...","remotePort":N}   per connection
 *   {"event":"sent","bytes":M}                      all seeded bytes handed to the socket
 *   {"event":"received","bytes":N,"sha256":"hex"}   readBytes reached (or peer ended first)
 *   {"event":"echoed","bytes":N}                    echo connection closed, N bytes echoed
 *   {"event":"renegotiated","ok":true|false,"error"?:"..."}
 *   {"event":"error","where":"...","message":"..."}
 *   {"event":"closed","hadError":bool}
 *   {"event":"exit","code":N}
 * A server exits after `connections` (default 1) connections have closed or failed; a client
 * after its connection closed. Exit code 1 if any error event was printed, else 0.
 *
 * Commands on stdin, one per line: "renegotiate" (socket.renegotiate() on every open
 * connection), "end" (end() every connection), "exit".
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import type { NodeTlsPeerArgs } from './node-tls-launcher.js';
import { randomBytesSeeded } from './payloads.js';

const args = JSON.parse(process.argv[2] ?? '{}') as NodeTlsPeerArgs;
let hadError = false;
const sockets = new Set<tls.TLSSocket>();

function emit(ev: { event: string; [k: string]: unknown }): void {
  process.stdout.write(JSON.stringify(ev) + '\n');
}

function fail(where: string, err: unknown): void {
  hadError = true;
  emit({ event: 'error', where, message: err instanceof Error ? err.message : String(err) });
}

function finish(): void {
  const code = hadError ? 1 : 0;
  emit({ event: 'exit', code });
  process.stdin.destroy();
  process.stdout.write('', () => process.exit(code));
}

function keylogTo(file: string | undefined): ((line: Buffer) => void) | undefined {
  return file ? (line: Buffer) => fs.appendFileSync(file, line) : undefined;
}

function onSecure(sock: tls.TLSSocket): void {
  sock.setNoDelay(true);
  emit({ event: 'secure', protocol: sock.getProtocol(), cipher: sock.getCipher()?.name, remotePort: sock.remotePort });
}

function echo(sock: tls.TLSSocket): void {
  let n = 0;
  sock.on('data', (d: Buffer) => {
    n += d.length;
    sock.write(d);
  });
  sock.on('close', () => emit({ event: 'echoed', bytes: n }));
}

function sinkSource(sock: tls.TLSSocket, a: { readBytes?: number; writeBytes?: number; seed?: number }): void {
  const readBytes = a.readBytes ?? 0;
  const writeBytes = a.writeBytes ?? 0;
  const hash = createHash('sha256');
  let got = 0;
  let reported = false;
  let sent = false;
  const maybeEnd = () => {
    if (reported && sent) sock.end();
  };
  const report = () => {
    if (reported) return;
    reported = true;
    emit({ event: 'received', bytes: got, sha256: hash.digest('hex') });
    maybeEnd();
  };
  sock.on('data', (d: Buffer) => {
    if (reported) {
      emit({ event: 'extra', bytes: d.length });
      return;
    }
    got += d.length;
    hash.update(d);
    if (got >= readBytes) report();
  });
  sock.on('end', report);
  sock.write(randomBytesSeeded(a.seed ?? 0, writeBytes), (err) => {
    if (err) return; // reported through 'error'
    emit({ event: 'sent', bytes: writeBytes });
    sent = true;
    maybeEnd();
  });
  if (readBytes === 0) report();
}

function track(sock: tls.TLSSocket, onClosed: () => void): void {
  sockets.add(sock);
  sock.on('error', (e) => fail('socket', e));
  sock.on('close', (err) => {
    sockets.delete(sock);
    emit({ event: 'closed', hadError: err });
    onClosed();
  });
}

// Commands on stdin.
let stdinBuf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  stdinBuf += chunk;
  let i: number;
  while ((i = stdinBuf.indexOf('\n')) >= 0) {
    const cmd = stdinBuf.slice(0, i).trim();
    stdinBuf = stdinBuf.slice(i + 1);
    if (cmd === 'renegotiate') {
      for (const s of sockets) {
        const ok = s.renegotiate({ rejectUnauthorized: false }, (err) =>
          emit(err ? { event: 'renegotiated', ok: false, error: err.message } : { event: 'renegotiated', ok: true }),
        );
        if (!ok) emit({ event: 'renegotiated', ok: false, error: 'renegotiate() returned false' });
      }
    } else if (cmd === 'end') {
      for (const s of sockets) s.end();
    } else if (cmd === 'exit') {
      finish();
    } else if (cmd) {
      fail('stdin', `unknown command ${JSON.stringify(cmd)}`);
    }
  }
});

if (args.mode === 'client-sink-source') {
  const a = args;
  const sock = tls.connect({
    host: '127.0.0.1',
    port: a.port,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ca: a.ca ? fs.readFileSync(a.ca) : undefined,
    rejectUnauthorized: !!a.ca,
    servername: a.servername,
    ciphers: a.ciphers,
  });
  const kl = keylogTo(a.keylog);
  if (kl) sock.on('keylog', kl);
  track(sock, finish);
  sock.once('secureConnect', () => {
    onSecure(sock);
    emit({ event: 'ready', port: a.port, localPort: sock.localPort });
    sinkSource(sock, a);
  });
} else if (args.mode === 'server-echo' || args.mode === 'server-sink-source') {
  const a = args;
  const want = a.connections ?? 1;
  let done = 0;
  const server = tls.createServer({
    key: fs.readFileSync(a.key),
    cert: fs.readFileSync(a.cert),
    ca: a.ca ? fs.readFileSync(a.ca) : undefined,
    requestCert: !!a.requestCert,
    rejectUnauthorized: !!a.requestCert && !!a.ca,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: a.ciphers,
  });
  const oneDone = () => {
    if (++done >= want) server.close(finish);
  };
  const kl = keylogTo(a.keylog);
  if (kl) server.on('keylog', kl);
  server.on('tlsClientError', (e) => {
    fail('handshake', e);
    oneDone();
  });
  server.on('secureConnection', (sock: tls.TLSSocket) => {
    track(sock, oneDone);
    onSecure(sock);
    if (a.mode === 'server-echo') echo(sock);
    else sinkSource(sock, a);
  });
  server.on('error', (e) => {
    fail('listen', e);
    finish();
  });
  server.listen(a.port ?? 0, '127.0.0.1', () => {
    const addr = server.address();
    emit({ event: 'ready', port: typeof addr === 'object' && addr ? addr.port : null });
  });
} else {
  fail('args', `unknown mode ${JSON.stringify((args as { mode?: unknown }).mode)}`);
  finish();
}
