/**
 * Resume: where did an interrupted replay stop? The publisher sends one replay's events over one connection in
 * a deterministic order, and the stream stores a connection's messages in order, so what an interrupted run
 * stored is a prefix of the replay's event sequence. Its end is the newest stored message (highest stream
 * sequence) among the last message of each replayed subject whose message id names one of this replay's files.
 * The restarted replay skips every event up to and including that message id (Replayer's resumeAfterMsgId) and
 * continues; what was sent but not confirmed before the interruption is sent again and dropped by the duplicate
 * window if it was stored.
 *
 * The last message per subject is @md/nats-bus's lastMessageOn (`$JS.API.STREAM.MSG.GET` with `last_by_subj`,
 * nats-server 2.9; a failed lookup is its MessageLookupError), the file an id names @md/dbn-reader's
 * parseDbnMsgId.
 */
import { parseDbnMsgId } from '@md/dbn-reader';
import { SUBJECTS } from '@md/event-types';
import { lastMessageOn, type NatsConnection } from '@md/nats-bus';
import type { ReplayPlan } from './plan.js';
import type { ReplaySource } from './source.js';
import type { ReplayKind } from './stats.js';

export interface ResumePoint {
  msgId: string;
  seq: number;
  subject: string;
}

/** the subject each replayed kind is published on */
export const SUBJECT_OF_KIND: Readonly<Record<ReplayKind, string>> = Object.freeze({
  trades: SUBJECTS.futuresTrades,
  stockTrades: SUBJECTS.stockTrades,
  options: SUBJECTS.optionTrades,
  stockQuotes: SUBJECTS.stockQuotes,
  mbp10: SUBJECTS.futuresMbp10,
});

/**
 * The resume point of a replay of `files` (base names) on `subjects`: the newest stored message among the last
 * message of each subject, if its message id names one of the files; null when the stream holds nothing of it.
 */
export async function findResumePoint(
  nc: NatsConnection,
  stream: string,
  subjects: string[],
  files: string[] | ((msgId: string) => boolean | Promise<boolean>),
): Promise<ResumePoint | null> {
  const names = Array.isArray(files) ? new Set(files) : null;
  const ours = async (id: string): Promise<boolean> => {
    if (!Array.isArray(files)) return files(id);
    const f = parseDbnMsgId(id)?.file;
    return f !== undefined && !!names?.has(f);
  };
  let best: ResumePoint | null = null;
  for (const subject of subjects) {
    const m = await lastMessageOn(nc, stream, subject);
    if (!m || !m.msgId) continue;
    if (!(await ours(m.msgId))) continue;
    if (!best || m.seq > best.seq) best = { msgId: m.msgId, seq: m.seq, subject: m.subject };
  }
  return best;
}

/** findResumePoint for a plan: the subjects of the kinds it reads, the files of its dates */
export async function findResumePointFor(
  nc: NatsConnection,
  stream: string,
  plan: ReplayPlan,
  source: ReplaySource,
): Promise<ResumePoint | null> {
  const subjects = [...new Set(Object.values(plan.perDate).flat())].map((k) => SUBJECT_OF_KIND[k]);
  if (source.ownsMsgId) return findResumePoint(nc, stream, subjects, (id) => source.ownsMsgId!(id, plan.dates));
  const files = (await Promise.all(plan.dates.map((d) => source.fileNames(d)))).flat();
  return findResumePoint(nc, stream, subjects, files);
}
