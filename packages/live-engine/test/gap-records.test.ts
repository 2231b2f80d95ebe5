/**
 * GapRecorder (unit, an in-memory store standing for the KV bucket): which announcements keep a window's record,
 * which delete it, the order of one window's writes, and what a new term takes over.
 */
import { describe, expect, it } from 'vitest';
import { GapRecorder, gapJson, parseGapJson, recordAction, type GapAnnouncement, type GapRecordStore } from '@md/live-engine';

const base: GapAnnouncement = {
  type: 'gap',
  status: 'open',
  gap_id: 'abcd1234-1',
  session: 'stocks',
  subject: 'market.stocks.trades',
  item: 'T.SPY',
  symbol: 'SPY',
  from_ns: 1765898100112000000n,
  to_ns: 1765898104051000000n,
  reason: 'restart',
  count: null,
  why: null,
  rest_requests: 0,
  at: '2025-12-16T15:15:05.120Z',
};
const g = (o: Partial<GapAnnouncement>): GapAnnouncement => ({ ...base, ...o });

class MapStore implements GapRecordStore {
  readonly m = new Map<string, string>();
  readonly ops: string[] = [];
  delayMs = 0;
  failList = false;
  private async wait() {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
  }
  async put(id: string, v: string) {
    await this.wait();
    this.ops.push(`put ${id}`);
    this.m.set(id, v);
  }
  async delete(id: string) {
    this.ops.push(`delete ${id}`);
    this.m.delete(id);
  }
  async list() {
    if (this.failList) return new Promise<never>(() => {});
    return [...this.m].map(([id, value]) => ({ id, value }));
  }
}

describe('recordAction', () => {
  it('open writes the record, stopped/lease-lost unfilled keep it, filled and every other unfilled delete it', () => {
    expect(recordAction(g({}))).toBe('put');
    expect(recordAction(g({ status: 'filled', count: 3 }))).toBe('delete');
    expect(recordAction(g({ status: 'unfilled', why: 'stopped (SIGTERM) before it was filled' }))).toBe('keep');
    expect(
      recordAction(g({ status: 'unfilled', why: 'lease lost: taken over: the vendor sockets were closed before the outage ended' })),
    ).toBe('keep');
    expect(recordAction(g({ status: 'unfilled', why: 'E_REST_AUTH (HTTP 401): unauthorized' }))).toBe('delete');
    expect(recordAction(g({ status: 'unfilled', why: 'backfill disabled' }))).toBe('delete');
    expect(recordAction(g({ status: 'unfilled', reason: 'backfill_max', why: 'older than --backfill-max (900000 ms): not filled' }))).toBe(
      'delete',
    );
  });
});

describe('GapRecorder', () => {
  it("one window's writes in announcement order, the value exact; a REST refusal deletes, a stop keeps", async () => {
    const s = new MapStore();
    s.delayMs = 30; // the put answers after the delete would have
    const r = new GapRecorder(s, () => {});
    r.announced(g({}));
    r.announced(g({ status: 'filled', count: 7 }));
    r.announced(g({ gap_id: 'abcd1234-2' }));
    r.announced(g({ gap_id: 'abcd1234-2', status: 'unfilled', why: 'E_REST_RETRIES: 5 attempts' }));
    r.announced(g({ gap_id: 'abcd1234-3', to_ns: 1765898104051999999n }));
    r.announced(
      g({ gap_id: 'abcd1234-3', to_ns: 1765898104051999999n, status: 'unfilled', why: 'stopped (SIGTERM) before it was filled' }),
    );
    await r.settled();
    expect(s.ops.filter((o) => o.endsWith('-1'))).toEqual(['put abcd1234-1', 'delete abcd1234-1']);
    expect([...s.m.keys()]).toEqual(['abcd1234-3']);
    const kept = parseGapJson(s.m.get('abcd1234-3')!)!;
    expect([kept.status, kept.from_ns, kept.to_ns]).toEqual(['open', 1765898100112000000n, 1765898104051999999n]);
    expect(s.ops.filter((o) => o.endsWith('-3'))).toEqual(['put abcd1234-3']); // the stop wrote nothing
  });

  it('a window filled by the next leader while the engine that opened it still retired: its later stop does not bring the record back', async () => {
    const s = new MapStore();
    const old = new GapRecorder(s, () => {});
    const next = new GapRecorder(s, () => {});
    old.announced(g({}));
    await old.settled();
    next.announced(g({ status: 'filled', count: 4 })); // inherited and filled
    await next.settled();
    old.announced(g({ status: 'unfilled', why: 'stopped (lease lost: taken over) before it was filled' }));
    await old.settled();
    expect(s.m.size).toBe(0);
  });

  it('a new term takes over the recorded windows, not those an engine of this process still fills', async () => {
    const s = new MapStore();
    s.m.set('dead0000-1', gapJson(g({ gap_id: 'dead0000-1' })));
    s.m.set('dead0000-2', gapJson(g({ gap_id: 'dead0000-2', status: 'unfilled', why: 'stopped (x) before it was filled' })));
    s.m.set('junk', 'not json');
    const r = new GapRecorder(s, () => {});
    r.announced(g({ gap_id: 'mine0000-1' })); // a retiring engine of this process
    await r.settled();
    expect((await r.inheritable(1000)).map((x) => x.gap_id).sort()).toEqual(['dead0000-1', 'dead0000-2']);
    r.announced(g({ gap_id: 'mine0000-1', status: 'unfilled', why: 'stopped (y) before it was filled' }));
    await r.settled();
    expect((await r.inheritable(1000)).map((x) => x.gap_id).sort()).toEqual(['dead0000-1', 'dead0000-2', 'mine0000-1']);
  });

  it('a store that does not answer: the term starts without (after the timeout), logged', async () => {
    const s = new MapStore();
    s.failList = true;
    const logs: string[] = [];
    const r = new GapRecorder(s, (_l, m) => logs.push(m));
    const t0 = Date.now();
    expect(await r.inheritable(100)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(logs.join('\n')).toMatch(/no answer within 100 ms/);
  });
});
