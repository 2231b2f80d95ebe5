/**
 * Benchmark: peak RSS of the replay-publisher PROCESS while it replays a 10-million-event session
 * (ES trades + MBP-10 + SPY option trades, generated once into os.tmpdir() with a fixed seed and reused)
 * at speed 0 into a local nats-server (file storage, 1 replica) in batch mode (or --sink stdout > /dev/null).
 * Target: peak RSS < 200 MB.
 *
 * The child is the built app's bin (apps/replay-publisher/dist/main.js, run through its shebang). Its peak is read two ways: the app's own
 * `process.resourceUsage().maxRSS` (printed in its statistics table as "peak RSS") and VmHWM/VmRSS sampled from
 * /proc/<pid>/status every 100 ms by this script. Baseline in the same run: the RSS of `node -e ""` (an idle
 * Node process), so the figure can be read as "runtime + replay".
 *
 * Run from the repo root after building: npx nx build replay-publisher
 *   npx tsx tools/bench/replay-rss.ts [--events 10000000] [--sink nats|stdout] [--mode batch|ack] [--keep-store]
 * The stream's store (several GB for 10M events) lives in a temporary directory removed at the end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { connectBus, ensureStream } from '@md/nats-bus';
import { startNatsServer, type LocalNatsServer } from '@md/nats-bus/testing';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}
const EVENTS = Number(arg('events', '10000000'));
const SINK = arg('sink', 'nats');
const MODE = arg('mode', 'batch');
const APP = resolve(import.meta.dirname, '../../apps/replay-publisher/dist/main.js');
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

// the sample session's proportions (300k trades : 150k MBP-10 : 20k options)
const trades = Math.round((EVENTS * 300) / 470);
const mbp10 = Math.round((EVENTS * 150) / 470);
const options = EVENTS - trades - mbp10;

function procKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  if (!existsSync(APP)) throw new Error(`${APP} not found: build first (npx nx build replay-publisher)`);
  const root = join(tmpdir(), `md-replay-rss-${EVENTS}-seed9`);
  if (!existsSync(join(root, '.complete'))) {
    console.log(`generating ${fmt(trades)} trades + ${fmt(mbp10)} MBP-10 + ${fmt(options)} option trades into ${root} (once) ...`);
    const t0 = performance.now();
    const r = await generateSampleSession({ root, seed: 9, trades, mbp10, options });
    writeFileSync(join(root, '.complete'), JSON.stringify({ date: r.date, counts: r.counts }));
    console.log(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const du = spawnSync('du', ['-sh', root], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0];
  console.log(`session: ${root} (${du} of zstd DBN), ${fmt(EVENTS)} events`);

  // baseline: an idle node process
  const idle = spawnSync(process.execPath, ['-e', 'console.log(process.resourceUsage().maxRSS)'], { encoding: 'utf8' });
  const idleKb = Number(idle.stdout.trim());

  let server: LocalNatsServer | null = null;
  const args = ['--data-root', root, '--speed', '0', '--progress-every', '1000000', '--no-progress-bar', '--mode', MODE];
  if (SINK === 'stdout') args.push('--sink', 'stdout');
  else {
    server = await startNatsServer();
    const nc = await connectBus({ servers: server.url });
    await ensureStream(nc);
    await nc.close();
    args.push('--nats-url', server.url);
  }
  console.log(`replaying into ${SINK === 'stdout' ? 'stdout (> /dev/null)' : `${server!.url} (${MODE} mode)`}, load ${load()}`);
  const t0 = performance.now();
  // the bin itself (its shebang carries the app's V8 flags), as `npx replay-publisher` runs it
  const child = spawn(APP, args, { stdio: ['ignore', SINK === 'stdout' ? 'ignore' : 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => {
    err += d;
    const lines = String(d)
      .split('\n')
      .filter((l) => l.includes('progress events='));
    for (const l of lines) {
      const rss = procKb(child.pid!, 'VmRSS');
      console.log(`  ${l.replace(/^\S+ /, '').slice(0, 110)}  rss=${rss ? mb(rss * 1024) : '?'}`);
    }
  });
  let sampledPeakKb = 0;
  const timer = setInterval(() => {
    const hwm = procKb(child.pid!, 'VmHWM');
    if (hwm && hwm > sampledPeakKb) sampledPeakKb = hwm;
  }, 100);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearInterval(timer);
  const wall = (performance.now() - t0) / 1000;
  await server?.dispose();
  if (code !== 0) throw new Error(`replay-publisher exited ${code}:\n${err.slice(-3000)}`);
  const table = SINK === 'stdout' ? err : out;
  const events = Number(/replay complete: (\d+) events/.exec(table)?.[1] ?? NaN);
  const selfPeak = /peak RSS\s+(\d+) MB/.exec(table)?.[1];
  console.log(table.slice(table.indexOf('replay complete')).trimEnd());
  console.log(`\nidle node baseline RSS: ${mb(idleKb * 1024)}`);
  console.log(
    `replay-publisher peak RSS: ${selfPeak} MB (its maxRSS), ${mb(sampledPeakKb * 1024)} (VmHWM sampled); ${fmt(events)} events in ${wall.toFixed(1)} s (${fmt(events / wall)} events/s incl. startup)`,
  );
  const peakMb = Math.max(Number(selfPeak ?? 0), sampledPeakKb / 1024);
  console.log(
    `target: peak RSS < 200 MB while replaying ${fmt(EVENTS)} events: ${events === EVENTS && peakMb < 200 ? 'MET' : 'NOT MET'} (${peakMb.toFixed(0)} MB)`,
  );
  console.log(`load average at the end: ${load()}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
