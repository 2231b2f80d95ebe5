/**
 * The replay's metrics as data: what a program serving Prometheus metrics of a Replayer reads from its live
 * statistics when scraped (the replay-publisher registers each with @md/app-kit's `scraped`), and the subjects a
 * plan publishes on. No metrics library here: a spec is plain data.
 */
import type { ReplayPlan } from './plan.js';
import type { Replayer } from './replayer.js';
import { SUBJECT_OF_KIND } from './resume.js';
import type { ReplayStats } from './stats.js';

/** a metric without labels read when scraped (@md/app-kit's ScrapedSpec) */
export interface ReplayMetricSpec {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: () => number;
}

/** what the replay metrics read, set by the program as the replay goes (read when scraped) */
export interface ReplayProgress {
  /** the running replayer (null before the replay starts) */
  replayer: Replayer | null;
  /** the final statistics once the replay ended */
  final: ReplayStats | null;
  /** the dates the replay covers */
  datesTotal: number;
  /** the --speed asked for */
  targetSpeed: number;
}

/**
 * md_replay_events_total, md_replay_skipped_events_total, md_replay_invalid_events_total, md_replay_late_events_total,
 * md_replay_event_time_seconds, md_replay_dates, md_replay_dates_done, md_replay_speed_ratio,
 * md_replay_target_speed_ratio, md_replay_finished: read from `p` when scraped.
 */
export function replayMetricSpecs(p: Readonly<ReplayProgress>): ReplayMetricSpec[] {
  const out: ReplayMetricSpec[] = [];
  const cur = () => p.final ?? p.replayer?.current?.stats ?? null;
  const n = (name: string, help: string, read: (s: ReplayStats) => number) =>
    void out.push({ name, help, type: 'counter', value: () => ((s) => (s ? read(s) : 0))(cur()) });
  const g = (name: string, help: string, read: () => number) => void out.push({ name, help, type: 'gauge', value: read });
  n('md_replay_events_total', 'events of the replay handed to the sink (the summary\'s "events")', (s) => s.events);
  n('md_replay_skipped_events_total', 'events skipped by --resume (already in the stream)', (s) => s.skipped);
  n('md_replay_invalid_events_total', "events the contract's codec refused (not published)", (s) => s.invalid);
  n('md_replay_late_events_total', 'events later than the reorder window allowed (published out of order)', (s) => s.late);
  g('md_replay_event_time_seconds', 'ts_event of the event being replayed (Unix seconds; 0 before the first)', () => {
    const ns = p.final ? p.final.lastEventNs : (p.replayer?.current?.pos.nowNs ?? null);
    return ns === null ? 0 : Number(ns / 1_000_000n) / 1000;
  });
  g('md_replay_dates', 'dates this replay covers', () => p.datesTotal);
  g('md_replay_dates_done', 'dates replayed to their end', () => {
    const s = cur();
    if (!s) return 0;
    return p.final && !p.final.stopped ? s.dates.length : Math.max(0, s.dates.length - 1);
  });
  g('md_replay_speed_ratio', 'achieved speed: event time covered / wall time (the summary\'s "achieved speed")', () => {
    if (p.final) return p.final.achievedSpeed;
    const c = p.replayer?.current;
    if (!c || c.stats.firstEventNs === null || c.pos.nowNs === null) return 0;
    const wallMs = performance.now() - c.t0;
    return wallMs > 0 ? Number((c.pos.nowNs - c.stats.firstEventNs) / 1000n) / 1000 / wallMs : 0;
  });
  g('md_replay_target_speed_ratio', 'the --speed asked for (0: as fast as possible)', () => p.targetSpeed);
  g('md_replay_finished', '1 once the replay ended (finished, stopped or failed)', () => (p.final ? 1 : 0));
  return out;
}

/** the subjects a replay of `plan` publishes on */
export function replaySubjects(plan: ReplayPlan): string[] {
  return [...new Set(Object.values(plan.perDate).flat())].map((k) => SUBJECT_OF_KIND[k]);
}
