/**
 * Text encoders, one per schema: they build the contract's JSON text directly (keys in contract order, null for
 * absent optionals, Python float text, exact bigint nanoseconds), checking every value with check.ts (EncodeError
 * naming the field). Keys of the event object that are not in the schema are not written (and not checked).
 * bytes.ts writes the same bodies straight into bytes.
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

/** JSON string literal; plain printable ASCII (the usual case) needs no escaping. */
export function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return JSON.stringify(s); // escapes controls, ", \ and lone surrogates
  }
  return '"' + s + '"';
}

const ns = (v: unknown, f: string, id: string) => checkNs(v, f, id).toString();
const str = (v: unknown, f: string, id: string) => quote(checkStr(v, f, id));
const float = (v: unknown, f: string, id: string) => floatText(checkFloat(v, f, id));
const size = (v: unknown, f: string, id: string) => '' + checkSize(v, f, id);
function strOrNull(v: unknown, f: string, id: string): string {
  const s = checkStrOrNull(v, f, id);
  return s === null ? 'null' : quote(s);
}
function floatOrNull(v: unknown, f: string, id: string): string {
  const x = checkFloatOrNull(v, f, id);
  return x === null ? 'null' : floatText(x);
}
function intOrNull(v: unknown, f: string, id: string): string {
  const x = checkIntOrNull(v, f, id);
  return x === null ? 'null' : '' + x;
}
function conditions(v: unknown, id: string): string {
  const c = checkConds(v, id);
  return c === null ? 'null' : '[' + c.join(',') + ']';
}

// constant runs of the body are merged into single strings: fewer pieces to concatenate and later flatten
/** `,"source":"<source>",<next key>:` for each source */
function sourceThen(next: string): Record<string, string> {
  const m: Record<string, string> = Object.create(null);
  for (const s of EVENT_SOURCES) m[s] = ',"source":"' + s + '",' + next;
  return m;
}
const SOURCE_SYMBOL = sourceThen('"symbol":');
const SOURCE_UNDERLYING = sourceThen('"underlying":');

/** the source and the next key, checked */
function sourceAnd(v: unknown, m: Record<string, string>, id: string): string {
  return (typeof v === 'string' ? m[v] : undefined) ?? m[checkSource(v, id)];
}

const AGGR_THEN_EXCHANGE = [',"aggressor":-1,"exchange":', ',"aggressor":0,"exchange":', ',"aggressor":1,"exchange":'];
const AGGR_THEN_CONDITIONS = [',"aggressor":-1,"conditions":', ',"aggressor":0,"conditions":', ',"aggressor":1,"conditions":'];

const ST = 'stocks.trades.v1';
export function encodeStockTrade(ev: StockTrade): string {
  const e = checkObj(ev, ST);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', ST) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', ST) +
    sourceAnd(e.source, SOURCE_SYMBOL, ST) + str(e.symbol, 'symbol', ST) +
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
  const e = checkObj(ev, SQ);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', SQ) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', SQ) +
    sourceAnd(e.source, SOURCE_SYMBOL, SQ) + str(e.symbol, 'symbol', SQ) +
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
  const e = checkObj(ev, OT);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', OT) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', OT) +
    sourceAnd(e.source, SOURCE_UNDERLYING, OT) + str(e.underlying, 'underlying', OT) +
    ',"option_symbol":' + str(e.option_symbol, 'option_symbol', OT) +
    ',"exp_date":"' + checkDate(e.exp_date, 'exp_date', OT) +
    '","strike":' + float(e.strike, 'strike', OT) +
    ',"right":"' + checkRight(e.right, OT) +
    '","price":' + float(e.price, 'price', OT) +
    ',"size":' + size(e.size, 'size', OT) +
    ',"opt_bid":' + floatOrNull(e.opt_bid, 'opt_bid', OT) +
    ',"opt_ask":' + floatOrNull(e.opt_ask, 'opt_ask', OT) +
    AGGR_THEN_CONDITIONS[checkAggr(e.aggressor, OT) + 1] + conditions(e.conditions, OT) +
    ',"seq":' + intOrNull(e.seq, 'seq', OT) +
    '}'
  );
}

const FT = 'futures.trades.v1';
export function encodeFuturesTrade(ev: FuturesTrade): string {
  const e = checkObj(ev, FT);
  const c = e.conditions;
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', FT) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', FT) +
    sourceAnd(e.source, SOURCE_SYMBOL, FT) + str(e.symbol, 'symbol', FT) +
    ',"price":' + float(e.price, 'price', FT) +
    ',"size":' + size(e.size, 'size', FT) +
    AGGR_THEN_EXCHANGE[checkAggr(e.aggressor, FT) + 1] + strOrNull(e.exchange, 'exchange', FT) +
    (c === null ? ',"conditions":null,"seq":' : ',"conditions":' + conditions(c, FT) + ',"seq":') +
    intOrNull(e.seq, 'seq', FT) +
    '}'
  );
}

const MB = 'futures.mbp10.v1';
function level(v: unknown, i: number): string {
  const l = checkLevel(v, i);
  return (
    (i === 0 ? '{"bid_px":' : ',{"bid_px":') + (l.bid_px === null ? 'null' : floatText(l.bid_px)) +
    ',"bid_sz":' + l.bid_sz +
    ',"ask_px":' + (l.ask_px === null ? 'null' : floatText(l.ask_px)) +
    ',"ask_sz":' + l.ask_sz +
    '}'
  );
}

export function encodeMBP10(ev: MBP10): string {
  const e = checkObj(ev, MB);
  let s =
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', MB) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', MB) +
    sourceAnd(e.source, SOURCE_SYMBOL, MB) + str(e.symbol, 'symbol', MB) +
    ',"levels":[';
  const lv = checkLevels(e.levels);
  for (let i = 0; i < MBP10_DEPTH; i++) s += level(lv[i], i);
  return (
    s +
    (checkBool(e.is_snapshot, 'is_snapshot', MB) ? '],"is_snapshot":true,"seq":' : '],"is_snapshot":false,"seq":') +
    intOrNull(e.seq, 'seq', MB) +
    '}'
  );
}

const GS = 'options.greeks.v1';
export function encodeGreeksSnapshot(ev: GreeksSnapshot): string {
  const e = checkObj(ev, GS);
  return (
    '{"ts_event_ns":' + ns(e.ts_event_ns, 'ts_event_ns', GS) +
    ',"ts_recv_ns":' + ns(e.ts_recv_ns, 'ts_recv_ns', GS) +
    sourceAnd(e.source, SOURCE_UNDERLYING, GS) + str(e.underlying, 'underlying', GS) +
    ',"option_symbol":' + str(e.option_symbol, 'option_symbol', GS) +
    ',"exp_date":"' + checkDate(e.exp_date, 'exp_date', GS) +
    '","strike":' + float(e.strike, 'strike', GS) +
    ',"right":"' + checkRight(e.right, GS) +
    '","underlying_px":' + floatOrNull(e.underlying_px, 'underlying_px', GS) +
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
