/**
 * @md/nats-bus: NATS connection, MARKET_DATA stream provisioning, the JetStream publisher (ack and batch
 * modes), a stdout sink, a consumer helper, stored-message lookup and read-back, the stored counts of a run
 * (StoredTracker), a leadership lease on a KV bucket, and openAppBus (all of that for an app, with a local nats-server when none answers). The local
 * server helpers for tests are on `@md/nats-bus/testing`.
 */
export {
  BusConnectError,
  ConsumeDecodeError,
  JetStreamUnavailableError,
  MessageLookupError,
  NatsBusError,
  PublishError,
  StreamConfigMismatchError,
  type StreamConfigDifference,
} from './errors.js';
export {
  busOptionsFromEnv,
  connectBus,
  DEFAULT_NATS_URL,
  natsConnectionOptions,
  redactSecrets,
  redactUrl,
  splitServers,
  type BusOptions,
} from './connect.js';
export {
  DEFAULT_DUPLICATE_WINDOW_NS,
  DEFAULT_MAX_AGE_NS,
  desiredStreamConfig,
  diffStreamConfig,
  ensureStream,
  type EnsureStreamResult,
  type StreamConfigInput,
} from './stream.js';
export { JetStreamPublisher, type ConfirmListener, type EventSink, type PublisherOptions, type SinkStats } from './publisher.js';
export type { OrderChainStats } from './publisher-chain.js';
export { StdoutSink } from './stdout-sink.js';
export { consumeEvents, subjectMatches, type ConsumedEvent, type ConsumeOptions, type EventConsumer } from './consumer.js';
export { lastMessageOn, storedMessagesSince, type StoredMessage, type StoredSinceOptions } from './stored.js';
export {
  describeStored,
  readStreamTally,
  storedCounts,
  StoredTracker,
  type RequestLike,
  type StoredCounts,
  type StreamTally,
  type TallyStats,
} from './stored-counts.js';
export {
  DEFAULT_LEASE_BUCKET,
  DEFAULT_LEASE_TTL_MS,
  Lease,
  LeaseError,
  type LeaseLogLevel,
  type LeaseOptions,
  type LeaseStats,
} from './lease.js';
export {
  DEFAULT_GAP_BUCKET,
  DEFAULT_GAP_RECORD_MAX_AGE_MS,
  GapRecordError,
  GapRecords,
  type GapRecord,
  type GapRecordsOptions,
} from './gap-record.js';
export { openAppBus, type AppBus, type AppBusLogLevel, type AppBusOptions } from './app-bus.js';
export { isNatsReachable } from './server.js';
export type { NatsConnection } from '@nats-io/transport-node';
export type { StreamInfo } from '@nats-io/jetstream';
