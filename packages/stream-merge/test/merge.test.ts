import { describe, expect, it } from 'vitest';
import { mergeBatchesByKey, mergeByKey, MergeError, orderingKey, eventTimeKey, recvTimeKey, type LateInfo } from '@md/stream-merge';
import { rng } from '@md/test-support';
import { at, batchesOf, collect, evs, fromArray, key, reference, tag, type Ev } from './helpers';

function randomSortedInputs(seed: number, nInputs: number, maxLen: number, maxStep: number): Ev[][] {
  const r = rng(seed);
  return Array.from({ length: nInputs }, (_, input) => {
    const n = Math.floor(r() * maxLen);
    let k = Math.floor(r() * 1000);
    const ks: number[] = [];
    for (let i = 0; i < n; i++) {
      k += Math.floor(r() * maxStep); // steps of 0 make ties within an input
      ks.push(k);
    }
    return evs(input, ks);
  });
}

describe('mergeByKey: order', () => {
  it('merges by key; equal keys come out by input index, then by position within the input', async () => {
    const a = evs(0, [1, 3, 5, 5, 9]);
    const b = evs(1, [2, 3, 5, 9]);
    const c = evs(2, [0, 3, 5, 5, 10]);
    const out = await collect(mergeByKey([fromArray(a), fromArray(b), fromArray(c)], { key }));
    expect(out.map(tag)).toEqual([
      '2:0@0',
      '0:0@1',
      '1:0@2',
      '0:1@3',
      '1:1@3',
      '2:1@3',
      '0:2@5',
      '0:3@5',
      '1:2@5',
      '2:2@5',
      '2:3@5',
      '0:4@9',
      '1:3@9',
      '2:4@10',
    ]);
  });

  it('tie priority follows the position in the inputs array (trades, options, MBP-10 in the replay app)', async () => {
    const trades = evs(0, [7, 7]);
    const options = evs(1, [7]);
    const mbp = evs(2, [7, 7]);
    const out = await collect(mergeByKey([fromArray(mbp), fromArray(trades), fromArray(options)], { key }));
    // mbp passed first here, so it wins the ties
    expect(out.map((e) => e.input)).toEqual([2, 2, 0, 0, 1]);
  });

  it('no inputs, all inputs empty, some empty', async () => {
    expect(await collect(mergeByKey<Ev>([], { key }))).toEqual([]);
    expect(await collect(mergeByKey<Ev>([fromArray([]), fromArray([]), []], { key }))).toEqual([]);
    const a = evs(1, [1, 2, 3]);
    const out = await collect(mergeByKey([fromArray<Ev>([]), fromArray(a), fromArray<Ev>([])], { key }));
    expect(out).toEqual(a);
  });

  it('one input passes through unchanged (same objects, same order)', async () => {
    const a = evs(0, [5, 5, 6, 100, 100, 101]);
    const m = mergeByKey([fromArray(a)], { key });
    const out = await collect(m);
    expect(out).toHaveLength(a.length);
    out.forEach((e, i) => expect(e).toBe(a[i]));
    expect(m.stats).toMatchObject({ emitted: 6, late: 0, held: 0, perInput: [6] });
  });

  it('accepts sync iterables (arrays) and async iterables together', async () => {
    const a = evs(0, [1, 4]);
    const b = evs(1, [2, 3]);
    const out = await collect(mergeByKey<Ev>([a, fromArray(b)], { key }));
    expect(out.map((e) => Number(e.k))).toEqual([1, 2, 3, 4]);
  });

  it('50 inputs', async () => {
    const inputs = randomSortedInputs(50, 50, 200, 30);
    const m = mergeByKey(
      inputs.map((x) => fromArray(x)),
      { key },
    );
    const out = await collect(m);
    expect(out.map(tag)).toEqual(reference(inputs).map(tag));
    expect(m.stats.maxHeld).toBeLessThanOrEqual(50);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random inputs equal the stable sorted reference (seed %i)', async (seed) => {
    const r = rng(seed * 7919);
    const inputs = randomSortedInputs(seed, 1 + Math.floor(r() * 8), 300, 1 + Math.floor(r() * 50));
    const out = await collect(
      mergeByKey(
        inputs.map((x) => fromArray(x)),
        { key },
      ),
    );
    expect(out.map(tag)).toEqual(reference(inputs).map(tag));
  });
});

describe('mergeBatchesByKey', () => {
  it.each([11, 12, 13, 14, 15])('random batches (incl. empty ones) give the same order as the reference (seed %i)', async (seed) => {
    const r = rng(seed);
    const inputs = randomSortedInputs(seed, 1 + Math.floor(r() * 6), 2000, 20);
    const size = () => Math.floor(r() * 40); // 0 = an empty batch
    const m = mergeBatchesByKey(
      inputs.map((x) => batchesOf(x, () => size() || (r() < 0.5 ? 0 : 1))),
      { key, batchSize: 64 },
    );
    const batches = await collect(m);
    for (const b of batches) {
      expect(b.length).toBeGreaterThan(0);
      expect(b.length).toBeLessThanOrEqual(64);
    }
    expect(batches.flat().map(tag)).toEqual(reference(inputs).map(tag));
    expect(m.stats.emitted).toBe(inputs.flat().length);
  });

  it('flushBeforeWait: false fills every batch but the last to batchSize', async () => {
    const inputs = randomSortedInputs(99, 3, 1000, 5);
    const total = inputs.flat().length;
    const batches = await collect(
      mergeBatchesByKey(
        inputs.map((x) => batchesOf(x, () => 7)),
        { key, batchSize: 100, flushBeforeWait: false },
      ),
    );
    expect(batches.slice(0, -1).every((b) => b.length === 100)).toBe(true);
    expect(batches.flat()).toHaveLength(total);
  });

  it('never modifies the input arrays', async () => {
    const a = evs(0, [1, 3, 5]);
    const b = evs(1, [2, 4]);
    const ba = [a.slice()];
    const bb = [b.slice()];
    await collect(mergeBatchesByKey([ba, bb], { key }));
    expect(ba[0]).toEqual(a);
    expect(bb[0]).toEqual(b);
  });

  it('an input yielding something other than an array is a clear error naming the input', async () => {
    const bad = (async function* () {
      yield [{ k: 1n, input: 1, i: 0 }];
      yield { k: 2n } as unknown as Ev[];
    })();
    await expect(collect(mergeBatchesByKey<Ev>([[evs(0, [5])], bad], { key }))).rejects.toThrow(
      /input 1 yielded object, expected an array/,
    );
  });
});

describe('reorder window', () => {
  /** Inputs sorted by receive time, keyed by event time = recv - delay, delay in [0, maxDelay]. */
  function jittered(seed: number, nInputs: number, n: number, maxDelay: number): Ev[][] {
    const r = rng(seed);
    return Array.from({ length: nInputs }, (_, input) => {
      let recv = 1_000_000;
      const ks: number[] = [];
      for (let i = 0; i < n; i++) {
        recv += Math.floor(r() * 20);
        ks.push(recv - Math.floor(r() * (maxDelay + 1)));
      }
      return evs(input, ks);
    });
  }

  it('backward steps within the window come out sorted, none late', async () => {
    const inputs = jittered(3, 3, 3000, 500);
    // the inputs really do step backwards
    const first = at(inputs, 0);
    expect(first.some((e, i) => i > 0 && e.k < at(first, i - 1).k)).toBe(true);
    const m = mergeByKey(
      inputs.map((x) => fromArray(x)),
      { key, reorderWindowNs: 500n },
    );
    const out = await collect(m);
    expect(out.map(tag)).toEqual(reference(inputs).map(tag));
    expect(m.stats.late).toBe(0);
  });

  it('the batched variant agrees', async () => {
    const inputs = jittered(4, 4, 3000, 300);
    const r = rng(5);
    const m = mergeBatchesByKey(
      inputs.map((x) => batchesOf(x, () => 1 + Math.floor(r() * 50))),
      { key, reorderWindowNs: 300n },
    );
    const out = (await collect(m)).flat();
    expect(out.map(tag)).toEqual(reference(inputs).map(tag));
    expect(m.stats.late).toBe(0);
  });

  it('without a window the same data comes out unsorted and late events are counted, never dropped', async () => {
    const inputs = jittered(3, 3, 3000, 500);
    const m = mergeByKey(
      inputs.map((x) => fromArray(x)),
      { key },
    );
    const out = await collect(m);
    expect(out).toHaveLength(9000);
    expect(m.stats.late).toBeGreaterThan(0);
    let backwards = 0;
    for (let i = 1; i < out.length; i++) if (at(out, i).k < at(out, i - 1).k) backwards++;
    expect(backwards).toBeGreaterThan(0);
    expect(backwards).toBeLessThanOrEqual(m.stats.late);
  });

  it('an event later than the window allows is emitted, counted late and passed to onLate', async () => {
    const a = evs(0, [100, 200, 300, 400, 500, 600]);
    const b = evs(1, [150, 250, 350, 90, 460, 560]); // 90 is 260 behind its own frontier (350)
    const late: Array<[Ev, LateInfo]> = [];
    const m = mergeByKey([fromArray(a), fromArray(b)], { key, reorderWindowNs: 100n, onLate: (e, info) => late.push([e, info]) });
    const out = await collect(m);
    expect(out).toHaveLength(12);
    expect(m.stats.late).toBe(1);
    expect(late).toHaveLength(1);
    expect(late[0]?.[0]).toBe(b[3]);
    expect(late[0]?.[1]).toEqual({ key: 90n, watermark: 250n, behindNs: 160n, input: 1 });
    expect(m.stats.maxLateNs).toBe(160n);
    // the late one goes out as soon as it is read; everything else stays in order
    const rest = out.filter((e) => e !== b[3]).map((e) => Number(e.k));
    expect(rest).toEqual([...rest].sort((x, y) => x - y));
  });

  it('a step back within the window is not late even across inputs', async () => {
    const a = evs(0, [100, 300, 250, 400]); // steps back by 50
    const b = evs(1, [260, 270]);
    const m = mergeByKey([fromArray(a), fromArray(b)], { key, reorderWindowNs: 50n });
    const out = await collect(m);
    expect(out.map((e) => Number(e.k))).toEqual([100, 250, 260, 270, 300, 400]);
    expect(m.stats.late).toBe(0);
  });

  it('held items stay bounded: one head per input without a window, plus the window with one', async () => {
    const n = 20_000;
    const inputs = Array.from({ length: 4 }, (_, input) =>
      evs(
        input,
        Array.from({ length: n }, (_, i) => i * 10 + input),
      ),
    );
    const m0 = mergeByKey(
      inputs.map((x) => fromArray(x)),
      { key },
    );
    await collect(m0);
    expect(m0.stats.maxHeld).toBeLessThanOrEqual(4);
    // window of 1000 ns = 100 items per input
    const m1 = mergeByKey(
      inputs.map((x) => fromArray(x)),
      { key, reorderWindowNs: 1000n },
    );
    let maxSeen = 0;
    for await (const _ of m1) maxSeen = Math.max(maxSeen, m1.stats.held);
    expect(maxSeen).toBeGreaterThan(0);
    expect(maxSeen).toBeLessThanOrEqual(m1.stats.maxHeld);
    expect(m1.stats.maxHeld).toBeGreaterThan(4 * 90);
    expect(m1.stats.maxHeld).toBeLessThanOrEqual(4 * 102);
    expect(m1.stats.emitted).toBe(4 * n);
  });

  it.each([21, 22, 23, 24, 25, 26, 27, 28, 29, 30])(
    'fuzz (seed %i): a permutation of the inputs; without the late ones, sorted; no late -> the reference',
    async (seed) => {
      const r = rng(seed);
      const nInputs = 1 + Math.floor(r() * 5);
      const maxBack = Math.floor(r() * 400);
      const inputs = Array.from({ length: nInputs }, (_, input) => {
        let recv = Math.floor(r() * 100);
        const ks: number[] = [];
        const n = Math.floor(r() * 800);
        for (let i = 0; i < n; i++) {
          recv += Math.floor(r() * 10);
          ks.push(recv - Math.floor(r() * (maxBack + 1)) * (r() < 0.3 ? 1 : 0));
        }
        return evs(input, ks);
      });
      const W = BigInt(Math.floor(r() * 500));
      const late = new Set<Ev>();
      const batched = r() < 0.5;
      const opts = { key, reorderWindowNs: W, onLate: (e: Ev) => late.add(e) };
      const m = batched
        ? mergeBatchesByKey(
            inputs.map((x) => batchesOf(x, () => Math.floor(r() * 30))),
            opts,
          )
        : mergeByKey(
            inputs.map((x) => fromArray(x)),
            opts,
          );
      const out = batched ? (await collect(m as AsyncIterable<Ev[]>)).flat() : await collect(m as AsyncIterable<Ev>);
      expect(out.map(tag).sort()).toEqual(inputs.flat().map(tag).sort());
      expect(m.stats.late).toBe(late.size);
      const rest = out.filter((e) => !late.has(e));
      for (let i = 1; i < rest.length; i++) expect(at(rest, i).k >= at(rest, i - 1).k).toBe(true);
      if (W >= BigInt(maxBack)) expect(m.stats.late).toBe(0);
      if (m.stats.late === 0) expect(out.map(tag)).toEqual(reference(inputs).map(tag));
    },
  );

  it('a sparse input beside a dense one holds only the window (plus one head each)', async () => {
    const sparse = evs(0, [0, 1e9, 2e9, 3e9]); // one a second
    const dense = evs(
      1,
      Array.from({ length: 300_000 }, (_, i) => i * 10_000),
    ); // every 10 µs, 3 s
    const m = mergeBatchesByKey([[sparse], batchesOf(dense, () => 512)], { key, reorderWindowNs: 1_000_000n });
    const out = (await collect(m)).flat();
    expect(out).toHaveLength(300_004);
    expect(m.stats.maxHeld).toBeLessThanOrEqual(1 + 100 + 2);
    expect(m.stats.held).toBe(0);
  });

  it('rejects a negative or non-bigint window', () => {
    expect(() => mergeByKey([], { key, reorderWindowNs: -1n })).toThrow(/reorderWindowNs must be a bigint >= 0n/);
    expect(() => mergeByKey([], { key, reorderWindowNs: 5 as unknown as bigint })).toThrow(/reorderWindowNs/);
  });
});

describe('errors and closing', () => {
  it('an input error rejects the consumer and closes the other inputs', async () => {
    const closed: string[] = [];
    const boom = new Error('disk on fire');
    async function* failing() {
      try {
        yield { k: 1n, input: 1, i: 0 };
        yield { k: 2n, input: 1, i: 1 };
        throw boom;
      } finally {
        closed.push('failing');
      }
    }
    const a = fromArray(evs(0, [1, 2, 3, 4, 5]), () => closed.push('a'));
    const c = fromArray(evs(2, [1, 2, 3, 4, 5]), () => closed.push('c'));
    const seen: Ev[] = [];
    await expect(
      (async () => {
        for await (const e of mergeByKey<Ev>([a, failing(), c], { key })) seen.push(e);
      })(),
    ).rejects.toBe(boom);
    expect(closed.sort()).toEqual(['a', 'c', 'failing']);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('the batched variant propagates errors and closes the others', async () => {
    const closed: string[] = [];
    async function* failing(): AsyncGenerator<Ev[]> {
      yield evs(1, [1]);
      throw new RangeError('bad frame at offset 42');
    }
    const a = batchesOf(
      evs(0, [1, 2, 3, 4]),
      () => 1,
      () => closed.push('a'),
    );
    await expect(collect(mergeBatchesByKey<Ev>([a, failing()], { key }))).rejects.toThrow('bad frame at offset 42');
    expect(closed).toEqual(['a']);
  });

  it('a key() that throws rejects the consumer', async () => {
    const m = mergeByKey([fromArray(evs(0, [1, 2]))], {
      key: (e) => {
        if (e.k === 2n) throw new Error('no ts');
        return e.k;
      },
    });
    await expect(collect(m)).rejects.toThrow('no ts');
  });

  it('a key() returning a number is a clear error naming the input and item', async () => {
    const m = mergeByKey([fromArray(evs(0, [1])), fromArray(evs(1, [1]))], { key: (e) => (e.input === 1 ? 5 : e.k) as bigint });
    await expect(collect(m)).rejects.toThrow(/key\(\) returned number for item 0 of input 1; expected a bigint/);
  });

  it('breaking out early closes every input (their finally blocks run), including ones not yet read', async () => {
    const closed: number[] = [];
    const inputs = [0, 1, 2].map((input) => fromArray(evs(input, [input * 100, input * 100 + 1, 1000]), () => closed.push(input)));
    let n = 0;
    for await (const _ of mergeByKey(inputs, { key })) if (++n === 2) break;
    expect(closed.sort()).toEqual([0, 1, 2]);
  });

  it('stats.emitted counts what the consumer received when it stops early', async () => {
    const m = mergeByKey(
      [
        evs(
          0,
          Array.from({ length: 1000 }, (_, i) => i),
        ),
        evs(1, [5, 6]),
      ],
      { key },
    );
    let n = 0;
    for await (const _ of m) if (++n === 10) break;
    expect(m.stats.emitted).toBe(10);
  });

  it('return() on the batched iterator closes every input', async () => {
    const closed: number[] = [];
    const inputs = [0, 1].map((input) =>
      batchesOf(
        evs(
          input,
          Array.from({ length: 100 }, (_, i) => i),
        ),
        () => 10,
        () => closed.push(input),
      ),
    );
    const it = mergeBatchesByKey(inputs, { key, batchSize: 5 })[Symbol.asyncIterator]();
    expect((await it.next()).value).toHaveLength(5);
    await it.return!();
    expect(closed.sort()).toEqual([0, 1]);
  });

  it('a merged stream iterates once', async () => {
    const m = mergeByKey([fromArray(evs(0, [1]))], { key });
    await collect(m);
    await expect(collect(m)).rejects.toBeInstanceOf(MergeError);
  });

  it('rejects something that is not iterable, naming its index', () => {
    expect(() => mergeByKey([[], 5 as unknown as Ev[]], { key })).toThrow(/input 1 is not an async iterable or iterable/);
    expect(() => mergeByKey([], {} as never)).toThrow(/options.key must be a function/);
  });
});

describe('ordering keys', () => {
  const p = { subject: 'x', event: { ts_event_ns: 5n, ts_recv_ns: 9n } };
  it('ts_event and ts_recv', () => {
    expect(eventTimeKey(p)).toBe(5n);
    expect(recvTimeKey(p)).toBe(9n);
    expect(orderingKey('ts_event')(p)).toBe(5n);
    expect(orderingKey('ts_recv')(p)).toBe(9n);
    expect(() => orderingKey('ts_out' as never)).toThrow(/unknown ordering "ts_out"/);
  });
  it('merging by ts_recv keeps recv-sorted inputs in order with no window', async () => {
    const mk = (input: number, recvs: number[]) =>
      recvs.map((r, i) => ({ input, i, event: { ts_recv_ns: BigInt(r), ts_event_ns: BigInt(r - ((i * 37) % 50)) } }));
    const a = mk(0, [10, 20, 30, 40]);
    const b = mk(1, [15, 25, 35]);
    const out = await collect(mergeByKey([a, b], { key: orderingKey('ts_recv') }));
    expect(out.map((e) => Number(e.event.ts_recv_ns))).toEqual([10, 15, 20, 25, 30, 35, 40]);
  });
});
