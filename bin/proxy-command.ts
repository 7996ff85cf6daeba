// Terminating proxy, both ends (docs/cli.md, "Proxy"):
// - `server --forward HOST:PORT`: each TLS connection is piped as plaintext into a TCP
//   connection to the backend, both ways;
// - `client --listen PORT`: plain TCP accepted on 127.0.0.1:PORT, each connection carried over
//   a new TLS connection to -h/-p (stunnel's client mode).
// Over DTLS (-u) both ends carry datagrams instead (bin/datagram-proxy.ts): a byte stream over
// DTLS would lose bytes silently with every lost datagram, so it is refused.
import { connect as netConnect, createServer as netCreateServer, isIP, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { connect, type ConnectOptions, type SecureDuplex } from '../lib/index.js';
import { UsageError, type FlagSpec, type ParsedArgs } from './args.js';
import { renegotiateEvery, reportRenegotiations, startRenegotiation, whenIdle } from './renegotiation.js';
import type { Reporter } from './status.js';

export const FORWARD_FLAG: FlagSpec = {
  long: 'forward', value: 'required', valueName: '[tcp:|udp:]HOST:PORT',
  description: 'terminating proxy: pipe each connection\'s plaintext to a backend at HOST:PORT, both ways (TCP; with -u, UDP datagrams)',
};

export const LISTEN_FLAG: FlagSpec = {
  long: 'listen', value: 'required', valueName: '[tcp:|udp:]PORT',
  description: 'proxy: accept plain TCP on 127.0.0.1:PORT (with -u: UDP datagrams) and carry each connection over a secure connection to -h/-p',
};

type ProxyProtocol = 'tcp' | 'udp';

/**
 * The protocol prefix of a --forward / --listen value (`tcp:` or `udp:`; by default the one that
 * matches the secure side: TCP for TLS, UDP for DTLS) and the rest. A byte stream over DTLS is
 * refused: DTLS does not retransmit application data (RFC 6347 §4.1.2.7 drops what it cannot
 * deliver), so every lost datagram would be a silent gap in the stream.
 */
export function proxyEndpoint(text: string, flag: string, dtls: boolean): string {
  const m = /^(tcp|udp):(.*)$/i.exec(text);
  const protocol: ProxyProtocol = m ? (m[1]!.toLowerCase() as ProxyProtocol) : dtls ? 'udp' : 'tcp';
  const rest = m ? m[2]! : text;
  if (dtls && protocol === 'tcp') {
    throw new UsageError(`${flag} ${text} with -u: a TCP stream cannot be carried over DTLS without silent gaps (DTLS does not retransmit lost datagrams). ` +
      `Drop -u to carry TCP over TLS, or forward a UDP service (${flag} udp:${rest})`, 'ERR_DTLS_STREAM_REFUSED');
  }
  if (!dtls && protocol === 'udp') {
    throw new UsageError(`${flag} ${text} needs -u: datagrams keep their boundaries only over DTLS (add -u on both sides)`);
  }
  return rest;
}

/** The proxy modes' status line naming the crypto provider (--crypto). */
export function cryptoLine(provider: ConnectOptions['cryptoProvider']): string {
  return provider === 'node' ? 'crypto: node (node:crypto)' : 'crypto: noble (pure JavaScript)';
}

/** After one side has closed, how long the other may take to finish before it is dropped. */
const CLOSE_GRACE_MS = 5_000;

export interface HostPort {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[v6]:PORT` or `PORT` (host 127.0.0.1). */
export function parseHostPort(text: string, flag: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) {
    throw new UsageError(`${flag} expects HOST:PORT (port 1-65535), got ${JSON.stringify(text)}`);
  }
  const bracketed = m[1] || undefined;
  if (bracketed !== undefined && isIP(bracketed) !== 6) throw new UsageError(`${flag}: ${JSON.stringify(bracketed)} is not an IPv6 address`);
  return { host: bracketed ?? (m[2] || '127.0.0.1'), port };
}

export function displayHostPort(target: HostPort): string {
  return isIP(target.host) === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/**
 * Copy `from` into `to` with backpressure; `onEnd` runs when `from` ends. Not pipe(): a
 * destination that has ended or gone is skipped instead of raising write-after-end errors.
 */
function relay(from: Readable, to: Writable, onEnd: () => void): void {
  let waiting = false;
  from.on('data', (chunk: Buffer) => {
    if (to.writableEnded || to.destroyed) return;
    const ok = to.write(chunk);
    if (!ok && !waiting) {
      waiting = true;
      from.pause();
      to.once('drain', () => {
        waiting = false;
        from.resume();
      });
    }
  });
  from.once('end', onEnd);
  from.resume(); // a socket accepted with pauseOnConnect does not start flowing by itself
}

/** End the plain side (FIN) once its queued bytes are written; drop it if it lingers. */
function endPlain(plain: Socket): void {
  if (plain.destroyed) return;
  if (!plain.writableEnded) plain.end();
  setTimeout(() => plain.destroy(), CLOSE_GRACE_MS).unref();
}

/** End the secure side with close_notify once no renegotiation is running (the peer could not
 *  finish one after our close_notify); drop it if the peer does not close in time. */
function endSecure(secure: SecureDuplex): void {
  if (secure.destroyed || secure.writableEnded) return;
  whenIdle(secure, () => {
    if (secure.destroyed || secure.writableEnded) return;
    secure.end();
    setTimeout(() => secure.destroy(), CLOSE_GRACE_MS).unref();
  });
}

/**
 * Pipe a secured connection and a plain TCP socket into each other. When one side ends, the
 * other is ended once what it has queued is written; when one side fails or closes, the other
 * is ended too. `plainFailure` reports the plain side's errors (the secure side's are reported
 * by the caller's 'error' listener).
 */
function splice(secure: SecureDuplex, plain: Socket, plainFailure: (err: Error) => void): void {
  relay(secure, plain, () => endPlain(plain));
  relay(plain, secure, () => endSecure(secure));
  plain.on('error', (err) => {
    plainFailure(err);
    endSecure(secure);
  });
  plain.once('close', () => endSecure(secure));
  secure.once('close', () => endPlain(plain));
}

/** server --forward: connect this secured connection to the backend. */
export function forwardConnection(secure: SecureDuplex, target: HostPort, reporter: Reporter): void {
  const backend = netConnect({ host: target.host, port: target.port });
  // Until the backend answers, bytes from the client wait in the backend socket's buffer.
  splice(secure, backend, (err) => {
    const e = err as NodeJS.ErrnoException;
    const what = e.syscall === 'connect' ? 'unreachable' : 'failed';
    reporter.error(Object.assign(new Error(`backend ${displayHostPort(target)} ${what}: ${e.message}`), { code: e.code ?? 'ERR_BACKEND' }));
  });
}

export interface ListenProxyOptions {
  listenPort: number;
  /** connect() options for the secure side (host, port, trust, -u...). */
  connect: ConnectOptions;
  /** 0: serve until killed. */
  connections: number;
  renegotiateAfterHandshake: boolean;
  everyMs: number | undefined;
  keylog: ((line: Buffer) => void) | undefined;
}

/** client --listen over TLS: resolves with the exit code after -C connections (never without -C). */
export function runListenProxy(o: ListenProxyOptions, reporter: Reporter): Promise<number> {
  const upstream = displayHostPort({ host: o.connect.host ?? '127.0.0.1', port: o.connect.port ?? 0 });
  let accepted = 0;
  return new Promise<number>((resolve, reject) => {
    // Paused until the secure connection is up; half-open so that the reply to a client that
    // has sent FIN can still come back.
    const server = netCreateServer({ pauseOnConnect: true, allowHalfOpen: true }, (plain) => {
      accepted++;
      if (o.connections > 0 && accepted >= o.connections) {
        server.close(() => setImmediate(() => resolve(reporter.failed ? 1 : 0)));
      }
      let spliced = false;
      const secure = connect(o.connect, () => {
        reporter.connection(secure);
        if (o.everyMs !== undefined) renegotiateEvery(secure, o.everyMs, reporter);
        if (o.renegotiateAfterHandshake) startRenegotiation(secure, reporter);
        if (plain.destroyed) {
          endSecure(secure);
          return;
        }
        spliced = true;
        splice(secure, plain, (err) => reporter.error(err));
      });
      if (o.keylog) secure.on('keylog', o.keylog);
      reportRenegotiations(secure, reporter);
      secure.on('error', (err) => reporter.error(err));
      // Until the handshake completes: a failed secure connection closes the accepted one, and
      // a client that goes away abandons the handshake.
      secure.once('close', () => {
        if (!spliced) plain.destroy();
      });
      plain.once('close', () => {
        if (!spliced) secure.destroy();
      });
      plain.on('error', () => undefined); // reported once spliced; before that, 'close' follows
    });
    server.once('error', (err: Error) => reject(err));
    server.listen(o.listenPort, '127.0.0.1', () => {
      const addr = server.address();
      if (addr && typeof addr === 'object') {
        reporter.status(`listening: ${addr.address}:${addr.port}`);
        reporter.status(`forwarding: to ${upstream} over TLS`);
        reporter.status(cryptoLine(o.connect.cryptoProvider));
      }
    });
  });
}

/** --listen [tcp:|udp:]PORT, or undefined without it. */
export function listenPort(args: ParsedArgs): number | undefined {
  if (!args.has('listen')) return undefined;
  const text = proxyEndpoint(args.string('listen') ?? '', '--listen', args.has('dtls'));
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`--listen expects a port (0-65535), got ${JSON.stringify(args.string('listen'))}`);
  return Number(text);
}
