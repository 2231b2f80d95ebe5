/**
 * @md/nats-bus: NATS connection, MARKET_DATA stream provisioning, the JetStream publisher (ack and batch
 * modes), a stdout sink, a consumer helper, and a local nats-server for tests, benchmarks and demos.
 */
export {
  BusConnectError,
  ConsumeDecodeError,
  JetStreamUnavailableError,
  NatsServerNotInstalledError,
  NatsServerStartError,
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
  DEFAULT_STREAM_NAME,
  DEFAULT_STREAM_SUBJECTS,
  desiredStreamConfig,
  diffStreamConfig,
  ensureStream,
  type EnsureStreamResult,
  type StreamConfigInput,
} from './stream.js';
export { JetStreamPublisher, type EventSink, type PublisherOptions, type SinkStats } from './publisher.js';
export { StdoutSink } from './stdout-sink.js';
export { consumeEvents, subjectMatches, type ConsumedEvent, type ConsumeOptions, type EventConsumer } from './consumer.js';
export {
  findFreePort,
  isNatsReachable,
  parseServerUrls,
  startNatsCluster,
  startNatsServer,
  waitForJetStream,
  type LocalNatsCluster,
  type LocalNatsServer,
  type StartNatsServerOptions,
} from './server.js';
export type { NatsConnection } from '@nats-io/transport-node';
export type { StreamInfo } from '@nats-io/jetstream';
