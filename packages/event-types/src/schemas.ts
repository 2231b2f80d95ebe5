/**
 * The zod schemas of the canonical contract (../shared/docs/event-contract.md): the single source of truth.
 * Types are inferred from them. Objects are strict: unknown keys are rejected.
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

/** Unix nanoseconds UTC, exact: bigint in the int64 range. */
export const NanosSchema = z.bigint().min(INT64_MIN).max(INT64_MAX);
/** A finite float (zod 4's z.number() rejects NaN and ±Infinity). */
export const PriceSchema = z.number();
/** A size: safe integer >= 0. */
export const SizeSchema = z.number().int().nonnegative();
/** A safe integer or null (seq, exchange id). */
export const IntOrNullSchema = z.number().int().nullable();
export const ConditionsSchema = z.array(z.number().int()).nullable();
export const SymbolSchema = z.string().min(1);
/** YYYY-MM-DD, a real calendar date. */
export const DateSchema = z.iso.date();

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

export const OptionTradeSchema = z.strictObject({
  ...envelope,
  underlying: SymbolSchema,
  option_symbol: SymbolSchema,
  exp_date: DateSchema,
  strike: PriceSchema,
  right: OptionRightSchema,
  price: PriceSchema,
  size: SizeSchema,
  opt_bid: PriceSchema.nullable(),
  opt_ask: PriceSchema.nullable(),
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
  exchange: z.string().nullable(),
  conditions: ConditionsSchema,
  seq: IntOrNullSchema,
});
export type FuturesTrade = z.infer<typeof FuturesTradeSchema>;

/** One book level. An empty side has a null price and size 0 (never DBN's sentinel price). */
export const MBP10LevelSchema = z
  .strictObject({
    bid_px: PriceSchema.nullable(),
    bid_sz: SizeSchema,
    ask_px: PriceSchema.nullable(),
    ask_sz: SizeSchema,
  })
  .superRefine((l, ctx) => {
    if (l.bid_px === null && l.bid_sz !== 0) ctx.addIssue({ code: 'custom', path: ['bid_sz'], message: 'an empty bid side (bid_px null) must have bid_sz 0' });
    if (l.ask_px === null && l.ask_sz !== 0) ctx.addIssue({ code: 'custom', path: ['ask_sz'], message: 'an empty ask side (ask_px null) must have ask_sz 0' });
  });
export type MBP10Level = z.infer<typeof MBP10LevelSchema>;

export const MBP10_DEPTH = 10;

export const MBP10Schema = z.strictObject({
  ...envelope,
  symbol: SymbolSchema,
  levels: z.array(MBP10LevelSchema).length(MBP10_DEPTH),
  is_snapshot: z.boolean(),
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
  underlying: SymbolSchema,
  option_symbol: SymbolSchema,
  exp_date: DateSchema,
  strike: PriceSchema,
  right: OptionRightSchema,
  underlying_px: PriceSchema.nullable(),
  iv: PriceSchema.nullable(),
  delta: PriceSchema.nullable(),
  gamma: PriceSchema.nullable(),
  theta: PriceSchema.nullable(),
  vega: PriceSchema.nullable(),
  rho: PriceSchema.nullable(),
  seq: IntOrNullSchema,
});
export type GreeksSnapshot = z.infer<typeof GreeksSnapshotSchema>;

export type MarketEvent = StockTrade | StockQuote | OptionTrade | FuturesTrade | MBP10 | GreeksSnapshot;
