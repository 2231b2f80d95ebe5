/**
 * readBronzeEncoded (the fast replay lane) against readBronze + encode: the same rows, bytes, ids, order,
 * invalid rows, warnings, counts and errors, on the edge cases of the Bronze lake and on random rows.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@md/test-support/fixtures';
import { Rng } from '@md/test-support';
import { bronzePath, writeBronzeFile as writeFile, type BronzeTable, type Row, type WriteOptions } from '@md/test-support/bronze';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { type BronzeError, ENCODED_TABLES, readBronzeEncoded } from '../src/index.ts';
import { encodedSide, expectSame } from './encoded-compare.ts';
import { compress } from 'zstd-napi';

const zstd = (b: Uint8Array): Uint8Array => new Uint8Array(compress(b, { compressionLevel: 3 }));
const writeBronzeFile = (path: string, table: BronzeTable, rows: readonly Row[], o: WriteOptions = {}): string =>
  writeFile(path, table, rows, { zstd, ...o });

const DATE = '2025-12-16';
const T14 = 1_765_893_600_000_000_000n;
const T0 = 1_765_895_400_000_000_000n;
const T16 = T14 + 2n * 3_600_000_000_000n;
const HOUR = 3_600_000_000_000n;
const DAY_DAYS = 20_438;
const table = 'option_trades' as const;

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

describe('readBronzeEncoded: option trades, the same as readBronze + encode', () => {
  const root = tempDir('bronze-enc-');
  // hour 14: two overlapping part files (an equal ts_event_ns across them), rows failing the rules
  writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '14', 'part-143005_000001.parquet'), table, [
    opt(T0, { conditions: [209, 219], seq: 1n }),
    opt(T0 + 2_000n, { opt_bid: null, opt_ask: null, seq: null, size: 5 }),
    opt(T0 + 5_000n, { conditions: [], seq: 3n, aggressor: -1, right: 'P', option_symbol: 'O:SPY251216P00670000', strike: 670.0 }),
  ]);
  writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '14', 'part-143010_000002.parquet'), table, [
    opt(T0 + 1_000n, { seq: 4n, price: 0.1 + 0.2 }),
    opt(T0 + 2_000n, { seq: 5n, aggressor: 0, opt_bid: null }),
    opt(T0 + 3_000n, { seq: 6n, size: 0 }),
    opt(T0 + 4_000n, { seq: 7n, right: 'X' }),
    opt(T0 + 6_000n, { seq: 8n, price: 1e-5, opt_ask: 123456789.125, strike: 2 ** 31 + 0.5 }),
  ]);
  // hour 15: empty; hour 16: several row groups
  mkdirSync(join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-16/hour=15'), { recursive: true });
  writeBronzeFile(
    bronzePath(root, table, 'SPY', DATE, '16', 'part-160001_000003.parquet'),
    table,
    [0n, 1n, 2n, 3n, 4n].map((k) => opt(T16 + k * 1_000_000n, { seq: 100n + k })),
    { rowGroupSize: 2 },
  );
  mkdirSync(join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-17/hour=14'), { recursive: true });

  it('the day: overlapping files merged, empty hour warned, invalid rows reported, nulls and lists', async () => {
    const a = await expectSame({ root, table, date: DATE });
    expect(a.rows).toHaveLength(11);
    expect(a.invalid.map((r) => r.reason)).toEqual(['size 0 < 1', 'right "X" is not C or P']);
    expect(a.warnings).toHaveLength(1);
    expect(a.rows.some((r) => r.body.includes('"opt_bid":null,"opt_ask":null'))).toBe(true);
    expect(a.rows.some((r) => r.body.includes('"conditions":[]'))).toBe(true);
    expect(a.rows.some((r) => r.body.includes('"price":1e-05'))).toBe(true);
  });

  it('batch sizes, start/end windows, a contract, order ts_recv, no data', async () => {
    for (const batchSize of [1, 3, 4096]) await expectSame({ root, table, date: DATE, batchSize });
    const w = await expectSame({ root, table, date: DATE, startNs: T0 + 1_000n, endNs: T0 + 5_000n });
    expect(w.rows.map((r) => r.ts - T0)).toEqual([1_000n, 2_000n, 2_000n]);
    expect(w.stats.filtered).toBe(3);
    const g = await expectSame({ root, table, date: DATE, startNs: T16 + 3_000_000n });
    expect(g.stats.prunedRowGroups).toBe(1);
    const c = await expectSame({ root, table, date: DATE, contract: 'O:SPY251216P00670000' });
    expect(c.rows).toHaveLength(1);
    const r = await expectSame({ root, table, date: DATE }, 'ts_recv');
    expect(r.rows[0]?.key).toBe(T0 + 500n);
    for (const date of ['2025-12-17', '2025-12-18']) {
      const n = await expectSame({ root, table, date });
      expect([n.rows.length, n.warnings.length]).toEqual([0, 1]);
    }
  });

  it('keys: the ts_event_ns arrays themselves, or ts_recv_ns', async () => {
    const e = await encodedSide({ root, table, date: DATE });
    for (const b of e.batches) expect([b.keyHi === b.tsHi, b.keyLo === b.tsLo]).toEqual([true, true]);
    const r = await encodedSide({ root, table, date: DATE }, 'ts_recv');
    expect(r.rows.every((x) => x.key === x.ts + 500n)).toBe(true);
  });

  it('rejects bad options and tables without an encoded form', () => {
    expect(ENCODED_TABLES).toContain('option_trades');
    expect(() => readBronzeEncoded({ root, table: 'nope' as never, date: DATE })).toThrow(/unknown Bronze table "nope"/);
    expect(() => readBronzeEncoded({ root, table, date: '20251216' })).toThrow(/YYYY-MM-DD/);
    expect(() => readBronzeEncoded({ root, table, date: DATE, source: 'original' as never })).toThrow(/source/);
    const other = (['stock_trades', 'stock_quotes', 'futures_trades', 'futures_mbp10'] as const).find((t) => !ENCODED_TABLES.includes(t));
    if (other !== undefined) expect(() => readBronzeEncoded({ root, table: other, date: DATE })).toThrow(/no encoded form/);
  });
});

describe('readBronzeEncoded: rule violations and unusual columns go through the object path', () => {
  it('every validation rule gives the same reason, row and skip', async () => {
    const root = tempDir('bronze-enc-val-');
    writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '14', 'part-1.parquet'), table, [
      opt(T0, { ts_recv_ns: 0n }),
      opt(T0 + 1n, { strike: 0 }),
      opt(T0 + 2n, { price: -0.01 }),
      opt(T0 + 3n, { price: Number.NaN }),
      opt(T0 + 4n, { opt_bid: -1 }),
      opt(T0 + 5n, { seq: -1n }),
      opt(T0 + 6n, { underlying: 'SPYSPYSPYSP' }),
      opt(T0 + 7n, { exp_date: 10_000 }),
      opt(T0 + 8n, { aggressor: 2 }),
      opt(T0 + 9n, { price: 0 }),
      opt(T0 + 10n, { seq: 2n ** 53n }),
      opt(T0 + 11n, { seq: 2n ** 53n - 1n }),
      opt(T0 + 12n, { ts_event_ns: 4_102_444_800_000_000_001n }),
      opt(T0 + 13n, { option_symbol: 'O:"SPY\\é😀' }),
      opt(T0 + 14n, { option_symbol: 'O:SPY\n' }),
      opt(T0 + 15n, { strike: Infinity }),
      opt(T0 + 16n, { opt_ask: 5e-324, price: 1e16, strike: 9999999999999998 }),
      opt(T0 + 17n, { ts_event_ns: T0 + 1n }), // steps back: warned once
      opt(T0 + 18n, { ts_event_ns: T0 }),
    ]);
    const a = await expectSame({ root, table, date: DATE });
    expect(a.invalid.map((x) => x.row)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 15]);
    expect(a.rows.length).toBe(6);
    expect(a.stats.outOfOrder).toBe(2);
    expect(a.warnings.some((w) => w.includes('steps back'))).toBe(true);
    expect(a.rows.some((r) => r.body.includes('"option_symbol":"O:\\"SPY\\\\é😀"'))).toBe(true);
  });

  it('legacy columns (text exp_date and conditions, nullable timestamps, int64 numbers, int32 seq)', async () => {
    const root = tempDir('bronze-enc-legacy-');
    const p = bronzePath(root, table, 'SPY', DATE, '14', 'part-1.parquet');
    mkdirSync(join(p, '..'), { recursive: true });
    const n = 6;
    const ts = Array.from({ length: n }, (_, i) => T0 + BigInt(i));
    parquetWriteFile({
      filename: p,
      columnData: [
        { name: 'ts_event_ns', data: [...ts.slice(0, 4), null, ts[5]], type: 'INT64' },
        { name: 'ts_recv_ns', data: ts.map((t) => t + 9n), type: 'INT64' },
        { name: 'source', data: Array(n).fill('polygon_rest'), type: 'STRING' },
        { name: 'underlying', data: Array(n).fill('SPY'), type: 'STRING' },
        { name: 'option_symbol', data: Array(n).fill('O:SPY251216C00676000'), type: 'STRING' },
        {
          name: 'exp_date',
          data: ['2025-12-16', '2025-12-16T00:00:00', '2025-13-01', '2025-12-16', '2025-12-16', '2025-12-16'],
          type: 'STRING',
        },
        { name: 'strike', data: [676n, 676n, 676n, 0n, 676n, 676n], type: 'INT64' },
        { name: 'right', data: ['C', 'P', 'C', 'C', 'C', null], type: 'STRING' },
        { name: 'price', data: [1.5, 2, 3, 4, 5, 6], type: 'DOUBLE' },
        { name: 'size', data: [1n, 2n, 2n ** 60n, 3n, 4n, 5n], type: 'INT64' },
        { name: 'opt_bid', data: [null, 1, 2, 3, 4, 5], type: 'DOUBLE' },
        { name: 'aggressor', data: [null, 1, -1, 0, 1, 1], type: 'INT32' },
        { name: 'conditions', data: ['[12, 45]', null, '<NA>', '[]', 'x', '[1]'], type: 'STRING' },
        { name: 'seq', data: [1, null, 3, 4, 5, 6], type: 'INT32' },
      ],
    });
    const a = await expectSame({ root, table, date: DATE });
    expect(a.rows.length).toBeGreaterThan(0);
    expect(a.invalid.length).toBeGreaterThan(0);
  });
});

describe('readBronzeEncoded: broken files raise the same BronzeError after the same rows', () => {
  function lake(prefix: string, broken: (hourDir: string) => void) {
    const root = tempDir(prefix);
    writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '14', 'part-140000_000000.parquet'), table, [opt(T14 + 1n), opt(T14 + 2n)]);
    writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '15', 'part-150000_000000.parquet'), table, [
      opt(T14 + HOUR + 1n, { seq: 1n }),
      opt(T14 + HOUR + 3n, { seq: 3n }),
    ]);
    broken(join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-16/hour=15'));
    writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '16', 'part-160000_000000.parquet'), table, [opt(T16 + 1n)]);
    return root;
  }
  const cases: Record<string, (dir: string) => void> = {
    not_parquet: (dir) => writeFileSync(join(dir, 'part-150001_000000.parquet'), 'ts_event_ns,price\n1,2\n'),
    truncated: (dir) => {
      const p = writeBronzeFile(join(dir, 'part-150001_000000.parquet'), table, [opt(T14 + HOUR + 2n)]);
      const b = readFileSync(p);
      writeFileSync(p, b.subarray(0, Math.floor(b.length / 2)));
    },
    missing_column: (dir) => writeBronzeFile(join(dir, 'part-150001_000000.parquet'), table, [opt(T14 + HOUR + 2n)], { omit: ['strike'] }),
  };
  for (const [code, make] of Object.entries(cases)) {
    it(code, async () => {
      const root = lake(`bronze-enc-${code}-`, make);
      const a = await expectSame({ root, table, date: DATE });
      expect((a.error as BronzeError).code).toBe(code);
      expect(a.rows.map((r) => r.ts - T14)).toEqual([1n, 2n, HOUR + 1n, HOUR + 3n]);
      const reported: BronzeError[] = [];
      const b = await expectSame({ root, table, date: DATE, onFileError: (x) => reported.push(x) });
      expect(b.rows).toHaveLength(5);
    });
  }
});

describe('readBronzeEncoded: duplicates and random rows', () => {
  it('an exact duplicate across files: counted, dropped on request', async () => {
    const root = tempDir('bronze-enc-dup-');
    const row = opt(T0 + 7n, { seq: 42n });
    writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '14', 'part-1.parquet'), table, [opt(T0), row]);
    writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '14', 'part-2.parquet'), table, [row, opt(T0 + 7n, { seq: 42n, price: 9 })]);
    expect((await expectSame({ root, table, date: DATE })).stats.duplicates).toBe(1);
    const d = await expectSame({ root, table, date: DATE, dropDuplicates: true });
    expect([d.rows.length, d.stats.duplicates]).toEqual([3, 1]);
  });

  it('random rows over overlapping files, small pages and row groups (seeded)', async () => {
    const seed = Number(process.env.BRONZE_SEED ?? 20251216);
    const r = new Rng(seed);
    const root = tempDir('bronze-enc-rand-');
    const floats = [0.05, 1.25, 0.1 + 0.2, 1e-5, 5e-324, 1e16, 123.456789, 2 ** 31 + 0.25, 676, 0, 12.34, 99999.99];
    const syms = [
      'O:SPY251216C00676000',
      'O:SPY251216P00670000',
      'O:SPY251216C00700500',
      'O:SP"Y\\251216C00676000',
      'O:SPYé251216C00676000',
    ];
    const row = (ts: bigint): Row =>
      opt(ts, {
        ts_recv_ns: r.next() < 0.01 ? 1n : ts + BigInt(r.int(0, 1_000_000)),
        option_symbol: r.pick(syms),
        strike: r.next() < 0.01 ? 0 : r.pick(floats) || 1,
        right: r.next() < 0.01 ? 'c' : r.pick(['C', 'P']),
        price: r.next() < 0.01 ? -1 : r.pick(floats),
        size: r.int(r.next() < 0.01 ? 0 : 1, 500),
        opt_bid: r.next() < 0.2 ? null : r.pick(floats),
        opt_ask: r.next() < 0.2 ? null : r.pick(floats),
        aggressor: r.int(-1, r.next() < 0.01 ? 5 : 1),
        conditions: r.pick([null, null, null, [], [209], [12, 37, 219], [-3]]),
        seq: r.next() < 0.2 ? null : r.next() < 0.01 ? 2n ** 55n : BigInt(r.int(0, 2 ** 40)),
        exp_date: r.next() < 0.01 ? 100 : DAY_DAYS + r.int(0, 30),
      });
    for (let f = 0; f < 3; f++) {
      const rows: Row[] = [];
      let ts = T14 + BigInt(f);
      for (let i = 0; i < 4_000; i++) rows.push(row((ts += BigInt(r.int(0, 3) * 1_000))));
      writeBronzeFile(bronzePath(root, table, 'SPY', DATE, '14', `part-${f}.parquet`), table, rows, {
        rowGroupSize: 1_500,
        pageSize: 8 * 1024,
      });
    }
    for (const order of ['ts_event', 'ts_recv'] as const) {
      const a = await expectSame({ root, table, date: DATE, batchSize: 1000 }, order);
      expect(a.rows.length).toBeGreaterThan(10_000);
      expect(a.invalid.length).toBeGreaterThan(0);
    }
    await expectSame({ root, table, date: DATE, startNs: T14 + 1_000_000n, endNs: T14 + 3_000_000n, batchSize: 77 });
  });
});
