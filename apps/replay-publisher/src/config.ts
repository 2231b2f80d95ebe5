/** Command line + environment -> ReplayConfig. Flags override the environment. Pure: no I/O. */
import { parseArgs } from 'node:util';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type SinkKind = 'nats' | 'stdout';
export type PublishMode = 'ack' | 'batch';
export type OrderKey = 'ts_event' | 'ts_recv';

/** A point in time given on the command line: a time of day (applied to each replayed date) or an absolute instant. */
export type TimeSpec = { kind: 'time-of-day'; ns: bigint; text: string } | { kind: 'instant'; ns: bigint; text: string };

export interface ReplayConfig {
  /** null: no data root given -> the generated sample session (cached) */
  dataRoot: string | null;
  /** dates to replay (YYYY-MM-DD); empty: the latest available date (or every date with --continuous) */
  dates: string[];
  continuous: boolean;
  start: TimeSpec | null;
  end: TimeSpec | null;
  trades: boolean;
  mbp10: boolean;
  /** true / false, or 'auto': included when the date has an options file */
  options: boolean | 'auto';
  /** 0 = as fast as possible */
  speed: number;
  /** cap on an idle gap, in ms of wall time (0 = no cap) */
  maxGapMs: number;
  reorderWindowNs: bigint;
  order: OrderKey;
  sink: SinkKind;
  /** NATS_URL / --nats-url (comma-separated list allowed); null: the bus default (nats://localhost:4222) */
  natsUrl: string | null;
  /** start a local nats-server when none is reachable at natsUrl: default true when natsUrl was not given */
  autoServer: boolean;
  mode: PublishMode;
  /** --mode / REPLAY_PUBLISH_MODE given (otherwise a replicated stream switches the default to ack) */
  modeExplicit: boolean;
  /** replicas of MARKET_DATA when this app creates it (an existing stream is used as it is) */
  replicas: number | undefined;
  /** max unconfirmed events (batch 2048, ack 1024) */
  window: number;
  windowExplicit: boolean;
  resume: boolean;
  /** progress line every N events (0 = none) */
  progressEvery: number;
  /** 'auto' = a live bar when stderr is a terminal */
  progressBar: boolean | 'auto';
  /** where the sample session is generated (null: the default cache dir) */
  sampleDir: string | null;
  /** give up waiting for acks at shutdown after this many ms */
  shutdownTimeoutMs: number;
  /** publish status messages on md.replay.status (nats sink only) */
  status: boolean;
}

export const HELP = `replay-publisher: Databento DBN files -> canonical events -> NATS JetStream, at a chosen speed

Usage: replay-publisher [options]            (npx nx serve replay-publisher, npx replay-publisher)

Data root layout (REPLAY_DATA_ROOT / --data-root):
  trades/glbx-mdp3-YYYYMMDD.trades.dbn[.zst]     -> market.futures.trades
  MBP-10/glbx-mdp3-YYYYMMDD.mbp-10.dbn[.zst]     -> market.futures.mbp10
  options/opra-pillar-YYYYMMDD.trades.dbn[.zst]  -> market.options.trades
Without a data root, a deterministic sample session is generated once into a cache directory
(REPLAY_SAMPLE_DIR, default node_modules/.cache/md-replay-sample or the OS temp dir) and replayed at
speed 0; without a reachable NATS server (and no NATS_URL / --nats-url given), a local nats-server is
started on a free loopback port and stopped at the end.

Events of a replay are published in non-decreasing ts_event order across subjects (a bounded reorder
window absorbs the small steps back inside a file); ties: trades, then options, then MBP-10.

Options (flags override the environment variable in brackets):
  --data-root DIR            the DBN data root [REPLAY_DATA_ROOT] (none: the sample session)
  --date YYYY-MM-DD[,...]    date(s) to replay [REPLAY_DATE] (the latest available date)
  --continuous               every available date in order (or the --date list) [REPLAY_CONTINUOUS]
  --start T / --end T        replay [start, end) of each date: HH:MM[:SS[.fff]] UTC, an ISO instant
                             (2020-12-28T14:30:00Z) or integer Unix nanoseconds [REPLAY_START, REPLAY_END]
  --speed X                  1 = real time, 10 = ten times faster, 0 = as fast as possible [REPLAY_SPEED]
                             (1 with a data root, 0 for the sample session)
  --max-gap S                cap an idle gap between events at S seconds of wall time (5; 0 = no cap)
  --options / --no-options   include OPRA option trades [REPLAY_INCLUDE_OPTIONS=true|false]
                             (default: when the date has an options file)
  --no-trades / --no-mbp10   leave out futures trades / MBP-10 books
  --order ts_event|ts_recv   merge key (ts_event: the contract's order; ts_recv: Databento's) (ts_event)
  --reorder-window D         hold events this long (input time) to restore ts_event order: 250ms, 1s,
                             500us, or a number of ms (100ms) [REPLAY_REORDER_WINDOW]
  --sink nats|stdout         where events go; stdout: "subject<TAB>json" per event, logs on stderr (nats)
  --nats-url URL[,URL]       NATS server(s) [NATS_URL] (nats://localhost:4222)
  --local-server / --no-local-server   start a local nats-server when none answers at the URL
                             [REPLAY_LOCAL_SERVER] (default: only when no URL was configured)
  --mode batch|ack           JetStream publisher mode [REPLAY_PUBLISH_MODE] (batch: core publishes
                             confirmed in bulk, fastest; ack when the stream is replicated (R>1))
  --replicas N               replicas of MARKET_DATA when it has to be created [REPLAY_STREAM_REPLICAS] (1);
                             an existing stream capturing market.> is used as it is
  --window N                 max unconfirmed events [REPLAY_PUBLISH_WINDOW] (batch 2048, ack 1024: bounds memory)
  --resume                   continue after the last event of this replay already in the stream
                             (same data, order and reorder window as the interrupted run)
  --progress-every N         progress line every N events (10000; 0 = none)
  --progress-bar / --no-progress-bar   live bar on stderr (default: when stderr is a terminal)
  --no-status                do not publish start/completion messages on md.replay.status
  --sample-dir DIR           where the sample session is generated [REPLAY_SAMPLE_DIR]
  --shutdown-timeout S       wait at most S seconds for outstanding acks when stopping (30)
  -h, --help                 this text

NATS credentials/TLS: NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS, NATS_TLS_CA/CERT/KEY.

Exit codes: 0 done (or stopped by SIGINT/SIGTERM after waiting for the acks), 2 bad configuration
(nothing connected or published), 1 other error (NATS unreachable, events not confirmed, ...).
`;

function oneOf<T extends string>(name: string, v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function number(name: string, v: string, opts: { int?: boolean; min?: number } = {}): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new ConfigError(`${name} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function bool(name: string, v: string): boolean {
  const x = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(x)) return true;
  if (['0', 'false', 'no', 'off'].includes(x)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(v)}`);
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** 'YYYY-MM-DD' or 'YYYYMMDD' -> 'YYYY-MM-DD' (a real calendar date) */
export function parseDate(name: string, v: string): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v.trim());
  if (!m) throw new ConfigError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(v)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (mo < 1 || mo > 12 || d < 1 || d > (mo === 2 && !leap ? 28 : DAYS_IN_MONTH[mo - 1])) {
    throw new ConfigError(`${name}: ${JSON.stringify(v)} is not a calendar date`);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Unix ns of 00:00:00 UTC of a 'YYYY-MM-DD' date */
export function dayStartNs(date: string): bigint {
  return BigInt(Date.parse(`${date}T00:00:00Z`)) * 1_000_000n;
}

/** fraction digits (up to 9) -> ns */
function fractionNs(frac: string | undefined): bigint {
  if (!frac) return 0n;
  return BigInt(frac.padEnd(9, '0'));
}

/** HH:MM[:SS[.f]] (time of day, UTC), an ISO instant with Z or an offset (fraction to the ns), or integer Unix ns */
export function parseTimeSpec(name: string, v: string): TimeSpec {
  const t = v.trim();
  if (/^\d{15,20}$/.test(t)) return { kind: 'instant', ns: BigInt(t), text: t };
  let m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(t);
  if (m) {
    const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
    if (h > 24 || mi > 59 || s > 59 || (h === 24 && (mi > 0 || s > 0 || m[4]))) throw new ConfigError(`${name}: ${JSON.stringify(v)} is not a time of day`);
    const ns = BigInt(h * 3600 + mi * 60 + s) * 1_000_000_000n + fractionNs(m[4]);
    return { kind: 'time-of-day', ns, text: t };
  }
  m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i.exec(t);
  if (m) {
    const date = parseDate(name, m[1]);
    const ms = Date.parse(`${date}T${m[2]}:${m[3]}:${m[4] ?? '00'}${m[6].toUpperCase() === 'Z' ? 'Z' : m[6]}`);
    if (!Number.isFinite(ms)) throw new ConfigError(`${name}: ${JSON.stringify(v)} is not a valid instant`);
    return { kind: 'instant', ns: BigInt(ms) * 1_000_000n + fractionNs(m[5]), text: t };
  }
  throw new ConfigError(`${name} must be HH:MM[:SS[.fff]] (UTC), an ISO instant like 2020-12-28T14:30:00Z, or integer Unix nanoseconds; got ${JSON.stringify(v)}`);
}

/** the Unix ns a TimeSpec means on `date` */
export function resolveTime(spec: TimeSpec, date: string): bigint {
  return spec.kind === 'instant' ? spec.ns : dayStartNs(date) + spec.ns;
}

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1_000n, µs: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };

/** "250ms", "1s", "500us", "100000ns", or a bare number in `bareUnit` -> ns */
export function parseDurationNs(name: string, v: string, bareUnit: 'ms' | 's'): bigint {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?$/.exec(v.trim());
  if (!m) throw new ConfigError(`${name} must be a duration like 250ms, 1s, 500us or a number of ${bareUnit}, got ${JSON.stringify(v)}`);
  const unit = UNIT_NS[m[2] ?? bareUnit];
  const [int, frac = ''] = m[1].split('.');
  const scale = 10n ** BigInt(frac.length);
  return (BigInt(int + frac) * unit) / scale;
}

export const DEFAULT_REORDER_WINDOW = '100ms';
/** unconfirmed events in batch mode: bounds memory (the publisher's own default, 16384, costs ~50 MB more peak RSS for no measurable speed here) */
export const DEFAULT_BATCH_WINDOW = 2048;
export const DEFAULT_ACK_WINDOW = 1024;

const STRING_FLAGS = new Set(['--replicas', '--data-root', '--date', '--start', '--end', '--speed', '--max-gap', '--order', '--reorder-window', '--sink', '--nats-url', '--mode', '--window', '--progress-every', '--sample-dir', '--shutdown-timeout']);

/** `--speed -1` -> `--speed=-1`, so a negative number is refused for what it is, not as a missing argument */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (STRING_FLAGS.has(argv[i]) && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) {
      out.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ReplayConfig | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: joinNegativeValues(argv),
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        'data-root': { type: 'string' },
        date: { type: 'string' },
        continuous: { type: 'boolean' },
        start: { type: 'string' },
        end: { type: 'string' },
        speed: { type: 'string' },
        'max-gap': { type: 'string' },
        options: { type: 'boolean' },
        'no-options': { type: 'boolean' },
        'no-trades': { type: 'boolean' },
        'no-mbp10': { type: 'boolean' },
        order: { type: 'string' },
        'reorder-window': { type: 'string' },
        sink: { type: 'string' },
        'nats-url': { type: 'string' },
        'local-server': { type: 'boolean' },
        'no-local-server': { type: 'boolean' },
        mode: { type: 'string' },
        window: { type: 'string' },
        replicas: { type: 'string' },
        resume: { type: 'boolean' },
        'progress-every': { type: 'string' },
        'progress-bar': { type: 'boolean' },
        'no-progress-bar': { type: 'boolean' },
        'no-status': { type: 'boolean' },
        'sample-dir': { type: 'string' },
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
    return ev !== undefined && ev.trim() !== '' ? ev : undefined;
  };

  const dataRoot = s('data-root', 'REPLAY_DATA_ROOT') ?? null;
  if (dataRoot !== null && dataRoot.trim() === '') throw new ConfigError('--data-root must not be empty');
  const dateText = s('date', 'REPLAY_DATE');
  const dates = dateText === undefined ? [] : dateText.split(',').map((d) => d.trim()).filter(Boolean).map((d) => parseDate('--date / REPLAY_DATE', d));
  const envCont = env.REPLAY_CONTINUOUS;
  const continuous = values.continuous === true || (envCont !== undefined && envCont.trim() !== '' && bool('REPLAY_CONTINUOUS', envCont));
  if (dates.length > 1 && !continuous) throw new ConfigError('several --date values need --continuous');

  const startText = s('start', 'REPLAY_START');
  const endText = s('end', 'REPLAY_END');
  const start = startText === undefined ? null : parseTimeSpec('--start', startText);
  const end = endText === undefined ? null : parseTimeSpec('--end', endText);
  if (start && end && start.kind === end.kind && end.ns <= start.ns) throw new ConfigError(`--end (${end.text}) must be after --start (${start.text})`);

  if (values.options && values['no-options']) throw new ConfigError('--options and --no-options contradict each other');
  const envOpt = s('', 'REPLAY_INCLUDE_OPTIONS');
  const options: boolean | 'auto' = values.options ? true : values['no-options'] ? false : envOpt !== undefined ? bool('REPLAY_INCLUDE_OPTIONS', envOpt) : 'auto';
  const trades = !values['no-trades'];
  const mbp10 = !values['no-mbp10'];
  if (!trades && !mbp10 && options === false) throw new ConfigError('nothing to replay: --no-trades, --no-mbp10 and --no-options together');

  const speedText = s('speed', 'REPLAY_SPEED');
  const speed = speedText === undefined ? (dataRoot === null ? 0 : 1) : number('--speed / REPLAY_SPEED', speedText, { min: 0 });
  const maxGapNs = parseDurationNs('--max-gap', s('max-gap', 'REPLAY_MAX_GAP') ?? '5', 's');
  const reorderWindowNs = parseDurationNs('--reorder-window / REPLAY_REORDER_WINDOW', s('reorder-window', 'REPLAY_REORDER_WINDOW') ?? DEFAULT_REORDER_WINDOW, 'ms');
  if (reorderWindowNs > 3_600_000_000_000n) throw new ConfigError('--reorder-window must be at most 1h');

  if (values['local-server'] && values['no-local-server']) throw new ConfigError('--local-server and --no-local-server contradict each other');
  if (values['progress-bar'] && values['no-progress-bar']) throw new ConfigError('--progress-bar and --no-progress-bar contradict each other');
  const nurl = s('nats-url', 'NATS_URL') ?? null;
  const win = s('window', 'REPLAY_PUBLISH_WINDOW');
  const sink = oneOf<SinkKind>('--sink', s('sink', 'REPLAY_SINK') ?? 'nats', ['nats', 'stdout']);
  const resume = values.resume === true;
  const mode = oneOf<PublishMode>('--mode / REPLAY_PUBLISH_MODE', s('mode', 'REPLAY_PUBLISH_MODE') ?? 'batch', ['batch', 'ack']);
  if (resume && sink !== 'nats') throw new ConfigError('--resume needs --sink nats (it reads where the stream stopped)');

  return {
    dataRoot,
    dates,
    continuous,
    start,
    end,
    trades,
    mbp10,
    options,
    speed,
    maxGapMs: Number(maxGapNs / 1_000_000n),
    reorderWindowNs,
    order: oneOf<OrderKey>('--order', s('order', 'REPLAY_ORDER') ?? 'ts_event', ['ts_event', 'ts_recv']),
    sink,
    natsUrl: nurl === null ? null : nurl.trim(),
    autoServer: values['local-server'] ? true : values['no-local-server'] ? false : env.REPLAY_LOCAL_SERVER !== undefined && env.REPLAY_LOCAL_SERVER.trim() !== '' ? bool('REPLAY_LOCAL_SERVER', env.REPLAY_LOCAL_SERVER) : nurl === null,
    mode,
    modeExplicit: s('mode', 'REPLAY_PUBLISH_MODE') !== undefined,
    windowExplicit: win !== undefined,
    replicas: s('replicas', 'REPLAY_STREAM_REPLICAS') === undefined ? undefined : number('--replicas / REPLAY_STREAM_REPLICAS', s('replicas', 'REPLAY_STREAM_REPLICAS')!, { int: true, min: 1 }),
    window: win === undefined ? (mode === 'batch' ? DEFAULT_BATCH_WINDOW : DEFAULT_ACK_WINDOW) : number('--window', win, { int: true, min: 1 }),
    resume,
    progressEvery: number('--progress-every', s('progress-every', 'REPLAY_PROGRESS_EVERY') ?? '10000', { int: true, min: 0 }),
    progressBar: values['progress-bar'] ? true : values['no-progress-bar'] ? false : 'auto',
    sampleDir: s('sample-dir', 'REPLAY_SAMPLE_DIR') ?? null,
    shutdownTimeoutMs: Math.round(number('--shutdown-timeout', s('shutdown-timeout') ?? '30', { min: 0 }) * 1000),
    status: !values['no-status'],
  };
}
