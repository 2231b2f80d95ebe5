/**
 * Bad input on the replay path: generated DBN sessions (plain and zstd) with one file mutated (truncated,
 * bytes flipped, a range overwritten, a chunk duplicated, emptied) replayed through
 * 1. the replay path in-process (DataRootSource -> Replayer -> a counting sink): thousands of cases in a
 *    bounded time; every case ends (10 s cap), with success or a typed error (@md/dbn-reader's DbnError
 *    family, or another named error class of the project), never a TypeError/RangeError/plain Error; no
 *    unhandled rejection; the test process's RSS stays bounded;
 * 2. the app as a process (`--sink stdout --speed 0`): exit 0 or 1 (never a crash or a signal), an error
 *    line naming the file, no hang, peak RSS bounded.
 * The decoder's own fuzz (thousands of truncations and flips of every record type) is
 * packages/dbn-reader/test/core-badinput.test.ts.
 *
 * FAULTS_DBN_SECONDS (default 25) bounds the in-process run; FAULTS_SEED repeats one.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbnError } from '@md/dbn-reader';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { DataRootSource, Replayer } from '@md/replay-engine';
import { at as pick, CountingSink, rng } from '@md/test-support';
import { MAIN, APP_DIR } from './helpers';

const SECONDS = Number(process.env.FAULTS_DBN_SECONDS ?? 25);
const SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);

const rand = rng(SEED);
const int = (n: number) => Math.floor(rand() * n);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

/** a copy of `root` (hard links) with one DBN file replaced by a mutation; returns the dir, the file and what was done */
function mutate(root: string, work: string): { dir: string; file: string; what: string } {
  const dir = mkdtempSync(join(work, 'case-'));
  const all = files(root);
  const dbn = all.filter((f) => /\.dbn(\.zst)?$/.test(f));
  const victim = pick(dbn, int(dbn.length));
  for (const f of all) {
    const to = join(dir, relative(root, f));
    mkdirSync(join(to, '..'), { recursive: true });
    if (f !== victim) linkSync(f, to);
  }
  const b = Buffer.from(readFileSync(victim));
  let out: Buffer;
  let what: string;
  const r = int(100);
  if (r < 30) {
    // mostly inside the first kilobytes (prelude, metadata, first records), sometimes anywhere
    const at = rand() < 0.5 ? int(Math.min(b.length, 4096)) : int(b.length);
    out = b.subarray(0, at);
    what = `truncated at ${at}`;
  } else if (r < 60) {
    const n = 1 + int(8);
    const where: number[] = [];
    for (let k = 0; k < n; k++) {
      const at = rand() < 0.5 ? int(Math.min(b.length, 2048)) : int(b.length);
      const flip = 1 + int(255);
      const v = b[at];
      if (v !== undefined) b[at] = v ^ flip;
      where.push(at);
    }
    out = b;
    what = `flipped bytes at ${where.join(',')}`;
  } else if (r < 80) {
    const at = int(b.length);
    const n = 16 + int(64);
    for (let k = at; k < Math.min(b.length, at + n); k++) b[k] = int(256);
    out = b;
    what = `overwrote ${n} bytes at ${at}`;
  } else if (r < 95) {
    const at = int(b.length);
    const n = 1 + int(200);
    out = Buffer.concat([b.subarray(0, at), b.subarray(Math.max(0, at - n), at), b.subarray(at)]);
    what = `duplicated ${n} bytes at ${at}`;
  } else {
    out = Buffer.alloc(0);
    what = 'emptied';
  }
  const target = join(dir, relative(root, victim));
  writeFileSync(target, out);
  return { dir, file: target, what };
}

let work = '';
const roots: { root: string; date: string; events: number; zstd: boolean }[] = [];
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'replay-dbnfuzz-'));
  for (const zstd of [false, true]) {
    const root = join(work, zstd ? 'zst' : 'plain');
    const g = await generateSampleSession({
      root,
      seed: zstd ? 31 : 37,
      trades: 1500,
      mbp10: 500,
      options: 150,
      compression: zstd ? 'zstd' : 'none',
    });
    roots.push({ root, date: g.date, events: g.counts.trades + g.counts.mbp10 + g.counts.options, zstd });
  }
}, 120_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** a typed error: DbnError or one of the project's own named error classes; not a bare Error/TypeError/RangeError... */
function typed(e: unknown): boolean {
  if (e instanceof DbnError) return true;
  const name = (e as Error)?.name ?? '';
  return e instanceof Error && !['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'AggregateError'].includes(name);
}

describe('DBN fuzz on the replay path', () => {
  it(
    `in-process: mutated files through DataRootSource -> Replayer for ${SECONDS} s: only typed errors, no hang, no unhandled rejection, bounded memory`,
    async () => {
      let unhandled = 0;
      const onUnhandled = () => void unhandled++;
      process.on('unhandledRejection', onUnhandled);
      const outcomes = new Map<string, number>();
      const untyped: string[] = [];
      let hangs = 0;
      let cases = 0;
      let slowest = 0;
      const rss0 = process.memoryUsage().rss / 2 ** 20;
      let rssPeak = rss0;
      const tEnd = Date.now() + SECONDS * 1000;
      try {
        while (Date.now() < tEnd) {
          const base = pick(roots, cases % roots.length);
          const c = mutate(base.root, work);
          const t0 = Date.now();
          const replayer = new Replayer({
            source: new DataRootSource(c.dir),
            sink: new CountingSink(),
            speed: 0,
            reorderWindowNs: 100_000_000n,
          });
          let timer: NodeJS.Timeout | undefined;
          const outcome = await Promise.race([
            replayer.replayDate(base.date).then(
              (s) => (s.error ? `stats.error` : 'ok'),
              (e: unknown) => {
                if (!typed(e))
                  untyped.push(
                    `${(e as Error)?.name}: ${(e as Error)?.message} [${c.what} in ${relative(c.dir, c.file)}]\n${(e as Error)?.stack?.split('\n').slice(1, 4).join('\n')}`,
                  );
                return (e as Error)?.name ?? typeof e;
              },
            ),
            new Promise<string>((r) => (timer = setTimeout(() => r('hang'), 10_000))),
          ]);
          clearTimeout(timer);
          if (outcome === 'hang') {
            hangs++;
            replayer.stop();
          }
          slowest = Math.max(slowest, Date.now() - t0);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          rmSync(c.dir, { recursive: true, force: true });
          cases++;
          if (cases % 50 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 2 ** 20);
        }
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      const rssEnd = process.memoryUsage().rss / 2 ** 20;
      rssPeak = Math.max(rssPeak, rssEnd);
      const summary = [...outcomes.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      expect(untyped.slice(0, 5), summary).toEqual([]);
      expect(hangs).toBe(0);
      expect(unhandled).toBe(0);
      expect(cases).toBeGreaterThanOrEqual(200);
      expect(rssPeak - rss0).toBeLessThan(300);
      console.log(
        `RELIABILITY: replay DBN fuzz in-process (seed ${SEED}): ${cases} mutated sessions (plain + zstd; truncations, flips, overwrites, duplicated chunks, empty files) in ${SECONDS} s: ` +
          `${summary}; 0 untyped errors, 0 hangs (slowest case ${slowest} ms), 0 unhandled rejections; test process RSS ${rss0.toFixed(0)} -> peak ${rssPeak.toFixed(0)} MB`,
      );
    },
    SECONDS * 1000 + 60_000,
  );

  it('the app as a process: exit 0 or 1 with an error line naming the file, never a crash or a hang, bounded peak RSS', async () => {
    const N = 12;
    const codes = new Map<string, number>();
    let maxRss = 0;
    let slowest = 0;
    for (let i = 0; i < N; i++) {
      const base = pick(roots, i % roots.length);
      const c = i === 0 ? { ...mutateTruncate(base.root), what: 'truncated mid-file' } : mutate(base.root, work);
      const t0 = Date.now();
      const p = spawn(
        '/usr/bin/time',
        [
          '-f',
          'MAXRSS_KB %M',
          process.execPath,
          '--import',
          'tsx',
          MAIN,
          '--data-root',
          c.dir,
          '--sink',
          'stdout',
          '--speed',
          '0',
          '--progress-every',
          '0',
        ],
        {
          cwd: APP_DIR,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        },
      );
      let stderr = '';
      let lines = 0;
      p.stdout.on('data', (d: Buffer) => {
        for (const ch of d) if (ch === 10) lines++;
      });
      p.stderr.on('data', (d) => (stderr += d));
      const killer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      const [code, signal] = await new Promise<[number | null, string | null]>((r) => p.on('exit', (x, s) => r([x, s])));
      clearTimeout(killer);
      slowest = Math.max(slowest, Date.now() - t0);
      const rss = Number(/MAXRSS_KB (\d+)/.exec(stderr)?.[1] ?? NaN) / 1024;
      maxRss = Math.max(maxRss, rss);
      const ctx = `${c.what} in ${relative(c.dir, c.file)}: exit ${code} ${signal ?? ''}\n${stderr.slice(-1500)}`;
      expect(signal, ctx).toBeNull();
      expect([0, 1, 2], ctx).toContain(code);
      if (code !== 0) {
        // one clear line naming the file (the emptied-file case is a configuration error: exit 2)
        expect(stderr, ctx).toMatch(/(ERROR |replay-publisher: ).*(\.dbn|\.zst|DBN)/);
        expect(stderr, ctx).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
      } else {
        expect(lines, ctx).toBeGreaterThan(0);
      }
      codes.set(`exit ${code}`, (codes.get(`exit ${code}`) ?? 0) + 1);
      rmSync(c.dir, { recursive: true, force: true });
    }
    expect(maxRss).toBeLessThan(400);
    console.log(
      `RELIABILITY: replay DBN fuzz via the app (--sink stdout): ${N} mutated sessions: ${[...codes.entries()].map(([k, n]) => `${k} ${n}`).join(', ')}; ` +
        `no crash, no signal, no stack trace, slowest ${slowest} ms, peak RSS ${maxRss.toFixed(0)} MB`,
    );
  }, 300_000);
});

/** a copy of `root` with its largest DBN file cut in the middle of its records */
function mutateTruncate(root: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(work, 'case-'));
  const all = files(root);
  const dbn = pick(
    all.filter((f) => /\.dbn(\.zst)?$/.test(f)).sort((a, b) => statSync(b).size - statSync(a).size),
    0,
  );
  for (const f of all) {
    const to = join(dir, relative(root, f));
    mkdirSync(join(to, '..'), { recursive: true });
    if (f === dbn) writeFileSync(to, readFileSync(f).subarray(0, Math.floor(statSync(f).size / 2) + 3));
    else copyFileSync(f, to);
  }
  return { dir, file: join(dir, relative(root, dbn)) };
}
