/**
 * The metrics both apps have because both publish into JetStream: events handed to the publisher per subject and
 * source, the publisher's counters (read from its stats when scraped), the publish-to-ack latency, the stream's
 * own account of what was stored new / already held (storedMetrics, read from @md/nats-bus's StoredTracker), and
 * the NATS readiness condition. Typed by shape (no NATS dependency here): a JetStreamPublisher's stats, a NatsConnection's request / status.
 */
import type { Readiness } from './http.js';
import { FastHistogram, PairCounts, scraped, type Registry } from './metrics.js';

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

/** the stored counts as the metrics read them (@md/nats-bus's StoredCounts has this shape) */
export interface StoredCountsLike {
  readonly new: number;
  readonly duplicates: number;
  readonly exact: boolean;
}

/** what storedMetrics reads (@md/nats-bus's StoredTracker): the final counts, or an estimate of now */
export interface StoredSource {
  current(): Promise<StoredCountsLike | null>;
}

/**
 * The stream's account of a run (@md/nats-bus's StoredTracker), read when scraped: md_events_stored_new_total,
 * md_events_already_stored_total, md_events_stored_exact.
 */
export function storedMetrics(reg: Registry, tally: StoredSource): void {
  scraped(reg, {
    name: 'md_events_stored_new_total',
    help: 'events of this run the stream stored new (stream state delta; the lower bound unless md_events_stored_exact)',
    type: 'counter',
    value: async () => (await tally.current())?.new ?? 0,
  });
  scraped(reg, {
    name: 'md_events_already_stored_total',
    help: 'confirmed events of this run the stream held already (confirmed minus stored new)',
    type: 'counter',
    value: async () => (await tally.current())?.duplicates ?? 0,
  });
  scraped(reg, {
    name: 'md_events_stored_exact',
    help: '1 when the stored counts are exact (the stream moved only by this run on its subjects), else 0',
    type: 'gauge',
    value: async () => ((await tally.current())?.exact ? 1 : 0),
  });
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
