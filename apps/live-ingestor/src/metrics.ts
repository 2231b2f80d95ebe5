/**
 * The live-ingestor's metrics and probes (--metrics-port): @md/app-kit's AppMetrics (publish metrics, endpoint,
 * NATS readiness, stored counts), the live engines' metrics (@md/live-engine's liveMetricSpecs, read when
 * scraped), the feed lag (receive time - event time) observed per event (allocation-free, only with metrics on),
 * and readiness 'vendor': the sessions authenticated and streaming. README: "Metrics and health".
 */
import { AppMetrics, FastHistogram, scraped, type HistogramSeries, type Logger } from '@md/app-kit';
import type { Publishable } from '@md/event-types';
import { liveMetricSpecs, vendorNotReady, type LiveEngine } from '@md/live-engine';
import type { SinkStats } from '@md/nats-bus';

/** feed lag buckets, seconds: 1 ms .. 5 min (a backfilled event's lag is its age) */
const LAG_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class LiveMetrics extends AppMetrics {
  private readonly lag: FastHistogram;
  private readonly lagBySource = new Map<string, HistogramSeries>();

  private constructor(engines: readonly LiveEngine[], sinkStats: () => SinkStats | null, log: Logger) {
    super(sinkStats, log);
    this.lag = new FastHistogram(this.registry, {
      name: 'md_feed_lag_seconds',
      help: 'receive time minus event time (ts_recv_ns - ts_event_ns) of the events handed to the publisher, by source',
      buckets: LAG_BUCKETS_S,
      labelNames: ['source'],
    });
    for (const spec of liveMetricSpecs(engines)) scraped(this.registry, spec);
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
    return AppMetrics.serve(new LiveMetrics(engines, sinkStats, log), cfg, (m) =>
      m.readiness.check('vendor', () => vendorNotReady(engines, cfg.ha)),
    );
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
}
