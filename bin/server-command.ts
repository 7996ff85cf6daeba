// `secure-duplex server`: the wolfSSL example server's command line over createServer().
import type { Socket } from 'node:net';
import { createServer, type SecureDuplex, type ServerOptions } from '../lib/index.js';
import { demoServerCertificate } from './demo-ca.js';
import { parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { pageResponse, takeRequests, wantsClose } from './http.js';
import { forwardDatagrams } from './datagram-proxy.js';
import { cryptoLine, displayHostPort, FORWARD_FLAG, forwardConnection, parseHostPort, proxyEndpoint } from './proxy-command.js';
import { onApplicationData, renegotiateEvery, renegotiationSuccessLine, reportRenegotiations, startRenegotiation } from './renegotiation.js';
import { messageText, Reporter } from './status.js';
import {
  alpnProtocols, certAndKey, checkSharedFlags, cryptoProviderChoice, HELP_FLAG, identityError, keylogAppender, port, pskSettings, readCertificateFile, renegotiateEveryMs, renegotiationPolicy, sharedFlags,
} from './tls-options.js';
import { hintFor } from './error-hints.js';
import { boundAtPrimary, isServerWorker, runPrimary, secretsFromPrimary, workerCount, workerLine, WORKERS_FLAG } from './server-workers.js';

export const SERVER_FLAGS: readonly FlagSpec[] = [
  ...sharedFlags('port'),
  { short: 'b', long: 'bind-any', description: 'listen on all interfaces (default: 127.0.0.1 only)' },
  ...sharedFlags('cert', 'key'),
  { short: 'A', long: 'ca', value: 'required', valueName: 'FILE', description: 'ask every client for a certificate and verify it against this PEM CA file' },
  { short: 'd', long: 'no-client-cert', description: 'do not ask clients for a certificate (wins over -A)' },
  { short: 'e', long: 'echo', description: 'echo every byte back' },
  { short: 'g', long: 'http', description: 'tiny web server: answer each HTTP request with an HTML page (keep-alive)' },
  FORWARD_FLAG,
  WORKERS_FLAG,
  { short: 'C', long: 'connections', value: 'required', valueName: 'N', description: 'serve N connections, then exit (default 1)' },
  { short: 'i', long: 'loop', description: 'serve forever (overrides -C)' },
  { short: 'M', long: 'allow-renegotiation', description: 'allow secure renegotiation started by clients (default: refused)' },
  { short: 'm', long: 'server-renegotiate', description: 'start a renegotiation after each handshake (implies -M)' },
  ...sharedFlags('ciphers', 'psk', 'psk-identity', 'psk-key', 'tls-version', 'nonblocking', 'dtls', 'renegotiate-every', 'renegotiation-limit', 'keylog', 'alpn', 'trace', 'crypto', 'json'),
  HELP_FLAG,
];

export const SERVER_SYNOPSIS = 'secure-duplex server [-p PORT] [-b] [-c CERT] [-k KEY] [-A CA] [-d] [-e] [-g] [--forward [tcp:|udp:]HOST:PORT] [--workers N] [-i] [-C N] [-l CIPHERS] [-s [--psk-identity ID] [--psk-key HEX]] [-N] [-v 3] [-M] [-m] [-u] [--renegotiate-every MS] [--keylog FILE] [--alpn LIST] [--trace] [--crypto noble|node] [--json]';

const MESSAGE_REPLY = 'I hear you fa shizzle!';

type Mode = 'echo' | 'http' | 'message';

/** Runs the server; resolves with the exit code once -C connections are done (never with -i). */
export async function runServer(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, SERVER_FLAGS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  checkSharedFlags(args);
  if (args.has('echo') && args.has('http')) throw new UsageError('-e and -g cannot be combined');
  const forward = args.has('forward')
    ? parseHostPort(proxyEndpoint(args.string('forward') ?? '', '--forward', args.has('dtls')), '--forward')
    : undefined;
  if (forward && (args.has('echo') || args.has('http'))) throw new UsageError('--forward cannot be combined with -e or -g');
  const mode: Mode = args.has('echo') ? 'echo' : args.has('http') ? 'http' : 'message';
  const serverRenegotiates = args.has('server-renegotiate');
  const nonblocking = args.has('nonblocking');
  const everyMs = renegotiateEveryMs(args);
  const workers = workerCount(args);
  // With --workers each worker serves until the primary stops it.
  const loop = args.has('loop') || workers !== undefined;
  const limit = args.integer('connections', 1);
  if (!loop && limit < 1) throw new UsageError('-C expects at least 1');
  const listenPort = port(args);
  const reporter = new Reporter();
  reporter.json = args.has('json');
  reporter.hint = (e) => hintFor(e, { role: 'server', dtls: args.has('dtls'), psk: args.has('psk') });
  const listenHost = args.has('bind-any') ? undefined : '127.0.0.1';
  if (workers !== undefined && !isServerWorker()) {
    certAndKey(args); // unreadable files: one error from the primary, not one per worker
    // DTLS: the primary reserves the UDP port the workers share (all interfaces: as dgram binds without a host).
    return runPrimary(workers, reporter, args.has('dtls') ? { host: listenHost ?? '0.0.0.0', port: listenPort } : undefined);
  }
  const options = serverOptions(args, reporter);
  // DTLS workers bind the port the primary reserved, each its own socket (reusePort).
  let bindPort = listenPort;
  if (workers !== undefined) {
    const { udpPort, ...secrets } = await secretsFromPrimary();
    Object.assign(options, secrets);
    if (udpPort !== undefined) {
      bindPort = udpPort;
      options.reusePort = true;
    }
  }

  let server: ReturnType<typeof createServer>;
  try {
    server = makeServer();
  } catch (e) {
    throw args.has('cert') ? identityError(e, args) : e;
  }
  function makeServer(): ReturnType<typeof createServer> {
    return createServer(options, (socket) => {
      if (workers !== undefined) reporter.status(workerLine(socket.isSessionReused()));
      reporter.connection(socket);
      if (args.has('alpn')) reporter.status(`alpn: ${socket.alpnProtocol || '(none)'}`);
      reportRenegotiations(socket, reporter);
      socket.on('error', (err) => reporter.error(err));
      // -m as wolfSSL's server: in message and HTTP mode it renegotiates after reading the
      // client's first message (then answers it); with -e (and --forward) right after the handshake.
      const renegotiateNow = (then?: () => void): void => startRenegotiation(socket, reporter, (ok) => {
        if (ok) reporter.status(renegotiationSuccessLine(nonblocking));
        then?.();
      });
      const afterFirstMessage = serverRenegotiates && (mode === 'message' || mode === 'http') && !forward;
      if (forward && args.has('dtls')) forwardDatagrams(socket, forward, reporter);
      else if (forward) forwardConnection(socket, forward, reporter);
      else serve(socket, mode, reporter, afterFirstMessage ? renegotiateNow : undefined);
      if (serverRenegotiates && !afterFirstMessage) renegotiateNow();
      if (everyMs !== undefined) renegotiateEvery(socket, everyMs, reporter);
    });
  }
  const keylog = keylogAppender(args);
  if (keylog) server.on('keylog', keylog);
  // A failed handshake is reported; the server goes on (it counts toward -C).
  server.on('tlsClientError', (err: Error) => reporter.error(err));

  let accepted = 0;
  return new Promise<number>((resolve, reject) => {
    server.on('connection', (_socket: Socket) => {
      accepted++;
      if (!loop && accepted >= limit) {
        // Stop accepting; the callback runs once the accepted connections have all closed.
        // setImmediate: a failed handshake's error event may come after the socket closed.
        server.close(() => setImmediate(() => resolve(reporter.failed ? 1 : 0)));
      }
    });
    server.once('error', (err: Error) => reject(err));
    server.listen(bindPort, listenHost, async () => {
      if (options.reusePort) await boundAtPrimary();
      const addr = server.address();
      if (addr && typeof addr === 'object') {
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        reporter.status(`listening: ${host}:${addr.port}`);
        if (forward) {
          reporter.status(`forwarding: to ${displayHostPort(forward)} over ${args.has('dtls') ? 'UDP' : 'TCP'}`);
          reporter.status(cryptoLine(options.cryptoProvider));
        }
      }
    });
  });
}

function serverOptions(args: ParsedArgs, reporter: Reporter): ServerOptions {
  const psk = pskSettings(args);
  let identity = certAndKey(args);
  if (!identity && psk) {
    // PSK suites only (no certificate needed, RFC 4279).
    reporter.status(`psk: identity "${psk.identity}", ${psk.key.length}-byte key; PSK suites only`);
    return {
      ciphers: args.string('ciphers') ?? 'PSK',
      pskCallback: (_socket, id) => (id === psk.identity ? psk.key : null),
      requestCert: false,
      ...renegotiationPolicy(args, args.has('allow-renegotiation') || args.has('server-renegotiate')),
      ...(args.has('dtls') ? { transport: 'udp' as const } : {}),
      ...observability(args),
    };
  }
  if (!identity) {
    const generated = demoServerCertificate();
    identity = { cert: generated.cert, key: generated.key };
    reporter.status(`certificate: generated ECDSA P-256 for localhost, 127.0.0.1, ::1, signed by the demo CA ${generated.caPath}`);
    reporter.status(`fingerprint: SHA256 ${generated.fingerprint256}`);
  }
  const caPath = args.string('ca');
  const verifyClients = caPath !== undefined && !args.has('no-client-cert');
  const allow = args.has('allow-renegotiation') || args.has('server-renegotiate');
  return {
    ...identity,
    ...(verifyClients ? { ca: readCertificateFile(caPath, '-A', 'PEM CA certificates'), requestCert: true, rejectUnauthorized: true } : { requestCert: false }),
    ciphers: args.string('ciphers') ?? (psk ? 'PSK:DEFAULT' : undefined),
    ...(psk ? { pskCallback: (_socket: SecureDuplex, id: string) => (id === psk.identity ? psk.key : null) } : {}),
    ...renegotiationPolicy(args, allow),
    ...(args.has('dtls') ? { transport: 'udp' as const } : {}),
    ...observability(args),
  };
}

/** --alpn, --trace and --crypto as server options. */
function observability(args: ParsedArgs): { ALPNProtocols?: string[]; enableTrace?: boolean; cryptoProvider: 'noble' | 'node' } {
  const alpn = alpnProtocols(args);
  return {
    ...(alpn ? { ALPNProtocols: alpn } : {}),
    ...(args.has('trace') ? { enableTrace: true } : {}),
    cryptoProvider: cryptoProviderChoice(args, args.has('forward')),
  };
}

/**
 * Serve one connection. `renegotiateFirst` (-m): called once, on the client's first message
 * (not one sent during a renegotiation); the answer to that message waits until it calls back.
 */
function serve(socket: SecureDuplex, mode: Mode, reporter: Reporter, renegotiateFirst?: (then: () => void) => void): void {
  let pendingRenegotiation = renegotiateFirst;
  const answer = (reply: () => void): void => {
    const renegotiate = pendingRenegotiation;
    pendingRenegotiation = undefined;
    if (renegotiate) renegotiate(reply);
    else reply();
  };
  switch (mode) {
    case 'echo':
      // Not pipe(): pausing the reader while our echo waits can stall a renegotiation (the
      // echo is held until it completes, and its last flight would stay unread), see
      // docs/cli.md. The echo buffers instead; the client is expected to read.
      socket.on('data', (data: Buffer) => {
        if (!socket.writableEnded) socket.write(data);
      });
      return;
    case 'http': {
      let pending: Buffer = Buffer.alloc(0);
      const cipher = socket.getCipher()?.standardName ?? 'unknown';
      socket.on('data', (data: Buffer) => {
        if (socket.writableEnded) return;
        const { requests, rest } = takeRequests(Buffer.concat([pending, data]));
        pending = rest;
        for (const request of requests) {
          const close = wantsClose(request);
          answer(() => {
            if (socket.writableEnded) return;
            socket.write(pageResponse(cipher, close));
            if (close) socket.end();
          });
          if (close) return;
        }
      });
      return;
    }
    case 'message':
      onApplicationData(socket, (data, during) => {
        const text = messageText(data);
        if (during) {
          // wolfSSL's ServerRead: a message that arrives during a renegotiation (APP_DATA_READY)
          // is printed, and the server goes on reading for the message it answers.
          reporter.status(`Client message received during secure renegotiation: ${text}`);
          return;
        }
        reporter.status(`Client message: ${text}`);
        answer(() => {
          if (!socket.writableEnded) socket.write(MESSAGE_REPLY);
        });
      });
      return;
  }
}
