/**
 * Bronze Parquet files for tests and benchmarks, written with hyparquet-writer as the old system's writer
 * (pyarrow `write_table`) laid them out: the exact column order, physical and logical types and nullability of
 * each table's schema (plain INT64 nanoseconds, INT32 annotated INT(8)/INT(16), DATE `exp_date`, 3-level
 * LIST<INT16> `conditions`), `schema_name` / `tier` / `description` metadata, in the hive-partitioned layout
 * `<root>/bronze/<dir>/<key>=<value>/date=YYYY-MM-DD[/hour=HH]/<name>` (UTC date and hour).
 *
 * - `writeBronzeFile(path, table, rows, opts)` / `BronzeFileWriter` (one row group at a time, for large files);
 * - `writeBronzeLake(root, events, o)`: canonical events -> the rows the old writer stored, per table,
 *   partition, date and hour, several part files per hour overlapping in time (so the same events can be
 *   written to DBN and Bronze and both replay paths compared byte for byte);
 * - `rowOf(event)`, `rowsToColumns`, `bronzePath`, `BRONZE_FIELDS`.
 *
 * Codec: ZSTD when a `zstd` compressor is given (hyparquet-writer has none of its own; e.g. zstd-napi's
 * `compress` at level 3, as pyarrow), else Snappy.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FuturesTrade, MBP10, OptionTrade, Publishable, StockQuote, StockTrade } from '@md/event-types';
import { fileWriter, ParquetWriter, type ColumnSource } from 'hyparquet-writer';

export type BronzeTable = 'stock_trades' | 'stock_quotes' | 'option_trades' | 'futures_trades' | 'futures_mbp10';
export type Row = Record<string, unknown>;
/** a column's values as hyparquet-writer takes them (typed array or plain array) */
export type DecodedArray = ColumnSource['data'];

type SchemaElement = NonNullable<ConstructorParameters<typeof ParquetWriter>[0]['schema']>[number];
type Rep = 'REQUIRED' | 'OPTIONAL';
const rep = (nullable: boolean): Rep => (nullable ? 'OPTIONAL' : 'REQUIRED');
const int = (bitWidth: number) => ({ type: 'INTEGER' as const, bitWidth, isSigned: true });

export interface BronzeField {
  name: string;
  elements: SchemaElement[];
}
const leaf = (name: string, e: Omit<SchemaElement, 'name'>): BronzeField => ({ name, elements: [{ name, ...e }] });
const i64 = (name: string, nullable = false) => leaf(name, { type: 'INT64', repetition_type: rep(nullable) });
const f64 = (name: string, nullable = false) => leaf(name, { type: 'DOUBLE', repetition_type: rep(nullable) });
const i32 = (name: string) => leaf(name, { type: 'INT32', repetition_type: 'REQUIRED' });
const small = (name: string, bits: 8 | 16, nullable = false) =>
  leaf(name, { type: 'INT32', repetition_type: rep(nullable), converted_type: bits === 8 ? 'INT_8' : 'INT_16', logical_type: int(bits) });
const str = (name: string, nullable = false) =>
  leaf(name, { type: 'BYTE_ARRAY', repetition_type: rep(nullable), converted_type: 'UTF8', logical_type: { type: 'STRING' } });
const date32 = (name: string) =>
  leaf(name, { type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'DATE', logical_type: { type: 'DATE' } });
const bool = (name: string) => leaf(name, { type: 'BOOLEAN', repetition_type: 'REQUIRED' });
const listI16 = (name: string): BronzeField => ({
  name,
  elements: [
    { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'INT_16', logical_type: int(16) },
  ],
});

const env = [i64('ts_event_ns'), i64('ts_recv_ns'), str('source')];
const mbpLevels: BronzeField[] = [];
for (const side of ['bid', 'ask']) for (let n = 1; n <= 10; n++) mbpLevels.push(f64(`${side}_px_${n}`), i32(`${side}_sz_${n}`));

/** the old system's Arrow schemas (column order as written) */
export const BRONZE_FIELDS: Readonly<Record<BronzeTable, readonly BronzeField[]>> = {
  stock_trades: [...env, str('symbol'), f64('price'), i32('size'), small('exchange', 16, true), listI16('conditions'), i64('seq', true)],
  stock_quotes: [
    ...[...env, str('symbol'), f64('bid_px'), f64('ask_px'), i32('bid_sz'), i32('ask_sz')],
    ...[small('bid_exch', 16, true), small('ask_exch', 16, true), i64('seq', true)],
  ],
  option_trades: [
    ...[...env, str('underlying'), str('option_symbol'), date32('exp_date'), f64('strike'), str('right'), f64('price'), i32('size')],
    ...[f64('opt_bid', true), f64('opt_ask', true), small('aggressor', 8), listI16('conditions'), i64('seq', true)],
  ],
  futures_trades: [
    ...[...env, str('symbol'), f64('price'), i32('size'), small('aggressor', 8), str('exchange', true)],
    ...[listI16('conditions'), i64('seq', true)],
  ],
  futures_mbp10: [...env, str('symbol'), ...mbpLevels, bool('is_snapshot'), i64('seq', true)],
};

/** folder under bronze/, partition key, schema name */
const WHERE: Record<BronzeTable, [string, string, string]> = {
  stock_trades: ['stocks/trades', 'symbol', 'stocks.trades.v1'],
  stock_quotes: ['stocks/quotes', 'symbol', 'stocks.quotes.v1'],
  option_trades: ['options/trades', 'underlying', 'options.trades.v1'],
  futures_trades: ['futures/trades', 'symbol', 'futures.trades.v1'],
  futures_mbp10: ['futures/mbp10', 'symbol', 'futures.mbp10.v1'],
};

/** `<root>/bronze/<dir>/<key>=<value>/date=<date>[/hour=<hour>]/<name>` */
export function bronzePath(root: string, table: BronzeTable, partition: string, date: string, hour: string | null, name: string): string {
  const [dir, key] = WHERE[table];
  const parts = [root, 'bronze', dir, `${key}=${partition}`, `date=${date}`];
  if (hour !== null) parts.push(`hour=${hour}`);
  return join(...parts, name);
}

export interface WriteOptions {
  /** rows per row group (default 1,048,576: pyarrow's default) */
  rowGroupSize?: number;
  /** columns left out of the file (to write a broken one) */
  omit?: readonly string[];
  /** target uncompressed page size in bytes (default 1 MiB, as pyarrow's; pyarrow also stops a page at 20,000 rows) */
  pageSize?: number;
  /** default: ZSTD when `zstd` is given, else SNAPPY */
  codec?: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
  /** the ZSTD compressor (e.g. zstd-napi's `compress(b, { compressionLevel: 3 })`) */
  zstd?: (bytes: Uint8Array) => Uint8Array;
}

function fieldsOf(table: BronzeTable, omit: readonly string[]): BronzeField[] {
  return BRONZE_FIELDS[table].filter((f) => !omit.includes(f.name));
}

/** rows (objects keyed by column name) -> column arrays for the table's fields */
export function rowsToColumns(table: BronzeTable, rows: readonly Row[], omit: readonly string[] = []): Record<string, DecodedArray> {
  const out: Record<string, DecodedArray> = {};
  for (const f of fieldsOf(table, omit)) {
    const nullable = f.elements[0]?.repetition_type === 'OPTIONAL';
    const type = f.elements[0]?.type;
    if (!nullable && type === 'INT64') out[f.name] = BigInt64Array.from(rows, (r) => BigInt(r[f.name] as bigint));
    else if (type === 'INT64')
      out[f.name] = rows.map((r) => (r[f.name] === null || r[f.name] === undefined ? null : BigInt(r[f.name] as bigint)));
    else out[f.name] = rows.map((r) => (r[f.name] === undefined ? null : r[f.name]));
  }
  return out;
}

/** A Bronze file written one row group (or more) at a time, so a large file never sits in memory. */
export class BronzeFileWriter {
  private readonly w: ParquetWriter;
  private readonly fields: BronzeField[];
  constructor(
    readonly path: string,
    readonly table: BronzeTable,
    private readonly opts: WriteOptions = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fields = fieldsOf(table, opts.omit ?? []);
    const schemaName = WHERE[table][2];
    const codec = opts.codec ?? (opts.zstd ? 'ZSTD' : 'SNAPPY');
    if (codec === 'ZSTD' && !opts.zstd) throw new Error('BronzeFileWriter: codec ZSTD needs the zstd option (a compressor)');
    this.w = new ParquetWriter({
      writer: fileWriter(path),
      schema: [{ name: 'schema', num_children: this.fields.length }, ...this.fields.flatMap((f) => f.elements)],
      codec,
      ...(opts.zstd ? { compressors: { ZSTD: opts.zstd } } : {}),
      kvMetadata: [
        { key: 'schema_name', value: schemaName },
        { key: 'tier', value: 'bronze' },
        { key: 'description', value: `${schemaName} (test fixture)` },
      ],
      createdBy: 'md test-support Bronze writer',
    });
  }
  /** writes column arrays (all of the file's columns) */
  writeColumns(cols: Record<string, DecodedArray>): void {
    const columnData: ColumnSource[] = this.fields.map((f) => {
      const data = cols[f.name];
      if (data === undefined) throw new Error(`BronzeFileWriter: no data for column ${f.name}`);
      return { name: f.name, data };
    });
    this.w.write({ columnData, rowGroupSize: this.opts.rowGroupSize ?? 1_048_576, pageSize: this.opts.pageSize ?? 1_048_576 });
  }
  writeRows(rows: readonly Row[]): void {
    this.writeColumns(rowsToColumns(this.table, rows, this.opts.omit ?? []));
  }
  finish(): void {
    this.w.finish();
  }
}

/** Writes one Bronze file from rows, in the order given (the old writer sorted by ts_event_ns: sort first). */
export function writeBronzeFile(path: string, table: BronzeTable, rows: readonly Row[], opts: WriteOptions = {}): string {
  const w = new BronzeFileWriter(path, table, opts);
  w.writeRows(rows);
  w.finish();
  return path;
}

const big = (n: number | null) => (n === null ? null : BigInt(n));
const DAY_MS = 86_400_000;

/** a canonical event -> the Bronze row the old writer stored for it (source as given: the replay rewrites it) */
export function rowOf(p: Publishable, source = 'polygon_ws'): { table: BronzeTable; partition: string; row: Row } {
  const e = p.event as { ts_event_ns: bigint; ts_recv_ns: bigint };
  const base = { ts_event_ns: e.ts_event_ns, ts_recv_ns: e.ts_recv_ns, source };
  switch (p.subject) {
    case 'market.options.trades': {
      const o = p.event as OptionTrade;
      const { exp_date, seq, ...rest } = o;
      const row = { ...rest, ...base, exp_date: Date.parse(`${exp_date}T00:00:00Z`) / DAY_MS, seq: big(seq) };
      return { table: 'option_trades', partition: o.underlying, row };
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

const byTs = (a: Row, b: Row): number => {
  const x = a.ts_event_ns as bigint;
  const y = b.ts_event_ns as bigint;
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * Writes events into a Bronze lake under `root`: per table, partition, UTC date and hour, `filesPerHour` part
 * files taking the rows in turn (so they overlap in time, as live flushes do), each sorted by ts_event_ns.
 * Returns the files written.
 */
export function writeBronzeLake(
  root: string,
  events: readonly Publishable[],
  o: { filesPerHour?: number; source?: string; write?: WriteOptions } = {},
): string[] {
  const groups = new Map<string, { table: BronzeTable; rows: Row[][] }>();
  const k = o.filesPerHour ?? 2;
  for (const p of events) {
    const { table, partition, row } = rowOf(p, o.source);
    const iso = new Date(Number((row.ts_event_ns as bigint) / 1_000_000n)).toISOString();
    const folder = dirname(bronzePath(root, table, partition, iso.slice(0, 10), iso.slice(11, 13), 'x'));
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
      writeBronzeFile(path, g.table, [...rows].sort(byTs), o.write);
      files.push(path);
    });
  }
  return files;
}
