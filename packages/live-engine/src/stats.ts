/**
 * The engine's counters, as the stats line prints them. Latency goes into a Histogram of @md/stream-merge
 * (the one histogram of the repository), not here.
 */

export interface IngestCounters {
  frames: number;
  /** data events by kind, plus status */
  events: { stock_trade: number; stock_quote: number; option_trade: number; option_quote: number; status: number };
  /** frames refused as a whole */
  malformedFrames: number;
  /** elements refused */
  malformedEvents: number;
  /** elements skipped (unknown ev) */
  ignored: number;
  /** events lost to the queue's drop policy */
  dropped: number;
  /** events the sink refused (encode error, publisher failure) */
  publishErrors: number;
  /** events handed to the sink */
  published: number;
  reconnects: number;
  resubscriptions: number;
}

export function newCounters(): IngestCounters {
  return {
    frames: 0,
    events: { stock_trade: 0, stock_quote: 0, option_trade: 0, option_quote: 0, status: 0 },
    malformedFrames: 0,
    malformedEvents: 0,
    ignored: 0,
    dropped: 0,
    publishErrors: 0,
    published: 0,
    reconnects: 0,
    resubscriptions: 0,
  };
}

/**
 * The stream's account of a run (@md/app-kit's StoredCounts has this shape, from the stream's state before and
 * after): events stored new and confirmed events the stream held already; a range when not exact.
 */
export interface StoredSummary {
  new: number;
  newMax: number;
  duplicates: number;
  duplicatesMin: number;
  exact: boolean;
  note: string | null;
}

/** `stored_new=N already_stored=M stored_exact=true` (ranges as `lo..hi` when not exact), the stats line's style */
export function storedStatsLine(s: StoredSummary): string {
  const range = (lo: number, hi: number) => (lo === hi ? String(lo) : `${lo}..${hi}`);
  return (
    `stored_new=${range(s.new, s.newMax)} already_stored=${range(s.duplicatesMin, s.duplicates)} stored_exact=${s.exact}` +
    (s.note ? ` (${s.note})` : '')
  );
}
