/**
 * QuoteBook: the latest bid/ask per instrument (stocks and options), in ARRIVAL order: a quote replaces
 * the previous one when it arrives, whatever its `t` (within one array `t` is not monotonic across event
 * types; re-sorting by `t` would change results, see README). A quote stays until replaced or forgotten
 * (the caller forgets a contract when it unsubscribes its quotes).
 */
import type { Aggressor } from '@md/event-types';

export interface BookQuote {
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  /** vendor ms timestamp of the quote */
  t: number;
}

/**
 * The aggressor of a trade at `price` against `quote`: at or above the ask -> 1 (buy), at or below the
 * bid -> -1 (sell), strictly between, or no quote -> 0. A side quoted at 0 (no bid / no offer) is absent.
 * The ask is tested first, so on a locked quote (bid == ask) a print at that price counts as a buy.
 */
export function aggressorFor(price: number, quote: BookQuote | undefined): Aggressor {
  if (quote === undefined) return 0;
  if (quote.ask > 0 && price >= quote.ask) return 1;
  if (quote.bid > 0 && price <= quote.bid) return -1;
  return 0;
}

export class QuoteBook {
  private readonly quotes = new Map<string, BookQuote>();

  /** Record the latest quote of `symbol` (replaces the previous one). */
  update(symbol: string, bid: number, ask: number, bidSize: number, askSize: number, t: number): void {
    const q = this.quotes.get(symbol);
    if (q) {
      q.bid = bid;
      q.ask = ask;
      q.bidSize = bidSize;
      q.askSize = askSize;
      q.t = t;
    } else this.quotes.set(symbol, { bid, ask, bidSize, askSize, t });
  }

  get(symbol: string): BookQuote | undefined {
    return this.quotes.get(symbol);
  }

  /** aggressorFor(price, latest quote of symbol) */
  aggressor(symbol: string, price: number): Aggressor {
    return aggressorFor(price, this.quotes.get(symbol));
  }

  /** Drop the quote of `symbol` (e.g. its quotes were unsubscribed: it would go stale). */
  forget(symbol: string): boolean {
    return this.quotes.delete(symbol);
  }

  clear(): void {
    this.quotes.clear();
  }

  get size(): number {
    return this.quotes.size;
  }

  symbols(): string[] {
    return [...this.quotes.keys()];
  }
}
