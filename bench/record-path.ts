// A bulk transfer to profile the record path (docs/performance.md, "Record path"): both ends in
// this process, one stack, one suite, one write size, for a few seconds; prints MiB/s.
//
//   node --cpu-prof --cpu-prof-dir=prof dist/bench/record-path.js native AES 65536
//   node dist/bench/record-path.js noble CHACHA 1024 3000
//
// stack: noble | native | node:tls; suite: AES (ECDHE-ECDSA-AES128-GCM-SHA256) or CHACHA
// (ECDHE-ECDSA-CHACHA20-POLY1305); then the write size in bytes and the window in ms.
import { bulkOneProcess } from './bulk.js';
import { BUDGETS } from './budget.js';
import { makeCredentials } from './credentials.js';
import { STACKS, type Stack } from './stacks.js';

const SUITES: Record<string, string> = {
  AES: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  CHACHA: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

async function main(argv: string[]): Promise<number> {
  const [stackArg = 'native', suiteArg = 'AES', sizeArg = '65536', windowArg = '3000'] = argv;
  const stack = STACKS.find((s) => s === stackArg) as Stack | undefined;
  const ciphers = SUITES[suiteArg.toUpperCase()];
  const size = Number(sizeArg);
  const window = Number(windowArg);
  if (stack === undefined || ciphers === undefined || !(size > 0) || !(window > 0)) {
    console.error(`usage: record-path.js ${STACKS.join('|')} ${Object.keys(SUITES).join('|')} WRITE_BYTES [WINDOW_MS]`);
    return 2;
  }
  const budget = { ...BUDGETS.full, window, warmup: 500 };
  const spec = { ciphers, credentials: makeCredentials('ecdsa-p256'), group: 'X25519' as const };
  const mib = await bulkOneProcess(stack, spec, size, budget);
  console.log(`${stack} ${ciphers} ${size}-byte writes: ${mib.toFixed(1)} MiB/s`);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
