import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dateToNs,
  decodeDbn,
  loadSymbologyJson,
  nsToDate,
  parseSymbologyJson,
  SymbolMap,
  SymbologyJsonError,
  UNDEF_TIMESTAMP,
  type DbnMetadata,
} from '../src/index.js';
import { fx, HAVE_FIXTURES, symbolMapping, tempDir } from './events-helpers.js';

const DAY = 86_400_000_000_000n;
const d = (s: string) => dateToNs(s);

function meta(p: Partial<DbnMetadata>): DbnMetadata {
  return {
    version: 3,
    sourceVersion: 3,
    dataset: 'GLBX.MDP3',
    schema: 'trades',
    schemaId: 4,
    start: 0n,
    end: null,
    limit: 0n,
    stypeIn: 'raw_symbol',
    stypeInId: 1,
    stypeOut: 'instrument_id',
    stypeOutId: 0,
    tsOut: false,
    symbolCstrLen: 71,
    symbols: [],
    partial: [],
    notFound: [],
    mappings: [],
    ...p,
  };
}

describe('dates', () => {
  it('dateToNs / nsToDate are UTC and exact', () => {
    expect(d('2020-12-28')).toBe(1609113600000000000n);
    expect(nsToDate(1609160400099150057n)).toBe('2020-12-28');
    expect(nsToDate(d('2020-12-29') - 1n)).toBe('2020-12-28');
    expect(nsToDate(d('2020-12-29'))).toBe('2020-12-29');
    expect(() => dateToNs('28/12/2020')).toThrow(RangeError);
  });
});

describe('SymbolMap from metadata', () => {
  it('stype_out instrument_id: interval symbol is the id, rawSymbol the symbol; start inclusive, end exclusive', () => {
    const m = SymbolMap.fromMetadata(
      meta({
        mappings: [
          { rawSymbol: 'ESH1', intervals: [{ startDate: '2020-12-28', endDate: '2020-12-30', symbol: '5482' }] },
          {
            rawSymbol: 'ESM1',
            intervals: [
              { startDate: '2020-12-30', endDate: '2021-01-02', symbol: '5482' },
              { startDate: '2020-12-28', endDate: '2020-12-30', symbol: '' },
            ],
          },
        ],
      }),
    );
    expect(m.symbolFor(5482, d('2020-12-28'))).toBe('ESH1');
    expect(m.symbolFor(5482, d('2020-12-28') - 1n)).toBeNull();
    expect(m.symbolFor(5482, d('2020-12-30') - 1n)).toBe('ESH1');
    expect(m.symbolFor(5482, d('2020-12-30'))).toBe('ESM1');
    expect(m.symbolFor(5482, d('2021-01-02') - 1n)).toBe('ESM1');
    expect(m.symbolFor(5482, d('2021-01-02'))).toBeNull();
    expect(m.symbolFor(1, d('2020-12-29'))).toBeNull();
    // the empty interval symbol was skipped, so only two intervals
    expect(m.intervalsFor(5482)).toHaveLength(2);
    expect(m.instrumentIds()).toStrictEqual([5482]);
    // repeated lookups (cached path) keep answering right when going back and forth
    for (let i = 0; i < 3; i++) {
      expect(m.symbolFor(5482, d('2020-12-31'))).toBe('ESM1');
      expect(m.symbolFor(5482, d('2020-12-29'))).toBe('ESH1');
    }
  });

  it('a continuous symbol rolling to a new instrument id', () => {
    const m = SymbolMap.fromMetadata(
      meta({
        stypeIn: 'continuous',
        stypeInId: 3,
        mappings: [
          {
            rawSymbol: 'ES.c.0',
            intervals: [
              { startDate: '2021-03-01', endDate: '2021-03-12', symbol: '5482' },
              { startDate: '2021-03-12', endDate: '2021-03-20', symbol: '13615' },
            ],
          },
        ],
      }),
    );
    expect(m.symbolFor(5482, d('2021-03-11'))).toBe('ES.c.0');
    expect(m.symbolFor(5482, d('2021-03-12'))).toBeNull();
    expect(m.symbolFor(13615, d('2021-03-12'))).toBe('ES.c.0');
  });

  it('stype_in instrument_id (inverse): roles swap', () => {
    const m = SymbolMap.fromMetadata(
      meta({
        stypeIn: 'instrument_id',
        stypeInId: 0,
        stypeOut: 'raw_symbol',
        stypeOutId: 1,
        mappings: [{ rawSymbol: '146945', intervals: [{ startDate: '2023-04-23', endDate: '2023-04-24', symbol: 'ESM3' }] }],
      }),
    );
    expect(m.symbolFor(146945, d('2023-04-23') + 5n)).toBe('ESM3');
  });

  it('mappings that cannot map ids are skipped with a warning, never fatal', () => {
    const m = SymbolMap.fromMetadata(
      meta({
        stypeIn: 'raw_symbol',
        stypeOut: 'raw_symbol',
        stypeOutId: 1,
        mappings: [{ rawSymbol: 'X', intervals: [{ startDate: '2023-01-01', endDate: '2023-01-02', symbol: 'Y' }] }],
      }),
    );
    expect(m.size).toBe(0);
    expect(m.warnings[0]?.message).toMatch(/cannot map instrument ids/);
    const m2 = SymbolMap.fromMetadata(
      meta({ mappings: [{ rawSymbol: 'ESH1', intervals: [{ startDate: '2020-12-28', endDate: '2020-12-29', symbol: 'abc' }] }] }),
    );
    expect(m2.size).toBe(0);
    expect(m2.warnings[0]?.message).toMatch(/"abc" is not a u32/);
  });

  it.skipIf(!HAVE_FIXTURES)('the fixture metadata maps 5482 to ESH1 on 2020-12-28 only', async () => {
    const s = decodeDbn(fx('test_data.trades.v1.dbn.zst'));
    const md = await s.metadata();
    await s.close();
    const m = SymbolMap.fromMetadata(md);
    expect(m.symbolFor(5482, 1609160400099150057n)).toBe('ESH1');
    expect(m.symbolFor(5482, 1609160400099150057n + DAY)).toBeNull();
  });
});

describe('SymbolMappingMsg records and fallbacks', () => {
  it('a mapping record mid-stream overrides from its start; open-ended end; boundaries in ns', () => {
    const m = SymbolMap.fromMetadata(
      meta({ mappings: [{ rawSymbol: 'ESH5', intervals: [{ startDate: '2025-01-02', endDate: '2025-01-03', symbol: '42' }] }] }),
    );
    const t = d('2025-01-02') + 12n * 3_600_000_000_000n;
    expect(m.symbolFor(42, t)).toBe('ESH5');
    m.applySymbolMapping(symbolMapping(42, 'ESH5-NEW', t, UNDEF_TIMESTAMP));
    expect(m.symbolFor(42, t - 1n)).toBe('ESH5');
    expect(m.symbolFor(42, t)).toBe('ESH5-NEW');
    expect(m.symbolFor(42, d('2030-01-01'))).toBe('ESH5-NEW');
    m.applySymbolMapping(symbolMapping(7, 'NQH5', t, t + 10n));
    expect(m.symbolFor(7, t + 9n)).toBe('NQH5');
    expect(m.symbolFor(7, t + 10n)).toBeNull();
    // stype_out symbol empty: the in symbol is used
    m.applySymbolMapping({ ...symbolMapping(8, '', 0n, UNDEF_TIMESTAMP), stype_in_symbol: 'CLG5' });
    expect(m.symbolFor(8, t)).toBe('CLG5');
  });

  it('fallback map is consulted only when the map has nothing; merge copies intervals', () => {
    const a = new SymbolMap();
    const b = new SymbolMap();
    a.addDateInterval(1, '2025-01-02', '2025-01-03', 'A1');
    b.addDateInterval(1, '2025-01-01', '2025-01-04', 'B1');
    b.addDateInterval(2, '2025-01-01', '2025-01-04', 'B2');
    a.fallback = b;
    expect(a.symbolFor(1, d('2025-01-02'))).toBe('A1');
    expect(a.symbolFor(1, d('2025-01-03'))).toBe('B1');
    expect(a.symbolFor(2, d('2025-01-02'))).toBe('B2');
    expect(a.symbolFor(3, d('2025-01-02'))).toBeNull();
    const c = new SymbolMap();
    c.merge(b);
    expect(c.symbolFor(2, d('2025-01-03'))).toBe('B2');
  });
});

describe('symbology.json', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('dbn-events-sym-'));
  });
  afterAll(() => cleanup());

  const doc = {
    result: {
      ESH6: [{ d0: '2025-12-01', d1: '2025-12-03', s: '12345' }],
      ESZ5: [
        { d0: '2025-12-01', d1: '2025-12-02', s: '999' },
        { d0: '2025-12-02', d1: '2025-12-03', s: '' },
      ],
    },
    symbols: ['ESH6', 'ESZ5'],
    stype_in: 'raw_symbol',
    stype_out: 'instrument_id',
    start_date: '2025-12-01',
    end_date: '2025-12-03',
    partial: [],
    not_found: [],
    message: 'OK',
    status: 0,
  };

  it('loads Databento batch symbology.json: d0 inclusive, d1 exclusive, empty s skipped', async () => {
    const p = join(dir, 'symbology.json');
    await writeFile(p, JSON.stringify(doc));
    const m = await loadSymbologyJson(p);
    expect(m.symbolFor(12345, d('2025-12-01'))).toBe('ESH6');
    expect(m.symbolFor(12345, d('2025-12-03') - 1n)).toBe('ESH6');
    expect(m.symbolFor(12345, d('2025-12-03'))).toBeNull();
    expect(m.symbolFor(999, d('2025-12-01'))).toBe('ESZ5');
    expect(m.symbolFor(999, d('2025-12-02'))).toBeNull();
    expect(m.instrumentIds()).toStrictEqual([999, 12345]);
  });

  it('inverse stypes are honoured; defaults apply when stype fields are absent', () => {
    const inv = parseSymbologyJson({
      result: { '12345': [{ d0: '2025-12-01', d1: '2025-12-02', s: 'ESH6' }] },
      stype_in: 'instrument_id',
      stype_out: 'raw_symbol',
    });
    expect(inv.symbolFor(12345, d('2025-12-01'))).toBe('ESH6');
    const dflt = parseSymbologyJson({ result: { ESH6: [{ d0: '2025-12-01', d1: '2025-12-02', s: '12345' }] } });
    expect(dflt.symbolFor(12345, d('2025-12-01'))).toBe('ESH6');
  });

  it('malformed input: clear errors naming the file and the entry', async () => {
    expect(() => parseSymbologyJson([], 'x.json')).toThrow(SymbologyJsonError);
    expect(() => parseSymbologyJson({ symbols: [] }, 'x.json')).toThrow(/x\.json: "result" must be an object/);
    expect(() => parseSymbologyJson({ result: { ESH6: [{ d0: '2025-12-01', s: '1' }] } })).toThrow(
      /result\["ESH6"\]\[0\] must have string fields d0, d1 and s/,
    );
    expect(() => parseSymbologyJson({ result: { ESH6: [{ d0: 'soon', d1: '2025-12-02', s: '1' }] } })).toThrow(
      /"soon" is not a YYYY-MM-DD date/,
    );
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"result": ');
    await expect(loadSymbologyJson(bad)).rejects.toThrow(/bad\.json: not valid JSON/);
    await expect(loadSymbologyJson(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read/);
  });
});
