import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { havePolygonFixtures as haveFixtures, POLYGON_FIXTURES_DIR as FIXTURES_DIR } from '@md/test-support/fixtures';

export { dataFrames, frames, havePolygonFixtures as haveFixtures, POLYGON_FIXTURES_DIR as FIXTURES_DIR } from '@md/test-support/fixtures';
export { startBus, type Bus } from '@md/test-support/nats';

// The app's own tests are process-level (src/main.ts as a child process): the engine, the session and the fake
// vendor are tested in packages/live-engine, packages/polygon-normalizer and packages/test-support; the shared
// seeded PRNG, memory sinks and until() come from @md/test-support, the fixture readers and the local bus from its
// fixtures and nats entries.

if (!haveFixtures)
  console.warn(`polygon fixtures not found at ${FIXTURES_DIR} (set POLYGON_FIXTURES_DIR): live-ingestor fixture tests skipped`);

/** the counters every stats/final line has (as numbers; the lag quantiles and the strike fields may be '-') */
const STAT_NAMES = [
  'frames',
  'stock_trades',
  'stock_quotes',
  'option_trades',
  'option_quotes',
  'status',
  'malformed_frames',
  'malformed_events',
  'ignored',
  'dropped',
  'queue',
  'queue_hw',
  'reconnects',
  'published',
  'acked',
  'duplicates',
  'failed',
  'pending',
  'publish_errors',
  'lag_ms_max',
  'lag_n',
] as const;
export type StatsLine = Record<(typeof STAT_NAMES)[number], number> & Partial<Record<string, number>>;

/** the `name=value` counters of one of the app's stats/final log lines (`queue` is the length of `queue=n/capacity`) */
export function counters(line: string): StatsLine {
  const out: Partial<Record<string, number>> = {};
  for (const m of line.matchAll(/(\w+)=(-?\d+(?:\.\d+)?)/g)) if (m[1] !== undefined) out[m[1]] = Number(m[2]);
  const missing = STAT_NAMES.filter((k) => out[k] === undefined);
  if (missing.length > 0) throw new Error(`not a stats line (no ${missing.join(', ')}): ${JSON.stringify(line.slice(0, 200))}`);
  return out as StatsLine;
}

/** resident set size of a process, MB (Linux /proc) */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** the app (`src/main.ts` through tsx) as a child process with a clean environment plus `env`; its stderr collected */
export interface AppProcess {
  proc: ChildProcessWithoutNullStreams;
  /** everything written to stderr so far */
  readonly stderr: string;
  /** the exit code once it exited (undefined while running) */
  readonly exited: number | null | undefined;
  exit: Promise<number | null>;
  /** the stats/final counter lines logged so far */
  statLines(): string[];
}

export function spawnApp(args: string[], env: Record<string, string>): AppProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../src/main.ts'), ...args], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  let stderr = '';
  let exited: number | null | undefined;
  proc.stderr.on('data', (d) => (stderr += d));
  proc.stdout.on('data', () => {});
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r((exited = code))));
  return {
    proc,
    get stderr() {
      return stderr;
    },
    get exited() {
      return exited;
    },
    exit,
    statLines: () => stderr.split('\n').filter((l) => / (stats|final) frames=/.test(l)),
  };
}
