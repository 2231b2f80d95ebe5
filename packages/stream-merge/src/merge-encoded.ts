/**
 * The merge of the fast replay lane (issue 12): inputs yield batches whose rows carry a 64-bit key as two unsigned
 * 32-bit halves (`keyHi[i] * 2^32 + keyLo[i]`, e.g. @md/event-types' EncodedBatch); the output is runs of
 * (batch, row) references in merged order. Per row nothing is allocated (keys are compared by halves, no bigint,
 * no object, no promise); one run object per output batch.
 *
 * The order is exactly mergeBatchesByKey's (merge.ts, same algorithm, read there): (key, input index, arrival),
 * with the same reorder window, the same release rule and the same late rule and count. Only the late path builds
 * bigints (for LateInfo and stats.maxLateNs).
 */
import { MergeError, type LateInfo, type MergeStats } from './merge.js';
import { EncodedMergeCore, Out } from './merge-encoded-core.js';

/** What the merge reads of a batch: its row count and the key halves of each row (unsigned). */
export interface KeyedRows {
  readonly length: number;
  readonly keyHi: Uint32Array;
  readonly keyLo: Uint32Array;
}

/** One output batch: `length` rows in merged order; row j is row `rows[j]` of `batches[j]`. */
export interface EncodedRun<B extends KeyedRows> {
  readonly length: number;
  readonly batches: B[];
  readonly rows: Int32Array;
}

export interface EncodedMergeOptions<B extends KeyedRows> {
  /** as MergeOptions.reorderWindowNs (default 0n, below 2^64) */
  reorderWindowNs?: bigint;
  /** called for every row that arrives after the merge has emitted a larger key (it is still emitted) */
  onLate?: (batch: B, row: number, info: LateInfo) => void;
  /** largest output run (default 1024) */
  batchSize?: number;
  /** as BatchMergeOptions.flushBeforeWait (default true) */
  flushBeforeWait?: boolean;
}

export interface MergedEncodedStream<B extends KeyedRows> extends AsyncIterable<EncodedRun<B>> {
  readonly stats: MergeStats;
}

async function* runs<B extends KeyedRows>(
  core: EncodedMergeCore<B>,
  batchSize: number,
  flushBeforeWait: boolean,
): AsyncGenerator<EncodedRun<B>> {
  core.start();
  let out = new Out<B>(batchSize);
  let failed = false;
  try {
    for (;;) {
      const need = core.fill(out);
      if (need >= 0) {
        if (flushBeforeWait && out.length > 0) {
          yield out.run();
          out = new Out<B>(batchSize);
        }
        await core.refill(need);
      } else if (core.finished) {
        if (out.length > 0) yield out.run();
        return;
      } else {
        yield out.run();
        out = new Out<B>(batchSize);
      }
    }
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (failed) await core.close().catch(() => undefined);
    else await core.close();
  }
}

/**
 * Merge batches of keyed rows (e.g. EncodedBatch) into runs of (batch, row) in mergeBatchesByKey's order. Ties:
 * lower input index first, then arrival. Input batches are read, never modified; a run is never reused.
 */
export function mergeEncodedBatches<B extends KeyedRows>(
  inputs: AsyncIterable<B>[],
  options: EncodedMergeOptions<B> = {},
): MergedEncodedStream<B> {
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new TypeError(`mergeEncodedBatches: batchSize must be an integer >= 1, got ${batchSize}`);
  const core = new EncodedMergeCore<B>(inputs, options);
  let started = false;
  return {
    stats: core.stats,
    [Symbol.asyncIterator]: () => {
      if (started) throw new MergeError('a merged stream can be iterated only once');
      started = true;
      return runs(core, batchSize, options.flushBeforeWait ?? true);
    },
  };
}
