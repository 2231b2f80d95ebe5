import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  connectBus,
  ensureStream,
  JetStreamPublisher,
  openAppBus,
  type AppBusLogLevel,
  type AppBusOptions,
  type NatsConnection,
} from './index.js';
import { startNatsCluster, type LocalNatsCluster } from './testing.js';
import { fakeBody, readStream, settle, sleep, streamCount } from './test-util.js';

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

  it('provisions a replicated stream and stores every event once, in order, while a node is killed and restarted (ack mode)', async () => {
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
    const ids = (await settle(() => readStream(nc, 'MARKET_DATA'))).map((m) => m.msgId);
    expect(new Set(ids).size).toBe(N);
    // and in the publish order (the order chain; leader kills: cluster-order.test.ts)
    expect(ids.findIndex((id, i) => id !== `cl-${i}`)).toBe(-1);
  }, 90_000);

  describe('openAppBus on a replicated stream', () => {
    type Line = { level: AppBusLogLevel; msg: string };
    const open = async (o: Partial<AppBusOptions>, lines: Line[]) =>
      settle(() => openAppBus({ name: 'cluster-app', url: cluster.url, log: (level, msg) => lines.push({ level, msg }), ...o }));
    const text = (lines: Line[]) => lines.map((l) => `${l.level} ${l.msg}`).join('\n');

    it('created with replicas 3; batch mode not given explicitly -> ack mode with the ack default window', async () => {
      const jsm = await jetstreamManager(nc);
      await settle(() => jsm.streams.delete('MARKET_DATA').catch((e: Error) => (/not found/i.test(e.message) ? true : Promise.reject(e))));
      const lines: Line[] = [];
      const bus = await open({ replicas: 3, mode: 'batch', window: 2048 }, lines);
      try {
        expect(bus.stream.action).toBe('created');
        expect(bus.replicas).toBe(3);
        expect(bus.mode).toBe('ack');
        expect(bus.window).toBe(1024);
        expect(text(lines)).toMatch(/info nats: stream MARKET_DATA created \(3 replica\(s\)\)/);
        expect(text(lines)).toMatch(
          /info nats: stream MARKET_DATA has 3 replicas: publishing in ack mode \(one PubAck per event; publish mode batch to override\)/,
        );
        expect(text(lines)).toMatch(/info nats: publish mode ack \(window 1024\)/);
        expect(lines.some((l) => l.level === 'warn')).toBe(false);
        const pub = bus.publisher();
        expect([pub.mode, pub.window]).toEqual(['ack', 1024]);
        for (let i = 0; i < 200; i++) await pub.publishEncoded('market.futures.trades', fakeBody(i), `appbus-r3-${i}`, 'futures.trades.v1');
        await pub.close();
        expect(pub.stats).toMatchObject({ published: 200, acked: 200, failed: 0 });
      } finally {
        await bus.close();
      }
      expect(bus.nc.isClosed()).toBe(true);
    }, 60_000);

    it('an existing R3 stream opened without replicas: used as it is (difference returned), ack mode, an explicit window kept', async () => {
      const lines: Line[] = [];
      const bus = await open({ mode: 'batch', window: 2048, windowExplicit: true, modeFlag: '--mode' }, lines);
      try {
        expect(bus.stream.action).toBe('exists');
        expect(bus.stream.differences).toEqual([{ field: 'num_replicas', expected: 1, actual: 3 }]);
        expect([bus.mode, bus.window]).toEqual(['ack', 2048]);
        expect(text(lines)).toMatch(
          /nats: stream MARKET_DATA exists \(3 replica\(s\)\); its settings differ from this app's defaults \(num_replicas 3\): used as it is/,
        );
        expect(text(lines)).toMatch(/publishing in ack mode \(one PubAck per event; --mode batch to override\)/);
      } finally {
        await bus.close();
      }
    }, 60_000);

    it('batch mode given explicitly: kept, with a warning; the default ack mode needs no switch', async () => {
      const lines: Line[] = [];
      const bus = await open({ mode: 'batch', modeExplicit: true, modeFlag: '--publish-mode' }, lines);
      try {
        expect([bus.mode, bus.window]).toEqual(['batch', 16384]);
        const warn = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
        expect(warn).toEqual([
          'nats: --publish-mode batch on a replicated stream: a leader change can lose events silently (ack mode would not)',
        ]);
        expect(text(lines)).toMatch(/info nats: publish mode batch \(window 16384\)/);
        expect(bus.publisher().mode).toBe('batch');
      } finally {
        await bus.close();
      }
      const quiet: Line[] = [];
      const acked = await open({}, quiet);
      await acked.close();
      expect([acked.mode, acked.window]).toEqual(['ack', 1024]);
      expect(text(quiet)).not.toMatch(/publishing in ack mode|leader change/);
    }, 60_000);
  });
});
