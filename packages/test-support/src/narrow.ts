/**
 * Narrowing for tests and benchmarks under noUncheckedIndexedAccess: an element or value the code knows is
 * there, failing with a message that says what was missing instead of a TypeError or a NaN further on.
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

/** the first two elements, which must exist */
export function pair<T>(xs: ArrayLike<T>, what = 'element'): [T, T] {
  return [at(xs, 0, what), at(xs, 1, what)];
}
