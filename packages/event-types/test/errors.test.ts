import { describe, expect, it } from 'vitest';
import { CodecError, decode, DecodeError, encode, EncodeError, lookup, type MarketEvent } from '../src/index.js';
import { futuresTrade, greeks, mbp10, optionTrade, SAMPLES, stockQuote, stockTrade } from './fixtures.js';

function encodeError(fn: () => unknown): EncodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EncodeError);
    expect(e).toBeInstanceOf(CodecError);
    return e as EncodeError;
  }
  throw new Error('expected an EncodeError');
}

function decodeError(schemaId: string, text: string | Uint8Array): DecodeError {
  try {
    decode(schemaId, text);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).toBeInstanceOf(CodecError);
    return e as DecodeError;
  }
  throw new Error(`expected a DecodeError for ${typeof text === 'string' ? text : '<bytes>'}`);
}

const mut = <T extends object>(e: T, over: Record<string, unknown>): MarketEvent => ({ ...e, ...over }) as unknown as MarketEvent;

describe('encode rejects what the contract does not allow, naming the field', () => {
  const cases: [string, MarketEvent, string, string, RegExp][] = [
    ['ns as number', mut(futuresTrade, { ts_event_ns: 1702900800123456789 }), 'futures.trades.v1', 'ts_event_ns', /bigint/],
    ['ns above int64', mut(futuresTrade, { ts_recv_ns: 2n ** 63n }), 'futures.trades.v1', 'ts_recv_ns', /int64/],
    ['ns below int64', mut(futuresTrade, { ts_event_ns: -(2n ** 63n) - 1n }), 'futures.trades.v1', 'ts_event_ns', /int64/],
    ['unknown source', mut(futuresTrade, { source: 'bloomberg' }), 'futures.trades.v1', 'source', /bloomberg/],
    ['NaN price', mut(futuresTrade, { price: NaN }), 'futures.trades.v1', 'price', /finite/],
    ['Infinity price', mut(stockTrade, { price: Infinity }), 'stocks.trades.v1', 'price', /finite/],
    ['string price', mut(stockQuote, { bid_px: '1.5' }), 'stocks.quotes.v1', 'bid_px', /number/],
    ['non-integer size', mut(futuresTrade, { size: 1.5 }), 'futures.trades.v1', 'size', /integer/],
    ['negative size', mut(stockQuote, { ask_sz: -1 }), 'stocks.quotes.v1', 'ask_sz', />= 0/],
    ['unsafe size', mut(stockTrade, { size: 2 ** 53 }), 'stocks.trades.v1', 'size', /integer/],
    ['missing field', mut(futuresTrade, { seq: undefined }), 'futures.trades.v1', 'seq', /missing|undefined/],
    ['bad aggressor', mut(futuresTrade, { aggressor: 2 }), 'futures.trades.v1', 'aggressor', /1, -1 or 0/],
    ['bad right', mut(optionTrade, { right: 'X' }), 'options.trades.v1', 'right', /"C" or "P"/],
    ['bad date', mut(optionTrade, { exp_date: '2025-02-30' }), 'options.trades.v1', 'exp_date', /date/],
    ['empty symbol', mut(stockTrade, { symbol: '' }), 'stocks.trades.v1', 'symbol', /empty/],
    ['condition not int', mut(stockTrade, { conditions: [1, 2.5] }), 'stocks.trades.v1', 'conditions[1]', /integer/],
    ['conditions not array', mut(stockTrade, { conditions: 5 }), 'stocks.trades.v1', 'conditions', /array/],
    ['exchange wrong type', mut(futuresTrade, { exchange: 7 }), 'futures.trades.v1', 'exchange', /string/],
    ['9 levels', mut(mbp10, { levels: mbp10.levels.slice(1) }), 'futures.mbp10.v1', 'levels', /exactly 10/],
    [
      'level price NaN',
      mut(mbp10, { levels: mbp10.levels.map((l, i) => (i === 3 ? { ...l, bid_px: NaN } : l)) }),
      'futures.mbp10.v1',
      'levels[3].bid_px',
      /finite/,
    ],
    [
      'empty side with size',
      mut(mbp10, { levels: mbp10.levels.map((l, i) => (i === 4 ? { ...l, ask_px: null } : l)) }),
      'futures.mbp10.v1',
      'levels[4].ask_sz',
      /size 0/,
    ],
    ['level not object', mut(mbp10, { levels: mbp10.levels.map((l, i) => (i === 2 ? 7 : l)) }), 'futures.mbp10.v1', 'levels[2]', /object/],
    ['is_snapshot not bool', mut(mbp10, { is_snapshot: 1 }), 'futures.mbp10.v1', 'is_snapshot', /boolean/],
    ['greek infinite', mut(greeks, { vega: -Infinity }), 'options.greeks.v1', 'vega', /finite/],
  ];
  for (const [name, ev, id, field, msg] of cases) {
    it(name, () => {
      const e = encodeError(() => encode(ev, id));
      expect(e.field).toBe(field);
      expect(e.message).toMatch(msg);
      expect(e.message).toContain(field);
      // the zod schema rejects it too (the hand-written encoder and the schema agree)
      expect(lookup(id).schema.safeParse(ev).success).toBe(false);
    });
  }

  it('not an object', () => {
    expect(encodeError(() => encode(null as unknown as MarketEvent, 'futures.trades.v1')).field).toBe('');
    expect(() => encode({ foo: 1 } as unknown as MarketEvent)).toThrow(EncodeError);
  });
});

describe('decode rejects bad input with DecodeError naming the field', () => {
  const ft = SAMPLES[3].json;
  const mb = SAMPLES[4].json;
  const cases: [string, string, string, string, RegExp][] = [
    ['wrong type: string ns', 'futures.trades.v1', ft.replace('1609160400000704060', '"1609160400000704060"'), 'ts_event_ns', /integer/],
    ['float ns', 'futures.trades.v1', ft.replace('1609160400000704060', '1.6e18'), 'ts_event_ns', /integer/],
    ['ns above int64', 'futures.trades.v1', ft.replace('1609160400000711344', '9223372036854775808'), 'ts_recv_ns', /int64/],
    ['ns below int64', 'futures.trades.v1', ft.replace('1609160400000711344', '-9223372036854775809'), 'ts_recv_ns', /int64/],
    ['ns 20 digits', 'futures.trades.v1', ft.replace('1609160400000711344', '16091604000007113440'), 'ts_recv_ns', /int64/],
    ['missing field', 'futures.trades.v1', ft.replace(',"aggressor":-1', ''), 'aggressor', /missing/],
    ['unknown source', 'futures.trades.v1', ft.replace('"replay"', '"bloomberg"'), 'source', /unknown source "bloomberg"/],
    ['non-integer size', 'futures.trades.v1', ft.replace('"size":1', '"size":1.5'), 'size', /integer/],
    ['size 1.0 is not an integer lexeme', 'futures.trades.v1', ft.replace('"size":1', '"size":1.0'), 'size', /integer/],
    ['negative size', 'futures.trades.v1', ft.replace('"size":1', '"size":-1'), 'size', />= 0/],
    ['unsafe seq', 'futures.trades.v1', ft.replace('1170352', '9007199254740993'), 'seq', /safe integer/],
    ['NaN price', 'futures.trades.v1', ft.replace('3720.25', 'NaN'), 'price', /finite/],
    ['Infinity price', 'futures.trades.v1', ft.replace('3720.25', 'Infinity'), 'price', /finite/],
    ['overflowing price', 'futures.trades.v1', ft.replace('3720.25', '1e400'), 'price', /finite/],
    ['price as string', 'futures.trades.v1', ft.replace('3720.25', '"3720.25"'), 'price', /number/],
    ['price null', 'futures.trades.v1', ft.replace('3720.25', 'null'), 'price', /number/],
    ['bad aggressor', 'futures.trades.v1', ft.replace('"aggressor":-1', '"aggressor":2'), 'aggressor', /1, -1 or 0/],
    ['aggressor 1.0', 'futures.trades.v1', ft.replace('"aggressor":-1', '"aggressor":1.0'), 'aggressor', /1, -1 or 0/],
    ['unknown key', 'futures.trades.v1', ft.replace('"seq"', '"extra":1,"seq"'), 'extra', /unknown key/],
    ['duplicate key', 'futures.trades.v1', ft.replace('"seq":1170352', '"seq":1,"seq":2'), 'seq', /duplicate/],
    ['conditions element', 'futures.trades.v1', ft.replace('"conditions":null', '"conditions":[1,"x"]'), 'conditions[1]', /integer/],
    ['level price wrong type', 'futures.mbp10.v1', mb.replace('"bid_px":3719.25', '"bid_px":"3719.25"'), 'levels[3].bid_px', /number/],
    ['level size non-integer', 'futures.mbp10.v1', mb.replace('"ask_sz":26', '"ask_sz":26.5'), 'levels[6].ask_sz', /integer/],
    ['level missing key', 'futures.mbp10.v1', mb.replace(',"ask_sz":29', ''), 'levels[9].ask_sz', /missing/],
    [
      'empty side with size',
      'futures.mbp10.v1',
      mb.replace('"bid_px":null,"bid_sz":0', '"bid_px":null,"bid_sz":5'),
      'levels[9].bid_sz',
      /size 0/,
    ],
    ['9 levels', 'futures.mbp10.v1', mb.replace('{"bid_px":3720.0,"bid_sz":10,"ask_px":3720.25,"ask_sz":20},', ''), 'levels', /exactly 10/],
    ['11 levels', 'futures.mbp10.v1', mb.replace('[{', '[{"bid_px":1.0,"bid_sz":1,"ask_px":2.0,"ask_sz":1},{'), 'levels', /exactly 10/],
    ['is_snapshot wrong type', 'futures.mbp10.v1', mb.replace('"is_snapshot":false', '"is_snapshot":0'), 'is_snapshot', /boolean/],
    ['bad right', 'options.trades.v1', SAMPLES[2].json.replace('"right":"C"', '"right":"c"'), 'right', /"C" or "P"/],
    ['bad date', 'options.trades.v1', SAMPLES[2].json.replace('2025-12-16', '2025-13-16'), 'exp_date', /date/],
    ['empty underlying', 'options.greeks.v1', SAMPLES[5].json.replace('"SPX"', '""'), 'underlying', /empty/],
  ];
  for (const [name, id, text, field, msg] of cases) {
    it(name, () => {
      const e = decodeError(id, text);
      expect(e.field).toBe(field);
      expect(e.message).toMatch(msg);
      expect(e.message).toContain(field);
      expect(e.offset).toBeGreaterThanOrEqual(0);
      // also through the bytes path, with the same field
      expect(decodeError(id, new TextEncoder().encode(text)).field).toBe(field);
    });
  }

  it('syntax errors and non-objects', () => {
    for (const t of [
      '',
      '[]',
      'null',
      '{',
      SAMPLES[3].json + 'x',
      SAMPLES[3].json.slice(0, -1),
      SAMPLES[3].json.replace(',', ',,'),
      '{"ts_event_ns":01}',
    ]) {
      expect(() => decode('futures.trades.v1', t)).toThrow(DecodeError);
    }
    expect(decodeError('futures.trades.v1', SAMPLES[3].json + ' 1').message).toMatch(/after the object/);
  });

  it('invalid UTF-8 bytes', () => {
    const b = new TextEncoder().encode(SAMPLES[3].json.replace('ESH1', 'ESH\u00e9'));
    const i = b.indexOf(0xc3);
    b[i] = 0xff;
    expect(decodeError('futures.trades.v1', b).message).toMatch(/UTF-8/);
  });

  it('control characters in strings must be escaped', () => {
    expect(decodeError('futures.trades.v1', SAMPLES[3].json.replace('ESH1', 'ES\nH1')).field).toBe('symbol');
  });

  it('every truncation of every golden body is rejected, never half-read', () => {
    for (const s of SAMPLES) {
      for (let n = 0; n < s.json.length; n++) expect(() => decode(s.schemaId, s.json.slice(0, n))).toThrow(DecodeError);
    }
  });
});
