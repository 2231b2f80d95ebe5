/**
 * One levelled logger, and redaction in one place: every line it writes goes through `redact`, which hides
 * the registered secrets and, even unregistered, credentials written into URLs and NATS nkey seeds.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/**
 * 'text': `<ISO time> <LEVEL> <message> key=value ...`; 'json': one `{"time","level","name","msg",...fields}`
 * object per line (a field named like one of those four is written as `_time`, `_level`, ...)
 */
export type LogFormat = 'text' | 'json';
export const LOG_FORMATS = ['text', 'json'] as const;
/** structured values of a line: strings are redacted, bigints written as decimal strings, Errors as their message */
export type LogFields = Readonly<Record<string, unknown>>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Secrets shorter than this are not replaced (a 1-3 character value would blank out half of every line). */
export const MIN_SECRET_LENGTH = 4;

/** `scheme://user:password@host` and `scheme://token@host` (the password may hold '@' or '/'; stops at blanks and commas) */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s,/@:]*)(?::([^\s,]*))?@(?=[^\s,@/])/gi;
/** scheme-less `user:password@host` after a boundary (start, blank, comma, quote, '=', bracket) */
const BARE_USERINFO = /(^|[\s,;'"(=<[{])([^\s@/:,;'"()<>[\]{}*]+):([^\s,/]*)@(?=[A-Za-z0-9[])/g;
/** scheme-less `token@host:port` (a port, so that e-mail addresses stay readable) */
const BARE_TOKEN = /(^|[\s,;'"(=<[{])([^\s@/:,;'"()<>[\]{}*]+)@(?=[A-Za-z0-9.-]+:\d+)/g;
/** NATS nkey seeds: 'S', the key type (User, Account, Operator, server (N), Cluster, curve (X)), base32: 58 characters */
const NKEY_SEED = /\bS[UAONCPX][A-Z2-7]{56}\b/g;

/** the forms of a secret worth looking for: as given, and percent-encoded / decoded (as written in a URL) */
function variants(secret: string): string[] {
  const out = [secret];
  try {
    const dec = decodeURIComponent(secret);
    if (dec !== secret) out.push(dec);
  } catch {
    // not percent-encoded
  }
  const enc = encodeURIComponent(secret);
  if (enc !== secret) out.push(enc);
  return out;
}

/** the secrets to replace, each in every form, longest first (so a secret inside another goes with it) */
function prepare(secrets: Iterable<string | undefined | null>): string[] {
  const set = new Set<string>();
  for (const s of secrets)
    if (s && s.length >= MIN_SECRET_LENGTH) for (const v of variants(s)) if (v.length >= MIN_SECRET_LENGTH) set.add(v);
  return [...set].sort((a, b) => b.length - a.length);
}

function redactPrepared(text: string, list: readonly string[]): string {
  let out = text;
  for (const s of list) if (out.includes(s)) out = out.split(s).join('***');
  out = out.replace(URL_USERINFO, (_m, scheme: string, user: string, pass: string | undefined) =>
    pass === undefined ? `${scheme}***@` : `${scheme}${user}:***@`,
  );
  out = out.replace(BARE_USERINFO, (_m, pre: string, user: string) => `${pre}${user}:***@`);
  out = out.replace(BARE_TOKEN, (_m, pre: string) => `${pre}***@`);
  return out.replace(NKEY_SEED, '***');
}

/**
 * `text` with every secret in `secrets` (also percent-encoded / decoded) replaced by `***`, and, registered
 * or not: passwords and tokens in `scheme://user:pass@host`, `scheme://token@host`, `user:pass@host` and
 * `token@host:port` (comma-separated lists too), and nkey seeds (`SU...`, 58 characters).
 * For messages that do not go through a logger (stderr error lines, status messages).
 */
export function redact(text: string, secrets: Iterable<string | undefined | null> = []): string {
  return redactPrepared(text, prepare(secrets));
}

export interface LoggerOptions {
  /** the program's name (in the JSON format) */
  name?: string;
  /** default 'info' */
  level?: LogLevel;
  /** receives each line, newline included; default: process.stderr.write */
  write?: (line: string) => void;
  /** default 'text' */
  format?: LogFormat;
  /** values to hide from the start (more with addSecret); undefined / empty entries are ignored */
  secrets?: readonly (string | undefined | null)[];
  /** run before every line is written, e.g. to end a terminal progress bar's line */
  beforeWrite?: () => void;
  /** the clock of the timestamps (tests) */
  now?: () => Date;
}

export interface Logger {
  /** the lowest level written; settable (e.g. once the configuration is parsed) */
  level: LogLevel;
  /** the line format; settable like `level` (the logger exists before the configuration is parsed) */
  format: LogFormat;
  readonly name: string | undefined;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** whether a message at `level` would be written (skip building an expensive one) */
  enabled(level: LogLevel): boolean;
  /** hide these values from now on (API keys, passwords, tokens, seeds); undefined / empty ones are ignored */
  addSecret(...secrets: (string | undefined | null)[]): void;
  /** `text` redacted with this logger's secrets and the patterns (see `redact`) */
  redact(text: string): string;
  /** run before every line (settable later: the progress bar exists after the logger) */
  beforeWrite: (() => void) | undefined;
}

export function isLogLevel(x: unknown): x is LogLevel {
  return typeof x === 'string' && (LOG_LEVELS as readonly string[]).includes(x);
}

export function isLogFormat(x: unknown): x is LogFormat {
  return x === 'text' || x === 'json';
}

const RESERVED = new Set(['time', 'level', 'name', 'msg']);
/** a text-format value: bare when it has no blank, quote or '=', else JSON-quoted */
const BARE = /^[^\s"=]+$/;

/** a field value as JSON-able data: bigint -> string, Error -> message, strings redacted (nested too) */
function jsonValue(v: unknown, red: (t: string) => string): unknown {
  return JSON.parse(
    JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'string') return red(x);
      if (typeof x === 'bigint') return x.toString();
      if (x instanceof Error) return red(x.message);
      if (typeof x === 'number' && !Number.isFinite(x)) return String(x);
      return x;
    }) ?? 'null',
  );
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return BARE.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  let format: LogFormat = options.format ?? 'text';
  const badFormat = (f: unknown) => new TypeError(`log format must be one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(f)}`);
  if (!isLogFormat(format)) throw badFormat(format);
  const raw = new Set<string>();
  let list: string[] = [];
  const add = (xs: Iterable<string | undefined | null>) => {
    for (const x of xs) if (x) raw.add(x);
    list = prepare(raw);
  };
  add(options.secrets ?? []);
  let level: LogLevel = options.level ?? 'info';
  if (!isLogLevel(level)) throw new TypeError(`log level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);

  const logger: Logger = {
    get level() {
      return level;
    },
    set level(l: LogLevel) {
      if (!isLogLevel(l)) throw new TypeError(`log level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(l)}`);
      level = l;
    },
    get format() {
      return format;
    },
    set format(f: LogFormat) {
      if (!isLogFormat(f)) throw badFormat(f);
      format = f;
    },
    name: options.name,
    beforeWrite: options.beforeWrite,
    enabled: (l) => RANK[l] >= RANK[level],
    log(l, message, fields) {
      if (RANK[l] < RANK[level]) return;
      const red = (t: string) => redactPrepared(t, list);
      const msg = red(message);
      const time = now().toISOString();
      let line: string;
      if (format === 'json') {
        const o: Record<string, unknown> = { time, level: l, ...(options.name ? { name: options.name } : {}), msg };
        if (fields) for (const [k, v] of Object.entries(fields)) o[RESERVED.has(k) ? `_${k}` : red(k)] = jsonValue(v, red);
        line = `${JSON.stringify(o)}\n`;
      } else {
        let extra = '';
        if (fields) for (const [k, v] of Object.entries(fields)) extra += ` ${k}=${textValue(v)}`;
        line = `${time} ${l.toUpperCase()} ${msg}${extra ? red(extra) : ''}\n`;
      }
      logger.beforeWrite?.();
      write(line);
    },
    debug: (m, f) => logger.log('debug', m, f),
    info: (m, f) => logger.log('info', m, f),
    warn: (m, f) => logger.log('warn', m, f),
    error: (m, f) => logger.log('error', m, f),
    addSecret: (...s) => add(s),
    redact: (text) => redactPrepared(text, list),
  };
  return logger;
}
