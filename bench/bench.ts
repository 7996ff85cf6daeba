// npm run bench: secure-duplex against node:tls on this machine, in one run. See
// docs/performance.md (which a full run rewrites) for what is measured and how.
//
//   --quick   under a minute; prints the tables (docs are written only with --write)
//   --check   every measurement, tiny; proves the benchmark runs (figures mean nothing)
//   --json    print the results as JSON on stdout instead of tables
//   --write   write docs/performance.md and docs/performance.svg (the default for a full run)
//   --no-write
//   BENCH_STEP_TIMES=1 in the environment: each step's wall and CPU time on stderr
import { writeFileSync } from 'node:fs';
import { BUDGETS, type Mode } from './budget.js';
import { describeMachine } from './machine.js';
import { performanceDoc, type RunReport } from './markdown-report.js';
import { PeerProcess } from './peer-client.js';
import { planSteps, type RunState } from './plan.js';
import { Progress } from './progress.js';
import { primitivesTable, renderText, sectionTable } from './results-table.js';
import { SECTIONS } from './results.js';
import { ratioChart } from './svg-chart.js';
import { targetsTable } from './targets.js';

const KNOWN = new Set(['--quick', '--check', '--json', '--write', '--no-write']);

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((a) => !KNOWN.has(a));
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown.join(' ')}; known: ${[...KNOWN].join(' ')}`);
    return 2;
  }
  const mode: Mode = argv.includes('--check') ? 'check' : argv.includes('--quick') ? 'quick' : 'full';
  const write = argv.includes('--no-write') ? false : argv.includes('--write') || mode === 'full';
  const budget = BUDGETS[mode];
  const machine = describeMachine();
  const state: RunState = { budget, peer: await PeerProcess.start(), primitives: [], rows: [], errors: [], notes: [] };
  // A socket error nobody listened for is a defect of the benchmark: recorded (the run fails
  // and says where) rather than ending the run without its tables.
  process.on('uncaughtException', (e) => { state.errors.push(`uncaught exception: ${e.stack ?? String(e)}`); });
  const steps = planSteps(budget);
  const progress = new Progress(steps.length);
  const t0 = performance.now();
  try {
    for (const step of steps) {
      progress.start(step.label);
      const s0 = performance.now();
      const c0 = process.cpuUsage();
      await withinDeadline(step.run(state), step.label, state.errors);
      if (process.env.BENCH_STEP_TIMES) {
        const cpu = process.cpuUsage(c0);
        console.error(`${(performance.now() - s0).toFixed(0).padStart(6)} ms ${((cpu.user + cpu.system) / 1000).toFixed(0).padStart(6)} ms cpu  ${step.label}`);
      }
      progress.finish();
    }
  } finally {
    progress.end();
    await state.peer.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  const report: RunReport = { mode, machine, primitives: state.primitives, rows: state.rows, errors: state.errors, notes: state.notes };
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ ...report, seconds }));
  } else {
    console.log(`secure-duplex benchmark (${mode}), ${machine.cpu} × ${machine.cores}, Node ${machine.node}, OpenSSL ${machine.nodeOpenssl}, load ${machine.load}`);
    for (const s of SECTIONS) console.log(renderText(sectionTable(s, state.rows)));
    console.log(renderText(primitivesTable(state.primitives)));
    console.log(renderText(targetsTable(state.rows)));
    console.log(`\n${steps.length} measurements in ${seconds.toFixed(1)} s`);
    for (const n of state.notes) console.log(`note: ${n}`);
    for (const e of state.errors) console.error(`failed: ${e}`);
  }
  if (write) {
    const docs = new URL('../../docs/', import.meta.url);
    writeFileSync(new URL('performance.md', docs), performanceDoc(report));
    writeFileSync(new URL('performance.svg', docs), ratioChart(state.rows));
    if (!argv.includes('--json')) console.log('wrote docs/performance.md and docs/performance.svg');
  }
  return state.errors.length === 0 ? 0 : 1;
}

/** No step takes this long, even on a loaded machine: one that does is stuck. */
const STEP_DEADLINE_MS = 120_000;

/** Wait for `run`, or record that it is stuck and move on. */
async function withinDeadline(run: Promise<void>, label: string, errors: string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      errors.push(`${label}: no result after ${STEP_DEADLINE_MS / 1000} s`);
      resolve();
    }, STEP_DEADLINE_MS);
  });
  await Promise.race([run, stuck]);
  clearTimeout(timer);
}

// Exit explicitly: a stuck measurement may have left sockets open.
main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(1);
});
