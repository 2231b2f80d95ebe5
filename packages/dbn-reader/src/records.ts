/**
 * DBN record types, field for field as in Databento's `dbn` crate (0.54, DBN version 3).
 *
 * Conventions:
 * - u64 / i64 fields (timestamps, prices, order ids, volumes) are `bigint`; never a JS number.
 *   Prices are raw fixed-point integers with scale 1e-9 (`UNDEF_PRICE` = null).
 * - every other integer is a `number`.
 * - one-byte `c_char` fields (`action`, `side`, `instrument_class`, ...) are a one-character
 *   `string` holding exactly that byte (`String.fromCharCode(byte)`; a NUL byte is `'\0'`).
 * - fixed-size text arrays are `string`s, trailing NULs removed (decoded as UTF-8).
 * - reserved/padding bytes are not exposed (they are written as zeros).
 * - `rtype` at the top level repeats `hd.rtype`: it is the TypeScript discriminant of the
 *   `DbnRecord` union (a nested field cannot narrow a union). It is not a Databento field.
 * - `ts_out` is present only when the file's metadata says `ts_out` (live data).
 */

/** The 16-byte header common to every record. */
export interface RecordHeader {
  /** record size in 4-byte units, header and any `ts_out` included */
  length: number;
  rtype: number;
  publisher_id: number;
  instrument_id: number;
  /** matching-engine event time, UNIX ns (`UNDEF_TIMESTAMP` = null) */
  ts_event: bigint;
}

/** Record type ids (the header's `rtype`). */
export const RType = {
  MBP_0: 0x00,
  MBP_1: 0x01,
  MBP_10: 0x0a,
  OHLCV_DEPRECATED: 0x11,
  STATUS: 0x12,
  INSTRUMENT_DEF: 0x13,
  IMBALANCE: 0x14,
  ERROR: 0x15,
  SYMBOL_MAPPING: 0x16,
  SYSTEM: 0x17,
  STATISTICS: 0x18,
  OHLCV_1S: 0x20,
  OHLCV_1M: 0x21,
  OHLCV_1H: 0x22,
  OHLCV_1D: 0x23,
  OHLCV_EOD: 0x24,
  MBO: 0xa0,
  CMBP_1: 0xb1,
  CBBO_1S: 0xc0,
  CBBO_1M: 0xc1,
  TCBBO: 0xc2,
  BBO_1S: 0xc3,
  BBO_1M: 0xc4,
} as const;
export type RTypeValue = (typeof RType)[keyof typeof RType];

export type OhlcvRType = 0x11 | 0x20 | 0x21 | 0x22 | 0x23 | 0x24;
export type BboRType = 0xc3 | 0xc4;
export type CbboRType = 0xc0 | 0xc1;
export type Cmbp1RType = 0xb1 | 0xc2;

interface RecordBase {
  hd: RecordHeader;
  /** gateway send time, UNIX ns: only in files whose metadata has `ts_out` */
  ts_out?: bigint;
}

/** One book level: 32 bytes. */
export interface BidAskPair {
  bid_px: bigint;
  ask_px: bigint;
  bid_sz: number;
  ask_sz: number;
  bid_ct: number;
  ask_ct: number;
}

/** One consolidated book level (`bid_pb`/`ask_pb` are publisher ids): 32 bytes. */
export interface ConsolidatedBidAskPair {
  bid_px: bigint;
  ask_px: bigint;
  bid_sz: number;
  ask_sz: number;
  bid_pb: number;
  ask_pb: number;
}

/** Trades schema (MBP-0), rtype 0x00, 48 bytes. */
export interface TradeMsg extends RecordBase {
  rtype: 0x00;
  price: bigint;
  size: number;
  action: string;
  side: string;
  flags: number;
  depth: number;
  ts_recv: bigint;
  ts_in_delta: number;
  sequence: number;
}

/** MBP-1 and TBBO, rtype 0x01, 80 bytes. */
export interface Mbp1Msg extends RecordBase {
  rtype: 0x01;
  price: bigint;
  size: number;
  action: string;
  side: string;
  flags: number;
  depth: number;
  ts_recv: bigint;
  ts_in_delta: number;
  sequence: number;
  /** exactly 1 level */
  levels: BidAskPair[];
}
export type TbboMsg = Mbp1Msg;

/** MBP-10, rtype 0x0A, 368 bytes. */
export interface Mbp10Msg extends RecordBase {
  rtype: 0x0a;
  price: bigint;
  size: number;
  action: string;
  side: string;
  flags: number;
  depth: number;
  ts_recv: bigint;
  ts_in_delta: number;
  sequence: number;
  /** exactly 10 levels, level 0 = best bid and offer */
  levels: BidAskPair[];
}

/** BBO-1s / BBO-1m, rtype 0xC3 / 0xC4, 80 bytes. */
export interface BboMsg extends RecordBase {
  rtype: BboRType;
  price: bigint;
  size: number;
  side: string;
  flags: number;
  ts_recv: bigint;
  sequence: number;
  /** exactly 1 level */
  levels: BidAskPair[];
}

/** CMBP-1 and TCBBO, rtype 0xB1 / 0xC2, 80 bytes. */
export interface Cmbp1Msg extends RecordBase {
  rtype: Cmbp1RType;
  price: bigint;
  size: number;
  action: string;
  side: string;
  flags: number;
  ts_recv: bigint;
  ts_in_delta: number;
  /** exactly 1 level */
  levels: ConsolidatedBidAskPair[];
}
export type TcbboMsg = Cmbp1Msg;

/** CBBO-1s / CBBO-1m, rtype 0xC0 / 0xC1, 80 bytes. */
export interface CbboMsg extends RecordBase {
  rtype: CbboRType;
  price: bigint;
  size: number;
  side: string;
  flags: number;
  ts_recv: bigint;
  /** exactly 1 level */
  levels: ConsolidatedBidAskPair[];
}

/** MBO, rtype 0xA0, 56 bytes. */
export interface MboMsg extends RecordBase {
  rtype: 0xa0;
  order_id: bigint;
  price: bigint;
  size: number;
  flags: number;
  channel_id: number;
  action: string;
  side: string;
  ts_recv: bigint;
  ts_in_delta: number;
  sequence: number;
}

/** OHLCV bars, rtypes 0x20-0x24 (and deprecated 0x11), 56 bytes. */
export interface OhlcvMsg extends RecordBase {
  rtype: OhlcvRType;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
  volume: bigint;
}

/** Trading status, rtype 0x12, 40 bytes. */
export interface StatusMsg extends RecordBase {
  rtype: 0x12;
  ts_recv: bigint;
  action: number;
  reason: number;
  trading_event: number;
  is_trading: string;
  is_quoting: string;
  is_short_sell_restricted: string;
}

/** Statistics, rtype 0x18, DBN v3 layout (80 bytes): `quantity` is i64. */
export interface StatMsg extends RecordBase {
  rtype: 0x18;
  ts_recv: bigint;
  ts_ref: bigint;
  price: bigint;
  quantity: bigint;
  sequence: number;
  ts_in_delta: number;
  stat_type: number;
  channel_id: number;
  update_action: number;
  stat_flags: number;
}

/** Statistics, DBN v1/v2 layout (64 bytes): `quantity` is i32. Only seen with upgradePolicy 'as-is'. */
export interface StatMsgV1 extends RecordBase {
  rtype: 0x18;
  ts_recv: bigint;
  ts_ref: bigint;
  price: bigint;
  quantity: number;
  sequence: number;
  ts_in_delta: number;
  stat_type: number;
  channel_id: number;
  update_action: number;
  stat_flags: number;
}
export type StatMsgV2 = StatMsgV1;

/** Instrument definition, rtype 0x13, DBN v3 layout (520 bytes). */
export interface InstrumentDefMsg extends RecordBase {
  rtype: 0x13;
  ts_recv: bigint;
  min_price_increment: bigint;
  display_factor: bigint;
  expiration: bigint;
  activation: bigint;
  high_limit_price: bigint;
  low_limit_price: bigint;
  max_price_variation: bigint;
  unit_of_measure_qty: bigint;
  min_price_increment_amount: bigint;
  price_ratio: bigint;
  strike_price: bigint;
  raw_instrument_id: bigint;
  leg_price: bigint;
  leg_delta: bigint;
  inst_attrib_value: number;
  underlying_id: number;
  market_depth_implied: number;
  market_depth: number;
  market_segment_id: number;
  max_trade_vol: number;
  min_lot_size: number;
  min_lot_size_block: number;
  min_lot_size_round_lot: number;
  min_trade_vol: number;
  contract_multiplier: number;
  decay_quantity: number;
  original_contract_size: number;
  leg_instrument_id: number;
  leg_ratio_price_numerator: number;
  leg_ratio_price_denominator: number;
  leg_ratio_qty_numerator: number;
  leg_ratio_qty_denominator: number;
  leg_underlying_id: number;
  appl_id: number;
  maturity_year: number;
  decay_start_date: number;
  channel_id: number;
  leg_count: number;
  leg_index: number;
  currency: string;
  settl_currency: string;
  secsubtype: string;
  raw_symbol: string;
  group: string;
  exchange: string;
  asset: string;
  cfi: string;
  security_type: string;
  unit_of_measure: string;
  underlying: string;
  strike_price_currency: string;
  leg_raw_symbol: string;
  instrument_class: string;
  match_algorithm: string;
  main_fraction: number;
  price_display_format: number;
  sub_fraction: number;
  underlying_product: number;
  security_update_action: string;
  maturity_month: number;
  maturity_day: number;
  maturity_week: number;
  user_defined_instrument: string;
  contract_multiplier_unit: number;
  flow_schedule_type: number;
  tick_rule: number;
  leg_instrument_class: string;
  leg_side: string;
}

/**
 * Instrument definition in the DBN v1 (360 bytes) and v2 (400 bytes) layouts: the same fields
 * (v1 has a 22-byte `raw_symbol`). Only seen with upgradePolicy 'as-is'.
 */
export interface InstrumentDefMsgV2 extends RecordBase {
  rtype: 0x13;
  ts_recv: bigint;
  min_price_increment: bigint;
  display_factor: bigint;
  expiration: bigint;
  activation: bigint;
  high_limit_price: bigint;
  low_limit_price: bigint;
  max_price_variation: bigint;
  trading_reference_price: bigint;
  unit_of_measure_qty: bigint;
  min_price_increment_amount: bigint;
  price_ratio: bigint;
  strike_price: bigint;
  inst_attrib_value: number;
  underlying_id: number;
  raw_instrument_id: number;
  market_depth_implied: number;
  market_depth: number;
  market_segment_id: number;
  max_trade_vol: number;
  min_lot_size: number;
  min_lot_size_block: number;
  min_lot_size_round_lot: number;
  min_trade_vol: number;
  contract_multiplier: number;
  decay_quantity: number;
  original_contract_size: number;
  trading_reference_date: number;
  appl_id: number;
  maturity_year: number;
  decay_start_date: number;
  channel_id: number;
  currency: string;
  settl_currency: string;
  secsubtype: string;
  raw_symbol: string;
  group: string;
  exchange: string;
  asset: string;
  cfi: string;
  security_type: string;
  unit_of_measure: string;
  underlying: string;
  strike_price_currency: string;
  instrument_class: string;
  match_algorithm: string;
  md_security_trading_status: number;
  main_fraction: number;
  price_display_format: number;
  settl_price_type: number;
  sub_fraction: number;
  underlying_product: number;
  security_update_action: string;
  maturity_month: number;
  maturity_day: number;
  maturity_week: number;
  user_defined_instrument: string;
  contract_multiplier_unit: number;
  flow_schedule_type: number;
  tick_rule: number;
}
export type InstrumentDefMsgV1 = InstrumentDefMsgV2;

/** Auction imbalance, rtype 0x14, 112 bytes. */
export interface ImbalanceMsg extends RecordBase {
  rtype: 0x14;
  ts_recv: bigint;
  ref_price: bigint;
  auction_time: bigint;
  cont_book_clr_price: bigint;
  auct_interest_clr_price: bigint;
  ssr_filling_price: bigint;
  ind_match_price: bigint;
  upper_collar: bigint;
  lower_collar: bigint;
  paired_qty: number;
  total_imbalance_qty: number;
  market_imbalance_qty: number;
  unpaired_qty: number;
  auction_type: string;
  side: string;
  auction_status: number;
  freeze_status: number;
  num_extensions: number;
  unpaired_side: string;
  significant_imbalance: string;
}

/** Symbol mapping (live), rtype 0x16, DBN v2/v3 layout (176 bytes). */
export interface SymbolMappingMsg extends RecordBase {
  rtype: 0x16;
  stype_in: number;
  stype_in_symbol: string;
  stype_out: number;
  stype_out_symbol: string;
  start_ts: bigint;
  end_ts: bigint;
}

/** Symbol mapping, DBN v1 layout (80 bytes, no stype bytes). Only seen with upgradePolicy 'as-is'. */
export interface SymbolMappingMsgV1 extends RecordBase {
  rtype: 0x16;
  stype_in_symbol: string;
  stype_out_symbol: string;
  start_ts: bigint;
  end_ts: bigint;
}

/** Gateway error, rtype 0x15, DBN v2/v3 layout (320 bytes). */
export interface ErrorMsg extends RecordBase {
  rtype: 0x15;
  err: string;
  code: number;
  is_last: number;
}

/** Gateway error, DBN v1 layout (80 bytes). Only seen with upgradePolicy 'as-is'. */
export interface ErrorMsgV1 extends RecordBase {
  rtype: 0x15;
  err: string;
}

/** Gateway system message / heartbeat, rtype 0x17, DBN v2/v3 layout (320 bytes). */
export interface SystemMsg extends RecordBase {
  rtype: 0x17;
  msg: string;
  code: number;
}

/** Gateway system message, DBN v1 layout (80 bytes). Only seen with upgradePolicy 'as-is'. */
export interface SystemMsgV1 extends RecordBase {
  rtype: 0x17;
  msg: string;
}

/** Every record in the DBN v3 layout (what the decoder yields with the default 'upgrade' policy). */
export type DbnRecord =
  | TradeMsg
  | Mbp1Msg
  | Mbp10Msg
  | BboMsg
  | Cmbp1Msg
  | CbboMsg
  | MboMsg
  | OhlcvMsg
  | StatusMsg
  | StatMsg
  | InstrumentDefMsg
  | ImbalanceMsg
  | SymbolMappingMsg
  | ErrorMsg
  | SystemMsg;

/** Records in the DBN v1/v2 layouts of the types whose layout changed. */
export type LegacyDbnRecord = StatMsgV1 | InstrumentDefMsgV2 | SymbolMappingMsgV1 | ErrorMsgV1 | SystemMsgV1;

/** What the decoder yields with upgradePolicy 'as-is' (and what the encoder accepts). */
export type AnyDbnRecord = DbnRecord | LegacyDbnRecord;
