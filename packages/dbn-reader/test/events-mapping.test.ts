import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rng } from '@md/test-support';
import {
  decode,
  encode,
  encodeToString,
  fixedToFloat,
  SUBJECTS,
  type FuturesTrade,
  type MBP10,
  type OptionTrade,
  type Publishable,
} from '@md/event-types';
import {
  DbnEncoder,
  DbnMappingError,
  mapDbnFile,
  mapDbnFileBatches,
  osiToOptionTicker,
  toFuturesTrade,
  toMbp10,
  toOptionTrade,
  UNDEF_TIMESTAMP,
  type DbnMetadataInput,
  type DbnRecord,
  type MapWarning,
  type Mbp1Msg,
} from '../src/index.js';
import { aggressorFromSide, exchangeFor } from '../src/mapping.js';
import { nth, pair } from './narrow.js';
import { fx, HAVE_FIXTURES, level, mbp10, symbolMapping, tempDir, trade, UNDEF } from './events-helpers.js';

const ctx = { fileBaseName: 'f.dbn.zst', recordIndex: 7, dataset: 'GLBX.MDP3' };

async function collect(it: AsyncIterable<Publishable>): Promise<Publishable[]> {
  const out: Publishable[] = [];
  for await (const p of it) out.push(p);
  return out;
}

describe.skipIf(!HAVE_FIXTURES)('mapping on the Databento fixtures', () => {
  it('trades -> FuturesTrade, first and last record field by field, in every version and compression', async () => {
    for (const f of ['test_data.trades.v3.dbn.zst', 'test_data.trades.v2.dbn.zst', 'test_data.trades.v1.dbn.zst', 'test_data.trades.dbn']) {
      const m = mapDbnFile(fx(f), { kind: 'trades' });
      const ev = await collect(m);
      expect(ev).toHaveLength(2);
      const [a, b] = pair(ev as Publishable<FuturesTrade>[]);
      expect(a.subject).toBe('market.futures.trades');
      expect(a.event).toStrictEqual({
        ts_event_ns: 1609160400098821953n,
        ts_recv_ns: 1609160400099150057n,
        source: 'replay',
        symbol: 'ESH1',
        price: 3720.25,
        size: 5,
        aggressor: -1,
        exchange: 'CME',
        conditions: null,
        seq: 1170380,
      });
      expect(a.msgId).toBe(`market.futures.trades:5482:1609160400099150057:1170380:${f}:0`);
      expect(b.event).toStrictEqual({
        ts_event_ns: 1609160400107665963n,
        ts_recv_ns: 1609160400108142648n,
        source: 'replay',
        symbol: 'ESH1',
        price: 3720.25,
        size: 21,
        aggressor: -1,
        exchange: 'CME',
        conditions: null,
        seq: 1170414,
      });
      expect(b.msgId).toBe(`market.futures.trades:5482:1609160400108142648:1170414:${f}:1`);
      expect(m.stats).toMatchObject({ records: 2, events: 2, unmapped: 0, invalid: 0 });
      // the contract's bytes, and back through the codec
      const body = encodeToString(a.event, a.subject);
      expect(body).toBe(
        '{"ts_event_ns":1609160400098821953,"ts_recv_ns":1609160400099150057,"source":"replay","symbol":"ESH1","price":3720.25,"size":5,"aggressor":-1,"exchange":"CME","conditions":null,"seq":1170380}',
      );
      expect(decode('futures.trades.v1', encode(a.event, a.subject))).toStrictEqual(a.event);
    }
  });

  it('MBP-10 -> MBP10, first and last record field by field', async () => {
    for (const f of ['test_data.mbp-10.v3.dbn.zst', 'test_data.mbp-10.v1.dbn.zst', 'test_data.mbp-10.dbn']) {
      const ev = (await collect(mapDbnFile(fx(f), { kind: 'mbp10' }))) as Publishable<MBP10>[];
      expect(ev).toHaveLength(2);
      const [a, b] = pair(ev);
      expect(a.subject).toBe('market.futures.mbp10');
      expect(a.msgId).toBe(`market.futures.mbp10:5482:1609160400000704060:1170352:${f}:0`);
      const bids = [3720.25, 3720.0, 3719.75, 3719.5, 3719.25, 3719.0, 3718.75, 3718.5, 3718.25, 3718.0];
      const asks = [3720.5, 3720.75, 3721.0, 3721.25, 3721.5, 3721.75, 3722.0, 3722.25, 3722.5, 3722.75];
      const bidSz = [24, 31, 32, 39, 50, 42, 44, 64, 53, 67];
      const askSz = [10, 34, 39, 28, 33, 45, 55, 59, 49, 44];
      expect(a.event).toStrictEqual({
        ts_event_ns: 1609160400000429831n,
        ts_recv_ns: 1609160400000704060n,
        source: 'replay',
        symbol: 'ESH1',
        levels: bids.map((bp, i) => ({ bid_px: bp, bid_sz: bidSz[i], ask_px: asks[i], ask_sz: askSz[i] })),
        is_snapshot: false,
        seq: 1170352,
      });
      // the second record: level 1 bid went from 31 to 30
      expect(b.event.ts_event_ns).toBe(1609160400000435673n);
      expect(b.event.ts_recv_ns).toBe(1609160400000750544n);
      expect(b.event.seq).toBe(1170356);
      expect(b.event.levels[1]).toStrictEqual({ bid_px: 3720.0, bid_sz: 30, ask_px: 3720.75, ask_sz: 34 });
      expect(b.event.levels[0]).toStrictEqual(a.event.levels[0]);
      expect(b.msgId).toBe(`market.futures.mbp10:5482:1609160400000750544:1170356:${f}:1`);
      const bytes = encode(a.event, a.subject);
      expect(new TextDecoder().decode(bytes)).toContain(
        '"levels":[{"bid_px":3720.25,"bid_sz":24,"ask_px":3720.5,"ask_sz":10},{"bid_px":3720.0,',
      );
      expect(decode('futures.mbp10.v1', bytes)).toStrictEqual(a.event);
    }
  });

  it('the v1/v2/v3 copies give identical events apart from the file name in the message id', async () => {
    const strip = (p: Publishable) => ({ ...p, msgId: p.msgId.replace(/:[^:]+:(\d+)$/, ':$1') });
    const v3 = (await collect(mapDbnFile(fx('test_data.mbp-10.v3.dbn.zst'), { kind: 'mbp10' }))).map(strip);
    const v1 = (await collect(mapDbnFile(fx('test_data.mbp-10.v1.dbn.zst'), { kind: 'mbp10' }))).map(strip);
    expect(v1).toStrictEqual(v3);
  });
});

describe('mapping rules (generated records)', () => {
  it('aggressor from side: B 1, A -1, N and anything else 0', () => {
    expect(aggressorFromSide('B')).toBe(1);
    expect(aggressorFromSide('A')).toBe(-1);
    expect(aggressorFromSide('N')).toBe(0);
    expect(aggressorFromSide('\0')).toBe(0);
    for (const [side, agg] of [
      ['B', 1],
      ['A', -1],
      ['N', 0],
    ] as const) {
      expect(toFuturesTrade(trade({ side }), 'ESH5', ctx).event.aggressor).toBe(agg);
    }
  });

  it('FuturesTrade: every field from the record, exact nanoseconds, msgId from subject/instrument/ts_recv/sequence/file/index', () => {
    const p = toFuturesTrade(
      trade({
        id: 99,
        ts: 1702900800123456789n,
        ts_recv: 1702900800123999999n,
        price: 3720_250_000_000n,
        size: 17,
        side: 'A',
        sequence: 4_000_000_001,
      }),
      'ESH6',
      ctx,
    );
    expect(p).toStrictEqual({
      subject: 'market.futures.trades',
      msgId: 'market.futures.trades:99:1702900800123999999:4000000001:f.dbn.zst:7',
      event: {
        ts_event_ns: 1702900800123456789n,
        ts_recv_ns: 1702900800123999999n,
        source: 'replay',
        symbol: 'ESH6',
        price: 3720.25,
        size: 17,
        aggressor: -1,
        exchange: 'CME',
        conditions: null,
        seq: 4_000_000_001,
      },
    });
    expect(encodeToString(p.event, p.subject)).toContain('"ts_event_ns":1702900800123456789,');
  });

  it('prices go through fixedToFloat exactly, also beyond 2^53 and negative', () => {
    // 9007199254.740993123 needs the exact decimal path; Number(raw)/1e9 would round raw first
    const big = 9_007_199_254_740_993_123n;
    expect(toFuturesTrade(trade({ price: big }), 'X', ctx).event.price).toBe(Number('9007199254.740993123'));
    expect(toFuturesTrade(trade({ price: -1_250_000_000n }), 'X', ctx).event.price).toBe(-1.25);
    expect(toFuturesTrade(trade({ price: 100_000_000n }), 'X', ctx).event.price).toBe(0.1);
  });

  it('exchange: CME for GLBX.MDP3, else the publisher venue, null when unknown', () => {
    expect(exchangeFor(1, 'GLBX.MDP3')).toBe('CME');
    expect(exchangeFor(1, null)).toBe('CME');
    expect(exchangeFor(2, 'XNAS.ITCH')).toBe('XNAS');
    expect(exchangeFor(22, 'OPRA.PILLAR')).toBe('XCBO');
    expect(exchangeFor(999, 'FOO.BAR')).toBeNull();
    expect(toFuturesTrade(trade({ publisher: 2 }), 'X', { ...ctx, dataset: 'XNAS.ITCH' }).event.exchange).toBe('XNAS');
    expect(toFuturesTrade(trade({ publisher: 999 }), 'X', { ...ctx, dataset: 'ZZZ' }).event.exchange).toBeNull();
  });

  it('MBP10: empty sides are null with size 0 (whatever size the record says), snapshot exactly from flag 0x20', () => {
    const levels = Array.from({ length: 10 }, (_, i) =>
      level(5_900_000_000_000n - BigInt(i) * 250_000_000n, 5_900_250_000_000n + BigInt(i) * 250_000_000n),
    );
    levels[8] = level(UNDEF, 5_902_250_000_000n, 5, 7);
    levels[9] = { bid_px: UNDEF, ask_px: UNDEF, bid_sz: 3, ask_sz: 0, bid_ct: 0, ask_ct: 0 };
    const p = toMbp10(mbp10({ levels, flags: 0x80 }), 'ESH5', ctx);
    expect(p.event.levels[8]).toStrictEqual({ bid_px: null, bid_sz: 0, ask_px: 5902.25, ask_sz: 7 });
    expect(p.event.levels[9]).toStrictEqual({ bid_px: null, bid_sz: 0, ask_px: null, ask_sz: 0 });
    expect(p.event.levels[0]).toStrictEqual({ bid_px: 5900, bid_sz: 10, ask_px: 5900.25, ask_sz: 12 });
    expect(p.event.is_snapshot).toBe(false);
    expect(toMbp10(mbp10({ flags: 0x20 }), 'X', ctx).event.is_snapshot).toBe(true);
    expect(toMbp10(mbp10({ flags: 0xa0 }), 'X', ctx).event.is_snapshot).toBe(true);
    expect(toMbp10(mbp10({ flags: 0xdf }), 'X', ctx).event.is_snapshot).toBe(false);
    const text = encodeToString(p.event, p.subject);
    expect(text).toContain('{"bid_px":null,"bid_sz":0,"ask_px":null,"ask_sz":0}]');
    expect(text).not.toContain('9223372036');
    expect(decode('futures.mbp10.v1', text)).toStrictEqual(p.event);
  });

  it('the price memo of a fresh module: a raw price of -1 is -1e-9 from the first record on', async () => {
    // the memo is module state: a fresh copy of the module, whose slots have converted nothing yet
    vi.resetModules();
    const fresh = await import('../src/mapping.js');
    const levels = Array.from({ length: 10 }, () => level(-1n, -1n));
    const got = fresh.toMbp10(mbp10({ levels }), 'X', ctx).event.levels;
    expect(got.map((l) => [l.bid_px, l.ask_px])).toStrictEqual(Array.from({ length: 10 }, () => [fixedToFloat(-1n), fixedToFloat(-1n)]));
  });

  it('MBP10 level prices equal fixedToFloat of every raw price, over records that repeat and change prices', () => {
    const rnd = rng(12345);
    const pool = [5_900_000_000_000n, 5_900_250_000_000n, 9_007_199_254_740_993_123n, -1_250_000_000n, 100_000_000n, 1n, UNDEF];
    let prev = mbp10();
    for (let n = 0; n < 2000; n++) {
      // mostly the previous record's levels (as in real books), sometimes a new price in a random slot
      const levels = prev.levels.map((l) => ({ ...l }));
      for (let k = 0; k < 3; k++) {
        if (rnd() < 0.5) {
          const i = Math.floor(rnd() * 10);
          const px = nth(pool, Math.floor(rnd() * pool.length)) + (rnd() < 0.5 ? 0n : BigInt(Math.floor(rnd() * 1000)) * 250_000_000n);
          if (rnd() < 0.5) nth(levels, i).bid_px = px;
          else nth(levels, i).ask_px = px;
        }
      }
      const rec = mbp10({ levels });
      const got = toMbp10(rec, 'X', ctx).event.levels;
      for (let i = 0; i < 10; i++) {
        const l = nth(levels, i);
        expect(nth(got, i).bid_px).toBe(l.bid_px === UNDEF ? null : fixedToFloat(l.bid_px));
        expect(nth(got, i).ask_px).toBe(l.ask_px === UNDEF ? null : fixedToFloat(l.ask_px));
      }
      prev = rec;
    }
  });

  it('OPRA OSI symbols become the contract ticker; OptionTrade fields', () => {
    expect(osiToOptionTicker('SPY   251216C00676000')).toBe('O:SPY251216C00676000');
    expect(osiToOptionTicker('SPXW  251216P05900500')).toBe('O:SPXW251216P05900500');
    expect(osiToOptionTicker('BRKB  260116C00500000')).toBe('O:BRKB260116C00500000');
    expect(osiToOptionTicker('O:SPY251216C00676000')).toBe('O:SPY251216C00676000');
    expect(() => osiToOptionTicker('ESH5')).toThrow();
    const p = toOptionTrade(trade({ id: 5, price: 2_150_000_000n, size: 4, side: 'B', publisher: 22 }), 'SPY   251216C00676000', {
      ...ctx,
      dataset: 'OPRA.PILLAR',
    });
    expect(p.subject).toBe('market.options.trades');
    expect(p.event).toStrictEqual({
      ts_event_ns: 1_735_826_400_000_000_000n,
      ts_recv_ns: 1_735_826_400_000_250_000n,
      source: 'replay',
      underlying: 'SPY',
      option_symbol: 'O:SPY251216C00676000',
      exp_date: '2025-12-16',
      strike: 676,
      right: 'C',
      price: 2.15,
      size: 4,
      opt_bid: null,
      opt_ask: null,
      aggressor: 1,
      conditions: null,
      seq: 777,
    });
    expect(p.msgId).toBe('market.options.trades:5:1735826400000250000:777:f.dbn.zst:7');
    expect(decode('options.trades.v1', encode(p.event, p.subject))).toStrictEqual(p.event);
    const put = toOptionTrade(trade({ side: 'A' }), 'SPXW  251216P05900500', ctx).event as OptionTrade;
    expect([put.underlying, put.right, put.strike, put.aggressor]).toStrictEqual(['SPXW', 'P', 5900.5, -1]);
  });

  it('OptionTrade from a TBBO record takes opt_bid/opt_ask from the book before the trade', () => {
    const t = trade({ price: 2_150_000_000n });
    const tbbo: Mbp1Msg = { ...t, rtype: 0x01, hd: { ...t.hd, rtype: 0x01, length: 20 }, levels: [level(2_100_000_000n, 2_200_000_000n)] };
    const e = toOptionTrade(tbbo, 'SPY   251216C00676000', ctx).event;
    expect([e.opt_bid, e.opt_ask]).toStrictEqual([2.1, 2.2]);
    const oneSided: Mbp1Msg = { ...tbbo, levels: [level(UNDEF, 2_200_000_000n)] };
    expect(toOptionTrade(oneSided, 'SPY   251216C00676000', ctx).event.opt_bid).toBeNull();
  });

  it('records that cannot be valid events throw DbnMappingError naming file and record', () => {
    expect(() => toFuturesTrade(trade({ price: UNDEF }), 'X', ctx)).toThrow(DbnMappingError);
    expect(() => toFuturesTrade(trade({ price: UNDEF }), 'X', ctx)).toThrow(/price is undefined.*f\.dbn\.zst record #7/);
    expect(() => toFuturesTrade(trade({ ts: UNDEF_TIMESTAMP }), 'X', ctx)).toThrow(/ts_event is undefined/);
    expect(() => toOptionTrade(trade(), 'NOT AN OPTION', ctx)).toThrow(/option symbol "NOT AN OPTION"/);
  });
});

describe('mapDbnFile on generated files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;
  const D0 = 1_735_776_000_000_000_000n; // 2025-01-02T00:00Z
  const H = 3_600_000_000_000n;
  const meta: DbnMetadataInput = {
    dataset: 'GLBX.MDP3',
    schema: 'trades',
    start: D0,
    end: D0 + 24n * H,
    stypeIn: 'raw_symbol',
    stypeOut: 'instrument_id',
    symbols: ['ESH5'],
    mappings: [{ rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '42' }] }],
  };
  // 0: ESH5 trade; 1: unmapped instrument 7; 2: a symbol mapping 7 -> ESM5 from 2h; 3: instrument 7 at 3h;
  // 4: a definition-free status-like record is not representable here, so an MBP-10 record (skipped for kind trades);
  // 5: an invalid trade (undefined price); 6,7: more ESH5 trades, 8: unmapped 9
  const recs: DbnRecord[] = [
    trade({ id: 42, ts: D0 + H, sequence: 1 }),
    trade({ id: 7, ts: D0 + H + 1000n, sequence: 2 }),
    symbolMapping(7, 'ESM5', D0 + 2n * H, UNDEF_TIMESTAMP),
    trade({ id: 7, ts: D0 + 3n * H, sequence: 3, side: 'A' }),
    mbp10({ id: 42, ts: D0 + 3n * H + 5n }),
    trade({ id: 42, ts: D0 + 3n * H + 10n, sequence: 4, price: UNDEF }),
    trade({ id: 42, ts: D0 + 4n * H, sequence: 5 }),
    trade({ id: 42, ts: D0 + 5n * H, sequence: 6 }),
    trade({ id: 9, ts: D0 + 6n * H, sequence: 7 }),
    trade({ id: 9, ts: D0 + 6n * H + 1n, sequence: 8 }),
  ];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('dbn-events-map-'));
    file = join(dir, 'glbx-mdp3-20250102.trades.dbn.zst');
    await writeFile(file, await DbnEncoder.toBytes(meta, recs, { compression: 'zstd' }));
  });
  afterAll(() => cleanup());

  it('symbols from metadata, SymbolMappingMsg mid-stream, UNMAPPED fallback with one warning per instrument; skipped and invalid counted', async () => {
    const warnings: MapWarning[] = [];
    const m = mapDbnFile(file, { kind: 'trades', onWarning: (w) => warnings.push(w) });
    const ev = (await collect(m)) as Publishable<FuturesTrade>[];
    expect(ev.map((p) => [p.event.symbol, p.event.seq])).toStrictEqual([
      ['ESH5', 1],
      ['UNMAPPED:7', 2],
      ['ESM5', 3],
      ['ESH5', 5],
      ['ESH5', 6],
      ['UNMAPPED:9', 7],
      ['UNMAPPED:9', 8],
    ]);
    // record positions count every decoded record (the mapping record and the MBP-10 one included)
    expect(ev.map((p) => Number(p.msgId.split(':').pop()))).toStrictEqual([0, 1, 3, 6, 7, 8, 9]);
    expect(m.stats).toStrictEqual({ records: 10, events: 7, filtered: 0, unmapped: 3, skipped: 1, symbolMappings: 1, invalid: 1 });
    expect(warnings.filter((w) => w.kind === 'unmapped').map((w) => w.instrumentId)).toStrictEqual([7, 9]);
    expect(warnings.find((w) => w.kind === 'unmapped')!.message).toMatch(/instrument 7 has no symbol mapping.*UNMAPPED:7/);
    const inv = warnings.filter((w) => w.kind === 'invalid');
    expect(inv).toHaveLength(1);
    expect(inv[0]).toMatchObject({ recordIndex: 5, file: 'glbx-mdp3-20250102.trades.dbn.zst' });
    for (const p of ev) expect(decode(SUBJECTS.futuresTrades, encode(p.event, p.subject))).toStrictEqual(p.event);
  });

  it("unmapped: 'skip' drops them (still counted); an extra SymbolMap is consulted last", async () => {
    const m = mapDbnFile(file, { kind: 'trades', unmapped: 'skip' });
    const ev = (await collect(m)) as Publishable<FuturesTrade>[];
    expect(ev.map((p) => p.event.seq)).toStrictEqual([1, 3, 5, 6]);
    expect(m.stats.unmapped).toBe(3);
    const { SymbolMap } = await import('../src/index.js');
    const extra = new SymbolMap();
    extra.addDateInterval(9, '2025-01-02', '2025-01-03', 'NQH5');
    extra.addDateInterval(42, '2025-01-02', '2025-01-03', 'SHADOWED');
    const ev2 = (await collect(mapDbnFile(file, { kind: 'trades', symbols: extra }))) as Publishable<FuturesTrade>[];
    expect(ev2.map((p) => p.event.symbol)).toStrictEqual(['ESH5', 'UNMAPPED:7', 'ESM5', 'ESH5', 'ESH5', 'NQH5', 'NQH5']);
  });

  it('start/end filter on ts_event (default) or ts_recv, and the batched variant yields the same events', async () => {
    const all = (await collect(mapDbnFile(file, { kind: 'trades' }))) as Publishable<FuturesTrade>[];
    const start = D0 + 3n * H;
    const end = D0 + 5n * H;
    const m = mapDbnFile(file, { kind: 'trades', start, end });
    const some = (await collect(m)) as Publishable<FuturesTrade>[];
    expect(some.map((p) => p.event.seq)).toStrictEqual([3, 5]);
    expect(some).toStrictEqual(all.filter((p) => p.event.ts_event_ns >= start && p.event.ts_event_ns < end));
    expect(m.stats.filtered).toBeGreaterThan(0);
    // ts_recv is 250 us after ts_event: a window ending 100 us after 5h keeps seq 6 on ts_event but not on ts_recv
    const e2 = D0 + 5n * H + 100_000n;
    const onEvent = (await collect(mapDbnFile(file, { kind: 'trades', start, end: e2 }))) as Publishable<FuturesTrade>[];
    const onRecv = (await collect(
      mapDbnFile(file, { kind: 'trades', start, end: e2, filterOn: 'ts_recv' }),
    )) as Publishable<FuturesTrade>[];
    expect(onEvent.map((p) => p.event.seq)).toStrictEqual([3, 5, 6]);
    expect(onRecv.map((p) => p.event.seq)).toStrictEqual([3, 5]);
    const flat: Publishable[] = [];
    for await (const b of mapDbnFileBatches(file, { kind: 'trades' })) flat.push(...b);
    expect(flat).toStrictEqual(all);
  });

  it('kind mbp10 maps only the MBP-10 record; a second iteration is refused', async () => {
    const m = mapDbnFile(file, { kind: 'mbp10' });
    const ev = await collect(m);
    expect(ev).toHaveLength(1);
    expect(ev[0]?.msgId).toBe(`market.futures.mbp10:42:${D0 + 3n * H + 5n + 250_000n}:778:glbx-mdp3-20250102.trades.dbn.zst:4`);
    expect(m.stats.skipped).toBe(8);
    expect(() => m.batches()).toThrow(/only once/);
  });

  it('any decoder input works with a fileBaseName (bytes here); without one it is refused', async () => {
    const bytes = await DbnEncoder.toBytes(meta, recs);
    const fromBytes = await collect(mapDbnFile(bytes, { kind: 'trades', fileBaseName: 'mem.dbn' }));
    const fromFile = await collect(mapDbnFile(file, { kind: 'trades' }));
    expect(fromBytes.map((p) => p.msgId.replace(':mem.dbn:', ':F:'))).toStrictEqual(
      fromFile.map((p) => p.msgId.replace(':glbx-mdp3-20250102.trades.dbn.zst:', ':F:')),
    );
    expect(fromBytes.map((p) => p.event)).toStrictEqual(fromFile.map((p) => p.event));
    expect(() => mapDbnFile(bytes, { kind: 'trades' })).toThrow(/fileBaseName is required/);
  });

  it('a corrupt file fails with the decoder error after the good events', async () => {
    const bytes = await DbnEncoder.toBytes(meta, recs.slice(0, 2));
    const bad = join(dir, 'cut.dbn');
    await writeFile(bad, bytes.subarray(0, bytes.length - 5));
    const got: Publishable[] = [];
    await expect(
      (async () => {
        for await (const p of mapDbnFile(bad, { kind: 'trades' })) got.push(p);
      })(),
    ).rejects.toThrow(/cut\.dbn at byte offset/);
    expect(got).toHaveLength(1);
  });
});
