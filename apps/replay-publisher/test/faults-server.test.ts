/**
 * Faults of the NATS server during a replay of >= 200,000 events (a generated session: ES trades + MBP-10 +
 * SPY option trades), the app as a child process (src/main.ts through tsx), a real nats-server:
 * - SIGKILL mid-replay, restarted on the same store a few seconds later: the replay carries on by itself;
 * - SIGSTOP for 10 s mid-replay (LocalNatsServer.freeze(): every thread stopped), then SIGCONT: the replay
 *   waits with flat memory, then finishes.
 * Each time the stream must end with every event exactly once, in order: the stream is read back and
 * compared line by line with what the same replay writes with `--sink stdout` (subject + exact body).
 *
 * FAULTS_REPLAY_EVENTS (default 200000) sets the session size; FAULTS_FREEZE_S (default 10) the freeze.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { connectBus, ensureStream } from '@md/nats-bus';
import { startNatsServer, type LocalNatsServer } from '@md/nats-bus/testing';
import { until } from '@md/test-support';
import { at, firstDifference, killAll, readStream, run } from './helpers';

const EVENTS = Number(process.env.FAULTS_REPLAY_EVENTS ?? 200_000);
const FREEZE_S = Number(process.env.FAULTS_FREEZE_S ?? 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root = '';
/** `subject<TAB>body` of every event, in replay order (from --sink stdout) */
let expected: string[] = [];
afterEach(() => killAll());

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'replay-faults-'));
  const options = Math.floor(EVENTS * 0.025);
  const mbp10 = Math.floor(EVENTS * 0.2);
  await generateSampleSession({ root, seed: 606, trades: EVENTS - options - mbp10, mbp10, options });
  const r = run(['--data-root', root, '--include-options', '--sink', 'stdout', '--speed', '0', '--progress-every', '0']);
  expect(await r.exit, r.out.stderr).toBe(0);
  expected = r.out.stdout.trimEnd().split('\n');
  expect(expected.length).toBe(EVENTS);
}, 180_000);

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** every message of MARKET_DATA as `subject<TAB>body`, in stream order; plus the number of distinct msg ids */
let server: LocalNatsServer | null = null;
afterAll(async () => {
  await server?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe(`NATS server faults during a replay of ${EVENTS} events`, () => {
  it('SIGKILL mid-replay, restarted on the same store 3 s later: the replay carries on by itself; every event once, in order', async () => {
    server = await startNatsServer();
    const srv = server;
    const r = run(['--data-root', root, '--include-options', '--speed', '0', '--progress-every', '5000'], { NATS_URL: srv.url });
    await until(() => /progress events=([3-9]\d|1\d\d)000 /.test(r.out.stderr), 120_000, '30,000 events published');
    const atKill = Number([...r.out.stderr.matchAll(/progress events=(\d+) /g)].pop()?.[1] ?? NaN);
    srv.kill('SIGKILL');
    await srv.stop(); // reap
    const down = Date.now();
    await sleep(3000);
    const stillRunning = r.p.exitCode === null;
    await srv.restart();
    const downMs = Date.now() - down;
    const code = await Promise.race([r.exit, sleep(150_000).then(() => 'hung')]);
    expect(stillRunning, 'the app exited while the server was down').toBe(true);
    expect(code, r.out.stderr.slice(-3000)).toBe(0);
    expect(r.out.stdout).toMatch(new RegExp(`replay complete: ${EVENTS} events`));
    expect(r.out.stderr).toMatch(/nats: reconnected to/);

    const nc = await connectBus({ servers: srv.url });
    try {
      const { lines, ids } = await readStream(nc);
      const diff = firstDifference(lines, expected);
      expect(diff, diff >= 0 ? `stream line ${diff}: ${lines[diff]?.slice(0, 120)} vs ${expected[diff]?.slice(0, 120)}` : '').toBe(-1);
      expect(lines.length).toBe(EVENTS);
      expect(ids).toBe(EVENTS);
      const [, dup, retried] = /sink duplicates \/ retried \/ failed\s+([\d,]+) \/ ([\d,]+) \/ ([\d,]+)/.exec(r.out.stdout) ?? [
        '',
        '?',
        '?',
      ];
      console.log(
        `RELIABILITY: replay server SIGKILL: ${EVENTS} events, nats-server killed at ~${atKill} events, down ${(downMs / 1000).toFixed(1)} s, restarted on the same store: ` +
          `app carried on by itself, exit 0; stream = ${lines.length} events, identical to the --sink stdout sequence (order + bytes), ${ids} distinct ids (publisher re-sent ${retried}, duplicates seen ${dup})`,
      );
    } finally {
      await nc.close();
      await srv.dispose();
      server = null;
    }
  }, 240_000);

  it(`SIGSTOP ${FREEZE_S} s mid-replay, then SIGCONT: the replay waits with flat memory and finishes; every event once, in order`, async () => {
    server = await startNatsServer();
    const srv = server;
    const nc0 = await connectBus({ servers: srv.url });
    await ensureStream(nc0);
    await nc0.close();
    const r = run(['--data-root', root, '--include-options', '--speed', '0', '--progress-every', '5000'], { NATS_URL: srv.url });
    await until(() => /progress events=([3-9]\d|1\d\d)000 /.test(r.out.stderr), 120_000, '30,000 events published');
    const progressLines = () => (r.out.stderr.match(/progress events=\d+/g) ?? []).length;
    await srv.freeze(); // every thread stopped: nothing is answered from here until SIGCONT
    const frozenAt = Date.now();
    const rss: number[] = [];
    const linesAtFreeze = progressLines();
    while (Date.now() - frozenAt < FREEZE_S * 1000) {
      rss.push(rssMb(r.p.pid!));
      await sleep(200);
    }
    const stillRunning = r.p.exitCode === null;
    const progressedWhileFrozen = progressLines() - linesAtFreeze;
    srv.kill('SIGCONT');
    const code = await Promise.race([r.exit, sleep(150_000).then(() => 'hung')]);
    expect(stillRunning, 'the app exited while the server was frozen').toBe(true);
    expect(code, r.out.stderr.slice(-3000)).toBe(0);
    expect(r.out.stdout).toMatch(new RegExp(`replay complete: ${EVENTS} events`));
    // backpressure: at most a window (4096) of events can go out unconfirmed, i.e. less than one progress line after the first
    expect(progressedWhileFrozen).toBeLessThanOrEqual(1);
    const valid = rss.filter((x) => !Number.isNaN(x));
    const first = at(valid, 0);
    const peak = Math.max(...valid);
    expect(peak - first, `RSS while frozen: ${valid.map((x) => x.toFixed(0)).join(' ')}`).toBeLessThan(64);

    const nc = await connectBus({ servers: srv.url });
    try {
      const { lines, ids } = await readStream(nc);
      const diff = firstDifference(lines, expected);
      expect(diff, diff >= 0 ? `stream line ${diff}: ${lines[diff]?.slice(0, 120)} vs ${expected[diff]?.slice(0, 120)}` : '').toBe(-1);
      expect(ids).toBe(EVENTS);
      console.log(
        `RELIABILITY: replay server SIGSTOP: ${EVENTS} events, nats-server frozen ${FREEZE_S} s mid-replay: app waited (${progressedWhileFrozen} progress line(s) of 5,000 while frozen), ` +
          `RSS ${first.toFixed(0)} MB at the freeze -> peak ${peak.toFixed(0)} MB during it; after SIGCONT finished, exit 0; stream = ${lines.length} events identical to the --sink stdout sequence, ${ids} distinct ids`,
      );
    } finally {
      await nc.close();
      await srv.dispose();
      server = null;
    }
  }, 240_000);
});
