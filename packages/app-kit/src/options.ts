/**
 * The declarative option table: one builder per value type (`opt.number({...})`, ...), `defineOptions(table)`
 * to check it, and the types that infer the parsed result from it (no second, hand-written interface).
 */
import { parseDuration, type DurationUnit } from './values.js';
import { OptionTableError } from './errors.js';

/** Only the type checker sees it: carries the parsed value type of an option. */
declare const valueType: unique symbol;

export type Env = Readonly<Record<string, string | undefined>>;

/** How an option was given explicitly (an option with no entry in `given` took its default). */
export interface Given {
  source: 'flag' | 'env';
  /** as the user wrote it: `--mode`, `--no-options`, `REPLAY_SPEED` */
  name: string;
  /** true when `name` is a documented alias (an old flag name, a second environment variable) */
  alias: boolean;
  /** the raw text ('' for a boolean flag without `=value`); repeated list flags: the texts joined by ',' */
  text: string;
}

/** What a default function can ask about the other options, besides their values. */
export interface DefaultContext {
  /** whether the option `key` was given (flag or environment) rather than defaulted */
  given(key: string): boolean;
}

/**
 * A default computed from the other options' values (resolved on demand, in any order; a cycle is an
 * OptionTableError). `values` is untyped here: the table's type cannot refer to itself while being defined.
 */
export type DefaultFn<R> = (values: Readonly<Record<string, unknown>>, ctx: DefaultContext) => R;

export type OptionKind = 'string' | 'number' | 'boolean' | 'enum' | 'list' | 'duration' | 'custom';

/** Settings every option has. */
export interface BaseSpec<P> {
  /** the long flag without dashes (`data-root` for `--data-root`); default: the table key in kebab-case; false: environment only */
  flag?: string | false;
  /** environment variable(s): the first is the canonical name, the rest documented aliases (the first one set wins) */
  env?: string | readonly string[];
  /** more flag names (without dashes) that mean the same, e.g. an old name; reported in `ParsedOptions.aliasesUsed` */
  aliases?: readonly string[];
  /** a one-letter short flag (`s` for `-s`); `-h` is taken by the help */
  short?: string;
  /** the value's name in the help (`DIR`, `YYYY-MM-DD`); default by type (`N`, `X`, `a|b`, `D`, `VALUE`) */
  placeholder?: string;
  /** one line or more (`\n` breaks a line; long lines are wrapped) */
  help?: string;
  /** help section: options of one group are listed together (see HelpOptions.sections) */
  group?: string;
  /** left out of the help and the Markdown table (still parsed) */
  hidden?: boolean;
  /** the name error messages use instead of the flag or variable actually given, e.g. '--speed / REPLAY_SPEED' */
  label?: string;
  /** the default as the help shows it (needed for a function default; overrides the formatted static one) */
  defaultText?: string;
  /**
   * A further check of a given value (not of defaults): return the rest of the message after the name
   * (`'must be > 0'` -> `--idle-timeout must be > 0`), or nothing when the value is fine.
   */
  check?(value: P): string | undefined | void;
}

export interface StringSpec<D> extends BaseSpec<string> {
  default?: D;
  /** accept `--flag ''` (an empty environment variable always counts as unset) */
  allowEmpty?: boolean;
}
export interface NumberSpec<D> extends BaseSpec<number> {
  default?: D;
  int?: boolean;
  min?: number;
  max?: number;
  /** named in the message of a value above max: `must be <= 10000000 (events)` */
  unit?: string;
}
export interface BooleanSpec<D> extends BaseSpec<boolean> {
  /** default false; `default: undefined` leaves it unset; any other value (e.g. 'auto') makes it three-state */
  default?: D;
  /** which forms the help shows: 'flag' (`--x`), 'no-flag' (`--no-x`) or 'both'; default by the default value */
  show?: 'flag' | 'no-flag' | 'both';
}
export interface EnumSpec<C extends readonly string[], D> extends BaseSpec<C[number]> {
  choices: C;
  default?: D;
}
export interface ListSpec<I, D> extends BaseSpec<I[]> {
  /** allowed items (the item type is then their union) */
  choices?: readonly I[];
  /** parses one item (trimmed, non-empty); `name` is the flag or variable, for its messages */
  item?: (text: string, name: string) => I;
  /** default ',' */
  separator?: string;
  default?: D;
}
export interface DurationSpec<A extends 'ns' | 'ms', D> extends BaseSpec<DurationValue<A>> {
  /** the unit of a bare number: `--max-gap 5` with unit 's' is 5 seconds */
  unit: DurationUnit;
  /** the result: exact bigint nanoseconds, or a number of milliseconds (for timers) */
  as: A;
  /** a string like '100ms' (parsed like a value), a number in `unit`, or a function of the other values */
  default?: D;
  /** a string ('1h') or a number in `unit` */
  min?: string | number;
  /**
   * A string ('1h') or a number in `unit`. With `as: 'ms'` the default max is the longest delay Node's
   * timers accept (2^31-1 ms, in whole `unit`s): beyond it a timer fires after 1 ms.
   */
  max?: string | number;
}
export interface CustomSpec<T, D> extends BaseSpec<T> {
  /** text -> value; throw a ConfigError naming `name`, or any Error (wrapped as `name: message`) */
  parse: (text: string, name: string) => T;
  default?: D;
}

export type DurationValue<A extends 'ns' | 'ms'> = A extends 'ns' ? bigint : number;

/** the settings of any option, type-erased (what the parser and the help read) */
export type AnySpec = BaseSpec<never> & {
  default?: unknown;
  allowEmpty?: boolean;
  int?: boolean;
  min?: number | string;
  max?: number | string;
  unit?: string;
  show?: 'flag' | 'no-flag' | 'both';
  choices?: readonly unknown[];
  item?: (text: string, name: string) => unknown;
  separator?: string;
  as?: 'ns' | 'ms';
  parse?: (text: string, name: string) => unknown;
};

/** One entry of an option table. `T` is the type of its parsed value (default included). */
export interface Option<T> {
  readonly kind: OptionKind;
  readonly spec: Readonly<AnySpec>;
  /** whether the spec has a default (an absent boolean default counts as `false`) */
  readonly hasDefault: boolean;
  /** duration bounds in ns, computed once */
  readonly bounds?: { readonly min?: bigint; readonly max?: bigint };
  readonly [valueType]?: T;
}

export type OptionTable = Readonly<Record<string, Option<unknown>>>;

/** The parsed values of a table: `InferOptions<typeof OPTIONS>`. */
export type InferOptions<T extends OptionTable> = { -readonly [K in keyof T]: T[K] extends Option<infer V> ? V : never };

/** what a default adds to the parsed type P (undefined when there is none, null for `default: null`, ...).
 * NoInfer: the contextual type of a table entry (Option<unknown>) must not become an inference of D. */
type Extra<D, P> = Exclude<NoInfer<D>, P>;
type Nullish = null | undefined;

function make<T>(kind: OptionKind, spec: AnySpec, hasDefault = 'default' in spec): Option<T> {
  return { kind, spec, hasDefault };
}

// Each builder has two overloads: a default computed by a function (its return type R joins the value
// type), and a static default D (or none: undefined). One generic for both cannot infer R from a
// context-sensitive arrow such as `(v) => (v.dataRoot === null ? 0 : 1)`.

function string<R extends string | Nullish>(spec: StringSpec<DefaultFn<R>> & { default: DefaultFn<R> }): Option<string | Extra<R, string>>;
function string<const D extends string | Nullish = undefined>(spec?: StringSpec<D>): Option<string | Extra<D, string>>;
function string(spec: StringSpec<unknown> = {}): Option<unknown> {
  return make('string', spec as AnySpec);
}

function number<R extends number | Nullish>(spec: NumberSpec<DefaultFn<R>> & { default: DefaultFn<R> }): Option<number | Extra<R, number>>;
function number<const D extends number | Nullish = undefined>(spec?: NumberSpec<D>): Option<number | Extra<D, number>>;
function number(spec: NumberSpec<unknown> = {}): Option<unknown> {
  return make('number', spec as AnySpec);
}

function boolean<R extends boolean | string | Nullish>(
  spec: BooleanSpec<DefaultFn<R>> & { default: DefaultFn<R> },
): Option<boolean | Extra<R, boolean>>;
function boolean<const D extends boolean | string | Nullish = false>(spec?: BooleanSpec<D>): Option<boolean | Extra<D, boolean>>;
function boolean(spec: BooleanSpec<unknown> = {}): Option<unknown> {
  // an absent default is false: a flag that is not there is off
  return make('boolean', 'default' in spec ? (spec as AnySpec) : { ...(spec as AnySpec), default: false }, true);
}

function enumOption<const C extends readonly [string, ...string[]], R extends C[number] | Nullish>(
  spec: EnumSpec<C, DefaultFn<R>> & { default: DefaultFn<R> },
): Option<C[number] | Extra<R, C[number]>>;
function enumOption<const C extends readonly [string, ...string[]], const D extends C[number] | Nullish = undefined>(
  spec: EnumSpec<C, D>,
): Option<C[number] | Extra<D, C[number]>>;
function enumOption(spec: EnumSpec<readonly [string, ...string[]], unknown>): Option<unknown> {
  return make('enum', spec as AnySpec);
}

function list<const I = string, R extends readonly I[] | Nullish = never>(
  spec: ListSpec<I, DefaultFn<R>> & { default: DefaultFn<R> },
): Option<I[] | Extra<R, readonly I[]>>;
function list<const I = string, const D extends readonly I[] | Nullish = undefined>(
  spec?: ListSpec<I, D>,
): Option<I[] | Extra<D, readonly I[]>>;
function list(spec: ListSpec<unknown, unknown> = {}): Option<unknown> {
  return make('list', spec as AnySpec);
}

function duration<A extends 'ns' | 'ms', R extends DurationValue<A> | Nullish>(
  spec: DurationSpec<A, DefaultFn<R>> & { default: DefaultFn<R> },
): Option<DurationValue<A> | Extra<R, DurationValue<A>>>;
function duration<A extends 'ns' | 'ms', const D extends string | number | Nullish = undefined>(
  spec: DurationSpec<A, D>,
): Option<DurationValue<A> | Extra<D, string | number>>;
function duration(spec: DurationSpec<'ns' | 'ms', unknown>): Option<unknown> {
  const bound = (v: unknown, what: string): bigint | undefined => {
    if (v === undefined) return undefined;
    try {
      return parseDuration(String(v), spec.unit, what);
    } catch (e) {
      throw new OptionTableError(`duration option: ${(e as Error).message}`);
    }
  };
  const max =
    spec.max === undefined && spec.as === 'ms'
      ? BigInt(Math.floor(MAX_TIMER_MS / UNIT_MS[spec.unit])) * UNIT_NS_OF[spec.unit]
      : bound(spec.max, 'max');
  if (typeof spec.default === 'string' || typeof spec.default === 'number') bound(spec.default, 'the default');
  return { kind: 'duration', spec: spec as AnySpec, hasDefault: 'default' in spec, bounds: { min: bound(spec.min, 'min'), max } };
}

function custom<T, R extends T | Nullish>(spec: CustomSpec<T, DefaultFn<R>> & { default: DefaultFn<R> }): Option<T | Extra<R, T>>;
function custom<T, const D extends T | Nullish = undefined>(spec: CustomSpec<T, D>): Option<T | Extra<D, T>>;
function custom(spec: CustomSpec<unknown, unknown>): Option<unknown> {
  return make('custom', spec as AnySpec);
}

/** the longest delay Node's timers accept (2^31-1 ms); above it Node warns and fires after 1 ms */
export const MAX_TIMER_MS = 2_147_483_647;

const UNIT_NS_OF: Record<DurationUnit, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };
const UNIT_MS: Record<DurationUnit, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000 };

/**
 * The option builders. Each returns an `Option<T>` whose T is inferred from the settings:
 * `opt.number({ min: 0, default: 1 })` -> number; without a default -> number | undefined;
 * `opt.enum({ choices: ['nats', 'stdout'], default: 'nats' })` -> 'nats' | 'stdout'.
 */
export const opt = { string, number, boolean, enum: enumOption, list, duration, custom } as const;

/** `dataRoot` -> `data-root` */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** an option's long flag (without dashes), or null for an environment-only option */
export function flagOf(key: string, o: Option<unknown>): string | null {
  const f = o.spec.flag;
  if (f === false) return null;
  return f === undefined ? kebabCase(key) : f.replace(/^--/, '');
}

/** an option's environment variables, canonical first */
export function envsOf(o: Option<unknown>): readonly string[] {
  const e = o.spec.env;
  return e === undefined ? [] : typeof e === 'string' ? [e] : e;
}

const FLAG_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Checks an option table once (at start-up, or in a test): flag, alias and short names well formed and
 * unique (including the `--no-x` forms of booleans), `--help`/`-h` not taken, environment names unique.
 * Returns the table unchanged. Throws OptionTableError.
 */
export function defineOptions<T extends OptionTable>(table: T): T {
  const flags = new Map<string, string>([['help', '(help)']]);
  const shorts = new Map<string, string>([['h', '(help)']]);
  const envs = new Map<string, string>();
  const take = (map: Map<string, string>, name: string, key: string, what: string) => {
    const prev = map.get(name);
    if (prev !== undefined) throw new OptionTableError(`option ${key}: ${what} ${name} is already used by ${prev}`);
    map.set(name, key);
  };
  for (const [key, o] of Object.entries(table)) {
    if (o === undefined || typeof o !== 'object' || !('kind' in o)) throw new OptionTableError(`option ${key}: not built with opt.*`);
    const flag = flagOf(key, o);
    const names = [...(flag === null ? [] : [flag]), ...(o.spec.aliases ?? [])];
    if (flag === null && (o.spec.aliases?.length || o.spec.short))
      throw new OptionTableError(`option ${key}: aliases and a short flag need a flag`);
    if (flag === null && envsOf(o).length === 0) throw new OptionTableError(`option ${key}: neither a flag nor an environment variable`);
    for (const n of names) {
      if (!FLAG_RE.test(n)) throw new OptionTableError(`option ${key}: bad flag name ${JSON.stringify(n)}`);
      take(flags, n, key, 'flag');
      if (o.kind === 'boolean') take(flags, `no-${n}`, key, 'flag');
    }
    if (o.spec.short !== undefined) {
      if (!/^[A-Za-z]$/.test(o.spec.short)) throw new OptionTableError(`option ${key}: a short flag is one letter, got ${o.spec.short}`);
      take(shorts, o.spec.short, key, 'short flag');
    }
    for (const e of envsOf(o)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e))
        throw new OptionTableError(`option ${key}: bad environment variable name ${JSON.stringify(e)}`);
      take(envs, e, key, 'environment variable');
    }
    if (o.kind === 'enum' && !(o.spec.choices?.length ?? 0)) throw new OptionTableError(`option ${key}: an enum needs choices`);
    if (o.kind === 'list' && o.spec.choices && o.spec.item)
      throw new OptionTableError(`option ${key}: a list has choices or item, not both`);
    const d = o.spec.default;
    if (o.kind === 'enum' && typeof d === 'string' && !o.spec.choices?.includes(d))
      throw new OptionTableError(`option ${key}: the default ${JSON.stringify(d)} is not one of the choices`);
  }
  return table;
}
