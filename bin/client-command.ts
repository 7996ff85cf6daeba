// `secure-duplex client`: the wolfSSL example client's command line over connect().
import { rootCertificates } from 'node:tls';
import { connect, type ConnectOptions, type SecureDuplex } from '../lib/index.js';
import { readDemoCa } from './demo-ca.js';
import { parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { getRequest, responseComplete } from './http.js';
import { runDatagramListenProxy } from './datagram-proxy.js';
import { LISTEN_FLAG, listenPort, runListenProxy } from './proxy-command.js';
import { onApplicationData, renegotiateEvery, renegotiationSuccessLine, reportRenegotiations, startRenegotiation, whenIdle } from './renegotiation.js';
import { messageText, Reporter } from './status.js';
import {
  alpnProtocols, certAndKey, checkSharedFlags, cryptoProviderChoice, HELP_FLAG, identityError, keylogAppender, port, pskSettings, readCertificateFile, renegotiateEveryMs, renegotiationPolicy, sharedFlags,
} from './tls-options.js';
import { hintFor } from './error-hints.js';
import { readSessionFile, writeSessionFile } from './session-file.js';
import { showCertificates } from './show-certs.js';

export const DEFAULT_HOST = '127.0.0.1';
const MESSAGE = 'hello wolfssl!';
/** -i scr-app-data: also write application data while the renegotiation is in progress. */
const SCR_APP_DATA = 'scr-app-data';
/** What wolfSSL's client writes with -i scr-app-data while its renegotiation runs. */
export const SCR_MESSAGE = 'msg sent during renegotiation';
/** --timeout default: seconds for the handshake, and for the reply in message and -g mode. */
const DEFAULT_TIMEOUT_S = 10;
/** After we close, how long to wait for the server to close before dropping the connection. */
const CLOSE_GRACE_MS = 3000;

export const CLIENT_FLAGS: readonly FlagSpec[] = [
  { short: 'h', long: 'host', value: 'required', valueName: 'HOST', description: `server host (default ${DEFAULT_HOST})` },
  ...sharedFlags('port'),
  { short: 'A', long: 'ca', value: 'required', valueName: 'FILE', description: 'trust this PEM CA file (default: the default trust store)' },
  { short: 'd', long: 'no-verify', description: 'do not verify the server certificate (rejectUnauthorized false)' },
  { short: 'c', long: 'cert', value: 'required', valueName: 'FILE', description: 'PEM client certificate to offer' },
  { short: 'k', long: 'key', value: 'required', valueName: 'FILE', description: 'PEM private key for -c' },
  { short: 'x', long: 'no-client-cert', description: 'offer no client certificate (overrides -c/-k)' },
  { short: 'S', long: 'servername', value: 'required', valueName: 'NAME', description: 'SNI name, and the name the certificate must match (default: HOST unless an IP address)' },
  ...sharedFlags('ciphers', 'psk', 'psk-identity', 'psk-key'),
  { short: 'g', long: 'http', description: 'send an HTTP GET request and print the response' },
  { long: 'pipe', description: 'copy stdin to the connection and the connection to stdout; status lines on stderr' },
  LISTEN_FLAG,
  { short: 'C', long: 'connections', value: 'required', valueName: 'N', description: 'with --listen: serve N connections, then exit (default: until killed)' },
  { short: 'R', long: 'allow-renegotiation', description: 'answer the server\'s renegotiation requests (default: refused)' },
  { short: 'i', long: 'renegotiate', value: 'optional', valueName: 'TEXT', description: `start a renegotiation after the handshake; with "${SCR_APP_DATA}" also write data while it runs` },
  { long: 'showcerts', description: 'print the certificate chain the server sent: subject, issuer, validity and PEM of each (openssl s_client -showcerts)' },
  { long: 'status', description: 'ask the server for an OCSP staple (status_request) and print what came: "ocsp: no response sent" or "ocsp: response N bytes" (openssl s_client -status)' },
  { long: 'sess-out', value: 'required', valueName: 'FILE', description: 'save the session to FILE after the handshake (openssl s_client -sess_out)' },
  { long: 'sess-in', value: 'required', valueName: 'FILE', description: 'offer the session saved in FILE, to resume it (openssl s_client -sess_in); prints "session: reused" or "session: new"' },
  { long: 'reconnect', value: 'required', valueName: 'N', description: 'after the first connection, connect N more times offering the last session (openssl s_client -reconnect); each prints "session: reused" or "session: new"' },
  { long: 'timeout', value: 'required', valueName: 'SEC', description: `give up when the handshake, or the reply to the message, takes longer than SEC seconds (default ${DEFAULT_TIMEOUT_S}; 0: no limit)` },
  ...sharedFlags('tls-version', 'nonblocking', 'dtls', 'renegotiate-every', 'renegotiation-limit', 'keylog', 'alpn', 'trace', 'crypto', 'json'),
  HELP_FLAG,
];

export const CLIENT_SYNOPSIS = 'secure-duplex client [-h HOST] [-p PORT] [-A CA] [-c CERT] [-k KEY] [-x] [-d] [-S NAME] [-l CIPHERS] [-s [--psk-identity ID] [--psk-key HEX]] [-g] [-N] [-v 3] [--pipe] [--listen [tcp:|udp:]PORT [-C N]] [-R] [-i [TEXT]] [-u] [--renegotiate-every MS] [--keylog FILE] [--timeout SEC] [--showcerts] [--status] [--alpn LIST] [--trace] [--crypto noble|node] [--json] [--sess-out FILE] [--sess-in FILE] [--reconnect N]';

/** Runs one client connection; resolves with the exit code when it has closed. */
export async function runClient(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, CLIENT_FLAGS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  checkSharedFlags(args);
  const pipe = args.has('pipe');
  if (pipe && args.has('http')) throw new UsageError('--pipe and -g cannot be combined');
  const reporter = pipe ? new Reporter(process.stderr, process.stderr) : new Reporter();
  reporter.json = args.has('json');
  const host = args.string('host') ?? DEFAULT_HOST;
  const timeoutMs = args.integer('timeout', DEFAULT_TIMEOUT_S, 86_400) * 1000;
  const options = clientOptions(args, host, timeoutMs);
  reporter.hint = (e) => hintFor(e, { role: 'client', target: `${host}:${options.port}`, dtls: args.has('dtls'), psk: args.has('psk') });
  const everyMs = renegotiateEveryMs(args);
  const renegotiate = args.has('renegotiate');
  const scrAppData = args.string('renegotiate') === SCR_APP_DATA;
  const nonblocking = args.has('nonblocking');
  const listen = listenPort(args);
  if (listen !== undefined) {
    if (pipe || args.has('http')) throw new UsageError('--listen cannot be combined with --pipe or -g');
    const connections = args.integer('connections', 0);
    const proxy = { listenPort: listen, connect: options, connections, renegotiateAfterHandshake: renegotiate, everyMs, keylog: keylogAppender(args) };
    return args.has('dtls') ? runDatagramListenProxy(proxy, reporter) : runListenProxy(proxy, reporter);
  }
  if (args.has('connections')) throw new UsageError('-C needs --listen');
  const reconnects = args.integer('reconnect', 0, 1000);
  if (reconnects > 0 && pipe) throw new UsageError('--reconnect cannot be combined with --pipe (stdin is read once)');
  const sessionOut = args.string('sess-out');
  const showSession = args.has('sess-in') || sessionOut !== undefined || reconnects > 0;
  let session = args.has('sess-in') ? readSessionFile(args.string('sess-in') ?? '') : undefined;

  for (let attempt = 0; attempt <= reconnects; attempt++) {
    await oneConnection(session ? { ...options, session } : options);
    if (reporter.failed) break;
  }
  return reporter.failed ? 1 : 0;

  /** One connection, from connect() to 'close'. */
  function oneConnection(connectOptions: ConnectOptions): Promise<void> {
    return new Promise<void>((resolve) => {
      let socket: SecureDuplex;
      try {
        socket = connect(connectOptions, () => {
          reporter.connection(socket);
          if (args.has('alpn')) reporter.status(`alpn: ${socket.alpnProtocol || '(none)'}`);
          if (showSession) reporter.status(`session: ${socket.isSessionReused() ? 'reused' : 'new'}`);
          if (args.has('showcerts')) showCertificates(socket, reporter);
          const stopTimer = everyMs !== undefined ? renegotiateEvery(socket, everyMs, reporter) : undefined;
          if (pipe) {
            // Only now: stdin ending before the handshake would close before anything was sent.
            process.stdin.pipe(socket, { end: false });
            process.stdin.once('end', () => {
              // No close_notify in the middle of our own renegotiation: the peer could not finish
              // it, and data it holds back until it completes would never come.
              stopTimer?.();
              whenIdle(socket, () => socket.end());
            });
            if (renegotiate) startRenegotiation(socket, reporter);
            return;
          }
          const request = args.has('http') ? getRequest(host) : MESSAGE;
          if (!renegotiate) {
            socket.write(request);
            return;
          }
          // wolfSSL's client: renegotiate, (with scr-app-data) write SCR_MESSAGE while it runs, and
          // once it has completed print its success line and send the normal message.
          if (!nonblocking) reporter.status('Beginning secure renegotiation.');
          startRenegotiation(socket, reporter, (ok) => {
            if (!ok) {
              socket.end();
              return;
            }
            reporter.status(renegotiationSuccessLine(nonblocking));
            socket.write(request);
          });
          // The connection's send policy is 'eager' with scr-app-data (clientOptions): this write
          // goes out right behind our ClientHello, inside the renegotiation.
          if (scrAppData) socket.write(SCR_MESSAGE);
        });
      } catch (e) {
        throw args.has('cert') ? identityError(e, args) : e;
      }
      const keylog = keylogAppender(args);
      if (keylog) socket.on('keylog', keylog);
      socket.on('session', (s: Buffer) => {
        session = s;
        if (sessionOut !== undefined) writeSessionFile(sessionOut, s);
      });
      if (args.has('status')) {
        socket.on('OCSPResponse', (r: Buffer | null) => reporter.status(r ? `ocsp: response ${r.length} bytes` : 'ocsp: no response sent'));
      }
      socket.on('error', (err) => reporter.error(err));
      socket.on('close', () => resolve());
      reportRenegotiations(socket, reporter);
      if (pipe) socket.on('data', (data: Buffer) => process.stdout.write(data));
      else {
        if (args.has('http')) readHttpResponse(socket, reporter);
        else readReply(socket, reporter);
        if (timeoutMs > 0) replyTimeout(socket, reporter, timeoutMs);
      }
    });
  }
}

/** Message and -g mode: a reply that has not begun within `ms` of the handshake is an error. */
function replyTimeout(socket: SecureDuplex, reporter: Reporter, ms: number): void {
  let timer: NodeJS.Timeout | undefined;
  socket.once('secureConnect', () => {
    timer = setTimeout(() => {
      reporter.error(Object.assign(new Error(`no reply from the server within ${ms / 1000} s`), { code: 'ERR_REPLY_TIMEOUT' }));
      socket.destroy();
    }, ms);
  });
  const stop = (): void => clearTimeout(timer);
  socket.once('data', stop);
  socket.once('close', stop);
}

/** Without -A: Node's bundled roots plus the CLI's demo CA when it exists (bin/demo-ca.ts). */
function defaultTrust(): { ca?: string[] } {
  const demo = readDemoCa();
  return demo ? { ca: [...rootCertificates, demo] } : {};
}

function clientOptions(args: ParsedArgs, host: string, timeoutMs: number): ConnectOptions {
  const psk = pskSettings(args);
  const caPath = args.string('ca');
  const identity = args.has('no-client-cert') ? undefined : certAndKey(args);
  return {
    host,
    port: port(args),
    ...(caPath !== undefined ? { ca: readCertificateFile(caPath, '-A', 'PEM CA certificates') } : defaultTrust()),
    rejectUnauthorized: !args.has('no-verify'),
    ...identity,
    servername: args.string('servername'),
    // -s: the PSK suites only, as wolfSSL's example client with -s.
    ciphers: args.string('ciphers') ?? (psk ? 'PSK' : undefined),
    ...(psk ? { pskCallback: () => ({ psk: psk.key, identity: psk.identity }) } : {}),
    ...renegotiationPolicy(args, args.has('allow-renegotiation')),
    ...(args.has('dtls') ? { transport: 'udp' as const, ...(timeoutMs > 0 ? { dtls: { handshakeTimeout: timeoutMs } } : {}) } : {}),
    ...(timeoutMs > 0 ? { handshakeTimeout: timeoutMs } : {}),
    ...(alpnProtocols(args) ? { ALPNProtocols: alpnProtocols(args) } : {}),
    ...(args.has('status') ? { requestOCSP: true } : {}),
    ...(args.has('trace') ? { enableTrace: true } : {}),
    cryptoProvider: cryptoProviderChoice(args, args.has('listen')),
    // -i scr-app-data exists to write during the renegotiation: the library's 'eager' policy
    // sends that write at once instead of holding it until the renegotiation completes.
    ...(args.string('renegotiate') === SCR_APP_DATA ? { renegotiationSendPolicy: 'eager' as const } : {}),
  };
}

/** Default mode: print the server's reply, then close (once any renegotiation has finished). */
function readReply(socket: SecureDuplex, reporter: Reporter): void {
  let closing = false;
  onApplicationData(socket, (data, during) => {
    const text = messageText(data);
    reporter.status(during ? `Server message received during secure renegotiation: ${text}` : `Server response: ${text}`);
    if (closing) return;
    closing = true;
    whenIdle(socket, () => closeGracefully(socket));
  });
}

/** -g: collect one HTTP response, print it, then close. */
function readHttpResponse(socket: SecureDuplex, reporter: Reporter): void {
  let response = Buffer.alloc(0);
  let printed = false;
  const print = (): void => {
    if (printed) return;
    printed = true;
    reporter.status(`Server response: ${response.toString('utf8')}`);
  };
  socket.on('data', (data: Buffer) => {
    response = Buffer.concat([response, data]);
    if (!printed && responseComplete(response)) {
      print();
      whenIdle(socket, () => closeGracefully(socket));
    }
  });
  socket.on('end', () => {
    if (response.length > 0) print();
  });
}

/** close_notify and FIN; drop the connection if the server does not close in time. */
function closeGracefully(socket: SecureDuplex): void {
  if (socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}
