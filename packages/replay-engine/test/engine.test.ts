/**
 * The simple entry point: replay() / ReplayEngine with no options applies REPLAY_DEFAULTS (the CLI's defaults), so
 * a library user gets the CLI's event sequence: non-decreasing ts_event_ns across subjects. The plan's typed errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUBJECTS } from '@md/event-types';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { CountingSink, MemorySink } from '@md/test-support';
import { planReplay, replay, REPLAY_DEFAULTS, ReplayEngine, ReplayPlanError, type ReplayPlanErrorCode } from '../src/index.js';
import { firstStepBack, MemorySource, tempDir, tsEvent, writeCompactSession } from './helpers';

describe('REPLAY_DEFAULTS', () => {
  it("are the CLI's: real time, 5 s gap cap, 100 ms reorder window, ts_event order, every date, options only when asked", () => {
    expect(REPLAY_DEFAULTS).toEqual({
      speed: 1,
      sampleSpeed: 0,
      maxGapMs: 5000,
      reorderWindowNs: 100_000_000n,
      order: 'ts_event',
      include: { trades: true, mbp10: true, options: false, stockTrades: 'auto', stockQuotes: 'auto' },
      dates: 'all',
      session: 'full',
      progressEvery: 10_000,
      shutdownTimeoutMs: 30_000,
      publishWindow: { batch: 2048, ack: 1024 },
    });
    expect(Object.isFrozen(REPLAY_DEFAULTS) && Object.isFrozen(REPLAY_DEFAULTS.include)).toBe(true);
  });
});

describe('replay() with no options', () => {
  it('a data root written with the DBN encoder: ts_event order across subjects at real time, the same sequence as the explicit defaults', async () => {
    const root = tempDir('replay-compact-');
    // ts_event lags ts_recv by up to 30 ms: inside the 100 ms window, out of order without one
    const { events } = await writeCompactSession(root, { events: 150, spanMs: 300, maxLagMs: 30 });
    const sink = new MemorySink();
    const t0 = performance.now();
    const stats = await replay({ dataRoot: root, sink });
    const wall = performance.now() - t0;
    expect(stats.events).toBe(events);
    expect(stats.perKind).toEqual({ trades: events / 2, stockTrades: 0, options: 0, stockQuotes: 0, mbp10: events / 2 });
    expect(stats.late).toBe(0);
    expect(firstStepBack(sink.events.map(tsEvent))).toBe(-1);
    expect(new Set(sink.events.map((p) => p.subject))).toEqual(new Set([SUBJECTS.futuresTrades, SUBJECTS.futuresMbp10]));
    // speed 1: the event span in wall time, no more than a little over it
    const spanMs = Number(stats.eventSpanNs / 1_000_000n);
    expect(wall).toBeGreaterThanOrEqual(spanMs - 5);
    expect(stats.lateness?.count).toBe(events);

    const explicit = new MemorySink();
    await replay({
      dataRoot: root,
      sink: explicit,
      speed: 0,
      maxGapMs: 5000,
      reorderWindowNs: 100_000_000n,
      order: 'ts_event',
      trades: true,
      mbp10: true,
      options: 'auto',
    });
    expect(sink.events.map((p) => p.msgId)).toEqual(explicit.events.map((p) => p.msgId));

    // the data does step back: with the old library default (no reorder window) the sequence is out of order
    const unordered = new MemorySink();
    await replay({ dataRoot: root, sink: unordered, speed: 0, reorderWindowNs: 0n });
    expect(firstStepBack(unordered.events.map(tsEvent))).toBeGreaterThan(0);
  });

  it('the sample generator (trades, options, MBP-10): non-decreasing ts_event across subjects', async () => {
    const root = tempDir('replay-sample-');
    const g = await generateSampleSession({ root, seed: 3, trades: 3000, mbp10: 1500, options: 200 });
    const sink = new MemorySink();
    const stats = await new ReplayEngine({ dataRoot: root, sink, speed: 0, options: true }).run();
    expect(stats.events).toBe(g.counts.trades + g.counts.mbp10 + g.counts.options);
    const without = await replay({ dataRoot: root, sink: new MemorySink(), speed: 0 }); // options off unless asked
    expect([without.events, without.perKind.options]).toEqual([g.counts.trades + g.counts.mbp10, 0]);
    expect(stats.perKind.options).toBe(g.counts.options);
    expect(stats.dates).toEqual([g.date]);
    expect(firstStepBack(sink.events.map(tsEvent))).toBe(-1);
  }, 60_000);
});

describe('ReplayEngine', () => {
  const T0 = 1_609_160_400_000_000_000n;
  const ev = (ts: bigint, i: number) => ({
    subject: SUBJECTS.futuresTrades,
    msgId: `${SUBJECTS.futuresTrades}:1:${ts}:${i}:t-20201228.dbn:${i}`,
    event: {
      ts_event_ns: ts,
      ts_recv_ns: ts,
      source: 'replay' as const,
      symbol: 'ESH1',
      price: 1,
      size: 1,
      aggressor: 0 as const,
      exchange: 'CME',
      conditions: null,
      seq: i,
    },
  });

  it('a source of your own; plan() before run(); stop() ends a real-time replay at once', async () => {
    const source = new MemorySource({ '2020-12-28': { trades: [[ev(T0, 0), ev(T0 + 60_000_000_000n, 1)]] } });
    const sink = new CountingSink();
    const engine = new ReplayEngine({ source, sink, maxGapMs: 0 });
    const plan = await engine.plan();
    expect([plan.dates, plan.perDate]).toEqual([['2020-12-28'], { '2020-12-28': ['trades'] }]);
    const p = engine.run();
    await new Promise((r) => setTimeout(r, 100));
    expect(engine.replayClock).not.toBeNull();
    expect(engine.current?.stats.events).toBe(1);
    engine.stop();
    const s = await p;
    expect([s.events, s.stopped, sink.n]).toEqual([1, true, 1]);
  });

  it('continuous: every date in order with one clock', async () => {
    const source = new MemorySource({
      '2020-12-29': { trades: [[ev(T0 + 86_400_000_000_000n, 2)]] },
      '2020-12-28': { trades: [[ev(T0, 0), ev(T0 + 1n, 1)]] },
    });
    const sink = new MemorySink();
    const s = await replay({ source, sink, speed: 0, continuous: true });
    expect(s.dates).toEqual(['2020-12-28', '2020-12-29']);
    expect(sink.events.map((p) => p.event.seq)).toEqual([0, 1, 2]);
  });
});

describe('planReplay: typed errors with a code, before anything is read', () => {
  const expectPlanError = async (p: Promise<unknown>, code: ReplayPlanErrorCode, message: RegExp) => {
    const e = await p.then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ReplayPlanError);
    expect((e as ReplayPlanError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
  };

  it('data root missing, not a directory, without DBN files', async () => {
    const dir = tempDir('replay-plan-');
    const sink = new MemorySink();
    await expectPlanError(replay({ dataRoot: join(dir, 'nope'), sink }), 'DATA_ROOT_NOT_FOUND', /data root .*nope does not exist/);
    writeFileSync(join(dir, 'file'), '');
    await expectPlanError(replay({ dataRoot: join(dir, 'file'), sink }), 'DATA_ROOT_NOT_A_DIRECTORY', /is not a directory/);
    mkdirSync(join(dir, 'empty'));
    await expectPlanError(replay({ dataRoot: join(dir, 'empty'), sink }), 'NO_DBN_FILES', /has no DBN files \(expected trades\//);
  });

  it('unknown date, options asked for but missing, nothing of the included kinds, an empty window', async () => {
    const source = new MemorySource({ '2020-12-28': { trades: [[]] } });
    await expectPlanError(
      planReplay({ dates: ['2020-12-29'] }, source, 'R'),
      'DATE_NOT_FOUND',
      /no DBN files for 2020-12-29 .*available: 2020-12-28/,
    );
    await expectPlanError(planReplay({ options: true }, source, 'R'), 'NO_OPTIONS_FILE', /--options: no options file for 2020-12-28/);
    await expectPlanError(planReplay({ trades: false }, source, 'R'), 'NOTHING_TO_REPLAY', /nothing to replay for 2020-12-28 under R/);
    const at = (text: string, ns: bigint) => ({ kind: 'time-of-day' as const, ns, text });
    await expectPlanError(
      planReplay({ start: at('15:00', 54_000_000_000_000n), end: at('14:00', 50_400_000_000_000n) }, source, 'R'),
      'EMPTY_TIME_WINDOW',
      /--end \(14:00\) is not after --start \(15:00\) on 2020-12-28/,
    );
    const plan = await planReplay({}, source, 'R');
    expect([plan.dates, plan.kinds, plan.warnings]).toEqual([
      ['2020-12-28'],
      REPLAY_DEFAULTS.include,
      ['2020-12-28: no mbp10 file: replaying without it'],
    ]);
  });
});
