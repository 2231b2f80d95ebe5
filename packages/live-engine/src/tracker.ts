/**
 * The tracker: per subscribed item (`T.SPY`, `Q.SPY`, `T.O:SPY...`) the vendor time (ms) and sequence number
 * of the last event received, and the message ids of the events of that last millisecond. A backfill window
 * starts at that millisecond (inclusive): its REST rows whose id is among those are already in the stream
 * and are dropped, wherever JetStream's duplicate window is by then. I/O-free.
 */
import { SUBJECTS, type OptionTrade, type Publishable, type StockQuote, type StockTrade, type Subject } from '@md/event-types';

const NS_PER_MS = 1_000_000n;

/** What the tracker holds for one item. */
export interface ItemState {
  /** vendor ms of the last event received */
  t: number;
  /** its sequence number (null when the vendor sends none: option trades) */
  q: number | null;
  /** the message ids of the events received at `t` */
  ids: string[];
}

/** The subscription item an event belongs to: `T.SYM` / `Q.SYM` (option trades `T.O:...`). */
export function itemOfEvent(p: Publishable): string {
  switch (p.subject) {
    case SUBJECTS.stockTrades:
      return `T.${(p.event as StockTrade).symbol}`;
    case SUBJECTS.stockQuotes:
      return `Q.${(p.event as StockQuote).symbol}`;
    case SUBJECTS.optionTrades:
      return `T.${(p.event as OptionTrade).option_symbol}`;
    default:
      throw new RangeError(`itemOfEvent: no subscription item for subject ${p.subject}`);
  }
}

/** The stream subject of an item's events (`T.SPY` -> market.stocks.trades), or null (`Q.O:...`: option quotes are not published). */
export function subjectOfItem(item: string): Subject | null {
  const option = item.startsWith('T.O:') || item.startsWith('Q.O:');
  if (item.startsWith('T.')) return option ? SUBJECTS.optionTrades : SUBJECTS.stockTrades;
  if (item.startsWith('Q.')) return option ? null : SUBJECTS.stockQuotes;
  return null;
}

/** `T.SPY` -> `SPY` */
export function symbolOfItem(item: string): string {
  return item.slice(2);
}

/** The vendor ms of an event (ts_event_ns is the WebSocket's `t` in ns: a whole number of ms). */
export function eventMs(p: Publishable): number {
  return Number(p.event.ts_event_ns / NS_PER_MS);
}

export class ItemTracker {
  private readonly items = new Map<string, ItemState>();

  /** Record an event received live (in arrival order). An event older than the item's last millisecond leaves the state alone. */
  observe(item: string, t: number, q: number | null, id: string): void {
    const s = this.items.get(item);
    if (s === undefined) this.items.set(item, { t, q, ids: [id] });
    else if (t > s.t) {
      s.t = t;
      s.q = q;
      s.ids = [id];
    } else if (t === s.t) {
      s.q = q;
      s.ids.push(id);
    }
  }

  /** observe() an event */
  observeEvent(p: Publishable, item: string = itemOfEvent(p)): void {
    this.observe(item, eventMs(p), p.event.seq, p.msgId);
  }

  get(item: string): ItemState | undefined {
    return this.items.get(item);
  }

  /** a copy of the state (what a window keeps) */
  snapshot(item: string): ItemState | undefined {
    const s = this.items.get(item);
    return s && { t: s.t, q: s.q, ids: [...s.ids] };
  }

  /** Forget an item (unsubscribed and no window needs it). */
  forget(item: string): void {
    this.items.delete(item);
  }

  get size(): number {
    return this.items.size;
  }
}
