/**
 * The core of mergeEncodedBatches (merge-encoded.ts): MergeCore's algorithm (merge.ts) on keys held as two uint32
 * halves, rows held as (batch, row) in per-input sorted queues of typed arrays under a heads heap, and the
 * lagging-input heap. Nothing is allocated per row except on the late path (bigints for LateInfo).
 */
import { MergeError, type MergeStats } from './merge.js';
import type { EncodedMergeOptions, EncodedRun, KeyedRows } from './merge-encoded.js';

const TWO32 = 4294967296;

interface Src<B> {
  index: number;
  it: AsyncIterator<B> | null;
  buf: B | null;
  bHi: Uint32Array;
  bLo: Uint32Array;
  pos: number;
  len: number;
  /** largest key read so far (hi = -Infinity: none) */
  fHi: number;
  fLo: number;
  /** frontier - window; hi may be negative (below every key) */
  lHi: number;
  lLo: number;
  // held rows, sorted by key (stable): [qh, qn)
  qHi: Uint32Array;
  qLo: Uint32Array;
  qr: Int32Array;
  qb: (B | undefined)[];
  qh: number;
  qn: number;
  hpos: number;
}

const EMPTY32 = new Uint32Array(0);

/** an output run being filled (a new one per run: the consumer may keep the previous one) */
export class Out<B extends KeyedRows> {
  batches: B[] = [];
  rows: Int32Array;
  length = 0;
  constructor(readonly cap: number) {
    this.rows = new Int32Array(cap);
  }
  push(b: B, row: number): void {
    this.batches.push(b);
    this.rows[this.length++] = row;
  }
  run(): EncodedRun<B> {
    return { length: this.length, batches: this.batches, rows: this.rows };
  }
}

export class EncodedMergeCore<B extends KeyedRows> {
  readonly stats: MergeStats;
  finished = false;
  private readonly wHi: number;
  private readonly wLo: number;
  private readonly onLate: EncodedMergeOptions<B>['onLate'];
  private readonly sources: Src<B>[];
  private heads: number[] = [];
  private size = 0;
  private lag: number[] = [];
  private wmHi = -Infinity;
  private wmLo = 0;

  constructor(
    private readonly inputs: AsyncIterable<B>[],
    opts: EncodedMergeOptions<B>,
  ) {
    if (!Array.isArray(inputs)) throw new TypeError('mergeEncodedBatches: inputs must be an array of async iterables');
    const w = opts.reorderWindowNs ?? 0n;
    if (typeof w !== 'bigint' || w < 0n || w >= 1n << 64n)
      throw new TypeError(`mergeEncodedBatches: reorderWindowNs must be a bigint in [0n, 2^64), got ${String(w)}`);
    inputs.forEach((inp, i) => {
      if (inp == null || typeof (inp as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function')
        throw new TypeError(`mergeEncodedBatches: input ${i} is not an async iterable`);
    });
    this.wHi = Number(w >> 32n);
    this.wLo = Number(w & 0xffffffffn);
    this.onLate = opts.onLate;
    this.sources = inputs.map((_, index) => ({
      index,
      it: null,
      buf: null,
      bHi: EMPTY32,
      bLo: EMPTY32,
      pos: 0,
      len: 0,
      fHi: -Infinity,
      fLo: 0,
      lHi: -Infinity,
      lLo: 0,
      qHi: new Uint32Array(16),
      qLo: new Uint32Array(16),
      qr: new Int32Array(16),
      qb: [],
      qh: 0,
      qn: 0,
      hpos: -1,
    }));
    this.stats = { emitted: 0, late: 0, maxLateNs: 0n, held: 0, maxHeld: 0, perInput: inputs.map(() => 0) };
  }

  private src(i: number): Src<B> {
    return this.sources[i] as Src<B>;
  }

  start(): void {
    for (const s of this.sources) {
      s.it = (this.inputs[s.index] as AsyncIterable<B>)[Symbol.asyncIterator]();
      this.lag.push(s.index);
    }
    if (this.sources.length === 0) this.finished = true;
  }

  /** as MergeCore.fill: release into `out` until full (-1), an input must be awaited (its index), or done (-1, finished) */
  fill(out: Out<B>): number {
    const lag = this.lag;
    while (out.length < out.cap) {
      if (this.size > 0) {
        if (lag.length === 0) {
          this.pop(out);
          continue;
        }
        const L = lag[0] as number;
        const R = this.heads[0] as number;
        const r = this.src(R);
        const kh = r.qHi[r.qh] as number;
        const kl = r.qLo[r.qh] as number;
        const l = this.src(L);
        if (kh < l.lHi || (kh === l.lHi && (kl < l.lLo || (kl === l.lLo && R <= L)))) {
          this.pop(out);
          continue;
        }
      } else if (lag.length === 0) {
        this.finished = true;
        return -1;
      }
      const s = this.src(lag[0] as number);
      if (s.pos < s.len) this.take(s, s.pos++, out);
      else return s.index;
    }
    return -1;
  }

  async refill(i: number): Promise<void> {
    const s = this.src(i);
    let r: IteratorResult<B>;
    try {
      r = await (s.it as AsyncIterator<B>).next();
    } catch (e) {
      s.it = null;
      s.buf = null;
      throw e;
    }
    if (r.done) {
      s.it = null;
      s.buf = null;
      s.bHi = s.bLo = EMPTY32;
      s.pos = s.len = 0;
      this.removeLagRoot();
      return;
    }
    const b = r.value;
    if (b == null || typeof b.length !== 'number' || !(b.keyHi instanceof Uint32Array) || !(b.keyLo instanceof Uint32Array))
      throw new MergeError(`mergeEncodedBatches: input ${i} yielded something that is not a batch with keyHi / keyLo`);
    s.buf = b;
    s.bHi = b.keyHi;
    s.bLo = b.keyLo;
    s.pos = 0;
    s.len = b.length;
  }

  private take(s: Src<B>, row: number, out: Out<B>): void {
    const kh = s.bHi[row] as number;
    const kl = s.bLo[row] as number;
    const batch = s.buf as B;
    this.stats.perInput[s.index] = (this.stats.perInput[s.index] as number) + 1;
    if (kh < this.wmHi || (kh === this.wmHi && kl < this.wmLo)) this.late(batch, row, kh, kl, s.index);
    if (kh > s.fHi || (kh === s.fHi && kl > s.fLo)) {
      s.fHi = kh;
      s.fLo = kl;
      let lo = kl - this.wLo;
      let hi = kh - this.wHi;
      if (lo < 0) {
        lo += TWO32;
        hi -= 1;
      }
      s.lHi = hi;
      s.lLo = lo;
      this.siftLag();
    }
    const i = s.index;
    let before = this.size === 0;
    if (!before) {
      const R = this.heads[0] as number;
      const r = this.src(R);
      const hh = r.qHi[r.qh] as number;
      const hl = r.qLo[r.qh] as number;
      before = kh < hh || (kh === hh && (kl < hl || (kl === hl && i < R)));
    }
    if (before) {
      const R = this.lag[0] as number;
      const l = this.src(R);
      if (kh < l.lHi || (kh === l.lHi && (kl < l.lLo || (kl === l.lLo && i <= R)))) {
        out.push(batch, row);
        this.stats.emitted++;
        this.raiseWatermark(kh, kl);
        return;
      }
    }
    this.hold(s, kh, kl, batch, row);
  }

  private late(batch: B, row: number, kh: number, kl: number, input: number): void {
    const key = (BigInt(kh) << 32n) | BigInt(kl);
    const watermark = (BigInt(this.wmHi) << 32n) | BigInt(this.wmLo);
    const behind = watermark - key;
    this.stats.late++;
    if (behind > this.stats.maxLateNs) this.stats.maxLateNs = behind;
    if (this.onLate) this.onLate(batch, row, { key, watermark, behindNs: behind, input });
  }

  private raiseWatermark(kh: number, kl: number): void {
    if (kh > this.wmHi || (kh === this.wmHi && kl > this.wmLo)) {
      this.wmHi = kh;
      this.wmLo = kl;
    }
  }

  private grow(s: Src<B>): void {
    const cap = s.qHi.length * 2;
    const hi = new Uint32Array(cap);
    const lo = new Uint32Array(cap);
    const r = new Int32Array(cap);
    hi.set(s.qHi);
    lo.set(s.qLo);
    r.set(s.qr);
    s.qHi = hi;
    s.qLo = lo;
    s.qr = r;
  }

  private hold(s: Src<B>, kh: number, kl: number, batch: B, row: number): void {
    const h = s.qh;
    const n = s.qn;
    if (n === s.qHi.length) this.grow(s);
    const qHi = s.qHi;
    const qLo = s.qLo;
    const qr = s.qr;
    const qb = s.qb;
    const lh = n > h ? (qHi[n - 1] as number) : 0;
    const ll = n > h ? (qLo[n - 1] as number) : 0;
    if (n === h || kh > lh || (kh === lh && kl >= ll)) {
      qHi[n] = kh;
      qLo[n] = kl;
      qr[n] = row;
      qb[n] = batch;
      s.qn = n + 1;
      if (n === h) this.headsInsert(s);
    } else {
      let p = n - 1;
      while (p > h) {
        const ph = qHi[p - 1] as number;
        if (!(ph > kh || (ph === kh && (qLo[p - 1] as number) > kl))) break;
        p--;
      }
      qHi.copyWithin(p + 1, p, n);
      qLo.copyWithin(p + 1, p, n);
      qr.copyWithin(p + 1, p, n);
      for (let j = n; j > p; j--) qb[j] = qb[j - 1];
      qHi[p] = kh;
      qLo[p] = kl;
      qr[p] = row;
      qb[p] = batch;
      s.qn = n + 1;
      if (p === h) this.headsUp(s.hpos);
    }
    this.stats.held = ++this.size;
    if (this.size > this.stats.maxHeld) this.stats.maxHeld = this.size;
  }

  private pop(out: Out<B>): void {
    const s = this.src(this.heads[0] as number);
    const h = s.qh;
    out.push(s.qb[h] as B, s.qr[h] as number);
    const kh = s.qHi[h] as number;
    const kl = s.qLo[h] as number;
    s.qb[h] = undefined;
    const h2 = h + 1;
    if (h2 === s.qn) {
      s.qh = s.qn = 0;
      this.headsRemoveRoot();
    } else {
      s.qh = h2;
      if (h2 >= 1024 && h2 * 2 >= s.qn) {
        const n = s.qn - h2;
        s.qHi.copyWithin(0, h2, s.qn);
        s.qLo.copyWithin(0, h2, s.qn);
        s.qr.copyWithin(0, h2, s.qn);
        s.qb.copyWithin(0, h2, s.qn);
        s.qb.fill(undefined, n, s.qn);
        s.qh = 0;
        s.qn = n;
      }
      this.headsDown(0);
    }
    this.stats.held = --this.size;
    this.stats.emitted++;
    this.raiseWatermark(kh, kl);
  }

  private headLess(a: number, b: number): boolean {
    const sa = this.src(a);
    const sb = this.src(b);
    const ah = sa.qHi[sa.qh] as number;
    const bh = sb.qHi[sb.qh] as number;
    if (ah !== bh) return ah < bh;
    const al = sa.qLo[sa.qh] as number;
    const bl = sb.qLo[sb.qh] as number;
    return al < bl || (al === bl && a < b);
  }

  private headsInsert(s: Src<B>): void {
    s.hpos = this.heads.length;
    this.heads.push(s.index);
    this.headsUp(s.hpos);
  }

  private headsRemoveRoot(): void {
    const heads = this.heads;
    this.src(heads[0] as number).hpos = -1;
    const last = heads.pop() as number;
    if (heads.length > 0) {
      heads[0] = last;
      this.src(last).hpos = 0;
      this.headsDown(0);
    }
  }

  private headsUp(i: number): void {
    const heads = this.heads;
    const x = heads[i] as number;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const hp = heads[p] as number;
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
    const x = heads[i] as number;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.headLess(heads[r] as number, heads[l] as number) ? r : l;
      const hm = heads[m] as number;
      if (!this.headLess(hm, x)) break;
      heads[i] = hm;
      this.src(hm).hpos = i;
      i = m;
    }
    heads[i] = x;
    this.src(x).hpos = i;
  }

  private lagLess(a: number, b: number): boolean {
    const sa = this.src(a);
    const sb = this.src(b);
    if (sa.fHi !== sb.fHi) return sa.fHi < sb.fHi;
    return sa.fLo < sb.fLo || (sa.fLo === sb.fLo && a < b);
  }

  private siftLag(): void {
    const lag = this.lag;
    const n = lag.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.lagLess(lag[r] as number, lag[l] as number) ? r : l;
      const lm = lag[m] as number;
      const li = lag[i] as number;
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

  async close(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const s of this.sources) {
      const it = s.it;
      if (!it) continue;
      s.it = null;
      if (typeof it.return === 'function') pending.push(Promise.resolve().then(() => it.return?.()));
    }
    this.lag.length = 0;
    const results = await Promise.allSettled(pending);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }
}
