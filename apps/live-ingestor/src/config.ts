/** Command line + environment -> LiveConfig. Flags override the environment. */
import { parseArgs } from 'node:util';
import { nyDate, StrikeManager, type DropPolicy } from '@md/polygon-normalizer';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Feed = 'realtime' | 'delayed';
export type Vendor = 'massive' | 'polygon';
export type LiveSource = 'massive_ws' | 'polygon_ws';

export interface LiveConfig {
  apiKey: string;
  sink: 'nats' | 'stdout';
  stocksUrl: string;
  optionsUrl: string;
  stocksSource: LiveSource;
  optionsSource: LiveSource;
  sessions: { stocks: boolean; options: boolean };
  underlying: string;
  /** option root (default: the underlying) */
  optionRoot: string;
  strikeRange: number;
  strikeIncrement: number;
  recentreThreshold: number;
  focusStrike: number | null;
  /** pinned expiry YYYY-MM-DD, or null: today in America/New_York (0DTE), rolled at midnight */
  expiry: string | null;
  /** centre the strikes here before the first underlying trade (null: wait for it) */
  initialPrice: number | null;
  idleTimeoutMs: number;
  pingIntervalMs: number;
  stepTimeoutMs: number;
  maxPayload: number;
  queueSize: number;
  dropPolicy: DropPolicy;
  statsIntervalMs: number;
  publishMode: 'ack' | 'batch';
  /** true when --publish-mode was given (else ack, and ack is kept on a replicated stream) */
  publishModeGiven: boolean;
  publishWindow: number | undefined;
  /** replicas of MARKET_DATA when the app creates it (--replicas / NATS_STREAM_REPLICAS); an existing stream is used as it is */
  streamReplicas: number | undefined;
  backoffInitialMs: number;
  backoffMaxMs: number;
  stableResetMs: number;
  maxConnectionsCooldownMs: number;
  shutdownTimeoutMs: number;
}

export const HELP = `live-ingestor: Polygon.io / Massive.com WebSocket feeds -> canonical events -> NATS JetStream

Usage: live-ingestor [options]        (nx serve live-ingestor)

Two sessions: stocks (T.<underlying>, Q.<underlying>) and options (0DTE contracts, ATM +- N strikes,
calls and puts, T and Q, re-centred when the underlying trades 0.50 away from the last centre).

Key:  POLYGON_API_KEY or MASSIVE_API_KEY (required; never logged)
NATS: NATS_URL (default nats://localhost:4222; may carry user:password@ or token@), NATS_USER/NATS_PASSWORD,
      NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS, NATS_TLS_CA/NATS_TLS_CERT/NATS_TLS_KEY. An existing MARKET_DATA
      that captures market.> is used as it is (other replicas, max age, ... are logged).

Options (flags override the environment variable in brackets):
  --sink nats|stdout          where events go; stdout: "subject<TAB>json" per event, logs on stderr (nats)
  --feed realtime|delayed     host socket.* or delayed.* [LIVE_FEED] (realtime)
  --vendor massive|polygon    host names *.massive.com or legacy *.polygon.io [LIVE_VENDOR] (massive)
  --host NAME                 any other host (business.massive.com, ...): wss://NAME/stocks, /options [LIVE_HOST]
  --stocks-url URL            full ws:// or wss:// URL of the stocks session [POLYGON_STOCKS_WS_URL]
  --options-url URL           full URL of the options session [POLYGON_OPTIONS_WS_URL]
  --source massive_ws|polygon_ws   event source (default: by host: *.polygon.io -> polygon_ws, else massive_ws)
  --sessions stocks,options   which sessions to run (stocks,options)
  --underlying SYM            [LIVE_UNDERLYING] (SPY)
  --option-root ROOT          option root if it differs from the underlying (SPX -> SPXW)
  --strike-range N            strikes each side of ATM [LIVE_STRIKE_RANGE] (3)
  --strike-increment X        strike grid step in dollars [LIVE_STRIKE_INCREMENT] (1)
  --recentre X                re-centre threshold in dollars [LIVE_RECENTRE] (0.5)
  --focus-strike X            keep this strike's -1..+2 range subscribed [LIVE_FOCUS_STRIKE]
  --expiry YYYY-MM-DD         pin the expiry (default: today in America/New_York, rolled daily)
  --initial-price X           centre strikes here before the first underlying trade
  --idle-timeout S            reconnect when no frame (nor pong) arrives for S seconds [LIVE_IDLE_TIMEOUT_S] (60)
  --ping-interval S           WebSocket ping interval (20)
  --max-payload BYTES         largest accepted frame (8388608)
  --queue-size N              bounded queue between socket and publisher, events, <= 10000000 (100000)
  --drop-policy P             drop-newest|drop-oldest when the queue is full (drop-newest)
  --stats-interval S          counters in the log every S seconds [LIVE_STATS_INTERVAL_S] (10)
  --publish-mode ack|batch    JetStream publisher mode (ack; kept on a replicated stream unless given)
  --publish-window N          max unconfirmed events (publisher default)
  --replicas N                replicas of MARKET_DATA if this app creates it, 1..5 [NATS_STREAM_REPLICAS] (1)
  --backoff-initial-ms MS     first reconnect delay (500); doubles, +-50% jitter
  --backoff-max-ms MS         reconnect delay cap (30000)
  --max-connections-cooldown S   wait after a max_connections status (60)
  (durations in seconds are at most 2147483, in ms at most 2147483647: the limit of Node's timers)
  -h, --help                  this text

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 bad configuration, 3 authentication refused (bad key or plan
without WebSocket access), 4 stopped but some events failed to publish to NATS, 1 other fatal error
(including the NATS connection closed for good, e.g. credentials revoked).
`;

const HOSTS: Record<Vendor, Record<Feed, string>> = {
  massive: { realtime: 'socket.massive.com', delayed: 'delayed.massive.com' },
  polygon: { realtime: 'socket.polygon.io', delayed: 'delayed.polygon.io' },
};

/** massive_ws unless the host is a *.polygon.io name */
export function sourceForUrl(url: string): LiveSource {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return 'massive_ws';
  }
  return host === 'polygon.io' || host.endsWith('.polygon.io') ? 'polygon_ws' : 'massive_ws';
}

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** the largest delay Node's timers accept (2^31-1 ms); above it Node warns and waits 1 ms */
export const MAX_TIMER_MS = 2_147_483_647;
/** the largest --queue-size (the queue preallocates its ring: 10M slots are ~80 MB) */
export const MAX_QUEUE_SIZE = 10_000_000;

function number(name: string, v: string, opts: { int?: boolean; min?: number; max?: number; unit?: string } = {}): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new ConfigError(`${name} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}, got ${JSON.stringify(v)}`);
  }
  if (opts.max !== undefined && n > opts.max) {
    throw new ConfigError(`${name} must be <= ${opts.max}${opts.unit ? ` (${opts.unit})` : ''}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function wsUrl(name: string, v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${name} must be a full ws:// or wss:// URL, got ${JSON.stringify(v)}`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new ConfigError(`${name} must be a ws:// or wss:// URL, got ${u.protocol}`);
  return v;
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): LiveConfig | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        sink: { type: 'string' },
        feed: { type: 'string' },
        vendor: { type: 'string' },
        host: { type: 'string' },
        'stocks-url': { type: 'string' },
        'options-url': { type: 'string' },
        source: { type: 'string' },
        sessions: { type: 'string' },
        underlying: { type: 'string' },
        'option-root': { type: 'string' },
        'strike-range': { type: 'string' },
        'strike-increment': { type: 'string' },
        recentre: { type: 'string' },
        'focus-strike': { type: 'string' },
        expiry: { type: 'string' },
        'initial-price': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'ping-interval': { type: 'string' },
        'step-timeout': { type: 'string' },
        'max-payload': { type: 'string' },
        'queue-size': { type: 'string' },
        'drop-policy': { type: 'string' },
        'stats-interval': { type: 'string' },
        'publish-mode': { type: 'string' },
        'publish-window': { type: 'string' },
        replicas: { type: 'string' },
        'backoff-initial-ms': { type: 'string' },
        'backoff-max-ms': { type: 'string' },
        'stable-reset': { type: 'string' },
        'max-connections-cooldown': { type: 'string' },
        'shutdown-timeout': { type: 'string' },
      },
    }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message} (see --help)`);
  }
  if (values.help) return 'help';
  const s = (k: string, envName?: string): string | undefined => {
    const v = values[k];
    if (typeof v === 'string') return v;
    const ev = envName ? env[envName] : undefined;
    return ev !== undefined && ev !== '' ? ev : undefined;
  };

  const apiKey = env.POLYGON_API_KEY || env.MASSIVE_API_KEY || '';
  if (!apiKey) throw new ConfigError('no API key: set POLYGON_API_KEY (or MASSIVE_API_KEY)');

  const feed = oneOf<Feed>('--feed', s('feed', 'LIVE_FEED') ?? 'realtime', ['realtime', 'delayed']);
  const vendor = oneOf<Vendor>('--vendor', s('vendor', 'LIVE_VENDOR') ?? 'massive', ['massive', 'polygon']);
  const host = s('host', 'LIVE_HOST') ?? HOSTS[vendor][feed];
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) throw new ConfigError(`--host must be a host name (e.g. business.massive.com), got ${JSON.stringify(host)}`);
  const stocksUrl = wsUrl('--stocks-url / POLYGON_STOCKS_WS_URL', s('stocks-url', 'POLYGON_STOCKS_WS_URL') ?? `wss://${host}/stocks`);
  const optionsUrl = wsUrl('--options-url / POLYGON_OPTIONS_WS_URL', s('options-url', 'POLYGON_OPTIONS_WS_URL') ?? `wss://${host}/options`);
  const srcFlag = s('source');
  const src = srcFlag === undefined ? undefined : oneOf<LiveSource>('--source', srcFlag, ['massive_ws', 'polygon_ws']);
  const sessionList = (s('sessions') ?? 'stocks,options').split(',').map((x) => x.trim()).filter(Boolean);
  for (const x of sessionList) oneOf('--sessions item', x, ['stocks', 'options']);
  const underlying = (s('underlying', 'LIVE_UNDERLYING') ?? 'SPY').toUpperCase();
  if (!/^[A-Z0-9.]{1,10}$/.test(underlying)) throw new ConfigError(`--underlying must be a ticker like SPY, got ${JSON.stringify(underlying)}`);
  const expiry = s('expiry') ?? null;
  if (expiry !== null && !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) throw new ConfigError(`--expiry must be YYYY-MM-DD, got ${JSON.stringify(expiry)}`);
  const fs = s('focus-strike', 'LIVE_FOCUS_STRIKE');
  const ip = s('initial-price');
  const pw = s('publish-window');
  const rep = s('replicas', 'NATS_STREAM_REPLICAS');
  // timers: at most 2^31-1 ms (Node would otherwise fire them after 1 ms)
  const sec = (k: string, envName: string | undefined, dflt: number) =>
    Math.round(number(`--${k}`, s(k, envName) ?? String(dflt), { min: 0, max: Math.floor(MAX_TIMER_MS / 1000), unit: 'seconds' }) * 1000);

  const cfg: LiveConfig = {
    apiKey,
    sink: oneOf('--sink', s('sink') ?? 'nats', ['nats', 'stdout']),
    stocksUrl,
    optionsUrl,
    stocksSource: src ?? sourceForUrl(stocksUrl),
    optionsSource: src ?? sourceForUrl(optionsUrl),
    sessions: { stocks: sessionList.includes('stocks'), options: sessionList.includes('options') },
    underlying,
    optionRoot: (s('option-root') ?? underlying.replace(/\./g, '')).toUpperCase(),
    strikeRange: number('--strike-range', s('strike-range', 'LIVE_STRIKE_RANGE') ?? '3', { int: true, min: 0 }),
    strikeIncrement: number('--strike-increment', s('strike-increment', 'LIVE_STRIKE_INCREMENT') ?? '1', { min: 0.001 }),
    recentreThreshold: number('--recentre', s('recentre', 'LIVE_RECENTRE') ?? '0.5', { min: 0.001 }),
    focusStrike: fs === undefined ? null : number('--focus-strike', fs, { min: 0.001 }),
    expiry,
    initialPrice: ip === undefined ? null : number('--initial-price', ip, { min: 0.001 }),
    idleTimeoutMs: sec('idle-timeout', 'LIVE_IDLE_TIMEOUT_S', 60),
    pingIntervalMs: sec('ping-interval', undefined, 20),
    stepTimeoutMs: sec('step-timeout', undefined, 10),
    maxPayload: number('--max-payload', s('max-payload') ?? String(8 * 1024 * 1024), { int: true, min: 1024 }),
    queueSize: number('--queue-size', s('queue-size') ?? '100000', { int: true, min: 1, max: MAX_QUEUE_SIZE, unit: 'events' }),
    dropPolicy: oneOf<DropPolicy>('--drop-policy', s('drop-policy') ?? 'drop-newest', ['drop-newest', 'drop-oldest']),
    statsIntervalMs: sec('stats-interval', 'LIVE_STATS_INTERVAL_S', 10),
    publishMode: oneOf('--publish-mode', s('publish-mode') ?? 'ack', ['ack', 'batch']),
    publishModeGiven: s('publish-mode') !== undefined,
    streamReplicas: rep === undefined ? undefined : number('--replicas / NATS_STREAM_REPLICAS', rep.trim(), { int: true, min: 1, max: 5 }),
    publishWindow: pw === undefined ? undefined : number('--publish-window', pw, { int: true, min: 1 }),
    backoffInitialMs: number('--backoff-initial-ms', s('backoff-initial-ms') ?? '500', { min: 1, max: MAX_TIMER_MS, unit: 'ms' }),
    backoffMaxMs: number('--backoff-max-ms', s('backoff-max-ms') ?? '30000', { min: 1, max: MAX_TIMER_MS, unit: 'ms' }),
    stableResetMs: sec('stable-reset', undefined, 60),
    maxConnectionsCooldownMs: sec('max-connections-cooldown', undefined, 60),
    shutdownTimeoutMs: sec('shutdown-timeout', undefined, 15),
  };
  if (!cfg.sessions.stocks && !cfg.sessions.options) throw new ConfigError('--sessions must name stocks, options or both');
  if (cfg.idleTimeoutMs <= 0) throw new ConfigError('--idle-timeout must be > 0');
  // option quotes: at most 1,000 contracts per connection (polygon-ws.md 2.5); keep a margin
  if ((2 * cfg.strikeRange + 1 + 4) * 2 > 900) throw new ConfigError(`--strike-range ${cfg.strikeRange} would hold more than 900 option quote contracts (the vendor allows 1,000 per connection)`);
  if (cfg.sessions.options && !cfg.sessions.stocks && cfg.initialPrice === null && cfg.focusStrike === null) {
    throw new ConfigError('the options session centres its strikes on the stocks session\'s underlying trades: run both sessions, or give --initial-price / --focus-strike');
  }
  if (cfg.sessions.options) {
    try {
      // the strike manager's own checks (expiry date, root, grid) before anything connects
      new StrikeManager({ root: cfg.optionRoot, expDate: cfg.expiry ?? nyDate(), range: cfg.strikeRange, increment: cfg.strikeIncrement, recentreThreshold: cfg.recentreThreshold, focusStrike: cfg.focusStrike });
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  return cfg;
}

/** Replaces every occurrence of the secret with `***` (the API key never reaches a log line or an error). */
export function makeRedactor(secrets: string[]): (text: string) => string {
  const list = secrets.filter((x) => x.length >= 4).sort((a, b) => b.length - a.length);
  if (list.length === 0) return (t) => t;
  return (t) => {
    let out = t;
    for (const sec of list) if (out.includes(sec)) out = out.split(sec).join('***');
    return out;
  };
}
