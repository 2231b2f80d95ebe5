/**
 * Reads at an index the caller has already checked. With noUncheckedIndexedAccess `xs[i]` is
 * `T | undefined`; where an invariant puts `i` inside the array (a loop bound, a length check, an rtype
 * byte into a 256-entry table) these return `T`, and throw a RangeError if the invariant is ever broken
 * instead of letting `undefined` flow on as a number.
 *
 * The typed-array helpers are separate from `at` on purpose: the per-record decode loops call `byteAt`
 * and `intAt` and only ever pass them typed arrays, so V8 inlines them as a plain element load whose
 * `undefined` test folds away (tools/bench/dbn-decode.ts measures those loops).
 */

function outOfRange(i: number, length: number): never {
  throw new RangeError(`index ${i} is outside 0..${length - 1}: an internal invariant does not hold`);
}

/** `b[i]` for `0 <= i < b.length` */
export function byteAt(b: Uint8Array, i: number): number {
  const v = b[i];
  if (v === undefined) outOfRange(i, b.length);
  return v;
}

/** `t[i]` for `0 <= i < t.length` */
export function intAt(t: Int32Array, i: number): number {
  const v = t[i];
  if (v === undefined) outOfRange(i, t.length);
  return v;
}

/** `t[i]` for `0 <= i < t.length` */
export function f64At(t: Float64Array, i: number): number {
  const v = t[i];
  if (v === undefined) outOfRange(i, t.length);
  return v;
}

/** `xs[i]` for `0 <= i < xs.length`, for arrays whose elements are never undefined */
export function at<T extends NonNullable<unknown> | null>(xs: ArrayLike<T>, i: number): T {
  const v = xs[i];
  if (v === undefined) outOfRange(i, xs.length);
  return v;
}
