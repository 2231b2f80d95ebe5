/**
 * The live-ingestor's metrics and probes (--metrics-port): the publish metrics of @md/app-kit; the vendor
 * sessions, the queue, the gaps and the backfill read from the engines' own counters when scraped; the feed lag
 * (receive time - event time) observed per event (allocation-free, only with metrics on). Readiness: NATS
 * connected and the stream ensured, the vendor sessions authenticated and streaming. And the stream's account
 * of the run (StoredTracker), which the final stats show in every mode. README: "Metrics and health".
 */
import {
  createMetricsRegistry,
  FastHistogram,
  publishMetrics,
  Readiness,
  scraped,
  startMetricsServer,
  StoredTracker,
  watchNats,
} from '@md/app-kit';
import type { HistogramSeries, Logger, MetricsServer, PublishMetrics, Registry, Sample } from '@md/app-kit';
import { SUBJECTS, type Publishable } from '@md/event-types';
import type { LiveEngine } from '@md/live-engine';
import type { AppBus, SinkStats } from '@md/nats-bus';

/** feed lag buckets, seconds: 1 ms .. 5 min (a backfilled event's lag is its age) */
const LAG_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const SESSIONS = ['stocks', 'options'] as const;

export class LiveMetrics {
  readonly registry: Registry = createMetricsRegistry();
  readonly readiness = new Readiness();
  readonly publish: PublishMetrics;
  private readonly lag: FastHistogram;
  private readonly lagBySource = new Map<string, HistogramSeries>();
  private server: MetricsServer | null = null;

  private constructor(
    private readonly engines: readonly LiveEngine[],
    private readonly sinkStats: () => SinkStats | null,
  ) {
    this.publish = publishMetrics(this.registry, sinkStats);
    this.lag = new FastHistogram(this.registry, {
      name: 'md_feed_lag_seconds',
      help: 'receive time minus event time (ts_recv_ns - ts_event_ns) of the events handed to the publisher, by source',
      buckets: LAG_BUCKETS_S,
      labelNames: ['source'],
    });
    this.defineLive();
  }

  /**
   * The endpoint on --metrics-host:--metrics-port, or null when no port is given (a ConfigError when it cannot
   * listen). `engines`: main's list (every HA term adds one); `sinkStats`: the sink's counters.
   */
  static async start(
    cfg: { metricsPort: number | null; metricsHost: string; sink: string; ha: boolean },
    engines: readonly LiveEngine[],
    sinkStats: () => SinkStats | null,
    log: Logger,
  ): Promise<LiveMetrics | null> {
    if (cfg.metricsPort === null) return null;
    const m = new LiveMetrics(engines, sinkStats);
    if (cfg.sink === 'nats') m.readiness.declare({ nats: 'NATS not connected (stream not ensured)' });
    m.readiness.check('vendor', () => m.vendorNotReady(cfg.ha));
    m.server = await startMetricsServer({
      host: cfg.metricsHost,
      port: cfg.metricsPort,
      registry: m.registry,
      readiness: m.readiness,
      log,
    });
    return m;
  }

  /** the bus is open and the stream ensured: readiness follows the connection; the stored counts become metrics */
  bus(bus: AppBus, tally: StoredTracker | null): void {
    watchNats(bus.nc, this.readiness);
    tally?.register(this.registry);
  }

  /** per event handed to the publisher: counted per subject and source, its feed lag observed (no allocation) */
  readonly onEvent = (p: Publishable): void => {
    this.publish.count(p);
    const e = p.event as { source: string; ts_event_ns: bigint; ts_recv_ns?: bigint };
    if (e.ts_recv_ns === undefined) return;
    let s = this.lagBySource.get(e.source);
    if (s === undefined) this.lagBySource.set(e.source, (s = this.lag.labels(e.source)));
    // Number() of each: ~256 ns of precision lost, nothing allocated; fine for a histogram in seconds
    s.observe((Number(e.ts_recv_ns) - Number(e.ts_event_ns)) / 1e9);
  };

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** null when every session of the running engine is authenticated and streaming */
  private vendorNotReady(ha: boolean): string | null {
    const e = this.engines[this.engines.length - 1];
    if (!e) return 'no engine';
    const down = SESSIONS.filter((n) => e[n] !== null && !e[n]?.isStreaming);
    if (down.length === 0) return null;
    return `vendor session(s) ${down.join(', ')} not authenticated / streaming${ha ? ' (or standing by for the --ha lease)' : ''}`;
  }

  private defineLive(): void {
    const reg = this.registry;
    const sum = (f: (e: LiveEngine) => number) => () => this.engines.reduce((n, e) => n + f(e), 0);
    const last = () => this.engines[this.engines.length - 1];
    const counter = (name: string, help: string, value: () => number) => scraped(reg, { name, help, type: 'counter', value });
    const gauge = (name: string, help: string, value: () => number) => scraped(reg, { name, help, type: 'gauge', value });
    const perSession = (name: string, help: string, f: (s: NonNullable<LiveEngine['stocks']>) => number) =>
      scraped(reg, {
        name,
        help,
        type: 'counter',
        labelNames: ['session'],
        value: () => {
          const out: Sample[] = [];
          for (const n of SESSIONS) {
            if (!this.engines.some((e) => e[n] !== null)) continue;
            out.push([{ session: n }, this.engines.reduce((k, e) => k + (e[n] ? f(e[n]) : 0), 0)]);
          }
          return out;
        },
      });
    perSession('md_vendor_frames_total', 'WebSocket frames received from the vendor, per session', (s) => s.stats.frames);
    perSession('md_vendor_received_bytes_total', 'bytes of those frames, per session', (s) => s.stats.bytes);
    perSession('md_vendor_reconnects_total', 'reconnects of the vendor WebSocket, per session', (s) => s.stats.reconnects);
    perSession('md_vendor_auth_failures_total', 'authentication refusals, per session', (s) => s.stats.authFailures);
    scraped(reg, {
      name: 'md_vendor_session_up',
      help: '1 while the session is authenticated and streaming, else 0',
      type: 'gauge',
      labelNames: ['session'],
      value: () => {
        const e = last();
        return SESSIONS.filter((n) => e?.[n]).map((n): Sample => [{ session: n }, e?.[n]?.isStreaming ? 1 : 0]);
      },
    });
    scraped(reg, {
      name: 'md_vendor_events_total',
      help: 'vendor messages parsed, by kind (stock_trade, stock_quote, option_trade, option_quote, status)',
      type: 'counter',
      labelNames: ['kind'],
      value: () => {
        const kinds = ['stock_trade', 'stock_quote', 'option_trade', 'option_quote', 'status'] as const;
        return kinds.map((k): Sample => [{ kind: k }, this.engines.reduce((n, e) => n + e.counters.events[k], 0)]);
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
  }
}

/** the subjects the configured sessions publish on */
export function liveSubjects(sessions: { stocks: boolean; options: boolean }): string[] {
  return [...(sessions.stocks ? [SUBJECTS.stockTrades, SUBJECTS.stockQuotes] : []), ...(sessions.options ? [SUBJECTS.optionTrades] : [])];
}

/** the stream's state for the live subjects at the start (for the final "stored" line); null, with a warning, when unreadable */
export async function startTally(
  bus: AppBus,
  sessions: { stocks: boolean; options: boolean },
  stats: () => SinkStats,
  log: Logger,
): Promise<StoredTracker | null> {
  const t = new StoredTracker(bus.nc, bus.stream.info.config.name, liveSubjects(sessions), stats);
  try {
    await t.start();
    return t;
  } catch (e) {
    log.warn(`stored counts: the stream's state could not be read (${(e as Error)?.message ?? String(e)}): not reported`);
    return null;
  }
}
