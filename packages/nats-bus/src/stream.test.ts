import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  connectBus,
  desiredStreamConfig,
  ensureStream,
  JetStreamUnavailableError,
  StreamConfigMismatchError,
  type NatsConnection,
} from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';

describe('ensureStream', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it('creates MARKET_DATA with the contract defaults, then finds it (idempotent)', async () => {
    const a = await ensureStream(nc);
    expect(a.action).toBe('created');
    expect(a.info.config).toMatchObject({
      name: 'MARKET_DATA',
      subjects: ['market.>'],
      retention: 'limits',
      storage: 'file',
      max_age: 86_400_000_000_000,
      duplicate_window: 120_000_000_000,
      num_replicas: 1,
      discard: 'old',
    });
    const b = await ensureStream(nc);
    expect(b.action).toBe('exists');
    expect(b.info.created).toEqual(a.info.created);
    const c = await ensureStream(nc, { duplicateWindowNs: 120_000_000_000n, maxAgeNs: 86_400_000_000_000n, replicas: 1 });
    expect(c.action).toBe('exists');
  });

  it('a different config is reported field by field and the stream is left untouched', async () => {
    const err = await ensureStream(nc, { duplicateWindowNs: 30_000_000_000n, storage: 'memory' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamConfigMismatchError);
    const m = err as StreamConfigMismatchError;
    expect(m.stream).toBe('MARKET_DATA');
    expect(m.differences.map((d) => d.field).sort()).toEqual(['duplicate_window', 'storage']);
    expect(m.message).toContain('duplicate_window: expected 30000000000, found 120000000000');
    const jsm = await jetstreamManager(nc);
    const si = await jsm.streams.info('MARKET_DATA');
    expect(si.config.duplicate_window).toBe(120_000_000_000);
    expect(si.config.storage).toBe('file');

    const err2 = await ensureStream(nc, { subjects: ['market.stocks.>'] }).catch((e: unknown) => e);
    expect((err2 as StreamConfigMismatchError).differences).toEqual([
      { field: 'subjects', expected: ['market.stocks.>'], actual: ['market.>'] },
    ]);
  });

  // RELIABILITY.md known bug 5: a stream differing only in operational settings (replicas, ...) was unusable
  it('acceptExisting: operational differences accepted and listed, others refused, the stream never changed', async () => {
    const want = { replicas: 3, maxAgeNs: 3_600_000_000_000n, duplicateWindowNs: 60_000_000_000n };
    await expect(ensureStream(nc, want)).rejects.toBeInstanceOf(StreamConfigMismatchError);
    const r = await ensureStream(nc, { ...want, acceptExisting: 'operational' });
    expect(r.action).toBe('exists');
    expect(r.differences).toEqual([
      { field: 'max_age', expected: 3_600_000_000_000, actual: 86_400_000_000_000 },
      { field: 'duplicate_window', expected: 60_000_000_000, actual: 120_000_000_000 },
      { field: 'num_replicas', expected: 3, actual: 1 },
    ]);
    expect(r.info.config.num_replicas).toBe(1);
    expect((await ensureStream(nc, { acceptExisting: 'operational' })).differences).toEqual([]);
    // storage is not operational: refused under 'operational', accepted under 'subjects'
    const err = await ensureStream(nc, { ...want, storage: 'memory', acceptExisting: 'operational' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamConfigMismatchError);
    expect((err as StreamConfigMismatchError).message).toContain('storage: expected "memory", found "file"');
    const s = await ensureStream(nc, { storage: 'memory', acceptExisting: 'subjects' });
    expect(s.differences.map((d) => d.field)).toEqual(['storage']);
    // other subjects are refused by every policy (events would not be stored)
    for (const acceptExisting of ['operational', 'subjects'] as const) {
      await expect(ensureStream(nc, { subjects: ['market.stocks.>'], acceptExisting })).rejects.toThrow(/subjects: expected/);
    }
    await expect(ensureStream(nc, { acceptExisting: 'loose' as never })).rejects.toThrow(/acceptExisting/);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('MARKET_DATA')).config).toMatchObject({ num_replicas: 1, storage: 'file', max_age: 86_400_000_000_000 });
  });

  it('custom name, subjects, window, max age and memory storage', async () => {
    const r = await ensureStream(nc, {
      name: 'CUSTOM',
      subjects: ['custom.a', 'custom.b.>'],
      duplicateWindowNs: 5_000_000_000n,
      maxAgeNs: 3_600_000_000_000n,
      storage: 'memory',
    });
    expect(r.action).toBe('created');
    expect(r.info.config).toMatchObject({ duplicate_window: 5_000_000_000, max_age: 3_600_000_000_000, storage: 'memory' });
    expect(
      (
        await ensureStream(nc, {
          name: 'CUSTOM',
          subjects: ['custom.b.>', 'custom.a'],
          duplicateWindowNs: 5_000_000_000n,
          maxAgeNs: 3_600_000_000_000n,
          storage: 'memory',
        })
      ).action,
    ).toBe('exists');
  });

  it('rejects invalid inputs before talking to the server', () => {
    expect(() => desiredStreamConfig({ duplicateWindowNs: 2n * 86_400_000_000_000n })).toThrow(/must not exceed/);
    expect(() => desiredStreamConfig({ replicas: 0 })).toThrow(/replicas/);
    expect(() => desiredStreamConfig({ maxAgeNs: 0n })).toThrow(/max age/);
  });

  it('a server without JetStream gives JetStreamUnavailableError', async () => {
    const plain = await startNatsServer({ jetstream: false });
    const nc2 = await connectBus({ servers: plain.url });
    try {
      await expect(ensureStream(nc2)).rejects.toBeInstanceOf(JetStreamUnavailableError);
    } finally {
      await nc2.close();
      await plain.dispose();
    }
  });
});
