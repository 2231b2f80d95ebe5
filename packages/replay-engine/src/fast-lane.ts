/**
 * The fast lane of one date (issue 12): EncodedBatch rows (already the contract's JSON, 64-bit keys as uint32
 * halves) merged by mergeEncodedBatches, paced, and handed to sink.tryPublishRow (publishRow, awaited, only when
 * that says no). The same semantics as the object lane (object-lane.ts) without an object or a promise per event:
 * resume compares message id bytes, ts_event min / max / last are kept as halves and turned into bigints once per
 * output run (and at each progress call), per-kind counts go through a table per subject table.
 */
import { halvesToBigInt, type EncodedBatch } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import { mergeEncodedBatches } from '@md/stream-merge';
import { ReplayPublishError } from './errors.js';
import { closeInputs, SUBJECT_KIND, watchBlocked, type LaneEnv, type LaneState } from './lane.js';
import { describeEvent } from './msg-id.js';
import { KINDS, type ReplayKind } from './stats.js';

/** a sink with the fast-lane pair */
export type RowSink = EventSink & Required<Pick<EventSink, 'tryPublishRow' | 'publishRow'>>;

export function isRowSink(s: EventSink): s is RowSink {
  return typeof s.tryPublishRow === 'function' && typeof s.publishRow === 'function';
}

const latin1 = (b: EncodedBatch, row: number): string =>
  Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength).toString('latin1', b.idStart[row], b.idEnd[row]);

/** whether row `row`'s message id is `id` (ASCII bytes), compared from the end (the record index differs first) */
function idIs(b: EncodedBatch, row: number, id: Uint8Array): boolean {
  const s = b.idStart[row] as number;
  const n = (b.idEnd[row] as number) - s;
  if (n !== id.length) return false;
  const bytes = b.bytes;
  for (let i = n - 1; i >= 0; i--) if (bytes[s + i] !== id[i]) return false;
  return true;
}

/** per subject table: the index into KINDS of each subject (-1: none) */
class KindTable {
  private subjects: readonly string[] | null = null;
  private kinds: Int8Array = new Int8Array(0);
  of(b: EncodedBatch, row: number): number {
    if (b.subjects !== this.subjects) {
      this.subjects = b.subjects;
      this.kinds = Int8Array.from(b.subjects, (s) => {
        const k = SUBJECT_KIND[s];
        return k === undefined ? -1 : KINDS.indexOf(k);
      });
    }
    return this.kinds[b.subject[row] as number] ?? -1;
  }
}

export async function replayEncoded(env: LaneEnv, st: LaneState, inputs: AsyncIterable<EncodedBatch>[], sink: RowSink): Promise<void> {
  const { clock, every } = env;
  const stats = st.stats;
  const pos = st.pos;
  const merged = mergeEncodedBatches(inputs, { reorderWindowNs: env.reorderWindowNs, onLate: () => stats.late++ });
  const kinds = new KindTable();
  const perKind = new Float64Array(KINDS.length);
  let resume: Uint8Array | null = st.resumeId ? Buffer.from(st.resumeId, 'latin1') : null;
  // ts_event of the first / last published event and of the latest, as halves (hi -1: none yet this date)
  let minHi = -1;
  let minLo = 0;
  let maxHi = -1;
  let maxLo = 0;
  let nowHi = -1;
  let nowLo = 0;
  /** the halves into stats / pos (bigints): at the end of each run and before each progress call */
  const sync = () => {
    if (nowHi < 0) return;
    const lo = halvesToBigInt(minHi, minLo);
    const hi = halvesToBigInt(maxHi, maxLo);
    if (st.minTs === null || lo < st.minTs) stats.firstEventNs = st.minTs = lo;
    if (st.maxTs === null || hi > st.maxTs) stats.lastEventNs = st.maxTs = hi;
    pos.nowNs = halvesToBigInt(nowHi, nowLo);
    for (let k = 0; k < perKind.length; k++) {
      if (perKind[k] === 0) continue;
      stats.perKind[KINDS[k] as ReplayKind] += perKind[k] as number;
      perKind[k] = 0;
    }
  };
  const it = merged[Symbol.asyncIterator]();
  let ahead = it.next();
  try {
    for (;;) {
      const r = await env.orStop(ahead);
      if (r === 'stop' || r.done) break;
      ahead = it.next(); // read ahead, as the object lane
      ahead.catch(() => undefined);
      const run = r.value;
      const batches = run.batches;
      const rows = run.rows;
      for (let j = 0; j < run.length; j++) {
        const b = batches[j] as EncodedBatch;
        const row = rows[j] as number;
        if (resume !== null) {
          stats.skipped++;
          if (idIs(b, row, resume)) {
            resume = null;
            env.log?.(`resume: skipped ${stats.skipped} events already in the stream; continuing after ${st.resumeId}`);
            st.resumeId = null;
          }
          continue;
        }
        if (clock) {
          const ts = halvesToBigInt(b.keyHi[row] as number, b.keyLo[row] as number);
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
          if (!sink.tryPublishRow(b, row)) {
            // no room now: wait (stop() releases the wait; the flush then gives the publish up)
            const sent = sink.publishRow(b, row);
            if ((await env.orStop(sent)) === 'stop') {
              st.blocked = watchBlocked(sent);
              break;
            }
          }
        } catch (e) {
          const msgId = latin1(b, row);
          if ((e as Error)?.name !== 'EncodeError') throw new ReplayPublishError(msgId, e as Error);
          stats.invalid++;
          if (stats.invalid <= 10)
            env.log?.(`warning: ${describeEvent(msgId)} not published, the codec refuses it: ${(e as Error).message}`);
          continue;
        }
        stats.events++;
        const k = kinds.of(b, row);
        if (k >= 0) perKind[k] = (perKind[k] as number) + 1;
        const th = b.tsHi[row] as number;
        const tl = b.tsLo[row] as number;
        if (minHi < 0 || th < minHi || (th === minHi && tl < minLo)) {
          minHi = th;
          minLo = tl;
        }
        if (maxHi < 0 || th > maxHi || (th === maxHi && tl > maxLo)) {
          maxHi = th;
          maxLo = tl;
        }
        nowHi = th;
        nowLo = tl;
        if (every > 0 && stats.events % every === 0 && env.onProgress) {
          sync();
          env.onProgress(stats, performance.now() - st.t0, pos);
        }
      }
      sync();
      if (env.stopped()) break;
    }
  } finally {
    sync();
    await closeInputs(it);
  }
}
