/**
 * A direct-mapped cache of price texts by raw value (the two u32 halves of the i64): a book's prices repeat
 * from record to record, also when its levels shift by a tick (a memo per book slot misses then), and a
 * trade's price is mostly one of a few recent ones. A hit copies the text `price` wrote for the same raw value
 * (the text is a function of the raw value alone); a miss writes it and keeps it in its slot.
 */
import { PRICE_MAX, price } from './price.js';

const BITS = 12;
const N = 1 << BITS;
/** bytes per slot (>= PRICE_MAX) */
const STRIDE = 32;
const U32_MAX = 0xffffffff;
const I32_MAX = 0x7fffffff;

export class PriceCache {
  /** raw halves per slot; start at UNDEF_PRICE, which never reaches the cache (the callers test it) */
  private readonly lo = new Uint32Array(N).fill(U32_MAX);
  private readonly hi = new Uint32Array(N).fill(I32_MAX);
  private readonly len = new Uint8Array(N);
  private readonly text = new Uint8Array(N * STRIDE);

  /** writes the price at `dv` offset `o` (not UNDEF_PRICE) at `p`; returns the new position */
  write(b: Uint8Array, p: number, dv: DataView, o: number): number {
    const lo = dv.getUint32(o, true);
    const hi = dv.getUint32(o + 4, true);
    const s = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - BITS);
    const at = s * STRIDE;
    const t = this.text;
    if (this.lo[s] === lo && this.hi[s] === hi) {
      const n = this.len[s] as number;
      for (let i = 0; i < n; i++) b[p + i] = t[at + i] as number;
      return p + n;
    }
    const end = price(b, p, dv, o);
    const n = end - p;
    this.lo[s] = lo;
    this.hi[s] = hi;
    this.len[s] = n;
    for (let i = 0; i < n; i++) t[at + i] = b[p + i] as number; // no subarray: a view is an allocation
    return end;
  }
}

if (STRIDE < PRICE_MAX) throw new Error('fast/price-cache: STRIDE < PRICE_MAX');
