/**
 * @md/test-support (private): what the tests and benchmarks of every package share, in one place.
 * - `rng` / `Rng`: the seeded PRNG (mulberry32);
 * - `MemorySink`, `CountingSink`: EventSinks without NATS;
 * - `until`: poll a condition with a timeout;
 * - `at`, `defined`, `pair`: narrowing (noUncheckedIndexedAccess) that names what was missing.
 * The rest is on subpath entries: `@md/test-support/fake-vendor` (the fake vendor WebSocket server, `play(tape)`),
 * `@md/test-support/tape` (one tape of vendor trades and quotes for both fakes), `@md/test-support/fake-rest` (the
 * fake vendor REST history server serving the tape),
 * `@md/test-support/fixtures` (temp dirs, DBN and Polygon fixtures), `@md/test-support/nats` (a local
 * nats-server with MARKET_DATA; the only entry loading NATS), `@md/test-support/process` (programs as child processes).
 */
export { rng, Rng } from './prng.js';
export { MemorySink, CountingSink } from './sinks.js';
export { until } from './wait.js';
export { at, defined, pair } from './narrow.js';
