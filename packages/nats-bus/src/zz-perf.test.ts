import { it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectBus, ensureStream, JetStreamPublisher, startNatsServer } from './index.js';
import { fakeBody, streamCount } from './test-util.js';
it('perf', async () => {
  const srv = await startNatsServer();
  const nc = await connectBus({ servers: srv.url });
  const N = 200_000;
  const bodies = Array.from({ length: N }, (_, i) => fakeBody(i));
  for (const [mode, w, bs] of [['ack', 1024, 0], ['ack', 4096, 0], ['batch', 16384, 512], ['batch', 8192, 256], ['batch', 32768, 1024]] as const) {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete('MARKET_DATA').catch(() => undefined);
    await ensureStream(nc);
    const pub = new JetStreamPublisher(nc, { mode, window: w, batchSize: bs || undefined });
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await pub.publishEncoded('market.futures.trades', bodies[i], `p-${mode}-${i}-${w}`, 'futures.trades.v1');
    await pub.close();
    const dt = (performance.now() - t0) / 1000;
    console.log(mode, w, bs, Math.round(N / dt), 'ev/s', await streamCount(nc, 'MARKET_DATA'), JSON.stringify(pub.stats));
  }
  await nc.close(); await srv.dispose();
}, 120_000);
