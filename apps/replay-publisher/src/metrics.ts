/**
 * The replay-publisher's metrics and probes (--metrics-port): @md/app-kit's AppMetrics (publish metrics, endpoint,
 * NATS readiness, stored counts, linger), the replay's progress (@md/replay-engine's replayMetricSpecs, read from
 * the Replayer's live statistics when scraped), and readiness 'replay': running, not finished. README: "Metrics
 * and health".
 */
import { AppMetrics, scraped, type Logger } from '@md/app-kit';
import type { EventSink, SinkStats } from '@md/nats-bus';
import { replayMetricSpecs, type ReplayPlan, type Replayer, type ReplayProgress, type ReplayStats } from '@md/replay-engine';

/** what main passes to the sink's close (JetStreamPublisher.close takes a timeout) */
type Sink = EventSink & { close(timeoutMs?: number): Promise<void>; flush(timeoutMs?: number): Promise<void> };

export class ReplayMetrics extends AppMetrics {
  private sink: EventSink | null = null;
  private readonly progress: ReplayProgress = { replayer: null, final: null, datesTotal: 0, targetSpeed: 0 };

  private constructor(log: Logger) {
    super(() => this.sink?.stats ?? null, log);
    this.readiness.declare({ replay: 'replay not started' });
    for (const spec of replayMetricSpecs(this.progress)) scraped(this.registry, spec);
  }

  /** the endpoint on --metrics-host:--metrics-port, or null when no port is given (a ConfigError when it cannot listen) */
  static async start(cfg: { metricsPort: number | null; metricsHost: string; sink: string }, log: Logger): Promise<ReplayMetrics | null> {
    return cfg.metricsPort === null ? null : AppMetrics.serve(new ReplayMetrics(log), cfg);
  }

  /**
   * The sink main publishes through: counts each event per subject and source (no allocation per event), and the
   * replayer's final flush (reading done) marks the replay finished for /readyz.
   */
  wrap(inner: Sink): Sink {
    this.sink = inner;
    const count = this.publish.count;
    const published = this.publish.published;
    const readiness = this.readiness;
    const wrapped: Sink = {
      publish(p) {
        const r = inner.publish(p);
        count(p);
        return r;
      },
      flush(timeoutMs?: number) {
        readiness.notReady('replay', 'replay finished reading: confirming the last events');
        return inner.flush(timeoutMs);
      },
      close: (timeoutMs?: number) => inner.close(timeoutMs),
      get stats(): SinkStats {
        return inner.stats;
      },
    };
    // the fast lane's rows (EncodedBatch): counted the same way, so --metrics-port keeps the fast lane
    const tryRow = inner.tryPublishRow?.bind(inner);
    const row = inner.publishRow?.bind(inner);
    if (tryRow && row) {
      wrapped.tryPublishRow = (b, i) => {
        if (!tryRow(b, i)) return false;
        published.add(b.subjects[b.subject[i]!]!, b.source);
        return true;
      };
      wrapped.publishRow = (b, i) => {
        const r = row(b, i);
        published.add(b.subjects[b.subject[i]!]!, b.source);
        return r;
      };
    }
    return wrapped;
  }

  /** the replay starts now (ready); a stop request (signal) makes it not ready */
  attach(replayer: Replayer, plan: ReplayPlan, speed: number, signal: AbortSignal): void {
    Object.assign(this.progress, { replayer, datesTotal: plan.dates.length, targetSpeed: speed });
    this.readiness.ready('replay');
    signal.addEventListener('abort', () => this.readiness.notReady('replay', `replay stopping (${String(signal.reason)})`), { once: true });
  }

  /** the replay ended with these statistics */
  finished(stats: ReplayStats): void {
    this.progress.final = stats;
    this.readiness.notReady('replay', stats.stopped ? 'replay stopped' : stats.error ? 'replay failed' : 'replay finished');
  }
}
