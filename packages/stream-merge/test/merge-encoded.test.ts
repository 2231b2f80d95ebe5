import { describe, expect, it } from 'vitest';
import { mergeBatchesByKey, mergeEncodedBatches, type KeyedRows, type LateInfo } from '@md/stream-merge';
import { rng } from '@md/test-support';
import { at, key, type Ev } from './helpers';

/** a batch of keyed rows built from items (the key halves of each item's bigint key) */
interface Rows extends KeyedRows {
  items: Ev[];
}
function rowsOf(items: Ev[]): Rows {
  const keyHi = new Uint32Array(items.length);
  const keyLo = new Uint32Array(items.length);
  items.forEach((e, i) => {
    keyHi[i] = Number(e.k >> 32n);
    keyLo[i] = Number(e.k & 0xffffffffn);
  });
  return { length: items.length, keyHi, keyLo, items };
}

async function* yieldAll<T>(xs: T[], r: () => number): AsyncGenerator<T> {
  for (const x of xs) {
    if (r() < 0.2) await new Promise((res) => setImmediate(res)); // an input that is sometimes slow
    yield x;
  }
}

/** random inputs as batches: keys around `base` (crossing a 2^32 boundary), steps back (some beyond the window), ties, empty batches */
function randomBatches(seed: number, windowNs: bigint): Ev[][][] {
  const r = rng(seed);
  const nInputs = 1 + Math.floor(r() * 4);
  const base = BigInt(Math.floor(r() * 3)) * (1n << 32n) + (1n << 32n) - 2000n + BigInt(Math.floor(r() * 1000));
  return Array.from({ length: nInputs }, (_, input) => {
    const n = Math.floor(r() * 300); // inputs end at different times (some empty)
    let k = base + BigInt(Math.floor(r() * 200));
    const items: Ev[] = [];
    for (let i = 0; i < n; i++) {
      const u = r();
      if (u < 0.25)
        k += 0n; // a tie within the input
      else if (u < 0.4)
        k -= BigInt(Math.floor(r() * Number(windowNs + 20n))); // steps back, sometimes beyond the window
      else k += BigInt(Math.floor(r() * 40));
      if (k < 0n) k = 0n;
      items.push({ k, input, i });
    }
    const batches: Ev[][] = [];
    let i = 0;
    while (i < items.length || r() < 0.1) {
      const size = r() < 0.15 ? 0 : 1 + Math.floor(r() * 50); // empty batches too
      batches.push(items.slice(i, i + size));
      i += size;
      if (batches.length > 400) break;
    }
    return batches;
  });
}

const lateText = (input: number, i: number, l: LateInfo) => `${input}:${i} ${l.key} ${l.watermark} ${l.behindNs} ${l.input}`;

async function reference(inputs: Ev[][][], reorderWindowNs: bigint, batchSize: number) {
  const r = rng(1);
  const late: string[] = [];
  const m = mergeBatchesByKey(
    inputs.map((bs) => yieldAll(bs, r)),
    { key, reorderWindowNs, batchSize, onLate: (e, l) => late.push(lateText(e.input, e.i, l)) },
  );
  const order: string[] = [];
  const runs: number[] = [];
  for await (const b of m) {
    runs.push(b.length);
    for (const e of b) order.push(`${e.input}:${e.i}`);
  }
  return { order, runs, late, stats: m.stats };
}

async function encoded(inputs: Ev[][][], reorderWindowNs: bigint, batchSize: number) {
  const r = rng(1);
  const late: string[] = [];
  const m = mergeEncodedBatches(
    inputs.map((bs) => yieldAll(bs.map(rowsOf), r)),
    {
      reorderWindowNs,
      batchSize,
      onLate: (b, row, l) => late.push(lateText(at(b.items, row).input, at(b.items, row).i, l)),
    },
  );
  const order: string[] = [];
  const runs: number[] = [];
  for await (const run of m) {
    runs.push(run.length);
    for (let j = 0; j < run.length; j++) {
      const e = at(at(run.batches, j).items, at([...run.rows], j));
      order.push(`${e.input}:${e.i}`);
    }
  }
  return { order, runs, late, stats: m.stats };
}

describe('mergeEncodedBatches: exactly mergeBatchesByKey', () => {
  it('the same order, runs, late rows and stats on random inputs (windows 0 and > 0)', async () => {
    let sawLate = 0;
    let sawTies = 0;
    for (let seed = 1; seed <= 120; seed++) {
      const windowNs = seed % 3 === 0 ? 0n : BigInt(1 + (seed % 7) * 13);
      const batchSize = seed % 4 === 0 ? 7 : 1024;
      const inputs = randomBatches(seed, windowNs);
      const want = await reference(inputs, windowNs, batchSize);
      const got = await encoded(inputs, windowNs, batchSize);
      expect(got.order, `seed ${seed}`).toEqual(want.order);
      expect(got.runs, `seed ${seed}`).toEqual(want.runs);
      expect(got.late, `seed ${seed}`).toEqual(want.late);
      expect(got.stats, `seed ${seed}`).toEqual(want.stats);
      sawLate += want.stats.late;
      const flat = inputs.flat(2);
      if (new Set(flat.map((e) => e.k)).size < flat.length) sawTies++;
    }
    expect(sawLate).toBeGreaterThan(0); // the inputs did exercise the late rule
    expect(sawTies).toBeGreaterThan(10);
  });

  it('keys at the extremes of 64 bits and a window larger than the keys', async () => {
    const big = (1n << 64n) - 1n;
    const inputs: Ev[][][] = [
      [[{ k: big, input: 0, i: 0 }], [{ k: 0n, input: 0, i: 1 }]],
      [
        [
          { k: 1n << 32n, input: 1, i: 0 },
          { k: (1n << 32n) - 1n, input: 1, i: 1 },
          { k: big, input: 1, i: 2 },
        ],
      ],
    ];
    for (const w of [0n, 1n, 1n << 40n, big]) {
      const want = await reference(inputs, w, 1024);
      const got = await encoded(inputs, w, 1024);
      expect(got.order).toEqual(want.order);
      expect(got.late).toEqual(want.late);
      expect(got.stats).toEqual(want.stats);
    }
  });

  it('no inputs, empty inputs; an error of an input rejects and closes the others', async () => {
    expect((await encoded([], 0n, 8)).order).toEqual([]);
    expect((await encoded([[], [[]]], 5n, 8)).order).toEqual([]);
    let closed = false;
    async function* good(): AsyncGenerator<Rows> {
      try {
        yield rowsOf([{ k: 1n, input: 0, i: 0 }]);
        yield rowsOf([{ k: 5n, input: 0, i: 1 }]);
      } finally {
        closed = true;
      }
    }
    async function* bad(): AsyncGenerator<Rows> {
      yield rowsOf([{ k: 2n, input: 1, i: 0 }]);
      throw new Error('boom');
    }
    await expect(
      (async () => {
        for await (const run of mergeEncodedBatches([good(), bad()])) void run;
      })(),
    ).rejects.toThrow('boom');
    expect(closed).toBe(true);
    expect(() => mergeEncodedBatches([], { reorderWindowNs: -1n })).toThrow(TypeError);
  });
});
