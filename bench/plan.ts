// Every measurement of a run, in order, as steps (one stack each) that fill the rows of the
// results tables. The primitives come first: the other rows' ceilings are computed from them.
import type { Budget } from './budget.js';
import { bulkOneProcess, bulkTwoProcesses } from './bulk.js';
import { Ceilings } from './ceilings.js';
import { makeCredentials, type Credentials } from './credentials.js';
import { DATAGRAM_BYTES, dtlsHandshakesPerSecond, dtlsThroughput, DTLS_SUITE } from './dtls.js';
import { handshakesPerSecond, resumedHandshakesPerSecond } from './handshakes.js';
import { memoryPerIdleConnection, MEMORY_SUITE } from './memory.js';
import type { PeerProcess } from './peer-client.js';
import { PRIMITIVE_STEPS, type PrimitiveResult } from './primitives.js';
import { idleRenegotiationsPerSecond, throughputWithRenegotiation } from './renegotiation.js';
import type { Row, Section } from './results.js';
import { OUR_STACKS, STACKS, type ConnectionSpec, type Stack } from './stacks.js';
import { CONCURRENT, workersBulk, workersHandshakesPerSecond, WORKERS_SUITE } from './workers.js';

export interface RunState {
  budget: Budget;
  /** The child process that runs the server end of the two-process bulk figures. */
  peer: PeerProcess;
  primitives: PrimitiveResult[];
  rows: Row[];
  /** One line per measurement that failed (its value is then NaN). */
  errors: string[];
  /** Remarks on figures that were kept (datagrams lost during a DTLS run). */
  notes: string[];
}

export interface Step {
  label: string;
  run: (state: RunState) => Promise<void>;
}

export const BULK_SUITES = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'PSK-AES128-GCM-SHA256'] as const;
const WRITE_SIZES = [{ name: '64k', label: '64 KiB', bytes: 64 * 1024 }, { name: '1k', label: '1 KiB', bytes: 1024 }] as const;
const GROUPS = ['X25519', 'P-256'] as const;

const ecdsa = makeCredentials('ecdsa-p256');
const rsa = makeCredentials('rsa-2048');
const FULL_SUITE: Record<Credentials['kind'], string> = {
  'ecdsa-p256': 'ECDHE-ECDSA-AES128-GCM-SHA256',
  'rsa-2048': 'ECDHE-RSA-AES128-GCM-SHA256',
};
const CERT_LABEL: Record<Credentials['kind'], string> = { 'ecdsa-p256': 'ECDSA P-256', 'rsa-2048': 'RSA-2048' };

interface RowShape {
  id: string;
  section: Section;
  label: string;
  unit: string;
  lowerIsBetter?: boolean;
  ceilingIs?: string;
}

/** The row `shape.id`, made on first use. */
function rowOf(state: RunState, shape: RowShape): Row {
  let row = state.rows.find((r) => r.id === shape.id);
  if (!row) {
    row = { ...shape, values: {}, ceilings: {} };
    state.rows.push(row);
  }
  return row;
}

/** A step measuring `stack` for one row; a failure is recorded, not thrown. */
function measure(shape: RowShape, stack: Stack, run: (state: RunState) => Promise<{ value: number; ceiling?: number }>): Step {
  return {
    label: `${stack}: ${shape.id}`,
    run: async (state) => {
      const row = rowOf(state, shape);
      try {
        const r = await run(state);
        row.values[stack] = r.value;
        if (r.ceiling !== undefined) row.ceilings[stack] = r.ceiling;
      } catch (e) {
        row.values[stack] = NaN;
        state.errors.push(`${shape.id} (${stack}): ${(e as Error).message}`);
      }
    },
  };
}

const ceilingsOf = (state: RunState): Ceilings => new Ceilings(state.primitives);

function primitiveSteps(): Step[] {
  return PRIMITIVE_STEPS.map((p) => ({
    label: `primitives: ${p.label}`,
    run: async (state) => { state.primitives.push(...p.run(state.budget)); },
  }));
}

function bulkSteps(): Step[] {
  const steps: Step[] = [];
  for (const suite of BULK_SUITES) {
    for (const size of WRITE_SIZES) {
      for (const processes of [1, 2] as const) {
        const shape: RowShape = {
          id: `bulk/${suite}/${size.name}/${processes}p`,
          section: 'Bulk throughput',
          label: `${suite}, ${size.label} writes, ${processes === 1 ? 'one process' : 'two processes'}`,
          unit: 'MiB/s',
          // Full 16 KiB records whatever the write size: a stack may write a burst of small
          // writes as full records (node:tls does), and one that does not pays for it here.
          ceilingIs: processes === 1
            ? "(bulk, one process) the stack's AEAD on 16 KiB records, sealing and opening on one thread: 1 / (1/seal + 1/open)"
            : "(bulk, two processes) the stack's AEAD on 16 KiB records, the slower of seal and open",
        };
        const spec: ConnectionSpec = { ciphers: suite, credentials: ecdsa, group: 'X25519' };
        for (const stack of STACKS) {
          steps.push(measure(shape, stack, async (state) => ({
            value: processes === 1
              ? await bulkOneProcess(stack, spec, size.bytes, state.budget)
              : await bulkTwoProcesses(state.peer, stack, spec, size.bytes, state.budget),
            ceiling: ceilingsOf(state).bulk(stack, suite, '16 KiB', processes),
          })));
        }
      }
    }
  }
  return steps;
}

function handshakeSteps(): Step[] {
  const steps: Step[] = [];
  for (const credentials of [ecdsa, rsa]) {
    for (const group of GROUPS) {
      const shape: RowShape = {
        id: `handshakes/full/${credentials.kind}/${group}`,
        section: 'Handshakes',
        label: `full, ${CERT_LABEL[credentials.kind]} certificate, ${group} (${FULL_SUITE[credentials.kind]})`,
        unit: 'handshakes/s',
        ceilingIs: "(full handshakes) the stack's public-key operations for both ends: 1 / (2/key exchange + 1/sign + 1/verify)",
      };
      const spec: ConnectionSpec = { ciphers: FULL_SUITE[credentials.kind], credentials, group };
      for (const stack of STACKS) {
        steps.push(measure(shape, stack, async (state) => ({
          value: await handshakesPerSecond(stack, spec, state.budget),
          ceiling: ceilingsOf(state).fullHandshake(stack, credentials.kind, group),
        })));
      }
    }
  }
  const resumed: RowShape = {
    id: 'handshakes/resumed', section: 'Handshakes', unit: 'handshakes/s',
    label: `resumed (the session from getSession()), ${FULL_SUITE['ecdsa-p256']}`,
  };
  const psk: RowShape = { id: 'handshakes/psk', section: 'Handshakes', unit: 'handshakes/s', label: 'PSK (PSK-AES128-GCM-SHA256)' };
  for (const stack of STACKS) {
    steps.push(measure(resumed, stack, async (state) => ({
      value: await resumedHandshakesPerSecond(stack, { ciphers: FULL_SUITE['ecdsa-p256'], credentials: ecdsa, group: 'X25519' }, state.budget),
    })));
  }
  for (const stack of STACKS) {
    steps.push(measure(psk, stack, async (state) => ({
      value: await handshakesPerSecond(stack, { ciphers: 'PSK-AES128-GCM-SHA256', credentials: ecdsa }, state.budget),
    })));
  }
  return steps;
}

function renegotiationSteps(budget: Budget): Step[] {
  const spec: ConnectionSpec = { ciphers: FULL_SUITE['ecdsa-p256'], credentials: ecdsa, group: 'X25519' };
  const idle: RowShape = {
    id: 'renegotiation/idle', section: 'Renegotiation', unit: 'renegotiations/s',
    label: `idle connection, client-initiated, back to back (1000 ÷ latency in ms), ${spec.ciphers}`,
    ceilingIs: '(idle renegotiations) the full handshake ceiling, ECDSA P-256 and X25519',
  };
  const dip: RowShape = {
    id: 'renegotiation/dip', section: 'Renegotiation', unit: 'MiB/s',
    label: `bulk (64 KiB writes) while the client renegotiates every ${budget.dipInterval} ms`,
    ceilingIs: '(bulk while renegotiating) the same connection streaming without renegotiation just before: × ceiling = 1 − the dip',
  };
  const steps: Step[] = [];
  for (const stack of STACKS) {
    steps.push(measure(idle, stack, async (state) => ({
      value: await idleRenegotiationsPerSecond(stack, spec, state.budget),
      ceiling: ceilingsOf(state).fullHandshake(stack, 'ecdsa-p256', 'X25519'),
    })));
  }
  for (const stack of STACKS) {
    steps.push(measure(dip, stack, async (state) => {
      const r = await throughputWithRenegotiation(stack, spec, state.budget);
      return { value: r.renegotiating, ceiling: r.plain };
    }));
  }
  return steps;
}

function dtlsSteps(): Step[] {
  const throughput: RowShape = {
    id: 'dtls/throughput', section: 'DTLS', unit: 'MiB/s',
    label: `throughput, ${DATAGRAM_BYTES}-byte datagrams, ${DTLS_SUITE}`,
    ceilingIs: "(throughput) the stack's AEAD on 1 KiB records, sealing and opening on one thread",
  };
  const handshakes: RowShape = {
    id: 'dtls/handshakes', section: 'DTLS', unit: 'handshakes/s',
    label: 'full handshakes with cookie exchange, ECDSA P-256, X25519',
    ceilingIs: '(handshakes) the full handshake ceiling, ECDSA P-256 and X25519',
  };
  const steps: Step[] = [];
  for (const stack of OUR_STACKS) {
    steps.push(measure(throughput, stack, async (state) => {
      const r = await dtlsThroughput(stack, ecdsa, state.budget);
      if (r.lost > 0) state.notes.push(`DTLS throughput (${stack}): ${r.lost} datagrams lost; the figure counts what arrived`);
      return { value: r.mibs, ceiling: ceilingsOf(state).bulk(stack, DTLS_SUITE, '1 KiB', 1) };
    }));
    steps.push(measure(handshakes, stack, async (state) => ({
      value: await dtlsHandshakesPerSecond(stack, ecdsa, state.budget),
      ceiling: ceilingsOf(state).fullHandshake(stack, 'ecdsa-p256', 'X25519'),
    })));
  }
  return steps;
}

function memorySteps(budget: Budget): Step[] {
  const label = (what: string): string => `${what} per connection, server side, ${budget.idleConnections} idle connections (${MEMORY_SUITE})`;
  const rss: RowShape = { id: 'memory/rss', section: 'Memory per idle connection', unit: 'KiB', lowerIsBetter: true, label: label('RSS') };
  const heap: RowShape = { id: 'memory/heap', section: 'Memory per idle connection', unit: 'KiB', lowerIsBetter: true, label: label('V8 heap') };
  // The same servers without V8's compilers: the heap a connection's objects retain, without the
  // code the JIT compiles while the connections open (the process's, not a connection's).
  const objects: RowShape = {
    id: 'memory/heap-objects', section: 'Memory per idle connection', unit: 'KiB', lowerIsBetter: true,
    label: `${label('V8 heap')}, servers run without the JIT (--no-opt --no-sparkplug): the objects each connection retains`,
  };
  const steps: Step[] = STACKS.map((stack) => ({
    label: `${stack}: memory per idle connection`,
    run: async (state) => {
      const rssRow = rowOf(state, rss);
      const heapRow = rowOf(state, heap);
      try {
        const m = await memoryPerIdleConnection(stack, ecdsa, state.budget);
        rssRow.values[stack] = m.rss / 1024;
        heapRow.values[stack] = m.heap / 1024;
      } catch (e) {
        rssRow.values[stack] = heapRow.values[stack] = NaN;
        state.errors.push(`memory (${stack}): ${(e as Error).message}`);
      }
    },
  }));
  for (const stack of STACKS) {
    steps.push({
      label: `${stack}: memory per idle connection, no JIT`,
      run: async (state) => {
        const row = rowOf(state, objects);
        try {
          row.values[stack] = (await memoryPerIdleConnection(stack, ecdsa, state.budget, { jit: false })).heap / 1024;
        } catch (e) {
          row.values[stack] = NaN;
          state.errors.push(`memory without the JIT (${stack}): ${(e as Error).message}`);
        }
      },
    });
  }
  return steps;
}

/** `server --workers 1` and `--workers 2`: the two-worker row's ceiling is the one-worker
 *  figure, so its × ceiling is the speed-up a second core gives. */
function workersSteps(): Step[] {
  const steps: Step[] = [];
  const kinds = [
    {
      name: 'handshakes', unit: 'handshakes/s', run: workersHandshakesPerSecond,
      label: (n: number) => `full handshakes against \`server --workers ${n} -e\` (ECDSA P-256, X25519), ${CONCURRENT} node:tls clients at once`,
    },
    {
      name: 'bulk', unit: 'MiB/s', run: workersBulk,
      label: (n: number) => `bulk through \`server --workers ${n} --forward\` to a TCP sink, ${CONCURRENT} node:tls clients writing 64 KiB (${WORKERS_SUITE})`,
    },
  ];
  for (const kind of kinds) {
    const shape = (n: number): RowShape => ({
      id: `workers/${kind.name}/${n}`, section: 'All cores', unit: kind.unit, label: kind.label(n),
      ...(n === 2 ? { ceilingIs: '(--workers 2) the same with --workers 1: × ceiling is the speed-up of the second worker' } : {}),
    });
    for (const stack of OUR_STACKS) {
      steps.push(measure(shape(1), stack, async (state) => ({ value: await kind.run(stack, 1, ecdsa, state.budget) })));
      steps.push(measure(shape(2), stack, async (state) => ({
        value: await kind.run(stack, 2, ecdsa, state.budget),
        ceiling: rowOf(state, shape(1)).values[stack],
      })));
    }
  }
  return steps;
}

export function planSteps(budget: Budget): Step[] {
  return [...primitiveSteps(), ...bulkSteps(), ...handshakeSteps(), ...renegotiationSteps(budget), ...dtlsSteps(), ...memorySteps(budget), ...workersSteps()];
}
