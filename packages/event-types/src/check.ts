/**
 * The encoders' value checks, shared by the text encoders (encode.ts) and the byte encoders (bytes.ts) so that
 * both accept, reject and report exactly the same. Each returns the validated value or throws EncodeError
 * naming the field. They mirror the zod schemas (a test checks that they agree).
 */
import { EncodeError } from './errors.js';
import { EVENT_SOURCES, INT64_MAX, INT64_MIN, MBP10_DEPTH } from './schemas.js';
import type { Aggressor, EventSource, MBP10Level } from './schemas.js';

export function fail(field: string, msg: string, schemaId: string): never {
  throw new EncodeError(field, msg, schemaId);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined (missing)';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return `number ${v}`;
  return typeof v;
}

export function checkObj(e: unknown, id: string): Record<string, unknown> {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) fail('', `event must be an object, got ${typeName(e)}`, id);
  return e as Record<string, unknown>;
}

export function checkNs(v: unknown, f: string, id: string): bigint {
  if (typeof v !== 'bigint') fail(f, `must be a bigint (exact nanoseconds), got ${typeName(v)}`, id);
  if (v < INT64_MIN || v > INT64_MAX) fail(f, `${v} is outside the int64 range`, id);
  return v;
}

const SOURCES = new Set<string>(EVENT_SOURCES);
export function checkSource(v: unknown, id: string): EventSource {
  if (typeof v !== 'string' || !SOURCES.has(v)) {
    fail('source', `must be one of ${EVENT_SOURCES.join('|')}, got ${typeof v === 'string' ? JSON.stringify(v) : typeName(v)}`, id);
  }
  return v as EventSource;
}

export function checkStr(v: unknown, f: string, id: string): string {
  if (typeof v !== 'string') fail(f, `must be a string, got ${typeName(v)}`, id);
  if (v.length === 0) fail(f, 'must not be empty', id);
  return v;
}

export function checkStrOrNull(v: unknown, f: string, id: string): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') fail(f, `must be a string or null, got ${typeName(v)}`, id);
  return v;
}

export function checkFloat(v: unknown, f: string, id: string): number {
  if (typeof v !== 'number') fail(f, `must be a number, got ${typeName(v)}`, id);
  if (v !== v || v === Infinity || v === -Infinity) fail(f, `must be finite, got ${v}`, id);
  return v;
}

export function checkFloatOrNull(v: unknown, f: string, id: string): number | null {
  return v === null ? null : checkFloat(v, f, id);
}

/** a size: safe integer >= 0 */
export function checkSize(v: unknown, f: string, id: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(f, `must be an integer (safe, >= 0), got ${typeName(v)}`, id);
  if (v < 0) fail(f, `must be >= 0, got ${v}`, id);
  return v;
}

export function checkInt(v: unknown, f: string, id: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(f, `must be a safe integer, got ${typeName(v)}`, id);
  return v;
}

export function checkIntOrNull(v: unknown, f: string, id: string): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(f, `must be a safe integer or null, got ${typeName(v)}`, id);
  return v;
}

export function checkConds(v: unknown, id: string): number[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) fail('conditions', `must be an array of integers or null, got ${typeName(v)}`, id);
  for (let i = 0; i < v.length; i++) checkInt(v[i], `conditions[${i}]`, id);
  return v as number[];
}

export function checkAggr(v: unknown, id: string): Aggressor {
  if (v === 1 || v === -1 || v === 0) return v;
  return fail('aggressor', `must be 1, -1 or 0, got ${typeName(v)}`, id);
}

export function checkRight(v: unknown, id: string): 'C' | 'P' {
  if (v === 'C' || v === 'P') return v;
  return fail('right', `must be "C" or "P", got ${typeof v === 'string' ? JSON.stringify(v) : typeName(v)}`, id);
}

const DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** YYYY-MM-DD and a real calendar date (as zod's z.iso.date()). */
export function isIsoDate(s: string): boolean {
  if (s.length !== 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false;
  for (const i of [0, 1, 2, 3, 5, 6, 8, 9]) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const y = +s.slice(0, 4);
  const m = +s.slice(5, 7);
  const d = +s.slice(8, 10);
  if (m < 1 || m > 12 || d < 1 || d > DAYS[m]) return false;
  if (m === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return false;
  return true;
}

export function checkDate(v: unknown, f: string, id: string): string {
  if (typeof v !== 'string') fail(f, `must be a YYYY-MM-DD string, got ${typeName(v)}`, id);
  if (!isIsoDate(v)) fail(f, `must be a valid YYYY-MM-DD date, got ${JSON.stringify(v)}`, id);
  return v;
}

export function checkBool(v: unknown, f: string, id: string): boolean {
  if (v !== true && v !== false) fail(f, `must be a boolean, got ${typeName(v)}`, id);
  return v;
}

const MB = 'futures.mbp10.v1';
export const LEVEL_FIELDS: string[][] = [];
for (let i = 0; i < MBP10_DEPTH; i++) LEVEL_FIELDS.push(['bid_px', 'bid_sz', 'ask_px', 'ask_sz'].map((k) => `levels[${i}].${k}`));

export function checkLevels(v: unknown): unknown[] {
  if (!Array.isArray(v)) fail('levels', `must be an array of ${MBP10_DEPTH} levels, got ${typeName(v)}`, MB);
  if (v.length !== MBP10_DEPTH) fail('levels', `must have exactly ${MBP10_DEPTH} levels, got ${v.length}`, MB);
  return v;
}

/** one level, fully checked (prices finite or null, sizes >= 0, an empty side has size 0) */
export function checkLevel(v: unknown, i: number): MBP10Level {
  const f = LEVEL_FIELDS[i];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`levels[${i}]`, `must be an object, got ${typeName(v)}`, MB);
  const l = v as MBP10Level;
  checkFloatOrNull(l.bid_px, f[0], MB);
  checkSize(l.bid_sz, f[1], MB);
  checkFloatOrNull(l.ask_px, f[2], MB);
  checkSize(l.ask_sz, f[3], MB);
  if (l.bid_px === null && l.bid_sz !== 0) fail(f[1], `an empty bid side (bid_px null) must have size 0, got ${l.bid_sz}`, MB);
  if (l.ask_px === null && l.ask_sz !== 0) fail(f[3], `an empty ask side (ask_px null) must have size 0, got ${l.ask_sz}`, MB);
  return l;
}
