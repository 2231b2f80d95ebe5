/**
 * @md/polygon-normalizer: Polygon.io / Massive.com WebSocket frames and REST rows -> typed vendor messages
 * -> canonical events (StockTrade, StockQuote, OptionTrade) as Publishable, with a quote book for
 * opt_bid/opt_ask and the aggressor, message ids shared by both copies of an event, a lossless REST JSON
 * reader, status classification, a strike manager and a bounded queue. No I/O: the WebSocket session is on
 * `@md/polygon-normalizer/session`, the REST client on `@md/polygon-normalizer/rest`.
 */
export { PolygonParseError, FrameError, EventError } from './errors.js';
export { parseFrame, countByKind } from './parse.js';
export type {
  Cluster,
  ParseOptions,
  ParsedFrame,
  IgnoredEvent,
  VendorMessage,
  DataMessage,
  MessageKind,
  StockTradeMessage,
  StockQuoteMessage,
  OptionTradeMessage,
  OptionQuoteMessage,
  StatusMessage,
} from './parse.js';
export { classifyStatus } from './status.js';
export type { StatusKind, StatusInfo } from './status.js';
export { QuoteBook, aggressorFor } from './quote-book.js';
export type { BookQuote } from './quote-book.js';
export { Normalizer, normalizeFrame, msToNs, toStockTrade, toStockQuote, toOptionTrade } from './normalize.js';
export {
  stockTradeMsgId,
  stockQuoteMsgId,
  optionTradeMsgId,
  optionTradeKey,
  readTradeId,
  TradeOrdinals,
  ORDINAL_HORIZON_MS,
} from './ids.js';
export { parseRestJson, RestJsonError } from './rest-json.js';
export type { RestJsonValue } from './rest-json.js';
export { restTradeMessage, restQuoteMessage, restSipNs, RestRowError } from './rest-map.js';
export type { NormalizerOptions } from './normalize.js';
export { StrikeManager, nyDate } from './strikes.js';
export type { StrikeManagerOptions, SubscriptionDiff } from './strikes.js';
export { BoundedQueue } from './queue.js';
export type { DropPolicy } from './queue.js';
