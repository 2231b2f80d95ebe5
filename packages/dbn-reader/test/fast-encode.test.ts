/**
 * The fast path encoder (src/fast) against the object path (mapping.ts + @md/event-types encode + dbnMsgId):
 * byte-identical bodies and identical message ids, on random records of every mapped schema (trades ->
 * FuturesTrade, MBP-10 -> MBP10, trades and MBP-1/TBBO -> OptionTrade) built with the project's DBN encoder,
 * with sentinels and extreme values, and on the real fixtures and a generated sample session.
 * FAST_ENCODE_SEED repeats a run (the seed is printed).
 */
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '@md/test-support';
import { encode, EncodeError, type MarketEvent, type Publishable } from '@md/event-types';
import { decodeRecord } from '../src/decode/record.js';
import { fastEncodeFile } from '../src/fast/file.js';
import { FAST_SUBJECTS, FastEncoder, OutBuffer, type FastReason } from '../src/fast/encode.js';
import { DbnMappingError, mapDbnFile, toFuturesTrade, toMbp10, toOptionTrade, type DbnEventKind, type MapContext } from '../src/mapping.js';
import type { BidAskPair, DbnRecord, Mbp10Msg, Mbp1Msg, TradeMsg } from '../src/records.js';
import { generateSampleSession } from '../src/sample.js';
import { SymbolMap } from '../src/symbology.js';
import { UNDEF_TIMESTAMP } from '../src/constants.js';
import { DbnEncoder, encodeRecordInto } from '../src/encoder.js';
import type { DbnMetadataInput } from '../src/metadata.js';
import { DAY0_NS, FIXTURES, fx, GLBX_TRADES_META, HAVE_FIXTURES, HOUR_NS, mbp10, symbolMapping, tempDir, trade } from './events-helpers.js';

const SEED = Number(process.env.FAST_ENCODE_SEED ?? Date.now() % 2 ** 31);
console.log(`[fast-encode] seed ${SEED} (FAST_ENCODE_SEED=${SEED} repeats this run)`);
const N = Number(process.env.FAST_ENCODE_N ?? 6000);

const U64_MAX = 2n ** 64n - 1n;
const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);
const td = new TextDecoder();

// ---- random values -----------------------------------------------------------------------------------------

function u64(r: Rng): bigint {
  switch (r.int(0, 9)) {
    case 0:
      return BigInt(r.int(0, 1000)); // near 0
    case 1:
      return r.pick([U64_MAX, U64_MAX - 1n, I64_MAX, I64_MAX + 1n, I64_MAX - 1n, 2n ** 53n, 2n ** 53n - 1n, 2n ** 53n + 1n]);
    case 2:
      return I64_MAX - BigInt(r.int(0, 5_000_000_000)); // just below 2^63
    case 3:
      return r.u64(); // anywhere (half of them above INT64_MAX)
    case 4:
      return BigInt(r.u32()) * 2n ** 32n + BigInt(r.pick([0, 1, 0xffffffff, r.u32()])); // half boundaries
    case 5:
      return BigInt(r.int(0, 2 ** 21)) * 2n ** 32n + BigInt(r.u32()); // around 2^53
    default:
      return 1_735_826_400_000_000_000n + BigInt(r.int(0, 86_400)) * 1_000_000_000n + BigInt(r.int(0, 999_999_999));
  }
}

/** fixed-point prices (1e-9): ticks, sentinels, extremes, every digit count, negatives */
function priceRaw(r: Rng): bigint {
  const sign = r.next() < 0.2 ? -1n : 1n;
  switch (r.int(0, 11)) {
    case 0:
      return r.pick([
        2n ** 63n - 1n,
        I64_MIN,
        I64_MAX - 1n,
        I64_MIN + 1n,
        0n,
        1n,
        -1n,
        2n ** 53n,
        -(2n ** 53n),
        2n ** 53n + 1n,
        2n ** 53n - 1n,
        99_999n,
        -99_999n,
        100_000n,
        -100_000n,
        100_001n,
        999_999_999_999_999n,
        1_000_000_000n,
      ]);
    case 1:
      return sign * BigInt(r.int(0, 200_000)); // below and around 1e-4
    case 2:
      return BigInt.asIntN(64, sign * (r.u64() >> BigInt(r.int(0, 63)))); // any magnitude
    case 3:
      return BigInt.asIntN(64, sign * BigInt(r.int(1, 9)) * 10n ** BigInt(r.int(0, 18))); // one digit, any exponent
    case 4: {
      // exactly 14..17 significant digits
      const d = r.int(14, 17);
      const m = BigInt(10 ** (d - 1) + Math.floor(r.next() * 9 * 10 ** (d - 1)));
      return BigInt.asIntN(64, sign * m * 10n ** BigInt(r.int(0, 3)));
    }
    case 5:
      return sign * (2n ** 53n - BigInt(r.int(0, 1000))); // at the exact-double edge
    default:
      return sign * BigInt(r.int(1, 40_000)) * BigInt(r.pick([250_000_000, 10_000_000, 1_000_000, 1, 5, 25_000_000, 1_000_000_000]));
  }
}

const SIDES = ['A', 'B', 'N', '', 'a', 'Z', '\u00ff'];
const SYMBOLS = ['ESH5', 'E', 'UNMAPPED:42', 'ES.c.0', 'é€ß', 'a"b\\c', 'tab\there', '\u0001', '\ud800lone', ''];
const OPTION_SYMBOLS = [
  'SPY   251216C00676000',
  'SPY   251216P00676500',
  'O:SPY251216C00676000',
  'BRK.B 260116C00500000',
  'QQQ   250102C00000001',
  'SPY   251301C00676000',
  'ESH5',
  'UNMAPPED:7',
  'O:SPY251216X00676000',
  '',
];

function level(r: Rng): BidAskPair {
  const undef = r.next() < 0.15;
  return {
    bid_px: undef || r.next() < 0.1 ? I64_MAX : priceRaw(r),
    ask_px: r.next() < 0.15 ? I64_MAX : priceRaw(r),
    bid_sz: r.pick([0, 1, 0xffffffff, r.u32(), r.int(0, 100)]),
    ask_sz: r.pick([0, 1, 0xffffffff, r.u32(), r.int(0, 100)]),
    bid_ct: r.u32(),
    ask_ct: r.u32(),
  };
}

function record(r: Rng, rtype: number): DbnRecord {
  const base = {
    hd: { length: 0, rtype, publisher_id: r.pick([1, 2, 30, 41, 42, 0, 65535, r.int(0, 65535)]), instrument_id: r.u32(), ts_event: u64(r) },
    price: r.next() < 0.05 ? I64_MAX : priceRaw(r),
    size: r.pick([0, 1, 0xffffffff, r.u32()]),
    action: r.pick(['T', 'A', 'C', 'M', 'R', 'F', 'N', '']),
    side: r.pick(SIDES),
    flags: r.int(0, 255),
    depth: r.int(0, 255),
    ts_recv: r.next() < 0.03 ? U64_MAX : u64(r),
    ts_in_delta: r.int(-(2 ** 31), 2 ** 31 - 1),
    sequence: r.pick([0, 0xffffffff, r.u32()]),
    rtype,
  };
  if (rtype === 0x00) return base as TradeMsg;
  if (rtype === 0x01) return { ...base, levels: [level(r)] } as Mbp1Msg;
  return { ...base, levels: Array.from({ length: 10 }, () => level(r)) } as Mbp10Msg;
}

// ---- the two paths -----------------------------------------------------------------------------------------

type Outcome = { kind: 'event'; subject: string; body: string; id: string } | { kind: FastReason; message?: string };

const WANT: Record<DbnEventKind, number[]> = { trades: [0x00], mbp10: [0x0a], options: [0x00, 0x01] };

function objectPath(rec: DbnRecord, kind: DbnEventKind, symbol: string, ctx: MapContext): Outcome {
  if (!WANT[kind].includes(rec.hd.rtype)) return { kind: 'skipped' };
  let p: Publishable;
  try {
    p =
      kind === 'trades'
        ? toFuturesTrade(rec as TradeMsg, symbol, ctx)
        : kind === 'mbp10'
          ? toMbp10(rec as Mbp10Msg, symbol, ctx)
          : toOptionTrade(rec as Mbp1Msg, symbol, ctx);
  } catch (e) {
    if (e instanceof DbnMappingError) return { kind: 'invalid', message: e.message };
    throw e;
  }
  try {
    return { kind: 'event', subject: p.subject, body: td.decode(encode(p.event as MarketEvent, p.subject)), id: p.msgId };
  } catch (e) {
    if (e instanceof EncodeError) return { kind: 'refused' };
    throw e;
  }
}

function fastPath(
  enc: FastEncoder,
  bytes: Uint8Array,
  offset: number,
  size: number,
  index: number,
  symbol: string,
  out: OutBuffer,
): Outcome {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = enc.encode({ bytes, view, offset, size }, index, symbol, out);
  if (r === null) {
    const why = enc.reason ?? 'refused';
    return why === 'invalid' ? { kind: why, message: enc.message() } : { kind: why };
  }
  expect(r.bodyEnd).toBe(r.idStart);
  return {
    kind: 'event',
    subject: FAST_SUBJECTS[r.subject] ?? '?',
    body: td.decode(out.view(r.bodyStart, r.bodyEnd)),
    id: td.decode(out.view(r.idStart, r.idEnd)),
  };
}

const KINDS: DbnEventKind[] = ['trades', 'mbp10', 'options'];
const DATASETS = ['GLBX.MDP3', null, undefined, '', 'OPRA.PILLAR', 'XNAS.ITCH'];
const FILES = ['glbx-mdp3-20250102.trades.dbn.zst', 'a:b:c.dbn', 'fïlé €.dbn', ''];

describe(`fast path = object path, random records (seed ${SEED})`, () => {
  for (const kind of KINDS) {
    it(`${kind}: identical bodies, ids and refusals over ${N} records per kind`, () => {
      const r = new Rng(SEED + KINDS.indexOf(kind));
      const counts: Record<string, number> = { event: 0, skipped: 0, invalid: 0, refused: 0 };
      const slow = { n: 0 };
      const kept: Array<{ start: number; end: number; text: string }> = [];
      let out = new OutBuffer(1024); // small: grows many times, earlier events must survive it
      let enc = new FastEncoder({ kind, fileBaseName: r.pick(FILES), dataset: r.pick(DATASETS) });
      let prev: Mbp10Msg | null = null;
      const scratch = new Uint8Array(4096);
      const sdv = new DataView(scratch.buffer);
      for (let i = 0; i < N; i++) {
        if (i % 500 === 0) {
          enc = new FastEncoder({ kind, fileBaseName: r.pick(FILES), dataset: r.pick(DATASETS) });
          out = new OutBuffer(1024);
          kept.length = 0;
        }
        const rtype =
          kind === 'mbp10'
            ? r.next() < 0.9
              ? 0x0a
              : 0x00
            : kind === 'options'
              ? r.pick([0x00, 0x01, 0x0a])
              : r.pick([0x00, 0x00, 0x00, 0x01, 0x0a]);
        const rec = record(r, rtype);
        if (rtype === 0x0a && prev !== null && r.next() < 0.5) {
          // a book that mostly repeats the last one (the encoders' per-slot price memos), with prices that
          // share one 32-bit half of the last one's
          const p = prev;
          (rec as Mbp10Msg).levels = p.levels.map((l) => {
            const x = r.next();
            const shift = (v: bigint): bigint => BigInt.asIntN(64, v + r.pick([2n ** 32n, -(2n ** 32n), 1n]));
            return x < 0.6 ? l : x < 0.8 ? { ...l, bid_px: shift(l.bid_px), ask_px: shift(l.ask_px) } : level(r);
          });
        }
        if (rtype === 0x0a) prev = rec as Mbp10Msg;
        const tsOut = r.next() < 0.2;
        if (tsOut) rec.ts_out = u64(r);
        const offset = r.int(0, 64) * 4 + r.int(0, 3); // unaligned too
        const size = encodeRecordInto(rec, scratch, sdv, offset, 3, tsOut);
        const decoded = decodeRecord(scratch, offset, { tsOut }) as DbnRecord;
        const symbol = kind === 'options' ? r.pick(OPTION_SYMBOLS) : r.pick(SYMBOLS);
        const index = r.pick([0, i, 2 ** 53 - 1, r.int(0, 2 ** 31)]);
        const ctx: MapContext = { fileBaseName: enc.ctx.fileBaseName, recordIndex: index, dataset: enc.ctx.dataset };
        const want = objectPath(decoded, kind, symbol, ctx);
        const before = out.pos;
        const got = fastPath(enc, scratch, offset, size, index, symbol, out);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          // the whole case, to repeat by hand
          console.error(`[fast-encode] seed ${SEED} record ${i} differs`, { rec, symbol, index, ctx, want, got });
        }
        expect(got).toStrictEqual(want);
        counts[got.kind] = (counts[got.kind] ?? 0) + 1;
        if (got.kind === 'event') {
          kept.push({ start: before, end: out.pos, text: got.body + got.id });
          if (/e[-+]\d/.test(got.body)) slow.n++;
        }
      }
      // every event written since the last reset is still there after the growths
      for (const k of kept) expect(td.decode(out.view(k.start, k.end))).toBe(k.text);
      console.log(`[fast-encode] ${kind}: ${JSON.stringify(counts)}, ${slow.n} bodies with exponent floats`);
      expect(counts.event).toBeGreaterThan(N / 10);
      expect(counts.invalid).toBeGreaterThan(0);
      expect(counts.refused).toBeGreaterThan(0);
      expect(counts.skipped).toBeGreaterThan(0);
    });
  }
});

// ---- whole files ------------------------------------------------------------------------------------------

async function compareFile(path: string, kind: DbnEventKind, symbols?: SymbolMap): Promise<number> {
  const want: string[] = [];
  const m = mapDbnFile(path, { kind, symbols });
  for await (const p of m) {
    try {
      want.push(`${p.subject}\t${td.decode(encode(p.event, p.subject))}\t${p.msgId}`);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      want.push('refused'); // the replay skips and counts it
    }
  }
  const got: string[] = [];
  const stats = await fastEncodeFile(path, { kind, symbols }, (out, r) => {
    got.push(`${FAST_SUBJECTS[r.subject]}\t${td.decode(out.view(r.bodyStart, r.bodyEnd))}\t${td.decode(out.view(r.idStart, r.idEnd))}`);
  });
  const wanted = want.filter((w) => w !== 'refused');
  // the first difference only (a whole file's events would flood the report)
  const i = got.findIndex((g, j) => g !== wanted[j]);
  expect(i < 0 ? null : { file: path, kind, event: i, got: got[i], want: wanted[i] }).toBeNull();
  expect(got.length).toBe(wanted.length);
  const s = m.stats;
  expect({ ...stats, refused: undefined }).toStrictEqual({
    records: s.records,
    events: s.events - (want.length - wanted.length),
    skipped: s.skipped,
    invalid: s.invalid,
    refused: undefined,
    unmapped: s.unmapped,
    symbolMappings: s.symbolMappings,
  });
  expect(stats.refused).toBe(want.length - wanted.length);
  return got.length;
}

describe('fast path = object path on a generated file: symbology in the stream, fallback, unmapped, invalid', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let file: string;
  const D0 = DAY0_NS; // 2025-01-02T00:00Z
  const H = HOUR_NS;
  const meta: DbnMetadataInput = GLBX_TRADES_META;
  const recs: DbnRecord[] = [
    trade({ id: 42, ts: D0 + H, sequence: 1 }),
    trade({ id: 7, ts: D0 + H + 1000n, sequence: 2 }), // unmapped until the mapping below
    trade({ id: 5, ts: D0 + H + 2000n, sequence: 3 }), // from the fallback map
    symbolMapping(7, 'ESM5', D0 + 2n * H, UNDEF_TIMESTAMP),
    trade({ id: 7, ts: D0 + 3n * H, sequence: 4, side: 'A' }),
    trade({ id: 7, ts: D0 + 3n * H + 1n, sequence: 5, side: 'N' }),
    mbp10({ id: 42, ts: D0 + 3n * H + 5n }), // skipped for trades
    trade({ id: 42, ts: D0 + 3n * H + 10n, sequence: 6, price: I64_MAX }), // invalid
    symbolMapping(42, 'ESH5-NEW', D0 + 4n * H, D0 + 5n * H), // a window inside the metadata's interval
    trade({ id: 42, ts: D0 + 4n * H, sequence: 7 }),
    trade({ id: 42, ts: D0 + 5n * H, sequence: 8 }),
    trade({ id: 5, ts: D0 + 30n * H, sequence: 9 }), // past the fallback's interval: unmapped
    trade({ id: 9, ts: D0 + 6n * H, sequence: 10 }),
    { ...trade({ id: 42, ts: 2n ** 63n + 5n, sequence: 11 }), ts_recv: D0 + 6n * H }, // refused by the codec
    trade({ id: 42, ts: D0 + 6n * H + 1n, sequence: 12 }),
  ];
  beforeAll(async () => {
    dir = await tempDir('fast-encode-gen-');
    file = join(dir.dir, 'glbx:mdp3-20250102.trades.dbn.zst');
    await writeFile(file, await DbnEncoder.toBytes(meta, recs, { compression: 'zstd' }));
  });
  afterAll(() => dir.cleanup());
  it('identical events, ids and counts', async () => {
    const fallback = new SymbolMap();
    fallback.addInterval(5, D0, D0 + 24n * H, 'NQH5');
    expect(await compareFile(file, 'trades', fallback)).toBe(10);
    expect(await compareFile(file, 'mbp10', fallback)).toBe(1);
  });
});

const KIND_OF: Array<[RegExp, DbnEventKind[]]> = [
  [/\.trades\./, ['trades', 'options']],
  [/\.mbp-10\./, ['mbp10']],
  [/\.(tbbo|mbp-1)\./, ['options', 'trades']],
];

describe.skipIf(!HAVE_FIXTURES)(`fast path = object path on the Databento fixtures (${FIXTURES})`, () => {
  it('every trades, MBP-10, MBP-1 and TBBO fixture, every version', async () => {
    const files = HAVE_FIXTURES ? readdirSync(FIXTURES).filter((f) => /\.dbn(\.zst)?$/.test(f)) : [];
    let events = 0;
    let n = 0;
    for (const f of files) {
      for (const [re, kinds] of KIND_OF) {
        if (!re.test(f)) continue;
        for (const kind of kinds) {
          events += await compareFile(fx(f), kind);
          n++;
        }
      }
    }
    console.log(`[fast-encode] fixtures: ${n} file/kind pairs, ${events} events identical`);
    expect(n).toBeGreaterThanOrEqual(12);
    expect(events).toBeGreaterThan(0);
  });
});

describe('fast path = object path on a generated sample session', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let files: { trades: string | null; mbp10: string | null; options: string | null };
  beforeAll(async () => {
    dir = await tempDir('fast-encode-');
    files = await generateSampleSession({ root: dir.dir, seed: SEED, trades: 20_000, mbp10: 5_000, options: 5_000 });
  });
  afterAll(() => dir.cleanup());
  it('trades, MBP-10 and options files: identical events in order', async () => {
    const n = { trades: 0, mbp10: 0, options: 0 };
    for (const kind of KINDS) {
      const f = files[kind];
      expect(f).not.toBeNull();
      n[kind] = await compareFile(f as string, kind);
    }
    console.log(`[fast-encode] sample session: ${JSON.stringify(n)} events identical`);
    expect(n).toStrictEqual({ trades: 20_000, mbp10: 5_000, options: 5_000 });
  });
});
