/**
 * Benchmark: @md/stream-merge replay pacing at speed 1. A synthetic, bursty event stream (mean --rate events/s,
 * default 12,000; the rate changes every 100 ms between 0.2x and 2.5x the mean; 20% of events share the previous
 * timestamp) covering --seconds of event time (default 60) is paced with paceBatches + ReplayClock, and every
 * release is measured against its schedule, computed independently here from the clock's anchor:
 *   lateness = (wall time the consumer receives the event) - (t0 + (ts - ts0) / speed).
 * Reports p50/p90/p99/p99.9/max overall and for the first 5 s vs the last 5 s of event time (drift shows as
 * end >> start), the wall time against the event time, and the CPU the pacer used.
 * Baseline, measured in the same run: the same clock with precisionMs 0 (timers only, no precise final wait);
 * also fineWait 'poll' (setImmediate polling instead of Atomics.wait; --no-poll skips it).
 * Target: p99 < 2 ms, no drift (end no worse than start).
 *
 * Run from the repo root after building the package:
 *   npx nx build stream-merge && npx tsx tools/bench/replay-pacing.ts [--seconds 60] [--rate 12000] [--work-us 1] [--no-baseline] [--no-poll]
 * On a busy machine the tail is set by the run queue (printed as "waited ... for a CPU"); to measure the clock
 * itself, give it a CPU when it wakes: `chrt -f 5 npx tsx tools/bench/replay-pacing.ts --no-poll` (root; skip the
 * busy-polling mode under a real-time policy).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { paceBatches, ReplayClock } from '@md/stream-merge';
import { rng as prng } from '@md/test-support';
import { at } from './narrow.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}
const SECONDS = Number(arg('seconds', '60'));
const RATE = Number(arg('rate', '12000'));
const WORK_US = Number(arg('work-us', '1'));
const SPEED = Number(arg('speed', '1'));
const BASELINE = !process.argv.includes('--no-baseline');
const EDGE_S = Math.min(5, SECONDS / 4);

interface Ev {
  ts: bigint;
  i: number;
}
const T0 = 1_702_900_800_000_000_000n;
const SPAN_NS = BigInt(Math.round(SECONDS * 1e9));

/** Bursty synthetic events in batches of 512 (like the DBN reader's batches), generated on the fly. */
async function* source(seed: number): AsyncGenerator<Ev[]> {
  const r = prng(seed);
  let tNs = 0;
  let i = 0;
  let burstEnd = 0;
  let rate = RATE;
  let batch: Ev[] = [];
  for (;;) {
    if (tNs >= burstEnd) {
      burstEnd += 100e6;
      const u = r();
      rate = RATE * (u < 0.5 ? 0.2 + u : u < 0.9 ? 0.8 + (u - 0.5) * 2.5 : 2.5); // 0.2x .. 2.5x, mean ~1x
    }
    // 80% of events advance time (exponential gaps), 20% share the previous timestamp: mean rate = `rate`
    if (r() >= 0.2 || i === 0) tNs += (-Math.log(1 - r()) / (rate * 0.8)) * 1e9;
    const ts = T0 + BigInt(Math.floor(tNs));
    if (ts - T0 > SPAN_NS) break;
    batch.push({ ts, i: i++ });
    if (batch.length === 512) {
      yield batch;
      batch = [];
      await new Promise<void>((res) => setImmediate(res)); // the reader's I/O turns
    }
  }
  if (batch.length) yield batch;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** ms the main thread spent runnable but waiting for a CPU (Linux /proc/self/schedstat), or NaN */
function runQueueWaitMs(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

interface Result {
  runQueueMs: number;
  events: number;
  wallMs: number;
  cpuMs: number;
  all: Float64Array;
  start: Float64Array;
  end: Float64Array;
  clockP99: number;
  reanchored: boolean;
}

async function run(precisionMs: number | undefined, fineWait?: 'poll' | 'block'): Promise<Result> {
  const clock = new ReplayClock({ speed: SPEED, precisionMs, fineWait });
  let late = new Float64Array(Math.ceil(RATE * SECONDS * 1.5) + 1024);
  let evOff = new Float64Array(late.length);
  let n = 0;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const rq0 = runQueueWaitMs();
  const w0 = performance.now();
  let anchor: { wallMs: number; tsNs: bigint } | null = null;
  let reanchored = false;
  for await (const group of paceBatches(source(42), clock, (e: Ev) => e.ts)) {
    const now = performance.now();
    const a = clock.anchor!;
    if (!anchor) anchor = a;
    else if (a.wallMs !== anchor.wallMs || a.tsNs !== anchor.tsNs) reanchored = true;
    if (n + group.length > late.length) {
      const l2 = new Float64Array(late.length * 2);
      l2.set(late);
      late = l2;
      const e2 = new Float64Array(evOff.length * 2);
      e2.set(evOff);
      evOff = e2;
    }
    for (const e of group) {
      const off = Number(e.ts - anchor.tsNs) / 1e6; // ms of event time since the anchor
      late[n] = now - (anchor.wallMs + off / SPEED);
      evOff[n] = off;
      n++;
      if (WORK_US > 0) {
        const until = performance.now() + WORK_US / 1000; // stand-in for encoding + publishing
        while (performance.now() < until) sink++;
      }
    }
  }
  const wallMs = performance.now() - w0;
  const c = process.cpuUsage(cpu0);
  const all = late.slice(0, n);
  const startL: number[] = [];
  const endL: number[] = [];
  const lastOff = evOff[n - 1] ?? 0;
  for (let k = 0; k < n; k++) {
    const off = at(evOff, k, 'event offset');
    if (off < EDGE_S * 1000) startL.push(at(late, k, 'lateness'));
    if (off > lastOff - EDGE_S * 1000) endL.push(at(late, k, 'lateness'));
  }
  const sorted = (xs: ArrayLike<number>) => Float64Array.from(xs).sort();
  if (sink === -1) console.log('');
  return {
    runQueueMs: runQueueWaitMs() - rq0,
    events: n,
    wallMs,
    cpuMs: (c.user + c.system) / 1000,
    all: all.sort(),
    start: sorted(startL),
    end: sorted(endL),
    clockP99: clock.stats().lateness.p99,
    reanchored,
  };
}

const f3 = (x: number) => x.toFixed(3);
function report(name: string, r: Result): void {
  const q = (a: Float64Array) => `p50 ${f3(quantile(a, 0.5))}  p99 ${f3(quantile(a, 0.99))}  max ${f3(quantile(a, 1))}`;
  console.log(`\n${name}`);
  console.log(
    `  events ${r.events.toLocaleString('en-US')} over ${SECONDS} s of event time; wall ${(r.wallMs / 1000).toFixed(3)} s; ` +
      `CPU ${(r.cpuMs / 1000).toFixed(2)} s (${((100 * r.cpuMs) / r.wallMs).toFixed(0)}% of one core); ` +
      `waited ${(r.runQueueMs / 1000).toFixed(2)} s for a CPU (run queue)${r.reanchored ? '; RE-ANCHORED (unexpected)' : ''}`,
  );
  console.log(
    `  lateness ms: p50 ${f3(quantile(r.all, 0.5))}  p90 ${f3(quantile(r.all, 0.9))}  p99 ${f3(quantile(r.all, 0.99))}  ` +
      `p99.9 ${f3(quantile(r.all, 0.999))}  max ${f3(quantile(r.all, 1))}  (clock's own histogram p99 ${f3(r.clockP99)})`,
  );
  console.log(`  first ${EDGE_S} s: ${q(r.start)}`);
  console.log(`  last  ${EDGE_S} s: ${q(r.end)}`);
}

console.log(
  `@md/stream-merge replay pacing benchmark: speed ${SPEED}, ${SECONDS} s of event time, mean ${RATE.toLocaleString('en-US')} events/s (bursty), ` +
    `${WORK_US} µs of work per event, node ${process.version}`,
);
console.log(
  `load average at the start: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} cores)`,
);
const main = await run(undefined);
report("paceBatches + ReplayClock, defaults (timer, then Atomics.wait for the last 2 ms: fineWait 'block')", main);
if (!process.argv.includes('--no-poll')) report("fineWait 'poll' (setImmediate polling for the last 2 ms)", await run(undefined, 'poll'));
let base: Result | undefined;
if (BASELINE) {
  base = await run(0);
  report('baseline: the same clock with precisionMs 0 (timers only)', base);
}
const p99 = quantile(main.all, 0.99);
const drift = quantile(main.end, 0.99) - quantile(main.start, 0.99);
console.log(
  `\np99 ${f3(p99)} ms (target < 2): ${p99 < 2 ? 'met' : 'NOT met'}; p99 last ${EDGE_S} s - first ${EDGE_S} s = ${f3(drift)} ms; ` +
    `wall - event time = ${f3(main.wallMs - (SECONDS * 1000) / SPEED)} ms` +
    (base ? `; p99 ratio default / timers-only = ${(p99 / quantile(base.all, 0.99)).toFixed(2)}` : ''),
);
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} cores): other work on the machine raises lateness`,
);
