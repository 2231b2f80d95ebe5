/**
 * What the two replay loops of a date share (replayer.ts picks one per date): the object lane (object-lane.ts,
 * Publishable batches through mergeBatchesByKey and sink.publish) and the fast lane (fast-lane.ts, EncodedBatch
 * rows through mergeEncodedBatches and sink.tryPublishRow / publishRow). Both update one LaneState the same way.
 */
import type { EventSink } from '@md/nats-bus';
import type { ReplayClock } from '@md/stream-merge';
import type { Position, ReplayKind, ReplayStats } from './stats.js';

/** a publish that was still waiting (full window, recovery) when stop() came: settled by the final flush */
export interface Blocked {
  settled: 'no' | 'accepted' | 'rejected';
}

/** the running replay's state across its dates */
export interface LaneState {
  readonly stats: ReplayStats;
  /** the date's position (nowNs: ts_event of the last published event) */
  pos: Position;
  /** performance.now() at the start of the replay */
  readonly t0: number;
  /** still skipping up to and including this message id (resume), or null */
  resumeId: string | null;
  /** smallest / largest ts_event published so far */
  minTs: bigint | null;
  maxTs: bigint | null;
  blocked: Blocked | null;
}

/** what a lane needs of the Replayer */
export interface LaneEnv {
  readonly sink: EventSink;
  readonly clock: ReplayClock | null;
  /** onProgress every N events (0: never) */
  readonly every: number;
  readonly onProgress: ((stats: ReplayStats, wallMs: number, pos: Position) => void) | undefined;
  readonly log: ((msg: string) => void) | undefined;
  readonly reorderWindowNs: bigint;
  /** `p`, or 'stop' as soon as stop() is called */
  orStop<T>(p: Promise<T>): Promise<T | 'stop'>;
  stopped(): boolean;
}

export const SUBJECT_KIND: Readonly<Record<string, ReplayKind>> = {
  'market.futures.trades': 'trades',
  'market.stocks.trades': 'stockTrades',
  'market.options.trades': 'options',
  'market.stocks.quotes': 'stockQuotes',
  'market.futures.mbp10': 'mbp10',
};

/** follow a publish given up on by stop(): the final flush settles it */
export function watchBlocked(sent: Promise<void>): Blocked {
  const b: Blocked = { settled: 'no' };
  sent.then(
    () => (b.settled = 'accepted'),
    () => (b.settled = 'rejected'),
  );
  return b;
}

/** close the merged inputs (the files); a generator parked in a sleep finishes its step first, so do not wait for it forever */
export async function closeInputs(it: AsyncIterator<unknown>): Promise<void> {
  const ret = it.return?.();
  if (ret) await Promise.race([ret.catch(() => undefined), new Promise((r) => setTimeout(r, 200).unref())]);
}
