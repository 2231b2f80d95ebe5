/**
 * Byte writers of the encoded path: the integer and nanosecond writers of @md/event-types (digits.ts, shared with
 * dbn-reader's fast lane), and here floats as Python's repr (the contract codec's text) and signed integers.
 * The caller makes room (`Bytes.ensure`) first.
 */
import { formatFloat, uint } from '@md/event-types';

export { put, u64, uint } from '@md/event-types';

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
