/**
 * Launchers for gnutls-serv and gnutls-cli (GnuTLS 3.7.9 measured; see docs/peers.md).
 *
 * gnutls-serv
 * - Has NO option to choose the bind address: it listens on 0.0.0.0 and :: (port from -p).
 *   With -p 0 the two sockets get different kernel-chosen ports, and it prints "port 0".
 * - Prints on stderr "Echo Server listening on IPv4 0.0.0.0 port N...done" (TLS echo),
 *   "UDP Echo Server listening on IPv4 ..." (--udp --echo), "HTTP Server listening on IPv4 ..."
 *   (default mode, no --echo: answers a GET with an HTML status page), then the same for IPv6.
 *   IPv4 comes first, so the IPv4 line means 127.0.0.1 works.
 * - Without --priority it negotiates TLS 1.3: the launchers pin
 *   "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-DTLS1.2".
 * - It requests a client certificate by default; the launcher passes --disable-client-cert
 *   unless requestClientCert is set.
 * - --echo is text only: random binary came back EMPTY; a received chunk ending in "\r\n" is
 *   echoed ending in "\n" (only the chunk's end is changed; "a\r\nb\r\n" came back "a\r\nb\n").
 *   Per-connection details go to stdout (block buffered), received data is logged on stderr
 *   ("received cmd: ...", "*** Processing N bytes command: ...").
 *
 * gnutls-cli
 * - Without --logfile, stdout = session details, then "- Handshake was completed\n\n- Simple
 *   Client Mode:\n\n", then the received data (flushed at once; byte-exact after that marker).
 *   With --rehandshake, the renegotiation follows "- Simple Client Mode:": certificate and
 *   session details again, then "- ReHandshake was completed\n", then data (TLS and DTLS).
 *   But when the SERVER renegotiates, gnutls-cli prints "*** Received rehandshake request",
 *   certificate details and "*** Rehandshake was performed." on stdout among the data (and
 *   "*** Non fatal error: Rehandshake was requested by the peer." on stderr); when the server
 *   closes with close_notify it appends "- Peer has closed the GnuTLS connection" to stdout
 *   (without one: "*** Fatal error: The TLS connection was non-properly terminated." on
 *   stderr, exit 1).
 * - With --logfile FILE, stdout is pure data (1 MiB random both ways vs openssl s_server,
 *   byte-exact) but the log file is block-buffered: it stays EMPTY until gnutls-cli exits.
 *   "--logfile /dev/stderr" fails ("Unable to open '/dev/stderr'!") when stderr is a pipe.
 * - stdin is sent as-is (no command parsing unless --inline-commands).
 * - Without --x509cafile it fails ("The certificate issuer is unknown", exit 1); --insecure and
 *   --no-ca-verification both connect to a self-signed server. Connecting to 127.0.0.1 verifies
 *   against the certificate's IP SAN.
 * - TCP: stdin EOF makes it close and exit 0 within a few ms (wait for the data first).
 *   UDP (--udp): it did NOT exit within 2 s of stdin EOF: kill it.
 */
import * as path from 'node:path';
import { isConnected } from './proc-sockets.js';
import { peersTmpDir, startListeningPeer, startPeer, type ListeningPeer, type PeerProcess } from './peer-process.js';

/** TLS 1.2 and DTLS 1.2 only (gnutls otherwise picks TLS 1.3). */
export const GNUTLS_TLS12_PRIORITY = 'NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-DTLS1.2';

export interface GnutlsServerOptions {
  /** Default 0: any free port (the result's `port`). */
  port?: number;
  cert: string;
  key: string;
  /** --echo (text only, see header). Default false: the HTTP status-page server. */
  echo?: boolean;
  /** --udp: DTLS. */
  udp?: boolean;
  /** --priority; default GNUTLS_TLS12_PRIORITY. */
  priority?: string;
  /** Default false: --disable-client-cert (gnutls-serv asks for one by default). */
  requestClientCert?: boolean;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

/**
 * gnutls-serv on port (all addresses: gnutls-serv cannot bind 127.0.0.1 only). Serves any
 * number of connections until killed. Ready on "... listening on IPv4 ... port N...done" once
 * its IPv4 socket is bound. With `-p 0` it prints "port 0", not the port it got, and its IPv4
 * and IPv6 sockets get different ports: the IPv4 one is read from its socket.
 */
export function gnutlsServer(o: GnutlsServerOptions): Promise<ListeningPeer> {
  const args = ['-p', String(o.port ?? 0), '--x509certfile', o.cert, '--x509keyfile', o.key, '--priority', o.priority ?? GNUTLS_TLS12_PRIORITY];
  if (o.echo) args.push('--echo');
  if (o.udp) args.push('--udp');
  if (!o.requestClientCert) args.push('--disable-client-cert');
  args.push(...(o.extraArgs ?? []));
  return startListeningPeer('gnutls-serv', args, o.udp ? 'udp' : 'tcp', o.port ?? 0, {
    ready: /listening on IPv4 \S+ port \d+\.\.\.done/,
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

export interface GnutlsClientOptions {
  port: number;
  /** --x509cafile. Without it the launcher passes --insecure (no verification). */
  ca?: string;
  udp?: boolean;
  /** --rehandshake: renegotiate right after the handshake ("- ReHandshake was completed"). */
  rehandshake?: boolean;
  /** --priority; default GNUTLS_TLS12_PRIORITY. */
  priority?: string;
  /** --sni-hostname */
  servername?: string;
  /**
   * false (default): session details on stdout, split off into preamble() at
   * "- Simple Client Mode:\n\n" (with rehandshake: at "- ReHandshake was completed\n", which
   * follows "- Simple Client Mode:" and the new session's details); resolves after the
   * handshake (and the rehandshake); live messages. BUT if the server renegotiates, gnutls-cli prints "*** Received rehandshake
   * request", certificate details and "*** Rehandshake was performed." INTO stdout, among the
   * data, and after a close_notify it appends "- Peer has closed the GnuTLS connection".
   * true: --logfile FILE: stdout is exactly the data, always; but the log is block-buffered by
   * gnutls-cli, so log() is empty until it exits; resolves once its socket is connected (the
   * handshake may still be running; stdin written meanwhile waits in the pipe).
   */
  logFile?: boolean;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

let logSeq = 0;

/** The marker after which gnutls-cli's stdout carries the received data. */
export const GNUTLS_CLI_DATA_MARKER = '- Simple Client Mode:\n\n';
/** With --rehandshake the renegotiation's details follow "- Simple Client Mode:", ending in this. */
export const GNUTLS_CLI_REHANDSHAKE_DATA_MARKER = '- ReHandshake was completed\n';

/** gnutls-cli to 127.0.0.1:port, TLS 1.2 (DTLS 1.2 with udp). See GnutlsClientOptions.logFile. */
export function gnutlsClient(o: GnutlsClientOptions): Promise<PeerProcess> {
  const args = ['-p', String(o.port), '--priority', o.priority ?? GNUTLS_TLS12_PRIORITY];
  const logFile = o.logFile ? path.join(peersTmpDir(), `gnutls-cli-${process.pid}-${++logSeq}.log`) : undefined;
  if (logFile) args.push('--logfile', logFile);
  args.push(...(o.ca ? ['--x509cafile', o.ca] : ['--insecure']));
  if (o.udp) args.push('--udp');
  if (o.rehandshake) args.push('--rehandshake');
  if (o.servername) args.push('--sni-hostname', o.servername);
  args.push(...(o.extraArgs ?? []), '127.0.0.1');
  return startPeer('gnutls-cli', args, {
    ready: logFile
      ? (_out, p) => isConnected(p.pid, o.port, o.udp ? 'udp' : 'tcp')
      : o.rehandshake
        ? /^- ReHandshake was completed$/m
        : /^- Simple Client Mode:$/m,
    readyTimeoutMs: o.readyTimeoutMs,
    logFile,
    stdoutPreamble: logFile ? undefined : o.rehandshake ? GNUTLS_CLI_REHANDSHAKE_DATA_MARKER : GNUTLS_CLI_DATA_MARKER,
  });
}
