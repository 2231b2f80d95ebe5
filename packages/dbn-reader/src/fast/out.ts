/**
 * The fast path's output buffer: one growable byte array with a write cursor, reused for every event. The
 * encoder appends an event's body and its message id and reports their offsets (not views: a growth moves the
 * bytes to a larger array, offsets stay valid), so a batch of events can sit in one buffer and be published
 * from views of it (`view(start, end)`) without a string or a buffer per event.
 *
 * The digit writers (@md/event-types) put ASCII digits straight into the bytes. 64-bit values come as two 32-bit halves read
 * from the record (DataView getUint32), never as a bigint: values below 2^53 are exact doubles, larger ones
 * are split by a long division in 16-bit limbs (every intermediate below 2^53, so every step is exact).
 */

export class OutBuffer {
  bytes: Uint8Array;
  /** the next byte to write */
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.bytes = new Uint8Array(Math.max(1024, initialSize));
  }

  /** room for n more bytes (the content so far is kept: offsets stay valid) */
  ensure(n: number): void {
    if (this.pos + n > this.bytes.length) this.grow(n);
  }

  private grow(n: number): void {
    const nb = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + n));
    nb.set(this.bytes.subarray(0, this.pos));
    this.bytes = nb;
  }

  /** forget everything written (views handed out before are overwritten by later writes) */
  reset(): void {
    this.pos = 0;
  }

  /** the bytes [start, end) as a view of the buffer (valid until the next reset or growth) */
  view(start: number, end: number): Uint8Array {
    return this.bytes.subarray(start, end);
  }
}

/** Constant bytes (keys, brackets, literals) as written. */
export function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`fast/out: constant ${JSON.stringify(s)} is not ASCII`);
    b[i] = c;
  }
  return b;
}

// The digit writers (@md/event-types digits.ts, shared with bronze-reader) are called with room made by the caller
// (OutBuffer.ensure of the event's bound): their indexed writes stay within the array by construction.
export { nine, put, u64, uint } from '@md/event-types';
