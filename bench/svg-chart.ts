// The chart in docs/performance.md, as hand-written SVG: horizontal bars of ratios on a log
// scale, one bar per secure-duplex stack, with the 1× line marked.
import { vsCeiling, vsNode, type Row } from './results.js';
import { OUR_STACKS, STACK_LABEL, type Stack } from './stacks.js';

interface Bar {
  label: string;
  values: Partial<Record<Stack, number>>;
}

interface Panel {
  title: string;
  bars: Bar[];
}

const COLORS: Partial<Record<Stack, string>> = { noble: '#4c78a8', native: '#f58518' };
const MIN = 0.01;
const MAX = 10;
const WIDTH = 820;
const LABEL_W = 330;
const PLOT_W = WIDTH - LABEL_W - 60;
const BAR_H = 11;
const GROUP_H = BAR_H * OUR_STACKS.length + 9;

/** x of ratio r on the log axis, clamped to the plot. */
function x(r: number): number {
  const c = Math.min(MAX, Math.max(MIN, r));
  return LABEL_W + (Math.log10(c / MIN) / Math.log10(MAX / MIN)) * PLOT_W;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panel(p: Panel, top: number): { svg: string; height: number } {
  const parts: string[] = [`<text x="10" y="${top + 16}" font-weight="bold">${escape(p.title)}</text>`];
  const plotTop = top + 28;
  const plotH = p.bars.length * GROUP_H;
  for (const t of [0.01, 0.1, 1, 10]) {
    const tx = x(t).toFixed(1);
    const strong = t === 1;
    parts.push(`<line x1="${tx}" y1="${plotTop - 4}" x2="${tx}" y2="${plotTop + plotH}" stroke="${strong ? '#333' : '#ccc'}" stroke-width="${strong ? 1.5 : 1}"/>`);
    parts.push(`<text x="${tx}" y="${plotTop + plotH + 14}" text-anchor="middle" fill="#555">${t}×</text>`);
  }
  p.bars.forEach((b, i) => {
    const gy = plotTop + i * GROUP_H;
    parts.push(`<text x="${LABEL_W - 8}" y="${gy + GROUP_H / 2 + 2}" text-anchor="end">${escape(b.label)}</text>`);
    OUR_STACKS.forEach((s, j) => {
      const v = b.values[s];
      const y = gy + j * BAR_H;
      if (v === undefined || !Number.isFinite(v) || v <= 0) {
        parts.push(`<text x="${LABEL_W + 4}" y="${y + BAR_H - 2}" fill="#999">n/a</text>`);
        return;
      }
      const w = Math.max(1, x(v) - LABEL_W);
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H - 2}" fill="${COLORS[s]}"/>`);
      parts.push(`<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H - 2}" font-size="10" fill="#333">${v.toFixed(2)}</text>`);
    });
  });
  return { svg: parts.join('\n'), height: 28 + plotH + 24 };
}

function barsOf(rows: readonly Row[], picks: readonly { id: string; label: string }[], ratio: (r: Row, s: Stack) => number | undefined): Bar[] {
  return picks.flatMap((p) => {
    const row = rows.find((r) => r.id === p.id);
    if (!row) return [];
    const values: Partial<Record<Stack, number>> = {};
    for (const s of OUR_STACKS) values[s] = ratio(row, s);
    return [{ label: p.label, values }];
  });
}

/** Memory is better when smaller: the chart shows node:tls ÷ ours so that right is better. */
function betterThanNode(r: Row, s: Stack): number | undefined {
  const v = vsNode(r, s);
  return v === undefined ? undefined : r.lowerIsBetter ? 1 / v : v;
}

export function ratioChart(rows: readonly Row[]): string {
  const panels: Panel[] = [
    {
      title: 'Against node:tls in the same run (right of 1× is faster / leaner than node:tls)',
      bars: barsOf(rows, [
        { id: 'bulk/ECDHE-ECDSA-AES128-GCM-SHA256/64k/1p', label: 'bulk AES-128-GCM, 64 KiB writes' },
        { id: 'bulk/ECDHE-ECDSA-AES128-GCM-SHA256/1k/1p', label: 'bulk AES-128-GCM, 1 KiB writes' },
        { id: 'bulk/ECDHE-ECDSA-CHACHA20-POLY1305/64k/1p', label: 'bulk ChaCha20-Poly1305, 64 KiB writes' },
        { id: 'bulk/ECDHE-ECDSA-AES128-GCM-SHA256/64k/2p', label: 'bulk AES-128-GCM, two processes' },
        { id: 'handshakes/full/ecdsa-p256/X25519', label: 'full handshakes, ECDSA P-256, X25519' },
        { id: 'handshakes/full/rsa-2048/X25519', label: 'full handshakes, RSA-2048, X25519' },
        { id: 'handshakes/resumed', label: 'resumed handshakes' },
        { id: 'handshakes/psk', label: 'PSK handshakes' },
        { id: 'renegotiation/idle', label: 'idle renegotiations/s' },
        { id: 'renegotiation/dip', label: 'bulk while renegotiating' },
        { id: 'memory/rss', label: 'RSS per idle connection (inverted)' },
      ], betterThanNode),
    },
    {
      title: 'Against the ceiling (the same primitives measured alone)',
      bars: barsOf(rows, [
        { id: 'bulk/ECDHE-ECDSA-AES128-GCM-SHA256/64k/1p', label: 'bulk AES-128-GCM, 64 KiB writes' },
        { id: 'bulk/ECDHE-ECDSA-CHACHA20-POLY1305/64k/1p', label: 'bulk ChaCha20-Poly1305, 64 KiB writes' },
        { id: 'bulk/ECDHE-ECDSA-AES128-GCM-SHA256/64k/2p', label: 'bulk AES-128-GCM, two processes' },
        { id: 'handshakes/full/ecdsa-p256/X25519', label: 'full handshakes, ECDSA P-256, X25519' },
        { id: 'renegotiation/idle', label: 'idle renegotiations/s' },
        { id: 'renegotiation/dip', label: 'bulk while renegotiating (1 − dip)' },
        { id: 'dtls/throughput', label: 'DTLS throughput' },
        { id: 'dtls/handshakes', label: 'DTLS handshakes' },
      ], vsCeiling),
    },
  ];
  let y = 34;
  const body: string[] = [];
  for (const p of panels) {
    const r = panel(p, y);
    body.push(r.svg);
    y += r.height + 12;
  }
  const legend = OUR_STACKS.map((s, i) => {
    const lx = 10 + i * 300;
    return `<rect x="${lx}" y="8" width="12" height="12" fill="${COLORS[s]}"/><text x="${lx + 18}" y="18">${escape(STACK_LABEL[s])}</text>`;
  }).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    legend,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
