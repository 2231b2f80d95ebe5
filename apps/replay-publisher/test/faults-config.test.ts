/**
 * Bad configuration of the replay-publisher: every flag and environment variable given a bad value, the app
 * as a process (src/main.ts through tsx) on a valid generated data root. It must exit 2 with one line that
 * names the option and the value, print nothing on stdout and no stack trace, and connect to nothing: NATS_URL
 * points at a TCP listener that counts connections. (The app's own process test covers 8 of these values.)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { APP_DIR, at, MAIN } from './helpers';

interface Case {
  name: string;
  args?: string[];
  env?: Record<string, string>;
  message: RegExp;
}
const flag = (f: string, v: string, message: RegExp): Case => ({ name: `${f} ${JSON.stringify(v)}`, args: [f, v], message });
const envv = (k: string, v: string, message: RegExp): Case => ({ name: `${k}=${JSON.stringify(v)}`, env: { [k]: v }, message });

const CASES: Case[] = [
  flag('--date', '2025-13-01', /--date \/ REPLAY_DATE: "2025-13-01" is not a calendar date/),
  flag('--date', '2024-06-01', /no DBN files for 2024-06-01 under data root .* \(available: 2025-01-02\)/),
  {
    name: 'two --date values without --continuous',
    args: ['--date', '2025-01-02,2025-01-03'],
    message: /several --date values need --continuous/,
  },
  flag('--start', '25:00', /--start: "25:00" is not a time of day/),
  flag('--end', 'xx', /--end must be HH:MM\[:SS\[\.fff\]\] \(UTC\), an ISO instant .*got "xx"/),
  {
    name: '--end before --start',
    args: ['--start', '14:00', '--end', '13:00'],
    message: /--end \(13:00\) must be after --start \(14:00\)/,
  },
  flag('--speed', 'fast', /--speed \/ REPLAY_SPEED must be a number >= 0, got "fast"/),
  flag('--speed', '-1', /--speed \/ REPLAY_SPEED must be a number >= 0, got "-1"/),
  flag('--max-gap', '-2', /--max-gap must be a duration like 250ms, 1s, 500us or a number of s, got "-2"/),
  flag('--order', 'random', /--order must be one of ts_event, ts_recv, got "random"/),
  flag('--reorder-window', '2h', /--reorder-window \/ REPLAY_REORDER_WINDOW must be at most 1h, got "2h"/),
  flag('--reorder-window', '3h', /--reorder-window .*(at most 1h|got "3h")/),
  flag('--sink', 'kafka', /--sink must be one of nats, stdout, got "kafka"/),
  flag('--mode', 'x', /--mode must be one of batch, ack, got "x"/),
  flag('--window', '0', /--window must be an integer >= 1, got "0"/),
  flag('--progress-every', '1.5', /--progress-every must be an integer >= 0, got "1.5"/),
  flag('--shutdown-timeout', 'x', /--shutdown-timeout must be a number >= 0, got "x"/),
  { name: '--options with --no-options', args: ['--options', '--no-options'], message: /--options and --no-options contradict each other/ },
  {
    name: 'nothing to replay',
    args: ['--no-trades', '--no-mbp10', '--no-options'],
    message: /nothing to replay: --no-trades and --no-mbp10 without --include-options/,
  },
  {
    name: '--date latest with a date',
    args: ['--date', 'latest,2025-01-02'],
    message: /--date latest cannot be combined with other dates/,
  },
  {
    name: '--date latest with --continuous',
    args: ['--date', 'latest', '--continuous'],
    message: /--date latest and --continuous: pick one/,
  },
  flag('--session', 'lunch', /--session must be one of full, rth, premarket, got "lunch"/),
  flag('--options-source', 'csv', /--options-source must be one of auto, dbn, bronze, got "csv"/),
  {
    name: '--options-source without options',
    args: ['--options-source', 'bronze'],
    message: /--options-source needs option trades: add --include-options/,
  },
  {
    name: '--sample with --data-root',
    args: ['--sample', '--data-root', '/tmp'],
    message: /--sample and --data-root \/ REPLAY_DATA_ROOT: pick one/,
  },
  {
    name: '--bronze-root missing',
    args: ['--bronze-root', '/nonexistent/md-bronze'],
    message: /Bronze root \/nonexistent\/md-bronze does not exist/,
  },
  {
    name: '--local-server with --no-local-server',
    args: ['--local-server', '--no-local-server'],
    message: /--local-server and --no-local-server contradict each other/,
  },
  {
    name: '--progress-bar with --no-progress-bar',
    args: ['--progress-bar', '--no-progress-bar'],
    message: /--progress-bar and --no-progress-bar contradict each other/,
  },
  { name: '--resume with --sink stdout', args: ['--resume', '--sink', 'stdout'], message: /--resume needs --sink nats/ },
  { name: 'unknown flag', args: ['--bogus'], message: /Unknown option '--bogus' \(see --help\)/ },
  { name: 'a positional argument', args: ['extra'], message: /Unexpected argument 'extra'.*\(see --help\)/ },
  { name: '--speed without its value', args: ['--speed'], message: /Option '--speed <value>' argument missing \(see --help\)/ },
  {
    name: '--data-root missing',
    args: ['--data-root', '/nonexistent/md-root'],
    message: /data root \/nonexistent\/md-root does not exist/,
  },
  { name: '--data-root empty', args: ['--data-root', ''], message: /--data-root must not be empty/ },
  // environment
  envv('REPLAY_DATE', '2025-02-30', /--date \/ REPLAY_DATE: "2025-02-30" is not a calendar date/),
  envv('REPLAY_START', 'noon', /--start must be .*got "noon"/),
  envv('REPLAY_END', '99:99', /--end: "99:99" is not a time of day/),
  envv('REPLAY_SPEED', '-3', /REPLAY_SPEED must be a number >= 0, got "-3"/),
  envv('REPLAY_MAX_GAP', 'long', /--max-gap must be a duration .*got "long"/),
  envv('REPLAY_ORDER', 'random', /--order must be one of ts_event, ts_recv, got "random"/),
  envv('REPLAY_REORDER_WINDOW', '-1ms', /--reorder-window \/ REPLAY_REORDER_WINDOW must be a duration .*got "-1ms"/),
  envv('REPLAY_SINK', 'file', /REPLAY_SINK must be one of nats, stdout, got "file"/),
  envv('REPLAY_PUBLISH_MODE', 'fast', /REPLAY_PUBLISH_MODE must be one of batch, ack, got "fast"/),
  envv('REPLAY_PUBLISH_WINDOW', '-5', /REPLAY_PUBLISH_WINDOW must be an integer >= 1, got "-5"/),
  envv('REPLAY_PROGRESS_EVERY', 'often', /--progress-every must be an integer >= 0, got "often"/),
  envv('REPLAY_CONTINUOUS', 'maybe', /REPLAY_CONTINUOUS.*"maybe"/),
  envv('REPLAY_INCLUDE_OPTIONS', 'maybe', /REPLAY_INCLUDE_OPTIONS.*"maybe"/),
  envv('REPLAY_USE_BRONZE_FUTURES', 'yes please', /REPLAY_USE_BRONZE_FUTURES.*"yes please"/),
  envv('REPLAY_SESSION', 'night', /--session must be one of full, rth, premarket, got "night"/),
  envv('REPLAY_LOCAL_SERVER', 'maybe', /REPLAY_LOCAL_SERVER.*"maybe"/),
  {
    name: 'REPLAY_DATA_ROOT missing',
    env: { REPLAY_DATA_ROOT: '/nonexistent/md-root2' },
    message: /data root \/nonexistent\/md-root2 does not exist/,
  },
];

let root = '';
let trap: Server;
let trapUrl = '';
let trapConnections = 0;
const sockets: Socket[] = [];
const outcomes = new Map<string, { code: number | null; stdout: string; stderr: string }>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'replay-cfg-'));
  await generateSampleSession({ root, seed: 5, trades: 200, mbp10: 100, options: 20 });
  trap = createServer((s) => {
    trapConnections++;
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', r));
  trapUrl = `nats://127.0.0.1:${(trap.address() as AddressInfo).port}`;
  let i = 0;
  const worker = async () => {
    while (i < CASES.length) {
      const c = at(CASES, i++);
      const usesRoot = !(c.args ?? []).includes('--data-root') && !c.env?.REPLAY_DATA_ROOT;
      const p = spawn(process.execPath, ['--import', 'tsx', MAIN, ...(usesRoot ? ['--data-root', root] : []), ...(c.args ?? [])], {
        cwd: APP_DIR,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NATS_URL: trapUrl, ...c.env },
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const killer = setTimeout(() => p.kill('SIGKILL'), 20_000);
      const code = await new Promise<number | null>((r) => p.on('exit', (x) => r(x)));
      clearTimeout(killer);
      outcomes.set(c.name, { code, stdout, stderr });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}, 300_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => trap?.close(() => r()));
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('replay-publisher: bad configuration -> exit 2, a clear line, nothing connects', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const o = outcomes.get(c.name)!;
    expect(o.code, o.stderr.slice(0, 1500)).toBe(2);
    expect(o.stderr).toMatch(c.message);
    expect(o.stdout).toBe('');
    expect(o.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });

  it('summary: no connection was made', () => {
    expect(trapConnections).toBe(0);
    const ok = CASES.filter((c) => outcomes.get(c.name)?.code === 2 && c.message.test(outcomes.get(c.name)!.stderr)).length;
    const flags = CASES.filter((c) => c.args).length;
    console.log(
      `RELIABILITY: replay config: ${ok}/${CASES.length} bad values (${flags} flag cases, ${CASES.length - flags} env vars) -> exit 2 with one line naming the option and the value, ` +
        `${trapConnections} connections to the NATS stand-in`,
    );
    expect(ok).toBe(CASES.length);
  });
});
