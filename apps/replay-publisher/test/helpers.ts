import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll } from 'vitest';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Publishable } from '@md/event-types';
import { connectBus, consumeEvents, ensureStream, startNatsServer, type EventSink, type LocalNatsServer, type NatsConnection, type SinkStats } from '@md/nats-bus';
import type { ReplaySource } from '../src/source';
import type { ReplayKind } from '../src/stats';

const temps: string[] = [];
// registered on the root suite of every test file importing this module (worker exit hooks do not run)
afterAll(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
/** a temporary directory removed after the test file */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

export const DBN_FIXTURES_DIR = process.env.DBN_FIXTURES_DIR ?? resolve(import.meta.dirname, '../../../../shared/fixtures/dbn');
export const haveDbnFixtures = existsSync(join(DBN_FIXTURES_DIR, 'test_data.trades.v3.dbn.zst')) && existsSync(join(DBN_FIXTURES_DIR, 'test_data.mbp-10.v3.dbn.zst'));
if (!haveDbnFixtures) console.warn(`DBN fixtures not found at ${DBN_FIXTURES_DIR} (set DBN_FIXTURES_DIR): replay-publisher fixture tests skipped`);

/** A data root holding Databento's ES fixtures (2020-12-28, 2 trades + 2 MBP-10 books) under the replay layout. */
export function fixtureDataRoot(): string {
  const root = tempDir('replay-fixtures-');
  mkdirSync(join(root, 'trades'));
  mkdirSync(join(root, 'MBP-10'));
  copyFileSync(join(DBN_FIXTURES_DIR, 'test_data.trades.v3.dbn.zst'), join(root, 'trades', 'glbx-mdp3-20201228.trades.dbn.zst'));
  copyFileSync(join(DBN_FIXTURES_DIR, 'test_data.mbp-10.v3.dbn.zst'), join(root, 'MBP-10', 'glbx-mdp3-20201228.mbp-10.dbn.zst'));
  return root;
}

export interface Bus {
  server: LocalNatsServer;
  nc: NatsConnection;
  count(): Promise<number>;
  /** a new, empty MARKET_DATA (deleted and created again: a purge would keep the duplicate window's ids) */
  purge(): Promise<void>;
  close(): Promise<void>;
}

export async function startBus(): Promise<Bus> {
  const server = await startNatsServer();
  const nc = await connectBus({ servers: server.url });
  await ensureStream(nc);
  return {
    server,
    nc,
    async count() {
      return Number((await ensureStream(nc)).info.state.messages);
    },
    async purge() {
      const r = await nc.request('$JS.API.STREAM.DELETE.MARKET_DATA', new Uint8Array(0), { timeout: 10_000 });
      const body = JSON.parse(new TextDecoder().decode(r.data)) as { success?: boolean; error?: unknown };
      if (!body.success) throw new Error(`stream delete failed: ${JSON.stringify(body.error)}`);
      await ensureStream(nc);
    },
    async close() {
      await nc.close();
      await server.dispose();
    },
  };
}

export interface Stored {
  subject: string;
  msgId: string | undefined;
  seq: number;
  data: Uint8Array;
  tsEvent: bigint;
}

/** every message of MARKET_DATA, in stream order */
export async function readAll(nc: NatsConnection, expected: number): Promise<Stored[]> {
  const out: Stored[] = [];
  if (expected === 0) return out;
  const c = consumeEvents(nc);
  for await (const m of c) {
    out.push({ subject: m.subject, msgId: m.msgId, seq: m.streamSeq, data: m.data, tsEvent: (m.event as { ts_event_ns: bigint }).ts_event_ns });
    if (out.length >= expected) break;
  }
  await c.stop();
  return out;
}

/** An EventSink that keeps everything in memory (unit tests without NATS). */
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

/** An in-memory ReplaySource (unit tests of the replayer). */
export class MemorySource implements ReplaySource {
  constructor(private readonly data: Record<string, Partial<Record<ReplayKind, Publishable[][]>>>) {}
  async availableDates(kind?: ReplayKind): Promise<string[]> {
    return Object.keys(this.data)
      .filter((d) => !kind || this.data[d][kind])
      .sort();
  }
  async has(kind: ReplayKind, date: string): Promise<boolean> {
    return !!this.data[date]?.[kind];
  }
  async fileNames(date: string): Promise<string[]> {
    return Object.keys(this.data[date] ?? {}).map((k) => `${k}-${date.replace(/-/g, '')}.dbn`);
  }
  async *batches(kind: ReplayKind, date: string): AsyncIterable<Publishable[]> {
    for (const b of this.data[date]?.[kind] ?? []) yield b;
  }
}

export const APP_DIR = resolve(import.meta.dirname, '..');
export const MAIN = resolve(APP_DIR, 'src/main.ts');

export interface Proc {
  p: ChildProcessWithoutNullStreams;
  out: { stdout: string; stderr: string };
  exit: Promise<number | null>;
}

const procs: ChildProcessWithoutNullStreams[] = [];
export function killAll(): void {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

/** the app as a child process (tsx running src/main.ts), with a minimal environment */
export function run(args: string[], env: Record<string, string> = {}): Proc {
  const p = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: APP_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  procs.push(p);
  const out = { stdout: '', stderr: '' };
  p.stdout.on('data', (d) => (out.stdout += d));
  p.stderr.on('data', (d) => (out.stderr += d));
  const exit = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  return { p, out, exit };
}

export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** every message of MARKET_DATA in stream order as `subject<TAB>body` (what `--sink stdout` prints), and the number of distinct msg ids */
export async function readStream(nc: NatsConnection): Promise<{ lines: string[]; ids: number }> {
  const si = await (await jetstreamManager(nc)).streams.info('MARKET_DATA');
  const lines: string[] = [];
  const ids = new Set<string>();
  if (si.state.messages === 0) return { lines, ids: 0 };
  const td = new TextDecoder();
  const consumer = await jetstream(nc).consumers.get('MARKET_DATA', { deliver_policy: DeliverPolicy.All });
  const msgs = await consumer.consume({ max_messages: 4096 });
  for await (const m of msgs) {
    lines.push(`${m.subject}\t${td.decode(m.data)}`);
    ids.add(m.headers?.get('Nats-Msg-Id') ?? '');
    if (m.seq >= si.state.last_seq) break;
  }
  await msgs.close();
  return { lines, ids: ids.size };
}

/** index of the first line that differs (-1: identical) */
export function firstDifference(a: string[], b: string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}
