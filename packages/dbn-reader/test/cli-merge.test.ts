/**
 * The pieces of `dbn FILE...` on their own: the k-way merge (index timestamp, ties to the input named first,
 * bounded to one batch per input), the metadata merge, and CSV quoting. Plus the merge of real generated files
 * through the built command.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvHeader, csvRow } from '../src/cli-csv.js';
import { indexTs, mergeMetadata, mergeRecordBatches, MetadataMergeError } from '../src/cli-merge.js';
import { decodeDbn, type AnyDbnRecord, type DbnMetadata, type OhlcvMsg } from '../src/index.js';
import { layoutTable } from '../src/layouts.js';
import { generateSampleSession } from '../src/sample.js';
import { buildCliIfStale, lines, ok } from './cli-helpers.js';
import { tempDir, trade } from './events-helpers.js';

async function* batches<R>(...bs: R[][]): AsyncGenerator<R[]> {
  for (const b of bs) yield b;
}

async function collect(it: AsyncIterable<AnyDbnRecord[]>): Promise<AnyDbnRecord[]> {
  const out: AnyDbnRecord[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

const seqs = (rs: AnyDbnRecord[]): number[] => rs.map((r) => (r as { sequence: number }).sequence);

function bar(tsEvent: bigint, volume: bigint): OhlcvMsg {
  return {
    rtype: 0x20,
    hd: { length: 14, rtype: 0x20, publisher_id: 1, instrument_id: 42, ts_event: tsEvent },
    open: 1n,
    high: 2n,
    low: 1n,
    close: 2n,
    volume,
  };
}

describe('mergeRecordBatches', () => {
  it('orders on ts_recv, ties going to the input named first, each input in its own order', async () => {
    const a = [trade({ ts_recv: 10n, sequence: 1 }), trade({ ts_recv: 30n, sequence: 2 }), trade({ ts_recv: 30n, sequence: 3 })];
    const b = [trade({ ts_recv: 20n, sequence: 101 }), trade({ ts_recv: 30n, sequence: 102 }), trade({ ts_recv: 40n, sequence: 103 })];
    const c: AnyDbnRecord[] = [];
    // ts_event is deliberately against ts_recv: the merge must not look at it for trades
    for (const r of [...a, ...b]) r.hd.ts_event = 1000n - r.ts_recv;
    const merged = await collect(mergeRecordBatches([batches(a.slice(0, 1), [], a.slice(1)), batches(c), batches(b)], 2));
    expect(seqs(merged)).toStrictEqual([1, 101, 2, 3, 102, 103]);
    // the input order decides ties: swapped inputs, swapped ties
    expect(seqs(await collect(mergeRecordBatches([batches(b), batches(a)])))).toStrictEqual([1, 101, 102, 2, 3, 103]);
  });

  it('records without ts_recv (OHLCV) merge on ts_event; leaving early closes every input', async () => {
    expect(indexTs(bar(5n, 1n))).toBe(5n);
    expect(indexTs(trade({ ts: 5n, ts_recv: 9n }))).toBe(9n);
    const merged = await collect(mergeRecordBatches([batches([bar(1n, 1n), bar(3n, 3n)]), batches([bar(2n, 2n), bar(3n, 4n)])]));
    expect(merged.map((r) => (r as OhlcvMsg).volume)).toStrictEqual([1n, 2n, 3n, 4n]);
    let closed = 0;
    async function* tracked(): AsyncGenerator<AnyDbnRecord[]> {
      try {
        for (let i = 0; i < 1000; i++) yield [trade({ ts_recv: BigInt(i), sequence: i })];
      } finally {
        closed++;
      }
    }
    for await (const b of mergeRecordBatches([tracked(), tracked()], 4)) {
      expect(b).toHaveLength(4);
      break;
    }
    expect(closed).toBe(2);
  });
});

const META: DbnMetadata = {
  version: 3,
  sourceVersion: 3,
  dataset: 'GLBX.MDP3',
  schema: 'trades',
  schemaId: 4,
  start: 100n,
  end: 200n,
  limit: 5n,
  stypeIn: 'raw_symbol',
  stypeInId: 1,
  stypeOut: 'instrument_id',
  stypeOutId: 0,
  tsOut: false,
  symbolCstrLen: 71,
  symbols: ['ESH5'],
  partial: [],
  notFound: [],
  mappings: [{ rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '42' }] }],
};

describe('mergeMetadata', () => {
  it("as Databento's MetadataMerger: start min, end max, no limit, schema none when they differ, intervals merged", () => {
    const other: DbnMetadata = {
      ...META,
      schema: 'mbp-10',
      schemaId: 2,
      start: 50n,
      end: 300n,
      symbols: ['ESH5', 'NQH5'],
      mappings: [
        { rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-04', symbol: '42' }] },
        { rawSymbol: 'NQH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '43' }] },
      ],
    };
    const m = mergeMetadata([META, other], ['a', 'b']);
    expect([m.schema, m.schemaId, m.start, m.end, m.limit, m.symbols]).toStrictEqual([null, 0xffff, 50n, 300n, 0n, ['ESH5', 'NQH5']]);
    expect(m.mappings).toStrictEqual([
      { rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-04', symbol: '42' }] },
      { rawSymbol: 'NQH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '43' }] },
    ]);
    expect(META.mappings[0]!.intervals[0]!.endDate).toBe('2025-01-03'); // the inputs are not modified
    expect(mergeMetadata([META, META], ['a', 'b']).schema).toBe('trades');
  });

  it('refuses inputs that do not fit together, naming the field and both files', () => {
    expect(() => mergeMetadata([META, { ...META, dataset: 'XNAS.ITCH' }], ['a.dbn', 'b.dbn'])).toThrow(
      new MetadataMergeError('cannot merge b.dbn with a.dbn: dataset mismatch (XNAS.ITCH vs GLBX.MDP3)'),
    );
    const conflicting = {
      ...META,
      mappings: [{ rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '99' }] }],
    };
    expect(() => mergeMetadata([META, conflicting], ['a.dbn', 'b.dbn'])).toThrow(
      /mappings of ESH5: conflicting intervals mapping to 42 and 99/,
    );
  });
});

describe('CSV fields', () => {
  it('quotes a field holding the delimiter or a quote, as the csv crate does; tabs for TSV', () => {
    const layout = layoutTable(3)[0x16]!; // SymbolMappingMsg: text fields
    const rec = {
      rtype: 0x16,
      hd: { length: 44, rtype: 0x16, publisher_id: 1, instrument_id: 42, ts_event: 7n },
      stype_in: 1,
      stype_in_symbol: 'ES,"c".0',
      stype_out: 0,
      stype_out_symbol: 'a\tb',
      start_ts: 1n,
      end_ts: 2n,
    } as unknown as AnyDbnRecord;
    const o = { delimiter: ',', pretty: false, tsOut: false, withSymbol: true };
    expect(csvHeader(layout, o)).toBe(
      'ts_event,rtype,publisher_id,instrument_id,stype_in,stype_in_symbol,stype_out,stype_out_symbol,start_ts,end_ts,symbol',
    );
    expect(csvRow(rec, layout, o, 'X,Y')).toBe('7,22,1,42,1,"ES,""c"".0",0,a\tb,1,2,"X,Y"');
    expect(csvRow(rec, layout, { ...o, delimiter: '\t' }, null)).toBe('7\t22\t1\t42\t1\t"ES,""c"".0"\t0\t"a\tb"\t1\t2\t');
  });
});

describe('dbn FILE1 FILE2 on generated sessions', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const files: string[] = [];
  beforeAll(async () => {
    buildCliIfStale();
    ({ dir, cleanup } = await tempDir('dbn-merge-cli-'));
    for (const seed of [3, 4]) {
      const s = await generateSampleSession({ root: `${dir}/s${seed}`, seed, trades: 3000, mbp10: 0, options: 0 });
      files.push(s.trades!);
    }
  }, 240_000);
  afterAll(() => cleanup());

  it('the merge is both files in ts_recv order, ties to the first file (checked against a stable sort)', async () => {
    const each: string[][] = [];
    for (const f of files) {
      const rows: string[] = [];
      for await (const r of decodeDbn(f)) rows.push(`${(r as { ts_recv: bigint }).ts_recv},${(r as { sequence: number }).sequence}`);
      each.push(rows);
    }
    const expected = each
      .flatMap((rows, input) => rows.map((row, i) => ({ row, input, i, ts: BigInt(row.split(',')[0]!) })))
      .sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : x.input - y.input || x.i - y.i))
      .map((x) => x.row);
    const t0 = performance.now();
    const csv = lines(await ok(files[0]!, files[1]!, '-C'));
    const ms = performance.now() - t0;
    console.log(`[cli-merge] merged ${csv.length - 1} records of 2 files to CSV in ${ms.toFixed(0)} ms (child process)`);
    const cols = csv[0]!.split(',');
    const got = csv.slice(1).map((l) => {
      const v = l.split(',');
      return `${v[cols.indexOf('ts_recv')]},${v[cols.indexOf('sequence')]}`;
    });
    expect(got).toHaveLength(6000);
    expect(got).toStrictEqual(expected);
    const m = JSON.parse(await ok(files[0]!, files[1]!, '-J', '-m'));
    expect([m.schema, m.limit, m.symbols]).toStrictEqual(['trades', null, ['ESH5']]);
    expect(lines(await ok(files[0]!, files[1]!, '-J', '-l', '7'))).toHaveLength(7);
  });
});
