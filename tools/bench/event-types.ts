/**
 * Benchmark: @md/event-types codec throughput (events/s on one core) for FuturesTrade and MBP10, against
 * JSON.stringify / JSON.parse of a comparable plain object (same fields and values, but the nanosecond
 * timestamps as JS numbers, i.e. NOT exact) measured in the same run as the baseline.
 *
 *   encode  : lookup(subject).encode(event) -> Uint8Array (validated, exact)  vs  TextEncoder.encode(JSON.stringify(plain))
 *   encodeToString: the same text without the UTF-8 step                      vs  JSON.stringify(plain)
 *   decode  : lookup(subject).decode(bytes) (validated, bigint ns)            vs  JSON.parse(TextDecoder.decode(bytes))
 *   decode(string)                                                             vs  JSON.parse(string)
 * (the baselines neither validate nor keep the nanoseconds exact.)
 *
 * Run from the repo root after building the package:
 *   (cd packages/event-types && npx tsup) && npx tsx tools/bench/event-types.ts [--events 200000] [--runs 7]
 * Env: BENCH_EVENTS, BENCH_RUNS.
 */
import { cpus, loadavg } from 'node:os';
import { lookup, SUBJECTS, type FuturesTrade, type MBP10 } from '@md/event-types';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const N = Number(arg('events', process.env.BENCH_EVENTS ?? '200000'));
const RUNS = Number(arg('runs', process.env.BENCH_RUNS ?? '7'));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

const T0 = 1_702_900_800_123_456_789n;

function trades(n: number): FuturesTrade[] {
  const out: FuturesTrade[] = [];
  for (let i = 0; i < n; i++) {
    const ts = T0 + BigInt(i) * 1_013n;
    out.push({
      ts_event_ns: ts,
      ts_recv_ns: ts + 2_345n,
      source: 'replay',
      symbol: i % 7 === 0 ? 'ESM6' : 'ESH6',
      price: 4500 + (i % 400) * 0.25,
      size: 1 + (i % 23),
      aggressor: ((i % 3) - 1) as 1 | -1 | 0,
      exchange: 'CME',
      conditions: null,
      seq: 100_000 + i,
    });
  }
  return out;
}

function books(n: number): MBP10[] {
  const out: MBP10[] = [];
  for (let i = 0; i < n; i++) {
    const ts = T0 + BigInt(i) * 1_013n;
    const mid = 4500 + (i % 400) * 0.25;
    out.push({
      ts_event_ns: ts,
      ts_recv_ns: ts + 2_345n,
      source: 'replay',
      symbol: 'ESH6',
      levels: Array.from({ length: 10 }, (_, k) => ({
        bid_px: k === 9 && i % 5 === 0 ? null : mid - 0.25 * (k + 1),
        bid_sz: k === 9 && i % 5 === 0 ? 0 : 1 + ((i + k) % 40),
        ask_px: mid + 0.25 * k,
        ask_sz: 1 + ((i * 3 + k) % 40),
      })),
      is_snapshot: false,
      seq: 100_000 + i,
    });
  }
  return out;
}

/** the comparable plain object: nanoseconds as (inexact) numbers */
const plain = <T extends { ts_event_ns: bigint; ts_recv_ns: bigint }>(e: T) => ({ ...e, ts_event_ns: Number(e.ts_event_ns), ts_recv_ns: Number(e.ts_recv_ns) });

let sink = 0;
function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

interface Row { name: string; ours: number[]; base: number[] }

function bench(label: string, subject: string, events: any[]): Row[] {
  const reg = lookup(subject);
  const plains = events.map(plain);
  const te = new TextEncoder();
  const td = new TextDecoder();
  const bytes = events.map((e) => reg.encode(e));
  const texts = events.map((e) => reg.encodeToString(e));
  const baseBytes = plains.map((p) => te.encode(JSON.stringify(p)));
  const baseTexts = plains.map((p) => JSON.stringify(p));
  const n = events.length;
  const rows: Row[] = [
    { name: `${label} encode -> bytes`, ours: [], base: [] },
    { name: `${label} encodeToString`, ours: [], base: [] },
    { name: `${label} decode bytes`, ours: [], base: [] },
    { name: `${label} decode string`, ours: [], base: [] },
  ];
  const cases: [Row, () => void, () => void][] = [
    [rows[0], () => { for (let i = 0; i < n; i++) sink += reg.encode(events[i]).length; },
      () => { for (let i = 0; i < n; i++) sink += te.encode(JSON.stringify(plains[i])).length; }],
    [rows[1], () => { for (let i = 0; i < n; i++) sink += reg.encodeToString(events[i]).length; },
      () => { for (let i = 0; i < n; i++) sink += JSON.stringify(plains[i]).length; }],
    [rows[2], () => { for (let i = 0; i < n; i++) sink += (reg.decode(bytes[i]) as any).size ?? 1; },
      () => { for (let i = 0; i < n; i++) sink += JSON.parse(td.decode(baseBytes[i])).size ?? 1; }],
    [rows[3], () => { for (let i = 0; i < n; i++) sink += (reg.decode(texts[i]) as any).size ?? 1; },
      () => { for (let i = 0; i < n; i++) sink += JSON.parse(baseTexts[i]).size ?? 1; }],
  ];
  // warm-up (JIT), then alternate ours/baseline within each run so both see the same machine load
  for (const [, a, b] of cases) { a(); b(); }
  for (let r = 0; r < RUNS; r++) {
    for (const [row, a, b] of cases) {
      row.ours.push(n / time(a));
      row.base.push(n / time(b));
    }
  }
  return rows;
}

const ft = trades(N);
const mb = books(Math.max(1, Math.floor(N / 4)));
console.log(`@md/event-types codec benchmark: ${fmt(ft.length)} FuturesTrade, ${fmt(mb.length)} MBP10 events; ${RUNS} runs (medians), one core, node ${process.version}`);
console.log(`body sizes: FuturesTrade ${lookup(SUBJECTS.futuresTrades).encode(ft[1]).length} B, MBP10 ${lookup(SUBJECTS.futuresMbp10).encode(mb[1]).length} B`);
const rows = [...bench('FuturesTrade', SUBJECTS.futuresTrades, ft), ...bench('MBP10', SUBJECTS.futuresMbp10, mb)];
const w = Math.max(...rows.map((r) => r.name.length));
console.log(`${'case'.padEnd(w)}  ${'ours ev/s'.padStart(12)}  ${'JSON.* ev/s'.padStart(12)}  ratio   (best run: ours, JSON.*)`);
for (const r of rows) {
  const o = median(r.ours);
  const b = median(r.base);
  console.log(
    `${r.name.padEnd(w)}  ${fmt(o).padStart(12)}  ${fmt(b).padStart(12)}  ${(o / b).toFixed(2)}x   (${fmt(Math.max(...r.ours))}, ${fmt(Math.max(...r.base))})`,
  );
}
console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores): other work on the machine lowers the absolute figures`);
// the target: >= 2 million FuturesTrade encodes per second on one core, and faster than JSON.stringify
const enc = rows[0];
const txt = rows[1];
const ftBytes = median(enc.ours);
const jsonText = median(txt.base);
console.log(
  `\ntarget: FuturesTrade encode -> bytes ${fmt(ftBytes)}/s (>= 2,000,000: ${ftBytes >= 2e6 ? 'met' : 'NOT met'}); ` +
    `vs JSON.stringify alone (text, no UTF-8 step) ${fmt(jsonText)}/s: ${(ftBytes / jsonText).toFixed(2)}x`,
);
if (sink === 42) console.log('');
