import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultRestUrl, RestClient, RestError, type RestClientOptions, type RestEvent } from '@md/polygon-normalizer/rest';

const KEY = 'SECRET-KEY-7f3a9c';
const T0 = 1765898100000000000n; // ns
const OPT = 'O:SPY251216C00676000';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
interface Seen {
  url: string;
  auth: string | undefined;
}

let server: Server;
let base: string;
let handler: Handler;
let seen: Seen[];
let logs: string[];
let sleeps: number[];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    handler(req, res, new URL(req.url ?? '/', base));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  // the key never reached a log line, whatever the test did
  expect(allLogs.join('\n')).not.toContain(KEY);
});
const allLogs: string[] = [];
beforeEach(() => {
  seen = [];
  logs = [];
  sleeps = [];
});

function client(o: Partial<RestClientOptions> = {}): RestClient {
  return new RestClient({
    baseUrl: base,
    apiKey: KEY,
    log: (level, msg) => {
      logs.push(`${level} ${msg}`);
      allLogs.push(msg);
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...o,
  });
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** a stock trade row as the vendor writes it: 19-digit ns as raw JSON integers */
const tradeRow = (sip: bigint, id: number): string =>
  `{"conditions":[12],"exchange":4,"id":"${String(id).padStart(6, '0')}","participant_timestamp":${sip - 300n},"price":${676 + id / 100},"sequence_number":${1000 + id},"sip_timestamp":${sip},"size":${id + 1},"tape":3}`;
const page = (rows: string[], next?: string): string =>
  `{"results":[${rows.join(',')}],"status":"OK","request_id":"abc"${next !== undefined ? `,"next_url":${JSON.stringify(next)}` : ''}}`;

async function collect(c: RestClient, ...args: Parameters<RestClient['pages']>): Promise<RestEvent[][]> {
  const out: RestEvent[][] = [];
  for await (const p of c.pages(...args)) out.push(p);
  return out;
}
async function failure(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RestError);
    expect((e as Error).message).not.toContain(KEY);
    expect((e as RestError).url).not.toContain(KEY);
    return e as RestError;
  }
  throw new Error('expected a RestError');
}
const everyRequestHasTheKeyInTheHeaderOnly = (): void => {
  expect(seen.length).toBeGreaterThan(0);
  for (const s of seen) {
    expect(s.auth).toBe(`Bearer ${KEY}`);
    expect(s.url).not.toContain(KEY);
    expect(s.url).not.toMatch(/apiKey/i);
  }
};

describe('RestClient against a loopback HTTP server', () => {
  it('defaultRestUrl', () => {
    expect(defaultRestUrl('massive')).toBe('https://api.massive.com');
    expect(defaultRestUrl('polygon')).toBe('https://api.polygon.io');
  });

  it('paginates with next_url: a short page with next_url, ns ties across a page boundary, nothing lost or doubled', async () => {
    // 25 rows; rows 8..11 share one ns (the boundary of the first page falls inside them)
    const sips = Array.from({ length: 25 }, (_, i) => T0 + 1_000_123n + BigInt(i < 8 ? i : i < 12 ? 8 : i) * 1_000_000n);
    const all = sips.map((s, i) => tradeRow(s, i));
    const cuts = [0, 10, 17, 25]; // page sizes 10, 7 (short, with next_url), 8
    handler = (_req, res, u) => {
      expect(u.pathname).toBe('/v3/trades/SPY');
      const cursor = u.searchParams.get('cursor');
      if (cursor === null) {
        expect(Object.fromEntries(u.searchParams)).toEqual({
          'timestamp.gte': String(T0),
          'timestamp.lt': String(T0 + 60_000_000_000n),
          order: 'asc',
          sort: 'timestamp',
          limit: '10',
        });
      }
      const k = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
      const next = k + 1 < cuts.length - 1 ? `${base}/v3/trades/SPY?cursor=${Buffer.from(String(k + 1)).toString('base64url')}` : undefined;
      json(res, 200, page(all.slice(cuts[k], cuts[k + 1]), next));
    };
    const c = client({ limit: 10 });
    const pages = await collect(c, 'trades', 'SPY', T0, T0 + 60_000_000_000n);
    expect(pages.map((p) => p.length)).toEqual([10, 7, 8]);
    const events = pages.flat();
    expect(events.map((e) => e.sipNs)).toEqual(sips);
    expect(events.map((e) => (e.msg.kind === 'stock_trade' ? e.msg.i : null))).toEqual(all.map((_, i) => String(i).padStart(6, '0')));
    expect(new Set(events.map((e) => e.msg.t)).size).toBe(22);
    expect(events[9]!.msg).toMatchObject({
      kind: 'stock_trade',
      sym: 'SPY',
      t: Number((T0 + 9_000_000n) / 1_000_000n),
      q: 1009,
      x: 4,
      c: [12],
    });
    expect(c.stats).toEqual({ requests: 3, pages: 3, rows: 25, rateLimited: 0, retries: 0, failures: 0, invalid: 0 });
    everyRequestHasTheKeyInTheHeaderOnly();
  });

  it('option tickers keep ":" in the path; next_url on another origin is followed on the base origin (logged once); empty pages are fine', async () => {
    let n = 0;
    handler = (_req, res, u) => {
      expect(u.pathname).toBe(`/v3/quotes/${OPT}`);
      n++;
      if (n === 1) json(res, 200, `{"status":"OK","next_url":"https://api.massive.com:443:443/v3/quotes/${OPT}?cursor=AA"}`);
      else if (n === 2) json(res, 200, `{"status":"OK","results":[],"next_url":"http://other.example:9/v3/quotes/${OPT}?cursor=BB"}`);
      else if (n === 3)
        json(
          res,
          200,
          page(
            [
              `{"ask_price":2.23,"ask_size":112,"bid_price":2.21,"bid_size":85,"sequence_number":1,"sip_timestamp":${T0 + 5n}}`,
              `{"ask_price":2.24,"ask_size":1,"bid_price":2.2,"bid_size":2,"sequence_number":2,"sip_timestamp":${T0 + 999_999_999n}}`,
            ],
            `https://api.massive.com/v3/quotes/${OPT}?cursor=CC&apiKey=leaked`,
          ),
        );
      else json(res, 200, '{"status":"OK","request_id":"x"}');
    };
    const c = client();
    const pages = await collect(c, 'quotes', OPT, T0, T0 + 1_000_000_000n);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.map((e) => [e.msg.kind, e.sipNs, e.msg.t])).toEqual([
      ['option_quote', T0 + 5n, 1765898100000],
      ['option_quote', T0 + 999_999_999n, 1765898100999],
    ]);
    expect(seen.map((s) => s.url.replace(/\?.*/, ''))).toEqual(Array(4).fill(`/v3/quotes/${OPT}`));
    expect(seen.map((s) => new URLSearchParams(s.url.split('?')[1]).get('cursor'))).toEqual([null, 'AA', 'BB', 'CC']);
    expect(logs.filter((l) => l.includes('not ' + base))).toHaveLength(1); // other.example, then api.massive.com: one line
    expect(logs.filter((l) => l.includes('is not a valid URL'))).toHaveLength(1);
    expect(c.stats.pages).toBe(4);
    everyRequestHasTheKeyInTheHeaderOnly();
  });

  it('rows outside [from, to) are dropped; refused rows are skipped, counted and logged; rows out of order fail', async () => {
    handler = (_req, res) =>
      json(
        res,
        200,
        page([tradeRow(T0 - 1n, 1), tradeRow(T0, 2), '{"price":-1,"size":1,"sip_timestamp":' + (T0 + 1n) + '}', tradeRow(T0 + 10n, 3)]),
      );
    const c = client();
    const events = (await collect(c, 'trades', 'SPY', T0, T0 + 10n)).flat();
    expect(events.map((e) => e.sipNs)).toEqual([T0]);
    expect(c.stats.invalid).toBe(1);
    expect(logs.join('\n')).toMatch(/row refused .*SPY row 2: field price: expected a number > 0, got -1/);
    expect(logs.join('\n')).toMatch(/2 rows outside/);
    handler = (_req, res) => json(res, 200, page([tradeRow(T0 + 5n, 1), tradeRow(T0 + 4n, 2)]));
    const e = await failure(collect(client(), 'trades', 'SPY', T0, T0 + 10n));
    expect(e.code).toBe('E_REST_BAD_RESPONSE');
    expect(e.message).toMatch(/rows out of order: row 1 has sip_timestamp 1765898100000000004 after 1765898100000000005/);
  });

  it('429 with Retry-After: waits what the server says, then carries on', async () => {
    let n = 0;
    handler = (_req, res) =>
      ++n <= 2
        ? json(res, 429, { status: 'ERROR', error: "You've exceeded the maximum requests per minute" }, { 'retry-after': '2' })
        : json(res, 200, page([tradeRow(T0, 1)]));
    const c = client();
    const events = (await collect(c, 'trades', 'SPY', T0, T0 + 1n)).flat();
    expect(events).toHaveLength(1);
    expect(sleeps).toEqual([2000, 2000]);
    expect(c.stats).toMatchObject({ requests: 3, rateLimited: 2, retries: 0, failures: 0, pages: 1 });
    everyRequestHasTheKeyInTheHeaderOnly();
  });

  it('N 429s without Retry-After (one with an empty body): exponential backoff with jitter, capped, then success', async () => {
    let n = 0;
    handler = (_req, res) =>
      ++n <= 8 ? (n === 3 ? (res.writeHead(429), res.end()) : json(res, 429, { status: 'ERROR' })) : json(res, 200, page([]));
    const c = client({ backoffInitialMs: 100, backoffMaxMs: 2000 });
    expect(await collect(c, 'trades', 'SPY', T0, T0 + 1n)).toEqual([]);
    expect(sleeps).toHaveLength(8);
    sleeps.forEach((ms, i) => {
      const cap = Math.min(2000, 100 * 2 ** i);
      expect(ms).toBeGreaterThanOrEqual(cap * 0.5);
      expect(ms).toBeLessThanOrEqual(cap);
    });
    expect(c.stats.rateLimited).toBe(8);
  });

  it('429 beyond max429Retries -> E_REST_RETRIES', async () => {
    handler = (_req, res) => json(res, 429, { status: 'ERROR' });
    const e = await failure(collect(client({ max429Retries: 2 }), 'trades', 'SPY', T0, T0 + 1n));
    expect([e.code, e.status, seen.length]).toEqual(['E_REST_RETRIES', 429, 3]);
  });

  it('500s then success; 499 and 503 retried too', async () => {
    let n = 0;
    const statuses = [500, 499, 503];
    handler = (_req, res) =>
      n < 3 ? json(res, statuses[n++]!, { status: 'ERROR', error: 'Failed to Authorize' }) : json(res, 200, page([tradeRow(T0, 1)]));
    const c = client();
    expect((await collect(c, 'trades', 'SPY', T0, T0 + 1n)).flat()).toHaveLength(1);
    expect(c.stats).toMatchObject({ requests: 4, retries: 3, failures: 3, rateLimited: 0 });
    expect(sleeps).toHaveLength(3);
    expect(logs.filter((l) => l.startsWith('warn') && l.includes('HTTP 500: ERROR: Failed to Authorize'))).toHaveLength(1);
  });

  it('500s forever -> E_REST_RETRIES after maxRetries + 1 attempts', async () => {
    handler = (_req, res) => json(res, 502, 'bad gateway');
    const c = client({ maxRetries: 4 });
    const e = await failure(collect(c, 'trades', 'SPY', T0, T0 + 1n));
    expect([e.code, e.status, seen.length, c.stats.failures, c.stats.retries]).toEqual(['E_REST_RETRIES', 502, 5, 5, 4]);
    expect(e.message).toMatch(/HTTP 502: "bad gateway" \(5 attempts\)/);
    expect(e.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v3\/trades\/SPY\?timestamp\.gte=/);
  });

  it('401 and 403: one request, no retry, the vendor message (the key the body echoes is redacted)', async () => {
    handler = (_req, res) => json(res, 401, { status: 'ERROR', request_id: 'r', error: `Unknown API Key ${KEY}` });
    const a = await failure(collect(client(), 'trades', 'SPY', T0, T0 + 1n));
    expect([a.code, a.status, seen.length]).toEqual(['E_REST_AUTH', 401, 1]);
    expect(a.message).toMatch(/HTTP 401, the API key was refused: ERROR: Unknown API Key <key>/);
    seen = [];
    handler = (_req, res) => json(res, 403, { status: 'NOT_AUTHORIZED', request_id: 'r', message: 'You are not entitled to this data.' });
    const b = await failure(collect(client(), 'quotes', 'SPY', T0, T0 + 1n));
    expect([b.code, b.status, seen.length]).toEqual(['E_REST_FORBIDDEN', 403, 1]);
    expect(b.message).toMatch(/NOT_AUTHORIZED: You are not entitled to this data\./);
    expect(sleeps).toEqual([]);
  });

  it('a request with no answer times out per request, is retried, then E_REST_RETRIES', async () => {
    handler = () => {}; // never answers
    const c = client({ timeoutMs: 150, maxRetries: 1 });
    const t = Date.now();
    const e = await failure(collect(c, 'trades', 'SPY', T0, T0 + 1n));
    expect([e.code, e.status, seen.length]).toEqual(['E_REST_RETRIES', null, 2]);
    expect(e.message).toMatch(/no complete answer within 150 ms/);
    expect(Date.now() - t).toBeGreaterThanOrEqual(280);
  });

  it('a truncated or non-JSON body, or status != OK: retried, then E_REST_BAD_RESPONSE naming the URL and the offset', async () => {
    handler = (_req, res) => json(res, 200, page([tradeRow(T0, 1)]).slice(0, 60));
    const e = await failure(collect(client({ maxRetries: 2 }), 'trades', 'SPY', T0, T0 + 1n));
    expect([e.code, seen.length]).toEqual(['E_REST_BAD_RESPONSE', 3]);
    expect(e.message).toMatch(
      /\/v3\/trades\/SPY\?.*unreadable body \(60 bytes\): invalid JSON at byte 58: unterminated string \(3 attempts\)$/,
    );
    seen = [];
    // a body cut short by the connection (Content-Length larger than what is sent)
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"results":[');
      setTimeout(() => res.destroy(), 10);
    };
    const cut = await failure(collect(client({ maxRetries: 1 }), 'trades', 'SPY', T0, T0 + 1n));
    expect([cut.code, seen.length]).toEqual(['E_REST_BAD_RESPONSE', 2]);
    expect(cut.message).toMatch(/reading the HTTP 200 body failed/);
    seen = [];
    handler = (_req, res) => json(res, 200, { status: 'ERROR', error: 'internal' });
    const st = await failure(collect(client({ maxRetries: 0 }), 'trades', 'SPY', T0, T0 + 1n));
    expect([st.code, seen.length]).toEqual(['E_REST_BAD_RESPONSE', 1]);
    expect(st.message).toMatch(/body status "ERROR", expected "OK": internal/);
    seen = [];
    handler = (_req, res) => json(res, 400, { status: 'ERROR', error: 'limit out of range' });
    const bad = await failure(collect(client(), 'trades', 'SPY', T0, T0 + 1n));
    expect([bad.code, bad.status, seen.length]).toEqual(['E_REST_BAD_RESPONSE', 400, 1]);
  });

  it('a repeated cursor -> E_REST_LOOP; more than maxPages pages -> E_REST_LOOP', async () => {
    handler = (_req, res) => json(res, 200, page([], `${base}/v3/trades/SPY?cursor=SAME`));
    const e = await failure(collect(client(), 'trades', 'SPY', T0, T0 + 1n));
    expect([e.code, seen.length]).toEqual(['E_REST_LOOP', 2]);
    expect(e.message).toMatch(/repeats a cursor/);
    seen = [];
    let n = 0;
    handler = (_req, res) => json(res, 200, page([], `${base}/v3/trades/SPY?cursor=C${n++}`));
    const cap = await failure(collect(client({ maxPages: 5 }), 'trades', 'SPY', T0, T0 + 1n));
    expect([cap.code, seen.length]).toEqual(['E_REST_LOOP', 5]);
    expect(cap.message).toMatch(/more than 5 pages/);
  });

  it('the caller aborts during a backoff: rejects with the abort reason, no more requests', async () => {
    handler = (_req, res) => json(res, 503, {});
    const ac = new AbortController();
    const c = client({ sleep: (ms) => new Promise((r) => setTimeout(r, ms)), backoffInitialMs: 5_000, backoffMaxMs: 5_000 });
    const p = collect(c, 'trades', 'SPY', T0, T0 + 1n, ac.signal);
    setTimeout(() => ac.abort(new Error('stopped by test')), 100);
    await expect(p).rejects.toThrow('stopped by test');
    expect(seen.length).toBe(1);
  });

  it('an empty window makes no request; bad options are refused by name', async () => {
    expect(await collect(client(), 'trades', 'SPY', T0, T0)).toEqual([]);
    expect(seen).toEqual([]);
    expect(() => client({ limit: 50_001 })).toThrow(/limit must be an integer in 1..50000/);
    expect(() => new RestClient({ baseUrl: `${base}?apiKey=x`, apiKey: KEY })).toThrow(/query/);
    expect(() => new RestClient({ baseUrl: base, apiKey: '' })).toThrow(/apiKey/);
    expect(logs.join('\n')).not.toContain(KEY);
  });
});
