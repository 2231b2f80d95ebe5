/**
 * Benchmark: @md/bronze-reader over a generated Bronze option-trades day (default 5,000,000 rows over 3 UTC
 * hours, one file per hour as a backfill writes them, ZSTD level 3, pyarrow's default row groups of at most
 * 1,048,576 rows; generated once into os.tmpdir() with a fixed seed and reused). The day is written by pyarrow
 * (the old system's writer: pages of at most 20,000 rows) when python3 has it, else (or with
 * --writer hyparquet-writer) by hyparquet-writer, whose pages hold up to a whole row group of dictionary
 * indices (the reader holds one decoded page per column, so that file needs far more memory). Each case runs in a child
 * process of its own, so its peak RSS (VmHWM from /proc/self/status, and process.memoryUsage().rss sampled
 * every 50 ms) is its own:
 *
 *   hyparquet objects : baseline: plain hyparquet `parquetReadObjects` of the same columns, row group by row
 *                       group (rowStart/rowEnd), no mapping
 *   readBronze        : discovery + row groups + validation + mapping to OptionTrade + message ids + merge
 *   readBronze+encode : the same, each event also encoded to its JSON body (what the replay publishes)
 *   readBronze --max-old-space-size=128 : readBronze in a process with a smaller V8 old-space limit (the live
 *                       heap is ~20 MB; most of the default peak is garbage V8 lets pile up before a full GC)
 *
 * Medians of --runs runs (default 3); ratio = case rows/s / baseline rows/s. Target: peak RSS < 200 MB.
 *
 * Run from the repo root after building the package:
 *   npx nx build bronze-reader && npx tsx tools/bench/bronze-read.ts [--rows 5000000] [--hours 3] [--runs 3] [--writer pyarrow|hyparquet-writer]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listBronzeFiles } from '@md/bronze-reader';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { rng } from '@md/test-support';
import { BronzeFileWriter, bronzePath } from '../../packages/bronze-reader/test/write-bronze.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}
const ROWS = Number(arg('rows', process.env.BENCH_ROWS ?? '5000000'));
const HOURS = Number(arg('hours', '3'));
const RUNS = Number(arg('runs', process.env.BENCH_RUNS ?? '3'));
const ROW_GROUP = 1_048_576;
const REPO = resolve(import.meta.dirname, '../..');
const DATE = '2025-12-16';
const T14 = 1_765_893_600_000_000_000n; // 2025-12-16T14:00:00Z
const HOUR_NS = 3_600_000_000_000n;
const COLUMNS = [
  'ts_event_ns',
  'ts_recv_ns',
  'source',
  'underlying',
  'option_symbol',
  'exp_date',
  'strike',
  'right',
  'price',
  'size',
  'opt_bid',
  'opt_ask',
  'aggressor',
  'conditions',
  'seq',
];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

// ---------------------------------------------------------------------------------------------
// generation (in a child: its memory is not the reader's)

/**
 * pyarrow, the old system's writer, when python3 has it: `ParquetWriter` with the options.trades.v1 schema,
 * ZSTD level 3, row groups of 1,048,576 rows and pyarrow's pages (at most 20,000 rows each).
 */
const PYARROW_GEN = String.raw`
import sys, os, random
import pyarrow as pa, pyarrow.parquet as pq
root, rows, hours = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
OPT = pa.schema([("ts_event_ns",pa.int64(),False),("ts_recv_ns",pa.int64(),False),
  ("source",pa.string(),False),("underlying",pa.string(),False),("option_symbol",pa.string(),False),
  ("exp_date",pa.date32(),False),("strike",pa.float64(),False),("right",pa.string(),False),
  ("price",pa.float64(),False),("size",pa.int32(),False),("opt_bid",pa.float64()),("opt_ask",pa.float64()),
  ("aggressor",pa.int8(),False),("conditions",pa.list_(pa.int16())),("seq",pa.int64())],
  metadata={"schema_name":"options.trades.v1","tier":"bronze"})
r = random.Random(7)
contracts = [("O:SPY251216%s%08d" % (c, k * 1000), float(k), c) for k in range(600, 701) for c in "CP"]
import datetime as dt
exp = dt.date(2025, 12, 16)
seq = 1_000_000
T14 = 1_765_893_600_000_000_000
H = 3_600_000_000_000
for h in range(hours):
    n_h = rows // hours + (1 if h < rows % hours else 0)
    hour = "%02d" % (14 + h)
    d = os.path.join(root, "bronze/options/trades/underlying=SPY/date=2025-12-16/hour=" + hour)
    os.makedirs(d, exist_ok=True)
    w = pq.ParquetWriter(os.path.join(d, "part-%s5959_000000.parquet" % hour), OPT, compression="zstd", compression_level=3)
    step = H // (n_h + 1)
    ts = T14 + h * H
    done = 0
    while done < n_h:
        n = min(1_048_576, n_h - done)
        cols = {k: [] for k in OPT.names}
        for i in range(n):
            ts += step + r.randint(-1, 1)
            sym, strike, right = contracts[r.randrange(len(contracts))]
            px = round(0.05 + r.random() * 12, 2)
            q = r.random() < 0.1
            cols["ts_event_ns"].append(ts); cols["ts_recv_ns"].append(ts + 350_000)
            cols["source"].append("polygon_ws"); cols["underlying"].append("SPY"); cols["option_symbol"].append(sym)
            cols["exp_date"].append(exp); cols["strike"].append(strike); cols["right"].append(right); cols["price"].append(px)
            cols["size"].append(1 + r.randrange(20))
            cols["opt_bid"].append(None if q else max(0.0, round(px - 0.02, 2))); cols["opt_ask"].append(None if q else round(px + 0.02, 2))
            cols["aggressor"].append(r.randrange(3) - 1); cols["conditions"].append([209] if r.random() < 0.05 else None)
            cols["seq"].append(seq); seq += 1
        w.write_table(pa.table(cols, schema=OPT), row_group_size=1_048_576)
        done += n
    w.close()
`;

const havePyarrow = spawnSync('python3', ['-c', 'import pyarrow'], { stdio: 'ignore' }).status === 0;

function generate(root: string): void {
  const r = rng(7);
  const contracts: { sym: string; strike: number; right: 'C' | 'P' }[] = [];
  for (let k = 600; k <= 700; k++) {
    for (const right of ['C', 'P'] as const)
      contracts.push({ sym: `O:SPY251216${right}${String(k * 1000).padStart(8, '0')}`, strike: k, right });
  }
  let seq = 1_000_000n;
  for (let h = 0; h < HOURS; h++) {
    const rowsHere = Math.floor(ROWS / HOURS) + (h < ROWS % HOURS ? 1 : 0);
    const hour = String(14 + h).padStart(2, '0');
    const w = new BronzeFileWriter(
      bronzePath(root, 'option_trades', 'SPY', DATE, hour, `part-${hour}5959_000000.parquet`),
      'option_trades',
      {
        rowGroupSize: ROW_GROUP,
      },
    );
    const step = HOUR_NS / BigInt(rowsHere + 1);
    let ts = T14 + BigInt(h) * HOUR_NS;
    for (let done = 0; done < rowsHere;) {
      const n = Math.min(ROW_GROUP, rowsHere - done);
      const c = {
        ts_event_ns: new BigInt64Array(n),
        ts_recv_ns: new BigInt64Array(n),
        source: new Array<string>(n).fill('polygon_ws'),
        underlying: new Array<string>(n).fill('SPY'),
        option_symbol: new Array<string>(n),
        exp_date: new Array<number>(n).fill(20_438),
        strike: new Float64Array(n),
        right: new Array<string>(n),
        price: new Float64Array(n),
        size: new Int32Array(n),
        opt_bid: new Array<number | null>(n),
        opt_ask: new Array<number | null>(n),
        aggressor: new Int32Array(n),
        conditions: new Array<number[] | null>(n),
        seq: new Array<bigint | null>(n),
      };
      for (let i = 0; i < n; i++) {
        ts += step - 1n + BigInt(Math.floor(r() * 3)) - 1n + 1n;
        const k = contracts[Math.floor(r() * contracts.length)] as (typeof contracts)[number];
        const px = Math.round((0.05 + r() * 12) * 100) / 100;
        c.ts_event_ns[i] = ts;
        c.ts_recv_ns[i] = ts + 350_000n;
        c.option_symbol[i] = k.sym;
        c.strike[i] = k.strike;
        c.right[i] = k.right;
        c.price[i] = px;
        c.size[i] = 1 + Math.floor(r() * 20);
        const q = r() < 0.1;
        c.opt_bid[i] = q ? null : Math.max(0, Math.round((px - 0.02) * 100) / 100);
        c.opt_ask[i] = q ? null : Math.round((px + 0.02) * 100) / 100;
        c.aggressor[i] = Math.floor(r() * 3) - 1;
        c.conditions[i] = r() < 0.05 ? [209] : null;
        c.seq[i] = seq++;
      }
      w.writeColumns(c);
      done += n;
    }
    w.finish();
  }
}

// ---------------------------------------------------------------------------------------------
// one case, in a child

interface CaseResult {
  rows: number;
  seconds: number;
  vmHwm: number;
  sampledRss: number;
  checksum: string;
}

/**
 * One case, as plain ESM run by `node --input-type=module` (no TypeScript loader in the measured process):
 * imports the built @md/bronze-reader and hyparquet from the repository root.
 */
const CASE_SCRIPT = String.raw`
import { readFileSync } from 'node:fs';
import { encodeToString } from '@md/event-types';
import { listBronzeFiles, readBronze } from '@md/bronze-reader';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
const [name, root, date, columns] = JSON.parse(process.argv[1]);
let sampled = process.memoryUsage().rss;
const timer = setInterval(() => { sampled = Math.max(sampled, process.memoryUsage().rss); }, 50);
const t = performance.now();
let rows = 0;
let check = 0n;
if (name === 'hyparquet objects') {
  const listing = await listBronzeFiles(root, 'option_trades', date);
  for (const h of listing.hours) for (const f of h.files) {
    const file = await asyncBufferFromFile(f);
    const metadata = await parquetMetadataAsync(file);
    let start = 0;
    for (const g of metadata.row_groups) {
      const n = Number(g.num_rows);
      const objs = await parquetReadObjects({ file, metadata, columns, rowStart: start, rowEnd: start + n, compressors });
      for (const o of objs) check ^= o.ts_event_ns;
      rows += objs.length;
      start += n;
    }
  }
} else {
  const encode = name === 'readBronze+encode';
  let bytes = 0;
  const s = readBronze({ root, table: 'option_trades', date });
  for await (const batch of s) {
    for (const p of batch) {
      check ^= p.event.ts_event_ns;
      if (encode) bytes += encodeToString(p.event, p.subject).length + p.msgId.length;
    }
    rows += batch.length;
  }
  if (s.stats.invalid !== 0 || s.stats.events !== rows) throw new Error('unexpected stats ' + JSON.stringify(s.stats, (k, v) => typeof v === 'bigint' ? String(v) : v));
  if (encode && bytes === 0) throw new Error('nothing encoded');
}
const seconds = (performance.now() - t) / 1000;
clearInterval(timer);
sampled = Math.max(sampled, process.memoryUsage().rss);
const vmHwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
console.log(JSON.stringify({ rows, seconds, vmHwm, sampledRss: sampled, checksum: check.toString(16) }));
`;

/** a case name, optionally followed by V8 flags for its process: `readBronze --max-old-space-size=128` */
function runCase(label: string, root: string): CaseResult {
  const [name, ...rest] = label.split(' --') as [string, ...string[]];
  const flags = rest.map((f) => `--${f}`);
  const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', CASE_SCRIPT, JSON.stringify([name, root, DATE, COLUMNS])], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`case ${label} exited ${r.status}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as CaseResult;
}

function child(args: string[]): string {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} exited ${r.status}`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function main(): Promise<void> {
  const gen = process.argv.indexOf('--generate');
  if (gen >= 0) return generate(process.argv[gen + 1] as string);

  const writer = arg('writer', havePyarrow ? 'pyarrow' : 'hyparquet-writer');
  const root = join(tmpdir(), `md-bronze-bench-${ROWS}-${HOURS}h-seed7-${writer}`);
  if (!existsSync(join(root, '.complete'))) {
    rmSync(root, { recursive: true, force: true });
    console.log(`generating ${fmt(ROWS)} option trades over ${HOURS} hours with ${writer} into ${root} (once) ...`);
    const t0 = performance.now();
    if (writer === 'pyarrow') {
      const r = spawnSync('python3', ['-c', PYARROW_GEN, root, String(ROWS), String(HOURS)], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`pyarrow generator exited ${r.status}`);
    } else child(['--generate', root, '--rows', String(ROWS), '--hours', String(HOURS)]);
    writeFileSync(join(root, '.complete'), '');
    console.log(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const listing = await listBronzeFiles(root, 'option_trades', DATE);
  const files = listing.hours.flatMap((h) => h.files);
  let groups = 0;
  for (const f of files) groups += (await parquetMetadataAsync(await asyncBufferFromFile(f))).row_groups.length;
  console.log(
    `${fmt(ROWS)} rows, ${files.length} files, ${groups} row groups (<= ${fmt(ROW_GROUP)} rows), ZSTD level 3, written by ${writer}`,
  );
  console.log(
    `node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );

  const cases = ['hyparquet objects', 'readBronze', 'readBronze+encode', 'readBronze --max-old-space-size=128'];
  const res = new Map<string, CaseResult[]>(cases.map((c) => [c, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const c of cases) {
      const r = runCase(c, root);
      if (r.rows !== ROWS) throw new Error(`${c}: ${r.rows} rows, expected ${ROWS}`);
      res.get(c)?.push(r);
    }
  }
  const sums = new Set(cases.map((c) => res.get(c)?.[0]?.checksum));
  if (sums.size !== 1) throw new Error(`the cases read different rows: ${[...sums].join(' ')}`);
  const base = median((res.get(cases[0] as string) ?? []).map((r) => r.rows / r.seconds));
  console.log(`\nmedians of ${RUNS} runs, each case in a fresh process`);
  console.log(
    `${'case'.padEnd(36)} ${'rows/s'.padStart(12)} ${'seconds'.padStart(8)} ${'ratio'.padStart(6)} ${'peak RSS (VmHWM)'.padStart(17)} ${'sampled rss'.padStart(12)}`,
  );
  for (const c of cases) {
    const rs = res.get(c) ?? [];
    const rate = median(rs.map((r) => r.rows / r.seconds));
    console.log(
      `${c.padEnd(36)} ${fmt(rate).padStart(12)} ${median(rs.map((r) => r.seconds))
        .toFixed(2)
        .padStart(
          8,
        )} ${(rate / base).toFixed(2).padStart(6)} ${mb(median(rs.map((r) => r.vmHwm))).padStart(17)} ${mb(median(rs.map((r) => r.sampledRss))).padStart(12)}`,
    );
  }
  const peak = Math.max(...(res.get('readBronze') ?? []).map((r) => r.vmHwm));
  console.log(`\nreadBronze peak RSS (max of runs): ${mb(peak)} (target < 200 MB): ${peak < 200 * 2 ** 20 ? 'ok' : 'OVER'}`);
}

await main();
