/**
 * Gaps: the intervals of an item the live stream may lack, found from the sessions' state changes, the queue's
 * drops and the stream's resume point; each becomes an ItemWindow (vendor ms, both ends inclusive) that the
 * backfill runner fills from REST, and each is announced (`md.live.gaps`): `open` when its bounds are known,
 * then exactly one of `filled` / `unfilled`. docs/gap-free-live.md sections 3 and 4. I/O-free: the clock and
 * the timers are the caller's.
 */
import type { Subject } from '@md/event-types';
import type { BookQuote } from '@md/polygon-normalizer';
import type { Publishable } from '@md/event-types';
import { eventMs, itemOfEvent, subjectOfItem, symbolOfItem, type ItemTracker } from './tracker.js';

const NS_PER_MS = 1_000_000n;

export type SessionName = 'stocks' | 'options';
/** why the interval is a gap: the socket was down, the queue dropped, the ingestor (re)started, or older than --backfill-max */
export type GapReason = 'disconnect' | 'overflow' | 'restart' | 'backfill_max';
export type GapStatus = 'open' | 'filled' | 'unfilled';

/** One message on `md.live.gaps` (LIVE_GAPS_SUBJECT): gapJson() writes it. */
export interface GapAnnouncement {
  type: 'gap';
  status: GapStatus;
  /** unique per interval: the `open` and the final message of one interval share it */
  gap_id: string;
  session: SessionName;
  /** the stream subject the interval's events belong on */
  subject: Subject;
  /** the subscription item (`T.SPY`, `Q.SPY`, `T.O:SPY251216C00676000`) */
  item: string;
  symbol: string;
  /** the interval in Unix ns: from_ns inclusive, to_ns exclusive (whole vendor milliseconds) */
  from_ns: bigint;
  to_ns: bigint;
  reason: GapReason;
  /** `filled`: the events handed to the sink; `unfilled`: those handed to it before the failure; `open`: null */
  count: number | null;
  /** `unfilled`: why (the REST error, `older than --backfill-max`, stopped); else null */
  why: string | null;
  /** the REST requests made for this interval (retries and 429s included) */
  rest_requests: number;
  /** when this message was made (ISO 8601, UTC) */
  at: string;
}

/** The announcement as JSON, the ns bounds written as exact integers (never through a JavaScript number). */
export function gapJson(g: GapAnnouncement): string {
  return JSON.stringify(g, (_k, v: unknown) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(-?\d+)@@"/g, '$1');
}

/** Live ids of the events received with vendor ms in [fromMs, toMs], per item: REST rows with these ids are in the stream already. */
export class LiveIds {
  readonly byItem = new Map<string, Set<string>>();
  private users = 0;
  sealed = false;
  constructor(
    readonly fromMs: number,
    readonly toMs: number,
  ) {}
  add(item: string, t: number, id: string): void {
    if (t < this.fromMs || t > this.toMs) return;
    let s = this.byItem.get(item);
    if (!s) this.byItem.set(item, (s = new Set()));
    s.add(id);
  }
  has(item: string, id: string): boolean {
    return this.byItem.get(item)?.has(id) ?? false;
  }
  /** a window holds it */
  acquire(): void {
    this.users++;
  }
  /** true when nobody needs it any more */
  release(): boolean {
    return --this.users <= 0 && this.sealed;
  }
}

/** One item's interval to fill: vendor ms [fromMs, toMs], both inclusive. */
export interface ItemWindow {
  gapId: string;
  session: SessionName;
  reason: GapReason;
  subject: Subject;
  item: string;
  symbol: string;
  fromMs: number;
  toMs: number;
  /** ids already in the stream at the start boundary (the tracker's / the resume point's last millisecond) */
  skip: Set<string>;
  /** ids received live after the reconnect (end boundary), or null */
  live: LiveIds | null;
  /** overflow: publish only these ids (the dropped events); null: every row not skipped */
  only: Set<string> | null;
  /** option trades of a contract whose quotes are subscribed: fetch its quotes too and merge (opt_bid/opt_ask/aggressor) */
  quotes: boolean;
  /** the contract's quote in force at the window's start: seeds the backfill's quote book */
  seedQuote: BookQuote | null;
  /** wall-clock ms from which REST may be asked (REST never has the future) */
  readyAtMs: number;
}

export const windowFromNs = (w: { fromMs: number }): bigint => BigInt(w.fromMs) * NS_PER_MS;
/** exclusive: the whole last millisecond is inside */
export const windowToNs = (w: { toMs: number }): bigint => (BigInt(w.toMs) + 1n) * NS_PER_MS;

/** The announcements and their counters: every window gets `open`, then exactly one final message. */
export class GapLedger {
  gaps = 0;
  filled = 0;
  unfilled = 0;
  private readonly openWindows = new Map<string, ItemWindow>();

  constructor(private readonly announce: (g: GapAnnouncement) => void) {}

  private send(w: ItemWindow, status: GapStatus, count: number | null, why: string | null, requests: number): void {
    this.announce({
      type: 'gap',
      status,
      gap_id: w.gapId,
      session: w.session,
      subject: w.subject,
      item: w.item,
      symbol: w.symbol,
      from_ns: windowFromNs(w),
      to_ns: windowToNs(w),
      reason: w.reason,
      count,
      why,
      rest_requests: requests,
      at: new Date().toISOString(),
    });
  }

  open(w: ItemWindow): void {
    this.gaps++;
    this.openWindows.set(w.gapId, w);
    this.send(w, 'open', null, null, 0);
  }

  /** a window announced `open` by an engine before this one (its leader died): its final message comes from here */
  adopt(w: ItemWindow): void {
    if (this.openWindows.has(w.gapId)) return;
    this.gaps++;
    this.openWindows.set(w.gapId, w);
  }

  done(w: ItemWindow, count: number, requests: number): void {
    if (!this.openWindows.delete(w.gapId)) return;
    this.filled++;
    this.send(w, 'filled', count, null, requests);
  }

  fail(w: ItemWindow, why: string, count: number, requests: number): void {
    if (!this.openWindows.delete(w.gapId)) return;
    this.unfilled++;
    this.send(w, 'unfilled', count, why, requests);
  }

  /** windows announced open and not yet final */
  get pending(): ItemWindow[] {
    return [...this.openWindows.values()];
  }
}

interface HeldItem {
  fromMs: number;
  skip: Set<string>;
  seedQuote: BookQuote | null;
}

/** A session's outage (or its start), until the first live event after streaming again bounds it. */
interface Outage {
  reason: 'disconnect' | 'restart';
  lostAtMs: number;
  items: Map<string, HeldItem>;
  streamingAtMs: number | null;
  timer: (() => void) | null;
}

interface Overflow {
  session: SessionName;
  subject: Subject;
  minT: number;
  maxT: number;
  ids: Set<string> | null;
  seedQuote: BookQuote | null;
}

export interface GapKeeperOptions {
  tracker: ItemTracker;
  ledger: GapLedger;
  /** added to the first live event's time: the end of a window (default 1000) */
  overlapMs: number;
  /** wait after a window's end before asking REST */
  delayMs: number;
  /** windows start no earlier than their end minus this; the older part is announced unfilled (backfill_max) */
  maxMs: number;
  /** wall clock, ms */
  now: () => number;
  /** run fn after ms; returns a cancel function */
  setTimer: (fn: () => void, ms: number) => () => void;
  /** a new gap id */
  newGapId: () => string;
  /** the session's latest quote of a symbol (a copy), if any */
  bookQuote: (session: SessionName, symbol: string) => BookQuote | null;
  /** whether the options session holds `Q.<symbol>` */
  holdsQuotes: (symbol: string) => boolean;
  /** a window may be filled now */
  ready: (w: ItemWindow) => void;
  /** a restart outage got its end: the caller opens its windows (startWindow), then seals `live` */
  onStartBounds?: (session: SessionName, endMs: number, live: LiveIds) => void;
  /** the most dropped ids kept for overflow windows (beyond: every row of the interval is published; JetStream drops the copies) */
  maxDroppedIds?: number;
}

const copyQuote = (q: BookQuote | null | undefined): BookQuote | null => (q ? { ...q } : null);

export class GapKeeper {
  private readonly outages = new Map<SessionName, Outage>();
  private readonly collectors = new Map<SessionName, LiveIds[]>();
  private readonly overflow = new Map<string, Overflow>();
  private readonly timers = new Set<() => void>();
  private droppedIds = 0;
  private stopped = false;
  private stoppedWhy = 'stopped';

  constructor(private readonly o: GapKeeperOptions) {}

  /** the session had a streaming connection and lost it at `atMs` (wall ms); `items` its desired set */
  lost(session: SessionName, atMs: number, items: readonly string[]): void {
    if (this.stopped) return;
    let out = this.outages.get(session);
    if (out) {
      // lost again before the window was bounded: the same outage goes on
      out.streamingAtMs = null;
      out.timer?.();
      out.timer = null;
    } else {
      out = { reason: 'disconnect', lostAtMs: atMs, items: new Map(), streamingAtMs: null, timer: null };
      this.outages.set(session, out);
    }
    this.holdIn(session, out, items);
  }

  /** items added to a session's desired set (held from now on: part of an outage in progress) */
  hold(session: SessionName, items: readonly string[]): void {
    const out = this.outages.get(session);
    if (out && out.reason === 'disconnect') this.holdIn(session, out, items);
  }

  /** the engine (re)starts with a resume point: the session's start is a gap until its first live event */
  expectStart(session: SessionName, atMs: number): void {
    if (!this.outages.has(session))
      this.outages.set(session, { reason: 'restart', lostAtMs: atMs, items: new Map(), streamingAtMs: null, timer: null });
  }

  /** the session streams again (auth and subscribe done) at `atMs` */
  streaming(session: SessionName, atMs: number): void {
    const out = this.outages.get(session);
    if (!out || this.stopped) return;
    out.streamingAtMs = atMs;
    // a quiet market: no live event within overlapMs -> the streaming time stands for the first live event
    out.timer?.();
    out.timer = this.timer(() => {
      out.timer = null;
      if (this.outages.get(session) === out && out.streamingAtMs !== null) this.bound(session, out, out.streamingAtMs);
    }, this.o.overlapMs);
  }

  /** every live event, in arrival order, before the queue (records it in the tracker) */
  live(session: SessionName, p: Publishable, item: string = itemOfEvent(p)): void {
    const t = eventMs(p);
    const out = this.outages.get(session);
    if (out && out.streamingAtMs !== null && !this.stopped) this.bound(session, out, t);
    const cs = this.collectors.get(session);
    if (cs) for (const c of cs) c.add(item, t, p.msgId);
    this.o.tracker.observeEvent(p, item);
  }

  /** an event lost to the queue's drop policy */
  dropped(session: SessionName, p: Publishable): void {
    if (this.stopped) return;
    const item = itemOfEvent(p);
    const t = eventMs(p);
    let f = this.overflow.get(item);
    if (!f) {
      const symbol = symbolOfItem(item);
      f = {
        session,
        subject: p.subject,
        minT: t,
        maxT: t,
        ids: new Set(),
        seedQuote: session === 'options' ? this.o.bookQuote(session, symbol) : null,
      };
      this.overflow.set(item, f);
    }
    if (t < f.minT) f.minT = t;
    if (t > f.maxT) f.maxT = t;
    if (f.ids) {
      if (this.droppedIds < (this.o.maxDroppedIds ?? 1_000_000)) {
        f.ids.add(p.msgId);
        this.droppedIds++;
      } else {
        this.droppedIds -= f.ids.size;
        f.ids = null;
      }
    }
  }

  /** the window of an item's overflow: the interval of its dropped events, only their ids republished */
  private overflowWindow(item: string, f: Overflow, quotes: boolean, seedQuote: Overflow['seedQuote'], readyAtMs: number): ItemWindow {
    return {
      gapId: this.o.newGapId(),
      session: f.session,
      reason: 'overflow',
      subject: f.subject,
      item,
      symbol: symbolOfItem(item),
      fromMs: f.minT,
      toMs: f.maxT,
      skip: new Set(),
      live: null,
      only: f.ids,
      quotes,
      seedQuote,
      readyAtMs,
    };
  }

  /** the queue's length after the pump took an event: back under half full closes the overflow windows */
  queueLevel(length: number, capacity: number): void {
    if (this.overflow.size === 0 || length >= capacity / 2) return;
    const now = this.o.now();
    for (const [item, f] of this.overflow) {
      const quotes = f.session === 'options' && this.o.holdsQuotes(symbolOfItem(item));
      this.open(this.overflowWindow(item, f, quotes, f.seedQuote, Math.max(now, f.maxT + this.o.delayMs)));
    }
    this.overflow.clear();
    this.droppedIds = 0;
  }

  /** open a restart window (after onStartBounds) */
  startWindow(
    session: SessionName,
    item: string,
    fromMs: number,
    endMs: number,
    skip: Iterable<string>,
    live: LiveIds,
    seedQuote: BookQuote | null = null,
  ): void {
    const subject = subjectOfItem(item);
    if (subject === null || fromMs > endMs) return;
    const w: ItemWindow = {
      gapId: this.o.newGapId(),
      session,
      reason: 'restart',
      subject,
      item,
      symbol: symbolOfItem(item),
      fromMs,
      toMs: endMs,
      skip: new Set(skip),
      live,
      only: null,
      quotes: session === 'options' && this.o.holdsQuotes(symbolOfItem(item)),
      seedQuote,
      readyAtMs: Math.max(this.o.now(), endMs + this.o.delayMs),
    };
    // planned after stop() (the resume point came late): announced, and unfilled at once
    if (this.stopped) {
      this.o.ledger.open(w);
      this.o.ledger.fail(w, this.stoppedWhy, 0, 0);
    } else this.open(w);
  }

  /** take over a window another engine announced and did not fill (inherit.ts): adopted, filled once due */
  inherit(w: ItemWindow): void {
    if (this.stopped) return;
    this.o.ledger.adopt(w);
    const wait = w.readyAtMs - this.o.now();
    if (wait <= 0) this.o.ready(w);
    else this.timer(() => this.o.ready(w), wait);
  }

  /** a LiveIds window no longer needs (see LiveIds.release) */
  release(session: SessionName, live: LiveIds): void {
    if (!live.release()) return;
    const cs = this.collectors.get(session);
    if (!cs) return;
    const i = cs.indexOf(live);
    if (i >= 0) cs.splice(i, 1);
  }

  /** seal a restart's LiveIds once its windows are open */
  seal(session: SessionName, live: LiveIds): void {
    live.sealed = true;
    live.acquire();
    this.release(session, live);
  }

  /** the intervals not yet bounded (a session still down, overflow not yet over) become unfilled windows ending now */
  stop(why: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stoppedWhy = why;
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.endOutages(why);
    const now = this.o.now();
    for (const [item, f] of this.overflow) {
      const w = this.overflowWindow(item, f, false, null, now);
      this.o.ledger.open(w);
      this.o.ledger.fail(w, why, 0, 0);
    }
    this.overflow.clear();
  }

  /**
   * The sockets are closed for good (a lost lease): the outages not yet bounded never will be, so they become
   * unfilled windows ending now; the windows already open keep their timers and are still filled.
   */
  endOutages(why: string): void {
    const now = this.o.now();
    for (const [session, out] of this.outages) {
      out.timer?.();
      out.timer = null;
      for (const [item, h] of out.items) {
        const w = this.window(session, out.reason, item, h, Math.max(h.fromMs, now), null);
        this.o.ledger.open(w);
        this.o.ledger.fail(w, why, 0, 0);
      }
    }
    this.outages.clear();
  }

  /** an overflow whose windows are not open yet (the queue not yet back under half full) */
  get overflowPending(): boolean {
    return this.overflow.size > 0;
  }

  /** sessions with an outage not yet bounded */
  get outagesPending(): SessionName[] {
    return [...this.outages.keys()];
  }

  // ---- internals ----

  private timer(fn: () => void, ms: number): () => void {
    const cancel = this.o.setTimer(() => {
      this.timers.delete(cancel);
      fn();
    }, ms);
    this.timers.add(cancel);
    return () => {
      this.timers.delete(cancel);
      cancel();
    };
  }

  private holdIn(session: SessionName, out: Outage, items: readonly string[]): void {
    for (const item of items) {
      if (subjectOfItem(item) === null || out.items.has(item)) continue;
      const s = this.o.tracker.snapshot(item);
      out.items.set(item, {
        fromMs: s ? s.t : out.lostAtMs,
        skip: new Set(s ? s.ids : []),
        seedQuote: session === 'options' ? this.o.bookQuote(session, symbolOfItem(item)) : null,
      });
    }
  }

  private window(session: SessionName, reason: GapReason, item: string, h: HeldItem, toMs: number, live: LiveIds | null): ItemWindow {
    return {
      gapId: this.o.newGapId(),
      session,
      reason,
      subject: subjectOfItem(item) as Subject,
      item,
      symbol: symbolOfItem(item),
      fromMs: h.fromMs,
      toMs,
      skip: h.skip,
      live,
      only: null,
      quotes: session === 'options' && this.o.holdsQuotes(symbolOfItem(item)),
      seedQuote: copyQuote(h.seedQuote),
      readyAtMs: Math.max(this.o.now(), toMs + this.o.delayMs),
    };
  }

  /** the first live event after streaming again (vendor ms `firstMs`): the outage's windows get their end */
  private bound(session: SessionName, out: Outage, firstMs: number): void {
    this.outages.delete(session);
    out.timer?.();
    out.timer = null;
    const endMs = firstMs + this.o.overlapMs;
    const minFrom = Math.min(firstMs, ...[...out.items.values()].map((h) => h.fromMs));
    const live = new LiveIds(minFrom, endMs);
    let cs = this.collectors.get(session);
    if (!cs) this.collectors.set(session, (cs = []));
    cs.push(live);
    if (out.reason === 'restart') {
      // the caller opens the windows (it needs the resume points: async), then seals `live`
      if (this.o.onStartBounds) this.o.onStartBounds(session, endMs, live);
      else this.seal(session, live);
      return;
    }
    for (const [item, h] of out.items) {
      if (h.fromMs > endMs) continue;
      this.open(this.window(session, out.reason, item, h, endMs, live));
    }
    this.seal(session, live);
  }

  /** announce `open` (the part older than maxMs: open + unfilled at once) and schedule the fill */
  private open(w: ItemWindow): void {
    const limit = w.toMs - this.o.maxMs;
    if (w.fromMs < limit) {
      const old: ItemWindow = { ...w, gapId: this.o.newGapId(), reason: 'backfill_max', toMs: limit - 1, live: null };
      this.o.ledger.open(old);
      this.o.ledger.fail(old, `older than --backfill-max (${this.o.maxMs} ms): not filled`, 0, 0);
      w.fromMs = limit;
    }
    w.live?.acquire();
    this.o.ledger.open(w);
    const wait = w.readyAtMs - this.o.now();
    if (wait <= 0) this.o.ready(w);
    else this.timer(() => this.o.ready(w), wait);
  }
}
