/**
 * Narrowing for the benchmarks (tools/bench/tsconfig.json has noUncheckedIndexedAccess): an element or value
 * the code knows is there, failing with a message that says what was missing instead of a NaN or a TypeError
 * further down.
 */

/** `xs[i]`, which must exist */
export function at<T>(xs: ArrayLike<T>, i: number, what = 'element'): T {
  const v = xs[i];
  if (v === undefined) throw new Error(`${what} #${i} missing (length ${xs.length})`);
  return v;
}

/** `v`, which must not be undefined */
export function defined<T>(v: T | undefined, what = 'value'): T {
  if (v === undefined) throw new Error(`${what} is undefined`);
  return v;
}
