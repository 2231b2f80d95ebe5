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
import type { Col } from './tables.js';

type Decoder = Parameters<typeof readPage>[2];

interface Chunk {
  /** row of the row group of data[0] */
  start: number;
  data: DecodedArray;
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
  private dictionary: DecodedArray | undefined;
  private readonly chunks: Chunk[] = [];
  /** rows decoded so far (the last one may be incomplete for a nested column until the next page) */
  private rows = 0;
  private done = false;

  constructor(
    bytes: ArrayBuffer,
    tree: SchemaTree,
    chunk: ColumnChunk,
    private readonly groupRows: number,
  ) {
    const m = chunk.meta_data;
    if (m === undefined) throw new Error('column chunk without metadata');
    const schemaPath = getTreePath(tree, m.path_in_schema);
    const element = schemaPath[schemaPath.length - 1]?.element;
    if (element === undefined) throw new Error(`column ${m.path_in_schema.join('.')} is not in the schema`);
    this.flat = isFlatColumn(schemaPath);
    this.unwrap = !this.flat && schemaPath[1]?.element.repetition_type === 'OPTIONAL';
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
    this.reader = { view: new DataView(bytes), offset: 0 };
  }

  /** rows whose values are complete */
  private complete(): number {
    return this.done || this.flat ? this.rows : Math.max(0, this.rows - 1);
  }

  /** decodes pages until rows [0, end) are complete (or the chunk is exhausted) */
  ensure(end: number): void {
    const r = this.reader;
    while (this.complete() < end && !this.done) {
      if (r.offset >= r.view.byteLength - 1 || (this.flat && this.rows >= this.groupRows)) {
        this.done = true;
        break;
      }
      const header = parquetHeader(r);
      if (header.type === 'DICTIONARY_PAGE') {
        const { data } = readPage(r, header, this.decoder, this.dictionary, undefined, 0);
        if (data) this.dictionary = convert(data, this.decoder);
        continue;
      }
      const last = this.chunks[this.chunks.length - 1];
      // a nested column: hand the last row over, so a row continued on this page is completed in place
      const tail = !this.flat && last !== undefined && last.data.length > 0 ? [(last.data as unknown[])[last.data.length - 1]] : undefined;
      const res = readPage(r, header, this.decoder, this.dictionary, tail as DecodedArray | undefined, 0);
      const data = res.data;
      if (data === undefined || data.length === 0) continue;
      if (tail !== undefined) {
        this.chunks.push({ start: this.rows - 1, data });
        this.rows += data.length - 1;
      } else {
        this.chunks.push({ start: this.rows, data });
        this.rows += data.length;
      }
    }
  }

  /** the values of rows [a, b) (b <= complete rows), as one array; drops pages that end before a */
  window(a: number, b: number): Col {
    const w = this.rawWindow(a, b);
    if (!this.unwrap) return w;
    const out = new Array<unknown>(w.length);
    for (let i = 0; i < w.length; i++) {
      const v = w[i] as unknown[] | null | undefined;
      out[i] = Array.isArray(v) && v.length > 0 ? v[0] : null;
    }
    return out;
  }

  private rawWindow(a: number, b: number): Col {
    while (this.chunks.length > 1) {
      const c = this.chunks[0] as Chunk;
      if (c.start + c.data.length <= a) this.chunks.shift();
      else break;
    }
    const first = this.chunks[0];
    if (first !== undefined && first.start <= a && first.start + first.data.length >= b)
      return slice(first.data, a - first.start, b - first.start);
    const out = new Array<unknown>(b - a);
    for (const c of this.chunks) {
      const d = c.data as ArrayLike<unknown>;
      const lo = Math.max(a, c.start);
      const hi = Math.min(b, c.start + d.length);
      for (let r = lo; r < hi; r++) out[r - a] = d[r - c.start];
    }
    return out;
  }

  available(): number {
    return this.complete();
  }
}

function slice(d: DecodedArray, s: number, e: number): Col {
  if (s === 0 && e === d.length) return d as Col;
  return Array.isArray(d) ? d.slice(s, e) : (d as Int32Array).subarray(s, e);
}
