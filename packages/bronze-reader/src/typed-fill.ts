/**
 * Column values of a window of rows into typed arrays, without a JavaScript value per row: the encoded path
 * (encoded/*.ts) reads numbers as doubles and 64-bit integers as two uint32 halves, so a decoded page of
 * doubles or int64 (its values, or its dictionary's) is never turned into HeapNumbers or bigints.
 *
 * `nul[o]`: 0 a value, 1 null, 2 a value of another type (a string, a Date ...): the caller leaves that row to
 * the object path, which gives the reason.
 */

/** where a flat page's values are: value k of row r is data[idx ? idx[pos[r]] : pos[r]] (pos null: pos[r] = r) */
export interface FlatValues {
  /** row -> value index, -1 null (null: every row has a value, its own index) */
  pos: Int32Array | Int16Array | Int8Array | null;
  /** value index -> data index (a dictionary page), or null */
  idx: Int32Array | Uint16Array | Uint8Array | null;
  /** the page's values or its dictionary */
  data: ArrayLike<unknown>;
}

const isNumArray = (d: ArrayLike<unknown>): d is Float64Array | Float32Array | Int32Array =>
  d instanceof Float64Array || d instanceof Float32Array || d instanceof Int32Array;

/** the value as a double for a number column (a bigint as Number(), as the object path's rules convert it) */
function num(v: unknown, f: Float64Array, nul: Uint8Array, o: number): void {
  if (typeof v === 'number') {
    f[o] = v;
    nul[o] = 0;
  } else if (typeof v === 'bigint') {
    f[o] = Number(v);
    nul[o] = 0;
  } else {
    f[o] = 0;
    nul[o] = v === null || v === undefined ? 1 : 2;
  }
}

/** rows [a, b) of a flat page as doubles into f[o..], nulls flagged in nul */
export function fillF64(s: FlatValues, f: Float64Array, nul: Uint8Array, a: number, b: number, o: number): void {
  const { pos, idx, data } = s;
  const typed = isNumArray(data);
  for (let r = a; r < b; r++, o++) {
    const p = pos === null ? r : (pos[r] as number);
    if (p < 0) {
      f[o] = 0;
      nul[o] = 1;
      continue;
    }
    const k = idx === null ? p : (idx[p] as number);
    if (typed) {
      f[o] = data[k] as number;
      nul[o] = 0;
    } else num(data[k], f, nul, o);
  }
}

const words = new WeakMap<BigInt64Array, Uint32Array>();
/** the uint32 words of a BigInt64Array (little-endian: low word first), one view per array */
function wordsOf(d: BigInt64Array): Uint32Array {
  let w = words.get(d);
  if (w === undefined) {
    w = new Uint32Array(d.buffer, d.byteOffset, d.length * 2);
    words.set(d, w);
  }
  return w;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** rows [a, b) of a flat page as int64 halves into lo/hi[o..] (two's complement), nulls flagged in nul */
export function fillI64(s: FlatValues, lo: Uint32Array, hi: Uint32Array, nul: Uint8Array, a: number, b: number, o: number): void {
  const { pos, idx, data } = s;
  const w = LITTLE_ENDIAN && data instanceof BigInt64Array ? wordsOf(data) : null;
  const i32 = data instanceof Int32Array ? data : null;
  for (let r = a; r < b; r++, o++) {
    const p = pos === null ? r : (pos[r] as number);
    if (p < 0) {
      lo[o] = 0;
      hi[o] = 0;
      nul[o] = 1;
      continue;
    }
    const k = idx === null ? p : (idx[p] as number);
    nul[o] = 0;
    if (w !== null) {
      lo[o] = w[2 * k] as number;
      hi[o] = w[2 * k + 1] as number;
    } else if (i32 !== null) {
      const v = i32[k] as number;
      lo[o] = v >>> 0;
      hi[o] = v < 0 ? 0xffffffff : 0;
    } else {
      const v = data[k];
      if (typeof v === 'bigint') {
        const u = BigInt.asUintN(64, v);
        lo[o] = Number(u & 0xffffffffn);
        hi[o] = Number(u >> 32n);
      } else {
        lo[o] = 0;
        hi[o] = 0;
        nul[o] = v === null || v === undefined ? 1 : 2;
      }
    }
  }
}
