/** Test helpers: fake inputs and a reference order (the seeded PRNG is @md/test-support's `rng`). */

export { at } from '@md/test-support';

export interface Ev {
  k: bigint;
  input: number;
  i: number;
}

export const key = (e: Ev): bigint => e.k;

export async function* fromArray<T>(xs: T[], onFinally?: () => void): AsyncGenerator<T> {
  try {
    for (const x of xs) yield x;
  } finally {
    onFinally?.();
  }
}

export async function* batchesOf<T>(xs: T[], sizes: () => number, onFinally?: () => void): AsyncGenerator<T[]> {
  try {
    let i = 0;
    while (i < xs.length) {
      const n = sizes();
      yield xs.slice(i, i + n);
      i += n;
    }
  } finally {
    onFinally?.();
  }
}

/** input `input` with keys `ks` */
export const evs = (input: number, ks: Array<number | bigint>): Ev[] => ks.map((k, i) => ({ k: BigInt(k), input, i }));

/** Stable reference order: (key, input, position in input). */
export function reference(inputs: Ev[][]): Ev[] {
  return inputs.flat().sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.input - b.input || a.i - b.i));
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export const tag = (e: Ev): string => `${e.input}:${e.i}@${e.k}`;
