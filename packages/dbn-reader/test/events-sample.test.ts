import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateToNs, decodeDbn, mapDbnFile, UNDEF_PRICE, type Mbp10Msg, type TradeMsg } from '../src/index.js';
import { generateSampleSession, SAMPLE_ES_INSTRUMENT_ID, type SampleSessionResult } from '../src/sample.js';
import { tempDir } from './events-helpers.js';
import { nth } from './narrow.js';

async function records<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  for await (const b of decodeDbn(path).batches()) out.push(...(b as T[]));
  return out;
}

/** the metadata, then the stream is closed (so the file handle is released) */
async function metadataOf(path: string) {
  const s = decodeDbn(path);
  const m = await s.metadata();
  for await (const _ of s.batches()) break;
  return m;
}

describe('generateSampleSession', () => {
  let dirs: Array<{ dir: string; cleanup: () => Promise<void> }> = [];
  let a: SampleSessionResult;
  let b: SampleSessionResult;
  let c: SampleSessionResult;
  const N = { trades: 20_000, mbp10: 10_000, options: 1_000 };

  beforeAll(async () => {
    dirs = await Promise.all([tempDir('dbn-events-sa-'), tempDir('dbn-events-sb-'), tempDir('dbn-events-sc-')]);
    a = await generateSampleSession({ root: nth(dirs, 0).dir, seed: 42, ...N });
    b = await generateSampleSession({ root: nth(dirs, 1).dir, seed: 42, ...N });
    c = await generateSampleSession({ root: nth(dirs, 2).dir, seed: 43, ...N });
  });
  afterAll(async () => {
    for (const d of dirs) await d.cleanup();
  });

  it('writes the data-root layout with exactly the requested counts', async () => {
    expect(a.counts).toStrictEqual(N);
    expect(a.trades).toMatch(/trades[/\\]glbx-mdp3-20250102\.trades\.dbn\.zst$/);
    expect(a.mbp10).toMatch(/MBP-10[/\\]glbx-mdp3-20250102\.mbp-10\.dbn\.zst$/);
    expect(a.options).toMatch(/options[/\\]opra-pillar-20250102\.trades\.dbn\.zst$/);
    expect(a.files.filter((f) => f.endsWith('symbology.json'))).toHaveLength(3);
    expect((await records(a.trades!)).length).toBe(N.trades);
    expect((await records(a.mbp10!)).length).toBe(N.mbp10);
    expect((await records(a.options!)).length).toBe(N.options);
    const sym = JSON.parse(
      await readFile(
        a.files.find((f) => /trades[/\\]symbology\.json$/.test(f))!,
        'utf8',
      ),
    );
    expect(sym.result).toStrictEqual({ ESH5: [{ d0: '2025-01-02', d1: '2025-01-03', s: String(SAMPLE_ES_INSTRUMENT_ID) }] });
  });

  it('is deterministic: same seed -> identical bytes; another seed -> different bytes', async () => {
    for (const k of ['trades', 'mbp10', 'options'] as const) {
      const x = await readFile(a[k]!);
      expect(Buffer.compare(x, await readFile(b[k]!))).toBe(0);
      expect(Buffer.compare(x, await readFile(c[k]!))).not.toBe(0);
    }
  });

  it('metadata: dataset, schema, the day, and a mapping of every instrument', async () => {
    const mt = await metadataOf(a.trades!);
    expect(mt).toMatchObject({
      dataset: 'GLBX.MDP3',
      schema: 'trades',
      start: dateToNs('2025-01-02'),
      end: dateToNs('2025-01-03'),
      stypeIn: 'raw_symbol',
      stypeOut: 'instrument_id',
      symbols: ['ESH5'],
    });
    expect(mt!.mappings).toStrictEqual([
      { rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: String(SAMPLE_ES_INSTRUMENT_ID) }] },
    ]);
    const mo = await metadataOf(a.options!);
    expect(mo!.dataset).toBe('OPRA.PILLAR');
    expect(mo!.mappings).toHaveLength(a.instruments.options.length);
    expect(a.instruments.options.every((o) => /^SPY {3}250102[CP]00\d{6}$/.test(o.symbol))).toBe(true);
  });

  it('times look like real data: ts_recv ordered and after ts_event, small ts_in_delta, a few ts_event steps back, within the day', async () => {
    const day0 = dateToNs('2025-01-02');
    const day1 = dateToNs('2025-01-03');
    for (const path of [a.trades!, a.mbp10!, a.options!]) {
      const recs = await records<TradeMsg>(path);
      let back = 0;
      const bad: string[] = [];
      recs.forEach((r, i) => {
        if (!(r.ts_recv > r.hd.ts_event)) bad.push(`#${i} ts_recv <= ts_event`);
        if (!(r.ts_in_delta > 0 && r.ts_in_delta < 100_000)) bad.push(`#${i} ts_in_delta ${r.ts_in_delta}`);
        if (!(r.hd.ts_event >= day0 - 1_000_000n && r.ts_recv < day1 + 1_000_000_000n)) bad.push(`#${i} outside the day`);
        const prev = recs[i - 1]; // undefined only for the first record
        if (prev !== undefined) {
          if (!(r.ts_recv > prev.ts_recv)) bad.push(`#${i} ts_recv not increasing`);
          if (r.hd.ts_event < prev.hd.ts_event) {
            back++;
            if (prev.hd.ts_event - r.hd.ts_event >= 1_000_000n) bad.push(`#${i} ts_event steps back >= 1 ms`);
          }
          if (!(r.sequence > prev.sequence)) bad.push(`#${i} sequence not increasing`);
        }
      });
      expect(bad.slice(0, 5)).toStrictEqual([]);
      expect(back).toBeGreaterThan(0);
      expect(back).toBeLessThan(recs.length * 0.02);
    }
  });

  it('ES trades: 0.25 ticks around 5900, both aggressor sides, and at the touch of the MBP-10 book', async () => {
    const trades = await records<TradeMsg>(a.trades!);
    const books = await records<Mbp10Msg>(a.mbp10!);
    const px = trades.map((t) => Number(t.price) / 1e9);
    expect(px.every((p) => Number.isInteger(p * 4))).toBe(true);
    expect(Math.min(...px)).toBeGreaterThan(5600);
    expect(Math.max(...px)).toBeLessThan(6200);
    expect(Math.max(...px) - Math.min(...px)).toBeGreaterThan(5); // it moves
    const sides = new Set(trades.map((t) => t.side));
    expect(sides.has('A') && sides.has('B')).toBe(true);
    // the last book record before each trade: the trade is within a few ticks of its touch
    let j = 0;
    let near = 0;
    let checked = 0;
    for (const t of trades) {
      while (j + 1 < books.length && nth(books, j + 1).ts_recv <= t.ts_recv) j++;
      const book = nth(books, j);
      if (book.ts_recv > t.ts_recv) continue;
      const l0 = nth(book.levels, 0);
      if (l0.bid_px === UNDEF_PRICE || l0.ask_px === UNDEF_PRICE) continue;
      checked++;
      if (t.price >= l0.bid_px - 1_000_000_000n && t.price <= l0.ask_px + 1_000_000_000n) near++;
    }
    expect(checked).toBeGreaterThan(trades.length * 0.9);
    expect(near / checked).toBeGreaterThan(0.95);
  });

  it('MBP-10: a consistent book (bids below asks, levels one tick apart), some empty levels, a first snapshot', async () => {
    const books = await records<Mbp10Msg>(a.mbp10!);
    expect(nth(books, 0).flags & 0x20).toBe(0x20);
    expect(books.slice(1).every((b) => (b.flags & 0x20) === 0)).toBe(true);
    let withEmpty = 0;
    const bad: string[] = [];
    books.forEach((b, n) => {
      const l = b.levels;
      const top = nth(l, 0);
      if (top.ask_px - top.bid_px !== 250_000_000n) bad.push(`#${n} spread`);
      for (let i = 1; i < 10; i++) {
        const [li, above] = [nth(l, i), nth(l, i - 1)];
        if (li.bid_px !== UNDEF_PRICE && above.bid_px - li.bid_px !== 250_000_000n) bad.push(`#${n} bid ${i}`);
        if (li.ask_px !== UNDEF_PRICE && li.ask_px - above.ask_px !== 250_000_000n) bad.push(`#${n} ask ${i}`);
      }
      for (const x of l) {
        if (x.bid_px === UNDEF_PRICE ? x.bid_sz !== 0 : x.bid_sz <= 0) bad.push(`#${n} bid size`);
        if (x.ask_px === UNDEF_PRICE ? x.ask_sz !== 0 : x.ask_sz <= 0) bad.push(`#${n} ask size`);
      }
      if (l.some((x) => x.bid_px === UNDEF_PRICE || x.ask_px === UNDEF_PRICE)) withEmpty++;
    });
    expect(bad.slice(0, 5)).toStrictEqual([]);
    expect(withEmpty).toBeGreaterThan(0);
    expect(withEmpty).toBeLessThan(books.length * 0.5);
    const actions = new Set(books.map((b) => b.action));
    for (const x of ['A', 'C', 'M', 'T']) expect(actions.has(x)).toBe(true);
  });

  it('options map to OptionTrades: 0DTE SPY, a few strikes around the money, prices in cents > 0', async () => {
    const ev = mapDbnFile(a.options!, { kind: 'options' });
    const strikes = new Set<number>();
    let n = 0;
    for await (const p of ev) {
      const e = p.event as { exp_date: string; underlying: string; strike: number; price: number; right: string };
      expect(e.underlying).toBe('SPY');
      expect(e.exp_date).toBe('2025-01-02');
      expect(e.price).toBeGreaterThan(0);
      expect(Math.abs(e.price * 100 - Math.round(e.price * 100))).toBeLessThan(1e-6);
      strikes.add(e.strike);
      n++;
    }
    expect(n).toBe(N.options);
    expect(ev.stats.unmapped).toBe(0);
    const ks = [...strikes].sort((x, y) => x - y);
    expect(ks.length).toBeGreaterThanOrEqual(3);
    expect(nth(ks, ks.length - 1) - nth(ks, 0)).toBeLessThanOrEqual(6);
    expect(ks[0]).toBeGreaterThan(550);
    expect(ks[0]).toBeLessThan(620);
  });

  it('zero counts write no file of that kind; bad options are refused', async () => {
    const d = await tempDir('dbn-events-sz-');
    try {
      const r = await generateSampleSession({ root: d.dir, trades: 10, mbp10: 0, options: 0, compression: 'none', date: '2024-06-03' });
      expect(r.mbp10).toBeNull();
      expect(r.options).toBeNull();
      expect(r.trades).toMatch(/glbx-mdp3-20240603\.trades\.dbn$/);
      expect((await readFile(r.trades!)).subarray(0, 3).toString()).toBe('DBN');
      await expect(generateSampleSession({ root: d.dir, trades: -1 })).rejects.toThrow(/trades must be an integer >= 0/);
      await expect(generateSampleSession({ root: d.dir, date: '2024/06/03' })).rejects.toThrow(/YYYY-MM-DD/);
    } finally {
      await d.cleanup();
    }
  });
});
