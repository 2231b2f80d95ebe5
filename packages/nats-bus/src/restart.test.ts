import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, ensureStream, JetStreamPublisher, PublishError, type NatsConnection } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
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

describe('server frozen (SIGSTOP) then resumed, and connection closed under the publisher', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
    await ensureStream(nc, { name: 'FROZEN' });
  });
  afterAll(async () => {
    if (!nc.isClosed()) await nc.close();
    await srv?.dispose();
  });

  it('ack timeouts while frozen are retried with the same ids: exactly once after SIGCONT', async () => {
    const N = 20_000;
    const logs: string[] = [];
    const pub = new JetStreamPublisher(nc, {
      mode: 'batch',
      window: 2048,
      ackTimeoutMs: 400,
      retryBackoff: { initialMs: 50, maxMs: 200 },
      log: (m) => logs.push(m),
    });
    let resumed: Promise<void> | null = null;
    for (let i = 0; i < N; i++) {
      if (i === 8000) {
        srv.kill('SIGSTOP');
        resumed = sleep(1200).then(() => srv.kill('SIGCONT'));
      }
      await pub.publishEncoded(SUBJECT, fakeBody(i), `frozen-${i}`, 'futures.trades.v1');
    }
    await resumed;
    await pub.close();
    expect(pub.stats).toMatchObject({ published: N, acked: N, failed: 0, pending: 0 });
    expect(logs.some((l) => l.includes('no PubAck within 400 ms'))).toBe(true);
    expect(await streamCount(nc, 'FROZEN')).toBe(N);
    const ids = new Set((await readStream(nc, 'FROZEN')).map((m) => m.msgId));
    expect(ids.size).toBe(N);
  }, 60_000);

  it('the connection closed under it: flush() reports the unconfirmed events, publish() rejects', async () => {
    const pub = new JetStreamPublisher(nc, { mode: 'ack', window: 100000 });
    // nothing gets confirmed: freeze() waits until the server is really stopped (kill('SIGSTOP') alone
    // leaves it answering for a moment on a loaded machine)
    await srv.freeze();
    for (let i = 0; i < 50; i++) await pub.publishEncoded(SUBJECT, fakeBody(i), `closed-${i}`, 'futures.trades.v1');
    await sleep(20);
    await nc.close();
    srv.kill('SIGCONT');
    const err = await pub.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).failed).toBe(50);
    await expect(pub.publishEncoded(SUBJECT, fakeBody(0), 'closed-x', 'futures.trades.v1')).rejects.toThrow(/connection closed/);
    expect(pub.stats.failed).toBe(50);
  });
});

describe('shutdown while the server is gone', () => {
  it('close(timeoutMs) gives up on what is unconfirmed, counts it failed and rejects waiting publishers', async () => {
    const srv = await startNatsServer();
    const nc = await connectBus({ servers: srv.url });
    try {
      await ensureStream(nc, { name: 'GONE' });
      const pub = new JetStreamPublisher(nc, { mode: 'batch', window: 100 });
      for (let i = 0; i < 50; i++) await pub.publishEncoded(SUBJECT, fakeBody(i), `gone-a-${i}`, 'futures.trades.v1');
      await pub.flush();
      srv.kill('SIGKILL');
      await srv.stop();
      // keep publishing: the window fills, then publish() waits (nothing can be confirmed)
      const accepted: Promise<void>[] = [];
      for (let i = 0; i < 150; i++) accepted.push(pub.publishEncoded(SUBJECT, fakeBody(i), `gone-b-${i}`, 'futures.trades.v1'));
      const settled = Promise.allSettled(accepted);
      const err = await pub.close(300).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishError);
      const outcomes = await settled;
      const rejected = outcomes.filter((o) => o.status === 'rejected').length;
      expect(rejected).toBeGreaterThan(0);
      const s = pub.stats;
      expect(s.acked).toBe(50);
      expect(s.pending).toBe(0);
      expect(s.acked + s.failed).toBe(s.published);
      expect(s.published + rejected).toBe(200);
      expect((err as PublishError).failed).toBe(s.failed);
    } finally {
      await nc.close();
      await srv.dispose();
    }
  });
});

describe('shutdown while the server is frozen', () => {
  it('close(timeoutMs): the accepted window is counted failed, waiting publishers are rejected', async () => {
    const srv = await startNatsServer();
    const nc = await connectBus({ servers: srv.url });
    try {
      await ensureStream(nc, { name: 'FROZEN2' });
      const pub = new JetStreamPublisher(nc, { mode: 'ack', window: 100 });
      // really stopped before anything is sent: after kill('SIGSTOP') alone a loaded server still acked the
      // first 100, the 50 waiting ones were then accepted and only those failed (received 50, expected 100)
      await srv.freeze();
      const calls: Promise<void>[] = [];
      for (let i = 0; i < 150; i++) calls.push(pub.publishEncoded(SUBJECT, fakeBody(i), `frozen2-${i}`, 'futures.trades.v1'));
      const settled = Promise.allSettled(calls);
      const err = await pub.close(300).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishError);
      expect((err as PublishError).failed).toBe(100);
      expect((err as Error).message).toContain('50 waiting publish() call(s) were rejected');
      expect((await settled).filter((o) => o.status === 'rejected').length).toBe(50);
      expect(pub.stats).toMatchObject({ published: 100, acked: 0, failed: 100, pending: 0 });
    } finally {
      srv.kill('SIGCONT');
      await nc.close();
      await srv.dispose();
    }
  });
});
