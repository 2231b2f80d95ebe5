/**
 * A strict, schema-driven JSON parser for the contract's bodies. It reads the integer lexemes of the
 * nanosecond fields as exact bigint (JSON.parse would round them through a double), checks every value
 * against the same rules as the zod schemas and throws DecodeError naming the field (`levels[3].bid_px`)
 * and the offset. Keys may come in any order and whitespace between tokens is allowed (it is JSON), but every
 * field must be present exactly once and unknown keys are rejected.
 */
import { DecodeError } from './errors.js';
import { isIsoDate } from './encode.js';
import { EVENT_SOURCES, INT64_MAX, INT64_MIN, MBP10_DEPTH } from './schemas.js';

export enum K {
  NS,
  SOURCE,
  STR, // non-empty string
  STR_NULL,
  FLOAT,
  FLOAT_NULL,
  SIZE, // safe int >= 0
  INT_NULL,
  CONDS,
  AGGR,
  RIGHT,
  DATE,
  BOOL,
  LEVELS,
}

export interface ObjDesc {
  schemaId: string;
  keys: string[];
  kinds: K[];
  /** `"key":` per field, for the fast in-order key check */
  quotedKeys: string[];
  index: Map<string, number>;
  build: (v: unknown[]) => unknown;
  /** optional cross-field check on the parsed values (returns [field index, message] on failure) */
  check?: (v: unknown[]) => [number, string] | undefined;
}

export function desc(schemaId: string, fields: [string, K][], build: (v: unknown[]) => unknown, check?: ObjDesc['check']): ObjDesc {
  return {
    schemaId,
    keys: fields.map((f) => f[0]),
    kinds: fields.map((f) => f[1]),
    quotedKeys: fields.map((f) => '"' + f[0] + '":'),
    index: new Map(fields.map((f, i) => [f[0], i])),
    build,
    check,
  };
}

const SOURCES = new Set<string>(EVENT_SOURCES);

let S = '';
let P = 0;
let ID = '';

function err(field: string, msg: string, at = P): never {
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

function readNs(field: string): bigint {
  const c = S.charCodeAt(P);
  if (!(c === 45 || (c >= 48 && c <= 57))) err(field, `expected an integer (nanoseconds), got ${what()}`);
  const end = scanNumber(field);
  if (!numIsInt) err(field, `must be an integer (nanoseconds), got ${S.slice(P, end)}`);
  if (end - P > 20) err(field, `${S.slice(P, end)} is outside the int64 range`);
  const v = BigInt(S.slice(P, end));
  if (v > INT64_MAX || v < INT64_MIN) err(field, `${v} is outside the int64 range`);
  P = end;
  return v;
}

function readFloat(field: string): number {
  const end = scanNumber(field);
  const v = +S.slice(P, end);
  if (v === Infinity || v === -Infinity) err(field, `must be finite, got ${S.slice(P, end)} (overflows a double)`);
  P = end;
  return v;
}

function readInt(field: string, min: number): number {
  const c = S.charCodeAt(P);
  if (!(c === 45 || (c >= 48 && c <= 57))) err(field, `expected an integer, got ${what()}`);
  const end = scanNumber(field);
  if (!numIsInt) err(field, `must be an integer, got ${S.slice(P, end)}`);
  const v = +S.slice(P, end);
  if (!Number.isSafeInteger(v)) err(field, `${S.slice(P, end)} is not a safe integer`);
  if (v < min) err(field, `must be >= ${min}, got ${v}`);
  P = end;
  return v;
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

function readValue(kind: K, field: string): unknown {
  switch (kind) {
    case K.NS:
      return readNs(field);
    case K.SOURCE: {
      const s = readString(field);
      if (!SOURCES.has(s)) err(field, `unknown source ${JSON.stringify(s)} (known: ${EVENT_SOURCES.join(', ')})`, P - s.length - 2);
      return s;
    }
    case K.STR: {
      const s = readString(field);
      if (s.length === 0) err(field, 'must not be empty', P - 2);
      return s;
    }
    case K.STR_NULL:
      return isNull() ? null : readString(field);
    case K.FLOAT:
      return readFloat(field);
    case K.FLOAT_NULL:
      return isNull() ? null : readFloat(field);
    case K.SIZE:
      return readInt(field, 0);
    case K.INT_NULL:
      return isNull() ? null : readInt(field, -Infinity);
    case K.CONDS: {
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
    case K.AGGR: {
      const at = P;
      const c = S.charCodeAt(P);
      if (!(c === 45 || (c >= 48 && c <= 57))) err(field, `expected 1, -1 or 0, got ${what()}`);
      const end = scanNumber(field);
      const lex = S.slice(P, end);
      P = end;
      if (lex === '1') return 1;
      if (lex === '-1') return -1;
      if (lex === '0') return 0;
      return err(field, `must be 1, -1 or 0, got ${lex}`, at);
    }
    case K.RIGHT: {
      const s = readString(field);
      if (s !== 'C' && s !== 'P') err(field, `must be "C" or "P", got ${JSON.stringify(s)}`, P - s.length - 2);
      return s;
    }
    case K.DATE: {
      const s = readString(field);
      if (!isIsoDate(s)) err(field, `must be a valid YYYY-MM-DD date, got ${JSON.stringify(s)}`, P - s.length - 2);
      return s;
    }
    case K.BOOL:
      if (S.startsWith('true', P)) {
        P += 4;
        return true;
      }
      if (S.startsWith('false', P)) {
        P += 5;
        return false;
      }
      return err(field, `expected a boolean, got ${what()}`);
    case K.LEVELS: {
      if (S.charCodeAt(P) !== 91) err(field, `expected an array of ${MBP10_DEPTH} levels, got ${what()}`);
      const start = P;
      P++;
      const out: unknown[] = [];
      ws();
      if (S.charCodeAt(P) === 93) err(field, `must have exactly ${MBP10_DEPTH} levels, got 0`, start);
      for (;;) {
        ws();
        const i = out.length;
        if (i === MBP10_DEPTH) err(field, `must have exactly ${MBP10_DEPTH} levels, got more`, start);
        out.push(readObject(LEVEL, LEVEL_PREFIX[i]));
        ws();
        const c = S.charCodeAt(P);
        if (c === 44) P++;
        else if (c === 93) {
          P++;
          break;
        } else err(field, `expected , or ] in array, got ${what()}`);
      }
      if (out.length !== MBP10_DEPTH) err(field, `must have exactly ${MBP10_DEPTH} levels, got ${out.length}`, start);
      return out;
    }
  }
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
      if (seen & bit) err(prefix + d.keys[idx], 'duplicate key');
      seen |= bit;
      count++;
      ws();
      vals[idx] = readValue(d.kinds[idx], prefix + d.keys[idx]);
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

const LEVEL = desc(
  'futures.mbp10.v1',
  [
    ['bid_px', K.FLOAT_NULL],
    ['bid_sz', K.SIZE],
    ['ask_px', K.FLOAT_NULL],
    ['ask_sz', K.SIZE],
  ],
  (v) => ({ bid_px: v[0], bid_sz: v[1], ask_px: v[2], ask_sz: v[3] }),
  (v) => {
    if (v[0] === null && v[1] !== 0) return [1, `an empty bid side (bid_px null) must have size 0, got ${v[1]}`];
    if (v[2] === null && v[3] !== 0) return [3, `an empty ask side (ask_px null) must have size 0, got ${v[3]}`];
    return undefined;
  },
);
const LEVEL_PREFIX = Array.from({ length: MBP10_DEPTH }, (_, i) => `levels[${i}].`);

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
    const out = readObject(d, '');
    ws();
    if (P !== S.length) err('', `unexpected ${what()} after the object`);
    return out as E;
  } finally {
    S = '';
  }
}
