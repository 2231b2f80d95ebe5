/**
 * Databento's JSON shape for the `dbn` command (what `dbn FILE --json` and `dbn FILE --json --metadata` of
 * Databento's CLI write): the field order shared with the CSV encoder (src/cli-csv.ts), the `--pretty`
 * timestamp and price formats, one record or the metadata as one JSON text.
 */
import { UNDEF_PRICE } from '@md/event-types';
import { UNDEF_TIMESTAMP } from './constants.js';
import { layoutTable, type Field, type Layout } from './layouts.js';
import type { DbnMetadata } from './metadata.js';
import type { AnyDbnRecord } from './records.js';

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** `dbn --pretty` timestamp: ISO 8601 with 9 fractional digits, null for 0 / undefined. */
export function prettyTs(ns: bigint): string | null {
  if (ns === 0n || ns === UNDEF_TIMESTAMP) return null;
  const secs = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const d = new Date(Number(secs) * 1000);
  const iso = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return `${iso}.${frac.toString().padStart(9, '0')}Z`;
}

/** `dbn --pretty` price: decimal with 9 fractional digits, null for UNDEF_PRICE. */
export function prettyPx(px: bigint): string | null {
  if (px === UNDEF_PRICE) return null;
  const neg = px < 0n;
  const a = neg ? -px : px;
  return `${neg ? '-' : ''}${a / 1_000_000_000n}.${(a % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Fields the official encoder writes first (its `encode_order`), after `ts_recv` and `hd`. */
const ENCODE_FIRST: Record<string, string[]> = {
  TradeMsg: ['action', 'side', 'depth'],
  Mbp1Msg: ['action', 'side', 'depth'],
  Mbp10Msg: ['action', 'side', 'depth'],
  MboMsg: ['action', 'side', 'price', 'size', 'channel_id'],
  BboMsg: ['side'],
  CbboMsg: ['side'],
  Cmbp1Msg: ['action', 'side'],
};

/** The official v3 InstrumentDefMsg JSON order (after ts_recv and hd). */
const DEFINITION_ORDER = (
  'raw_symbol security_update_action instrument_class min_price_increment display_factor expiration activation ' +
  'high_limit_price low_limit_price max_price_variation unit_of_measure_qty min_price_increment_amount price_ratio ' +
  'inst_attrib_value underlying_id raw_instrument_id market_depth_implied market_depth market_segment_id max_trade_vol ' +
  'min_lot_size min_lot_size_block min_lot_size_round_lot min_trade_vol contract_multiplier decay_quantity ' +
  'original_contract_size appl_id maturity_year decay_start_date channel_id currency settl_currency secsubtype group ' +
  'exchange asset cfi security_type unit_of_measure underlying strike_price_currency strike_price match_algorithm ' +
  'main_fraction price_display_format sub_fraction underlying_product maturity_month maturity_day maturity_week ' +
  'user_defined_instrument contract_multiplier_unit flow_schedule_type tick_rule leg_count leg_index leg_instrument_id ' +
  'leg_raw_symbol leg_instrument_class leg_side leg_price leg_delta leg_ratio_price_numerator leg_ratio_price_denominator ' +
  'leg_ratio_qty_numerator leg_ratio_qty_denominator leg_underlying_id'
).split(' ');

/** enum-typed char fields: always written as a one-character string (never null) */
export const ENUM_CHARS = new Set(['security_update_action', 'user_defined_instrument']);

/** Fields holding a timestamp (pretty: ISO) rather than a price (pretty: decimal) or a plain integer. */
export const TS_FIELDS = new Set(['ts_recv', 'ts_ref', 'expiration', 'activation', 'auction_time', 'start_ts', 'end_ts', 'ts_out']);
export const PX_FIELDS = new Set([
  'price',
  'open',
  'high',
  'low',
  'close',
  'min_price_increment',
  'display_factor',
  'high_limit_price',
  'low_limit_price',
  'max_price_variation',
  'unit_of_measure_qty',
  'min_price_increment_amount',
  'price_ratio',
  'strike_price',
  'leg_price',
  'leg_delta',
  'trading_reference_price',
  'ref_price',
  'cont_book_clr_price',
  'auct_interest_clr_price',
  'ssr_filling_price',
  'ind_match_price',
  'upper_collar',
  'lower_collar',
  'bid_px',
  'ask_px',
]);

const plans = new Map<Layout, Field[]>();

/**
 * The fields of `layout` in the order Databento's encoders write them (JSON and CSV share it): `ts_recv` first
 * when present, then the header (`hd`, a placeholder entry here), then the record's `encode_order`.
 */
export function fieldOrder(layout: Layout): Field[] {
  let p = plans.get(layout);
  if (p !== undefined) return p;
  const byName = new Map(layout.fields.map((f) => [f[0], f]));
  const order: string[] = [];
  const take = (n: string): void => {
    if (byName.has(n) && !order.includes(n)) order.push(n);
  };
  take('ts_recv');
  order.push('hd');
  if (layout.name === 'InstrumentDefMsg') for (const n of DEFINITION_ORDER) take(n);
  for (const n of ENCODE_FIRST[layout.name] ?? []) take(n);
  for (const f of layout.fields) take(f[0]);
  p = order.map((n) => (n === 'hd' ? (['hd', 'u8', 0] as Field) : byName.get(n)!));
  plans.set(layout, p);
  return p;
}

function str(v: string): string {
  return JSON.stringify(v);
}

function int64(name: string, v: bigint, pretty: boolean): string {
  if (pretty) {
    if (TS_FIELDS.has(name)) {
      const t = prettyTs(v);
      return t === null ? 'null' : str(t);
    }
    if (PX_FIELDS.has(name)) {
      const p = prettyPx(v);
      return p === null ? 'null' : str(p);
    }
  }
  return `"${v}"`;
}

function levelsJson(levels: Array<Record<string, bigint | number>>, consolidated: boolean, pretty: boolean): string {
  const parts: string[] = [];
  for (const l of levels) {
    parts.push(
      `{"bid_px":${int64('bid_px', l.bid_px as bigint, pretty)},"ask_px":${int64('ask_px', l.ask_px as bigint, pretty)},` +
        `"bid_sz":${l.bid_sz},"ask_sz":${l.ask_sz},` +
        (consolidated ? `"bid_pb":${l.bid_pb},"ask_pb":${l.ask_pb}}` : `"bid_ct":${l.bid_ct},"ask_ct":${l.ask_ct}}`),
    );
  }
  return `[${parts.join(',')}]`;
}

/**
 * One record as Databento's JSON encoder writes it (`dbn FILE --json`): `ts_recv` first when the
 * record has one, then `hd` ({ts_event, rtype, publisher_id, instrument_id}), then the fields in
 * the official order; 64-bit integers as strings, prices as the raw fixed-point integer (or
 * decimals with `pretty`), one-byte chars as strings (NUL as null), `ts_out` last when present, then
 * `symbol` when one is given (`--map-symbols`; null: none known).
 */
export function recordToDbnJson(rec: AnyDbnRecord, version: number, pretty = false, symbol?: string | null): string {
  const layout = layoutTable(version)[rec.hd.rtype];
  if (layout === undefined) throw new Error(`no DBN v${version} layout for rtype ${rec.hd.rtype}`);
  const r = rec as unknown as Record<string, unknown>;
  const parts: string[] = [];
  for (const [name, type] of fieldOrder(layout)) {
    let v: string;
    if (name === 'hd') {
      const h = rec.hd;
      const ts = pretty ? (prettyTs(h.ts_event) === null ? 'null' : str(prettyTs(h.ts_event)!)) : `"${h.ts_event}"`;
      v = `{"ts_event":${ts},"rtype":${h.rtype},"publisher_id":${h.publisher_id},"instrument_id":${h.instrument_id}}`;
    } else {
      const x = r[name];
      if (type === 'u64' || type === 'i64') v = int64(name, x as bigint, pretty);
      else if (type === 'c') v = x === '\0' && !ENUM_CHARS.has(name) ? 'null' : str(x as string);
      else if (type === 'ba1' || type === 'ba10' || type === 'cba1')
        v = levelsJson(x as Array<Record<string, bigint | number>>, type === 'cba1', pretty);
      else if (type.startsWith('s')) v = str(x as string);
      else v = String(x);
    }
    parts.push(`"${name}":${v}`);
  }
  if (rec.ts_out !== undefined) parts.push(`"ts_out":${int64('ts_out', rec.ts_out, pretty)}`);
  // `--map-symbols`: the symbol last, null when the metadata has none for the record's instrument and day
  if (symbol !== undefined) parts.push(`"symbol":${symbol === null ? 'null' : str(symbol)}`);
  return `{${parts.join(',')}}`;
}

function dateInt(d: string): number {
  return Number(d.replaceAll('-', ''));
}

/** The metadata as Databento's JSON encoder writes it (`dbn FILE --json --metadata`). */
export function metadataToDbnJson(m: DbnMetadata, pretty = false): string {
  const ts = (v: bigint): string => (pretty ? (prettyTs(v) === null ? 'null' : str(prettyTs(v)!)) : `"${v}"`);
  const list = (xs: string[]): string => `[${xs.map(str).join(',')}]`;
  const mappings = m.mappings.map(
    (mp) =>
      `{"raw_symbol":${str(mp.rawSymbol)},"intervals":[${mp.intervals
        .map(
          (iv) =>
            `{"start_date":${pretty ? str(iv.startDate) : dateInt(iv.startDate)},"end_date":${pretty ? str(iv.endDate) : dateInt(iv.endDate)},"symbol":${str(iv.symbol)}}`,
        )
        .join(',')}]}`,
  );
  return (
    `{"version":${m.version},"dataset":${str(m.dataset)},"schema":${m.schema === null ? 'null' : str(m.schema)},` +
    `"start":${ts(m.start)},"end":${m.end === null ? 'null' : ts(m.end)},"limit":${m.limit === 0n ? 'null' : `"${m.limit}"`},` +
    `"stype_in":${m.stypeIn === null ? 'null' : str(m.stypeIn)},"stype_out":${m.stypeOut === null ? 'null' : str(m.stypeOut)},` +
    `"ts_out":${m.tsOut},"symbol_cstr_len":${m.symbolCstrLen},"symbols":${list(m.symbols)},"partial":${list(m.partial)},` +
    `"not_found":${list(m.notFound)},"mappings":[${mappings.join(',')}]}`
  );
}
