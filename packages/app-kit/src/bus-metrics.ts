/**
 * The metrics both apps have because both publish into JetStream: events handed to the publisher per subject and
 * source, the publisher's counters (read from its stats when scraped), the publish-to-ack latency, the stream's
 * own account of what was stored new / already held (StoredTracker), and the NATS readiness condition. Typed by
 * shape (no NATS dependency here): a JetStreamPublisher's stats, a NatsConnection's request / status.
 */
import type { Readiness } from './http.js';
import { FastHistogram, PairCounts, scraped, type Registry } from './metrics.js';
import { readStreamTally, storedCounts, type RequestLike, type StoredCounts, type StreamTally } from './stored.js';

/** what a sink counts (@md/nats-bus's SinkStats) */
export interface SinkStatsLike {
  readonly published: number;
  readonly acked: number;
  readonly duplicates: number;
  readonly retried: number;
  readonly failed: number;
  readonly pending: number;
}

/** an event as the publish counters see it (a Publishable) */
export interface CountedEvent {
  readonly subject: string;
  readonly event: { readonly source: string };
}

export interface PublishMetrics {
  /** per event, when handed to the publisher: two Map lookups, no allocation once the pair was seen */
  count(p: CountedEvent): void;
  /** the publisher's PublisherOptions.onConfirm: one observation per PubAck */
  onConfirm(count: number, latencyMs: number, duplicate: boolean): void;
  /** the publisher's PublisherOptions.onConfirmEvent: one call per confirmed event (two Map lookups) */
  onConfirmEvent(subject: string, source: string): void;
  readonly published: PairCounts;
  readonly confirmed: PairCounts;
}

/**
 * md_events_published_total{subject,source}, md_events_confirmed_total{subject,source}, md_publish_failures_total,
 * md_publish_retries_total, md_pubacks_duplicate_events_total, md_events_unconfirmed, md_publish_ack_latency_seconds.
 * `stats`: the sink's counters (null before there is a sink).
 */
export function publishMetrics(reg: Registry, stats: () => SinkStatsLike | null): PublishMetrics {
  const published = new PairCounts('subject', 'source');
  scraped(reg, {
    name: 'md_events_published_total',
    help: 'events handed to the publisher, by subject and source',
    type: 'counter',
    labelNames: ['subject', 'source'],
    value: () => published.samples(),
  });
  const field = (name: string, help: string, type: 'counter' | 'gauge', key: keyof SinkStatsLike) =>
    scraped(reg, { name, help, type, value: () => stats()?.[key] ?? 0 });
  const confirmed = new PairCounts('subject', 'source');
  scraped(reg, {
    name: 'md_events_confirmed_total',
    help: 'events the stream confirmed stored (PubAcks; duplicates included), by subject and source',
    type: 'counter',
    labelNames: ['subject', 'source'],
    value: () => confirmed.samples(),
  });
  field('md_publish_failures_total', 'events given up on (not confirmed after the bounded retries, or refused)', 'counter', 'failed');
  field('md_publish_retries_total', 're-sends after a timeout, no responders or a reconnect', 'counter', 'retried');
  field(
    'md_pubacks_duplicate_events_total',
    'confirmed events whose own PubAck said duplicate (batch mode: markers only; see md_events_already_stored_total)',
    'counter',
    'duplicates',
  );
  field('md_events_unconfirmed', 'events sent and not confirmed yet (at most the publish window)', 'gauge', 'pending');
  const latency = new FastHistogram(reg, {
    name: 'md_publish_ack_latency_seconds',
    help: 'send to PubAck, per PubAck (a batch-mode marker confirms many events)',
  });
  const series = latency.labels();
  return {
    published,
    confirmed,
    count: (p) => published.add(p.subject, p.event.source),
    onConfirmEvent: (subject, source) => confirmed.add(subject, source),
    onConfirm: (_count, latencyMs) => series.observe(latencyMs / 1000),
  };
}

/** what StoredTracker needs of a NATS connection (a NatsConnection satisfies it) */
export type TallyConnection = RequestLike;

/**
 * The stream's account of a run: its state for the run's subjects at the start (`start()`, before the first
 * publish) and at the end (`finish()`, after the last PubAck), see storedCounts. Between them, scrapes read the
 * stream again (one stream info request, at most once a second): md_events_stored_new_total,
 * md_events_already_stored_total, md_events_stored_exact.
 */
export class StoredTracker {
  private before: StreamTally | null = null;
  private final: StoredCounts | null = null;
  private last: StoredCounts | null = null;
  private lastAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly nc: TallyConnection,
    private readonly stream: string,
    private readonly subjects: readonly string[],
    private readonly stats: () => SinkStatsLike | null,
    /** the wildcard covering the subjects (the subjects filter of the request) */
    private readonly filter = 'market.>',
  ) {}

  /** read the stream's state before the run (throws what the request throws) */
  async start(timeoutMs = 5000): Promise<void> {
    this.before = await this.read(timeoutMs);
  }

  /** the counts after the run (every PubAck in): null when start() did not succeed or the stream cannot be read */
  async finish(timeoutMs = 5000): Promise<StoredCounts | null> {
    if (!this.before) return null;
    const s = this.stats();
    const after = await this.read(timeoutMs);
    this.final = storedCounts(this.before, after, s?.acked ?? 0, (s?.failed ?? 0) + (s?.pending ?? 0));
    return this.final;
  }

  /** the final counts, or an estimate of now (read at most once a second; in flight events count as possibly stored) */
  async current(timeoutMs = 1000): Promise<StoredCounts | null> {
    if (this.final || !this.before) return this.final;
    if (performance.now() - this.lastAt >= 1000) {
      this.reading ??= this.read(timeoutMs)
        .then((now) => {
          const s = this.stats();
          this.last = storedCounts(this.before as StreamTally, now, s?.acked ?? 0, (s?.failed ?? 0) + (s?.pending ?? 0));
          this.lastAt = performance.now();
        })
        .catch(() => undefined) // NATS away: the last figures stay
        .finally(() => (this.reading = null));
      await this.reading;
    }
    return this.final ?? this.last;
  }

  register(reg: Registry): this {
    scraped(reg, {
      name: 'md_events_stored_new_total',
      help: 'events of this run the stream stored new (stream state delta; the lower bound unless md_events_stored_exact)',
      type: 'counter',
      value: async () => (await this.current())?.new ?? 0,
    });
    scraped(reg, {
      name: 'md_events_already_stored_total',
      help: 'confirmed events of this run the stream held already (confirmed minus stored new)',
      type: 'counter',
      value: async () => (await this.current())?.duplicates ?? 0,
    });
    scraped(reg, {
      name: 'md_events_stored_exact',
      help: '1 when the stored counts are exact (the stream moved only by this run on its subjects), else 0',
      type: 'gauge',
      value: async () => ((await this.current())?.exact ? 1 : 0),
    });
    return this;
  }

  private read(timeoutMs: number): Promise<StreamTally> {
    return readStreamTally(this.nc, this.stream, this.subjects, { filter: this.filter, timeoutMs });
  }
}

/** what watchNats needs of a NATS connection */
export interface StatusConnection {
  status(): AsyncIterable<{ type: string }>;
  closed(): Promise<void | Error>;
}

/**
 * Readiness condition 'nats' after the stream was ensured: not ready while disconnected, ready again on a
 * reconnect, not ready for good once the connection is closed.
 */
export function watchNats(nc: StatusConnection, readiness: Readiness, key = 'nats'): void {
  readiness.ready(key);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') readiness.notReady(key, 'NATS disconnected');
      else if (s.type === 'reconnect') readiness.ready(key);
    }
  })().catch(() => undefined);
  void nc.closed().then(() => readiness.notReady(key, 'NATS connection closed'));
}
