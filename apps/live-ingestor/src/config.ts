/** The options: ONE table (@md/app-kit) -> parsing, validation, --help and the README table. Defaults: @md/live-engine's LIVE_DEFAULTS. */
import {
  ConfigError,
  defineOptions,
  opsOptions,
  helpText,
  LOG_LEVELS,
  MAX_TIMER_MS,
  opt,
  parseBoolean,
  parseChoice,
  parseNumber,
} from '@md/app-kit';
import { parseOptions, type Env, type InferOptions, type LogLevel } from '@md/app-kit';
import { LIVE_DEFAULTS as D, LiveConfigError, liveConfig, type LiveEngineConfig } from '@md/live-engine';
import { DEFAULT_NATS_URL } from '@md/nats-bus';
import { defaultRestUrl } from '@md/polygon-normalizer/rest';
import { hostname } from 'node:os';

export { ConfigError };

/** --backfill-max default, seconds: 15 minutes */
const BACKFILL_MAX_S = 900;
/** --ha-ttl default: 5 s */
export const HA_TTL_MS = 5000;

/** the largest --queue-size (the queue preallocates its ring: 10M slots are ~80 MB) */
export const MAX_QUEUE_SIZE = 10_000_000;

function fail(message: string): never {
  throw new ConfigError(message);
}
/** a text option matching `re`, else `<name> must be <what>, got "<text>"` */
const matching = (re: RegExp, what: string) => (t: string, n: string) =>
  re.test(t) ? t : fail(`${n} must be ${what}, got ${JSON.stringify(t)}`);
function wsUrl(t: string, n: string): string {
  const protocol = URL.canParse(t) ? new URL(t).protocol : fail(`${n} must be a full ws:// or wss:// URL, got ${JSON.stringify(t)}`);
  return protocol === 'ws:' || protocol === 'wss:' ? t : fail(`${n} must be a ws:// or wss:// URL, got ${protocol}`);
}
/** a time in seconds on the command line (at most what a Node timer takes: 2^31-1 ms), in ms in the configuration */
function seconds(
  ms: number,
  spec: { flag: string; env?: string; label?: string; help: string; check?: (ms: number) => string | undefined },
) {
  const max = Math.floor(MAX_TIMER_MS / 1000);
  const parse = (t: string, n: string) => Math.round(parseNumber(t, n, { min: 0, max, unit: 'seconds' }) * 1000);
  return opt.custom({ ...spec, parse, default: ms, defaultText: String(ms / 1000), placeholder: 'S' });
}
/** an http:// or https:// URL (no trailing slash kept) */
function httpUrl(t: string, n: string): string {
  const protocol = URL.canParse(t) ? new URL(t).protocol : fail(`${n} must be a full http:// or https:// URL, got ${JSON.stringify(t)}`);
  return protocol === 'http:' || protocol === 'https:'
    ? t.replace(/\/+$/, '')
    : fail(`${n} must be an http:// or https:// URL, got ${protocol}`);
}
/** MD_LOG_LEVEL / --log-level: a level; LIVE_DEBUG (the older name): 1 = debug, 0 = info */
const logLevel = (t: string, n: string): LogLevel =>
  n === 'LIVE_DEBUG' ? (parseBoolean(t, n) ? 'debug' : 'info') : parseChoice(t, n, LOG_LEVELS);
const SESSIONS = (['stocks', 'options'] as const).filter((s) => D.sessions[s]);
/** option quotes: at most 1,000 contracts per connection (docs/polygon-ws.md, 3. Subscriptions); keep a margin */
const tooManyStrikes = (n: number) => (2 * n + 1 + 4) * 2 > 900;

/** Every option once: flag, environment variable(s) (the first canonical, the rest documented aliases), bounds, default, help.
 * The shared names (--nats-url, --publish-mode, MD_*, NATS_*) are the replay-publisher's too. `label`: the name an error
 * message uses whatever was given (the messages as they were before the table). */
// prettier-ignore
export const OPTIONS = defineOptions({
  apiKey: opt.string({ flag: false, env: ['POLYGON_API_KEY', 'MASSIVE_API_KEY'], default: () => fail('no API key: set POLYGON_API_KEY (or MASSIVE_API_KEY)'),
    defaultText: 'required', help: 'the vendor API key, never logged' }),
  sink: opt.enum({ env: 'MD_SINK', choices: ['nats', 'stdout'], default: 'nats', help: 'where events go; stdout: "subject<TAB>json" per event, logs on stderr' }),
  feed: opt.enum({ env: 'LIVE_FEED', choices: ['realtime', 'delayed'], default: D.feed, label: '--feed', help: 'host socket.* or delayed.*' }),
  vendor: opt.enum({ env: 'LIVE_VENDOR', choices: ['massive', 'polygon'], default: D.vendor, label: '--vendor', help: 'host names *.massive.com or legacy *.polygon.io' }),
  host: opt.custom({ env: 'LIVE_HOST', parse: matching(/^[A-Za-z0-9.-]+(:\d+)?$/, 'a host name (e.g. business.massive.com)'), label: '--host',
    placeholder: 'NAME', defaultText: 'by --vendor and --feed', help: 'any other host (business.massive.com, ...): wss://NAME/stocks, /options' }),
  stocksUrl: opt.custom({ env: 'POLYGON_STOCKS_WS_URL', parse: wsUrl, label: '--stocks-url / POLYGON_STOCKS_WS_URL', placeholder: 'URL',
    defaultText: 'wss://HOST/stocks', help: 'full ws:// or wss:// URL of the stocks session' }),
  optionsUrl: opt.custom({ env: 'POLYGON_OPTIONS_WS_URL', parse: wsUrl, label: '--options-url / POLYGON_OPTIONS_WS_URL', placeholder: 'URL',
    defaultText: 'wss://HOST/options', help: 'full ws:// or wss:// URL of the options session' }),
  source: opt.enum({ choices: ['massive_ws', 'polygon_ws'], defaultText: 'by host: *.polygon.io -> polygon_ws, else massive_ws', help: 'the source of the events' }),
  sessions: opt.list({ choices: ['stocks', 'options'], default: SESSIONS, check: (l) => (l.length ? undefined : 'must name stocks, options or both'),
    help: 'which sessions run' }),
  underlying: opt.custom({ env: 'LIVE_UNDERLYING', parse: (t, n) => matching(/^[A-Z0-9.]{1,10}$/, 'a ticker like SPY')(t.toUpperCase(), n),
    default: D.underlying, label: '--underlying', placeholder: 'SYM', help: 'the stocks session subscribes T.<SYM> and Q.<SYM>; its trades centre the strikes' }),
  optionRoot: opt.custom({ parse: (t) => t.toUpperCase(), placeholder: 'ROOT', defaultText: 'the underlying', help: 'option root if it differs from the underlying (SPX -> SPXW)' }),
  strikeRange: opt.number({ env: 'LIVE_STRIKE_RANGE', int: true, min: 0, default: D.strikeRange, label: '--strike-range', help: 'strikes each side of ATM',
    check: (n) => (tooManyStrikes(n) ? `${n} would hold more than 900 option quote contracts (the vendor allows 1,000 per connection)` : undefined) }),
  strikeIncrement: opt.number({ env: 'LIVE_STRIKE_INCREMENT', min: 0.001, default: D.strikeIncrement, label: '--strike-increment', help: 'strike grid step in dollars' }),
  recentreThreshold: opt.number({ flag: 'recentre', env: 'LIVE_RECENTRE', min: 0.001, default: D.recentreThreshold, label: '--recentre',
    help: 're-centre when the underlying trades this many dollars away from the last centre' }),
  focusStrike: opt.number({ env: 'LIVE_FOCUS_STRIKE', min: 0.001, default: D.focusStrike, label: '--focus-strike', help: "keep this strike's -1..+2 range subscribed" }),
  expiry: opt.custom({ parse: matching(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'), default: D.expiry, placeholder: 'YYYY-MM-DD',
    defaultText: 'today in America/New_York, rolled daily', help: 'pin the expiry' }),
  initialPrice: opt.number({ min: 0.001, default: D.initialPrice, help: 'centre the strikes here before the first underlying trade' }),
  idleTimeoutMs: seconds(D.idleTimeoutMs, { flag: 'idle-timeout', env: 'LIVE_IDLE_TIMEOUT_S', label: '--idle-timeout',
    check: (ms) => (ms > 0 ? undefined : 'must be > 0'), help: 'reconnect when no frame (nor pong) arrives for S seconds' }),
  pingIntervalMs: seconds(D.pingIntervalMs, { flag: 'ping-interval', help: 'WebSocket ping interval' }),
  stepTimeoutMs: seconds(D.stepTimeoutMs, { flag: 'step-timeout', help: 'limit of each connect / auth / subscribe step' }),
  maxPayload: opt.number({ int: true, min: 1024, default: D.maxPayload, placeholder: 'BYTES', help: 'largest accepted frame (a bigger one: reconnect)' }),
  queueSize: opt.number({ int: true, min: 1, max: MAX_QUEUE_SIZE, unit: 'events', default: D.queueSize, help: `bounded queue between socket and publisher, events, <= ${MAX_QUEUE_SIZE}` }),
  dropPolicy: opt.enum({ choices: ['drop-newest', 'drop-oldest'], default: D.dropPolicy, help: 'what goes when the queue is full' }),
  statsIntervalMs: seconds(D.statsIntervalMs, { flag: 'stats-interval', env: 'LIVE_STATS_INTERVAL_S', label: '--stats-interval', help: 'counters in the log every S seconds (0: only at exit)' }),
  natsUrl: opt.string({ env: 'NATS_URL', default: null, placeholder: 'URL[,URL]', defaultText: DEFAULT_NATS_URL,
    help: 'NATS server(s); user:password@ or token@ in a URL work and are never printed' }),
  publishMode: opt.enum({ env: 'NATS_PUBLISH_MODE', choices: ['ack', 'batch'], default: 'ack', help: 'JetStream publisher mode (batch on a replicated stream: warned about)' }),
  publishWindow: opt.number({ env: 'NATS_PUBLISH_WINDOW', int: true, min: 1, defaultText: "the publisher's for the mode", help: 'max unconfirmed events' }),
  replicas: opt.number({ env: 'NATS_STREAM_REPLICAS', int: true, min: 1, max: 5, label: '--replicas / NATS_STREAM_REPLICAS', defaultText: '1',
    help: 'replicas of MARKET_DATA if this app creates it (an existing stream capturing market.> is used as it is)' }),
  backoffInitialMs: opt.number({ min: 1, max: MAX_TIMER_MS, unit: 'ms', default: D.backoffInitialMs, placeholder: 'MS', help: 'first reconnect delay; doubles, +-50% jitter' }),
  backoffMaxMs: opt.number({ min: 1, max: MAX_TIMER_MS, unit: 'ms', default: D.backoffMaxMs, placeholder: 'MS', help: 'reconnect delay cap' }),
  stableResetMs: seconds(D.stableResetMs, { flag: 'stable-reset', help: 'streaming this long resets the reconnect backoff' }),
  maxConnectionsCooldownMs: seconds(D.maxConnectionsCooldownMs, { flag: 'max-connections-cooldown', help: 'wait after a max_connections status' }),
  shutdownTimeoutMs: seconds(D.shutdownTimeoutMs, { flag: 'shutdown-timeout', env: 'MD_SHUTDOWN_TIMEOUT_S', help: 'wait at most S seconds for outstanding acks when stopping' }),
  restUrl: opt.custom({ env: 'MASSIVE_REST_URL', parse: httpUrl, default: (v) => defaultRestUrl(v.vendor as 'massive' | 'polygon'), label: '--rest-url / MASSIVE_REST_URL',
    placeholder: 'URL', defaultText: 'by --vendor: https://api.massive.com or https://api.polygon.io', help: 'the vendor REST API (v3 trades and quotes) the backfill reads' }),
  backfill: opt.boolean({ env: 'LIVE_BACKFILL', default: true, show: 'both', defaultText: 'on', label: '--backfill / LIVE_BACKFILL',
    help: 'fill every gap (drop, restart, queue overflow) from the REST API; --no-backfill: only announce it' }),
  backfillMaxMs: opt.duration({ flag: 'backfill-max', env: 'LIVE_BACKFILL_MAX', unit: 's', as: 'ms', default: BACKFILL_MAX_S, label: '--backfill-max',
    placeholder: 'S|DURATION', defaultText: '15min', help: 'the oldest hole filled (seconds or 90s, 15min, 1h); older ones are announced, not filled' }),
  ha: opt.boolean({ env: 'LIVE_HA', label: '--ha / LIVE_HA', help: 'hot standby: only the holder of a NATS KV lease opens vendor sockets' }),
  haTtlMs: seconds(HA_TTL_MS, { flag: 'ha-ttl', env: 'LIVE_HA_TTL', label: '--ha-ttl', check: (ms) => (ms >= 300 ? undefined : 'must be >= 0.3'),
    help: 'lease time to live (refreshed at a third of it); a standby takes over within it' }),
  haKey: opt.custom({ parse: matching(/^[-_=A-Za-z0-9]+(\.[-_=A-Za-z0-9]+)*$/, 'a KV key (tokens of letters, digits, - _ = joined by dots)'),
    default: (v) => `live-ingestor.${String(v.vendor)}.${String(v.feed)}`, placeholder: 'KEY', defaultText: 'live-ingestor.VENDOR.FEED', help: 'the lease name: instances with one key share one vendor connection' }),
  instanceId: opt.custom({ parse: matching(/^[-_.=A-Za-z0-9]{1,128}$/, 'letters, digits, - _ . = (at most 128)'), default: () => `${hostname()}-${process.pid}`,
    placeholder: 'ID', defaultText: 'HOSTNAME-PID', help: 'this instance in the lease and the logs' }),
  logLevel: opt.custom({ env: ['MD_LOG_LEVEL', 'LIVE_DEBUG'], parse: logLevel, default: 'info', placeholder: LOG_LEVELS.join('|'),
    help: 'the lowest level logged (on stderr); LIVE_DEBUG=1 means debug' }),
  ...opsOptions(),
});

export const HELP = helpText(OPTIONS, {
  title: 'live-ingestor: Polygon.io / Massive.com WebSocket feeds -> canonical events -> NATS JetStream',
  usage: 'live-ingestor [options]        (npx nx serve live-ingestor, npx live-ingestor)',
  intro: `Two sessions: stocks (T.<underlying>, Q.<underlying>) and options (0DTE contracts, ATM +- N strikes,
calls and puts, T and Q, re-centred when the underlying trades 0.50 away from the last centre).`,
  sections: [{ title: 'Options (flags override the environment variable in brackets; "or": a documented alias):' }],
  outro: `NATS credentials/TLS: NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS, NATS_TLS_CA/CERT/KEY.
Times in seconds are at most 2147483, in ms at most 2147483647 (the limit of Node's timers).

Exit codes: 0 stopped by SIGINT/SIGTERM (or stdout closed), 2 bad configuration, 3 authentication refused (bad
key or plan without WebSocket access), 4 stopped but some events failed to publish to NATS, 1 other fatal error
(including the NATS connection closed for good, e.g. credentials revoked), 130 a second SIGINT/SIGTERM.`,
});

export type LiveConfig = Omit<InferOptions<typeof OPTIONS>, keyof LiveEngineConfig> &
  LiveEngineConfig & {
    /** --publish-mode / --publish-window were given (else a replicated stream may choose) */
    publishModeGiven: boolean;
    publishWindowGiven: boolean;
  };

/** argv + environment -> the engine's configuration (LIVE_DEFAULTS under the options) and the app's ('help' for --help) */
export function parseConfig(argv: readonly string[], env: Env): LiveConfig | 'help' {
  const p = parseOptions(OPTIONS, { argv, env });
  if (p === 'help') return 'help';
  const { values: v, given } = p;
  const sessions = { stocks: v.sessions.includes('stocks'), options: v.sessions.includes('options') };
  if (sessions.options && !sessions.stocks && v.initialPrice === null && v.focusStrike === null)
    fail(
      "the options session centres its strikes on the stocks session's underlying trades: run both sessions, or give --initial-price / --focus-strike",
    );
  if (v.ha && v.sink !== 'nats') fail('--ha needs --sink nats: the lease is a key in a NATS KV bucket');
  let engine: LiveEngineConfig; // the engine's own checks; the URLs, sources and option root it derives
  try {
    engine = liveConfig({ ...v, sessions, stocksSource: v.source, optionsSource: v.source });
  } catch (e) {
    throw e instanceof LiveConfigError ? new ConfigError(e.message) : e;
  }
  return { ...v, ...engine, publishModeGiven: given.publishMode !== undefined, publishWindowGiven: given.publishWindow !== undefined };
}
