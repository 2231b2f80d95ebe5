import { describe, expect, it } from 'vitest';
import { parseDbnMsgId } from '@md/dbn-reader';
import {
  dateOfMsgId,
  emptyStats,
  finishStats,
  isoNs,
  jsonWithBigints,
  progressBar,
  progressLine,
  statsForJson,
  statsTable,
} from '../src/index.js';

describe('stats', () => {
  it('derived figures: span, events/s, achieved speed', () => {
    const s = emptyStats();
    s.events = 30_000;
    s.firstEventNs = 1_609_165_800_000_000_000n;
    s.lastEventNs = 1_609_165_860_000_000_000n; // 60 s of event time
    finishStats(s, 2000);
    expect(s.eventSpanNs).toBe(60_000_000_000n);
    expect(s.eventsPerSec).toBe(15_000);
    expect(s.achievedSpeed).toBe(30);
  });

  it('timestamps print exactly to the nanosecond', () => {
    expect(isoNs(1702900800123456789n)).toBe('2023-12-18T12:00:00.123456789Z');
    expect(isoNs(null)).toBe('-');
  });

  it('JSON with bigints writes exact integers (never through a number)', () => {
    const text = jsonWithBigints({ a: 1702900800123456789n, b: [1n, 'x'], c: null, d: Infinity, e: 'say "\\u0000big0\\u0000"' });
    expect(text).toBe('{"a":1702900800123456789,"b":[1,"x"],"c":null,"d":null,"e":"say \\"\\\\u0000big0\\\\u0000\\""}');
    const s = emptyStats();
    s.firstEventNs = 1609165800123456789n;
    s.lastEventNs = 1609165800123456799n;
    const json = jsonWithBigints(statsForJson(finishStats(s, 1)));
    expect(json).toContain('"first_ts_event_ns":1609165800123456789,"last_ts_event_ns":1609165800123456799,"event_span_ns":10');
  });

  it('progress line, bar and table carry the counters and the position in the day', () => {
    const s = emptyStats();
    s.events = 20_000;
    s.perKind = { trades: 5000, stockTrades: 0, options: 10, stockQuotes: 0, mbp10: 14_990 };
    s.firstEventNs = 1_609_113_600_000_000_000n; // 2020-12-28T00:00Z
    const pos = {
      nowNs: 1_609_113_600_000_000_000n + 43_200_000_000_000n,
      fromNs: 1_609_113_600_000_000_000n,
      toNs: 1_609_113_600_000_000_000n + 86_400_000_000_000n,
    };
    const line = progressLine(s, 1000, pos);
    expect(line).toMatch(
      /^progress events=20000 trades=5000 options=10 mbp10=14990 rate=20,000\/s speed=43200\.0x at=12:00:00\.000 \(50\.0% of 2020-12-28\)$/,
    );
    expect(progressBar(s, 1000, pos, 10)).toMatch(/^\[#####\.\.\.\.\.\] {2}50\.0% 12:00:00\.000 20,000 events 20,000\/s$/);
    s.lastEventNs = pos.nowNs;
    s.dates = ['2020-12-28'];
    const t = statsTable(finishStats(s, 1000));
    expect(t).toMatch(/events\s+20,000/);
    expect(t).toMatch(/MBP-10 books\s+14,990/);
    expect(t).toMatch(/achieved speed\s+43200\.00x/);
  });

  it('message id parts: file and date', () => {
    const id = 'market.futures.trades:5482:1609160400000000000:1170352:glbx-mdp3-20201228.trades.dbn.zst:17';
    expect(parseDbnMsgId(id)?.file).toBe('glbx-mdp3-20201228.trades.dbn.zst');
    expect(dateOfMsgId(id)).toBe('2020-12-28');
    expect(parseDbnMsgId('x:y')?.file ?? null).toBeNull();
    expect(dateOfMsgId('market.futures.trades:1:2:3:test_data.trades.dbn:0')).toBeNull();
  });
});
