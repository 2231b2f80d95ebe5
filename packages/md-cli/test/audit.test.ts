/**
 * `md audit` against a real nats-server: a clean stream (exit 0, counts right), and a stream with a planted
 * duplicate (the same Nats-Msg-Id stored twice: re-published after a 200 ms duplicate window), a planted order
 * break of one nanosecond (a JavaScript number would not see it), an undecodable message and gap announcements
 * stored in a stream of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll } from '@md/test-support/process';
import { audit, auditText } from '../src/index.js';
import { future, gap, knownEvents, mdRun, startTestBus, storeGaps, T0, type TestBus } from './helpers.js';

const EVENTS = knownEvents();
afterAll(() => killAll());

describe('md audit on a clean stream', () => {
  let bus: TestBus;
  beforeAll(async () => {
    bus = await startTestBus();
    await bus.publish(EVENTS);
  });
  afterAll(async () => bus?.close());

  it('exits 0 and counts per subject, with exact first and last times', async () => {
    const r = await mdRun(['audit'], { NATS_URL: bus.server.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    console.log(r.stdout);
    expect(r.stdout).toMatch(/^stream MARKET_DATA: seq 1\.\.12, 12 messages read in /);
    expect(r.stdout).toContain('market.futures.trades       4            0             0  2025-12-16T14:35:00.112000003Z');
    expect(r.stdout).toContain('duplicates: 0\n');
    expect(r.stdout).toContain('order breaks: 0\n');
    expect(r.stdout).toContain('gaps: md.live.gaps is not in any stream (the live ingestor announces gaps on core NATS only');
    expect(r.stdout).toMatch(/result: clean\n$/);

    const j = await mdRun(['audit', '--json'], { NATS_URL: bus.server.url });
    expect(j.code).toBe(0);
    // exact integers in the JSON text
    expect(j.stdout).toContain(`"first_ns":${T0},"last_ns":${T0 + 9n}`);
    const o = JSON.parse(j.stdout) as { per_subject: { subject: string; events: number }[]; distinct_ids: number; findings: boolean };
    expect(o.per_subject.map((s) => [s.subject, s.events])).toEqual([
      ['market.futures.trades', 4],
      ['market.stocks.quotes', 4],
      ['market.stocks.trades', 4],
    ]);
    expect(o.distinct_ids).toBe(12);
    expect(o.findings).toBe(false);
  });

  it('audits the subjects given only', async () => {
    const r = await audit(bus.nc, { stream: 'MARKET_DATA', subjects: ['market.stocks.*'] });
    expect(r.per_subject.map((s) => [s.subject, s.events, s.first_seq, s.last_seq])).toEqual([
      ['market.stocks.quotes', 4, 2, 11],
      ['market.stocks.trades', 4, 1, 10],
    ]);
    expect(r.end_seq).toBe(11);
    expect(r.messages).toBe(8);
  });
});

describe('md audit on a planted stream', () => {
  let bus: TestBus;
  const dup = EVENTS[11]!; // the last futures trade (seq 12)
  beforeAll(async () => {
    bus = await startTestBus({ duplicateWindowNs: 200_000_000n, maxAgeNs: 3_600_000_000_000n });
    await bus.publish(EVENTS); // seqs 1..12
    // seq 13: one ns before the futures trade at seq 12 (T0 + 11): an order break
    await bus.publish([{ subject: 'market.futures.trades', event: future(7, T0 + 10n), msgId: 'planted-break' }]);
    await new Promise((r) => setTimeout(r, 600)); // past the duplicate window
    await bus.publish([dup]); // seq 14: the id of seq 12 stored again
    await bus.publishRaw('market.stocks.quotes', 'not json', 'planted-bad'); // seq 15
    // seq 16: a REST-backfilled stock trade older than seq 10, inside the filled gap window: expected, not a break
    await bus.publish([
      {
        subject: 'market.stocks.trades',
        event: { ...(EVENTS[0]!.event as object), ts_event_ns: T0 + 1n, source: 'massive_rest' } as never,
        msgId: 'backfilled-1',
      },
    ]);
    await storeGaps(bus.nc, [
      gap('a1-1', 'open', 'market.stocks.trades', T0, T0 + 5n),
      gap('a1-2', 'open', 'market.stocks.quotes', T0 + 100n, T0 + 200n),
      gap('a1-1', 'filled', 'market.stocks.trades', T0, T0 + 5n),
      gap('a1-3', 'open', 'market.stocks.trades', T0 + 300n, T0 + 400n),
      gap('a1-2', 'unfilled', 'market.stocks.quotes', T0 + 100n, T0 + 200n, 'REST refused the key (403)'),
    ]);
  });
  afterAll(async () => bus?.close());

  it('exits 3 and names the duplicate, the order break and the undecodable message with their seqs; lists the gaps', async () => {
    const r = await mdRun(['audit'], { NATS_URL: bus.server.url });
    console.log(r.stdout);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(
      `duplicates: 1 (extra copies of a message id already stored)\n  ${dup.msgId}: seq 12 and seq 14 (market.futures.trades)\n`,
    );
    expect(r.stdout).toContain(
      `order breaks: 1 (ts_event_ns lower than the previous event of its subject)\n  market.futures.trades seq 13 2025-12-16T14:35:00.112000011Z (${T0 + 10n}) after seq 12 2025-12-16T14:35:00.112000012Z (${T0 + 11n})\n`,
    );
    // the break is one nanosecond: as JavaScript numbers both times are the same
    expect(Number(T0 + 10n)).toBe(Number(T0 + 11n));
    expect(r.stdout).toContain('  (and 1 older events backfilled by REST into announced gap windows: expected)');
    expect(r.stdout).toContain('undecodable: 1\n  seq 15 market.stocks.quotes: ');
    expect(r.stdout).toContain('gaps (md.live.gaps, stream LIVE_GAPS): 3 windows from 5 announcements: 1 open, 1 filled, 1 unfilled');
    expect(r.stdout).toContain(
      '  unfilled a1-2 market.stocks.quotes T.SPY [2025-12-16T14:35:00.112000101Z, 2025-12-16T14:35:00.112000201Z) disconnect: REST refused the key (403)',
    );
    expect(r.stdout).toMatch(/result: duplicates, order breaks, undecodable messages found \(exit 3\)\n$/);
  });

  it('the report in JSON, and the same numbers from the library', async () => {
    const j = await mdRun(['audit', '--json'], { NATS_URL: bus.server.url });
    expect(j.code).toBe(3);
    expect(j.stdout).toContain(
      `"order_break_examples":[{"subject":"market.futures.trades","seq":13,"ts_event_ns":${T0 + 10n},"prev_seq":12,"prev_ts_event_ns":${T0 + 11n}}]`,
    );
    const r = await audit(bus.nc, { stream: 'MARKET_DATA', subjects: [] });
    expect([r.messages, r.duplicates, r.order_breaks, r.backfill_breaks, r.undecodable, r.distinct_ids]).toEqual([16, 1, 1, 1, 1, 14]);
    expect(r.gaps.unfilledWindows.map((w) => [w.gap_id, w.from_ns, w.to_ns])).toEqual([['a1-2', T0 + 100n, T0 + 200n]]);
    expect(auditText(r)).toContain('1 open, 1 filled, 1 unfilled');
  });
});
