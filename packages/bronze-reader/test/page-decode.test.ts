/**
 * The compact page decoder (src/page-decode.ts) against hyparquet's own reader: the same values for every
 * column of files written with several codecs and page sizes (DATA_PAGE_V2, hyparquet-writer), and for
 * DATA_PAGE v1 pages built by hand (pyarrow's default page version, not written by hyparquet-writer).
 */
import { readFileSync } from 'node:fs';
import { bronzePath, writeBronzeFile, type Row } from '@md/test-support/bronze';
import { tempDir } from '@md/test-support/fixtures';
import { parquetMetadata, parquetReadObjects, parquetSchema, type PageHeader } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { readPage } from 'hyparquet/src/column.js';
import { getSchemaPath } from 'hyparquet/src/schema.js';
import { describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { columnShape, decodeFastPage, PagePool, type Decoder } from '../src/page-decode.ts';
import { chunkRange, ColumnPages } from '../src/pages.ts';

const zstd = (b: Uint8Array): Uint8Array => new Uint8Array(compress(b, { compressionLevel: 3 }));
const T0 = 1_765_895_400_000_000_000n;

function rows(n: number): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      ts_event_ns: T0 + BigInt(i) * 1_003n,
      ts_recv_ns: T0 + BigInt(i) * 1_003n + BigInt(i % 17),
      source: 'polygon_ws',
      underlying: 'SPY',
      option_symbol: `O:SPY251216C00${600 + (i % 37)}000`,
      exp_date: 20_438 + (i % 3),
      strike: 600 + (i % 37),
      right: i % 2 ? 'C' : 'P',
      price: Math.round(i * 7.31) / 100 + 0.01,
      size: 1 + (i % 23),
      opt_bid: i % 5 === 0 ? null : i / 997,
      opt_ask: i % 9 === 0 ? null : i / 991,
      aggressor: (i % 3) - 1,
      conditions: i % 7 === 0 ? [i % 300, 219, 12] : i % 11 === 0 ? [] : i % 13 === 0 ? [5] : null,
      seq: i % 19 === 0 ? null : BigInt(i) * 3n,
    });
  }
  return out;
}

/** every column of row group 0 through ColumnPages, windows of `w` rows */
function readColumns(path: string, w: number): Record<string, unknown[]> {
  const buf = readFileSync(path);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const md = parquetMetadata(ab);
  const tree = parquetSchema(md);
  const rg = md.row_groups[0];
  if (rg === undefined) throw new Error('no row group');
  const n = Number(rg.num_rows);
  const out: Record<string, unknown[]> = {};
  for (const cc of rg.columns) {
    const [s, e] = chunkRange(cc);
    const name = cc.meta_data?.path_in_schema[0] as string;
    const p = new ColumnPages(new Uint8Array(ab, s, e - s), tree, cc, n, new PagePool());
    const vals: unknown[] = [];
    for (let a = 0; a < n; a += w) {
      const b = Math.min(n, a + w);
      p.ensure(b);
      const win = p.window(a, b);
      for (let i = 0; i < b - a; i++) vals.push(win[i]);
    }
    p.close();
    out[name] = vals;
  }
  return out;
}

describe('compact page decoding equals hyparquet', () => {
  for (const [codec, pageSize] of [
    ['ZSTD', 16 * 1024],
    ['SNAPPY', 1 << 20],
    ['UNCOMPRESSED', 3000],
  ] as const) {
    it(`${codec}, pages of ${pageSize} bytes (DATA_PAGE_V2, dictionary and plain, nulls, lists)`, async () => {
      const root = tempDir('bronze-pages-');
      const all = rows(30_000);
      const path = bronzePath(root, 'option_trades', 'SPY', '2025-12-16', '14', 'part-1.parquet');
      writeBronzeFile(path, 'option_trades', all, { codec, pageSize, ...(codec === 'ZSTD' ? { zstd } : {}) });
      const buf = readFileSync(path);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      const ref = await parquetReadObjects({ file: ab, compressors, utf8: true });
      for (const w of [1_024, 777]) {
        const got = readColumns(path, w);
        for (const name of Object.keys(got)) {
          const mine = got[name] as unknown[];
          expect(mine.length, name).toBe(all.length);
          for (let i = 0; i < all.length; i++) {
            let want = (ref[i] as Record<string, unknown>)[name];
            if (name === 'exp_date') want = all[i]?.exp_date; // the reader keeps date32 as days
            if (
              JSON.stringify(mine[i], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) !==
              JSON.stringify(want, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))
            )
              throw new Error(`${codec} window ${w}: column ${name} row ${i}: ${String(mine[i])} != ${String(want)}`);
          }
        }
      }
    });
  }
});

/** an RLE-only run encoding of levels / indices (the hybrid's RLE runs) */
function rle(values: number[], width: number): number[] {
  const out: number[] = [];
  const bytes = (width + 7) >> 3;
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j < values.length && values[j] === values[i] && j - i < 60) j++;
    out.push((j - i) << 1);
    for (let b = 0; b < bytes; b++) out.push(((values[i] as number) >> (8 * b)) & 0xff);
    i = j;
  }
  return out;
}
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

describe('DATA_PAGE v1 (pyarrow)', () => {
  const root = tempDir('bronze-v1-');
  const path = bronzePath(root, 'option_trades', 'SPY', '2025-12-16', '14', 'part-1.parquet');
  writeBronzeFile(path, 'option_trades', rows(10), { codec: 'UNCOMPRESSED' });
  const buf = readFileSync(path);
  const md = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const decoder = (name: string): Decoder => {
    const schemaPath = getSchemaPath(md.schema, name.split('.'));
    const element = schemaPath[schemaPath.length - 1]?.element;
    if (element === undefined || element.type === undefined) throw new Error(name);
    return {
      pathInSchema: name.split('.'),
      type: element.type,
      element,
      schemaPath,
      codec: 'UNCOMPRESSED',
      compressors,
      utf8: true,
      parsers: undefined as never,
    };
  };
  const both = (name: string, body: number[], numValues: number, encoding: 'PLAIN' | 'RLE_DICTIONARY', dict?: unknown[]) => {
    const dec = decoder(name);
    const shape = columnShape(dec.schemaPath);
    if (shape === null) throw new Error(`no fast path for ${name}`);
    const bytes = new Uint8Array(body);
    const header: PageHeader = {
      type: 'DATA_PAGE',
      uncompressed_page_size: bytes.length,
      compressed_page_size: bytes.length,
      data_page_header: { num_values: numValues, encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' },
    };
    const page = decodeFastPage(bytes, header, dec, shape, dict as never, new PagePool());
    if (page === null) throw new Error('not decoded');
    const mine = new Array<unknown>(page.rows);
    page.fill(mine, 0, page.rows, 0);
    const ref = readPage(
      { view: new DataView(bytes.buffer), offset: 0 },
      header,
      { ...dec, parsers: { dateFromDays: (d: number) => d } as never },
      dict as never,
      undefined,
      0,
    );
    return { mine, ref: ref.data as unknown[] };
  };

  it('a nullable INT64 column, PLAIN', () => {
    const defs = [1, 0, 1, 1, 0];
    const lv = rle(defs, 1);
    const vals = new Uint8Array(new BigInt64Array([5n, -7n, 1n << 62n]).buffer);
    const { mine, ref } = both('seq', [...u32(lv.length), ...lv, ...vals], 5, 'PLAIN');
    expect(mine).toEqual([5n, null, -7n, 1n << 62n, null]);
    expect(mine).toEqual(ref);
  });

  it('a nullable DOUBLE column, dictionary indices', () => {
    const defs = [1, 1, 0, 1];
    const lv = rle(defs, 1);
    const { mine, ref } = both('opt_bid', [...u32(lv.length), ...lv, 2, ...rle([2, 0, 1], 2)], 4, 'RLE_DICTIONARY', [0.5, 1.25, 3]);
    expect(mine).toEqual([3, 0.5, null, 1.25]);
    expect(mine).toEqual(ref);
  });

  it('a LIST<INT16> column: null, empty, a null element, several elements', () => {
    // rows: null | [] | [7, null, 9] | [4]
    const rep = [0, 0, 0, 1, 1, 0];
    const def = [0, 1, 3, 2, 3, 3];
    const rl = rle(rep, 1);
    const dl = rle(def, 2);
    const vals = new Uint8Array(new Int32Array([7, 9, 4]).buffer);
    const { mine, ref } = both('conditions.list.element', [...u32(rl.length), ...rl, ...u32(dl.length), ...dl, ...vals], 6, 'PLAIN');
    expect(mine).toEqual([null, [], [7, null, 9], [4]]);
    // hyparquet wraps each row of an optional LIST once more
    expect(mine).toEqual(ref.map((r) => (Array.isArray(r) && r.length > 0 ? r[0] : null)));
  });
});
