/**
 * Message ids of Bronze events (see README, "Message ids"):
 *
 *   `${subject}:${symbol}:${ts_event_ns}:${ts_recv_ns}:${seq or -}:${fingerprint}`
 *
 * The fingerprint is 16 hex digits, a 64-bit hash (two 32-bit lanes, cyrb53-style mixing) of the event's
 * other fields in schema order: each number as the two 32-bit words of its IEEE-754 double, each string as
 * its UTF-16 code units (length first), null / absent as a marker word. The id depends on the row's content
 * only, not on the file or the row's position: the same event stored twice (at-least-once delivery, a
 * backfill over a live partition, a file rewritten by the dedup script) gets the same id, so JetStream's
 * duplicate window drops the copy.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const NULL_WORD = 0x6e756c6c; // 'null'
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const OUT = new Uint32Array(2);
const HEX_DIGIT = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));
const hex32 = (x: number): string =>
  (HEX[x >>> 24] as string) + (HEX[(x >>> 16) & 255] as string) + (HEX[(x >>> 8) & 255] as string) + (HEX[x & 255] as string);

/** Incremental 64-bit fingerprint over numbers, strings and nulls. One instance is reused per row (`reset`). */
export class Fingerprint {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;

  reset(): this {
    this.h1 = 0xdeadbeef;
    this.h2 = 0x41c6ce57;
    return this;
  }

  private word(w: number): void {
    this.h1 = Math.imul(this.h1 ^ w, 2654435761);
    this.h2 = Math.imul(this.h2 ^ w, 1597334677);
  }

  num(x: number): this {
    f64[0] = x;
    this.word(u32[0] as number);
    this.word(u32[1] as number);
    return this;
  }

  numOrNull(x: number | null): this {
    if (x === null) this.word(NULL_WORD);
    else this.num(x);
    return this;
  }

  str(s: string): this {
    this.word(s.length);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
    return this;
  }

  strOrNull(s: string | null): this {
    if (s === null) this.word(NULL_WORD);
    else this.str(s);
    return this;
  }

  list(xs: readonly number[] | null): this {
    if (xs === null) {
      this.word(NULL_WORD);
      return this;
    }
    this.word(xs.length ^ 0x4c495354);
    for (const x of xs) this.num(x);
    return this;
  }

  /** the final mix: [high word, low word] of the digest */
  private final(): void {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    OUT[0] = h2 >>> 0;
    OUT[1] = h1 >>> 0;
  }

  /** 16 lowercase hex digits */
  digest(): string {
    this.final();
    return hex32(OUT[0] as number) + hex32(OUT[1] as number);
  }

  /** the digest's 16 hex digits as ASCII bytes at b[p..p + 16) (no string); returns p + 16 */
  digestInto(b: Uint8Array, p: number): number {
    this.final();
    for (let w = 0; w < 2; w++) {
      const x = OUT[w] as number;
      for (let s = 28; s >= 0; s -= 4) b[p++] = HEX_DIGIT[(x >>> s) & 15] as number;
    }
    return p;
  }
}

/** The id of one Bronze event: `${subject}:${symbol}:${tsEvent}:${tsRecv}:${seq ?? '-'}:${fingerprint}`. */
export function bronzeMsgId(
  subject: string,
  symbol: string,
  tsEvent: bigint,
  tsRecv: bigint,
  seq: number | null,
  fingerprint: string,
): string {
  return `${subject}:${symbol}:${tsEvent}:${tsRecv}:${seq === null ? '-' : seq}:${fingerprint}`;
}
