/**
 * Helpers of tools/bench/pipeline.ts: flags, medians, the cached session, and running the built
 * replay-publisher as its bin runs it (the shebang's V8 flags), with its statistics table parsed and its
 * peak RSS measured for that process alone (VmHWM sampled from /proc until it exits, and the kernel's rusage of
 * it through /usr/bin/time), optionally under --cpu-prof with the GC share of the samples.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { at } from './narrow.ts';

export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  return v ? v : def;
}

/** a flag that must be an integer >= min: a clear error naming the flag otherwise */
export function intArg(name: string, def: number, min = 0): number {
  const raw = arg(name, String(def));
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? at(s, m, 'run') : (at(s, m - 1, 'run') + at(s, m, 'run')) / 2;
};
export const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
export const load1 = (): string => at(loadavg(), 0, 'loadavg').toFixed(2);
export const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

export const APP = resolve(import.meta.dirname, '../../apps/replay-publisher/dist/main.js');

/** the V8 flags of the app's shebang (`#!/usr/bin/env -S node --max-semi-space-size=4`) */
export function appNodeFlags(): string[] {
  if (!existsSync(APP)) throw new Error(`${APP} not found: build first (npx nx run-many -t build -p replay-publisher)`);
  const first = readFileSync(APP, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S node(.*)$/.exec(first);
  if (!m) throw new Error(`${APP}: first line is not a '#!/usr/bin/env -S node ...' shebang: ${JSON.stringify(first)}`);
  return (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
}

export interface Session {
  root: string;
  date: string;
  trades: string;
  mbp10: string;
  events: number;
}

/** A plain DBN v3 session (ES trades + MBP-10, no options) generated once into os.tmpdir() and reused. */
export async function session(trades: number, mbp10: number, seed: number): Promise<Session> {
  const root = join(tmpdir(), `md-pipeline-bench-t${trades}-m${mbp10}-plain-seed${seed}`);
  const marker = join(root, '.complete');
  if (!existsSync(marker)) {
    rmSync(root, { recursive: true, force: true });
    console.log(`generating ${fmt(trades)} trades + ${fmt(mbp10)} MBP-10 records (plain DBN v3) into ${root} (once) ...`);
    const t0 = performance.now();
    const r = await generateSampleSession({ root, seed, trades, mbp10, options: 0, compression: 'none' });
    if (!r.trades || !r.mbp10) throw new Error(`sample session in ${root}: expected a trades and an MBP-10 file`);
    writeFileSync(marker, JSON.stringify({ date: r.date, trades: r.trades, mbp10: r.mbp10, counts: r.counts }));
    console.log(`  generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const m = JSON.parse(readFileSync(marker, 'utf8')) as {
    date: string;
    trades: string;
    mbp10: string;
    counts: { trades: number; mbp10: number };
  };
  return { root, date: m.date, trades: m.trades, mbp10: m.mbp10, events: m.counts.trades + m.counts.mbp10 };
}

/** a /proc/<pid>/status field in kB ('self' for this process) */
export function procKb(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface AppRun {
  /** events in the app's statistics table */
  events: number;
  /** the table's events/s (the replay's own wall time, startup excluded) */
  eventsPerSec: number;
  /** the table's wall time, seconds */
  wallS: number;
  /** the app process's VmHWM (/proc/<pid>/status), sampled every 20 ms until it exits, MB */
  hwmMb: number;
  /**
   * the app's peak RSS from the kernel's rusage of that one process (wait4 by /usr/bin/time, which runs it), MB;
   * null without /usr/bin/time
   */
  rusageMb: number | null;
  /**
   * the app's own "peak RSS" table row (its process.resourceUsage().maxRSS), MB. Run straight from this bench it
   * would be this bench's RSS at the fork (Linux carries ru_maxrss across fork + execve); run under the small
   * /usr/bin/time it is the app's own
   */
  selfPeakMb: number | null;
  /** share of the CPU profile's samples in "(garbage collector)" (with profile: true) */
  gcShare?: number;
  samples?: number;
}

const num = (s: string | undefined): number => Number((s ?? 'NaN').replaceAll(',', ''));
const TIME = '/usr/bin/time';

/** the pid of the app: `pid` itself, or its only child when `pid` is /usr/bin/time */
function appPid(pid: number, wrapped: boolean): number | null {
  if (!wrapped) return pid;
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : null;
  } catch {
    return null;
  }
}

/** exit code 2 and the app's one-line refusal of a flag: the flag does not exist (yet) in this build */
export class FlagRefused extends Error {}

/**
 * Runs the built app with `args` as its bin runs it: the file itself (its shebang carries the V8 flags), or, with
 * `profile`, `node <those flags> --cpu-prof` on it; under /usr/bin/time (when present) for the app's own rusage.
 * `stdoutSink`: stdout into /dev/null, the table on stderr. Exit 2 (a flag refused) throws FlagRefused.
 */
export async function runApp(args: string[], opts: { stdoutSink: boolean; profile?: boolean }): Promise<AppRun> {
  const profDir = opts.profile ? mkdtempSync(join(tmpdir(), 'md-pipeline-prof-')) : null;
  const devnull = opts.stdoutSink ? openSync('/dev/null', 'w') : null;
  const cmd = profDir ? [process.execPath, ...appNodeFlags(), '--cpu-prof', '--cpu-prof-dir', profDir, APP, ...args] : [APP, ...args];
  const wrapped = existsSync(TIME);
  const rusageFile = wrapped ? join(mkdtempSync(join(tmpdir(), 'md-pipeline-rusage-')), 'maxrss') : null;
  const argv = rusageFile ? [TIME, '-o', rusageFile, '-f', '%M', ...cmd] : cmd;
  const child = spawn(at(argv, 0, 'command'), argv.slice(1), { stdio: ['ignore', devnull ?? 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  let hwmKb = 0;
  let pid: number | null = null;
  const timer = setInterval(() => {
    pid ??= child.pid ? appPid(child.pid, wrapped) : null;
    const v = pid ? procKb(pid, 'VmHWM') : null;
    if (v && v > hwmKb) hwmKb = v;
  }, 20);
  const code = await new Promise<number | null>((r, j) => {
    child.on('error', j);
    child.on('exit', (c) => r(c));
  });
  clearInterval(timer);
  if (devnull !== null) closeSync(devnull);
  let rusageMb: number | null = null;
  if (rusageFile) {
    const kb = /^(\d+)\s*$/m.exec(existsSync(rusageFile) ? readFileSync(rusageFile, 'utf8') : '')?.[1];
    rusageMb = kb ? Number(kb) / 1024 : null;
    rmSync(dirname(rusageFile), { recursive: true, force: true });
  }
  if (code === 2) throw new FlagRefused(`replay-publisher ${args.join(' ')} exited 2: ${err.trim().split('\n').at(-1) ?? ''}`);
  if (code !== 0) throw new Error(`replay-publisher ${args.join(' ')} exited ${code}:\n${err.slice(-3000)}`);
  const table = opts.stdoutSink ? err : out;
  const from = table.indexOf('replay complete');
  if (from < 0) throw new Error(`replay-publisher ${args.join(' ')}: no statistics table in its output:\n${table.slice(-2000)}`);
  const t = table.slice(from);
  const run: AppRun = {
    events: num(/^\s*events\s+([\d,]+)\s*$/m.exec(t)?.[1]),
    eventsPerSec: num(/^\s*events\/s\s+([\d,]+)/m.exec(t)?.[1]),
    wallS: num(/^\s*wall time\s+([\d.]+) s/m.exec(t)?.[1]),
    hwmMb: hwmKb / 1024,
    rusageMb,
    selfPeakMb: /^\s*peak RSS\s+(\d+) MB/m.test(t) ? num(/^\s*peak RSS\s+(\d+) MB/m.exec(t)?.[1]) : null,
  };
  if (!Number.isFinite(run.events) || !Number.isFinite(run.eventsPerSec))
    throw new Error(`replay-publisher: could not read events / events/s from its table:\n${t}`);
  if (profDir) {
    const f = readdirSync(profDir).find((n) => n.endsWith('.cpuprofile'));
    if (!f) throw new Error(`no .cpuprofile written into ${profDir}`);
    Object.assign(run, gcShareOf(join(profDir, f)));
    rmSync(profDir, { recursive: true, force: true });
  }
  return run;
}

/** share of a .cpuprofile's samples that fall in the "(garbage collector)" node(s) */
export function gcShareOf(path: string): { gcShare: number; samples: number } {
  const p = JSON.parse(readFileSync(path, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string } }[]; samples: number[] };
  const gc = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(garbage collector)').map((n) => n.id));
  let inGc = 0;
  for (const s of p.samples) if (gc.has(s)) inGc++;
  if (p.samples.length === 0) throw new Error(`${path}: a CPU profile without samples`);
  return { gcShare: inGc / p.samples.length, samples: p.samples.length };
}
