/**
 * The replay itself: per date, the included DBN streams (trades, options, MBP-10: that is also the tie order)
 * are merged by time with a bounded reorder window (@md/stream-merge), paced by a replay clock when speed > 0,
 * and handed to an EventSink (JetStream publisher, stdout, or a sink of your own). The seed's interface:
 * replayDate() and replayContinuous(), both returning ReplayStats. Every option left out takes REPLAY_DEFAULTS.
 */
import type { EncodedBatch, Publishable } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import { ReplayClock } from '@md/stream-merge';
import { REPLAY_DEFAULTS, type IncludeKinds, type ReplayOrder } from './defaults.js';
import { ResumePointNotFoundError } from './errors.js';
import { isRowSink, replayEncoded, type RowSink } from './fast-lane.js';
import type { LaneEnv, LaneState } from './lane.js';
import { describeEvent, dateOfMsgId } from './msg-id.js';
import { replayObjects } from './object-lane.js';
import type { ReplaySource } from './source.js';
import { emptyStats, finishStats, isoNs, KINDS, type Position, type ReplayKind, type ReplayStats } from './stats.js';
import { DAY_NS, dayStartNs } from './time.js';

/** how a replay runs (where from and where to aside); every field defaults to REPLAY_DEFAULTS */
export interface ReplayTuning {
  /** 0 = as fast as possible, 1 = real time */
  speed?: number;
  /** idle gap cap in ms of wall time (0: none) */
  maxGapMs?: number;
  reorderWindowNs?: bigint;
  order?: ReplayOrder;
  /** skip every event up to and including this message id (resume after an interrupted run) */
  resumeAfterMsgId?: string | null;
  /** called every `progressEvery` events */
  onProgress?: (stats: ReplayStats, wallMs: number, pos: Position) => void;
  progressEvery?: number;
  log?: (msg: string) => void;
  /**
   * when stopped by stop(): wait at most this long, counted from the stop() call, for outstanding
   * confirmations (reconnects included); what is unconfirmed then is counted in `stats.unconfirmed`
   */
  shutdownTimeoutMs?: number;
  /**
   * the fast lane (default true): a date whose every kind the source gives as EncodedBatches
   * (ReplaySource.encodedBatches) into a sink with tryPublishRow / publishRow is replayed without an object or a
   * promise per event, with the same bytes, order and statistics; false: always the object path
   */
  fastPath?: boolean;
}

export interface ReplayerOptions extends ReplayTuning {
  source: ReplaySource;
  sink: EventSink;
}

export class Replayer {
  private stopRequested = false;
  /** performance.now() of the stop() call: the shutdown timeout runs from it */
  private stopAt = 0;
  /** resolves the wait in progress with 'stop' (never a long-lived promise raced again and again: that leaks) */
  private stopWake: (() => void) | null = null;
  private clock: ReplayClock | null = null;
  private readonly speed: number;
  /** the replay in progress (live counters, position), for a progress display driven by a timer */
  current: { stats: ReplayStats; pos: Position; t0: number } | null = null;

  constructor(private readonly o: ReplayerOptions) {
    const speed = o.speed ?? REPLAY_DEFAULTS.speed;
    if (!(speed >= 0) || !Number.isFinite(speed)) throw new RangeError(`speed must be a finite number >= 0, got ${speed}`);
    this.speed = speed;
  }

  /** `p`, or 'stop' as soon as stop() is called */
  private orStop<T>(p: Promise<T>): Promise<T | 'stop'> {
    if (this.stopRequested) return Promise.resolve('stop');
    return new Promise<T | 'stop'>((resolve, reject) => {
      this.stopWake = () => resolve('stop');
      p.then(
        (v) => {
          this.stopWake = null;
          resolve(v);
        },
        (e: unknown) => {
          this.stopWake = null;
          reject(e);
        },
      );
    });
  }

  /** stop reading: the running replay ends after the event being handed over; its promise resolves with stopped=true */
  stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.stopAt = performance.now();
    this.stopWake?.();
  }

  /** the replay clock (speed > 0): pause(), resume(), setSpeed(), stats() */
  get replayClock(): ReplayClock | null {
    return this.clock;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  /** The seed's replay_date(date, start, end, include trades/mbp10/options). Times are Unix ns. */
  async replayDate(
    date: string,
    start?: bigint | null,
    end?: bigint | null,
    kinds: IncludeKinds | readonly ReplayKind[] = REPLAY_DEFAULTS.include,
  ): Promise<ReplayStats> {
    return this.run([{ date, start: start ?? null, end: end ?? null, kinds: Array.isArray(kinds) ? kinds : null }], kinds);
  }

  /** The seed's replay_continuous(dates?): every available date (or the given ones) in order, one clock throughout. */
  async replayContinuous(
    dates?: string[] | null,
    kinds: IncludeKinds = REPLAY_DEFAULTS.include,
    window: {
      start?: (date: string) => bigint | null;
      end?: (date: string) => bigint | null;
      /** the kinds to read per date (a plan's perDate): what each date has, so a missing kind is never read */
      perDate?: Readonly<Record<string, readonly ReplayKind[]>>;
    } = {},
  ): Promise<ReplayStats> {
    const list = dates && dates.length ? [...dates].sort() : await this.o.source.availableDates();
    return this.run(
      list.map((date) => ({
        date,
        start: window.start?.(date) ?? null,
        end: window.end?.(date) ?? null,
        kinds: window.perDate?.[date] ?? null,
      })),
      kinds,
    );
  }

  /** the date's inputs for the fast lane, or null when it cannot take it (option, sink, or a kind the source has no EncodedBatches of) */
  private encodedInputs(
    included: readonly ReplayKind[],
    date: string,
    range: { start?: bigint; end?: bigint },
    stats: ReplayStats,
  ): { inputs: AsyncIterable<EncodedBatch>[]; sink: RowSink } | null {
    const { source, sink } = this.o;
    if (this.o.fastPath === false || !isRowSink(sink) || typeof source.encodedBatches !== 'function') return null;
    const order = this.o.order ?? REPLAY_DEFAULTS.order;
    // an event the codec refuses: counted and named as the object lane does when publish() refuses it
    const onRefused = (msgId: string, message: string) => {
      stats.invalid++;
      if (stats.invalid <= 10) this.o.log?.(`warning: ${describeEvent(msgId)} not published, the codec refuses it: ${message}`);
    };
    const inputs: AsyncIterable<EncodedBatch>[] = [];
    for (const k of included) {
      const x = source.encodedBatches(k, date, range, { order, onRefused });
      if (x === null) return null;
      inputs.push(x);
    }
    return { inputs, sink };
  }

  private async run(
    days: { date: string; start: bigint | null; end: bigint | null; kinds: readonly ReplayKind[] | null }[],
    kindsArg: IncludeKinds | readonly ReplayKind[],
  ): Promise<ReplayStats> {
    const kinds: Partial<IncludeKinds> = Array.isArray(kindsArg) ? {} : (kindsArg as IncludeKinds);
    const o = this.o;
    const stats = emptyStats();
    const t0 = performance.now();
    const keyOf: (p: Publishable) => bigint =
      (o.order ?? REPLAY_DEFAULTS.order) === 'ts_recv'
        ? (p) => (p.event as { ts_recv_ns: bigint }).ts_recv_ns
        : (p) => (p.event as { ts_event_ns: bigint }).ts_event_ns;
    if (this.speed > 0 && !this.clock) {
      const maxGapMs = o.maxGapMs ?? REPLAY_DEFAULTS.maxGapMs;
      this.clock = new ReplayClock({ speed: this.speed, maxGapMs: maxGapMs === 0 ? Infinity : maxGapMs });
    }
    const clock = this.clock;
    const every = o.progressEvery ?? REPLAY_DEFAULTS.progressEvery;
    const reorderWindowNs = o.reorderWindowNs ?? REPLAY_DEFAULTS.reorderWindowNs;
    const resumeId = o.resumeAfterMsgId ?? null;
    const resumeDate = resumeId ? (o.source.dateOfMsgId ? o.source.dateOfMsgId(resumeId) : dateOfMsgId(resumeId)) : null;
    const sink = o.sink;
    const lane: LaneState = { stats, pos: { nowNs: null, fromNs: 0n, toNs: 0n }, t0, resumeId, minTs: null, maxTs: null, blocked: null };
    const env: LaneEnv = {
      sink,
      clock,
      every,
      onProgress: o.onProgress,
      log: o.log,
      reorderWindowNs,
      orStop: (p) => this.orStop(p),
      stopped: () => this.stopRequested,
    };

    for (const day of days) {
      if (this.stopRequested) break;
      if (lane.resumeId && resumeDate && day.date < resumeDate) {
        o.log?.(`resume: ${day.date} is before the resume point (${resumeDate}): skipped`);
        continue;
      }
      // the kinds this date has: a date missing one replays the others (a plan's perDate, or asked of the source)
      const included: ReplayKind[] = [];
      if (day.kinds) included.push(...KINDS.filter((k) => day.kinds?.includes(k)));
      else {
        const missing: ReplayKind[] = [];
        for (const k of KINDS) {
          const want = kinds[k] ?? REPLAY_DEFAULTS.include[k];
          if (want === false) continue;
          if (!(await o.source.has(k, day.date))) {
            if (want === true) missing.push(k);
            continue;
          }
          included.push(k);
        }
        if (missing.length) o.log?.(`warning: ${day.date}: no ${missing.join(', no ')} file: replaying without it`);
      }
      stats.dates.push(day.date);
      if (included.length === 0) continue;
      const range = { start: day.start ?? undefined, end: day.end ?? undefined };
      const pos: Position = { nowNs: null, fromNs: day.start ?? dayStartNs(day.date), toNs: day.end ?? dayStartNs(day.date) + DAY_NS };
      this.current = { stats, pos, t0 };
      o.log?.(
        `replaying ${day.date}: ${included.join(' + ')}${day.start !== null || day.end !== null ? ` [${day.start === null ? '-' : isoNs(day.start)}, ${day.end === null ? '-' : isoNs(day.end)})` : ''}`,
      );
      lane.pos = pos;
      const encoded = this.encodedInputs(included, day.date, range, stats);
      if (encoded) await replayEncoded(env, lane, encoded.inputs, encoded.sink);
      else
        await replayObjects(
          env,
          lane,
          included.map((k) => o.source.batches(k, day.date, range)),
          keyOf,
        );
    }
    if (stats.invalid > 10) o.log?.(`warning: ${stats.invalid} events in all were refused by the codec and not published`);
    if (lane.resumeId && !this.stopRequested) throw new ResumePointNotFoundError(lane.resumeId);
    // the wall time includes the confirmations: an event counts once it is stored
    const timeoutMs = o.shutdownTimeoutMs ?? REPLAY_DEFAULTS.shutdownTimeoutMs;
    try {
      await (sink.flush as (timeoutMs?: number) => Promise<void>).call(
        sink,
        this.stopRequested ? Math.max(1, this.stopAt + timeoutMs - performance.now()) : undefined,
      );
    } catch (e) {
      stats.error = (e as Error).message;
    }
    // the blocked publish's settlement (rejected by the flush's give-up) is seen
    if (lane.blocked?.settled === 'no') await new Promise((r) => setImmediate(r));
    stats.sink = sink.stats;
    stats.unconfirmed = stats.sink.failed + stats.sink.pending + (lane.blocked?.settled === 'rejected' ? 1 : 0);
    stats.peakRssBytes = process.resourceUsage().maxRSS * 1024;
    if (clock) {
      const l = clock.stats().lateness;
      stats.lateness = { p50Ms: l.p50, p99Ms: l.p99, maxMs: l.max, count: l.count };
    }
    stats.firstEventNs = lane.minTs;
    stats.lastEventNs = lane.maxTs;
    stats.stopped = this.stopRequested;
    return finishStats(stats, performance.now() - t0);
  }
}
