import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_API_KEY, FakeRest, type FakeRestOptions } from '@md/test-support/fake-rest';
import { Tape, type TapeEvent } from '@md/test-support/tape';

const START = 1765898100000;
const OPT = 'O:SPY251216C00676000';
/** a past tape: everything visible with the real clock */
const tape = Tape.generate({ seed: 11, startMs: START, durationMs: 4000, rate: 300, optionSymbols: [OPT] });
const ns = (ms: number) => BigInt(ms) * 1_000_000n;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
async function rest(opts: Partial<FakeRestOptions> = {}): Promise<FakeRest> {
  const fr = await FakeRest.start({ tape, ...opts });
  cleanups.push(() => fr.close());
  return fr;
}

interface Answer {
  status: number;
  text: string;
  headers: Headers;
  /** the raw text of `results` (rows as written), or null when the key is absent */
  results: string | null;
  next: string | null;
}
async function get(url: string, key: string | null = FAKE_API_KEY, via: 'query' | 'bearer' = 'query'): Promise<Answer> {
  const u = new URL(url);
  if (key !== null && via === 'query') u.searchParams.set('apiKey', key);
  const r = await fetch(u, { headers: key !== null && via === 'bearer' ? { authorization: `Bearer ${key}` } : {} });
  const text = await r.text();
  const m = /^\{(?:"results":\[(.*?)\],)?"status":"OK","request_id":"[0-9a-f]{32}"(?:,"next_url":"([^"]+)")?\}$/.exec(text);
  return { status: r.status, text, headers: r.headers, results: m ? (m[1] ?? null) : null, next: m?.[2] ?? null };
}
/** follow next_url to the end, adding the key each time; the raw row texts of every page */
async function all(first: string, via: 'query' | 'bearer' = 'query', maxPages = 10_000): Promise<{ pages: string[][]; nexts: string[] }> {
  const pages: string[][] = [];
  const nexts: string[] = [];
  let url: string | null = first;
  while (url !== null) {
    const a = await get(url, FAKE_API_KEY, via);
    expect(a.status, a.text).toBe(200);
    pages.push(a.results ? splitRows(a.results) : []);
    url = a.next;
    if (url) nexts.push(url);
    if (pages.length > maxPages) throw new Error('too many pages');
  }
  return { pages, nexts };
}
const splitRows = (s: string): string[] => (s === '' ? [] : s.split(/(?<=\}),(?=\{)/));
const rowsOf = (xs: TapeEvent[]) => xs.map((e) => tape.restRow(e));

describe('FakeRest', () => {
  it('pages asc and desc with limit 7 (and pageRowsCap 3): every row exactly once, in order, ns digits as written', async () => {
    const fr = await rest();
    const [gte, lt] = [tape.firstNs, ns(START + 2500) + 1n];
    for (const [kind, k, sym] of [
      ['trades', 'T', 'SPY'],
      ['quotes', 'Q', 'SPY'],
      ['trades', 'T', OPT],
      ['quotes', 'Q', OPT],
    ] as const) {
      const want = rowsOf(tape.select(k, sym, gte, lt));
      expect(want.length).toBeGreaterThan(40);
      for (const order of ['asc', 'desc'] as const) {
        for (const cap of [undefined, 3]) {
          fr.pageRowsCap = cap;
          const first = `${fr.url}/v3/${kind}/${encodeURIComponent(sym)}?timestamp.gte=${gte}&timestamp.lt=${lt}&order=${order}&limit=7`;
          const { pages, nexts } = await all(first, order === 'asc' ? 'query' : 'bearer');
          expect(pages.flat()).toEqual(order === 'asc' ? want : [...want].reverse());
          expect(pages.flat().join(',')).toContain(`"sip_timestamp":${tape.select(k, sym, gte, lt)[0]?.sipNs.toString()}`);
          const per = cap ?? 7;
          expect(pages.slice(0, -1).every((p) => p.length === per)).toBe(true); // short pages with next_url when capped
          expect(pages.length).toBe(Math.max(1, Math.ceil(want.length / per)));
          for (const n of nexts) {
            expect(n.startsWith(`${fr.url}/v3/${kind}/${sym}?cursor=`)).toBe(true);
            expect(n).not.toContain('apiKey');
            expect(new URL(n).searchParams.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
          }
        }
      }
    }
    expect(fr.log.every((l) => l.hadKey && !l.query.includes('apiKey'))).toBe(true);
    expect(fr.log.some((l) => l.keyVia === 'bearer') && fr.log.some((l) => l.keyVia === 'query')).toBe(true);
    expect(fr.rowsServed).toBe(fr.log.reduce((n, l) => n + l.rows, 0));
  });

  it('ties: with limit 1 and 2 a page boundary falls between rows of the same ns; keyset paging loses and repeats none', async () => {
    const fr = await rest();
    for (const [k, kind, sym] of [
      ['T', 'trades', 'SPY'],
      ['T', 'trades', OPT],
      ['Q', 'quotes', 'SPY'],
    ] as const) {
      const xs = tape.item(k, sym);
      const at = xs.findIndex((e, j) => xs[j + 1]?.sipNs === e.sipNs);
      expect(at, `${k}.${sym} has equal-ns rows`).toBeGreaterThanOrEqual(0);
      const tie = xs[at]!.sipNs;
      const want = rowsOf(tape.select(k, sym, tie - 3_000_000n, tie + 3_000_000n));
      for (const limit of [1, 2]) {
        for (const order of ['asc', 'desc'] as const) {
          const first = `${fr.url}/v3/${kind}/${sym}?timestamp.gte=${tie - 3_000_000n}&timestamp.lt=${tie + 3_000_000n}&order=${order}&limit=${limit}`;
          const got = (await all(first)).pages.flat();
          expect(got).toEqual(order === 'asc' ? want : [...want].reverse());
        }
      }
      // `timestamp` (equality) gives exactly the rows of that ns
      const eq = await get(`${fr.url}/v3/${kind}/${sym}?timestamp=${tie}&order=asc`);
      expect(splitRows(eq.results ?? '')).toEqual(rowsOf(xs.filter((e) => e.sipNs === tie)));
      expect(splitRows(eq.results ?? '').length).toBeGreaterThan(1);
    }
  });

  it('filters gt/lte and RFC 3339 bounds; defaults desc and limit 1000; limit outside 1..50000 and bad values -> 400', async () => {
    const big = Tape.generate({ seed: 3, startMs: START, durationMs: 5000, rate: 1000 });
    const fr = await rest({ tape: big });
    const xs = big.item('T', 'SPY');
    expect(xs.length).toBeGreaterThan(1000);
    const d = await get(`${fr.url}/v3/trades/SPY`);
    const rows = splitRows(d.results ?? '');
    expect(rows).toEqual(
      xs
        .slice(-1000)
        .reverse()
        .map((e) => big.restRow(e)),
    );
    expect(d.next).not.toBeNull();
    const [a, b] = [xs[10]!.sipNs, xs[20]!.sipNs];
    const r = await get(`${fr.url}/v3/trades/SPY?timestamp.gt=${a}&timestamp.lte=${b}&order=asc&limit=50000`);
    expect(splitRows(r.results ?? '')).toEqual(xs.filter((e) => e.sipNs > a && e.sipNs <= b).map((e) => big.restRow(e)));
    expect(r.text).not.toContain('next_url');
    const rfc = `${new Date(Number(a / 1_000_000n)).toISOString().slice(0, 19)}.${(a % 1_000_000_000n).toString().padStart(9, '0')}Z`;
    const r2 = await get(`${fr.url}/v3/trades/SPY?timestamp.gte=${rfc}&timestamp.lte=${b}&order=asc`);
    expect(splitRows(r2.results ?? '')).toEqual(xs.filter((e) => e.sipNs >= a && e.sipNs <= b).map((e) => big.restRow(e)));
    for (const q of ['limit=0', 'limit=50001', 'limit=abc', 'order=up', 'timestamp.gte=yesterday', 'sort=price', 'ticker=x']) {
      const e = await get(`${fr.url}/v3/trades/SPY?${q}`);
      expect(e.status, q).toBe(400);
      expect(JSON.parse(e.text)).toMatchObject({ status: 'ERROR' });
    }
    expect((await get(`${fr.url}/v3/trades/SPY?limit=50000&order=asc`)).status).toBe(200);
    expect((await get(`${fr.url}/v2/last/trade/SPY`)).status).toBe(404);
    expect(fr.byStatus[400]).toBe(7);
  });

  it('auth: apiKey query or Bearer; no key 401 "not provided"; unknown key 401; not entitled 403 NOT_AUTHORIZED with message', async () => {
    const fr = await rest({ keys: { all: {}, tradesOnly: { quotes: false }, stocksOnly: { options: false } } });
    const u = `${fr.url}/v3/trades/SPY?order=asc&limit=1`;
    expect((await get(u, 'all')).status).toBe(200);
    expect((await get(u, 'all', 'bearer')).status).toBe(200);
    const none = await get(u, null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toMatchObject({ status: 'ERROR', error: 'API Key was not provided' });
    const unknown = await get(u, FAKE_API_KEY);
    expect(unknown.status).toBe(401);
    const body = JSON.parse(unknown.text);
    expect(body).toMatchObject({ status: 'ERROR', error: 'Unknown API Key' });
    expect(body.request_id).toMatch(/^[0-9a-f]{32}$/);
    for (const [key, url] of [
      ['tradesOnly', `${fr.url}/v3/quotes/SPY`],
      ['stocksOnly', `${fr.url}/v3/trades/${OPT}`],
    ] as const) {
      const a = await get(url, key);
      expect(a.status).toBe(403);
      expect(JSON.parse(a.text)).toMatchObject({ status: 'NOT_AUTHORIZED', message: expect.stringContaining('not entitled') });
    }
    expect((await get(`${fr.url}/v3/trades/SPY`, 'tradesOnly')).status).toBe(200);
    fr.faults.status401 = true;
    expect((await get(u, 'all')).status).toBe(401);
    expect(fr.log.map((l) => [l.status, l.hadKey])).toEqual([
      [200, true],
      [200, true],
      [401, false],
      [401, true],
      [403, true],
      [403, true],
      [200, true],
      [401, true],
    ]);
    const fr400 = await rest({ missingKeyStatus: 400 });
    expect((await get(`${fr400.url}/v3/trades/SPY`, null)).status).toBe(400);
  });

  it('faults: n x 429 (Retry-After when set, empty body when asked), n x 5xx, truncated JSON, a looping cursor, a per-minute budget', async () => {
    const fr = await rest({ faults: { rateLimitFirst: 2, retryAfterS: 3 } });
    const u = `${fr.url}/v3/trades/SPY?order=asc&limit=5`;
    for (let k = 0; k < 2; k++) {
      const a = await get(u);
      expect(a.status).toBe(429);
      expect(a.headers.get('retry-after')).toBe('3');
      expect(JSON.parse(a.text).error).toMatch(/^You've exceeded the maximum requests per minute/);
    }
    expect((await get(u)).status).toBe(200);
    fr.faults = { rateLimitFirst: 1, rateLimitEmptyBody: true, fail5xxFirst: 2, status5xx: 503 };
    const e = await get(u);
    expect([e.status, e.text, e.headers.get('retry-after')]).toEqual([429, '', null]);
    expect((await get(u)).status).toBe(503);
    expect((await get(u)).status).toBe(503);
    expect((await get(u)).status).toBe(200);
    expect(fr.byStatus).toEqual({ 200: 2, 429: 3, 503: 2 });
    expect(fr.requests).toBe(7);

    fr.faults.truncateNext = 1;
    const t = await get(u);
    expect(t.status).toBe(200);
    expect(() => JSON.parse(t.text)).toThrow();
    expect(JSON.parse((await get(u)).text).status).toBe('OK');

    fr.faults.repeatCursor = true;
    const p1 = await get(u);
    const p2 = await get(p1.next!);
    const p3 = await get(p2.next!);
    expect(p2.next).toBe(p1.next);
    expect(p3.next).toBe(p1.next);
    expect(p3.results).toBe(p1.results);

    fr.faults = { slowMs: 300 };
    const t0 = Date.now();
    expect((await get(u)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    const free = await rest({ keys: { free: { perMinute: 2 } } });
    const codes = [];
    for (let k = 0; k < 4; k++) codes.push((await get(`${free.url}/v3/trades/SPY`, 'free')).status);
    expect(codes).toEqual([200, 200, 429, 429]);
  });

  it('never serves the future: only rows with sip time <= now - delayMs; an empty page has [] or no results key', async () => {
    let now = START + 1500;
    const fr = await rest({ now: () => now });
    const url = `${fr.url}/v3/quotes/SPY?timestamp.gte=${tape.firstNs}&order=asc&limit=50000`;
    const visible = (ms: number) => rowsOf(tape.select('Q', 'SPY', tape.firstNs, ns(ms + 1)));
    expect(splitRows((await get(url)).results ?? '')).toEqual(visible(START + 1500));
    now = START + 3000;
    expect(splitRows((await get(url)).results ?? '')).toEqual(visible(START + 3000));
    fr.delayMs = 1000;
    expect(splitRows((await get(url)).results ?? '')).toEqual(visible(START + 2000));
    expect(visible(START + 2000).length).toBeLessThan(visible(START + 3000).length);
    now = START - 10;
    const empty = await get(url);
    expect(empty.text).toMatch(/^\{"results":\[\],"status":"OK"/);
    fr.omitEmptyResults = true;
    const omitted = await get(url);
    expect(omitted.status).toBe(200);
    expect(omitted.text).toMatch(/^\{"status":"OK","request_id":"[0-9a-f]{32}"\}$/);

    // the real clock: a tape that starts now is served only up to now
    const live = Tape.generate({ seed: 5, startMs: Date.now() - 200, durationMs: 2000, rate: 500 });
    const fl = await rest({ tape: live });
    const a = await get(`${fl.url}/v3/trades/SPY?order=asc&limit=50000`);
    const after = Date.now();
    const got = splitRows(a.results ?? '');
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(live.item('T', 'SPY').length);
    const lastNs = BigInt(/"sip_timestamp":(\d+)/.exec(got.at(-1)!)![1]!);
    expect(lastNs).toBeLessThanOrEqual(ns(after + 1));
  });
});
