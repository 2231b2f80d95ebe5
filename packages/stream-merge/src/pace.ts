import type { ReplayClock } from './clock.js';
import type { Input } from './merge.js';

export interface PaceOptions {
  /** Aborting ends the paced stream at once, also in the middle of a wait or while paused. */
  signal?: AbortSignal;
}

/**
 * Yield the items of `source` when the clock says they are due (`key` gives each item's time in ns).
 * Items already due go out at once, with no wait between them. At speed 0 items pass straight through
 * (pause still holds them). Lateness of every release is recorded in `clock.stats()`.
 */
export async function* pace<T>(
  source: Input<T>,
  clock: ReplayClock,
  key: (item: T) => bigint,
  options: PaceOptions = {},
): AsyncGenerator<T, void, undefined> {
  const signal = options.signal;
  for await (const item of source) {
    if (signal?.aborted) return;
    if (clock.speed === 0 && !clock.paused) {
      clock.recordUnpaced(1);
      yield item;
      continue;
    }
    const ts = key(item);
    let due = clock.schedule(ts);
    let now = clock.now();
    if (clock.paused || due > now) {
      if (!(await clock.untilDue(ts, signal))) return;
      now = clock.now();
      due = clock.dueAt(ts);
    }
    clock.recordRelease(due, now);
    yield item;
  }
}

/**
 * The batched variant: `source` yields arrays in time order; the result yields arrays holding everything that
 * is due together (a batch is split where the next item is not yet due). At speed 0 batches pass through
 * unchanged. Input arrays are never modified.
 */
export async function* paceBatches<T>(
  source: Input<T[]>,
  clock: ReplayClock,
  key: (item: T) => bigint,
  options: PaceOptions = {},
): AsyncGenerator<T[], void, undefined> {
  const signal = options.signal;
  const dues: number[] = [];
  for await (const batch of source) {
    if (signal?.aborted) return;
    if (!Array.isArray(batch))
      throw new TypeError(`paceBatches: the source yielded ${batch === null ? 'null' : typeof batch}, expected an array`);
    if (batch.length === 0) continue;
    if (clock.speed === 0 && !clock.paused) {
      clock.recordUnpaced(batch.length);
      yield batch;
      continue;
    }
    let group: T[] = [];
    dues.length = 0;
    let now = clock.now();
    for (const item of batch) {
      const ts = key(item);
      let due = clock.schedule(ts);
      if (due > now || clock.paused) {
        now = clock.now();
        if (due > now || clock.paused) {
          if (group.length > 0) {
            clock.recordReleases(dues, group.length, now);
            yield group;
            group = [];
            dues.length = 0;
          }
          if (!(await clock.untilDue(ts, signal))) return;
          now = clock.now();
          due = clock.dueAt(ts);
        }
      }
      group.push(item);
      dues.push(due);
    }
    if (group.length > 0) {
      clock.recordReleases(dues, group.length, clock.now());
      yield group;
    }
  }
}
