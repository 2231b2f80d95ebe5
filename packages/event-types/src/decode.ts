/**
 * A strict, schema-driven JSON parser for the contract's bodies. It reads the integer lexemes of the
 * nanosecond fields as exact bigint (JSON.parse would round them through a double), checks every value
 * against the same rules as the zod schemas and throws DecodeError naming the field (`levels[3].bid_px`)
 * and the offset. Keys may come in any order and whitespace between tokens is allowed (it is JSON), but every
 * field must be present exactly once and unknown keys are rejected.
 *
 * This file holds the readers (one per kind of value, see kinds.ts) and the general parser; codegen.ts
 * compiles, per schema, a straight-line parser of the canonical layout from the same readers.
 */
import { DecodeError } from './errors.js';
import { isIsoDate } from './check.js';
import { EVENT_SOURCES, INT64_MAX, INT64_MIN } from './schemas.js';

/** A reader: the value at P, checked, for the field named (P moves past it); throws DecodeError. */
export type Reader = (field: string) => unknown;

export interface ObjDesc {
  schemaId: string;
  keys: string[];
  readers: Reader[];
  /** `"key":` per field, for the fast in-order key check */
  quotedKeys: string[];
  index: Map<string, number>;
  build: (v: unknown[]) => unknown;
  /** optional cross-field check on the parsed values (returns [field index, message] on failure) */
  check?: (v: unknown[]) => [number, string] | undefined;
  /** straight-line parser for the canonical layout (compact, contract key order); undefined when the text
   * deviates from that layout, and the general parser then takes over from the start */
  fast?: () => unknown;
}

const SOURCES = new Set<string>(EVENT_SOURCES);

let S = '';
let P = 0;
let ID = '';

export function err(field: string, msg: string, at = P): never {
  throw new DecodeError(field, msg, at, ID);
}

function ws(): void {
  let c = S.charCodeAt(P);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = S.charCodeAt(++P);
}

function what(): string {
  const c = S.charCodeAt(P);
  if (P >= S.length) return 'end of input';
  if (c === 34) return 'a string';
  if (c === 123) return 'an object';
  if (c === 91) return 'an array';
  if (c === 116 || c === 102) return 'a boolean';
  if (c === 110) return S.startsWith('null', P) ? 'null' : 'an invalid token';
  if (c === 45 || (c >= 48 && c <= 57)) return 'a number';
  if (c === 78 || c === 73 || (c === 45 && S.charCodeAt(P + 1) === 73)) return 'a non-finite number';
  return `an invalid token ${JSON.stringify(S.slice(P, P + 10))}`;
}

function isNonFiniteToken(): boolean {
  return S.startsWith('NaN', P) || S.startsWith('Infinity', P) || S.startsWith('-Infinity', P);
}

let numIsInt = false;
/** Scan a JSON number lexeme at P (strict grammar); returns its end. Sets numIsInt. */
function scanNumber(field: string): number {
  let i = P;
  let c = S.charCodeAt(i);
  if (c === 45) c = S.charCodeAt(++i);
  if (c === 48) c = S.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do c = S.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  } else {
    if (isNonFiniteToken()) err(field, 'must be finite, got a non-finite number');
    err(field, `expected a number, got ${what()}`);
  }
  numIsInt = true;
  if (c === 46) {
    numIsInt = false;
    c = S.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) err(field, 'malformed number (no digit after the decimal point)', i);
    do c = S.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  }
  if (c === 101 || c === 69) {
    numIsInt = false;
    c = S.charCodeAt(++i);
    if (c === 43 || c === 45) c = S.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) err(field, 'malformed number (no digit in the exponent)', i);
    do c = S.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  }
  return i;
}

/** Exact powers of ten as doubles (10^0 .. 10^22 are exact). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// readNs splits a 16..19-digit lexeme into its leading digits (the whole seconds, < 1e10) and its last 9 digits;
// the bigint of the leading part is cached (consecutive timestamps share it), so an exact bigint costs one
// small BigInt() and one addition instead of a decimal string conversion.
let hiNum = -1;
let hiBig = 0n;
const E9 = 1_000_000_000n;

export function readNs(field: string): bigint {
  let i = P;
  let c = S.charCodeAt(i);
  if (c >= 49 && c <= 57) {
    let hi = 0;
    let lo = 0;
    const d0 = i;
    do {
      // digits beyond the 9 last go into hi: shift one digit from lo to hi once lo holds 9 digits
      lo = lo * 10 + (c - 48);
      c = S.charCodeAt(++i);
    } while (c >= 48 && c <= 57 && i - d0 < 9);
    while (c >= 48 && c <= 57) {
      const top = (lo / 100_000_000) | 0; // lo has exactly 9 digits here
      hi = hi * 10 + top;
      lo = (lo - top * 100_000_000) * 10 + (c - 48);
      c = S.charCodeAt(++i);
    }
    if (c === 46 || c === 101 || c === 69) return readNsSlow(field);
    const nd = i - d0;
    if (nd > 19) err(field, `${S.slice(P, i)} is outside the int64 range`);
    let v: bigint;
    if (hi === 0) v = BigInt(lo);
    else {
      if (hi !== hiNum) {
        hiNum = hi;
        hiBig = BigInt(hi) * E9;
      }
      v = hiBig + BigInt(lo);
    }
    if (nd === 19 && v > INT64_MAX) err(field, `${S.slice(P, i)} is outside the int64 range`);
    P = i;
    return v;
  }
  // 0, negative values, and everything that is not a plain integer
  if (c === 45) c = S.charCodeAt(++i);
  const d0 = i;
  if (c === 48) c = S.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do c = S.charCodeAt(++i);
    while (c >= 48 && c <= 57);
  } else {
    if (S.charCodeAt(P) === 45 || c === 73 || c === 78) return readNsSlow(field);
    err(field, `expected an integer (nanoseconds), got ${what()}`);
  }
  if (c === 46 || c === 101 || c === 69) return readNsSlow(field);
  const nd = i - d0;
  if (nd > 19) err(field, `${S.slice(P, i)} is outside the int64 range`);
  const lex = S.slice(P, i);
  const v = BigInt(lex);
  if (v > INT64_MAX || v < INT64_MIN) err(field, `${lex} is outside the int64 range`);
  P = i;
  return v;
}

/** readNs for what is not a plain integer lexeme: reports the precise error */
function readNsSlow(field: string): never {
  const end = scanNumber(field);
  return err(field, `must be an integer (nanoseconds), got ${S.slice(P, end)}`);
}

/**
 * A float. Fast path (Clinger): at most 15 significant digits and no exponent, so the digits form an exact
 * integer m < 2^53 and the value is m / 10^f with 10^f exact: one correctly rounded division, the same double
 * Number(lexeme) gives. Anything else goes through Number(lexeme), which is correctly rounded.
 */
export function readFloat(field: string): number {
  let i = P;
  let c = S.charCodeAt(i);
  let neg = false;
  if (c === 45) {
    neg = true;
    c = S.charCodeAt(++i);
  }
  let m = 0;
  let nd = 0;
  if (c === 48) c = S.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do {
      m = m * 10 + (c - 48);
      nd++;
      c = S.charCodeAt(++i);
    } while (c >= 48 && c <= 57);
  } else return readFloatSlow(field);
  let f = 0;
  if (c === 46) {
    c = S.charCodeAt(++i);
    if (!(c >= 48 && c <= 57)) return readFloatSlow(field);
    do {
      m = m * 10 + (c - 48);
      f++;
      c = S.charCodeAt(++i);
    } while (c >= 48 && c <= 57);
    nd += f;
  }
  if (c === 101 || c === 69 || nd > 15) return readFloatSlow(field);
  P = i;
  const v = f === 0 ? m : m / (POW10[f] as number); // f <= 15 here
  return neg ? -v : v;
}

function readFloatSlow(field: string): number {
  const end = scanNumber(field);
  const v = +S.slice(P, end);
  if (v === Infinity || v === -Infinity) err(field, `must be finite, got ${S.slice(P, end)} (overflows a double)`);
  P = end;
  return v;
}

/** An integer lexeme (no fraction, no exponent) that is a safe integer >= min. */
function readInt(field: string, min: number): number {
  let i = P;
  let c = S.charCodeAt(i);
  let neg = false;
  if (c === 45) {
    neg = true;
    c = S.charCodeAt(++i);
  }
  let v = 0;
  let nd = 0;
  if (c === 48) c = S.charCodeAt(++i);
  else if (c >= 49 && c <= 57) {
    do {
      v = v * 10 + (c - 48);
      nd++;
      c = S.charCodeAt(++i);
    } while (c >= 48 && c <= 57);
  } else return readIntSlow(field, min);
  if (c === 46 || c === 101 || c === 69 || nd > 15) return readIntSlow(field, min);
  if (neg) v = 0 - v; // 0 - 0 is +0
  if (v < min) err(field, `must be >= ${min}, got ${S.slice(P, i)}`);
  P = i;
  return v;
}

function readIntSlow(field: string, min: number): number {
  const c = S.charCodeAt(P);
  if (!(c === 45 || (c >= 48 && c <= 57))) err(field, `expected an integer, got ${what()}`);
  const end = scanNumber(field);
  if (!numIsInt) err(field, `must be an integer, got ${S.slice(P, end)}`);
  const v = +S.slice(P, end);
  if (!Number.isSafeInteger(v)) err(field, `${S.slice(P, end)} is not a safe integer`);
  if (v < min) err(field, `must be >= ${min}, got ${v}`);
  P = end;
  return v === 0 ? 0 : v;
}

function isNull(): boolean {
  if (S.charCodeAt(P) === 110 && S.charCodeAt(P + 1) === 117 && S.charCodeAt(P + 2) === 108 && S.charCodeAt(P + 3) === 108) {
    P += 4;
    return true;
  }
  return false;
}

function readString(field: string): string {
  if (S.charCodeAt(P) !== 34) err(field, `expected a string, got ${what()}`);
  let i = P + 1;
  for (;;) {
    const c = S.charCodeAt(i);
    if (c === 34) {
      const s = S.slice(P + 1, i);
      P = i + 1;
      return s;
    }
    if (c === 92 || c < 32 || i >= S.length) break;
    i++;
  }
  return readStringSlow(field);
}

const ESC: Record<number, string> = { 34: '"', 92: '\\', 47: '/', 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t' };

function readStringSlow(field: string): string {
  let i = P + 1;
  let out = '';
  let start = i;
  for (;;) {
    if (i >= S.length) err(field, 'unterminated string', P);
    const c = S.charCodeAt(i);
    if (c === 34) break;
    if (c < 32) err(field, 'control character in string (must be escaped)', i);
    if (c === 92) {
      out += S.slice(start, i);
      const e = S.charCodeAt(i + 1);
      if (e === 117) {
        const hex = S.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) err(field, 'malformed \\u escape in string', i);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const r = ESC[e];
        if (r === undefined) err(field, 'invalid escape in string', i);
        out += r;
        i += 2;
      }
      start = i;
      continue;
    }
    i++;
  }
  out += S.slice(start, i);
  P = i + 1;
  return out;
}

function expect(ch: number, field: string, what_: string): void {
  ws();
  if (S.charCodeAt(P) !== ch) err(field, `expected ${what_}, got ${what()}`);
  P++;
}

export function readSource(field: string): string {
  const s = readString(field);
  if (!SOURCES.has(s)) err(field, `unknown source ${JSON.stringify(s)} (known: ${EVENT_SOURCES.join(', ')})`, P - s.length - 2);
  return s;
}

export function readStr(field: string): string {
  const s = readString(field);
  if (s.length === 0) err(field, 'must not be empty', P - 2);
  return s;
}

export function readStrNull(field: string): string | null {
  return isNull() ? null : readString(field);
}

export function readFloatNull(field: string): number | null {
  return isNull() ? null : readFloat(field);
}

export function readSize(field: string): number {
  return readInt(field, 0);
}

export function readIntNull(field: string): number | null {
  return isNull() ? null : readInt(field, -Infinity);
}

export function readConds(field: string): number[] | null {
  if (isNull()) return null;
  if (S.charCodeAt(P) !== 91) err(field, `expected an array of integers or null, got ${what()}`);
  P++;
  const out: number[] = [];
  ws();
  if (S.charCodeAt(P) === 93) {
    P++;
    return out;
  }
  for (;;) {
    ws();
    out.push(readInt(`${field}[${out.length}]`, -Infinity));
    ws();
    const c = S.charCodeAt(P);
    if (c === 44) P++;
    else if (c === 93) {
      P++;
      return out;
    } else err(field, `expected , or ] in array, got ${what()}`);
  }
}

export function readAggr(field: string): 1 | -1 | 0 {
  const c = S.charCodeAt(P);
  const n = S.charCodeAt(P + 1);
  const delim = (x: number) => !(x >= 48 && x <= 57) && x !== 46 && x !== 101 && x !== 69;
  if (c === 49 && delim(n)) {
    P++;
    return 1;
  }
  if (c === 48 && delim(n)) {
    P++;
    return 0;
  }
  if (c === 45 && n === 49 && delim(S.charCodeAt(P + 2))) {
    P += 2;
    return -1;
  }
  const at = P;
  if (!(c === 45 || (c >= 48 && c <= 57))) err(field, `expected 1, -1 or 0, got ${what()}`);
  const end = scanNumber(field);
  return err(field, `must be 1, -1 or 0, got ${S.slice(P, end)}`, at);
}

export function readRight(field: string): 'C' | 'P' {
  const s = readString(field);
  if (s !== 'C' && s !== 'P') err(field, `must be "C" or "P", got ${JSON.stringify(s)}`, P - s.length - 2);
  return s;
}

export function readDate(field: string): string {
  const s = readString(field);
  if (!isIsoDate(s)) err(field, `must be a valid YYYY-MM-DD date, got ${JSON.stringify(s)}`, P - s.length - 2);
  return s;
}

export function readBool(field: string): boolean {
  if (S.startsWith('true', P)) {
    P += 4;
    return true;
  }
  if (S.startsWith('false', P)) {
    P += 5;
    return false;
  }
  return err(field, `expected a boolean, got ${what()}`);
}

/**
 * An array of exactly n objects of descriptor d (MBP10's levels); `prefixes[i]` names item i in errors
 * (`levels[3].`), `noun` the items in messages.
 */
export function readItems(field: string, d: ObjDesc, n: number, noun: string, prefixes: readonly string[]): unknown[] {
  if (S.charCodeAt(P) !== 91) err(field, `expected an array of ${n} ${noun}, got ${what()}`);
  const start = P;
  P++;
  const out: unknown[] = [];
  ws();
  if (S.charCodeAt(P) === 93) err(field, `must have exactly ${n} ${noun}, got 0`, start);
  for (;;) {
    ws();
    const i = out.length;
    if (i === n) err(field, `must have exactly ${n} ${noun}, got more`, start);
    out.push(readObject(d, prefixes[i] ?? `${field}[${i}].`));
    ws();
    const c = S.charCodeAt(P);
    if (c === 44) P++;
    else if (c === 93) {
      P++;
      break;
    } else err(field, `expected , or ] in array, got ${what()}`);
  }
  if (out.length !== n) err(field, `must have exactly ${n} ${noun}, got ${out.length}`, start);
  return out;
}

/** Parse one object of descriptor d at P; `prefix` is prepended to field names in errors (`levels[3].`). */
function readObject(d: ObjDesc, prefix: string): unknown {
  const where = prefix ? prefix.slice(0, -1) : '';
  ws();
  if (S.charCodeAt(P) !== 123) err(where, `expected an object, got ${what()}`);
  P++;
  const n = d.keys.length;
  const vals = new Array<unknown>(n);
  let seen = 0;
  let count = 0;
  ws();
  if (S.charCodeAt(P) !== 125) {
    for (;;) {
      ws();
      // fast path: the next key is the one the contract puts here
      let idx: number;
      const qk = count < n ? d.quotedKeys[count] : undefined;
      if (qk !== undefined && S.startsWith(qk, P)) {
        idx = count;
        P += qk.length;
      } else {
        if (S.charCodeAt(P) !== 34) err(where, `expected a key string, got ${what()}`);
        const keyAt = P;
        const key = readString(where);
        const k = d.index.get(key);
        if (k === undefined) err(prefix + key, `unknown key (not in ${d.schemaId})`, keyAt);
        idx = k;
        expect(58, prefix + key, ':');
      }
      const bit = 1 << idx;
      const name = prefix + d.keys[idx];
      if (seen & bit) err(name, 'duplicate key');
      seen |= bit;
      count++;
      ws();
      vals[idx] = (d.readers[idx] as Reader)(name); // idx < n: a field's index
      ws();
      const c = S.charCodeAt(P);
      if (c === 44) {
        P++;
        continue;
      }
      if (c === 125) break;
      err(where, `expected , or } in object, got ${what()}`);
    }
  }
  P++;
  if (count !== n) {
    for (let i = 0; i < n; i++) if (!(seen & (1 << i))) err(prefix + d.keys[i], 'missing field', P - 1);
  }
  if (d.check) {
    const bad = d.check(vals);
    if (bad) err(prefix + d.keys[bad[0]], bad[1], P - 1);
  }
  return d.build(vals);
}

/** If the text at P starts with k, skip it. */
export function lit(k: string): boolean {
  // indexOf from P finds k at P at once (no allocation; faster than a charCodeAt loop or a slice). Where k is
  // not at P it scans on: only on the way to the general parser.
  if (S.indexOf(k, P) !== P) return false;
  P += k.length;
  return true;
}

/** If the character at P is c, skip it. */
export function ch(c: number): boolean {
  if (S.charCodeAt(P) !== c) return false;
  P++;
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode one body (UTF-8 bytes or text) with descriptor d. */
export function decodeWith<E>(d: ObjDesc, input: Uint8Array | string): E {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input instanceof Uint8Array) {
    try {
      text = utf8.decode(input);
    } catch {
      throw new DecodeError('', 'body is not valid UTF-8', -1, d.schemaId);
    }
  } else throw new DecodeError('', `body must be a Uint8Array or a string, got ${input === null ? 'null' : typeof input}`, -1, d.schemaId);
  S = text;
  P = 0;
  ID = d.schemaId;
  try {
    if (d.fast !== undefined) {
      const r = d.fast();
      if (r !== undefined && P === S.length) return r as E;
      P = 0;
    }
    const out = readObject(d, '');
    ws();
    if (P !== S.length) err('', `unexpected ${what()} after the object`);
    return out as E;
  } finally {
    S = '';
  }
}
