// Renegotiation plumbing shared by the commands: reporting completed renegotiations, telling
// which data arrived during one, renegotiating on a timer, and waiting for one to finish.
import { ErrorCode, type SecureDuplex } from '../lib/index.js';
import type { Reporter } from './status.js';

interface RenegotiatedInfo {
  cipher?: { standardName?: string };
  initiator: 'local' | 'peer';
}

/**
 * The line wolfSSL's example programs print when a renegotiation they started (client `-i`,
 * server `-m`) has completed: their non-blocking loop (`-N`) prints
 * "NON-BLOCKING RENEGOTIATION SUCCESSFUL", the blocking call "RENEGOTIATION SUCCESSFUL"
 * (examples/client/client.c and examples/server/server.c).
 */
export function renegotiationSuccessLine(nonblocking: boolean): string {
  return nonblocking ? 'NON-BLOCKING RENEGOTIATION SUCCESSFUL' : 'RENEGOTIATION SUCCESSFUL';
}

/** Print `renegotiation: complete (<initiator>, <cipher>)` each time one completes. */
export function reportRenegotiations(socket: SecureDuplex, reporter: Reporter): void {
  socket.on('renegotiated', (info: RenegotiatedInfo) => {
    reporter.status(`renegotiation: complete (${info.initiator}, ${info.cipher?.standardName ?? 'unknown'})`);
  });
}

/**
 * Call `handler` for each chunk of application data, telling whether it arrived during a
 * renegotiation. The socket emits 'renegotiationData' (with the byte count) just before such
 * a 'data' chunk; the count is carried over in case the stream delivers it in pieces.
 */
export function onApplicationData(socket: SecureDuplex, handler: (data: Buffer, duringRenegotiation: boolean) => void): void {
  let pending = 0;
  socket.on('renegotiationData', (n: number) => {
    pending += n;
  });
  socket.on('data', (data: Buffer) => {
    const during = pending > 0;
    pending = Math.max(0, pending - data.length);
    handler(data, during);
  });
}

/**
 * Start a renegotiation; a failure is reported (and makes the exit code non-zero). When the
 * connection failed underneath it, the socket's 'error' event reports why, so that is not
 * repeated; a plain close (ECONNRESET, "connection closed during renegotiation") is reported
 * unless `quietOnClose` (periodic renegotiations, where the peer may close at any moment).
 */
export function startRenegotiation(
  socket: SecureDuplex,
  reporter: Reporter,
  then?: (ok: boolean) => void,
  quietOnClose = false,
): void {
  if (socket.engine.handshaking) {
    // -m and -i (or a timer tick) can meet: let the renegotiation under way finish, then start ours.
    socket.once('renegotiated', () => startRenegotiation(socket, reporter, then, quietOnClose));
    return;
  }
  socket.renegotiate({}, (err) => {
    if (err) {
      // A renegotiation cut short because the connection is closing (ECONNRESET) is news only
      // when asked for explicitly; any other failure is reported unless the socket is gone.
      const plainClose = (err as { code?: string }).code === ErrorCode.SOCKET_CLOSED;
      if (plainClose ? !quietOnClose : !socket.destroyed) reporter.error(err);
    }
    then?.(!err);
  });
}

/** --renegotiate-every MS: renegotiate at that interval while the connection is up. A tick that
 *  finds a handshake still running is skipped. Returns a function that stops the timer. */
export function renegotiateEvery(socket: SecureDuplex, ms: number, reporter: Reporter): () => void {
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable || socket.readableEnded || socket.engine.handshaking) return;
    startRenegotiation(socket, reporter, undefined, true);
  }, ms);
  const stop = (): void => clearInterval(timer);
  socket.once('close', stop);
  socket.once('end', stop);
  socket.once('finish', stop);
  return stop;
}

/** Call `cb` once no renegotiation is in progress (or after `limitMs`, or when the socket closes):
 *  used before closing so a renegotiation under way can complete. */
export function whenIdle(socket: SecureDuplex, cb: () => void, limitMs = 10_000): void {
  const started = Date.now();
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    clearInterval(timer);
    socket.removeListener('close', finish);
    cb();
  };
  const check = (): void => {
    if (socket.destroyed || !socket.engine.handshaking || Date.now() - started >= limitMs) finish();
  };
  const timer = setInterval(check, 20);
  socket.once('close', finish);
  check();
}
