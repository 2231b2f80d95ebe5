/**
 * Vendor messages -> canonical events (StockTrade, StockQuote, OptionTrade) as Publishable, per
 * docs/event-contract.md. Pure: the arrival time comes from the caller (ParsedFrame.receivedAtNs).
 * The same Normalizer reads WebSocket messages (parseFrame) and REST rows mapped to the same messages
 * (restTradeMessage / restQuoteMessage): both copies of an event get the same body, bar source and
 * ts_recv_ns, and the same message id (ids.ts).
 */
import { SUBJECTS, type EventSource, type OptionTrade, type Publishable, type StockQuote, type StockTrade } from '@md/event-types';
import {
  parseFrame,
  type Cluster,
  type DataMessage,
  type OptionQuoteMessage,
  type OptionTradeMessage,
  type ParsedFrame,
  type StockQuoteMessage,
  type StockTradeMessage,
} from './parse.js';
import { optionTradeKey, optionTradeMsgIdOf, stockQuoteMsgId, stockTradeMsgId, TradeOrdinals } from './ids.js';
import { QuoteBook } from './quote-book.js';

const NS_PER_MS = 1_000_000n;

/** Conditions as the contract writes them: an empty list is no list (the WebSocket omits `c`, REST may send []). */
const conds = (c: number[] | null): number[] | null => (c === null || c.length === 0 ? null : c);

/** Unix ms (a safe integer) -> Unix ns, exact (bigint arithmetic). */
export function msToNs(t: number): bigint {
  return BigInt(t) * NS_PER_MS;
}

export function toStockTrade(m: StockTradeMessage, receivedAtNs: bigint, source: EventSource): StockTrade {
  return {
    ts_event_ns: msToNs(m.t),
    ts_recv_ns: receivedAtNs,
    source,
    symbol: m.sym,
    price: m.p,
    size: m.s,
    exchange: m.x,
    conditions: conds(m.c),
    seq: m.q,
  };
}

export function toStockQuote(m: StockQuoteMessage, receivedAtNs: bigint, source: EventSource): StockQuote {
  return {
    ts_event_ns: msToNs(m.t),
    ts_recv_ns: receivedAtNs,
    source,
    symbol: m.sym,
    bid_px: m.bp,
    ask_px: m.ap,
    bid_sz: m.bs,
    ask_sz: m.as,
    bid_exch: m.bx,
    ask_exch: m.ax,
    seq: m.q,
  };
}

/** An option trade with opt_bid/opt_ask/aggressor from `book` (the latest quote of the contract, if any). */
export function toOptionTrade(
  m: OptionTradeMessage,
  receivedAtNs: bigint,
  source: EventSource,
  book: QuoteBook,
  underlyingOf: (root: string) => string = (r) => r,
): OptionTrade {
  const q = book.get(m.sym);
  return {
    ts_event_ns: msToNs(m.t),
    ts_recv_ns: receivedAtNs,
    source,
    underlying: underlyingOf(m.ticker.underlying),
    option_symbol: m.sym,
    exp_date: m.ticker.expDate,
    strike: m.ticker.strike,
    right: m.ticker.right,
    price: m.p,
    size: m.s,
    opt_bid: q ? q.bid : null,
    opt_ask: q ? q.ask : null,
    aggressor: book.aggressor(m.sym, m.p),
    conditions: conds(m.c),
    seq: m.q,
  };
}

export interface NormalizerOptions {
  /** `massive_ws` / `polygon_ws` (by host), `massive_rest` / `polygon_rest` for REST rows; any EventSource is accepted */
  source: EventSource;
  /** the quote book to read and update (default: a new one) */
  book?: QuoteBook;
  /** the identical-option-trade counter of the message ids (default: a new one) */
  ordinals?: TradeOrdinals;
  /** option root -> underlying (`SPXW` -> `SPX`); default: the root itself (SPY's root is SPY) */
  underlyingOf?: (root: string) => string;
}

/**
 * Stateful through its QuoteBook and its TradeOrdinals: feed it every data message of a session (or of one
 * REST backfill) in arrival order. Quotes update the book BEFORE the next message is read, so a trade is
 * compared with the latest quote that arrived before it (even in the same frame). Option trade ids count
 * identical trades of one millisecond in arrival order (ids.ts).
 */
export class Normalizer {
  readonly source: EventSource;
  readonly book: QuoteBook;
  readonly ordinals: TradeOrdinals;
  private readonly underlyingOf: (root: string) => string;

  constructor(opts: NormalizerOptions) {
    this.source = opts.source;
    this.book = opts.book ?? new QuoteBook();
    this.ordinals = opts.ordinals ?? new TradeOrdinals();
    this.underlyingOf = opts.underlyingOf ?? ((r) => r);
  }

  /** One data message -> its Publishable (option quotes only update the book: null). */
  message(m: DataMessage, receivedAtNs: bigint): Publishable | null {
    switch (m.kind) {
      case 'stock_trade':
        return {
          subject: SUBJECTS.stockTrades,
          event: toStockTrade(m, receivedAtNs, this.source),
          msgId: stockTradeMsgId(m.sym, m.t, m.q, m.x, m.i),
        };
      case 'stock_quote':
        this.book.update(m.sym, m.bp, m.ap, m.bs, m.as, m.t);
        return {
          subject: SUBJECTS.stockQuotes,
          event: toStockQuote(m, receivedAtNs, this.source),
          msgId: stockQuoteMsgId(m.sym, m.t, m.q),
        };
      case 'option_quote':
        this.updateOptionQuote(m);
        return null;
      case 'option_trade': {
        const key = optionTradeKey(m.x, m.p, m.s, m.c);
        return {
          subject: SUBJECTS.optionTrades,
          event: toOptionTrade(m, receivedAtNs, this.source, this.book, this.underlyingOf),
          msgId: optionTradeMsgIdOf(m.sym, m.t, key, this.ordinals.next(m.sym, m.t, key)),
        };
      }
    }
  }

  /** Every data message of a parsed frame, in order (status messages are skipped: the session handles them). */
  frame(parsed: ParsedFrame, out: Publishable[] = []): Publishable[] {
    for (const m of parsed.messages) {
      if (m.kind === 'status') continue;
      const p = this.message(m, parsed.receivedAtNs);
      if (p) out.push(p);
    }
    return out;
  }

  private updateOptionQuote(m: OptionQuoteMessage): void {
    this.book.update(m.sym, m.bp, m.ap, m.bs, m.as, m.t);
  }
}

/** parseFrame + Normalizer.frame in one call. */
export function normalizeFrame(
  text: string,
  opts: { receivedAtNs: bigint; cluster?: Cluster; frame?: string | number; normalizer: Normalizer },
): { parsed: ParsedFrame; events: Publishable[] } {
  const parsed = parseFrame(text, opts);
  return { parsed, events: opts.normalizer.frame(parsed) };
}
