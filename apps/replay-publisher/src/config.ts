/** The options: ONE table (@md/app-kit) -> parsing, validation, --help and the README table. Defaults: REPLAY_DEFAULTS. Pure: no I/O. */
import { ConfigError, defineOptions, opsOptions, formatDuration, helpText, LOG_LEVELS, MAX_TIMER_MS, opt } from '@md/app-kit';
import { parseDuration, parseOptions, type Env, type InferOptions } from '@md/app-kit';
import { DEFAULT_NATS_URL, desiredStreamConfig, type AppBusOptions } from '@md/nats-bus';
import { dayStartNs, REPLAY_DEFAULTS as D, resolveTime, type TimeSpec } from '@md/replay-engine';

// the replay's time types and defaults are @md/replay-engine's (defined once there)
export { ConfigError, dayStartNs, resolveTime, type TimeSpec };

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const bad = (name: string, v: string, what: string) =>
  new ConfigError(`${name}: ${JSON.stringify(v)} is not ${what}`, { option: name, value: v });

/** 'YYYY-MM-DD' or 'YYYYMMDD' -> 'YYYY-MM-DD' (a real calendar date) */
export function parseDate(name: string, v: string): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v.trim());
  if (!m) throw new ConfigError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(v)}`, { option: name, value: v });
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && !leap ? 28 : (DAYS_IN_MONTH[mo - 1] ?? 31))) throw bad(name, v, 'a calendar date');
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** fraction digits (up to 9) -> ns */
const fractionNs = (frac: string | undefined) => (frac ? BigInt(frac.padEnd(9, '0')) : 0n);

/** HH:MM[:SS[.f]] (time of day, UTC), an ISO instant with Z or an offset (fraction to the ns), or integer Unix ns */
export function parseTimeSpec(name: string, v: string): TimeSpec {
  const t = v.trim();
  if (/^\d{15,20}$/.test(t)) return { kind: 'instant', ns: BigInt(t), text: t };
  let m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(t);
  if (m) {
    const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
    if (h > 24 || mi > 59 || s > 59 || (h === 24 && (mi > 0 || s > 0 || m[4]))) throw bad(name, v, 'a time of day');
    return { kind: 'time-of-day', ns: BigInt(h * 3600 + mi * 60 + s) * 1_000_000_000n + fractionNs(m[4]), text: t };
  }
  m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i.exec(t);
  if (m) {
    const zone = (m[6] ?? 'Z').toUpperCase();
    const ms = Date.parse(`${parseDate(name, m[1] ?? '')}T${m[2]}:${m[3]}:${m[4] ?? '00'}${zone}`);
    if (!Number.isFinite(ms)) throw bad(name, v, 'a valid instant');
    return { kind: 'instant', ns: BigInt(ms) * 1_000_000n + fractionNs(m[5]), text: t };
  }
  throw new ConfigError(
    `${name} must be HH:MM[:SS[.fff]] (UTC), an ISO instant like 2020-12-28T14:30:00Z, or integer Unix nanoseconds; got ${JSON.stringify(v)}`,
    { option: name, value: v },
  );
}

/** "250ms", "1s", "500us", "100000ns", or a bare number in `bareUnit` -> ns */
export const parseDurationNs = (name: string, v: string, bareUnit: 'ms' | 's'): bigint => parseDuration(v, bareUnit, name);

const time = (t: string, name: string) => parseTimeSpec(name, t);
const W = D.publishWindow;

/** Every option, once: the flag, its environment variable(s) and aliases, bounds, default and help. The shared names
 * (NATS_*, MD_*) are the live-ingestor's; `label`: the name an error message uses (as before the table). */
// prettier-ignore
export const OPTIONS = defineOptions({
  dataRoot: opt.string({ env: 'REPLAY_DATA_ROOT', default: null, placeholder: 'DIR', defaultText: './dbn-data when it exists (else the workspace root\'s dbn-data)',
    help: 'the DBN data root' }),
  bronzeRoot: opt.string({ env: 'REPLAY_BRONZE_ROOT', default: null, placeholder: 'DIR', defaultText: 'none',
    help: 'a Bronze Parquet lake (the folder holding bronze/): stock trades and quotes, option trades, futures' }),
  sample: opt.boolean({ env: 'REPLAY_SAMPLE', help: 'replay the synthetic sample session (source "sim"), also into a configured NATS_URL / --nats-url' }),
  dates: opt.list({ flag: 'date', env: 'REPLAY_DATE', item: (t, n) => (t.toLowerCase() === 'latest' ? 'latest' : parseDate(n, t)), default: [], label: '--date / REPLAY_DATE',
    placeholder: 'YYYY-MM-DD[,...]|latest', defaultText: 'every available date, in ascending order',
    help: 'date(s) to replay (YYYYMMDD works too; several need --continuous); latest: the latest available date only' }),
  continuous: opt.boolean({ env: 'REPLAY_CONTINUOUS', help: 'every available date in order (or the --date list), one clock' }),
  session: opt.enum({ env: 'REPLAY_SESSION', choices: ['full', 'rth', 'premarket'], default: D.session, label: '--session',
    help: 'where each date starts: full = the whole UTC day; rth = 09:30 New York; premarket = 04:00 New York (daylight saving applied)' }),
  start: opt.custom({ env: 'REPLAY_START', parse: time, default: null, label: '--start', placeholder: 'T',
    help: 'replay [start, end) of each date on ts_event: HH:MM[:SS[.fff]] UTC, an ISO instant (2020-12-28T14:30:00Z) or integer Unix nanoseconds' }),
  end: opt.custom({ env: 'REPLAY_END', parse: time, default: null, label: '--end', placeholder: 'T', help: 'the end of that window (the same forms)' }),
  speed: opt.number({ env: 'REPLAY_SPEED', min: 0, default: null, label: '--speed / REPLAY_SPEED',
    defaultText: `${D.speed} with data, ${D.sampleSpeed} for the sample session`, help: '1 = real time, 10 = ten times faster, 0 = as fast as possible' }),
  maxGapMs: opt.duration({ flag: 'max-gap', env: 'REPLAY_MAX_GAP', unit: 's', as: 'ms', default: formatDuration(BigInt(D.maxGapMs) * 1_000_000n), label: '--max-gap',
    placeholder: 'S', help: 'cap an idle gap between events at S seconds of wall time (0 = no cap; 250ms, 1s, ... work too)' }),
  options: opt.boolean({ aliases: ['include-options'], env: 'REPLAY_INCLUDE_OPTIONS', default: D.include.options, show: 'flag',
    help: 'include option trades (DBN OPRA files or Bronze); a date without them replays without them' }),
  optionsSource: opt.enum({ flag: 'options-source', env: 'REPLAY_OPTIONS_SOURCE', choices: ['auto', 'dbn', 'bronze'], default: 'auto', label: '--options-source',
    help: 'where option trades come from when both exist (auto: the DBN options file when the date has one, else Bronze)' }),
  bronzeFutures: opt.boolean({ flag: 'bronze-futures', env: 'REPLAY_USE_BRONZE_FUTURES', help: 'futures trades and MBP-10 from the Bronze lake instead of DBN' }),
  futuresSymbol: opt.string({ env: 'REPLAY_FUTURES_SYMBOL', default: 'ES', label: '--futures-symbol', help: 'the Bronze futures partition (symbol=ES/); rows keep their contract (ESZ5)' }),
  stockTrades: opt.boolean({ default: 'auto', show: 'no-flag', defaultText: 'when the Bronze lake has them', help: 'leave out the Bronze stock trades' }),
  stockQuotes: opt.boolean({ default: 'auto', show: 'no-flag', defaultText: 'when the Bronze lake has them', help: 'leave out the Bronze stock quotes' }),
  trades: opt.boolean({ default: D.include.trades, show: 'no-flag', help: 'leave out the futures trades' }),
  mbp10: opt.boolean({ default: D.include.mbp10, show: 'no-flag', help: 'leave out the MBP-10 books' }),
  order: opt.enum({ env: 'REPLAY_ORDER', choices: ['ts_event', 'ts_recv'], default: D.order, label: '--order',
    help: "merge key (ts_event: the contract's order; ts_recv: Databento's)" }),
  reorderWindowNs: opt.duration({ flag: 'reorder-window', env: 'REPLAY_REORDER_WINDOW', unit: 'ms', as: 'ns', max: '1h', default: formatDuration(D.reorderWindowNs),
    label: '--reorder-window / REPLAY_REORDER_WINDOW', help: 'hold events this long (input time) to restore ts_event order: 250ms, 1s, 500us, or a number of ms' }),
  sink: opt.enum({ env: ['MD_SINK', 'REPLAY_SINK'], choices: ['nats', 'stdout'], default: 'nats',
    help: 'where events go; stdout: "subject<TAB>json" per event, logs and statistics on stderr' }),
  natsUrl: opt.string({ env: 'NATS_URL', default: null, placeholder: 'URL[,URL]', defaultText: DEFAULT_NATS_URL,
    help: 'NATS server(s); user:password@ or token@ in a URL work and are never printed' }),
  autoServer: opt.boolean({ flag: 'local-server', env: 'REPLAY_LOCAL_SERVER', default: (_v, c) => !c.given('natsUrl'), show: 'both',
    defaultText: 'only when no URL is configured', help: 'start a local nats-server when none answers at the URL' }),
  mode: opt.enum({ flag: 'publish-mode', aliases: ['mode'], env: ['NATS_PUBLISH_MODE', 'REPLAY_PUBLISH_MODE'], choices: ['batch', 'ack'], default: 'batch',
    help: 'JetStream publisher mode (batch: core publishes confirmed in bulk, fastest; ack: one PubAck per event, chosen for a replicated stream unless given)' }),
  replicas: opt.number({ env: ['NATS_STREAM_REPLICAS', 'REPLAY_STREAM_REPLICAS'], int: true, min: 1, max: 5, defaultText: String(desiredStreamConfig({}).num_replicas),
    help: 'replicas of MARKET_DATA when it has to be created (an existing stream capturing market.> is used as it is)' }),
  window: opt.number({ flag: 'publish-window', aliases: ['window'], env: ['NATS_PUBLISH_WINDOW', 'REPLAY_PUBLISH_WINDOW'], int: true, min: 1,
    default: (v) => W[v.mode === 'ack' ? 'ack' : 'batch'], defaultText: `batch ${W.batch}, ack ${W.ack}`, help: 'max unconfirmed events (bounds memory)' }),
  objectPath: opt.boolean({ flag: 'object-path', env: 'MD_OBJECT_PATH',
    help: 'replay through an event object per event (the pre-issue-12 path; same bytes, order and statistics) instead of the fast lane of pre-encoded batches: for comparison, or as an escape hatch' }),
  resume: opt.boolean({ help: 'continue after the last event of this replay already in the stream (same data, --order and --reorder-window as the interrupted run)' }),
  progressEvery: opt.number({ env: 'REPLAY_PROGRESS_EVERY', int: true, min: 0, default: D.progressEvery, label: '--progress-every', help: 'progress line every N events (0 = none)' }),
  progressBar: opt.boolean({ default: 'auto', show: 'both', defaultText: 'when stderr is a terminal', help: 'a live bar on stderr instead of progress lines' }),
  status: opt.boolean({ default: true, help: 'do not publish start/completion messages on md.replay.status' }),
  sampleDir: opt.string({ env: 'REPLAY_SAMPLE_DIR', default: null, placeholder: 'DIR', defaultText: 'node_modules/.cache/md-replay-sample, or the OS temp dir',
    help: 'where the sample session is generated' }),
  shutdownTimeoutS: opt.number({ flag: 'shutdown-timeout', env: 'MD_SHUTDOWN_TIMEOUT_S', min: 0, max: Math.floor(MAX_TIMER_MS / 1000), unit: 'seconds',
    default: D.shutdownTimeoutMs / 1000, placeholder: 'S', help: 'wait at most S seconds for outstanding acks when stopping' }),
  logLevel: opt.enum({ env: 'MD_LOG_LEVEL', choices: LOG_LEVELS, default: 'info', help: 'the lowest level logged (on stderr)' }),
  ...opsOptions(),
  metricsLingerS: opt.number({ flag: 'metrics-linger', env: 'MD_METRICS_LINGER_S', min: 0, max: 3600, unit: 'seconds', default: 0, placeholder: 'S',
    label: '--metrics-linger', help: 'with --metrics-port: after the replay ends, keep the endpoint up S seconds (or until SIGINT/SIGTERM) for a last scrape' }),
});

export const HELP = helpText(OPTIONS, {
  title: 'replay-publisher: Databento DBN files and a Bronze Parquet lake -> canonical events -> NATS JetStream, at a chosen speed',
  usage: 'replay-publisher [options]            (npx nx serve replay-publisher, npx replay-publisher)',
  intro: `Data root layout (REPLAY_DATA_ROOT / --data-root):
  trades/glbx-mdp3-YYYYMMDD.trades.dbn[.zst]     -> market.futures.trades
  MBP-10/glbx-mdp3-YYYYMMDD.mbp-10.dbn[.zst]     -> market.futures.mbp10
  options/opra-pillar-YYYYMMDD.trades.dbn[.zst]  -> market.options.trades  (with --include-options)
Default data root: ./dbn-data (else the workspace root's dbn-data). Bronze lake (REPLAY_BRONZE_ROOT / --bronze-root):
  bronze/stocks/{trades,quotes}/symbol=SPY/, bronze/options/trades/underlying=SPY/,
  bronze/futures/{trades,mbp10}/symbol=ES/, each .../date=YYYY-MM-DD/hour=HH/part-*.parquet (UTC)
With no data at all, a deterministic synthetic sample session (source "sim") is generated once into a cache
directory (--sample-dir) and replayed, but never into a configured NATS_URL / --nats-url without --sample;
without a reachable NATS server (and no URL given), a local nats-server is started on a free loopback port and
stopped at the end. Every available date is replayed in ascending order (--date latest: the latest only); a
date missing a kind of file replays what it has, with one warning.

Events of a replay are published in non-decreasing ts_event order across subjects (a bounded reorder
window absorbs the small steps back inside a file); ties: futures trades, stock trades, option trades,
stock quotes, MBP-10.`,
  sections: [{ title: 'Options (flags override the environment variable in brackets; "also": a documented alias):' }],
  outro: `NATS credentials/TLS: NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS, NATS_TLS_CA/CERT/KEY.

Exit codes: 0 done (or stopped by SIGINT/SIGTERM after waiting for the acks, or stdout closed), 2 bad
configuration (nothing connected or published), 1 other error (NATS unreachable, events not confirmed, ...),
130 a second SIGINT/SIGTERM (exited without waiting).`,
});

export type ReplayConfig = Omit<InferOptions<typeof OPTIONS>, 'dates'> & {
  /** the --date list ('latest' taken out: see `latest`) */
  dates: string[];
  /** --date latest: the latest available date only */
  latest: boolean;
  /** NATS_URL / --nats-url was given (the sample session is never published there without --sample) */
  natsUrlExplicit: boolean;
  shutdownTimeoutMs: number;
  /** the publish mode / window were given (otherwise a replicated stream switches to ack mode and its window) */
  modeExplicit: boolean;
  windowExplicit: boolean;
};

/** argv + environment -> ReplayConfig ('help' for --help); a ConfigError for a bad value or combination */
export function parseConfig(argv: readonly string[], env: Env): ReplayConfig | 'help' {
  const p = parseOptions(OPTIONS, { argv, env });
  if (p === 'help') return 'help';
  const { values: v, given } = p;
  const c = {
    ...v,
    dates: v.dates.filter((d) => d !== 'latest'),
    latest: v.dates.includes('latest'),
    shutdownTimeoutMs: Math.round(v.shutdownTimeoutS * 1000),
    modeExplicit: !!given.mode,
    windowExplicit: !!given.window,
    natsUrlExplicit: !!given.natsUrl,
  };
  const fail = (m: string) => {
    throw new ConfigError(m);
  };
  const latest = v.dates.includes('latest');
  if (latest && v.dates.length > 1) fail('--date latest cannot be combined with other dates');
  if (latest && c.continuous) fail('--date latest and --continuous: pick one (latest replays one date)');
  if (v.dates.length > 1 && !c.continuous) fail('several --date values need --continuous');
  if (c.sample && c.dataRoot !== null)
    fail('--sample and --data-root / REPLAY_DATA_ROOT: pick one (the sample session is its own data root)');
  if (c.sample && c.bronzeRoot !== null) fail('--sample and --bronze-root / REPLAY_BRONZE_ROOT: pick one');
  if (given.optionsSource && c.options === false)
    fail('--options-source needs option trades: add --include-options (REPLAY_INCLUDE_OPTIONS=true)');
  if (c.start && c.end && c.start.kind === c.end.kind && c.end.ns <= c.start.ns)
    fail(`--end (${c.end.text}) must be after --start (${c.start.text})`);
  if (!c.trades && !c.mbp10 && c.options === false && (c.bronzeRoot === null || (!c.stockTrades && !c.stockQuotes)))
    fail('nothing to replay: --no-trades and --no-mbp10 without --include-options (or Bronze stock tables)');
  if (c.resume && c.sink !== 'nats') fail('--resume needs --sink nats (it reads where the stream stopped)');
  if (given.metricsLingerS && c.metricsPort === null) fail('--metrics-linger needs --metrics-port (MD_METRICS_PORT)');
  return c;
}

/** what main passes to openAppBus (the app's bus: its URL, replicas, publish mode and window, local server) */
export function busOptions(c: ReplayConfig, env: Env, log: AppBusOptions['log']): AppBusOptions {
  const { natsUrl: url, autoServer: localServer, replicas, mode, modeExplicit, window, windowExplicit } = c;
  const publish = { mode, modeExplicit, modeFlag: '--publish-mode', window, windowExplicit };
  return { name: 'replay-publisher', url, env, localServer, replicas, ...publish, log };
}
