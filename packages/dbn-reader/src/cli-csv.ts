/**
 * Databento's CSV (and TSV) encoding of DBN records, as `dbn FILE --csv` of Databento's CLI writes it
 * (its crate's `encode/csv`): one header line named after the fields, then one line per record.
 *
 * - Columns: `ts_recv` first when the record has one, then the header flattened (`ts_event`, `rtype`,
 *   `publisher_id`, `instrument_id`), then the fields in the same order as the JSON encoder (src/cli-json.ts);
 *   levels flattened as `bid_px_00,ask_px_00,bid_sz_00,ask_sz_00,bid_ct_00,ask_ct_00,...` (`bid_pb`/`ask_pb`
 *   for consolidated levels); `ts_out` when the metadata says the records carry one; `symbol` last with
 *   `--map-symbols`.
 * - Values: integers in decimal (64-bit exact, prices as the raw fixed-point integer); with `pretty`
 *   timestamps as ISO 8601 with nanoseconds and prices as decimals with 9 fractional digits, an undefined
 *   price or a 0 / undefined timestamp as an empty field; one-byte chars as the char (NUL: empty); text as is.
 * - A field holding the delimiter, a quote or a line break is quoted (`"` doubled), as the `csv` crate does.
 */
import { fieldOrder, prettyPx, prettyTs, ENUM_CHARS, PX_FIELDS, TS_FIELDS } from './cli-json.js';
import type { Field, Layout } from './layouts.js';
import type { AnyDbnRecord } from './records.js';

export interface CsvOptions {
  /** ',' (CSV) or '\t' (TSV) */
  delimiter: string;
  /** ISO 8601 timestamps, decimal prices */
  pretty: boolean;
  /** a `ts_out` column (the metadata's ts_out) */
  tsOut: boolean;
  /** a `symbol` column (`--map-symbols`) */
  withSymbol: boolean;
}

const LEVEL_FIELDS = ['bid_px', 'ask_px', 'bid_sz', 'ask_sz', 'bid_ct', 'ask_ct'] as const;
const CLEVEL_FIELDS = ['bid_px', 'ask_px', 'bid_sz', 'ask_sz', 'bid_pb', 'ask_pb'] as const;

function levelCount(type: string): number {
  return type === 'ba10' ? 10 : 1;
}

/** The header line (without the line break) for records of `layout`. */
export function csvHeader(layout: Layout, o: CsvOptions): string {
  const names: string[] = [];
  for (const [name, type] of fieldOrder(layout)) {
    if (name === 'hd') names.push('ts_event', 'rtype', 'publisher_id', 'instrument_id');
    else if (type === 'ba1' || type === 'ba10' || type === 'cba1') {
      const fs = type === 'cba1' ? CLEVEL_FIELDS : LEVEL_FIELDS;
      for (let i = 0; i < levelCount(type); i++) for (const f of fs) names.push(`${f}_${String(i).padStart(2, '0')}`);
    } else names.push(name);
  }
  if (o.tsOut) names.push('ts_out');
  if (o.withSymbol) names.push('symbol');
  return names.map((n) => quote(n, o.delimiter)).join(o.delimiter);
}

function quote(s: string, delimiter: string): string {
  if (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r')) return `"${s.replaceAll('"', '""')}"`;
  return s;
}

function ts(v: bigint, pretty: boolean): string {
  return pretty ? (prettyTs(v) ?? '') : v.toString();
}

function px(v: bigint, pretty: boolean): string {
  return pretty ? (prettyPx(v) ?? '') : v.toString();
}

function int64(name: string, v: bigint, pretty: boolean): string {
  if (pretty) {
    if (TS_FIELDS.has(name)) return ts(v, true);
    if (PX_FIELDS.has(name)) return px(v, true);
  }
  return v.toString();
}

function pushLevels(out: string[], levels: Array<Record<string, bigint | number>>, type: Field[1], pretty: boolean): void {
  const consolidated = type === 'cba1';
  for (const l of levels) {
    out.push(px(l.bid_px as bigint, pretty), px(l.ask_px as bigint, pretty), String(l.bid_sz), String(l.ask_sz));
    if (consolidated) out.push(String(l.bid_pb), String(l.ask_pb));
    else out.push(String(l.bid_ct), String(l.ask_ct));
  }
}

/**
 * One record as a CSV line (without the line break), for records of `layout` (the record's layout: a v1/v2
 * record decoded as-is has its own). `symbol` is the `--map-symbols` column (null or undefined: empty).
 */
export function csvRow(rec: AnyDbnRecord, layout: Layout, o: CsvOptions, symbol?: string | null): string {
  const r = rec as unknown as Record<string, unknown>;
  const out: string[] = [];
  const d = o.delimiter;
  for (const [name, type] of fieldOrder(layout)) {
    if (name === 'hd') {
      const h = rec.hd;
      out.push(ts(h.ts_event, o.pretty), String(h.rtype), String(h.publisher_id), String(h.instrument_id));
      continue;
    }
    const x = r[name];
    if (type === 'u64' || type === 'i64') out.push(int64(name, x as bigint, o.pretty));
    else if (type === 'c') out.push(x === '\0' && !ENUM_CHARS.has(name) ? '' : quote(x as string, d));
    else if (type === 'ba1' || type === 'ba10' || type === 'cba1')
      pushLevels(out, x as Array<Record<string, bigint | number>>, type, o.pretty);
    else if (type.startsWith('s')) out.push(quote(x as string, d));
    else out.push(String(x));
  }
  if (o.tsOut) out.push(rec.ts_out === undefined ? '' : ts(rec.ts_out, o.pretty));
  if (o.withSymbol) out.push(symbol == null ? '' : quote(symbol, d));
  return out.join(d);
}
