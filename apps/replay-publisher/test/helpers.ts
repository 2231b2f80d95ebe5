import { resolve } from 'node:path';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@md/nats-bus';
import { DBN_FIXTURES_DIR, haveDbnFixtures } from '@md/test-support/fixtures';
import { runTsx, type Proc } from '@md/test-support/process';

export { DBN_FIXTURES_DIR, fixtureDataRoot, haveDbnFixtures, tempDir } from '@md/test-support/fixtures';
export { readAll, startBus, type Bus, type Stored } from '@md/test-support/nats';
export { killAll, type Proc } from '@md/test-support/process';

if (!haveDbnFixtures)
  console.warn(`DBN fixtures not found at ${DBN_FIXTURES_DIR} (set DBN_FIXTURES_DIR): replay-publisher fixture tests skipped`);

export const APP_DIR = resolve(import.meta.dirname, '..');
export const MAIN = resolve(APP_DIR, 'src/main.ts');

/** the app as a child process (tsx running src/main.ts), with a minimal environment */
export function run(args: string[], env: Record<string, string> = {}): Proc {
  return runTsx(MAIN, args, { cwd: APP_DIR, env });
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

import { at } from '@md/test-support';

export { at };

/** capture group `i` (default 1) of `re` in `text`; fails the test naming the pattern when it does not match */
export function group(re: RegExp, text: string, i = 1): string {
  const g = re.exec(text)?.[i];
  if (g === undefined) throw new Error(`${re} does not match:\n${text.slice(-2000)}`);
  return g;
}

/** index of the first value below its predecessor (-1: non-decreasing) */
export function firstStepBack(ts: readonly bigint[]): number {
  for (let i = 1; i < ts.length; i++) if (at(ts, i) < at(ts, i - 1)) return i;
  return -1;
}

/** index of the first line that differs (-1: identical) */
export function firstDifference(a: string[], b: string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}
