/** The object lane of one date: Publishable batches merged by key, paced, and handed to sink.publish one by one. */
import type { Publishable } from '@md/event-types';
import { mergeBatchesByKey } from '@md/stream-merge';
import { ReplayPublishError } from './errors.js';
import { closeInputs, SUBJECT_KIND, watchBlocked, type LaneEnv, type LaneState } from './lane.js';
import { describeEvent } from './msg-id.js';

export async function replayObjects(
  env: LaneEnv,
  st: LaneState,
  inputs: AsyncIterable<Publishable[]>[],
  keyOf: (p: Publishable) => bigint,
): Promise<void> {
  const { sink, clock, every } = env;
  const stats = st.stats;
  const pos = st.pos;
  const merged = mergeBatchesByKey(inputs, { key: keyOf, reorderWindowNs: env.reorderWindowNs, onLate: () => stats.late++ });
  const it = merged[Symbol.asyncIterator]();
  let ahead = it.next();
  try {
    for (;;) {
      const r = await env.orStop(ahead);
      if (r === 'stop' || r.done) break;
      // read ahead: the next batch is decoded and merged while this one waits for its schedule (or for room
      // in the publisher's window), not on the critical path of the first event after it
      ahead = it.next();
      ahead.catch(() => undefined); // surfaces at the next await; never unhandled if we stop first
      for (const p of r.value) {
        if (st.resumeId) {
          stats.skipped++;
          if (p.msgId === st.resumeId) {
            st.resumeId = null;
            env.log?.(`resume: skipped ${stats.skipped} events already in the stream; continuing after ${p.msgId}`);
          }
          continue;
        }
        if (clock) {
          // anchor-based schedule; wait only when not yet due (everything due goes out together)
          const ts = keyOf(p);
          const due = clock.schedule(ts);
          let now = clock.now();
          if (due > now || clock.paused) {
            if ((await env.orStop(clock.untilDue(ts))) === 'stop') break;
            now = clock.now();
          }
          clock.recordRelease(clock.dueAt(ts), now);
        }
        if (env.stopped()) break;
        try {
          // stop() releases a publish() waiting for room in the window; the flush then gives it up
          const sent = sink.publish(p);
          if ((await env.orStop(sent)) === 'stop') {
            st.blocked = watchBlocked(sent);
            break;
          }
        } catch (e) {
          if ((e as Error)?.name !== 'EncodeError') throw new ReplayPublishError(p.msgId, e as Error);
          // an event the contract's codec refuses (e.g. a corrupt timestamp): skipped, counted, named
          stats.invalid++;
          if (stats.invalid <= 10)
            env.log?.(`warning: ${describeEvent(p.msgId)} not published, the codec refuses it: ${(e as Error).message}`);
          continue;
        }
        stats.events++;
        const kind = SUBJECT_KIND[p.subject];
        if (kind) stats.perKind[kind]++;
        const ts = (p.event as { ts_event_ns: bigint }).ts_event_ns;
        if (st.minTs === null || ts < st.minTs) stats.firstEventNs = st.minTs = ts;
        if (st.maxTs === null || ts > st.maxTs) stats.lastEventNs = st.maxTs = ts;
        pos.nowNs = ts;
        if (every > 0 && stats.events % every === 0 && env.onProgress) env.onProgress(stats, performance.now() - st.t0, pos);
      }
      if (env.stopped()) break;
    }
  } finally {
    await closeInputs(it);
  }
}
