export {
  mergeByKey,
  mergeBatchesByKey,
  MergeError,
  type Input,
  type LateInfo,
  type MergeOptions,
  type BatchMergeOptions,
  type MergeStats,
  type MergedStream,
  type MergedBatchStream,
} from './merge.js';
export {
  mergeEncodedBatches,
  type EncodedMergeOptions,
  type EncodedRun,
  type KeyedRows,
  type MergedEncodedStream,
} from './merge-encoded.js';
export { ReplayClock, type ReplayClockOptions, type ReplayClockStats } from './clock.js';
export { pace, paceBatches, type PaceOptions } from './pace.js';
export { Histogram, type LatenessSummary } from './histogram.js';
export { eventTimeKey, recvTimeKey, dbnEventTimeKey, dbnRecvTimeKey, orderingKey, type Ordering } from './keys.js';
