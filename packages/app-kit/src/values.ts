/** Text -> value for each option type, with the messages the apps give (the name first, the bad value last). */
import { ConfigError } from './errors.js';

export type DurationUnit = 'ns' | 'us' | 'ms' | 's';

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  min: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const DURATION_RE = /^(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|ms|s|min|m|h)?$/;

/**
 * `250ms`, `1s`, `500us`, `1.5s`, `2min`, `1h`, or a bare number in `bareUnit` -> exact nanoseconds (a
 * fraction of a nanosecond is dropped). Negative values are refused. Throws a ConfigError naming `name`.
 */
export function parseDuration(text: string, bareUnit: DurationUnit, name = 'duration'): bigint {
  const m = DURATION_RE.exec(text.trim());
  if (!m) {
    throw new ConfigError(`${name} must be a duration like 250ms, 1s, 500us or a number of ${bareUnit}, got ${JSON.stringify(text)}`, {
      option: name,
      value: text,
    });
  }
  const unit = UNIT_NS[m[2] ?? bareUnit] ?? 1n;
  const [int = '', frac = ''] = (m[1] ?? '').split('.');
  return (BigInt((int || '0') + frac) * unit) / 10n ** BigInt(frac.length);
}

/** ns -> the shortest exact text in one unit: 100000000n -> '100ms', 1500000000n -> '1500ms', 0n -> '0s' */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  for (const [u, f] of [
    ['h', 3_600_000_000_000n],
    ['min', 60_000_000_000n],
    ['s', 1_000_000_000n],
    ['ms', 1_000_000n],
    ['us', 1_000n],
  ] as const) {
    if (ns % f === 0n) return `${ns / f}${u}`;
  }
  return `${ns}ns`;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** 1/true/yes/on and 0/false/no/off (any case, surrounding blanks ignored) */
export function parseBoolean(text: string, name = 'value'): boolean {
  const x = text.trim().toLowerCase();
  if (TRUE.includes(x)) return true;
  if (FALSE.includes(x)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(text)}`, { option: name, value: text });
}

export interface NumberBounds {
  int?: boolean;
  min?: number;
  max?: number;
  unit?: string;
}

/** A finite number (JavaScript syntax: 1.5, 1e3, 0x10), optionally an integer within [min, max]. */
export function parseNumber(text: string, name: string, b: NumberBounds = {}): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (b.int && !Number.isInteger(n)) || (b.min !== undefined && n < b.min)) {
    throw new ConfigError(
      `${name} must be ${b.int ? 'an integer' : 'a number'}${b.min !== undefined ? ` >= ${b.min}` : ''}, got ${JSON.stringify(text)}`,
      { option: name, value: text },
    );
  }
  if (b.max !== undefined && n > b.max) {
    throw new ConfigError(`${name} must be <= ${b.max}${b.unit ? ` (${b.unit})` : ''}, got ${JSON.stringify(text)}`, {
      option: name,
      value: text,
    });
  }
  return n;
}

/** `text` must be one of `choices` (exact, after trimming) */
export function parseChoice<C extends string>(text: string, name: string, choices: readonly C[], what = ''): C {
  const t = text.trim();
  if (!(choices as readonly string[]).includes(t)) {
    throw new ConfigError(`${name}${what} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`, {
      option: name,
      value: text,
    });
  }
  return t as C;
}
