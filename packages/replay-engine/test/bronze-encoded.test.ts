/**
 * BronzeSource.encodedBatches (the fast lane) against BronzeSource.batches + encode, on a Bronze lake written from
 * the sample session's option trades (two overlapping part files an hour) plus the lake's edge cases: the same
 * bodies byte for byte, ids, order, invalid-row warnings and counts, errors after the same rows. CombinedSource's
 * dispatch of each kind to the source that serves it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapDbnFile } from '@md/dbn-reader';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { encode, halvesToBigInt, type EncodedBatch, type Publishable } from '@md/event-types';
import { bronzePath, writeBronzeFile, writeBronzeLake, type Row } from '@md/test-support/bronze';
import { BronzeSource, CombinedSource, DataRootSource, type ReplaySource } from '../src/index.js';
import type { EncodedReadOptions } from '../src/source.js';
import { tempDir } from './helpers';

const td = new TextDecoder();
interface Out {
  rows: string[];
  warnings: string[];
  error: string | null;
}

async function objectOut(src: (w: string[]) => ReplaySource, kind: 'options', date: string, range = {}, order = 'ts_event'): Promise<Out> {
  const warnings: string[] = [];
  const rows: string[] = [];
  let error: string | null = null;
  try {
    for await (const b of src(warnings).batches(kind, date, range))
      for (const p of b as Publishable[]) {
        const key = order === 'ts_recv' ? p.event.ts_recv_ns : p.event.ts_event_ns;
        rows.push(`${p.subject}\t${p.msgId}\t${key}\t${p.event.ts_event_ns}\t${td.decode(encode(p.event, p.subject))}`);
      }
  } catch (e) {
    error = (e as Error).message;
  }
  return { rows, warnings, error };
}

async function encodedOut(src: (w: string[]) => ReplaySource, kind: 'options', date: string, range = {}, order = 'ts_event'): Promise<Out> {
  const warnings: string[] = [];
  const rows: string[] = [];
  let error: string | null = null;
  const o: EncodedReadOptions = { order: order as 'ts_event' };
  const lane = src(warnings).encodedBatches?.(kind, date, range, o);
  expect(lane).toBeTruthy();
  try {
    for await (const b of lane as AsyncIterable<EncodedBatch>)
      for (let i = 0; i < b.length; i++) {
        const id = td.decode(b.bytes.subarray(b.idStart[i], b.idEnd[i]));
        const body = td.decode(b.bytes.subarray(b.bodyStart[i], b.bodyEnd[i]));
        const key = halvesToBigInt(b.keyHi[i] as number, b.keyLo[i] as number);
        const ts = halvesToBigInt(b.tsHi[i] as number, b.tsLo[i] as number);
        rows.push(`${b.subjects[b.subject[i] as number]}\t${id}\t${key}\t${ts}\t${body}`);
      }
  } catch (e) {
    error = (e as Error).message;
  }
  return { rows, warnings, error };
}

const T = 1_765_893_600_000_000_000n; // 2025-12-16T14:00Z
function opt(ts: bigint, o: Partial<Row> = {}): Row {
  return {
    ...{ ts_event_ns: ts, ts_recv_ns: ts + 500n, source: 'polygon_ws', underlying: 'SPY', option_symbol: 'O:SPY251216C00676000' },
    ...{ exp_date: 20_438, strike: 676.0, right: 'C', price: 1.25, size: 3, opt_bid: 1.2, opt_ask: 1.3, aggressor: 1 },
    ...{ conditions: null, seq: 10n, ...o },
  };
}

describe('BronzeSource.encodedBatches', () => {
  it('the sample session as Bronze (overlapping part files): the same bytes, ids and order as batches()', async () => {
    const dbn = tempDir('bronze-enc-dbn-');
    const g = await generateSampleSession({ root: dbn, seed: 23, trades: 200, mbp10: 100, options: 3000 });
    const options: Publishable[] = [];
    for await (const p of mapDbnFile(join(dbn, 'options', `opra-pillar-${g.date.replace(/-/g, '')}.trades.dbn.zst`), { kind: 'options' }))
      options.push(p);
    const root = tempDir('bronze-enc-lake-');
    writeBronzeLake(root, options, { filesPerHour: 3, write: { rowGroupSize: 700, pageSize: 16 * 1024 } });
    const src = (w: string[]) => new BronzeSource({ root, onWarning: (m) => w.push(m) });
    for (const order of ['ts_event', 'ts_recv']) {
      const a = await objectOut(src, 'options', g.date, {}, order);
      expect(a.rows.length).toBe(options.length);
      expect(await encodedOut(src, 'options', g.date, {}, order)).toEqual(a);
    }
    const first = options[0]?.event.ts_event_ns as bigint;
    const range = { start: first + 60_000_000_000n, end: first + 600_000_000_000n };
    const w = await objectOut(src, 'options', g.date, range);
    expect(w.rows.length).toBeGreaterThan(0);
    expect(w.rows.length).toBeLessThan(options.length);
    expect(await encodedOut(src, 'options', g.date, range)).toEqual(w);
    // the tables without an encoded form take the object path
    expect(new BronzeSource({ root }).encodedBatches('stockTrades', g.date, {}, { order: 'ts_event' })).toBe(null);
  }, 60_000);

  it('edge cases: empty hour, nulls, invalid rows (named up to the limit), a truncated file: the same warnings and error', async () => {
    const root = tempDir('bronze-enc-edge-');
    const date = '2025-12-16';
    const rows: Row[] = [];
    for (let i = 0; i < 40; i++)
      rows.push(
        opt(T + BigInt(i) * 10n, {
          opt_bid: i % 3 === 0 ? null : 1.2,
          conditions: i % 4 === 0 ? [] : i % 4 === 1 ? null : [209],
          size: i % 5 === 0 ? 0 : 3,
        }),
      );
    writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', date, '14', 'part-1.parquet'), 'option_trades', rows);
    writeBronzeFile(bronzePath(root, 'option_trades', 'SPY', date, '14', 'part-2.parquet'), 'option_trades', [opt(T + 5n), opt(T + 10n)]);
    mkdirSync(join(root, 'bronze/options/trades/underlying=SPY/date=2025-12-16/hour=15'), { recursive: true });
    const bad = bronzePath(root, 'option_trades', 'SPY', date, '16', 'part-1.parquet');
    writeBronzeFile(bad, 'option_trades', [opt(T + 7_200_000_000_000n)]);
    writeFileSync(bad, Buffer.from('PAR1 not really a parquet file'));
    const src = (w: string[]) => new BronzeSource({ root, onWarning: (m) => w.push(m), maxInvalidWarnings: 3 });
    const a = await objectOut(src, 'options', date);
    expect(a.error).toMatch(/part-1\.parquet/);
    expect(a.warnings.filter((m) => m.includes('skipped'))).toHaveLength(4);
    expect(a.rows.length).toBe(40 - 8 + 2);
    expect(await encodedOut(src, 'options', date)).toEqual(a);
    const s = new BronzeSource({ root });
    for await (const _ of s.encodedBatches('options', date, { end: T + 7_200_000_000_000n }, { order: 'ts_event' }) ?? []) void _;
    expect(s.invalid.options).toBe(8);
  });
});

describe('CombinedSource.encodedBatches', () => {
  const lane = (tag: string): AsyncIterable<EncodedBatch> => ({
    async *[Symbol.asyncIterator]() {
      yield { length: 0, source: tag } as unknown as EncodedBatch;
    },
  });
  /** a fake source (unit test): which kinds it has, whether it offers a fast lane */
  const fake = (tag: string, hasOptions: boolean, fast: boolean): ReplaySource => ({
    availableDates: async () => ['2025-12-16'],
    has: async (k) => k !== 'options' || hasOptions,
    fileNames: async () => [],
    batches: () => ({ async *[Symbol.asyncIterator]() {} }),
    ...(fast ? { encodedBatches: () => lane(tag) } : {}),
  });
  const first = async (it: AsyncIterable<EncodedBatch> | null | undefined): Promise<string | null> => {
    if (!it) return null;
    for await (const b of it) return b.source;
    return 'none';
  };
  const o: EncodedReadOptions = { order: 'ts_event' };
  const d = '2025-12-16';

  it('each kind to the source that serves it; null when that source has no fast lane', async () => {
    const c = new CombinedSource({ dbn: fake('dbn', true, true), bronze: fake('bronze', true, true), options: 'bronze' });
    expect(await first(c.encodedBatches('trades', d, {}, o))).toBe('dbn');
    expect(await first(c.encodedBatches('mbp10', d, {}, o))).toBe('dbn');
    expect(await first(c.encodedBatches('options', d, {}, o))).toBe('bronze');
    expect(await first(c.encodedBatches('stockTrades', d, {}, o))).toBe('bronze');
    const f = new CombinedSource({ dbn: fake('dbn', true, true), bronze: fake('bronze', true, true), futures: 'bronze', options: 'dbn' });
    expect(await first(f.encodedBatches('trades', d, {}, o))).toBe('bronze');
    expect(await first(f.encodedBatches('options', d, {}, o))).toBe('dbn');
    const slowDbn = new CombinedSource({ dbn: fake('dbn', true, false), bronze: fake('bronze', true, true), options: 'bronze' });
    expect(slowDbn.encodedBatches('trades', d, {}, o)).toBe(null);
    expect(await first(slowDbn.encodedBatches('options', d, {}, o))).toBe('bronze');
  });

  it("options 'auto': DBN when the date has a DBN options file, else Bronze; null unless both have a fast lane", async () => {
    const withDbn = new CombinedSource({ dbn: fake('dbn', true, true), bronze: fake('bronze', true, true) });
    expect(await first(withDbn.encodedBatches('options', d, {}, o))).toBe('dbn');
    const noDbn = new CombinedSource({ dbn: fake('dbn', false, true), bronze: fake('bronze', true, true) });
    expect(await first(noDbn.encodedBatches('options', d, {}, o))).toBe('bronze');
    expect(
      new CombinedSource({ dbn: fake('dbn', false, false), bronze: fake('bronze', true, true) }).encodedBatches('options', d, {}, o),
    ).toBe(null);
  });

  it('a real DBN data root: its own fast lane when it has one', async () => {
    const dbn = tempDir('bronze-enc-combined-');
    const g = await generateSampleSession({ root: dbn, seed: 5, trades: 50, mbp10: 20, options: 10 });
    const root = new DataRootSource(dbn);
    const c = new CombinedSource({ dbn: root, bronze: new BronzeSource({ root: tempDir('bronze-enc-none-') }), options: 'dbn' });
    const viaCombined = c.encodedBatches('trades', g.date, {}, o);
    const direct = root.encodedBatches?.('trades', g.date, {}, o) ?? null;
    expect(viaCombined === null).toBe(direct === null);
    if (viaCombined !== null) {
      let n = 0;
      for await (const b of viaCombined) n += b.length;
      expect(n).toBe(g.counts.trades);
    }
  });
});
