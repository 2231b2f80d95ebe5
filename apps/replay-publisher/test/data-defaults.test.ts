/**
 * The seed's defaults as a new user meets them, as processes in a working directory of their own: no data at all
 * (the synthetic sample, source "sim", into a nats-server the app starts; refused into a configured NATS_URL
 * without --sample), ./dbn-data picked up, every date in order, options off unless asked; a date missing a kind
 * of file replays what it has (single date and --continuous) with one warning.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { SAMPLE_SEED } from '@md/replay-engine';
import { group, MAIN, tempDir } from './helpers';

const TSX = pathToFileURL(resolve(import.meta.dirname, '../../../node_modules/tsx/dist/loader.mjs')).href;

/** the app run in `cwd` (not the repository: no dbn-data, no nx.json above it) with PATH, HOME and `env` only */
function runIn(cwd: string, args: string[], env: Record<string, string> = {}) {
  const p = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  const out = { stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (out.stdout += d));
  p.stderr.on('data', (d) => (out.stderr += d));
  const killer = setTimeout(() => p.kill('SIGKILL'), 110_000);
  const exit = new Promise<number | null>((r) => p.on('exit', (c) => (clearTimeout(killer), r(c))));
  return { p, out, exit };
}

const lines = (s: string) => s.trimEnd().split('\n').filter(Boolean);

let cache = '';
beforeAll(async () => {
  // the sample session, cached as the app caches it (small: 3000 trades, 1500 books, 100 option trades)
  cache = tempDir('replay-cache-');
  const sampleRoot = join(cache, `sample-v1-seed${SAMPLE_SEED}`);
  await generateSampleSession({ root: sampleRoot, seed: SAMPLE_SEED, trades: 3000, mbp10: 1500, options: 100 });
  writeFileSync(join(sampleRoot, '.complete'), '{}');
}, 60_000);

describe('no data at all', () => {
  let trap: Server | null = null;
  const sockets: Socket[] = [];
  let trapConnections = 0;
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (trap ? trap.close(() => r()) : r()));
  });

  it('no arguments, no NATS_URL (a fresh clone): the sample session into a nats-server the app starts itself', async () => {
    // hold the default port (localhost:4222) so the test never publishes into a server someone runs there; a
    // listener that drops every connection is "no NATS server" for the app
    trap = createServer((s) => {
      trapConnections++;
      sockets.push(s);
      s.destroy();
    });
    await new Promise<void>((ok, fail) => {
      trap!.once('error', (e) => fail(new Error(`this test needs 127.0.0.1:4222 free (the default NATS URL): ${e.message}`)));
      trap!.listen(4222, '127.0.0.1', () => ok());
    });
    const cwd = tempDir('replay-cwd-');
    const r = runIn(cwd, ['--progress-every', '0'], { REPLAY_SAMPLE_DIR: cache });
    expect(await r.exit, r.out.stderr).toBe(0);
    expect(r.out.stderr).toMatch(
      /no data root \(REPLAY_DATA_ROOT \/ --data-root, \.\/dbn-data\) and no Bronze root: replaying the synthetic sample session .* \(source "sim"\)/,
    );
    expect(r.out.stderr).toMatch(/no NATS server at nats:\/\/localhost:4222: starting a local nats-server/);
    expect(r.out.stderr).toMatch(/at speed 0 \(as fast as possible\)/);
    expect(r.out.stdout).toMatch(/replay complete: 4500 events/);
    expect(trapConnections).toBeGreaterThan(0); // it tried the default URL first
    const pid = Number(group(/local nats-server nats:\/\/127\.0\.0\.1:\d+ \(pid (\d+)/, r.out.stderr));
    expect(() => process.kill(pid, 0)).toThrow(); // stopped at the end
  }, 120_000);

  it('the sample events carry source "sim" (--sink stdout)', async () => {
    const r = runIn(tempDir('replay-cwd-'), ['--sink', 'stdout', '--progress-every', '0'], { REPLAY_SAMPLE_DIR: cache });
    expect(await r.exit, r.out.stderr).toBe(0);
    const ls = lines(r.out.stdout);
    expect(ls).toHaveLength(4500);
    expect(ls.filter((l) => l.includes('"source":"sim"'))).toHaveLength(4500);
  }, 120_000);

  it('a configured NATS_URL and no data: exit 2 naming --sample, nothing connects; with --sample it is replayed there', async () => {
    let connections = 0;
    const srv = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const url = `nats://127.0.0.1:${(srv.address() as { port: number }).port}`;
    try {
      for (const env of [{ NATS_URL: url }, {}] as Record<string, string>[]) {
        const args = 'NATS_URL' in env ? [] : ['--nats-url', url];
        const r = runIn(tempDir('replay-cwd-'), args, { REPLAY_SAMPLE_DIR: cache, ...env });
        expect(await r.exit).toBe(2);
        expect(r.out.stderr).toMatch(
          /the synthetic sample session is not published into the configured NATS server \(NATS_URL \/ --nats-url\) unless --sample is given/,
        );
      }
      expect(connections).toBe(0);
      // --sample: it goes there (the stand-in is no NATS server: exit 1 naming it, after trying)
      const r = runIn(tempDir('replay-cwd-'), ['--sample'], { REPLAY_SAMPLE_DIR: cache, NATS_URL: url });
      expect(await r.exit).toBe(1);
      expect(r.out.stderr).toMatch(/--sample: replaying the synthetic sample session/);
      expect(connections).toBeGreaterThan(0);
    } finally {
      srv.close();
    }
  }, 120_000);
});

describe('./dbn-data, every date, options off, a date missing a kind', () => {
  let cwd = '';
  beforeAll(async () => {
    cwd = tempDir('replay-cwd-');
    const root = join(cwd, 'dbn-data');
    mkdirSync(root);
    for (const [date, seed] of [
      ['2025-01-02', 1],
      ['2025-01-03', 2],
      ['2025-01-06', 3],
    ] as const)
      await generateSampleSession({ root, seed, date, trades: 300, mbp10: 200, options: 50 });
    rmSync(join(root, 'MBP-10', 'glbx-mdp3-20250103.mbp-10.dbn.zst')); // the middle date lacks its MBP-10 file
  }, 60_000);

  it('no arguments: ./dbn-data, every date in ascending order, no option trades, the date without MBP-10 replayed with one warning', async () => {
    const r = runIn(cwd, ['--sink', 'stdout', '--speed', '0', '--progress-every', '0']);
    expect(await r.exit, r.out.stderr).toBe(0);
    expect(r.out.stderr).toMatch(/data root: .*dbn-data \(the default/);
    expect(r.out.stderr.match(/WARN/g)).toHaveLength(1);
    expect(r.out.stderr).toMatch(/WARN 2025-01-03: no mbp10 file: replaying without it/);
    const ls = lines(r.out.stdout);
    expect(ls).toHaveLength(300 * 3 + 200 * 2);
    expect(ls.filter((l) => l.startsWith('market.options.'))).toHaveLength(0);
    const days = ls.map((l) => new Date(Number(BigInt(group(/"ts_event_ns":(\d+)/, l)) / 1_000_000n)).toISOString().slice(0, 10));
    expect([...new Set(days)]).toEqual(['2025-01-02', '2025-01-03', '2025-01-06']);
    expect([...days].sort()).toEqual(days);
    expect(r.out.stderr).toMatch(/dates\s+2025-01-02, 2025-01-03, 2025-01-06/);
  }, 120_000);

  it('the date without MBP-10 alone, and --continuous with options: what it has, one warning, exit 0', async () => {
    const one = runIn(cwd, ['--sink', 'stdout', '--speed', '0', '--date', '2025-01-03', '--progress-every', '0']);
    expect(await one.exit, one.out.stderr).toBe(0);
    expect(lines(one.out.stdout)).toHaveLength(300);
    expect(one.out.stderr.match(/WARN/g)).toHaveLength(1);
    const all = runIn(cwd, ['--sink', 'stdout', '--speed', '0', '--continuous', '--include-options', '--progress-every', '0']);
    expect(await all.exit, all.out.stderr).toBe(0);
    expect(lines(all.out.stdout)).toHaveLength(300 * 3 + 200 * 2 + 50 * 3);
    expect(all.out.stderr.match(/WARN/g)).toHaveLength(1);
    const latest = runIn(cwd, ['--sink', 'stdout', '--speed', '0', '--date', 'latest', '--progress-every', '0']);
    expect(await latest.exit, latest.out.stderr).toBe(0);
    expect(lines(latest.out.stdout)).toHaveLength(500);
    expect(latest.out.stderr).toMatch(/dates\s+2025-01-06\n/);
  }, 120_000);
});
