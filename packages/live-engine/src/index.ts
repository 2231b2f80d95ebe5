/**
 * @md/live-engine: the live path as a library. Two Polygon/Massive WebSocket sessions (stocks, options),
 * parse + normalize on arrival, the 0DTE strike manager, a bounded queue and one pump into an EventSink of
 * the caller's, with exactly the live-ingestor CLI's defaults (LIVE_DEFAULTS). The CLI is this plus flags,
 * NATS and signals.
 */
export { LiveEngine, nowNs, stderrLogger, type LiveEngineResult } from './engine.js';
export {
  LIVE_DEFAULTS,
  LIVE_HOSTS,
  LiveConfigError,
  liveConfig,
  sourceForUrl,
  defaultOptionRoot,
  type LiveEngineConfig,
  type LiveEngineOptions,
  type Feed,
  type Vendor,
  type LiveSource,
} from './config.js';
export { newCounters, type IngestCounters } from './stats.js';
export type { Logger, LogLevel } from '@md/polygon-normalizer/session';
