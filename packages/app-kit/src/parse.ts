/** argv + environment -> the typed values of an option table. Pure: no I/O, nothing read from `process`. */
import { ConfigError, OptionTableError } from './errors.js';
import {
  envsOf,
  flagOf,
  type AnySpec,
  type DefaultContext,
  type Env,
  type Given,
  type InferOptions,
  type Option,
  type OptionTable,
} from './options.js';
import { parseBoolean, parseChoice, parseDuration, parseNumber, type DurationUnit } from './values.js';

export interface ParseInput {
  /** the arguments after the program name (`process.argv.slice(2)`) */
  argv: readonly string[];
  /** the environment to read (pass `process.env`; required so that tests never read the real one by accident) */
  env: Env;
  /** accept positional arguments (returned in order; `--` ends the options); default false: one is an error */
  positionals?: boolean;
  /** recognise `--help` / `-h` (default true) */
  help?: boolean;
  /** appended to the messages about the command line itself (unknown flag, missing value, ...); default ' (see --help)' */
  hint?: string;
}

/** A documented alias that was used: the app may log that the canonical name is preferred. */
export interface AliasUse {
  key: string;
  /** as written: `--mode`, `MASSIVE_API_KEY` */
  used: string;
  /** the canonical name: `--publish-mode`, `POLYGON_API_KEY` */
  canonical: string;
}

export interface ParsedOptions<T extends OptionTable> {
  values: InferOptions<T>;
  /** the options given by a flag or an environment variable (absent: defaulted) */
  given: { [K in keyof T]?: Given };
  positionals: string[];
  aliasesUsed: AliasUse[];
}

interface FlagEntry {
  key: string;
  negated: boolean;
  alias: boolean;
}

interface Occurrence {
  name: string;
  alias: boolean;
  /** value-taking options: the texts in order (a list accumulates them; others keep the last) */
  texts: string[];
  /** booleans: the flags that said true / false */
  yes?: string;
  no?: string;
  /** a boolean's last value */
  bool?: boolean;
}

/** a token that is a value even though it starts with '-': a negative number (no flag starts with a digit) */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** edit distance with adjacent transpositions (optimal string alignment): 'spede' is 1 from 'speed' */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      row[j] = v;
    }
  }
  return at(a.length, b.length);
}

/** the known flag nearest to `name` (both without dashes), when it is near enough to be a likely typo */
export function nearestFlag(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    // a prefix (--spe for --speed) counts as near
    const d = k.startsWith(name) && name.length >= 3 ? 1 : distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

function flagTable(table: OptionTable): { long: Map<string, FlagEntry>; short: Map<string, string> } {
  const long = new Map<string, FlagEntry>();
  const short = new Map<string, string>();
  for (const [key, o] of Object.entries(table)) {
    const flag = flagOf(key, o);
    if (flag === null) continue;
    const names: [string, boolean][] = [[flag, false], ...(o.spec.aliases ?? []).map((a): [string, boolean] => [a, true])];
    for (const [n, alias] of names) {
      long.set(n, { key, negated: false, alias });
      if (o.kind === 'boolean') long.set(`no-${n}`, { key, negated: true, alias });
    }
    if (o.spec.short) short.set(o.spec.short, key);
  }
  return { long, short };
}

/**
 * Parses `argv` and `env` against `table`. A flag overrides the environment, which overrides the default.
 * `--flag value` and `--flag=value`; a value-taking flag also takes a negative number (`--speed -1`) as its
 * value; `--no-x` for every boolean `x`. Returns 'help' when `--help` / `-h` is among the arguments (even
 * with other mistakes); otherwise throws a ConfigError naming the flag or variable and the bad value.
 */
export function parseOptions<T extends OptionTable>(table: T, input: ParseInput): ParsedOptions<T> | 'help' {
  const hint = input.hint ?? ' (see --help)';
  const helpOn = input.help ?? true;
  const { long, short } = flagTable(table);
  const seen = new Map<string, Occurrence>();
  const positionals: string[] = [];
  let help = false;
  let firstError: ConfigError | undefined;
  const fail = (message: string, option?: string, value?: string) => {
    firstError ??= new ConfigError(message, { option, value });
  };

  const argv = input.argv;
  let endOfOptions = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (endOfOptions || a === '-' || !a.startsWith('-') || NEGATIVE_NUMBER.test(a)) {
      if (!input.positionals) fail(`Unexpected argument '${a}'. This command does not take positional arguments${hint}`, undefined, a);
      positionals.push(a);
      continue;
    }
    if (a === '--') {
      endOfOptions = true;
      continue;
    }
    let entry: FlagEntry | undefined;
    let written: string;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      written = `--${name}`;
      if (helpOn && name === 'help') {
        help = true;
        continue;
      }
      entry = long.get(name);
      if (!entry) {
        const near = nearestFlag(name, [...long.keys(), ...(helpOn ? ['help'] : [])]);
        fail(`Unknown option '${written}'${near ? `, did you mean '--${near}'?` : ''}${hint}`, written);
        continue;
      }
    } else {
      written = a;
      if (helpOn && a === '-h') {
        help = true;
        continue;
      }
      const key = a.length === 2 ? short.get(a.slice(1)) : undefined;
      if (key === undefined) {
        fail(`Unknown option '${a}'${hint}`, a);
        continue;
      }
      entry = { key, negated: false, alias: false };
    }
    const o = table[entry.key] as Option<unknown>;
    const occ = seen.get(entry.key) ?? { name: written, alias: entry.alias, texts: [] };
    occ.name = written;
    occ.alias = entry.alias;
    seen.set(entry.key, occ);
    if (o.kind === 'boolean') {
      if (entry.negated && inline !== undefined) {
        fail(`Option '${written}' does not take an argument${hint}`, written, inline);
        continue;
      }
      let v = !entry.negated;
      if (inline !== undefined) {
        try {
          v = parseBoolean(inline, o.spec.label ?? written);
        } catch (e) {
          fail((e as Error).message, written, inline);
          continue;
        }
      }
      occ.bool = v;
      if (v) occ.yes = written;
      else occ.no = written;
      occ.texts.push(inline ?? '');
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      if (next === undefined) {
        fail(`Option '${written} <value>' argument missing${hint}`, written);
        continue;
      }
      if (next.startsWith('-') && next !== '-' && !NEGATIVE_NUMBER.test(next)) {
        fail(
          `Option '${written} <value>' argument missing ('${next}' looks like an option; for a value starting with a dash write ${written}=${next})${hint}`,
          written,
        );
        continue;
      }
      inline = next;
      i++;
    }
    occ.texts.push(inline);
  }
  if (help) return 'help';
  if (firstError) throw firstError;

  // ---- resolve: flag, else environment, else default; defaults may read other values (on demand) ----
  const given: Record<string, Given> = {};
  const aliasesUsed: AliasUse[] = [];
  const values: Record<string, unknown> = {};
  const state = new Map<string, 'resolving' | 'done'>();
  const explicitText = new Map<string, { text: string; name: string; given: Given }>();

  for (const [key, o] of Object.entries(table)) {
    const occ = seen.get(key);
    const flag = flagOf(key, o);
    if (occ) {
      if (o.kind === 'boolean' && occ.yes && occ.no) {
        throw new ConfigError(`${occ.yes} and ${occ.no} contradict each other`, { option: occ.yes });
      }
      const text = o.kind === 'list' ? occ.texts.join(o.spec.separator ?? ',') : (occ.texts[occ.texts.length - 1] ?? '');
      given[key] = { source: 'flag', name: occ.name, alias: occ.alias, text };
      if (occ.alias && flag !== null) aliasesUsed.push({ key, used: occ.name, canonical: `--${flag}` });
      continue;
    }
    const envs = envsOf(o);
    for (const [j, e] of envs.entries()) {
      const v = input.env[e];
      // an empty (or blank) variable is unset: `X= app` must not mean "X is the empty string"
      if (v === undefined || v.trim() === '') continue;
      given[key] = { source: 'env', name: e, alias: j > 0, text: v };
      explicitText.set(key, { text: v, name: o.spec.label ?? e, given: given[key] });
      if (j > 0) aliasesUsed.push({ key, used: e, canonical: envs[0] ?? e });
      break;
    }
  }

  const ctx: DefaultContext = { given: (k) => given[k] !== undefined };
  const view: Readonly<Record<string, unknown>> = new Proxy(
    {},
    {
      get: (_t, k) => (typeof k === 'string' && k in table ? resolve(k) : undefined),
      has: (_t, k) => typeof k === 'string' && k in table,
      ownKeys: () => Object.keys(table),
      getOwnPropertyDescriptor: (_t, k) =>
        typeof k === 'string' && k in table ? { enumerable: true, configurable: true, value: resolve(k) } : undefined,
    },
  );

  const resolve = (key: string): unknown => {
    const st = state.get(key);
    if (st === 'done') return values[key];
    if (st === 'resolving') throw new OptionTableError(`the default of option ${key} depends on itself`);
    state.set(key, 'resolving');
    const o = table[key] as Option<unknown>;
    const occ = seen.get(key);
    let v: unknown;
    if (occ) {
      const name = o.spec.label ?? occ.name;
      v = o.kind === 'boolean' ? occ.bool : parseValue(o, o.kind === 'list' ? occ.texts : [occ.texts[occ.texts.length - 1] ?? ''], name);
      runCheck(o, v, name, occ.texts[occ.texts.length - 1] ?? '');
    } else if (explicitText.has(key)) {
      const x = explicitText.get(key)!;
      v = o.kind === 'boolean' ? parseBoolean(x.text, x.name) : parseValue(o, [x.text], x.name);
      runCheck(o, v, x.name, x.text);
    } else {
      const d = o.spec.default;
      v = typeof d === 'function' ? (d as (v: unknown, c: DefaultContext) => unknown)(view, ctx) : staticDefault(o, d);
    }
    values[key] = v;
    state.set(key, 'done');
    return v;
  };
  // in table order, so that of two bad values the first in the table is reported
  for (const key of Object.keys(table)) resolve(key);
  return { values: values as InferOptions<T>, given: given as ParsedOptions<T>['given'], positionals, aliasesUsed };
}

function runCheck(o: Option<unknown>, v: unknown, name: string, text: string): void {
  const msg = o.spec.check?.(v as never);
  if (typeof msg === 'string' && msg !== '') throw new ConfigError(`${name} ${msg}`, { option: name, value: text });
}

/** a static default: duration texts / bare numbers are parsed like a value; anything else is the value itself */
function staticDefault(o: Option<unknown>, d: unknown): unknown {
  if (o.kind === 'duration' && (typeof d === 'string' || typeof d === 'number')) return durationValue(o, String(d), 'the default');
  if (o.kind === 'list' && Array.isArray(d)) return [...d];
  return d;
}

function durationValue(o: Option<unknown>, text: string, name: string): bigint | number {
  const unit = o.spec.unit as DurationUnit;
  const ns = parseDuration(text, unit, name);
  const { min, max } = o.bounds ?? {};
  const bound = (b: string | number | undefined, fallback: bigint, op: '>=' | '<=', words: string) =>
    typeof b === 'string' ? `must be ${words} ${b}` : `must be ${op} ${b ?? Number(fallback / UNIT_NS[unit])} (${UNIT_WORD[unit]})`;
  if (max !== undefined && ns > max) {
    throw new ConfigError(`${name} ${bound(o.spec.max, max, '<=', 'at most')}, got ${JSON.stringify(text)}`, { option: name, value: text });
  }
  if (min !== undefined && ns < min) {
    throw new ConfigError(`${name} ${bound(o.spec.min, min, '>=', 'at least')}, got ${JSON.stringify(text)}`, {
      option: name,
      value: text,
    });
  }
  return o.spec.as === 'ms' ? Number(ns) / 1e6 : ns;
}

const UNIT_NS: Record<DurationUnit, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };
const UNIT_WORD: Record<DurationUnit, string> = { ns: 'ns', us: 'us', ms: 'ms', s: 'seconds' };

function wrapCustom<V>(name: string, text: string, f: () => V): V {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError || (e as { code?: unknown })?.code === 'E_CONFIG') throw e;
    throw new ConfigError(`${name}: ${(e as Error)?.message ?? String(e)}`, { option: name, value: text, cause: e });
  }
}

/** one value-taking option's text(s) -> its value (a list gets every text given; the others one) */
function parseValue(o: Option<unknown>, texts: string[], name: string): unknown {
  const s: Readonly<AnySpec> = o.spec;
  const text = texts[texts.length - 1] ?? '';
  switch (o.kind) {
    case 'string':
      if (!s.allowEmpty && text.trim() === '') throw new ConfigError(`${name} must not be empty`, { option: name, value: text });
      return text;
    case 'number':
      return parseNumber(text, name, {
        int: s.int,
        min: typeof s.min === 'number' ? s.min : undefined,
        max: typeof s.max === 'number' ? s.max : undefined,
        unit: s.unit,
      });
    case 'enum':
      return parseChoice(text, name, s.choices as readonly string[]);
    case 'duration':
      return durationValue(o, text, name);
    case 'custom':
      return wrapCustom(name, text, () => (s.parse as (t: string, n: string) => unknown)(text, name));
    case 'list': {
      const items = texts
        .flatMap((t) => t.split(s.separator ?? ','))
        .map((x) => x.trim())
        .filter((x) => x !== '');
      if (s.choices) return items.map((x) => parseChoice(x, name, s.choices as readonly string[], ' item'));
      if (s.item) {
        const item = s.item;
        return items.map((x) => wrapCustom(name, x, () => item(x, name)));
      }
      return items;
    }
    default:
      return parseBoolean(text, name);
  }
}
