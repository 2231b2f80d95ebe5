import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FuturesTrade, MBP10, OptionTrade, Publishable } from '@md/event-types';
import { dateToNs, DbnDataRoot, DbnDataRootError, DbnEncoder, type MapWarning } from '../src/index.js';
import { generateSampleSession, type SampleSessionResult } from '../src/sample.js';
import { tempDir, trade } from './events-helpers.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('DbnDataRoot on a generated sample', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let s1: SampleSessionResult;
  let s2: SampleSessionResult;
  const warnings: MapWarning[] = [];
  let root: DbnDataRoot;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('dbn-events-root-'));
    s1 = await generateSampleSession({ root: dir, date: '2025-01-02', seed: 11, trades: 6000, mbp10: 3000, options: 400 });
    s2 = await generateSampleSession({ root: dir, date: '2025-01-03', seed: 12, trades: 2000, mbp10: 0, options: 0, compression: 'none' });
    root = new DbnDataRoot(dir, { onWarning: (w) => warnings.push(w) });
  });
  afterAll(() => cleanup());

  it('lists dates per kind and overall, and the files of a date', async () => {
    expect(await root.availableDates('trades')).toStrictEqual(['2025-01-02', '2025-01-03']);
    expect(await root.availableDates('mbp10')).toStrictEqual(['2025-01-02']);
    expect(await root.availableDates('options')).toStrictEqual(['2025-01-02']);
    expect(await root.availableDates()).toStrictEqual(['2025-01-02', '2025-01-03']);
    expect(await root.filesFor('2025-01-02')).toStrictEqual({
      date: '2025-01-02',
      trades: s1.trades,
      mbp10: s1.mbp10,
      options: s1.options,
    });
    expect(await root.filesFor('2025-01-03')).toStrictEqual({ date: '2025-01-03', trades: s2.trades });
    expect(s2.trades!.endsWith('glbx-mdp3-20250103.trades.dbn')).toBe(true);
    expect(s1.mbp10!.endsWith(join('MBP-10', 'glbx-mdp3-20250102.mbp-10.dbn.zst'))).toBe(true);
  });

  it('reads every event of each kind with the right subject, symbols and unique message ids', async () => {
    const trades = (await collect(root.trades('2025-01-02'))) as Publishable<FuturesTrade>[];
    const books = (await collect(root.mbp10('2025-01-02'))) as Publishable<MBP10>[];
    const opts = (await collect(root.options('2025-01-02'))) as Publishable<OptionTrade>[];
    const t3 = await collect(root.trades('2025-01-03'));
    expect([trades.length, books.length, opts.length, t3.length]).toStrictEqual([6000, 3000, 400, 2000]);
    expect(new Set(trades.map((p) => p.subject))).toStrictEqual(new Set(['market.futures.trades']));
    expect(new Set(books.map((p) => p.subject))).toStrictEqual(new Set(['market.futures.mbp10']));
    expect(new Set(opts.map((p) => p.subject))).toStrictEqual(new Set(['market.options.trades']));
    expect(new Set(trades.map((p) => p.event.symbol))).toStrictEqual(new Set(['ESH5']));
    expect(opts.every((p) => /^O:SPY250102[CP]\d{8}$/.test(p.event.option_symbol))).toBe(true);
    const ids = [...trades, ...books, ...opts, ...t3].map((p) => p.msgId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(warnings).toStrictEqual([]);
  });

  it('start/end (ns) keep exactly the events with start <= ts_event < end; batches give the same events', async () => {
    const all = (await collect(root.trades('2025-01-02'))) as Publishable<FuturesTrade>[];
    const start = dateToNs('2025-01-02') + 14n * 3_600_000_000_000n + 30n * 60_000_000_000n;
    const end = start + 3_600_000_000_000n;
    const some = (await collect(root.trades('2025-01-02', { start, end }))) as Publishable<FuturesTrade>[];
    const expected = all.filter((p) => p.event.ts_event_ns >= start && p.event.ts_event_ns < end);
    expect(some.length).toBeGreaterThan(100);
    expect(some.length).toBeLessThan(all.length);
    expect(some).toStrictEqual(expected);
    // reading stops once ts_recv is past end + 60 s (the file is in ts_recv order): the rest is not decoded
    const ev = await root.events('trades', '2025-01-02', { start, end });
    expect(await collect(ev)).toStrictEqual(expected);
    const after = all.filter((p) => p.event.ts_recv_ns >= end + 60_000_000_000n).length;
    expect(after).toBeGreaterThan(0);
    expect(ev.stats.records).toBeLessThanOrEqual(all.length - after + 1);
    expect(ev.stats.events).toBe(expected.length);
    const onlyStart = await collect(root.trades('2025-01-02', { start }));
    expect(onlyStart).toStrictEqual(all.filter((p) => p.event.ts_event_ns >= start));
    const flat: Publishable[] = [];
    for await (const b of root.tradesBatches('2025-01-02', { start, end })) {
      expect(Array.isArray(b)).toBe(true);
      flat.push(...b);
    }
    expect(flat).toStrictEqual(expected);
    const books: Publishable[] = [];
    for await (const b of root.mbp10Batches('2025-01-02')) books.push(...b);
    expect(books).toStrictEqual(await collect(root.mbp10('2025-01-02')));
    const o: Publishable[] = [];
    for await (const b of root.optionsBatches('2025-01-02')) o.push(...b);
    expect(o).toHaveLength(400);
  });

  it('events() exposes stats and metadata', async () => {
    const ev = await root.events('trades', '2025-01-03');
    expect(await collect(ev)).toHaveLength(2000);
    expect(ev.stats).toMatchObject({ records: 2000, events: 2000, unmapped: 0 });
    expect((await ev.metadata())?.dataset).toBe('GLBX.MDP3');
  });

  it('a missing date names the folder, the expected name and the available dates; bad dates are refused', async () => {
    await expect(collect(root.mbp10('2025-01-03'))).rejects.toThrow(DbnDataRootError);
    await expect(collect(root.mbp10('2025-01-03'))).rejects.toThrow(
      /no mbp10 file for 2025-01-03 in MBP-10\/ \(expected <dataset>-20250103\.mbp-10\.dbn\[\.zst\]\); available: 2025-01-02/,
    );
    await expect(root.fileFor('trades', '2025-02-30x')).rejects.toThrow(/date must be YYYY-MM-DD/);
    await expect(root.availableDates('bogus' as never)).rejects.toThrow(TypeError);
  });
});

describe('DbnDataRoot edge cases', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('dbn-events-root2-'));
  });
  afterAll(() => cleanup());

  it('a missing root is a clear error', async () => {
    const r = new DbnDataRoot(join(dir, 'nope'));
    await expect(r.availableDates()).rejects.toThrow(/DBN data root not found \(.*nope\)/);
    await expect(collect(r.trades('2025-01-02'))).rejects.toThrow(DbnDataRootError);
  });

  it('an empty root has no dates; other files in the folders are ignored; refresh() sees new files', async () => {
    const r0 = join(dir, 'empty');
    await mkdir(join(r0, 'trades'), { recursive: true });
    await writeFile(join(r0, 'trades', 'README.txt'), 'x');
    await writeFile(join(r0, 'trades', 'glbx-mdp3-20250102.mbp-10.dbn'), 'wrong folder for this schema');
    const r = new DbnDataRoot(r0);
    expect(await r.availableDates()).toStrictEqual([]);
    await expect(r.fileFor('trades', '2025-01-02')).rejects.toThrow(/that folder has no DBN files/);
    await generateSampleSession({ root: r0, date: '2025-02-03', trades: 5, mbp10: 0, options: 0 });
    expect(await r.availableDates()).toStrictEqual([]); // cached listing
    r.refresh();
    expect(await r.availableDates()).toStrictEqual(['2025-02-03']);
  });

  it('the folder symbology.json is the fallback when a file has no mappings; unmapped ids say so', async () => {
    const r1 = join(dir, 'symjson');
    await mkdir(join(r1, 'trades'), { recursive: true });
    const D0 = dateToNs('2025-01-02');
    const recs = [trade({ id: 42, ts: D0 + 1000n }), trade({ id: 43, ts: D0 + 2000n })];
    await writeFile(
      join(r1, 'trades', 'glbx-mdp3-20250102.trades.dbn'),
      await DbnEncoder.toBytes(
        { dataset: 'GLBX.MDP3', schema: 'trades', start: D0, stypeIn: 'raw_symbol', stypeOut: 'instrument_id' },
        recs,
      ),
    );
    await writeFile(
      join(r1, 'trades', 'symbology.json'),
      JSON.stringify({
        result: { ESH5: [{ d0: '2025-01-02', d1: '2025-01-03', s: '42' }] },
        stype_in: 'raw_symbol',
        stype_out: 'instrument_id',
      }),
    );
    const warnings: MapWarning[] = [];
    const r = new DbnDataRoot(r1, { onWarning: (w) => warnings.push(w) });
    const ev = (await collect(r.trades('2025-01-02'))) as Publishable<FuturesTrade>[];
    expect(ev.map((p) => p.event.symbol)).toStrictEqual(['ESH5', 'UNMAPPED:43']);
    expect(warnings.map((w) => w.kind)).toStrictEqual(['unmapped']);
    expect((await collect(r.trades('2025-01-02', { unmapped: 'skip' }))).length).toBe(1);
  });

  it('two copies of a date (.dbn and .dbn.zst): the compressed one is used, with a warning', async () => {
    const r2 = join(dir, 'dup');
    const s = await generateSampleSession({ root: r2, seed: 5, trades: 50, mbp10: 0, options: 0 });
    const plain = s.trades!.replace(/\.zst$/, '');
    await writeFile(plain, 'not even DBN');
    const warnings: MapWarning[] = [];
    const r = new DbnDataRoot(r2, { onWarning: (w) => warnings.push(w) });
    expect(await r.fileFor('trades', '2025-01-02')).toBe(s.trades);
    expect(warnings[0]?.message).toMatch(/two trades files for 2025-01-02/);
    expect(await collect(r.trades('2025-01-02'))).toHaveLength(50);
  });
});
