/**
 * Bronze in the replay: a DBN data root (futures trades + MBP-10, and DBN option trades) plus a Bronze lake
 * holding the same option trades (written here with hyparquet-writer in the old layout, two overlapping part files
 * per hour), replayed into a real nats-server: counts per subject, ts_event order across subjects, the Bronze
 * option bodies byte for byte those of the DBN path; the five subjects from Bronze alone; resume on Bronze ids.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapDbnFile } from '@md/dbn-reader';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { encode, SUBJECTS, type Publishable, type StockQuote, type StockTrade } from '@md/event-types';
import { JetStreamPublisher } from '@md/nats-bus';
import { MemorySink } from '@md/test-support';
import {
  BronzeSource,
  CombinedSource,
  DataRootSource,
  findResumePointFor,
  parseBronzeMsgId,
  planReplay,
  replay,
  ReplayEngine,
} from '../src/index.js';
import { writeBronzeLake } from '@md/test-support/bronze';
import { firstStepBack, readAll, startBus, tempDir, tsEvent, type Bus } from './helpers';

const td = new TextDecoder();
const body = (p: Publishable) => `${p.subject}\t${td.decode(encode(p.event, p.subject))}`;
const sorted = (xs: string[]) => [...xs].sort();

async function mapped(path: string, kind: 'trades' | 'mbp10' | 'options'): Promise<Publishable[]> {
  const out: Publishable[] = [];
  for await (const p of mapDbnFile(path, { kind })) out.push(p);
  return out;
}

let bus: Bus;
let dbn = '';
let bronze = '';
let date = '';
let counts = { trades: 0, mbp10: 0, options: 0 };
let dbnOptions: Publishable[] = [];
let dbnTrades: Publishable[] = [];
let dbnBooks: Publishable[] = [];

beforeAll(async () => {
  bus = await startBus();
  dbn = tempDir('replay-bronze-dbn-');
  const g = await generateSampleSession({ root: dbn, seed: 17, trades: 4000, mbp10: 2000, options: 600 });
  date = g.date;
  counts = g.counts;
  const c = date.replace(/-/g, '');
  dbnOptions = await mapped(join(dbn, 'options', `opra-pillar-${c}.trades.dbn.zst`), 'options');
  dbnTrades = await mapped(join(dbn, 'trades', `glbx-mdp3-${c}.trades.dbn.zst`), 'trades');
  dbnBooks = await mapped(join(dbn, 'MBP-10', `glbx-mdp3-${c}.mbp-10.dbn.zst`), 'mbp10');
  bronze = tempDir('replay-bronze-lake-');
  writeBronzeLake(bronze, dbnOptions, { filesPerHour: 2 });
}, 120_000);
afterAll(async () => {
  await bus?.close();
});

describe('DBN futures + Bronze options into JetStream', () => {
  it('counts per subject, ts_event order, option bodies = the DBN path, futures bodies = DBN', async () => {
    await bus.purge();
    const sink = new JetStreamPublisher(bus.nc, { mode: 'batch', window: 2048 });
    const stats = await replay({ dataRoot: dbn, bronzeRoot: bronze, options: true, optionsSource: 'bronze', sink, speed: 0 });
    const total = counts.trades + counts.mbp10 + counts.options;
    expect([stats.events, stats.perKind.trades, stats.perKind.options, stats.perKind.mbp10, stats.late]).toEqual([
      total,
      counts.trades,
      counts.options,
      counts.mbp10,
      0,
    ]);
    const stored = await readAll(bus.nc, total);
    const per: Record<string, number> = {};
    for (const m of stored) per[m.subject] = (per[m.subject] ?? 0) + 1;
    expect(per).toEqual({
      [SUBJECTS.futuresTrades]: counts.trades,
      [SUBJECTS.optionTrades]: counts.options,
      [SUBJECTS.futuresMbp10]: counts.mbp10,
    });
    expect(firstStepBack(stored.map((m) => m.tsEvent))).toBe(-1);
    expect(new Set(stored.map((m) => m.msgId)).size).toBe(total);
    const text = (s: string) => stored.filter((m) => m.subject === s).map((m) => `${m.subject}\t${td.decode(m.data)}`);
    // the option trades came from Bronze (content ids), their bytes those of the DBN mapping of the same trades
    const optIds = stored.filter((m) => m.subject === SUBJECTS.optionTrades).map((m) => m.msgId ?? '');
    expect(optIds.every((id) => parseBronzeMsgId(id)?.date === date)).toBe(true);
    expect(sorted(text(SUBJECTS.optionTrades))).toEqual(sorted(dbnOptions.map(body)));
    expect(sorted(text(SUBJECTS.futuresTrades))).toEqual(sorted(dbnTrades.map(body)));
    expect(sorted(text(SUBJECTS.futuresMbp10))).toEqual(sorted(dbnBooks.map(body)));

    // the same replay through the DBN options file: the same bytes in the same ts_event order per subject
    const viaDbn = new MemorySink();
    await replay({ dataRoot: dbn, bronzeRoot: bronze, options: true, optionsSource: 'dbn', sink: viaDbn, speed: 0 });
    const dbnTs = viaDbn.events.filter((p) => p.subject === SUBJECTS.optionTrades).map(tsEvent);
    expect(stored.filter((m) => m.subject === SUBJECTS.optionTrades).map((m) => m.tsEvent)).toEqual(dbnTs);
    expect(viaDbn.events.map(tsEvent)).toEqual(stored.map((m) => m.tsEvent));
  }, 120_000);

  it('options source: auto = the DBN file when the date has one, else Bronze; --start/--end apply to Bronze', async () => {
    const src = new CombinedSource({ dbn: new DataRootSource(dbn), bronze: new BronzeSource({ root: bronze }), options: 'auto' });
    expect(await src.providerFor('options', date)).toBeInstanceOf(DataRootSource);
    const bronzeOnly = new CombinedSource({ dbn: null, bronze: new BronzeSource({ root: bronze }), options: 'auto' });
    expect(await bronzeOnly.providerFor('options', date)).toBeInstanceOf(BronzeSource);
    // a window of the day: [14:30, 15:00) UTC
    const start = { kind: 'time-of-day' as const, ns: 52_200_000_000_000n, text: '14:30' };
    const end = { kind: 'time-of-day' as const, ns: 54_000_000_000_000n, text: '15:00' };
    const sink = new MemorySink();
    const s = await replay({ bronzeRoot: bronze, options: true, start, end, sink, speed: 0 });
    const d0 = BigInt(Date.parse(`${date}T00:00:00Z`)) * 1_000_000n;
    const want = dbnOptions.filter((p) => tsEvent(p) >= d0 + start.ns && tsEvent(p) < d0 + end.ns);
    expect(want.length).toBeGreaterThan(0);
    expect(s.events).toBe(want.length);
    expect(sorted(sink.events.map(body))).toEqual(sorted(want.map(body)));
  }, 60_000);

  it('resume: a Bronze message id is found as the resume point and the rest is published once', async () => {
    await bus.purge();
    const o = { dataRoot: dbn, bronzeRoot: bronze, options: true, optionsSource: 'bronze' as const, speed: 0 };
    const all = new MemorySink();
    await replay({ ...o, sink: all });
    // store a prefix ending on a Bronze option trade, as an interrupted run would have
    const cut = all.events.findIndex((p, i) => i > 1000 && p.subject === SUBJECTS.optionTrades);
    const first = new JetStreamPublisher(bus.nc, { mode: 'ack', window: 256 });
    for (const p of all.events.slice(0, cut + 1)) await first.publish(p);
    await first.flush();
    const engine = new ReplayEngine({ ...o, sink: new MemorySink() });
    const plan = await engine.plan();
    const rp = await findResumePointFor(bus.nc, 'MARKET_DATA', plan, engine.source);
    expect(rp?.msgId).toBe(all.events[cut]?.msgId);
    const sink = new JetStreamPublisher(bus.nc, { mode: 'batch', window: 2048 });
    const s = await replay({ ...o, sink, resumeAfterMsgId: rp?.msgId ?? null });
    expect([s.skipped, s.events]).toEqual([cut + 1, all.events.length - cut - 1]);
    const stored = await readAll(bus.nc, all.events.length);
    expect(stored.map((m) => m.msgId)).toEqual(all.events.map((p) => p.msgId));
  }, 120_000);
});

describe('a recorded SPY session from Bronze alone: all five subjects', () => {
  it('futures (REPLAY_USE_BRONZE_FUTURES), options, stock trades and quotes: counts, order, ties in the documented order', async () => {
    const lake = tempDir('replay-bronze-five-');
    writeBronzeLake(lake, [...dbnTrades, ...dbnBooks, ...dbnOptions], { filesPerHour: 3 });
    const t0 = BigInt(Date.parse(`${date}T14:30:00Z`)) * 1_000_000n;
    const stocks: Publishable[] = [];
    for (let i = 0; i < 300; i++) {
      const ts = t0 + BigInt(i) * 1_000_000_000n;
      const trade: StockTrade = {
        ts_event_ns: ts,
        ts_recv_ns: ts + 1000n,
        source: 'replay',
        symbol: 'SPY',
        price: 590 + i / 100,
        size: 100,
        exchange: 4,
        conditions: i % 3 ? null : [12, 37],
        seq: i,
      };
      const quote: StockQuote = {
        ts_event_ns: ts,
        ts_recv_ns: ts + 2000n,
        source: 'replay',
        symbol: 'SPY',
        bid_px: 590,
        ask_px: 590.01,
        bid_sz: 300,
        ask_sz: 200,
        bid_exch: 11,
        ask_exch: null,
        seq: null,
      };
      stocks.push({ subject: SUBJECTS.stockTrades, event: trade, msgId: '' }, { subject: SUBJECTS.stockQuotes, event: quote, msgId: '' });
    }
    writeBronzeLake(lake, stocks, { filesPerHour: 2 });
    // an empty hour folder: not an error (a warning)
    mkdirSync(join(lake, 'bronze', 'stocks', 'trades', 'symbol=SPY', `date=${date}`, 'hour=23'), { recursive: true });
    const logs: string[] = [];
    const plan = await planReplay(
      { options: true },
      new CombinedSource({ dbn: null, bronze: new BronzeSource({ root: lake }), futures: 'bronze' }),
      lake,
    );
    expect(plan.perDate[date]).toEqual(['trades', 'stockTrades', 'options', 'stockQuotes', 'mbp10']);
    await bus.purge();
    const sink = new JetStreamPublisher(bus.nc, { mode: 'batch', window: 2048 });
    const s = await replay({ bronzeRoot: lake, bronzeFutures: true, options: true, sink, speed: 0, log: (m) => logs.push(m) });
    expect(s.perKind).toEqual({ trades: counts.trades, stockTrades: 300, options: counts.options, stockQuotes: 300, mbp10: counts.mbp10 });
    const total = s.events;
    const stored = await readAll(bus.nc, total);
    expect(new Set(stored.map((m) => m.subject))).toEqual(
      new Set([SUBJECTS.futuresTrades, SUBJECTS.stockTrades, SUBJECTS.optionTrades, SUBJECTS.stockQuotes, SUBJECTS.futuresMbp10]),
    );
    expect(firstStepBack(stored.map((m) => m.tsEvent))).toBe(-1);
    // a stock trade and a quote with the same ts_event: the trade first
    const firstStock = stored.findIndex((m) => m.subject === SUBJECTS.stockTrades);
    expect(stored[firstStock + 1]?.subject).toBe(SUBJECTS.stockQuotes);
    // Bronze futures trades: the DBN bytes (symbol from the row, ESH5, not the folder's ES)
    const text = stored.filter((m) => m.subject === SUBJECTS.futuresTrades).map((m) => `${m.subject}\t${td.decode(m.data)}`);
    expect(sorted(text)).toEqual(sorted(dbnTrades.map(body)));
    const stockBodies = stored.filter((m) => m.subject === SUBJECTS.stockTrades).map((m) => td.decode(m.data));
    expect(stockBodies[0]).toMatch(
      /"source":"replay","symbol":"SPY","price":590\.0,"size":100,"exchange":4,"conditions":\[12,37\],"seq":0/,
    );
    expect(logs.some((l) => /hour=23 has no part files/.test(l))).toBe(true);
  }, 120_000);
});
