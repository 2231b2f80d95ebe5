/**
 * Writes Bronze files as the old system's writer did (pyarrow `write_table`, ZSTD level 3), with
 * hyparquet-writer: the exact column order, physical and logical types and nullability of each table's
 * schema, plain INT64 nanoseconds, `schema_name` / `tier` / `description` metadata. Test and bench helper.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DecodedArray, SchemaElement } from 'hyparquet';
import { fileWriter, ParquetWriter, type ColumnSource } from 'hyparquet-writer';
import { compress } from 'zstd-napi';
import { TABLE_SPECS, type BronzeTable } from '../src/index.ts';

type WriterSchema = ConstructorParameters<typeof ParquetWriter>[0]['schema'];
type Rep = 'REQUIRED' | 'OPTIONAL';
const rep = (nullable: boolean): Rep => (nullable ? 'OPTIONAL' : 'REQUIRED');
const int = (bitWidth: number) => ({ type: 'INTEGER' as const, bitWidth, isSigned: true });

type Field = { name: string; elements: SchemaElement[] };
const i64 = (name: string, nullable = false): Field => ({ name, elements: [{ name, type: 'INT64', repetition_type: rep(nullable) }] });
const f64 = (name: string, nullable = false): Field => ({ name, elements: [{ name, type: 'DOUBLE', repetition_type: rep(nullable) }] });
const i32 = (name: string, nullable = false): Field => ({ name, elements: [{ name, type: 'INT32', repetition_type: rep(nullable) }] });
const i8 = (name: string, nullable = false): Field => ({
  name,
  elements: [{ name, type: 'INT32', repetition_type: rep(nullable), converted_type: 'INT_8', logical_type: int(8) }],
});
const i16 = (name: string, nullable = false): Field => ({
  name,
  elements: [{ name, type: 'INT32', repetition_type: rep(nullable), converted_type: 'INT_16', logical_type: int(16) }],
});
const str = (name: string, nullable = false): Field => ({
  name,
  elements: [{ name, type: 'BYTE_ARRAY', repetition_type: rep(nullable), converted_type: 'UTF8', logical_type: { type: 'STRING' } }],
});
const date32 = (name: string): Field => ({
  name,
  elements: [{ name, type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'DATE', logical_type: { type: 'DATE' } }],
});
const bool = (name: string): Field => ({ name, elements: [{ name, type: 'BOOLEAN', repetition_type: 'REQUIRED' }] });
const listI16 = (name: string): Field => ({
  name,
  elements: [
    { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' } },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'INT_16', logical_type: int(16) },
  ],
});

const env = [i64('ts_event_ns'), i64('ts_recv_ns'), str('source')];
const mbpLevels: Field[] = [];
for (const side of ['bid', 'ask']) for (let n = 1; n <= 10; n++) mbpLevels.push(f64(`${side}_px_${n}`), i32(`${side}_sz_${n}`));

/** the old system's Arrow schemas (bronze-parquet reference, section 2), column order as written */
export const BRONZE_FIELDS: Record<BronzeTable, Field[]> = {
  stock_trades: [...env, str('symbol'), f64('price'), i32('size'), i16('exchange', true), listI16('conditions'), i64('seq', true)],
  stock_quotes: [
    ...env,
    str('symbol'),
    f64('bid_px'),
    f64('ask_px'),
    i32('bid_sz'),
    i32('ask_sz'),
    i16('bid_exch', true),
    i16('ask_exch', true),
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
    i8('aggressor'),
    listI16('conditions'),
    i64('seq', true),
  ],
  futures_trades: [
    ...env,
    str('symbol'),
    f64('price'),
    i32('size'),
    i8('aggressor'),
    str('exchange', true),
    listI16('conditions'),
    i64('seq', true),
  ],
  futures_mbp10: [...env, str('symbol'), ...mbpLevels, bool('is_snapshot'), i64('seq', true)],
};

export type Row = Record<string, unknown>;

/** `<root>/bronze/<dir>/<key>=<value>/date=<date>[/hour=<hour>]/<name>` */
export function bronzePath(root: string, table: BronzeTable, partition: string, date: string, hour: string | null, name: string): string {
  const s = TABLE_SPECS[table];
  const parts = [root, 'bronze', s.dir, `${s.partitionKey}=${partition}`, `date=${date}`];
  if (hour !== null) parts.push(`hour=${hour}`);
  return join(...parts, name);
}

export interface WriteOptions {
  /** rows per row group (default 1,048,576: pyarrow's default) */
  rowGroupSize?: number;
  /** columns left out of the file (to write a broken one) */
  omit?: string[];
  /** target uncompressed page size in bytes (hyparquet-writer's default 1 MiB, as pyarrow's) */
  pageSize?: number;
  /** default ZSTD (level 3) */
  codec?: 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';
}

const zstd = (b: Uint8Array): Uint8Array => new Uint8Array(compress(b, { compressionLevel: 3 }));

function schemaOf(table: BronzeTable, omit: readonly string[]): { fields: Field[]; schema: SchemaElement[] } {
  const fields = BRONZE_FIELDS[table].filter((f) => !omit.includes(f.name));
  return { fields, schema: [{ name: 'schema', num_children: fields.length }, ...fields.flatMap((f) => f.elements)] };
}

function columnData(fields: Field[], cols: Record<string, DecodedArray>): ColumnSource[] {
  return fields.map((f) => {
    const data = cols[f.name];
    if (data === undefined) throw new Error(`write-bronze: no data for column ${f.name}`);
    return { name: f.name, data };
  });
}

/** rows (objects keyed by column name) -> column arrays for the table's fields */
export function rowsToColumns(table: BronzeTable, rows: readonly Row[], omit: readonly string[] = []): Record<string, DecodedArray> {
  const out: Record<string, DecodedArray> = {};
  for (const f of schemaOf(table, omit).fields) {
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
  private readonly fields: Field[];
  constructor(
    readonly path: string,
    readonly table: BronzeTable,
    private readonly opts: WriteOptions = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    const { fields, schema } = schemaOf(table, opts.omit ?? []);
    this.fields = fields;
    const s = TABLE_SPECS[table];
    this.w = new ParquetWriter({
      writer: fileWriter(path),
      schema: schema as unknown as WriterSchema,
      codec: opts.codec ?? 'ZSTD',
      compressors: { ZSTD: zstd },
      kvMetadata: [
        { key: 'schema_name', value: s.schemaName },
        { key: 'tier', value: 'bronze' },
        { key: 'description', value: `${s.schemaName} (test fixture)` },
      ],
      createdBy: 'md bronze-reader test writer',
    });
  }
  /** writes column arrays; rowGroupSize default 1,048,576 */
  writeColumns(cols: Record<string, DecodedArray>): void {
    this.w.write({
      columnData: columnData(this.fields, cols),
      rowGroupSize: this.opts.rowGroupSize ?? 1_048_576,
      pageSize: this.opts.pageSize ?? 1_048_576,
    });
  }
  writeRows(rows: readonly Row[]): void {
    this.writeColumns(rowsToColumns(this.table, rows, this.opts.omit ?? []));
  }
  finish(): void {
    this.w.finish();
  }
}

/** Writes one Bronze file from rows. */
export function writeBronzeFile(path: string, table: BronzeTable, rows: readonly Row[], opts: WriteOptions = {}): string {
  const w = new BronzeFileWriter(path, table, opts);
  w.writeRows(rows);
  w.finish();
  return path;
}
