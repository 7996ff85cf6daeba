// Moving seeded random bytes through a SecureDuplex and hashing both ends.
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { SecureDuplex } from '../../lib/index.js';
import { seededRandom } from './deterministic-random.js';
import { within } from './within.js';

export interface SendResult {
  bytes: number;
  sha256: string;
}

/** Write `total` seeded bytes in `chunk`-sized writes, honouring backpressure. Optionally
 *  call `between(i)` after each write (to start renegotiations mid-stream). */
export async function sendSeeded(
  s: Duplex, seed: string, total: number, chunk = 16384, between?: (i: number) => void | Promise<void>,
): Promise<SendResult> {
  const rnd = seededRandom(seed);
  const h = createHash('sha256');
  let sent = 0;
  for (let i = 0; sent < total; i++) {
    const n = Math.min(chunk, total - sent);
    const buf = Buffer.from(rnd(n));
    h.update(buf);
    sent += n;
    if (!s.write(buf)) await drained(s);
    if (between) await between(i);
  }
  return { bytes: sent, sha256: h.digest('hex') };
}

/** Wait for 'drain', failing if the stream errors or closes first (so a test cannot hang). */
function drained(s: Duplex): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      s.removeListener('drain', onDrain);
      s.removeListener('error', onError);
      s.removeListener('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(e);
    const onClose = (): void => done(new Error('stream closed while writing'));
    s.on('drain', onDrain);
    s.on('error', onError);
    s.on('close', onClose);
  });
}

/** Hash everything read from `s` until `total` bytes have arrived. */
export function receiveHashed(s: Duplex, total: number): Promise<SendResult> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let got = 0;
    const onData = (d: Buffer): void => {
      h.update(d);
      got += d.length;
      if (got >= total) {
        s.removeListener('data', onData);
        resolve({ bytes: got, sha256: h.digest('hex') });
      }
    };
    s.on('data', onData);
    s.once('error', reject);
    s.once('close', () => { if (got < total) reject(new Error(`closed after ${got} of ${total} bytes`)); });
  });
}

/** `renegotiate()` on our socket, resolved when that renegotiation completed (bounded). */
export function renegotiated(s: SecureDuplex): Promise<void> {
  return within(new Promise<void>((resolve, reject) => {
    if (!s.renegotiate({}, (e) => (e ? reject(e) : resolve()))) reject(new Error('renegotiate() returned false'));
  }), 'renegotiation');
}
