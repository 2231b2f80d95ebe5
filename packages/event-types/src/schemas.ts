/**
 * The zod schemas of the canonical contract (docs/event-contract.md): the single source of truth. Types are
 * inferred from them, and each object schema is also its codec's field table: the codec (kinds.ts, codegen.ts)
 * reads the fields in order from the schema's shape and knows how to check, write and read a field by which of
 * the field schemas below it is (the same instance). Objects are strict: unknown keys are rejected.
 */
import { z } from 'zod';

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Wire values of `source`. */
export const EVENT_SOURCES = ['massive_ws', 'massive_rest', 'polygon_ws', 'polygon_rest', 'replay', 'sim', 'direct_feed'] as const;
export const EventSourceSchema = z.enum(EVENT_SOURCES);
export type EventSource = z.infer<typeof EventSourceSchema>;

/** `aggressor`: 1 buyer lifted the ask, -1 seller hit the bid, 0 unknown or mid. */
export const AggressorSchema = z.union([z.literal(1), z.literal(-1), z.literal(0)]);
export type Aggressor = 1 | -1 | 0;
export const AGGRESSOR = Object.freeze({ BUY: 1, SELL: -1, UNKNOWN: 0 } as const);

export const OptionRightSchema = z.enum(['C', 'P']);
export type OptionRight = z.infer<typeof OptionRightSchema>;

// The field schemas: every field of the event schemas is one of these instances (kinds.ts maps each to its codec).
/** Unix nanoseconds UTC, exact: bigint in the int64 range. */
export const NanosSchema = z.bigint().min(INT64_MIN).max(INT64_MAX);
/** A finite float (zod 4's z.number() rejects NaN and ±Infinity). */
export const PriceSchema = z.number();
export const PriceOrNullSchema = PriceSchema.nullable();
/** A size: safe integer >= 0. */
export const SizeSchema = z.number().int().nonnegative();
/** A safe integer or null (seq, exchange id). */
export const IntOrNullSchema = z.number().int().nullable();
export const ConditionsSchema = z.array(z.number().int()).nullable();
export const SymbolSchema = z.string().min(1);
/** Any string, empty included, or null (FuturesTrade's exchange). */
export const StringOrNullSchema = z.string().nullable();
/** YYYY-MM-DD, a real calendar date. */
export const DateSchema = z.iso.date();
export const BooleanSchema = z.boolean();

/**
 * The one cross-field rule of the contract: an empty side of a book level has a null price and size 0 (never
 * DBN's sentinel price). The zod schema, the codec and the JSON Schema all apply it from this list.
 */
export const EMPTY_SIDES = [
  { side: 'bid', px: 'bid_px', sz: 'bid_sz' },
  { side: 'ask', px: 'ask_px', sz: 'ask_sz' },
] as const;
export type EmptySide = (typeof EMPTY_SIDES)[number];

/** One book level. An empty side has a null price and size 0. */
export const MBP10LevelSchema = z
  .strictObject({
    bid_px: PriceOrNullSchema,
    bid_sz: SizeSchema,
    ask_px: PriceOrNullSchema,
    ask_sz: SizeSchema,
  })
  .superRefine((l, ctx) => {
    for (const { side, px, sz } of EMPTY_SIDES) {
      if (l[px] === null && l[sz] !== 0)
        ctx.addIssue({ code: 'custom', path: [sz], message: `an empty ${side} side (${px} null) must have ${sz} 0` });
    }
  });
export type MBP10Level = z.infer<typeof MBP10LevelSchema>;

export const MBP10_DEPTH = 10;
/** exactly MBP10_DEPTH levels, best first */
export const LevelsSchema = z.array(MBP10LevelSchema).length(MBP10_DEPTH);

const envelope = {
  ts_event_ns: NanosSchema,
  ts_recv_ns: NanosSchema,
  source: EventSourceSchema,
};

export const StockTradeSchema = z.strictObject({
  ...envelope,
  symbol: SymbolSchema,
  price: PriceSchema,
  size: SizeSchema,
  exchange: IntOrNullSchema,
  conditions: ConditionsSchema,
  seq: IntOrNullSchema,
});
export type StockTrade = z.infer<typeof StockTradeSchema>;

export const StockQuoteSchema = z.strictObject({
  ...envelope,
  symbol: SymbolSchema,
  bid_px: PriceSchema,
  ask_px: PriceSchema,
  bid_sz: SizeSchema,
  ask_sz: SizeSchema,
  bid_exch: IntOrNullSchema,
  ask_exch: IntOrNullSchema,
  seq: IntOrNullSchema,
});
export type StockQuote = z.infer<typeof StockQuoteSchema>;

/** an option's identity, as in OptionTrade and GreeksSnapshot */
const option = {
  underlying: SymbolSchema,
  option_symbol: SymbolSchema,
  exp_date: DateSchema,
  strike: PriceSchema,
  right: OptionRightSchema,
};

export const OptionTradeSchema = z.strictObject({
  ...envelope,
  ...option,
  price: PriceSchema,
  size: SizeSchema,
  opt_bid: PriceOrNullSchema,
  opt_ask: PriceOrNullSchema,
  aggressor: AggressorSchema,
  conditions: ConditionsSchema,
  seq: IntOrNullSchema,
});
export type OptionTrade = z.infer<typeof OptionTradeSchema>;

export const FuturesTradeSchema = z.strictObject({
  ...envelope,
  symbol: SymbolSchema,
  price: PriceSchema,
  size: SizeSchema,
  aggressor: AggressorSchema,
  exchange: StringOrNullSchema,
  conditions: ConditionsSchema,
  seq: IntOrNullSchema,
});
export type FuturesTrade = z.infer<typeof FuturesTradeSchema>;

export const MBP10Schema = z.strictObject({
  ...envelope,
  symbol: SymbolSchema,
  levels: LevelsSchema,
  is_snapshot: BooleanSchema,
  seq: IntOrNullSchema,
});
export type MBP10 = z.infer<typeof MBP10Schema>;

/**
 * GreeksSnapshot: an EXTENSION, not in the contract's table (subject `market.options.greeks`, schema id
 * `options.greeks.v1`). Envelope, the option's identity as in OptionTrade, then the underlying's price and the
 * greeks, each a float or null when the vendor did not send it.
 */
export const GreeksSnapshotSchema = z.strictObject({
  ...envelope,
  ...option,
  underlying_px: PriceOrNullSchema,
  iv: PriceOrNullSchema,
  delta: PriceOrNullSchema,
  gamma: PriceOrNullSchema,
  theta: PriceOrNullSchema,
  vega: PriceOrNullSchema,
  rho: PriceOrNullSchema,
  seq: IntOrNullSchema,
});
export type GreeksSnapshot = z.infer<typeof GreeksSnapshotSchema>;
