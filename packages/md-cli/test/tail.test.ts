/** `md tail` as a child process against a real nats-server holding known events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll } from '@md/test-support/process';
import { until } from '@md/test-support';
import { expectedLine, future, knownEvents, md, mdRun, startTestBus, T0, type TestBus } from './helpers.js';

const EVENTS = knownEvents();
let bus: TestBus;
let env: Record<string, string>;

beforeAll(async () => {
  bus = await startTestBus();
  await bus.publish(EVENTS);
  env = { NATS_URL: bus.server.url };
});
afterAll(async () => {
  killAll();
  await bus?.close();
});

const lines = (s: string) => s.split('\n').filter(Boolean);

describe('md tail', () => {
  it('prints every stored event as a JSON line, byte for byte, with seq, subject, msg id and exact ns', async () => {
    const r = await mdRun(['tail', '--no-follow', '--last', '100'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = lines(r.stdout);
    expect(got).toEqual(EVENTS.map((e, i) => expectedLine(e, i + 1)));
    // the first event's time is T0 exactly: odd ns, which Number() would round away
    expect(got[0]).toContain(`"ts_event_ns":${T0},`);
    expect(String(Number(T0))).not.toBe(String(T0));
  });

  it('starts with the last 10 by default; --limit stops early', async () => {
    const r = await mdRun(['tail', '--no-follow'], env);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(EVENTS.slice(2).map((e, i) => expectedLine(e, i + 3)));
    const l = await mdRun(['tail', '--no-follow', '--limit', '2'], env);
    expect(lines(l.stdout)).toEqual(EVENTS.slice(2, 4).map((e, i) => expectedLine(e, i + 3)));
  });

  it('filters on subjects with wildcards, and the last N of them', async () => {
    const r = await mdRun(['tail', 'market.stocks.*', '--no-follow', '--last', '3'], env);
    expect(r.code).toBe(0);
    // stocks events are at seqs 1,2,4,5,7,8,10,11: the last three are 8, 10, 11
    expect(lines(r.stdout).map((l) => /^\{"seq":(\d+)/.exec(l)?.[1])).toEqual(['8', '10', '11']);
    const two = await mdRun(['tail', 'market.futures.trades', 'market.stocks.quotes', '--no-follow', '--last', '100'], env);
    const seqs = lines(two.stdout).map((l) => Number(/^\{"seq":(\d+)/.exec(l)?.[1]));
    expect(seqs).toEqual([2, 3, 5, 6, 8, 9, 11, 12]);
  });

  it('--since keeps events at or after a time: Unix ns exactly, or ISO with 9 fractional digits', async () => {
    // T0 + 4 is the quote of round 1 (seq 5): one ns earlier (T0 + 3, seq 4) is left out
    const since = (T0 + 4n).toString();
    const r = await mdRun(['tail', '--no-follow', '--since', since], env);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual(EVENTS.slice(4).map((e, i) => expectedLine(e, i + 5)));
    const iso = await mdRun(['tail', '--no-follow', '--since', '2025-12-16T14:35:00.112000005Z'], env);
    expect(lines(iso.stdout)).toEqual(EVENTS.slice(4).map((e, i) => expectedLine(e, i + 5)));
    // a relative time: everything here is from 2025, far more than 1 minute ago
    const rel = await mdRun(['tail', '--no-follow', '--since', '1m'], env);
    expect(rel.code).toBe(0);
    expect(rel.stdout).toBe('');
  });

  it('--pretty: ISO time with 9 fractional digits, subject, #seq, key fields, source', async () => {
    const r = await mdRun(['tail', '--no-follow', '--pretty', '--last', '3'], env);
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      '2025-12-16T14:35:00.112000010Z market.stocks.trades #10 SPY 676.03 x 103 ex 4 [massive_ws]',
      '2025-12-16T14:35:00.112000011Z market.stocks.quotes #11 SPY 675.99 x 203 / 676.01 x 300 [massive_ws]',
      '2025-12-16T14:35:00.112000012Z market.futures.trades #12 ESZ5 6013.0 x 4 sell [replay]',
    ]);
  });

  it('follows: prints what is stored after it started, ends cleanly on SIGTERM', async () => {
    const p = md(['tail', 'market.futures.trades', '--last', '1', '--pretty'], env);
    await until(() => p.out.stdout.includes('#12 '), 30_000);
    const ts = T0 + 1_000_000_007n;
    await bus.publish([{ subject: 'market.futures.trades', event: future(9, ts), msgId: 'follow-test-1' }]);
    await until(() => p.out.stdout.includes('#13 '), 30_000);
    expect(lines(p.out.stdout)).toEqual([
      '2025-12-16T14:35:00.112000012Z market.futures.trades #12 ESZ5 6013.0 x 4 sell [replay]',
      '2025-12-16T14:35:01.112000008Z market.futures.trades #13 ESZ5 6014.5 x 10 sell [replay]',
    ]);
    p.p.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  });

  it('reports an undecodable message with its seq and subject, and goes on', async () => {
    await bus.publishRaw('market.stocks.trades', '{"ts_event_ns":"not a number"}', 'bad-1');
    const good = { subject: 'market.futures.trades' as const, event: future(10, T0 + 2_000_000_000n), msgId: 'after-bad' };
    await bus.publish([good]);
    const r = await mdRun(['tail', '--no-follow', '--last', '2'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/stream MARKET_DATA seq 14 subject market\.stocks\.trades: not a valid event, skipped: /);
    expect(lines(r.stdout)).toEqual([expectedLine(good, 15)]);
  });

  it('usage errors exit 2 naming the flag; a subject outside the stream and a missing stream exit 1', async () => {
    const bad = await mdRun(['tail', '--since', 'yesterday'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since must be a duration back from now (5m, 2h, 1d), an ISO 8601 time');
    const typo = await mdRun(['tail', '--prety'], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean '--pretty'?");
    const gaps = await mdRun(['tail', 'md.live.gaps'], env);
    expect(gaps.code).toBe(1);
    expect(gaps.stderr).toContain(
      'md.live.gaps is not stored in stream MARKET_DATA (its subjects: market.>): md.live.gaps is published on core NATS only',
    );
    const none = await mdRun(['tail', '--stream', 'NOPE'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('stream NOPE not found (streams on this server: MARKET_DATA; --stream / MD_STREAM)');
  });
});
