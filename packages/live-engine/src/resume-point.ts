/**
 * The stream's resume point of a live subject, for the engine's start (restart, deploy, a standby taking
 * over): the newest vendor time stored on the subject and the ids stored at that vendor millisecond.
 *
 * Backfilled events reach the stream after newer live ones, so the last message stored is not always the
 * newest: the resume point is the newest `ts_event_ns` among the messages stored in the RESUME_LOOKBACK_MS
 * (wall time, the server's) up to the last one at the time of the lookup (@md/nats-bus lastMessageOn +
 * storedMessagesSince): what is stored after it is this instance's own live start, already being published
 * while the resume point is read.
 */
import { decode, STREAM_NAME, SUBJECTS, type MarketEvent } from '@md/event-types';
import type { ResumePoint } from './config.js';
import { lastMessageOn, storedMessagesSince, type NatsConnection } from '@md/nats-bus';

/** how far before the last stored message the newest vendor time is looked for, ms */
export const RESUME_LOOKBACK_MS = 3000;
/** at most this many messages are read for one subject's resume point */
export const RESUME_MAX_MESSAGES = 500_000;
const NS_PER_MS = 1_000_000n;

/** the resume point of `subject` in `stream` (null: nothing stored on it) */
export async function resumePointOf(nc: NatsConnection, subject: string, stream: string = STREAM_NAME): Promise<ResumePoint | null> {
  const last = await lastMessageOn(nc, stream, subject);
  if (last === null) return null;
  const first = decode(subject, last.data);
  const best: Newest = { ns: first.ts_event_ns, ids: last.msgId ? [last.msgId] : [], event: first, timeMs: last.timeMs };
  for await (const m of storedMessagesSince(nc, stream, subject, last.timeMs - RESUME_LOOKBACK_MS, { max: RESUME_MAX_MESSAGES })) {
    // stored after the lookup began: this instance's own live events (its sockets connect meanwhile), not the resume point
    if (m.seq > last.seq) break;
    const event = decode(subject, m.data);
    const ns = event.ts_event_ns;
    const [ms, bestMs] = [ns / NS_PER_MS, best.ns / NS_PER_MS];
    if (ms > bestMs) Object.assign(best, { ns, ids: m.msgId ? [m.msgId] : [], event, timeMs: m.timeMs });
    else if (ms === bestMs) {
      if (m.msgId && !best.ids.includes(m.msgId)) best.ids.push(m.msgId);
      if (ns > best.ns) Object.assign(best, { ns, event, timeMs: m.timeMs });
    }
  }
  const price = subject === SUBJECTS.stockTrades ? ((best.event as { price?: number }).price ?? null) : undefined;
  return { tsEventNs: best.ns, timeMs: best.timeMs, ids: best.ids, ...(price === undefined ? {} : { price }) };
}

interface Newest {
  ns: bigint;
  ids: string[];
  event: MarketEvent;
  timeMs: number;
}
