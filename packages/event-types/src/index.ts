/**
 * @md/event-types: the canonical market-data event contract (docs/event-contract.md).
 * zod schemas and inferred types, the subject registry, the exact JSON codec, fixed-point conversion,
 * option tickers and generated JSON Schema.
 */
export {
  EVENT_SOURCES,
  EventSourceSchema,
  AggressorSchema,
  AGGRESSOR,
  OptionRightSchema,
  NanosSchema,
  INT64_MIN,
  INT64_MAX,
  MBP10_DEPTH,
  StockTradeSchema,
  StockQuoteSchema,
  OptionTradeSchema,
  FuturesTradeSchema,
  MBP10LevelSchema,
  MBP10Schema,
  GreeksSnapshotSchema,
} from './schemas.js';
export type {
  EventSource,
  Aggressor,
  OptionRight,
  StockTrade,
  StockQuote,
  OptionTrade,
  FuturesTrade,
  MBP10Level,
  MBP10,
  GreeksSnapshot,
} from './schemas.js';
export {
  SUBJECTS,
  SCHEMA_IDS,
  SCHEMA_HEADER,
  MSG_ID_HEADER,
  STREAM_NAME,
  STREAM_SUBJECTS,
  REPLAY_STATUS_SUBJECT,
  LIVE_GAPS_SUBJECT,
  REGISTRY,
  lookup,
  tryLookup,
  entryForEvent,
  encode,
  encodeToString,
  decode,
} from './registry.js';
export type { SchemaId, Subject, EventName, MarketEvent, RegistryEntry, Publishable, EventTypes, EventFor } from './registry.js';
export { CodecError, EncodeError, DecodeError, UnknownSubjectError, OptionTickerError } from './errors.js';
export { formatFloat, fixedToFloat, fixedToFloatOrNull, UNDEF_PRICE, FIXED_PRICE_SCALE } from './float.js';
export { parseOptionTicker, formatOptionTicker } from './ticker.js';
export type { OptionTicker } from './ticker.js';
export { jsonSchemaFor, jsonSchemaText, JSON_SCHEMA_BASE_URI } from './json-schema.js';
export { halvesToBigInt, bigIntToHalves, compareHalves } from './encoded-batch.js';
export { nine, put, u64, uint } from './digits.js';
export type { EncodedBatch } from './encoded-batch.js';
