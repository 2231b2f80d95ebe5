/**
 * @md/nats-bus/testing: a real local nats-server (or a routed cluster) for tests, benchmarks and demos:
 * free loopback port, temporary JetStream store, stop / kill (any signal) / freeze / restart, cleanup at exit;
 * and the seeded PRNG of the fault tests (`rng`, mulberry32).
 * Kept off the main entry: apps only need it through openAppBus's local-server mode.
 */
export { NatsServerNotInstalledError, NatsServerStartError } from './errors.js';
export {
  findFreePort,
  parseServerUrls,
  startNatsCluster,
  startNatsServer,
  waitForJetStream,
  type LocalNatsCluster,
  type LocalNatsServer,
  type StartNatsServerOptions,
} from './server.js';
export { rng } from './prng.js';
