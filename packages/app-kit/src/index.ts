/**
 * @md/app-kit: what the apps and the `dbn` CLI share. One declarative option table (flags, environment
 * variables, defaults, types inferred) with its help text and README table; runMain (exit codes, signals,
 * EPIPE); one levelled logger that redacts secrets (text or JSON lines); Prometheus metrics and health probes
 * on one HTTP endpoint, and the metrics every publishing app shares (AppMetrics).
 */
export { ConfigError, OptionTableError, ReadmeOptionsError, isConfigError } from './errors.js';
export {
  opt,
  defineOptions,
  kebabCase,
  MAX_TIMER_MS,
  type AnySpec,
  type BaseSpec,
  type BooleanSpec,
  type CustomSpec,
  type DefaultContext,
  type DefaultFn,
  type DurationSpec,
  type DurationValue,
  type EnumSpec,
  type Env,
  type Given,
  type InferOptions,
  type ListSpec,
  type NumberSpec,
  type Option,
  type OptionKind,
  type OptionTable,
  type StringSpec,
} from './options.js';
export { parseOptions, nearestFlag, type AliasUse, type ParseInput, type ParsedOptions } from './parse.js';
export { parseBoolean, parseChoice, parseDuration, parseNumber, formatDuration, type DurationUnit, type NumberBounds } from './values.js';
export {
  helpText,
  markdownOptionsTable,
  checkReadmeOptions,
  updateReadmeOptions,
  describeOptions,
  type HelpOptions,
  type HelpSection,
  type OptionDoc,
  type ReadmeCheck,
} from './help.js';
export {
  createLogger,
  redact,
  isLogFormat,
  isLogLevel,
  LOG_FORMATS,
  LOG_LEVELS,
  MIN_SECRET_LENGTH,
  type LogFields,
  type LogFormat,
  type LogLevel,
  type Logger,
  type LoggerOptions,
} from './logger.js';
export {
  runMain,
  EXIT_CODES,
  type MainContext,
  type OutputStream,
  type ProcessLike,
  type RunMainOptions,
  type StopHandler,
  type StopReason,
} from './run-main.js';
export {
  createMetricsRegistry,
  FastHistogram,
  HistogramSeries,
  LATENCY_BUCKETS_S,
  PairCounts,
  scraped,
  type Registry,
  type FastHistogramSpec,
  type Labels,
  type MetricsRegistryOptions,
  type Sample,
  type ScrapedSpec,
} from './metrics.js';
export { Readiness, startMetricsServer, type MetricsServer, type MetricsServerOptions } from './http.js';
export { opsOptions, peekLogFormat } from './ops-options.js';
export {
  publishMetrics,
  storedMetrics,
  watchNats,
  type CountedEvent,
  type PublishMetrics,
  type SinkStatsLike,
  type StatusConnection,
  type StoredCountsLike,
  type StoredSource,
} from './bus-metrics.js';
export { AppMetrics, type AppMetricsConfig } from './app-metrics.js';
