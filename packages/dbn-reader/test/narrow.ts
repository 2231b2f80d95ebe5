/** Narrowing for the tests (noUncheckedIndexedAccess): one definition in @md/test-support. */
export { at as nth, defined, pair } from '@md/test-support';
