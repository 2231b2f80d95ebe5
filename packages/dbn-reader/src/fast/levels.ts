/**
 * MBP-10's `levels` written straight from the record's ten BidAskPairs (32 bytes each from record offset 48:
 * bid_px i64, ask_px i64, bid_sz u32, ask_sz u32), as the object path writes them: a side whose price is
 * UNDEF_PRICE is `null` with size 0. Prices go through a memo per book slot (level x side), as the object
 * path's fixedToFloat memo: consecutive records mostly repeat their levels' prices, whose text is then copied.
 * Same raw value, same text.
 */
import { ascii, put, uint } from './out.js';
import { PRICE_MAX, price } from './price.js';

const K = {
  levels: ascii(',"levels":['),
  bidPx: ascii('{"bid_px":'),
  bidPxNext: ascii('},{"bid_px":'),
  bidSz: ascii(',"bid_sz":'),
  askPx: ascii(',"ask_px":'),
  askSz: ascii(',"ask_sz":'),
  end: ascii('}]'),
  nul: ascii('null'),
};
const U32_MAX = 0xffffffff;
const I32_MAX = 0x7fffffff;

/** most bytes `write` puts out */
export const LEVELS_MAX = 13 + 10 * (10 + 2 * PRICE_MAX + 10 + 10 + 10 + 2 * 10 + 1) + 2;

export class LevelsWriter {
  /** the memo: raw halves and text per slot; starts at UNDEF_PRICE, which never reaches it */
  private readonly lo = new Uint32Array(20).fill(U32_MAX);
  private readonly hi = new Uint32Array(20).fill(I32_MAX);
  private readonly len = new Uint8Array(20);
  private readonly text = new Uint8Array(20 * PRICE_MAX);

  /** writes `,"levels":[...]` for the record at `o` at `p`; returns the new position */
  write(b: Uint8Array, p0: number, dv: DataView, o: number): number {
    let p = put(b, p0, K.levels);
    for (let i = 0; i < 10; i++) {
      const l = o + 48 + 32 * i;
      p = put(b, p, i === 0 ? K.bidPx : K.bidPxNext);
      const bidNull = dv.getUint32(l, true) === U32_MAX && dv.getUint32(l + 4, true) === I32_MAX;
      p = bidNull ? put(b, p, K.nul) : this.slotPrice(b, p, dv, l, 2 * i);
      p = put(b, p, K.bidSz);
      p = bidNull ? ((b[p] = 48), p + 1) : uint(b, p, dv.getUint32(l + 16, true));
      p = put(b, p, K.askPx);
      const askNull = dv.getUint32(l + 8, true) === U32_MAX && dv.getUint32(l + 12, true) === I32_MAX;
      p = askNull ? put(b, p, K.nul) : this.slotPrice(b, p, dv, l + 8, 2 * i + 1);
      p = put(b, p, K.askSz);
      p = askNull ? ((b[p] = 48), p + 1) : uint(b, p, dv.getUint32(l + 20, true));
    }
    return put(b, p, K.end);
  }

  private slotPrice(b: Uint8Array, p: number, dv: DataView, o: number, slot: number): number {
    const lo = dv.getUint32(o, true);
    const hi = dv.getUint32(o + 4, true);
    const at = slot * PRICE_MAX;
    const t = this.text;
    if (this.lo[slot] === lo && this.hi[slot] === hi) {
      const n = this.len[slot] as number;
      for (let i = 0; i < n; i++) b[p + i] = t[at + i] as number;
      return p + n;
    }
    const end = price(b, p, dv, o);
    const n = end - p;
    this.lo[slot] = lo;
    this.hi[slot] = hi;
    this.len[slot] = n;
    for (let i = 0; i < n; i++) t[at + i] = b[p + i] as number; // no subarray: a view is an allocation
    return end;
  }
}
