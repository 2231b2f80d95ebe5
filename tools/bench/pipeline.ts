/**
 * Benchmark: the replay pipeline, piece by piece and end to end, in ONE run (issue 12's "before"/"after" figures).
 * Medians of --runs N (default 3) for a plain DBN v3 session of 1M ES futures trades + 200k MBP-10 (generated once
 * into os.tmpdir() with the sample generator, fixed seed, reused; --trades / --mbp10 scale it):
 *   1  decode-only floor: decodeDbn(...).batches() of both files, nothing mapped (the baseline of rows 2-3)
 *   2  object path: mapDbnFile -> canonical event objects + message ids -> encode() to the contract's bytes, per file
 *   2b the same through the replay's read side: DataRootSource, ts_event merge (100 ms window), encode
 *   -  fast path: not built yet (issue 12: DBN bytes written straight into a reused buffer as the contract's JSON)
 *   3  stdout sink end to end: the built replay-publisher as its bin runs it (shebang V8 flags)
 *      `--sink stdout --speed 0` > /dev/null; events/s from its statistics table
 *   4  JetStream end to end: the app into a local nats-server (free loopback port, R1, file storage), batch and ack
 *      mode, a fresh stream per run, the stream's message count checked == the session's events
 *   5  core-publish ceiling: the same subjects, bodies and headers (Nats-Msg-Id, md-schema), pre-encoded, nc.publish
 *      + flush + wait until stored (the baseline of row 4: ratio 4/5)
 *   6  peak RSS (VmHWM sampled from /proc every 50 ms; not the app's own maxRSS, which Linux
 *      carries over from this big parent across fork + execve) of the app replaying --rss-events (default
 *      10,000,000; same mix, cached session) to stdout > /dev/null, against row 3's peak and an idle node
 *   7  GC share: the share of "(garbage collector)" samples in a --cpu-prof profile of case 3 (one run)
 *
 * Run from the repo root after `npx nx run-many -t build -p replay-publisher`:
 *   npx tsx tools/bench/pipeline.ts [--runs 3] [--trades 1000000] [--mbp10 200000] [--rss-events 10000000]
 *     [--seed 12] [--skip jetstream,rss,profile]
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { connectBus } from '@md/nats-bus';
import { startNatsServer } from '@md/nats-bus/testing';
import { coreCeiling, encodeSession, freshStream, IN_PROCESS, streamInfo } from './pipeline-cases.ts';
import { APP, appNodeFlags, arg, procKb, fmt, intArg, load, load1, median, runApp, session, type AppRun } from './pipeline-util.ts';

const RUNS = intArg('runs', 3, 1);
const TRADES = intArg('trades', 1_000_000, 1);
const MBP10 = intArg('mbp10', 200_000, 1);
const RSS_EVENTS = intArg('rss-events', 10_000_000, 0);
const SEED = intArg('seed', 12);
const SKIP = new Set(arg('skip', '').split(',').filter(Boolean));
for (const s of SKIP)
  if (!['jetstream', 'rss', 'profile'].includes(s))
    throw new RangeError(`--skip: unknown part ${JSON.stringify(s)} (jetstream, rss, profile)`);

interface Row {
  name: string;
  events: number;
  secs: number[];
  loads: string[];
  baseline?: string;
  note?: string;
}
const rows = new Map<string, Row>();
function record(key: string, name: string, events: number, secs: number, baseline?: string): void {
  const r = rows.get(key) ?? rows.set(key, { name, events, secs: [], loads: [], baseline }).get(key)!;
  r.secs.push(secs);
  r.loads.push(load1());
  console.log(`  ${name}: ${fmt(events / secs)} events/s (${secs.toFixed(2)} s, load ${load()})`);
}
const rate = (key: string): number | null => {
  const r = rows.get(key);
  return r ? r.events / median(r.secs) : null;
};

/**
 * Rows 1-2b and 5 run in a child process each (plain node with the tsx loader this script runs under, default V8
 * flags): a heap of its own, the ceiling's pre-encoded messages packed in it (encoded before the clock starts).
 */
function inChild(key: string, url = ''): { n: number; secs: number; hwmKb: number; meanBody?: number } {
  const argv = [
    ...process.execArgv,
    '--expose-gc',
    import.meta.filename,
    '--case',
    key,
    '--trades',
    String(TRADES),
    '--mbp10',
    String(MBP10),
    '--seed',
    String(SEED),
    ...(url ? ['--url', url] : []),
  ];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`case ${key} (child) exited ${r.status}:\n${r.stderr.slice(-3000)}`);
  return JSON.parse(last) as { n: number; secs: number; hwmKb: number; meanBody?: number };
}

async function child(key: string): Promise<void> {
  if (key === 'ceiling') {
    const s = await session(TRADES, MBP10, SEED);
    const e = await encodeSession(s);
    const nc = await connectBus({ servers: arg('url', ''), name: 'bench-pipeline-ceiling' });
    await freshStream(nc);
    (globalThis as { gc?: () => void }).gc?.(); // the encoding's garbage, not the ceiling's
    const t0 = performance.now();
    await coreCeiling(nc, e);
    const secs = (performance.now() - t0) / 1000;
    await nc.drain();
    const meanBody = e.bodies.length / e.n;
    return console.log(JSON.stringify({ n: e.n, secs, hwmKb: procKb('self', 'VmHWM') ?? NaN, meanBody }));
  }
  const f = IN_PROCESS[key];
  if (!f) throw new RangeError(`--case: unknown case ${JSON.stringify(key)} (${Object.keys(IN_PROCESS).join(', ')})`);
  const s = await session(TRADES, MBP10, SEED);
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = performance.now();
  const n = await f(s);
  const secs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ n, secs, hwmKb: procKb('self', 'VmHWM') ?? NaN }));
}

/** the median of a row's per-run ratios to its baseline row (each against the baseline measured in the same run) */
function ratioOf(key: string): number | null {
  const r = rows.get(key);
  const base = r?.baseline ? rows.get(r.baseline) : undefined;
  if (!r || !base) return null;
  return median(r.secs.map((sec, i) => r.events / sec / (base.events / (base.secs[i] ?? NaN))));
}

const appArgs = (root: string) => ['--data-root', root, '--speed', '0', '--no-progress-bar', '--progress-every', '0'];
function checkApp(what: string, run: AppRun, expected: number): void {
  if (run.events !== expected) throw new Error(`${what}: the app replayed ${run.events} events, the session has ${expected}`);
}

async function main(): Promise<void> {
  const flags = appNodeFlags();
  const s = await session(TRADES, MBP10, SEED);
  console.log(
    `pipeline bench: ${fmt(s.events)} events (${fmt(TRADES)} trades + ${fmt(MBP10)} MBP-10, plain DBN v3) in ${s.root}, ` +
      `${RUNS} runs, node ${process.version}, ${cpus().length} cpus, load ${load()}`,
  );
  console.log(`app: ${APP} (bin V8 flags: ${flags.join(' ') || 'none'})`);
  const server = SKIP.has('jetstream') ? null : await startNatsServer();
  const nc = server ? await connectBus({ servers: server.url, name: 'bench-pipeline' }) : null;

  let peak3 = 0;
  for (let r = 1; r <= RUNS; r++) {
    console.log(`run ${r} of ${RUNS}`);
    for (const [key, name, base] of [
      ['1', '1  decode-only floor', undefined],
      ['2', '2  object path (map + msg id + encode)', '1'],
      ['2b', '2b object path + ts_event merge', '1'],
    ] as const) {
      const c = inChild(key);
      if (c.n !== s.events) throw new Error(`${name}: ${c.n} events, the session has ${s.events}`);
      record(key, name, c.n, c.secs, base);
      rows.get(key)!.note = `child VmHWM ${(c.hwmKb / 1024).toFixed(0)} MB`;
    }
    const out = await runApp([...appArgs(s.root), '--sink', 'stdout'], { stdoutSink: true });
    checkApp('stdout sink', out, s.events);
    record('3', '3  stdout sink end to end (app)', out.events, out.events / out.eventsPerSec, '1');
    const rss3 = rows.get('3')!;
    peak3 = Math.max(peak3, out.hwmMb);
    rss3.note = `VmHWM ${peak3.toFixed(0)} MB`;
    if (nc && server) {
      const c = inChild('ceiling', server.url);
      if (c.n !== s.events) throw new Error(`ceiling: ${c.n} events, the session has ${s.events}`);
      const stored = (await streamInfo(nc)).messages;
      if (stored !== s.events) throw new Error(`ceiling: the stream holds ${stored}, expected ${s.events}`);
      record('5', '5  core-publish ceiling (same messages)', c.n, c.secs);
      rows.get('5')!.note = `mean body ${(c.meanBody ?? NaN).toFixed(0)} B, child VmHWM ${(c.hwmKb / 1024).toFixed(0)} MB`;
      for (const mode of ['batch', 'ack'] as const) {
        await freshStream(nc);
        const run = await runApp([...appArgs(s.root), '--nats-url', server.url, '--publish-mode', mode], { stdoutSink: false });
        checkApp(`JetStream ${mode}`, run, s.events);
        const info = await streamInfo(nc);
        if (info.messages !== s.events)
          throw new Error(`JetStream ${mode}: the stream holds ${info.messages}, expected ${s.events} (exactly once)`);
        if (info.storage !== 'file' || info.replicas !== 1)
          throw new Error(`stream is ${info.storage} R${info.replicas}, expected file R1`);
        record(
          `4${mode}`,
          `4${mode === 'batch' ? 'a' : 'b'} JetStream ${mode} mode (app), stored once`,
          run.events,
          run.events / run.eventsPerSec,
          '5',
        );
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
  }
  await nc?.drain();
  await server?.dispose();

  // ---- the table -------------------------------------------------------------------------------------------
  const BASE: Record<string, string> = { '1': 'floor', '5': 'ceiling' };
  console.log(`\nmedians of ${RUNS} runs, ${fmt(s.events)} events (ratio: median of the per-run ratios to the row named)`);
  console.log(
    `${'case'.padEnd(46)} ${'events/s'.padStart(11)} ${'seconds'.padStart(8)}  ${'ratio'.padEnd(16)} ${'load1'.padStart(6)}  note`,
  );
  const line = (name: string, r: string, sec: string, ratio: string, ld: string, note = '') =>
    console.log(`${name.padEnd(46)} ${r.padStart(11)} ${sec.padStart(8)}  ${ratio.padEnd(16)} ${ld.padStart(6)}  ${note}`);
  const show = (key: string) => {
    const r = rows.get(key);
    if (!r) return;
    const m = r.events / median(r.secs);
    const q = ratioOf(key);
    const ratio = q !== null ? `${q.toFixed(2)}x ${BASE[r.baseline!]}` : `1.00x (baseline)`;
    line(r.name, fmt(m), median(r.secs).toFixed(2), ratio, r.loads.at(-1) ?? '', r.note);
  };
  for (const k of ['1', '2', '2b']) show(k);
  line('-  fast path', '-', '-', '-', '', 'fast path: not built yet');
  show('3');
  for (const k of ['4batch', '4ack', '5']) show(k);
  const idleKb = Number(
    spawnSync(
      process.execPath,
      [...flags, '-e', "console.log(/^VmHWM:\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])"],
      { encoding: 'utf8' },
    ).stdout.trim(),
  );
  if (rss) {
    const peak = rss.run.hwmMb;
    line(
      `6  peak RSS, ${fmt(rss.events)}-event replay (stdout)`,
      fmt(rss.run.eventsPerSec),
      rss.run.wallS.toFixed(2),
      `${(peak / peak3).toFixed(2)}x row 3`,
      load1(),
      `VmHWM ${peak.toFixed(0)} MB; idle node ${(idleKb / 1024).toFixed(0)} MB (its VmHWM)`,
    );
  }
  if (prof?.gcShare !== undefined)
    line(
      '7  GC share of case 3 (--cpu-prof, 1 run)',
      fmt(prof.eventsPerSec),
      prof.wallS.toFixed(2),
      '',
      load1(),
      `${(prof.gcShare * 100).toFixed(1)}% of ${fmt(prof.samples ?? 0)} samples in (garbage collector)`,
    );

  console.log('\ngoals (issue 12):');
  const goal = (what: string, ok: boolean | null, got: string) =>
    console.log(`  ${what}: ${ok === null ? 'not measured' : ok ? 'MET' : 'NOT MET'} (${got})`);
  const r3 = rate('3');
  goal('stdout sink >= 1,000,000 events/s', r3 === null ? null : r3 >= 1e6, r3 === null ? '-' : `${fmt(r3)} events/s`);
  const q4 = ratioOf('4batch');
  goal(
    'JetStream batch >= 0.8x core-publish ceiling',
    q4 === null ? null : q4 >= 0.8,
    q4 === null ? '-' : `${q4.toFixed(2)}x (median of the per-run ratios)`,
  );
  const peak = rss ? rss.run.hwmMb : null;
  goal(
    `peak RSS <= 150 MB for ${fmt(rss?.events ?? RSS_EVENTS)} events`,
    peak === null ? null : peak <= 150,
    peak === null ? '-' : `${peak.toFixed(0)} MB`,
  );
  console.log(`load average at the end: ${load()} (${cpus().length} cores, shared)`);
}

const CASE = arg('case', '');
(CASE ? child(CASE) : main()).catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
