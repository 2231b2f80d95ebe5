/**
 * Message ids (`Nats-Msg-Id`) of live events, docs/event-contract.md section 7 and docs/gap-free-live.md
 * section 1. An id is a pure function of the vendor's description of the event, the same for its WebSocket
 * copy and its REST copy, so whichever copy reaches the stream second is dropped by JetStream's duplicate
 * window. Absent parts are written `-`. Pure: no I/O, no clock.
 */
import { SUBJECTS, formatFloat } from '@md/event-types';

const ABSENT = '-';

const part = (v: number | string | null): string => (v === null ? ABSENT : String(v));

/** `market.stocks.trades:SYM:t:q:x:i` (`q` sequence number, `x` exchange, `i` trade id as the vendor wrote it). */
export function stockTradeMsgId(sym: string, t: number, q: number | null, x: number | null, i: string | null): string {
  return `${SUBJECTS.stockTrades}:${sym}:${t}:${part(q)}:${part(x)}:${i === null || i === '' ? ABSENT : i}`;
}

/** `market.stocks.quotes:SYM:t:q`. */
export function stockQuoteMsgId(sym: string, t: number, q: number | null): string {
  return `${SUBJECTS.stockQuotes}:${sym}:${t}:${part(q)}`;
}

/**
 * The `x:p:s:c` part of an option trade's identity: exchange, the price as the contract writes it
 * (`formatFloat`: `2.23`, `3.0`), size, conditions joined by `.` (`-` when null or empty).
 */
export function optionTradeKey(x: number | null, p: number, s: number, c: readonly number[] | null): string {
  return `${part(x)}:${formatFloat(p)}:${s}:${c === null || c.length === 0 ? ABSENT : c.join('.')}`;
}

/**
 * `market.options.trades:SYM:t:x:p:s:c:n`: `n` is the ordinal of the trade among the identical trades
 * (same contract, `t` and `x:p:s:c`) seen before it (TradeOrdinals). REST option trades carry neither a
 * sequence number nor an id, so the id is built from what both copies have.
 */
export function optionTradeMsgId(
  sym: string,
  t: number,
  x: number | null,
  p: number,
  s: number,
  c: readonly number[] | null,
  n: number,
): string {
  return optionTradeMsgIdOf(sym, t, optionTradeKey(x, p, s, c), n);
}

/** optionTradeMsgId from a key already made by optionTradeKey. */
export function optionTradeMsgIdOf(sym: string, t: number, key: string, n: number): string {
  return `${SUBJECTS.optionTrades}:${sym}:${t}:${key}:${n}`;
}

/**
 * Validates a vendor trade id (`i` on the WebSocket, `id` on REST): a string, kept exactly as written
 * (leading zeros matter: `"00220725"`), or a safe integer >= 0 (written in decimal). Empty or absent -> null.
 * Returns a reason string when the value cannot be an id part (it feeds a NATS header: no control
 * characters, no spaces, no `:`, at most 64 characters).
 */
export function readTradeId(v: unknown): { id: string | null } | { reason: string } {
  if (v === undefined || v === null || v === '') return { id: null };
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return { id: String(v) };
    return { reason: `expected a trade id string, got the number ${v}` };
  }
  if (typeof v !== 'string') return { reason: `expected a trade id string, got ${typeof v}` };
  if (v.length > 64) return { reason: `trade id longer than 64 characters (${v.length})` };
  if (!/^[\x21-\x39\x3b-\x7e]+$/.test(v))
    return { reason: `trade id ${JSON.stringify(v)} has a character outside printable ASCII, or a ':'` };
  return { id: v };
}

/** How long (vendor ms) identical-trade counts are kept behind the newest trade of a contract. */
export const ORDINAL_HORIZON_MS = 10_000;
/** Prune at most once per this much advance of the newest `t`. */
const PRUNE_STEP_MS = 1_000;

interface SymbolOrdinals {
  /** newest vendor t seen for the symbol */
  newest: number;
  /** t -> (x:p:s:c -> count) */
  byT: Map<number, Map<string, number>>;
}

/**
 * Counts identical option trades: `next(sym, t, key)` returns how many trades of `sym` with the same `t`
 * and `key` (optionTradeKey) came before this one (0, 1, 2, ...). Identical trades of one millisecond are
 * indistinguishable, so counting them in arrival order gives the WebSocket copy and the REST copy of a
 * millisecond the same ids whatever order each copy has them in.
 *
 * Memory is bounded by time: counts of a symbol are dropped once their `t` is more than ORDINAL_HORIZON_MS
 * older than the newest `t` of that symbol, and a symbol whose newest `t` is that much older than the
 * newest `t` of any symbol is dropped whole. A trade older than the horizon still gets an ordinal (counted
 * from whatever is still held).
 */
export class TradeOrdinals {
  private readonly symbols = new Map<string, SymbolOrdinals>();
  private newest = -Infinity;
  private lastPrune = -Infinity;

  constructor(readonly horizonMs: number = ORDINAL_HORIZON_MS) {}

  /** The ordinal of this trade, and count it. */
  next(sym: string, t: number, key: string): number {
    let so = this.symbols.get(sym);
    if (so === undefined) {
      so = { newest: t, byT: new Map() };
      this.symbols.set(sym, so);
    }
    let bucket = so.byT.get(t);
    if (bucket === undefined) {
      bucket = new Map();
      so.byT.set(t, bucket);
    }
    const n = bucket.get(key) ?? 0;
    bucket.set(key, n + 1);
    if (t > so.newest) so.newest = t;
    if (t > this.newest) {
      this.newest = t;
      if (t - this.lastPrune >= PRUNE_STEP_MS) this.prune();
    }
    return n;
  }

  /** Forget every count of `sym` (e.g. the contract was unsubscribed). */
  forget(sym: string): boolean {
    return this.symbols.delete(sym);
  }

  clear(): void {
    this.symbols.clear();
    this.newest = -Infinity;
    this.lastPrune = -Infinity;
  }

  /** symbols held */
  get size(): number {
    return this.symbols.size;
  }

  /** (t, key) buckets held, over all symbols */
  get keys(): number {
    let n = 0;
    for (const so of this.symbols.values()) for (const b of so.byT.values()) n += b.size;
    return n;
  }

  private prune(): void {
    this.lastPrune = this.newest;
    for (const [sym, so] of this.symbols) {
      if (so.newest < this.newest - this.horizonMs) {
        this.symbols.delete(sym);
        continue;
      }
      const oldest = so.newest - this.horizonMs;
      for (const t of so.byT.keys()) if (t < oldest) so.byT.delete(t);
    }
  }
}
