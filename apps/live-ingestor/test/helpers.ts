import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectBus, ensureStream, JetStreamPublisher, startNatsServer, type EventSink, type LocalNatsServer, type NatsConnection, type SinkStats } from '@md/nats-bus';
import type { Publishable } from '@md/event-types';
import { parseConfig, type LiveConfig } from '../src/config';
import { LiveIngestor } from '../src/ingestor';
import type { Logger } from '../src/session';
import { FAKE_API_KEY, type FakeVendor } from './fake-vendor';

export const FIXTURES_DIR = process.env.POLYGON_FIXTURES_DIR ?? resolve(import.meta.dirname, '../../../../shared/fixtures/polygon');
export const haveFixtures = existsSync(resolve(FIXTURES_DIR, 'index.json'));
if (!haveFixtures) console.warn(`polygon fixtures not found at ${FIXTURES_DIR} (set POLYGON_FIXTURES_DIR): live-ingestor fixture tests skipped`);

export function frames(file: string): string[] {
  const lines = readFileSync(resolve(FIXTURES_DIR, file), 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
/** data lines of a session fixture (index.json kind != control) */
export function dataFrames(file: string): string[] {
  const idx = JSON.parse(readFileSync(resolve(FIXTURES_DIR, 'index.json'), 'utf8'))[file] as { line: number; kind: string }[];
  const lines = frames(file);
  return idx.filter((e) => e.kind !== 'control').map((e) => lines[e.line - 1]);
}

export const KEY = FAKE_API_KEY;

/** config as the CLI would build it, pointed at the fake vendor */
export function testConfig(fv: FakeVendor, args: string[] = []): LiveConfig {
  const c = parseConfig(
    ['--expiry', '2025-12-16', '--initial-price', '676.4', '--stats-interval', '0', '--backoff-initial-ms', '50', '--backoff-max-ms', '200', ...args],
    { POLYGON_API_KEY: KEY, POLYGON_STOCKS_WS_URL: fv.url('stocks'), POLYGON_OPTIONS_WS_URL: fv.url('options') },
  );
  if (c === 'help') throw new Error('unexpected help');
  return c;
}

export class LogCapture {
  readonly lines: string[] = [];
  readonly log: Logger = (level, msg) => {
    this.lines.push(`${level} ${msg}`);
  };
  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l));
  }
}

/** An EventSink that keeps everything in memory (unit-level tests without NATS). */
export class MemorySink implements EventSink {
  readonly events: Publishable[] = [];
  get stats(): SinkStats {
    return { published: this.events.length, acked: this.events.length, duplicates: 0, retried: 0, failed: 0, pending: 0 };
  }
  async publish(p: Publishable): Promise<void> {
    this.events.push(p);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

export interface Bus {
  server: LocalNatsServer;
  nc: NatsConnection;
  publisher(): JetStreamPublisher;
  count(): Promise<number>;
  close(): Promise<void>;
}

export async function startBus(): Promise<Bus> {
  const server = await startNatsServer();
  const nc = await connectBus({ servers: server.url });
  await ensureStream(nc);
  const pubs: JetStreamPublisher[] = [];
  return {
    server,
    nc,
    publisher() {
      const p = new JetStreamPublisher(nc, { mode: 'ack' });
      pubs.push(p);
      return p;
    },
    async count() {
      return Number((await ensureStream(nc)).info.state.messages);
    },
    async close() {
      await nc.close();
      await server.dispose();
    },
  };
}

export function ingestor(cfg: LiveConfig, sink: EventSink, logs = new LogCapture()): { ing: LiveIngestor; logs: LogCapture } {
  const ing = new LiveIngestor(cfg, sink, logs.log);
  ing.start();
  return { ing, logs };
}

export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** mulberry32: a small seeded PRNG, so that a failing random run can be repeated from its seed (FAULTS_SEED) */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** the `name=value` counters of one of the app's stats/final log lines */
export function counters(line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=(-?\d+(?:\.\d+)?)/g)) out[m[1]] = Number(m[2]);
  return out;
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
