/**
 * Byte layouts of every DBN record type and version (docs/dbn-format.md §5), and the
 * decoders/encoders compiled from them. Each layout is one table; a decoder and an encoder are
 * generated from it once (new Function), so the hot path is straight-line DataView reads that
 * build one object of a fixed shape per record, with no per-field dispatch.
 */
import { readCString, writeCString } from './metadata.js';
import { DbnEncodeError } from './errors.js';
import type { AnyDbnRecord } from './records.js';

export type FieldType =
  | 'u8'
  | 'i8'
  | 'u16'
  | 'i16'
  | 'u32'
  | 'i32'
  | 'u64'
  | 'i64'
  /** one-byte c_char, as a one-character string */
  | 'c'
  /** `s<N>`: NUL-padded text of N bytes */
  | `s${number}`
  /** levels: N x BidAskPair */
  | 'ba1'
  | 'ba10'
  /** levels: 1 x ConsolidatedBidAskPair */
  | 'cba1';

export type Field = readonly [name: string, type: FieldType, offset: number];

export interface Layout {
  name: string;
  /** body size in bytes (without ts_out) */
  size: number;
  fields: readonly Field[];
}

const MBP_HEAD: Field[] = [
  ['price', 'i64', 16],
  ['size', 'u32', 24],
  ['action', 'c', 28],
  ['side', 'c', 29],
  ['flags', 'u8', 30],
  ['depth', 'u8', 31],
  ['ts_recv', 'u64', 32],
  ['ts_in_delta', 'i32', 40],
  ['sequence', 'u32', 44],
];

export const TRADE: Layout = { name: 'TradeMsg', size: 48, fields: MBP_HEAD };
export const MBP1: Layout = { name: 'Mbp1Msg', size: 80, fields: [...MBP_HEAD, ['levels', 'ba1', 48]] };
export const MBP10: Layout = { name: 'Mbp10Msg', size: 368, fields: [...MBP_HEAD, ['levels', 'ba10', 48]] };
export const BBO: Layout = {
  name: 'BboMsg',
  size: 80,
  fields: [
    ['price', 'i64', 16],
    ['size', 'u32', 24],
    ['side', 'c', 29],
    ['flags', 'u8', 30],
    ['ts_recv', 'u64', 32],
    ['sequence', 'u32', 44],
    ['levels', 'ba1', 48],
  ],
};
export const CMBP1: Layout = {
  name: 'Cmbp1Msg',
  size: 80,
  fields: [
    ['price', 'i64', 16],
    ['size', 'u32', 24],
    ['action', 'c', 28],
    ['side', 'c', 29],
    ['flags', 'u8', 30],
    ['ts_recv', 'u64', 32],
    ['ts_in_delta', 'i32', 40],
    ['levels', 'cba1', 48],
  ],
};
export const CBBO: Layout = {
  name: 'CbboMsg',
  size: 80,
  fields: [
    ['price', 'i64', 16],
    ['size', 'u32', 24],
    ['side', 'c', 29],
    ['flags', 'u8', 30],
    ['ts_recv', 'u64', 32],
    ['levels', 'cba1', 48],
  ],
};
export const MBO: Layout = {
  name: 'MboMsg',
  size: 56,
  fields: [
    ['order_id', 'u64', 16],
    ['price', 'i64', 24],
    ['size', 'u32', 32],
    ['flags', 'u8', 36],
    ['channel_id', 'u8', 37],
    ['action', 'c', 38],
    ['side', 'c', 39],
    ['ts_recv', 'u64', 40],
    ['ts_in_delta', 'i32', 48],
    ['sequence', 'u32', 52],
  ],
};
export const OHLCV: Layout = {
  name: 'OhlcvMsg',
  size: 56,
  fields: [
    ['open', 'i64', 16],
    ['high', 'i64', 24],
    ['low', 'i64', 32],
    ['close', 'i64', 40],
    ['volume', 'u64', 48],
  ],
};
export const STATUS: Layout = {
  name: 'StatusMsg',
  size: 40,
  fields: [
    ['ts_recv', 'u64', 16],
    ['action', 'u16', 24],
    ['reason', 'u16', 26],
    ['trading_event', 'u16', 28],
    ['is_trading', 'c', 30],
    ['is_quoting', 'c', 31],
    ['is_short_sell_restricted', 'c', 32],
  ],
};
export const STAT_V3: Layout = {
  name: 'StatMsg',
  size: 80,
  fields: [
    ['ts_recv', 'u64', 16],
    ['ts_ref', 'u64', 24],
    ['price', 'i64', 32],
    ['quantity', 'i64', 40],
    ['sequence', 'u32', 48],
    ['ts_in_delta', 'i32', 52],
    ['stat_type', 'u16', 56],
    ['channel_id', 'u16', 58],
    ['update_action', 'u8', 60],
    ['stat_flags', 'u8', 61],
  ],
};
export const STAT_V1: Layout = {
  name: 'StatMsgV1',
  size: 64,
  fields: [
    ['ts_recv', 'u64', 16],
    ['ts_ref', 'u64', 24],
    ['price', 'i64', 32],
    ['quantity', 'i32', 40],
    ['sequence', 'u32', 44],
    ['ts_in_delta', 'i32', 48],
    ['stat_type', 'u16', 52],
    ['channel_id', 'u16', 54],
    ['update_action', 'u8', 56],
    ['stat_flags', 'u8', 57],
  ],
};
export const IMBALANCE: Layout = {
  name: 'ImbalanceMsg',
  size: 112,
  fields: [
    ['ts_recv', 'u64', 16],
    ['ref_price', 'i64', 24],
    ['auction_time', 'u64', 32],
    ['cont_book_clr_price', 'i64', 40],
    ['auct_interest_clr_price', 'i64', 48],
    ['ssr_filling_price', 'i64', 56],
    ['ind_match_price', 'i64', 64],
    ['upper_collar', 'i64', 72],
    ['lower_collar', 'i64', 80],
    ['paired_qty', 'u32', 88],
    ['total_imbalance_qty', 'u32', 92],
    ['market_imbalance_qty', 'u32', 96],
    ['unpaired_qty', 'u32', 100],
    ['auction_type', 'c', 104],
    ['side', 'c', 105],
    ['auction_status', 'u8', 106],
    ['freeze_status', 'u8', 107],
    ['num_extensions', 'u8', 108],
    ['unpaired_side', 'c', 109],
    ['significant_imbalance', 'c', 110],
  ],
};
export const SYMBOL_MAPPING_V2: Layout = {
  name: 'SymbolMappingMsg',
  size: 176,
  fields: [
    ['stype_in', 'u8', 16],
    ['stype_in_symbol', 's71', 17],
    ['stype_out', 'u8', 88],
    ['stype_out_symbol', 's71', 89],
    ['start_ts', 'u64', 160],
    ['end_ts', 'u64', 168],
  ],
};
export const SYMBOL_MAPPING_V1: Layout = {
  name: 'SymbolMappingMsgV1',
  size: 80,
  fields: [
    ['stype_in_symbol', 's22', 16],
    ['stype_out_symbol', 's22', 38],
    ['start_ts', 'u64', 64],
    ['end_ts', 'u64', 72],
  ],
};
export const ERROR_V2: Layout = {
  name: 'ErrorMsg',
  size: 320,
  fields: [
    ['err', 's302', 16],
    ['code', 'u8', 318],
    ['is_last', 'u8', 319],
  ],
};
export const ERROR_V1: Layout = { name: 'ErrorMsgV1', size: 80, fields: [['err', 's64', 16]] };
export const SYSTEM_V2: Layout = {
  name: 'SystemMsg',
  size: 320,
  fields: [
    ['msg', 's303', 16],
    ['code', 'u8', 319],
  ],
};
export const SYSTEM_V1: Layout = { name: 'SystemMsgV1', size: 80, fields: [['msg', 's64', 16]] };

export const DEFINITION_V3: Layout = {
  name: 'InstrumentDefMsg',
  size: 520,
  fields: [
    ['ts_recv', 'u64', 16],
    ['min_price_increment', 'i64', 24],
    ['display_factor', 'i64', 32],
    ['expiration', 'u64', 40],
    ['activation', 'u64', 48],
    ['high_limit_price', 'i64', 56],
    ['low_limit_price', 'i64', 64],
    ['max_price_variation', 'i64', 72],
    ['unit_of_measure_qty', 'i64', 80],
    ['min_price_increment_amount', 'i64', 88],
    ['price_ratio', 'i64', 96],
    ['strike_price', 'i64', 104],
    ['raw_instrument_id', 'u64', 112],
    ['leg_price', 'i64', 120],
    ['leg_delta', 'i64', 128],
    ['inst_attrib_value', 'i32', 136],
    ['underlying_id', 'u32', 140],
    ['market_depth_implied', 'i32', 144],
    ['market_depth', 'i32', 148],
    ['market_segment_id', 'u32', 152],
    ['max_trade_vol', 'u32', 156],
    ['min_lot_size', 'i32', 160],
    ['min_lot_size_block', 'i32', 164],
    ['min_lot_size_round_lot', 'i32', 168],
    ['min_trade_vol', 'u32', 172],
    ['contract_multiplier', 'i32', 176],
    ['decay_quantity', 'i32', 180],
    ['original_contract_size', 'i32', 184],
    ['leg_instrument_id', 'u32', 188],
    ['leg_ratio_price_numerator', 'i32', 192],
    ['leg_ratio_price_denominator', 'i32', 196],
    ['leg_ratio_qty_numerator', 'i32', 200],
    ['leg_ratio_qty_denominator', 'i32', 204],
    ['leg_underlying_id', 'u32', 208],
    ['appl_id', 'i16', 212],
    ['maturity_year', 'u16', 214],
    ['decay_start_date', 'u16', 216],
    ['channel_id', 'u16', 218],
    ['leg_count', 'u16', 220],
    ['leg_index', 'u16', 222],
    ['currency', 's4', 224],
    ['settl_currency', 's4', 228],
    ['secsubtype', 's6', 232],
    ['raw_symbol', 's71', 238],
    ['group', 's21', 309],
    ['exchange', 's5', 330],
    ['asset', 's11', 335],
    ['cfi', 's7', 346],
    ['security_type', 's7', 353],
    ['unit_of_measure', 's31', 360],
    ['underlying', 's21', 391],
    ['strike_price_currency', 's4', 412],
    ['leg_raw_symbol', 's71', 416],
    ['instrument_class', 'c', 487],
    ['match_algorithm', 'c', 488],
    ['main_fraction', 'u8', 489],
    ['price_display_format', 'u8', 490],
    ['sub_fraction', 'u8', 491],
    ['underlying_product', 'u8', 492],
    ['security_update_action', 'c', 493],
    ['maturity_month', 'u8', 494],
    ['maturity_day', 'u8', 495],
    ['maturity_week', 'u8', 496],
    ['user_defined_instrument', 'c', 497],
    ['contract_multiplier_unit', 'i8', 498],
    ['flow_schedule_type', 'i8', 499],
    ['tick_rule', 'u8', 500],
    ['leg_instrument_class', 'c', 501],
    ['leg_side', 'c', 502],
  ],
};

export const DEFINITION_V2: Layout = {
  name: 'InstrumentDefMsgV2',
  size: 400,
  fields: [
    ['ts_recv', 'u64', 16],
    ['min_price_increment', 'i64', 24],
    ['display_factor', 'i64', 32],
    ['expiration', 'u64', 40],
    ['activation', 'u64', 48],
    ['high_limit_price', 'i64', 56],
    ['low_limit_price', 'i64', 64],
    ['max_price_variation', 'i64', 72],
    ['trading_reference_price', 'i64', 80],
    ['unit_of_measure_qty', 'i64', 88],
    ['min_price_increment_amount', 'i64', 96],
    ['price_ratio', 'i64', 104],
    ['strike_price', 'i64', 112],
    ['inst_attrib_value', 'i32', 120],
    ['underlying_id', 'u32', 124],
    ['raw_instrument_id', 'u32', 128],
    ['market_depth_implied', 'i32', 132],
    ['market_depth', 'i32', 136],
    ['market_segment_id', 'u32', 140],
    ['max_trade_vol', 'u32', 144],
    ['min_lot_size', 'i32', 148],
    ['min_lot_size_block', 'i32', 152],
    ['min_lot_size_round_lot', 'i32', 156],
    ['min_trade_vol', 'u32', 160],
    ['contract_multiplier', 'i32', 164],
    ['decay_quantity', 'i32', 168],
    ['original_contract_size', 'i32', 172],
    ['trading_reference_date', 'u16', 176],
    ['appl_id', 'i16', 178],
    ['maturity_year', 'u16', 180],
    ['decay_start_date', 'u16', 182],
    ['channel_id', 'u16', 184],
    ['currency', 's4', 186],
    ['settl_currency', 's4', 190],
    ['secsubtype', 's6', 194],
    ['raw_symbol', 's71', 200],
    ['group', 's21', 271],
    ['exchange', 's5', 292],
    ['asset', 's7', 297],
    ['cfi', 's7', 304],
    ['security_type', 's7', 311],
    ['unit_of_measure', 's31', 318],
    ['underlying', 's21', 349],
    ['strike_price_currency', 's4', 370],
    ['instrument_class', 'c', 374],
    ['match_algorithm', 'c', 375],
    ['md_security_trading_status', 'u8', 376],
    ['main_fraction', 'u8', 377],
    ['price_display_format', 'u8', 378],
    ['settl_price_type', 'u8', 379],
    ['sub_fraction', 'u8', 380],
    ['underlying_product', 'u8', 381],
    ['security_update_action', 'c', 382],
    ['maturity_month', 'u8', 383],
    ['maturity_day', 'u8', 384],
    ['maturity_week', 'u8', 385],
    ['user_defined_instrument', 'c', 386],
    ['contract_multiplier_unit', 'i8', 387],
    ['flow_schedule_type', 'i8', 388],
    ['tick_rule', 'u8', 389],
  ],
};

export const DEFINITION_V1: Layout = {
  name: 'InstrumentDefMsgV1',
  size: 360,
  fields: [
    ['ts_recv', 'u64', 16],
    ['min_price_increment', 'i64', 24],
    ['display_factor', 'i64', 32],
    ['expiration', 'u64', 40],
    ['activation', 'u64', 48],
    ['high_limit_price', 'i64', 56],
    ['low_limit_price', 'i64', 64],
    ['max_price_variation', 'i64', 72],
    ['trading_reference_price', 'i64', 80],
    ['unit_of_measure_qty', 'i64', 88],
    ['min_price_increment_amount', 'i64', 96],
    ['price_ratio', 'i64', 104],
    ['strike_price', 'i64', 328],
    ['inst_attrib_value', 'i32', 112],
    ['underlying_id', 'u32', 116],
    ['raw_instrument_id', 'u32', 120],
    ['market_depth_implied', 'i32', 124],
    ['market_depth', 'i32', 128],
    ['market_segment_id', 'u32', 132],
    ['max_trade_vol', 'u32', 136],
    ['min_lot_size', 'i32', 140],
    ['min_lot_size_block', 'i32', 144],
    ['min_lot_size_round_lot', 'i32', 148],
    ['min_trade_vol', 'u32', 152],
    ['contract_multiplier', 'i32', 160],
    ['decay_quantity', 'i32', 164],
    ['original_contract_size', 'i32', 168],
    ['trading_reference_date', 'u16', 176],
    ['appl_id', 'i16', 178],
    ['maturity_year', 'u16', 180],
    ['decay_start_date', 'u16', 182],
    ['channel_id', 'u16', 184],
    ['currency', 's4', 186],
    ['settl_currency', 's4', 190],
    ['secsubtype', 's6', 194],
    ['raw_symbol', 's22', 200],
    ['group', 's21', 222],
    ['exchange', 's5', 243],
    ['asset', 's7', 248],
    ['cfi', 's7', 255],
    ['security_type', 's7', 262],
    ['unit_of_measure', 's31', 269],
    ['underlying', 's21', 300],
    ['strike_price_currency', 's4', 321],
    ['instrument_class', 'c', 325],
    ['match_algorithm', 'c', 342],
    ['md_security_trading_status', 'u8', 343],
    ['main_fraction', 'u8', 344],
    ['price_display_format', 'u8', 345],
    ['settl_price_type', 'u8', 346],
    ['sub_fraction', 'u8', 347],
    ['underlying_product', 'u8', 348],
    ['security_update_action', 'c', 349],
    ['maturity_month', 'u8', 350],
    ['maturity_day', 'u8', 351],
    ['maturity_week', 'u8', 352],
    ['user_defined_instrument', 'c', 353],
    ['contract_multiplier_unit', 'i8', 354],
    ['flow_schedule_type', 'i8', 355],
    ['tick_rule', 'u8', 356],
  ],
};

const COMMON: Array<[number[], Layout]> = [
  [[0x00], TRADE],
  [[0x01], MBP1],
  [[0x0a], MBP10],
  [[0xc3, 0xc4], BBO],
  [[0xb1, 0xc2], CMBP1],
  [[0xc0, 0xc1], CBBO],
  [[0xa0], MBO],
  [[0x11, 0x20, 0x21, 0x22, 0x23, 0x24], OHLCV],
  [[0x12], STATUS],
  [[0x14], IMBALANCE],
];

/** layouts by DBN version (1..3) and rtype */
export function layoutTable(version: number): Array<Layout | undefined> {
  const t: Array<Layout | undefined> = new Array(256).fill(undefined);
  for (const [rtypes, l] of COMMON) for (const r of rtypes) t[r] = l;
  t[0x13] = version === 1 ? DEFINITION_V1 : version === 2 ? DEFINITION_V2 : DEFINITION_V3;
  t[0x18] = version === 3 ? STAT_V3 : STAT_V1;
  t[0x16] = version === 1 ? SYMBOL_MAPPING_V1 : SYMBOL_MAPPING_V2;
  t[0x15] = version === 1 ? ERROR_V1 : ERROR_V2;
  t[0x17] = version === 1 ? SYSTEM_V1 : SYSTEM_V2;
  return t;
}

// ---------------------------------------------------------------------------------------------
// code generation

/** chars[b] = the one-character string of byte b (no allocation per record) */
const CHARS: string[] = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i));

export type RecordDecoder = (dv: DataView, u8: Uint8Array, o: number, size: number) => AnyDbnRecord;
export type RecordEncoder = (rec: AnyDbnRecord, dv: DataView, u8: Uint8Array, o: number) => void;

const LE = 'true';

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? `an array of ${v.length}` : 'an object';
}

function readExpr(t: FieldType, off: string): string {
  switch (t) {
    case 'u8':
      return `u8[${off}]`;
    case 'i8':
      return `dv.getInt8(${off})`;
    case 'u16':
      return `dv.getUint16(${off}, ${LE})`;
    case 'i16':
      return `dv.getInt16(${off}, ${LE})`;
    case 'u32':
      return `dv.getUint32(${off}, ${LE})`;
    case 'i32':
      return `dv.getInt32(${off}, ${LE})`;
    case 'u64':
      return `dv.getBigUint64(${off}, ${LE})`;
    case 'i64':
      return `dv.getBigInt64(${off}, ${LE})`;
    case 'c':
      return `CH[u8[${off}]]`;
    case 'ba1':
    case 'ba10':
    case 'cba1': {
      const n = t === 'ba10' ? 10 : 1;
      const cons = t === 'cba1';
      const items: string[] = [];
      for (let i = 0; i < n; i++) {
        const b = `${off} + ${i * 32}`;
        items.push(
          `{ bid_px: dv.getBigInt64(${b}, ${LE}), ask_px: dv.getBigInt64(${b} + 8, ${LE}), ` +
            `bid_sz: dv.getUint32(${b} + 16, ${LE}), ask_sz: dv.getUint32(${b} + 20, ${LE}), ` +
            (cons
              ? `bid_pb: dv.getUint16(${b} + 24, ${LE}), ask_pb: dv.getUint16(${b} + 28, ${LE}) }`
              : `bid_ct: dv.getUint32(${b} + 24, ${LE}), ask_ct: dv.getUint32(${b} + 28, ${LE}) }`),
        );
      }
      return `[${items.join(', ')}]`;
    }
    default: {
      const n = Number(t.slice(1));
      return `readCString(u8, ${off}, ${n})`;
    }
  }
}

/**
 * Compiles a decoder: (dv, u8, o, size) -> record object. `tsOut`: read the trailing u64 at
 * `o + size - 8` into `ts_out`.
 */
export function compileDecoder(layout: Layout, tsOut: boolean): RecordDecoder {
  const props: string[] = [
    `hd: { length: u8[o], rtype: u8[o + 1], publisher_id: dv.getUint16(o + 2, ${LE}), ` +
      `instrument_id: dv.getUint32(o + 4, ${LE}), ts_event: dv.getBigUint64(o + 8, ${LE}) }`,
  ];
  for (const [name, type, off] of layout.fields) props.push(`${name}: ${readExpr(type, `o + ${off}`)}`);
  if (tsOut) props.push(`ts_out: dv.getBigUint64(o + size - 8, ${LE})`);
  props.push('rtype: u8[o + 1]');
  const body = `return function decode${layout.name}(dv, u8, o, size) {\n  return {\n    ${props.join(',\n    ')}\n  };\n};`;
  return new Function('CH', 'readCString', body)(CHARS, readCString) as RecordDecoder;
}

const RANGES: Record<'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64', [lo: string, hi: string]> = {
  u8: ['0', '255'],
  i8: ['-128', '127'],
  u16: ['0', '65535'],
  i16: ['-32768', '32767'],
  u32: ['0', '4294967295'],
  i32: ['-2147483648', '2147483647'],
  u64: ['0n', '18446744073709551615n'],
  i64: ['-9223372036854775808n', '9223372036854775807n'],
};

function writeStmts(name: string, t: FieldType, off: string, src: string): string {
  const bad = `throw fieldError(${JSON.stringify(name)}, ${src})`;
  switch (t) {
    case 'u8':
    case 'i8':
    case 'u16':
    case 'i16':
    case 'u32':
    case 'i32': {
      const [lo, hi] = RANGES[t];
      const set =
        t === 'u8'
          ? `u8[${off}] = v`
          : `dv.set${{ i8: 'Int8', u16: 'Uint16', i16: 'Int16', u32: 'Uint32', i32: 'Int32' }[t]}(${off}, v${t === 'i8' ? '' : `, ${LE}`})`;
      return `v = ${src}; if (typeof v !== 'number' || !(v >= ${lo} && v <= ${hi}) || Math.floor(v) !== v) ${bad}; ${set};`;
    }
    case 'u64':
    case 'i64': {
      const [lo, hi] = RANGES[t];
      return `v = ${src}; if (typeof v !== 'bigint' || v < ${lo} || v > ${hi}) ${bad}; dv.set${t === 'u64' ? 'BigUint64' : 'BigInt64'}(${off}, v, ${LE});`;
    }
    case 'c':
      return `v = ${src}; if (typeof v !== 'string' || v.length > 1 || (v.length === 1 && v.charCodeAt(0) > 255)) ${bad}; u8[${off}] = v.length === 1 ? v.charCodeAt(0) : 0;`;
    case 'ba1':
    case 'ba10':
    case 'cba1': {
      const n = t === 'ba10' ? 10 : 1;
      const cons = t === 'cba1';
      const lines = [`lv = ${src}; if (!Array.isArray(lv) || lv.length !== ${n}) ${bad};`];
      for (let i = 0; i < n; i++) {
        const b = `${off} + ${i * 32}`;
        lines.push(`l = lv[${i}]; if (l === null || typeof l !== 'object') ${bad};`);
        lines.push(writeStmts(`${name}[${i}].bid_px`, 'i64', b, 'l.bid_px'));
        lines.push(writeStmts(`${name}[${i}].ask_px`, 'i64', `${b} + 8`, 'l.ask_px'));
        lines.push(writeStmts(`${name}[${i}].bid_sz`, 'u32', `${b} + 16`, 'l.bid_sz'));
        lines.push(writeStmts(`${name}[${i}].ask_sz`, 'u32', `${b} + 20`, 'l.ask_sz'));
        if (cons) {
          lines.push(writeStmts(`${name}[${i}].bid_pb`, 'u16', `${b} + 24`, 'l.bid_pb'));
          lines.push(`dv.setUint16(${b} + 26, 0, ${LE});`);
          lines.push(writeStmts(`${name}[${i}].ask_pb`, 'u16', `${b} + 28`, 'l.ask_pb'));
          lines.push(`dv.setUint16(${b} + 30, 0, ${LE});`);
        } else {
          lines.push(writeStmts(`${name}[${i}].bid_ct`, 'u32', `${b} + 24`, 'l.bid_ct'));
          lines.push(writeStmts(`${name}[${i}].ask_ct`, 'u32', `${b} + 28`, 'l.ask_ct'));
        }
      }
      return lines.join('\n  ');
    }
    default: {
      const n = Number(t.slice(1));
      return `v = ${src}; if (typeof v !== 'string') ${bad}; writeCString(u8, ${off}, ${n}, v, ${JSON.stringify(name)});`;
    }
  }
}

/**
 * Compiles an encoder writing the header (except `length`, set by the caller) and the body of
 * `layout` at `o`. The caller zero-fills the record first (reserved bytes stay zero) and writes
 * `ts_out`. Throws DbnEncodeError naming the field on a missing, mistyped or out-of-range value.
 */
export function compileEncoder(layout: Layout): RecordEncoder {
  const lines: string[] = [
    `var v, lv, l, hd = rec.hd; if (hd === null || typeof hd !== 'object') throw fieldError('hd', hd);`,
    writeStmts('hd.rtype', 'u8', 'o + 1', 'hd.rtype'),
    writeStmts('hd.publisher_id', 'u16', 'o + 2', 'hd.publisher_id'),
    writeStmts('hd.instrument_id', 'u32', 'o + 4', 'hd.instrument_id'),
    writeStmts('hd.ts_event', 'u64', 'o + 8', 'hd.ts_event'),
  ];
  for (const [name, type, off] of layout.fields) lines.push(writeStmts(name, type, `o + ${off}`, `rec.${name}`));
  const body = `return function encode${layout.name}(rec, dv, u8, o) {\n  ${lines.join('\n  ')}\n};`;
  const fieldError = (field: string, value: unknown): DbnEncodeError =>
    new DbnEncodeError(`${layout.name}: field '${field}' is missing or out of range (got ${describe(value)})`, field);
  return new Function('writeCString', 'fieldError', body)(writeCString, fieldError) as RecordEncoder;
}
