/**
 * Bounded stop (issue 15): JetStreamPublisher.close(timeoutMs) and AppBus.close(timeoutMs) end in time whatever
 * the server does: SIGKILLed (the client reconnecting), frozen with SIGSTOP (connected, nothing answers), with
 * publish() calls waiting for room in a full window. Real nats-server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SUBJECTS } from '@md/event-types';
import { openAppBus, PublishError, type AppBus } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { fakeBody } from './test-util.js';

const SCHEMA = 'futures.trades.v1';
let srv: LocalNatsServer | null = null;
let bus: AppBus | null = null;
afterEach(async () => {
  srv?.kill('SIGCONT');
  await bus?.close(500).catch(() => undefined);
  await srv?.dispose();
  srv = null;
  bus = null;
});

/** opens the bus on a fresh server, publishes `n` confirmed events, returns a publisher */
async function setup(mode: 'ack' | 'batch', window: number) {
  srv = await startNatsServer();
  bus = await openAppBus({ name: 'shutdown-test', url: srv.url, mode, window, windowExplicit: true });
  const pub = bus.publisher({ ackTimeoutMs: 1000 });
  for (let i = 0; i < 50; i++) await pub.publishEncoded(SUBJECTS.futuresTrades, fakeBody(i), `sd-ok-${i}`, SCHEMA);
  await pub.flush();
  return pub;
}

describe.each(['ack', 'batch'] as const)('bounded close, mode %s', (mode) => {
  it.each(['SIGKILL', 'SIGSTOP'] as const)(
    'server %s with a full window and a waiting publish(): close(800) and bus.close(300) end in time, every unconfirmed event counted',
    async (fault) => {
      const W = 64;
      const pub = await setup(mode, W);
      if (fault === 'SIGKILL') {
        srv!.kill('SIGKILL');
        await srv!.stop();
      } else await srv!.freeze();
      // disconnected (SIGKILL): publish() waits for the recovery; frozen: the window fills, then it waits for room
      let [accepted, rejected] = [0, 0];
      for (let i = 0; i < W; i++)
        void pub.publishEncoded(SUBJECTS.futuresTrades, fakeBody(i), `sd-${i}`, SCHEMA).then(
          () => accepted++,
          () => rejected++,
        );
      // one more than the window: waits for room (or for the recovery) until the close rejects it
      const waiting = pub.publishEncoded(SUBJECTS.futuresTrades, fakeBody(999), 'sd-waiting', SCHEMA);
      // a publisher that publishes the next event as soon as one is rejected (the live engine's pump): also rejected
      let next: Promise<unknown> | null = null;
      const waited = waiting.then(
        () => 'accepted',
        (e: unknown) => {
          next = pub.publishEncoded(SUBJECTS.futuresTrades, fakeBody(1000), 'sd-next', SCHEMA).then(
            () => 'accepted',
            (e2: unknown) => e2,
          );
          return e;
        },
      );
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      const err = await pub.close(800).catch((e: unknown) => e);
      const closeMs = performance.now() - t0;
      const t1 = performance.now();
      await bus!.close(300);
      const busMs = performance.now() - t1;
      console.log(
        `RELIABILITY: nats-bus ${mode} ${fault}: publisher.close(800) ${closeMs.toFixed(0)} ms, bus.close(300) ${busMs.toFixed(0)} ms`,
      );
      expect(err).toBeInstanceOf(PublishError);
      expect(closeMs).toBeLessThan(800 + 1500);
      expect(busMs).toBeLessThan(300 + 1500);
      expect(bus!.nc.isClosed()).toBe(true);
      const r = await waited;
      expect(r).toBeInstanceOf(PublishError);
      expect(String((r as Error).message)).toMatch(/not accepted/);
      expect(next).not.toBeNull();
      expect(await next).toBeInstanceOf(PublishError);
      const s = pub.stats;
      expect(s.pending).toBe(0);
      expect(s.acked).toBe(50);
      // every event is accounted for: accepted then given up (failed), or never accepted (rejected)
      expect(s.failed).toBe(accepted);
      expect(accepted + rejected).toBe(W);
      // a publish() after close() rejects at once
      await expect(pub.publishEncoded(SUBJECTS.futuresTrades, fakeBody(1), 'sd-late', SCHEMA)).rejects.toThrow(/closed/);
      if (fault === 'SIGSTOP') expect(accepted).toBe(W);
    },
    30_000,
  );
});
