/**
 * The gap machinery with in-process fakes (a fake clock and timers, a fake REST source as a function):
 * the tracker, disconnect / quiet-market / overflow / restart windows, the id boundary, --backfill-max,
 * announcements and their JSON, the backfill runner (merge order, seeded book, concurrency, errors), and
 * the pump's order (live before backfilled).
 */
import { describe, expect, it } from 'vitest';
import type { Publishable } from '@md/event-types';
import { BoundedQueue, restQuoteMessage, restTradeMessage, type BookQuote } from '@md/polygon-normalizer';
import { RestError } from '@md/polygon-normalizer/rest';
import {
  BackfillLane,
  BackfillRunner,
  gapJson,
  GapKeeper,
  GapLedger,
  GapBook,
  ItemTracker,
  LiveEngine,
  LiveIds,
  parseGapJson,
  windowOfAnnouncement,
  windowToNs,
  describeRestError,
  type GapAnnouncement,
  type ItemWindow,
  type RestRow,
  type RestSource,
} from '@md/live-engine';
import { MemorySink, until } from '@md/test-support';

const MS0 = 1_765_898_100_000;
const ns = (ms: number, sub = 0) => BigInt(ms) * 1_000_000n + BigInt(sub);

function stockTrade(t: number, q: number, sym = 'SPY', price = 676.5): Publishable {
  return {
    subject: 'market.stocks.trades',
    msgId: `market.stocks.trades:${sym}:${t}:${q}:4:${q}`,
    event: {
      ts_event_ns: ns(t),
      ts_recv_ns: ns(t),
      source: 'massive_ws',
      symbol: sym,
      price,
      size: 100,
      exchange: 4,
      conditions: null,
      seq: q,
    },
  } as Publishable;
}

function optionTrade(t: number, sym: string, n = 0): Publishable {
  return {
    subject: 'market.options.trades',
    msgId: `market.options.trades:${sym}:${t}:302:1.1:1:-:${n}`,
    event: { ts_event_ns: ns(t), option_symbol: sym, seq: null },
  } as unknown as Publishable;
}

/** a fake clock with timers run by advance() */
class Clock {
  now = MS0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ at: this.now + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  };
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const t = this.timers[0];
      if (!t || t.at > end) break;
      this.timers.shift();
      this.now = t.at;
      t.fn();
    }
    this.now = end;
  }
}

function keeper(over: { quotes?: BookQuote | null; holdsQuotes?: boolean; maxMs?: number } = {}) {
  const clock = new Clock();
  const tracker = new ItemTracker();
  const said: GapAnnouncement[] = [];
  const ledger = new GapLedger((g) => said.push(g));
  const ready: ItemWindow[] = [];
  let id = 0;
  const k = new GapKeeper({
    tracker,
    ledger,
    overlapMs: 1000,
    delayMs: 500,
    maxMs: over.maxMs ?? 900_000,
    now: () => clock.now,
    setTimer: clock.setTimer,
    newGapId: () => `g${++id}`,
    bookQuote: () => over.quotes ?? null,
    holdsQuotes: () => over.holdsQuotes ?? true,
    ready: (w) => ready.push(w),
  });
  return { clock, tracker, said, ledger, ready, k };
}

describe('ItemTracker', () => {
  it('keeps per item the last ms, its sequence number and the ids of that ms; an older event leaves it alone', () => {
    const t = new ItemTracker();
    t.observeEvent(stockTrade(MS0, 1));
    t.observeEvent(stockTrade(MS0 + 5, 2));
    t.observeEvent(stockTrade(MS0 + 5, 3));
    t.observeEvent(stockTrade(MS0 + 2, 9)); // late print
    expect(t.get('T.SPY')).toEqual({
      t: MS0 + 5,
      q: 3,
      ids: [stockTrade(MS0 + 5, 2).msgId, stockTrade(MS0 + 5, 3).msgId],
    });
    const snap = t.snapshot('T.SPY');
    t.observeEvent(stockTrade(MS0 + 6, 4));
    expect(snap?.t).toBe(MS0 + 5);
    expect(t.get('Q.SPY')).toBeUndefined();
  });
});

describe('BoundedQueue onDrop: the engine learns which events were lost', () => {
  it('drop-newest reports the refused item, drop-oldest the evicted one', () => {
    const lost: number[] = [];
    const n = new BoundedQueue<number>(2, 'drop-newest', (x) => lost.push(x));
    [1, 2, 3, 4].forEach((x) => n.push(x));
    const o = new BoundedQueue<number>(2, 'drop-oldest', (x) => lost.push(-x));
    [1, 2, 3, 4].forEach((x) => o.push(x));
    expect(lost).toEqual([3, 4, -1, -2]);
    expect([n.dropped, o.dropped, o.shift(), o.shift()]).toEqual([2, 2, 3, 4]);
  });
});

describe('GapKeeper: windows', () => {
  it('disconnect: every item held during the outage, from its last event (or the loss) to the first live event + overlap', () => {
    const { clock, said, ready, k } = keeper({ quotes: { bid: 1, ask: 1.1, bidSize: 1, askSize: 1, t: MS0 } });
    k.live('stocks', stockTrade(MS0 + 10, 1));
    k.live('stocks', stockTrade(MS0 + 10, 2));
    clock.advance(100);
    k.lost('stocks', clock.now, ['T.SPY', 'Q.SPY']);
    k.hold('stocks', ['T.QQQ']); // re-centred while down: held during the gap
    clock.advance(3000);
    k.streaming('stocks', clock.now);
    expect(said).toEqual([]);
    k.live('stocks', stockTrade(MS0 + 3050, 3)); // the first live event bounds every window
    k.live('stocks', stockTrade(MS0 + 3900, 4)); // inside the overlap: its REST copy will be left out
    k.live('stocks', stockTrade(MS0 + 4200, 5)); // after the window
    const open = said.filter((g) => g.status === 'open');
    expect(open.map((g) => [g.item, g.from_ns, g.to_ns, g.reason])).toEqual([
      ['T.SPY', ns(MS0 + 10), ns(MS0 + 4051), 'disconnect'],
      ['Q.SPY', ns(MS0 + 100), ns(MS0 + 4051), 'disconnect'],
      ['T.QQQ', ns(MS0 + 100), ns(MS0 + 4051), 'disconnect'],
    ]);
    expect(ready).toEqual([]); // REST never has the future: after the end + delay
    clock.advance(1500);
    expect(ready.map((w) => w.item)).toEqual(['T.SPY', 'Q.SPY', 'T.QQQ']);
    const w = ready[0] as ItemWindow;
    expect([...w.skip]).toEqual([stockTrade(MS0 + 10, 1).msgId, stockTrade(MS0 + 10, 2).msgId]);
    expect(w.live?.has('T.SPY', stockTrade(MS0 + 3050, 3).msgId)).toBe(true);
    expect(w.live?.has('T.SPY', stockTrade(MS0 + 3900, 4).msgId)).toBe(true);
    expect(w.live?.has('T.SPY', stockTrade(MS0 + 4200, 5).msgId)).toBe(false);
    expect(w.seedQuote).toBeNull(); // stocks: no book needed
  });

  it('a quiet market: no live event within the overlap after streaming -> the streaming time stands for it; lost again before: one outage', () => {
    const { clock, said, k } = keeper();
    k.live('options', optionTrade(MS0, 'O:SPY251216C00676000'));
    k.lost('options', MS0 + 100, ['T.O:SPY251216C00676000', 'Q.O:SPY251216C00676000']);
    clock.advance(1000);
    k.streaming('options', clock.now);
    clock.advance(200);
    k.lost('options', clock.now, ['T.O:SPY251216C00676000', 'Q.O:SPY251216C00676000']); // before it was bounded
    clock.advance(800);
    expect(said).toEqual([]);
    k.streaming('options', clock.now); // MS0 + 2000
    clock.advance(1000);
    // option quotes are not published: only the trade item is a window (its quotes are fetched with it)
    expect(said.map((g) => [g.item, g.from_ns, g.to_ns])).toEqual([['T.O:SPY251216C00676000', ns(MS0), ns(MS0 + 3001)]]);
  });

  it('overflow: the dropped events of each item, filled once the queue is back under half full, only those ids', () => {
    const { clock, said, ready, k } = keeper();
    const a = stockTrade(MS0 + 1, 1);
    const b = stockTrade(MS0 + 7, 2);
    k.dropped('stocks', b);
    k.dropped('stocks', a);
    k.queueLevel(60, 100);
    expect(said).toEqual([]);
    k.queueLevel(49, 100);
    expect(said.map((g) => [g.item, g.from_ns, g.to_ns, g.reason])).toEqual([['T.SPY', ns(MS0 + 1), ns(MS0 + 8), 'overflow']]);
    clock.advance(1000);
    expect([...(ready[0]?.only ?? [])].sort()).toEqual([a.msgId, b.msgId].sort());
    k.queueLevel(10, 100);
    expect(said).toHaveLength(1); // closed: a new drop makes a new window
  });

  it('--backfill-max: the part older than the bound is announced unfilled, the rest filled', () => {
    const { clock, said, ready, k } = keeper({ maxMs: 2000 });
    k.live('stocks', stockTrade(MS0, 1));
    clock.advance(5000);
    k.lost('stocks', clock.now, ['T.SPY']);
    k.streaming('stocks', clock.now + 10);
    k.live('stocks', stockTrade(MS0 + 5010, 2));
    // window [MS0, MS0+6010] -> unfilled [MS0, MS0+4009], filled part [MS0+4010, MS0+6010]
    expect(said.map((g) => [g.status, g.reason, g.from_ns, g.to_ns, g.why])).toEqual([
      ['open', 'backfill_max', ns(MS0), ns(MS0 + 4010), null],
      ['unfilled', 'backfill_max', ns(MS0), ns(MS0 + 4010), 'older than --backfill-max (2000 ms): not filled'],
      ['open', 'disconnect', ns(MS0 + 4010), ns(MS0 + 6011), null],
    ]);
    clock.advance(2000);
    expect(ready).toHaveLength(1);
  });

  it('stop: an outage not yet bounded and an overflow not yet over are announced unfilled, ending now', () => {
    const { clock, said, k } = keeper();
    k.lost('stocks', clock.now, ['T.SPY']);
    k.dropped('options', optionTrade(MS0 - 50, 'O:SPY251216C00676000'));
    clock.advance(700);
    k.stop('stopped before it was filled');
    expect(said.map((g) => [g.status, g.item, g.from_ns, g.to_ns])).toEqual([
      ['open', 'T.SPY', ns(MS0), ns(MS0 + 701)],
      ['unfilled', 'T.SPY', ns(MS0), ns(MS0 + 701)],
      ['open', 'T.O:SPY251216C00676000', ns(MS0 - 50), ns(MS0 - 49)],
      ['unfilled', 'T.O:SPY251216C00676000', ns(MS0 - 50), ns(MS0 - 49)],
    ]);
    expect(said.filter((g) => g.status === 'unfilled').every((g) => g.why === 'stopped before it was filled')).toBe(true);
  });

  it('endOutages (a lost lease): the outage not yet bounded is unfilled now, a window already open still becomes ready; a start planned after stop is unfilled at once', () => {
    const { clock, said, ready, k, tracker } = keeper();
    tracker.observeEvent(stockTrade(MS0 - 10, 1));
    // a disconnect bounded by a live event: its window is open, waiting for REST
    k.lost('stocks', clock.now, ['T.SPY']);
    k.streaming('stocks', clock.now + 100);
    k.live('stocks', stockTrade(MS0 + 120, 2));
    // then the socket drops again, and the lease is lost before it streams again
    clock.advance(200);
    k.lost('stocks', clock.now, ['T.SPY']);
    clock.advance(100);
    k.endOutages('lease lost: x');
    expect(said.map((g) => [g.status, g.gap_id, g.from_ns, g.to_ns, g.why])).toEqual([
      ['open', 'g1', ns(MS0 - 10), ns(MS0 + 1121), null],
      ['open', 'g2', ns(MS0 + 120), ns(MS0 + 301), null],
      ['unfilled', 'g2', ns(MS0 + 120), ns(MS0 + 301), 'lease lost: x'],
    ]);
    expect(ready).toEqual([]);
    clock.advance(2000); // the first window's timer still runs: it is filled
    expect(ready.map((w) => w.gapId)).toEqual(['g1']);
    expect(k.outagesPending).toEqual([]);
    k.stop('stopped (end) before it was filled');
    k.startWindow('stocks', 'Q.SPY', MS0, MS0 + 3000, [], new LiveIds(MS0, MS0 + 3000));
    expect(said.slice(3).map((g) => [g.status, g.item, g.why])).toEqual([
      ['open', 'Q.SPY', null],
      ['unfilled', 'Q.SPY', 'stopped (end) before it was filled'],
    ]);
    clock.advance(10_000);
    expect(ready.map((w) => w.gapId)).toEqual(['g1']);
  });

  it('parseGapJson reads gapJson back exactly; GapBook keeps what is open or unfilled by a stop, forgets what is filled', () => {
    const g: GapAnnouncement = {
      type: 'gap',
      status: 'open',
      gap_id: 't-1',
      session: 'stocks',
      subject: 'market.stocks.trades',
      item: 'T.SPY',
      symbol: 'SPY',
      from_ns: 1_765_898_100_112_000_001n,
      to_ns: 1_765_898_104_051_000_000n,
      reason: 'restart',
      count: null,
      why: null,
      rest_requests: 0,
      at: '2025-12-16T15:15:05.120Z',
    };
    expect(parseGapJson(gapJson(g))).toEqual(g);
    expect(parseGapJson('{"type":"gap"}')).toBeNull();
    expect(parseGapJson('not json')).toBeNull();
    const book = new GapBook(2);
    book.observe(g);
    book.observe({ ...g, gap_id: 't-2' });
    book.observe({ ...g, gap_id: 't-2', status: 'filled', count: 3 });
    book.observe({ ...g, gap_id: 't-3', status: 'unfilled', why: 'stopped (SIGTERM) before it was filled' });
    book.observe({ ...g, gap_id: 't-4', status: 'unfilled', why: 'E_REST_AUTH (HTTP 401): no' });
    book.observe({ ...g, gap_id: 't-5', reason: 'backfill_max' });
    expect(book.take().map((x) => [x.gap_id, x.status])).toEqual([
      ['t-1', 'open'],
      ['t-3', 'unfilled'],
    ]);
    expect(book.size).toBe(0);
    // [from, to) whole ms -> vendor ms [from, to] both inclusive, as it was opened
    const w = windowOfAnnouncement(g, MS0, 500);
    expect([w.fromMs, w.toMs, w.gapId, w.skip.size, w.only]).toEqual([1_765_898_100_112, 1_765_898_104_050, 't-1', 0, null]);
    expect(windowToNs(w)).toBe(g.to_ns);
  });

  it('gapJson writes the ns bounds as exact integers', () => {
    const g: GapAnnouncement = {
      type: 'gap',
      status: 'filled',
      gap_id: 'x-1',
      session: 'stocks',
      subject: 'market.stocks.trades',
      item: 'T.SPY',
      symbol: 'SPY',
      from_ns: 1_765_898_100_112_000_001n,
      to_ns: 1_765_898_100_113_000_000n,
      reason: 'disconnect',
      count: 3,
      why: null,
      rest_requests: 1,
      at: '2025-12-16T15:15:00.000Z',
    };
    const text = gapJson(g);
    expect(text).toContain('"from_ns":1765898100112000001,"to_ns":1765898100113000000,');
    expect(JSON.parse(text.replace(/(\d{16,})/g, '"$1"')).from_ns).toBe('1765898100112000001');
  });
});

/** a fake REST source over rows per (kind, ticker): pages of `pageSize`, one request per page */
function fakeRest(
  rows: Record<string, RestRow[]>,
  o: { pageSize?: number; fail?: Error; inflight?: { now: number; max: number }; delayMs?: number } = {},
): () => RestSource {
  return () => {
    const stats = { requests: 0, rateLimited: 0 };
    return {
      stats,
      async *pages(kind, ticker, fromNs, toNs) {
        const all = (rows[`${kind}/${ticker}`] ?? []).filter((r) => r.sipNs >= fromNs && r.sipNs < toNs);
        const size = o.pageSize ?? 2;
        for (let i = 0; i === 0 || i < all.length; i += size) {
          stats.requests++;
          if (o.inflight) o.inflight.max = Math.max(o.inflight.max, ++o.inflight.now);
          await new Promise((r) => setTimeout(r, o.delayMs ?? 1));
          if (o.inflight) o.inflight.now--;
          if (o.fail) throw o.fail;
          const page = all.slice(i, i + size);
          if (page.length) yield page;
        }
      },
    };
  };
}

const OPT = 'O:SPY251216C00676000';
const tradeRow = (ticker: string, sipNs: bigint, price: number, extra: Record<string, unknown> = {}): RestRow => ({
  sipNs,
  msg: restTradeMessage(ticker, { sip_timestamp: sipNs, price, size: 1, exchange: 302, ...extra }, 0),
});
const quoteRow = (ticker: string, sipNs: bigint, bid: number, ask: number): RestRow => ({
  sipNs,
  msg: restQuoteMessage(ticker, { sip_timestamp: sipNs, bid_price: bid, ask_price: ask, bid_size: 5, ask_size: 7, sequence_number: 1 }, 0),
});

function win(over: Partial<ItemWindow>): ItemWindow {
  return {
    gapId: 'g1',
    session: 'options',
    reason: 'disconnect',
    subject: 'market.options.trades',
    item: `T.${OPT}`,
    symbol: OPT,
    fromMs: MS0,
    toMs: MS0 + 10,
    skip: new Set(),
    live: null,
    only: null,
    quotes: true,
    seedQuote: null,
    readyAtMs: 0,
    ...over,
  };
}

function runner(rest: (() => RestSource) | null, concurrency = 2) {
  const lane = new BackfillLane(3);
  const settled: { w: ItemWindow; count: number; requests: number; why: string | null }[] = [];
  const r = new BackfillRunner({
    rest,
    concurrency,
    lane,
    sourceFor: () => 'massive_rest',
    nowNs: () => 42n,
    signal: new AbortController().signal,
    describe: describeRestError,
    settled: (w, count, requests, why) => settled.push({ w, count, requests, why }),
  });
  const out: Publishable[] = [];
  let stop = false;
  const drain = (async () => {
    while (!stop) {
      let p;
      while ((p = lane.shift()) !== undefined) out.push(p);
      await Promise.race([lane.wait(), new Promise((res) => setTimeout(res, 5))]);
    }
  })();
  return {
    r,
    lane,
    settled,
    out,
    stop: async () => {
      stop = true;
      await drain;
    },
  };
}

describe('BackfillRunner', () => {
  it('an option contract: quotes and trades merged by SIP time, quotes first on ties; the book starts from the quote at the gap start', async () => {
    const rows = {
      [`trades/${OPT}`]: [
        tradeRow(OPT, ns(MS0, 10), 2.2), // before any quote of the window: the seed (2.0/2.2)
        tradeRow(OPT, ns(MS0 + 2, 5), 1.1), // same ns as a quote: the quote first -> at the ask
        tradeRow(OPT, ns(MS0 + 2, 5), 1.1, { conditions: [] }), // identical: ordinal 1
        tradeRow(OPT, ns(MS0 + 5), 1.0),
      ],
      [`quotes/${OPT}`]: [quoteRow(OPT, ns(MS0 + 2, 5), 1.0, 1.1), quoteRow(OPT, ns(MS0 + 4), 1.0, 1.05)],
    };
    const h = runner(fakeRest(rows));
    h.r.submit(win({ seedQuote: { bid: 2.0, ask: 2.2, bidSize: 1, askSize: 1, t: MS0 - 100 } }));
    await h.r.idle();
    await h.stop();
    expect(h.settled.map((s) => [s.count, s.why, s.requests])).toEqual([[4, null, 3]]);
    const ev = h.out.map((p) => p.event as unknown as Record<string, unknown>);
    expect(ev.map((e) => [e.opt_bid, e.opt_ask, e.aggressor, e.source, e.ts_recv_ns])).toEqual([
      [2.0, 2.2, 1, 'massive_rest', 42n],
      [1.0, 1.1, 1, 'massive_rest', 42n],
      [1.0, 1.1, 1, 'massive_rest', 42n],
      [1.0, 1.05, -1, 'massive_rest', 42n],
    ]);
    expect(h.out.map((p) => p.msgId.split(':').slice(-1)[0])).toEqual(['0', '0', '1', '0']);
  });

  it('the start boundary: rows whose id is already in the stream are left out; overflow windows publish only the dropped ids', async () => {
    const rows = { [`trades/${OPT}`]: [tradeRow(OPT, ns(MS0, 1), 1.1), tradeRow(OPT, ns(MS0, 2), 1.1), tradeRow(OPT, ns(MS0 + 3), 1.2)] };
    const first = `market.options.trades:${OPT}:${MS0}:302:1.1:1:-:0`;
    const h = runner(fakeRest(rows));
    h.r.submit(win({ quotes: false, skip: new Set([first]) }));
    await h.r.idle();
    expect(h.out.map((p) => p.msgId)).toEqual([
      `market.options.trades:${OPT}:${MS0}:302:1.1:1:-:1`,
      `market.options.trades:${OPT}:${MS0 + 3}:302:1.2:1:-:0`,
    ]);
    h.out.length = 0;
    h.r.submit(win({ gapId: 'g2', quotes: false, reason: 'overflow', only: new Set([first]) }));
    await h.r.idle();
    await h.stop();
    expect(h.out.map((p) => p.msgId)).toEqual([first]);
    expect(h.settled.map((s) => s.count)).toEqual([2, 1]);
  });

  it('401 -> unfilled with the error code, no retry; backfill disabled -> unfilled; at most `concurrency` requests in flight', async () => {
    const auth = new RestError(
      'E_REST_AUTH',
      'http://x/v3/trades/SPY: HTTP 401, the API key was refused: Unknown API Key',
      401,
      'http://x',
    );
    const h = runner(fakeRest({}, { fail: auth }));
    h.r.submit(win({ quotes: false }));
    await h.r.idle();
    expect(h.settled[0]?.why).toBe('E_REST_AUTH (HTTP 401): http://x/v3/trades/SPY: HTTP 401, the API key was refused: Unknown API Key');
    expect(h.settled[0]?.requests).toBe(1);
    await h.stop();

    const off = runner(null);
    off.r.submit(win({}));
    await off.r.idle();
    await off.stop();
    expect(off.settled[0]?.why).toBe('backfill disabled (--no-backfill)');

    const inflight = { now: 0, max: 0 };
    const rows: Record<string, RestRow[]> = {};
    for (let s = 0; s < 6; s++) {
      const sym = `O:SPY251216C0067${s}000`;
      rows[`trades/${sym}`] = [0, 1, 2, 3, 4].map((i) => tradeRow(sym, ns(MS0 + i), 1 + i / 100));
      rows[`quotes/${sym}`] = [0, 2].map((i) => quoteRow(sym, ns(MS0 + i), 1, 1.02));
    }
    const c = runner(fakeRest(rows, { inflight, delayMs: 5 }), 2);
    for (let s = 0; s < 6; s++) {
      const sym = `O:SPY251216C0067${s}000`;
      c.r.submit(win({ gapId: `c${s}`, item: `T.${sym}`, symbol: sym }));
    }
    expect(c.r.busy).toBe(6);
    await c.r.idle();
    await c.stop();
    expect(inflight.max).toBe(2);
    expect(c.settled.every((s) => s.why === null && s.count === 5)).toBe(true);
    expect(c.r.backfilled).toBe(30);
    expect(c.r.requests).toBe(6 * (3 + 1));
  });
});

describe('the pump: live events first, a backfilled one only when the live queue is empty', () => {
  it('backfilled events wait behind live ones, even those arriving while a backfilled one is being published', async () => {
    let release: (() => void) | null = null;
    const order: string[] = [];
    const sink = new MemorySink();
    const gated = Object.assign(Object.create(sink) as MemorySink, {
      publish: async (p: Publishable) => {
        order.push(p.msgId);
        if (p.msgId === 'B1') await new Promise<void>((r) => (release = r));
        await sink.publish(p);
      },
    });
    const ing = new LiveEngine(
      {
        apiKey: 'k',
        stocksUrl: 'ws://127.0.0.1:9/stocks',
        sessions: { stocks: true, options: false },
        statsIntervalMs: 0,
        backoffInitialMs: 10_000,
      },
      gated,
      () => {},
    );
    const ev = (id: string, t: number): Publishable => ({ ...stockTrade(t, 1), msgId: id });
    for (const id of ['B1', 'B2', 'B3']) void ing.lane.push(ev(id, MS0));
    for (const id of ['L1', 'L2']) ing.queue.push(ev(id, Date.now()));
    ing.start();
    await until(() => release !== null, 2000, 'B1 being published');
    ing.queue.push(ev('L3', Date.now()));
    ing.queue.push(ev('L4', Date.now()));
    (release as unknown as () => void)();
    await until(() => order.length === 7, 2000, 'all published');
    expect(order).toEqual(['L1', 'L2', 'B1', 'L3', 'L4', 'B2', 'B3']);
    // the lag histogram counts live events only
    expect(ing.lag.count).toBe(4);
    await ing.stop();
  });
});
