/**
 * --object-path (MD_OBJECT_PATH=1): the replay through event objects instead of the fast lane. The program's
 * output is the same either way: stdout bytes, and the final statistics table but for its timing rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { HELP, parseConfig, type ReplayConfig } from '../src/config';
import { killAll, run, tempDir } from './helpers';

let root = '';
beforeAll(async () => {
  root = tempDir('replay-object-path-');
  await generateSampleSession({ root, seed: 31, trades: 4000, mbp10: 2000, options: 300 });
}, 60_000);
afterAll(() => killAll());

/** the statistics table without the rows that depend on timing */
const table = (stderr: string) =>
  stderr
    .slice(stderr.indexOf('replay complete'))
    .split('\n')
    .filter((l) => !/^\s*(wall time|achieved speed|events\/s|peak RSS)\b/.test(l))
    .join('\n');

describe('--object-path', () => {
  it('parsed from the flag and MD_OBJECT_PATH; listed in --help', () => {
    expect((parseConfig([], {}) as ReplayConfig).objectPath).toBe(false);
    expect((parseConfig(['--object-path'], {}) as ReplayConfig).objectPath).toBe(true);
    expect((parseConfig([], { MD_OBJECT_PATH: '1' }) as ReplayConfig).objectPath).toBe(true);
    expect(HELP).toMatch(/--object-path.*MD_OBJECT_PATH/s);
  });

  it('the same stdout bytes and the same statistics as the fast lane (options included, a window, ts_recv order)', async () => {
    for (const extra of [[], ['--start', '02:00', '--end', '20:00', '--order', 'ts_recv', '--reorder-window', '0']]) {
      const args = ['--data-root', root, '--sink', 'stdout', '--speed', '0', '--include-options', '--progress-every', '0', ...extra];
      const fast = run(args);
      const obj = run([...args, '--object-path']);
      const env = run(args, { MD_OBJECT_PATH: '1' });
      for (const p of [fast, obj, env]) expect(await p.exit, p.out.stderr).toBe(0);
      expect(fast.out.stdout.length).toBeGreaterThan(100_000);
      expect(obj.out.stdout).toBe(fast.out.stdout);
      expect(env.out.stdout).toBe(fast.out.stdout);
      expect(table(fast.out.stderr)).toMatch(/option trades\s+[1-9]/);
      expect(table(obj.out.stderr)).toBe(table(fast.out.stderr));
      expect(table(env.out.stderr)).toBe(table(fast.out.stderr));
    }
  }, 120_000);
});
