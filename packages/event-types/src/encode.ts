/**
 * Hand-written encoders, one per schema: they build the contract's JSON text directly (keys in contract order,
 * null for absent optionals, Python float text, exact bigint nanoseconds) and check every value they write
 * against the same rules as the zod schemas, throwing EncodeError naming the field. Keys of the event object
 * that are not in the schema are not written (and not checked).
 */
import { EncodeError } from './errors.js';
import { floatText } from './float.js';
import { EVENT_SOURCES, INT64_MAX, INT64_MIN, MBP10_DEPTH } from './schemas.js';
import type { FuturesTrade, GreeksSnapshot, MBP10, MBP10Level, OptionTrade, StockQuote, StockTrade } from './schemas.js';

type Ev = Record<string, unknown>;

function fail(field: string, msg: string, schemaId: string): never {
  throw new EncodeError(field, msg, schemaId);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined (missing)';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return `number ${v}`;
  return typeof v;
}

function obj(e: unknown, id: string): Ev {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) fail('', `event must be an object, got ${typeName(e)}`, id);
  return e as Ev;
}

function ns(v: unknown, f: string, id: string): string {
  if (typeof v !== 'bigint') fail(f, `must be a bigint (exact nanoseconds), got ${typeName(v)}`, id);
  if (v < INT64_MIN || v > INT64_MAX) fail(f, `${v} is outside the int64 range`, id);
  return v.toString();
}

/** `,"source":"<source>",<next key>:` for each source, as one string */
function sourceThen(next: string): Record<string, string> {
  const m: Record<string, string> = Object.create(null);
  for (const s of EVENT_SOURCES) m[s] = ',"source":"' + s + '",' + next;
  return m;
}
const SOURCE_SYMBOL = sourceThen('"symbol":');
const SOURCE_UNDERLYING = sourceThen('"underlying":');

/** the source and the next key, validated */
function sourceAnd(v: unknown, m: Record<string, string>, id: string): string {
  const s = typeof v === 'string' ? m[v] : undefined;
  return s ?? fail('source', `must be one of ${EVENT_SOURCES.join('|')}, got ${typeof v === 'string' ? JSON.stringify(v) : typeName(v)}`, id);
}

/** false once the text being encoded holds a non-ASCII character (then bytes need UTF-8, not latin1) */
let ascii = true;

/** JSON string literal; plain printable ASCII (the usual case) needs no escaping. */
export function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return quoteSlow(s);
  }
  return '"' + s + '"';
}

function quoteSlow(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
  return JSON.stringify(s); // escapes controls, quote, backslash and lone surrogates; keeps other text as is
}

/** Buffer's own latin1Write/utf8Write (present in every Node version; buf.write(s, off, enc) wraps them with
 * argument processing that costs more than the copy itself). */
interface FastWrite {
  latin1Write?: (s: string, offset: number) => number;
  utf8Write?: (s: string, offset: number) => number;
}
const haveBuffer = typeof Buffer === 'function';
const fastWrite =
  haveBuffer && typeof (Buffer.prototype as FastWrite).latin1Write === 'function' && typeof (Buffer.prototype as FastWrite).utf8Write === 'function';
const te = new TextEncoder();

/** 16 KiB, like Buffer's pool (8 KiB): a body kept for long keeps its slab alive, so keep slabs small */
const SLAB_SIZE = 16 * 1024;
const newSlab = (): Buffer => Buffer.allocUnsafeSlow(SLAB_SIZE);
let slab = haveBuffer ? newSlab() : (undefined as unknown as Buffer);
let slabBuf = haveBuffer ? slab.buffer : new ArrayBuffer(0);
let slabOff = 0;

/**
 * Run an encoder and return its text as UTF-8 bytes: a Uint8Array view into a shared 16 KiB slab that is never
 * written again once handed out (like Buffer's pool, but a plain Uint8Array), so small bodies need no allocation
 * of their own. Bodies that may exceed 2 KiB get their own array. ASCII text (nearly always) is copied as latin1,
 * the fastest path.
 */
export function encodeBytes<E>(enc: (e: E) => string, e: E): Uint8Array {
  ascii = true;
  const s = enc(e);
  const max = ascii ? s.length : s.length * 3;
  if (max > 2048 || !haveBuffer) return te.encode(s);
  if (slabOff + max > SLAB_SIZE) {
    slab = newSlab();
    slabBuf = slab.buffer;
    slabOff = 0;
  }
  const w = fastWrite
    ? ascii
      ? (slab as FastWrite).latin1Write!(s, slabOff)
      : (slab as FastWrite).utf8Write!(s, slabOff)
    : slab.write(s, slabOff, ascii ? 'latin1' : 'utf8');
  const out = new Uint8Array(slabBuf, slabOff, w);
  slabOff += w;
  return out;
}

function str(v: unknown, f: string, id: string): string {
  if (typeof v !== 'string') fail(f, `must be a string, got ${typeName(v)}`, id);
  if (v.length === 0) fail(f, 'must not be empty', id);
  return quote(v);
}

function strOrNull(v: unknown, f: string, id: string): string {
  if (v === null) return 'null';
  if (typeof v !== 'string') fail(f, `must be a string or null, got ${typeName(v)}`, id);
  return quote(v);
}

function float(v: unknown, f: string, id: string): string {
  if (typeof v !== 'number') fail(f, `must be a number, got ${typeName(v)}`, id);
  if (v !== v || v === Infinity || v === -Infinity) fail(f, `must be finite, got ${v}`, id);
  return floatText(v);
}

function floatOrNull(v: unknown, f: string, id: string): string {
  return v === null ? 'null' : float(v, f, id);
}

function size(v: unknown, f: string, id: string): string {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(f, `must be an integer (safe, >= 0), got ${typeName(v)}`, id);
  if (v < 0) fail(f, `must be >= 0, got ${v}`, id);
  return '' + v;
}

function int(v: unknown, f: string, id: string): string {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(f, `must be a safe integer, got ${typeName(v)}`, id);
  return '' + v;
}

function intOrNull(v: unknown, f: string, id: string): string {
  if (v === null) return 'null';
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(f, `must be a safe integer or null, got ${typeName(v)}`, id);
  return '' + v;
}

function conditions(v: unknown, id: string): string {
  if (v === null) return 'null';
  if (!Array.isArray(v)) fail('conditions', `must be an array of integers or null, got ${typeName(v)}`, id);
  if (v.length === 0) return '[]';
  let s = '[' + int(v[0], 'conditions[0]', id);
  for (let i = 1; i < v.length; i++) s += ',' + int(v[i], `conditions[${i}]`, id);
  return s + ']';
}

function aggressor(v: unknown, id: string): string {
  if (v === 1) return '1';
  if (v === -1) return '-1';
  if (v === 0) return '0';
  return fail('aggressor', `must be 1, -1 or 0, got ${typeName(v)}`, id);
}

function right(v: unknown, id: string): string {
  if (v === 'C') return '"C"';
  if (v === 'P') return '"P"';
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

function date(v: unknown, f: string, id: string): string {
  if (typeof v !== 'string') fail(f, `must be a YYYY-MM-DD string, got ${typeName(v)}`, id);
  if (!isIsoDate(v)) fail(f, `must be a valid YYYY-MM-DD date, got ${JSON.stringify(v)}`, id);
  return '"' + v + '"';
}

const ST = 'stocks.trades.v1';
export function encodeStockTrade(ev: StockTrade): string {
  const e = obj(ev, ST);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', ST) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', ST) +
    sourceAnd(e.source, SOURCE_SYMBOL, ST) +
    str(e.symbol, 'symbol', ST) +
    ',"price":' + float(e.price, 'price', ST) +
    ',"size":' + size(e.size, 'size', ST) +
    ',"exchange":' + intOrNull(e.exchange, 'exchange', ST) +
    ',"conditions":' + conditions(e.conditions, ST) +
    ',"seq":' + intOrNull(e.seq, 'seq', ST) +
    '}'
  );
}

const SQ = 'stocks.quotes.v1';
export function encodeStockQuote(ev: StockQuote): string {
  const e = obj(ev, SQ);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', SQ) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', SQ) +
    sourceAnd(e.source, SOURCE_SYMBOL, SQ) +
    str(e.symbol, 'symbol', SQ) +
    ',"bid_px":' + float(e.bid_px, 'bid_px', SQ) +
    ',"ask_px":' + float(e.ask_px, 'ask_px', SQ) +
    ',"bid_sz":' + size(e.bid_sz, 'bid_sz', SQ) +
    ',"ask_sz":' + size(e.ask_sz, 'ask_sz', SQ) +
    ',"bid_exch":' + intOrNull(e.bid_exch, 'bid_exch', SQ) +
    ',"ask_exch":' + intOrNull(e.ask_exch, 'ask_exch', SQ) +
    ',"seq":' + intOrNull(e.seq, 'seq', SQ) +
    '}'
  );
}

const OT = 'options.trades.v1';
export function encodeOptionTrade(ev: OptionTrade): string {
  const e = obj(ev, OT);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', OT) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', OT) +
    sourceAnd(e.source, SOURCE_UNDERLYING, OT) +
    str(e.underlying, 'underlying', OT) +
    ',"option_symbol":' + str(e.option_symbol, 'option_symbol', OT) +
    ',"exp_date":' + date(e.exp_date, 'exp_date', OT) +
    ',"strike":' + float(e.strike, 'strike', OT) +
    ',"right":' + right(e.right, OT) +
    ',"price":' + float(e.price, 'price', OT) +
    ',"size":' + size(e.size, 'size', OT) +
    ',"opt_bid":' + floatOrNull(e.opt_bid, 'opt_bid', OT) +
    ',"opt_ask":' + floatOrNull(e.opt_ask, 'opt_ask', OT) +
    ',"aggressor":' + aggressor(e.aggressor, OT) +
    ',"conditions":' + conditions(e.conditions, OT) +
    ',"seq":' + intOrNull(e.seq, 'seq', OT) +
    '}'
  );
}

const FT = 'futures.trades.v1';
// constant runs of the body are merged into single strings: fewer pieces to concatenate and later flatten
const FT_AGGR_EXCH = [',"aggressor":-1,"exchange":', ',"aggressor":0,"exchange":', ',"aggressor":1,"exchange":'];
export function encodeFuturesTrade(ev: FuturesTrade): string {
  const e = obj(ev, FT);
  const a = e.aggressor;
  const c = e.conditions;
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', FT) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', FT) +
    sourceAnd(e.source, SOURCE_SYMBOL, FT) +
    str(e.symbol, 'symbol', FT) +
    ',"price":' + float(e.price, 'price', FT) +
    ',"size":' + size(e.size, 'size', FT) +
    (a === 1 || a === -1 || a === 0 ? FT_AGGR_EXCH[a + 1] : aggressor(a, FT)) +
    strOrNull(e.exchange, 'exchange', FT) +
    (c === null ? ',"conditions":null,"seq":' : ',"conditions":' + conditions(c, FT) + ',"seq":') +
    intOrNull(e.seq, 'seq', FT) +
    '}'
  );
}

const MB = 'futures.mbp10.v1';
const LEVEL_FIELDS: string[][] = [];
for (let i = 0; i < MBP10_DEPTH; i++) LEVEL_FIELDS.push(['bid_px', 'bid_sz', 'ask_px', 'ask_sz'].map((k) => `levels[${i}].${k}`));

function level(v: unknown, i: number): string {
  const f = LEVEL_FIELDS[i];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`levels[${i}]`, `must be an object, got ${typeName(v)}`, MB);
  const l = v as MBP10Level;
  const bp = l.bid_px;
  const ap = l.ask_px;
  const bs = size(l.bid_sz, f[1], MB);
  const as = size(l.ask_sz, f[3], MB);
  if (bp === null && l.bid_sz !== 0) fail(f[1], `an empty bid side (bid_px null) must have size 0, got ${l.bid_sz}`, MB);
  if (ap === null && l.ask_sz !== 0) fail(f[3], `an empty ask side (ask_px null) must have size 0, got ${l.ask_sz}`, MB);
  return '{"bid_px":' + floatOrNull(bp, f[0], MB) + ',"bid_sz":' + bs + ',"ask_px":' + floatOrNull(ap, f[2], MB) + ',"ask_sz":' + as + '}';
}

export function encodeMBP10(ev: MBP10): string {
  const e = obj(ev, MB);
  const head =
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', MB) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', MB) +
    sourceAnd(e.source, SOURCE_SYMBOL, MB) +
    str(e.symbol, 'symbol', MB);
  const lv = e.levels;
  if (!Array.isArray(lv)) fail('levels', `must be an array of ${MBP10_DEPTH} levels, got ${typeName(lv)}`, MB);
  if (lv.length !== MBP10_DEPTH) fail('levels', `must have exactly ${MBP10_DEPTH} levels, got ${lv.length}`, MB);
  let levels = ',"levels":[' + level(lv[0], 0);
  for (let i = 1; i < MBP10_DEPTH; i++) levels += ',' + level(lv[i], i);
  const snap = e.is_snapshot;
  if (snap !== true && snap !== false) fail('is_snapshot', `must be a boolean, got ${typeName(snap)}`, MB);
  return head + levels + (snap ? '],"is_snapshot":true,"seq":' : '],"is_snapshot":false,"seq":') + intOrNull(e.seq, 'seq', MB) + '}';
}

const GS = 'options.greeks.v1';
export function encodeGreeksSnapshot(ev: GreeksSnapshot): string {
  const e = obj(ev, GS);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', GS) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', GS) +
    sourceAnd(e.source, SOURCE_UNDERLYING, GS) +
    str(e.underlying, 'underlying', GS) +
    ',"option_symbol":' + str(e.option_symbol, 'option_symbol', GS) +
    ',"exp_date":' + date(e.exp_date, 'exp_date', GS) +
    ',"strike":' + float(e.strike, 'strike', GS) +
    ',"right":' + right(e.right, GS) +
    ',"underlying_px":' + floatOrNull(e.underlying_px, 'underlying_px', GS) +
    ',"iv":' + floatOrNull(e.iv, 'iv', GS) +
    ',"delta":' + floatOrNull(e.delta, 'delta', GS) +
    ',"gamma":' + floatOrNull(e.gamma, 'gamma', GS) +
    ',"theta":' + floatOrNull(e.theta, 'theta', GS) +
    ',"vega":' + floatOrNull(e.vega, 'vega', GS) +
    ',"rho":' + floatOrNull(e.rho, 'rho', GS) +
    ',"seq":' + intOrNull(e.seq, 'seq', GS) +
    '}'
  );
}
