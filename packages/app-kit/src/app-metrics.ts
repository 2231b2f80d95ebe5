/**
 * What every publishing app's metrics share: one registry with the publish metrics, the readiness conditions,
 * the endpoint on --metrics-host:--metrics-port (readiness 'nats' declared first with the nats sink), the bus
 * binding (readiness follows the connection, the stream's stored counts become metrics) and the close (after
 * an optional linger). An app extends it with its own metrics and conditions.
 */
import {
  publishMetrics,
  storedMetrics,
  watchNats,
  type PublishMetrics,
  type SinkStatsLike,
  type StatusConnection,
  type StoredSource,
} from './bus-metrics.js';
import { Readiness, startMetricsServer, type MetricsServer } from './http.js';
import type { Logger } from './logger.js';
import { createMetricsRegistry, type Registry } from './metrics.js';

/** the options AppMetrics.serve reads (opsOptions' metricsPort and metricsHost, the app's --sink) */
export interface AppMetricsConfig {
  metricsPort: number | null;
  metricsHost: string;
  sink: string;
}

export class AppMetrics {
  readonly registry: Registry = createMetricsRegistry();
  readonly readiness = new Readiness();
  readonly publish: PublishMetrics;
  protected server: MetricsServer | null = null;

  /** `sinkStats`: the sink's counters (null before there is a sink) */
  protected constructor(
    sinkStats: () => SinkStatsLike | null,
    protected readonly log: Logger,
  ) {
    this.publish = publishMetrics(this.registry, sinkStats);
  }

  /**
   * `m` served on cfg.metricsHost:cfg.metricsPort (a ConfigError when it cannot listen); with the nats sink,
   * readiness 'nats' is declared not ready first, then `conditions` adds the app's own.
   */
  protected static async serve<M extends AppMetrics>(m: M, cfg: AppMetricsConfig, conditions?: (m: M) => void): Promise<M> {
    if (cfg.sink === 'nats') m.readiness.declare({ nats: 'NATS not connected (stream not ensured)' });
    conditions?.(m);
    m.server = await startMetricsServer({
      host: cfg.metricsHost,
      port: cfg.metricsPort ?? 0,
      registry: m.registry,
      readiness: m.readiness,
      log: m.log,
    });
    return m;
  }

  /** the bus is open and the stream ensured: readiness follows the connection; the stored counts become metrics */
  bus(bus: { nc: StatusConnection }, tally: StoredSource | null): void {
    watchNats(bus.nc, this.readiness);
    if (tally) storedMetrics(this.registry, tally);
  }

  /** close the endpoint, after serving `lingerMs` longer (until `signal` aborts) when asked to */
  async close(lingerMs = 0, signal?: AbortSignal): Promise<void> {
    if (lingerMs > 0 && this.server && !signal?.aborted) {
      this.log.info(`metrics: serving the final counts for ${lingerMs / 1000} s more (--metrics-linger; SIGINT/SIGTERM ends it)`);
      await this.server.linger(lingerMs, signal);
    }
    await this.server?.close();
  }
}
