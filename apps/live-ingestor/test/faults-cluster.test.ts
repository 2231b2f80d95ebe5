/**
 * The live-ingestor against a three-node JetStream cluster whose MARKET_DATA has three replicas, with
 * NATS_URL = the three servers as the only NATS configuration: it should use the stream and store events.
 *
 * This was a known gap found by this file (RELIABILITY.md, known bug 5): src/main.ts refused the existing R3
 * stream ("num_replicas: expected 1, found 3", exit 1). Fixed: an existing stream capturing market.> is used
 * as it is, and a replicated stream gets ack mode unless --publish-mode is given.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, ensureStream } from '@md/nats-bus';
import { startNatsCluster, type LocalNatsCluster } from '@md/nats-bus/testing';
import { until } from '@md/test-support';
import { FakeVendor, FAKE_API_KEY } from '@md/test-support/fake-vendor';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
let cluster: LocalNatsCluster;
let fv: FakeVendor;
let child: ChildProcessWithoutNullStreams | null = null;

async function settle<T>(f: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

beforeAll(async () => {
  [cluster, fv] = await Promise.all([startNatsCluster({ size: 3 }), FakeVendor.start()]);
  const nc = await connectBus({ servers: cluster.url });
  try {
    expect((await settle(() => ensureStream(nc, { replicas: 3 }))).info.config.num_replicas).toBe(3);
  } finally {
    await nc.close();
  }
}, 90_000);
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await fv?.close();
  await cluster?.dispose();
});

describe('live-ingestor and a replicated stream on a 3-node cluster', () => {
  it('NATS_URL = the three servers only: the app uses the R3 stream and stores events', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--sessions', 'stocks', '--stats-interval', '0'], {
      cwd: resolve(import.meta.dirname, '..'),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        POLYGON_API_KEY: FAKE_API_KEY,
        POLYGON_STOCKS_WS_URL: fv.url('stocks'),
        NATS_URL: cluster.url,
      },
    });
    const p = child;
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    await Promise.race([
      fv.waitFor(() => fv.subscriptions('stocks').size === 2, 30_000, 'subscription'),
      exit.then((c) => {
        throw new Error(`the app exited ${c}: ${stderr.slice(-400)}`);
      }),
    ]);
    fv.broadcast('stocks', JSON.stringify([{ ev: 'T', sym: 'SPY', i: '1', x: 12, p: 676.41, s: 100, t: 1765898100000, q: 1 }]));
    const nc = await connectBus({ servers: cluster.url });
    try {
      await until(
        async () => Number((await settle(() => ensureStream(nc, { replicas: 3 }))).info.state.messages) === 1,
        20_000,
        'the event stored',
      );
    } finally {
      await nc.close();
    }
    p.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 90_000);
});
