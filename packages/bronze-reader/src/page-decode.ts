/**
 * One data page decoded into compact typed storage (levels as bytes, dictionary indices or plain numbers in a
 * typed array), the JavaScript values of a row made only when a window of rows is asked for. hyparquet's own
 * `readPage` builds several JavaScript arrays of the page's length (levels, indices, values, assembled rows,
 * one array per row of a LIST column); for pages of hundreds of thousands of rows that was most of the
 * reader's heap. Handles the shapes and encodings the Bronze writers produce: flat REQUIRED/OPTIONAL columns
 * and a LIST of one leaf, DATA_PAGE v1 and v2, PLAIN (INT32, INT64, FLOAT, DOUBLE) and RLE/PLAIN_DICTIONARY.
 * Anything else is left to hyparquet (`decodeFastPage` returns null).
 */
import type { DecodedArray, PageHeader, SchemaTree } from 'hyparquet';
import type { readPage } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { getMaxDefinitionLevel, getMaxRepetitionLevel } from 'hyparquet/src/schema.js';
import type { Col } from './tables.js';
import { fillF64, fillI64, type FlatValues } from './typed-fill.js';

export type Decoder = Parameters<typeof readPage>[2];

/** rows of a page, materialised on demand */
export interface RowPage {
  readonly rows: number;
  /** writes the values of rows [a, b) to out[o], out[o + 1], ... */
  fill(out: unknown[], a: number, b: number, o: number): void;
  /** rows [a, b) as a view without copying, when the page can (a REQUIRED plain number column) */
  view(a: number, b: number): Col | undefined;
  /** rows [a, b) as doubles / int64 halves into typed arrays at o (typed-fill.ts; a flat column only) */
  fillF64(f: Float64Array, nul: Uint8Array, a: number, b: number, o: number): void;
  fillI64(lo: Uint32Array, hi: Uint32Array, nul: Uint8Array, a: number, b: number, o: number): void;
  /** hands the page's buffers back to its pool (the page is not used after) */
  release(): void;
}

/**
 * Buffers reused from page to page and row group to row group of one column of one file: the typed arrays
 * of the pages and the column chunk's bytes. Without
 * it every page allocated several new ArrayBuffers of its size, garbage that V8 collects only later.
 */
export class PagePool {
  private readonly free: ArrayBuffer[] = [];
  private chunk = new Uint8Array(0);

  /** an ArrayBuffer of at least `bytes` bytes */
  take(bytes: number): ArrayBuffer {
    const f = this.free;
    for (let i = 0; i < f.length; i++) {
      const b = f[i] as ArrayBuffer;
      if (b.byteLength >= bytes) {
        f[i] = f[f.length - 1] as ArrayBuffer;
        f.pop();
        return b;
      }
    }
    return new ArrayBuffer(Math.max(bytes, 4096));
  }

  give(...bufs: (ArrayBufferLike | undefined)[]): void {
    for (const b of bufs) if (b instanceof ArrayBuffer && this.free.length < 2) this.free.push(b);
  }

  /** `n` bytes for a column chunk (valid until the next call) */
  chunkBytes(n: number): Uint8Array {
    if (this.chunk.byteLength < n) this.chunk = new Uint8Array(n);
    return this.chunk.subarray(0, n);
  }

  /**
   * the page decompressed. (fzstd can decompress into a given buffer, but measured 11x slower than into its
   * own: so each page gets a new buffer.)
   */
  decompress(bytes: Uint8Array, size: number, dec: Decoder): Uint8Array {
    return decompressPage(bytes, size, dec.codec, dec.compressors);
  }
}

/** how a column's levels map to rows, or null when the fast path does not apply */
export interface Shape {
  list: boolean;
  maxDef: number;
  maxRep: number;
  /** LIST columns: the definition level of a present but empty list */
  listDef: number;
  /** PLAIN values are the column's values as they are (no logical type that hyparquet would convert) */
  plainOk: boolean;
}

const IDENTITY_CONVERTED = new Set(['INT_8', 'INT_16', 'INT_32', 'INT_64', 'DATE']);
const IDENTITY_LOGICAL = new Set(['INTEGER', 'DATE']);

export function columnShape(schemaPath: SchemaTree[]): Shape | null {
  const leaf = schemaPath[schemaPath.length - 1]?.element;
  if (leaf === undefined) return null;
  const lt = (leaf.logical_type as { type?: string; isSigned?: boolean } | undefined) ?? undefined;
  const plainOk =
    (leaf.converted_type === undefined || IDENTITY_CONVERTED.has(leaf.converted_type)) &&
    (lt === undefined || (IDENTITY_LOGICAL.has(lt.type ?? '') && lt.isSigned !== false));
  const maxDef = getMaxDefinitionLevel(schemaPath);
  const maxRep = getMaxRepetitionLevel(schemaPath);
  if (schemaPath.length === 2) {
    const rep = leaf.repetition_type;
    return rep === 'REPEATED' || maxDef > 1 ? null : { list: false, maxDef, maxRep: 0, listDef: 0, plainOk };
  }
  // <list> (OPTIONAL or REQUIRED) / repeated group / leaf: the Parquet LIST shape pyarrow writes
  const listNode = schemaPath[1]?.element;
  const repNode = schemaPath[2]?.element;
  if (schemaPath.length !== 4 || listNode === undefined || repNode?.repetition_type !== 'REPEATED') return null;
  if (listNode.repetition_type === 'REPEATED' || leaf.repetition_type === 'REPEATED' || maxRep !== 1) return null;
  const listDef = listNode.repetition_type === 'OPTIONAL' ? 1 : 0;
  return { list: true, maxDef, maxRep, listDef, plainOk };
}

const bitWidth = (max: number): number => 32 - Math.clz32(max);

function levels(
  pool: PagePool,
  bytes: Uint8Array,
  offset: number,
  n: number,
  max: number,
  length: number | undefined,
): [Uint8Array, number] {
  const out = new Uint8Array(pool.take(n), 0, n);
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset };
  readRleBitPackedHybrid(reader, bitWidth(max), out, length);
  return [out, reader.offset];
}

/** dictionary indices, as narrow as the page's bit width allows (a page of 262,144 rows: 256 KiB, not 1 MiB) */
type Index = Int32Array | Uint16Array | Uint8Array;
/** row -> dictionary index or -1 (null), as narrow as the dictionary's size allows */
export type RowIndex = Int32Array | Int16Array | Int8Array;
type Values = { dict: true; idx: Index } | { dict: false; vals: Int32Array | BigInt64Array | Float64Array | Float32Array };

const PLAIN_TYPES = {
  INT32: [4, Int32Array],
  INT64: [8, BigInt64Array],
  DOUBLE: [8, Float64Array],
  FLOAT: [4, Float32Array],
} as const;

function values(pool: PagePool, page: Uint8Array, offset: number, n: number, encoding: string, dec: Decoder, shape: Shape): Values | null {
  if (encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') {
    const width = n === 0 ? 0 : (page[offset] ?? 0);
    const idx: Index =
      width <= 8
        ? new Uint8Array(pool.take(n), 0, n)
        : width <= 16
          ? new Uint16Array(pool.take(n * 2), 0, n)
          : new Int32Array(pool.take(n * 4), 0, n);
    if (n === 0) return { dict: true, idx };
    if (width === 0) idx.fill(0);
    else {
      const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: offset + 1 };
      readRleBitPackedHybrid(reader, width, idx as unknown as Int32Array, page.byteLength - offset - 1);
    }
    return { dict: true, idx };
  }
  if (encoding !== 'PLAIN' || !shape.plainOk) return null;
  const t = (PLAIN_TYPES as Record<string, (typeof PLAIN_TYPES)[keyof typeof PLAIN_TYPES] | undefined>)[dec.type];
  if (t === undefined) return null;
  const [size, Ctor] = t;
  if (offset + n * size > page.byteLength) throw new Error(`the page holds ${page.byteLength - offset} value bytes, ${n * size} needed`);
  const vals = new Ctor(pool.take(n * size), 0, n);
  new Uint8Array(vals.buffer, 0, n * size).set(page.subarray(offset, offset + n * size));
  return { dict: false, vals };
}

/**
 * Decodes one DATA_PAGE / DATA_PAGE_V2 (`bytes`: its compressed bytes, after the header), or returns null
 * when the page is of an encoding or type the fast path leaves to hyparquet.
 */
export function decodeFastPage(
  bytes: Uint8Array,
  header: PageHeader,
  dec: Decoder,
  shape: Shape,
  dict: DecodedArray | undefined,
  pool: PagePool,
): RowPage | null {
  let n: number;
  let encoding: string;
  let rep: Uint8Array | null = null;
  let def: Uint8Array | null = null;
  let page: Uint8Array;
  let offset: number;
  if (header.type === 'DATA_PAGE') {
    const h = header.data_page_header;
    if (h === undefined) throw new Error('data page without its header');
    n = h.num_values;
    encoding = h.encoding;
    if (!dataEncoding(encoding)) return null;
    page = pool.decompress(bytes, Number(header.uncompressed_page_size), dec);
    offset = 0;
    if (shape.maxRep > 0) [rep, offset] = levels(pool, page, offset, n, shape.maxRep, undefined);
    if (shape.maxDef > 0) [def, offset] = levels(pool, page, offset, n, shape.maxDef, undefined);
  } else if (header.type === 'DATA_PAGE_V2') {
    const h = header.data_page_header_v2;
    if (h === undefined) throw new Error('data page v2 without its header');
    n = h.num_values;
    encoding = h.encoding;
    if (!dataEncoding(encoding)) return null;
    const rl = h.repetition_levels_byte_length;
    const dl = h.definition_levels_byte_length;
    if (shape.maxRep > 0) rep = levels(pool, bytes, 0, n, shape.maxRep, rl)[0];
    if (shape.maxDef > 0) def = levels(pool, bytes, rl, n, shape.maxDef, dl)[0];
    page = bytes.subarray(rl + dl);
    const size = Number(header.uncompressed_page_size) - rl - dl;
    if (h.is_compressed !== false && size > 0) page = pool.decompress(page, size, dec);
    offset = 0;
  } else return null;
  // level -> value index (-1: no value at this level)
  let pos: Int32Array | null = null;
  let nv = n;
  if (def !== null) {
    pos = new Int32Array(pool.take(n * 4), 0, n);
    nv = 0;
    const max = shape.maxDef;
    for (let l = 0; l < n; l++) pos[l] = def[l] === max ? nv++ : -1;
  }
  const v = values(pool, page, offset, nv, encoding, dec, shape);
  if (v === null) {
    pool.give(rep?.buffer, def?.buffer, pos?.buffer);
    return null;
  }
  if (v.dict) {
    if (dict === undefined) throw new Error('a dictionary-encoded page without a dictionary page');
    const idx = v.idx;
    for (let k = 0; k < idx.length; k++) {
      const x = idx[k] as number;
      if (x < 0 || x >= dict.length) throw new Error(`dictionary index ${x} out of range (${dict.length} entries)`);
    }
  }
  if (!shape.list) {
    const d = dict as ArrayLike<unknown>;
    if (v.dict && pos !== null) {
      // one array row -> dictionary index (-1 null) instead of positions + indices + levels
      const len = (dict as ArrayLike<unknown>).length;
      const ri: RowIndex =
        len <= 128
          ? new Int8Array(pool.take(n), 0, n)
          : len <= 32768
            ? new Int16Array(pool.take(n * 2), 0, n)
            : new Int32Array(pool.take(n * 4), 0, n);
      const idx = v.idx;
      for (let r = 0; r < n; r++) {
        const p = pos[r] as number;
        ri[r] = p < 0 ? -1 : (idx[p] as number);
      }
      pool.give(def?.buffer, pos.buffer, idx.buffer);
      return flatPage(
        n,
        ri,
        (x) => d[x],
        null,
        () => pool.give(ri.buffer),
        { pos: ri, idx: null, data: d },
      );
    }
    pool.give(def?.buffer);
    const get: (k: number) => unknown = v.dict ? (k) => d[v.idx[k] as number] : (k) => v.vals[k];
    const data = v.dict ? v.idx.buffer : v.vals.buffer;
    const fv: FlatValues = v.dict ? { pos, idx: v.idx, data: d } : { pos, idx: null, data: v.vals };
    return flatPage(n, pos, get, v.dict ? null : v.vals, () => pool.give(pos?.buffer, data), fv);
  }
  const d = (dict ?? []) as ArrayLike<unknown>;
  const get: (k: number) => unknown = v.dict ? (k) => d[v.idx[k] as number] : (k) => v.vals[k];
  const data = v.dict ? v.idx.buffer : v.vals.buffer;
  return listPage(n, rep as Uint8Array, def, pos, get, shape, () => pool.give(rep?.buffer, def?.buffer, pos?.buffer, data));
}

const notFlat = (): never => {
  throw new Error('a LIST column has no typed values');
};

const dataEncoding = (e: string): boolean => e === 'PLAIN' || e === 'RLE_DICTIONARY' || e === 'PLAIN_DICTIONARY';

function flatPage(
  n: number,
  pos: RowIndex | null,
  get: (k: number) => unknown,
  vals: Col | null,
  release: () => void,
  fv: FlatValues,
): RowPage {
  return {
    rows: n,
    release,
    fillF64: (f, nul, a, b, o) => fillF64(fv, f, nul, a, b, o),
    fillI64: (lo, hi, nul, a, b, o) => fillI64(fv, lo, hi, nul, a, b, o),
    fill(out, a, b, o) {
      if (pos === null) for (let r = a; r < b; r++) out[o++] = get(r);
      else
        for (let r = a; r < b; r++) {
          const p = pos[r] as number;
          out[o++] = p < 0 ? null : get(p);
        }
    },
    view(a, b) {
      return pos === null && vals !== null ? (vals as Int32Array).subarray(a, b) : undefined;
    },
  };
}

/** a LIST column: each row a JavaScript array (`null` for a null list, `[]` for an empty one) */
function listPage(
  n: number,
  rep: Uint8Array,
  def: Uint8Array | null,
  pos: Int32Array | null,
  get: (k: number) => unknown,
  shape: Shape,
  release: () => void,
): RowPage {
  if (n > 0 && rep[0] !== 0) throw new Error('a LIST row continued from the previous page (not supported)');
  let rows = 0;
  for (let l = 0; l < n; l++) if (rep[l] === 0) rows++;
  const starts = new Int32Array(rows + 1);
  for (let l = 0, r = 0; l < n; l++) if (rep[l] === 0) starts[r++] = l;
  starts[rows] = n;
  const { listDef } = shape;
  return {
    rows,
    fill(out, a, b, o) {
      for (let r = a; r < b; r++) {
        const lo = starts[r] as number;
        const hi = starts[r + 1] as number;
        const d0 = def === null ? shape.maxDef : (def[lo] as number);
        if (d0 < listDef) out[o++] = null;
        else if (d0 === listDef) out[o++] = [];
        else {
          const row = new Array<unknown>(hi - lo);
          for (let l = lo; l < hi; l++) {
            const p = pos === null ? l : (pos[l] as number);
            row[l - lo] = p < 0 ? null : get(p);
          }
          out[o++] = row;
        }
      }
    },
    view: () => undefined,
    fillF64: notFlat,
    fillI64: notFlat,
    release,
  };
}
