/**
 * A batch of events already encoded as the contract's JSON (the fast replay lane, issue 12): columns of offsets
 * into one byte array instead of an object per event. A producer (e.g. @md/dbn-reader's fast encoder) fills
 * one; a merge (@md/stream-merge) orders rows of several by key; a sink (@md/nats-bus) writes or publishes
 * `bytes[bodyStart[i], bodyEnd[i])` with the message id `bytes[idStart[i], idEnd[i])` (ASCII) to
 * `subjects[subject[i]]`.
 *
 * 64-bit nanosecond values are held as two unsigned 32-bit halves (`hi * 2^32 + lo`, both read with
 * DataView getUint32 from the record): comparisons need no bigint, and nothing squeezes them through a
 * double. The contract's timestamps are int64 >= 0 (a value above INT64_MAX never reaches a batch: the
 * codec refuses it), so unsigned comparison of (hi, lo) is the order of the values.
 *
 * Ownership: a batch's arrays are never written again once it is handed on (a sink may keep views of
 * `bytes` until the events are confirmed); a producer makes a new batch each time.
 */
export interface EncodedBatch {
  /** number of events (rows) */
  readonly length: number;
  /** the bodies and message ids of every row */
  readonly bytes: Uint8Array;
  /** subject table; `subject[i]` indexes it */
  readonly subjects: readonly string[];
  readonly subject: Uint8Array;
  readonly bodyStart: Int32Array;
  readonly bodyEnd: Int32Array;
  readonly idStart: Int32Array;
  readonly idEnd: Int32Array;
  /** the ordering key of each row (ts_event_ns, or ts_recv_ns when the replay orders by it), high / low 32 bits */
  readonly keyHi: Uint32Array;
  readonly keyLo: Uint32Array;
  /** ts_event_ns of each row, high / low 32 bits (the same arrays as keyHi / keyLo when the key is ts_event) */
  readonly tsHi: Uint32Array;
  readonly tsLo: Uint32Array;
  /** the `source` field every row's body carries (e.g. 'replay', 'sim') */
  readonly source: string;
}

/** a 64-bit value from its halves, exactly (for the rare places that need a bigint: stats, pacing) */
export function halvesToBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** the high / low 32-bit halves of a non-negative value below 2^64 */
export function bigIntToHalves(v: bigint): [hi: number, lo: number] {
  if (v < 0n || v >= 1n << 64n) throw new RangeError(`bigIntToHalves: ${v} is outside [0, 2^64)`);
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** compares (aHi, aLo) with (bHi, bLo) as unsigned 64-bit values: negative, 0 or positive */
export function compareHalves(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return aHi !== bHi ? aHi - bHi : aLo - bLo;
}
