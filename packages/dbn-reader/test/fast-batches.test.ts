/**
 * fastEncodedBatches / DbnDataRoot.encodedBatches (the fast replay lane's producer) against the object path:
 * mapDbnFile (or the data root's *Batches) with the same options, each event encoded with @md/event-types
 * `encode`. The rows of all batches (subject, body bytes, id bytes, key, ts_event) must be the object path's
 * events in the same order; warnings and refusals identical; the file closed on an early break.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, EncodeError, halvesToBigInt, type EncodedBatch, type MarketEvent, type Publishable } from '@md/event-types';
import { UNDEF_TIMESTAMP } from '../src/constants.js';
import { DbnEncoder } from '../src/encoder.js';
import { dateToNs, DbnDataRoot, fastEncodedBatches, mapDbnFile, type FastBatchOptions, type MapWarning } from '../src/index.js';
import type { DbnMetadataInput } from '../src/metadata.js';
import type { DbnRecord } from '../src/records.js';
import { generateSampleSession } from '../src/sample.js';
import { SymbolMap } from '../src/symbology.js';
import { DAY0_NS, FIXTURES, fx, GLBX_TRADES_META, HAVE_FIXTURES, HOUR_NS, mbp10, symbolMapping, tempDir, trade } from './events-helpers.js';

interface Row {
  subject: string;
  body: string;
  id: string;
  key: bigint;
  ts: bigint;
}
interface Run {
  rows: Row[];
  warnings: MapWarning[];
  refused: Array<[string, string]>;
}

const bin = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** the object path: mapDbnFile with the same options, then the codec (its refusals kept with their message) */
async function objectRun(input: string | Uint8Array, o: FastBatchOptions): Promise<Run> {
  const run: Run = { rows: [], warnings: [], refused: [] };
  const m = mapDbnFile(input, {
    kind: o.kind,
    start: o.start,
    end: o.end,
    filterOn: o.filterOn,
    endSlackNs: o.endSlackNs,
    unmapped: o.unmapped,
    symbols: o.symbols,
    fileBaseName: o.fileBaseName,
    onWarning: (w) => run.warnings.push(w),
  });
  for await (const p of m) run.rows.push(...encoded([p], o, run));
  return run;
}

function encoded(ps: Publishable[], o: { order?: string; source?: string }, run: Run): Row[] {
  const rows: Row[] = [];
  for (const p of ps) {
    const ev = (o.source !== undefined ? { ...p.event, source: o.source } : p.event) as MarketEvent & {
      ts_event_ns: bigint;
      ts_recv_ns: bigint;
    };
    let bytes: Uint8Array;
    try {
      bytes = encode(ev, p.subject);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      run.refused.push([p.msgId, e.message]);
      continue;
    }
    rows.push({
      subject: p.subject,
      body: bin(bytes),
      id: p.msgId,
      key: o.order === 'ts_recv' ? ev.ts_recv_ns : ev.ts_event_ns,
      ts: ev.ts_event_ns,
    });
  }
  return rows;
}

/** the rows of the batches, with the batch invariants checked */
function rowsOf(b: EncodedBatch, o: { order?: string; source?: string }): Row[] {
  expect(b.length).toBeGreaterThan(0);
  expect(b.source).toBe(o.source ?? 'replay');
  for (const a of [b.subject, b.bodyStart, b.bodyEnd, b.idStart, b.idEnd, b.keyHi, b.keyLo, b.tsHi, b.tsLo])
    expect(a.length).toBe(b.length);
  if (o.order !== 'ts_recv') expect(b.keyHi === b.tsHi && b.keyLo === b.tsLo).toBe(true);
  const td = new TextDecoder('ascii');
  const rows: Row[] = [];
  for (let i = 0; i < b.length; i++) {
    const bs = b.bodyStart[i] as number;
    const be = b.bodyEnd[i] as number;
    const ie = b.idEnd[i] as number;
    expect(be).toBeLessThanOrEqual(ie);
    expect(ie).toBeLessThanOrEqual(b.bytes.length);
    rows.push({
      subject: b.subjects[b.subject[i] as number] as string,
      body: bin(b.bytes.subarray(bs, be)),
      id: td.decode(b.bytes.subarray(b.idStart[i] as number, ie)),
      key: halvesToBigInt(b.keyHi[i] as number, b.keyLo[i] as number),
      ts: halvesToBigInt(b.tsHi[i] as number, b.tsLo[i] as number),
    });
  }
  return rows;
}

async function fastRun(input: string | Uint8Array, o: FastBatchOptions): Promise<Run & { batches: number }> {
  const run = { rows: [] as Row[], warnings: [] as MapWarning[], refused: [] as Array<[string, string]>, batches: 0 };
  const it = fastEncodedBatches(input, { ...o, onWarning: (w) => run.warnings.push(w), onRefused: (id, m) => run.refused.push([id, m]) });
  for await (const b of it) {
    run.batches++;
    run.rows.push(...rowsOf(b, o));
  }
  expect(it.stats.events).toBe(run.rows.length);
  expect(it.stats.refused).toBe(run.refused.length);
  return run;
}

/** both paths on one input and options: identical rows, warnings and refusals; returns the row count */
async function same(input: string | Uint8Array, o: FastBatchOptions): Promise<number> {
  const want = await objectRun(input, o);
  const got = await fastRun(input, o);
  expect(got.rows.length).toBe(want.rows.length);
  expect(got.rows).toStrictEqual(want.rows);
  expect(got.warnings).toStrictEqual(want.warnings);
  expect(got.refused).toStrictEqual(want.refused);
  return got.rows.length;
}

const D0 = DAY0_NS; // 2025-01-02T00:00Z
const H = HOUR_NS;
const T = D0 + H;
const I64_MAX = 2n ** 63n - 1n;

describe('fastEncodedBatches = object path on a generated file (windows, ties, symbology, unmapped, invalid, refused)', () => {
  const meta: DbnMetadataInput = GLBX_TRADES_META;
  const t = (id: number, ts: bigint, recv: bigint, sequence: number, more: Partial<DbnRecord> = {}): DbnRecord =>
    ({ ...trade({ id, ts, sequence, ts_recv: recv }), ...more }) as DbnRecord;
  const recs: DbnRecord[] = [
    t(42, T, T + 5n, 1),
    t(42, T, T + 6n, 2), // tie on ts_event
    t(7, T + 1n, T + 7n, 3), // unmapped until the mapping below
    symbolMapping(7, 'ESM5', T + 8n, UNDEF_TIMESTAMP),
    t(7, T + 2n, T + 8n, 4, { side: 'A' } as Partial<DbnRecord>),
    mbp10({ id: 42, ts: T + 2n }), // skipped for trades
    t(42, T + 2n, T + 9n, 5, { price: I64_MAX } as Partial<DbnRecord>), // UNDEF_PRICE: invalid
    t(42, T + 3n, T + 9n, 6), // tie on ts_recv
    t(9, T + 3n, T + 10n, 7), // never mapped
    t(42, 2n ** 63n + 5n, T + 11n, 8), // ts_event above INT64_MAX: refused by the codec
    t(5, T + 4n, T + 12n, 9), // from the fallback map
    t(42, T + 1n, T + 13n, 10), // ts_event out of order
    t(42, T + 5n, T + 14n, 11),
    t(42, T + 5n, T + 120_000_000_000n, 12), // ts_recv past end + slack for small windows: the object path stops
    t(42, T + 6n, T + 120_000_000_001n, 13),
    t(42, T + 6n, 2n ** 63n + 1n, 14), // ts_recv above INT64_MAX: unmapped there, refused
  ];
  let bytes: Uint8Array;
  let dir: { dir: string; cleanup: () => Promise<void> };
  let path: string;
  const fallback = new SymbolMap();
  fallback.addInterval(5, D0, D0 + 24n * H, 'NQH5');
  const fileBaseName = 'glbx-mdp3-20250102.trades.dbn';
  beforeAll(async () => {
    bytes = await DbnEncoder.toBytes(meta, recs);
    dir = await tempDir('fast-batches-gen-');
    path = join(dir.dir, 'glbx-mdp3-20250102.trades.dbn.zst');
    await writeFile(path, await DbnEncoder.toBytes(meta, recs, { compression: 'zstd' }));
  });
  afterAll(() => dir.cleanup());

  it('no options, every kind, path and bytes; refusals carry the object path id and EncodeError message', async () => {
    expect(await same(path, { kind: 'trades', symbols: fallback })).toBe(11);
    expect(await same(bytes, { kind: 'trades', fileBaseName, symbols: fallback, source: 'sim', order: 'ts_recv' })).toBe(11);
    expect(await same(bytes, { kind: 'mbp10', fileBaseName })).toBe(1);
    expect(await same(bytes, { kind: 'options', fileBaseName })).toBe(0); // ESH5 is no option symbol: all invalid
    const got = await fastRun(path, { kind: 'trades' });
    expect(got.refused.map(([, m]) => m)).toStrictEqual([
      'ts_event_ns: 9223372036854775813 is outside the int64 range (encoding futures.trades.v1)',
      'ts_recv_ns: 9223372036854775809 is outside the int64 range (encoding futures.trades.v1)',
    ]);
    expect(got.refused[0]?.[0]).toBe(`market.futures.trades:42:${T + 11n}:8:glbx-mdp3-20250102.trades.dbn.zst:9`);
    expect(got.rows.some((r) => r.id.includes(':8:'))).toBe(false);
    expect(got.warnings.map((w) => w.kind)).toStrictEqual(['unmapped', 'invalid', 'unmapped', 'unmapped', 'unmapped']);
  });

  it('symbology problems of the metadata as the object path reports them (also for a file without records)', async () => {
    const bad: DbnMetadataInput = {
      ...meta,
      mappings: [
        { rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '42' }] },
        { rawSymbol: 'BAD', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: 'x1' }] },
      ],
    };
    const b = await DbnEncoder.toBytes(bad, [t(42, T, T + 1n, 1), t(43, T + 1n, T + 2n, 2), mbp10({ id: 42, ts: T + 2n })]);
    for (const kind of ['trades', 'mbp10'] as const) await same(b, { kind, fileBaseName });
    const got = await fastRun(b, { kind: 'trades', fileBaseName });
    expect(got.rows.length).toBe(2);
    expect(got.warnings.map((w) => w.kind)).toStrictEqual(['symbology', 'unmapped']);
    expect(got.warnings[0]?.message).toBe('mapping "BAD": instrument id "x1" is not a u32; interval ignored');
    // an empty file (metadata only) still reports them
    const none = await fastRun(await DbnEncoder.toBytes(bad, []), { kind: 'trades', fileBaseName });
    expect([none.rows.length, none.warnings.map((w) => w.kind)]).toStrictEqual([0, ['symbology']]);
  });

  it('every start/end window on the edges (ties included), filterOn, unmapped skip/fallback, slack, order, source', async () => {
    const edges = [undefined, -1n, 0n, T, T + 1n, T + 2n, T + 3n, T + 5n, T + 6n, T + 9n, T + 14n, 2n ** 63n + 5n, 2n ** 64n + 3n];
    let runs = 0;
    let rows = 0;
    for (const start of edges) {
      for (const end of edges) {
        for (const filterOn of ['ts_event', 'ts_recv'] as const) {
          for (const unmapped of ['fallback', 'skip'] as const) {
            const i = runs++;
            const o: FastBatchOptions = { kind: 'trades', fileBaseName, symbols: fallback, start, end, filterOn, unmapped };
            if (i % 2 === 1) o.order = 'ts_recv';
            if (i % 3 === 1) o.source = 'sim';
            if (i % 5 === 2) o.endSlackNs = 0n;
            rows += await same(bytes, o);
          }
        }
      }
    }
    expect(runs).toBe(13 * 13 * 4);
    expect(rows).toBeGreaterThan(runs); // windows keep something on the whole
  });
});

describe('fastEncodedBatches on a generated sample session: many chunks, records across chunk edges', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let files: Awaited<ReturnType<typeof generateSampleSession>>;
  let plain: Awaited<ReturnType<typeof generateSampleSession>>;
  beforeAll(async () => {
    dir = await tempDir('fast-batches-sample-');
    files = await generateSampleSession({ root: join(dir.dir, 'z'), seed: 3, trades: 20_000, mbp10: 3_000, options: 3_000 });
    plain = await generateSampleSession({
      root: join(dir.dir, 'p'),
      seed: 4,
      trades: 20_000,
      mbp10: 3_000,
      options: 3_000,
      compression: 'none',
    });
  });
  afterAll(() => dir.cleanup());

  it('every kind, zstd and plain, small chunks, a window, source sim', async () => {
    for (const s of [files, plain]) {
      for (const kind of ['trades', 'mbp10', 'options'] as const) {
        const f = s[kind] as string;
        const n = await same(f, { kind, source: 'sim', chunkSize: 10_007 });
        expect(n).toBe(s.counts[kind]);
        const all = await fastRun(f, { kind, chunkSize: 10_007 });
        // zstd output comes in 256 KiB pieces, a plain file in chunkSize reads: one batch per piece
        if (s === plain) expect(all.batches).toBeGreaterThan(kind === 'trades' ? 10 : 1);
        else if (kind !== 'options') expect(all.batches).toBeGreaterThan(1);
        const [lo, hi] = [all.rows[Math.floor(n / 3)]?.ts as bigint, all.rows[Math.floor((2 * n) / 3)]?.ts as bigint];
        expect(await same(f, { kind, start: lo, end: hi, order: 'ts_recv' })).toBeGreaterThan(0);
        expect(await same(f, { kind, start: lo, end: hi, filterOn: 'ts_recv', unmapped: 'skip' })).toBeGreaterThan(0);
      }
    }
  });

  it('a batch handed out is never written again; each batch has its own arrays', async () => {
    const kept: Array<{ b: EncodedBatch; copy: Uint8Array; cols: Int32Array }> = [];
    for await (const b of fastEncodedBatches(plain.trades as string, { kind: 'trades', chunkSize: 50_000 })) {
      for (const k of kept) expect(k.b.bytes.buffer).not.toBe(b.bytes.buffer);
      kept.push({ b, copy: b.bytes.slice(), cols: b.bodyStart.slice() });
    }
    expect(kept.length).toBeGreaterThan(5);
    for (const k of kept) {
      expect(Buffer.compare(k.b.bytes, k.copy)).toBe(0);
      expect(
        Buffer.compare(Buffer.from(k.b.bodyStart.buffer, k.b.bodyStart.byteOffset, k.b.bodyStart.byteLength), Buffer.from(k.cols.buffer)),
      ).toBe(0);
    }
  });

  const openFds = (path: string): number => {
    let n = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
      } catch {
        // gone meanwhile
      }
    }
    return n;
  };
  it.skipIf(process.platform !== 'linux')('breaking out of the loop closes the file (checked in /proc/self/fd)', async () => {
    const f = plain.trades as string;
    let seen = 0;
    let openWhileReading = 0;
    for await (const b of fastEncodedBatches(f, { kind: 'trades', chunkSize: 50_000 })) {
      seen += b.length;
      openWhileReading = openFds(f);
      break;
    }
    expect(seen).toBeGreaterThan(0);
    expect(openWhileReading).toBe(1);
    expect(openFds(f)).toBe(0);
  });

  it('DbnDataRoot.encodedBatches = the *Batches methods encoded (same file, symbology.json fallback, warnings)', async () => {
    for (const [root, s] of [[join(dir.dir, 'z'), files] as const, [join(dir.dir, 'p'), plain] as const]) {
      const wWant: MapWarning[] = [];
      const wGot: MapWarning[] = [];
      const ref = new DbnDataRoot(root, { onWarning: (w) => wWant.push(w) });
      const dr = new DbnDataRoot(root, { onWarning: (w) => wGot.push(w) });
      const date = s.date;
      const mid = dateToNs(date) + 14n * H + 30n * 60_000_000_000n;
      for (const kind of ['trades', 'mbp10', 'options'] as const) {
        for (const o of [
          {},
          { start: mid, end: mid + H, order: 'ts_recv' as const, source: 'sim' as const },
          { filterOn: 'ts_recv' as const, end: mid },
        ]) {
          const want: Run = { rows: [], warnings: [], refused: [] };
          const src =
            kind === 'trades' ? ref.tradesBatches(date, o) : kind === 'mbp10' ? ref.mbp10Batches(date, o) : ref.optionsBatches(date, o);
          for await (const ps of src) want.rows.push(...encoded(ps, o, want));
          const got: Row[] = [];
          const refused: Array<[string, string]> = [];
          for await (const b of dr.encodedBatches(kind, date, { ...o, onRefused: (id, m) => refused.push([id, m]) }))
            got.push(...rowsOf(b, o));
          expect(got).toStrictEqual(want.rows);
          expect(refused).toStrictEqual(want.refused);
        }
      }
      expect(wGot).toStrictEqual(wWant);
    }
  });

  it('DbnDataRoot.encodedBatches: a file without mappings takes the folder symbology.json; unmapped ids warn', async () => {
    const r1 = join(dir.dir, 'symjson');
    await mkdir(join(r1, 'trades'), { recursive: true });
    const recs = [trade({ id: 42, ts: D0 + 1000n }), trade({ id: 43, ts: D0 + 2000n }), trade({ id: 42, ts: D0 + 3000n })];
    const m: DbnMetadataInput = { dataset: 'GLBX.MDP3', schema: 'trades', start: D0, stypeIn: 'raw_symbol', stypeOut: 'instrument_id' };
    await writeFile(join(r1, 'trades', 'glbx-mdp3-20250102.trades.dbn'), await DbnEncoder.toBytes(m, recs));
    const result = { ESH5: [{ d0: '2025-01-02', d1: '2025-01-03', s: '42' }] };
    await writeFile(join(r1, 'trades', 'symbology.json'), JSON.stringify({ result, stype_in: 'raw_symbol', stype_out: 'instrument_id' }));
    for (const unmapped of ['fallback', 'skip'] as const) {
      const warnings: MapWarning[] = [];
      const r = new DbnDataRoot(r1, { onWarning: (w) => warnings.push(w) });
      const want: Run = { rows: [], warnings: [], refused: [] };
      for await (const ps of r.tradesBatches('2025-01-02', { unmapped })) want.rows.push(...encoded(ps, {}, want));
      const nWant = warnings.length;
      const got: Row[] = [];
      for await (const b of r.encodedBatches('trades', '2025-01-02', { unmapped })) got.push(...rowsOf(b, {}));
      expect(got).toStrictEqual(want.rows);
      expect(got.map((x) => /"symbol":"([^"]*)"/.exec(x.body)?.[1])).toStrictEqual(
        unmapped === 'skip' ? ['ESH5', 'ESH5'] : ['ESH5', 'UNMAPPED:43', 'ESH5'],
      );
      expect(nWant).toBe(1);
      expect(warnings.slice(nWant)).toStrictEqual(warnings.slice(0, nWant));
    }
  });
});

const KIND_OF: Array<[RegExp, Array<'trades' | 'mbp10' | 'options'>]> = [
  [/\.trades\./, ['trades', 'options']],
  [/\.mbp-10\./, ['mbp10']],
  [/\.(tbbo|mbp-1)\./, ['options', 'trades']],
];

describe.skipIf(!HAVE_FIXTURES)(`fastEncodedBatches = object path on the Databento fixtures (${FIXTURES})`, () => {
  it('every trades, MBP-10, MBP-1 and TBBO fixture (v1-v3, plain and zst): whole, windows, ts_recv, skip, sim', async () => {
    const names = HAVE_FIXTURES ? readdirSync(FIXTURES).filter((f) => /\.dbn(\.zst)?$/.test(f)) : [];
    let pairs = 0;
    let rows = 0;
    for (const name of names) {
      for (const [re, kinds] of KIND_OF) {
        if (!re.test(name)) continue;
        for (const kind of kinds) {
          const f = fx(name);
          const n = await same(f, { kind });
          rows += n;
          pairs++;
          const all = await objectRun(f, { kind });
          const ts = all.rows.map((r) => r.ts).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const lo = ts[Math.floor(ts.length / 3)] ?? 0n;
          const hi = ts[Math.floor((2 * ts.length) / 3)] ?? 0n;
          await same(f, { kind, start: lo, end: hi });
          await same(f, { kind, start: lo, end: hi, filterOn: 'ts_recv', order: 'ts_recv', source: 'sim' });
          await same(f, { kind, start: lo, unmapped: 'skip' });
        }
      }
    }
    console.log(`[fast-batches] fixtures: ${pairs} file/kind pairs, ${rows} rows identical`);
    expect(pairs).toBeGreaterThanOrEqual(12);
    expect(rows).toBeGreaterThan(0);
  });
});
