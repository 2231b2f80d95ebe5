/** The app as a process (tsx running src/main.ts against the built libraries): exit codes, messages, sinks, signals, resume. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mapDbnFile } from '@md/dbn-reader';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { encode, type Publishable } from '@md/event-types';
import { until } from '@md/test-support';
import { connectionTrap, type ConnectionTrap } from '@md/test-support/app-probes';
import { SAMPLE_SEED } from '@md/replay-engine';
import { at, firstStepBack, fixtureDataRoot, group, haveDbnFixtures, killAll, readAll, run, startBus, tempDir, type Bus } from './helpers';

afterEach(() => killAll());

/** a TCP listener standing in for NATS: counts connections (config errors must not connect) */
let trap: ConnectionTrap;
beforeAll(async () => {
  trap = await connectionTrap();
});
afterAll(() => trap?.close());

async function mapAll(paths: [string, 'trades' | 'mbp10' | 'options'][]): Promise<Publishable[]> {
  const out: Publishable[] = [];
  for (const [path, kind] of paths) for await (const p of mapDbnFile(path, { kind })) out.push(p);
  return out;
}

describe('replay-publisher process: configuration', () => {
  it('--help prints the usage, the flags and the environment variables, exit 0', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.out.stdout).toMatch(/^replay-publisher: /);
    expect(r.out.stdout).toMatch(/Usage: replay-publisher \[options\]/);
    for (const s of [
      'REPLAY_SPEED',
      'REPLAY_DATE',
      'REPLAY_INCLUDE_OPTIONS',
      'REPLAY_DATA_ROOT',
      'NATS_URL',
      '--sink nats|stdout',
      '--publish-mode batch|ack',
      '(also --mode)',
      '--resume',
      '--reorder-window',
      '--max-gap',
    ]) {
      expect(r.out.stdout).toContain(s);
    }
  });

  it.skipIf(!haveDbnFixtures)('invalid values: exit 2 with a clear message, nothing connects', async () => {
    const root = fixtureDataRoot();
    const empty = tempDir('replay-empty-');
    mkdirSync(join(empty, 'trades'));
    writeFileSync(join(empty, 'trades', 'README.txt'), 'not a DBN file');
    const cases: [string[], RegExp][] = [
      [['--data-root', root, '--speed', '-1'], /--speed \/ REPLAY_SPEED must be a number >= 0, got "-1"/],
      [['--data-root', root, '--date', '2020-12-29'], /no DBN files for 2020-12-29 under data root .* \(available: 2020-12-28\)/],
      [['--data-root', root, '--date', '2020-12-28', '--options'], /--options: no options file for 2020-12-28/],
      [['--data-root', empty], /data root .* has no DBN files \(expected trades\/glbx-mdp3-YYYYMMDD\.trades\.dbn\[\.zst\]/],
      [['--data-root', join(empty, 'nope')], /data root .*nope does not exist/],
      [['--data-root', root, '--bogus'], /Unknown option '--bogus'/],
      [['--data-root', root, '--mode', 'fire-and-forget'], /--mode must be one of batch, ack/],
    ];
    for (const [args, re] of cases) {
      const r = run(args, { NATS_URL: trap.url });
      expect(await r.exit, args.join(' ')).toBe(2);
      expect(r.out.stderr, args.join(' ')).toMatch(re);
      expect(r.out.stdout).toBe('');
    }
    const env = run(['--data-root', root], { NATS_URL: trap.url, REPLAY_SPEED: '-1' });
    expect(await env.exit).toBe(2);
    expect(env.out.stderr).toMatch(/REPLAY_SPEED must be a number >= 0/);
    expect(trap.connections).toBe(0);
  });

  it('NATS unreachable at a configured URL: exit 1 naming the URL', async () => {
    const root = tempDir('replay-gen-');
    await generateSampleSession({ root, seed: 3, trades: 50, mbp10: 50, options: 0 });
    const r = run(['--data-root', root, '--speed', '0'], { NATS_URL: 'nats://127.0.0.1:1' });
    expect(await r.exit).toBe(1);
    expect(r.out.stderr).toMatch(/127\.0\.0\.1:1/);
  });
});

describe.skipIf(!haveDbnFixtures)('replay-publisher process: --sink stdout', () => {
  it('one "subject<TAB>json" line per event, the exact body, in order; statistics on stderr; no NATS', async () => {
    const root = fixtureDataRoot();
    const expected = await mapAll([
      [join(root, 'trades', 'glbx-mdp3-20201228.trades.dbn.zst'), 'trades'],
      [join(root, 'MBP-10', 'glbx-mdp3-20201228.mbp-10.dbn.zst'), 'mbp10'],
    ]);
    const r = run(['--data-root', root, '--sink', 'stdout', '--speed', '0'], { NATS_URL: trap.url });
    expect(await r.exit).toBe(0);
    const lines = r.out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const byId = new Map(expected.map((p) => [`${p.subject}\t${Buffer.from(encode(p.event, p.subject)).toString('utf8')}`, p]));
    for (const l of lines) expect(byId.has(l), l).toBe(true);
    const ts = lines.map((l) => BigInt(group(/"ts_event_ns":(\d+)/, l)));
    expect(firstStepBack(ts)).toBe(-1);
    expect(lines[0]).toMatch(
      /^market\.futures\.(trades|mbp10)\t\{"ts_event_ns":\d{19},"ts_recv_ns":\d{19},"source":"replay","symbol":"ESH1",/,
    );
    expect(r.out.stderr).toMatch(/replay complete: 4 events/);
    expect(r.out.stderr).toMatch(/futures trades\s+2\n\s+option trades\s+0\n\s+MBP-10 books\s+2/);
    expect(trap.connections).toBe(0);
  });
});

describe('replay-publisher process: stdout reader goes away', () => {
  it('EPIPE (| head): stops reading, statistics on stderr, exit 0', async () => {
    const root = tempDir('replay-gen-');
    await generateSampleSession({ root, seed: 4, trades: 20_000, mbp10: 10_000, options: 0 });
    const r = run(['--data-root', root, '--sink', 'stdout', '--speed', '0'], { NATS_URL: trap.url });
    await until(() => r.out.stdout.includes('\n'), 30_000, 'first line');
    r.p.stdout.destroy();
    expect(await r.exit).toBe(0);
    expect(r.out.stderr).toMatch(/stdout closed \(EPIPE\): stopping/);
    expect(r.out.stderr).toMatch(/replay stopped: \d+ events/);
    expect(r.out.stderr).not.toMatch(/error/);
  });
});

describe('replay-publisher process: NATS', () => {
  let bus: Bus;
  let root: string;
  let date: string;
  let total: number;
  beforeAll(async () => {
    bus = await startBus();
    root = tempDir('replay-gen-');
    const g = await generateSampleSession({ root, seed: 11, trades: 60_000, mbp10: 30_000, options: 3000 });
    date = g.date;
    total = g.counts.trades + g.counts.mbp10 + g.counts.options;
  }, 120_000);
  afterAll(async () => {
    await bus?.close();
  });

  it('SIGTERM mid-replay: stops reading, waits for the acks, prints the statistics, publishes the status, exit 0', async () => {
    await bus.purge();
    const statuses: string[] = [];
    const sub = bus.nc.subscribe('md.replay.status', { callback: (_e, m) => void statuses.push(m.string()) });
    await bus.nc.flush();
    const r = run(
      ['--data-root', root, '--include-options', '--speed', '1', '--max-gap', '0.01', '--mode', 'ack', '--progress-every', '100'],
      {
        NATS_URL: bus.server.url,
      },
    );
    await until(() => /progress events=200 /.test(r.out.stderr), 30_000, '200 events');
    r.p.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.out.stderr).toMatch(/SIGTERM: stopping, waiting for outstanding confirmations/);
    const m = /replay stopped: (\d+) events/.exec(r.out.stdout);
    expect(m, r.out.stdout + r.out.stderr).not.toBeNull();
    const n = Number(m![1]);
    expect(n).toBeGreaterThanOrEqual(200);
    expect(n).toBeLessThan(total);
    expect(r.out.stdout).toMatch(/stopped early\s+yes/);
    expect(r.out.stdout).toMatch(new RegExp(`sink published / confirmed\\s+${n.toLocaleString('en-US')} / ${n.toLocaleString('en-US')}`));
    expect(await bus.count()).toBe(n);
    await until(() => statuses.length >= 2, 5000, 'status messages');
    sub.unsubscribe();
    const parsed = statuses.map((s) => JSON.parse(s) as Record<string, unknown>);
    const [start, end] = [at(parsed, 0), at(parsed, 1)];
    expect(start.type).toBe('started');
    expect(start.dates).toEqual([date]);
    expect(end.type).toBe('stopped');
    expect((end.stats as { events: number }).events).toBe(n);
    // ns timestamps are exact JSON integers in the status body
    expect(statuses[1]).toMatch(/"first_ts_event_ns":\d{19},"last_ts_event_ns":\d{19}/);
  });

  it('SIGKILL mid-way, then --resume: every event stored exactly once, in order', async () => {
    await bus.purge();
    const first = run(['--data-root', root, '--include-options', '--speed', '0', '--mode', 'batch', '--progress-every', '5000'], {
      NATS_URL: bus.server.url,
    });
    await until(() => /progress events=(2\d|[3-9]\d)000 /.test(first.out.stderr), 60_000, '20,000 events');
    first.p.kill('SIGKILL');
    await first.exit;
    const stored = await bus.count();
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(total);
    const second = run(['--data-root', root, '--include-options', '--speed', '0', '--resume', '--progress-every', '0'], {
      NATS_URL: bus.server.url,
    });
    expect(await second.exit, second.out.stderr).toBe(0);
    expect(second.out.stderr).toMatch(/resume: the stream holds this replay up to market\.\S+ seq \d+/);
    const skipped = Number(group(/skipped \(--resume\)\s+([\d,]+)/, second.out.stdout).replace(/,/g, ''));
    expect(skipped).toBeGreaterThanOrEqual(stored);
    expect(await bus.count()).toBe(total);
    const all = await readAll(bus.nc, total);
    expect(new Set(all.map((m) => m.msgId)).size).toBe(total);
    const back = firstStepBack(all.map((m) => m.tsEvent));
    if (back >= 0) throw new Error(`out of order at stream seq ${at(all, back).seq}`);
    // a third run with --resume finds everything there and publishes nothing
    const third = run(['--data-root', root, '--include-options', '--speed', '0', '--resume', '--progress-every', '0'], {
      NATS_URL: bus.server.url,
    });
    expect(await third.exit).toBe(0);
    expect(third.out.stdout).toMatch(/replay complete: 0 events/);
    expect(await bus.count()).toBe(total);
  }, 120_000);

  it('zero configuration: reuses the cached sample session, starts a local nats-server when none answers, replays, stops it', async () => {
    const cache = tempDir('replay-cache-');
    const sampleRoot = join(cache, `sample-v1-seed${SAMPLE_SEED}`);
    await generateSampleSession({ root: sampleRoot, seed: SAMPLE_SEED, trades: 3000, mbp10: 1500, options: 100 });
    writeFileSync(join(sampleRoot, '.complete'), '{}');
    // nothing answers at the URL, and the local-server fallback is allowed
    // a configured NATS_URL: the sample goes there only with --sample
    const r = run(['--sample', '--progress-every', '0'], {
      REPLAY_SAMPLE_DIR: cache,
      NATS_URL: 'nats://127.0.0.1:1',
      REPLAY_LOCAL_SERVER: 'true',
    });
    expect(await r.exit, r.out.stderr).toBe(0);
    expect(r.out.stderr).toMatch(/--sample: replaying the synthetic sample session .*sample-v1-seed.* \(source "sim"\)/);
    expect(r.out.stderr).not.toMatch(/generating the sample session/);
    expect(r.out.stderr).toMatch(/no NATS server at nats:\/\/127\.0\.0\.1:1: starting a local nats-server/);
    expect(r.out.stderr).toMatch(/nats: nats:\/\/127\.0\.0\.1:\d+, stream MARKET_DATA created/);
    expect(r.out.stdout).toMatch(/replay complete: 4500 events/); // 3000 trades + 1500 books; options off unless asked
    const pid = Number(/local nats-server nats:\/\/127\.0\.0\.1:\d+ \(pid (\d+)/.exec(r.out.stderr)![1]);
    expect(() => process.kill(pid, 0)).toThrow(); // stopped
  });
});
