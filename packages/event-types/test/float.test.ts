import { describe, expect, it } from 'vitest';
import { Rng } from '@md/test-support';
import { fixedToFloat, fixedToFloatOrNull, formatFloat, UNDEF_PRICE } from '../src/index.js';

/** exact reference: the decimal text of raw/1e9, converted by Number() (correctly rounded by the spec) */
function reference(raw: bigint): number {
  const neg = raw < 0n;
  const s = (neg ? -raw : raw).toString().padStart(10, '0');
  return Number(`${neg ? '-' : ''}${s.slice(0, -9)}.${s.slice(-9)}`);
}

describe('fixedToFloat', () => {
  it('known values', () => {
    expect(fixedToFloat(3720250000000n)).toBe(3720.25);
    expect(fixedToFloat(1n)).toBe(1e-9);
    expect(fixedToFloat(100000000n)).toBe(0.1);
    expect(fixedToFloat(0n)).toBe(0);
    expect(fixedToFloat(-4500250000000n)).toBe(-4500.25);
    expect(fixedToFloat(UNDEF_PRICE)).toBe(9223372036.854775807);
    expect(UNDEF_PRICE).toBe(2n ** 63n - 1n);
    expect(fixedToFloatOrNull(UNDEF_PRICE)).toBeNull();
    expect(fixedToFloatOrNull(1n)).toBe(1e-9);
  });

  it('is correctly rounded: equals Number(exact decimal) for random values on both sides of 2^53', () => {
    const random = new Rng(42);
    const next = () => random.u64();
    for (let i = 0; i < 50000; i++) {
      const bits = BigInt(1 + (i % 63));
      let raw = next() & ((1n << bits) - 1n);
      if (i % 2) raw = -raw;
      if (raw > UNDEF_PRICE) raw = UNDEF_PRICE;
      if (raw < -UNDEF_PRICE) raw = -UNDEF_PRICE;
      expect(fixedToFloat(raw), String(raw)).toBe(reference(raw));
    }
    for (const raw of [2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 62n + 12345n, UNDEF_PRICE, -UNDEF_PRICE]) {
      expect(fixedToFloat(raw)).toBe(reference(raw));
    }
  });

  it('rejects non-bigint input', () => {
    expect(() => fixedToFloat(5 as unknown as bigint)).toThrow(TypeError);
  });
});

describe('formatFloat (Python repr)', () => {
  it('examples', () => {
    const cases: [number, string][] = [
      [676, '676.0'],
      [0.1, '0.1'],
      [3720.25, '3720.25'],
      [1e-9, '1e-09'],
      [1e16, '1e+16'],
      [1e-5, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [1e-4, '0.0001'],
      [5e-324, '5e-324'],
      [-0, '-0.0'],
      [0, '0.0'],
      [1e100, '1e+100'],
      [9999999999999998, '9999999999999998.0'],
      [123456.789e20, '1.23456789e+25'],
      [-1.5e300, '-1.5e+300'],
    ];
    for (const [x, s] of cases) expect(formatFloat(x)).toBe(s);
  });
  it('rejects non-finite numbers and non-numbers', () => {
    expect(() => formatFloat(NaN)).toThrow(RangeError);
    expect(() => formatFloat(Infinity)).toThrow(RangeError);
    expect(() => formatFloat('1' as unknown as number)).toThrow(TypeError);
  });
  it('round trips: Number(formatFloat(x)) === x', () => {
    for (let i = 0; i < 10000; i++) {
      const x = (Math.random() - 0.5) * 10 ** (Math.random() * 40 - 20);
      expect(Object.is(Number(formatFloat(x)), x)).toBe(true);
    }
  });
});
