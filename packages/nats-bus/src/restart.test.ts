import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBus,
  ensureStream,
  JetStreamPublisher,
  startNatsServer,
  type LocalNatsServer,
  type NatsConnection,
} from './index.js';
import { fakeBody, readStream, sleep, streamCount } from './test-util.js';

const SUBJECT = 'market.futures.trades';

describe.each(['batch', 'ack'] as const)('server killed and restarted mid-publish (mode %s)', (mode) => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  const logs: string[] = [];

  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url, log: (m) => logs.push(m) });
    await ensureStream(nc, { name: 'RESTART' });
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it('stores every event exactly once after SIGKILL + restart on the same store', async () => {
    const N = 40_000;
    const killAt = 15_000;
    const pub = new JetStreamPublisher(nc, { mode, window: mode === 'batch' ? 4096 : 512, ackTimeoutMs: 2000, log: (m) => logs.push(m) });
    let restarted: Promise<void> | null = null;
    for (let i = 0; i < N; i++) {
      if (i === killAt) {
        srv.kill('SIGKILL');
        restarted = (async () => {
          await srv.stop(); // reap
          await sleep(300);
          await srv.restart();
        })();
      }
      await pub.publishEncoded(SUBJECT, fakeBody(i), `restart-${mode}-${i}`, 'futures.trades.v1');
    }
    await restarted;
    await pub.flush();
    await pub.close();

    expect(pub.stats).toMatchObject({ published: N, acked: N, failed: 0, pending: 0 });
    expect(pub.stats.retried).toBeGreaterThan(0);
    expect(logs.some((l) => l.includes('reconnected'))).toBe(true);
    expect(logs.some((l) => l.includes('publisher: recovering'))).toBe(true);
    expect(await streamCount(nc, 'RESTART')).toBe(N);
    const stored = await readStream(nc, 'RESTART');
    const ids = new Set(stored.map((m) => m.msgId));
    // re-sends happen in order before anything new: the stream keeps the publish order
    const order = stored.map((m) => Number(m.msgId!.split('-').pop()));
    expect(order.every((v, k) => v === k)).toBe(true);
    expect(ids.size).toBe(N);
    for (let i = 0; i < N; i += 997) expect(ids.has(`restart-${mode}-${i}`)).toBe(true);
    // bytes survive the re-sends
    const byId = new Map(stored.map((m) => [m.msgId, m.data]));
    expect(Buffer.from(byId.get(`restart-${mode}-${killAt}`)!).equals(Buffer.from(fakeBody(killAt)))).toBe(true);
  }, 60_000);
});
