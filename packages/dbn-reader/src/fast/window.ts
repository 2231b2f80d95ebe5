/**
 * The object path's `[start, end)` window and its early stop (mapping.ts, MappedFile.run) on 64-bit values
 * given as two u32 halves, so that the fast path filters without a bigint per record.
 *
 * A bound is clamped to [0, 2^64] and split into halves; 2^64 has a high half of 2^32, above any record's
 * (u32) high half, so `key < bound` by (hi, lo) comparison is exactly the bigint comparison for every u64 key.
 */

export interface Bound {
  hi: number;
  lo: number;
}

const TWO32 = 1n << 32n;
const TWO64 = 1n << 64n;

/** the bound as halves, clamped to [0, 2^64] (which keeps `key < bound` exact for every u64 key) */
export function bound(v: bigint): Bound {
  const c = v < 0n ? 0n : v > TWO64 ? TWO64 : v;
  return { hi: Number(c / TWO32), lo: Number(c % TWO32) };
}

/** key (hi, lo) < b */
export function below(hi: number, lo: number, b: Bound): boolean {
  return hi < b.hi || (hi === b.hi && lo < b.lo);
}

/** What MapFileOptions' start / end / filterOn / endSlackNs amount to, as halves. */
export interface FastWindow {
  /** keep keys >= start (null: no lower bound) */
  start: Bound | null;
  /** keep keys < end (null: no upper bound) */
  end: Bound | null;
  /** the key is ts_recv (else ts_event) */
  onRecv: boolean;
  /** stop reading at the first record of the kind with ts_recv >= stopAt (null: read to the end) */
  stopAt: Bound | null;
}

export function fastWindow(o: { start?: bigint; end?: bigint; filterOn?: 'ts_event' | 'ts_recv'; endSlackNs?: bigint }): FastWindow {
  const onRecv = o.filterOn === 'ts_recv';
  const end = o.end;
  return {
    start: o.start !== undefined ? bound(o.start) : null,
    end: end !== undefined ? bound(end) : null,
    onRecv,
    stopAt: end !== undefined && !onRecv ? bound(end + (o.endSlackNs ?? 60_000_000_000n)) : null,
  };
}
