/**
 * The seeded PRNG: mulberry32, so that a failing random run can be repeated from its seed (tests print the seed
 * they used; FAULTS_SEED and the like set it). `rng` itself lives on @md/nats-bus/testing (its one copy: the
 * bus's own fault tests use it and cannot import this package); `Rng` adds integers, bigints and picks.
 */
import { rng } from '@md/nats-bus/testing';

export { rng };

/** The same generator (same sequence for the same seed) with helpers for integers, bigints and picks. */
export class Rng {
  private readonly nextFn: () => number;
  constructor(seed: number) {
    this.nextFn = rng(seed);
  }
  /** uniform in [0, 1) */
  next(): number {
    return this.nextFn();
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  u32(): number {
    return (this.next() * 4294967296) >>> 0;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('Rng.pick: empty array');
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
}
