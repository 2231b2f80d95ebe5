/**
 * Windows a new leader takes over from the leaders before it (hot standby). A leader killed while a window of its
 * was open (a restart backfill not yet done, a disconnect, an overflow) never fills it, and the next leader's
 * resume point is the newest event stored, past it: nobody would. A standby therefore keeps the announcements it
 * sees on `md.live.gaps` (GapBook): the windows announced `open` and not yet final, and those announced `unfilled`
 * because their engine stopped; its next term fills them under their own gap ids (one final for the consumer that
 * saw the `open`). The old leader's boundary ids are not in the announcement: rows of such a window already stored
 * are stored again within JetStream's duplicate window (2 minutes), which a take-over is well inside.
 * docs/gap-free-live.md section 6.
 */
import type { Subject } from '@md/event-types';
import { parseRestJson, type RestJsonValue } from '@md/polygon-normalizer';
import type { GapAnnouncement, GapReason, GapStatus, ItemWindow, SessionName } from './gaps.js';

const NS_PER_MS = 1_000_000n;
const STATUSES: readonly GapStatus[] = ['open', 'filled', 'unfilled'];
const REASONS: readonly GapReason[] = ['disconnect', 'overflow', 'restart', 'backfill_max'];

/** One md.live.gaps body (gapJson's text, or its bytes) back to a GapAnnouncement, the ns bounds exact; null if it is not one. */
export function parseGapJson(body: string | Uint8Array): GapAnnouncement | null {
  let v: RestJsonValue;
  try {
    v = parseRestJson(body);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, RestJsonValue>;
  const big = (x: RestJsonValue | undefined): bigint | null =>
    typeof x === 'bigint' ? x : typeof x === 'number' && Number.isSafeInteger(x) ? BigInt(x) : null;
  const str = (x: RestJsonValue | undefined): string | null => (typeof x === 'string' ? x : null);
  const from = big(o.from_ns);
  const to = big(o.to_ns);
  const status = str(o.status) as GapStatus | null;
  const reason = str(o.reason) as GapReason | null;
  const session = str(o.session);
  const [gapId, subject, item, symbol] = [str(o.gap_id), str(o.subject), str(o.item), str(o.symbol)];
  if (o.type !== 'gap' || from === null || to === null || from >= to || status === null || !STATUSES.includes(status)) return null;
  if (reason === null || !REASONS.includes(reason) || (session !== 'stocks' && session !== 'options')) return null;
  if (gapId === null || subject === null || item === null || symbol === null) return null;
  const count = big(o.count);
  return {
    type: 'gap',
    status,
    gap_id: gapId,
    session,
    subject: subject as Subject,
    item,
    symbol,
    from_ns: from,
    to_ns: to,
    reason,
    count: count === null ? null : Number(count),
    why: str(o.why),
    rest_requests: Number(big(o.rest_requests) ?? 0n),
    at: str(o.at) ?? '',
  };
}

/** an `unfilled` window another leader may still fill: its engine stopped (or lost the lease) before it was filled */
export const inheritable = (g: GapAnnouncement): boolean =>
  g.reason !== 'backfill_max' && (g.status === 'open' || (g.status === 'unfilled' && /^(stopped|lease lost)/.test(g.why ?? '')));

/** The windows seen announced and not (yet) filled by anyone, by gap id (the most `max` kept, the oldest dropped). */
export class GapBook {
  private readonly byId = new Map<string, GapAnnouncement>();
  constructor(readonly max = 10_000) {}

  /** every announcement seen on md.live.gaps (this instance's own included) */
  observe(g: GapAnnouncement): void {
    this.byId.delete(g.gap_id);
    if (!inheritable(g)) return;
    this.byId.set(g.gap_id, g);
    if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value as string);
  }

  get size(): number {
    return this.byId.size;
  }

  /** the windows to take over (and forget: the next term owns them; its finals are observed again) */
  take(): GapAnnouncement[] {
    const out = [...this.byId.values()];
    this.byId.clear();
    return out;
  }
}

/** An announced window as an ItemWindow to fill again (every row of it; quotes merged for option contracts). */
export function windowOfAnnouncement(g: GapAnnouncement, nowMs: number, delayMs: number): ItemWindow {
  const fromMs = Number(g.from_ns / NS_PER_MS);
  // to_ns is exclusive and whole ms; round a partial last ms up so it is inside
  const toMs = Number((g.to_ns + NS_PER_MS - 1n) / NS_PER_MS) - 1;
  return {
    gapId: g.gap_id,
    session: g.session as SessionName,
    reason: g.reason,
    subject: g.subject,
    item: g.item,
    symbol: g.symbol,
    fromMs,
    toMs,
    skip: new Set(),
    live: null,
    only: null,
    quotes: g.session === 'options',
    seedQuote: null,
    readyAtMs: Math.max(nowMs, toMs + delayMs),
  };
}
