/**
 * The live engine's metrics as data: what a program serving Prometheus metrics of LiveEngines reads from their own
 * counters when scraped (the live-ingestor registers each with @md/app-kit's `scraped`), the vendor readiness
 * condition, and the subjects the sessions publish on. No metrics library here: a spec is plain data.
 */
import { SUBJECTS } from '@md/event-types';
import type { LiveEngine } from './engine.js';

/** one value of a metric: its labels and the number (@md/app-kit's Sample) */
export type MetricSample = readonly [labels: Readonly<Record<string, string | number>>, value: number];

/** a metric read when scraped (@md/app-kit's ScrapedSpec) */
export interface MetricSpec {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames?: readonly string[];
  value: () => number | MetricSample[];
}

const SESSIONS = ['stocks', 'options'] as const;

/**
 * The sessions', queue's, gaps' and backfill's metrics of `engines` (a program's list: every HA term adds one;
 * counters sum over them, gauges read the last): md_vendor_*, md_queue_*, md_publish_errors_total,
 * md_backfilled_events_total, md_gaps_*, md_rest_*, md_backfills_running.
 */
export function liveMetricSpecs(engines: readonly LiveEngine[]): MetricSpec[] {
  const out: MetricSpec[] = [];
  const sum = (f: (e: LiveEngine) => number) => () => engines.reduce((n, e) => n + f(e), 0);
  const last = () => engines[engines.length - 1];
  const counter = (name: string, help: string, value: () => number) => void out.push({ name, help, type: 'counter', value });
  const gauge = (name: string, help: string, value: () => number) => void out.push({ name, help, type: 'gauge', value });
  const perSession = (name: string, help: string, f: (s: NonNullable<LiveEngine['stocks']>) => number) =>
    void out.push({
      name,
      help,
      type: 'counter',
      labelNames: ['session'],
      value: () => {
        const samples: MetricSample[] = [];
        for (const n of SESSIONS) {
          if (!engines.some((e) => e[n] !== null)) continue;
          samples.push([{ session: n }, engines.reduce((k, e) => k + (e[n] ? f(e[n]) : 0), 0)]);
        }
        return samples;
      },
    });
  perSession('md_vendor_frames_total', 'WebSocket frames received from the vendor, per session', (s) => s.stats.frames);
  perSession('md_vendor_received_bytes_total', 'bytes of those frames, per session', (s) => s.stats.bytes);
  perSession('md_vendor_reconnects_total', 'reconnects of the vendor WebSocket, per session', (s) => s.stats.reconnects);
  perSession('md_vendor_auth_failures_total', 'authentication refusals, per session', (s) => s.stats.authFailures);
  out.push({
    name: 'md_vendor_session_up',
    help: '1 while the session is authenticated and streaming, else 0',
    type: 'gauge',
    labelNames: ['session'],
    value: () => {
      const e = last();
      return SESSIONS.filter((n) => e?.[n]).map((n): MetricSample => [{ session: n }, e?.[n]?.isStreaming ? 1 : 0]);
    },
  });
  out.push({
    name: 'md_vendor_events_total',
    help: 'vendor messages parsed, by kind (stock_trade, stock_quote, option_trade, option_quote, status)',
    type: 'counter',
    labelNames: ['kind'],
    value: () => {
      const kinds = ['stock_trade', 'stock_quote', 'option_trade', 'option_quote', 'status'] as const;
      return kinds.map((k): MetricSample => [{ kind: k }, engines.reduce((n, e) => n + e.counters.events[k], 0)]);
    },
  });
  counter(
    'md_vendor_malformed_frames_total',
    'frames refused as a whole (not JSON, not an array, ...)',
    sum((e) => e.counters.malformedFrames),
  );
  counter(
    'md_vendor_malformed_events_total',
    'elements of frames refused (bad fields)',
    sum((e) => e.counters.malformedEvents),
  );
  counter(
    'md_vendor_ignored_events_total',
    'elements skipped (an unknown ev)',
    sum((e) => e.counters.ignored),
  );
  gauge('md_queue_depth', 'events in the bounded queue between the sockets and the publisher', () => last()?.queue.length ?? 0);
  gauge('md_queue_capacity', 'the queue size (--queue-size)', () => last()?.queue.capacity ?? 0);
  gauge('md_queue_high_water', 'the most events the queue has held', () => last()?.queue.highWater ?? 0);
  counter(
    'md_queue_dropped_events_total',
    'events dropped by the queue policy (each a gap, backfilled)',
    sum((e) => e.queue.dropped),
  );
  counter(
    'md_publish_errors_total',
    'events the publisher refused (an encode error, or a publish() rejected)',
    sum((e) => e.counters.publishErrors),
  );
  counter(
    'md_backfilled_events_total',
    'events backfilled from the REST API and handed to the publisher',
    sum((e) => e.backfill.backfilled),
  );
  counter(
    'md_gaps_total',
    'gaps found (disconnects, overflows, restarts), each announced on md.live.gaps',
    sum((e) => e.gaps.gaps),
  );
  counter(
    'md_gaps_filled_total',
    'gaps filled from the REST API',
    sum((e) => e.gaps.filled),
  );
  counter(
    'md_gaps_unfilled_total',
    'gaps announced unfilled (REST failure, older than --backfill-max, stopped)',
    sum((e) => e.gaps.unfilled),
  );
  counter(
    'md_rest_requests_total',
    'REST requests (backfills and the start planner; retries and 429s included)',
    sum((e) => e.restRequests),
  );
  counter(
    'md_rest_rate_limited_total',
    '429 answers absorbed',
    sum((e) => e.rest429),
  );
  gauge('md_backfills_running', 'backfill windows being fetched now', () => last()?.backfill.busy ?? 0);

  return out;
}

/** null when every session of the running engine (the last) is authenticated and streaming, else why not */
export function vendorNotReady(engines: readonly LiveEngine[], ha: boolean): string | null {
  const e = engines[engines.length - 1];
  if (!e) return 'no engine';
  const down = SESSIONS.filter((n) => e[n] !== null && !e[n]?.isStreaming);
  if (down.length === 0) return null;
  return `vendor session(s) ${down.join(', ')} not authenticated / streaming${ha ? ' (or standing by for the --ha lease)' : ''}`;
}

/** the subjects the configured sessions publish on */
export function liveSubjects(sessions: { stocks: boolean; options: boolean }): string[] {
  return [...(sessions.stocks ? [SUBJECTS.stockTrades, SUBJECTS.stockQuotes] : []), ...(sessions.options ? [SUBJECTS.optionTrades] : [])];
}
