/**
 * Sentinels, enumerations and flags of the DBN format (see docs/dbn-format.md §6). The price ones,
 * `UNDEF_PRICE` and `FIXED_PRICE_SCALE`, are defined once in @md/event-types (its fixed-point codec
 * uses them too) and re-exported by index.ts.
 */

/** `u32::MAX`: null order size. */
export const UNDEF_ORDER_SIZE = 4294967295;
/** `i64::MAX`: null StatMsg quantity (DBN v3). */
export const UNDEF_STAT_QUANTITY = 9223372036854775807n;
/** `i32::MAX`: null StatMsg quantity in the DBN v1/v2 layout. */
export const UNDEF_STAT_QUANTITY_V1 = 2147483647;
/** `u64::MAX`: null timestamp (also the metadata's "end not set"). */
export const UNDEF_TIMESTAMP = 18446744073709551615n;
/** Newest DBN version this library reads and writes. */
export const DBN_VERSION = 3;
/** Symbol string length in DBN v1 metadata and records. */
export const SYMBOL_CSTR_LEN_V1 = 22;
/** Symbol string length written by the v2/v3 encoders. */
export const SYMBOL_CSTR_LEN = 71;
/** Largest possible record (length byte 255 x 4). */
export const MAX_RECORD_LEN = 1020;
/** Size of the record header. */
export const RECORD_HEADER_LEN = 16;

/** Metadata `schema` ids -> names (0xFFFF = none/mixed). */
export const SCHEMA_NAMES = [
  'mbo',
  'mbp-1',
  'mbp-10',
  'tbbo',
  'trades',
  'ohlcv-1s',
  'ohlcv-1m',
  'ohlcv-1h',
  'ohlcv-1d',
  'definition',
  'statistics',
  'status',
  'imbalance',
  'ohlcv-eod',
  'cmbp-1',
  'cbbo-1s',
  'cbbo-1m',
  'tcbbo',
  'bbo-1s',
  'bbo-1m',
] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

/** Metadata / SymbolMappingMsg `stype` ids -> names (0xFF = none/mixed). */
export const STYPE_NAMES = [
  'instrument_id',
  'raw_symbol',
  'smart',
  'continuous',
  'parent',
  'nasdaq_symbol',
  'cms_symbol',
  'isin',
  'us_code',
  'bbg_comp_id',
  'bbg_comp_ticker',
  'figi',
  'figi_ticker',
] as const;
export type STypeName = (typeof STYPE_NAMES)[number];

export function schemaName(id: number): SchemaName | null {
  return SCHEMA_NAMES[id] ?? null;
}
export function schemaId(name: SchemaName | string | null): number {
  if (name === null) return 0xffff;
  const i = (SCHEMA_NAMES as readonly string[]).indexOf(name);
  if (i < 0) throw new RangeError(`unknown DBN schema name '${name}'`);
  return i;
}
export function stypeName(id: number): STypeName | null {
  return STYPE_NAMES[id] ?? null;
}
export function stypeId(name: STypeName | string | null): number {
  if (name === null) return 0xff;
  const i = (STYPE_NAMES as readonly string[]).indexOf(name);
  if (i < 0) throw new RangeError(`unknown DBN stype name '${name}'`);
  return i;
}

/** Bits of the `flags` field of Trade/Mbp1/Mbp10/Mbo/Bbo/Cmbp1/Cbbo records. */
export const FLAGS = {
  LAST: 0x80,
  TOB: 0x40,
  SNAPSHOT: 0x20,
  MBP: 0x10,
  BAD_TS_RECV: 0x08,
  MAYBE_BAD_BOOK: 0x04,
  PUBLISHER_SPECIFIC: 0x02,
} as const;

/** `side` characters. */
export const SIDE = { ASK: 'A', BID: 'B', NONE: 'N' } as const;
/** `action` characters. */
export const ACTION = { ADD: 'A', CANCEL: 'C', MODIFY: 'M', CLEAR: 'R', TRADE: 'T', FILL: 'F', NONE: 'N' } as const;

/** zstd frame magic (little-endian u32 of `28 B5 2F FD`). */
export const ZSTD_MAGIC = 0xfd2fb528;
/** zstd skippable frames: 0x184D2A50..0x184D2A5F. */
export const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
export const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;
