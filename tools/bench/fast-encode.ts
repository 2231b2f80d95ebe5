/**
 * Benchmark: the DBN fast path encoder (packages/dbn-reader/src/fast) against the object path, for ES trades and
 * MBP-10 from the same plain DBN v3 files, in one run:
 * - scan floor: scanDbn over the records in place, nothing built (the fast path's decoder);
 * - decode: decodeDbn(...).batches(), the record objects (the object path's decoder);
 * - object path: mapDbnFile (record objects -> events) + @md/event-types `encode` per event, msgId strings;
 * - fast path: fastEncodeFile (records in place -> body + message id bytes in one reused buffer).
 * Events/s are medians of --runs (default 3) interleaved runs. Bytes allocated per event: each case runs again
 * in a child process under `--trace-gc`; the V8 heap allocated during the measured pass is the sum, over the
 * collections, of (heap used before it - heap used after the previous one), plus the growth after the last one
 * (MB figures of the trace, 0.1 MB each: averaged over the whole pass). ArrayBuffer backing stores (the file
 * chunks, the codec's 16 KiB slabs) are outside the V8 heap and not counted.
 *
 * Run from the repo root (both paths from the TypeScript sources, through tsx):
 *   npx tsx tools/bench/fast-encode.ts [--trades 1000000] [--mbp10 200000] [--runs 3] [--dir DIR] [--keep]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from '@md/event-types';
import { decodeDbn, scanDbn } from '../../packages/dbn-reader/src/decode/stream.ts';
import { fastEncodeFile } from '../../packages/dbn-reader/src/fast/file.ts';
import { mapDbnFile, type DbnEventKind } from '../../packages/dbn-reader/src/mapping.ts';
import { generateSampleSession } from '../../packages/dbn-reader/src/sample.ts';
import { at } from './narrow.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}

type Case = 'scan' | 'decode' | 'object' | 'fast';
const CASES: readonly Case[] = ['scan', 'decode', 'object', 'fast'];

async function scanOnly(path: string): Promise<number> {
  let n = 0;
  await scanDbn(path, () => {
    n++;
  });
  return n;
}
async function decodeOnly(path: string): Promise<number> {
  let n = 0;
  for await (const b of decodeDbn(path).batches()) n += b.length;
  return n;
}
async function objectPath(path: string, kind: DbnEventKind): Promise<number> {
  let n = 0;
  let bytes = 0;
  for await (const b of mapDbnFile(path, { kind }).batches()) {
    for (const p of b) bytes += encode(p.event, p.subject).length + p.msgId.length;
    n += b.length;
  }
  if (bytes === 0 && n > 0) throw new Error('nothing encoded');
  return n;
}
async function fastPath(path: string, kind: DbnEventKind): Promise<number> {
  let bytes = 0;
  const s = await fastEncodeFile(path, { kind }, (_out, r) => {
    bytes += r.idEnd - r.bodyStart;
  });
  if (bytes === 0 && s.events > 0) throw new Error('nothing encoded');
  return s.events;
}
function run(c: Case, path: string, kind: DbnEventKind): Promise<number> {
  return c === 'scan' ? scanOnly(path) : c === 'decode' ? decodeOnly(path) : c === 'object' ? objectPath(path, kind) : fastPath(path, kind);
}

// ---- child: one case under --trace-gc, between markers -----------------------------------------------------

const MB = 1024 * 1024;
if (process.argv[2] === '--child') {
  const [c, kind, path] = process.argv.slice(3) as [Case, DbnEventKind, string];
  await run(c, path, kind); // warm-up: compiled code, caches
  console.log(`BEGIN ${(process.memoryUsage().heapUsed / MB).toFixed(3)}`);
  const n = await run(c, path, kind);
  console.log(`END ${(process.memoryUsage().heapUsed / MB).toFixed(3)} ${n}`);
  process.exit(0);
}

/** V8 heap bytes allocated per event during the child's measured pass (see the header) */
function allocPerEvent(c: Case, path: string, kind: DbnEventKind): { perEvent: number; gcs: number } {
  const self = fileURLToPath(import.meta.url);
  const text = execFileSync(process.execPath, ['--trace-gc', '--import', 'tsx', self, '--child', c, kind, path], {
    encoding: 'utf8',
    maxBuffer: 256 * MB,
  });
  const lines = text.split('\n');
  const b = lines.findIndex((l) => l.startsWith('BEGIN '));
  const e = lines.findIndex((l) => l.startsWith('END '));
  if (b < 0 || e < 0) throw new Error(`child ${c} ${kind}: no markers in its output`);
  let last = Number(at(lines, b, 'BEGIN').split(' ')[1]);
  let allocated = 0;
  let gcs = 0;
  for (const l of lines.slice(b + 1, e)) {
    const m = /: (?:Scavenge|Mark-Compact|Mark-sweep)[^\d]*([\d.]+) \([\d.]+\) -> ([\d.]+) \(/.exec(l);
    if (m === null) continue;
    allocated += Number(m[1]) - last;
    last = Number(m[2]);
    gcs++;
  }
  const [, endHeap, events] = at(lines, e, 'END').split(' ');
  allocated += Number(endHeap) - last;
  return { perEvent: (allocated * MB) / Number(events), gcs };
}

// ---- parent -------------------------------------------------------------------------------------------------

const TRADES = Number(arg('trades', '1000000'));
const MBP10 = Number(arg('mbp10', '200000'));
const RUNS = Number(arg('runs', '3'));
const DIR = arg('dir', join(tmpdir(), `fast-encode-bench-${TRADES}-${MBP10}`));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m, 'run') : (at(s, m - 1, 'run') + at(s, m, 'run')) / 2;
};
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

const fresh = !existsSync(DIR);
const sample = await generateSampleSession({ root: DIR, seed: 1, trades: TRADES, mbp10: MBP10, options: 0, compression: 'none' });
console.log(
  `fast-encode bench: ${fmt(TRADES)} trades, ${fmt(MBP10)} MBP-10 (plain DBN v3), ${RUNS} runs, medians${fresh ? '' : ' (dir reused)'}`,
);
console.log(
  `node ${process.version}, ${cpus().length} cpus, loadavg ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('');
console.log(
  '| file | scan floor rec/s | decode rec/s | object path ev/s | fast path ev/s | fast / object | heap B/event object | heap B/event fast |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [label, path, kind] of [
  ['trades', sample.trades, 'trades'],
  ['MBP-10', sample.mbp10, 'mbp10'],
] as const) {
  if (path === null) throw new Error(`no ${label} file generated`);
  const rates: Record<Case, number[]> = { scan: [], decode: [], object: [], fast: [] };
  for (let w = 0; w < 2; w++) for (const c of CASES) await run(c, path, kind); // warm-up (compiled code)
  for (let r = 0; r < RUNS; r++) {
    // interleaved so that load changes hit every case alike
    for (const c of CASES) {
      const t0 = process.hrtime.bigint();
      const n = await run(c, path, kind);
      rates[c].push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
    }
  }
  const m = (c: Case): number => median(rates[c]);
  const ao = allocPerEvent('object', path, kind);
  const af = allocPerEvent('fast', path, kind);
  console.log(
    `| ${label} | ${fmt(m('scan'))} | ${fmt(m('decode'))} | ${fmt(m('object'))} | ${fmt(m('fast'))} | ${(m('fast') / m('object')).toFixed(2)} | ` +
      `${fmt(ao.perEvent)} (${ao.gcs} GCs) | ${fmt(af.perEvent)} (${af.gcs} GCs) |`,
  );
}
console.log('');
console.log(
  `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, loadavg after ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
if (!process.argv.includes('--keep')) await rm(DIR, { recursive: true, force: true });
