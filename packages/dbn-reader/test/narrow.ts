/**
 * Narrowing for the tests (noUncheckedIndexedAccess): an element or value the test knows is there,
 * failing with a message that says what was missing instead of a TypeError further down.
 */

/** `xs[i]`, which must exist */
export function nth<T>(xs: ArrayLike<T>, i: number, what = 'element'): T {
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
  return [nth(xs, 0, what), nth(xs, 1, what)];
}
