/**
 * Issue 15: stopping is bounded. The app as a child process (stocks session, the fake vendor playing trades at
 * ~100 events/s, a real nats-server, --no-backfill: no REST), SIGTERM while
 * (a) the server was SIGKILLed 2 s before and is not restarted,
 * (b) the server is frozen (SIGSTOP, every thread stopped: connected, nothing answers),
 * (c) the publish window is full while connected to a healthy server: a 3-node cluster whose R1 stream lives on
 *     another node than the app's, that node frozen (its server answers the app's PINGs; the PubAcks never come;
 *     ack mode, --publish-window 8),
 * (d) the vendor socket is half-open (FakeVendor.halfOpen(): the vendor neither reads nor sends, nothing closes),
 *     NATS healthy.
 * Each must exit within --shutdown-timeout + 1 s: (a)-(c) with exit 4 (EXIT_CODES.unconfirmed), the count in the
 * final stats line (`unconfirmed=N`) and in the last line; (d) with exit 0 and `unconfirmed=0`.
 * SHUTDOWN_DEBUG=1 prints the child's last log lines after each SIGTERM.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNatsServer } from '@md/nats-bus/testing';
import { until } from '@md/test-support';
import { FakeVendor, FAKE_API_KEY } from '@md/test-support/fake-vendor';
import { killAll, runTsx, type Proc } from '@md/test-support/process';
import { clusterStoreAway, reportShutdown, sigtermTimed, sleep, TestServers } from '@md/test-support/shutdown';

const S = 2; // --shutdown-timeout
const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const trade = (q: number) => JSON.stringify([{ ev: 'T', sym: 'SPY', i: String(q), x: 12, p: 676.41, s: 100, t: 1765898100000 + q, q }]);

let fv: FakeVendor | null = null;
let feed: NodeJS.Timeout | null = null;
const servers = new TestServers();
afterEach(async () => {
  killAll();
  if (feed) clearInterval(feed);
  await fv?.close();
  await servers.reset();
  [fv, feed] = [null, null];
});

/** the vendor, the app on `natsUrl`, streaming: trades every 10 ms from then on */
async function start(natsUrl: string, extra: string[] = []): Promise<Proc> {
  fv = await FakeVendor.start();
  const v = fv;
  const r = runTsx(MAIN, ['--sessions', 'stocks', '--no-backfill', '--stats-interval', '0.5', '--shutdown-timeout', String(S), ...extra], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { POLYGON_API_KEY: FAKE_API_KEY, POLYGON_STOCKS_WS_URL: v.url('stocks'), NATS_URL: natsUrl },
  });
  await v.waitFor(() => v.subscriptions('stocks').size === 2, 60_000, 'subscription');
  let q = 0;
  feed = setInterval(() => v.broadcast('stocks', trade(++q)), 10);
  await until(() => /stats .* acked=([1-9]\d{2,}) /.test(r.out.stderr), 30_000, '100 events acked');
  return r;
}

/** SIGTERM now: the time to exit, the code, the final line's unconfirmed count (and the last line's, when exit 4) */
async function sigterm(r: Proc): Promise<{ ms: number; code: number | null; count: number }> {
  const { ms, code } = await sigtermTimed(r, 14);
  const final = /final frames=[^\n]* unconfirmed=(\d+)/.exec(r.out.stderr);
  expect(final, r.out.stderr.slice(-3000)).not.toBeNull();
  const count = Number(final![1]);
  if (code === 4) {
    const lines = r.out.stderr.trimEnd().split('\n');
    const last = lines[lines.length - 1] ?? '';
    expect(last).toMatch(/^live-ingestor: SIGTERM: \d+ event\(s\) failed to publish \(publish_errors=\d+, failed=\d+\); unconfirmed=\d+/);
    expect(Number(/unconfirmed=(\d+)/.exec(last)?.[1])).toBe(count);
  }
  return { ms, code, count };
}

const report = (kase: string, t: { ms: number; code: number | null; count: number }) =>
  reportShutdown('live', kase, S, t, `unconfirmed=${t.count}`);

describe(`SIGTERM ends the live ingestor within --shutdown-timeout ${S} + 1 s`, () => {
  it('(a) nats-server SIGKILLed 2 s before, not restarted: exit 4, the unconfirmed counted', async () => {
    const server = (servers.server = await startNatsServer());
    const r = await start(server.url);
    server.kill('SIGKILL');
    await server.stop();
    await sleep(2000);
    const t = await sigterm(r);
    report('a: server SIGKILLed, down', t);
    expect(t.code, r.out.stderr.slice(-3000)).toBe(4);
    expect(t.ms).toBeLessThan(S * 1000 + 1000);
    expect(t.count).toBeGreaterThan(0);
  }, 120_000);

  it('(b) nats-server frozen with SIGSTOP: exit 4, the unconfirmed counted', async () => {
    const server = (servers.server = await startNatsServer());
    const r = await start(server.url);
    await server.freeze();
    await sleep(2000);
    const t = await sigterm(r);
    report('b: server frozen', t);
    expect(t.code, r.out.stderr.slice(-3000)).toBe(4);
    expect(t.ms).toBeLessThan(S * 1000 + 1000);
    expect(t.count).toBeGreaterThan(0);
  }, 120_000);

  it('(c) full publish window while connected (cluster, the R1 stream node frozen): exit 4, the unconfirmed counted', async () => {
    const { storeNode, appNode } = await clusterStoreAway(servers);
    const r = await start(appNode.url, ['--publish-mode', 'ack', '--publish-window', '8']);
    await storeNode.freeze();
    await sleep(2000);
    const before = r.out.stderr.match(/stats [^\n]*/g)?.pop() ?? '';
    expect(before).toMatch(/ pending=8 /); // the window is full
    const t = await sigterm(r);
    report('c: full window, PubAcks withheld while connected', t);
    expect(t.code, r.out.stderr.slice(-3000)).toBe(4);
    expect(t.ms).toBeLessThan(S * 1000 + 1000);
    expect(t.count).toBeGreaterThanOrEqual(8);
    expect(r.out.stderr).not.toMatch(/nats: disconnected/);
  }, 180_000);

  it('(d) the vendor socket half-open (NATS healthy): exit 0, unconfirmed=0, the socket dropped', async () => {
    const server = (servers.server = await startNatsServer());
    const r = await start(server.url);
    if (feed) clearInterval(feed);
    expect(fv!.halfOpen('stocks')).toBe(1);
    await sleep(500);
    const t = await sigterm(r);
    report('d: vendor socket half-open', t);
    expect(t.code, r.out.stderr.slice(-3000)).toBe(0);
    expect(t.ms).toBeLessThan(S * 1000 + 1000);
    expect(t.count).toBe(0);
  }, 120_000);
});
