/**
 * The shared digit writers (src/digits.ts) against JavaScript's own decimal text: integers below 2^53 against
 * String(v), 64-bit halves against BigInt's toString (every digit count, the edges, 2^64 - 1), in order (the
 * cached-second path) and shuffled (the long division), and nine zero-padded digits.
 */
import { describe, expect, it } from 'vitest';
import { bigIntToHalves, nine, put, u64, uint } from '../src/index.js';

/** a small deterministic generator (xorshift32) */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const buf = new Uint8Array(256);
const text = (end: number, from = 8) => Buffer.from(buf.subarray(from, end)).toString('latin1');

describe('digit writers', () => {
  it('uint: every digit count up to 2^53 - 1, the powers of ten and their neighbours', () => {
    const r = rng(7);
    const values: number[] = [0, 9, 10, 99, 100, 999, 1000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
    for (let k = 0; k <= 15; k++) values.push(10 ** k - 1, 10 ** k, 10 ** k + 1);
    for (let i = 0; i < 20_000; i++) values.push(Math.floor(r() * 10 ** Math.floor(r() * 16)));
    for (const v of values) {
      buf.fill(0x2a);
      const end = uint(buf, 8, v);
      expect(text(end)).toBe(String(v));
      expect(buf[7]).toBe(0x2a); // nothing before p
      expect(buf[end]).toBe(0x2a); // nothing after the digits
    }
  });

  it('u64: halves of every magnitude up to 2^64 - 1, shuffled and in timestamp order', () => {
    const r = rng(11);
    const values: bigint[] = [0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, 10n ** 18n, 10n ** 19n];
    for (let i = 0; i < 20_000; i++) values.push((BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
    // ns timestamps in order: most share their second with the previous one, some cross it, some jump back
    let t = 1_735_828_215_745_672_008n;
    for (let i = 0; i < 20_000; i++) {
      const step = r() < 0.9 ? BigInt(Math.floor(r() * 5_000_000)) : r() < 0.5 ? 1_000_000_000n - 1n : -BigInt(Math.floor(r() * 3e9));
      t += step;
      values.push(t);
    }
    for (const v of values) {
      const [hi, lo] = bigIntToHalves(v);
      buf.fill(0x2a);
      const end = u64(buf, 8, hi, lo);
      expect(text(end)).toBe(v.toString());
      expect(buf[end]).toBe(0x2a);
    }
  });

  it('nine: exactly nine digits, leading zeros kept; put copies short and long constants', () => {
    const r = rng(3);
    for (const v of [0, 1, 9, 10, 123, 999_999_999, ...Array.from({ length: 5000 }, () => Math.floor(r() * 1e9))]) {
      const end = nine(buf, 8, v);
      expect(end).toBe(17);
      expect(text(end)).toBe(String(v).padStart(9, '0'));
    }
    for (const k of ['', ',', '{"ts_event_ns":', 'x'.repeat(80)]) {
      const bytes = Buffer.from(k, 'latin1');
      buf.fill(0x2a);
      const end = put(buf, 8, bytes);
      expect(text(end)).toBe(k);
      expect(buf[end]).toBe(0x2a);
    }
  });
});
