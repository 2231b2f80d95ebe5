// The CommonJS build loads and exposes the API, on both entries.
const m = require('@md/nats-bus');
const t = require('@md/nats-bus/testing');
for (const f of ['connectBus', 'busOptionsFromEnv', 'ensureStream', 'consumeEvents', 'isNatsReachable', 'openAppBus', 'lastMessageOn']) {
  if (typeof m[f] !== 'function') throw new Error(`${f} missing from the CJS build`);
}
for (const c of ['JetStreamPublisher', 'StdoutSink', 'StoredTracker', 'StreamConfigMismatchError', 'NatsBusError', 'MessageLookupError']) {
  if (typeof m[c] !== 'function') throw new Error(`${c} missing from the CJS build`);
}
for (const f of [
  'startNatsServer',
  'startNatsCluster',
  'findFreePort',
  'waitForJetStream',
  'NatsServerNotInstalledError',
  'NatsServerStartError',
  'rng',
]) {
  if (typeof t[f] !== 'function') throw new Error(`${f} missing from the CJS build of @md/nats-bus/testing`);
}
// one copy of the shared code: an error thrown through one entry is an instance of the other entry's class
if (!(new t.NatsServerStartError('x') instanceof m.NatsBusError)) throw new Error('the two CJS entries do not share errors.ts');
const o = m.busOptionsFromEnv({ NATS_URL: 'nats://a:1,nats://b:2' });
if (o.servers.length !== 2) throw new Error('busOptionsFromEnv');
