/**
 * A DBN fixed-point price (i64, scale 1e-9) written as the contract's float text straight from the record's
 * two 32-bit halves, with the same text as the object path (`fixedToFloat` then Python's float text).
 *
 * Why the digits can be written from the integer: the object path's double is the one nearest to the decimal
 * D = raw / 1e9. When D has at most 15 significant digits, it is that double's shortest round-trip text: every
 * decimal of at most 15 significant digits comes back from its nearest double (DBL_DIG = 15), so a shorter
 * decimal reading back to the same double would come back as D instead of itself. So for |raw| < 2^53 with at
 * most 15 significant digits and |D| >= 1e-4 (Python's plain range: below that it writes an exponent), the text
 * is the digits of |raw| with the point 9 from the right, trailing zeros dropped, `.0` kept for an integral
 * value. Every other price (more digits, |D| < 1e-4, |raw| >= 2^53) goes through `fixedToFloat` and
 * `formatFloat` as the object path does: exact, and rare in real data (allocates a string).
 */
import { fixedToFloat, formatFloat } from '@md/event-types';
import { nine, uint } from './out.js';

const TWO32 = 4294967296;

/** the high half (signed) of a value in [-2^53, 2^53) is in [-2^21, 2^21) */
const HI53 = 0x200000;

/** trailing decimal zeros of an integer 0 < v < 1e9 (at most 8) */
function trailingZeros(v: number): number {
  let x = v | 0;
  if (x % 100000000 === 0) return 8;
  let n = 0;
  if (x % 10000 === 0) {
    n = 4;
    x = (x / 10000) | 0;
  }
  if (x % 100 === 0) {
    n += 2;
    x = (x / 100) | 0;
  }
  return x % 10 === 0 ? n + 1 : n;
}

/** decimal digits of an integer 0 < v < 2^31 */
function digits(v: number): number {
  const x = v | 0;
  return x < 10 ? 1 : x < 100 ? 2 : x < 1e3 ? 3 : x < 1e4 ? 4 : x < 1e5 ? 5 : x < 1e6 ? 6 : x < 1e7 ? 7 : x < 1e8 ? 8 : x < 1e9 ? 9 : 10;
}

/** the text of a price the fast route does not take, written byte by byte (ASCII) */
function slow(b: Uint8Array, p: number, dv: DataView, o: number): number {
  const s = formatFloat(fixedToFloat(dv.getBigInt64(o, true)));
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/** most bytes `price` writes: "-1.2345678901234567e-308" */
export const PRICE_MAX = 24;

/**
 * Writes the price at `dv`/`b` offset `o` (an i64, not UNDEF_PRICE: the caller tests that) at `p`; returns the
 * new position.
 */
export function price(b: Uint8Array, p: number, dv: DataView, o: number): number {
  const lo = dv.getUint32(o, true);
  const hi = dv.getInt32(o + 4, true);
  if (hi >= HI53 || hi < -HI53) return slow(b, p, dv, o);
  const raw = hi * TWO32 + lo; // exact: |raw| < 2^53
  const neg = raw < 0;
  const m = neg ? -raw : raw;
  if (m < 100000) return slow(b, p, dv, o); // |D| < 1e-4 (or 0): exponent form, or 0.0
  const ip = Math.floor(m / 1e9); // < 2^53 / 1e9 < 2^24
  const fp = (m - ip * 1e9) | 0; // < 1e9 < 2^31
  let q = p;
  if (fp === 0) {
    // an integral value: at most 7 digits (m < 2^53), always within 15
    if (neg) b[q++] = 45;
    q = uint(b, q, ip);
    b[q] = 46;
    b[q + 1] = 48;
    return q + 2;
  }
  const tz = trailingZeros(fp);
  const sig = ip > 0 ? digits(ip) + 9 - tz : digits(fp) - tz;
  if (sig > 15) return slow(b, p, dv, o);
  if (neg) b[q++] = 45;
  q = uint(b, q, ip);
  b[q++] = 46;
  nine(b, q, fp);
  return q + 9 - tz;
}
