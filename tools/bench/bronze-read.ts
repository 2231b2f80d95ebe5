/**
 * Benchmark: @md/bronze-reader over a generated Bronze option-trades day (default 5,000,000 rows over 3 UTC
 * hours, one file per hour as a backfill writes them, ZSTD level 3, pyarrow's default row groups of at most
 * 1,048,576 rows; generated once into os.tmpdir() with a fixed seed and reused; see bronze-day.ts). Written by
 * pyarrow (the old system's writer: pages of at most 20,000 rows) when python3 has it, else (or with
 * --writer hyparquet-writer) by the shared test writer, whose pages are cut by --page-size bytes only (default
 * 1 MiB: up to 262,144 rows a page; 80000 is close to pyarrow's page sizes). Each case runs in a child process
 * of its own, so its peak RSS (VmHWM from /proc/self/status at exit, and process.memoryUsage().rss sampled
 * every 50 ms) is its own:
 *
 *   hyparquet objects : baseline: plain hyparquet `parquetReadObjects` of the same columns, row group by row
 *                       group (rowStart/rowEnd), no mapping
 *   readBronze        : discovery + row groups + validation + mapping to OptionTrade + message ids + merge
 *   readBronze+encode : the same, each event also encoded to its JSON body (what the replay publishes)
 *   readBronzeEncoded : the fast lane's form: the same events as EncodedBatch (JSON bodies and ids written
 *                       straight from the decoded columns, no OptionTrade, no bigint a row)
 *   <case> --max-semi-space-size=4 : the reader with the launcher's V8 flag (as the replay-publisher runs it)
 *   replay stdout object-path : the replay with --object-path, when the build has the fast lane
 *   replay stdout     : the replay-publisher process replaying the day (options from Bronze, --speed 0,
 *                       --sink stdout into /dev/null), run as its bin runs it (node --max-semi-space-size=4);
 *                       rows/s = its events / its wall time. Needs `npx nx build replay-publisher`.
 *   readBronze --max-old-space-size=128 : with --heap-limit-case (a smaller V8 old-space limit)
 *   <case>@compare    : with --compare DIST, the same case with @md/bronze-reader resolved to another build
 *                       (DIST = its dist/index.js, e.g. the previous commit's), for before/after in one run
 *
 * Medians of --runs runs (default 3); ratio = case rows/s / baseline rows/s. Target: peak RSS < 200 MB.
 *
 * Run from the repo root after building:
 *   npx nx run-many -t build -p bronze-reader replay-publisher && npx tsx tools/bench/bronze-read.ts \
 *     [--rows 5000000] [--hours 3] [--runs 3] [--writer pyarrow|hyparquet-writer] [--page-size 1048576] \
 *     [--compare /path/to/other/dist/index.js] [--heap-limit-case] [--no-replay] [--cases 'readBronze,replay stdout']
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listBronzeFiles, TABLE_SPECS } from '@md/bronze-reader';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { DATE, generate, havePyarrow, PYARROW_GEN, ROW_GROUP } from './bronze-day.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}
const ROWS = Number(arg('rows', process.env.BENCH_ROWS ?? '5000000'));
const HOURS = Number(arg('hours', '3'));
const RUNS = Number(arg('runs', process.env.BENCH_RUNS ?? '3'));
/** hyparquet-writer's target page size (bytes); 80,000 gives pages of 10,000-20,000 rows, close to pyarrow's */
const PAGE_SIZE = Number(arg('page-size', '1048576'));
/** another build of @md/bronze-reader (its dist/index.js) to compare with, e.g. the previous commit's */
const COMPARE = arg('compare', '');
const REPO = resolve(import.meta.dirname, '../..');
const COLUMNS = TABLE_SPECS.option_trades.columns.map((c) => c.name);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

// ---------------------------------------------------------------------------------------------
// generation (in a child: its memory is not the reader's)

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
import { encodeToString } from '@md/event-types';
import { listBronzeFiles, readBronze, readBronzeEncoded } from '@md/bronze-reader';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
const [name, root, date, columns] = JSON.parse(process.argv[1]);
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
} else if (name === 'readBronzeEncoded') {
  // the fast lane's form: the checksum from the uint32 halves (no bigint a row), the bodies' bytes counted
  let xh = 0, xl = 0, bytes = 0;
  const s = readBronzeEncoded({ root, table: 'option_trades', date });
  for await (const b of s) {
    for (let i = 0; i < b.length; i++) {
      xh ^= b.tsHi[i];
      xl ^= b.tsLo[i];
      bytes += b.bodyEnd[i] - b.bodyStart[i] + b.idEnd[i] - b.idStart[i];
    }
    rows += b.length;
  }
  check = (BigInt(xh >>> 0) << 32n) | BigInt(xl >>> 0);
  if (s.stats.invalid !== 0 || s.stats.events !== rows || bytes === 0) throw new Error('unexpected stats ' + JSON.stringify(s.stats));
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
console.log(JSON.stringify({ rows, seconds, checksum: check.toString(16) }));
`;

/** preload of every case process: its VmHWM and sampled rss peak, written at exit to BENCH_MEM_OUT */
const MEM_PRELOAD = `data:text/javascript,${encodeURIComponent(String.raw`
import { readFileSync, writeFileSync } from 'node:fs';
let sampled = 0;
const sample = () => { sampled = Math.max(sampled, process.memoryUsage().rss); };
setInterval(sample, 50).unref();
process.on('exit', () => {
  sample();
  const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  writeFileSync(process.env.BENCH_MEM_OUT, JSON.stringify({ vmHwm: hwm, sampledRss: sampled }));
});`)}`;

/** preload resolving `@md/bronze-reader` to another build (--compare) */
function redirectPreload(dist: string): string {
  const hook = `export async function resolve(s, c, next) { return s === '@md/bronze-reader' ? { url: ${JSON.stringify(
    pathToFileURL(resolve(dist)).href,
  )}, shortCircuit: true } : next(s, c); }`;
  return `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`)}`;
}

/**
 * The replay of the day by the replay-publisher process (as its bin runs it: node --max-semi-space-size=4),
 * options from Bronze, --speed 0, --sink stdout into /dev/null.
 */
const REPLAY_ARGS = (root: string, objectPath = false) => [
  'apps/replay-publisher/dist/main.js',
  ...(objectPath ? ['--object-path'] : []),
  ...['--bronze-root', root, '--date', DATE, '--include-options', '--options-source', 'bronze'],
  ...['--no-stock-trades', '--no-stock-quotes', '--sink', 'stdout', '--speed', '0'],
];

/**
 * A case: `name[@compare] [--v8-flag ...]`, e.g. `readBronze --max-old-space-size=128`; `@compare`: with
 * @md/bronze-reader resolved to the --compare build.
 */
function runCase(label: string, root: string): CaseResult {
  const [head, ...rest] = label.split(' --') as [string, ...string[]];
  const [name, other] = head.split('@') as [string, string | undefined];
  const flags = rest.map((f) => `--${f}`);
  if (other !== undefined) flags.push('--import', redirectPreload(COMPARE));
  const memOut = join(tmpdir(), `md-bronze-bench-mem-${process.pid}.json`);
  rmSync(memOut, { force: true });
  const env = { ...process.env, BENCH_MEM_OUT: memOut };
  let out: { rows: number; seconds: number; checksum: string };
  if (name === 'replay stdout' || name === 'replay stdout object-path') {
    const devNull = openSync('/dev/null', 'w');
    const app = REPLAY_ARGS(root, name.endsWith('object-path'));
    const r = spawnSync(process.execPath, ['--max-semi-space-size=4', ...flags, '--import', MEM_PRELOAD, ...app], {
      cwd: REPO,
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', devNull, 'pipe'],
    });
    closeSync(devNull);
    if (r.status !== 0) throw new Error(`case ${label} exited ${r.status}: ${r.stderr.slice(-2000)}`);
    const events = /^\s+events\s+([\d,]+)$/m.exec(r.stderr)?.[1];
    const wall = /^\s+wall time\s+([\d.]+) s$/m.exec(r.stderr)?.[1];
    if (events === undefined || wall === undefined) throw new Error(`case ${label}: no summary in its stderr: ${r.stderr.slice(-2000)}`);
    out = { rows: Number(events.replaceAll(',', '')), seconds: Number(wall), checksum: '' };
  } else {
    const r = spawnSync(
      process.execPath,
      [...flags, '--import', MEM_PRELOAD, '--input-type=module', '-e', CASE_SCRIPT, JSON.stringify([name, root, DATE, COLUMNS])],
      { cwd: REPO, env, encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (r.status !== 0) throw new Error(`case ${label} exited ${r.status}`);
    out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as typeof out;
  }
  const mem = JSON.parse(readFileSync(memOut, 'utf8')) as { vmHwm: number; sampledRss: number };
  rmSync(memOut, { force: true });
  return { ...out, ...mem };
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
  if (gen >= 0) return generate(process.argv[gen + 1] as string, ROWS, HOURS, PAGE_SIZE);

  const writer = arg('writer', havePyarrow ? 'pyarrow' : 'hyparquet-writer');
  const pages = writer === 'pyarrow' ? '' : `-pages${PAGE_SIZE}`;
  const root = join(tmpdir(), `md-bronze-bench-${ROWS}-${HOURS}h-seed7-${writer}${pages}`);
  if (!existsSync(join(root, '.complete'))) {
    rmSync(root, { recursive: true, force: true });
    console.log(`generating ${fmt(ROWS)} option trades over ${HOURS} hours with ${writer} into ${root} (once) ...`);
    const t0 = performance.now();
    if (writer === 'pyarrow') {
      const r = spawnSync('python3', ['-c', PYARROW_GEN, root, String(ROWS), String(HOURS)], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`pyarrow generator exited ${r.status}`);
    } else child(['--generate', root, '--rows', String(ROWS), '--hours', String(HOURS), '--page-size', String(PAGE_SIZE)]);
    writeFileSync(join(root, '.complete'), '');
    console.log(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const listing = await listBronzeFiles(root, 'option_trades', DATE);
  const files = listing.hours.flatMap((h) => h.files);
  let groups = 0;
  for (const f of files) groups += (await parquetMetadataAsync(await asyncBufferFromFile(f))).row_groups.length;
  console.log(
    `${fmt(ROWS)} rows, ${files.length} files, ${groups} row groups (<= ${fmt(ROW_GROUP)} rows), ZSTD level 3, written by ${writer}${pages ? ` (pages of <= ${fmt(PAGE_SIZE)} bytes)` : ''}`,
  );
  console.log(
    `node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );

  // the readers also with the launcher's V8 flag (as the app runs them); the app's object path when it has the fast lane
  const cases = ['hyparquet objects', 'readBronze', 'readBronze+encode', 'readBronzeEncoded'];
  cases.push('readBronze --max-semi-space-size=4', 'readBronzeEncoded --max-semi-space-size=4');
  const help = spawnSync(process.execPath, [REPLAY_ARGS('')[0] as string, '--help'], { cwd: REPO, encoding: 'utf8' });
  const fastLane = help.stdout.includes('--object-path');
  if (!process.argv.includes('--no-replay')) cases.push(...(fastLane ? ['replay stdout object-path', 'replay stdout'] : ['replay stdout']));
  if (!fastLane) console.log('(the replay-publisher build has no --object-path: the replay case is its only path, the object one)');
  if (process.argv.includes('--heap-limit-case')) cases.push('readBronze --max-old-space-size=128');
  // --cases a,b: only those (by name, as printed)
  const only = arg('cases', '');
  if (only !== '') cases.splice(0, cases.length, ...only.split(',').filter((c) => c.trim() !== ''));
  if (COMPARE !== '') {
    if (!existsSync(COMPARE)) throw new Error(`--compare ${COMPARE}: no such file`);
    cases.push('readBronze@compare', 'replay stdout@compare');
  }
  const res = new Map<string, CaseResult[]>(cases.map((c) => [c, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const c of cases) {
      const r = runCase(c, root);
      if (r.rows !== ROWS) throw new Error(`${c}: ${r.rows} rows, expected ${ROWS}`);
      res.get(c)?.push(r);
    }
  }
  const sums = new Set(cases.filter((c) => !c.startsWith('replay')).map((c) => res.get(c)?.[0]?.checksum));
  if (sums.size > 1) throw new Error(`the cases read different rows: ${[...sums].join(' ')}`);
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
  console.log('');
  for (const c of cases.filter((x) => x.startsWith('readBronze') || x.startsWith('replay stdout'))) {
    const peak = Math.max(...(res.get(c) ?? []).map((r) => r.vmHwm));
    console.log(`${c} peak RSS (max of runs): ${mb(peak)} (target < 200 MB): ${peak < 200 * 2 ** 20 ? 'ok' : 'OVER'}`);
  }
}

await main();
