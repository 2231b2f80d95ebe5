/**
 * The sample session: a deterministic synthetic trading day (@md/dbn-reader's generator), generated once into a
 * cache directory outside git and reused, so a replay needs no data to start with.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSampleSession } from '@md/dbn-reader/sample';

/** seed and version of the cached sample session: change either to regenerate */
export const SAMPLE_SEED = 20_251_216;
const SAMPLE_TAG = `sample-v1-seed${SAMPLE_SEED}`;

/**
 * node_modules/.cache/md-replay-sample of the workspace root (the node_modules holding npm's
 * `.package-lock.json`; else the nearest node_modules) above this module or the cwd; else the OS temp dir.
 */
export function defaultSampleCacheDir(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  let nearest: string | null = null;
  for (const start of starts) {
    let d = resolve(start);
    for (;;) {
      const nm = join(d, 'node_modules');
      if (existsSync(join(nm, '.package-lock.json'))) return join(nm, '.cache', 'md-replay-sample');
      if (nearest === null && existsSync(nm)) nearest = nm;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return nearest ? join(nearest, '.cache', 'md-replay-sample') : join(tmpdir(), 'md-replay-sample');
}

/**
 * The sample session's data root, generated on first use (deterministic seed) and reused afterwards.
 * Generation goes to a temporary sibling directory renamed into place when complete, so an interrupted
 * generation is never mistaken for a finished one and two concurrent first runs do not collide.
 */
export async function ensureSampleSession(
  cacheDir: string | null,
  log: (msg: string) => void,
): Promise<{ root: string; generated: boolean }> {
  let base = cacheDir ?? defaultSampleCacheDir();
  let root = join(base, SAMPLE_TAG);
  let marker = join(root, '.complete');
  if (existsSync(marker)) return { root, generated: false };
  try {
    mkdirSync(base, { recursive: true });
  } catch (e) {
    if (cacheDir) throw e;
    base = join(tmpdir(), 'md-replay-sample'); // e.g. a read-only install
    root = join(base, SAMPLE_TAG);
    marker = join(root, '.complete');
    if (existsSync(marker)) return { root, generated: false };
    mkdirSync(base, { recursive: true });
  }
  const tmp = await mkdtemp(join(base, `.${SAMPLE_TAG}.tmp-`));
  log(`generating the sample session into ${root} (once; seed ${SAMPLE_SEED})`);
  const t0 = performance.now();
  try {
    const r = await generateSampleSession({ root: tmp, seed: SAMPLE_SEED });
    writeFileSync(
      join(tmp, '.complete'),
      JSON.stringify({ seed: SAMPLE_SEED, date: r.date, counts: r.counts, at: new Date().toISOString() }),
    );
    if (existsSync(root)) rmSync(root, { recursive: true, force: true }); // an incomplete leftover
    try {
      renameSync(tmp, root);
    } catch (e) {
      if (!existsSync(marker)) throw e; // another process finished first: use theirs
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  log(`sample session ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { root, generated: true };
}

export function readSampleInfo(root: string): unknown {
  try {
    return JSON.parse(readFileSync(join(root, '.complete'), 'utf8'));
  } catch {
    return null;
  }
}
