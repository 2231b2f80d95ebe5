import { describe, expect, it } from 'vitest';
import {
  decode,
  encode,
  encodeToString,
  entryForEvent,
  formatFloat,
  lookup,
  REGISTRY,
  SUBJECTS,
  UnknownSubjectError,
  type FuturesTrade,
  type MarketEvent,
} from '../src/index.js';
import { rng } from '@md/test-support';
import { futuresTrade, mbp10, SAMPLES } from './fixtures.js';

const td = new TextDecoder();

/** bit-for-bit equality: bigint exact, floats compared by their bits (so -0 !== 0 and NaN never sneaks in) */
function sameBits(a: unknown, b: unknown, path = ''): void {
  if (typeof a === 'number' && typeof b === 'number') {
    expect(Object.is(a, b), `${path}: ${a} vs ${b}`).toBe(true);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(b.length, path).toBe(a.length);
    a.forEach((x, i) => sameBits(x, b[i], `${path}[${i}]`));
    return;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(b), path).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) sameBits((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  expect(b, path).toBe(a);
}

describe('golden bytes, one event of each type', () => {
  for (const s of SAMPLES) {
    it(`${s.schemaId} encodes to the contract's bytes and back`, () => {
      const bytes = encode(s.event, s.subject);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(td.decode(bytes)).toBe(s.json);
      expect(encodeToString(s.event, s.schemaId)).toBe(s.json);
      expect(encodeToString(s.event)).toBe(s.json); // schema inferred from the event's keys
      const back = decode(s.subject, bytes);
      sameBits(s.event, back);
      sameBits(s.event, decode(s.schemaId, s.json)); // string input too
      expect(lookup(s.subject).schemaId).toBe(s.schemaId);
      expect(lookup(s.schemaId).subject).toBe(s.subject);
      // the zod schema accepts what the codec reads back
      expect(lookup(s.subject).schema.safeParse(back).success).toBe(true);
    });
  }

  it('bodies are pure ASCII for ASCII strings and compact (no spaces)', () => {
    for (const s of SAMPLES) {
      const b = encode(s.event, s.schemaId);
      expect(b.every((x) => x < 0x80 && x !== 0x20)).toBe(true);
    }
  });
});

describe('registry', () => {
  it('is one table: every subject and schema id resolves to the same entry', () => {
    expect(REGISTRY.map((e) => e.subject).sort()).toEqual(Object.values(SUBJECTS).sort());
    for (const e of REGISTRY) {
      expect(lookup(e.subject)).toBe(e);
      expect(lookup(e.schemaId)).toBe(e);
    }
    expect(REGISTRY.filter((e) => e.extension).map((e) => e.name)).toEqual(['GreeksSnapshot']);
  });

  it('unknown subjects throw UnknownSubjectError naming the subject', () => {
    expect(() => lookup('market.crypto.trades')).toThrow(UnknownSubjectError);
    expect(() => lookup('market.crypto.trades')).toThrow(/market\.crypto\.trades/);
    expect(() => decode('nope', '{}')).toThrow(UnknownSubjectError);
  });

  it('lookup and decode are typed for a literal subject or schema id', () => {
    const t: FuturesTrade = decode('market.futures.trades', SAMPLES[3].json); // no cast needed
    expect(t.exchange).toBe('CME');
    const entry = lookup('futures.trades.v1');
    const back: FuturesTrade = entry.decode(entry.encode(t));
    expect(back.ts_recv_ns).toBe(1609160400000711344n);
  });

  it('infers the schema from the event shape', () => {
    for (const s of SAMPLES) expect(entryForEvent(s.event).schemaId).toBe(s.schemaId);
  });
});

const ft = (over: Partial<FuturesTrade>): FuturesTrade => ({ ...futuresTrade, ...over });

describe('round trips on boundary values, bit for bit', () => {
  const nsValues = [
    0n,
    1n,
    2n ** 53n + 1n,
    1702900800123456789n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    -1n,
    999_999_999n,
    1_000_000_000n,
    10n ** 18n,
  ];
  for (const v of nsValues) {
    it(`ns ${v}`, () => {
      const e = ft({ ts_event_ns: v, ts_recv_ns: v });
      const text = encodeToString(e);
      expect(text).toContain(`"ts_event_ns":${v},"ts_recv_ns":${v},`);
      const back = decode(SUBJECTS.futuresTrades, encode(e)) as FuturesTrade;
      expect(back.ts_event_ns).toBe(v);
      expect(back.ts_recv_ns).toBe(v);
      expect(typeof back.ts_event_ns).toBe('bigint');
    });
  }

  it('1702900800123456789 never comes out as 1702900800123456800', () => {
    const back = decode('futures.trades.v1', encode(ft({ ts_event_ns: 1702900800123456789n }))) as FuturesTrade;
    expect(back.ts_event_ns).toBe(1702900800123456789n);
  });

  const prices: [number, string][] = [
    [0.1, '0.1'],
    [4500.25, '4500.25'],
    [676.0, '676.0'],
    [1e-9, '1e-09'],
    [1e16, '1e+16'],
    [5e-324, '5e-324'],
    [0, '0.0'],
    [-0, '-0.0'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [9999999999999998, '9999999999999998.0'],
    [123456789.123, '123456789.123'],
    [-3.25, '-3.25'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [Number.MIN_VALUE, '5e-324'],
    [2 ** 53 + 2, '9007199254740994.0'],
    [0.30000000000000004, '0.30000000000000004'],
    [1e21, '1e+21'],
    [1.2345e-300, '1.2345e-300'],
    [-1e-7, '-1e-07'],
  ];
  for (const [p, text] of prices) {
    it(`price ${text}`, () => {
      const e = ft({ price: p });
      expect(encodeToString(e)).toContain(`"price":${text},`);
      const back = decode('futures.trades.v1', encode(e)) as FuturesTrade;
      expect(Object.is(back.price, p)).toBe(true);
    });
  }

  it('the byte encoder writes every float exactly as formatFloat (its digit fast path included)', () => {
    const rnd = rng(777);
    const xs = [
      2147483647,
      2147483648,
      2147483646.5,
      214748364.75,
      0.0001,
      0.00012,
      1e-4 * 0.999999,
      0.05,
      1.000001,
      0.1 + 0.2,
      123456.123456,
      1234567.1234567,
      -0.5,
      -4500.25,
      99999999.99,
      0.000999999,
    ];
    for (let i = 0; i < 20000; i++) {
      const k = Math.floor(rnd() * 9);
      const x = (Math.round(rnd() * 10 ** (1 + Math.floor(rnd() * 10))) / 10 ** k) * (rnd() < 0.2 ? -1 : 1);
      xs.push(x, x + 1e-9, rnd() * 10 ** Math.floor(rnd() * 12 - 5));
    }
    for (const x of xs) {
      const e = ft({ price: x });
      const text = td.decode(encode(e));
      expect(text, String(x)).toContain(`"price":${formatFloat(x)},`);
    }
  });

  it('-0.0 policy: written as -0.0 (as Python does) and read back as -0', () => {
    const back = decode('futures.trades.v1', encodeToString(ft({ price: -0 }))) as FuturesTrade;
    expect(Object.is(back.price, -0)).toBe(true);
  });

  it('sizes and seq up to MAX_SAFE_INTEGER; conditions arrays', () => {
    const e = ft({ size: Number.MAX_SAFE_INTEGER, seq: -5, conditions: [0, 1, 255, Number.MAX_SAFE_INTEGER] });
    const s = encodeToString(e);
    expect(s).toContain('"size":9007199254740991,');
    expect(s).toContain('"conditions":[0,1,255,9007199254740991],"seq":-5}');
    sameBits(e, decode('futures.trades.v1', s));
    const empty = ft({ conditions: [] });
    expect(encodeToString(empty)).toContain('"conditions":[]');
    sameBits(empty, decode('futures.trades.v1', encodeToString(empty)));
  });

  it('strings with quotes, backslashes, control and non-ASCII characters', () => {
    for (const sym of ['A"B', 'A\\B', 'tab\there', 'nl\n', 'é', '日本', '\u0001', '😀', 'x\u007f', '\ud800']) {
      const e = ft({ symbol: sym, exchange: sym });
      const bytes = encode(e);
      expect(td.decode(bytes)).toBe(encodeToString(e));
      const back = decode('futures.trades.v1', bytes) as FuturesTrade;
      expect(back.symbol).toBe(sym);
      expect(back.exchange).toBe(sym);
      expect(JSON.parse(td.decode(bytes)).symbol).toBe(sym);
    }
  });

  it('many random events round trip (encode -> decode -> encode is stable)', () => {
    const rnd = rng(12345);
    const buf = new DataView(new ArrayBuffer(8));
    const randomDouble = () => {
      buf.setUint32(0, Math.floor(rnd() * 2 ** 32));
      buf.setUint32(4, Math.floor(rnd() * 2 ** 32));
      const x = buf.getFloat64(0);
      return Number.isFinite(x) ? x : rnd();
    };
    for (let i = 0; i < 3000; i++) {
      const ts = BigInt(Math.floor(rnd() * 2 ** 31)) * BigInt(Math.floor(rnd() * 2 ** 31)) * (rnd() < 0.1 ? -1n : 1n);
      const e: MarketEvent = {
        ...mbp10,
        ts_event_ns: ts,
        levels: mbp10.levels.map((l) => ({ ...l, bid_px: i % 3 ? randomDouble() : Math.round(rnd() * 1e6) / 4, ask_px: rnd() * 1e-3 })),
      };
      const bytes = encode(e);
      const back = decode('futures.mbp10.v1', bytes);
      sameBits(e, back);
      expect(encodeToString(back)).toBe(td.decode(bytes));
    }
  });

  it('large bodies (own array) and non-ASCII bodies (UTF-8) encode like the text', () => {
    for (const e of [
      ft({ conditions: Array.from({ length: 2000 }, (_, i) => i) }),
      ft({ symbol: 'é'.repeat(800) }),
      ft({ symbol: 'x'.repeat(3000) }),
    ]) {
      const b = encode(e);
      expect(td.decode(b)).toBe(encodeToString(e));
      sameBits(e, decode('futures.trades.v1', b));
    }
  });

  it('bytes equal the text for strings and arrays of every length around the slab reserve', () => {
    for (let n = 1; n < 2300; n += n < 300 ? 37 : n < 800 ? 3 : n < 1800 ? 97 : 7) {
      for (const e of [
        ft({ symbol: 'S'.repeat(n) }),
        ft({ exchange: 'E'.repeat(n), conditions: Array.from({ length: n >> 3 }, (_, i) => i * 1000) }),
        ft({ symbol: 'é'.repeat(1 + (n >> 1)) }),
      ]) {
        const b = encode(e);
        expect(td.decode(b)).toBe(encodeToString(e));
      }
      const m = { ...mbp10, symbol: 'M'.repeat(n) };
      expect(td.decode(encode(m))).toBe(encodeToString(m));
    }
  });

  it('bodies from many encodes stay intact (slab views are never reused)', () => {
    const all = Array.from({ length: 5000 }, (_, i) => ({ i, b: encode(ft({ seq: i })) }));
    for (const { i, b } of all) expect((decode('futures.trades.v1', b) as FuturesTrade).seq).toBe(i);
  });
});

describe('decode accepts any valid JSON layout of a valid event', () => {
  it('whitespace between tokens and keys in another order', () => {
    const pretty = JSON.stringify(JSON.parse(SAMPLES[4].json), null, 2).replace('3720.0', '3720');
    // JSON.parse/stringify lost the exact ns: put them back
    const text = pretty
      .replace(/"ts_event_ns": \d+/, '"ts_event_ns": 1609160400000429831')
      .replace(/"ts_recv_ns": \d+/, '"ts_recv_ns": 1609160400000431665');
    sameBits(mbp10, decode('futures.mbp10.v1', text));
    const reordered =
      '{"seq":1170352,"conditions":null,"exchange":"CME","aggressor":-1,"size":1,"price":3720.25,"symbol":"ESH1",' +
      '"source":"replay","ts_recv_ns":1609160400000711344,"ts_event_ns":1609160400000704060}';
    sameBits(futuresTrade, decode('futures.trades.v1', reordered));
    sameBits(futuresTrade, decode('futures.trades.v1', ` \n${SAMPLES[3].json}\r\n\t`));
  });

  it('escaped characters in strings and keys', () => {
    const text = SAMPLES[3].json.replace('"ESH1"', '"\\u0045S\\u0048\\u0031"').replace('"symbol"', '"sym\\u0062ol"');
    sameBits(futuresTrade, decode('futures.trades.v1', text));
  });

  it('float lexemes of every JSON form give the double Number() gives', () => {
    for (const lex of [
      '3720',
      '3720.250',
      '372025e-2',
      '3.72025E3',
      '0.000372025e7',
      '-0',
      '1e-9',
      '12345678901234567890.5',
      '0.1000000000000000055511151231257827',
    ]) {
      const back = decode('futures.trades.v1', SAMPLES[3].json.replace('3720.25', lex)) as FuturesTrade;
      expect(Object.is(back.price, Number(lex)), lex).toBe(true);
    }
  });
});
