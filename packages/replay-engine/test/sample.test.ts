/** The cached sample session: generated once (deterministic seed) into a cache directory outside git, then reused. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataRootSource, defaultSampleCacheDir, ensureSampleSession, readSampleInfo, SAMPLE_SEED } from '../src/index.js';
import { tempDir } from './helpers';

describe('sample session cache', () => {
  it('generated once (deterministic seed) into the cache dir, then reused', async () => {
    const cache = tempDir('replay-cache-');
    const logs: string[] = [];
    const a = await ensureSampleSession(cache, (m) => logs.push(m));
    expect(a.generated).toBe(true);
    expect(a.root).toBe(join(cache, `sample-v1-seed${SAMPLE_SEED}`));
    expect(existsSync(join(a.root, '.complete'))).toBe(true);
    expect(readdirSync(cache).filter((n) => n.includes('.tmp-'))).toEqual([]); // no leftovers
    const src = new DataRootSource(a.root);
    const dates = await src.availableDates();
    expect(dates).toHaveLength(1);
    const [date] = dates;
    if (date === undefined) throw new Error('one date expected');
    for (const k of ['trades', 'mbp10', 'options'] as const) expect(await src.has(k, date)).toBe(true);
    expect(logs.some((l) => /generating the sample session/.test(l))).toBe(true);
    expect(readSampleInfo(a.root)).toMatchObject({ seed: SAMPLE_SEED, date });
    const t0 = performance.now();
    const b = await ensureSampleSession(cache, () => undefined);
    expect(b).toEqual({ root: a.root, generated: false });
    expect(performance.now() - t0).toBeLessThan(100);
  }, 120_000);

  it("default cache dir: the workspace root's node_modules/.cache (outside git)", () => {
    expect(defaultSampleCacheDir()).toBe(join(import.meta.dirname, '../../../node_modules/.cache/md-replay-sample'));
  });
});
