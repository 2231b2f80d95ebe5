/**
 * Byte writers shared by the encoded paths (dbn-reader's fast lane, bronze-reader's encoded rows): ASCII digits
 * straight into a byte array, the same text as this package's codec writes (integers in decimal, nanoseconds from
 * their exact value). 64-bit values come as two uint32 halves, never as a bigint: below 2^53 they are one exact
 * double, above a long division by 1e9 in 16-bit limbs keeps every step below 2^53 (exact). The caller makes
 * room first; every function returns the position after what it wrote.
 */
/** copies constant bytes k at p; returns the new position */
export function put(b: Uint8Array, p: number, k: Uint8Array): number {
  const n = k.length;
  if (n > 8) {
    b.set(k, p);
    return p + n;
  }
  for (let i = 0; i < n; i++) b[p + i] = k[i] as number;
  return p + n;
}

/** "00".."99" as byte pairs */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** decimal digits of an integer 0 <= v < 2^53 at p; returns the new position */
export function uint(b: Uint8Array, p: number, v: number): number {
  if (v < 100) {
    if (v < 10) {
      b[p] = 48 + v;
      return p + 1;
    }
    const r = 2 * v;
    b[p] = PAIRS[r] as number;
    b[p + 1] = PAIRS[r + 1] as number;
    return p + 2;
  }
  if (v < 1000) {
    const x = v | 0;
    const d = (x / 100) | 0;
    const r = (x - d * 100) << 1;
    b[p] = 48 + d;
    b[p + 1] = PAIRS[r] as number;
    b[p + 2] = PAIRS[r + 1] as number;
    return p + 3;
  }
  return v < 4294967296 ? u32(b, p, v) : wide(b, p, v);
}

/**
 * decimal digits of an integer 100 <= v < 2^32 at p, two per step; in int32 arithmetic (`| 0`) below 2^31, where
 * the division by a constant compiles to a multiplication
 */
function u32(b: Uint8Array, p: number, v: number): number {
  const n = v < 1e3 ? 3 : v < 1e4 ? 4 : v < 1e5 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10;
  let q = p + n;
  let x: number;
  if (v >= 2147483648) {
    const d = Math.floor(v / 100); // exact: v < 2^32
    const r = 2 * (v - d * 100);
    b[q - 1] = PAIRS[r + 1] as number;
    b[q - 2] = PAIRS[r] as number;
    q -= 2;
    x = d | 0;
  } else x = v | 0;
  while (x >= 100) {
    const d = (x / 100) | 0;
    const r = (x - d * 100) << 1;
    b[q - 1] = PAIRS[r + 1] as number;
    b[q - 2] = PAIRS[r] as number;
    q -= 2;
    x = d;
  }
  if (x >= 10) {
    b[q - 1] = PAIRS[2 * x + 1] as number;
    b[q - 2] = PAIRS[2 * x] as number;
  } else b[q - 1] = 48 + x;
  return p + n;
}

/** decimal digits of an integer 2^32 <= v < 2^53 at p */
function wide(b: Uint8Array, p: number, v: number): number {
  let n = 1;
  for (let t = Math.floor(v / 10); t > 0; t = Math.floor(t / 10)) n++;
  let q = p + n;
  for (let x = v; x > 0;) {
    const d = Math.floor(x / 10);
    b[--q] = 48 + (x - d * 10);
    x = d;
  }
  return p + n;
}

/** exactly 9 digits of 0 <= v < 1e9 (leading zeros kept) at p; int32 arithmetic (see u32) */
export function nine(b: Uint8Array, p: number, v: number): number {
  let x = v | 0;
  let d = (x / 100) | 0;
  let r = (x - d * 100) << 1;
  b[p + 8] = PAIRS[r + 1] as number;
  b[p + 7] = PAIRS[r] as number;
  x = d;
  d = (x / 100) | 0;
  r = (x - d * 100) << 1;
  b[p + 6] = PAIRS[r + 1] as number;
  b[p + 5] = PAIRS[r] as number;
  x = d;
  d = (x / 100) | 0;
  r = (x - d * 100) << 1;
  b[p + 4] = PAIRS[r + 1] as number;
  b[p + 3] = PAIRS[r] as number;
  x = d;
  d = (x / 100) | 0;
  r = (x - d * 100) << 1;
  b[p + 2] = PAIRS[r + 1] as number;
  b[p + 1] = PAIRS[r] as number;
  b[p] = 48 + d;
  return p + 9;
}

const TWO32 = 4294967296;
/** below 2^53: the high half is below 2^21 */
const HI53 = 0x200000;

/**
 * The unsigned 64-bit value hi * 2^32 + lo (two u32 halves) in decimal at p. Below 2^53 it is one exact
 * double; above, long division by 1e9 in 16-bit limbs: each partial dividend r * 2^16 + limb is below
 * 1e9 * 2^16 < 2^53, so every quotient digit and remainder is exact, the quotient (< 2^64 / 1e9 < 2^35) is an
 * exact double and the remainder gives the last 9 digits.
 */
export function u64(b: Uint8Array, p: number, hi: number, lo: number): number {
  if (hi < HI53) return uint(b, p, hi * TWO32 + lo);
  // timestamps come in order: most share their whole seconds (value / 1e9) with the last one written, whose
  // digits are kept; the difference from that second's start is an exact double when it is small
  const c = last;
  const diff = (hi - c.hi) * TWO32 + (lo - c.lo);
  if (diff >= 0 && diff < 1e9) {
    const d = c.digits;
    for (let i = 0; i < c.n; i++) b[p + i] = d[i] as number;
    return nine(b, p + c.n, diff);
  }
  let cur = hi >>> 16; // < 2^16 < 1e9: quotient digit 0
  cur = cur * 65536 + (hi & 0xffff);
  const q2 = Math.floor(cur / 1e9);
  cur = (cur - q2 * 1e9) * 65536 + (lo >>> 16);
  const q1 = Math.floor(cur / 1e9);
  cur = (cur - q1 * 1e9) * 65536 + (lo & 0xffff);
  const q0 = Math.floor(cur / 1e9);
  const r = cur - q0 * 1e9;
  const q = q2 * TWO32 + q1 * 65536 + q0; // >= 2^53 / 1e9 > 0
  const end = uint(b, p, q);
  // remember this second: its digits and its start (value - r, as two halves)
  c.n = end - p;
  for (let i = 0; i < c.n; i++) c.digits[i] = b[p + i] as number;
  const startLo = lo - r;
  c.lo = startLo < 0 ? startLo + TWO32 : startLo;
  c.hi = startLo < 0 ? hi - 1 : hi;
  return nine(b, end, r);
}

/** the last whole second u64 wrote by long division (starts far from any value: the first call divides) */
const last = { hi: -1e9, lo: 0, n: 0, digits: new Uint8Array(16) };
