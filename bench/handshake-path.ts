// Handshakes back to back to profile the handshake path (docs/performance.md, "Handshakes"):
// both ends in this process, one stack, one kind of handshake; prints handshakes per second of
// wall time and per CPU-second of this process (the second holds still on a busy machine).
// Warm-up and measurement are counted in handshakes.
//
//   node --cpu-prof --cpu-prof-dir=prof dist/bench/handshake-path.js native full ecdsa X25519 400
//   node dist/bench/handshake-path.js noble ticket
//
// stack: noble | native | node:tls; kind: full (ECDHE-ECDSA or ECDHE-RSA by the certificate),
// ticket (resumed by RFC 5077 ticket), id (resumed by session ID: the server issues no
// tickets), psk (PSK-AES128-GCM-SHA256), reneg (client renegotiations of one idle
// connection); certificate: ecdsa | rsa; group: X25519 | P-256; then the number measured (as
// many again run first, as warm-up).
import { makeCredentials } from './credentials.js';
import { dial, listen, shut, STACKS, type AnySocket, type ConnectionSpec, type Stack } from './stacks.js';

const KINDS = ['full', 'ticket', 'id', 'psk', 'reneg'] as const;
type Kind = (typeof KINDS)[number];

function renegotiate(c: AnySocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!c.renegotiate({}, (err) => (err ? reject(err) : resolve()))) reject(new Error('renegotiate() returned false'));
  });
}

async function main(argv: string[]): Promise<number> {
  const [stackArg = 'native', kindArg = 'full', certArg = 'ecdsa', groupArg = 'X25519', countArg = '200'] = argv;
  const stack = STACKS.find((s) => s === stackArg) as Stack | undefined;
  const kind = KINDS.find((k) => k === kindArg) as Kind | undefined;
  const count = Number(countArg);
  if (stack === undefined || kind === undefined || (certArg !== 'ecdsa' && certArg !== 'rsa')
    || (groupArg !== 'X25519' && groupArg !== 'P-256') || !(count > 0)) {
    console.error(`usage: handshake-path.js ${STACKS.join('|')} ${KINDS.join('|')} ecdsa|rsa X25519|P-256 [COUNT]`);
    return 2;
  }
  const credentials = makeCredentials(certArg === 'rsa' ? 'rsa-2048' : 'ecdsa-p256');
  const spec: ConnectionSpec = {
    ciphers: kind === 'psk' ? 'PSK-AES128-GCM-SHA256' : certArg === 'rsa' ? 'ECDHE-RSA-AES128-GCM-SHA256' : 'ECDHE-ECDSA-AES128-GCM-SHA256',
    credentials,
    group: kind === 'psk' ? undefined : groupArg,
    noTickets: kind === 'id',
  };
  const { server, port } = await listen(stack, spec, (s) => s.resume());
  if (kind === 'id' && stack === 'node:tls') {
    // node:tls keeps no session cache of its own: the application's, by these events.
    const cache = new Map<string, Buffer>();
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => { cache.set(id.toString('hex'), data); done(); });
    server.on('resumeSession', (id: Buffer, done: (e: null, data: Buffer | null) => void) => done(null, cache.get(id.toString('hex')) ?? null));
  }
  let op: () => Promise<void>;
  let cleanup = (): void => undefined;
  if (kind === 'reneg') {
    const c = await dial(stack, port, spec);
    c.setNoDelay(true);
    op = () => renegotiate(c);
    cleanup = () => c.destroy();
  } else if (kind === 'ticket' || kind === 'id') {
    const first = await dial(stack, port, spec);
    const session = first.getSession();
    first.end();
    if (session === undefined) throw new Error('getSession() returned nothing');
    const resumed = { ...spec, session: new Uint8Array(session) };
    op = async () => {
      const c = await dial(stack, port, resumed);
      const reused = c.isSessionReused();
      c.destroy();
      if (!reused) throw new Error('not resumed');
    };
  } else {
    op = async () => { (await dial(stack, port, spec)).destroy(); };
  }
  for (let i = 0; i < count; i++) await op();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await op();
    latencies.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  cleanup();
  shut(server);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  latencies.sort((a, b) => a - b);
  const median = latencies[Math.floor(count / 2)]!;
  // Handshakes that waited 30 ms or more: a stall (Nagle and delayed ACKs, a timer), not work.
  const stalled = latencies.filter((l) => l >= 30).length;
  console.log(`${stack} ${kind} ${certArg} ${groupArg}: ${(count / (ms / 1000)).toFixed(1)}/s, ${(count / cpuSeconds).toFixed(1)}/cpu-s, median ${median.toFixed(2)} ms, ${stalled} of ${count} took 30 ms or more`);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
