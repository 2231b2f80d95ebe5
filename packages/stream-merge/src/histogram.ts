/**
 * A small log-bucketed histogram of non-negative durations in milliseconds: ~1% relative precision from 1 µs
 * to ~1000 s, fixed memory (about 2,100 counters), exact count / max / mean.
 */
const K = 1 / Math.log(1.01); // buckets per e-fold
const BUCKETS = 2 + Math.ceil(Math.log(1e9) * K); // up to 1e9 µs

export interface LatenessSummary {
  /** number of samples */
  count: number;
  /** in milliseconds */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;
  sum = 0;

  /** the counter of bucket i, 0 <= i < BUCKETS by construction (checked: a typed array ignores a write out of range) */
  private bucket(i: number): number {
    const c = this.counts[i];
    if (c === undefined) throw new RangeError(`histogram bucket ${i} outside 0..${BUCKETS - 1}`);
    return c;
  }

  add(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const us = v * 1000;
    const b = us < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) * K));
    this.counts[b] = this.bucket(b) + 1;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram): this {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = this.bucket(i) + other.bucket(i);
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
    this.sum = 0;
  }

  /** The q-quantile (0..1) in ms: the bucket's geometric middle, never above the exact max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let acc = 0;
    for (let i = 0; i < BUCKETS; i++) {
      acc += this.bucket(i);
      if (acc >= rank) {
        const us = i === 0 ? 0 : Math.exp((i - 0.5) / K);
        return Math.min(us / 1000, this.max);
      }
    }
    return this.max;
  }

  summary(): LatenessSummary {
    return {
      count: this.count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.max,
      mean: this.count ? this.sum / this.count : 0,
    };
  }
}
