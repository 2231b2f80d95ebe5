/**
 * K-way merge of async (or sync) iterables by a bigint key, with a bounded reorder window.
 *
 * Algorithm. Every input has a *frontier*: the largest key read from it so far. We assume an input never
 * steps back by more than `reorderWindowNs` below its own frontier, so no future item of input j can have a
 * key below `frontier_j - W`. Items read are held in one sorted buffer per input (stable; nearly sorted inputs
 * make this mostly appends) under a min-heap of the buffers' heads, so the held items are ordered by (key, input
 * index, arrival). The smallest is released once no input can still produce something that sorts before it,
 * i.e. when (key, input) < (frontier_L - W, L) for the lagging input L (smallest (frontier, index) among the
 * inputs not yet exhausted), or key == frontier_L - W and the item comes from L itself or an input before it.
 * We only ever read from the lagging input, so memory is one head per input plus the items inside the window.
 * With W = 0 and sorted inputs this is the classic heap merge (ties: lower input index first, and within one
 * input, arrival order).
 *
 * An item whose key is below the largest key already emitted (it stepped back further than the window allows)
 * is still emitted, as soon as possible (it sorts first), counted in `stats.late` and passed to `onLate`.
 */

/** Something `for await` accepts: an async iterable, or a plain (sync) iterable such as an array. */
export type Input<T> = AsyncIterable<T> | Iterable<T>;

export interface LateInfo {
  /** the key of the late item */
  key: bigint;
  /** the largest key emitted before it arrived */
  watermark: bigint;
  /** how far behind the watermark it is, in key units (ns): watermark - key (> 0) */
  behindNs: bigint;
  /** the index of the input it came from */
  input: number;
}

export interface MergeOptions<T> {
  /** The ordering key, e.g. `(p) => p.event.ts_event_ns` (see `eventTimeKey` / `recvTimeKey`). Must return a bigint. */
  key: (item: T) => bigint;
  /**
   * How far (in key units, ns) an input may step backwards below its own largest key so far and still come
   * out in order. Default 0n (inputs assumed sorted). Memory grows with the number of items inside the window.
   */
  reorderWindowNs?: bigint;
  /** Called for every item that arrives after the merge has already emitted a larger key. The item is still emitted. */
  onLate?: (item: T, info: LateInfo) => void;
}

export interface BatchMergeOptions<T> extends MergeOptions<T> {
  /** Largest output batch (default 1024). */
  batchSize?: number;
  /**
   * When an input has to be awaited for its next batch, first yield what is already released (default true).
   * Keeps latency low for live sources; set false to always fill output batches to `batchSize`.
   */
  flushBeforeWait?: boolean;
}

export interface MergeStats {
  /** items released so far */
  emitted: number;
  /** items that arrived behind the emitted watermark (emitted anyway, out of order) */
  late: number;
  /** largest `behindNs` of a late item (0n when none) */
  maxLateNs: bigint;
  /** items currently held (heads + reorder window) */
  held: number;
  /** the most items ever held at once (bounded by one head per input plus the items inside the window) */
  maxHeld: number;
  /** items read from each input (index = input index) */
  perInput: number[];
}

/** The merged stream: iterate it once; `stats` is live. */
export interface MergedStream<T> extends AsyncIterable<T> {
  readonly stats: MergeStats;
}

export interface MergedBatchStream<T> extends AsyncIterable<T[]> {
  readonly stats: MergeStats;
}

export class MergeError extends Error {
  override readonly name = 'MergeError';
}

/**
 * The frontier of an input not read yet: the smallest int64 (keys are nanosecond timestamps; staying within
 * int64 keeps V8 on its fast BigInt64 comparisons).
 */
const NEG_INF = -(1n << 63n);

/*
 * Reads at indices the algorithm keeps in range (heap slots, input indices, held keys). noUncheckedIndexedAccess
 * cannot see those invariants, so each read is checked here: a miss is a bug of this file and says so. One helper
 * per element kind keeps every call site monomorphic, and V8 inlines them: interleaved A/B runs of the merge
 * benchmark (with and without the checks) differed by less than the machine's noise.
 */
function internalError(i: number, n: number): MergeError {
  return new MergeError(`internal error: index ${i} outside 0..${n - 1}`);
}
function intAt(xs: readonly number[], i: number): number {
  const x = xs[i];
  if (x === undefined) throw internalError(i, xs.length);
  return x;
}
function keyAt(xs: readonly bigint[], i: number): bigint {
  const x = xs[i];
  if (x === undefined) throw internalError(i, xs.length);
  return x;
}
/** an item slot in range: an input of T may yield `undefined` itself, so no check can tell a hole from an item */
function itemAt<T>(xs: readonly T[], i: number): T {
  return xs[i] as T;
}

interface Source<T> {
  index: number;
  it: AsyncIterator<unknown> | Iterator<unknown> | null;
  sync: boolean;
  buf: T[];
  pos: number;
  len: number;
  /** largest key read so far */
  frontier: bigint;
  /** frontier - window: no future item of this input sorts below it */
  limit: bigint;
  done: boolean;
  // this input's held items, sorted by key (stable): keys qk[qh..qn), items qv[qh..qn)
  qk: bigint[];
  qv: T[];
  qh: number;
  qn: number;
  /** position in the heads heap, -1 when nothing is held */
  hpos: number;
}

class MergeCore<T> {
  readonly stats: MergeStats;
  finished = false;
  private readonly key: (item: T) => bigint;
  private readonly window: bigint;
  private readonly onLate: ((item: T, info: LateInfo) => void) | undefined;
  private readonly sources: Source<T>[];
  private started = false;
  // Held items live in one sorted buffer per input (nearly sorted inputs: mostly appends); `heads` is a min-heap of
  // the inputs holding something, by (head key, input index). Keys stay bigint: comparisons of int64-sized
  // bigints are fast in V8 (converting with Number() is slower than comparing).
  private heads: number[] = [];
  private size = 0;
  // lagging-input heap: indices of unexhausted inputs ordered by (frontier, index)
  private lag: number[] = [];
  private watermark = NEG_INF;

  constructor(
    private readonly inputs: Array<Input<T> | Input<T[]>>,
    opts: MergeOptions<T>,
    private readonly batched: boolean,
  ) {
    if (!Array.isArray(inputs)) throw new TypeError('mergeByKey: inputs must be an array of (async) iterables');
    if (!opts || typeof opts.key !== 'function') throw new TypeError('mergeByKey: options.key must be a function returning a bigint');
    const w = opts.reorderWindowNs ?? 0n;
    if (typeof w !== 'bigint' || w < 0n) throw new TypeError(`mergeByKey: reorderWindowNs must be a bigint >= 0n, got ${String(w)}`);
    inputs.forEach((inp, i) => {
      const o = inp as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
      if (o == null || (typeof o[Symbol.asyncIterator] !== 'function' && typeof o[Symbol.iterator] !== 'function')) {
        throw new TypeError(`mergeByKey: input ${i} is not an async iterable or iterable`);
      }
    });
    this.key = opts.key;
    this.window = w;
    this.onLate = opts.onLate;
    this.sources = inputs.map((_, index) => ({
      index,
      it: null,
      sync: false,
      buf: [],
      pos: 0,
      len: 0,
      frontier: NEG_INF,
      limit: NEG_INF,
      done: false,
      qk: [],
      qv: [],
      qh: 0,
      qn: 0,
      hpos: -1,
    }));
    this.stats = { emitted: 0, late: 0, maxLateNs: 0n, held: 0, maxHeld: 0, perInput: inputs.map(() => 0) };
  }

  /** the source of input `i` (i is an input index: always in range) */
  private src(i: number): Source<T> {
    const s = this.sources[i];
    if (s === undefined) throw internalError(i, this.sources.length);
    return s;
  }

  start(): void {
    if (this.started) throw new MergeError('a merged stream can be iterated only once');
    this.started = true;
    for (const s of this.sources) {
      const inp = this.inputs[s.index] as AsyncIterable<unknown> & Iterable<unknown>;
      if (typeof inp[Symbol.asyncIterator] === 'function') {
        s.it = inp[Symbol.asyncIterator]();
      } else {
        s.it = inp[Symbol.iterator]();
        s.sync = true;
      }
      this.lag.push(s.index); // all frontiers equal (NEG_INF): index order is a valid heap
    }
    if (this.sources.length === 0) this.finished = true;
  }

  /**
   * Release items into `out` until it holds `max`, or an async input must be awaited (returns its index),
   * or everything is done (returns -1 with `finished` set). Returns -1 as well when `out` is full.
   */
  fill(out: T[], max: number): number {
    const lag = this.lag;
    while (out.length < max) {
      if (this.size > 0) {
        if (lag.length === 0) {
          out.push(this.pop());
          continue;
        }
        const L = intAt(lag, 0);
        const R = intAt(this.heads, 0);
        const r = this.src(R);
        const k = keyAt(r.qk, r.qh);
        const f = this.src(L).limit;
        if (k < f || (k === f && R <= L)) {
          out.push(this.pop());
          continue;
        }
      } else if (lag.length === 0) {
        this.finished = true;
        return -1;
      }
      // read from the lagging input
      const s = this.src(intAt(lag, 0));
      if (s.pos < s.len) {
        this.take(s, itemAt(s.buf, s.pos++), out);
      } else if (s.sync) {
        let r: IteratorResult<unknown>;
        try {
          r = (s.it as Iterator<unknown>).next();
        } catch (e) {
          s.done = true;
          s.it = null;
          throw e;
        }
        this.accept(s, r);
      } else {
        return s.index;
      }
    }
    return -1;
  }

  /** Await the next value of input `i` (the lagging one, as returned by fill). */
  async refill(i: number): Promise<void> {
    const s = this.src(i);
    let r: IteratorResult<unknown>;
    try {
      r = await (s.it as AsyncIterator<unknown>).next();
    } catch (e) {
      s.done = true; // an iterator that threw is finished: do not call its return()
      s.it = null;
      throw e;
    }
    this.accept(s, r);
  }

  private accept(s: Source<T>, r: IteratorResult<unknown>): void {
    if (r.done) {
      s.done = true;
      s.it = null;
      s.buf = [];
      s.pos = s.len = 0;
      this.removeLagRoot();
      return;
    }
    if (this.batched) {
      const b = r.value;
      if (!Array.isArray(b)) {
        throw new MergeError(`mergeBatchesByKey: input ${s.index} yielded ${b === null ? 'null' : typeof b}, expected an array (a batch)`);
      }
      s.buf = b as T[];
      s.pos = 0;
      s.len = b.length;
    } else {
      s.buf[0] = r.value as T;
      s.pos = 0;
      s.len = 1;
    }
  }

  /** Read `item` from the lagging input `s`: emit it at once when it would be the next one out anyway, else hold it. */
  private take(s: Source<T>, item: T, out: T[]): void {
    const key = this.key(item);
    if (typeof key !== 'bigint') {
      throw new MergeError(
        `mergeByKey: key() returned ${typeof key} for item ${this.stats.perInput[s.index]} of input ${s.index}; expected a bigint`,
      );
    }
    this.stats.perInput[s.index] = intAt(this.stats.perInput, s.index) + 1;
    if (key < this.watermark) {
      const behind = this.watermark - key;
      this.stats.late++;
      if (behind > this.stats.maxLateNs) this.stats.maxLateNs = behind;
      if (this.onLate) this.onLate(item, { key, watermark: this.watermark, behindNs: behind, input: s.index });
    }
    if (key > s.frontier) {
      s.frontier = key;
      s.limit = this.window === 0n ? key : key - this.window;
      this.siftLag(); // s was the lag root, its frontier grew
    }
    // Fast path (long runs from one input): the item sorts before everything held and is releasable -> out.
    const i = s.index;
    let before = this.size === 0;
    if (!before) {
      const R = intAt(this.heads, 0);
      const r = this.src(R);
      const hk = keyAt(r.qk, r.qh);
      before = key < hk || (key === hk && i < R);
    }
    if (before) {
      const R = intAt(this.lag, 0);
      const f = this.src(R).limit;
      if (key < f || (key === f && i <= R)) {
        out.push(item);
        this.stats.emitted++;
        if (key > this.watermark) this.watermark = key;
        return;
      }
    }
    this.hold(s, key, item);
  }

  // ---- held items: per-input sorted buffers + heads heap ----
  private hold(s: Source<T>, key: bigint, item: T): void {
    const qk = s.qk;
    const qv = s.qv;
    const h = s.qh;
    const n = s.qn;
    if (n === h) {
      qk[n] = key;
      qv[n] = item;
      s.qn = n + 1;
      this.headsInsert(s);
    } else if (key >= keyAt(qk, n - 1)) {
      qk[n] = key; // in order (equal keys keep their arrival order)
      qv[n] = item;
      s.qn = n + 1;
    } else {
      // stepped back: insert after the last held key <= key
      let p = n - 1;
      while (p > h && keyAt(qk, p - 1) > key) p--;
      for (let j = n; j > p; j--) {
        qk[j] = keyAt(qk, j - 1);
        qv[j] = itemAt(qv, j - 1);
      }
      qk[p] = key;
      qv[p] = item;
      s.qn = n + 1;
      if (p === h) this.headsUp(s.hpos); // a new, smaller head
    }
    this.stats.held = ++this.size;
    if (this.size > this.stats.maxHeld) this.stats.maxHeld = this.size;
  }

  /** Release the smallest held item (the head of the heads-heap top). */
  private pop(): T {
    const s = this.src(intAt(this.heads, 0));
    const h = s.qh;
    const item = itemAt(s.qv, h);
    const key = keyAt(s.qk, h);
    s.qv[h] = undefined as T; // let the item go
    const h2 = h + 1;
    if (h2 === s.qn) {
      s.qh = s.qn = 0;
      this.headsRemoveRoot();
    } else {
      s.qh = h2;
      if (h2 >= 1024 && h2 * 2 >= s.qn) {
        // compact: move the live part to the front
        const n = s.qn - h2;
        s.qk.copyWithin(0, h2, s.qn);
        s.qv.copyWithin(0, h2, s.qn);
        s.qv.fill(undefined as T, n, s.qn);
        s.qh = 0;
        s.qn = n;
      }
      this.headsDown(0); // its head key grew
    }
    this.stats.held = --this.size;
    this.stats.emitted++;
    if (key > this.watermark) this.watermark = key;
    return item;
  }

  private headLess(a: number, b: number): boolean {
    const sa = this.src(a);
    const sb = this.src(b);
    const ka = keyAt(sa.qk, sa.qh);
    const kb = keyAt(sb.qk, sb.qh);
    return ka < kb || (ka === kb && a < b);
  }

  private headsInsert(s: Source<T>): void {
    s.hpos = this.heads.length;
    this.heads.push(s.index);
    this.headsUp(s.hpos);
  }

  private headsRemoveRoot(): void {
    const heads = this.heads;
    this.src(intAt(heads, 0)).hpos = -1;
    const last = heads.pop() as number;
    if (heads.length > 0) {
      heads[0] = last;
      this.src(last).hpos = 0;
      this.headsDown(0);
    }
  }

  private headsUp(i: number): void {
    const heads = this.heads;
    const x = intAt(heads, i);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const hp = intAt(heads, p);
      if (!this.headLess(x, hp)) break;
      heads[i] = hp;
      this.src(hp).hpos = i;
      i = p;
    }
    heads[i] = x;
    this.src(x).hpos = i;
  }

  private headsDown(i: number): void {
    const heads = this.heads;
    const n = heads.length;
    const x = intAt(heads, i);
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.headLess(intAt(heads, r), intAt(heads, l)) ? r : l;
      const hm = intAt(heads, m);
      if (!this.headLess(hm, x)) break;
      heads[i] = hm;
      this.src(hm).hpos = i;
      i = m;
    }
    heads[i] = x;
    this.src(x).hpos = i;
  }

  // ---- lagging-input heap ----
  private lagLess(a: number, b: number): boolean {
    const fa = this.src(a).frontier;
    const fb = this.src(b).frontier;
    return fa < fb || (fa === fb && a < b);
  }

  private siftLag(): void {
    const lag = this.lag;
    const n = lag.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.lagLess(intAt(lag, r), intAt(lag, l)) ? r : l;
      const lm = intAt(lag, m);
      const li = intAt(lag, i);
      if (!this.lagLess(lm, li)) break;
      lag[m] = li;
      lag[i] = lm;
      i = m;
    }
  }

  private removeLagRoot(): void {
    const last = this.lag.pop() as number;
    if (this.lag.length > 0) {
      this.lag[0] = last;
      this.siftLag();
    }
  }

  /** Close every input that is still open (runs their finally blocks). */
  async close(): Promise<void> {
    const pending: Array<Promise<unknown>> = [];
    let syncError: unknown;
    let hasSyncError = false;
    for (const s of this.sources) {
      if (s.done || !s.it) continue;
      const it = s.it;
      s.done = true;
      s.it = null;
      if (typeof it.return === 'function') {
        try {
          const r = it.return();
          if (!s.sync) pending.push(Promise.resolve(r));
        } catch (e) {
          if (!hasSyncError) {
            syncError = e;
            hasSyncError = true;
          }
        }
      }
    }
    this.lag.length = 0;
    const results = await Promise.allSettled(pending);
    if (hasSyncError) throw syncError;
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }
}

async function* mergeItems<T>(core: MergeCore<T>): AsyncGenerator<T, void, undefined> {
  core.start();
  const out: T[] = [];
  let i = 0;
  let failed = false;
  try {
    for (;;) {
      i = -1; // index of the last item handed to the consumer
      const need = core.fill(out, 256);
      for (i = 0; i < out.length; i++) yield itemAt(out, i);
      out.length = 0;
      if (need >= 0) await core.refill(need);
      else if (core.finished) return;
    }
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    // stopped early: released items the consumer never received do not count as emitted
    if (out.length > i + 1) core.stats.emitted -= out.length - (i + 1);
    if (failed)
      await core.close().catch(() => undefined); // the input's error wins
    else await core.close();
  }
}

async function* mergeBatches<T>(core: MergeCore<T>, batchSize: number, flushBeforeWait: boolean): AsyncGenerator<T[], void, undefined> {
  core.start();
  let out: T[] = [];
  let failed = false;
  try {
    for (;;) {
      const need = core.fill(out, batchSize);
      if (need >= 0) {
        if (flushBeforeWait && out.length > 0) {
          yield out;
          out = [];
        }
        await core.refill(need);
      } else if (core.finished) {
        if (out.length > 0) yield out;
        return;
      } else {
        yield out;
        out = [];
      }
    }
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (failed) await core.close().catch(() => undefined);
    else await core.close();
  }
}

/**
 * Merge `inputs` into one stream in `key` order. Ties (equal keys) come out by input index: lower first
 * (the replay app passes trades, then options, then MBP-10, the order the system it replaces used).
 * Errors of any input reject the consumer; ending the iteration early (`break`, `return()`) closes every input.
 */
export function mergeByKey<T>(inputs: Array<Input<T>>, options: MergeOptions<T>): MergedStream<T> {
  const core = new MergeCore<T>(inputs, options, false);
  return {
    stats: core.stats,
    [Symbol.asyncIterator]: () => mergeItems(core),
  };
}

/**
 * The batched fast path: each input yields arrays of items (each array in order, subject to the same reorder
 * window), and the result yields arrays of items in merged order (at most `batchSize` each, never empty).
 * Input arrays are read, never modified. One promise per batch instead of one per item.
 */
export function mergeBatchesByKey<T>(inputs: Array<Input<T[]>>, options: BatchMergeOptions<T>): MergedBatchStream<T> {
  const batchSize = options.batchSize ?? 1024;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new TypeError(`mergeBatchesByKey: batchSize must be an integer >= 1, got ${batchSize}`);
  const core = new MergeCore<T>(inputs, options, true);
  return {
    stats: core.stats,
    [Symbol.asyncIterator]: () => mergeBatches(core, batchSize, options.flushBeforeWait ?? true),
  };
}
