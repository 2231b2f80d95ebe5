/**
 * The live engine against the fake vendor (a real `ws` server on loopback) and a real nats-server, or a
 * memory sink. Process-level behaviour (flags, exit codes, signals) is tested in apps/live-ingestor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { consumeEvents, type ConsumedEvent } from '@md/nats-bus';
import type { MarketEvent, Publishable } from '@md/event-types';
import { Normalizer, normalizeFrame, parseFrame } from '@md/polygon-normalizer';
import { LiveConfigError, LiveEngine } from '@md/live-engine';
import { MemorySink, until } from '@md/test-support';
import { FakeVendor, type FakeVendorOptions } from '@md/test-support/fake-vendor';
import { at, dataFrames, engine, frames, haveFixtures, LogCapture, startBus, STOCKS_ONLY, testConfig, KEY, type Bus } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch(() => {});
});
async function fake(opts: FakeVendorOptions = {}): Promise<FakeVendor> {
  const fv = await FakeVendor.start(opts);
  cleanups.push(() => fv.close());
  return fv;
}
async function bus(): Promise<Bus> {
  const b = await startBus();
  cleanups.push(() => b.close());
  return b;
}
function track(ing: LiveEngine): LiveEngine {
  cleanups.push(() => ing.stop());
  return ing;
}
const OPTION_ITEMS = 7 * 2 * 2; // ATM +-3, C and P, T and Q

async function readStream(b: Bus, n: number): Promise<ConsumedEvent[]> {
  const out: ConsumedEvent[] = [];
  const it = consumeEvents(b.nc, { subjects: ['market.>'] });
  for await (const e of it) {
    out.push(e);
    if (out.length === n) break;
  }
  await it.stop();
  return out;
}
const withoutRecv = (e: MarketEvent) => {
  const { ts_recv_ns: _r, ...rest } = e as MarketEvent & { ts_recv_ns: bigint };
  return rest;
};

describe.skipIf(!haveFixtures)('live engine against a fake vendor and a real nats-server', () => {
  it('frames in -> canonical events in JetStream, field by field', async () => {
    const [fv, b] = await Promise.all([fake(), bus()]);
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const { ing } = engine(testConfig(fv), b.publisher());
    track(ing);
    await fv.waitFor(
      () => fv.subscriptions('stocks').size === 2 && fv.subscriptions('options').size === OPTION_ITEMS,
      10_000,
      'subscriptions',
    );
    expect([...fv.subscriptions('stocks')].sort()).toEqual(['Q.SPY', 'T.SPY']);
    expect(fv.subscriptions('options').has('T.O:SPY251216C00676000')).toBe(true);
    expect(fv.subscriptions('options').has('Q.O:SPY251216P00673000')).toBe(true);

    const stockLines = dataFrames('stocks.jsonl');
    const optionLines = dataFrames('options.jsonl');
    for (const l of stockLines) fv.broadcast('stocks', l);
    for (const l of optionLines) fv.broadcast('options', l);

    // what the library makes of the same frames (same order per session)
    const expected: Publishable[] = [];
    const sn = new Normalizer({ source: 'massive_ws' });
    for (const l of stockLines) expected.push(...normalizeFrame(l, { receivedAtNs: 0n, cluster: 'stocks', normalizer: sn }).events);
    const on = new Normalizer({ source: 'massive_ws' });
    for (const l of optionLines) expected.push(...normalizeFrame(l, { receivedAtNs: 0n, cluster: 'options', normalizer: on }).events);
    expect(expected).toHaveLength(29);

    await until(async () => (await b.count()) === expected.length, 15_000, 'events stored');
    const got = await readStream(b, expected.length);
    const t1 = BigInt(Date.now()) * 1_000_000n;
    for (const subject of ['market.stocks.trades', 'market.stocks.quotes', 'market.options.trades']) {
      const g = got.filter((e) => e.subject === subject);
      const x = expected.filter((e) => e.subject === subject);
      expect(g.length, subject).toBe(x.length);
      g.forEach((e, i) => {
        const want = at(x, i);
        expect(e.msgId).toBe(want.msgId);
        expect(withoutRecv(e.event)).toStrictEqual(withoutRecv(want.event));
        const recv = (e.event as { ts_recv_ns: bigint }).ts_recv_ns;
        expect(recv >= t0 && recv <= t1, `ts_recv_ns ${recv} within the test's wall clock`).toBe(true);
      });
    }
    const opt = got.find((e) => e.msgId === 'market.options.trades:O:SPY251216C00676000:1765898100112:302:2.23:5:209:0')!;
    expect(opt.event).toMatchObject({
      source: 'massive_ws',
      underlying: 'SPY',
      strike: 676,
      right: 'C',
      opt_bid: 2.21,
      opt_ask: 2.23,
      aggressor: 1,
    });
    expect(ing.counters.events).toEqual({ stock_trade: 10, stock_quote: 9, option_trade: 10, option_quote: 5, status: expect.any(Number) });
    expect(ing.counters.malformedEvents + ing.counters.malformedFrames + ing.queue.dropped).toBe(0);
  });

  it('server drops the connection mid-stream: reconnect, re-auth, the same subscription set again', async () => {
    const fv = await fake();
    const sink = new MemorySink();
    const { ing, logs } = engine(testConfig(fv), sink);
    track(ing);
    await fv.waitFor(
      () => fv.subscriptions('stocks').size === 2 && fv.subscriptions('options').size === OPTION_ITEMS,
      10_000,
      'subscriptions',
    );
    const before = { stocks: [...fv.subscriptions('stocks')].sort(), options: [...fv.subscriptions('options')].sort() };
    const lines = dataFrames('stocks.jsonl');
    fv.broadcast('stocks', at(lines, 0));
    fv.broadcast('stocks', at(lines, 1));
    await until(() => sink.events.length === 4, 5000, 'first events');
    const firstConns = fv.connections.length;
    fv.dropAll();
    await fv.waitFor(
      () =>
        fv.connections.length >= firstConns + 2 &&
        fv.subscriptions('stocks').size === 2 &&
        fv.subscriptions('options').size === OPTION_ITEMS,
      10_000,
      'resubscription',
    );
    expect([...fv.subscriptions('stocks')].sort()).toEqual(before.stocks);
    expect([...fv.subscriptions('options')].sort()).toEqual(before.options);
    expect(fv.authAttempts).toBe(4); // two sessions, twice each
    for (const l of lines.slice(2)) fv.broadcast('stocks', l);
    await until(() => sink.events.length === 19, 5000, 'the rest after the reconnect');
    expect(ing.stocks?.stats.reconnects).toBe(1);
    expect(ing.options?.stats.reconnects).toBe(1);
    expect(logs.has(/stocks: connection closed .*reconnect #1/)).toBe(true);
    expect(logs.has(/stocks: authenticated at .* \(reconnected: data gap from \d{4}-\d\d-\d\dT.*Z, \d+ ms/)).toBe(true);
    expect(logs.lines.join('\n')).not.toContain(KEY);
  });

  it('malformed frames are counted, the good events around them published', async () => {
    const [fv, b] = await Promise.all([fake(), bus()]);
    const { ing, logs } = engine(testConfig(fv, STOCKS_ONLY), b.publisher());
    track(ing);
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'subscriptions');
    const good = dataFrames('stocks.jsonl');
    const bad = frames('malformed.jsonl');
    let expectFrames = 0;
    let expectEvents = 0;
    let expectGood = 0;
    const ids = new Set<string>();
    const n = new Normalizer({ source: 'massive_ws' });
    // interleave: good, bad, good, bad, ...
    for (let i = 0; i < Math.max(good.length, bad.length); i++) {
      for (const l of [good[i], bad[i]]) {
        if (l === undefined) continue;
        fv.broadcast('stocks', l);
        const p = parseFrame(l, { receivedAtNs: 0n, cluster: 'stocks' });
        if (p.frameError) expectFrames++;
        expectEvents += p.errors.length;
        for (const e of n.frame(p)) ids.add(e.msgId);
        expectGood += n.frame(p).length;
      }
    }
    expect(expectFrames).toBe(8); // index.json: 8 reject_frame lines
    await until(async () => (await b.count()) === ids.size, 15_000, 'good events stored');
    expect(ing.counters.malformedFrames).toBe(expectFrames);
    expect(ing.counters.malformedEvents).toBe(expectEvents);
    expect(ing.counters.ignored).toBeGreaterThanOrEqual(4);
    expect(ing.counters.published).toBe(expectGood);
    const stored = await readStream(b, ids.size);
    expect(new Set(stored.map((e) => e.msgId))).toEqual(ids);
    expect(logs.has(/frame stocks#\d+ rejected: not valid JSON/)).toBe(true);
  });

  it('the underlying moves: exactly the expected unsubscribe/subscribe differences', async () => {
    const fv = await fake();
    const { ing } = engine(testConfig(fv, { strikeRange: 2 }), new MemorySink());
    track(ing);
    await fv.waitFor(() => fv.subscriptions('options').size === 5 * 4 && fv.subscriptions('stocks').size === 2, 10_000, 'initial strikes');
    const mark = fv.messages.length;
    const trade = (p: number, q: number) =>
      JSON.stringify([{ ev: 'T', sym: 'SPY', i: '1', x: 12, p, s: 100, t: 1765898100000 + q, q, z: 2 }]);
    fv.broadcast('stocks', trade(676.85, 1)); // 0.45 from the centre 676.4: nothing
    fv.broadcast('stocks', trade(676.9, 2)); // 0.50: re-centre at ATM 677
    await fv.waitFor(() => fv.messages.slice(mark).filter((m) => m.market === 'options').length >= 2, 5000, 're-strike');
    await new Promise((r) => setTimeout(r, 100));
    const sent = fv.messages
      .slice(mark)
      .filter((m) => m.market === 'options')
      .map((m) => [m.action, m.params]);
    expect(sent).toEqual([
      ['unsubscribe', 'T.O:SPY251216C00674000,Q.O:SPY251216C00674000,T.O:SPY251216P00674000,Q.O:SPY251216P00674000'],
      ['subscribe', 'T.O:SPY251216C00679000,Q.O:SPY251216C00679000,T.O:SPY251216P00679000,Q.O:SPY251216P00679000'],
    ]);
    expect(ing.strikes?.strikes()).toEqual([675, 676, 677, 678, 679]);
    expect([...fv.subscriptions('options')].sort()).toEqual(ing.strikes?.items().sort());
    // a move back down by 2.1: two strikes leave on the top, two arrive at the bottom
    const mark2 = fv.messages.length;
    fv.broadcast('stocks', trade(674.8, 3));
    await fv.waitFor(() => fv.messages.length >= mark2 + 2, 5000, 'second re-strike');
    const sent2 = fv.messages
      .slice(mark2)
      .map((m) => [m.action, m.params.split(',').length, m.params.split(',').map((x) => x.slice(-8, -3))]);
    expect(sent2).toEqual([
      ['unsubscribe', 8, ['00678', '00678', '00678', '00678', '00679', '00679', '00679', '00679']],
      ['subscribe', 8, ['00673', '00673', '00673', '00673', '00674', '00674', '00674', '00674']],
    ]);
  });

  it('the same frames through two ingestors: JetStream stores each event once', async () => {
    const [fv, b] = await Promise.all([fake(), bus()]);
    const a = engine(testConfig(fv), b.publisher());
    const c = engine(testConfig(fv), b.publisher());
    track(a.ing);
    track(c.ing);
    await fv.waitFor(
      () =>
        fv.live('stocks').length === 2 &&
        fv.live('options').length === 2 &&
        fv.live('options').every((x) => x.subs.size === OPTION_ITEMS) &&
        fv.live('stocks').every((x) => x.subs.size === 2),
      10_000,
      'both subscribed',
    );
    for (const l of dataFrames('stocks.jsonl')) expect(fv.broadcast('stocks', l)).toBe(2);
    for (const l of dataFrames('options.jsonl')) expect(fv.broadcast('options', l)).toBe(2);
    await until(() => a.ing.counters.published === 29 && c.ing.counters.published === 29, 10_000, 'both published');
    await Promise.all([a.ing.stop(), c.ing.stop()]); // waits for every ack
    expect(await b.count()).toBe(29);
  });
});

describe('resilience without NATS (memory sink)', () => {
  it('idle watchdog: no frame and no pong -> reconnect', async () => {
    const fv = await fake({ autoPong: false });
    const { ing, logs } = engine(testConfig(fv, { ...STOCKS_ONLY, idleTimeoutMs: 300, pingIntervalMs: 100 }), new MemorySink());
    track(ing);
    await fv.waitFor(() => fv.connections.length >= 2, 10_000, 'a second connection');
    expect(ing.stocks?.stats.idleTimeouts).toBeGreaterThanOrEqual(1);
    expect(logs.has(/idle timeout 300 ms\): reconnecting/)).toBe(true);
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 5000, 're-subscription');
  });

  it('max_connections is reported clearly and followed by the cooldown, not a hot loop', async () => {
    const fv = await fake({ maxConnectionsPerMarket: 1 });
    const a = engine(testConfig(fv, STOCKS_ONLY), new MemorySink());
    track(a.ing);
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'first');
    const b = engine(testConfig(fv, { ...STOCKS_ONLY, maxConnectionsCooldownMs: 30_000 }), new MemorySink());
    track(b.ing);
    await until(() => b.logs.has(/MAX_CONNECTIONS/), 10_000, 'max_connections log');
    await new Promise((r) => setTimeout(r, 500));
    expect(b.logs.lines.find((l) => /MAX_CONNECTIONS/.test(l))).toMatch(/Maximum number of websocket connections exceeded.*30 s cooldown/);
    expect(b.ing.stocks?.stats.maxConnections).toBe(1);
    expect(b.ing.stocks?.stats.connects).toBe(1); // still cooling down: no reconnect storm
    expect(b.logs.lines.find((l) => /reconnect #1 in/.test(l))).toMatch(/in (\d{5}) ms/);
  });

  it('a frame above --max-payload closes the socket, is reported, and the session reconnects', async () => {
    const fv = await fake();
    const { ing, logs } = engine(testConfig(fv, { ...STOCKS_ONLY, maxPayload: 2048 }), new MemorySink());
    track(ing);
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'subscription');
    fv.broadcast('stocks', JSON.stringify([{ ev: 'status', status: 'success', message: 'x'.repeat(4096) }]));
    await fv.waitFor(() => fv.connections.length === 2 && fv.subscriptions('stocks').size === 2, 10_000, 'reconnect');
    expect(logs.has(/stocks: a frame exceeded --max-payload 2048 bytes/)).toBe(true);
    expect(ing.stocks?.stats.oversizedFrames).toBe(1);
    expect(ing.stocks?.stats.reconnects).toBe(1);
  });

  it('invalid UTF-8 and deeply nested frames are counted as malformed; the session survives', async () => {
    const fv = await fake();
    const sink = new MemorySink();
    const { ing } = engine(testConfig(fv, STOCKS_ONLY), sink);
    track(ing);
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'subscription');
    const good = '[{"ev":"T","sym":"SPY","x":12,"p":676.41,"s":100,"t":1765898100058,"q":1}]';
    fv.broadcast('stocks', Buffer.from([0x5b, 0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x5d])); // [{"\xff\xfe"}]
    fv.broadcast('stocks', '['.repeat(100_000) + ']'.repeat(100_000));
    fv.broadcast('stocks', good);
    await until(() => sink.events.length === 1, 5000, 'the good event after the bad frames');
    expect(ing.counters.malformedFrames).toBe(1);
    expect(ing.counters.malformedEvents).toBe(1);
    expect(ing.stocks?.stats.reconnects).toBe(0);
  });

  it('a refused subscription is logged as an entitlement problem', async () => {
    const fv = await fake({ refuse: /^Q\./ });
    const { ing, logs } = engine(testConfig(fv, STOCKS_ONLY), new MemorySink());
    track(ing);
    await until(
      () => logs.has(/request refused: "not authorized" \(the plan does not include this channel or feed\)/),
      10_000,
      'refusal log',
    );
    expect(ing.stocks?.stats.refusals).toBe(1);
    expect(ing.stocks?.isStreaming).toBe(true); // T.SPY was accepted: the session goes on
  });

  it('every subscription refused "not authorized": the plan lacks the feed -> fatal, no retry', async () => {
    const fv = await fake({ refuse: /./ });
    const { ing, logs } = engine(testConfig(fv, STOCKS_ONLY), new MemorySink());
    track(ing);
    const r = await ing.done;
    expect(r.code).toBe(3);
    expect(r.reason).toMatch(/every subscription \(2\) was refused .*"not authorized".*plan does not include this feed/);
    expect(fv.authAttempts).toBe(1);
    expect(logs.has(/reconnect #/)).toBe(false);
  });
});

describe('a frame that is not valid UTF-8 (RELIABILITY.md bug 3): counted malformed and skipped, never decoded with U+FFFD', () => {
  const trade = (q: number, sym = 'SPY') =>
    JSON.stringify([{ ev: 'T', sym, i: String(q), x: 12, p: 676.41, s: 100, t: 1765898100000 + q, q }]);

  it('an event with invalid bytes inside the symbol: counted malformed with the offset, not stored; the session survives', async () => {
    const fv = await FakeVendor.start();
    const sink = new MemorySink();
    const logs = new LogCapture();
    const { ing } = engine(testConfig(fv, STOCKS_ONLY), sink, logs);
    try {
      await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'subscription');
      const bad = Buffer.concat([
        Buffer.from('[{"ev":"T","sym":"SP'),
        Buffer.from([0xff]),
        Buffer.from('Y","i":"1","x":12,"p":676.41,"s":100,"t":1765898100001,"q":1}]'),
      ]);
      expect(JSON.parse(bad.toString('utf8'))[0].sym).toBe('SP\ufffdY'); // what the old code stored
      const badAt = bad.indexOf(0xff);
      fv.broadcast('stocks', bad);
      fv.broadcast('stocks', trade(2));
      await until(() => sink.events.length === 1, 10_000, 'the good event');
      expect(ing.counters.malformedFrames).toBe(1);
      expect(sink.events.map((e) => (e.event as { symbol: string }).symbol)).toEqual(['SPY']);
      expect(JSON.stringify(sink.events, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('\ufffd');
      const line = logs.lines.find((l) => /not valid UTF-8/.test(l));
      expect(line).toBeDefined();
      expect(line).toContain(`first invalid byte at offset ${badAt} of ${bad.length}`);
      expect(line).toContain('(bytes ff 59 22 2c)');
      expect(line).not.toContain('\ufffd');
      expect(ing.stocks?.stats.reconnects).toBe(0); // the socket was not closed (no 1007)
    } finally {
      await ing.stop();
      await fv.close();
    }
  });
});

describe('a sink of your own, the stats line', () => {
  /** a sink that confirms nothing until flushed: what the engine needs from a sink is EventSink */
  class SlowSink extends MemorySink {
    override async publish(p: Publishable): Promise<void> {
      await new Promise((r) => setTimeout(r, 1));
      await super.publish(p);
    }
  }

  it('only an API key and URLs: the CLI defaults; counters and lag in the stats line; stop() closes the sink and ends done', async () => {
    const fv = await fake();
    const sink = new SlowSink();
    let closed = 0;
    sink.close = async () => void closed++;
    const logs = new LogCapture();
    const ing = track(new LiveEngine({ apiKey: KEY, stocksUrl: fv.url('stocks'), ...STOCKS_ONLY }, sink, logs.log));
    expect(ing.config).toMatchObject({ underlying: 'SPY', queueSize: 100_000, statsIntervalMs: 10_000, stocksSource: 'massive_ws' });
    expect(ing.statsLine()).toMatch(
      / lag_ms_p50=- lag_ms_p99=- lag_ms_max=0\.0 lag_n=0 gaps=0 gaps_filled=0 gaps_unfilled=0 backfilled=0 rest_requests=0 rest_429=0$/,
    );
    ing.start();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'subscription');
    const now = Date.now();
    fv.broadcast(
      'stocks',
      JSON.stringify([
        { ev: 'T', sym: 'SPY', i: '1', x: 12, p: 676.41, s: 100, t: now - 40, q: 1 },
        { ev: 'Q', sym: 'SPY', bx: 11, ax: 12, bp: 676.4, ap: 676.41, bs: 200, as: 320, t: now - 20, q: 2 },
      ]),
    );
    await until(() => sink.events.length === 2, 10_000, 'the events');
    const c = counters(ing.statsLine());
    expect(c).toMatchObject({ stock_trades: 1, stock_quotes: 1, published: 2, acked: 2, dropped: 0, lag_n: 2 });
    expect(c.lag_ms_p50).toBeGreaterThanOrEqual(19);
    expect(c.lag_ms_max).toBeGreaterThanOrEqual(c.lag_ms_p99 ?? Infinity);
    await ing.stop('done here', 0);
    expect(await ing.done).toEqual({ code: 0, reason: 'done here' });
    expect(closed).toBe(1);
    expect(logs.has(/^info final frames=\d+ stock_trades=1 /)).toBe(true);
  });

  it('refuses what it cannot run before anything connects', () => {
    const sink = new MemorySink();
    expect(() => new LiveEngine({ apiKey: '' }, sink)).toThrow(LiveConfigError);
    expect(() => new LiveEngine({ apiKey: KEY, sessions: { stocks: false, options: false } }, sink)).toThrow(/sessions/);
    expect(() => new LiveEngine({ apiKey: KEY, expiry: '2025-13-01' }, sink)).toThrow(/month 13/);
    expect(() => new LiveEngine({ apiKey: KEY, queueSize: 0 }, sink)).toThrow(RangeError);
  });
});

/** the `name=value` counters of a stats line */
function counters(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(-?\d+(?:\.\d+)?)/g)) if (m[1] !== undefined) out[m[1]] = Number(m[2]);
  return out;
}
