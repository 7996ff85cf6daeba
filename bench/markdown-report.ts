// docs/performance.md: the tables of a run, the machine it ran on, the chart, and how each
// figure is measured.
import type { Machine } from './machine.js';
import type { PrimitiveResult } from './primitives.js';
import { primitivesTable, renderMarkdown, sectionTable } from './results-table.js';
import { SECTIONS, type Row } from './results.js';
import { targetsTable } from './targets.js';
import { ALL_CORES, HANDSHAKE_PATH, MEMORY, RECORD_PATH } from './findings.js';

export interface RunReport {
  mode: string;
  machine: Machine;
  primitives: PrimitiveResult[];
  rows: Row[];
  errors: string[];
  notes: string[];
}

const INTRO = `# Performance

secure-duplex measured against node:tls on the same machine, in the same run. Three stacks side
by side: secure-duplex with its default provider (pure JavaScript, @noble/ciphers and
@noble/curves), secure-duplex with \`cryptoProvider: nodeCryptoProvider\` (everything on
node:crypto), and node:tls pinned to TLS 1.2. Every figure is given with its ratio to node:tls
and to its *ceiling*: the speed of the cryptographic primitives it cannot avoid, measured alone
in the same run.

Run it yourself (from a clone, after \`npm install\`):

\`\`\`sh
npm run bench                 # the full run, a few minutes; rewrites this file and performance.svg
npm run bench -- --quick      # under a minute, prints the tables only (add --write to keep them)
npm run bench -- --check      # seconds: proves every measurement runs; the figures mean nothing
\`\`\`

Close other programs first: every figure is a rate on a shared CPU, and the load average at the
start of the run is recorded below. Each stack is measured once per row, one after the other, so
a moment of contention falls on one stack of a row: on the virtual machine these figures come
from, two quiet runs minutes apart differed by up to 2× on single rows (noble's AES-128-GCM bulk
31.6 and 12.6 MiB/s, for instance). Read a ratio together with the others of its kind, and run
the bench twice before trusting a single row.
`;

const METHOD = `## How each figure is measured

- **Loopback, TLS 1.2, one direction.** Clients and servers talk over 127.0.0.1. Unless a row
  says otherwise both ends run in the benchmark's process, on one thread, so the figure counts
  the client's and the server's work together, as the ceilings do.
- **Bulk throughput**: the client writes 64 KiB or 1 KiB buffers back to back, respecting
  backpressure (\`write()\` returning false waits for \`drain\`); the server counts the bytes it
  receives over a fixed window that opens after a warm-up. "Two processes": the server runs in a
  child process started by the benchmark, so each end has its own core (where there are two).
- **Handshakes/s**: one connection after another, each opened, taken through its handshake and
  destroyed. Full handshakes use a self-signed ECDSA P-256 or RSA-2048 certificate that the client
  trusts, and the X25519 or P-256 group on both sides. Resumed handshakes offer the session the
  first connection's \`getSession()\` returned (an RFC 5077 ticket) and fail the run unless
  \`isSessionReused()\` is true. PSK handshakes use PSK-AES128-GCM-SHA256 (no certificate, no
  key exchange).
- **Renegotiation**: on an idle connection the client renegotiates back to back, each full
  renegotiation awaited before the next (RFC 5746; node:tls's renegotiation limit is lifted for
  the run). The dip: the client streams 64 KiB writes, the server counts bytes first for a
  window without renegotiation, then for a window in which the client renegotiates once a
  second, on the same connection.
- **DTLS** (secure-duplex only; node:tls has no DTLS): records fill 1200-byte datagrams; the
  sender keeps at most 64 datagrams unanswered so that UDP does not drop what the receiver has
  not read. Handshakes include the HelloVerifyRequest cookie round trip. There is no reference
  figure beside them: \`openssl s_time\` has no DTLS mode, and \`openssl s_client -dtls1_2\` makes
  one connection per process, so a loop of them measures process start-up rather than DTLS.
- **Memory per idle connection**: a fresh child process runs the server of one stack; the
  benchmark opens the connections to it (node:tls clients for every stack, resuming one session)
  and the child reports RSS and V8 heap after a full garbage collection, once 100 warm-up
  connections are open and again after the measured ones; the difference is divided by their
  number. Only the server side is counted. The "without the JIT" row runs the same child with
  \`--no-opt --no-sparkplug --no-flush-bytecode\` (every stack alike): then no code is compiled
  while the connections open, and the heap figure is what the connections' objects retain.
- **All cores**: the command line's \`server --workers N\` in its own processes (the primary and
  N workers), with the stack's provider (\`--crypto noble\` or \`--crypto node\`), loaded by 4
  node:tls clients in the benchmark's process at once. Handshakes: each client connects, completes
  a full handshake and disconnects, back to back, against \`-e\`. Bulk: each client streams 64 KiB
  writes through \`--forward\` to a TCP server in the benchmark's process that counts the bytes
  over the window. The clients share one thread with that counter, so on a machine with two
  cores the second worker competes with them.
- **Ceilings**: each primitive is called alone the way TLS calls it, in a loop; its figure is
  the best of three rounds after a warm-up round. For bulk figures in one
  process the ceiling is 1 / (1/seal + 1/open) of the stack's AEAD on full 16 KiB records,
  whatever the write size (a stack may send a burst of small writes as full records, and one
  that does not pays for it in the ratio); in two processes the slower of seal and open.
  DTLS records cannot grow past a datagram: its ceiling uses 1 KiB records. For full handshakes
  it is 1 / (2/key exchange + 1/sign + 1/verify). The default provider's ceiling uses noble's
  figures (node:crypto's for RSA, which it uses); nodeCryptoProvider's and node:tls's use
  node:crypto's.
`;

/** A run that started with more runnable work than cores says so above its figures. */
function busyWarning(m: Machine): string {
  if (!(Number(m.load) > m.cores)) return '';
  return `
**A busy machine.** The load average at the start (${m.load}) was above the number of cores
(${m.cores}): other work shared the CPU for the whole run. Every rate here is lower than this
machine gives when quiet, and the stacks and the primitives were measured at different moments
of that load, so the ratios to node:tls and to the ceilings moved with it (a ratio to a ceiling
above 1 is one sign of it). Compare figures only within a run, and rerun on a quiet machine
before relying on one.
`;
}

export function performanceDoc(run: RunReport | undefined): string {
  if (run === undefined) {
    return `${INTRO}
## Figures

None yet: this file is written by \`npm run bench\` on a quiet machine, with the tables, the
machine they came from and a chart of the main ratios (performance.svg).

${RECORD_PATH}
${HANDSHAKE_PATH}
${ALL_CORES}
${MEMORY}
${METHOD}`;
  }
  const m = run.machine;
  const machine = [
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpu}, ${m.cores} cores |`,
    `| memory | ${m.memory} |`,
    `| OS | ${m.os} |`,
    `| Node.js | ${m.node} (OpenSSL ${m.nodeOpenssl}) |`,
    `| openssl command | ${m.openssl} |`,
    `| load average at start | ${m.load} |`,
    `| date | ${m.date} |`,
    `| run | \`npm run bench${run.mode === 'full' ? '' : ` -- --${run.mode}`}\` |`,
  ].join('\n');
  const sections = SECTIONS.filter((s) => run.rows.some((r) => r.section === s))
    .map((s) => `### ${s}\n\n${renderMarkdown(sectionTable(s, run.rows))}`);
  const list = (title: string, lines: string[]): string => (lines.length === 0 ? '' : `\n## ${title}\n\n${lines.map((e) => `- ${e}`).join('\n')}\n`);
  const errors = list('Measurements that failed', run.errors) + list('Remarks', run.notes);
  return `${INTRO}
## Machine

${machine}
${busyWarning(m)}
## Ratios

![Ratios to node:tls and to the ceilings](performance.svg)

## Targets

${renderMarkdown(targetsTable(run.rows))}

## Figures

${sections.join('\n\n')}

### Primitives alone (the ceilings)

${renderMarkdown(primitivesTable(run.primitives))}
${errors}
${RECORD_PATH}
${HANDSHAKE_PATH}
${ALL_CORES}
${MEMORY}
${METHOD}`;
}
