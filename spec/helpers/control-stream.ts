// A control connection for fault tests: seeded bytes stream both ways, continuously, until
// stop(); each direction is windowed by what its reader has taken (events, not sleeps), and
// both ends are hashed so the test can show the connection was served correctly throughout.
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { randomBytesSeeded } from './peers.js';
import { within } from './within.js';

const CHUNK = 1024;
/** Bytes a writer may be ahead of its reader. */
const WINDOW = 32 * 1024;

interface Direction {
  sent: number;
  received: number;
  sentHash: ReturnType<typeof createHash>;
  receivedHash: ReturnType<typeof createHash>;
  /** Wakes the writer when the reader has caught up, and waiters on progress. */
  wake: (() => void)[];
  running: Promise<void>;
}

export interface ControlResult {
  bytes: [number, number];
  /** sha256 of what was sent / received, per direction (a → b, b → a). */
  sent: [string, string];
  received: [string, string];
}

export class ControlStream {
  private stopped = false;
  private readonly dirs: [Direction, Direction];

  constructor(a: Duplex, b: Duplex, seed: string) {
    this.dirs = [this.direction(a, b, `${seed}/a`), this.direction(b, a, `${seed}/b`)];
  }

  private direction(from: Duplex, to: Duplex, seed: string): Direction {
    const d: Direction = {
      sent: 0, received: 0, sentHash: createHash('sha256'), receivedHash: createHash('sha256'), wake: [], running: Promise.resolve(),
    };
    to.on('data', (chunk: Buffer) => {
      d.received += chunk.length;
      d.receivedHash.update(chunk);
      for (const w of d.wake.splice(0)) w();
    });
    const caughtUp = (): Promise<void> =>
      new Promise((resolve, reject) => {
        if (from.destroyed || to.destroyed) reject(new Error('control connection closed'));
        else d.wake.push(resolve);
      });
    d.running = (async () => {
      for (let n = 0; !this.stopped; n++) {
        const chunk = randomBytesSeeded(`${seed}/${n}`, CHUNK);
        d.sentHash.update(chunk);
        d.sent += chunk.length;
        from.write(chunk);
        while (d.sent - d.received > WINDOW) await caughtUp();
      }
      while (d.received < d.sent) await caughtUp();
    })();
    return d;
  }

  /** Bytes received so far over both directions. */
  get received(): number {
    return this.dirs[0].received + this.dirs[1].received;
  }

  /** Resolves once both directions have delivered `bytes` more than now: the connection is
   *  being served. */
  async progress(bytes: number, what: string): Promise<void> {
    await Promise.all(this.dirs.map(async (d) => {
      const target = d.received + bytes;
      while (d.received < target) {
        await within(new Promise<void>((r) => d.wake.push(r)), `${what}: control connection progress`);
      }
    }));
  }

  /** Stop writing; resolves when everything written has arrived. */
  async stop(): Promise<ControlResult> {
    this.stopped = true;
    await within(Promise.all(this.dirs.map((d) => d.running)), 'control connection: the last bytes');
    const [x, y] = this.dirs;
    return {
      bytes: [x.sent, y.sent],
      sent: [x.sentHash.digest('hex'), y.sentHash.digest('hex')],
      received: [x.receivedHash.digest('hex'), y.receivedHash.digest('hex')],
    };
  }
}
