/**
 * The backfill: for each ItemWindow, the REST pages of the item (trades; quotes for `Q.` items; an option
 * contract's quotes and trades merged by SIP time, quotes first on ties) through a Normalizer of the REST
 * source, whose quote book starts from the contract's quote at the window's start; rows already in the
 * stream are left out; the events go to a BackfillLane that the engine's one pump drains after the live
 * queue. At most `concurrency` windows run at once, each one request at a time (so at most `concurrency`
 * requests in flight and one page per kind per window in memory). docs/gap-free-live.md sections 3-5.
 */
import type { EventSource, Publishable } from '@md/event-types';
import { Normalizer, QuoteBook, type DataMessage } from '@md/polygon-normalizer';
import type { ItemWindow } from './gaps.js';
import { windowFromNs, windowToNs } from './gaps.js';

/** One REST row as the REST client gives it: the WebSocket-shaped message and the exact SIP time. */
export interface RestRow {
  msg: DataMessage;
  sipNs: bigint;
}

/** What the backfill needs of a REST client (`RestClient` of `@md/polygon-normalizer/rest` is one). */
export interface RestSource {
  readonly stats: { readonly requests: number; readonly rateLimited: number };
  pages(kind: 'trades' | 'quotes', ticker: string, fromNs: bigint, toNs: bigint, signal?: AbortSignal): AsyncIterable<RestRow[]>;
}

/** A new REST source per window (its stats are the window's `rest_requests`). */
export type RestFactory = () => RestSource;

type LaneEntry = Publishable | { mark: () => void };

/**
 * A small bounded buffer of backfilled events between the runner and the pump: push() waits while it is
 * full (the runner holds at most a page), the pump shift()s from it only when the live queue is empty.
 */
export class BackfillLane {
  private readonly buf: LaneEntry[] = [];
  private head = 0;
  private spaceWaiters: (() => void)[] = [];
  private waiter: (() => void) | null = null;
  private closedFlag = false;

  constructor(readonly capacity = 1000) {}

  get length(): number {
    return this.buf.length - this.head;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** false when the lane is closed (the event is not taken) */
  async push(p: Publishable): Promise<boolean> {
    while (!this.closedFlag && this.length >= this.capacity) await new Promise<void>((r) => this.spaceWaiters.push(r));
    if (this.closedFlag) return false;
    this.put(p);
    return true;
  }

  /** resolves when the pump has handed every event pushed before to the sink (true), or the lane closed first (false) */
  mark(): Promise<boolean> {
    if (this.closedFlag) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.put({ mark: () => resolve(true) });
      this.closeWaiters.push(() => resolve(false));
    });
  }

  private closeWaiters: (() => void)[] = [];

  private put(e: LaneEntry): void {
    this.buf.push(e);
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w();
    }
  }

  /** the next event (markers on the way are resolved), or undefined */
  shift(): Publishable | undefined {
    while (this.head < this.buf.length) {
      const e = this.buf[this.head] as LaneEntry;
      this.buf[this.head++] = undefined as unknown as LaneEntry;
      if (this.head > 1024 && this.head * 2 > this.buf.length) {
        this.buf.splice(0, this.head);
        this.head = 0;
      }
      if (this.spaceWaiters.length && this.length < this.capacity) {
        const ws = this.spaceWaiters;
        this.spaceWaiters = [];
        for (const w of ws) w();
      }
      if ('mark' in e) {
        e.mark();
        continue;
      }
      return e;
    }
    return undefined;
  }

  /** resolves when an entry is there or the lane closed */
  wait(): Promise<void> {
    if (this.length > 0 || this.closedFlag) return Promise.resolve();
    return new Promise((r) => (this.waiter = r));
  }

  /** no more pushes; the pump drains what is in it */
  close(): void {
    this.closedFlag = true;
    for (const w of this.spaceWaiters) w();
    this.spaceWaiters = [];
    for (const w of this.closeWaiters) w();
    this.closeWaiters = [];
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/** the lane closed under a window (the engine stops) */
class LaneClosed extends Error {
  override name = 'LaneClosed';
}

export interface BackfillRunnerOptions {
  /** null: backfill disabled (every window is announced unfilled) */
  rest: RestFactory | null;
  concurrency: number;
  lane: BackfillLane;
  /** the REST `source` of a session's events (massive_rest / polygon_rest) */
  sourceFor: (session: ItemWindow['session']) => EventSource;
  /** wall clock in Unix ns: each page's ts_recv_ns */
  nowNs: () => bigint;
  /** the window is done: filled (why null) or not */
  settled: (w: ItemWindow, count: number, requests: number, why: string | null) => void;
  /** why a failure happened, as the announcement says it */
  describe: (e: unknown) => string;
  signal: AbortSignal;
}

export class BackfillRunner {
  /** events handed to the lane */
  backfilled = 0;
  private readonly waiting: ItemWindow[] = [];
  private running = 0;
  private readonly active = new Set<RestSource>();
  private finishedRequests = 0;
  private finished429 = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: BackfillRunnerOptions) {}

  /** REST requests so far (every window, running ones included) */
  get requests(): number {
    let n = this.finishedRequests;
    for (const s of this.active) n += s.stats.requests;
    return n;
  }

  /** 429 answers so far */
  get rateLimited(): number {
    let n = this.finished429;
    for (const s of this.active) n += s.stats.rateLimited;
    return n;
  }

  /** windows waiting or running */
  get busy(): number {
    return this.waiting.length + this.running;
  }

  submit(w: ItemWindow): void {
    this.waiting.push(w);
    this.kick();
  }

  /** a REST source counted in the totals while `f` runs (the start planner's own pass) */
  async withSource<T>(f: (src: RestSource) => Promise<T>): Promise<T | null> {
    if (!this.o.rest) return null;
    const src = this.o.rest();
    this.active.add(src);
    try {
      return await f(src);
    } finally {
      this.retire(src);
    }
  }

  /** resolves when nothing waits or runs */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** windows not started yet: taken out (the caller announces them) */
  drain(): ItemWindow[] {
    return this.waiting.splice(0);
  }

  private retire(src: RestSource): void {
    this.active.delete(src);
    this.finishedRequests += src.stats.requests;
    this.finished429 += src.stats.rateLimited;
  }

  private kick(): void {
    while (this.running < this.o.concurrency && this.waiting.length > 0) {
      const w = this.waiting.shift() as ItemWindow;
      this.running++;
      void this.fill(w).finally(() => {
        this.running--;
        this.kick();
        if (this.busy === 0) {
          const ws = this.idleWaiters;
          this.idleWaiters = [];
          for (const r of ws) r();
        }
      });
    }
  }

  private async fill(w: ItemWindow): Promise<void> {
    if (!this.o.rest) {
      this.o.settled(w, 0, 0, 'backfill disabled (--no-backfill)');
      return;
    }
    if (this.o.signal.aborted) {
      this.o.settled(w, 0, 0, 'stopped before the backfill ran');
      return;
    }
    const src = this.o.rest();
    this.active.add(src);
    let count = 0;
    const book = new QuoteBook();
    const q = w.seedQuote;
    if (q) book.update(w.symbol, q.bid, q.ask, q.bidSize, q.askSize, q.t);
    const norm = new Normalizer({ source: this.o.sourceFor(w.session), book });
    const lane = this.o.lane;
    const emit = async (m: DataMessage, recvNs: bigint): Promise<void> => {
      const p = norm.message(m, recvNs);
      if (p === null) return;
      if (w.only ? !w.only.has(p.msgId) : w.skip.has(p.msgId) || (w.live?.has(w.item, p.msgId) ?? false)) return;
      if (!(await lane.push(p))) throw new LaneClosed('stopped while backfilling');
      count++;
      this.backfilled++;
    };
    const from = windowFromNs(w);
    const to = windowToNs(w);
    const signal = this.o.signal;
    try {
      const kind = w.item.startsWith('Q.') ? 'quotes' : 'trades';
      if (kind === 'trades' && w.quotes) await mergeQuotesAndTrades(src, w.symbol, from, to, signal, this.o.nowNs, emit);
      else {
        for await (const page of src.pages(kind, w.symbol, from, to, signal)) {
          const recv = this.o.nowNs();
          for (const r of page) await emit(r.msg, recv);
        }
      }
      if (!(await lane.mark())) throw new LaneClosed('stopped before the last backfilled events were published');
      this.retire(src);
      this.o.settled(w, count, src.stats.requests, null);
    } catch (e) {
      this.retire(src);
      const why = e instanceof LaneClosed ? e.message : signal.aborted ? 'stopped while backfilling' : this.o.describe(e);
      this.o.settled(w, count, src.stats.requests, why);
    }
  }
}

/** one page at a time of one kind */
class PageCursor {
  page: RestRow[] = [];
  i = 0;
  done = false;
  recv = 0n;
  private readonly it: AsyncIterator<RestRow[]>;
  constructor(
    src: AsyncIterable<RestRow[]>,
    private readonly nowNs: () => bigint,
  ) {
    this.it = src[Symbol.asyncIterator]();
  }
  /** ensure a row is at hand unless exhausted */
  async fill(): Promise<void> {
    while (!this.done && this.i >= this.page.length) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        this.page = r.value;
        this.i = 0;
        this.recv = this.nowNs();
      }
    }
  }
  peek(): RestRow | undefined {
    return this.done ? undefined : this.page[this.i];
  }
  async close(): Promise<void> {
    if (!this.done) await this.it.return?.();
  }
}

/** an option contract's quotes and trades in SIP-time order, quotes first on ties (the book holds the quote in force at each trade) */
async function mergeQuotesAndTrades(
  src: RestSource,
  ticker: string,
  from: bigint,
  to: bigint,
  signal: AbortSignal,
  nowNs: () => bigint,
  emit: (m: DataMessage, recvNs: bigint) => Promise<void>,
): Promise<void> {
  const quotes = new PageCursor(src.pages('quotes', ticker, from, to, signal), nowNs);
  const trades = new PageCursor(src.pages('trades', ticker, from, to, signal), nowNs);
  try {
    for (;;) {
      await quotes.fill();
      await trades.fill();
      const q = quotes.peek();
      const t = trades.peek();
      if (q === undefined && t === undefined) return;
      if (q !== undefined && (t === undefined || q.sipNs <= t.sipNs)) {
        quotes.i++;
        await emit(q.msg, quotes.recv);
      } else if (t !== undefined) {
        trades.i++;
        await emit(t.msg, trades.recv);
      }
    }
  } finally {
    await Promise.allSettled([quotes.close(), trades.close()]);
  }
}
