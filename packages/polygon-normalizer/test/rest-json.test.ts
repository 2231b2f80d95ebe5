import { describe, expect, it } from 'vitest';
import { parseRestJson, RestJsonError } from '@md/polygon-normalizer';
import { Rng } from '@md/test-support';

const offsetOf = (text: string | Uint8Array): number => {
  try {
    parseRestJson(text);
  } catch (e) {
    expect(e).toBeInstanceOf(RestJsonError);
    expect((e as Error).message).toMatch(/^invalid JSON at byte \d+: /);
    return (e as RestJsonError).offset;
  }
  throw new Error('expected a RestJsonError');
};

describe('parseRestJson: lossless numbers', () => {
  it('keeps 19-digit nanoseconds exact (JSON.parse rounds them)', () => {
    const text = '{"results":[{"sip_timestamp":1702900800123456789,"participant_timestamp":1702900800123456000,"price":1.5}]}';
    expect((JSON.parse(text) as { results: { sip_timestamp: number }[] }).results[0]!.sip_timestamp).toBe(1702900800123456800);
    const v = parseRestJson(text) as { results: Record<string, unknown>[] };
    expect(v.results[0]).toStrictEqual({ sip_timestamp: 1702900800123456789n, participant_timestamp: 1702900800123456000n, price: 1.5 });
    expect(String(v.results[0]!.sip_timestamp)).toBe('1702900800123456789');
  });
  it('a *_timestamp value is always a bigint; other integers only when unsafe', () => {
    expect(parseRestJson('{"trf_timestamp":5,"n":5,"big":9007199254740993,"max":9007199254740991,"neg":-9007199254740992}')).toStrictEqual({
      trf_timestamp: 5n,
      n: 5,
      big: 9007199254740993n,
      max: 9007199254740991,
      neg: -9007199254740992n,
    });
    expect(parseRestJson('[1702900800123456789, 12345678901234567890123]')).toStrictEqual([1702900800123456789n, 12345678901234567890123n]);
    // a *_timestamp that is not a number is left to the caller (the row mapping refuses it by name)
    expect(parseRestJson('{"sip_timestamp":null,"x_timestamp":"1"}')).toStrictEqual({ sip_timestamp: null, x_timestamp: '1' });
  });
  it('refuses a fraction or exponent in a *_timestamp, naming the offset', () => {
    expect(offsetOf('{"sip_timestamp":1.7e18}')).toBe(17);
    expect(() => parseRestJson('{"sip_timestamp":1.5}')).toThrow(/\*_timestamp value must be an integer \(nanoseconds\), got 1.5/);
  });
  it('floats, -0, exponents read as JSON.parse reads them', () => {
    const text = '[0.1,-0,1e-7,2.5E+3,676.0,-1.25,0,1e400]';
    expect(parseRestJson(text)).toStrictEqual(JSON.parse(text));
    expect(Object.is((parseRestJson('[-0]') as number[])[0], -0)).toBe(true);
  });
});

describe('parseRestJson: like JSON.parse otherwise', () => {
  it('strings, escapes, unicode, lone surrogates, literals, whitespace, duplicate keys, __proto__', () => {
    const text =
      ' {"a":"x\\"y\\\\z\\/\\b\\f\\n\\r\\t","u":"\\u00e9\\uD83D\\uDE00\\ud800","raw":"é😀 ü","t":true,"f":false,"n":null,"e":{},"l":[],"d":1,"d":2,"__proto__":{"p":1}}\r\n\t';
    const v = parseRestJson(text);
    expect(v).toStrictEqual(JSON.parse(text));
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v as object)).toContain('__proto__');
  });
  it('random documents (safe numbers) parse exactly as JSON.parse parses them', () => {
    const r = new Rng(42);
    const chars = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\u0001', 'é', '€', '😀', '\ud800', ':', ','];
    const str = () => Array.from({ length: r.int(0, 12) }, () => r.pick(chars)).join('');
    const gen = (d: number): unknown => {
      const k = r.int(0, d > 3 ? 4 : 6);
      if (k === 0) return r.int(-1e6, 1e6) * (r.next() < 0.5 ? 1 : 0.001);
      if (k === 1) return str();
      if (k === 2) return r.pick([true, false, null]);
      if (k === 3) return r.int(-(2 ** 53) + 1, 2 ** 53 - 1);
      if (k === 4) return r.next() * 10 ** r.int(-10, 15); // below 2^53: a larger double may print as an integer lexeme (-> bigint)
      if (k === 5) return Array.from({ length: r.int(0, 4) }, () => gen(d + 1));
      return Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [str(), gen(d + 1)]));
    };
    for (let i = 0; i < 2000; i++) {
      const text = JSON.stringify(gen(0), null, r.next() < 0.3 ? 2 : undefined);
      expect(parseRestJson(text), text).toStrictEqual(JSON.parse(text));
      expect(parseRestJson(new TextEncoder().encode(text))).toStrictEqual(JSON.parse(text));
    }
  });
});

describe('parseRestJson: malformed input names the byte offset', () => {
  it.each([
    ['', 0, /expected a value, got end of input/],
    ['{"results":[{"sip_timestamp":1702900800123456789', 48, /expected ',' or '}'/],
    ['{"results":[', 12, /expected a value, got end of input/],
    ['{"a":1} x', 8, /after the top-level value/],
    ['{"a":1}{"b":2}', 7, /after the top-level value/],
    ['\ufeff{"a":1}', 0, /byte 0xef/],
    ['{"a":01}', 6, /expected ',' or '}'/],
    ['{"a":-}', 6, /expected a digit/],
    ['{"a":1.}', 7, /after '\.'/],
    ['{"a":.5}', 5, /expected a value/],
    ['{"a":1e}', 7, /exponent/],
    ['{"a":NaN}', 5, /expected a value/],
    ['{"a":tru}', 8, /expected "true"/],
    ['{"a":"x\\q"}', 7, /bad escape \\q/],
    ['{"a":"\\u12G4"}', 10, /hex digit/],
    ['{"a":"x\ny"}', 7, /control character 0x0a/],
    ['{"a":"abc', 5, /unterminated string/],
    ['{a:1}', 1, /expected a key string/],
    ['{"a" 1}', 5, /expected ':' after key "a"/],
    ['[1,]', 3, /expected a value/],
    ['{"a":1,}', 7, /expected a key string/],
  ])('%j -> byte %i', (text, offset, re) => {
    expect(offsetOf(text)).toBe(offset);
    expect(() => parseRestJson(text)).toThrow(re);
  });
  it('offsets count bytes, not characters, and invalid UTF-8 in a string is refused', () => {
    expect(offsetOf('{"é€😀":1 x}')).toBe(15); // 10 characters in, 15 bytes (2 + 3 + 4 bytes of key text)
    const bad = new Uint8Array([...new TextEncoder().encode('{"a":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}')]);
    expect(offsetOf(bad)).toBe(6);
    expect(() => parseRestJson(bad)).toThrow(/invalid UTF-8/);
  });
  it('refuses nesting deeper than 512 levels instead of overflowing the stack', () => {
    expect(() => parseRestJson('['.repeat(100_000))).toThrow(/nested deeper than 512/);
    expect(parseRestJson('['.repeat(500) + ']'.repeat(500))).toBeInstanceOf(Array);
  });
});
