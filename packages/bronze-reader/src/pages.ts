/**
 * Page-by-page decoding of one column chunk, so a row group of a million rows is never decoded at once:
 * hyparquet's page reader (`readPage`, `parquetHeader`) driven one data page at a time. Decoded pages are
 * dropped once the rows before them were mapped.
 */
import type { ColumnChunk, DecodedArray, SchemaTree } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
import { convert, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { getTreePath, isFlatColumn } from 'hyparquet/src/schema.js';
import { columnShape, decodeFastPage, PagePool, type Decoder, type RowPage, type Shape } from './page-decode.js';
import type { Col } from './tables.js';
import { fillF64, fillI64, type FlatValues } from './typed-fill.js';

interface Chunk {
  /** row of the row group of the page's first row */
  start: number;
  page: RowPage;
  /** hyparquet's decoding of the page (nested columns: its last row may continue on the next page) */
  data?: DecodedArray;
}

const PARSERS = { ...DEFAULT_PARSERS, dateFromDays: (d: number) => d };

/** byte range of a column chunk in the file */
export function chunkRange(c: ColumnChunk): [number, number] {
  const m = c.meta_data;
  if (m === undefined) throw new Error('column chunk without metadata');
  const dict = m.dictionary_page_offset;
  const start = Number(dict !== undefined && dict > 0n && dict < m.data_page_offset ? dict : m.data_page_offset);
  return [start, start + Number(m.total_compressed_size)];
}

export class ColumnPages {
  private readonly reader: { view: DataView; offset: number };
  private readonly decoder: Decoder;
  private readonly flat: boolean;
  /** an optional LIST at the top: pages hold each row wrapped once more (`[]` = null), as hyparquet's assembly unwraps */
  private readonly unwrap: boolean;
  /** the compact decoding of page-decode.ts, when the column's shape allows it (else hyparquet's readPage) */
  private readonly shape: Shape | null;
  private dictionary: DecodedArray | undefined;
  private readonly chunks: Chunk[] = [];
  /** rows decoded so far (the last one may be incomplete for a nested column until the next page) */
  private rows = 0;
  private done = false;
  /** the window handed out last (reused: a window is mapped before the next one is asked for) */
  private out: unknown[] = [];

  constructor(
    bytes: Uint8Array,
    tree: SchemaTree,
    chunk: ColumnChunk,
    private readonly groupRows: number,
    private readonly pool: PagePool = new PagePool(),
  ) {
    const m = chunk.meta_data;
    if (m === undefined) throw new Error('column chunk without metadata');
    const schemaPath = getTreePath(tree, m.path_in_schema);
    const element = schemaPath[schemaPath.length - 1]?.element;
    if (element === undefined) throw new Error(`column ${m.path_in_schema.join('.')} is not in the schema`);
    this.flat = isFlatColumn(schemaPath);
    this.unwrap = !this.flat && schemaPath[1]?.element.repetition_type === 'OPTIONAL';
    this.shape = columnShape(schemaPath);
    this.decoder = {
      pathInSchema: m.path_in_schema,
      type: m.type,
      element,
      schemaPath,
      codec: m.codec,
      parsers: PARSERS,
      compressors,
      utf8: true,
    };
    this.reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  }

  /** rows whose values are complete */
  private complete(): number {
    return this.done || this.flat || this.shape !== null ? this.rows : Math.max(0, this.rows - 1);
  }

  /** decodes pages until rows [0, end) are complete (or the chunk is exhausted) */
  ensure(end: number): void {
    const r = this.reader;
    while (this.complete() < end && !this.done) {
      if (r.offset >= r.view.byteLength - 1 || ((this.flat || this.shape !== null) && this.rows >= this.groupRows)) {
        this.done = true;
        break;
      }
      const header = parquetHeader(r);
      if (header.type === 'DICTIONARY_PAGE') {
        const { data } = readPage(r, header, this.decoder, this.dictionary, undefined, 0);
        if (data) this.dictionary = convert(data, this.decoder);
        continue;
      }
      if (this.shape !== null) {
        const bytes = new Uint8Array(r.view.buffer, r.view.byteOffset + r.offset, header.compressed_page_size);
        const page = decodeFastPage(bytes, header, this.decoder, this.shape, this.dictionary, this.pool);
        if (page !== null) {
          r.offset += header.compressed_page_size;
          if (page.rows > 0) this.chunks.push({ start: this.rows, page });
          this.rows += page.rows;
          continue;
        }
        if (!this.flat) throw new Error(`page encoding not supported for the nested column (page type ${header.type})`);
      }
      const last = this.chunks[this.chunks.length - 1];
      // a nested column: hand the last row over, so a row continued on this page is completed in place
      const lastData = last?.data;
      const tail = !this.flat && lastData !== undefined && lastData.length > 0 ? [(lastData as unknown[])[lastData.length - 1]] : undefined;
      const res = readPage(r, header, this.decoder, this.dictionary, tail as DecodedArray | undefined, 0);
      const data = res.data;
      if (data === undefined || data.length === 0) continue;
      if (tail !== undefined) {
        this.chunks.push({ start: this.rows - 1, data, page: arrayPage(data) });
        this.rows += data.length - 1;
      } else {
        this.chunks.push({ start: this.rows, data, page: arrayPage(data) });
        this.rows += data.length;
      }
    }
  }

  /** drops the pages that end before row a */
  private drop(a: number): void {
    while (this.chunks.length > 1) {
      const c = this.chunks[0] as Chunk;
      if (c.start + c.page.rows <= a) {
        this.chunks.shift();
        c.page.release();
      } else break;
    }
  }

  /** rows [a, b) of a flat number column as doubles into f[0..] (typed-fill.ts; nul: 0 value, 1 null, 2 other) */
  windowF64(a: number, b: number, f: Float64Array, nul: Uint8Array): void {
    this.drop(a);
    for (const c of this.chunks) {
      const lo = Math.max(a, c.start);
      const hi = Math.min(b, c.start + c.page.rows);
      if (lo < hi) c.page.fillF64(f, nul, lo - c.start, hi - c.start, lo - a);
    }
  }

  /** rows [a, b) of a flat int64 column as uint32 halves into lo/hi[0..] */
  windowI64(a: number, b: number, lo32: Uint32Array, hi32: Uint32Array, nul: Uint8Array): void {
    this.drop(a);
    for (const c of this.chunks) {
      const lo = Math.max(a, c.start);
      const hi = Math.min(b, c.start + c.page.rows);
      if (lo < hi) c.page.fillI64(lo32, hi32, nul, lo - c.start, hi - c.start, lo - a);
    }
  }

  /** whether the column is flat (not a LIST): windowF64 / windowI64 apply */
  get isFlat(): boolean {
    return this.flat;
  }

  /** the values of rows [a, b) (b <= complete rows); drops pages that end before a. Valid until the next call. */
  window(a: number, b: number): Col {
    this.drop(a);
    const first = this.chunks[0];
    // hyparquet's LIST rows come wrapped once more; the compact pages give the list itself
    const unwrap = this.unwrap && this.shape === null;
    if (!unwrap && first !== undefined && first.start <= a && first.start + first.page.rows >= b) {
      const v = first.page.view(a - first.start, b - first.start);
      if (v !== undefined) return v;
    }
    if (this.out.length < b - a) this.out = new Array<unknown>(b - a).fill(null);
    const out = this.out;
    for (const c of this.chunks) {
      const lo = Math.max(a, c.start);
      const hi = Math.min(b, c.start + c.page.rows);
      if (lo < hi) c.page.fill(out, lo - c.start, hi - c.start, lo - a);
    }
    if (unwrap) {
      for (let i = 0; i < b - a; i++) {
        const v = out[i] as unknown[] | null | undefined;
        out[i] = Array.isArray(v) && v.length > 0 ? v[0] : null;
      }
    }
    return out;
  }

  available(): number {
    return this.complete();
  }

  /** hands the buffers of the pages still held back to the pool (the row group is done) */
  close(): void {
    for (const c of this.chunks.splice(0)) c.page.release();
  }
}

/** a page decoded by hyparquet (a plain or typed array of the page's rows) */
function arrayPage(d: DecodedArray): RowPage {
  const data = d as ArrayLike<unknown>;
  const fv: FlatValues = { pos: null, idx: null, data };
  return {
    fillF64: (f, nul, a, b, o) => fillF64(fv, f, nul, a, b, o),
    fillI64: (lo, hi, nul, a, b, o) => fillI64(fv, lo, hi, nul, a, b, o),
    rows: data.length,
    fill(out, a, b, o) {
      for (let r = a; r < b; r++) out[o++] = data[r];
    },
    view: (a, b) => (Array.isArray(d) ? undefined : (d as Int32Array).subarray(a, b)),
    release: () => undefined,
  };
}
