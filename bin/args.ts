// A small command-line parser for the CLI (no dependency): short flags (`-e`, grouped `-ed`),
// flags with values (`-p 11111`, `-p11111`), long forms (`--port 11111`, `--port=11111`) and
// flags whose value is optional (`-i` or `-i scr-app-data`: the next word is taken unless it
// starts with '-'). The flag tables double as the source of the --help text.

export type FlagValue = 'none' | 'required' | 'optional';

export interface FlagSpec {
  /** One character, used as `-x`. */
  short?: string;
  /** Used as `--name`; also the key the parsed value is stored under. */
  long: string;
  /** Default 'none' (a switch). */
  value?: FlagValue;
  /** Placeholder shown in the usage text (`PORT`, `FILE`...). */
  valueName?: string;
  description: string;
}

/** A mistake on the command line: reported as `error: ERR_USAGE: ...`, exit code 2. */
export class UsageError extends Error {
  readonly code: string;
  constructor(message: string, code = 'ERR_USAGE') {
    super(message);
    this.name = 'UsageError';
    this.code = code;
  }
}

export class ParsedArgs {
  /** Values by long name; `true` for a switch or an optional-value flag given without one. */
  readonly values = new Map<string, string | true>();
  readonly positionals: string[] = [];
  private readonly specs: readonly FlagSpec[];

  constructor(specs: readonly FlagSpec[]) {
    this.specs = specs;
  }

  has(long: string): boolean {
    this.check(long);
    return this.values.has(long);
  }

  /** The flag's value, or undefined when absent or given without a value. */
  string(long: string): string | undefined {
    this.check(long);
    const v = this.values.get(long);
    return typeof v === 'string' ? v : undefined;
  }

  /** A non-negative integer value, or `fallback` when the flag is absent. */
  integer(long: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.string(long);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) > max) {
      throw new UsageError(`${this.display(long)} expects a whole number${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, got ${JSON.stringify(v)}`);
    }
    return Number(v);
  }

  /** How the flag is spelled for messages: `-p/--port`. */
  display(long: string): string {
    const spec = this.check(long);
    return spec.short ? `-${spec.short}/--${spec.long}` : `--${spec.long}`;
  }

  private check(long: string): FlagSpec {
    const spec = this.specs.find((s) => s.long === long);
    if (!spec) throw new Error(`internal: no flag --${long}`);
    return spec;
  }
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const out = new ParsedArgs(specs);
  const byShort = new Map<string, FlagSpec>();
  const byLong = new Map<string, FlagSpec>();
  for (const s of specs) {
    if (s.short) byShort.set(s.short, s);
    byLong.set(s.long, s);
  }
  const nextValue = (i: number): string | undefined => {
    const next = argv[i + 1];
    return next !== undefined && !(next.startsWith('-') && next.length > 1) ? next : undefined;
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
      const kind = spec.value ?? 'none';
      if (kind === 'none') {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        out.values.set(spec.long, true);
      } else if (eq >= 0) {
        out.values.set(spec.long, arg.slice(eq + 1));
      } else if (kind === 'required') {
        const v = argv[i + 1];
        if (v === undefined) throw new UsageError(`--${name} needs a value (${spec.valueName ?? 'VALUE'})`);
        out.values.set(spec.long, v);
        i++;
      } else {
        const v = nextValue(i);
        out.values.set(spec.long, v ?? true);
        if (v !== undefined) i++;
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // One or more short flags: `-e`, `-ed`, `-p11111`, `-p 11111`.
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw new UsageError(`unknown option -${ch}`);
        const kind = spec.value ?? 'none';
        if (kind === 'none') {
          out.values.set(spec.long, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest !== '') {
          out.values.set(spec.long, rest);
        } else if (kind === 'required') {
          const v = argv[i + 1];
          if (v === undefined) throw new UsageError(`-${ch} needs a value (${spec.valueName ?? 'VALUE'})`);
          out.values.set(spec.long, v);
          i++;
        } else {
          const v = nextValue(i);
          out.values.set(spec.long, v ?? true);
          if (v !== undefined) i++;
        }
        break;
      }
      continue;
    }
    out.positionals.push(arg);
  }
  return out;
}

/** Usage text for a flag table: one line per flag, aligned. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const v = s.value === 'required' ? ` ${s.valueName ?? 'VALUE'}` : s.value === 'optional' ? ` [${s.valueName ?? 'VALUE'}]` : '';
    return s.short ? `  -${s.short}${v}, --${s.long}${v}` : `  --${s.long}${v}`;
  });
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => left[i]!.padEnd(width) + s.description).join('\n');
}
