/** The stored counts of a run from the stream's state (storedCounts, readStreamTally) and StoredTracker, with a fake connection. */
import { describe, expect, it } from 'vitest';
import { describeStored, readStreamTally, storedCounts, StoredTracker, type TallyStats } from './index.js';

describe('storedCounts', () => {
  const t = (lastSeq: number, perSubject: Record<string, number>) => ({ lastSeq, perSubject });
  it('first run: all new; a rerun of the same data: all already in the stream, 0 new; exact', () => {
    const first = storedCounts(t(0, {}), t(470_000, { a: 400_000, b: 70_000 }), 470_000);
    expect(first).toMatchObject({
      new: 470_000,
      newMax: 470_000,
      duplicates: 0,
      exact: true,
      note: null,
      perSubject: { a: 400_000, b: 70_000 },
    });
    const rerun = storedCounts(t(470_000, { a: 400_000, b: 70_000 }), t(470_000, { a: 400_000, b: 70_000 }), 470_000);
    expect(rerun).toMatchObject({ new: 0, duplicates: 470_000, exact: true });
    expect(describeStored(rerun)).toBe('0 new / 470,000 already in the stream (exact)');
  });
  it('another subject written meanwhile (or limits removing messages): a range, not exact, saying why', () => {
    const c = storedCounts(t(100, { a: 100 }), t(180, { a: 150 }), 60);
    expect(c).toMatchObject({ new: 50, newMax: 60, duplicates: 10, duplicatesMin: 0, exact: false });
    expect(describeStored(c)).toMatch(/^50\.\.60 new \/ 0\.\.10 already in the stream \(not exact: the stream stored 30 more message/);
    const other = storedCounts(t(0, {}), t(90, { a: 90 }), 50);
    expect(other.exact).toBe(false);
    expect(other.note).toMatch(/another publisher wrote to them/);
  });
  it('unconfirmed events are named: they may be stored', () => {
    const c = storedCounts(t(0, {}), t(10, { a: 10 }), 8, 2);
    expect(c).toMatchObject({ new: 10, exact: true, duplicates: 0 });
    expect(c.note).toMatch(/2 event\(s\) were not confirmed/);
  });
  it('readStreamTally: one stream info request with a subjects filter; API errors named', async () => {
    const asked: [string, string][] = [];
    const nc = {
      request: async (subject: string, payload: string) => {
        asked.push([subject, payload]);
        return { string: () => JSON.stringify({ state: { last_seq: 12, subjects: { 'market.x': 7, 'market.y': 5 } } }) };
      },
    };
    expect(await readStreamTally(nc, 'MARKET_DATA', ['market.x', 'market.z'], { filter: 'market.>' })).toEqual({
      lastSeq: 12,
      perSubject: { 'market.x': 7, 'market.z': 0 },
    });
    expect(asked).toEqual([['$JS.API.STREAM.INFO.MARKET_DATA', '{"subjects_filter":"market.>"}']]);
    const bad = { request: async () => ({ string: () => '{"error":{"code":404,"description":"stream not found"}}' }) };
    await expect(readStreamTally(bad, 'NOPE', [])).rejects.toThrow('stream info NOPE: stream not found (code 404)');
  });
});

describe('StoredTracker', () => {
  it('before and after from the stream info; current() between; null without a start', async () => {
    let state = { last_seq: 100, subjects: { 'market.a': 100 } };
    const nc = { request: async () => ({ string: () => JSON.stringify({ state }) }) };
    const stats: TallyStats = { acked: 0, failed: 0, pending: 0 };
    const t = new StoredTracker(nc, 'S', ['market.a'], () => stats);
    expect(await t.finish()).toBeNull();
    expect(await t.current()).toBeNull();
    await t.start();
    state = { last_seq: 150, subjects: { 'market.a': 150 } };
    Object.assign(stats, { acked: 80 });
    expect(await t.current()).toMatchObject({ new: 50, duplicates: 30, exact: true });
    const c = await t.finish();
    expect(c).toMatchObject({ new: 50, duplicates: 30, exact: true });
    state = { last_seq: 999, subjects: { 'market.a': 999 } };
    expect(await t.current()).toBe(c); // final: not read again
  });
  it('begin: started, or null with one warning naming why when the stream cannot be read', async () => {
    const warnings: string[] = [];
    const log = { warn: (m: string) => void warnings.push(m) };
    const stream = { info: { config: { name: 'S' } } };
    const ok = { request: async () => ({ string: () => '{"state":{"last_seq":3,"subjects":{"market.a":3}}}' }) };
    expect(await StoredTracker.begin({ nc: ok, stream }, ['market.a'], () => null, log)).toBeInstanceOf(StoredTracker);
    const away = {
      request: async (): Promise<{ string(): string }> => {
        throw new Error('TIMEOUT');
      },
    };
    expect(await StoredTracker.begin({ nc: away, stream }, ['market.a'], () => null, log)).toBeNull();
    expect(warnings).toEqual(["stored counts: the stream's state could not be read (TIMEOUT): not reported"]);
  });
});
