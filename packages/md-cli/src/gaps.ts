/**
 * The gap announcements of the live ingestor (`md.live.gaps`, docs/event-contract.md section 10) as `md audit`
 * reads them. They are core NATS messages, never stored in MARKET_DATA: audit reads them from a stream that an
 * operator made to store that subject (found by subject), and says so when there is none.
 */
import { LIVE_GAPS_SUBJECT } from '@md/event-types';
import { storedMessagesSince, type NatsConnection } from '@md/nats-bus';
import type { JetStreamManager } from '@nats-io/jetstream';

export interface GapWindow {
  gap_id: string;
  /** the last status announced for it */
  status: 'open' | 'filled' | 'unfilled';
  subject: string;
  item: string;
  from_ns: bigint;
  to_ns: bigint;
  reason: string;
  count: number | null;
  why: string | null;
  /** stream sequence of its last announcement */
  seq: number;
}

export interface GapReport {
  /** the stream the announcements were read from; null: none stores md.live.gaps */
  stream: string | null;
  announcements: number;
  windows: number;
  open: number;
  filled: number;
  unfilled: number;
  /** the unfilled windows, in announcement order */
  unfilledWindows: GapWindow[];
  /** announcements that are not gap JSON: seq and why */
  invalid: { seq: number; error: string }[];
  /** filled and open windows, for telling a backfill's older events from an order break */
  all: GapWindow[];
}

const td = new TextDecoder();

/** one announcement -> its fields, the `_ns` integers exact (quoted before JSON.parse, read as bigint) */
export function parseGap(text: string): GapWindow & { type: string } {
  const quoted = text.replace(/("(?:from|to)_ns"\s*:\s*)(-?\d+)/g, '$1"$2"');
  const o = JSON.parse(quoted) as Record<string, unknown>;
  const str = (k: string) => {
    const v = o[k];
    if (typeof v !== 'string') throw new Error(`${k} must be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const ns = (k: string) => {
    const v = str(k);
    if (!/^-?\d+$/.test(v)) throw new Error(`${k} must be an integer of nanoseconds, got ${JSON.stringify(o[k])}`);
    return BigInt(v);
  };
  const status = str('status');
  if (status !== 'open' && status !== 'filled' && status !== 'unfilled')
    throw new Error(`status must be open, filled or unfilled, got ${JSON.stringify(status)}`);
  return {
    type: str('type'),
    gap_id: str('gap_id'),
    status,
    subject: str('subject'),
    item: typeof o.item === 'string' ? o.item : '',
    from_ns: ns('from_ns'),
    to_ns: ns('to_ns'),
    reason: typeof o.reason === 'string' ? o.reason : '',
    count: typeof o.count === 'number' ? o.count : null,
    why: typeof o.why === 'string' ? o.why : null,
    seq: 0,
  };
}

/** the stream storing md.live.gaps, null when none does */
export async function gapStreamOf(jsm: JetStreamManager): Promise<string | null> {
  for await (const name of jsm.streams.names(LIVE_GAPS_SUBJECT)) return name;
  return null;
}

/** every announcement stored (up to the last at the start), folded by gap_id: a window's last status counts */
export async function readGaps(nc: NatsConnection, jsm: JetStreamManager, timeoutMs: number): Promise<GapReport> {
  const stream = await gapStreamOf(jsm);
  const rep: GapReport = {
    stream,
    announcements: 0,
    windows: 0,
    open: 0,
    filled: 0,
    unfilled: 0,
    unfilledWindows: [],
    invalid: [],
    all: [],
  };
  if (stream === null) return rep;
  const byId = new Map<string, GapWindow>();
  for await (const m of storedMessagesSince(nc, stream, LIVE_GAPS_SUBJECT, 0, { timeoutMs })) {
    rep.announcements++;
    try {
      const g = parseGap(td.decode(m.data));
      if (g.type !== 'gap') throw new Error(`type must be "gap", got ${JSON.stringify(g.type)}`);
      const { type: _t, ...w } = g;
      byId.delete(w.gap_id); // Map order: by last announcement
      byId.set(w.gap_id, { ...w, seq: m.seq });
    } catch (e) {
      rep.invalid.push({ seq: m.seq, error: (e as Error).message });
    }
  }
  for (const w of byId.values()) {
    rep.windows++;
    rep[w.status]++;
    if (w.status === 'unfilled') rep.unfilledWindows.push(w);
    rep.all.push(w);
  }
  return rep;
}
