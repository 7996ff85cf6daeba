// One row of a results table: the same measurement for each stack, with what it is compared
// with. Ratios are computed here, once, for the console and for docs/performance.md.
import type { Stack } from './stacks.js';

export type Section = 'Bulk throughput' | 'Handshakes' | 'Renegotiation' | 'DTLS' | 'Memory per idle connection' | 'All cores';
export const SECTIONS: readonly Section[] = ['Bulk throughput', 'Handshakes', 'Renegotiation', 'DTLS', 'Memory per idle connection', 'All cores'];

export interface Row {
  /** Stable name of the measurement (the check spec looks rows up by it). */
  id: string;
  section: Section;
  label: string;
  unit: string;
  /** Memory: smaller is better, and the ratio to node:tls reads the other way. */
  lowerIsBetter?: boolean;
  values: Partial<Record<Stack, number>>;
  /** Same unit as the values; absent where nothing bounds the figure (PSK, resumption, memory). */
  ceilings: Partial<Record<Stack, number>>;
  /** What the ceiling is, in words (the table's footnote). */
  ceilingIs?: string;
}

/** value ÷ node:tls's value in the same run; undefined where node:tls has no such figure. */
export function vsNode(row: Row, stack: Stack): number | undefined {
  const v = row.values[stack];
  const node = row.values['node:tls'];
  return v === undefined || node === undefined ? undefined : v / node;
}

/** value ÷ its ceiling. */
export function vsCeiling(row: Row, stack: Stack): number | undefined {
  const v = row.values[stack];
  const c = row.ceilings[stack];
  return v === undefined || c === undefined ? undefined : v / c;
}

export function formatNumber(v: number | undefined): string {
  if (v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined) return '—';
  if (!Number.isFinite(r)) return String(r);
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×`;
}
