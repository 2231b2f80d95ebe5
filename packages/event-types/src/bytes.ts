/**
 * Byte encoders: the same bodies as encode.ts, written straight into UTF-8 bytes (no JSON string to build,
 * flatten and copy). Every value goes through the same checks (check.ts) as the text encoders; a test checks
 * that both write identical bodies.
 *
 * Bodies are written into a shared 16 KiB slab and returned as Uint8Array views of it (like Buffer's pool):
 * a slab region is never written again once handed out, so small bodies cost no allocation of their own.
 */
import {
  checkAggr,
  checkBool,
  checkConds,
  checkDate,
  checkFloat,
  checkFloatOrNull,
  checkIntOrNull,
  checkLevel,
  checkLevels,
  checkNs,
  checkObj,
  checkRight,
  checkSize,
  checkSource,
  checkStr,
  checkStrOrNull,
} from './check.js';
import { floatText } from './float.js';
import { EVENT_SOURCES, MBP10_DEPTH } from './schemas.js';
import type { FuturesTrade, GreeksSnapshot, MBP10, OptionTrade, StockQuote, StockTrade } from './schemas.js';

const SLAB = 16 * 1024;
/** bound on the fixed-size parts (keys, numbers) of an event: everything but strings and arrays */
const RESERVE_SMALL = 512; // trades, quotes, greeks (< 450 bytes)
const RESERVE_MBP10 = 2048; // < 1.5 KiB
let buf = new Uint8Array(SLAB);
let dv = new DataView(buf.buffer);
let o = 0;
let start = 0;
/** the reserve of the event being written */
let RESERVE = RESERVE_SMALL;
const te = new TextEncoder();

/** start an event: room for its fixed-size parts, twice (so that a short string does not move it) */
function begin(reserve: number): void {
  RESERVE = reserve;
  if (o + 2 * reserve > buf.length) {
    buf = new Uint8Array(SLAB);
    dv = new DataView(buf.buffer);
    o = 0;
  }
  start = o;
}

function end(): Uint8Array {
  const out = buf.subarray(start, o);
  if (buf.length !== SLAB) {
    // an oversized event got a slab of its own: later events go to a normal one
    buf = new Uint8Array(SLAB);
    dv = new DataView(buf.buffer);
    o = 0;
  }
  return out;
}

/**
 * Make room for n more bytes of the current event plus RESERVE for the fixed-size parts that may follow (its
 * bytes so far move to a new, larger slab). Every variable-length write (strings, arrays) calls it first.
 */
function room(n: number): void {
  if (o + n + RESERVE > buf.length) grow(n + RESERVE);
}

function grow(n: number): void {
  const have = o - start;
  const nb = new Uint8Array(Math.max(SLAB, (have + n) * 2));
  nb.set(buf.subarray(start, o));
  buf = nb;
  dv = new DataView(nb.buffer);
  start = 0;
  o = have;
}

/** constant ASCII bytes (keys), as big-endian 32-bit words plus a tail: 4 bytes per store */
interface Key {
  readonly w: Uint32Array;
  readonly t: Uint8Array;
  readonly n: number;
}

function mkKey(s: string): Key {
  const b = te.encode(s);
  const nw = b.length >> 2;
  const w = new Uint32Array(nw);
  for (let i = 0; i < nw; i++) w[i] = ((b[4 * i] << 24) | (b[4 * i + 1] << 16) | (b[4 * i + 2] << 8) | b[4 * i + 3]) >>> 0;
  return { w, t: b.slice(nw * 4), n: b.length };
}

/** write a key; within RESERVE */
function key(k: Key): void {
  const w = k.w;
  const d = dv;
  let p = o;
  for (let i = 0; i < w.length; i++) {
    d.setUint32(p, w[i]);
    p += 4;
  }
  const t = k.t;
  const b = buf;
  for (let i = 0; i < t.length; i++) b[p + i] = t[i];
  o += k.n;
}

/** ASCII text (numbers); within RESERVE unless a string came first */
function ascii(s: string): void {
  const n = s.length;
  if (o + n > buf.length) grow(n + RESERVE);
  const b = buf;
  const p = o;
  for (let i = 0; i < n; i++) b[p + i] = s.charCodeAt(i);
  o = p + n;
}

/** a JSON string literal: printable ASCII copied as is, anything else through JSON.stringify and UTF-8 */
function str(s: string): void {
  const n = s.length;
  room(n + 2);
  const b = buf;
  let p = o;
  b[p++] = 34;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return strSlow(s);
    b[p++] = c;
  }
  b[p++] = 34;
  o = p;
}

function strSlow(s: string): void {
  const j = JSON.stringify(s); // escapes controls, ", \ and lone surrogates; other text stays as is
  room(j.length * 3);
  o += te.encodeInto(j, buf.subarray(o)).written;
}

const NULL = mkKey('null');

/** a non-negative safe integer */
function uint(v: number): void {
  if (v < 10) {
    buf[o++] = 48 + v;
    return;
  }
  if (v >= 2147483648) return ascii('' + v);
  let n = 2;
  for (let t = (v / 100) | 0; t > 0; t = (t / 10) | 0) n++;
  const b = buf;
  let p = o + n;
  o = p;
  for (let x = v; x > 0; ) {
    const q = (x / 10) | 0;
    b[--p] = 48 + x - q * 10;
    x = q;
  }
}

function int(v: number): void {
  if (v >= 0) uint(v);
  else ascii('' + v);
}

function intOrNull(v: number | null): void {
  if (v === null) key(NULL);
  else int(v);
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * A finite float as Python writes it (float.ts's floatText). Fast path for the usual prices: a value that is
 * exactly m / 10^k (as a correctly rounded division) for an integer m < 2^31 and k <= 6 has that decimal as
 * its shortest round-trip text (with the smallest such k, m is unique and nothing shorter reads back to the
 * same double), so its digits are written straight from m. Everything else goes through floatText.
 */
function float(v: number): void {
  const a = v < 0 ? -v : v;
  if (a >= 1e-4 && a < 2147483647) {
    for (let k = 0; k <= 6; k++) {
      const p = POW10[k];
      const m = Math.round(a * p);
      if (m / p === a) {
        if (m >= 2147483648) break;
        if (v < 0) buf[o++] = 45;
        decimal(m, k);
        return;
      }
    }
  }
  ascii(floatText(v));
}

/** digits of m with a decimal point before the last k (k = 0: m + ".0"); m < 2^31 */
function decimal(m: number, k: number): void {
  let n = 1; // digits of m, at least k + 1 (leading zeros: "0.05")
  for (let t = (m / 10) | 0; t > 0; t = (t / 10) | 0) n++;
  if (n <= k) n = k + 1;
  const b = buf;
  const end = o + n + (k === 0 ? 2 : 1);
  let p = end;
  if (k === 0) {
    b[--p] = 48;
    b[--p] = 46;
  }
  let x = m;
  for (let i = 0; i < n; i++) {
    if (i === k && k > 0) b[--p] = 46;
    const q = (x / 10) | 0;
    b[--p] = 48 + x - q * 10;
    x = q;
  }
  o = end;
}

function floatOrNull(v: number | null): void {
  if (v === null) key(NULL);
  else float(v);
}

const E9 = 1_000_000_000n;
/** the whole seconds (a multiple of 1e9) whose digits are cached; far below any int64 at first */
let hiBase = -(2n ** 66n);
let hiDigits = mkKey('');

/** exact nanoseconds (checked by the caller): digits of the whole seconds cached, the 9 last from a Number */
function ns(v: bigint): void {
  let x = Number(v - hiBase); // exact when in [0, 1e9); far outside that range otherwise
  if (x >= 0 && x < 1e9) {
    key(hiDigits);
    const b = buf;
    for (let p = o + 8; p >= o; p--) {
      const q = (x / 10) | 0;
      b[p] = 48 + x - q * 10;
      x = q;
    }
    o += 9;
    return;
  }
  if (v >= E9) {
    hiBase = v - (v % E9);
    hiDigits = mkKey((hiBase / E9).toString());
    return ns(v);
  }
  ascii(v.toString());
}

function conditions(c: number[] | null): void {
  if (c === null) return key(NULL);
  room(c.length * 18 + 2); // "-9007199254740991," at most
  buf[o++] = 91;
  for (let i = 0; i < c.length; i++) {
    if (i > 0) buf[o++] = 44;
    int(c[i]);
  }
  buf[o++] = 93;
}

/** `,"source":"<source>",<next key>:` for each source */
function sourceThen(next: string): Record<string, Key> {
  const m: Record<string, Key> = Object.create(null);
  for (const s of EVENT_SOURCES) m[s] = mkKey(',"source":"' + s + '",' + next);
  return m;
}
const SOURCE_SYMBOL = sourceThen('"symbol":');
const SOURCE_UNDERLYING = sourceThen('"underlying":');
function source(v: unknown, m: Record<string, Key>, id: string): void {
  key((typeof v === 'string' ? m[v] : undefined) ?? m[checkSource(v, id)]);
}

const K_TS_EVENT = mkKey('{"ts_event_ns":');
const K_TS_RECV = mkKey(',"ts_recv_ns":');
const K_PRICE = mkKey(',"price":');
const K_SIZE = mkKey(',"size":');
const K_EXCHANGE = mkKey(',"exchange":');
const K_CONDITIONS = mkKey(',"conditions":');
const K_SEQ = mkKey(',"seq":');
const K_BID_PX = mkKey(',"bid_px":');
const K_ASK_PX = mkKey(',"ask_px":');
const K_BID_SZ = mkKey(',"bid_sz":');
const K_ASK_SZ = mkKey(',"ask_sz":');
const K_BID_EXCH = mkKey(',"bid_exch":');
const K_ASK_EXCH = mkKey(',"ask_exch":');
const K_OPTION_SYMBOL = mkKey(',"option_symbol":');
const K_EXP_DATE = mkKey(',"exp_date":');
const K_STRIKE = mkKey(',"strike":');
const K_RIGHT_C = mkKey(',"right":"C"');
const K_RIGHT_P = mkKey(',"right":"P"');
const K_OPT_BID = mkKey(',"opt_bid":');
const K_OPT_ASK = mkKey(',"opt_ask":');
const K_UNDERLYING_PX = mkKey(',"underlying_px":');
const K_IV = mkKey(',"iv":');
const K_DELTA = mkKey(',"delta":');
const K_GAMMA = mkKey(',"gamma":');
const K_THETA = mkKey(',"theta":');
const K_VEGA = mkKey(',"vega":');
const K_RHO = mkKey(',"rho":');
const K_LEVELS = mkKey(',"levels":[');
const K_LEVEL_0 = mkKey('{"bid_px":');
const K_LEVEL_N = mkKey(',{"bid_px":');
const K_SNAP_TRUE = mkKey('],"is_snapshot":true,"seq":');
const K_SNAP_FALSE = mkKey('],"is_snapshot":false,"seq":');
const K_AGGR = [mkKey(',"aggressor":-1'), mkKey(',"aggressor":0'), mkKey(',"aggressor":1')];
const K_AGGR_EXCHANGE = [mkKey(',"aggressor":-1,"exchange":'), mkKey(',"aggressor":0,"exchange":'), mkKey(',"aggressor":1,"exchange":')];
const K_CONDITIONS_NULL_SEQ = mkKey(',"conditions":null,"seq":');
const CLOSE = 125;

function envelope(e: Record<string, unknown>, m: Record<string, Key>, id: string): void {
  key(K_TS_EVENT);
  ns(checkNs(e.ts_event_ns, 'ts_event_ns', id));
  key(K_TS_RECV);
  ns(checkNs(e.ts_recv_ns, 'ts_recv_ns', id));
  source(e.source, m, id);
}

const ST = 'stocks.trades.v1';
export function bytesStockTrade(ev: StockTrade): Uint8Array {
  const e = checkObj(ev, ST);
  begin(RESERVE_SMALL);
  envelope(e, SOURCE_SYMBOL, ST);
  str(checkStr(e.symbol, 'symbol', ST));
  key(K_PRICE);
  float(checkFloat(e.price, 'price', ST));
  key(K_SIZE);
  uint(checkSize(e.size, 'size', ST));
  key(K_EXCHANGE);
  intOrNull(checkIntOrNull(e.exchange, 'exchange', ST));
  key(K_CONDITIONS);
  conditions(checkConds(e.conditions, ST));
  key(K_SEQ);
  intOrNull(checkIntOrNull(e.seq, 'seq', ST));
  buf[o++] = CLOSE;
  return end();
}

const SQ = 'stocks.quotes.v1';
export function bytesStockQuote(ev: StockQuote): Uint8Array {
  const e = checkObj(ev, SQ);
  begin(RESERVE_SMALL);
  envelope(e, SOURCE_SYMBOL, SQ);
  str(checkStr(e.symbol, 'symbol', SQ));
  key(K_BID_PX);
  float(checkFloat(e.bid_px, 'bid_px', SQ));
  key(K_ASK_PX);
  float(checkFloat(e.ask_px, 'ask_px', SQ));
  key(K_BID_SZ);
  uint(checkSize(e.bid_sz, 'bid_sz', SQ));
  key(K_ASK_SZ);
  uint(checkSize(e.ask_sz, 'ask_sz', SQ));
  key(K_BID_EXCH);
  intOrNull(checkIntOrNull(e.bid_exch, 'bid_exch', SQ));
  key(K_ASK_EXCH);
  intOrNull(checkIntOrNull(e.ask_exch, 'ask_exch', SQ));
  key(K_SEQ);
  intOrNull(checkIntOrNull(e.seq, 'seq', SQ));
  buf[o++] = CLOSE;
  return end();
}

const OT = 'options.trades.v1';
export function bytesOptionTrade(ev: OptionTrade): Uint8Array {
  const e = checkObj(ev, OT);
  begin(RESERVE_SMALL);
  envelope(e, SOURCE_UNDERLYING, OT);
  str(checkStr(e.underlying, 'underlying', OT));
  key(K_OPTION_SYMBOL);
  str(checkStr(e.option_symbol, 'option_symbol', OT));
  key(K_EXP_DATE);
  str(checkDate(e.exp_date, 'exp_date', OT));
  key(K_STRIKE);
  float(checkFloat(e.strike, 'strike', OT));
  key(checkRight(e.right, OT) === 'C' ? K_RIGHT_C : K_RIGHT_P);
  key(K_PRICE);
  float(checkFloat(e.price, 'price', OT));
  key(K_SIZE);
  uint(checkSize(e.size, 'size', OT));
  key(K_OPT_BID);
  floatOrNull(checkFloatOrNull(e.opt_bid, 'opt_bid', OT));
  key(K_OPT_ASK);
  floatOrNull(checkFloatOrNull(e.opt_ask, 'opt_ask', OT));
  key(K_AGGR[checkAggr(e.aggressor, OT) + 1]);
  key(K_CONDITIONS);
  conditions(checkConds(e.conditions, OT));
  key(K_SEQ);
  intOrNull(checkIntOrNull(e.seq, 'seq', OT));
  buf[o++] = CLOSE;
  return end();
}

const FT = 'futures.trades.v1';
export function bytesFuturesTrade(ev: FuturesTrade): Uint8Array {
  const e = checkObj(ev, FT);
  begin(RESERVE_SMALL);
  envelope(e, SOURCE_SYMBOL, FT);
  str(checkStr(e.symbol, 'symbol', FT));
  key(K_PRICE);
  float(checkFloat(e.price, 'price', FT));
  key(K_SIZE);
  uint(checkSize(e.size, 'size', FT));
  key(K_AGGR_EXCHANGE[checkAggr(e.aggressor, FT) + 1]);
  const x = checkStrOrNull(e.exchange, 'exchange', FT);
  if (x === null) key(NULL);
  else str(x);
  const c = checkConds(e.conditions, FT);
  if (c === null) key(K_CONDITIONS_NULL_SEQ);
  else {
    key(K_CONDITIONS);
    conditions(c);
    key(K_SEQ);
  }
  intOrNull(checkIntOrNull(e.seq, 'seq', FT));
  buf[o++] = CLOSE;
  return end();
}

const MB = 'futures.mbp10.v1';
export function bytesMBP10(ev: MBP10): Uint8Array {
  const e = checkObj(ev, MB);
  begin(RESERVE_MBP10);
  envelope(e, SOURCE_SYMBOL, MB);
  str(checkStr(e.symbol, 'symbol', MB));
  key(K_LEVELS);
  const lv = checkLevels(e.levels);
  for (let i = 0; i < MBP10_DEPTH; i++) {
    const l = checkLevel(lv[i], i);
    key(i === 0 ? K_LEVEL_0 : K_LEVEL_N);
    floatOrNull(l.bid_px);
    key(K_BID_SZ);
    uint(l.bid_sz);
    key(K_ASK_PX);
    floatOrNull(l.ask_px);
    key(K_ASK_SZ);
    uint(l.ask_sz);
    buf[o++] = CLOSE;
  }
  key(checkBool(e.is_snapshot, 'is_snapshot', MB) ? K_SNAP_TRUE : K_SNAP_FALSE);
  intOrNull(checkIntOrNull(e.seq, 'seq', MB));
  buf[o++] = CLOSE;
  return end();
}

const GS = 'options.greeks.v1';
export function bytesGreeksSnapshot(ev: GreeksSnapshot): Uint8Array {
  const e = checkObj(ev, GS);
  begin(RESERVE_SMALL);
  envelope(e, SOURCE_UNDERLYING, GS);
  str(checkStr(e.underlying, 'underlying', GS));
  key(K_OPTION_SYMBOL);
  str(checkStr(e.option_symbol, 'option_symbol', GS));
  key(K_EXP_DATE);
  str(checkDate(e.exp_date, 'exp_date', GS));
  key(K_STRIKE);
  float(checkFloat(e.strike, 'strike', GS));
  key(checkRight(e.right, GS) === 'C' ? K_RIGHT_C : K_RIGHT_P);
  key(K_UNDERLYING_PX);
  floatOrNull(checkFloatOrNull(e.underlying_px, 'underlying_px', GS));
  key(K_IV);
  floatOrNull(checkFloatOrNull(e.iv, 'iv', GS));
  key(K_DELTA);
  floatOrNull(checkFloatOrNull(e.delta, 'delta', GS));
  key(K_GAMMA);
  floatOrNull(checkFloatOrNull(e.gamma, 'gamma', GS));
  key(K_THETA);
  floatOrNull(checkFloatOrNull(e.theta, 'theta', GS));
  key(K_VEGA);
  floatOrNull(checkFloatOrNull(e.vega, 'vega', GS));
  key(K_RHO);
  floatOrNull(checkFloatOrNull(e.rho, 'rho', GS));
  key(K_SEQ);
  intOrNull(checkIntOrNull(e.seq, 'seq', GS));
  buf[o++] = CLOSE;
  return end();
}
