/**
 * @md/live-engine: the live path as a library. Two Polygon/Massive WebSocket sessions (stocks, options),
 * parse + normalize on arrival, the 0DTE strike manager, a bounded queue and one pump into an EventSink of
 * the caller's, with exactly the live-ingestor CLI's defaults (LIVE_DEFAULTS); gaps (drops, overflows, starts)
 * found, filled from the vendor's REST history and announced; a hot-standby controller (LiveHa) on a lease; the
 * stream's resume point of a subject (resumePointOf); the engines' metrics as data (liveMetricSpecs).
 * The CLI is this plus flags, NATS and signals.
 */
export { LiveEngine, nowNs, stderrLogger, restSourceOf, describeRestError, type LiveEngineResult } from './engine.js';
export {
  LIVE_DEFAULTS,
  LIVE_HOSTS,
  REST_URLS,
  LiveConfigError,
  liveConfig,
  sourceForUrl,
  defaultOptionRoot,
  type LiveEngineConfig,
  type LiveEngineOptions,
  type Feed,
  type Vendor,
  type LiveSource,
  type LiveEngineHooks,
  type ResumePoint,
} from './config.js';
export {
  gapJson,
  GapKeeper,
  GapLedger,
  LiveIds,
  windowFromNs,
  windowToNs,
  type GapAnnouncement,
  type GapKeeperOptions,
  type GapReason,
  type GapStatus,
  type ItemWindow,
  type SessionName,
} from './gaps.js';
export { BackfillLane, BackfillRunner, type BackfillRunnerOptions, type RestFactory, type RestRow, type RestSource } from './backfill.js';
export { GapBook, inheritable, parseGapJson, windowOfAnnouncement } from './inherit.js';
export { ItemTracker, itemOfEvent, subjectOfItem, symbolOfItem, eventMs, type ItemState } from './tracker.js';
export { GapRecorder, recordAction, type GapRecordStore } from './gap-records.js';
export {
  GAP_RECORDS_READ_MS,
  LiveHa,
  RETIRE_BACKFILL_MS,
  type HaEngine,
  type LeaseLike,
  type LeaseHandlers,
  type LiveHaOptions,
} from './ha.js';
export { newCounters, storedStatsLine, type IngestCounters, type StoredSummary } from './stats.js';
export { resumePointOf, RESUME_LOOKBACK_MS, RESUME_MAX_MESSAGES } from './resume-point.js';
export { liveMetricSpecs, liveSubjects, vendorNotReady, type MetricSample, type MetricSpec } from './metrics.js';
export type { Logger, LogLevel } from '@md/polygon-normalizer/session';
