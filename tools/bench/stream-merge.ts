/**
 * Benchmark: @md/stream-merge merge throughput (events/s out of the merge) for 3 inputs of N items each
 * (default 1M), keyed by a bigint nanosecond timestamp, interleaved so every output step switches input often.
 *
 *   per-item  : mergeByKey over 3 async generators yielding one item each  vs  draining the same 3 generators
 *               one after the other without merging (same item creation, same promise per item)
 *   batched   : mergeBatchesByKey over 3 async generators yielding arrays of 512  vs  draining those batches
 *   batched, reorder window 1 ms / 100 ms (the replay app's default): the same with reorderWindowNs = 1 ms / 100 ms
 *               (inputs step back up to 0.3 ms; a 100 ms window holds ~10,000 items)
 * Medians of --runs runs (default 3); ratio = merged / baseline (1.0 = the merge costs nothing).
 *
 * Run from the repo root after building the package:
 *   npx nx build stream-merge && npx tsx tools/bench/stream-merge.ts [--items 1000000] [--runs 3]
 */
import { cpus, loadavg } from 'node:os';
import { mergeBatchesByKey, mergeByKey } from '@md/stream-merge';
import { at } from './narrow.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}
const N = Number(arg('items', process.env.BENCH_ITEMS ?? '1000000'));
const RUNS = Number(arg('runs', process.env.BENCH_RUNS ?? '3'));
const INPUTS = 3;
const BATCH = 512;

interface Item {
  ts: bigint;
  input: number;
  seq: number;
}
const key = (x: Item): bigint => x.ts;
const T0 = 1_702_900_800_000_000_000n;

/** input j: strictly increasing, interleaved with the other inputs; `jitter` makes it step back up to 0.3 ms */
function tsOf(j: number, i: number, jitter: boolean): bigint {
  const base = i * 30 + ((i * 7919 + j * 104729) % 29);
  return T0 + BigInt(jitter ? base * 1000 - ((i * 31 + j * 17) % 300) * 1000 : base);
}

async function* items(j: number, jitter = false): AsyncGenerator<Item> {
  for (let i = 0; i < N; i++) yield { ts: tsOf(j, i, jitter), input: j, seq: i };
}

async function* batches(j: number, jitter = false): AsyncGenerator<Item[]> {
  for (let i = 0; i < N;) {
    const n = Math.min(BATCH, N - i);
    const b: Item[] = new Array(n);
    for (let k = 0; k < n; k++, i++) b[k] = { ts: tsOf(j, i, jitter), input: j, seq: i };
    yield b;
  }
}

let sink = 0;
let held100 = 0;

/** events/s of wall time and per CPU-second (user + system of this process: less sensitive to a busy machine) */
async function timeIt(f: () => Promise<number>): Promise<[number, number]> {
  const c = process.cpuUsage();
  const t = performance.now();
  const n = await f();
  const s = (performance.now() - t) / 1000;
  const cu = process.cpuUsage(c);
  if (n !== N * INPUTS) throw new Error(`expected ${N * INPUTS} items, got ${n}`);
  return [n / s, n / ((cu.user + cu.system) / 1e6)];
}

const cases: Array<{ name: string; merged: () => Promise<number>; baseline: () => Promise<number> }> = [
  {
    name: 'per-item (mergeByKey)',
    merged: async () => {
      let n = 0;
      let last = 0n;
      for await (const x of mergeByKey(
        [0, 1, 2].map((j) => items(j)),
        { key },
      )) {
        if (x.ts < last) throw new Error('out of order');
        last = x.ts;
        n++;
      }
      return n;
    },
    baseline: async () => {
      let n = 0;
      for (let j = 0; j < INPUTS; j++)
        for await (const x of items(j)) {
          sink ^= x.seq;
          n++;
        }
      return n;
    },
  },
  {
    name: 'batched (mergeBatchesByKey)',
    merged: async () => {
      let n = 0;
      let last = 0n;
      for await (const b of mergeBatchesByKey(
        [0, 1, 2].map((j) => batches(j)),
        { key },
      )) {
        for (const e of b) {
          if (e.ts < last) throw new Error('out of order');
          last = e.ts;
        }
        n += b.length;
      }
      return n;
    },
    baseline: async () => {
      let n = 0;
      for (let j = 0; j < INPUTS; j++)
        for await (const b of batches(j)) {
          for (const e of b) sink ^= e.seq;
          n += b.length;
        }
      return n;
    },
  },
  {
    name: 'batched, flushBeforeWait false',
    merged: async () => {
      let n = 0;
      for await (const b of mergeBatchesByKey(
        [0, 1, 2].map((j) => batches(j)),
        { key, flushBeforeWait: false },
      ))
        n += b.length;
      return n;
    },
    baseline: async () => {
      let n = 0;
      for (let j = 0; j < INPUTS; j++)
        for await (const b of batches(j)) {
          for (const e of b) sink ^= e.seq;
          n += b.length;
        }
      return n;
    },
  },
  {
    name: 'batched, reorder window 100 ms',
    merged: async () => {
      let n = 0;
      let last = 0n;
      const m = mergeBatchesByKey(
        [0, 1, 2].map((j) => batches(j, true)),
        { key, reorderWindowNs: 100_000_000n },
      );
      for await (const b of m) {
        for (const e of b) {
          if (e.ts < last) throw new Error('out of order');
          last = e.ts;
        }
        n += b.length;
      }
      if (m.stats.late !== 0) throw new Error(`late ${m.stats.late}`);
      held100 = m.stats.maxHeld;
      return n;
    },
    baseline: async () => {
      let n = 0;
      for (let j = 0; j < INPUTS; j++)
        for await (const b of batches(j, true)) {
          for (const e of b) sink ^= e.seq;
          n += b.length;
        }
      return n;
    },
  },
  {
    name: 'batched, reorder window 1 ms',
    merged: async () => {
      let n = 0;
      let last = 0n;
      const m = mergeBatchesByKey(
        [0, 1, 2].map((j) => batches(j, true)),
        { key, reorderWindowNs: 1_000_000n },
      );
      for await (const b of m) {
        for (const e of b) {
          if (e.ts < last) throw new Error('out of order');
          last = e.ts;
        }
        n += b.length;
      }
      if (m.stats.late !== 0) throw new Error(`late ${m.stats.late}`);
      return n;
    },
    baseline: async () => {
      let n = 0;
      for (let j = 0; j < INPUTS; j++)
        for await (const b of batches(j, true)) {
          for (const e of b) sink ^= e.seq;
          n += b.length;
        }
      return n;
    },
  },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m, 'run') : (at(s, m - 1, 'run') + at(s, m, 'run')) / 2;
};
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

console.log(`@md/stream-merge merge benchmark: ${INPUTS} inputs x ${fmt(N)} items, ${RUNS} runs (medians), node ${process.version}`);
console.log(
  `load average at the start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} cores)`,
);
const w = 32;
console.log(`${''.padEnd(w)}  ${'---------- wall time ----------'.padStart(36)}  ${'------- per CPU-second -------'.padStart(36)}`);
console.log(
  `${'case'.padEnd(w)}  ${'merged ev/s'.padStart(13)}  ${'baseline ev/s'.padStart(13)}  ratio  ${'merged ev/s'.padStart(13)}  ${'baseline ev/s'.padStart(13)}  ratio`,
);
for (const c of cases) {
  const m: Array<[number, number]> = [];
  const b: Array<[number, number]> = [];
  for (let r = 0; r < RUNS; r++) {
    b.push(await timeIt(c.baseline)); // alternate, so machine noise hits both alike
    m.push(await timeIt(c.merged));
  }
  const cols: string[] = [];
  for (const k of [0, 1] as const) {
    const mm = median(m.map((x) => x[k]));
    const bm = median(b.map((x) => x[k]));
    cols.push(`${fmt(mm).padStart(13)}  ${fmt(bm).padStart(13)}  ${(mm / bm).toFixed(2).padStart(5)}`);
  }
  console.log(`${c.name.padEnd(w)}  ${cols.join('  ')}`);
}
console.log(`most items held with the 100 ms window: ${fmt(held100)}`);
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} cores): other work on the machine lowers the absolute figures`,
);
if (sink === 0.5) console.log('');
