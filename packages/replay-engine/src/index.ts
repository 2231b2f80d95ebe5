/**
 * @md/replay-engine: plan the dates of a DBN data root, merge its streams in time order, pace them and publish
 * them into an EventSink; resume after an interrupted run; the statistics and their report. The defaults
 * (REPLAY_DEFAULTS) are the replay-publisher CLI's. See docs/architecture.md and docs/event-contract.md.
 */
export { REPLAY_DEFAULTS, type IncludeKinds, type ReplayDefaults, type ReplayOrder } from './defaults.js';
export { replay, ReplayEngine, type ReplayInput, type ReplayOptions } from './engine.js';
export {
  ReplayError,
  ReplayPlanError,
  ReplayPublishError,
  ResumePointNotFoundError,
  type ReplayErrorCode,
  type ReplayPlanErrorCode,
} from './errors.js';
export { dateOfMsgId, describeEvent } from './msg-id.js';
export { checkDataRootDir, LAYOUT_HINT, planReplay, type ReplayPlan, type ReplayPlanOptions } from './plan.js';
export { Replayer, type ReplayerOptions, type ReplayTuning } from './replayer.js';
export { findResumePoint, findResumePointFor, SUBJECT_OF_KIND, type ResumePoint } from './resume.js';
export { defaultSampleCacheDir, ensureSampleSession, readSampleInfo, SAMPLE_SEED } from './sample.js';
export { DataRootSource, type ReplaySource } from './source.js';
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
  timeOfDay,
  type Position,
  type ReplayKind,
  type ReplayStats,
} from './stats.js';
export { DAY_NS, dayStartNs, resolveTime, type TimeSpec } from './time.js';
