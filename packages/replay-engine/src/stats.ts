/** ReplayStats, the progress line / bar, the final table, and bigint-safe JSON for the status messages. */
import type { SinkStats } from '@md/nats-bus';

/**
 * What a replay reads: futures trades, stock trades, option trades, stock quotes, MBP-10 books (the stock kinds
 * come from a Bronze lake only; the others from DBN files or Bronze).
 */
export type ReplayKind = 'trades' | 'stockTrades' | 'options' | 'stockQuotes' | 'mbp10';
/**
 * tie order of the merge (input priority): trades before quotes and books, as in the system this replaces
 * (futures trades, option trades, MBP-10): futures trades, stock trades, option trades, stock quotes, MBP-10
 */
export const KINDS: readonly ReplayKind[] = ['trades', 'stockTrades', 'options', 'stockQuotes', 'mbp10'];

export interface ReplayStats {
  /** events handed to the sink */
  events: number;
  perKind: Record<ReplayKind, number>;
  /** events skipped by --resume (already in the stream) */
  skipped: number;
  /** events the contract's codec refused (not published; each named in a warning) */
  invalid: number;
  /** events that arrived later than the reorder window allowed (published anyway, out of order) */
  late: number;
  /** ts_event of the first / last published event (Unix ns) */
  firstEventNs: bigint | null;
  lastEventNs: bigint | null;
  /** event time covered: last - first */
  eventSpanNs: bigint;
  wallMs: number;
  /** event time span / wall time (Infinity-safe: 0 when nothing was published) */
  achievedSpeed: number;
  eventsPerSec: number;
  dates: string[];
  /** true when stopped before the end (signal) */
  stopped: boolean;
  /** the sink's counters at the end */
  sink: SinkStats | null;
  /** the process's peak resident set size so far (bytes) */
  peakRssBytes?: number;
  /** speed > 0: how late publishes were against their schedule */
  lateness?: { p50Ms: number; p99Ms: number; maxMs: number; count: number };
  /** the final flush failed (events not confirmed): its message */
  error?: string;
  /**
   * events handed to the sink and not confirmed stored at the end: given up at the shutdown timeout, refused
   * or failed (the sink's `failed` + `pending`), plus a publish() still waiting for room when it was rejected
   */
  unconfirmed?: number;
  /**
   * how many of the confirmed events the stream stored new and how many it held already, from the stream's state
   * before and after the run (set by the caller that can read the stream; see StoredSummary)
   */
  stored?: StoredSummary;
}

/**
 * The stream's own account of a run (@md/app-kit's StoredCounts has this shape): exact when the stream's
 * sequence and the per-subject counts of the replay's subjects moved alike (nothing else written, nothing
 * removed) and this run was the only publisher of those subjects; else a range [new, newMax] and why.
 */
export interface StoredSummary {
  new: number;
  newMax: number;
  /** confirmed - new (the upper bound when not exact) */
  duplicates: number;
  duplicatesMin: number;
  exact: boolean;
  note: string | null;
  perSubject?: Record<string, number>;
}

/** `470,000 / 0 (exact)`: stored new / already in the stream */
export function storedText(s: StoredSummary): string {
  if (s.exact) return `${fmtInt(s.new)} / ${fmtInt(s.duplicates)} (exact)${s.note ? `; ${s.note}` : ''}`;
  return `${fmtInt(s.new)}..${fmtInt(s.newMax)} / ${fmtInt(s.duplicatesMin)}..${fmtInt(s.duplicates)} (not exact: ${s.note ?? 'unknown'})`;
}

export function emptyStats(): ReplayStats {
  return {
    events: 0,
    perKind: { trades: 0, stockTrades: 0, options: 0, stockQuotes: 0, mbp10: 0 },
    skipped: 0,
    invalid: 0,
    late: 0,
    firstEventNs: null,
    lastEventNs: null,
    eventSpanNs: 0n,
    wallMs: 0,
    achievedSpeed: 0,
    eventsPerSec: 0,
    dates: [],
    stopped: false,
    sink: null,
  };
}

/** fill the derived fields from events/first/last and the wall time */
export function finishStats(s: ReplayStats, wallMs: number): ReplayStats {
  s.wallMs = wallMs;
  s.eventSpanNs = s.firstEventNs !== null && s.lastEventNs !== null ? s.lastEventNs - s.firstEventNs : 0n;
  s.eventsPerSec = wallMs > 0 ? (s.events * 1000) / wallMs : 0;
  s.achievedSpeed = wallMs > 0 ? Number(s.eventSpanNs / 1000n) / 1000 / wallMs : 0;
  return s;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Unix ns -> 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ' (exact) */
export function isoNs(ns: bigint | null): string {
  if (ns === null) return '-';
  const ms = ns / 1_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${frac}Z`;
}

/** Unix ns -> 'HH:MM:SS.mmm' UTC */
export function timeOfDay(ns: bigint | null): string {
  if (ns === null) return '--:--:--';
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(11, 23);
}

export function fmtDuration(ns: bigint): string {
  const s = Number(ns / 1_000_000n) / 1000;
  if (s < 120) return `${s.toFixed(3)} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}h${String(m).padStart(2, '0')}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

export interface Position {
  /** ts of the current event */
  nowNs: bigint | null;
  /** the span being replayed (day or --start/--end window), for a percentage */
  fromNs: bigint;
  toNs: bigint;
}

function pct(p: Position): number {
  if (p.nowNs === null || p.toNs <= p.fromNs) return 0;
  const x = Number(((p.nowNs - p.fromNs) * 10000n) / (p.toNs - p.fromNs)) / 100;
  return Math.max(0, Math.min(100, x));
}

/** one progress line (stderr, every N events) */
export function progressLine(s: ReplayStats, wallMs: number, pos: Position): string {
  const rate = wallMs > 0 ? (s.events * 1000) / wallMs : 0;
  const span = s.firstEventNs !== null && pos.nowNs !== null ? pos.nowNs - s.firstEventNs : 0n;
  const speed = wallMs > 0 ? Number(span / 1000n) / 1000 / wallMs : 0;
  return (
    `progress events=${s.events} trades=${s.perKind.trades} options=${s.perKind.options} mbp10=${s.perKind.mbp10}` +
    (s.perKind.stockTrades ? ` stock_trades=${s.perKind.stockTrades}` : '') +
    (s.perKind.stockQuotes ? ` stock_quotes=${s.perKind.stockQuotes}` : '') +
    (s.skipped ? ` skipped=${s.skipped}` : '') +
    ` rate=${fmtInt(rate)}/s speed=${speed.toFixed(1)}x at=${timeOfDay(pos.nowNs)} (${pct(pos).toFixed(1)}% of ${isoNs(pos.fromNs).slice(0, 10)})`
  );
}

/** a live one-line bar for a terminal (rewritten in place with \r) */
export function progressBar(s: ReplayStats, wallMs: number, pos: Position, width = 30): string {
  const p = pct(pos);
  const filled = Math.round((p / 100) * width);
  const rate = wallMs > 0 ? (s.events * 1000) / wallMs : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.toFixed(1).padStart(5)}% ${timeOfDay(pos.nowNs)} ${fmtInt(s.events)} events ${fmtInt(rate)}/s`;
}

/** the final statistics table */
export function statsTable(s: ReplayStats): string {
  const rows: [string, string][] = [
    ['dates', s.dates.join(', ') || '-'],
    ['events', fmtInt(s.events)],
    ['  futures trades', fmtInt(s.perKind.trades)],
    ['  option trades', fmtInt(s.perKind.options)],
    ['  MBP-10 books', fmtInt(s.perKind.mbp10)],
  ];
  if (s.perKind.stockTrades || s.perKind.stockQuotes)
    rows.push(['  stock trades', fmtInt(s.perKind.stockTrades)], ['  stock quotes', fmtInt(s.perKind.stockQuotes)]);
  if (s.skipped) rows.push(['skipped (--resume)', fmtInt(s.skipped)]);
  if (s.invalid) rows.push(['invalid (codec refused, not published)', fmtInt(s.invalid)]);
  rows.push(
    ['late (beyond reorder window)', fmtInt(s.late)],
    ['first event', isoNs(s.firstEventNs)],
    ['last event', isoNs(s.lastEventNs)],
    ['event time span', fmtDuration(s.eventSpanNs)],
    ['wall time', `${(s.wallMs / 1000).toFixed(3)} s`],
    ['achieved speed', `${s.achievedSpeed.toFixed(2)}x`],
    ['events/s', fmtInt(s.eventsPerSec)],
  );
  if (s.sink) {
    rows.push(['sink published / confirmed', `${fmtInt(s.sink.published)} / ${fmtInt(s.sink.acked)}`]);
    rows.push([
      'sink duplicates / retried / failed',
      `${fmtInt(s.sink.duplicates)} / ${fmtInt(s.sink.retried)} / ${fmtInt(s.sink.failed)}`,
    ]);
  }
  if (s.stored) rows.push(['stored new / already in the stream', storedText(s.stored)]);
  if (s.unconfirmed) rows.push(['unconfirmed (not known stored)', fmtInt(s.unconfirmed)]);
  if (s.lateness)
    rows.push([
      'lateness vs schedule p50 / p99 / max',
      `${s.lateness.p50Ms.toFixed(3)} / ${s.lateness.p99Ms.toFixed(3)} / ${s.lateness.maxMs.toFixed(3)} ms`,
    ]);
  if (s.peakRssBytes) rows.push(['peak RSS', `${(s.peakRssBytes / 2 ** 20).toFixed(0)} MB`]);
  if (s.stopped) rows.push(['stopped early', 'yes']);
  if (s.error) rows.push(['error', s.error]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

/** JSON where bigints are written as exact JSON integers (never through a JS number) */
export function jsonWithBigints(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') {
      marks.push(v.toString());
      return `\u0000big${marks.length - 1}\u0000`;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    return v;
  });
  // every mark was pushed above; a string that merely looks like one was escaped by JSON.stringify (\\u0000)
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (m, i: string) => marks[Number(i)] ?? m);
}

/** the statistics as a JSON-friendly object (snake_case, ns as bigint) */
export function statsForJson(s: ReplayStats): Record<string, unknown> {
  return {
    events: s.events,
    per_kind: {
      trades: s.perKind.trades,
      options: s.perKind.options,
      mbp10: s.perKind.mbp10,
      ...(s.perKind.stockTrades || s.perKind.stockQuotes
        ? { stock_trades: s.perKind.stockTrades, stock_quotes: s.perKind.stockQuotes }
        : {}),
    },
    skipped: s.skipped,
    invalid: s.invalid,
    late: s.late,
    first_ts_event_ns: s.firstEventNs,
    last_ts_event_ns: s.lastEventNs,
    event_span_ns: s.eventSpanNs,
    wall_ms: Math.round(s.wallMs),
    achieved_speed: Number(s.achievedSpeed.toFixed(3)),
    events_per_sec: Math.round(s.eventsPerSec),
    dates: s.dates,
    stopped: s.stopped,
    sink: s.sink,
    ...(s.peakRssBytes ? { peak_rss_bytes: s.peakRssBytes } : {}),
    ...(s.lateness ? { lateness_ms: { p50: s.lateness.p50Ms, p99: s.lateness.p99Ms, max: s.lateness.maxMs } } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.unconfirmed ? { unconfirmed: s.unconfirmed } : {}),
    ...(s.stored
      ? {
          stored: {
            new: s.stored.new,
            new_max: s.stored.newMax,
            duplicates: s.stored.duplicates,
            duplicates_min: s.stored.duplicatesMin,
            exact: s.stored.exact,
            note: s.stored.note,
          },
        }
      : {}),
  };
}
