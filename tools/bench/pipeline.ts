/**
 * Benchmark: the replay pipeline, piece by piece and end to end, in ONE run (issue 12's "before"/"after" figures).
 * Medians of --runs N (default 3) for a plain DBN v3 session of 1M ES futures trades + 200k MBP-10 (generated once
 * into os.tmpdir() with the sample generator, fixed seed, reused; --trades / --mbp10 scale it). Rows (what each
 * means: tools/bench/README.md):
 *   1  decode-only floor: decodeDbn(...).batches() of both files, nothing mapped (the baseline of rows 2-2f)
 *   2  object path: mapDbnFile -> canonical event objects + message ids -> encode() to the contract's bytes, per file
 *   2b the same through the replay's read side: DataRootSource, ts_event merge (100 ms window), encode
 *   2f fast path: fastEncodeFile (@md/dbn-reader), records in place -> body + message id bytes, per file
 *      (rows 1-2f: each in a child process; V8 heap bytes allocated per event in the note)
 *   3  stdout sink end to end: the built replay-publisher as its bin runs it `--sink stdout --speed 0` > /dev/null
 *   4a/4b JetStream end to end, batch / ack mode: the app into a local nats-server (free loopback port, R1, file
 *      storage), a fresh stream per run, the stream's message count checked == the session's events
 *      (rows 3, 4a, 4b twice: as is, and with --object-path: "n/a (flag not available)" while the app refuses it)
 *   5  core-publish ceiling: the same messages (subjects, bodies, the publisher's pre-encoded headers) with plain
 *      nc.publish in bursts + flush until stored, into the same stream on the same server; the fastest burst size
 *      (pipeline-ceiling.ts). The baseline of rows 3-4b: ratio = app / ceiling of the same run, checked < 1
 *   6  peak RSS of the app replaying --rss-events (default 10,000,000; same mix, cached session) to stdout: the app
 *      process alone (VmHWM sampled until exit, and its rusage through /usr/bin/time), not its own table's row
 *   7  GC share: the share of "(garbage collector)" samples in a --cpu-prof profile of case 3 (one run)
 *
 * Run from the repo root after `npx nx run-many -t build`:
 *   npx tsx tools/bench/pipeline.ts [--runs 3] [--trades 1000000] [--mbp10 200000] [--rss-events 10000000]
 *     [--seed 12] [--skip jetstream,ack,object-path,rss,profile]
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { connectBus } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';
import { FAST_FROM, heapAllocated, IN_PROCESS } from './pipeline-cases.ts';
import { CEILING_BURSTS, coreCeiling, encodeSession, freshStream, streamInfo } from './pipeline-ceiling.ts';
import { ceilingCheck, header, line, Rows, show } from './pipeline-report.ts';
import { APP, appNodeFlags, arg, FlagRefused, fmt, intArg, load, load1, procKb, runApp, session, type AppRun } from './pipeline-util.ts';

const PARTS = ['jetstream', 'ack', 'object-path', 'rss', 'profile'];
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`pipeline: issue 12's replay figures in one run (medians of --runs), rows 1-7 as documented at the top of this file
  --runs N          runs of every row (default 3)
  --trades N        futures trades in the generated session (default 1000000)
  --mbp10 N         MBP-10 records in it (default 200000)
  --rss-events N    events of the peak-RSS replay (row 6; default 10000000, 0 skips it)
  --seed N          the generator's seed (default 12); sessions are cached in the OS temp dir
  --skip LIST       comma-separated parts to leave out: ${PARTS.join(', ')}
  --help
Build first: npx nx run-many -t build
`);
  process.exit(0);
}
const RUNS = intArg('runs', 3, 1);
const TRADES = intArg('trades', 1_000_000, 1);
const MBP10 = intArg('mbp10', 200_000, 1);
const RSS_EVENTS = intArg('rss-events', 10_000_000, 0);
const SEED = intArg('seed', 12);
const SKIP = new Set(arg('skip', '').split(',').filter(Boolean));
for (const s of SKIP) if (!PARTS.includes(s)) throw new RangeError(`--skip: unknown part ${JSON.stringify(s)} (${PARTS.join(', ')})`);

interface ChildResult {
  n: number;
  secs: number;
  hwmKb: number;
  heapBytes?: number;
  gcs?: number;
  meanBody?: number;
  meanHdr?: number;
  bursts?: Record<string, number>;
}

/** Rows 1-2f and 5 run in a child process each (node with the tsx loader this script runs under, default V8 flags). */
function inChild(key: string, url = ''): ChildResult {
  const argv = [...process.execArgv, '--expose-gc', import.meta.filename, '--case', key];
  argv.push('--trades', String(TRADES), '--mbp10', String(MBP10), '--seed', String(SEED), ...(url ? ['--url', url] : []));
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 900_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`case ${key} (child) exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(last) as ChildResult;
}

async function child(key: string): Promise<void> {
  const s = await session(TRADES, MBP10, SEED);
  if (key === 'ceiling') {
    const e = await encodeSession(s);
    const nc = await connectBus({ servers: arg('url', ''), name: 'bench-pipeline-ceiling' });
    const bursts: Record<string, number> = {};
    for (const b of CEILING_BURSTS) bursts[b] = await coreCeiling(nc, e, b);
    await nc.drain();
    const secs = Math.min(...Object.values(bursts));
    const meanBody = e.bodies.length / e.n;
    const meanHdr = e.hdrs.length / e.n;
    return console.log(JSON.stringify({ n: e.n, secs, hwmKb: procKb('self', 'VmHWM') ?? NaN, meanBody, meanHdr, bursts }));
  }
  const f = IN_PROCESS[key];
  if (!f) throw new RangeError(`--case: unknown case ${JSON.stringify(key)} (${Object.keys(IN_PROCESS).join(', ')}, ceiling)`);
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const { result: n, bytes, gcs } = await heapAllocated(() => f(s));
  const secs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ n, secs, hwmKb: procKb('self', 'VmHWM') ?? NaN, heapBytes: bytes, gcs }));
}

const appArgs = (root: string) => ['--data-root', root, '--speed', '0', '--no-progress-bar', '--progress-every', '0'];
function checkApp(what: string, run: AppRun, expected: number): void {
  if (run.events !== expected) throw new Error(`${what}: the app replayed ${run.events} events, the session has ${expected}`);
}
const mb = (x: number | null) => (x === null ? '-' : `${x.toFixed(0)} MB`);
const rssNote = (r: AppRun) => `VmHWM ${mb(r.hwmMb)}, rusage ${mb(r.rusageMb)}, app's own row ${mb(r.selfPeakMb)}`;
const NA_FLAG = 'n/a (flag not available)';

async function main(): Promise<void> {
  const flags = appNodeFlags();
  const s = await session(TRADES, MBP10, SEED);
  console.log(
    `pipeline bench: ${fmt(s.events)} events (${fmt(TRADES)} trades + ${fmt(MBP10)} MBP-10, plain DBN v3) in ${s.root}, ` +
      `${RUNS} runs, node ${process.version}, ${cpus().length} cpus, load ${load()}`,
  );
  console.log(`app: ${APP} (bin V8 flags: ${flags.join(' ') || 'none'}); fast path from ${FAST_FROM}`);
  const server = SKIP.has('jetstream') ? null : await startNatsServer();
  const nc = server ? await connectBus({ servers: server.url, name: 'bench-pipeline' }) : null;
  cleanup = async () => {
    await nc?.close();
    await server?.dispose();
  };
  const rows = new Rows();
  const e2eBase = server ? '5' : '1';
  const variants = SKIP.has('object-path') ? [''] : ['', 'o'];
  let objectPathFlag = !SKIP.has('object-path');
  const e2eKeys: string[] = [];

  /** one app run of an end-to-end row; false when the app refused --object-path (the row then reads n/a) */
  async function e2e(key: string, name: string, args: string[], stdoutSink: boolean, v: string): Promise<AppRun | null> {
    const k = key + v;
    const label = v ? `${name} --object-path` : name;
    if (!e2eKeys.includes(k)) e2eKeys.push(k);
    if (v && !objectPathFlag) return (rows.na(k, label, NA_FLAG), null);
    try {
      const run = await runApp([...args, ...(v ? ['--object-path'] : [])], { stdoutSink });
      checkApp(label, run, s.events);
      rows.record(k, label, run.events, run.events / run.eventsPerSec, e2eBase);
      return run;
    } catch (err) {
      if (!(v && err instanceof FlagRefused)) throw err;
      objectPathFlag = false;
      console.log(`  (${err.message})`);
      return (rows.na(k, label, NA_FLAG), null);
    }
  }

  let peak3 = 0;
  for (let r = 1; r <= RUNS; r++) {
    console.log(`run ${r} of ${RUNS}`);
    for (const [key, name, base] of [
      ['1', '1  decode-only floor', undefined],
      ['2', '2  object path (map + msg id + encode)', '1'],
      ['2b', '2b object path + ts_event merge', '1'],
      ['2f', '2f fast path (fastEncodeFile)', '1'],
    ] as const) {
      const c = inChild(key);
      if (c.n !== s.events) throw new Error(`${name}: ${c.n} events, the session has ${s.events}`);
      rows.record(key, name, c.n, c.secs, base);
      const heap = c.heapBytes === undefined ? '' : `heap ${(c.heapBytes / c.n).toFixed(0)} B/event (${c.gcs} GCs), `;
      rows.note(key, `${heap}child VmHWM ${(c.hwmKb / 1024).toFixed(0)} MB`);
    }
    if (nc && server) {
      const c = inChild('ceiling', server.url);
      if (c.n !== s.events) throw new Error(`ceiling: ${c.n} events, the session has ${s.events}`);
      const stored = (await streamInfo(nc)).messages;
      if (stored !== s.events) throw new Error(`ceiling: the stream holds ${stored}, expected ${s.events}`);
      const bursts = Object.entries(c.bursts ?? {}).map(([b, sec]) => `burst ${b}: ${fmt(c.n / sec)}/s`);
      rows.record('5', '5  core-publish ceiling (same messages + headers)', c.n, c.secs);
      console.log(`    (${bursts.join(', ')})`);
      rows.note(
        '5',
        `fastest of bursts ${CEILING_BURSTS.join('/')}; mean body ${(c.meanBody ?? NaN).toFixed(0)} B + headers ${(c.meanHdr ?? NaN).toFixed(0)} B`,
      );
    }
    for (const v of variants) {
      const out = await e2e('3', '3  stdout sink (app)', [...appArgs(s.root), '--sink', 'stdout'], true, v);
      if (out && !v) {
        peak3 = Math.max(peak3, out.hwmMb);
        rows.note('3', `VmHWM ${peak3.toFixed(0)} MB (max of runs)`);
      }
    }
    if (nc && server) {
      for (const mode of SKIP.has('ack') ? (['batch'] as const) : (['batch', 'ack'] as const)) {
        for (const v of variants) {
          await freshStream(nc);
          const args = [...appArgs(s.root), '--nats-url', server.url, '--publish-mode', mode];
          const name = `4${mode === 'batch' ? 'a' : 'b'} JetStream ${mode} (app), stored once`;
          if (!(await e2e(`4${mode}`, name, args, false, v))) continue;
          const info = await streamInfo(nc);
          if (info.messages !== s.events)
            throw new Error(`JetStream ${mode}: the stream holds ${info.messages}, expected ${s.events} (exactly once)`);
          if (info.storage !== 'file' || info.replicas !== 1)
            throw new Error(`stream is ${info.storage} R${info.replicas}, expected file R1`);
        }
      }
    }
  }

  // 7: the GC share of case 3 (one profiled run; the profiler itself slows the run a little)
  let prof: AppRun | null = null;
  if (!SKIP.has('profile')) {
    prof = await runApp([...appArgs(s.root), '--sink', 'stdout'], { stdoutSink: true, profile: true });
    checkApp('profiled stdout sink', prof, s.events);
  }
  // 6: peak RSS for a long replay (same mix, its own cached session)
  let rss: { run: AppRun; events: number } | null = null;
  if (!SKIP.has('rss') && RSS_EVENTS > 0) {
    const trades = Math.round((RSS_EVENTS * TRADES) / (TRADES + MBP10));
    const big = await session(trades, RSS_EVENTS - trades, SEED);
    console.log(`RSS replay: ${fmt(big.events)} events from ${big.root}, load ${load()}`);
    const run = await runApp([...appArgs(big.root), '--sink', 'stdout'], { stdoutSink: true });
    checkApp('RSS replay', run, big.events);
    rss = { run, events: big.events };
    console.log(`  ${rssNote(run)}`);
  }
  await nc?.drain();
  await server?.dispose();
  cleanup = async () => undefined;

  // ---- the table -------------------------------------------------------------------------------------------
  console.log(`\nmedians of ${RUNS} runs, ${fmt(s.events)} events (ratio: median of the per-run ratios to the row named)`);
  header();
  for (const k of ['1', '2', '2b', '2f']) show(rows, k);
  const fo = rows.ratio('2f', '2');
  if (fo !== null) line('   fast path / object path', '', '', `${fo.toFixed(2)}x`, '', 'median of the per-run ratios 2f / 2');
  for (const k of e2eKeys) show(rows, k);
  show(rows, '5');
  const idleKb = Number(
    spawnSync(
      process.execPath,
      [...flags, '-e', "console.log(/^VmHWM:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])"],
      { encoding: 'utf8' },
    ).stdout.trim(),
  );
  const peakOf = (r: AppRun) => r.rusageMb ?? r.hwmMb;
  if (rss) {
    const note = `${rssNote(rss.run)}; idle node ${(idleKb / 1024).toFixed(0)} MB`;
    line(
      `6  peak RSS, ${fmt(rss.events)}-event replay (stdout)`,
      fmt(rss.run.eventsPerSec),
      rss.run.wallS.toFixed(2),
      mb(peakOf(rss.run)),
      load1(),
      note,
    );
  }
  if (prof?.gcShare !== undefined) {
    const note = `${(prof.gcShare * 100).toFixed(1)}% of ${fmt(prof.samples ?? 0)} samples in (garbage collector)`;
    line('7  GC share of case 3 (--cpu-prof, 1 run)', fmt(prof.eventsPerSec), prof.wallS.toFixed(2), '', load1(), note);
  }

  console.log('\nceiling check (every JetStream figure below the ceiling of its own run):');
  const held = ceilingCheck(
    rows,
    e2eKeys.filter((k) => k.startsWith('4')),
    RUNS,
  );
  console.log(
    `  ${held === null ? 'not measured' : held ? 'OK: the ceiling is above every app figure' : 'FAILED: an app figure reached the ceiling'}`,
  );

  console.log('\ngoals (issue 12):');
  const goal = (what: string, ok: boolean | null, got: string) =>
    console.log(`  ${what}: ${ok === null ? 'not measured' : ok ? 'MET' : 'NOT MET'} (${got})`);
  for (const v of variants) {
    const r3 = rows.rate('3' + v);
    const tag = v ? ' (--object-path)' : '';
    goal(`stdout sink >= 1,000,000 events/s${tag}`, r3 === null ? null : r3 >= 1e6, r3 === null ? '-' : `${fmt(r3)} events/s`);
    const q4 = rows.ratio('4batch' + v);
    const got = q4 === null ? '-' : `${q4.toFixed(2)}x (median of the per-run ratios)`;
    goal(`JetStream batch >= 0.8x core-publish ceiling${tag}`, q4 === null ? null : q4 >= 0.8, got);
  }
  const peak = rss ? peakOf(rss.run) : null;
  goal(`peak RSS <= 150 MB for ${fmt(rss?.events ?? RSS_EVENTS)} events`, peak === null ? null : peak <= 150, mb(peak));
  console.log(`load average at the end: ${load()} (${cpus().length} cores, shared)`);
}

/** on a failure: the local nats-server stopped, so the process can end */
let cleanup = async (): Promise<void> => undefined;
const CASE = arg('case', '');
(CASE ? child(CASE) : main()).catch(async (e) => {
  console.error(e);
  process.exitCode = 1;
  await cleanup().catch(() => undefined);
});
