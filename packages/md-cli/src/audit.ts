/**
 * `md audit`: one pass over a stream (or the subjects given) with @md/nats-bus's consumeEvents (an ordered
 * consumer: nothing stored on the server, flow-controlled pulls), up to its last message at the start.
 * Memory is bounded except for the set of message ids seen (IdSet: 23 to 46 bytes per id, see id-set.ts). Duplicates: one Nats-Msg-Id stored more than once. Order breaks: ts_event_ns lower than the previous event
 * of the same subject, in stream order; a break by a REST-backfilled event (`*_rest`) inside an announced gap
 * window of its subject is expected (docs/gap-free-live.md section 5) and counted apart.
 */
import { LIVE_GAPS_SUBJECT, MSG_ID_HEADER, tryLookup } from '@md/event-types';
import { consumeEvents, type ConsumeDecodeError, type NatsConnection } from '@md/nats-bus';
import { endSeq, manager, MdError, streamInfo, checkPatternsInStream } from './bus.js';
import { readGaps, type GapReport, type GapWindow } from './gaps.js';
import { IdSet } from './id-set.js';

export interface SubjectStats {
  subject: string;
  events: number;
  undecodable: number;
  first_seq: number;
  last_seq: number;
  /** ts_event_ns of the first and last event in stream order, the lowest and highest seen */
  first_ns: bigint | null;
  last_ns: bigint | null;
  min_ns: bigint | null;
  max_ns: bigint | null;
  order_breaks: number;
  /** order breaks by backfilled events inside an announced gap window (expected) */
  backfill_breaks: number;
}

export interface OrderBreak {
  subject: string;
  seq: number;
  ts_event_ns: bigint;
  prev_seq: number;
  prev_ts_event_ns: bigint;
}

export interface AuditReport {
  stream: string;
  subjects: string[];
  /** the stream sequences read: first..end (end: the last message on the subjects at the start) */
  first_seq: number;
  end_seq: number;
  messages: number;
  complete: boolean;
  elapsed_ms: number;
  per_subject: SubjectStats[];
  /** messages on subjects outside the contract (not market events): counted, not checked */
  other_subjects: Record<string, number>;
  distinct_ids: number;
  /** bytes of the id table at the end */
  id_table_bytes: number;
  without_id: number;
  /** extra copies: a message id stored k times adds k - 1 */
  duplicates: number;
  duplicate_examples: { msg_id: string; subject: string; first_seq: number; seq: number }[];
  order_breaks: number;
  order_break_examples: OrderBreak[];
  backfill_breaks: number;
  undecodable: number;
  undecodable_examples: { seq: number; subject: string; error: string }[];
  gaps: GapReport;
}

export interface AuditOptions {
  stream: string;
  subjects: string[];
  /** examples listed per kind (default 5) */
  examples?: number;
  /** fail when no message comes for this long before the end (ms, default 10 s) */
  idleTimeoutMs?: number;
  /** progress, every few seconds */
  progress?: (read: number, seq: number, end: number) => void;
  signal?: AbortSignal;
}

/** true when the report has what makes `md audit` exit 3 */
export const hasFindings = (r: AuditReport) => r.duplicates > 0 || r.order_breaks > 0 || r.undecodable > 0;

function inGap(gaps: readonly GapWindow[], subject: string, ts: bigint): boolean {
  return gaps.some((g) => g.subject === subject && g.from_ns <= ts && ts < g.to_ns);
}

export async function audit(nc: NatsConnection, o: AuditOptions): Promise<AuditReport> {
  const t0 = performance.now();
  const examples = o.examples ?? 5;
  const idleMs = o.idleTimeoutMs ?? 10_000;
  const jsm = await manager(nc);
  const info = await streamInfo(jsm, o.stream);
  checkPatternsInStream(info, o.subjects);
  const gaps = await readGaps(nc, jsm, idleMs);
  const end = await endSeq(nc, info, o.subjects);
  const first = Math.max(1, info.state.first_seq);
  const rep: AuditReport = {
    stream: o.stream,
    subjects: o.subjects,
    first_seq: first,
    end_seq: end,
    messages: 0,
    complete: true,
    elapsed_ms: 0,
    per_subject: [],
    other_subjects: {},
    distinct_ids: 0,
    id_table_bytes: 0,
    without_id: 0,
    duplicates: 0,
    duplicate_examples: [],
    order_breaks: 0,
    order_break_examples: [],
    backfill_breaks: 0,
    undecodable: 0,
    undecodable_examples: [],
    gaps,
  };
  const stats = new Map<string, SubjectStats & { prev_seq?: number }>();
  const statsOf = (subject: string, seq: number) => {
    let s = stats.get(subject);
    if (!s) {
      s = {
        subject,
        events: 0,
        undecodable: 0,
        first_seq: seq,
        last_seq: seq,
        first_ns: null,
        last_ns: null,
        min_ns: null,
        max_ns: null,
        order_breaks: 0,
        backfill_breaks: 0,
      };
      stats.set(subject, s);
    }
    s.last_seq = seq;
    return s;
  };
  const ids = new IdSet();
  const idAt = async (seq: number): Promise<string | null> => {
    const m = await jsm.streams.getMessage(o.stream, { seq });
    return m === null ? null : m.header.get(MSG_ID_HEADER);
  };
  const gapWindows = gaps.all;

  if (end >= first) {
    let timer: ReturnType<typeof setInterval> | undefined;
    let lastProgress = performance.now();
    const c = consumeEvents(nc, {
      stream: o.stream,
      subjects: o.subjects,
      startSeq: first,
      onInvalid: (e: ConsumeDecodeError) => {
        seen(e.streamSeq);
        if (e.subject === LIVE_GAPS_SUBJECT || tryLookup(e.subject) === undefined) {
          rep.other_subjects[e.subject] = (rep.other_subjects[e.subject] ?? 0) + 1;
          return;
        }
        statsOf(e.subject, e.streamSeq).undecodable++;
        rep.undecodable++;
        if (rep.undecodable_examples.length < examples)
          rep.undecodable_examples.push({ seq: e.streamSeq, subject: e.subject, error: (e.cause as Error)?.message ?? e.message });
      },
    });
    let lastAt = performance.now();
    const arm = () => {
      clearInterval(timer);
      timer = setInterval(
        () => {
          if (performance.now() - lastAt < idleMs) return;
          rep.complete = false;
          void c.stop();
        },
        Math.min(1000, idleMs),
      );
    };
    function seen(seq: number) {
      rep.messages++;
      lastAt = performance.now();
      if (o.progress && performance.now() - lastProgress > 5000) {
        lastProgress = performance.now();
        o.progress(rep.messages, seq, end);
      }
      if (seq >= end) void c.stop();
    }
    const onAbort = () => void c.stop();
    o.signal?.addEventListener('abort', onAbort);
    arm();
    let lastSeq = 0;
    try {
      for await (const ev of c) {
        lastSeq = ev.streamSeq;
        seen(ev.streamSeq);
        const ts = ev.event.ts_event_ns;
        const s = statsOf(ev.subject, ev.streamSeq);
        s.events++;
        if (s.last_ns !== null && ts < s.last_ns) {
          if (ev.event.source.endsWith('_rest') && inGap(gapWindows, ev.subject, ts)) {
            s.backfill_breaks++;
            rep.backfill_breaks++;
          } else {
            s.order_breaks++;
            rep.order_breaks++;
            if (rep.order_break_examples.length < examples)
              rep.order_break_examples.push({
                subject: ev.subject,
                seq: ev.streamSeq,
                ts_event_ns: ts,
                prev_seq: s.prev_seq ?? 0,
                prev_ts_event_ns: s.last_ns,
              });
          }
        }
        if (s.first_ns === null) s.first_ns = ts;
        s.last_ns = ts;
        s.prev_seq = ev.streamSeq;
        if (s.min_ns === null || ts < s.min_ns) s.min_ns = ts;
        if (s.max_ns === null || ts > s.max_ns) s.max_ns = ts;
        if (ev.msgId === undefined) rep.without_id++;
        else {
          const id = ev.msgId;
          const firstSeq = ids.add(id, ev.streamSeq);
          // a candidate: the message at firstSeq has this id (gone from the stream: the 64-bit hash decides)
          if (firstSeq !== 0 && ids.confirm(id, ev.streamSeq, ((await idAt(firstSeq)) ?? id) === id)) {
            rep.duplicates++;
            if (rep.duplicate_examples.length < examples)
              rep.duplicate_examples.push({ msg_id: ev.msgId, subject: ev.subject, first_seq: firstSeq, seq: ev.streamSeq });
          }
        }
        if (ev.streamSeq >= end) break;
      }
    } finally {
      clearInterval(timer);
      o.signal?.removeEventListener('abort', onAbort);
      await c.stop();
    }
    if (o.signal?.aborted) rep.complete = false;
    if (!rep.complete && !o.signal?.aborted)
      throw new MdError(
        `stream ${o.stream}: no message for ${idleMs} ms after seq ${lastSeq} (${rep.messages} read, expected up to seq ${end}); --idle-timeout`,
      );
  }
  rep.distinct_ids = ids.size;
  rep.id_table_bytes = ids.bytes;
  rep.per_subject = [...stats.values()].sort((a, b) => a.subject.localeCompare(b.subject)).map(({ prev_seq: _p, ...s }) => s);
  rep.elapsed_ms = Math.round(performance.now() - t0);
  return rep;
}
