import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { encodeToString, type MBP10, type OptionTrade, type Publishable, type StockQuote } from '@md/event-types';
import { tempDir } from '@md/test-support/fixtures';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { BronzeError, listBronzeDates, listBronzeFiles, readBronze, type BronzeReadOptions, type InvalidRow } from '../src/index.ts';
import { bronzePath, writeBronzeFile as writeFile, type BronzeTable, type Row, type WriteOptions } from '@md/test-support/bronze';
import { compress } from 'zstd-napi';

/** the shared test writer, ZSTD level 3 as pyarrow wrote the lake */
const zstd = (b: Uint8Array): Uint8Array => new Uint8Array(compress(b, { compressionLevel: 3 }));
const writeBronzeFile = (path: string, table: BronzeTable, rows: readonly Row[], o: WriteOptions = {}): string =>
  writeFile(path, table, rows, { zstd, ...o });

const DATE = '2025-12-16';
const T14 = 1_765_893_600_000_000_000n; // 2025-12-16T14:00:00Z
const T0 = 1_765_895_400_000_000_000n; // 14:30Z = 09:30 ET
const T16 = T14 + 2n * 3_600_000_000_000n;
const DAY_DAYS = 20_438; // 2025-12-16 as date32

function opt(ts: bigint, o: Partial<Row> = {}): Row {
  return {
    ts_event_ns: ts,
    ts_recv_ns: ts + 500n,
    source: 'polygon_ws',
    underlying: 'SPY',
    option_symbol: 'O:SPY251216C00676000',
    exp_date: DAY_DAYS,
    strike: 676.0,
    right: 'C',
    price: 1.25,
    size: 3,
    opt_bid: 1.2,
    opt_ask: 1.3,
    aggressor: 1,
    conditions: null,
    seq: 10n,
    ...o,
  };
}

async function collect(o: BronzeReadOptions): Promise<{ events: Publishable[]; batches: number; stream: ReturnType<typeof readBronze> }> {
  const stream = readBronze(o);
  const events: Publishable[] = [];
  let batches = 0;
  for await (const b of stream) {
    batches++;
    events.push(...b);
  }
  return { events, batches, stream };
}

/** reads until the stream throws; returns what was delivered and the error */
async function collectUntilError(o: BronzeReadOptions): Promise<{ events: Publishable[]; error: unknown }> {
  const events: Publishable[] = [];
  try {
    for await (const b of readBronze(o)) events.push(...b);
  } catch (e) {
    return { events, error: e };
  }
  return { events, error: null };
}

const tsOf = (ps: Publishable[]) => ps.map((p) => p.event.ts_event_ns - T0);

describe('option trades: one day with overlapping part files, an empty hour, edge values', () => {
  const root = tempDir('bronze-opt-');
  // hour 14: two files whose time ranges overlap and interleave, with an equal ts_event_ns across files
  const fileA = writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-143005_000001.parquet'), 'option_trades', [
    opt(T0, { conditions: [209, 219], seq: 1n }),
    opt(T0 + 2_000n, { opt_bid: null, opt_ask: null, seq: null, size: 5 }),
    opt(T0 + 5_000n, { conditions: [], seq: 3n, aggressor: -1, right: 'P', option_symbol: 'O:SPY251216P00670000', strike: 670.0 }),
  ]);
  const fileB = writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-143010_000002.parquet'), 'option_trades', [
    opt(T0 + 1_000n, { seq: 4n, price: 0.1 + 0.2 }),
    opt(T0 + 2_000n, { seq: 5n, aggressor: 0 }),
    opt(T0 + 3_000n, { seq: 6n, size: 0 }), // fails the old rules (size >= 1)
    opt(T0 + 4_000n, { seq: 7n, right: 'X' }), // fails (right ^[CP]$)
    opt(T0 + 6_000n, { seq: 8n }),
  ]);
  // hour 15: an empty folder; hour 16: a file of several row groups
  mkdirSync(join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-16/hour=15'), { recursive: true });
  writeBronzeFile(
    bronzePath(root, 'option_trades', 'SPY', DATE, '16', 'part-160001_000003.parquet'),
    'option_trades',
    [0n, 1n, 2n, 3n, 4n].map((k) => opt(T16 + k * 1_000_000n, { seq: 100n + k })),
    { rowGroupSize: 2 },
  );
  // another date, and a date folder with no data
  writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', '2025-12-15', '20', 'part-200000_000000.parquet'), 'option_trades', [
    opt(T0 - 86_400_000_000_000n + 6n * 3_600_000_000_000n),
  ]);
  mkdirSync(join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-17/hour=14'), { recursive: true });

  it('lists the dates, the hours and the part files', async () => {
    expect(await listBronzeDates(root, 'option_trades')).toEqual(['2025-12-15', '2025-12-16', '2025-12-17']);
    expect(await listBronzeDates(root)).toEqual(['2025-12-15', '2025-12-16', '2025-12-17']);
    expect(await listBronzeDates(root, 'futures_trades')).toEqual([]);
    const f = await listBronzeFiles(root, 'option_trades', DATE);
    expect(f.hours.map((h) => [h.hour, h.files.map((x) => basename(x))])).toEqual([
      ['14', ['part-143005_000001.parquet', 'part-143010_000002.parquet']],
      ['15', []],
      ['16', ['part-160001_000003.parquet']],
    ]);
    expect(f.hours[0]?.files).toEqual([fileA, fileB]);
    expect(f.dateLevelFiles).toEqual([]);
    // the bronze folder itself works as the root too
    expect((await listBronzeFiles(join(root, 'bronze'), 'option_trades', DATE)).hours.length).toBe(3);
  });

  it('merges the hour by ts_event_ns (ties: file name order), hours in order, skips and reports invalid rows', async () => {
    const invalid: InvalidRow[] = [];
    const warnings: string[] = [];
    const { events, stream } = await collect({
      root,
      table: 'option_trades',
      date: DATE,
      onInvalid: (r) => invalid.push(r),
      onWarn: (m) => warnings.push(m),
    });
    expect(tsOf(events.slice(0, 6))).toEqual([0n, 1_000n, 2_000n, 2_000n, 5_000n, 6_000n]);
    // equal ts across files: file A (earlier name) first
    expect((events[2]?.event as OptionTrade).seq).toBe(null);
    expect((events[3]?.event as OptionTrade).seq).toBe(5);
    expect(events.slice(6).map((p) => p.event.ts_event_ns - T16)).toEqual([0n, 1_000_000n, 2_000_000n, 3_000_000n, 4_000_000n]);
    for (let i = 1; i < events.length; i++)
      expect((events[i]?.event.ts_event_ns as bigint) >= (events[i - 1]?.event.ts_event_ns as bigint)).toBe(true);
    expect(invalid).toEqual([
      { file: fileB, row: 2, reason: 'size 0 < 1' },
      { file: fileB, row: 3, reason: 'right "X" is not C or P' },
    ]);
    expect(stream.stats).toMatchObject({
      files: 3,
      rowGroups: 5,
      rows: 13,
      invalid: 2,
      events: 11,
      hours: 3,
      emptyHours: 1,
      filtered: 0,
      failedFiles: 0,
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('hour=15 has no part files');
  });

  it('maps rows to OptionTrade as the contract wants (nulls, lists, exact floats, source replay)', async () => {
    const { events } = await collect({ root, table: 'option_trades', date: DATE });
    const e = events.map((p) => p.event as OptionTrade);
    expect(events.every((p) => p.subject === 'market.options.trades')).toBe(true);
    expect(e[0]).toEqual({
      ts_event_ns: T0,
      ts_recv_ns: T0 + 500n,
      source: 'replay',
      underlying: 'SPY',
      option_symbol: 'O:SPY251216C00676000',
      exp_date: '2025-12-16',
      strike: 676,
      right: 'C',
      price: 1.25,
      size: 3,
      opt_bid: 1.2,
      opt_ask: 1.3,
      aggressor: 1,
      conditions: [209, 219],
      seq: 1,
    });
    expect(e[1]?.price).toBe(0.1 + 0.2); // 0.30000000000000004, bit for bit
    expect(e[2]).toMatchObject({ opt_bid: null, opt_ask: null, seq: null, size: 5, conditions: null });
    expect(e[4]).toMatchObject({ conditions: [], aggressor: -1, right: 'P', strike: 670, option_symbol: 'O:SPY251216P00670000' });
    // every event is one the codec writes
    expect(encodeToString(events[0]?.event as OptionTrade, events[0]?.subject)).toBe(
      `{"ts_event_ns":${T0},"ts_recv_ns":${T0 + 500n},"source":"replay","underlying":"SPY","option_symbol":"O:SPY251216C00676000","exp_date":"2025-12-16","strike":676.0,"right":"C","price":1.25,"size":3,"opt_bid":1.2,"opt_ask":1.3,"aggressor":1,"conditions":[209,219],"seq":1}`,
    );
    for (const p of events) expect(() => encodeToString(p.event, p.subject)).not.toThrow();
    // source 'original' keeps the row's EventSource
    const orig = await collect({ root, table: 'option_trades', date: DATE, source: 'original' });
    expect(orig.events.every((p) => p.event.source === 'polygon_ws')).toBe(true);
  });

  it('gives content-based ids, the same on every read', async () => {
    const a = (await collect({ root, table: 'option_trades', date: DATE })).events.map((p) => p.msgId);
    const b = (await collect({ root, table: 'option_trades', date: DATE, batchSize: 1 })).events.map((p) => p.msgId);
    expect(b).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
    expect(a[0]).toMatch(new RegExp(`^market\\.options\\.trades:O:SPY251216C00676000:${T0}:${T0 + 500n}:1:[0-9a-f]{16}$`));
    expect(a[2]).toMatch(new RegExp(`^market\\.options\\.trades:O:SPY251216C00676000:${T0 + 2_000n}:${T0 + 2_500n}:-:[0-9a-f]{16}$`));
  });

  it('filters on [startNs, endNs) and the contract, pruning hours', async () => {
    const { events, stream } = await collect({ root, table: 'option_trades', date: DATE, startNs: T0 + 1_000n, endNs: T0 + 5_000n });
    expect(tsOf(events)).toEqual([1_000n, 2_000n, 2_000n]);
    expect(stream.stats.hours).toBe(1); // hours 15 and 16 are after endNs: not opened
    expect(stream.stats.filtered).toBe(3);
    const c = await collect({ root, table: 'option_trades', date: DATE, contract: 'O:SPY251216P00670000' });
    expect(c.events.map((p) => (p.event as OptionTrade).seq)).toEqual([3]);
    // row groups of hour 16 whose statistics are outside the range are not decoded
    const g = await collect({ root, table: 'option_trades', date: DATE, startNs: T16 + 3_000_000n });
    expect(g.events.map((p) => p.event.ts_event_ns - T16)).toEqual([3_000_000n, 4_000_000n]);
    expect(g.stream.stats.prunedRowGroups).toBe(1);
  });

  it('a date with no data (empty hour folders, or no folder) is not an error: warned once, no events', async () => {
    for (const date of ['2025-12-17', '2025-12-18']) {
      const warnings: string[] = [];
      const { events, batches } = await collect({ root, table: 'option_trades', date, onWarn: (m) => warnings.push(m) });
      expect(events).toEqual([]);
      expect(batches).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`no Bronze option_trades data for underlying=SPY date=${date}`);
    }
  });

  it('rejects bad options', () => {
    expect(() => readBronze({ root, table: 'nope' as never, date: DATE })).toThrow(/unknown Bronze table "nope"/);
    expect(() => readBronze({ root, table: 'option_trades', date: '20251216' })).toThrow(/YYYY-MM-DD/);
    expect(() => readBronze({ root, table: 'option_trades', date: DATE, startNs: 1 as never })).toThrow(/startNs must be a bigint/);
  });
});

describe('validation of the old system rules', () => {
  it('skips timestamps outside 2000..2100, strike <= 0, price < 0, NaN, crossed quotes', async () => {
    const root = tempDir('bronze-val-');
    const p = writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-1.parquet'), 'option_trades', [
      opt(T0, { ts_recv_ns: 0n }),
      opt(T0 + 1n, { strike: 0 }),
      opt(T0 + 2n, { price: -0.01 }),
      opt(T0 + 3n, { price: Number.NaN }),
      opt(T0 + 4n, { opt_bid: -1 }),
      opt(T0 + 5n, { seq: -1n }),
      opt(T0 + 6n, { underlying: 'SPYSPYSPYSP' }),
      opt(T0 + 7n, { exp_date: 10_000 }),
      opt(T0 + 8n, { aggressor: 2 }),
      opt(T0 + 9n, { price: 0 }), // price >= 0 is allowed for options
    ]);
    const invalid: InvalidRow[] = [];
    const { events } = await collect({ root, table: 'option_trades', date: DATE, onInvalid: (r) => invalid.push(r) });
    expect(events.map((e) => e.event.ts_event_ns - T0)).toEqual([9n]);
    expect(invalid.map((r) => [r.row, r.reason])).toEqual([
      [0, 'ts_recv_ns 0 is outside 2000-01-01..2100-01-01'],
      [1, 'strike 0 <= 0'],
      [2, 'price -0.01 < 0'],
      [3, 'price is not finite (NaN)'],
      [4, 'opt_bid -1 < 0'],
      [5, 'seq -1 < 0'],
      [6, 'underlying "SPYSPYSPYSP" must have 1..10 characters'],
      [7, 'exp_date is before 2000-01-01'],
      [8, 'aggressor 2 is not 1, -1 or 0'],
    ]);
    expect(invalid.every((r) => r.file === p)).toBe(true);

    const q = (ts: bigint, o: Partial<Row>): Row => ({
      ts_event_ns: ts,
      ts_recv_ns: ts + 1n,
      source: 'polygon_ws',
      symbol: 'SPY',
      bid_px: 676.1,
      ask_px: 676.2,
      bid_sz: 100,
      ask_sz: 200,
      bid_exch: 4,
      ask_exch: null,
      seq: 7n,
      ...o,
    });
    writeBronzeFile(bronzePath(root, 'stock_quotes', 'SPY', DATE, '14', 'part-1.parquet'), 'stock_quotes', [
      q(T0, {}),
      q(T0 + 1n, { bid_px: 676.3 }), // crossed
      q(T0 + 2n, { bid_px: 676.2 }), // locked: allowed
      q(T0 + 3n, { bid_px: 0, bid_sz: 0 }), // empty bid: allowed
    ]);
    const reasons: string[] = [];
    const qs = await collect({ root, table: 'stock_quotes', date: DATE, onInvalid: (r) => reasons.push(r.reason) });
    expect(qs.events.map((e) => e.event.ts_event_ns - T0)).toEqual([0n, 2n, 3n]);
    expect(reasons).toEqual(['crossed quote: ask_px 676.2 < bid_px 676.3']);
    expect(qs.events[0]?.event as StockQuote).toEqual({
      ts_event_ns: T0,
      ts_recv_ns: T0 + 1n,
      source: 'replay',
      symbol: 'SPY',
      bid_px: 676.1,
      ask_px: 676.2,
      bid_sz: 100,
      ask_sz: 200,
      bid_exch: 4,
      ask_exch: null,
      seq: 7,
    });
  });
});

describe('stock trades, futures trades and MBP-10', () => {
  const root = tempDir('bronze-fut-');
  writeBronzeFile(bronzePath(root, 'stock_trades', 'SPY', DATE, '14', 'part-143000_000000.parquet'), 'stock_trades', [
    {
      ts_event_ns: T0,
      ts_recv_ns: T0 + 9n,
      source: 'massive_ws',
      symbol: 'SPY',
      price: 676.0,
      size: 100,
      exchange: 4,
      conditions: [12, 37],
      seq: 4521n,
    },
    {
      ts_event_ns: T0 + 1n,
      ts_recv_ns: T0 + 9n,
      source: 'massive_ws',
      symbol: 'SPY',
      price: 0,
      size: 1,
      exchange: null,
      conditions: null,
      seq: null,
    },
  ]);
  const trade = (ts: bigint, sym: string, seq: bigint): Row => ({
    ts_event_ns: ts,
    ts_recv_ns: ts + 7_284n,
    source: 'direct_feed',
    symbol: sym,
    price: 6848.25,
    size: 2,
    aggressor: -1,
    exchange: 'CME',
    conditions: null,
    seq,
  });
  writeBronzeFile(bronzePath(root, 'futures_trades', 'ES', DATE, '14', 'part-143000_000000.parquet'), 'futures_trades', [
    trade(T0, 'ESZ5', 1_170_352n),
    trade(T0 + 10n, 'ESH6', 1_170_353n),
    trade(T0 + 20n, 'ESZ5', 1_170_354n),
  ]);
  const level = (n: number) => ({ px: n <= 3 ? 6848.25 - 0.25 * (n - 1) : 0, sz: n <= 3 ? 10 * n : 0 });
  const mbp = (ts: bigint, o: Partial<Row> = {}): Row => {
    const r: Row = { ts_event_ns: ts, ts_recv_ns: ts + 1n, source: 'direct_feed', symbol: 'ESZ5' };
    for (let n = 1; n <= 10; n++) {
      r[`bid_px_${n}`] = level(n).px;
      r[`bid_sz_${n}`] = level(n).sz;
    }
    for (let n = 1; n <= 10; n++) {
      r[`ask_px_${n}`] = level(n).px === 0 ? 0 : level(n).px + 1;
      r[`ask_sz_${n}`] = level(n).sz;
    }
    return { ...r, is_snapshot: false, seq: 99n, ...o };
  };
  writeBronzeFile(bronzePath(root, 'futures_mbp10', 'ES', DATE, '14', 'part-143000_000000.parquet'), 'futures_mbp10', [
    mbp(T0),
    mbp(T0 + 5n, { bid_sz_2: -1 }),
    mbp(T0 + 6n, { is_snapshot: true, seq: null }),
  ]);

  it('stock trades: exchange, conditions, price > 0', async () => {
    const invalid: string[] = [];
    const { events } = await collect({ root, table: 'stock_trades', date: DATE, onInvalid: (r) => invalid.push(r.reason) });
    expect(events).toHaveLength(1);
    expect(encodeToString(events[0]?.event as never, events[0]?.subject)).toBe(
      `{"ts_event_ns":${T0},"ts_recv_ns":${T0 + 9n},"source":"replay","symbol":"SPY","price":676.0,"size":100,"exchange":4,"conditions":[12,37],"seq":4521}`,
    );
    expect(invalid).toEqual(['price 0 <= 0']);
  });

  it('futures trades: the contract from the file column (not the ES folder), contract filter', async () => {
    const { events } = await collect({ root, table: 'futures_trades', date: DATE });
    expect(events.map((p) => (p.event as { symbol: string }).symbol)).toEqual(['ESZ5', 'ESH6', 'ESZ5']);
    expect(encodeToString(events[0]?.event as never, events[0]?.subject)).toBe(
      `{"ts_event_ns":${T0},"ts_recv_ns":${T0 + 7_284n},"source":"replay","symbol":"ESZ5","price":6848.25,"size":2,"aggressor":-1,"exchange":"CME","conditions":null,"seq":1170352}`,
    );
    expect(events[0]?.msgId).toMatch(new RegExp(`^market\\.futures\\.trades:ESZ5:${T0}:${T0 + 7_284n}:1170352:[0-9a-f]{16}$`));
    const only = await collect({ root, table: 'futures_trades', date: DATE, symbol: 'ES', contract: 'ESZ5' });
    expect(only.events.map((p) => p.event.ts_event_ns - T0)).toEqual([0n, 20n]);
    expect(only.stream.stats.filtered).toBe(1);
  });

  it('MBP-10: flat level columns to 10 levels, 0.0/0 padding to an empty side (null price, size 0)', async () => {
    const invalid: string[] = [];
    const { events } = await collect({ root, table: 'futures_mbp10', date: DATE, onInvalid: (r) => invalid.push(r.reason) });
    expect(invalid).toEqual(['bid_2_sz -1 < 0']);
    const m = events.map((p) => p.event as MBP10);
    expect(m).toHaveLength(2);
    expect(m[0]?.levels[0]).toEqual({ bid_px: 6848.25, bid_sz: 10, ask_px: 6849.25, ask_sz: 10 });
    expect(m[0]?.levels[2]).toEqual({ bid_px: 6847.75, bid_sz: 30, ask_px: 6848.75, ask_sz: 30 });
    expect(m[0]?.levels[3]).toEqual({ bid_px: null, bid_sz: 0, ask_px: null, ask_sz: 0 });
    expect(m[0]?.levels).toHaveLength(10);
    expect(m[1]).toMatchObject({ is_snapshot: true, seq: null, symbol: 'ESZ5', source: 'replay' });
    for (const p of events) expect(() => encodeToString(p.event, p.subject)).not.toThrow();
  });
});

describe('large row groups', () => {
  it('decodes a row group page by page: every value right across page and window boundaries', async () => {
    const root = tempDir('bronze-big-');
    const N = 100_000;
    const cond = (i: number) => (i % 7 === 0 ? [i % 300, 219] : i % 11 === 0 ? [] : null);
    const rows: Row[] = [];
    for (let i = 0; i < N; i++) {
      rows.push(
        opt(T0 + BigInt(i) * 1_000n, {
          seq: i % 13 === 0 ? null : BigInt(i),
          conditions: cond(i),
          opt_bid: i % 5 === 0 ? null : i / 1000,
          price: 0.01 * (i % 977) + 0.01,
        }),
      );
    }
    const p = bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-1.parquet');
    writeBronzeFile(p, 'option_trades', rows, { pageSize: 64 * 1024 });
    const s = readBronze({ root, table: 'option_trades', date: DATE });
    let i = 0;
    for await (const b of s) {
      for (const e of b) {
        const ev = e.event as OptionTrade;
        if (
          ev.ts_event_ns !== T0 + BigInt(i) * 1_000n ||
          ev.seq !== (i % 13 === 0 ? null : i) ||
          JSON.stringify(ev.conditions) !== JSON.stringify(cond(i)) ||
          ev.opt_bid !== (i % 5 === 0 ? null : i / 1000) ||
          ev.price !== 0.01 * (i % 977) + 0.01
        ) {
          throw new Error(`row ${i} differs: ${encodeToString(ev, e.subject)}`);
        }
        i++;
      }
    }
    expect(i).toBe(N);
    expect(s.stats).toMatchObject({ rowGroups: 1, rows: N, events: N, invalid: 0 });
  });
});

describe('duplicates (at-least-once writes)', () => {
  it('an exact duplicate row in another file has the same id: counted, dropped on request', async () => {
    const root = tempDir('bronze-dup-');
    const row = opt(T0 + 7n, { seq: 42n });
    writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-1.parquet'), 'option_trades', [opt(T0), row]);
    writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-2.parquet'), 'option_trades', [
      row,
      opt(T0 + 7n, { seq: 42n, price: 9 }),
    ]);
    const all = await collect({ root, table: 'option_trades', date: DATE });
    expect(all.events.map((p) => p.event.ts_event_ns - T0)).toEqual([0n, 7n, 7n, 7n]);
    expect(all.events[1]?.msgId).toBe(all.events[2]?.msgId);
    expect(all.events[3]?.msgId).not.toBe(all.events[1]?.msgId); // same identity, other content
    expect(all.stream.stats.duplicates).toBe(1);
    const dedup = await collect({ root, table: 'option_trades', date: DATE, dropDuplicates: true });
    expect(dedup.events.map((p) => (p.event as OptionTrade).price)).toEqual([1.25, 1.25, 9]);
    expect(dedup.stream.stats).toMatchObject({ duplicates: 1, events: 3 });
  });
});

describe('broken files', () => {
  function lake(prefix: string, broken: (hourDir: string) => string) {
    const root = tempDir(prefix);
    writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-140000_000000.parquet'), 'option_trades', [
      opt(T14 + 1n),
      opt(T14 + 2n),
    ]);
    writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '15', 'part-150000_000000.parquet'), 'option_trades', [
      opt(T14 + 3_600_000_000_001n, { seq: 1n }),
      opt(T14 + 3_600_000_000_003n, { seq: 3n }),
    ]);
    const hour15 = join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-16/hour=15');
    const bad = broken(hour15);
    writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', DATE, '16', 'part-160000_000000.parquet'), 'option_trades', [opt(T16 + 1n)]);
    return { root, bad };
  }

  const cases: Array<{ name: string; code: string; column?: string; message: RegExp; make: (dir: string) => string }> = [
    {
      name: 'a file that is not Parquet',
      code: 'not_parquet',
      message: /not a Parquet file \(\d+ bytes, no PAR1 magic at the start\)/,
      make: (dir) => {
        const p = join(dir, 'part-150001_000000.parquet');
        writeFileSync(p, 'ts_event_ns,price\n1,2\n');
        return p;
      },
    },
    {
      name: 'a truncated file',
      code: 'truncated',
      message: /truncated Parquet file/,
      make: (dir) => {
        const p = writeBronzeFile(join(dir, 'part-150001_000000.parquet'), 'option_trades', [opt(T14 + 3_600_000_000_002n)]);
        const b = readFileSync(p);
        writeFileSync(p, b.subarray(0, Math.floor(b.length / 2)));
        return p;
      },
    },
    {
      name: 'a file without a required column',
      code: 'missing_column',
      column: 'strike',
      message: /required column strike is missing \(table options\.trades\.v1\)/,
      make: (dir) =>
        writeBronzeFile(join(dir, 'part-150001_000000.parquet'), 'option_trades', [opt(T14 + 3_600_000_000_002n)], { omit: ['strike'] }),
    },
  ];

  for (const c of cases) {
    it(`${c.name}: BronzeError naming file and column, after the rows read before it`, async () => {
      const { root, bad } = lake(`bronze-${c.code}-`, c.make);
      const { events, error } = await collectUntilError({ root, table: 'option_trades', date: DATE });
      expect(error).toBeInstanceOf(BronzeError);
      const e = error as BronzeError;
      expect(e.code).toBe(c.code);
      expect(e.file).toBe(bad);
      expect(e.column).toBe(c.column);
      expect(e.message).toContain(bad);
      if (c.column !== undefined) expect(e.message).toContain(`column ${c.column}`);
      expect(e.message).toMatch(c.message);
      // hour 14 and the good file of hour 15 were delivered, in order; hour 16 was not read
      expect(events.map((p) => p.event.ts_event_ns - T14)).toEqual([1n, 2n, 3_600_000_000_001n, 3_600_000_000_003n]);

      // with onFileError the error is reported and the day goes on
      const reported: BronzeError[] = [];
      const rest = await collect({ root, table: 'option_trades', date: DATE, onFileError: (x) => reported.push(x) });
      expect(reported.map((x) => [x.code, x.file])).toEqual([[c.code, bad]]);
      expect(rest.events.map((p) => p.event.ts_event_ns - T14)).toEqual([
        1n,
        2n,
        3_600_000_000_001n,
        3_600_000_000_003n,
        7_200_000_000_001n,
      ]);
      expect(rest.stream.stats.failedFiles).toBe(1);
    });
  }

  it('a column of the wrong physical type', async () => {
    const root = tempDir('bronze-type-');
    const p = bronzePath(root, 'option_trades', 'SPY', DATE, '14', 'part-1.parquet');
    writeStringTs(p); // ts_event_ns written as a string column
    const { events, error } = await collectUntilError({ root, table: 'option_trades', date: DATE });
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(BronzeError);
    expect((error as BronzeError).code).toBe('bad_column_type');
    expect((error as BronzeError).column).toBe('ts_event_ns');
    expect((error as BronzeError).message).toContain('column ts_event_ns is BYTE_ARRAY, expected INT64');
  });
});

function writeStringTs(p: string): void {
  mkdirSync(join(p, '..'), { recursive: true });
  parquetWriteFile({
    filename: p,
    columnData: [
      { name: 'ts_event_ns', data: ['1765895400000000000'], type: 'STRING' },
      { name: 'ts_recv_ns', data: [1n], type: 'INT64' },
    ],
  });
}
