/**
 * The live engine's configuration and its defaults, defined once: the live-ingestor CLI parses its flags onto
 * these (its --help and README quote them), and a TypeScript user who passes only an API key gets exactly the
 * CLI's behaviour. Hosts and session flow: docs/polygon-ws.md.
 */
import type { DropPolicy } from '@md/polygon-normalizer';
import type { RestFactory, RestSource } from './backfill.js';
import type { GapAnnouncement } from './gaps.js';

/** real-time or 15-minute delayed host */
export type Feed = 'realtime' | 'delayed';
/** host names: *.massive.com, or the legacy *.polygon.io */
export type Vendor = 'massive' | 'polygon';
/** the `source` of the events (event contract) */
export type LiveSource = 'massive_ws' | 'polygon_ws';

/** The WebSocket hosts by vendor and feed: wss://HOST/stocks and wss://HOST/options. */
export const LIVE_HOSTS: Readonly<Record<Vendor, Readonly<Record<Feed, string>>>> = Object.freeze({
  massive: Object.freeze({ realtime: 'socket.massive.com', delayed: 'delayed.massive.com' }),
  polygon: Object.freeze({ realtime: 'socket.polygon.io', delayed: 'delayed.polygon.io' }),
});

/** Everything the engine runs with (what `liveConfig()` resolves). Durations in ms. */
export interface LiveEngineConfig {
  /** POLYGON_API_KEY / MASSIVE_API_KEY: sent in the auth message, never logged */
  apiKey: string;
  stocksUrl: string;
  optionsUrl: string;
  stocksSource: LiveSource;
  optionsSource: LiveSource;
  /** which sessions run (at least one) */
  sessions: { stocks: boolean; options: boolean };
  /** the stocks session subscribes T.<underlying> and Q.<underlying>; its trades centre the option strikes */
  underlying: string;
  /** option root (SPX -> SPXW); default: the underlying without dots */
  optionRoot: string;
  /** strikes each side of the money */
  strikeRange: number;
  /** strike grid step, dollars */
  strikeIncrement: number;
  /** re-centre when the underlying trades this far (dollars) from the last centre */
  recentreThreshold: number;
  /** keep this strike's -1..+2 range subscribed (null: none) */
  focusStrike: number | null;
  /** pinned expiry YYYY-MM-DD, or null: today in America/New_York (0DTE), rolled at midnight */
  expiry: string | null;
  /** centre the strikes here before the first underlying trade (null: wait for it) */
  initialPrice: number | null;
  /** reconnect when neither a frame nor a pong arrives for this long */
  idleTimeoutMs: number;
  pingIntervalMs: number;
  /** limit of each connect / auth step */
  stepTimeoutMs: number;
  /** largest frame accepted, bytes (a bigger one closes the socket and reconnects) */
  maxPayload: number;
  /** the bounded queue between the socket readers and the sink, events */
  queueSize: number;
  dropPolicy: DropPolicy;
  /** a counters line in the log every this often; 0: only the final one */
  statsIntervalMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** streaming this long resets the reconnect backoff */
  stableResetMs: number;
  /** the least wait after a max_connections status */
  maxConnectionsCooldownMs: number;
  /** what stop() gives the sink's close() (JetStreamPublisher: time to wait for the last acks) */
  shutdownTimeoutMs: number;
  /** the vendor's REST history API (backfill): https://api.massive.com / https://api.polygon.io by vendor */
  restUrl: string;
  /** fill gaps from REST (false: gaps are only announced, unfilled) */
  backfill: boolean;
  /** a window reaches back at most this far from its end; the older part is announced unfilled (backfill_max) */
  backfillMaxMs: number;
  /** a window ends this long after the first live event after the reconnect (the two copies overlap) */
  backfillOverlapMs: number;
  /** REST is asked this long after a window's end (REST never has the future; it lags the socket a little) */
  backfillDelayMs: number;
  /** limit of one REST request (headers and body) */
  restTimeoutMs: number;
  /** REST requests in flight at most (windows filled at once) */
  restConcurrency: number;
}

/** The stream's resume point of one subject (the app builds it on @md/nats-bus lastMessageOn / storedMessagesSince). */
export interface ResumePoint {
  /** the newest vendor time stored on the subject, Unix ns */
  tsEventNs: bigint;
  /** when that message was stored, Unix ms (informative) */
  timeMs?: number;
  /** the message ids stored at that vendor millisecond (REST rows with these ids are left out) */
  ids: readonly string[];
  /** market.stocks.trades: the underlying's price of that event (starts the strike manager's copy); else absent */
  price?: number | null;
}

/** Hooks of the engine beyond its configuration (functions, objects): what the app wires. */
export interface LiveEngineHooks {
  /** every gap announcement (the app publishes it on LIVE_GAPS_SUBJECT as gapJson(g)); default: logged only */
  announce?: (g: GapAnnouncement) => void;
  /** the stream's resume point per live subject; given, each session's start is a gap (reason restart) from there */
  resumePoint?: (subject: string) => Promise<ResumePoint | null> | ResumePoint | null;
  /** the REST source: a factory (one source per window) or one instance; default a RestClient on restUrl */
  rest?: RestFactory | RestSource;
  /** false: stop() leaves the sink open (hot standby: the app closes it at the end); default true */
  closeSinkOnStop?: boolean;
}

/** What `new LiveEngine()` / `liveConfig()` take: an API key, anything else overrides LIVE_DEFAULTS. */
export interface LiveEngineOptions extends Partial<LiveEngineConfig>, LiveEngineHooks {
  apiKey: string;
  /** picks the hosts when stocksUrl / optionsUrl are not given (default LIVE_DEFAULTS.feed) */
  feed?: Feed;
  /** picks the hosts when stocksUrl / optionsUrl are not given (default LIVE_DEFAULTS.vendor) */
  vendor?: Vendor;
  /** any other host (business.massive.com, ...): wss://HOST/stocks, wss://HOST/options */
  host?: string;
}

/**
 * The defaults of the engine and of the live-ingestor CLI. The URLs, sources and option root are derived
 * (`liveConfig()`): from `vendor` / `feed` (LIVE_HOSTS), the host (sourceForUrl) and the underlying.
 */
export const LIVE_DEFAULTS = Object.freeze({
  feed: 'realtime' as Feed,
  vendor: 'massive' as Vendor,
  sessions: Object.freeze({ stocks: true, options: true }),
  underlying: 'SPY',
  strikeRange: 3,
  strikeIncrement: 1,
  recentreThreshold: 0.5,
  focusStrike: null as number | null,
  expiry: null as string | null,
  initialPrice: null as number | null,
  idleTimeoutMs: 60_000,
  pingIntervalMs: 20_000,
  stepTimeoutMs: 10_000,
  maxPayload: 8 * 1024 * 1024,
  queueSize: 100_000,
  dropPolicy: 'drop-newest' as DropPolicy,
  statsIntervalMs: 10_000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  stableResetMs: 60_000,
  maxConnectionsCooldownMs: 60_000,
  shutdownTimeoutMs: 15_000,
  backfill: true,
  backfillMaxMs: 900_000,
  backfillOverlapMs: 1000,
  backfillDelayMs: 1000,
  restTimeoutMs: 10_000,
  restConcurrency: 2,
});

/** The REST hosts by vendor (what restUrl defaults to). */
export const REST_URLS: Readonly<Record<Vendor, string>> = Object.freeze({
  massive: 'https://api.massive.com',
  polygon: 'https://api.polygon.io',
});

/** A configuration the engine cannot run (the CLI checks its flags before, naming them). */
export class LiveConfigError extends Error {
  override name = 'LiveConfigError';
}

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

/** the option root of an underlying when none is given: BRK.B -> BRKB (option tickers have no dots) */
export function defaultOptionRoot(underlying: string): string {
  return underlying.replace(/\./g, '');
}

function nonNegative(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new LiveConfigError(`${name} must be an integer >= 0, got ${v}`);
  return v;
}
function positive(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new LiveConfigError(`${name} must be an integer >= 1, got ${v}`);
  return v;
}

/** LIVE_DEFAULTS with `options` over them, and the derived fields filled in. */
export function liveConfig(options: LiveEngineOptions): LiveEngineConfig {
  const o = options;
  const D = LIVE_DEFAULTS;
  if (typeof o.apiKey !== 'string' || o.apiKey === '') throw new LiveConfigError('no API key (apiKey)');
  const host = o.host ?? LIVE_HOSTS[o.vendor ?? D.vendor][o.feed ?? D.feed];
  const stocksUrl = o.stocksUrl ?? `wss://${host}/stocks`;
  const optionsUrl = o.optionsUrl ?? `wss://${host}/options`;
  const underlying = o.underlying ?? D.underlying;
  const sessions = { ...(o.sessions ?? D.sessions) };
  if (!sessions.stocks && !sessions.options) throw new LiveConfigError('sessions: run stocks, options or both');
  return {
    apiKey: o.apiKey,
    stocksUrl,
    optionsUrl,
    stocksSource: o.stocksSource ?? sourceForUrl(stocksUrl),
    optionsSource: o.optionsSource ?? sourceForUrl(optionsUrl),
    sessions,
    underlying,
    optionRoot: o.optionRoot ?? defaultOptionRoot(underlying),
    strikeRange: o.strikeRange ?? D.strikeRange,
    strikeIncrement: o.strikeIncrement ?? D.strikeIncrement,
    recentreThreshold: o.recentreThreshold ?? D.recentreThreshold,
    focusStrike: o.focusStrike ?? D.focusStrike,
    expiry: o.expiry ?? D.expiry,
    initialPrice: o.initialPrice ?? D.initialPrice,
    idleTimeoutMs: o.idleTimeoutMs ?? D.idleTimeoutMs,
    pingIntervalMs: o.pingIntervalMs ?? D.pingIntervalMs,
    stepTimeoutMs: o.stepTimeoutMs ?? D.stepTimeoutMs,
    maxPayload: o.maxPayload ?? D.maxPayload,
    queueSize: o.queueSize ?? D.queueSize,
    dropPolicy: o.dropPolicy ?? D.dropPolicy,
    statsIntervalMs: o.statsIntervalMs ?? D.statsIntervalMs,
    backoffInitialMs: o.backoffInitialMs ?? D.backoffInitialMs,
    backoffMaxMs: o.backoffMaxMs ?? D.backoffMaxMs,
    stableResetMs: o.stableResetMs ?? D.stableResetMs,
    maxConnectionsCooldownMs: o.maxConnectionsCooldownMs ?? D.maxConnectionsCooldownMs,
    shutdownTimeoutMs: o.shutdownTimeoutMs ?? D.shutdownTimeoutMs,
    // the vendor given, else the one the WebSocket host names (a *.polygon.io host: polygon)
    restUrl: o.restUrl ?? REST_URLS[o.vendor ?? (sourceForUrl(stocksUrl) === 'polygon_ws' ? 'polygon' : D.vendor)],
    backfill: o.backfill ?? D.backfill,
    backfillMaxMs: nonNegative('backfillMaxMs', o.backfillMaxMs ?? D.backfillMaxMs),
    backfillOverlapMs: nonNegative('backfillOverlapMs', o.backfillOverlapMs ?? D.backfillOverlapMs),
    backfillDelayMs: nonNegative('backfillDelayMs', o.backfillDelayMs ?? D.backfillDelayMs),
    restTimeoutMs: positive('restTimeoutMs', o.restTimeoutMs ?? D.restTimeoutMs),
    restConcurrency: positive('restConcurrency', o.restConcurrency ?? D.restConcurrency),
  };
}
