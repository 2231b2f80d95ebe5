/**
 * REST rows (`/v3/trades/{ticker}`, `/v3/quotes/{ticker}`, read with parseRestJson) -> the vendor messages
 * the WebSocket would have carried for the same events, so that the same Normalizer makes the same body
 * (bar `source` and `ts_recv_ns`) and the same message id. docs/massive-rest.md has the field mapping.
 * Pure: no I/O, no clock.
 */
import { parseOptionTicker, type OptionTicker } from '@md/event-types';
import { PolygonParseError } from './errors.js';
import { readTradeId } from './ids.js';
import type { OptionQuoteMessage, OptionTradeMessage, StockQuoteMessage, StockTradeMessage } from './parse.js';

/** A REST row that cannot become a vendor message: names the ticker, the row (its 0-based index) and the field. */
export class RestRowError extends PolygonParseError {
  override name = 'RestRowError';
  constructor(
    readonly ticker: string,
    /** 0-based position of the row in its page's `results` */
    readonly row: number,
    /** the REST field (`sip_timestamp`, `price`, ...) or `(row)` / `(ticker)` */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${ticker} row ${row}: field ${field}: ${reason}`);
  }
}

const NS_PER_MS = 1_000_000n;
/** 13-digit Unix milliseconds, as parse.ts requires of the WebSocket's `t` */
const MS_MIN = 1_000_000_000_000n;
const MS_MAX = 9_999_999_999_999n;
const OCC_NO_PREFIX = /^[A-Z0-9.]{1,6}\d{6}[CP]\d{8}$/;

type Row = Record<string, unknown>;

class Bad {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {}
}

const show = (v: unknown): string =>
  v === undefined
    ? 'missing'
    : typeof v === 'bigint'
      ? `got ${v}`
      : `got ${typeof v === 'string' ? `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}` : (JSON.stringify(v) ?? String(v))}`;

/** the floor of the row's sip_timestamp (ns, bigint) in ms, validated as the WebSocket's 13-digit `t` */
function sipMs(r: Row): number {
  const v = r.sip_timestamp;
  if (typeof v !== 'bigint')
    throw new Bad('sip_timestamp', `expected integer nanoseconds as a bigint (read the body with parseRestJson), ${show(v)}`);
  const ms = v / NS_PER_MS; // bigint division truncates; v > 0 here, so it is the floor
  if (v < 0n || ms < MS_MIN || ms > MS_MAX)
    throw new Bad('sip_timestamp', `expected Unix nanoseconds with 13-digit milliseconds, got ${v}`);
  return Number(ms);
}

function price(r: Row, k: string, positive: boolean, absent?: number): number {
  const v = r[k];
  if (v === undefined && absent !== undefined) return absent;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Bad(k, `expected a finite number, ${show(v)}`);
  if (positive ? !(v > 0) : v < 0) throw new Bad(k, `expected a number ${positive ? '> 0' : '>= 0'}, got ${v}`);
  return v;
}

function size(r: Row, k: string, absent?: number): number {
  const v = r[k];
  if (v === undefined && absent !== undefined) return absent;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Bad(k, `expected an integer >= 0, ${show(v)}`);
  return v;
}

function optInt(r: Row, k: string): number | null {
  const v = r[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Bad(k, `expected an integer, ${show(v)}`);
  return v;
}

function sequence(r: Row): number | null {
  const v = r.sequence_number;
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint')
    throw new Bad(
      'sequence_number',
      `got ${v}, above 2^53-1: a JavaScript number cannot hold it exactly and the message id needs it exactly`,
    );
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Bad('sequence_number', `expected an integer >= 0, ${show(v)}`);
  return v;
}

/** conditions as the WebSocket's `c`: an int array, null when absent or empty */
function conditions(r: Row): number[] | null {
  const v = r.conditions;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new Bad('conditions', `expected an array of integer condition codes, ${show(v)}`);
  for (const x of v)
    if (typeof x !== 'number' || !Number.isSafeInteger(x))
      throw new Bad('conditions', `expected integer condition codes, got ${show(x).slice(4)}`);
  return v.length === 0 ? null : (v as number[]);
}

const tickerCache = new Map<string, OptionTicker | string>();
const TICKER_CACHE_MAX = 20_000;

/** the option ticker (cached), or the reason it is not one */
function optionTicker(sym: string): OptionTicker {
  let t = tickerCache.get(sym);
  if (t === undefined) {
    try {
      t = parseOptionTicker(sym);
    } catch (e) {
      t = (e as Error).message;
    }
    if (tickerCache.size >= TICKER_CACHE_MAX) tickerCache.clear();
    tickerCache.set(sym, t);
  }
  if (typeof t === 'string') throw new Bad('(ticker)', t);
  return t;
}

/** an `O:` ticker -> its parse; a stock ticker -> undefined (checked as parse.ts checks the WebSocket's `sym`) */
function tickerOf(sym: string): OptionTicker | undefined {
  if (sym.startsWith('O:')) return optionTicker(sym);
  if (sym.length === 0) throw new Bad('(ticker)', 'empty ticker');
  if (OCC_NO_PREFIX.test(sym)) throw new Bad('(ticker)', `${sym} looks like an option ticker without the "O:" prefix`);
  return undefined;
}

function row(ticker: string, r: unknown, index: number): Row {
  if (r === null || typeof r !== 'object' || Array.isArray(r))
    throw new RestRowError(ticker, index, '(row)', `expected a row object, ${Array.isArray(r) ? 'got an array' : show(r)}`);
  return r as Row;
}

function wrap<T>(ticker: string, index: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Bad) throw new RestRowError(ticker, index, e.field, e.reason);
    throw e;
  }
}

/**
 * A `/v3/trades/{ticker}` row -> the WebSocket trade message: an option trade when the ticker starts with
 * `O:` (parsed with parseOptionTicker), else a stock trade. `t = floor(sip_timestamp / 1e6)` (ms),
 * `q = sequence_number ?? null`, `x = exchange`, `p = price`, `s = size`, `c = conditions` ([] -> null),
 * `i = id` (stock trades). `index` is the row's position in its page (message `index`, errors).
 * Throws RestRowError naming the field and row.
 */
export function restTradeMessage(ticker: string, r: unknown, index: number): StockTradeMessage | OptionTradeMessage {
  const o = row(ticker, r, index);
  return wrap(ticker, index, () => {
    const tk = tickerOf(ticker);
    const p = price(o, 'price', true);
    const s = size(o, 'size');
    const x = optInt(o, 'exchange');
    const c = conditions(o);
    const t = sipMs(o);
    const q = sequence(o);
    if (tk) return { kind: 'option_trade', index, sym: ticker, ticker: tk, p, s, x, c, t, q };
    const id = readTradeId(o.id);
    if ('reason' in id) throw new Bad('id', id.reason);
    return { kind: 'stock_trade', index, sym: ticker, p, s, x, c, t, q, i: id.id };
  });
}

/**
 * A `/v3/quotes/{ticker}` row -> the WebSocket quote message (option quote for an `O:` ticker):
 * `bp/ap/bs/as = bid_price/ask_price/bid_size/ask_size` (an absent side -> 0, as the WebSocket writes an
 * empty side), `bx/ax = bid_exchange/ask_exchange` (absent -> null), `t` and `q` as for trades.
 * Throws RestRowError naming the field and row.
 */
export function restQuoteMessage(ticker: string, r: unknown, index: number): StockQuoteMessage | OptionQuoteMessage {
  const o = row(ticker, r, index);
  return wrap(ticker, index, () => {
    const tk = tickerOf(ticker);
    const bp = price(o, 'bid_price', false, 0);
    const ap = price(o, 'ask_price', false, 0);
    const bs = size(o, 'bid_size', 0);
    const as = size(o, 'ask_size', 0);
    const bx = optInt(o, 'bid_exchange');
    const ax = optInt(o, 'ask_exchange');
    const t = sipMs(o);
    const q = sequence(o);
    return tk
      ? { kind: 'option_quote', index, sym: ticker, ticker: tk, bp, ap, bs, as, bx, ax, t, q }
      : { kind: 'stock_quote', index, sym: ticker, bp, ap, bs, as, bx, ax, t, q };
  });
}

/** The row's `sip_timestamp` (exact ns), or a RestRowError. */
export function restSipNs(ticker: string, r: unknown, index: number): bigint {
  const o = row(ticker, r, index);
  const v = o.sip_timestamp;
  if (typeof v !== 'bigint') throw new RestRowError(ticker, index, 'sip_timestamp', `expected integer nanoseconds as a bigint, ${show(v)}`);
  return v;
}
