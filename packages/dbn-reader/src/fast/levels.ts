/**
 * MBP-10's `levels` written straight from the record's ten BidAskPairs (32 bytes each from record offset 48:
 * bid_px i64, ask_px i64, bid_sz u32, ask_sz u32), as the object path writes them: a side whose price is
 * UNDEF_PRICE is `null` with size 0. Prices go through a cache of texts by raw value (price-cache.ts), as the
 * object path's fixedToFloat memo: consecutive records mostly repeat their levels' prices (also when the book
 * shifts by a tick), whose text is then copied. Same raw value, same text.
 */
import { uint } from './out.js';
import { kAskPx, kAskSz, kBidPxNext, kBidSz, kEnd, kLevels0, kNullAskSz0, kNullBidSz0 } from './keys.js';
import { PRICE_MAX } from './price.js';
import { PriceCache } from './price-cache.js';

const U32_MAX = 0xffffffff;
const I32_MAX = 0x7fffffff;

/** most bytes `write` puts out */
export const LEVELS_MAX = 13 + 10 * (10 + 2 * PRICE_MAX + 10 + 10 + 10 + 2 * 10 + 1) + 2;

export class LevelsWriter {
  /** price texts by raw value (see price-cache.ts) */
  private readonly prices = new PriceCache();

  /** writes `,"levels":[...]` for the record at `o` at `p`; returns the new position */
  write(b: Uint8Array, p0: number, dv: DataView, o: number): number {
    let p = p0;
    for (let i = 0; i < 10; i++) {
      const l = o + 48 + 32 * i;
      p = i === 0 ? kLevels0(b, p) : kBidPxNext(b, p);
      if (dv.getUint32(l, true) === U32_MAX && dv.getUint32(l + 4, true) === I32_MAX) p = kNullBidSz0(b, p);
      else {
        p = this.prices.write(b, p, dv, l);
        p = kBidSz(b, p);
        p = uint(b, p, dv.getUint32(l + 16, true));
      }
      p = kAskPx(b, p);
      if (dv.getUint32(l + 8, true) === U32_MAX && dv.getUint32(l + 12, true) === I32_MAX) p = kNullAskSz0(b, p);
      else {
        p = this.prices.write(b, p, dv, l + 8);
        p = kAskSz(b, p);
        p = uint(b, p, dv.getUint32(l + 20, true));
      }
    }
    return kEnd(b, p);
  }
}
