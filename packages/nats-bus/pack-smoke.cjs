// The CommonJS build loads and exposes the API.
const m = require('@md/nats-bus');
for (const f of ['connectBus', 'busOptionsFromEnv', 'ensureStream', 'consumeEvents', 'startNatsServer', 'isNatsReachable']) {
  if (typeof m[f] !== 'function') throw new Error(`${f} missing from the CJS build`);
}
for (const c of ['JetStreamPublisher', 'StdoutSink', 'StreamConfigMismatchError', 'NatsServerNotInstalledError']) {
  if (typeof m[c] !== 'function') throw new Error(`${c} missing from the CJS build`);
}
const o = m.busOptionsFromEnv({ NATS_URL: 'nats://a:1,nats://b:2' });
if (o.servers.length !== 2) throw new Error('busOptionsFromEnv');
