// The performance targets secure-duplex is held to, each checked against the ratios of a run:
// the measured ratio and whether it meets the target (missed ones are listed too).
import { formatRatio, vsCeiling, vsNode, type Row } from './results.js';
import type { Table } from './results-table.js';
import type { Stack } from './stacks.js';

interface Target {
  what: string;
  stack: Stack;
  rowId: string;
  ratio: (row: Row, stack: Stack) => number | undefined;
  /** Met when ratio ≥ min (or ≤ max). */
  min?: number;
  max?: number;
}

const AES_64K = 'bulk/ECDHE-ECDSA-AES128-GCM-SHA256/64k/1p';
const CHACHA_64K = 'bulk/ECDHE-ECDSA-CHACHA20-POLY1305/64k/1p';
const AES_1K = 'bulk/ECDHE-ECDSA-AES128-GCM-SHA256/1k/1p';
const FULL = 'handshakes/full/ecdsa-p256/X25519';

const TARGETS: readonly Target[] = [
  { what: 'bulk AES-128-GCM, 64 KiB writes ≥ 0.9× the AEAD ceiling', stack: 'noble', rowId: AES_64K, ratio: vsCeiling, min: 0.9 },
  { what: 'bulk ChaCha20-Poly1305, 64 KiB writes ≥ 0.9× the AEAD ceiling', stack: 'noble', rowId: CHACHA_64K, ratio: vsCeiling, min: 0.9 },
  { what: 'full handshakes ≥ 0.9× the public-key ceiling', stack: 'noble', rowId: FULL, ratio: vsCeiling, min: 0.9 },
  { what: 'bulk, 64 KiB writes ≥ 1.0× node:tls', stack: 'native', rowId: AES_64K, ratio: vsNode, min: 1 },
  { what: 'bulk, 1 KiB writes ≥ 0.8× node:tls', stack: 'native', rowId: AES_1K, ratio: vsNode, min: 0.8 },
  { what: 'full handshakes ≥ 1.0× node:tls', stack: 'native', rowId: FULL, ratio: vsNode, min: 1 },
  { what: 'resumed handshakes ≥ 1.0× node:tls', stack: 'native', rowId: 'handshakes/resumed', ratio: vsNode, min: 1 },
  // Latency ≤ 1.5× node:tls's is a rate ≥ 1/1.5 of node:tls's.
  { what: 'idle renegotiation latency ≤ 1.5× node:tls (rate ≥ 0.67×)', stack: 'native', rowId: 'renegotiation/idle', ratio: vsNode, min: 1 / 1.5 },
  { what: 'renegotiating once a second costs ≤ 5 % throughput', stack: 'noble', rowId: 'renegotiation/dip', ratio: vsCeiling, min: 0.95 },
  { what: 'renegotiating once a second costs ≤ 5 % throughput', stack: 'native', rowId: 'renegotiation/dip', ratio: vsCeiling, min: 0.95 },
  { what: 'RSS per idle connection ≤ node:tls', stack: 'noble', rowId: 'memory/rss', ratio: vsNode, max: 1 },
  { what: 'RSS per idle connection ≤ node:tls', stack: 'native', rowId: 'memory/rss', ratio: vsNode, max: 1 },
  { what: 'V8 heap per idle connection ≤ node:tls', stack: 'noble', rowId: 'memory/heap', ratio: vsNode, max: 1 },
  { what: 'V8 heap per idle connection ≤ node:tls', stack: 'native', rowId: 'memory/heap', ratio: vsNode, max: 1 },
  { what: 'V8 heap per idle connection, objects only (no JIT) ≤ node:tls', stack: 'noble', rowId: 'memory/heap-objects', ratio: vsNode, max: 1 },
  { what: 'V8 heap per idle connection, objects only (no JIT) ≤ node:tls', stack: 'native', rowId: 'memory/heap-objects', ratio: vsNode, max: 1 },
];

export function targetsTable(rows: readonly Row[]): Table {
  return {
    title: 'Targets',
    header: ['target', 'stack', 'measured', 'met'],
    body: TARGETS.map((t) => {
      const row = rows.find((r) => r.id === t.rowId);
      const r = row === undefined ? undefined : t.ratio(row, t.stack);
      const met = r === undefined || Number.isNaN(r) ? 'not measured' : (t.min === undefined || r >= t.min) && (t.max === undefined || r <= t.max) ? 'yes' : 'no';
      return [t.what, t.stack, formatRatio(r), met];
    }),
    notes: ['ratios as in the tables above: to node:tls in the same run, or to the ceiling'],
  };
}
