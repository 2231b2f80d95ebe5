/**
 * The old system's value rules (its pydantic schemas), shared by the Bronze tables: each check returns the
 * value or throws an `Invalid` caught per row by `wrap` (the row is skipped with that reason).
 */
import { fixedToFloat, UNDEF_PRICE } from '@md/event-types';
import type { Col, RowResult } from './tables.js';

/** 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z in ns: the old schemas' bounds, both inclusive. */
export const MIN_TS_NS = 946_684_800_000_000_000n;
export const MAX_TS_NS = 4_102_444_800_000_000_000n;
/** days from 1970-01-01 to 2000-01-01 (the old rule `exp_date >= 2000-01-01`) */
const MIN_EXP_DAYS = 10_957;

/** thrown inside a row mapper, caught per row: the row is invalid */
class Invalid {
  constructor(readonly reason: string) {}
}
export const invalid = (reason: string): never => {
  throw new Invalid(reason);
};

export function ns(v: unknown, f: string): bigint {
  if (typeof v !== 'bigint') return invalid(v === null || v === undefined ? `${f} is null` : `${f} is not an int64`);
  if (v < MIN_TS_NS || v > MAX_TS_NS) return invalid(`${f} ${v} is outside 2000-01-01..2100-01-01`);
  return v;
}

export function float(v: unknown, f: string): number {
  const x =
    typeof v === 'number'
      ? v
      : typeof v === 'bigint'
        ? Number(v)
        : invalid(v === null || v === undefined ? `${f} is null` : `${f} is not a number`);
  if (!Number.isFinite(x)) invalid(`${f} is not finite (${x})`);
  return x;
}

export function floatOrNull(v: unknown, f: string): number | null {
  return v === null || v === undefined ? null : float(v, f);
}

export function int(v: unknown, f: string): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'bigint') {
    if (v > 9007199254740991n || v < -9007199254740991n) return invalid(`${f} ${v} is not a safe integer`);
    x = Number(v);
  } else return invalid(v === null || v === undefined ? `${f} is null` : `${f} is not an integer`);
  if (!Number.isSafeInteger(x)) invalid(`${f} ${x} is not a safe integer`);
  return x;
}

export function intOrNull(v: unknown, f: string): number | null {
  return v === null || v === undefined ? null : int(v, f);
}

export function seqOf(v: unknown): number | null {
  const s = intOrNull(v, 'seq');
  if (s !== null && s < 0) invalid(`seq ${s} < 0`);
  return s;
}

export function str(v: unknown, f: string, min: number, max: number): string {
  if (typeof v !== 'string') return invalid(v === null || v === undefined ? `${f} is null` : `${f} is not a string`);
  if (v.length < min || v.length > max) invalid(`${f} ${JSON.stringify(v)} must have ${min}..${max === Infinity ? '' : max} characters`);
  if (v.includes('\n') || v.includes('\r')) invalid(`${f} contains CR/LF`);
  return v;
}

/**
 * `conditions`: a list of ints, null, or (legacy PH files) the text `"[12, 45]"`. An empty list is kept as
 * `[]` (the file is what it is; the old writer never produced one).
 */
export function conditions(v: unknown): number[] | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || t === '<NA>' || t === 'None') return null;
    const m = /^\[\s*(-?\d+(?:\s*,\s*-?\d+)*)?\s*\]$/.exec(t);
    if (!m) return invalid(`conditions ${JSON.stringify(v)} is not a list of integers`);
    return m[1] === undefined ? [] : m[1].split(',').map((x) => Number(x.trim()));
  }
  if (!Array.isArray(v)) return invalid('conditions is not a list');
  const out = new Array<number>(v.length);
  for (let k = 0; k < v.length; k++) out[k] = int(v[k], `conditions[${k}]`);
  return out;
}

const dateCache = new Map<number, string>();
/** `exp_date`: days since 1970-01-01 (date32), or (legacy FF/PH files) `YYYY-MM-DD` text. */
export function expDate(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return invalid('exp_date is not a whole day');
    if (v < MIN_EXP_DAYS) invalid(`exp_date is before 2000-01-01`);
    let s = dateCache.get(v);
    if (s === undefined) {
      s = new Date(v * 86_400_000).toISOString().slice(0, 10);
      if (dateCache.size > 10_000) dateCache.clear();
      dateCache.set(v, s);
    }
    return s;
  }
  if (typeof v === 'string') {
    const s = v.slice(0, 10);
    const d = /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T00:00:00Z`) : null;
    if (d === null || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s)
      return invalid(`exp_date ${JSON.stringify(v)} is not a date`);
    if (s < '2000-01-01') invalid('exp_date is before 2000-01-01');
    return s;
  }
  if (v instanceof Date) return expDate(Math.floor(v.getTime() / 86_400_000));
  return invalid(v === null || v === undefined ? 'exp_date is null' : 'exp_date is not a date');
}

export function aggressor(v: unknown): 1 | -1 | 0 {
  if (v === null || v === undefined) return 0; // pydantic default 0
  const a = int(v, 'aggressor');
  if (a !== 1 && a !== -1 && a !== 0) invalid(`aggressor ${a} is not 1, -1 or 0`);
  return a as 1 | -1 | 0;
}

export function size(v: unknown, f: string): number {
  const s = int(v, f);
  if (s < 1) invalid(`${f} ${s} < 1`);
  return s;
}

export function nonNeg(x: number, f: string): number {
  if (!(x >= 0)) invalid(`${f} ${x} < 0`);
  return x;
}

export function wrap(f: (i: number) => RowResult): (i: number) => RowResult {
  return (i) => {
    try {
      return f(i);
    } catch (e) {
      if (e instanceof Invalid) return e.reason;
      throw e;
    }
  };
}

export const col = (cols: Record<string, Col>, name: string): Col => cols[name] ?? NULLS;
/** stands for an absent optional column: every row null */
const NULLS: Col = new Proxy([], {
  get: (t, p) => (p === 'length' ? Infinity : typeof p === 'string' && /^\d+$/.test(p) ? null : Reflect.get(t, p)),
});

/** DBN's undefined price (2^63-1 x 1e-9) as the old DBN ingestor would have stored it: read as an empty side. */
export const UNDEF_PRICE_FLOAT = fixedToFloat(UNDEF_PRICE);
