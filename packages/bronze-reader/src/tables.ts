/**
 * The Bronze tables the reader knows: where they live in the lake, the columns it reads, the old system's
 * validation rules (its pydantic schemas) and the mapping of one row to a canonical event.
 */
import {
  fixedToFloat,
  SUBJECTS,
  UNDEF_PRICE,
  type EventSource,
  type FuturesTrade,
  type MarketEvent,
  type MBP10,
  type MBP10Level,
  type OptionTrade,
  type StockQuote,
  type StockTrade,
  type Subject,
} from '@md/event-types';
import { bronzeMsgId, Fingerprint } from './msg-id.js';

export type BronzeTable = 'stock_trades' | 'stock_quotes' | 'option_trades' | 'futures_trades' | 'futures_mbp10';

export const BRONZE_TABLES: readonly BronzeTable[] = Object.freeze([
  'stock_trades',
  'stock_quotes',
  'option_trades',
  'futures_trades',
  'futures_mbp10',
]);

/** What a column holds, and so which Parquet physical types are accepted for it. */
export type ColumnKind = 'ns' | 'float' | 'int' | 'string' | 'bool' | 'date' | 'list';

export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  /** a file without this column cannot be read (BronzeError `missing_column`); optional ones read as null */
  required: boolean;
}

/** A column's values for one row group: a typed array or a plain array (nullable columns). */
export type Col = ArrayLike<unknown>;

/** A row mapped to an event, or the reason it fails the old system's rules. */
export type RowResult = { subject: Subject; event: MarketEvent; msgId: string } | string;

export interface BindContext {
  /** the `source` written into the events */
  source: (rowSource: unknown) => EventSource;
}

export interface TableSpec {
  table: BronzeTable;
  /** folder under `bronze/`, e.g. `options/trades` */
  dir: string;
  /** hive partition key of the first folder level: `symbol` or `underlying` */
  partitionKey: 'symbol' | 'underlying';
  /** the partition value read when none is given (`SPY` / `ES`, as the old replay did) */
  defaultPartition: string;
  subject: Subject;
  /** schema name written by the old system, e.g. `options.trades.v1` */
  schemaName: string;
  columns: readonly ColumnSpec[];
  /** the column that carries the instrument (for the contract filter and the id) */
  symbolColumn: string;
  /** binds the column arrays of one row group; the result maps row i */
  bind(cols: Record<string, Col>, ctx: BindContext): (i: number) => RowResult;
}

// ---------------------------------------------------------------------------------------------
// value rules shared by the tables

/** 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z in ns: the old schemas' bounds, both inclusive. */
export const MIN_TS_NS = 946_684_800_000_000_000n;
export const MAX_TS_NS = 4_102_444_800_000_000_000n;
/** days from 1970-01-01 to 2000-01-01 (the old rule `exp_date >= 2000-01-01`) */
const MIN_EXP_DAYS = 10_957;

/** thrown inside a row mapper, caught per row: the row is invalid */
class Invalid {
  constructor(readonly reason: string) {}
}
const invalid = (reason: string): never => {
  throw new Invalid(reason);
};

function ns(v: unknown, f: string): bigint {
  if (typeof v !== 'bigint') return invalid(v === null || v === undefined ? `${f} is null` : `${f} is not an int64`);
  if (v < MIN_TS_NS || v > MAX_TS_NS) return invalid(`${f} ${v} is outside 2000-01-01..2100-01-01`);
  return v;
}

function float(v: unknown, f: string): number {
  const x =
    typeof v === 'number'
      ? v
      : typeof v === 'bigint'
        ? Number(v)
        : invalid(v === null || v === undefined ? `${f} is null` : `${f} is not a number`);
  if (!Number.isFinite(x)) invalid(`${f} is not finite (${x})`);
  return x;
}

function floatOrNull(v: unknown, f: string): number | null {
  return v === null || v === undefined ? null : float(v, f);
}

function int(v: unknown, f: string): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'bigint') {
    if (v > 9007199254740991n || v < -9007199254740991n) return invalid(`${f} ${v} is not a safe integer`);
    x = Number(v);
  } else return invalid(v === null || v === undefined ? `${f} is null` : `${f} is not an integer`);
  if (!Number.isSafeInteger(x)) invalid(`${f} ${x} is not a safe integer`);
  return x;
}

function intOrNull(v: unknown, f: string): number | null {
  return v === null || v === undefined ? null : int(v, f);
}

function seqOf(v: unknown): number | null {
  const s = intOrNull(v, 'seq');
  if (s !== null && s < 0) invalid(`seq ${s} < 0`);
  return s;
}

function str(v: unknown, f: string, min: number, max: number): string {
  if (typeof v !== 'string') return invalid(v === null || v === undefined ? `${f} is null` : `${f} is not a string`);
  if (v.length < min || v.length > max) invalid(`${f} ${JSON.stringify(v)} must have ${min}..${max === Infinity ? '' : max} characters`);
  if (v.includes('\n') || v.includes('\r')) invalid(`${f} contains CR/LF`);
  return v;
}

/**
 * `conditions`: a list of ints, null, or (legacy PH files) the text `"[12, 45]"`. An empty list is kept as
 * `[]` (the file is what it is; the old writer never produced one).
 */
function conditions(v: unknown): number[] | null {
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
function expDate(v: unknown): string {
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

function aggressor(v: unknown): 1 | -1 | 0 {
  if (v === null || v === undefined) return 0; // pydantic default 0
  const a = int(v, 'aggressor');
  if (a !== 1 && a !== -1 && a !== 0) invalid(`aggressor ${a} is not 1, -1 or 0`);
  return a as 1 | -1 | 0;
}

function size(v: unknown, f: string): number {
  const s = int(v, f);
  if (s < 1) invalid(`${f} ${s} < 1`);
  return s;
}

function nonNeg(x: number, f: string): number {
  if (!(x >= 0)) invalid(`${f} ${x} < 0`);
  return x;
}

function wrap(f: (i: number) => RowResult): (i: number) => RowResult {
  return (i) => {
    try {
      return f(i);
    } catch (e) {
      if (e instanceof Invalid) return e.reason;
      throw e;
    }
  };
}

const col = (cols: Record<string, Col>, name: string): Col => cols[name] ?? NULLS;
/** stands for an absent optional column: every row null */
const NULLS: Col = new Proxy([], {
  get: (t, p) => (p === 'length' ? Infinity : typeof p === 'string' && /^\d+$/.test(p) ? null : Reflect.get(t, p)),
});

const envelope = (req = true): ColumnSpec[] => [
  { name: 'ts_event_ns', kind: 'ns', required: true },
  { name: 'ts_recv_ns', kind: 'ns', required: req },
  { name: 'source', kind: 'string', required: false },
];

// ---------------------------------------------------------------------------------------------
// the tables

const stockTrades: TableSpec = {
  table: 'stock_trades',
  dir: 'stocks/trades',
  partitionKey: 'symbol',
  defaultPartition: 'SPY',
  subject: SUBJECTS.stockTrades,
  schemaName: 'stocks.trades.v1',
  symbolColumn: 'symbol',
  columns: [
    ...envelope(),
    { name: 'symbol', kind: 'string', required: true },
    { name: 'price', kind: 'float', required: true },
    { name: 'size', kind: 'int', required: true },
    { name: 'exchange', kind: 'int', required: false },
    { name: 'conditions', kind: 'list', required: false },
    { name: 'seq', kind: 'int', required: false },
  ],
  bind(cols, ctx) {
    const [te, tr, src, sym, px, sz, ex, cond, sq] = [
      'ts_event_ns',
      'ts_recv_ns',
      'source',
      'symbol',
      'price',
      'size',
      'exchange',
      'conditions',
      'seq',
    ].map((n) => col(cols, n)) as [Col, Col, Col, Col, Col, Col, Col, Col, Col];
    const fp = new Fingerprint();
    const subject = SUBJECTS.stockTrades;
    return wrap((i) => {
      const price = float(px[i], 'price');
      if (!(price > 0)) invalid(`price ${price} <= 0`);
      const event: StockTrade = {
        ts_event_ns: ns(te[i], 'ts_event_ns'),
        ts_recv_ns: ns(tr[i], 'ts_recv_ns'),
        source: ctx.source(src[i]),
        symbol: str(sym[i], 'symbol', 1, 10),
        price,
        size: size(sz[i], 'size'),
        exchange: intOrNull(ex[i], 'exchange'),
        conditions: conditions(cond[i]),
        seq: seqOf(sq[i]),
      };
      fp.reset().num(event.price).num(event.size).numOrNull(event.exchange).list(event.conditions);
      return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
    });
  },
};

const stockQuotes: TableSpec = {
  table: 'stock_quotes',
  dir: 'stocks/quotes',
  partitionKey: 'symbol',
  defaultPartition: 'SPY',
  subject: SUBJECTS.stockQuotes,
  schemaName: 'stocks.quotes.v1',
  symbolColumn: 'symbol',
  columns: [
    ...envelope(),
    { name: 'symbol', kind: 'string', required: true },
    { name: 'bid_px', kind: 'float', required: true },
    { name: 'ask_px', kind: 'float', required: true },
    { name: 'bid_sz', kind: 'int', required: true },
    { name: 'ask_sz', kind: 'int', required: true },
    { name: 'bid_exch', kind: 'int', required: false },
    { name: 'ask_exch', kind: 'int', required: false },
    { name: 'seq', kind: 'int', required: false },
  ],
  bind(cols, ctx) {
    const [te, tr, src, sym, bp, ap, bs, as, bx, ax, sq] = [
      'ts_event_ns',
      'ts_recv_ns',
      'source',
      'symbol',
      'bid_px',
      'ask_px',
      'bid_sz',
      'ask_sz',
      'bid_exch',
      'ask_exch',
      'seq',
    ].map((n) => col(cols, n)) as [Col, Col, Col, Col, Col, Col, Col, Col, Col, Col, Col];
    const fp = new Fingerprint();
    const subject = SUBJECTS.stockQuotes;
    return wrap((i) => {
      const bid = nonNeg(float(bp[i], 'bid_px'), 'bid_px');
      const ask = nonNeg(float(ap[i], 'ask_px'), 'ask_px');
      if (bid > 0 && ask > 0 && ask < bid) invalid(`crossed quote: ask_px ${ask} < bid_px ${bid}`);
      const event: StockQuote = {
        ts_event_ns: ns(te[i], 'ts_event_ns'),
        ts_recv_ns: ns(tr[i], 'ts_recv_ns'),
        source: ctx.source(src[i]),
        symbol: str(sym[i], 'symbol', 1, 10),
        bid_px: bid,
        ask_px: ask,
        bid_sz: nonNeg(int(bs[i], 'bid_sz'), 'bid_sz'),
        ask_sz: nonNeg(int(as[i], 'ask_sz'), 'ask_sz'),
        bid_exch: intOrNull(bx[i], 'bid_exch'),
        ask_exch: intOrNull(ax[i], 'ask_exch'),
        seq: seqOf(sq[i]),
      };
      fp.reset().num(bid).num(ask).num(event.bid_sz).num(event.ask_sz).numOrNull(event.bid_exch).numOrNull(event.ask_exch);
      return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
    });
  },
};

const optionTrades: TableSpec = {
  table: 'option_trades',
  dir: 'options/trades',
  partitionKey: 'underlying',
  defaultPartition: 'SPY',
  subject: SUBJECTS.optionTrades,
  schemaName: 'options.trades.v1',
  symbolColumn: 'option_symbol',
  columns: [
    ...envelope(),
    { name: 'underlying', kind: 'string', required: true },
    { name: 'option_symbol', kind: 'string', required: true },
    { name: 'exp_date', kind: 'date', required: true },
    { name: 'strike', kind: 'float', required: true },
    { name: 'right', kind: 'string', required: true },
    { name: 'price', kind: 'float', required: true },
    { name: 'size', kind: 'int', required: true },
    { name: 'opt_bid', kind: 'float', required: false },
    { name: 'opt_ask', kind: 'float', required: false },
    { name: 'aggressor', kind: 'int', required: false },
    { name: 'conditions', kind: 'list', required: false },
    { name: 'seq', kind: 'int', required: false },
  ],
  bind(cols, ctx) {
    const [te, tr, src, und, osym, exp, stk, rt, px, sz, ob, oa, ag, cond, sq] = [
      'ts_event_ns',
      'ts_recv_ns',
      'source',
      'underlying',
      'option_symbol',
      'exp_date',
      'strike',
      'right',
      'price',
      'size',
      'opt_bid',
      'opt_ask',
      'aggressor',
      'conditions',
      'seq',
    ].map((n) => col(cols, n)) as [Col, Col, Col, Col, Col, Col, Col, Col, Col, Col, Col, Col, Col, Col, Col];
    const fp = new Fingerprint();
    const subject = SUBJECTS.optionTrades;
    return wrap((i) => {
      const strike = float(stk[i], 'strike');
      if (!(strike > 0)) invalid(`strike ${strike} <= 0`);
      const right = rt[i];
      if (right !== 'C' && right !== 'P') return invalid(`right ${JSON.stringify(right)} is not C or P`);
      const oBid = floatOrNull(ob[i], 'opt_bid');
      const oAsk = floatOrNull(oa[i], 'opt_ask');
      if (oBid !== null) nonNeg(oBid, 'opt_bid');
      if (oAsk !== null) nonNeg(oAsk, 'opt_ask');
      const event: OptionTrade = {
        ts_event_ns: ns(te[i], 'ts_event_ns'),
        ts_recv_ns: ns(tr[i], 'ts_recv_ns'),
        source: ctx.source(src[i]),
        underlying: str(und[i], 'underlying', 1, 10),
        option_symbol: str(osym[i], 'option_symbol', 1, Infinity),
        exp_date: expDate(exp[i]),
        strike,
        right,
        price: nonNeg(float(px[i], 'price'), 'price'),
        size: size(sz[i], 'size'),
        opt_bid: oBid,
        opt_ask: oAsk,
        aggressor: aggressor(ag[i]),
        conditions: conditions(cond[i]),
        seq: seqOf(sq[i]),
      };
      fp.reset()
        .str(event.underlying)
        .str(event.exp_date)
        .num(strike)
        .str(right)
        .num(event.price)
        .num(event.size)
        .numOrNull(oBid)
        .numOrNull(oAsk)
        .num(event.aggressor)
        .list(event.conditions);
      return {
        subject,
        event,
        msgId: bronzeMsgId(subject, event.option_symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()),
      };
    });
  },
};

const futuresTrades: TableSpec = {
  table: 'futures_trades',
  dir: 'futures/trades',
  partitionKey: 'symbol',
  defaultPartition: 'ES',
  subject: SUBJECTS.futuresTrades,
  schemaName: 'futures.trades.v1',
  symbolColumn: 'symbol',
  columns: [
    ...envelope(),
    { name: 'symbol', kind: 'string', required: true },
    { name: 'price', kind: 'float', required: true },
    { name: 'size', kind: 'int', required: true },
    { name: 'aggressor', kind: 'int', required: true },
    { name: 'exchange', kind: 'string', required: false },
    { name: 'conditions', kind: 'list', required: false },
    { name: 'seq', kind: 'int', required: false },
  ],
  bind(cols, ctx) {
    const [te, tr, src, sym, px, sz, ag, ex, cond, sq] = [
      'ts_event_ns',
      'ts_recv_ns',
      'source',
      'symbol',
      'price',
      'size',
      'aggressor',
      'exchange',
      'conditions',
      'seq',
    ].map((n) => col(cols, n)) as [Col, Col, Col, Col, Col, Col, Col, Col, Col, Col];
    const fp = new Fingerprint();
    const subject = SUBJECTS.futuresTrades;
    return wrap((i) => {
      const price = float(px[i], 'price');
      if (!(price > 0)) invalid(`price ${price} <= 0`);
      const exchange = ex[i];
      if (exchange !== null && exchange !== undefined && typeof exchange !== 'string') invalid('exchange is not a string');
      const event: FuturesTrade = {
        ts_event_ns: ns(te[i], 'ts_event_ns'),
        ts_recv_ns: ns(tr[i], 'ts_recv_ns'),
        source: ctx.source(src[i]),
        symbol: str(sym[i], 'symbol', 1, 20),
        price,
        size: size(sz[i], 'size'),
        aggressor: aggressor(ag[i]),
        exchange: (exchange ?? null) as string | null,
        conditions: conditions(cond[i]),
        seq: seqOf(sq[i]),
      };
      fp.reset().num(price).num(event.size).num(event.aggressor).strOrNull(event.exchange).list(event.conditions);
      return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
    });
  },
};

/** DBN's undefined price (2^63-1 x 1e-9) as the old DBN ingestor would have stored it: read as an empty side. */
export const UNDEF_PRICE_FLOAT = fixedToFloat(UNDEF_PRICE);

const MBP_LEVEL_COLUMNS: string[] = [];
for (const side of ['bid', 'ask']) for (let n = 1; n <= 10; n++) MBP_LEVEL_COLUMNS.push(`${side}_px_${n}`, `${side}_sz_${n}`);

const futuresMbp10: TableSpec = {
  table: 'futures_mbp10',
  dir: 'futures/mbp10',
  partitionKey: 'symbol',
  defaultPartition: 'ES',
  subject: SUBJECTS.futuresMbp10,
  schemaName: 'futures.mbp10.v1',
  symbolColumn: 'symbol',
  columns: [
    ...envelope(),
    { name: 'symbol', kind: 'string', required: true },
    ...MBP_LEVEL_COLUMNS.map((name): ColumnSpec => ({ name, kind: name.includes('_px_') ? 'float' : 'int', required: true })),
    { name: 'is_snapshot', kind: 'bool', required: false },
    { name: 'seq', kind: 'int', required: false },
  ],
  bind(cols, ctx) {
    const te = col(cols, 'ts_event_ns');
    const tr = col(cols, 'ts_recv_ns');
    const src = col(cols, 'source');
    const sym = col(cols, 'symbol');
    const snap = col(cols, 'is_snapshot');
    const sq = col(cols, 'seq');
    const bpx: Col[] = [];
    const bsz: Col[] = [];
    const apx: Col[] = [];
    const asz: Col[] = [];
    for (let n = 1; n <= 10; n++) {
      bpx.push(col(cols, `bid_px_${n}`));
      bsz.push(col(cols, `bid_sz_${n}`));
      apx.push(col(cols, `ask_px_${n}`));
      asz.push(col(cols, `ask_sz_${n}`));
    }
    const fp = new Fingerprint();
    const subject = SUBJECTS.futuresMbp10;
    const side = (pxCol: Col, szCol: Col, i: number, f: string): [number | null, number] => {
      const px = nonNeg(float(pxCol[i], `${f}_px`), `${f}_px`);
      const sz = nonNeg(int(szCol[i], `${f}_sz`), `${f}_sz`);
      // 0.0 is the writer's padding of a missing level; DBN's undefined price may have been stored as its float
      return px === 0 || px === UNDEF_PRICE_FLOAT ? [null, 0] : [px, sz];
    };
    return wrap((i) => {
      const levels: MBP10Level[] = new Array(10);
      fp.reset();
      for (let k = 0; k < 10; k++) {
        const [bp, bs] = side(bpx[k] as Col, bsz[k] as Col, i, `bid_${k + 1}`);
        const [ap, as] = side(apx[k] as Col, asz[k] as Col, i, `ask_${k + 1}`);
        levels[k] = { bid_px: bp, bid_sz: bs, ask_px: ap, ask_sz: as };
        fp.numOrNull(bp).num(bs).numOrNull(ap).num(as);
      }
      const s = snap[i];
      if (s !== null && s !== undefined && typeof s !== 'boolean') invalid('is_snapshot is not a boolean');
      const event: MBP10 = {
        ts_event_ns: ns(te[i], 'ts_event_ns'),
        ts_recv_ns: ns(tr[i], 'ts_recv_ns'),
        source: ctx.source(src[i]),
        symbol: str(sym[i], 'symbol', 1, 20),
        levels,
        is_snapshot: s === true,
        seq: seqOf(sq[i]),
      };
      fp.num(event.is_snapshot ? 1 : 0);
      return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
    });
  },
};

export const TABLE_SPECS: Readonly<Record<BronzeTable, TableSpec>> = Object.freeze({
  stock_trades: stockTrades,
  stock_quotes: stockQuotes,
  option_trades: optionTrades,
  futures_trades: futuresTrades,
  futures_mbp10: futuresMbp10,
});

export function tableSpec(table: BronzeTable): TableSpec {
  const s = (TABLE_SPECS as Record<string, TableSpec | undefined>)[table];
  if (s === undefined) throw new TypeError(`unknown Bronze table ${JSON.stringify(table)}; expected one of ${BRONZE_TABLES.join(', ')}`);
  return s;
}
