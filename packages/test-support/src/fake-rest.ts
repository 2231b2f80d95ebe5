/**
 * A fake Massive/Polygon REST history server for tests: a real node:http server on loopback serving
 * `GET /v3/trades/{ticker}` and `GET /v3/quotes/{ticker}` from a `Tape` (the same tape the fake WebSocket
 * vendor plays), with the vendor's auth answers, filters, order, limits, cursor pagination and faults
 * (429, 5xx, slow, truncated bodies, a looping cursor). Bodies are written by hand so nanosecond
 * integers keep all 19 digits. Only the tape up to `now - delayMs` is visible: REST never serves the future.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { FAKE_API_KEY } from './fake-vendor.js';
import { lowerBound, type Tape, type TapeEvent } from './tape.js';

export { FAKE_API_KEY };

/** what a key may read; every flag defaults to true */
export interface RestEntitlements {
  trades?: boolean;
  quotes?: boolean;
  options?: boolean;
  stocks?: boolean;
  /** a per-key rate limit: more than this many requests within 60 s get 429 (like the free plan's 5/min) */
  perMinute?: number;
}

/** fault injection; mutable at run time (`fr.faults.rateLimitFirst = 2`); counters count down as they are served */
export interface RestFaults {
  /** the next n (authorized) requests get 429 */
  rateLimitFirst?: number;
  /** Retry-After header (seconds) on 429 answers when set */
  retryAfterS?: number;
  /** 429 answers with an empty body */
  rateLimitEmptyBody?: boolean;
  /** the next n (authorized) requests get `status5xx` */
  fail5xxFirst?: number;
  /** the status of injected failures (default 500; 499/502/503/504 also make sense) */
  status5xx?: number;
  /** every answer waits this long first */
  slowMs?: number;
  /** the next n 200 answers are cut in the middle of the JSON */
  truncateNext?: number;
  /** next_url always points back at the page just served (the vendor's looping cursor) */
  repeatCursor?: boolean;
  /** every request gets 401 Unknown API Key */
  status401?: boolean;
}

export interface FakeRestOptions {
  tape: Tape;
  /** a key with every entitlement (default FAKE_API_KEY); ignored when `keys` is given */
  apiKey?: string;
  /** the accepted keys and what each may read */
  keys?: Record<string, RestEntitlements>;
  faults?: RestFaults;
  /** rows with sipNs > now - delayMs are hidden (default 0; 900_000 for a 15-minute delayed plan) */
  delayMs?: number;
  /** the clock in Unix ms (default Date.now) */
  now?: () => number;
  /** serve at most this many rows per page whatever the limit (next_url stays when more remain) */
  pageRowsCap?: number;
  /** an empty page has no `results` key at all (default: `"results":[]`) */
  omitEmptyResults?: boolean;
  /** the status of "API Key was not provided" (default 401; the vendor has been seen to answer 400) */
  missingKeyStatus?: number;
  /** the base of next_url (default this server's url) */
  base?: string;
}

export interface RestLogEntry {
  method: string;
  /** the path as requested (not decoded) */
  path: string;
  /** the query string without apiKey */
  query: string;
  status: number;
  /** a key came with the request (query or Bearer header) */
  hadKey: boolean;
  /** how it came */
  keyVia: 'query' | 'bearer' | null;
  /** rows in the body (200 answers) */
  rows: number;
  /** Unix ms when answered */
  at: number;
}

interface Query {
  kind: 'trades' | 'quotes';
  ticker: string;
  /** inclusive lower bound, exclusive upper bound (null: none) */
  lo: bigint | null;
  hi: bigint | null;
  order: 'asc' | 'desc';
  limit: number;
  /** the last row served (exclusive) */
  pos: { ns: bigint; seq: number } | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
  }
}

const MAX_LIMIT = 50_000;
const NOT_ENTITLED = 'You are not entitled to this data. Please upgrade your plan at https://massive.com/pricing';
const RATE_LIMITED = "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue.";

const requestId = (): string => randomBytes(16).toString('hex');
const errorBody = (error: string): string => `{"status":"ERROR","request_id":"${requestId()}","error":${JSON.stringify(error)}}`;
const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

export class FakeRest {
  /** every request, in arrival order */
  readonly log: RestLogEntry[] = [];
  /** answers by HTTP status */
  readonly byStatus: Record<number, number> = {};
  requests = 0;
  rowsServed = 0;
  faults: RestFaults;
  delayMs: number;
  pageRowsCap: number | undefined;
  omitEmptyResults: boolean;
  readonly url: string;
  private readonly keys: Record<string, RestEntitlements>;
  private readonly hits = new Map<string, number[]>();

  private constructor(
    readonly server: Server,
    readonly port: number,
    readonly opts: FakeRestOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.keys = opts.keys ?? { [opts.apiKey ?? FAKE_API_KEY]: {} };
    this.faults = { ...opts.faults };
    this.delayMs = opts.delayMs ?? 0;
    this.pageRowsCap = opts.pageRowsCap;
    this.omitEmptyResults = opts.omitEmptyResults ?? false;
  }

  static async start(opts: FakeRestOptions): Promise<FakeRest> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const fr = new FakeRest(server, (server.address() as AddressInfo).port, opts);
    server.on('request', (req, res) => void fr.handle(req, res));
    return fr;
  }

  get tape(): Tape {
    return this.opts.tape;
  }

  /** the newest visible sip ns: now - delayMs (every row at or before it may be served) */
  visibleNs(): bigint {
    return BigInt(Math.floor((this.opts.now ?? Date.now)() - this.delayMs)) * 1_000_000n + 999_999n;
  }

  /** the log entries of one route (`trades` / `quotes`, optionally one ticker) */
  requestsTo(kind: 'trades' | 'quotes', ticker?: string): RestLogEntry[] {
    const p = `/v3/${kind}/`;
    return this.log.filter((l) => l.path.startsWith(p) && (ticker === undefined || decodeURIComponent(l.path.slice(p.length)) === ticker));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const u = new URL(req.url ?? '/', 'http://fake');
    const queryKey = u.searchParams.get('apiKey');
    const auth = req.headers.authorization;
    const bearer = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, '').trim() : null;
    const key = queryKey ?? bearer;
    const logged = new URLSearchParams(u.searchParams);
    logged.delete('apiKey');
    const entry: RestLogEntry = {
      method: req.method ?? 'GET',
      path: u.pathname,
      query: logged.toString(),
      status: 0,
      hadKey: key !== null && key !== '',
      keyVia: queryKey !== null ? 'query' : bearer !== null ? 'bearer' : null,
      rows: 0,
      at: 0,
    };
    this.log.push(entry);
    const slow = this.faults.slowMs ?? 0;
    if (slow > 0) await new Promise((r) => setTimeout(r, slow));
    let status = 200;
    let body: string;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    try {
      body = this.answer(req, u, key, entry, headers);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      status = e.status;
      body = e.body;
    }
    if (status === 200 && (this.faults.truncateNext ?? 0) > 0) {
      this.faults.truncateNext = (this.faults.truncateNext ?? 0) - 1;
      body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
    }
    if (status === 200) this.rowsServed += entry.rows;
    entry.status = status;
    entry.at = Date.now();
    this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    if (res.destroyed) return;
    headers['content-length'] = String(Buffer.byteLength(body));
    headers['x-request-id'] = requestId();
    res.writeHead(status, headers);
    res.end(body);
  }

  private answer(req: IncomingMessage, u: URL, key: string | null, entry: RestLogEntry, headers: Record<string, string>): string {
    if (this.faults.status401) throw new HttpError(401, errorBody('Unknown API Key'));
    const m = /^\/v3\/(trades|quotes)\/([^/]+)$/.exec(u.pathname);
    if (req.method !== 'GET' || !m) {
      throw new HttpError(404, `{"status":"NOT_FOUND","request_id":"${requestId()}","message":"Not found: ${req.method} ${u.pathname}"}`);
    }
    const kind = m[1] as 'trades' | 'quotes';
    let ticker: string;
    try {
      ticker = decodeURIComponent(m[2] as string);
    } catch {
      throw new HttpError(400, errorBody(`bad ticker in path: ${m[2]}`));
    }
    if (key === null || key === '') throw new HttpError(this.opts.missingKeyStatus ?? 401, errorBody('API Key was not provided'));
    const ent = this.keys[key];
    if (!ent) throw new HttpError(401, errorBody('Unknown API Key'));
    const option = ticker.startsWith('O:');
    if (ent[kind] === false || ent[option ? 'options' : 'stocks'] === false) {
      throw new HttpError(403, `{"status":"NOT_AUTHORIZED","request_id":"${requestId()}","message":${JSON.stringify(NOT_ENTITLED)}}`);
    }
    const rateLimited = (): never => {
      if (this.faults.retryAfterS !== undefined) headers['retry-after'] = String(this.faults.retryAfterS);
      throw new HttpError(429, this.faults.rateLimitEmptyBody ? '' : errorBody(RATE_LIMITED));
    };
    if ((this.faults.rateLimitFirst ?? 0) > 0) {
      this.faults.rateLimitFirst = (this.faults.rateLimitFirst ?? 0) - 1;
      rateLimited();
    }
    if (ent.perMinute !== undefined) {
      const now = Date.now();
      const hs = (this.hits.get(key) ?? []).filter((t) => t > now - 60_000);
      this.hits.set(key, hs);
      if (hs.length >= ent.perMinute) rateLimited();
      hs.push(now);
    }
    if ((this.faults.fail5xxFirst ?? 0) > 0) {
      this.faults.fail5xxFirst = (this.faults.fail5xxFirst ?? 0) - 1;
      throw new HttpError(this.faults.status5xx ?? 500, errorBody('Internal server error (injected)'));
    }
    const q = this.parseQuery(u, kind, ticker);
    return this.page(q, entry);
  }

  private parseQuery(u: URL, kind: 'trades' | 'quotes', ticker: string): Query {
    const sp = u.searchParams;
    const cursor = sp.get('cursor');
    if (cursor !== null) return decodeCursor(cursor, kind, ticker);
    for (const k of sp.keys()) {
      if (
        !['apiKey', 'timestamp', 'timestamp.gte', 'timestamp.gt', 'timestamp.lte', 'timestamp.lt', 'order', 'limit', 'sort'].includes(k)
      ) {
        throw new HttpError(400, errorBody(`unknown parameter '${k}'`));
      }
    }
    let lo: bigint | null = null;
    let hi: bigint | null = null;
    const bound = (name: string): bigint | null => {
      const v = sp.get(name);
      return v === null ? null : parseNs(name, v);
    };
    const raise = (v: bigint | null) => {
      if (v !== null && (lo === null || v > lo)) lo = v;
    };
    const lower = (v: bigint | null) => {
      if (v !== null && (hi === null || v < hi)) hi = v;
    };
    const eq = bound('timestamp');
    raise(eq);
    lower(eq === null ? null : eq + 1n);
    raise(bound('timestamp.gte'));
    const gt = bound('timestamp.gt');
    raise(gt === null ? null : gt + 1n);
    lower(bound('timestamp.lt'));
    const lte = bound('timestamp.lte');
    lower(lte === null ? null : lte + 1n);
    const order = sp.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw new HttpError(400, errorBody(`order must be asc or desc, got '${order}'`));
    const sort = sp.get('sort') ?? 'timestamp';
    if (sort !== 'timestamp') throw new HttpError(400, errorBody(`sort must be timestamp, got '${sort}'`));
    const ls = sp.get('limit');
    const limit = ls === null ? 1000 : Number(ls);
    if (ls !== null && (!/^\d+$/.test(ls) || limit < 1 || limit > MAX_LIMIT)) {
      throw new HttpError(400, errorBody(`limit must be an integer in 1..${MAX_LIMIT}, got '${ls}'`));
    }
    return { kind, ticker, lo, hi, order, limit, pos: null };
  }

  private page(q: Query, entry: RestLogEntry): string {
    const xs = this.tape.item(q.kind === 'trades' ? 'T' : 'Q', q.ticker);
    const visibleEnd = this.visibleNs() + 1n;
    const hi = q.hi === null || q.hi > visibleEnd ? visibleEnd : q.hi;
    const from = q.lo === null ? 0 : lowerBound(xs, q.lo, -Infinity);
    const to = lowerBound(xs, hi, -Infinity);
    const take = Math.min(q.limit, this.pageRowsCap ?? q.limit);
    let rows: TapeEvent[];
    let more: boolean;
    if (q.order === 'asc') {
      let a = from;
      if (q.pos) a = Math.max(a, lowerBound(xs, q.pos.ns, q.pos.seq + 1));
      const b = Math.min(to, a + take);
      rows = xs.slice(a, Math.max(a, b));
      more = b < to;
    } else {
      let b = to;
      if (q.pos) b = Math.min(b, lowerBound(xs, q.pos.ns, q.pos.seq));
      const a = Math.max(from, b - take);
      rows = xs.slice(a, Math.max(a, b)).reverse();
      more = a > from;
    }
    entry.rows = rows.length;
    const last = rows.at(-1);
    let next: string | null = null;
    if (this.faults.repeatCursor) next = this.cursorUrl(q, q.pos);
    else if (more && last) next = this.cursorUrl(q, { ns: last.sipNs, seq: last.seq });
    const parts: string[] = [];
    if (rows.length || !this.omitEmptyResults) parts.push(`"results":[${rows.map((e) => this.tape.restRow(e)).join(',')}]`);
    parts.push(`"status":"OK"`, `"request_id":"${requestId()}"`);
    if (next !== null) parts.push(`"next_url":${JSON.stringify(next)}`);
    return `{${parts.join(',')}}`;
  }

  private cursorUrl(q: Query, pos: Query['pos']): string {
    const c = new URLSearchParams();
    if (pos) {
      c.set('ap', String(pos.seq));
      c.set('as', pos.ns.toString());
    }
    c.set('limit', String(q.limit));
    c.set('order', q.order);
    c.set('sort', 'timestamp');
    if (q.lo !== null) c.set('timestamp.gte', q.lo.toString());
    if (q.hi !== null) c.set('timestamp.lt', q.hi.toString());
    const ticker = encodeURIComponent(q.ticker).replace(/%3A/gi, ':');
    return `${this.opts.base ?? this.url}/v3/${q.kind}/${ticker}?cursor=${b64url(c.toString())}`;
  }
}

/** a ns bound: a non-negative integer, or RFC 3339 UTC with up to 9 fractional digits */
function parseNs(name: string, v: string): bigint {
  if (/^\d{1,19}$/.test(v)) return BigInt(v);
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(v);
  if (m) {
    const s = Date.parse(`${m[1]}Z`);
    if (Number.isFinite(s)) return BigInt(s) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
  }
  throw new HttpError(400, errorBody(`${name}: expected nanoseconds (integer) or RFC 3339 with ns, got '${v}'`));
}

function decodeCursor(cursor: string, kind: 'trades' | 'quotes', ticker: string): Query {
  const bad = (why: string): never => {
    throw new HttpError(400, errorBody(`invalid cursor (${why})`));
  };
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) bad('not base64url');
  const c = new URLSearchParams(Buffer.from(cursor, 'base64url').toString('utf8'));
  const order = c.get('order');
  if (order !== 'asc' && order !== 'desc') return bad('order');
  const limit = Number(c.get('limit'));
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) bad('limit');
  const int = (k: string): bigint | null => {
    const v = c.get(k);
    if (v === null) return null;
    if (!/^\d+$/.test(v)) bad(k);
    return BigInt(v);
  };
  const ap = int('ap');
  const as = int('as');
  if ((ap === null) !== (as === null)) bad('position');
  return {
    kind,
    ticker,
    lo: int('timestamp.gte'),
    hi: int('timestamp.lt'),
    order,
    limit,
    pos: ap !== null && as !== null ? { ns: as, seq: Number(ap) } : null,
  };
}
