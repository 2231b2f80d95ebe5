/**
 * Upgrading DBN v1/v2 records to the v3 layout, like the official decoder's default
 * (docs/dbn-format.md §7). Only the record types whose layout changed need it.
 */
import { UNDEF_PRICE } from '@md/event-types';
import { UNDEF_STAT_QUANTITY, UNDEF_STAT_QUANTITY_V1 } from './constants.js';
import { DEFINITION_V3, ERROR_V2, STAT_V3, SYMBOL_MAPPING_V2, SYSTEM_V2 } from './layouts.js';
import type {
  AnyDbnRecord,
  DbnRecord,
  ErrorMsg,
  ErrorMsgV1,
  InstrumentDefMsg,
  InstrumentDefMsgV2,
  StatMsg,
  StatMsgV1,
  SymbolMappingMsg,
  SymbolMappingMsgV1,
  SystemMsg,
  SystemMsgV1,
} from './records.js';

/** Values of the v3 definition fields that v1/v2 lack (the crate's defaults). */
const DEF_V3_DEFAULTS: Record<string, unknown> = {
  leg_price: UNDEF_PRICE,
  leg_delta: UNDEF_PRICE,
  leg_instrument_id: 0,
  leg_ratio_price_numerator: 0,
  leg_ratio_price_denominator: 0,
  leg_ratio_qty_numerator: 0,
  leg_ratio_qty_denominator: 0,
  leg_underlying_id: 0,
  leg_count: 0,
  leg_index: 0,
  leg_raw_symbol: '',
  leg_instrument_class: '\0',
  leg_side: 'N',
};

function header(old: AnyDbnRecord, bodySize: number) {
  const h = old.hd;
  return {
    length: (bodySize + (old.ts_out !== undefined ? 8 : 0)) / 4,
    rtype: h.rtype,
    publisher_id: h.publisher_id,
    instrument_id: h.instrument_id,
    ts_event: h.ts_event,
  };
}

function finish<T extends AnyDbnRecord>(res: Record<string, unknown>, old: AnyDbnRecord): T {
  if (old.ts_out !== undefined) res.ts_out = old.ts_out;
  res.rtype = old.hd.rtype;
  return res as unknown as T;
}

export function upgradeInstrumentDef(old: InstrumentDefMsgV2): InstrumentDefMsg {
  const src = old as unknown as Record<string, unknown>;
  const res: Record<string, unknown> = { hd: header(old, DEFINITION_V3.size) };
  for (const [name] of DEFINITION_V3.fields) {
    if (name === 'raw_instrument_id') res[name] = BigInt(old.raw_instrument_id);
    else if (name in DEF_V3_DEFAULTS) res[name] = DEF_V3_DEFAULTS[name];
    else res[name] = src[name];
  }
  return finish(res, old);
}

export function upgradeStat(old: StatMsgV1): StatMsg {
  const src = old as unknown as Record<string, unknown>;
  const res: Record<string, unknown> = { hd: header(old, STAT_V3.size) };
  for (const [name] of STAT_V3.fields) {
    if (name === 'quantity') {
      res[name] = old.quantity === UNDEF_STAT_QUANTITY_V1 ? UNDEF_STAT_QUANTITY : BigInt(old.quantity);
    } else res[name] = src[name];
  }
  return finish(res, old);
}

export function upgradeSymbolMapping(old: SymbolMappingMsgV1): SymbolMappingMsg {
  return finish(
    {
      hd: header(old, SYMBOL_MAPPING_V2.size),
      stype_in: 0xff,
      stype_in_symbol: old.stype_in_symbol,
      stype_out: 0xff,
      stype_out_symbol: old.stype_out_symbol,
      start_ts: old.start_ts,
      end_ts: old.end_ts,
    },
    old,
  );
}

export function upgradeError(old: ErrorMsgV1): ErrorMsg {
  return finish({ hd: header(old, ERROR_V2.size), err: old.err, code: 0xff, is_last: 0xff }, old);
}

export function upgradeSystem(old: SystemMsgV1): SystemMsg {
  // v1 had no code; a heartbeat is recognisable by its text, anything else is "unset"
  const code = old.msg === 'Heartbeat' ? 0 : 0xff;
  return finish({ hd: header(old, SYSTEM_V2.size), msg: old.msg, code }, old);
}

/** Upgrader for a record decoded with the `version` layout, or undefined if the layout is unchanged. */
export function upgraderFor(version: number, rtype: number): ((r: AnyDbnRecord) => DbnRecord) | undefined {
  if (version >= 3) return undefined;
  switch (rtype) {
    case 0x13:
      return (r) => upgradeInstrumentDef(r as InstrumentDefMsgV2);
    case 0x18:
      return (r) => upgradeStat(r as StatMsgV1);
  }
  if (version >= 2) return undefined;
  switch (rtype) {
    case 0x16:
      return (r) => upgradeSymbolMapping(r as SymbolMappingMsgV1);
    case 0x15:
      return (r) => upgradeError(r as ErrorMsgV1);
    case 0x17:
      return (r) => upgradeSystem(r as SystemMsgV1);
  }
  return undefined;
}

/**
 * Brings any record (v3 or legacy shape) to the v3 layout, recognising the legacy shapes by
 * their fields (used by the encoder). v3 records are returned unchanged.
 */
export function toV3Record(r: AnyDbnRecord): DbnRecord {
  switch (r.hd.rtype) {
    case 0x13:
      return 'trading_reference_price' in r ? upgradeInstrumentDef(r as InstrumentDefMsgV2) : (r as InstrumentDefMsg);
    case 0x18:
      return typeof (r as StatMsg).quantity === 'number' ? upgradeStat(r as StatMsgV1) : (r as StatMsg);
    case 0x16:
      return 'stype_in' in r ? (r as SymbolMappingMsg) : upgradeSymbolMapping(r as SymbolMappingMsgV1);
    case 0x15:
      return 'code' in r ? (r as ErrorMsg) : upgradeError(r as ErrorMsgV1);
    case 0x17:
      return 'code' in r ? (r as SystemMsg) : upgradeSystem(r as SystemMsgV1);
    default:
      return r as DbnRecord;
  }
}
