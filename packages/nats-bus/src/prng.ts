/**
 * mulberry32: a small seeded PRNG, so that a failing random run can be repeated from its seed (tests print the
 * seed they used; FAULTS_SEED and the like set it). Its one copy: on `@md/nats-bus/testing`, because this
 * package's own fault tests need it and cannot import @md/test-support (which depends on this package);
 * @md/test-support re-exports it.
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
