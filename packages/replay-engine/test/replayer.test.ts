/** The replayer with an in-memory source and sink: order, ties, reorder window, resume skip, stop, pacing. */
import { describe, expect, it } from 'vitest';
import { SUBJECTS, type FuturesTrade, type MBP10, type OptionTrade, type Publishable } from '@md/event-types';
import { MemorySink } from '@md/test-support';
import { Replayer, ReplayPublishError, ResumePointNotFoundError } from '../src/index.js';
import { MemorySource } from './helpers';

const T0 = 1_609_160_400_000_000_000n; // 2020-12-28T13:00:00Z
let n = 0;
function trade(ts: bigint): Publishable {
  const e: FuturesTrade = {
    ts_event_ns: ts,
    ts_recv_ns: ts + 1000n,
    source: 'replay',
    symbol: 'ESH1',
    price: 3720.25,
    size: 1,
    aggressor: 1,
    exchange: 'CME',
    conditions: null,
    seq: n,
  };
  return { subject: SUBJECTS.futuresTrades, event: e, msgId: `${SUBJECTS.futuresTrades}:5482:${ts + 1000n}:${n}:t-20201228.dbn:${n++}` };
}
function book(ts: bigint): Publishable {
  const e: MBP10 = {
    ts_event_ns: ts,
    ts_recv_ns: ts + 1000n,
    source: 'replay',
    symbol: 'ESH1',
    levels: Array.from({ length: 10 }, () => ({ bid_px: 1, bid_sz: 1, ask_px: 2, ask_sz: 1 })),
    is_snapshot: false,
    seq: n,
  };
  return { subject: SUBJECTS.futuresMbp10, event: e, msgId: `${SUBJECTS.futuresMbp10}:5482:${ts + 1000n}:${n}:m-20201228.dbn:${n++}` };
}
function option(ts: bigint): Publishable {
  const e: OptionTrade = {
    ts_event_ns: ts,
    ts_recv_ns: ts + 1000n,
    source: 'replay',
    underlying: 'SPY',
    option_symbol: 'O:SPY201228C00370000',
    exp_date: '2020-12-28',
    strike: 370,
    right: 'C',
    price: 1.5,
    size: 1,
    opt_bid: null,
    opt_ask: null,
    aggressor: 0,
    conditions: null,
    seq: n,
  };
  return { subject: SUBJECTS.optionTrades, event: e, msgId: `${SUBJECTS.optionTrades}:9:${ts + 1000n}:${n}:o-20201228.dbn:${n++}` };
}
const ts = (p: Publishable) => (p.event as { ts_event_ns: bigint }).ts_event_ns;

describe('Replayer (memory source and sink)', () => {
  it('merges by ts_event; ties: trades, then options, then MBP-10; reorder window restores order', async () => {
    const src = new MemorySource({
      '2020-12-28': {
        // MBP-10 steps back by 3 ms inside the file (allowed by a 10 ms window)
        mbp10: [
          [book(T0 + 5n), book(T0 + 10_000_000n)],
          [book(T0 + 7_000_000n), book(T0 + 20_000_000n)],
        ],
        trades: [[trade(T0 + 5n), trade(T0 + 8_000_000n)]],
        options: [[option(T0 + 5n)]],
      },
    });
    const sink = new MemorySink();
    const r = new Replayer({ source: src, sink, speed: 0, reorderWindowNs: 10_000_000n });
    const s = await r.replayDate('2020-12-28', null, null, { trades: true, mbp10: true, options: 'auto' });
    expect(sink.events.map((p) => p.subject.split('.').slice(1).join('.'))).toEqual([
      'futures.trades',
      'options.trades',
      'futures.mbp10',
      'futures.mbp10',
      'futures.trades',
      'futures.mbp10',
      'futures.mbp10',
    ]);
    const times = sink.events.map(ts);
    expect([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(times);
    expect(s.events).toBe(7);
    expect(s.perKind).toEqual({ trades: 2, stockTrades: 0, options: 1, stockQuotes: 0, mbp10: 4 });
    expect(s.late).toBe(0);
    expect(s.firstEventNs).toBe(T0 + 5n);
    expect(s.lastEventNs).toBe(T0 + 20_000_000n);
    expect(s.eventSpanNs).toBe(20_000_000n - 5n);
    expect(s.sink?.published).toBe(7);
  });

  it('an event later than the window is published anyway and counted late; options left out when asked', async () => {
    const src = new MemorySource({
      '2020-12-28': { trades: [[trade(T0 + 50_000_000n), trade(T0 + 60_000_000n)], [trade(T0 + 1n)]], options: [[option(T0)]] },
    });
    const sink = new MemorySink();
    const s = await new Replayer({ source: src, sink, speed: 0, reorderWindowNs: 1_000_000n }).replayDate('2020-12-28', null, null, {
      trades: true,
      mbp10: true,
      options: false,
    });
    expect(sink.events.map(ts)).toEqual([T0 + 50_000_000n, T0 + 1n, T0 + 60_000_000n]);
    expect([s.events, s.late, s.perKind.options]).toEqual([3, 1, 0]);
  });

  it('replayContinuous: every date in order', async () => {
    const day1 = [trade(T0), trade(T0 + 1n)];
    const day2 = [trade(T0 + 86_400_000_000_000n)];
    const d1 = [day1];
    const d2 = [day2];
    const src = new MemorySource({ '2020-12-29': { trades: d2 }, '2020-12-28': { trades: d1 } });
    const sink = new MemorySink();
    const s = await new Replayer({ source: src, sink, speed: 0 }).replayContinuous();
    expect(s.dates).toEqual(['2020-12-28', '2020-12-29']);
    expect(sink.events.map((p) => p.msgId)).toEqual([...day1, ...day2].map((p) => p.msgId));
  });

  it('resume: skips up to and including the given message id; an unknown id is an error and nothing is published', async () => {
    const evs = Array.from({ length: 10 }, (_, i) => trade(T0 + BigInt(i)));
    const sixth = evs[5];
    if (!sixth) throw new Error('10 events expected');
    const src = new MemorySource({ '2020-12-28': { trades: [evs.slice(0, 4), evs.slice(4)] } });
    const sink = new MemorySink();
    const s = await new Replayer({ source: src, sink, speed: 0, resumeAfterMsgId: sixth.msgId }).replayDate('2020-12-28');
    expect(sink.events.map((p) => p.msgId)).toEqual(evs.slice(6).map((p) => p.msgId));
    expect([s.skipped, s.events]).toEqual([6, 4]);
    const sink2 = new MemorySink();
    await expect(
      new Replayer({ source: src, sink: sink2, speed: 0, resumeAfterMsgId: 'market.futures.trades:1:2:3:t-20201228.dbn:999' }).replayDate(
        '2020-12-28',
      ),
    ).rejects.toThrow(ResumePointNotFoundError);
    expect(sink2.events).toHaveLength(0);
  });

  it('speed 10 over 2 s of event time takes ~200 ms; stop() during a wait ends at once with stopped=true', async () => {
    const evs = Array.from({ length: 21 }, (_, i) => trade(T0 + BigInt(i) * 100_000_000n)); // 2 s
    const src = new MemorySource({ '2020-12-28': { trades: [evs] } });
    const sink = new MemorySink();
    const t0 = performance.now();
    const s = await new Replayer({ source: src, sink, speed: 10 }).replayDate('2020-12-28');
    const wall = performance.now() - t0;
    expect(wall).toBeGreaterThanOrEqual(195);
    expect(wall).toBeLessThan(1000);
    expect(s.achievedSpeed).toBeGreaterThan(2);
    expect(s.achievedSpeed).toBeLessThanOrEqual(10.5);
    expect(s.lateness?.count).toBe(21);

    const slow = new MemorySource({ '2020-12-28': { trades: [[trade(T0), trade(T0 + 60_000_000_000n)]] } });
    const sink2 = new MemorySink();
    const r = new Replayer({ source: slow, sink: sink2, speed: 1, maxGapMs: 0 });
    const p = r.replayDate('2020-12-28');
    await new Promise((res) => setTimeout(res, 100));
    const t1 = performance.now();
    r.stop();
    const s2 = await p;
    expect(performance.now() - t1).toBeLessThan(500);
    expect([s2.events, s2.stopped]).toEqual([1, true]);
  });

  it('stop() with a full window that never confirms: ends within the shutdown timeout, the unconfirmed counted', async () => {
    // a sink with a window of 2 whose events are never confirmed: the third publish() waits for room
    const waiting: ((e: Error) => void)[] = [];
    const st = { published: 0, acked: 0, duplicates: 0, retried: 0, failed: 0, pending: 0 };
    const stuck = {
      stats: st,
      publish: () => {
        if (st.pending < 2) {
          st.published++;
          st.pending++;
          return Promise.resolve();
        }
        return new Promise<void>((_res, rej) => waiting.push(rej));
      },
      flush: async (timeoutMs?: number) => {
        await new Promise((r) => setTimeout(r, timeoutMs ?? 60_000));
        for (const rej of waiting.splice(0)) rej(new Error('not accepted'));
        [st.failed, st.pending] = [st.failed + st.pending, 0];
        throw new Error(`${st.failed} event(s) could not be confirmed stored`);
      },
      close: async () => undefined,
    };
    const evs = Array.from({ length: 10 }, (_, i) => trade(T0 + BigInt(i)));
    const r = new Replayer({
      source: new MemorySource({ '2020-12-28': { trades: [evs] } }),
      sink: stuck,
      speed: 0,
      shutdownTimeoutMs: 300,
    });
    const p = r.replayDate('2020-12-28');
    await new Promise((res) => setTimeout(res, 100));
    expect(waiting).toHaveLength(1);
    const t1 = performance.now();
    r.stop();
    const s = await p;
    const ms = performance.now() - t1;
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2000);
    expect([s.events, s.stopped, s.unconfirmed]).toEqual([2, true, 3]);
    expect(s.error).toMatch(/could not be confirmed/);
  });

  it('an event the codec refuses is skipped, counted and named; any other publish failure names the event and stops', async () => {
    const bad = trade(T0 + 2n);
    (bad.event as { ts_recv_ns: bigint }).ts_recv_ns = 9_950_343_766_031_117_672n; // beyond int64: the codec refuses it
    const src = new MemorySource({ '2020-12-28': { trades: [[trade(T0 + 1n), bad, trade(T0 + 3n)]] } });
    const { StdoutSink } = await import('@md/nats-bus');
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const logs: string[] = [];
    const s = await new Replayer({ source: src, sink: new StdoutSink(out), speed: 0, log: (m) => logs.push(m) }).replayDate('2020-12-28');
    expect([s.events, s.invalid]).toEqual([2, 1]);
    expect(text.trimEnd().split('\n')).toHaveLength(2);
    expect(logs.join('\n')).toMatch(
      /market\.futures\.trades event from t-20201228\.dbn record \d+ \(msg id .*\) not published, the codec refuses it: ts_recv_ns/,
    );

    const failing = new MemorySink();
    failing.publish = async () => {
      throw new Error('connection closed');
    };
    const err = await new Replayer({ source: new MemorySource({ '2020-12-28': { trades: [[trade(T0)]] } }), sink: failing, speed: 0 })
      .replayDate('2020-12-28')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayPublishError);
    expect((err as Error).message).toMatch(
      /^market\.futures\.trades event from t-20201228\.dbn record \d+ \(msg id .*\): connection closed$/,
    );
  });

  it('max gap caps an idle gap in wall time', async () => {
    const src = new MemorySource({ '2020-12-28': { trades: [[trade(T0), trade(T0 + 3_600_000_000_000n)]] } }); // 1 h apart
    const t0 = performance.now();
    await new Replayer({ source: src, sink: new MemorySink(), speed: 1, maxGapMs: 150 }).replayDate('2020-12-28');
    const wall = performance.now() - t0;
    expect(wall).toBeGreaterThanOrEqual(145);
    expect(wall).toBeLessThan(1000);
  });
});
