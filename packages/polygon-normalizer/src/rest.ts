/**
 * `@md/polygon-normalizer/rest`: the vendor's REST history API (`/v3/trades/{ticker}`, `/v3/quotes/{ticker}`)
 * as pages of WebSocket-shaped messages, for the live ingestor's backfill. The only I/O of this entry is
 * Node's built-in `fetch`. See docs/massive-rest.md for what this relies on from the API.
 *
 * - The key travels in an `Authorization: Bearer` header only: never in a URL, a log line or an error.
 * - Rows come in ascending `sip_timestamp` order (checked), one page at a time, only those with
 *   `fromNs <= sip_timestamp < toNs`; each row is mapped with restTradeMessage / restQuoteMessage.
 * - `next_url` is followed verbatim, pinned to the base URL's origin; a repeated cursor or more than
 *   `maxPages` pages is E_REST_LOOP.
 * - 429: back off (Retry-After when present, else exponential with jitter) and carry on; 5xx, 499, network
 *   errors, timeouts and unreadable bodies: bounded retries; 401/403: no retry.
 */
import { parseRestJson, RestJsonError, type RestJsonValue } from './rest-json.js';
import { restQuoteMessage, restSipNs, restTradeMessage, RestRowError } from './rest-map.js';
import type { DataMessage } from './parse.js';

export type RestKind = 'trades' | 'quotes';
export type RestLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One row: the message the WebSocket would have carried, and the row's exact SIP time (ns). */
export interface RestEvent {
  msg: DataMessage;
  sipNs: bigint;
}

export interface RestClientOptions {
  /** `https://api.massive.com` (defaultRestUrl) or a test server; no trailing path needed */
  baseUrl: string;
  apiKey: string;
  /** per request, headers and body (default 10_000) */
  timeoutMs?: number;
  /** retries of one request after a 5xx/499, a network error, a timeout or an unreadable body (default 4) */
  maxRetries?: number;
  /** 429 answers tolerated for one request before giving up (default 30) */
  max429Retries?: number;
  /** first backoff (default 250 ms), doubling per attempt, with jitter (x 0.5..1) */
  backoffInitialMs?: number;
  /** backoff cap (default 15_000 ms) */
  backoffMaxMs?: number;
  /** rows per page, 1..50_000 (default 50_000, the API's maximum) */
  limit?: number;
  /** pages per `pages()` call before E_REST_LOOP (default 100_000) */
  maxPages?: number;
  log?: (level: RestLogLevel, msg: string) => void;
  /** default: the global fetch */
  fetch?: typeof fetch;
  /** default: a timer; the caller's AbortSignal interrupts it either way */
  sleep?: (ms: number) => Promise<void>;
}

export type RestErrorCode = 'E_REST_AUTH' | 'E_REST_FORBIDDEN' | 'E_REST_RETRIES' | 'E_REST_BAD_RESPONSE' | 'E_REST_LOOP';

export class RestError extends Error {
  override name = 'RestError';
  constructor(
    readonly code: RestErrorCode,
    message: string,
    /** the last HTTP status, null when there was none (network error, timeout, loop) */
    readonly status: number | null,
    /** the URL of the failing request (never contains the key) */
    readonly url: string,
  ) {
    super(message);
  }
}

export interface RestStats {
  /** HTTP requests sent (every attempt) */
  requests: number;
  /** pages read successfully */
  pages: number;
  /** rows handed out */
  rows: number;
  /** 429 answers */
  rateLimited: number;
  /** requests repeated after a 5xx/499, network error, timeout or unreadable body (429s not included) */
  retries: number;
  /** failed requests other than 429 (each retried one, and the final one) */
  failures: number;
  /** rows refused by the mapping (RestRowError, logged): the WebSocket would have refused them too */
  invalid: number;
}

/** `https://api.massive.com` or the legacy `https://api.polygon.io`. */
export function defaultRestUrl(vendor: 'massive' | 'polygon'): string {
  return vendor === 'polygon' ? 'https://api.polygon.io' : 'https://api.massive.com';
}

/** Retry-After is honoured up to this (a free plan's limit is per minute) */
const RETRY_AFTER_MAX_MS = 120_000;
const MAX_LIMIT = 50_000;
const INVALID_LOG_MAX = 10;

/** A failed attempt that may be retried. */
class Attempt {
  constructor(
    readonly why: string,
    readonly status: number | null,
    readonly badBody: boolean,
  ) {}
}

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new RangeError(`RestClient: ${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

export class RestClient {
  readonly stats: RestStats = { requests: 0, pages: 0, rows: 0, rateLimited: 0, retries: 0, failures: 0, invalid: 0 };
  private readonly base: URL;
  /** base URL text without trailing slashes */
  private readonly baseText: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly max429Retries: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly limit: number;
  private readonly maxPages: number;
  private readonly logFn: (level: RestLogLevel, msg: string) => void;
  private readonly fetchFn: typeof fetch;
  private readonly sleepFn: ((ms: number) => Promise<void>) | undefined;
  private foreignHostLogged = false;

  constructor(opts: RestClientOptions) {
    try {
      this.base = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`RestClient: baseUrl ${JSON.stringify(opts.baseUrl)} is not a URL`);
    }
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:')
      throw new TypeError(`RestClient: baseUrl must be http(s), got ${this.base.protocol}`);
    if (this.base.search || this.base.hash || this.base.username || this.base.password)
      throw new TypeError('RestClient: baseUrl must not carry a query, fragment or credentials (the key goes in apiKey)');
    this.baseText = (this.base.origin + this.base.pathname).replace(/\/+$/, '');
    if (typeof opts.apiKey !== 'string' || opts.apiKey.length === 0) throw new TypeError('RestClient: apiKey is required');
    if (/[\r\n\0]/.test(opts.apiKey)) throw new TypeError('RestClient: apiKey contains a CR, LF or NUL character');
    this.apiKey = opts.apiKey;
    this.timeoutMs = positiveInt('timeoutMs', opts.timeoutMs, 10_000);
    this.maxRetries = positiveInt('maxRetries', opts.maxRetries, 4, 0);
    this.max429Retries = positiveInt('max429Retries', opts.max429Retries, 30, 0);
    this.backoffInitialMs = positiveInt('backoffInitialMs', opts.backoffInitialMs, 250, 0);
    this.backoffMaxMs = positiveInt('backoffMaxMs', opts.backoffMaxMs, 15_000, 0);
    this.limit = positiveInt('limit', opts.limit, MAX_LIMIT, 1, MAX_LIMIT);
    this.maxPages = positiveInt('maxPages', opts.maxPages, 100_000);
    const log = opts.log ?? (() => {});
    // belt and braces: whatever a message quotes (a vendor body, an error cause), the key never leaves
    this.logFn = (level, msg) => log(level, this.redact(msg));
    this.fetchFn = opts.fetch ?? fetch;
    this.sleepFn = opts.sleep;
  }

  /**
   * The rows of `ticker` with `fromNs <= sip_timestamp < toNs`, ascending, one array per non-empty page
   * (one page in memory at a time). Rows the mapping refuses are skipped, logged and counted
   * (`stats.invalid`). Throws RestError; an abort of `signal` rejects with the signal's reason.
   */
  async *pages(kind: RestKind, ticker: string, fromNs: bigint, toNs: bigint, signal?: AbortSignal): AsyncGenerator<RestEvent[]> {
    if (kind !== 'trades' && kind !== 'quotes') throw new TypeError(`RestClient.pages: kind must be trades or quotes, got ${String(kind)}`);
    if (typeof ticker !== 'string' || ticker.length === 0) throw new TypeError('RestClient.pages: ticker is required');
    if (typeof fromNs !== 'bigint' || typeof toNs !== 'bigint')
      throw new TypeError('RestClient.pages: fromNs and toNs must be bigint nanoseconds');
    if (fromNs < 0n) throw new RangeError(`RestClient.pages: fromNs must be >= 0, got ${fromNs}`);
    if (fromNs >= toNs) return;
    const map = kind === 'trades' ? restTradeMessage : restQuoteMessage;
    let url =
      `${this.baseText}/v3/${kind}/${encodeURIComponent(ticker).replace(/%3A/gi, ':')}` +
      `?timestamp.gte=${fromNs}&timestamp.lt=${toNs}&order=asc&sort=timestamp&limit=${this.limit}`;
    const seen = new Set<string>();
    let lastSip = -1n;
    let outside = 0;
    let invalid = 0;
    for (let page = 0; ; page++) {
      if (page >= this.maxPages)
        throw this.err('E_REST_LOOP', `${kind} of ${ticker}: more than ${this.maxPages} pages (maxPages), stopped at ${url}`, null, url);
      const body = await this.getJson(url, signal);
      this.stats.pages++;
      const results = body.results;
      if (results !== undefined && results !== null && !Array.isArray(results))
        throw this.err('E_REST_BAD_RESPONSE', `${url}: "results" is not an array`, 200, url);
      const events: RestEvent[] = [];
      const rows = results ?? [];
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i];
        let ev: RestEvent;
        try {
          ev = { sipNs: restSipNs(ticker, r, i), msg: map(ticker, r, i) };
        } catch (e) {
          if (!(e instanceof RestRowError)) throw e;
          this.stats.invalid++;
          if (invalid++ < INVALID_LOG_MAX) this.logFn('warn', `rest: row refused (page ${page} of ${url}): ${e.message}`);
          continue;
        }
        if (ev.sipNs < lastSip)
          throw this.err(
            'E_REST_BAD_RESPONSE',
            `${url}: rows out of order: row ${i} has sip_timestamp ${ev.sipNs} after ${lastSip} (asked for ascending order)`,
            200,
            url,
          );
        lastSip = ev.sipNs;
        if (ev.sipNs < fromNs || ev.sipNs >= toNs) {
          outside++;
          continue;
        }
        events.push(ev);
      }
      this.stats.rows += events.length;
      this.logFn('debug', `rest: ${url} -> page ${page}, ${rows.length} rows`);
      if (events.length > 0) yield events;
      const next = body.next_url;
      if (next === undefined || next === null || next === '') break;
      if (typeof next !== 'string') throw this.err('E_REST_BAD_RESPONSE', `${url}: "next_url" is not a string`, 200, url);
      const nextUrl = this.pin(next, url);
      const cursor = cursorOf(nextUrl);
      if (seen.has(cursor))
        throw this.err('E_REST_LOOP', `${kind} of ${ticker}: next_url repeats a cursor already followed (${nextUrl})`, null, nextUrl);
      seen.add(cursor);
      url = nextUrl;
    }
    if (outside > 0) this.logFn('warn', `rest: ${kind} of ${ticker}: ${outside} rows outside [${fromNs}, ${toNs}) dropped`);
    if (invalid > INVALID_LOG_MAX) this.logFn('warn', `rest: ${kind} of ${ticker}: ${invalid} rows refused in all`);
  }

  /** next_url, pinned to the base URL's origin (a URL on another host/port/scheme is rebuilt on it, logged once). */
  private pin(next: string, from: string): string {
    let u: URL | undefined;
    let verbatim = true;
    try {
      u = new URL(next, this.base);
    } catch {
      // e.g. `https://api.polygon.io:443:443/v3/...` (seen once from the vendor): keep the path and query
      const rest = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/.*)$/i.exec(next)?.[1];
      if (rest !== undefined) {
        u = new URL(rest, this.base.origin);
        verbatim = false;
        this.logFn('warn', `rest: next_url ${JSON.stringify(next)} is not a valid URL: followed as ${u.href}`);
      }
    }
    if (u === undefined) throw this.err('E_REST_BAD_RESPONSE', `${from}: next_url ${JSON.stringify(next)} is not a URL`, 200, from);
    if (u.origin !== this.base.origin) {
      if (!this.foreignHostLogged) {
        this.foreignHostLogged = true;
        this.logFn(
          'warn',
          `rest: next_url points at ${u.origin || JSON.stringify(next)}, not ${this.base.origin}: followed on ${this.base.origin}`,
        );
      }
      u = new URL(u.pathname + u.search, this.base.origin);
      verbatim = false;
    }
    if (u.searchParams.has('apiKey')) {
      // the key goes in the header only
      u.searchParams.delete('apiKey');
      verbatim = false;
    }
    return verbatim ? next : u.href;
  }

  /** GET url -> its JSON object, with the retry policy. */
  private async getJson(url: string, signal: AbortSignal | undefined): Promise<{ results?: RestJsonValue; next_url?: RestJsonValue }> {
    let failed = 0;
    let limited = 0;
    for (;;) {
      signal?.throwIfAborted();
      this.stats.requests++;
      const r = await this.attempt(url, signal);
      if (!(r instanceof Attempt)) {
        if (r.limited === undefined) return r.body;
        // 429
        this.stats.rateLimited++;
        limited++;
        if (limited > this.max429Retries)
          throw this.err('E_REST_RETRIES', `${url}: still rate limited (HTTP 429) after ${limited} attempts`, 429, url);
        const ms = r.limited ?? this.backoff(limited);
        this.logFn('info', `rest: rate limited (429) on ${url}: waiting ${ms} ms (${limited}/${this.max429Retries})`);
        await this.pause(ms, signal);
        continue;
      }
      this.stats.failures++;
      failed++;
      if (failed > this.maxRetries) {
        const code = r.badBody ? 'E_REST_BAD_RESPONSE' : 'E_REST_RETRIES';
        throw this.err(code, `${url}: ${r.why} (${failed} attempts)`, r.status, url);
      }
      this.stats.retries++;
      const ms = this.backoff(failed);
      this.logFn('warn', `rest: ${url}: ${r.why}; retry ${failed}/${this.maxRetries} in ${ms} ms`);
      await this.pause(ms, signal);
    }
  }

  /** One request: the body, a 429 (`limited` = Retry-After ms or null), a retryable Attempt, or a thrown RestError / abort. */
  private async attempt(
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<{ body: { results?: RestJsonValue; next_url?: RestJsonValue }; limited?: undefined } | { limited: number | null } | Attempt> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number | null = null;
    let bytes: Uint8Array;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method: 'GET',
        headers: { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' },
        redirect: 'manual',
        signal: sig,
      });
      status = res.status;
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) return new Attempt(`no complete answer within ${this.timeoutMs} ms (timeoutMs)`, status, false);
      // a body cut short (connection closed before the end) counts as an unreadable body
      return new Attempt(
        `${status === null ? 'request' : `reading the HTTP ${status} body`} failed: ${this.describe(e)}`,
        status,
        status !== null,
      );
    }
    if (status === 429) {
      return { limited: retryAfterMs(res.headers.get('retry-after')) };
    }
    if (status === 401 || status === 403) {
      const what = status === 401 ? 'the API key was refused' : 'the plan does not cover this data';
      throw this.err(
        status === 401 ? 'E_REST_AUTH' : 'E_REST_FORBIDDEN',
        `${url}: HTTP ${status}, ${what}: ${vendorMessage(bytes)}`,
        status,
        url,
      );
    }
    if (status >= 500 || status === 499) return new Attempt(`HTTP ${status}: ${vendorMessage(bytes)}`, status, false);
    if (status < 200 || status > 299) {
      const where = status >= 300 && status < 400 ? ` (redirect to ${res.headers.get('location') ?? '?'} not followed)` : '';
      throw this.err('E_REST_BAD_RESPONSE', `${url}: HTTP ${status}${where}: ${vendorMessage(bytes)}`, status, url);
    }
    let v: RestJsonValue;
    try {
      v = parseRestJson(bytes);
    } catch (e) {
      if (!(e instanceof RestJsonError)) throw e;
      return new Attempt(`unreadable body (${bytes.length} bytes): ${e.message}`, status, true);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return new Attempt('the body is not a JSON object', status, true);
    const st = v.status;
    // `DELAYED`: the vendor's status for a delayed plan's answers (the data is there, only late)
    if (st !== 'OK' && st !== 'DELAYED') {
      const m = typeof v.error === 'string' ? v.error : typeof v.message === 'string' ? v.message : '';
      return new Attempt(`body status ${JSON.stringify(st) ?? 'missing'}, expected "OK"${m ? `: ${m}` : ''}`, status, true);
    }
    return { body: v };
  }

  private describe(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    const c = (e as Error & { cause?: unknown }).cause;
    const cause = c instanceof Error ? ((c as Error & { code?: string }).code ?? c.message) : c === undefined ? '' : String(c);
    return cause ? `${e.message} (${cause})` : e.message;
  }

  /** exponential (initial x 2^(n-1)), capped, times a jitter in [0.5, 1] */
  private backoff(n: number): number {
    const exp = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(n - 1, 30));
    return Math.round(exp * (0.5 + Math.random() * 0.5));
  }

  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.sleepFn === undefined) {
      await new Promise<void>((resolve, reject) => {
        const done = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const timer = setTimeout(done, ms);
        const onAbort = (): void => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      return;
    }
    if (signal === undefined) return this.sleepFn(ms);
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        this.sleepFn(ms),
        new Promise<never>((_, reject) => {
          onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  private err(code: RestErrorCode, message: string, status: number | null, url: string): RestError {
    return new RestError(code, this.redact(message), status, this.redact(url));
  }

  private redact(s: string): string {
    return s.split(this.apiKey).join('<key>');
  }
}

/** the cursor of a next_url (the whole URL when it has none): what a loop repeats */
function cursorOf(url: string): string {
  try {
    return new URL(url).searchParams.get('cursor') ?? url;
  } catch {
    return url;
  }
}

/** Retry-After: delta seconds or an HTTP date -> ms (capped); null when absent or unreadable */
function retryAfterMs(h: string | null): number | null {
  if (h === null) return null;
  const t = h.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(t)) ms = Number(t) * 1000;
  else {
    const at = Date.parse(t);
    if (Number.isNaN(at)) return null;
    ms = at - Date.now();
  }
  return Math.round(Math.min(RETRY_AFTER_MAX_MS, Math.max(0, ms)));
}

/** the vendor's `error` / `message` of an error body, else the start of the body text */
function vendorMessage(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes.subarray(0, 2000));
  try {
    const v = JSON.parse(text) as unknown;
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const m = typeof o.error === 'string' ? o.error : typeof o.message === 'string' ? o.message : undefined;
      if (m !== undefined) return typeof o.status === 'string' ? `${o.status}: ${m}` : m;
    }
  } catch {
    // not JSON: quote it
  }
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length === 0 ? '(empty body)' : JSON.stringify(s.length > 200 ? s.slice(0, 200) + '...' : s);
}
