/**
 * Every date replayable: a date missing one kind of file replays what it has (single date and continuous), with
 * one warning. metadata.json beside the files is checked against them. --session: where each date starts,
 * 09:30 / 04:00 New York, right across daylight-saving changes.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUBJECTS, type FuturesTrade, type Publishable } from '@md/event-types';
import { MemorySink } from '@md/test-support';
import { newYorkOffsetMinutes, newYorkTimeNs, planReplay, replay, ReplayPlanError, sessionStartNs, DataRootSource } from '../src/index.js';
import { MemorySource, tempDir, tsEvent, writeCompactSession } from './helpers';

const H = 3_600_000_000_000n;

describe('a date missing a kind of file', () => {
  it('single date without its MBP-10 file: the trades are replayed, one warning, no error', async () => {
    const root = tempDir('replay-missing-');
    const { date, events } = await writeCompactSession(root, { events: 40, kinds: ['trades'] });
    const logs: string[] = [];
    const sink = new MemorySink();
    const s = await replay({ dataRoot: root, sink, speed: 0, log: (m) => logs.push(m) });
    expect([s.events, s.perKind.trades, s.perKind.mbp10, s.dates]).toEqual([events, events, 0, [date]]);
    expect(logs.filter((l) => l.startsWith('warning:'))).toEqual([`warning: ${date}: no mbp10 file: replaying without it`]);
    expect(new Set(sink.events.map((p) => p.subject))).toEqual(new Set([SUBJECTS.futuresTrades]));
  });

  it('continuous over three dates, the middle one without trades, the last without MBP-10: every date replayed, one warning each', async () => {
    const root = tempDir('replay-missing-');
    await writeCompactSession(root, { date: '2024-03-13', events: 20, seed: 1 });
    await writeCompactSession(root, { date: '2024-03-14', events: 20, seed: 2, kinds: ['mbp10'] });
    await writeCompactSession(root, { date: '2024-03-15', events: 20, seed: 3, kinds: ['trades'] });
    for (const continuous of [true, false]) {
      // continuous: true; and the default (no dates given = every date in order)
      const logs: string[] = [];
      const sink = new MemorySink();
      const s = await replay({ dataRoot: root, sink, speed: 0, continuous, log: (m) => logs.push(m) });
      expect(s.dates).toEqual(['2024-03-13', '2024-03-14', '2024-03-15']);
      expect([s.perKind.trades, s.perKind.mbp10]).toEqual([40, 40]);
      expect(logs.filter((l) => l.startsWith('warning:'))).toEqual([
        'warning: 2024-03-14: no trades file: replaying without it',
        'warning: 2024-03-15: no mbp10 file: replaying without it',
      ]);
      const days = sink.events.map((p) => new Date(Number(tsEvent(p) / 1_000_000n)).toISOString().slice(0, 10));
      expect([...days].sort()).toEqual(days); // dates in ascending order
    }
    // latest only (the old default)
    const latest = await planReplay({ latest: true }, new DataRootSource(root), root);
    expect(latest.dates).toEqual(['2024-03-15']);
  });

  it('options asked for: dates without an options file replay without them (warned); no options file at all is an error', async () => {
    const trade = (ts: bigint): Publishable => ({
      subject: SUBJECTS.futuresTrades,
      msgId: `t:${ts}`,
      event: {
        ts_event_ns: ts,
        ts_recv_ns: ts,
        source: 'replay',
        symbol: 'ESH1',
        price: 1,
        size: 1,
        aggressor: 0,
        exchange: 'CME',
        conditions: null,
        seq: 1,
      } as FuturesTrade,
    });
    const source = new MemorySource({ '2020-12-28': { trades: [[trade(1n)]] }, '2020-12-29': { trades: [[trade(2n)]], options: [[]] } });
    const plan = await planReplay({ options: true }, source, 'R');
    expect(plan.perDate).toEqual({ '2020-12-28': ['trades'], '2020-12-29': ['trades', 'options'] });
    expect(plan.warnings).toEqual([
      '2020-12-28: no options, no mbp10 file: replaying without it',
      '2020-12-29: no mbp10 file: replaying without it',
    ]);
    await expect(planReplay({ options: true, dates: ['2020-12-28'] }, source, 'R')).rejects.toThrow(
      /--options: no options file for 2020-12-28/,
    );
  });
});

describe('metadata.json beside the files', () => {
  it('dataset and schema that agree with the files pass; a mismatch or a broken file is a ReplayPlanError naming it', async () => {
    const root = tempDir('replay-meta-');
    await writeCompactSession(root, { events: 10 });
    const meta = (dataset: string, schema: string) => JSON.stringify({ query: { dataset, schema, stype_in: 'raw_symbol' } });
    writeFileSync(join(root, 'trades', 'metadata.json'), meta('GLBX.MDP3', 'trades'));
    writeFileSync(join(root, 'MBP-10', 'metadata.json'), meta('GLBX.MDP3', 'mbp-10'));
    expect((await replay({ dataRoot: root, sink: new MemorySink(), speed: 0 })).events).toBe(20);
    const fails = async (m: RegExp) => {
      const e = await replay({ dataRoot: root, sink: new MemorySink(), speed: 0 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ReplayPlanError);
      expect((e as ReplayPlanError).code).toBe('METADATA_MISMATCH');
      expect((e as Error).message).toMatch(m);
    };
    writeFileSync(join(root, 'MBP-10', 'metadata.json'), meta('GLBX.MDP3', 'trades'));
    await fails(/MBP-10\/metadata\.json: schema "trades" does not match the folder's mbp-10 files/);
    writeFileSync(join(root, 'MBP-10', 'metadata.json'), meta('XNAS.ITCH', 'mbp-10'));
    await fails(/MBP-10\/metadata\.json: dataset XNAS\.ITCH does not match .*glbx-mdp3-20240315\.mbp-10\.dbn/);
    writeFileSync(join(root, 'MBP-10', 'metadata.json'), '{not json');
    await fails(/MBP-10\/metadata\.json: not a readable metadata\.json/);
    rmSync(join(root, 'MBP-10', 'metadata.json'));
  });
});

describe('--session: 09:30 / 04:00 New York on every date', () => {
  it('EST and EDT dates (values the system this replaces computed with ZoneInfo)', () => {
    expect(newYorkTimeNs('2025-12-16', 4, 0)).toBe(1_765_875_600_000_000_000n); // 09:00Z
    expect(newYorkTimeNs('2025-12-16', 9, 30)).toBe(1_765_895_400_000_000_000n); // 14:30Z
    expect(newYorkTimeNs('2025-07-01', 4, 0)).toBe(1_751_356_800_000_000_000n); // 08:00Z
    expect(newYorkOffsetMinutes(Date.parse('2025-12-16T12:00:00Z'))).toBe(-300);
    expect(newYorkOffsetMinutes(Date.parse('2025-07-01T12:00:00Z'))).toBe(-240);
  });

  it('the daylight-saving change days and the days around them', () => {
    const utc = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
    // 2025-03-09: clocks go forward at 02:00 EST -> 03:00 EDT; 04:00 and 09:30 are already EDT
    expect(sessionStartNs('2025-03-08', 'premarket')).toBe(utc('2025-03-08T09:00:00Z'));
    expect(sessionStartNs('2025-03-09', 'premarket')).toBe(utc('2025-03-09T08:00:00Z'));
    expect(sessionStartNs('2025-03-09', 'rth')).toBe(utc('2025-03-09T13:30:00Z'));
    expect(sessionStartNs('2025-03-10', 'rth')).toBe(utc('2025-03-10T13:30:00Z'));
    // 2025-11-02: clocks go back at 02:00 EDT -> 01:00 EST; 04:00 and 09:30 are EST
    expect(sessionStartNs('2025-11-01', 'rth')).toBe(utc('2025-11-01T13:30:00Z'));
    expect(sessionStartNs('2025-11-02', 'premarket')).toBe(utc('2025-11-02T09:00:00Z'));
    expect(sessionStartNs('2025-11-02', 'rth')).toBe(utc('2025-11-02T14:30:00Z'));
    expect(sessionStartNs('2025-11-03', 'rth')).toBe(utc('2025-11-03T14:30:00Z'));
    expect(sessionStartNs('2025-11-03', 'full')).toBeNull();
  });

  it('a replay with rth / premarket / full starts each date at its session start (continuous over an EST and an EDT date)', async () => {
    const root = tempDir('replay-session-');
    // each date: 40 events per file from 07:00 UTC over 10 h (one every 15 min)
    for (const date of ['2024-03-08', '2024-03-11']) {
      await writeCompactSession(root, {
        date,
        events: 40,
        spanMs: 10 * 3600 * 1000,
        maxLagMs: 0,
        t0Ns: BigInt(Date.parse(`${date}T07:00:00Z`)) * 1_000_000n,
      });
    }
    const firstOf = async (session: 'full' | 'rth' | 'premarket') => {
      const sink = new MemorySink();
      await replay({ dataRoot: root, sink, speed: 0, session });
      const byDate = new Map<string, bigint>();
      for (const p of sink.events) {
        const d = new Date(Number(tsEvent(p) / 1_000_000n)).toISOString().slice(0, 10);
        if (!byDate.has(d)) byDate.set(d, tsEvent(p));
      }
      return {
        n: sink.events.length,
        first: Object.fromEntries([...byDate].map(([d, t]) => [d, new Date(Number(t / 1_000_000n)).toISOString().slice(11, 19)])),
      };
    };
    const full = await firstOf('full');
    expect(full.n).toBe(160);
    expect(full.first).toEqual({ '2024-03-08': '07:00:00', '2024-03-11': '07:00:00' });
    // 2024-03-08 is EST (09:30 = 14:30Z), 2024-03-11 EDT (09:30 = 13:30Z); events every 15 min from 07:00Z
    expect((await firstOf('rth')).first).toEqual({ '2024-03-08': '14:30:00', '2024-03-11': '13:30:00' });
    expect((await firstOf('premarket')).first).toEqual({ '2024-03-08': '09:00:00', '2024-03-11': '08:00:00' });
  });

  it('--start and --session together: the later of the two; an --end before the session start is an empty window', async () => {
    const source = new MemorySource({ '2024-03-08': { trades: [[]] } });
    const tod = (text: string, h: bigint) => ({ kind: 'time-of-day' as const, ns: h * H, text });
    const p = await planReplay({ session: 'rth', start: tod('16:00', 16n) }, source, 'R');
    expect(p.start('2024-03-08')).toBe(BigInt(Date.parse('2024-03-08T16:00:00Z')) * 1_000_000n);
    const q = await planReplay({ session: 'rth', start: tod('10:00', 10n) }, source, 'R');
    expect(q.start('2024-03-08')).toBe(BigInt(Date.parse('2024-03-08T14:30:00Z')) * 1_000_000n);
    await expect(planReplay({ session: 'rth', end: tod('12:00', 12n) }, source, 'R')).rejects.toThrow(
      /--end \(12:00\) is not after the rth session start \(2024-03-08T14:30:00\.000000000Z\) on 2024-03-08/,
    );
  });
});
