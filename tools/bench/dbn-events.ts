/**
 * Benchmark: DBN -> canonical events (mapDbnFile) in events/s, for ES trades and MBP-10, against
 * decoding the same file alone (decodeDbn(...).batches()) measured in the same run as the baseline;
 * plus map + encode to the contract's bytes (what the replay publishes).
 *
 * Run from the repo root against the BUILT packages:
 *   npx nx build dbn-reader && npx tsx tools/bench/dbn-events.ts [--trades 1000000] [--mbp10 300000] [--runs 5] [--plain] [--dir DIR]
 * The input is a generated sample session (generateSampleSession, seed 1) in a temp dir (or --dir, reused).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '@md/event-types';
import { decodeDbn, mapDbnFile, type DbnEventKind } from '@md/dbn-reader';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { at } from './narrow.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}
const TRADES = Number(arg('trades', '1000000'));
const MBP10 = Number(arg('mbp10', '300000'));
const RUNS = Number(arg('runs', '5'));
const PLAIN = process.argv.includes('--plain');
const DIR = arg('dir', join(tmpdir(), `dbn-events-bench-${TRADES}-${MBP10}${PLAIN ? '-plain' : ''}`));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m, 'run') : (at(s, m - 1, 'run') + at(s, m, 'run')) / 2;
};
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

async function decodeOnly(path: string): Promise<number> {
  let n = 0;
  for await (const b of decodeDbn(path).batches()) n += b.length;
  return n;
}
async function mapOnly(path: string, kind: DbnEventKind): Promise<number> {
  let n = 0;
  for await (const b of mapDbnFile(path, { kind }).batches()) n += b.length;
  return n;
}
async function mapEncode(path: string, kind: DbnEventKind): Promise<number> {
  let n = 0;
  let bytes = 0;
  for await (const b of mapDbnFile(path, { kind }).batches()) {
    for (const p of b) bytes += encode(p.event, p.subject).length;
    n += b.length;
  }
  if (bytes === 0 && n > 0) throw new Error('nothing encoded');
  return n;
}

async function time(f: () => Promise<number>): Promise<{ rate: number; n: number }> {
  const t0 = process.hrtime.bigint();
  const n = await f();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rate: n / s, n };
}

const fresh = !existsSync(DIR);
const tg = performance.now();
const sample = await generateSampleSession({
  root: DIR,
  seed: 1,
  trades: TRADES,
  mbp10: MBP10,
  options: 0,
  compression: PLAIN ? 'none' : 'zstd',
});
const genS = (performance.now() - tg) / 1000;

console.log(`dbn-events bench: ${fmt(TRADES)} trades, ${fmt(MBP10)} MBP-10 (${PLAIN ? 'plain' : 'zstd'}), ${RUNS} runs, median`);
console.log(
  `node ${process.version}, ${cpus().length} cpus, loadavg ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log(
  `sample generated in ${genS.toFixed(2)} s (${fmt((TRADES + MBP10) / genS)} records/s)${fresh ? '' : ' (dir existed, regenerated)'}`,
);
console.log('');
console.log('| file | decode only rec/s | map -> events/s | ratio | map + encode ev/s | ratio |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [label, path, kind] of [
  ['trades', sample.trades!, 'trades'],
  ['MBP-10', sample.mbp10!, 'mbp10'],
] as const) {
  const dec: number[] = [];
  const map: number[] = [];
  const enc: number[] = [];
  await decodeOnly(path); // warm-up
  await mapOnly(path, kind);
  for (let r = 0; r < RUNS; r++) {
    // interleaved so that load changes hit all three alike
    dec.push((await time(() => decodeOnly(path))).rate);
    map.push((await time(() => mapOnly(path, kind))).rate);
    enc.push((await time(() => mapEncode(path, kind))).rate);
  }
  const d = median(dec);
  const m = median(map);
  const e = median(enc);
  console.log(`| ${label} | ${fmt(d)} | ${fmt(m)} | ${(m / d).toFixed(2)} | ${fmt(e)} | ${(e / d).toFixed(2)} |`);
}
console.log('');
console.log(
  `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, loadavg after ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
if (!process.argv.includes('--keep')) await rm(DIR, { recursive: true, force: true });
