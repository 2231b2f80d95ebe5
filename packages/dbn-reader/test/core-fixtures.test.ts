/**
 * Databento's own test files (DBN_FIXTURES_DIR, default ../shared/fixtures/dbn next to the repository): every one decodes, metadata is right, the
 * plain / zstd / v1 / v2 / v3 copies agree record for record, and the trades, MBP-1 and MBP-10
 * records carry the exact values (literal expectations from databento-cpp's
 * tests/src/dbn_decoder_tests.cpp, obtained there with the `dbn` CLI; MBP-10 levels 3-9 read by
 * hand from the raw bytes) and match an independent DataView reader at the documented offsets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeDbn, SCHEMA_NAMES, UNDEF_PRICE, UNDEF_STAT_QUANTITY, type AnyDbnRecord, type DbnMetadata } from '../src/index.js';
import {
  decodeAll,
  flatMbp,
  HAVE_FIXTURES,
  listFixtures,
  plainBytesOf,
  rawMbp,
  rawWalk,
  warnIfNoFixtures,
  type Fixture,
} from './helpers-core.js';
import { nth, pair } from './narrow.js';

warnIfNoFixtures('core-fixtures');
const fixtures = listFixtures();
const opts = (f: Fixture) => (f.fragment ? { version: f.version } : {});
const byName = (n: string): Fixture => {
  const f = fixtures.find((x) => x.name === n);
  if (!f) throw new Error(`fixture ${n} missing`);
  return f;
};
const familyOf = (family: string, fragment = false) =>
  fixtures.filter((f) => f.family === family && f.fragment === fragment && !f.multiFrame);

async function recordsOf(f: Fixture, policy: 'upgrade' | 'as-is' = 'upgrade'): Promise<AnyDbnRecord[]> {
  const r = await decodeAll(f.path, { ...opts(f), upgradePolicy: policy });
  if (r.error) throw r.error;
  return r.records;
}

const GLBX = ['trades', 'tbbo', 'mbp-1', 'mbp-10', 'mbo', 'ohlcv-1s', 'status', 'cmbp-1'];

describe.skipIf(!HAVE_FIXTURES)('every fixture decodes', () => {
  it('finds the fixture set described in its README', () => {
    expect(fixtures.length).toBe(50);
    expect(fixtures.filter((f) => f.fragment).length).toBe(7);
    expect(fixtures.filter((f) => f.zstd).length).toBe(35);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_n, f) => {
    const plain = plainBytesOf(f.path);
    const walk = rawWalk(plain, f.fragment ? f.version : undefined);
    const expectedCount = f.multiFrame ? 8 : f.family === 'status' ? 4 : 2;
    expect(walk.records.length).toBe(expectedCount);

    // from the path (file chunks), and from the bytes in memory: same records
    const s = decodeDbn(f.path, { ...opts(f), upgradePolicy: 'as-is' });
    const recs: AnyDbnRecord[] = [];
    for await (const r of s) recs.push(r);
    expect(recs.length).toBe(expectedCount);
    expect(s.stats.records).toBe(expectedCount);
    expect(s.stats.skippedUnknown).toBe(0);
    expect(s.stats.bytes).toBe(plain.length);
    const fromBytes = await decodeAll(new Uint8Array(readFileSync(f.path)), { ...opts(f), upgradePolicy: 'as-is' });
    expect(fromBytes.error).toBeUndefined();
    expect(fromBytes.records).toEqual(recs);

    // as-is: every record keeps its own header (length, rtype) exactly as in the bytes
    recs.forEach((r, i) => {
      expect(r.hd.length * 4).toBe(nth(walk.records, i).size);
      expect(r.hd.rtype).toBe(nth(walk.records, i).rtype);
      expect(r.rtype).toBe(nth(walk.records, i).rtype);
    });

    const md = await s.metadata();
    if (f.fragment) {
      expect(md).toBeNull();
    } else {
      expect(md).not.toBeNull();
      expect(md!.sourceVersion).toBe(walk.version);
      expect(md!.version).toBe(walk.version); // as-is
      expect(md!.symbolCstrLen).toBe(walk.version === 1 ? 22 : 71);
      expect(md!.tsOut).toBe(false);
      expect(md!.limit).toBe(f.family === 'status' ? 4n : 2n);
      expect(md!.schema).toBe(f.family);
    }
  });

  it('the multi-frame fragment really is 8 zstd frames, and all 8 records come out', async () => {
    const f = byName('multi-frame.definition.v1.dbn.frag.zst');
    const raw = readFileSync(f.path);
    let frames = 0;
    for (let i = 0; i + 4 <= raw.length; i++) if (raw.readUInt32LE(i) === 0xfd2fb528) frames++;
    expect(frames).toBe(8);
    const recs = await recordsOf(f);
    expect(recs.length).toBe(8);
    expect(recs.every((r) => r.rtype === 0x13 && r.hd.length * 4 === 520)).toBe(true); // upgraded v1 -> v3
  });
});

describe.skipIf(!HAVE_FIXTURES)('metadata', () => {
  const glbxMappings = [{ rawSymbol: 'ESH1', intervals: [{ startDate: '2020-12-28', endDate: '2020-12-29', symbol: '5482' }] }];

  const full = fixtures.filter((f) => !f.fragment);
  it.each(full.map((f) => [f.name, f] as const))('%s', async (_n, f) => {
    const s = decodeDbn(f.path);
    const md = (await s.metadata()) as DbnMetadata;
    await s.close(); // only the metadata was read: release the file now, not at garbage collection
    const common = {
      version: 3,
      sourceVersion: f.version,
      schema: f.family,
      limit: f.family === 'status' ? 4n : 2n,
      tsOut: false,
      symbolCstrLen: f.version === 1 ? 22 : 71,
      partial: [],
      notFound: [],
    };
    if (GLBX.includes(f.family)) {
      expect(md).toMatchObject({
        ...common,
        dataset: 'GLBX.MDP3',
        // status was requested from midnight (2020-12-28T00:00Z), the others from 13:00
        start: f.family === 'status' ? 1609113600000000000n : 1609160400000000000n,
        end: 1609200000000000000n,
        stypeIn: 'raw_symbol',
        stypeInId: 1,
        stypeOut: 'instrument_id',
        stypeOutId: 0,
        symbols: ['ESH1'],
        mappings: glbxMappings,
      });
    } else if (f.family === 'definition' || f.family === 'imbalance') {
      const sym = f.family === 'definition' ? 'MSFT' : 'SPOT';
      expect(md).toMatchObject({
        ...common,
        dataset: 'XNAS.ITCH',
        start: 1633305600000000000n,
        end: 1641254400000000000n,
        stypeIn: 'raw_symbol',
        stypeOut: 'instrument_id',
        symbols: [sym],
      });
      expect(md.mappings.length).toBe(1);
      const [mapping] = md.mappings;
      expect(mapping?.rawSymbol).toBe(sym);
      if (f.family === 'definition') {
        expect(mapping?.intervals.length).toBe(62);
        expect(mapping?.intervals[0]).toEqual({ startDate: '2021-10-04', endDate: '2021-10-05', symbol: '6819' });
      }
    } else if (f.family === 'statistics') {
      expect(md).toMatchObject({
        ...common,
        dataset: 'GLBX.MDP3',
        start: 2814749767106560n,
        end: null, // u64::MAX in the file
        stypeIn: 'instrument_id',
        stypeOut: 'instrument_id',
        symbols: [],
        mappings: [],
      });
    } else {
      throw new Error(`no metadata expectations for ${f.family}`);
    }
    // the schema id and the stype ids are the raw values
    expect(md.schemaId).toBe((SCHEMA_NAMES as readonly string[]).indexOf(f.family));
    expect(md.schemaId).toBe(new DataView(plainBytesOf(f.path).buffer).getUint16(24, true));
  });

  it('metadata is known before iterating, and iteration still yields every record', async () => {
    const s = decodeDbn(byName('test_data.trades.v1.dbn.zst').path);
    const md = await s.metadata();
    expect(md?.symbols).toEqual(['ESH1']);
    const recs: AnyDbnRecord[] = [];
    for await (const r of s) recs.push(r);
    expect(recs.length).toBe(2);
  });

  it('the records start at 8 + metadata_length (v3 pads to 8 bytes: 352 / 345 / 198)', () => {
    expect(rawWalk(plainBytesOf(byName('test_data.trades.v3.dbn.zst').path)).metadataLength).toBe(352);
    expect(rawWalk(plainBytesOf(byName('test_data.trades.dbn').path)).metadataLength).toBe(345);
    expect(rawWalk(plainBytesOf(byName('test_data.trades.v1.dbn.zst').path)).metadataLength).toBe(198);
  });
});

describe.skipIf(!HAVE_FIXTURES)('copies of the same data agree', () => {
  const families = [...new Set(fixtures.filter((f) => !f.multiFrame).map((f) => `${f.family}${f.fragment ? ' (fragments)' : ''}`))];
  it('there are 11 families of full files and 1 of fragments', () => {
    expect(families.length).toBe(12);
  });

  it.each(families)('%s: plain, zstd, v1, v2 and v3 give the same records after upgrade', async (key) => {
    const frag = key.endsWith('(fragments)');
    const members = familyOf(key.replace(' (fragments)', ''), frag);
    expect(members.length).toBeGreaterThanOrEqual(frag ? 6 : 3);
    const ref = members.find((m) => m.version === 3) ?? nth(members, 0, 'family member');
    const refRecs = await recordsOf(ref);
    expect(refRecs.length).toBeGreaterThan(0);
    for (const m of members) {
      const recs = await recordsOf(m);
      expect(recs, `${m.name} vs ${ref.name}`).toEqual(refRecs);
    }
    // and the upgraded records are in the v3 layout: same length as the v3 copy's header
    const v3 = members.find((m) => m.version === 3);
    if (v3) {
      const walk = rawWalk(plainBytesOf(v3.path), v3.fragment ? 3 : undefined);
      refRecs.forEach((r, i) => expect(r.hd.length * 4).toBe(nth(walk.records, i).size));
    }
  });

  it("with upgradePolicy 'as-is', v1/v2 definitions keep their own layouts", async () => {
    const v1 = nth(await recordsOf(byName('test_data.definition.v1.dbn.zst'), 'as-is'), 0);
    const v2 = nth(await recordsOf(byName('test_data.definition.v2.dbn.zst'), 'as-is'), 0);
    const v3 = nth(await recordsOf(byName('test_data.definition.v3.dbn.zst'), 'as-is'), 0);
    expect(v1.hd.length * 4).toBe(360);
    expect(v2.hd.length * 4).toBe(400);
    expect(v3.hd.length * 4).toBe(520);
    for (const r of [v1, v2]) {
      expect(r).toHaveProperty('trading_reference_price');
      expect(r).toHaveProperty('md_security_trading_status');
      expect(r).not.toHaveProperty('leg_price');
      expect(typeof (r as { raw_instrument_id: unknown }).raw_instrument_id).toBe('number');
    }
    expect(v3).not.toHaveProperty('trading_reference_price');
    expect(v3).toHaveProperty('leg_price');
    expect(typeof (v3 as { raw_instrument_id: unknown }).raw_instrument_id).toBe('bigint');
    // the same values where the layouts share a field
    for (const k of ['raw_symbol', 'exchange', 'ts_recv', 'min_price_increment', 'strike_price', 'instrument_class'] as const) {
      expect((v1 as unknown as Record<string, unknown>)[k]).toEqual((v3 as unknown as Record<string, unknown>)[k]);
      expect((v2 as unknown as Record<string, unknown>)[k]).toEqual((v3 as unknown as Record<string, unknown>)[k]);
    }
    // and the metadata version is the file's
    const s = decodeDbn(byName('test_data.definition.v1.dbn.zst').path, { upgradePolicy: 'as-is' });
    expect((await s.metadata())?.version).toBe(1);
    await s.close();
  });

  it("with upgradePolicy 'as-is', v1/v2 statistics keep the i32 quantity; upgraded it is the i64 sentinel", async () => {
    for (const n of ['test_data.statistics.v1.dbn.zst', 'test_data.statistics.v2.dbn.zst', 'test_data.statistics.dbn']) {
      const asIs = await recordsOf(byName(n), 'as-is');
      expect(asIs.map((r) => r.hd.length * 4)).toEqual([64, 64]);
      expect(asIs.map((r) => (r as { quantity: unknown }).quantity)).toEqual([2147483647, 2147483647]);
      const up = await recordsOf(byName(n));
      expect(up.map((r) => r.hd.length * 4)).toEqual([80, 80]);
      expect(up.map((r) => (r as { quantity: unknown }).quantity)).toEqual([UNDEF_STAT_QUANTITY, UNDEF_STAT_QUANTITY]);
    }
  });

  it('trades/MBP records are the same whichever the policy (their layout never changed)', async () => {
    for (const n of ['test_data.trades.v1.dbn.zst', 'test_data.mbp-10.v1.dbn.zst', 'test_data.mbp-1.v2.dbn.zst']) {
      expect(await recordsOf(byName(n), 'as-is')).toEqual(await recordsOf(byName(n)));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// literal values

const hd = (ts_event: bigint, length: number, rtype: number) => ({ length, rtype, publisher_id: 1, instrument_id: 5482, ts_event });

const TRADES = [
  {
    hd: hd(1609160400098821953n, 12, 0),
    price: 3720250000000n,
    size: 5,
    action: 'T',
    side: 'A',
    flags: 129,
    depth: 0,
    ts_recv: 1609160400099150057n,
    ts_in_delta: 19251,
    sequence: 1170380,
    rtype: 0,
  },
  {
    hd: hd(1609160400107665963n, 12, 0),
    price: 3720250000000n,
    size: 21,
    action: 'T',
    side: 'A',
    flags: 129,
    depth: 0,
    ts_recv: 1609160400108142648n,
    ts_in_delta: 20728,
    sequence: 1170414,
    rtype: 0,
  },
];

const lvl = (bid_px: bigint, ask_px: bigint, bid_sz: number, ask_sz: number, bid_ct: number, ask_ct: number) => ({
  bid_px,
  ask_px,
  bid_sz,
  ask_sz,
  bid_ct,
  ask_ct,
});

const MBP1 = [
  {
    hd: hd(1609160400006001487n, 20, 1),
    price: 3720500000000n,
    size: 1,
    action: 'A',
    side: 'A',
    flags: 128,
    depth: 0,
    ts_recv: 1609160400006136329n,
    ts_in_delta: 17214,
    sequence: 1170362,
    levels: [lvl(3720250000000n, 3720500000000n, 24, 11, 15, 9)],
    rtype: 1,
  },
  {
    hd: hd(1609160400006146661n, 20, 1),
    price: 3720500000000n,
    size: 1,
    action: 'A',
    side: 'A',
    flags: 128,
    depth: 0,
    ts_recv: 1609160400006246513n,
    ts_in_delta: 18858,
    sequence: 1170364,
    levels: [lvl(3720250000000n, 3720500000000n, 24, 12, 15, 10)],
    rtype: 1,
  },
];

// levels 3..9 are the same in both records
const MBP10_DEEP = [
  lvl(3719500000000n, 3721250000000n, 39, 28, 26, 17),
  lvl(3719250000000n, 3721500000000n, 50, 33, 35, 19),
  lvl(3719000000000n, 3721750000000n, 42, 45, 28, 33),
  lvl(3718750000000n, 3722000000000n, 44, 55, 35, 40),
  lvl(3718500000000n, 3722250000000n, 64, 59, 39, 38),
  lvl(3718250000000n, 3722500000000n, 53, 49, 32, 35),
  lvl(3718000000000n, 3722750000000n, 67, 44, 39, 26),
];
const MBP10 = [
  {
    hd: hd(1609160400000429831n, 92, 10),
    price: 3722750000000n,
    size: 1,
    action: 'C',
    side: 'A',
    flags: 128,
    depth: 9,
    ts_recv: 1609160400000704060n,
    ts_in_delta: 22993,
    sequence: 1170352,
    levels: [
      lvl(3720250000000n, 3720500000000n, 24, 10, 15, 8),
      lvl(3720000000000n, 3720750000000n, 31, 34, 18, 24),
      lvl(3719750000000n, 3721000000000n, 32, 39, 23, 25),
      ...MBP10_DEEP,
    ],
    rtype: 10,
  },
  {
    hd: hd(1609160400000435673n, 92, 10),
    price: 3720000000000n,
    size: 1,
    action: 'C',
    side: 'B',
    flags: 128,
    depth: 1,
    ts_recv: 1609160400000750544n,
    ts_in_delta: 20625,
    sequence: 1170356,
    levels: [
      lvl(3720250000000n, 3720500000000n, 24, 10, 15, 8),
      lvl(3720000000000n, 3720750000000n, 30, 34, 17, 24),
      lvl(3719750000000n, 3721000000000n, 32, 39, 23, 25),
      ...MBP10_DEEP,
    ],
    rtype: 10,
  },
];

describe.skipIf(!HAVE_FIXTURES)('exact values of the first and last records', () => {
  const cases: Array<[string, Fixture, unknown[]]> = [];
  for (const [family, expected] of [
    ['trades', TRADES],
    ['mbp-1', MBP1],
    ['mbp-10', MBP10],
  ] as const) {
    for (const f of familyOf(family)) cases.push([f.name, f, expected as unknown as unknown[]]);
  }

  it('covers 4 files each of trades, MBP-1 and MBP-10', () => {
    expect(cases.length).toBe(12);
  });

  it.each(cases)('%s: first and last record field by field', async (_n, f, expected) => {
    const recs = await recordsOf(f);
    expect(recs.length).toBe(2);
    expect(recs[0]).toStrictEqual(expected[0]);
    expect(recs[recs.length - 1]).toStrictEqual(expected[expected.length - 1]);
  });

  it('TBBO (same values as the trades, plus the book before the trade)', async () => {
    for (const f of familyOf('tbbo')) {
      const [a, b] = pair(await recordsOf(f));
      expect(a).toMatchObject({ ...nth(TRADES, 0), hd: { ...nth(TRADES, 0).hd, length: 20, rtype: 1 }, rtype: 1 });
      expect(a.rtype === 1 && a.levels).toEqual([lvl(3720250000000n, 3720500000000n, 26, 7, 16, 6)]);
      expect(b).toMatchObject({ ...nth(TRADES, 1), hd: { ...nth(TRADES, 1).hd, length: 20, rtype: 1 }, rtype: 1 });
      expect(b.rtype === 1 && b.levels).toEqual([lvl(3720250000000n, 3720500000000n, 21, 22, 13, 15)]);
    }
  });

  it('MBO, CMBP-1, OHLCV-1s, statistics, imbalance, definition: values asserted by the databento-cpp tests', async () => {
    for (const f of familyOf('mbo')) {
      const [a, b] = pair(await recordsOf(f));
      expect(a).toMatchObject({
        order_id: 647784973705n,
        price: 3722750000000n,
        size: 1,
        flags: 128,
        channel_id: 0,
        action: 'C',
        side: 'A',
      });
      expect(a).toMatchObject({
        ts_recv: 1609160400000704060n,
        ts_in_delta: 22993,
        sequence: 1170352,
        hd: { ts_event: 1609160400000429831n },
      });
      expect(b).toMatchObject({
        order_id: 647784973631n,
        price: 3723000000000n,
        ts_recv: 1609160400000711344n,
        ts_in_delta: 19621,
        sequence: 1170353,
      });
    }
    for (const f of familyOf('cmbp-1')) {
      const [a, b] = pair(await recordsOf(f));
      expect(a).toMatchObject({
        price: 3720500000000n,
        size: 1,
        action: 'A',
        side: 'A',
        flags: 128,
        ts_recv: 1609160400006136329n,
        ts_in_delta: 17214,
      });
      expect(a.rtype === 0xb1 && a.levels).toEqual([
        { bid_px: 3720250000000n, ask_px: 3720500000000n, bid_sz: 24, ask_sz: 11, bid_pb: 1, ask_pb: 1 },
      ]);
      expect(b.rtype === 0xb1 && b.levels[0]?.ask_sz).toBe(12);
    }
    for (const f of familyOf('ohlcv-1s')) {
      const [a, b] = pair(await recordsOf(f));
      expect(a).toMatchObject({
        hd: { ts_event: 1609160400000000000n },
        open: 372025000000000n,
        high: 372050000000000n,
        low: 372025000000000n,
        close: 372050000000000n,
        volume: 57n,
      });
      expect(b).toMatchObject({
        hd: { ts_event: 1609160401000000000n },
        open: 372050000000000n,
        high: 372050000000000n,
        low: 372050000000000n,
        close: 372050000000000n,
        volume: 13n,
      });
    }
    for (const f of familyOf('statistics')) {
      const [a, b] = pair(await recordsOf(f));
      expect(a).toMatchObject({ stat_type: 7, price: 100_000_000_000n, quantity: UNDEF_STAT_QUANTITY });
      expect(b).toMatchObject({ stat_type: 5, price: 100_000_000_000n, quantity: UNDEF_STAT_QUANTITY });
    }
    for (const f of familyOf('imbalance')) {
      const [a, b] = pair(await recordsOf(f));
      expect(a).toMatchObject({ ref_price: 229430000000n });
      expect(b).toMatchObject({ ref_price: 229990000000n });
    }
    for (const f of familyOf('definition')) {
      for (const policy of ['upgrade', 'as-is'] as const) {
        for (const r of await recordsOf(f, policy)) {
          expect(r).toMatchObject({
            exchange: 'XNAS',
            security_update_action: 'A',
            min_lot_size_round_lot: 100,
            instrument_class: 'K',
            strike_price: UNDEF_PRICE,
            raw_symbol: 'MSFT',
          });
        }
      }
    }
  });

  it('an independent DataView reader agrees on every field of every trades/TBBO/MBP-1/MBP-10 record', async () => {
    let compared = 0;
    for (const [family, levels] of [
      ['trades', 0],
      ['tbbo', 1],
      ['mbp-1', 1],
      ['mbp-10', 10],
    ] as const) {
      for (const f of familyOf(family)) {
        const bytes = plainBytesOf(f.path);
        const walk = rawWalk(bytes);
        const recs = await recordsOf(f);
        expect(recs.length).toBe(walk.records.length);
        recs.forEach((r, i) => {
          expect(flatMbp(r)).toStrictEqual(rawMbp(bytes, nth(walk.records, i).offset, levels));
          compared++;
        });
      }
    }
    expect(compared).toBe(32);
  });
});
