/**
 * The replay-publisher's metrics and probes (--metrics-port): the publish metrics of @md/app-kit, the replay's
 * progress read from the Replayer's live statistics when scraped, and readiness (NATS connected and the stream
 * ensured; the replay running, not finished). And the stream's account of the run (StoredTracker), which the
 * summary shows in every mode, metrics or not. README: "Metrics and health".
 */
import { createMetricsRegistry, publishMetrics, Readiness, scraped, startMetricsServer, StoredTracker, watchNats } from '@md/app-kit';
import type { Logger, MetricsServer, PublishMetrics, Registry } from '@md/app-kit';
import type { AppBus, EventSink, SinkStats } from '@md/nats-bus';
import { SUBJECT_OF_KIND, type ReplayPlan, type Replayer, type ReplayStats } from '@md/replay-engine';

/** what main passes to the sink's close (JetStreamPublisher.close takes a timeout) */
type Sink = EventSink & { close(timeoutMs?: number): Promise<void>; flush(timeoutMs?: number): Promise<void> };

export class ReplayMetrics {
  readonly registry: Registry = createMetricsRegistry();
  readonly readiness = new Readiness();
  readonly publish: PublishMetrics;
  private sink: EventSink | null = null;
  private replayer: Replayer | null = null;
  private final: ReplayStats | null = null;
  private datesTotal = 0;
  private targetSpeed = 0;
  private server: MetricsServer | null = null;
  private log: Logger | null = null;

  private constructor() {
    this.publish = publishMetrics(this.registry, () => this.sink?.stats ?? null);
    this.readiness.declare({ replay: 'replay not started' });
    this.defineReplay();
  }

  /** the endpoint on --metrics-host:--metrics-port, or null when no port is given (a ConfigError when it cannot listen) */
  static async start(cfg: { metricsPort: number | null; metricsHost: string; sink: string }, log: Logger): Promise<ReplayMetrics | null> {
    if (cfg.metricsPort === null) return null;
    const m = new ReplayMetrics();
    m.log = log;
    if (cfg.sink === 'nats') m.readiness.declare({ nats: 'NATS not connected (stream not ensured)' });
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

  /**
   * The sink main publishes through: counts each event per subject and source (no allocation per event), and the
   * replayer's final flush (reading done) marks the replay finished for /readyz.
   */
  wrap(inner: Sink): Sink {
    this.sink = inner;
    const count = this.publish.count;
    const readiness = this.readiness;
    return {
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
  }

  /** the replay starts now (ready); a stop request (signal) makes it not ready */
  attach(replayer: Replayer, plan: ReplayPlan, speed: number, signal: AbortSignal): void {
    this.replayer = replayer;
    this.datesTotal = plan.dates.length;
    this.targetSpeed = speed;
    this.readiness.ready('replay');
    signal.addEventListener('abort', () => this.readiness.notReady('replay', `replay stopping (${String(signal.reason)})`), { once: true });
  }

  /** the replay ended with these statistics */
  finished(stats: ReplayStats): void {
    this.final = stats;
    this.readiness.notReady('replay', stats.stopped ? 'replay stopped' : stats.error ? 'replay failed' : 'replay finished');
  }

  /** close the endpoint, after serving `lingerMs` longer (until `signal` aborts) when asked to */
  async close(lingerMs = 0, signal?: AbortSignal): Promise<void> {
    if (lingerMs > 0 && this.server && !signal?.aborted) {
      this.log?.info(`metrics: serving the final counts for ${lingerMs / 1000} s more (--metrics-linger; SIGINT/SIGTERM ends it)`);
      await this.server.linger(lingerMs, signal);
    }
    await this.server?.close();
  }

  private defineReplay(): void {
    const reg = this.registry;
    const cur = () => this.final ?? this.replayer?.current?.stats ?? null;
    const n = (name: string, help: string, read: (s: ReplayStats) => number) =>
      scraped(reg, { name, help, type: 'counter', value: () => ((s) => (s ? read(s) : 0))(cur()) });
    const g = (name: string, help: string, read: () => number) => scraped(reg, { name, help, type: 'gauge', value: read });
    n('md_replay_events_total', 'events of the replay handed to the sink (the summary\'s "events")', (s) => s.events);
    n('md_replay_skipped_events_total', 'events skipped by --resume (already in the stream)', (s) => s.skipped);
    n('md_replay_invalid_events_total', "events the contract's codec refused (not published)", (s) => s.invalid);
    n('md_replay_late_events_total', 'events later than the reorder window allowed (published out of order)', (s) => s.late);
    g('md_replay_event_time_seconds', 'ts_event of the event being replayed (Unix seconds; 0 before the first)', () => {
      const ns = this.final ? this.final.lastEventNs : (this.replayer?.current?.pos.nowNs ?? null);
      return ns === null ? 0 : Number(ns / 1_000_000n) / 1000;
    });
    g('md_replay_dates', 'dates this replay covers', () => this.datesTotal);
    g('md_replay_dates_done', 'dates replayed to their end', () => {
      const s = cur();
      if (!s) return 0;
      return this.final && !this.final.stopped ? s.dates.length : Math.max(0, s.dates.length - 1);
    });
    g('md_replay_speed_ratio', 'achieved speed: event time covered / wall time (the summary\'s "achieved speed")', () => {
      if (this.final) return this.final.achievedSpeed;
      const c = this.replayer?.current;
      if (!c || c.stats.firstEventNs === null || c.pos.nowNs === null) return 0;
      const wallMs = performance.now() - c.t0;
      return wallMs > 0 ? Number((c.pos.nowNs - c.stats.firstEventNs) / 1000n) / 1000 / wallMs : 0;
    });
    g('md_replay_target_speed_ratio', 'the --speed asked for (0: as fast as possible)', () => this.targetSpeed);
    g('md_replay_finished', '1 once the replay ended (finished, stopped or failed)', () => (this.final ? 1 : 0));
  }
}

/** the subjects this replay publishes on */
export function replaySubjects(plan: ReplayPlan): string[] {
  return [...new Set(Object.values(plan.perDate).flat())].map((k) => SUBJECT_OF_KIND[k]);
}

/**
 * The stream's state for the replay's subjects before the first publish (for the summary's "stored new / already
 * in the stream"); null, with a warning, when it cannot be read.
 */
export async function startTally(bus: AppBus, plan: ReplayPlan, stats: () => SinkStats, log: Logger): Promise<StoredTracker | null> {
  const t = new StoredTracker(bus.nc, bus.stream.info.config.name, replaySubjects(plan), stats);
  try {
    await t.start();
    return t;
  } catch (e) {
    log.warn(`stored counts: the stream's state could not be read (${(e as Error)?.message ?? String(e)}): not reported`);
    return null;
  }
}
