/**
 * Issue 15: stopping is bounded. The app as a child process, a real nats-server; SIGTERM while
 * (a) the server was SIGKILLed 2 s before and is not restarted (speed 1: the replay clock sleeps between events),
 * (b) the server is frozen (SIGSTOP, every thread stopped: connected, nothing answers),
 * (c) the publish window is full while connected to a healthy server: a 3-node cluster whose R1 stream lives on
 *     another node than the one the app is connected to, that node frozen: the app's server answers its PINGs,
 *     the PubAcks never come (ack mode, --publish-window 16, speed 0: publish() waits for room).
 * Each must exit within --shutdown-timeout + 1 s with exit 4 (EXIT_CODES.unconfirmed) and the unconfirmed count in
 * the last log line and the statistics table; then `--resume` against the restarted (thawed) server ends with every
 * event of the replay stored exactly once (the stream read back, counted per msg id).
 * SHUTDOWN_DEBUG=1 prints the child's last log lines after each SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { connectBus, type NatsConnection } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';
import { until } from '@md/test-support';
import { clusterStoreAway, reportShutdown, sigtermTimed, sleep, streamAnswers, TestServers } from '@md/test-support/shutdown';
import { group, killAll, readStream, run, type Proc } from './helpers';

const S = 3; // --shutdown-timeout
/** the replayed window: a quarter of an hour of a dense session (~4.6 events/s of event time) */
const WINDOW = ['--start', '14:30', '--end', '14:45'];

let root = '';
let expected = 0;
const stores: string[] = [];
const servers = new TestServers();
afterEach(async () => {
  killAll();
  await servers.reset();
});

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'replay-shutdown-'));
  await generateSampleSession({ root, seed: 1515, trades: 400_000, mbp10: 0, options: 0 });
  const r = run(['--data-root', root, ...WINDOW, '--sink', 'stdout', '--speed', '0', '--progress-every', '0']);
  expect(await r.exit, r.out.stderr).toBe(0);
  expected = r.out.stdout.trimEnd().split('\n').length;
  expect(expected).toBeGreaterThan(1000);
}, 180_000);
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  for (const d of stores) rmSync(d, { recursive: true, force: true });
});

/** SIGTERM now: the time to exit (ms), the exit code, the unconfirmed count of the last log line and of the table */
async function sigterm(r: Proc): Promise<{ ms: number; code: number | null; count: number }> {
  const { ms, code } = await sigtermTimed(r, 12);
  const lines = r.out.stderr.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const count = Number(group(/SIGTERM: stopped with (\d+) unconfirmed event\(s\)/, last));
  const inTable = Number(group(/unconfirmed[^\n]*?\s([\d,]+)\n/, r.out.stdout).replace(/,/g, ''));
  expect(inTable, r.out.stdout).toBe(count);
  return { ms, code, count };
}

/** `--resume` at speed 0 into `url`, then the stream: every event of the replay exactly once */
async function resumeAndCheck(url: string): Promise<string> {
  const r = run(['--data-root', root, ...WINDOW, '--speed', '0', '--resume', '--progress-every', '0'], { NATS_URL: url });
  expect(await r.exit, r.out.stderr.slice(-3000)).toBe(0);
  const nc: NatsConnection = await connectBus({ servers: url });
  try {
    const { lines, ids } = await readStream(nc);
    expect(ids).toBe(expected);
    expect(lines.length).toBe(expected); // as many messages as distinct ids: each id stored once
  } finally {
    await nc.close();
  }
  return group(/(resume: [^\n]*)/, r.out.stderr);
}

const report = (kase: string, t: { ms: number; code: number | null; count: number }, extra = '') =>
  reportShutdown('replay', kase, S, t, `${t.count} unconfirmed event(s); ${extra}`);

describe(`SIGTERM ends the replay within --shutdown-timeout ${S} + 1 s, exit 4 with the unconfirmed count`, () => {
  it('(a) nats-server SIGKILLed 2 s before, not restarted (speed 1); then --resume on the restarted server: every event once', async () => {
    const store = mkdtempSync(join(tmpdir(), 'replay-shutdown-store-'));
    stores.push(store);
    const srv = (servers.server = await startNatsServer({ storeDir: store }));
    const r = run(['--data-root', root, ...WINDOW, '--speed', '1', '--shutdown-timeout', String(S), '--progress-every', '5'], {
      NATS_URL: srv.url,
    });
    await until(() => /progress events=10 /.test(r.out.stderr), 60_000, '10 events published');
    srv.kill('SIGKILL');
    await srv.stop(); // reap
    await sleep(2000);
    const t = await sigterm(r);
    expect(t.code, r.out.stderr.slice(-3000)).toBe(4);
    expect(t.ms).toBeLessThan(S * 1000 + 1000);
    expect(t.count).toBeGreaterThan(0);
    await srv.restart(); // the same port and store
    const resumed = await resumeAndCheck(srv.url);
    report('a: server SIGKILLed, down', t, `--resume after restart: ${expected} events each once (${resumed.slice(0, 90)})`);
  }, 240_000);

  it('(b) nats-server frozen with SIGSTOP (speed 50); after SIGCONT, --resume: every event once', async () => {
    const srv = (servers.server = await startNatsServer());
    const r = run(['--data-root', root, ...WINDOW, '--speed', '50', '--shutdown-timeout', String(S), '--progress-every', '50'], {
      NATS_URL: srv.url,
    });
    await until(() => /progress events=100 /.test(r.out.stderr), 60_000, '100 events published');
    await srv.freeze();
    await sleep(2000);
    const t = await sigterm(r);
    expect(t.code, r.out.stderr.slice(-3000)).toBe(4);
    expect(t.ms).toBeLessThan(S * 1000 + 1000);
    expect(t.count).toBeGreaterThan(0);
    srv.kill('SIGCONT');
    await sleep(1000); // what the frozen server had buffered is stored now (then dropped as duplicates by the resume)
    const resumed = await resumeAndCheck(srv.url);
    report('b: server frozen', t, `--resume after SIGCONT: ${expected} events each once (${resumed.slice(0, 90)})`);
  }, 240_000);

  it('(c) full publish window, connected: the R1 stream on another node of a cluster, that node frozen; --resume after SIGCONT: every event once', async () => {
    const { storeNode, appNode } = await clusterStoreAway(servers);
    const args = ['--publish-mode', 'ack', '--publish-window', '16', '--speed', '0', '--shutdown-timeout', String(S)];
    const r = run(['--data-root', root, ...WINDOW, ...args, '--progress-every', '100'], { NATS_URL: appNode.url });
    await until(() => /progress events=\d*[1-9]00 /.test(r.out.stderr), 60_000, '100 events published');
    await storeNode.freeze();
    await sleep(2000);
    expect(r.p.exitCode, r.out.stderr.slice(-2000)).toBeNull();
    const t = await sigterm(r);
    expect(t.code, r.out.stderr.slice(-3000)).toBe(4);
    expect(t.ms).toBeLessThan(S * 1000 + 1000);
    expect(t.count).toBeGreaterThan(0);
    expect(t.count).toBeLessThanOrEqual(16 + 1); // the window and the publish() waiting for room
    expect(r.out.stderr).not.toMatch(/nats: disconnected/); // the app's own server answered throughout
    storeNode.kill('SIGCONT');
    await sleep(2000);
    await streamAnswers(appNode.url);
    const resumed = await resumeAndCheck(appNode.url);
    report(
      'c: full window, PubAcks withheld while connected',
      t,
      `--resume after SIGCONT: ${expected} events each once (${resumed.slice(0, 90)})`,
    );
  }, 240_000);
});
