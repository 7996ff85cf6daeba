// A bulk transfer to profile the record path (docs/performance.md, "Record path"): both ends in
// this process, one stack, one suite, one write size; prints MiB/s of wall time and MiB per
// CPU-second of this process. The second is the cost of the record path itself, and it holds
// still on a machine that other work keeps busy, where wall-clock rates do not. Warm-up and
// measurement are counted in bytes, not time: on a busy machine a few hundred milliseconds may
// hold almost no CPU, and the JIT would still be compiling inside the measurement.
//
//   node --cpu-prof --cpu-prof-dir=prof dist/bench/record-path.js native AES 65536
//   node dist/bench/record-path.js noble CHACHA 1024 8
//
// stack: noble | native | node:tls; suite: AES (ECDHE-ECDSA-AES128-GCM-SHA256) or CHACHA
// (ECDHE-ECDSA-CHACHA20-POLY1305); then the write size in bytes and the MiB measured (the same
// again is streamed first, as warm-up).
import { drained } from './flow.js';
import { makeCredentials } from './credentials.js';
import { dial, listen, shut, STACKS, type Stack } from './stacks.js';

const SUITES: Record<string, string> = {
  AES: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  CHACHA: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

async function main(argv: string[]): Promise<number> {
  const [stackArg = 'native', suiteArg = 'AES', sizeArg = '65536', mibArg = '64'] = argv;
  const stack = STACKS.find((s) => s === stackArg) as Stack | undefined;
  const ciphers = SUITES[suiteArg.toUpperCase()];
  const size = Number(sizeArg);
  const volume = Number(mibArg) * 1024 * 1024;
  if (stack === undefined || ciphers === undefined || !(size > 0) || !(volume > 0)) {
    console.error(`usage: record-path.js ${STACKS.join('|')} ${Object.keys(SUITES).join('|')} WRITE_BYTES [MIB]`);
    return 2;
  }
  const spec = { ciphers, credentials: makeCredentials('ecdsa-p256'), group: 'X25519' as const };
  let received = 0;
  let waiting: { bytes: number; resolve: () => void } | undefined;
  const reached = (bytes: number): Promise<void> => new Promise((resolve) => { waiting = { bytes, resolve }; });
  const { server, port } = await listen(stack, spec, (s) => s.on('data', (d: Uint8Array) => {
    received += d.length;
    if (waiting && received >= waiting.bytes) {
      const w = waiting;
      waiting = undefined;
      w.resolve();
    }
  }));
  const c = await dial(stack, port, spec);
  let done = false;
  const chunk = new Uint8Array(size).fill(7);
  const sending = (async () => {
    while (!done && !c.destroyed) if (!c.write(chunk)) await drained(c);
  })();
  await reached(volume);
  const b0 = received;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await reached(b0 + volume);
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  const mib = (received - b0) / (1024 * 1024);
  done = true;
  c.destroy();
  await sending;
  shut(server);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(`${stack} ${ciphers} ${size}-byte writes: ${(mib / (ms / 1000)).toFixed(1)} MiB/s, ${(mib / cpuSeconds).toFixed(1)} MiB/cpu-s`);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
