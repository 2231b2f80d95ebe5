/**
 * @md/replay-engine: plan the dates of a DBN data root, merge its streams in time order, pace them and publish
 * them into an EventSink; resume after an interrupted run; the statistics and their report, and as metrics
 * (replayMetricSpecs). The defaults (REPLAY_DEFAULTS, defaultDataRoot) are the replay-publisher CLI's. See docs/architecture.md and docs/event-contract.md.
 */
export { REPLAY_DEFAULTS, type IncludeKinds, type ReplayDefaults, type ReplayOrder, type ReplaySession } from './defaults.js';
export { replay, ReplayEngine, sourceForRoots, type ReplayInput, type ReplayOptions, type RootsInput } from './engine.js';
export {
  ReplayError,
  ReplayPlanError,
  ReplayPublishError,
  ResumePointNotFoundError,
  type ReplayErrorCode,
  type ReplayPlanErrorCode,
} from './errors.js';
export { dateOfMsgId, describeEvent } from './msg-id.js';
export { checkDataRootDir, includeKinds, LAYOUT_HINT, planReplay, type ReplayPlan, type ReplayPlanOptions } from './plan.js';
export { Replayer, type ReplayerOptions, type ReplayTuning } from './replayer.js';
export { findResumePoint, findResumePointFor, SUBJECT_OF_KIND, type ResumePoint } from './resume.js';
export { defaultDataRoot } from './default-root.js';
export { replayMetricSpecs, replaySubjects, type ReplayMetricSpec, type ReplayProgress } from './metrics.js';
export { defaultSampleCacheDir, ensureSampleSession, readSampleInfo, SAMPLE_SEED } from './sample.js';
export {
  BRONZE_TABLE_OF_KIND,
  BronzeSource,
  CombinedSource,
  parseBronzeMsgId,
  type BronzeSourceOptions,
  type CombinedSourceOptions,
} from './bronze-source.js';
export { DataRootSource, type DataRootSourceOptions, type EncodedReadOptions, type ReplaySource } from './source.js';
export {
  emptyStats,
  finishStats,
  fmtDuration,
  isoNs,
  jsonWithBigints,
  KINDS,
  progressBar,
  progressLine,
  statsForJson,
  statsTable,
  storedText,
  timeOfDay,
  type StoredSummary,
  type Position,
  type ReplayKind,
  type ReplayStats,
} from './stats.js';
export { DAY_NS, dayStartNs, newYorkOffsetMinutes, newYorkTimeNs, resolveTime, sessionStartNs, type TimeSpec } from './time.js';
