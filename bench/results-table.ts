// The cells of the results tables, shared by the console and docs/performance.md: for each
// stack its value, its ratio to node:tls in the same run, and its ratio to its ceiling.
import type { PrimitiveResult } from './primitives.js';
import { formatNumber, formatRatio, vsCeiling, vsNode, type Row, type Section } from './results.js';
import { STACKS, STACK_LABEL } from './stacks.js';

export interface Table {
  title: string;
  header: string[];
  body: string[][];
  notes: string[];
}

export function sectionTable(section: Section, rows: readonly Row[]): Table {
  const mine = rows.filter((r) => r.section === section);
  const stacks = STACKS.filter((s) => mine.some((r) => r.values[s] !== undefined));
  const header = ['measurement', 'unit'];
  for (const s of stacks) {
    header.push(STACK_LABEL[s]);
    if (s !== 'node:tls' && stacks.includes('node:tls')) header.push('× node:tls');
    if (mine.some((r) => r.ceilings[s] !== undefined)) header.push('× ceiling');
  }
  const body = mine.map((r) => {
    const cells = [r.label, r.unit];
    for (const s of stacks) {
      cells.push(formatNumber(r.values[s]));
      if (s !== 'node:tls' && stacks.includes('node:tls')) cells.push(formatRatio(vsNode(r, s)));
      if (mine.some((x) => x.ceilings[s] !== undefined)) cells.push(formatRatio(vsCeiling(r, s)));
    }
    return cells;
  });
  const notes = [...new Set(mine.flatMap((r) => (r.ceilingIs ? [`ceiling: ${r.ceilingIs}`] : [])))];
  if (mine.some((r) => r.lowerIsBetter)) notes.push('memory: smaller is better; × node:tls below 1 means less memory than node:tls');
  return { title: section, header, body, notes };
}

export function primitivesTable(primitives: readonly PrimitiveResult[]): Table {
  return {
    title: 'Primitives alone (the ceilings)',
    header: ['primitive', 'unit', 'noble', 'node:crypto (OpenSSL)', 'noble ÷ node:crypto'],
    body: primitives.map((p) => [
      p.primitive,
      p.unit,
      p.values.noble === undefined ? '— (node:crypto used)' : formatNumber(p.values.noble),
      formatNumber(p.values['node:crypto']),
      p.values.noble === undefined || p.values['node:crypto'] === undefined ? '—' : formatRatio(p.values.noble / p.values['node:crypto']),
    ]),
    notes: [
      'AEADs: one record per call with a fresh nonce and 13 bytes of additional data, as TLS 1.2 seals a record.',
      'X25519 and P-256 ECDH: a new key pair and one shared secret (one side of an ECDHE exchange).',
      'Signatures over a ServerKeyExchange-sized message; RSA-2048 with RSA-PSS SHA-256, node:crypto in both providers.',
    ],
  };
}

/** Aligned plain text for the console. */
export function renderText(t: Table): string {
  const all = [t.header, ...t.body];
  const widths = t.header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`\n${t.title}`, line(t.header), ...t.body.map(line), ...t.notes.map((n) => `  ${n}`)].join('\n');
}

/** A Markdown table. */
export function renderMarkdown(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${t.header.map(esc).join(' | ')} |`,
    `| ${t.header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...t.body.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
    ...t.notes.map((n) => `- ${n}`),
  ].join('\n');
}
