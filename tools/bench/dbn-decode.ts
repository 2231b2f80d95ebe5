/**
 * DBN decode benchmark (@md/dbn-reader, BUILT: run `npx nx build dbn-reader` first).
 *
 *   npx tsx tools/bench/dbn-decode.ts [--trades N] [--mbp10 N] [--runs R] [--clean] [--events]
 *
 * Generates, deterministically from a seed, a trades file (default 5,000,000 records) and an
 * MBP-10 file (default 2,000,000 records), each plain and zstd, into os.tmpdir()/md-bench-dbn
 * (reused by later runs when present; `--clean` deletes them at the end). Every case runs in a
 * child process of its own (so its peak RSS, from process.resourceUsage().maxRSS, is its own),
 * R times (default 3); the table shows medians:
 *   floor    read the same file in 1 MiB chunks (and zstd-decompress it through the same native
 *            binding the decoder uses), touching nothing: the baseline the decoder is compared to
 *   iterate  for await (const rec of decodeDbn(path)): one object per record
 *   batches  for await (const batch of decodeDbn(path).batches())
 *   scan     scanDbn(path, raw => ...): no objects, fields read in place
 * Targets (issue 3): >= 5M trade records/s, >= 1M MBP-10 records/s, peak RSS < 150 MB.
 * The machine is shared: besides wall-clock medians the table shows the child's CPU time
 * (user + system, all threads) and records per CPU-second, which load from other processes
 * distorts much less than wall time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DbnEncoder, type Mbp10Msg, type TradeMsg, type DbnMetadataInput } from '@md/dbn-reader';
import { Rng } from '@md/test-support';
import { at } from './narrow.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SEED = 20201228;
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

// ---------------------------------------------------------------------------------------------
// child: one measurement. Plain JavaScript run by `node` itself (no tsx loader in the measured
// process, so its RSS is the decoder's plus Node's own ~40 MB), importing the BUILT package.

type Mode = 'floor' | 'iterate' | 'batches' | 'scan' | 'events';

const CHILD_JS = `
import { openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as dbn from '@md/dbn-reader';
const [mode, path] = process.argv.slice(-2);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
let records = 0;
let check = 0;
if (mode === 'floor') {
  // the same work the decoder cannot avoid: read 1 MiB chunks (and zstd-decompress them through
  // the native binding the decoder uses, into a reused 256 KiB buffer)
  const zstd = path.endsWith('.zst');
  const b = zstd ? createRequire(import.meta.resolve('@md/dbn-reader'))('zstd-napi/binding.js') : undefined;
  const dctx = b ? new b.DCtx() : undefined;
  const out = new Uint8Array(1 << 18);
  const buf = new Uint8Array(1 << 20);
  const fd = openSync(path, 'r');
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    if (dctx === undefined) { check += buf[0] + buf[n - 1]; continue; }
    let input = buf.subarray(0, n);
    for (;;) {
      const [, produced, consumed] = dctx.decompressStream(out, input);
      input = input.subarray(consumed);
      if (produced > 0) check += out[0] + out[produced - 1];
      if (input.length === 0 && produced < out.length) break;
    }
  }
  closeSync(fd);
} else if (mode === 'iterate') {
  for await (const r of dbn.decodeDbn(path)) {
    records++;
    check += r.size;
  }
} else if (mode === 'batches') {
  for await (const batch of dbn.decodeDbn(path).batches()) {
    records += batch.length;
    for (let i = 0; i < batch.length; i++) check += batch[i].size;
  }
} else if (mode === 'scan') {
  const res = await dbn.scanDbn(path, (raw) => { check += raw.view.getUint32(raw.offset + 24, true); });
  records = res.stats.records;
} else if (mode === 'events') {
  // ---- canonical events: the dbn-events helper's mapping (src/mapping.ts) ----------------------
  // measured only when the package exports mapDbnFileBatches (or mapDbnFile); else records = -1
  // and the table says n/a. No number is made up here.
  const kind = path.includes('mbp10') ? 'mbp10' : 'trades';
  if (typeof dbn.mapDbnFileBatches === 'function') {
    for await (const b of dbn.mapDbnFileBatches(path, { kind })) records += b.length;
  } else if (typeof dbn.mapDbnFile === 'function') {
    for await (const _ of dbn.mapDbnFile(path, { kind })) records++;
  } else records = -1;
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cu = process.cpuUsage(c0);
const cpuMs = (cu.user + cu.system) / 1000;
const maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify({ ms, cpuMs, records, check, maxRssMB }) + '\\n');
`;

// ---------------------------------------------------------------------------------------------
// generation (deterministic)

const META = (schema: 'trades' | 'mbp-10'): DbnMetadataInput => ({
  dataset: 'GLBX.MDP3',
  schema,
  start: 1609113600000000000n,
  end: 1609200000000000000n,
  stypeIn: 'raw_symbol',
  stypeOut: 'instrument_id',
  symbols: ['ESH1'],
  mappings: [{ rawSymbol: 'ESH1', intervals: [{ startDate: '2020-12-28', endDate: '2020-12-29', symbol: '5482' }] }],
});

const TICK = 250_000_000n;

async function generate(kind: 'trades' | 'mbp10', n: number, plainPath: string, zstdPath: string): Promise<void> {
  // @md/test-support's mulberry32: the same sequence as the generator that wrote earlier runs' files
  const rnd = new Rng(SEED + (kind === 'trades' ? 1 : 2));
  const schema = kind === 'trades' ? 'trades' : 'mbp-10';
  const plain = new DbnEncoder(plainPath + '.part', META(schema));
  const zstd = new DbnEncoder(zstdPath + '.part', META(schema), { compression: 'zstd' });
  let ts = 1609160400000000000n; // 2020-12-28T13:00Z
  let mid = 3720_250_000_000n;
  const hd = { length: 0, rtype: kind === 'trades' ? 0 : 0x0a, publisher_id: 1, instrument_id: 5482, ts_event: 0n };
  const levels = Array.from({ length: 10 }, () => ({ bid_px: 0n, ask_px: 0n, bid_sz: 0, ask_sz: 0, bid_ct: 0, ask_ct: 0 }));
  const rec = {
    hd,
    price: 0n,
    size: 0,
    action: 'T',
    side: 'A',
    flags: 129,
    depth: 0,
    ts_recv: 0n,
    ts_in_delta: 0,
    sequence: 1170000,
    rtype: hd.rtype,
    ...(kind === 'mbp10' ? { levels } : {}),
  } as unknown as TradeMsg | Mbp10Msg;
  const r = rec as TradeMsg & { levels?: Mbp10Msg['levels'] };
  for (let i = 0; i < n; i++) {
    ts += BigInt(rnd.int(1_000, 40_000_000));
    const step = rnd.next();
    if (step < 0.1) mid -= TICK;
    else if (step > 0.9) mid += TICK;
    hd.ts_event = ts;
    r.ts_recv = ts + BigInt(rnd.int(5_000, 400_000));
    r.ts_in_delta = rnd.int(10_000, 30_000);
    r.sequence++;
    r.size = rnd.int(1, 50);
    r.side = rnd.next() < 0.5 ? 'A' : 'B';
    if (kind === 'trades') {
      r.price = r.side === 'A' ? mid : mid + TICK;
    } else {
      r.action = rnd.next() < 0.1 ? 'T' : rnd.next() < 0.5 ? 'A' : 'C';
      r.depth = rnd.int(0, 9);
      r.flags = 128;
      for (const [l, lv] of levels.entries()) {
        lv.bid_px = mid - BigInt(l) * TICK;
        lv.ask_px = mid + BigInt(l + 1) * TICK;
        lv.bid_sz = rnd.int(1, 80);
        lv.ask_sz = rnd.int(1, 80);
        lv.bid_ct = rnd.int(1, 40);
        lv.ask_ct = rnd.int(1, 40);
      }
      const top = at(levels, r.depth, 'level');
      r.price = r.side === 'A' ? top.ask_px : top.bid_px;
    }
    const p1 = plain.write(rec);
    if (p1) await p1;
    const p2 = zstd.write(rec);
    if (p2) await p2;
  }
  await plain.close();
  await zstd.close();
  // atomically publish (a cut-short generation is never reused)
  renameSync(plainPath + '.part', plainPath);
  renameSync(zstdPath + '.part', zstdPath);
}

// ---------------------------------------------------------------------------------------------
// parent

interface Result {
  ms: number;
  /** user + system CPU time of the whole child (all its threads) */
  cpuMs: number;
  records: number;
  check: number;
  maxRssMB: number;
}

function runChild(mode: Mode, path: string): Result {
  let r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD_JS, mode, path], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    cwd: REPO,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  // the checkout is shared: another `nx build dbn-reader` may be rewriting dist right now
  for (let retry = 0; r.status !== 0 && /ERR_MODULE_NOT_FOUND|SyntaxError/.test(r.stderr) && retry < 10; retry++) {
    console.log(`(dist of @md/dbn-reader missing or half-written, retrying ${mode} in 15 s)`);
    spawnSync('sleep', ['15']);
    r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD_JS, mode, path], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      cwd: REPO,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  }
  if (r.status !== 0) throw new Error(`child ${mode} ${path} failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Result;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return at(s, Math.floor(s.length / 2), 'run');
};

async function main(): Promise<void> {
  const nTrades = opt('--trades', 5_000_000);
  const nMbp10 = opt('--mbp10', 2_000_000);
  const runs = Math.max(1, opt('--runs', 3));
  const dir = join(tmpdir(), 'md-bench-dbn');
  mkdirSync(dir, { recursive: true });
  const la0 = loadavg();
  console.log(
    `dbn-decode bench: node ${process.version}, seed ${SEED}, ${runs} runs per case, loadavg at start ${la0.map((x) => x.toFixed(2)).join(' ')}`,
  );

  const files: Array<{ kind: 'trades' | 'mbp10'; n: number; plain: string; zstd: string }> = [
    { kind: 'trades', n: nTrades, plain: join(dir, `trades-${SEED}-${nTrades}.dbn`), zstd: join(dir, `trades-${SEED}-${nTrades}.dbn.zst`) },
    { kind: 'mbp10', n: nMbp10, plain: join(dir, `mbp10-${SEED}-${nMbp10}.dbn`), zstd: join(dir, `mbp10-${SEED}-${nMbp10}.dbn.zst`) },
  ];
  for (const f of files) {
    if (existsSync(f.plain) && existsSync(f.zstd)) {
      console.log(`reusing ${f.plain} (+ .zst)`);
      continue;
    }
    const t0 = Date.now();
    await generate(f.kind, f.n, f.plain, f.zstd);
    console.log(
      `generated ${f.n.toLocaleString('en-US')} ${f.kind} records in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${f.plain} (+ .zst)`,
    );
  }

  const modes: Mode[] = ['floor', 'iterate', 'batches', 'scan'];
  if (flag('--events')) modes.push('events');
  const rows: string[][] = [];
  const header = ['file', 'MB on disk', 'case', 'median ms', 'records/s', 'x floor', 'CPU ms', 'records/CPU-s', 'peak RSS MB (max)'];
  for (const f of files) {
    for (const path of [f.plain, f.zstd]) {
      const label = `${f.kind} ${path.endsWith('.zst') ? 'zstd' : 'plain'}`;
      let floorMs = NaN;
      for (const mode of modes) {
        const res: Result[] = [];
        for (let i = 0; i < runs; i++) res.push(runChild(mode, path));
        const ms = median(res.map((r) => r.ms));
        const cpuMs = median(res.map((r) => r.cpuMs));
        const rss = Math.max(...res.map((r) => r.maxRssMB));
        if (mode === 'floor') floorMs = ms;
        const recs = at(res, 0, 'run').records;
        if (mode !== 'floor' && mode !== 'events' && recs !== f.n) throw new Error(`${label} ${mode}: ${recs} records, expected ${f.n}`);
        const perSec = mode === 'floor' ? '-' : recs < 0 ? 'n/a (mapping not exported yet)' : `${(((recs / ms) * 1000) / 1e6).toFixed(2)}M`;
        const row = [
          label,
          (statSync(path).size / 1e6).toFixed(0),
          mode === 'events' ? 'events (dbn-events mapping)' : mode,
          ms.toFixed(0),
          perSec,
          mode === 'floor' ? '1.00' : (ms / floorMs).toFixed(2),
          cpuMs.toFixed(0),
          mode === 'floor' || recs < 0 ? '-' : `${(((recs / cpuMs) * 1000) / 1e6).toFixed(2)}M`,
          rss.toFixed(0),
        ];
        rows.push(row);
        console.log(row.join(' | '));
      }
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => at(r, i, 'cell').length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(at(widths, i)) : c.padStart(at(widths, i)))).join('  ');
  console.log('\n' + line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  if (!flag('--events')) {
    console.log('\ncanonical events/s: not measured here without --events (the mapping belongs to the dbn-events helper).');
  }
  const la1 = loadavg();
  console.log(`loadavg at end ${la1.map((x) => x.toFixed(2)).join(' ')} (2 shared cores: figures are noisy)`);
  if (flag('--clean')) {
    for (const f of files) for (const p of [f.plain, f.zstd]) rmSync(p, { force: true });
    console.log(`deleted the generated files in ${dir}`);
  }
}

await main();
