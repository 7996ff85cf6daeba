// Streaming for the throughput figures: a sender that keeps the socket full (respecting
// backpressure) and a receiver that counts bytes over a time window.
import type { Duplex } from 'node:stream';

/** Bytes counted and the time they took, from the receiving side. */
export interface Window {
  bytes: number;
  ms: number;
}

export function mibPerSecond(w: Window): number {
  return w.bytes / (1024 * 1024) / (w.ms / 1000);
}

/** Count what `socket` receives over `window` ms, the window opening `warmup` ms after the
 *  first byte. The socket keeps flowing afterwards so the sender never stalls on it. */
export function measureReceive(socket: Duplex, warmup: number, window: number): Promise<Window> {
  return new Promise((resolve, reject) => {
    let first: number | undefined;
    let t0: number | undefined;
    let bytes = 0;
    const onData = (d: Uint8Array): void => {
      const now = performance.now();
      first ??= now;
      if (now - first < warmup) return;
      if (t0 === undefined) {
        t0 = now; // bytes of this chunk arrived before the window opened
        return;
      }
      bytes += d.length;
      if (now - t0 >= window) {
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.resume();
        resolve({ bytes, ms: now - t0 });
      }
    };
    const onClose = (): void => reject(new Error('connection closed before the measurement window ended'));
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Resolves on 'drain' or 'close', whichever comes first. */
export function drained(socket: Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** Write `chunk` back to back until `stop()` says so or the socket is gone. */
export async function streamUntil(socket: Duplex, chunk: Uint8Array, stop: () => boolean): Promise<void> {
  while (!stop() && !socket.destroyed) {
    if (!socket.write(chunk)) await drained(socket);
  }
}
