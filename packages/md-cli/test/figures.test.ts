/**
 * Measured figures (printed, bounds generous): `md audit` over 50,000 stored events, `md tail --no-follow` of all
 * of them, and the NATS error path (unreachable server, secrets never printed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher } from '@md/nats-bus';
import { findFreePort } from '@md/nats-bus/testing';
import { killAll } from '@md/test-support/process';
import { audit } from '../src/index.js';
import { until } from '@md/test-support';
import { future, md, mdRun, startTestBus, T0, type TestBus } from './helpers.js';

const N = 50_000;
let bus: TestBus;
beforeAll(async () => {
  bus = await startTestBus();
  const pub = new JetStreamPublisher(bus.nc, { mode: 'batch' });
  for (let i = 0; i < N; i++)
    await pub.publish({ subject: 'market.futures.trades', event: future(i % 8, T0 + BigInt(i) * 1_000n + 1n), msgId: `fig:${i}` });
  await pub.close();
}, 120_000);
afterAll(async () => {
  killAll();
  await bus?.close();
});

describe('figures', () => {
  it(`audit reads ${N} events (in-process and as the command)`, async () => {
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const r = await audit(bus.nc, { stream: 'MARKET_DATA', subjects: [] });
    const ms = performance.now() - t0;
    console.log(
      `audit in-process: ${r.messages} messages in ${ms.toFixed(0)} ms = ${Math.round((r.messages / ms) * 1000)} msg/s; ` +
        `id table ${r.id_table_bytes} bytes; heap +${((process.memoryUsage().heapUsed - heap0) / 1e6).toFixed(1)} MB`,
    );
    expect([r.messages, r.distinct_ids, r.duplicates, r.order_breaks]).toEqual([N, N, 0, 0]);
    const t1 = performance.now();
    const c = await mdRun(['audit', '--json'], { NATS_URL: bus.server.url });
    console.log(`md audit (child process, tsx start included): ${(performance.now() - t1).toFixed(0)} ms`);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ messages: N, duplicates: 0 });
  });

  it(`tail --no-follow prints all ${N}`, async () => {
    const t0 = performance.now();
    const r = await mdRun(['tail', '--no-follow', '--since', '0'], { NATS_URL: bus.server.url });
    console.log(`md tail --no-follow --since 0: ${N} lines in ${(performance.now() - t0).toFixed(0)} ms (child process)`);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.length).toBe(N);
    expect(lines[N - 1]).toContain(`"ts_event_ns":${T0 + BigInt(N - 1) * 1_000n + 1n},`);
  });

  it('an unreachable server is exit 1, its credentials never printed', async () => {
    const port = await findFreePort();
    const r = await mdRun(['audit', '--nats-url', `nats://alice:pw-s3cret-1@127.0.0.1:${port}`], { NATS_TOKEN: 'tok-s3cret-2' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`md: cannot connect to NATS at nats://alice:***@127.0.0.1:${port}`);
    expect(r.stderr).not.toContain('s3cret');
  });
});

describe('a reader that goes away', () => {
  it('md tail | head: a closed stdout ends md with 0', async () => {
    const p = md(['tail', '--no-follow', '--since', '0'], { NATS_URL: bus.server.url });
    await until(() => p.out.stdout.length > 0, 30_000);
    p.p.stdout.destroy();
    expect(await p.exit).toBe(0);
    expect(p.out.stderr).not.toMatch(/fatal|Error/);
  });
});
