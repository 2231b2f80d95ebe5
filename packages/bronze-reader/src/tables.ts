/**
 * The Bronze tables the reader knows: one table (TABLES below) of where each lives in the lake and the columns
 * it reads; the old system's validation rules are in rules.ts, the mapping of a row to an event in binders.ts.
 */
import { SUBJECTS, type EventSource, type MarketEvent, type Subject } from '@md/event-types';
import { BINDERS } from './binders.js';
import { col } from './rules.js';

export { MIN_TS_NS, MAX_TS_NS, UNDEF_PRICE_FLOAT } from './rules.js';

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
// the one table of the five tables: where they live, their columns (the binders read them by these names)

const c = <N extends string>(name: N, kind: ColumnKind, required = true) => ({ name, kind, required }) as const;
const ENVELOPE = [c('ts_event_ns', 'ns'), c('ts_recv_ns', 'ns'), c('source', 'string', false)] as const;
type LevelName = `${'bid' | 'ask'}_${'px' | 'sz'}_${number}`;
const MBP_LEVELS: { readonly name: LevelName; readonly kind: ColumnKind; readonly required: boolean }[] = [];
for (const side of ['bid', 'ask']) {
  for (let n = 1; n <= 10; n++) MBP_LEVELS.push(c(`${side as 'bid'}_px_${n}`, 'float'), c(`${side as 'bid'}_sz_${n}`, 'int'));
}

const TABLES = {
  stock_trades: {
    where: ['stocks/trades', 'symbol', 'SPY', SUBJECTS.stockTrades, 'stocks.trades.v1', 'symbol'],
    columns: [
      ...ENVELOPE,
      ...[c('symbol', 'string'), c('price', 'float'), c('size', 'int'), c('exchange', 'int', false)],
      ...[c('conditions', 'list', false), c('seq', 'int', false)],
    ],
  },
  stock_quotes: {
    where: ['stocks/quotes', 'symbol', 'SPY', SUBJECTS.stockQuotes, 'stocks.quotes.v1', 'symbol'],
    columns: [
      ...ENVELOPE,
      ...[c('symbol', 'string'), c('bid_px', 'float'), c('ask_px', 'float'), c('bid_sz', 'int'), c('ask_sz', 'int')],
      ...[c('bid_exch', 'int', false), c('ask_exch', 'int', false), c('seq', 'int', false)],
    ],
  },
  option_trades: {
    where: ['options/trades', 'underlying', 'SPY', SUBJECTS.optionTrades, 'options.trades.v1', 'option_symbol'],
    columns: [
      ...ENVELOPE,
      ...[c('underlying', 'string'), c('option_symbol', 'string'), c('exp_date', 'date'), c('strike', 'float')],
      ...[c('right', 'string'), c('price', 'float'), c('size', 'int'), c('opt_bid', 'float', false), c('opt_ask', 'float', false)],
      ...[c('aggressor', 'int', false), c('conditions', 'list', false), c('seq', 'int', false)],
    ],
  },
  futures_trades: {
    where: ['futures/trades', 'symbol', 'ES', SUBJECTS.futuresTrades, 'futures.trades.v1', 'symbol'],
    columns: [
      ...ENVELOPE,
      ...[c('symbol', 'string'), c('price', 'float'), c('size', 'int'), c('aggressor', 'int'), c('exchange', 'string', false)],
      ...[c('conditions', 'list', false), c('seq', 'int', false)],
    ],
  },
  futures_mbp10: {
    where: ['futures/mbp10', 'symbol', 'ES', SUBJECTS.futuresMbp10, 'futures.mbp10.v1', 'symbol'],
    columns: [...ENVELOPE, c('symbol', 'string'), ...MBP_LEVELS, c('is_snapshot', 'bool', false), c('seq', 'int', false)],
  },
} as const satisfies Record<
  BronzeTable,
  { where: readonly [string, 'symbol' | 'underlying', string, Subject, string, string]; columns: readonly ColumnSpec[] }
>;

/** the column arrays of a window of rows, by the names of the table's columns (absent optional ones: all null) */
export type TableCols<T extends BronzeTable> = Record<(typeof TABLES)[T]['columns'][number]['name'], Col>;

function spec<T extends BronzeTable>(table: T): TableSpec {
  const { where, columns } = TABLES[table];
  const [dir, partitionKey, defaultPartition, subject, schemaName, symbolColumn] = where;
  const binder = BINDERS[table] as (c: Record<string, Col>, ctx: BindContext) => (i: number) => RowResult;
  return {
    table,
    dir,
    partitionKey,
    defaultPartition,
    subject,
    schemaName,
    symbolColumn,
    columns,
    bind(cols, ctx) {
      const picked: Record<string, Col> = {};
      for (const x of columns) picked[x.name] = col(cols, x.name);
      return binder(picked, ctx);
    },
  };
}

export const TABLE_SPECS: Readonly<Record<BronzeTable, TableSpec>> = Object.freeze({
  stock_trades: spec('stock_trades'),
  stock_quotes: spec('stock_quotes'),
  option_trades: spec('option_trades'),
  futures_trades: spec('futures_trades'),
  futures_mbp10: spec('futures_mbp10'),
});

export function tableSpec(table: BronzeTable): TableSpec {
  const s = (TABLE_SPECS as Record<string, TableSpec | undefined>)[table];
  if (s === undefined) throw new TypeError(`unknown Bronze table ${JSON.stringify(table)}; expected one of ${BRONZE_TABLES.join(', ')}`);
  return s;
}
