/**
 * Test support: Bronze Parquet files written with hyparquet-writer in the old system's layout and schemas
 * (`<root>/bronze/<table>/<key>=<value>/date=YYYY-MM-DD/hour=HH/part-HHMMSS_ffffff.parquet`, UTC date and hour,
 * each file sorted by ts_event_ns, plain INT64 nanoseconds, INT32 annotated INT(8)/INT(16), DATE exp_date,
 * 3-level LIST<INT16> conditions), from canonical events: so the same events can be written to DBN and Bronze and
 * the two replay paths compared byte for byte.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';

import type { FuturesTrade, MBP10, OptionTrade, Publishable, StockQuote, StockTrade } from '@md/event-types';

type SchemaElement = NonNullable<ConstructorParameters<typeof ParquetWriter>[0]['schema']>[number];
type Rep = 'REQUIRED' | 'OPTIONAL';
const rep = (nullable: boolean): Rep => (nullable ? 'OPTIONAL' : 'REQUIRED');
const int = (bitWidth: number) => ({ type: 'INTEGER' as const, bitWidth, isSigned: true });
type Field = { name: string; kind: 'i64' | 'other'; elements: SchemaElement[] };
const i64 = (name: string, nullable = false): Field => ({
  name,
  kind: 'i64',
  elements: [{ name, type: 'INT64', repetition_type: rep(nullable) }],
});
const f64 = (name: string, nullable = false): Field => ({
  name,
  kind: 'other',
  elements: [{ name, type: 'DOUBLE', repetition_type: rep(nullable) }],
});
const i32 = (name: string): Field => ({ name, kind: 'other', elements: [{ name, type: 'INT32', repetition_type: 'REQUIRED' }] });
const small = (name: string, bits: 8 | 16, nullable = false): Field => ({
  name,
  kind: 'other',
  elements: [
    { name, type: 'INT32', repetition_type: rep(nullable), converted_type: bits === 8 ? 'INT_8' : 'INT_16', logical_type: int(bits) },
  ],
});
const str = (name: string, nullable = false): Field => ({
  name,
  kind: 'other',
  elements: [{ name, type: 'BYTE_ARRAY', repetition_type: rep(nullable), converted_type: 'UTF8', logical_type: { type: 'STRING' } }],
});
const date32 = (name: string): Field => ({
  name,
  kind: 'other',
  elements: [{ name, type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'DATE', logical_type: { type: 'DATE' } }],
});
const bool = (name: string): Field => ({ name, kind: 'other', elements: [{ name, type: 'BOOLEAN', repetition_type: 'REQUIRED' }] });
const listI16 = (name: string): Field => ({
  name,
  kind: 'other',
  elements: [
    { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'INT_16', logical_type: int(16) },
  ],
});

export type Table = 'stock_trades' | 'stock_quotes' | 'option_trades' | 'futures_trades' | 'futures_mbp10';
const env = [i64('ts_event_ns'), i64('ts_recv_ns'), str('source')];
const levels: Field[] = [];
for (const side of ['bid', 'ask']) for (let n = 1; n <= 10; n++) levels.push(f64(`${side}_px_${n}`), i32(`${side}_sz_${n}`));
const FIELDS: Record<Table, Field[]> = {
  stock_trades: [...env, str('symbol'), f64('price'), i32('size'), small('exchange', 16, true), listI16('conditions'), i64('seq', true)],
  stock_quotes: [
    ...env,
    str('symbol'),
    f64('bid_px'),
    f64('ask_px'),
    i32('bid_sz'),
    i32('ask_sz'),
    small('bid_exch', 16, true),
    small('ask_exch', 16, true),
    i64('seq', true),
  ],
  option_trades: [
    ...env,
    str('underlying'),
    str('option_symbol'),
    date32('exp_date'),
    f64('strike'),
    str('right'),
    f64('price'),
    i32('size'),
    f64('opt_bid', true),
    f64('opt_ask', true),
    small('aggressor', 8),
    listI16('conditions'),
    i64('seq', true),
  ],
  futures_trades: [
    ...env,
    str('symbol'),
    f64('price'),
    i32('size'),
    small('aggressor', 8),
    str('exchange', true),
    listI16('conditions'),
    i64('seq', true),
  ],
  futures_mbp10: [...env, str('symbol'), ...levels, bool('is_snapshot'), i64('seq', true)],
};
const WHERE: Record<Table, [string, string]> = {
  stock_trades: ['stocks/trades', 'symbol'],
  stock_quotes: ['stocks/quotes', 'symbol'],
  option_trades: ['options/trades', 'underlying'],
  futures_trades: ['futures/trades', 'symbol'],
  futures_mbp10: ['futures/mbp10', 'symbol'],
};
const SCHEMA_NAME: Record<Table, string> = {
  stock_trades: 'stocks.trades.v1',
  stock_quotes: 'stocks.quotes.v1',
  option_trades: 'options.trades.v1',
  futures_trades: 'futures.trades.v1',
  futures_mbp10: 'futures.mbp10.v1',
};

export type Row = Record<string, unknown>;

/** one Parquet file of `table` holding `rows` (sorted by ts_event_ns here, as the writer sorted) */
export function writeBronzeFile(path: string, table: Table, rows: readonly Row[], rowGroupSize = 1_048_576): void {
  mkdirSync(dirname(path), { recursive: true });
  const sorted = [...rows].sort((a, b) =>
    (a.ts_event_ns as bigint) < (b.ts_event_ns as bigint) ? -1 : (a.ts_event_ns as bigint) > (b.ts_event_ns as bigint) ? 1 : 0,
  );
  const fields = FIELDS[table];
  const w = new ParquetWriter({
    writer: fileWriter(path),
    schema: [{ name: 'schema', num_children: fields.length }, ...fields.flatMap((f) => f.elements)],
    kvMetadata: [
      { key: 'schema_name', value: SCHEMA_NAME[table] },
      { key: 'tier', value: 'bronze' },
    ],
  });
  const columnData = fields.map((f) => {
    const nullable = f.elements[0]?.repetition_type === 'OPTIONAL';
    const data =
      f.kind === 'i64' && !nullable
        ? BigInt64Array.from(sorted, (r) => r[f.name] as bigint)
        : sorted.map((r) => (r[f.name] === undefined ? null : r[f.name]));
    return { name: f.name, data };
  });
  w.write({ columnData, rowGroupSize });
  w.finish();
}

const big = (n: number | null) => (n === null ? null : BigInt(n));
const DAY_MS = 86_400_000;

/** a canonical event -> the Bronze row the old writer stored for it (source as given: the replay rewrites it) */
export function rowOf(p: Publishable, source = 'polygon_ws'): { table: Table; partition: string; row: Row } {
  const e = p.event as { ts_event_ns: bigint; ts_recv_ns: bigint };
  const base = { ts_event_ns: e.ts_event_ns, ts_recv_ns: e.ts_recv_ns, source };
  switch (p.subject) {
    case 'market.options.trades': {
      const o = p.event as OptionTrade;
      const { exp_date, seq, ...rest } = o;
      return {
        table: 'option_trades',
        partition: o.underlying,
        row: { ...rest, ...base, exp_date: Date.parse(`${exp_date}T00:00:00Z`) / DAY_MS, seq: big(seq) },
      };
    }
    case 'market.futures.trades': {
      const f = p.event as FuturesTrade;
      return { table: 'futures_trades', partition: 'ES', row: { ...f, ...base, seq: big(f.seq) } };
    }
    case 'market.futures.mbp10': {
      const m = p.event as MBP10;
      const row: Row = { ...base, symbol: m.symbol, is_snapshot: m.is_snapshot, seq: big(m.seq) };
      m.levels.forEach((l, i) => {
        row[`bid_px_${i + 1}`] = l.bid_px ?? 0;
        row[`bid_sz_${i + 1}`] = l.bid_sz;
        row[`ask_px_${i + 1}`] = l.ask_px ?? 0;
        row[`ask_sz_${i + 1}`] = l.ask_sz;
      });
      return { table: 'futures_mbp10', partition: 'ES', row };
    }
    case 'market.stocks.trades': {
      const s = p.event as StockTrade;
      return { table: 'stock_trades', partition: s.symbol, row: { ...s, ...base, seq: big(s.seq) } };
    }
    case 'market.stocks.quotes': {
      const q = p.event as StockQuote;
      return { table: 'stock_quotes', partition: q.symbol, row: { ...q, ...base, seq: big(q.seq) } };
    }
    default:
      throw new Error(`rowOf: no Bronze table for ${p.subject}`);
  }
}

/**
 * Writes events into a Bronze lake under `root`: per table, partition, UTC date and hour, `filesPerHour` part
 * files taking the rows in turn (so they overlap in time, as live flushes do). Returns the files written.
 */
export function writeBronzeLake(
  root: string,
  events: readonly Publishable[],
  o: { filesPerHour?: number; source?: string } = {},
): string[] {
  const groups = new Map<string, { table: Table; rows: Row[][] }>();
  const k = o.filesPerHour ?? 2;
  for (const p of events) {
    const { table, partition, row } = rowOf(p, o.source);
    const iso = new Date(Number((row.ts_event_ns as bigint) / 1_000_000n)).toISOString();
    const [dir, key] = WHERE[table];
    const folder = join(root, 'bronze', dir, `${key}=${partition}`, `date=${iso.slice(0, 10)}`, `hour=${iso.slice(11, 13)}`);
    let g = groups.get(folder);
    if (!g) {
      g = { table, rows: Array.from({ length: k }, () => []) };
      groups.set(folder, g);
    }
    const n = g.rows.reduce((a, r) => a + r.length, 0);
    g.rows[n % k]?.push(row);
  }
  const files: string[] = [];
  for (const [folder, g] of groups) {
    g.rows.forEach((rows, i) => {
      if (rows.length === 0) return;
      const path = join(folder, `part-1200${String(i).padStart(2, '0')}_000000.parquet`);
      writeBronzeFile(path, g.table, rows);
      files.push(path);
    });
  }
  return files;
}
