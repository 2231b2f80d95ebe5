import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectBus,
  ensureStream,
  JetStreamPublisher,
  startNatsCluster,
  type LocalNatsCluster,
  type NatsConnection,
} from './index.js';
import { fakeBody, readStream, sleep, streamCount } from './test-util.js';

async function settle<T>(f: () => Promise<T>, attempts = 15): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= attempts) throw e;
      await sleep(500);
    }
  }
}

describe('a 3-node JetStream cluster', () => {
  let cluster: LocalNatsCluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3 });
    nc = await connectBus({ servers: cluster.url });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await cluster?.dispose();
  });

  it('provisions a replicated stream and stores every event once while a node is killed and restarted (ack mode)', async () => {
    const r = await ensureStream(nc, { replicas: 3 });
    expect(r.info.config.num_replicas).toBe(3);
    const N = 6000;
    const logs: string[] = [];
    const pub = new JetStreamPublisher(nc, { mode: 'ack', window: 256, ackTimeoutMs: 2000, log: (m) => logs.push(m) });
    const victim = cluster.servers.find((s) => !nc.getServer().endsWith(`:${s.port}`))!;
    let back: Promise<void> | null = null;
    for (let i = 0; i < N; i++) {
      if (i === 2000) {
        victim.kill('SIGKILL');
        back = (async () => {
          await victim.stop();
          await sleep(500);
          await victim.restart();
        })();
      }
      await pub.publishEncoded('market.futures.trades', fakeBody(i), `cl-${i}`, 'futures.trades.v1');
    }
    await back;
    await pub.close().catch((e: Error) => logs.push(`close: ${e.message}`));
    expect(pub.stats, logs.join('\n')).toMatchObject({ published: N, acked: N, failed: 0 });
    // the JetStream API may time out while the restarted node rejoins (meta leader election): retry
    expect(await settle(() => streamCount(nc, 'MARKET_DATA'))).toBe(N);
    expect(new Set((await settle(() => readStream(nc, 'MARKET_DATA'))).map((m) => m.msgId)).size).toBe(N);
  }, 90_000);
});
