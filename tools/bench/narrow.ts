/** Narrowing for the benchmarks (noUncheckedIndexedAccess): one definition in @md/test-support. */
export { at, defined } from '@md/test-support';
