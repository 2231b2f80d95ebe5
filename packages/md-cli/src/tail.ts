/**
 * `md tail`: the stream's events through @md/nats-bus's consumeEvents (an ordered consumer; decoded and
 * validated by @md/event-types, ts_event_ns an exact bigint), printed as JSON lines or --pretty lines.
 * Start: with --since, the stream's first message (events before the time are skipped: the stream is ordered
 * by arrival, not by event time); otherwise the last --last N (default 10) stored events. --no-follow ends at
 * the last message stored when the command started.
 */
import { LIVE_GAPS_SUBJECT, REPLAY_STATUS_SUBJECT } from '@md/event-types';
import { consumeEvents, subjectMatches, type ConsumeDecodeError, type NatsConnection } from '@md/nats-bus';
import { checkPatternsInStream, endSeq, manager, startOfLast, streamInfo } from './bus.js';
import { jsonLine, prettyLine } from './format.js';
import type { LineWriter } from './out.js';

export interface TailOptions {
  stream: string;
  subjects: string[];
  /** earliest ts_event_ns shown (null: all) */
  since: bigint | null;
  last: number;
  limit: number | null;
  follow: boolean;
  pretty: boolean;
  /** --no-follow: give up when no message arrives for this long before the end (ms; default 10 s) */
  idleTimeoutMs?: number;
}

export interface TailResult {
  printed: number;
  skippedBeforeSince: number;
  undecodable: number;
  /** --no-follow stopped before the end: no message for idleTimeoutMs */
  timedOut: boolean;
}

export interface TailHandle {
  done: Promise<TailResult>;
  stop(): Promise<void>;
}

const coreHint = (p: string) =>
  [LIVE_GAPS_SUBJECT, REPLAY_STATUS_SUBJECT].some((s) => subjectMatches(p, s) || p === s)
    ? `: ${p} is published on core NATS only (\`nats sub ${p}\` shows it live; \`md audit\` reads gap announcements from a stream that stores ${LIVE_GAPS_SUBJECT})`
    : '';

export function tail(nc: NatsConnection, o: TailOptions, out: LineWriter, warn: (m: string) => void): TailHandle {
  let stopRequested = false;
  let consumer: ReturnType<typeof consumeEvents> | null = null;
  const done = (async (): Promise<TailResult> => {
    const r: TailResult = { printed: 0, skippedBeforeSince: 0, undecodable: 0, timedOut: false };
    const jsm = await manager(nc);
    const info = await streamInfo(jsm, o.stream);
    checkPatternsInStream(info, o.subjects, coreHint);
    const end = o.follow ? Infinity : await endSeq(nc, info, o.subjects);
    const start = o.since !== null ? Math.max(1, info.state.first_seq) : Math.max(1, await startOfLast(jsm, info, o.subjects, o.last));
    if (!o.follow && (end === 0 || start > end)) return r;
    if (stopRequested) return r;
    const c = consumeEvents(nc, {
      stream: o.stream,
      subjects: o.subjects,
      startSeq: start,
      onInvalid: (e: ConsumeDecodeError) => {
        r.undecodable++;
        warn(
          `stream ${o.stream} seq ${e.streamSeq} subject ${e.subject}: not a valid event, skipped: ${(e.cause as Error)?.message ?? e.message}`,
        );
        seen(e.streamSeq);
      },
    });
    consumer = c;
    // --no-follow: give up when nothing arrives for idleTimeoutMs before the end (one interval, not a timer per event)
    const idleMs = o.idleTimeoutMs ?? 10_000;
    let lastAt = performance.now();
    const timer = o.follow
      ? undefined
      : setInterval(
          () => {
            if (performance.now() - lastAt < idleMs) return;
            r.timedOut = true;
            void c.stop();
          },
          Math.min(1000, idleMs),
        );
    const arm = () => {
      lastAt = performance.now();
    };
    function seen(seq: number) {
      arm();
      if (seq >= end) void c.stop();
    }
    try {
      for await (const ev of c) {
        arm();
        if (o.since !== null && ev.event.ts_event_ns < o.since) r.skippedBeforeSince++;
        else {
          await out.line(o.pretty ? prettyLine(ev.streamSeq, ev.subject, ev.event) : jsonLine(ev.streamSeq, ev.subject, ev.msgId, ev.data));
          r.printed++;
          if (o.limit !== null && r.printed >= o.limit) break;
        }
        if (ev.streamSeq >= end) break;
      }
    } finally {
      clearInterval(timer);
      await c.stop();
      await out.flush();
    }
    return r;
  })();
  return {
    done,
    async stop() {
      stopRequested = true;
      await consumer?.stop();
    },
  };
}
