/** Zero-configuration pieces: the cached sample session and the local nats-server fallback. */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectBus, ensureStream, startNatsServer } from '@md/nats-bus';
import { defaultSampleCacheDir, ensureSampleSession, openBus, SAMPLE_SEED } from '../src/bootstrap';
import { DataRootSource } from '../src/source';
import { tempDir } from './helpers';

describe('sample session cache', () => {
  it('generated once (deterministic seed) into the cache dir, then reused', async () => {
    const cache = tempDir('replay-cache-');
    const logs: string[] = [];
    const a = await ensureSampleSession(cache, (m) => logs.push(m));
    expect(a.generated).toBe(true);
    expect(a.root).toBe(join(cache, `sample-v1-seed${SAMPLE_SEED}`));
    expect(existsSync(join(a.root, '.complete'))).toBe(true);
    expect(readdirSync(cache).filter((n) => n.includes('.tmp-'))).toEqual([]); // no leftovers
    const src = new DataRootSource(a.root);
    const dates = await src.availableDates();
    expect(dates).toHaveLength(1);
    for (const k of ['trades', 'mbp10', 'options'] as const) expect(await src.has(k, dates[0])).toBe(true);
    expect(logs.some((l) => /generating the sample session/.test(l))).toBe(true);
    const t0 = performance.now();
    const b = await ensureSampleSession(cache, () => undefined);
    expect(b).toEqual({ root: a.root, generated: false });
    expect(performance.now() - t0).toBeLessThan(100);
  }, 120_000);

  it("default cache dir: the workspace root's node_modules/.cache (outside git)", () => {
    expect(defaultSampleCacheDir()).toBe(join(import.meta.dirname, '../../../node_modules/.cache/md-replay-sample'));
  });
});

describe('NATS bootstrap', () => {
  it('nothing answers at the default URL: a local nats-server is started, MARKET_DATA created, stopped by close()', async () => {
    const logs: string[] = [];
    const bus = await openBus(null, true, (m) => logs.push(m), { NATS_URL: 'nats://127.0.0.1:1' });
    try {
      expect(bus.server).not.toBeNull();
      expect(bus.url).toBe(bus.server!.url);
      expect(bus.stream.action).toBe('created');
      expect(bus.stream.info.config.subjects).toEqual(['market.>']);
      expect(logs.join('\n')).toMatch(/no NATS server at nats:\/\/127\.0\.0\.1:1: starting a local nats-server/);
    } finally {
      await bus.close();
    }
    expect(bus.server!.running).toBe(false);
  });

  it('an existing MARKET_DATA with other settings is used as it is; one with other subjects is refused', async () => {
    const server = await startNatsServer();
    const nc = await connectBus({ servers: server.url });
    try {
      await ensureStream(nc, { maxAgeNs: 3_600_000_000_000n, duplicateWindowNs: 60_000_000_000n });
      const logs: string[] = [];
      const bus = await openBus(server.url, false, (m) => logs.push(m), {});
      expect(bus.stream.action).toBe('exists');
      expect(bus.stream.info.config.max_age).toBe(3_600_000_000_000);
      await bus.close();
      expect(logs.join('\n')).toMatch(/stream MARKET_DATA exists with other settings \(max_age 3600000000000, duplicate_window 60000000000\): using it as it is/);
      await nc.request('$JS.API.STREAM.DELETE.MARKET_DATA', new Uint8Array(0), { timeout: 10_000 });
      await ensureStream(nc, { subjects: ['market.futures.>'] });
      await expect(openBus(server.url, false, () => undefined, {})).rejects.toThrow(/subjects: expected \["market\.>"\], found \["market\.futures\.>"\]/);
    } finally {
      await nc.close();
      await server.dispose();
    }
  });

  it('a configured URL that does not answer and no fallback: a clear error naming it', async () => {
    await expect(openBus('nats://127.0.0.1:1', false, () => undefined, {})).rejects.toThrow(/127\.0\.0\.1:1/);
  });

  it('nats-server missing: the error names the install command', async () => {
    const prev = process.env.NATS_SERVER_BIN;
    process.env.NATS_SERVER_BIN = '/nonexistent/nats-server';
    try {
      await expect(openBus(null, true, () => undefined, { NATS_URL: 'nats://127.0.0.1:1' })).rejects.toThrow(/apt-get install -y nats-server/);
    } finally {
      if (prev === undefined) delete process.env.NATS_SERVER_BIN;
      else process.env.NATS_SERVER_BIN = prev;
    }
  });
});
