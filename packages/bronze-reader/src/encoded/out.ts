/**
 * Byte writers of the encoded path: ASCII digits straight into a byte array, the same text as the contract's
 * codec (@md/event-types: integers in decimal, floats as Python's repr, nanoseconds from their exact value).
 * 64-bit values come as two uint32 halves, never as a bigint: below 2^53 they are one exact double, above a long
 * division in 16-bit limbs keeps every step below 2^53 (exact). The caller makes room (`Bytes.ensure`) first.
 */
import { formatFloat } from '@md/event-types';

/** a growable byte array with a write cursor; offsets stay valid across growth */
export class Bytes {
  buf: Uint8Array;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(Math.max(1024, size));
  }
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      const nb = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      nb.set(this.buf.subarray(0, this.pos));
      this.buf = nb;
    }
  }
}

const te = new TextEncoder();
/** UTF-8 bytes of a constant */
export const utf8 = (s: string): Uint8Array => te.encode(s);

export function put(b: Uint8Array, p: number, k: Uint8Array): number {
  const n = k.length;
  if (n > 32) {
    b.set(k, p);
    return p + n;
  }
  for (let i = 0; i < n; i++) b[p + i] = k[i] as number;
  return p + n;
}

/** decimal digits of an integer 0 <= v < 2^53 */
export function uint(b: Uint8Array, p: number, v: number): number {
  if (v < 10) {
    b[p] = 48 + v;
    return p + 1;
  }
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

/** exactly 9 digits of 0 <= v < 1e9 */
function nine(b: Uint8Array, p: number, v: number): number {
  let x = v;
  for (let q = p + 8; q >= p; q--) {
    const d = (x / 10) >>> 0;
    b[q] = 48 + (x - d * 10);
    x = d;
  }
  return p + 9;
}

const TWO32 = 4294967296;
/** the last whole second written by long division: its digits and its start as halves */
const last = { hi: -1, lo: 0, n: 0, digits: new Uint8Array(16) };

/** the unsigned value hi * 2^32 + lo (< 2^64) in decimal */
export function u64(b: Uint8Array, p: number, hi: number, lo: number): number {
  if (hi < 0x200000) return uint(b, p, hi * TWO32 + lo);
  // in-order timestamps mostly share their second with the last one written: reuse its digits
  if (hi === last.hi || hi === last.hi + 1) {
    const diff = (hi - last.hi) * TWO32 + (lo - last.lo);
    if (diff >= 0 && diff < 1e9) {
      const d = last.digits;
      for (let i = 0; i < last.n; i++) b[p + i] = d[i] as number;
      return nine(b, p + last.n, diff);
    }
  }
  let cur = hi >>> 16;
  cur = cur * 65536 + (hi & 0xffff);
  const q2 = Math.floor(cur / 1e9);
  cur = (cur - q2 * 1e9) * 65536 + (lo >>> 16);
  const q1 = Math.floor(cur / 1e9);
  cur = (cur - q1 * 1e9) * 65536 + (lo & 0xffff);
  const q0 = Math.floor(cur / 1e9);
  const r = cur - q0 * 1e9;
  const end = uint(b, p, q2 * TWO32 + q1 * 65536 + q0);
  last.n = end - p;
  for (let i = 0; i < last.n; i++) last.digits[i] = b[p + i] as number;
  const startLo = lo - r;
  last.lo = startLo < 0 ? startLo + TWO32 : startLo;
  last.hi = startLo < 0 ? hi - 1 : hi;
  return nine(b, end, r);
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * A finite double as Python's repr writes it (the codec's float text). A value that is exactly m / 10^k (a
 * correctly rounded division) for an integer m < 2^31 and k <= 6 has that decimal as its shortest round-trip
 * text, so its digits are written from m (as @md/event-types' byte encoder does); anything else through
 * formatFloat (allocates a string: rare for prices).
 */
export function float(b: Uint8Array, p: number, v: number): number {
  const a = v < 0 ? -v : v;
  if (a >= 1e-4 && a < 2147483647) {
    for (let k = 0; k <= 6; k++) {
      const pw = POW10[k] as number;
      const m = Math.round(a * pw);
      if (m / pw === a) {
        if (m >= 2147483648) break;
        if (v < 0) b[p++] = 45;
        return decimal(b, p, m, k);
      }
    }
  }
  const s = formatFloat(v);
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/** digits of m with a point before the last k (k = 0: m + ".0") */
function decimal(b: Uint8Array, p: number, m: number, k: number): number {
  let n = 1;
  for (let t = (m / 10) | 0; t > 0; t = (t / 10) | 0) n++;
  if (n <= k) n = k + 1;
  const end = p + n + (k === 0 ? 2 : 1);
  let q = end;
  if (k === 0) {
    b[--q] = 48;
    b[--q] = 46;
  }
  let x = m;
  for (let i = 0; i < n; i++) {
    if (i === k && k > 0) b[--q] = 46;
    const d = (x / 10) | 0;
    b[--q] = 48 + x - d * 10;
    x = d;
  }
  return end;
}

/** a safe integer (negative too) */
export function int(b: Uint8Array, p: number, v: number): number {
  if (v >= 0) return uint(b, p, v);
  b[p] = 45;
  return uint(b, p + 1, -v);
}
