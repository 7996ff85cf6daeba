// `secure-duplex demo` (what `npm start` runs): an echo server and a client in one process on
// loopback. They exchange a few messages, then the client streams random data for a few seconds
// while the client and the server take turns starting renegotiations; at the end the SHA-256
// of everything sent and received is compared in both directions.
import { createHash, randomBytes, randomInt, type Hash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type SecureDuplex } from '../lib/index.js';
import { generateCertificate } from '../lib/crypto/certificate-generator.js';
import { parseArgs, UsageError, type FlagSpec } from './args.js';
import { errorLine, Reporter } from './status.js';
import { HELP_FLAG } from './tls-options.js';

export const DEMO_FLAGS: readonly FlagSpec[] = [
  { long: 'seconds', value: 'required', valueName: 'N', description: 'how long to stream data while renegotiating (default 5)' },
  { short: 'u', long: 'dtls', description: 'DTLS 1.2 over UDP: messages within one datagram each, paced (UDP has no flow control)' },
  HELP_FLAG,
];

export const DEMO_SYNOPSIS = 'secure-duplex demo [--seconds N] [-u]';

const GREETINGS = ['hello from the client', 'renegotiation is coming', 'stay in sync'];
const RENEGOTIATE_EVERY_MS = 250;
const PROGRESS_EVERY_MS = 500;
const MAX_CHUNK = 32 * 1024;
/** -u: the largest message (within one datagram at the default MTU, docs/dtls.md), and how
 *  many bytes may be on their way before the client waits for the echo (UDP has no flow control). */
const DTLS_MAX_CHUNK = 1100;
const DTLS_WINDOW = 32 * 1024;
/** The live line is cut to this width (or the terminal's, if narrower). */
const LINE_WIDTH = 80;

/** Bytes and a running SHA-256 for one direction as one side sees it. */
class Tally {
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  add(data: Buffer): void {
    this.bytes += data.length;
    this.hash.update(data);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

export async function runDemo(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, DEMO_FLAGS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const seconds = args.integer('seconds', 5, 3600);
  const dtls = args.has('dtls');
  const transport = dtls ? { transport: 'udp' as const } : {};
  const reporter = new Reporter();
  const failures: string[] = [];
  const fail = (what: string): void => {
    if (!failures.includes(what)) failures.push(what);
  };

  const cert = generateCertificate({ keyType: 'ec-p256', commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });
  reporter.status('certificate: generated self-signed ECDSA P-256 for localhost, 127.0.0.1');
  reporter.status(`fingerprint: SHA256 ${cert.fingerprint256}`);
  // Both sides accept renegotiations from the other, without node's 3-per-10-minutes cap.
  const renegotiation = { allowRenegotiation: true, renegotiationLimit: Number.POSITIVE_INFINITY };

  // Counters, per side and direction.
  const clientSent = new Tally();
  const clientReceived = new Tally();
  const serverReceived = new Tally();
  const serverSent = new Tally();
  const midRenegotiation = { client: 0, server: 0 };
  const renegotiations = { client: 0, server: 0 };

  let serverSocket: SecureDuplex | undefined;
  let resolveServerSocket!: (s: SecureDuplex) => void;
  const serverSocketReady = new Promise<SecureDuplex>((r) => (resolveServerSocket = r));
  const server = createServer({ cert: cert.certPem, key: cert.keyPem, ...renegotiation, ...transport }, (socket) => {
    serverSocket = socket;
    socket.on('renegotiationData', (n: number) => (midRenegotiation.server += n));
    // Echo without pausing the reader: a paused reader could leave a renegotiation's last
    // flight unread while our echo waits for that very renegotiation to finish.
    socket.on('data', (data: Buffer) => {
      serverReceived.add(data);
      serverSent.add(data);
      socket.write(data);
    });
    socket.on('error', (err) => fail(`server: ${errorLine(err)}`));
    resolveServerSocket(socket);
  });
  server.on('tlsClientError', (err: Error) => fail(`server handshake: ${errorLine(err)}`));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  if (dtls) reporter.status('transport: DTLS 1.2 over UDP');
  reporter.status(`listening: 127.0.0.1:${port}`);

  const client = connect({ host: '127.0.0.1', port, ca: cert.certPem, ...renegotiation, ...transport });
  const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.on('error', (err) => fail(`client: ${errorLine(err)}`));
  client.on('renegotiationData', (n: number) => (midRenegotiation.client += n));
  client.on('renegotiated', (info: { initiator: 'local' | 'peer' }) => {
    if (info.initiator === 'local') renegotiations.client++;
    else renegotiations.server++;
  });
  let waiter: { bytes: number; resolve: () => void } | undefined;
  client.on('data', (data: Buffer) => {
    clientReceived.add(data);
    if (waiter && clientReceived.bytes >= waiter.bytes) {
      const w = waiter;
      waiter = undefined;
      w.resolve();
    }
  });
  const received = (bytes: number): Promise<void> =>
    clientReceived.bytes >= bytes ? Promise.resolve() : new Promise((resolve) => (waiter = { bytes, resolve }));

  const guard = setTimeout(() => {
    fail(`timed out after ${seconds + 30} s`);
    client.destroy();
    serverSocket?.destroy();
  }, (seconds + 30) * 1000);

  let progress: { stop: () => void } | undefined;
  let renegotiator: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) => client.once('secureConnect', () => resolve())),
      clientClosed.then(() => Promise.reject(new Error('connection closed before the handshake completed'))),
    ]);
    reporter.connection(client);
    const serverSide = await serverSocketReady;

    // A few messages, each echoed back.
    for (const text of GREETINGS) {
      const before = clientReceived.bytes;
      const data = Buffer.from(text);
      clientSent.add(data);
      client.write(data);
      await Promise.race([received(before + data.length), clientClosed]);
      reporter.status(`client: sent "${text}", echoed back`);
    }

    reporter.status(`demo: streaming random data for ${seconds} s, client and server renegotiating in turn`);
    reporter.status('demo: time | client→server / server→client | renegotiations | mid-renegotiation');
    const started = Date.now();
    progress = progressPrinter(() =>
      `demo ${((Date.now() - started) / 1000).toFixed(1)} s | ${size(serverReceived.bytes)} / ${size(clientReceived.bytes)} | ` +
      `reneg ${renegotiations.client + renegotiations.server} | mid ${size(midRenegotiation.client + midRenegotiation.server)}`);

    let clientTurn = true;
    renegotiator = setInterval(() => {
      if (client.destroyed || serverSide.destroyed) return;
      if (client.engine.handshaking || serverSide.engine.handshaking) return;
      const side = clientTurn ? client : serverSide;
      const who = clientTurn ? 'client' : 'server';
      clientTurn = !clientTurn;
      side.renegotiate({}, (err) => {
        if (err) fail(`${who} renegotiation: ${errorLine(err)}`);
      });
    }, RENEGOTIATE_EVERY_MS);

    const deadline = started + seconds * 1000;
    while (Date.now() < deadline && failures.length === 0 && !client.destroyed) {
      const chunk = randomBytes(randomInt(1, (dtls ? DTLS_MAX_CHUNK : MAX_CHUNK) + 1));
      clientSent.add(chunk);
      if (!client.write(chunk)) {
        await Promise.race([new Promise((r) => client.once('drain', r)), clientClosed]);
      }
      if (dtls && clientSent.bytes - clientReceived.bytes > DTLS_WINDOW) {
        await Promise.race([received(clientSent.bytes - DTLS_WINDOW / 2), clientClosed]);
      }
    }
    clearInterval(renegotiator);

    // Let a renegotiation under way finish, collect the last echoes, then close.
    await Promise.race([received(clientSent.bytes), clientClosed]);
    while ((client.engine.handshaking || serverSide.engine.handshaking) && !client.destroyed) {
      await new Promise((r) => setTimeout(r, 20));
    }
    progress.stop();
    progress = undefined;
    client.end();
    await clientClosed;
  } catch (e) {
    fail(errorLine(e));
  } finally {
    clearTimeout(guard);
    clearInterval(renegotiator);
    progress?.stop();
    client.destroy();
    serverSocket?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reporter.status(`demo: renegotiations ${renegotiations.client + renegotiations.server} (client-initiated ${renegotiations.client}, server-initiated ${renegotiations.server})`);
  reporter.status(`demo: received mid-renegotiation: client ${size(midRenegotiation.client)}, server ${size(midRenegotiation.server)}`);
  const directions: [string, Tally, Tally][] = [
    ['client→server', clientSent, serverReceived],
    ['server→client', serverSent, clientReceived],
  ];
  const sentDigests = new Map<Tally, string>();
  const digest = (t: Tally): string => {
    let d = sentDigests.get(t);
    if (d === undefined) sentDigests.set(t, (d = t.digest()));
    return d;
  };
  for (const [name, sent, got] of directions) {
    const same = sent.bytes === got.bytes && digest(sent) === digest(got);
    reporter.status(same
      ? `demo: ${name} ${size(sent.bytes)} sent and received, sha256 ${digest(sent).slice(0, 16)}… match`
      : `demo: ${name} MISMATCH: sent ${sent.bytes} B sha256 ${digest(sent).slice(0, 16)}…, received ${got.bytes} B sha256 ${digest(got).slice(0, 16)}…`);
    if (!same) fail(`${name} data differs`);
  }
  // The echo: what came back is what the client sent.
  if (digest(clientSent) !== digest(clientReceived)) fail('echoed data differs from the data sent');
  if (renegotiations.client + renegotiations.server === 0 && seconds > 0) fail('no renegotiation completed');

  if (failures.length > 0) {
    reporter.status(`demo: FAILED ${failures.join('; ')}`);
    return 1;
  }
  reporter.status('demo: OK');
  return 0;
}

/** A byte count with a binary unit: `512 B`, `12.3 KiB`, `4.56 MiB`, `1.20 GiB`. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** A live status line at most every PROGRESS_EVERY_MS, never wider than LINE_WIDTH (or the
 *  terminal): rewritten in place on a terminal, one line each time otherwise. */
function progressPrinter(line: () => string): { stop: () => void } {
  const tty = process.stdout.isTTY === true;
  const width = Math.min(LINE_WIDTH, tty && process.stdout.columns ? process.stdout.columns - 1 : LINE_WIDTH);
  let last = '';
  const print = (): void => {
    last = line().slice(0, width);
    process.stdout.write(tty ? `\r\x1b[K${last}` : `${last}\n`);
  };
  const timer = setInterval(print, PROGRESS_EVERY_MS);
  return {
    stop: () => {
      clearInterval(timer);
      print();
      if (tty) process.stdout.write('\n');
    },
  };
}
