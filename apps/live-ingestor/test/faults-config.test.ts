/**
 * Bad configuration: every flag and environment variable of the app given a bad value. The app runs as a
 * process (src/main.ts through tsx); it must exit non-zero with a message that names what was wrong, and
 * nothing may connect: the fake vendor (both session URLs point at it) and a TCP listener standing in
 * for NATS (NATS_URL) count every connection.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeVendor } from '@md/test-support/fake-vendor';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
const KEY = 'cfg-key-5f1e9a77c3';

interface Case {
  /** what is wrong */
  name: string;
  args?: string[];
  env?: Record<string, string>;
  /** expected exit code */
  code: number;
  /** the message must match */
  message: RegExp;
  /** NATS connections allowed (default 0) */
  natsConnections?: number;
}

const flag = (f: string, v: string, message: RegExp): Case => ({ name: `${f} ${JSON.stringify(v)}`, args: [f, v], code: 2, message });
/** --flag=value (a value starting with a dash needs the = form) */
const eq = (f: string, v: string, message: RegExp): Case => ({ name: `${f}=${v}`, args: [`${f}=${v}`], code: 2, message });
const envv = (k: string, v: string, message: RegExp, code = 2): Case => ({
  name: `${k}=${JSON.stringify(v)}`,
  env: { [k]: v },
  code,
  message,
});

const CASES: Case[] = [
  flag('--sink', 'kafka', /--sink must be one of nats, stdout, got "kafka"/),
  flag('--feed', 'weekly', /--feed must be one of realtime, delayed, got "weekly"/),
  flag('--vendor', 'acme', /--vendor must be one of massive, polygon, got "acme"/),
  { name: '--host with a path', args: ['--host', 'bad host/x'], code: 2, message: /--host must be a host name .*"bad host\/x"/ },
  flag('--stocks-url', 'http://127.0.0.1:9/stocks', /--stocks-url \/ POLYGON_STOCKS_WS_URL must be a ws:\/\/ or wss:\/\/ URL, got http:/),
  flag('--stocks-url', 'not a url', /--stocks-url \/ POLYGON_STOCKS_WS_URL must be a full ws:\/\/ or wss:\/\/ URL, got "not a url"/),
  flag('--options-url', 'ftp://127.0.0.1/options', /--options-url \/ POLYGON_OPTIONS_WS_URL must be a ws:\/\/ or wss:\/\/ URL, got ftp:/),
  flag('--source', 'x_ws', /--source must be one of massive_ws, polygon_ws, got "x_ws"/),
  flag('--sessions', 'stocks,futures', /--sessions item must be one of stocks, options, got "futures"/),
  flag('--sessions', ',', /--sessions must name stocks, options or both/),
  flag('--underlying', 'SP Y!', /--underlying must be a ticker like SPY, got "SP Y!"/),
  // the next three messages come from the strike manager: they say what is wrong with the value but not which option held it
  flag('--option-root', 'S&P', /underlying must be a non-empty root of upper-case letters, digits or '\.', got "S&P"/),
  // a negative number after a value-taking flag is its value (node's parseArgs called it "ambiguous"): refused for its value
  flag('--strike-range', '-1', /--strike-range must be an integer >= 0, got "-1"/),
  { name: '--strike-range=-1', args: ['--strike-range=-1'], code: 2, message: /--strike-range must be an integer >= 0, got "-1"/ },
  flag('--strike-range', '2.5', /--strike-range must be an integer >= 0, got "2.5"/),
  flag('--strike-range', 'abc', /--strike-range must be an integer >= 0, got "abc"/),
  flag('--strike-range', '500', /--strike-range 500 would hold more than 900 option quote contracts/),
  flag('--strike-increment', '0', /--strike-increment must be a number >= 0.001, got "0"/),
  flag('--recentre', '0', /--recentre must be a number >= 0.001, got "0"/),
  flag('--recentre', 'NaN', /--recentre must be a number >= 0.001, got "NaN"/),
  eq('--focus-strike', '-5', /--focus-strike must be a number >= 0.001, got "-5"/),
  flag('--expiry', '2025-13-01', /month 13 is not 01\.\.12/),
  flag('--expiry', '16-12-2025', /--expiry must be YYYY-MM-DD, got "16-12-2025"/),
  flag('--expiry', '2025-02-30', /day 30 does not exist in 2025-02/),
  eq('--initial-price', '-1', /--initial-price must be a number >= 0.001, got "-1"/),
  flag('--idle-timeout', '0', /--idle-timeout must be > 0/),
  eq('--idle-timeout', '-3', /--idle-timeout must be a number >= 0, got "-3"/),
  eq('--ping-interval', '-1', /--ping-interval must be a number >= 0, got "-1"/),
  flag('--step-timeout', 'x', /--step-timeout must be a number >= 0, got "x"/),
  flag('--max-payload', '10', /--max-payload must be an integer >= 1024, got "10"/),
  flag('--queue-size', '0', /--queue-size must be an integer >= 1, got "0"/),
  flag('--drop-policy', 'random', /--drop-policy must be one of drop-newest, drop-oldest, got "random"/),
  eq('--stats-interval', '-1', /--stats-interval must be a number >= 0, got "-1"/),
  flag('--publish-mode', 'fast', /--publish-mode must be one of ack, batch, got "fast"/),
  flag('--publish-window', '0', /--publish-window must be an integer >= 1, got "0"/),
  flag('--backoff-initial-ms', '0', /--backoff-initial-ms must be a number >= 1, got "0"/),
  flag('--backoff-max-ms', 'lots', /--backoff-max-ms must be a number >= 1, got "lots"/),
  flag('--stable-reset', 'x', /--stable-reset must be a number >= 0, got "x"/),
  eq('--max-connections-cooldown', '-3', /--max-connections-cooldown must be a number >= 0, got "-3"/),
  flag('--shutdown-timeout', 'x', /--shutdown-timeout must be a number >= 0, got "x"/),
  { name: 'unknown flag --nope', args: ['--nope'], code: 2, message: /Unknown option '--nope'.*\(see --help\)/ },
  { name: 'a positional argument', args: ['stocks'], code: 2, message: /positional argument.*\(see --help\)/i },
  { name: '--sink without its value', args: ['--sink'], code: 2, message: /--sink.*argument missing.*\(see --help\)/ },
  // environment
  {
    name: 'no API key (both unset)',
    env: { POLYGON_API_KEY: '' },
    code: 2,
    message: /no API key: set POLYGON_API_KEY \(or MASSIVE_API_KEY\)/,
  },
  envv('LIVE_FEED', 'weekly', /--feed must be one of realtime, delayed, got "weekly"/),
  envv('LIVE_VENDOR', 'acme', /--vendor must be one of massive, polygon, got "acme"/),
  envv('LIVE_HOST', 'a b', /--host must be a host name .*"a b"/),
  envv('POLYGON_STOCKS_WS_URL', 'http://127.0.0.1:9/stocks', /POLYGON_STOCKS_WS_URL must be a ws:\/\/ or wss:\/\/ URL, got http:/),
  envv('POLYGON_OPTIONS_WS_URL', '127.0.0.1:9', /POLYGON_OPTIONS_WS_URL must be a (full )?ws:\/\/ or wss:\/\/ URL/),
  envv('LIVE_UNDERLYING', '$$$', /--underlying must be a ticker like SPY, got "\$\$\$"/),
  envv('LIVE_STRIKE_RANGE', 'abc', /--strike-range must be an integer >= 0, got "abc"/),
  envv('LIVE_STRIKE_INCREMENT', '0', /--strike-increment must be a number >= 0.001, got "0"/),
  envv('LIVE_RECENTRE', '-1', /--recentre must be a number >= 0.001, got "-1"/),
  envv('LIVE_FOCUS_STRIKE', 'x', /--focus-strike must be a number >= 0.001, got "x"/),
  envv('LIVE_IDLE_TIMEOUT_S', '0', /--idle-timeout must be > 0/),
  envv('LIVE_STATS_INTERVAL_S', 'often', /--stats-interval must be a number >= 0, got "often"/),
  // NATS_* are read by @md/nats-bus when the NATS sink connects: nothing reaches the vendor, exit 1 with the reason
  envv('NATS_URL', 'http://127.0.0.1:1', /cannot connect to NATS/, 1),
  envv('NATS_CREDS', '/nonexistent/app.creds', /cannot read NATS creds file \/nonexistent\/app\.creds/, 1),
  // values beyond a 32-bit timer (2^31-1 ms) or an allocatable queue: accepted until they were found here
  // (known bugs 1 and 2 in RELIABILITY.md, fixed); Node would have turned 3e9 ms into 1 ms
  flag('--stats-interval', '3000000', /--stats-interval must be <= 2147483 \(seconds\), got "3000000"/),
  flag('--step-timeout', '3000000', /--step-timeout must be <= 2147483 \(seconds\), got "3000000"/),
  flag('--max-connections-cooldown', '3000000', /--max-connections-cooldown must be <= 2147483 \(seconds\), got "3000000"/),
  flag('--queue-size', '1e12', /--queue-size must be <= 10000000 \(events\), got "1e12"/),
];

interface Outcome {
  code: number | null;
  stderr: string;
  stdout: string;
  ms: number;
}

interface Observed {
  outcome: Outcome;
  /** TCP connections the NATS stand-in accepted */
  nats: number;
  /** connections the fake vendor accepted */
  vendor: number;
}
const outcomes = new Map<string, Observed>();

/** Run one case against its own fake vendor and NATS stand-in (a listener that never speaks). */
async function run(c: Case): Promise<Observed> {
  const fv = await FakeVendor.start();
  let nats = 0;
  const sockets: Socket[] = [];
  const standIn: Server = createServer((s) => {
    nats++;
    sockets.push(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => standIn.listen(0, '127.0.0.1', r));
  const t0 = Date.now();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    POLYGON_API_KEY: KEY,
    POLYGON_STOCKS_WS_URL: fv.url('stocks'),
    POLYGON_OPTIONS_WS_URL: fv.url('options'),
    NATS_URL: `nats://127.0.0.1:${(standIn.address() as AddressInfo).port}`,
    ...c.env,
  };
  const p = spawn(process.execPath, ['--import', 'tsx', MAIN, ...(c.args ?? [])], { cwd: resolve(import.meta.dirname, '..'), env });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  // a value that is (wrongly) accepted lets the app connect and run: give it 20 s, then kill it
  const killer = setTimeout(() => p.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((r) => p.on('exit', (x) => r(x)));
  clearTimeout(killer);
  const outcome = { code, stderr, stdout, ms: Date.now() - t0 };
  const vendor = fv.connections.length;
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => standIn.close(() => r()));
  await fv.close();
  return { outcome, nats, vendor };
}

beforeAll(async () => {
  // tsx start-up costs ~0.7 s of CPU per process: four at a time
  let i = 0;
  const worker = async () => {
    for (let c = CASES[i++]; c !== undefined; c = CASES[i++]) outcomes.set(c.name, await run(c));
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}, 300_000);

describe('bad configuration: clear error, non-zero exit, nothing connects', () => {
  const check = (c: Case) => {
    const o = outcomes.get(c.name)!;
    expect(o.outcome.code, o.outcome.stderr.slice(0, 2000)).toBe(c.code);
    expect(o.outcome.stderr).toMatch(c.message);
    expect(o.outcome.stdout).toBe('');
    expect(o.outcome.stderr).not.toContain(KEY);
    expect(o.outcome.stderr, 'no stack trace for a configuration error').not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(o.vendor, 'connections to the vendor').toBe(0);
    expect(o.nats, 'connections to NATS').toBeLessThanOrEqual(c.natsConnections ?? 0);
  };
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));

  it('summary', () => {
    const good = CASES;
    const flags = good.filter((c) => c.args).length;
    const envs = good.length - flags;
    const all = good.map((c) => outcomes.get(c.name)!);
    const ok = good.filter((c) => {
      const o = outcomes.get(c.name)!;
      return o.outcome.code === c.code && c.message.test(o.outcome.stderr) && o.vendor === 0;
    }).length;
    const slowest = Math.max(...all.map((o) => o.outcome.ms));
    const vendorConns = all.reduce((a, o) => a + o.vendor, 0);
    const natsConns = all.reduce((a, o) => a + o.nats, 0);
    console.log(
      `RELIABILITY: config: ${ok}/${good.length} bad values (${flags} flags, ${envs} env vars) -> non-zero exit with a message naming the option and the value (3 name only the value), ` +
        `${vendorConns} vendor connections, ${natsConns} NATS connections, slowest exit ${slowest} ms`,
    );
    expect(ok).toBe(good.length);
  });
});
