/**
 * Launchers for openssl s_server and s_client (OpenSSL 3.0.19 measured; see docs/peers.md).
 *
 * openssl s_server
 * - With `-brief` (or `-quiet`) stdout is byte-exact application data: 1 MiB of random binary
 *   went through both ways and compared equal by sha256. Command letters are off in these
 *   modes (the command checks in s_server run only when neither -quiet nor -brief is given).
 * - With `-brief`/`-quiet` NOTHING is printed before a client connects (no "ACCEPT"), so
 *   readiness, and the port `-accept 127.0.0.1:0` got, come from the listening socket of that
 *   PID in /proc/net/{tcp,udp} (see listeningPort). Without them s_server prints
 *   "ACCEPT 127.0.0.1:PORT" with the port it bound. A TCP probe would use up the `-naccept 1` connection. OpenSSL binds its
 *   UDP socket with SO_REUSEADDR: two DTLS s_servers can sit on the same port, so the check
 *   matches the socket inode against /proc/PID/fd.
 * - `-brief` prints its connection summary on stderr ("Protocol version: ...",
 *   "Ciphersuite: ...") only when the handshake is driven by a read; when s_server already has
 *   stdin data queued the handshake runs inside SSL_write and NOTHING is printed. Do not wait
 *   for it.
 * - Closing s_server's stdin ends the connection (close_notify) and, with `-naccept 1`, the
 *   process exits 0 (TLS and DTLS). But while it still waits for a client, a -brief/-quiet
 *   s_server ignores stdin EOF (TLS and DTLS) and waits on: kill it. Without -quiet/-brief a
 *   DTLS s_server does exit at stdin EOF before any client came.
 * - Commands mode (no -brief/-quiet): stdout mixes diagnostics ("Using default temp DH
 *   parameters", "ACCEPT", "-----BEGIN SSL SESSION PARAMETERS-----", "SSL_do_handshake -> 1",
 *   "Read BLOCK", "DONE", "CONNECTION CLOSED" and cache statistics) with the received data.
 *   The command is decided by the FIRST BYTE OF EACH read() OF STDIN (not of each line):
 *   'q'/'Q' quit, 'P' writes plaintext into the TCP stream (kills the connection), 'S' prints
 *   statistics; 'r', 'R', 'k', 'K', 'c' only when the next byte is '\n' or '\r'. After "r\n"
 *   s_server renegotiates and prints "SSL_do_handshake -> 1" once the handshake completes.
 *   At stdin EOF it prints "DONE" and quits WITHOUT close_notify (gnutls-cli: "The TLS
 *   connection was non-properly terminated", exit 1).
 *
 * openssl s_client
 * - `-quiet` implies -ign_eof, which also disables all command letters; `-brief -nocommands`
 *   likewise sends stdin as-is (1 MiB random binary byte-exact both ways). Without -nocommands
 *   and without -ign_eof, stdin chunks starting with Q quit (we saw EPIPE on the writer).
 * - `-brief` prints "CONNECTION ESTABLISHED" then "Protocol version: TLSv1.2",
 *   "Ciphersuite: ..." on stderr after the handshake: reliable (10/10 TLS, 5/5 DTLS, even with
 *   stdin data already queued). stdout is pure data.
 * - Without -ign_eof, stdin EOF makes s_client send close_notify and exit 0 at once, dropping
 *   anything still in flight from the server: wait for the expected bytes before end().
 * - stderr always carries "Can't use SSL_get_servername" when connecting to an IP without
 *   -servername, and verify lines ("depth=0 CN = localhost", "verify return:1").
 */
import { startListeningPeer, startPeer, type ListeningPeer, type PeerProcess } from './peer-process.js';

export interface OpensslServerOptions {
  /** Default 0: s_server binds any free port; the result's `port` is the one it got. */
  port?: number;
  cert: string;
  key: string;
  /** -CAfile: trust anchors for client certificates. */
  ca?: string;
  /** Ask for a client certificate (-verify 1) or require one (-Verify 1). */
  verifyClient?: 'request' | 'require';
  /** -cipher (TLS 1.2 cipher list). */
  cipher?: string;
  dtls?: boolean;
  /** -naccept; default 1 (the process exits after that many connections). */
  naccept?: number;
  /**
   * false (default): `-brief`, stdout = exactly the bytes received, stdin = bytes to send,
   * no command letters. true: no -brief, stdin lines are commands (write "r\n" to
   * renegotiate; see the header comment) and stdout mixes diagnostics with the data.
   */
  commands?: boolean;
  /** -client_renegotiation (OpenSSL 3 refuses client-initiated renegotiation without it). */
  clientRenegotiation?: boolean;
  /** -keylogfile */
  keylog?: string;
  extraArgs?: string[];
  readyTimeoutMs?: number;
}

/**
 * openssl s_server on 127.0.0.1 (`-accept 127.0.0.1:0` unless a port is given), TLS 1.2 (or
 * DTLS 1.2). Ready once its socket is bound; `-brief` prints no ACCEPT line, so the port it got
 * is read from its socket (see startListeningPeer).
 */
export function opensslServer(o: OpensslServerOptions): Promise<ListeningPeer> {
  const args = ['s_server', '-accept', `127.0.0.1:${o.port ?? 0}`, o.dtls ? '-dtls1_2' : '-tls1_2', '-cert', o.cert, '-key', o.key];
  args.push('-naccept', String(o.naccept ?? 1));
  if (!o.commands) args.push('-brief');
  if (o.ca) args.push('-CAfile', o.ca);
  if (o.verifyClient) args.push(o.verifyClient === 'require' ? '-Verify' : '-verify', '1');
  if (o.cipher) args.push('-cipher', o.cipher);
  if (o.clientRenegotiation) args.push('-client_renegotiation');
  if (o.keylog) args.push('-keylogfile', o.keylog);
  args.push(...(o.extraArgs ?? []));
  return startListeningPeer('openssl', args, o.dtls ? 'udp' : 'tcp', o.port ?? 0, { readyTimeoutMs: o.readyTimeoutMs });
}

export interface OpensslClientOptions {
  port: number;
  /** -CAfile + -verify_return_error: the handshake fails if the server is not trusted. */
  ca?: string;
  cipher?: string;
  /** -servername (SNI). Without it, connecting to an IP sends no SNI. */
  servername?: string;
  dtls?: boolean;
  /**
   * Keep running after stdin EOF (-ign_eof). Default false: stdin EOF sends close_notify and
   * exits at once (so wait for the expected data before end()).
   */
  ignEof?: boolean;
  /** -keylogfile */
  keylog?: string;
  extraArgs?: string[];
  /** Default: resolves after the handshake ("CONNECTION ESTABLISHED" ... "Ciphersuite: X" on stderr). */
  waitHandshake?: boolean;
  readyTimeoutMs?: number;
}

/**
 * openssl s_client to 127.0.0.1:port with `-brief -nocommands`: stdin is sent as-is, stdout is
 * exactly the bytes received. Resolves after the handshake unless waitHandshake is false.
 */
export function opensslClient(o: OpensslClientOptions): Promise<PeerProcess> {
  const args = ['s_client', '-connect', `127.0.0.1:${o.port}`, o.dtls ? '-dtls1_2' : '-tls1_2', '-brief', '-nocommands'];
  if (o.ignEof) args.push('-ign_eof');
  if (o.ca) args.push('-CAfile', o.ca, '-verify_return_error');
  if (o.cipher) args.push('-cipher', o.cipher);
  if (o.servername) args.push('-servername', o.servername);
  if (o.keylog) args.push('-keylogfile', o.keylog);
  args.push(...(o.extraArgs ?? []));
  return startPeer('openssl', args, {
    // -brief prints "CONNECTION ESTABLISHED", "Protocol version: ...", "Ciphersuite: ..." (one
    // write each) on stderr after the handshake.
    ready: o.waitHandshake === false ? () => true : /^CONNECTION ESTABLISHED\n(?:.*\n)*?Ciphersuite: \S+\n/m,
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

