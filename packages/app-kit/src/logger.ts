/**
 * One levelled logger, and redaction in one place: every line it writes goes through `redact`, which hides
 * the registered secrets and, even unregistered, credentials written into URLs and NATS nkey seeds.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** 'text': `<ISO time> <LEVEL> <message>`; 'json': one `{"time","level","name","msg"}` object per line */
export type LogFormat = 'text' | 'json';

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
  readonly format: LogFormat;
  readonly name: string | undefined;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  log(level: LogLevel, message: string): void;
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

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const format = options.format ?? 'text';
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
    format,
    name: options.name,
    beforeWrite: options.beforeWrite,
    enabled: (l) => RANK[l] >= RANK[level],
    log(l, message) {
      if (RANK[l] < RANK[level]) return;
      const msg = redactPrepared(message, list);
      const time = now().toISOString();
      const line =
        format === 'json'
          ? `${JSON.stringify({ time, level: l, ...(options.name ? { name: options.name } : {}), msg })}\n`
          : `${time} ${l.toUpperCase()} ${msg}\n`;
      logger.beforeWrite?.();
      write(line);
    },
    debug: (m) => logger.log('debug', m),
    info: (m) => logger.log('info', m),
    warn: (m) => logger.log('warn', m),
    error: (m) => logger.log('error', m),
    addSecret: (...s) => add(s),
    redact: (text) => redactPrepared(text, list),
  };
  return logger;
}
