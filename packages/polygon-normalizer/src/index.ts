/**
 * @md/polygon-normalizer: Polygon.io / Massive.com WebSocket frames -> typed vendor messages -> canonical
 * events (StockTrade, StockQuote, OptionTrade) as Publishable, with a quote book for opt_bid/opt_ask and
 * the aggressor, status classification, a strike manager and a bounded queue. No I/O: the WebSocket
 * session is on its own entry, `@md/polygon-normalizer/session`.
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
export { Normalizer, normalizeFrame, polygonMsgId, msToNs, toStockTrade, toStockQuote, toOptionTrade } from './normalize.js';
export type { NormalizerOptions } from './normalize.js';
export { StrikeManager, nyDate } from './strikes.js';
export type { StrikeManagerOptions, SubscriptionDiff } from './strikes.js';
export { BoundedQueue } from './queue.js';
export type { DropPolicy } from './queue.js';
