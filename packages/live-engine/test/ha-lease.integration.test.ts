/**
 * LiveHa on the real KV lease of @md/nats-bus (a real nats-server): the leader loses NATS, its lease is lost at
 * once and its vendor sockets closed; the standby takes the lease when the key expires (TTL) and connects.
 * Never two vendor connections at a time. The process-level scenario (SIGKILL of a leader) is the app's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectBus, Lease } from '@md/nats-bus';
import { LiveEngine, LiveHa } from '@md/live-engine';
import { MemorySink } from '@md/test-support';
import { FakeVendor } from '@md/test-support/fake-vendor';
import { LogCapture, startBus, STOCKS_ONLY, testConfig } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch(() => {});
});

describe('LiveHa on a NATS KV lease', () => {
  it('the leader loses NATS: sockets closed at once, the standby leads within the TTL + 1 s', async () => {
    const bus = await startBus();
    cleanups.push(() => bus.close());
    const fv = await FakeVendor.start();
    cleanups.push(() => fv.close());
    const TTL = 1000;
    const sink = new MemorySink();
    const instance = async (holder: string) => {
      const nc = await connectBus({ servers: bus.server.url });
      cleanups.push(() => nc.close());
      const ha = new LiveHa({
        makeEngine: () => new LiveEngine(testConfig(fv, { ...STOCKS_ONLY, closeSinkOnStop: false }), sink, new LogCapture().log),
      });
      const lease = await Lease.open(nc, { key: 'live-ingestor.test', holder, ttlMs: TTL, ...ha.handlers });
      cleanups.push(() => ha.stop());
      return { nc, ha, lease };
    };
    const A = await instance('A');
    A.ha.run(A.lease);
    await fv.waitFor(() => fv.connectionsOpen('stocks') === 1, 5000, 'A connected');
    const B = await instance('B');
    B.ha.run(B.lease);
    await new Promise((r) => setTimeout(r, 2 * TTL));
    expect([A.ha.leading, B.ha.leading]).toEqual([true, false]);
    expect(fv.connectionsOpen('stocks')).toBe(1);

    const t0 = Date.now();
    await A.nc.close(); // the leader loses NATS: its lease is lost at once
    await fv.waitFor(() => fv.connectionsOpen('stocks') === 0, 500, "A's socket closed at once");
    const closedMs = Date.now() - t0;
    await fv.waitFor(() => fv.connectionsOpen('stocks') === 1 && B.ha.leading, TTL + 1000 + 2000, 'B connected');
    const failoverMs = Date.now() - t0;
    console.log(
      `HA LEASE: leader socket closed ${closedMs} ms after losing NATS; standby connected after ${failoverMs} ms (TTL ${TTL} ms)`,
    );
    expect(A.ha.leading).toBe(false);
    expect(failoverMs).toBeLessThan(TTL + 1000 + 1000);
    expect(fv.maxConcurrent.stocks).toBe(1);
  }, 30_000);
});
