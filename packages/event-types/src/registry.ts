/** The subject registry: ONE table, subject <-> schema id <-> schema <-> codec, used by publishers and consumers. */
import type { z } from 'zod';
import { EncodeError, UnknownSubjectError } from './errors.js';
import {
  encodeFuturesTrade,
  encodeGreeksSnapshot,
  encodeMBP10,
  encodeOptionTrade,
  encodeStockQuote,
  encodeStockTrade,
} from './encode.js';
import { decodeWith, desc, FAST, K } from './decode.js';
import { bytesFuturesTrade, bytesGreeksSnapshot, bytesMBP10, bytesOptionTrade, bytesStockQuote, bytesStockTrade } from './bytes.js';
import {
  FuturesTradeSchema,
  GreeksSnapshotSchema,
  MBP10Schema,
  OptionTradeSchema,
  StockQuoteSchema,
  StockTradeSchema,
  type FuturesTrade,
  type GreeksSnapshot,
  type MarketEvent,
  type MBP10,
  type OptionTrade,
  type StockQuote,
  type StockTrade,
} from './schemas.js';

export type SchemaId = 'stocks.trades.v1' | 'stocks.quotes.v1' | 'options.trades.v1' | 'futures.trades.v1' | 'futures.mbp10.v1' | 'options.greeks.v1';
export type Subject =
  | 'market.stocks.trades'
  | 'market.stocks.quotes'
  | 'market.options.trades'
  | 'market.futures.trades'
  | 'market.futures.mbp10'
  | 'market.options.greeks';
export type EventName = 'StockTrade' | 'StockQuote' | 'OptionTrade' | 'FuturesTrade' | 'MBP10' | 'GreeksSnapshot';

export const SUBJECTS = Object.freeze({
  stockTrades: 'market.stocks.trades',
  stockQuotes: 'market.stocks.quotes',
  optionTrades: 'market.options.trades',
  futuresTrades: 'market.futures.trades',
  futuresMbp10: 'market.futures.mbp10',
  optionGreeks: 'market.options.greeks',
} as const);

export const SCHEMA_IDS = Object.freeze({
  stockTrades: 'stocks.trades.v1',
  stockQuotes: 'stocks.quotes.v1',
  optionTrades: 'options.trades.v1',
  futuresTrades: 'futures.trades.v1',
  futuresMbp10: 'futures.mbp10.v1',
  optionGreeks: 'options.greeks.v1',
} as const);

/** Header carrying the schema id of a message body. */
export const SCHEMA_HEADER = 'md-schema';
export const MSG_ID_HEADER = 'Nats-Msg-Id';
export const STREAM_NAME = 'MARKET_DATA';
export const STREAM_SUBJECTS: readonly string[] = Object.freeze(['market.>']);
/** Replay progress/status messages: outside `market.>` on purpose (never stored in the market-data stream). */
export const REPLAY_STATUS_SUBJECT = 'md.replay.status';

export interface RegistryEntry<E extends MarketEvent = MarketEvent> {
  readonly subject: Subject;
  readonly schemaId: SchemaId;
  readonly name: EventName;
  readonly schema: z.ZodType<E>;
  /** `true` for entries that are extensions of the contract's table (GreeksSnapshot) */
  readonly extension: boolean;
  /** the contract's bytes (UTF-8) of a valid event; throws EncodeError naming the field otherwise */
  encode(event: E): Uint8Array;
  /** the contract's JSON text of a valid event */
  encodeToString(event: E): string;
  /** validate and decode a body (exact bigint nanoseconds); throws DecodeError naming the field */
  decode(bytes: Uint8Array | string): E;
}

function entry<E extends MarketEvent>(
  name: EventName,
  subject: Subject,
  schemaId: SchemaId,
  schema: z.ZodType<E>,
  enc: (e: E) => string,
  bytes: (e: E) => Uint8Array,
  fields: [string, K][],
  build: (v: unknown[]) => E,
  extension = false,
): RegistryEntry<E> {
  const d = desc(schemaId, fields, build, undefined, FAST[schemaId]);
  return Object.freeze({
    subject,
    schemaId,
    name,
    schema,
    extension,
    encode: bytes,
    encodeToString: enc,
    decode: (b: Uint8Array | string) => decodeWith<E>(d, b),
  });
}

const ENV: [string, K][] = [
  ['ts_event_ns', K.NS],
  ['ts_recv_ns', K.NS],
  ['source', K.SOURCE],
];

export const StockTradeEntry = entry<StockTrade>(
  'StockTrade', SUBJECTS.stockTrades, SCHEMA_IDS.stockTrades, StockTradeSchema, encodeStockTrade, bytesStockTrade,
  [...ENV, ['symbol', K.STR], ['price', K.FLOAT], ['size', K.SIZE], ['exchange', K.INT_NULL], ['conditions', K.CONDS], ['seq', K.INT_NULL]],
  (v) => ({
    ts_event_ns: v[0] as bigint, ts_recv_ns: v[1] as bigint, source: v[2] as StockTrade['source'], symbol: v[3] as string,
    price: v[4] as number, size: v[5] as number, exchange: v[6] as number | null, conditions: v[7] as number[] | null, seq: v[8] as number | null,
  }),
);

export const StockQuoteEntry = entry<StockQuote>(
  'StockQuote', SUBJECTS.stockQuotes, SCHEMA_IDS.stockQuotes, StockQuoteSchema, encodeStockQuote, bytesStockQuote,
  [...ENV, ['symbol', K.STR], ['bid_px', K.FLOAT], ['ask_px', K.FLOAT], ['bid_sz', K.SIZE], ['ask_sz', K.SIZE],
    ['bid_exch', K.INT_NULL], ['ask_exch', K.INT_NULL], ['seq', K.INT_NULL]],
  (v) => ({
    ts_event_ns: v[0] as bigint, ts_recv_ns: v[1] as bigint, source: v[2] as StockQuote['source'], symbol: v[3] as string,
    bid_px: v[4] as number, ask_px: v[5] as number, bid_sz: v[6] as number, ask_sz: v[7] as number,
    bid_exch: v[8] as number | null, ask_exch: v[9] as number | null, seq: v[10] as number | null,
  }),
);

export const OptionTradeEntry = entry<OptionTrade>(
  'OptionTrade', SUBJECTS.optionTrades, SCHEMA_IDS.optionTrades, OptionTradeSchema, encodeOptionTrade, bytesOptionTrade,
  [...ENV, ['underlying', K.STR], ['option_symbol', K.STR], ['exp_date', K.DATE], ['strike', K.FLOAT], ['right', K.RIGHT],
    ['price', K.FLOAT], ['size', K.SIZE], ['opt_bid', K.FLOAT_NULL], ['opt_ask', K.FLOAT_NULL], ['aggressor', K.AGGR],
    ['conditions', K.CONDS], ['seq', K.INT_NULL]],
  (v) => ({
    ts_event_ns: v[0] as bigint, ts_recv_ns: v[1] as bigint, source: v[2] as OptionTrade['source'], underlying: v[3] as string,
    option_symbol: v[4] as string, exp_date: v[5] as string, strike: v[6] as number, right: v[7] as 'C' | 'P',
    price: v[8] as number, size: v[9] as number, opt_bid: v[10] as number | null, opt_ask: v[11] as number | null,
    aggressor: v[12] as 1 | -1 | 0, conditions: v[13] as number[] | null, seq: v[14] as number | null,
  }),
);

export const FuturesTradeEntry = entry<FuturesTrade>(
  'FuturesTrade', SUBJECTS.futuresTrades, SCHEMA_IDS.futuresTrades, FuturesTradeSchema, encodeFuturesTrade, bytesFuturesTrade,
  [...ENV, ['symbol', K.STR], ['price', K.FLOAT], ['size', K.SIZE], ['aggressor', K.AGGR], ['exchange', K.STR_NULL],
    ['conditions', K.CONDS], ['seq', K.INT_NULL]],
  (v) => ({
    ts_event_ns: v[0] as bigint, ts_recv_ns: v[1] as bigint, source: v[2] as FuturesTrade['source'], symbol: v[3] as string,
    price: v[4] as number, size: v[5] as number, aggressor: v[6] as 1 | -1 | 0, exchange: v[7] as string | null,
    conditions: v[8] as number[] | null, seq: v[9] as number | null,
  }),
);

export const MBP10Entry = entry<MBP10>(
  'MBP10', SUBJECTS.futuresMbp10, SCHEMA_IDS.futuresMbp10, MBP10Schema, encodeMBP10, bytesMBP10,
  [...ENV, ['symbol', K.STR], ['levels', K.LEVELS], ['is_snapshot', K.BOOL], ['seq', K.INT_NULL]],
  (v) => ({
    ts_event_ns: v[0] as bigint, ts_recv_ns: v[1] as bigint, source: v[2] as MBP10['source'], symbol: v[3] as string,
    levels: v[4] as MBP10['levels'], is_snapshot: v[5] as boolean, seq: v[6] as number | null,
  }),
);

export const GreeksSnapshotEntry = entry<GreeksSnapshot>(
  'GreeksSnapshot', SUBJECTS.optionGreeks, SCHEMA_IDS.optionGreeks, GreeksSnapshotSchema, encodeGreeksSnapshot, bytesGreeksSnapshot,
  [...ENV, ['underlying', K.STR], ['option_symbol', K.STR], ['exp_date', K.DATE], ['strike', K.FLOAT], ['right', K.RIGHT],
    ['underlying_px', K.FLOAT_NULL], ['iv', K.FLOAT_NULL], ['delta', K.FLOAT_NULL], ['gamma', K.FLOAT_NULL],
    ['theta', K.FLOAT_NULL], ['vega', K.FLOAT_NULL], ['rho', K.FLOAT_NULL], ['seq', K.INT_NULL]],
  (v) => ({
    ts_event_ns: v[0] as bigint, ts_recv_ns: v[1] as bigint, source: v[2] as GreeksSnapshot['source'], underlying: v[3] as string,
    option_symbol: v[4] as string, exp_date: v[5] as string, strike: v[6] as number, right: v[7] as 'C' | 'P',
    underlying_px: v[8] as number | null, iv: v[9] as number | null, delta: v[10] as number | null, gamma: v[11] as number | null,
    theta: v[12] as number | null, vega: v[13] as number | null, rho: v[14] as number | null, seq: v[15] as number | null,
  }),
  true,
);

export const REGISTRY: readonly RegistryEntry[] = Object.freeze([
  StockTradeEntry, StockQuoteEntry, OptionTradeEntry, FuturesTradeEntry, MBP10Entry, GreeksSnapshotEntry,
] as unknown as RegistryEntry[]);

const BY_KEY = new Map<string, RegistryEntry>();
for (const e of REGISTRY) {
  BY_KEY.set(e.subject, e);
  BY_KEY.set(e.schemaId, e);
}
const KNOWN = REGISTRY.flatMap((e) => [e.subject, e.schemaId]);

/** The event type of each subject and schema id. */
export interface EventTypes {
  'market.stocks.trades': StockTrade;
  'stocks.trades.v1': StockTrade;
  'market.stocks.quotes': StockQuote;
  'stocks.quotes.v1': StockQuote;
  'market.options.trades': OptionTrade;
  'options.trades.v1': OptionTrade;
  'market.futures.trades': FuturesTrade;
  'futures.trades.v1': FuturesTrade;
  'market.futures.mbp10': MBP10;
  'futures.mbp10.v1': MBP10;
  'market.options.greeks': GreeksSnapshot;
  'options.greeks.v1': GreeksSnapshot;
}
/** The event type of a subject or schema id (MarketEvent for a plain string). */
export type EventFor<K extends string> = K extends keyof EventTypes ? EventTypes[K] : MarketEvent;

/** The registry entry of a subject or schema id; throws UnknownSubjectError. Typed for a literal subject / schema id. */
export function lookup<K extends Subject | SchemaId>(subjectOrSchemaId: K): RegistryEntry<EventFor<K>>;
export function lookup(subjectOrSchemaId: string): RegistryEntry;
export function lookup(subjectOrSchemaId: string): RegistryEntry {
  const e = BY_KEY.get(subjectOrSchemaId);
  if (e === undefined) throw new UnknownSubjectError(subjectOrSchemaId, KNOWN);
  return e;
}

/** Like lookup, but returns undefined for an unknown subject or schema id. */
export function tryLookup(subjectOrSchemaId: string): RegistryEntry | undefined {
  return BY_KEY.get(subjectOrSchemaId);
}

/** The entry whose event has this shape (by its distinguishing keys); throws EncodeError if none fits. */
export function entryForEvent(event: MarketEvent): RegistryEntry {
  if (event === null || typeof event !== 'object') throw new EncodeError('', `event must be an object, got ${event === null ? 'null' : typeof event}`);
  if ('levels' in event) return MBP10Entry as unknown as RegistryEntry;
  if ('option_symbol' in event) return ('iv' in event || 'delta' in event ? GreeksSnapshotEntry : OptionTradeEntry) as unknown as RegistryEntry;
  if ('bid_px' in event) return StockQuoteEntry as unknown as RegistryEntry;
  if ('aggressor' in event) return FuturesTradeEntry as unknown as RegistryEntry;
  if ('price' in event) return StockTradeEntry as unknown as RegistryEntry;
  throw new EncodeError('', 'cannot tell the schema of this event from its keys: pass a subject or schema id');
}

function pick(event: MarketEvent, subjectOrSchemaId: string | undefined): RegistryEntry {
  return subjectOrSchemaId === undefined ? entryForEvent(event) : lookup(subjectOrSchemaId);
}

/** The contract's bytes of an event. The schema is the given subject's / schema id's, or inferred from the event's keys. */
export function encode(event: MarketEvent, subjectOrSchemaId?: string): Uint8Array {
  return pick(event, subjectOrSchemaId).encode(event);
}

/** The contract's JSON text of an event (see encode). */
export function encodeToString(event: MarketEvent, subjectOrSchemaId?: string): string {
  return pick(event, subjectOrSchemaId).encodeToString(event);
}

/** Validate and decode a body of the given subject or schema id (exact bigint nanoseconds). */
export function decode<K extends Subject | SchemaId>(subjectOrSchemaId: K, bytes: Uint8Array | string): EventFor<K>;
export function decode(subjectOrSchemaId: string, bytes: Uint8Array | string): MarketEvent;
export function decode(subjectOrSchemaId: string, bytes: Uint8Array | string): MarketEvent {
  return lookup(subjectOrSchemaId).decode(bytes);
}

/** What flows from a source (DBN mapping, Polygon normalizer) through stream-merge into nats-bus. */
export interface Publishable<E extends MarketEvent = MarketEvent> {
  subject: Subject;
  event: E;
  msgId: string;
}
