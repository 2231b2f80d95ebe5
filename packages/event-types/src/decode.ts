/**
 * A strict, schema-driven JSON parser for the contract's bodies. It reads the integer lexemes of the
 * nanosecond fields as exact bigint (JSON.parse would round them through a double), checks every value
 * against the same rules as the zod schemas and throws DecodeError naming the field (`levels[3].bid_px`)
 * and the offset. Keys may come in any order and whitespace between tokens is allowed (it is JSON), but every
 * field must be present exactly once and unknown keys are rejected.
 */
import { DecodeError } from './errors.js';
import { isIsoDate } from './check.js';
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
  /** straight-line parser for the canonical layout (compact, contract key order); undefined when the text
   * deviates from that layout, and the general parser then takes over from the start */
  fast?: () => unknown;
}

export function desc(
  schemaId: string,
  fields: [string, K][],
  build: (v: unknown[]) => unknown,
  check?: ObjDesc['check'],
  fast?: () => unknown,
): ObjDesc {
  return {
    fast,
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

/** Exact powers of ten as doubles (10^0 .. 10^22 are exact). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

// readNs splits a 16..19-digit lexeme into its leading digits (the whole seconds, < 1e10) and its last 9 digits;
// the bigint of the leading part is cached (consecutive timestamps share it), so an exact bigint costs one
// small BigInt() and one addition instead of a decimal string conversion.
let hiNum = -1;
let hiBig = 0n;
const E9 = 1_000_000_000n;

function readNs(field: string): bigint {
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
function readFloat(field: string): number {
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
  const v = f === 0 ? m : m / POW10[f];
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

function readSource(field: string): string {
  const s = readString(field);
  if (!SOURCES.has(s)) err(field, `unknown source ${JSON.stringify(s)} (known: ${EVENT_SOURCES.join(', ')})`, P - s.length - 2);
  return s;
}

function readStr(field: string): string {
  const s = readString(field);
  if (s.length === 0) err(field, 'must not be empty', P - 2);
  return s;
}

function readStrNull(field: string): string | null {
  return isNull() ? null : readString(field);
}

function readFloatNull(field: string): number | null {
  return isNull() ? null : readFloat(field);
}

function readSize(field: string): number {
  return readInt(field, 0);
}

function readIntNull(field: string): number | null {
  return isNull() ? null : readInt(field, -Infinity);
}

function readConds(field: string): number[] | null {
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

function readAggr(field: string): 1 | -1 | 0 {
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

function readRight(field: string): 'C' | 'P' {
  const s = readString(field);
  if (s !== 'C' && s !== 'P') err(field, `must be "C" or "P", got ${JSON.stringify(s)}`, P - s.length - 2);
  return s;
}

function readDate(field: string): string {
  const s = readString(field);
  if (!isIsoDate(s)) err(field, `must be a valid YYYY-MM-DD date, got ${JSON.stringify(s)}`, P - s.length - 2);
  return s;
}

function readBool(field: string): boolean {
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

function readLevels(field: string): unknown[] {
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

function readValue(kind: K, field: string): unknown {
  switch (kind) {
    case K.NS:
      return readNs(field);
    case K.SOURCE:
      return readSource(field);
    case K.STR:
      return readStr(field);
    case K.STR_NULL:
      return readStrNull(field);
    case K.FLOAT:
      return readFloat(field);
    case K.FLOAT_NULL:
      return readFloatNull(field);
    case K.SIZE:
      return readSize(field);
    case K.INT_NULL:
      return readIntNull(field);
    case K.CONDS:
      return readConds(field);
    case K.AGGR:
      return readAggr(field);
    case K.RIGHT:
      return readRight(field);
    case K.DATE:
      return readDate(field);
    case K.BOOL:
      return readBool(field);
    case K.LEVELS:
      return readLevels(field);
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

/** If the text at P starts with k, skip it. */
function lit(k: string): boolean {
  // indexOf from P finds k at P at once (no allocation; faster than a charCodeAt loop or a slice). Where k is
  // not at P it scans on: only on the way to the general parser.
  if (S.indexOf(k, P) !== P) return false;
  P += k.length;
  return true;
}

type Src = 'massive_ws' | 'massive_rest' | 'polygon_ws' | 'polygon_rest' | 'replay' | 'sim' | 'direct_feed';

function fastStockTrade(): unknown {
  if (!lit('{"ts_event_ns":')) return undefined;
  const ts_event_ns = readNs('ts_event_ns');
  if (!lit(',"ts_recv_ns":')) return undefined;
  const ts_recv_ns = readNs('ts_recv_ns');
  if (!lit(',"source":')) return undefined;
  const source = readSource('source') as Src;
  if (!lit(',"symbol":')) return undefined;
  const symbol = readStr('symbol');
  if (!lit(',"price":')) return undefined;
  const price = readFloat('price');
  if (!lit(',"size":')) return undefined;
  const size = readSize('size');
  if (!lit(',"exchange":')) return undefined;
  const exchange = readIntNull('exchange');
  if (!lit(',"conditions":')) return undefined;
  const conditions = readConds('conditions');
  if (!lit(',"seq":')) return undefined;
  const seq = readIntNull('seq');
  if (!ch(125)) return undefined;
  return { ts_event_ns, ts_recv_ns, source, symbol, price, size, exchange, conditions, seq };
}

function fastStockQuote(): unknown {
  if (!lit('{"ts_event_ns":')) return undefined;
  const ts_event_ns = readNs('ts_event_ns');
  if (!lit(',"ts_recv_ns":')) return undefined;
  const ts_recv_ns = readNs('ts_recv_ns');
  if (!lit(',"source":')) return undefined;
  const source = readSource('source') as Src;
  if (!lit(',"symbol":')) return undefined;
  const symbol = readStr('symbol');
  if (!lit(',"bid_px":')) return undefined;
  const bid_px = readFloat('bid_px');
  if (!lit(',"ask_px":')) return undefined;
  const ask_px = readFloat('ask_px');
  if (!lit(',"bid_sz":')) return undefined;
  const bid_sz = readSize('bid_sz');
  if (!lit(',"ask_sz":')) return undefined;
  const ask_sz = readSize('ask_sz');
  if (!lit(',"bid_exch":')) return undefined;
  const bid_exch = readIntNull('bid_exch');
  if (!lit(',"ask_exch":')) return undefined;
  const ask_exch = readIntNull('ask_exch');
  if (!lit(',"seq":')) return undefined;
  const seq = readIntNull('seq');
  if (!ch(125)) return undefined;
  return { ts_event_ns, ts_recv_ns, source, symbol, bid_px, ask_px, bid_sz, ask_sz, bid_exch, ask_exch, seq };
}

function fastOptionTrade(): unknown {
  if (!lit('{"ts_event_ns":')) return undefined;
  const ts_event_ns = readNs('ts_event_ns');
  if (!lit(',"ts_recv_ns":')) return undefined;
  const ts_recv_ns = readNs('ts_recv_ns');
  if (!lit(',"source":')) return undefined;
  const source = readSource('source') as Src;
  if (!lit(',"underlying":')) return undefined;
  const underlying = readStr('underlying');
  if (!lit(',"option_symbol":')) return undefined;
  const option_symbol = readStr('option_symbol');
  if (!lit(',"exp_date":')) return undefined;
  const exp_date = readDate('exp_date');
  if (!lit(',"strike":')) return undefined;
  const strike = readFloat('strike');
  if (!lit(',"right":')) return undefined;
  const right = readRight('right');
  if (!lit(',"price":')) return undefined;
  const price = readFloat('price');
  if (!lit(',"size":')) return undefined;
  const size = readSize('size');
  if (!lit(',"opt_bid":')) return undefined;
  const opt_bid = readFloatNull('opt_bid');
  if (!lit(',"opt_ask":')) return undefined;
  const opt_ask = readFloatNull('opt_ask');
  if (!lit(',"aggressor":')) return undefined;
  const aggressor = readAggr('aggressor');
  if (!lit(',"conditions":')) return undefined;
  const conditions = readConds('conditions');
  if (!lit(',"seq":')) return undefined;
  const seq = readIntNull('seq');
  if (!ch(125)) return undefined;
  return {
    ts_event_ns, ts_recv_ns, source, underlying, option_symbol, exp_date, strike, right, price, size, opt_bid, opt_ask,
    aggressor, conditions, seq,
  };
}

function fastFuturesTrade(): unknown {
  if (!lit('{"ts_event_ns":')) return undefined;
  const ts_event_ns = readNs('ts_event_ns');
  if (!lit(',"ts_recv_ns":')) return undefined;
  const ts_recv_ns = readNs('ts_recv_ns');
  if (!lit(',"source":')) return undefined;
  const source = readSource('source') as Src;
  if (!lit(',"symbol":')) return undefined;
  const symbol = readStr('symbol');
  if (!lit(',"price":')) return undefined;
  const price = readFloat('price');
  if (!lit(',"size":')) return undefined;
  const size = readSize('size');
  if (!lit(',"aggressor":')) return undefined;
  const aggressor = readAggr('aggressor');
  if (!lit(',"exchange":')) return undefined;
  const exchange = readStrNull('exchange');
  if (!lit(',"conditions":')) return undefined;
  const conditions = readConds('conditions');
  if (!lit(',"seq":')) return undefined;
  const seq = readIntNull('seq');
  if (!ch(125)) return undefined;
  return { ts_event_ns, ts_recv_ns, source, symbol, price, size, aggressor, exchange, conditions, seq };
}

const LEVEL_FIELD = Array.from({ length: MBP10_DEPTH }, (_, i) => ['bid_px', 'bid_sz', 'ask_px', 'ask_sz'].map((k) => `levels[${i}].${k}`));

/** a single character at P */
function ch(c: number): boolean {
  if (S.charCodeAt(P) !== c) return false;
  P++;
  return true;
}

function fastMBP10(): unknown {
  if (!lit('{"ts_event_ns":')) return undefined;
  const ts_event_ns = readNs('ts_event_ns');
  if (!lit(',"ts_recv_ns":')) return undefined;
  const ts_recv_ns = readNs('ts_recv_ns');
  if (!lit(',"source":')) return undefined;
  const source = readSource('source') as Src;
  if (!lit(',"symbol":')) return undefined;
  const symbol = readStr('symbol');
  if (!lit(',"levels":[')) return undefined;
  const levels: { bid_px: number | null; bid_sz: number; ask_px: number | null; ask_sz: number }[] = new Array(MBP10_DEPTH);
  for (let i = 0; i < MBP10_DEPTH; i++) {
    const f = LEVEL_FIELD[i];
    if (!lit(i === 0 ? '{"bid_px":' : ',{"bid_px":')) return undefined;
    const bid_px = readFloatNull(f[0]);
    if (!lit(',"bid_sz":')) return undefined;
    const bid_sz = readSize(f[1]);
    if (!lit(',"ask_px":')) return undefined;
    const ask_px = readFloatNull(f[2]);
    if (!lit(',"ask_sz":')) return undefined;
    const ask_sz = readSize(f[3]);
    if (!ch(125)) return undefined;
    if (bid_px === null && bid_sz !== 0) err(f[1], `an empty bid side (bid_px null) must have size 0, got ${bid_sz}`);
    if (ask_px === null && ask_sz !== 0) err(f[3], `an empty ask side (ask_px null) must have size 0, got ${ask_sz}`);
    levels[i] = { bid_px, bid_sz, ask_px, ask_sz };
  }
  if (!lit('],"is_snapshot":')) return undefined;
  const is_snapshot = readBool('is_snapshot');
  if (!lit(',"seq":')) return undefined;
  const seq = readIntNull('seq');
  if (!ch(125)) return undefined;
  return { ts_event_ns, ts_recv_ns, source, symbol, levels, is_snapshot, seq };
}

function fastGreeksSnapshot(): unknown {
  if (!lit('{"ts_event_ns":')) return undefined;
  const ts_event_ns = readNs('ts_event_ns');
  if (!lit(',"ts_recv_ns":')) return undefined;
  const ts_recv_ns = readNs('ts_recv_ns');
  if (!lit(',"source":')) return undefined;
  const source = readSource('source') as Src;
  if (!lit(',"underlying":')) return undefined;
  const underlying = readStr('underlying');
  if (!lit(',"option_symbol":')) return undefined;
  const option_symbol = readStr('option_symbol');
  if (!lit(',"exp_date":')) return undefined;
  const exp_date = readDate('exp_date');
  if (!lit(',"strike":')) return undefined;
  const strike = readFloat('strike');
  if (!lit(',"right":')) return undefined;
  const right = readRight('right');
  if (!lit(',"underlying_px":')) return undefined;
  const underlying_px = readFloatNull('underlying_px');
  if (!lit(',"iv":')) return undefined;
  const iv = readFloatNull('iv');
  if (!lit(',"delta":')) return undefined;
  const delta = readFloatNull('delta');
  if (!lit(',"gamma":')) return undefined;
  const gamma = readFloatNull('gamma');
  if (!lit(',"theta":')) return undefined;
  const theta = readFloatNull('theta');
  if (!lit(',"vega":')) return undefined;
  const vega = readFloatNull('vega');
  if (!lit(',"rho":')) return undefined;
  const rho = readFloatNull('rho');
  if (!lit(',"seq":')) return undefined;
  const seq = readIntNull('seq');
  if (!ch(125)) return undefined;
  return {
    ts_event_ns, ts_recv_ns, source, underlying, option_symbol, exp_date, strike, right, underlying_px, iv, delta, gamma,
    theta, vega, rho, seq,
  };
}

export const FAST: Record<string, () => unknown> = {
  'stocks.trades.v1': fastStockTrade,
  'stocks.quotes.v1': fastStockQuote,
  'options.trades.v1': fastOptionTrade,
  'futures.trades.v1': fastFuturesTrade,
  'futures.mbp10.v1': fastMBP10,
  'options.greeks.v1': fastGreeksSnapshot,
};

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
