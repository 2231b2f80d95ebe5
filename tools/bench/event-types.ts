/**
 * Benchmark: @md/event-types codec throughput (events/s on one core) for FuturesTrade and MBP10 (and, with
 * --all, every other schema), against JSON.stringify / JSON.parse of a comparable plain object (same fields
 * and values, but the nanosecond timestamps as JS numbers, i.e. NOT exact) measured in the same run as the
 * baseline.
 *
 *   encode  : lookup(subject).encode(event) -> Uint8Array (validated, exact)  vs  TextEncoder.encode(JSON.stringify(plain))
 *   encodeToString: the same text without the UTF-8 step                      vs  JSON.stringify(plain)
 *   decode  : lookup(subject).decode(bytes) (validated, bigint ns)            vs  JSON.parse(TextDecoder.decode(bytes))
 *   decode(string)                                                             vs  JSON.parse(string)
 * (the baselines neither validate nor keep the nanoseconds exact.)
 *
 * Run from the repo root after building the package:
 *   (cd packages/event-types && npx tsup) && npx tsx tools/bench/event-types.ts [--events 200000] [--runs 7] [--all]
 * Comparing two builds in the same process (each run times both, in alternating order, so that both see the
 * same machine load):
 *   npx tsx tools/bench/event-types.ts --against /tmp/old-dist [--module packages/event-types/dist]
 * --module / --against name a build (a directory with index.js, or the module file); --module defaults to
 * @md/event-types. Besides the ratio of the medians it prints the median of the per-run ratios and the ratio of
 * the best runs. `--clock cpu` times by the process's CPU time instead of the wall clock (steadier on a busy
 * machine). Env: BENCH_EVENTS, BENCH_RUNS, BENCH_MODULE, BENCH_AGAINST, BENCH_CLOCK.
 */
import { existsSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as EventTypes from '@md/event-types';
import type { FuturesTrade, GreeksSnapshot, MBP10, OptionTrade, StockQuote, StockTrade } from '@md/event-types';

type Codec = typeof EventTypes;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ?? def;
}
const N = Number(arg('events', process.env.BENCH_EVENTS ?? '200000'));
const RUNS = Number(arg('runs', process.env.BENCH_RUNS ?? '7'));
const ALL = process.argv.includes('--all');
const MODULE = arg('module', process.env.BENCH_MODULE ?? '');
const AGAINST = arg('against', process.env.BENCH_AGAINST ?? '');
const CPU = arg('clock', process.env.BENCH_CLOCK ?? 'wall') === 'cpu';

/** a build of the package: a directory holding index.js, or the module file itself */
async function load(spec: string): Promise<Codec> {
  if (spec === '') return import('@md/event-types');
  const p = resolve(spec);
  const file = existsSync(p) && statSync(p).isDirectory() ? join(p, 'index.js') : p;
  return (await import(pathToFileURL(file).href)) as Codec;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const at = (i: number) => s[i] ?? NaN;
  return s.length % 2 ? at(m) : (at(m - 1) + at(m)) / 2;
};
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

const T0 = 1_702_900_800_123_456_789n;
const ts = (i: number) => T0 + BigInt(i) * 1_013n;
const px = (i: number) => 4500 + (i % 400) * 0.25;
const aggr = (i: number) => ((i % 3) - 1) as 1 | -1 | 0;

function trades(n: number): FuturesTrade[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event_ns: ts(i),
    ts_recv_ns: ts(i) + 2_345n,
    source: 'replay',
    symbol: i % 7 === 0 ? 'ESM6' : 'ESH6',
    price: px(i),
    size: 1 + (i % 23),
    aggressor: aggr(i),
    exchange: 'CME',
    conditions: null,
    seq: 100_000 + i,
  }));
}

function books(n: number): MBP10[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event_ns: ts(i),
    ts_recv_ns: ts(i) + 2_345n,
    source: 'replay',
    symbol: 'ESH6',
    levels: Array.from({ length: 10 }, (_, k) => ({
      bid_px: k === 9 && i % 5 === 0 ? null : px(i) - 0.25 * (k + 1),
      bid_sz: k === 9 && i % 5 === 0 ? 0 : 1 + ((i + k) % 40),
      ask_px: px(i) + 0.25 * k,
      ask_sz: 1 + ((i * 3 + k) % 40),
    })),
    is_snapshot: false,
    seq: 100_000 + i,
  }));
}

function stockTrades(n: number): StockTrade[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event_ns: ts(i),
    ts_recv_ns: ts(i) + 2_345n,
    source: 'polygon_ws',
    symbol: i % 3 === 0 ? 'AAPL' : 'SPY',
    price: 195 + (i % 500) * 0.01,
    size: 1 + (i % 300),
    exchange: i % 12,
    conditions: i % 4 === 0 ? [12, 37] : null,
    seq: 1_000 + i,
  }));
}

function stockQuotes(n: number): StockQuote[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event_ns: ts(i),
    ts_recv_ns: ts(i) + 2_345n,
    source: 'massive_ws',
    symbol: 'SPY',
    bid_px: 470 + (i % 200) * 0.01,
    ask_px: 470.01 + (i % 200) * 0.01,
    bid_sz: 100 * (1 + (i % 9)),
    ask_sz: 100 * (1 + (i % 7)),
    bid_exch: 11,
    ask_exch: i % 2 ? null : 12,
    seq: i % 5 ? null : i,
  }));
}

function optionTrades(n: number): OptionTrade[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event_ns: ts(i),
    ts_recv_ns: ts(i) + 2_345n,
    source: 'polygon_ws',
    underlying: 'SPY',
    option_symbol: 'O:SPY251216C00676000',
    exp_date: '2025-12-16',
    strike: 676,
    right: i % 2 ? 'C' : 'P',
    price: 1 + (i % 100) * 0.05,
    size: 1 + (i % 50),
    opt_bid: 1.2,
    opt_ask: i % 3 ? null : 1.3,
    aggressor: aggr(i),
    conditions: null,
    seq: 77 + i,
  }));
}

function greeks(n: number): GreeksSnapshot[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event_ns: ts(i),
    ts_recv_ns: ts(i) + 2_345n,
    source: 'massive_rest',
    underlying: 'SPX',
    option_symbol: 'O:SPXW251216P06000000',
    exp_date: '2025-12-16',
    strike: 6000,
    right: 'P',
    underlying_px: 6010.5 + (i % 100) * 0.25,
    iv: 0.1234,
    delta: -0.45,
    gamma: 0.0012,
    theta: -1.5e-5,
    vega: 2.0,
    rho: i % 2 ? null : 0.01,
    seq: null,
  }));
}

/** the comparable plain object: nanoseconds as (inexact) numbers */
const plain = <T extends { ts_event_ns: bigint; ts_recv_ns: bigint }>(e: T) => ({
  ...e,
  ts_event_ns: Number(e.ts_event_ns),
  ts_recv_ns: Number(e.ts_recv_ns),
});

let sink = 0;
/** seconds fn takes: wall-clock time, or with --clock cpu the process's CPU time (user + system, all threads),
 * which other work on a loaded machine inflates far less */
function time(fn: () => void): number {
  if (CPU) {
    const c = process.cpuUsage();
    fn();
    const d = process.cpuUsage(c);
    return (d.user + d.system) / 1e6;
  }
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** one case: the codec under test (`ours`), optionally another build of it (`against`), and JSON.* */
interface Row {
  name: string;
  ours: number[];
  against: number[];
  base: number[];
}

function bench(label: string, subject: string, events: any[], codecs: Codec[]): Row[] {
  const plains = events.map(plain);
  const te = new TextEncoder();
  const td = new TextDecoder();
  const n = events.length;
  // per codec: [encode, encodeToString, decode bytes, decode string]; every build decodes its own bodies
  const loops = codecs.map((c): (() => void)[] => {
    const reg = c.lookup(subject);
    const bytes = events.map((e) => reg.encode(e).slice());
    const texts = events.map((e) => reg.encodeToString(e));
    return [
      () => {
        for (let i = 0; i < n; i++) sink += reg.encode(events[i]).length;
      },
      () => {
        for (let i = 0; i < n; i++) sink += reg.encodeToString(events[i]).length;
      },
      () => {
        for (let i = 0; i < n; i++) sink += (reg.decode(bytes[i] as Uint8Array) as any).seq ?? 1;
      },
      () => {
        for (let i = 0; i < n; i++) sink += (reg.decode(texts[i] as string) as any).seq ?? 1;
      },
    ];
  });
  const baseBytes = plains.map((p) => te.encode(JSON.stringify(p)));
  const baseTexts = plains.map((p) => JSON.stringify(p));
  const base: (() => void)[] = [
    () => {
      for (let i = 0; i < n; i++) sink += te.encode(JSON.stringify(plains[i])).length;
    },
    () => {
      for (let i = 0; i < n; i++) sink += JSON.stringify(plains[i]).length;
    },
    () => {
      for (let i = 0; i < n; i++) sink += JSON.parse(td.decode(baseBytes[i])).seq ?? 1;
    },
    () => {
      for (let i = 0; i < n; i++) sink += JSON.parse(baseTexts[i] as string).seq ?? 1;
    },
  ];
  const rows: Row[] = ['encode -> bytes', 'encodeToString', 'decode bytes', 'decode string'].map((c) => ({
    name: `${label} ${c}`,
    ours: [],
    against: [],
    base: [],
  }));
  // warm-up (JIT), then time every contestant within each run so all see the same machine load; the two
  // builds swap places every run (neither is always first after the baseline)
  for (const fns of [...loops, base]) for (const f of fns) f();
  for (let r = 0; r < RUNS; r++) {
    rows.forEach((row, k) => {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const c of order) {
        const f = loops[c]?.[k];
        if (f !== undefined) (c === 0 ? row.ours : row.against).push(n / time(f));
      }
      const b = base[k];
      if (b !== undefined) row.base.push(n / time(b));
    });
  }
  return rows;
}

const ours = await load(MODULE);
const codecs = AGAINST ? [ours, await load(AGAINST)] : [ours];
const { lookup, SUBJECTS } = ours;
const ft = trades(N);
const mb = books(Math.max(1, Math.floor(N / 4)));
const small = Math.max(1, Math.floor(N / 2));
console.log(
  `@md/event-types codec benchmark: ${fmt(ft.length)} FuturesTrade, ${fmt(mb.length)} MBP10 events${ALL ? `, ${fmt(small)} of each other schema` : ''}; ${RUNS} runs (medians), one core, node ${process.version}`,
);
if (AGAINST) console.log(`this build: ${MODULE || '@md/event-types'}; against: ${AGAINST} (timed alternately in every run)`);
if (CPU) console.log('clock: process CPU time');
console.log(
  `body sizes: FuturesTrade ${lookup(SUBJECTS.futuresTrades).encode(ft[1] as FuturesTrade).length} B, MBP10 ${lookup(SUBJECTS.futuresMbp10).encode(mb[1] ?? (mb[0] as MBP10)).length} B`,
);
const rows = [...bench('FuturesTrade', SUBJECTS.futuresTrades, ft, codecs), ...bench('MBP10', SUBJECTS.futuresMbp10, mb, codecs)];
if (ALL) {
  rows.push(
    ...bench('StockTrade', SUBJECTS.stockTrades, stockTrades(small), codecs),
    ...bench('StockQuote', SUBJECTS.stockQuotes, stockQuotes(small), codecs),
    ...bench('OptionTrade', SUBJECTS.optionTrades, optionTrades(small), codecs),
    ...bench('GreeksSnapshot', SUBJECTS.optionGreeks, greeks(small), codecs),
  );
}
const w = Math.max(...rows.map((r) => r.name.length));
/** the median of this/against within each run (both timed back to back, so drifts in machine load cancel) */
const perRun = (r: Row) => median(r.ours.map((x, i) => x / (r.against[i] ?? NaN)));
if (AGAINST) {
  console.log(
    `${'case'.padEnd(w)}  ${'this ev/s'.padStart(12)}  ${'against ev/s'.padStart(12)}  this/against  ${'JSON.* ev/s'.padStart(12)}  per-run  best`,
  );
} else {
  console.log(`${'case'.padEnd(w)}  ${'ours ev/s'.padStart(12)}  ${'JSON.* ev/s'.padStart(12)}  ratio   (best run: ours, JSON.*)`);
}
for (const r of rows) {
  const o = median(r.ours);
  const b = median(r.base);
  if (AGAINST) {
    const a = median(r.against);
    console.log(
      `${r.name.padEnd(w)}  ${fmt(o).padStart(12)}  ${fmt(a).padStart(12)}  ${(o / a).toFixed(3).padStart(11)}x  ${fmt(b).padStart(12)}  ${perRun(r).toFixed(3)}x  ${(Math.max(...r.ours) / Math.max(...r.against)).toFixed(3)}x`,
    );
  } else {
    console.log(
      `${r.name.padEnd(w)}  ${fmt(o).padStart(12)}  ${fmt(b).padStart(12)}  ${(o / b).toFixed(2)}x   (${fmt(Math.max(...r.ours))}, ${fmt(Math.max(...r.base))})`,
    );
  }
}
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (${cpus().length} cores): other work on the machine lowers the absolute figures`,
);
// the issue's target: >= 2 million FuturesTrade encodes per second on one core, and faster than JSON.stringify
const ftBytes = median(rows[0]?.ours ?? []);
const jsonText = median(rows[1]?.base ?? []);
console.log(
  `\ntarget: FuturesTrade encode -> bytes ${fmt(ftBytes)}/s (>= 2,000,000: ${ftBytes >= 2e6 ? 'met' : 'NOT met'}); ` +
    `vs JSON.stringify alone (text, no UTF-8 step) ${fmt(jsonText)}/s: ${(ftBytes / jsonText).toFixed(2)}x`,
);
if (sink === 42) console.log('');
