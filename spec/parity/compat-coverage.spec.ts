// The checklist of docs/compat.md: every row of its tables has a test comparing it with node:tls
// (spec/parity/compat-coverage.ts), so a row added without one fails here.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPAT_COVERAGE, type Cover } from './compat-coverage.js';

// dist/spec/parity/ → the repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Row {
  key: string;
  status: string;
  notes: string;
}

/** The rows of compat.md's tables (not their header and separator lines), keyed
 *  "<section heading> › <first cell>". */
export function compatRows(markdown: string): Row[] {
  const rows: Row[] = [];
  const lines = markdown.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (!(line.startsWith('| ') && lines[i + 1]?.startsWith('| ---'))) continue;
    for (i += 2; i < lines.length && lines[i]!.startsWith('| '); i++) {
      // (An empty last cell leaves "| |" at the end of the line.)
      const cells = lines[i]!.slice(2).replace(/ \|(?: \|)?\s*$/, '').split(' | ');
      rows.push({ key: `${section} › ${cells[0]}`, status: (cells[1] ?? '').trim(), notes: cells.slice(2).join(' | ') });
    }
    i--;
  }
  return rows;
}

/** A file's text, with the \' of single-quoted titles read as '. */
const source = (file: string): string => readFileSync(join(ROOT, file), 'utf8').replace(/\\'/g, "'");

/** Whether `file` has a test whose title contains `test` (in its source text, as written). */
function hasTest(file: string, test: string): boolean {
  return existsSync(join(ROOT, file)) && source(file).includes(test);
}

/** A spec cited as comparing with node:tls must at least run it. */
function runsNodeTls(file: string): boolean {
  return /from 'node:tls'|nodeTls|node-tls-peer|nodeClient|nodeServer/.test(source(file));
}

function problems(row: Row, covers: Cover[]): string[] {
  const out: string[] = [];
  const compared = covers.filter((c) => 'parity' in c || 'spec' in c);
  const status = row.status.trim();
  if (status === 'supported' || status === 'partial') {
    if (compared.length === 0) out.push('no test compares it with node:tls');
  } else if (status === '—') {
    if (!covers.some((c) => 'own' in c)) out.push('a secure-duplex-only row needs a test of ours');
  } else if (status === 'not yet' || status === 'not applicable') {
    if (covers.length === 0) out.push('no scenario and no reason');
  } else {
    out.push(`unknown status ${JSON.stringify(status)}`);
  }
  for (const c of covers) {
    if ('absent' in c) {
      if (status !== 'not yet' && status !== 'not applicable') out.push(`"absent" only fits a not-yet / not-applicable row (${status})`);
      if (!row.notes.includes(c.absent)) out.push(`the notes do not give the reason ${JSON.stringify(c.absent)}`);
      continue;
    }
    const file = 'parity' in c ? c.parity : 'spec' in c ? c.spec : c.own;
    if (!hasTest(file, c.test)) out.push(`${file} has no test ${JSON.stringify(c.test)}`);
    else if ('spec' in c && !runsNodeTls(file)) out.push(`${file} does not run node:tls`);
  }
  return out;
}

describe('parity with node:tls: every row of docs/compat.md has its scenario', function () {
  const rows = compatRows(source('docs/compat.md'));

  it('the tables of compat.md are read (all sections, every row)', function () {
    expect(rows.length).to.be.at.least(100);
    expect(new Set(rows.map((r) => r.key.split(' › ')[0])).size).to.be.at.least(10);
    expect(rows.map((r) => r.key)).to.include("tls.TLSSocket: methods › `renegotiate(options, callback)`");
  });

  it('each row is covered by a test that exists (and compares with node:tls where node has the member)', function () {
    const failures: string[] = [];
    for (const row of rows) {
      const covers = COMPAT_COVERAGE[row.key];
      if (!covers) {
        failures.push(`${row.key}: not in spec/parity/compat-coverage.ts`);
        continue;
      }
      for (const p of problems(row, covers)) failures.push(`${row.key}: ${p}`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('no entry names a row compat.md no longer has', function () {
    const keys = new Set(rows.map((r) => r.key));
    expect(Object.keys(COMPAT_COVERAGE).filter((k) => !keys.has(k))).to.deep.equal([]);
  });

  it('the checks fail on what they must catch', function () {
    const row = { key: 'x', status: 'supported', notes: 'n' };
    expect(problems(row, [])).to.have.length(1);
    expect(problems(row, [{ parity: 'spec/parity/api.spec.ts', test: 'no such test title' }])).to.have.length(1);
    expect(problems(row, [{ absent: 'n' }])).to.have.length(2);
    expect(problems(row, [{ spec: 'spec/codec.spec.ts', test: 'describe(' }])[0]).to.match(/does not run node:tls/);
    expect(problems({ ...row, status: 'not yet' }, [{ absent: 'missing reason' }])).to.have.length(1);
    expect(compatRows('## S\n| a | b | c |\n| --- | --- | --- |\n| `x` | supported | y |\n| `z` | — | w |\n| `e` | supported | |\n')).to.deep.equal([
      { key: 'S › `x`', status: 'supported', notes: 'y' },
      { key: 'S › `z`', status: '—', notes: 'w' },
      { key: 'S › `e`', status: 'supported', notes: '' },
    ]);
  });
});
