/**
 * The encoders' value checks, shared by the text and the byte encoders (codegen.ts compiles both from the same
 * field tables) so that both accept, reject and report exactly the same. Each takes the value, the field's name
 * and the schema id, and returns the validated value or throws EncodeError naming the field. They mirror the
 * zod schemas (a test checks that they agree).
 */
import { EncodeError } from './errors.js';
import { EVENT_SOURCES, INT64_MAX, INT64_MIN } from './schemas.js';
import type { Aggressor, EmptySide, EventSource } from './schemas.js';

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
export function checkSource(v: unknown, f: string, id: string): EventSource {
  if (typeof v !== 'string' || !SOURCES.has(v)) {
    fail(f, `must be one of ${EVENT_SOURCES.join('|')}, got ${typeof v === 'string' ? JSON.stringify(v) : typeName(v)}`, id);
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

export function checkConds(v: unknown, f: string, id: string): number[] | null {
  if (v === null) return null;
  if (!Array.isArray(v)) fail(f, `must be an array of integers or null, got ${typeName(v)}`, id);
  for (let i = 0; i < v.length; i++) checkInt(v[i], `${f}[${i}]`, id);
  return v as number[];
}

export function checkAggr(v: unknown, f: string, id: string): Aggressor {
  if (v === 1 || v === -1 || v === 0) return v;
  return fail(f, `must be 1, -1 or 0, got ${typeName(v)}`, id);
}

export function checkRight(v: unknown, f: string, id: string): 'C' | 'P' {
  if (v === 'C' || v === 'P') return v;
  return fail(f, `must be "C" or "P", got ${typeof v === 'string' ? JSON.stringify(v) : typeName(v)}`, id);
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
  if (m < 1 || m > 12 || d < 1 || d > (DAYS[m] ?? 0)) return false;
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

/** an array of exactly n items (`noun` names them in the message: MBP10's levels) */
export function checkItems(v: unknown, f: string, n: number, noun: string, id: string): unknown[] {
  if (!Array.isArray(v)) fail(f, `must be an array of ${n} ${noun}, got ${typeName(v)}`, id);
  if (v.length !== n) fail(f, `must have exactly ${n} ${noun}, got ${v.length}`, id);
  return v;
}

/** item i of such an array: an object */
export function checkItem(v: unknown, f: string, i: number, id: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`${f}[${i}]`, `must be an object, got ${typeName(v)}`, id);
  return v as Record<string, unknown>;
}

/** the codec's message (encoder and decoder) for a broken EMPTY_SIDES rule */
export function emptySideMessage(rule: EmptySide, size: unknown): string {
  return `an empty ${rule.side} side (${rule.px} null) must have size 0, got ${size}`;
}
