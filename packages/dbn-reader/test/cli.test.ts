/**
 * The `dbn` command, run as a child process from the BUILT package (dist/cli.js). `nx test dbn-reader`
 * builds first; when run directly, beforeAll rebuilds if dist/cli.js is missing or older than src/.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode } from '@md/event-types';
import { DBN_HELP } from '../src/cli-options.js';
import { generateSampleSession, type SampleSessionResult } from '../src/sample.js';
import { fx, HAVE_FIXTURES, PKG, tempDir } from './events-helpers.js';
import { defined, nth } from './narrow.js';

const CLI = join(PKG, 'dist', 'cli.js');

function stale(): boolean {
  if (!existsSync(CLI)) return true;
  const built = statSync(CLI).mtimeMs;
  return readdirSync(join(PKG, 'src')).some((f) => statSync(join(PKG, 'src', f)).mtimeMs > built);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
/** runs the CLI; for a command expected to succeed use `ok` (its stderr shows in the failure) */
async function ok(...args: string[]): Promise<string> {
  const r = await dbn(...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}
function dbn(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
function dbnStdin(input: Uint8Array, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(input);
  });
}
const lines = (s: string) => s.split('\n').filter((l) => l !== '');

let dir: string;
let cleanup: () => Promise<void>;
let sample: SampleSessionResult;

beforeAll(async () => {
  if (stale()) execFileSync('npx', ['tsup'], { cwd: PKG, stdio: 'ignore', timeout: 180_000 });
  ({ dir, cleanup } = await tempDir('dbn-events-cli-'));
  sample = await generateSampleSession({ root: dir, seed: 9, trades: 500, mbp10: 200, options: 50 });
}, 240_000);
afterAll(() => cleanup());

describe.skipIf(!HAVE_FIXTURES)('dbn on the Databento fixtures', () => {
  it('metadata: the official JSON shape', async () => {
    const r = await dbn('metadata', fx('test_data.trades.v3.dbn.zst'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '{"version":3,"dataset":"GLBX.MDP3","schema":"trades","start":"1609160400000000000","end":"1609200000000000000","limit":"2",' +
        '"stype_in":"raw_symbol","stype_out":"instrument_id","ts_out":false,"symbol_cstr_len":71,"symbols":["ESH1"],"partial":[],' +
        '"not_found":[],"mappings":[{"raw_symbol":"ESH1","intervals":[{"start_date":20201228,"end_date":20201229,"symbol":"5482"}]}]}\n',
    );
    // v1 as in the file by default (like the official tool), v3 with --upgrade
    const v1 = JSON.parse(await ok('metadata', fx('test_data.trades.v1.dbn.zst')));
    expect([v1.version, v1.symbol_cstr_len]).toStrictEqual([1, 22]);
    const up = JSON.parse(await ok('metadata', fx('test_data.trades.v1.dbn.zst'), '--upgrade'));
    expect([up.version, up.symbol_cstr_len]).toStrictEqual([3, 22]);
    const pretty = JSON.parse(await ok('metadata', '--pretty', fx('test_data.trades.v3.dbn.zst')));
    expect([pretty.start, pretty.mappings[0].intervals[0].start_date]).toStrictEqual(['2020-12-28T13:00:00.000000000Z', '2020-12-28']);
  });

  it('json: one line per record, ts_recv then hd, 64-bit values as strings', async () => {
    const r = await dbn('json', fx('test_data.trades.v3.dbn.zst'));
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toStrictEqual([
      '{"ts_recv":"1609160400099150057","hd":{"ts_event":"1609160400098821953","rtype":0,"publisher_id":1,"instrument_id":5482},"action":"T","side":"A","depth":0,"price":"3720250000000","size":5,"flags":129,"ts_in_delta":19251,"sequence":1170380}',
      '{"ts_recv":"1609160400108142648","hd":{"ts_event":"1609160400107665963","rtype":0,"publisher_id":1,"instrument_id":5482},"action":"T","side":"A","depth":0,"price":"3720250000000","size":21,"flags":129,"ts_in_delta":20728,"sequence":1170414}',
    ]);
    const m = await dbn('json', fx('test_data.mbp-10.dbn'), '--limit', '1');
    expect(lines(m.stdout)).toHaveLength(1);
    expect(
      m.stdout.startsWith(
        '{"ts_recv":"1609160400000704060","hd":{"ts_event":"1609160400000429831","rtype":10,"publisher_id":1,"instrument_id":5482},"action":"C","side":"A","depth":9,"price":"3722750000000","size":1,"flags":128,"ts_in_delta":22993,"sequence":1170352,"levels":[{"bid_px":"3720250000000","ask_px":"3720500000000","bid_sz":24,"ask_sz":10,"bid_ct":15,"ask_ct":8},',
      ),
    ).toBe(true);
    const mbo = await dbn('json', fx('test_data.mbo.v3.dbn'), '--limit', '1');
    expect(mbo.stdout).toBe(
      '{"ts_recv":"1609160400000704060","hd":{"ts_event":"1609160400000429831","rtype":160,"publisher_id":1,"instrument_id":5482},"action":"C","side":"A","price":"3722750000000","size":1,"channel_id":0,"order_id":"647784973705","flags":128,"ts_in_delta":22993,"sequence":1170352}\n',
    );
    const ohlcv = await dbn('json', fx('test_data.ohlcv-1s.dbn'), '--limit=1');
    expect(ohlcv.stdout).toBe(
      '{"hd":{"ts_event":"1609160400000000000","rtype":32,"publisher_id":1,"instrument_id":5482},"open":"372025000000000","high":"372050000000000","low":"372025000000000","close":"372050000000000","volume":"57"}\n',
    );
    const pretty = await dbn('json', fx('test_data.trades.v3.dbn.zst'), '--pretty', '--limit', '1');
    expect(pretty.stdout).toContain('"ts_recv":"2020-12-28T13:00:00.099150057Z","hd":{"ts_event":"2020-12-28T13:00:00.098821953Z"');
    expect(pretty.stdout).toContain('"price":"3720.250000000"');
  });

  it('events: subject TAB contract body', async () => {
    const r = await dbn('events', fx('test_data.trades.dbn'));
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toStrictEqual([
      'market.futures.trades\t{"ts_event_ns":1609160400098821953,"ts_recv_ns":1609160400099150057,"source":"replay","symbol":"ESH1","price":3720.25,"size":5,"aggressor":-1,"exchange":"CME","conditions":null,"seq":1170380}',
      'market.futures.trades\t{"ts_event_ns":1609160400107665963,"ts_recv_ns":1609160400108142648,"source":"replay","symbol":"ESH1","price":3720.25,"size":21,"aggressor":-1,"exchange":"CME","conditions":null,"seq":1170414}',
    ]);
    const b = await dbn('events', fx('test_data.mbp-10.v3.dbn.zst'), '--limit', '1');
    const [subject, body] = nth(lines(b.stdout), 0).split('\t');
    expect(subject).toBe('market.futures.mbp10');
    expect(decode('futures.mbp10.v1', defined(body)).levels[0]).toStrictEqual({ bid_px: 3720.25, bid_sz: 24, ask_px: 3720.5, ask_sz: 10 });
    // a schema without canonical events: usage error unless --kind forces one
    const d = await dbn('events', fx('test_data.definition.v3.dbn.zst'));
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/schema definition has no canonical events/);
  });

  it('a truncated file: the records before the fault, then the error with file and offset on stderr, exit 1', async () => {
    const bytes = await readFile(fx('test_data.trades.dbn'));
    const cut = join(dir, 'cut.trades.dbn');
    await writeFile(cut, bytes.subarray(0, bytes.length - 10));
    const r = await dbn('json', cut);
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toHaveLength(1);
    expect(r.stderr).toMatch(/^dbn: DbnTruncatedError: .*cut\.trades\.dbn at byte offset 401\]/);
    const e = await dbn('events', cut);
    expect(e.code).toBe(1);
    expect(lines(e.stdout)).toHaveLength(1);
    expect(e.stderr).toMatch(/cut\.trades\.dbn at byte offset/);
  });
});

describe('dbn on generated data and bad input', () => {
  it('json and events over a generated zstd session, --limit', async () => {
    const j = await dbn('json', sample.mbp10!, '--limit', '5');
    expect(j.code).toBe(0);
    const recs = lines(j.stdout).map((l) => JSON.parse(l));
    expect(recs).toHaveLength(5);
    expect(Object.keys(recs[0]).slice(0, 5)).toStrictEqual(['ts_recv', 'hd', 'action', 'side', 'depth']);
    expect(recs[0].hd.instrument_id).toBe(sample.instruments.futures.instrumentId);
    expect(typeof recs[0].ts_recv).toBe('string');
    expect(recs[0].levels).toHaveLength(10);
    const all = await dbn('json', sample.trades!);
    expect(lines(all.stdout)).toHaveLength(500);
    const ev = await dbn('events', sample.options!);
    expect(ev.code).toBe(0);
    const evl = lines(ev.stdout);
    expect(evl).toHaveLength(50);
    const [subject, body] = nth(evl, 0).split('\t');
    expect(subject).toBe('market.options.trades');
    expect(decode('options.trades.v1', defined(body)).option_symbol).toMatch(/^O:SPY250102[CP]\d{8}$/);
    const limited = await dbn('events', sample.trades!, '--limit', '3', '--kind', 'trades');
    expect(lines(limited.stdout)).toHaveLength(3);
    expect(lines((await dbn('json', sample.trades!, '--limit', '0')).stdout)).toHaveLength(0);
  });

  it("'-' reads standard input (events need --kind there)", async () => {
    const bytes = await readFile(sample.trades!);
    const viaFile = await ok('json', sample.trades!, '--limit', '20');
    const r = await dbnStdin(bytes, 'json', '-', '--limit', '20');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(viaFile);
    const ev = await dbnStdin(bytes, 'events', '-', '--kind', 'trades', '--limit', '2');
    expect(ev.code).toBe(0);
    expect(lines(ev.stdout)).toHaveLength(2);
    const noKind = await dbnStdin(bytes, 'events', '-');
    expect(noKind.code).toBe(2);
    expect(noKind.stderr).toMatch(/need --kind/);
    const cut = await dbnStdin(bytes.subarray(0, 40), 'metadata', '-');
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/<stdin>/);
  });

  it('errors: missing file and not-DBN data exit 1 naming the file; usage errors exit 2; --help exits 0', async () => {
    const missing = await dbn('json', join(dir, 'nope.dbn'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/DbnIoError: cannot open: .*nope\.dbn at byte offset 0/);
    const junk = join(dir, 'junk.dbn');
    await writeFile(junk, 'hello, world');
    const j = await dbn('metadata', junk);
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(/DbnBadMagicError: not DBN data: starts with 68 65 6c 6c.*junk\.dbn at byte offset 0/);
    for (const args of [
      [],
      ['frob', 'x'],
      ['json'],
      ['json', 'a', 'b'],
      ['json', 'x', '--limit', '-1'],
      ['json', 'x', '--bogus'],
      ['events', 'x', '--kind', 'stocks'],
    ]) {
      const r = await dbn(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^dbn: /);
      expect(r.stderr).toContain('Usage: dbn');
    }
    const h = await dbn('--help');
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^Usage: dbn FILE\.\.\. \[-J\|-C\|-T\] \[options\]\n {7}dbn <command> FILE/);
    expect(h.stdout).toBe(DBN_HELP); // the help comes from the option table
    const typo = await dbn('json', 'x', '--limt', '3');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(`dbn: Unknown option '--limt', did you mean '--limit'?\n\n${DBN_HELP}`);
  });

  it('a reader that goes away (EPIPE) ends the command quietly', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, [CLI, 'json', sample.trades!], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      p.stderr.on('data', (c) => (err += c));
      p.stdout.once('data', () => p.stdout.destroy());
      p.on('close', (c) => {
        expect(err).toBe('');
        resolve(c);
      });
    });
    expect(code).toBe(0);
  });
});
