// The documentation works: every secure-duplex command shown in README.md and docs/cli.md
// parses with the CLI's own flag tables (a dry parse: no sockets, no files), every npm script
// shown exists, and every relative link (file and #anchor) in README.md and docs/*.md resolves.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ALL_CIPHER_SUITES, CIPHER_SUITES } from '../lib/engine/cipher-suites.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type FlagSpec } from '../bin/args.js';
import { CLIENT_FLAGS } from '../bin/client-command.js';
import { DEMO_FLAGS } from '../bin/demo-command.js';
import { listenPort, parseHostPort, proxyEndpoint } from '../bin/proxy-command.js';
import { SERVER_FLAGS } from '../bin/server-command.js';
import { checkSharedFlags } from '../bin/tls-options.js';

// dist/spec/docs.spec.js → the repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** The lines of the fenced code blocks of a Markdown text. */
function codeLines(text: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) inside = !inside;
    else if (inside) out.push(line);
  }
  return out;
}

/** The secure-duplex command lines in code blocks (two may stand side by side), without
 *  comments; synopses with [optional] or <placeholder> parts are left out. */
function commands(text: string): string[][] {
  const out: string[][] = [];
  for (const raw of codeLines(text)) {
    const line = raw.replace(/\s+#\s.*$/, '').replace(/\s+&$/, '');
    for (const part of line.split(/\s{2,}(?=(?:npx )?secure-duplex )/)) {
      const m = /^\s*(?:npx )?secure-duplex(?:\s+(.*))?$/.exec(part);
      if (!m || /[[<]/.test(part)) continue;
      out.push((m[1] ?? '').trim().split(/\s+/).filter((w) => w !== ''));
    }
  }
  return out;
}

const TABLES: Record<string, readonly FlagSpec[]> = { server: SERVER_FLAGS, client: CLIENT_FLAGS, demo: DEMO_FLAGS };

/** What the CLI checks before any I/O, for one command line. Throws what the CLI would print. */
function dryParse(argv: string[]): void {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '--help' || name === '-?') return;
  const table = TABLES[name ?? ''];
  if (!table) throw new Error(`unknown command ${JSON.stringify(name)}`);
  if (rest.some((a) => a === '--help' || a === '-?')) return;
  const args = parseArgs(rest, table);
  if (args.positionals.length > 0) throw new Error(`unexpected argument ${args.positionals[0]}`);
  if (name === 'demo') return;
  checkSharedFlags(args);
  if (name === 'server' && args.has('forward')) parseHostPort(proxyEndpoint(args.string('forward') ?? '', '--forward', args.has('dtls')), '--forward');
  if (name === 'client') listenPort(args);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

describe('documentation', () => {
  it('docs/suites.md lists every suite we implement, with both names and its place in the default list', () => {
    const rows = read('docs/suites.md').split('\n').filter((l) => /^\| 0x[0-9A-F]{4} \|/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
    const listed = rows.map((c) => [parseInt(c[1]!, 16), c[2]!.replace(/`/g, ''), c[3]!.replace(/`/g, ''), c[6]!]);
    const ours = ALL_CIPHER_SUITES.map((s) => {
      const d = CIPHER_SUITES.indexOf(s);
      return [s.id, s.name, s.opensslName, d < 0 ? '—' : String(d + 1)];
    });
    expect(listed).to.have.deep.members(ours);
    expect(listed).to.have.length(ours.length);
  });

  it('README.md and docs/cli.md show commands, and every one parses', () => {
    let count = 0;
    for (const file of ['README.md', 'docs/cli.md']) {
      const found = commands(read(file));
      expect(found.length, `${file}: commands found`).to.be.at.least(5);
      for (const argv of found) {
        count++;
        expect(() => dryParse(argv), `${file}: secure-duplex ${argv.join(' ')}`).not.to.throw();
      }
    }
    expect(count).to.be.at.least(20);
  });

  it('the dry parse rejects what the CLI rejects (so the check above can fail)', () => {
    expect(() => dryParse(['client', '--no-such-flag'])).to.throw(/unknown option --no-such-flag/);
    expect(() => dryParse(['server', '-v', '4'])).to.throw(/-v 4/);
    expect(() => dryParse(['server', '-u', '--forward', 'tcp:127.0.0.1:80'])).to.throw(/cannot be carried over DTLS/);
    expect(() => dryParse(['serve'])).to.throw(/unknown command/);
    expect(commands('```\nsecure-duplex server -e   secure-duplex client -d  # two\n```')).to.deep.equal([['server', '-e'], ['client', '-d']]);
  });

  it('every npm script shown in README.md exists in package.json', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const shown = [...read('README.md').matchAll(/\bnpm (?:run )?(start|test|build|bench|[\w:-]+)\b/g)]
      .map((m) => m[1]!).filter((s) => s !== 'install' && s !== 'run');
    expect(shown).to.include.members(['start', 'test']);
    for (const s of shown) expect(scripts, `npm ${s}`).to.have.property(s);
  });

  it('every relative link in README.md and docs/*.md resolves (file and #anchor)', () => {
    let checked = 0;
    for (const file of DOCS) {
      const text = read(file);
      // Links outside code: [text](target), not http(s):, mailto: or absolute.
      const prose = text.replace(/```[^]*?```/g, '').replace(/`[^`\n]*`/g, '');
      for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/i.test(target)) continue;
        checked++;
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : join(dirname(file), path);
        expect(existsSync(join(ROOT, resolved)), `${file}: link ${target} → ${resolved}`).to.equal(true);
        if (anchor !== undefined && resolved.endsWith('.md')) {
          expect(anchors(read(resolved)).has(anchor), `${file}: link ${target}: no heading #${anchor} in ${resolved}`).to.equal(true);
        }
      }
    }
    expect(checked).to.be.at.least(10);
  });
});
