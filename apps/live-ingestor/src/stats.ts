/** Counters and a small latency sampler for the periodic stats line. */

/** Keeps up to `cap` samples per interval (reservoir sampling beyond), reports quantiles. */
export class Sampler {
  private readonly buf: Float64Array;
  private n = 0;
  private seen = 0;
  max = 0;
  constructor(private readonly cap = 65536) {
    this.buf = new Float64Array(cap);
  }
  add(v: number): void {
    this.seen++;
    if (v > this.max) this.max = v;
    if (this.n < this.cap) this.buf[this.n++] = v;
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.cap) this.buf[j] = v;
    }
  }
  get count(): number {
    return this.seen;
  }
  quantiles(qs: number[]): number[] {
    if (this.n === 0) return qs.map(() => NaN);
    const a = this.buf.slice(0, this.n).sort();
    return qs.map((q) => a[Math.min(this.n - 1, Math.floor(q * this.n))]);
  }
  reset(): void {
    this.n = 0;
    this.seen = 0;
    this.max = 0;
  }
}

export interface IngestCounters {
  frames: number;
  /** data events by kind, plus status */
  events: { stock_trade: number; stock_quote: number; option_trade: number; option_quote: number; status: number };
  /** frames refused as a whole */
  malformedFrames: number;
  /** elements refused */
  malformedEvents: number;
  /** elements skipped (unknown ev) */
  ignored: number;
  /** events lost to the queue's drop policy */
  dropped: number;
  /** events the sink refused (encode error, publisher failure) */
  publishErrors: number;
  /** events handed to the sink */
  published: number;
  reconnects: number;
  resubscriptions: number;
}

export function newCounters(): IngestCounters {
  return {
    frames: 0,
    events: { stock_trade: 0, stock_quote: 0, option_trade: 0, option_quote: 0, status: 0 },
    malformedFrames: 0,
    malformedEvents: 0,
    ignored: 0,
    dropped: 0,
    publishErrors: 0,
    published: 0,
    reconnects: 0,
    resubscriptions: 0,
  };
}
