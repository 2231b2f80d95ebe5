import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectBus, ensureStream, JetStreamPublisher, PublishError, type NatsConnection } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { at, fakeBody, readStream, streamCount } from './test-util.js';

const SCHEMA = 'futures.trades.v1';
const SUBJECT = 'market.futures.trades';

describe.each(['ack', 'batch'] as const)('JetStreamPublisher mode %s', (mode) => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  const stream = `PUB_${mode.toUpperCase()}`;

  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
    await ensureStream(nc, { name: stream, subjects: ['market.>'] });
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it('publishes N events, every one stored once with its bytes and headers; republishing stores nothing new', async () => {
    const N = 5000;
    const pub = new JetStreamPublisher(nc, { mode, window: 256, batchSize: 100 });
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const id = `${SUBJECT}:42:${1702900800123456789n + BigInt(i)}:${i}:test.dbn:${i}`;
      ids.push(id);
      await pub.publishEncoded(i % 5 === 0 ? 'market.futures.mbp10' : SUBJECT, fakeBody(i), id, SCHEMA);
    }
    await pub.flush();
    expect(pub.stats).toMatchObject({ published: N, acked: N, failed: 0, pending: 0, duplicates: 0 });
    expect(await streamCount(nc, stream)).toBe(N);

    const stored = await readStream(nc, stream);
    expect(stored.length).toBe(N);
    stored.forEach((m, i) => {
      expect(m.msgId).toBe(ids[i]);
      expect(m.schema).toBe(SCHEMA);
      expect(m.subject).toBe(i % 5 === 0 ? 'market.futures.mbp10' : SUBJECT);
      expect(Buffer.from(m.data).equals(Buffer.from(fakeBody(i)))).toBe(true);
    });

    // the same ids again, inside the duplicate window: nothing new stored
    for (let i = 0; i < N; i++) await pub.publishEncoded(SUBJECT, fakeBody(i), at(ids, i), SCHEMA);
    await pub.flush();
    await pub.close();
    expect(await streamCount(nc, stream)).toBe(N);
    expect(pub.stats.acked).toBe(2 * N);
    if (mode === 'ack') expect(pub.stats.duplicates).toBe(N);
    // batch mode only learns about the events that carried a reply subject (the markers)
    else expect(pub.stats.duplicates).toBeGreaterThanOrEqual(Math.floor(N / 100));
  });

  it('backpressure: never more than the window unconfirmed, and publish() waits when full', async () => {
    const W = 64;
    const pub = new JetStreamPublisher(nc, { mode, window: W, batchSize: 16 });
    let maxPending = 0;
    let waited = 0;
    for (let i = 0; i < 3000; i++) {
      const before = pub.stats.pending;
      const p = pub.publishEncoded(SUBJECT, fakeBody(i), `bp-${mode}-${i}`, SCHEMA);
      let resolved = false;
      void p.then(() => (resolved = true));
      await Promise.resolve();
      if (before >= W && !resolved) waited++;
      await p;
      maxPending = Math.max(maxPending, pub.stats.pending);
    }
    await pub.close();
    expect(maxPending).toBeLessThanOrEqual(W);
    expect(maxPending).toBeGreaterThan(0);
    expect(waited).toBeGreaterThan(0);
    expect(pub.stats).toMatchObject({ published: 3000, acked: 3000, failed: 0, pending: 0 });
  });

  it('a subject no stream captures: bounded retries, then flush() reports the failure (no hang)', async () => {
    const pub = new JetStreamPublisher(nc, { mode, maxRetries: 2, retryBackoff: { initialMs: 10, maxMs: 20 } });
    for (let i = 0; i < 10; i++) await pub.publishEncoded('nowhere.at.all', fakeBody(i), `nr-${mode}-${i}`, SCHEMA);
    const err = await pub.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).failed).toBe(10);
    expect((err as Error).message).toContain('nowhere.at.all');
    expect(pub.stats.failed).toBe(10);
    expect(pub.stats.retried).toBeGreaterThanOrEqual(2);
    expect(pub.stats.pending).toBe(0);
    // the publisher keeps working afterwards
    await pub.publishEncoded(SUBJECT, fakeBody(1), `nr-ok-${mode}`, SCHEMA);
    await pub.close();
    expect(pub.stats.acked).toBe(1);
  });

  it('onConfirm: the counts add up to the events confirmed, with latencies and the PubAck duplicate flag', async () => {
    const N = 2000;
    let count = 0;
    let calls = 0;
    let dupCount = 0;
    let maxLatency = -1;
    let minLatency = Infinity;
    const bySource = new Map<string, number>();
    const pub = new JetStreamPublisher(nc, {
      mode,
      window: 256,
      batchSize: 100,
      onConfirmEvent: (subject, source) => {
        expect(subject).toBe(SUBJECT);
        bySource.set(source, (bySource.get(source) ?? 0) + 1);
      },
      onConfirm: (n, latencyMs, duplicate) => {
        calls++;
        count += n;
        if (duplicate) dupCount += n;
        maxLatency = Math.max(maxLatency, latencyMs);
        minLatency = Math.min(minLatency, latencyMs);
      },
    });
    for (let i = 0; i < N; i++) await pub.publishEncoded(SUBJECT, fakeBody(i), `oc-${mode}-${i}`, SCHEMA, i % 4 === 0 ? 'a' : 'b');
    await pub.flush();
    expect(count).toBe(N);
    expect(Object.fromEntries(bySource)).toEqual({ a: N / 4, b: (3 * N) / 4 }); // one call per confirmed event, with its source
    expect(dupCount).toBe(0);
    if (mode === 'ack') expect(calls).toBe(N);
    else expect(calls).toBeLessThan(N / 10); // markers confirm many
    expect(minLatency).toBeGreaterThanOrEqual(0);
    expect(maxLatency).toBeLessThan(30_000);
    // the same ids again: the PubAcks say duplicate
    for (let i = 0; i < N; i++) await pub.publishEncoded(SUBJECT, fakeBody(i), `oc-${mode}-${i}`, SCHEMA);
    await pub.close();
    expect(count).toBe(2 * N);
    if (mode === 'ack') expect(dupCount).toBe(N);
    else expect(dupCount).toBeGreaterThan(0);
  });

  it('a message id is required', async () => {
    const pub = new JetStreamPublisher(nc, { mode });
    await expect(pub.publishEncoded(SUBJECT, fakeBody(0), '', SCHEMA)).rejects.toThrow(/message id/);
    await expect(pub.publishEncoded(SUBJECT, fakeBody(0), 'a\r\nInjected: x', SCHEMA)).rejects.toThrow(/CR or LF/);
    await pub.close();
  });

  it('uses the stream duplicate window configured by ensureStream', async () => {
    const jsm = await jetstreamManager(nc);
    const si = await jsm.streams.info(stream);
    expect(si.config.duplicate_window).toBe(120_000_000_000);
  });
});
