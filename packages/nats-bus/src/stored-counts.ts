/**
 * How many of a run's events the stream stored new, and how many it had already (exact reports): from the
 * stream's state before and after the run (JetStream stream info, per subject with a subjects filter), not
 * from the PubAcks (in batch mode only the markers' PubAcks say "duplicate").
 *
 * A JetStream stream numbers every message it stores: its last sequence grows by exactly the messages stored,
 * whoever sent them, and limits (max age, max messages, ...) never lower it; a duplicate (same Nats-Msg-Id within
 * the duplicate window) is not stored and takes no sequence. The messages per subject grow by what was stored on
 * the subject and shrink by what limits removed. So when both deltas agree, nothing was stored on other subjects
 * and nothing of these subjects was removed: the delta is exactly what was stored on these subjects, and it is
 * this run's when this run is the only publisher of them (the one assumption). Otherwise the figure is a range.
 */

/** the state of a stream for some subjects */
export interface StreamTally {
  /** the stream's last sequence (0: never stored anything) */
  lastSeq: number;
  /** messages stored per subject (a subject not listed holds none) */
  perSubject: Readonly<Record<string, number>>;
}

export interface StoredCounts {
  /** events stored new by this run (the lower bound when not exact) */
  new: number;
  /** the upper bound (=== new when exact) */
  newMax: number;
  /** confirmed events the stream already held: confirmed - new (the upper bound when not exact) */
  duplicates: number;
  /** confirmed - newMax */
  duplicatesMin: number;
  /** the events this run had confirmed */
  confirmed: number;
  exact: boolean;
  /** new messages per subject (the stream's per-subject delta) */
  perSubject: Record<string, number>;
  /** when not exact, or when some events were unconfirmed: why */
  note: string | null;
}

/**
 * The stored counts of a run from the stream's state before and after it (after every PubAck is in), the
 * events it confirmed and those it gave up on (`failed`: unconfirmed, possibly stored).
 */
export function storedCounts(before: StreamTally, after: StreamTally, confirmed: number, failed = 0): StoredCounts {
  const dSeq = Math.max(0, after.lastSeq - before.lastSeq);
  const perSubject: Record<string, number> = {};
  let dSubj = 0;
  for (const s of new Set([...Object.keys(before.perSubject), ...Object.keys(after.perSubject)])) {
    const d = (after.perSubject[s] ?? 0) - (before.perSubject[s] ?? 0);
    perSubject[s] = d;
    dSubj += d;
  }
  const sent = confirmed + failed;
  const notes: string[] = [];
  let lo: number;
  let hi: number;
  if (dSeq === dSubj && dSubj <= sent) {
    lo = hi = dSubj;
  } else {
    lo = Math.max(0, Math.min(dSubj, sent));
    hi = Math.max(lo, Math.min(dSeq, sent));
    if (dSeq > dSubj)
      notes.push(
        `the stream stored ${dSeq - dSubj} more message(s) than these subjects gained: other subjects were written, or limits removed messages of these subjects, during the run`,
      );
    if (dSubj > sent)
      notes.push(`these subjects gained ${dSubj} message(s), more than this run sent (${sent}): another publisher wrote to them`);
    if (dSeq < dSubj) notes.push('the stream was reset (its sequence went back) during the run');
  }
  if (failed > 0) notes.push(`${failed} event(s) were not confirmed: some of them may be stored`);
  const exact = lo === hi && dSeq === dSubj && dSubj <= sent;
  return {
    new: lo,
    newMax: hi,
    duplicates: Math.max(0, confirmed - lo),
    duplicatesMin: Math.max(0, confirmed - hi),
    confirmed,
    exact,
    perSubject,
    note: notes.length ? notes.join('; ') : null,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** `470,000 new / 0 already in the stream (exact)`, or the ranges and why */
export function describeStored(c: StoredCounts): string {
  if (c.exact) return `${fmt(c.new)} new / ${fmt(c.duplicates)} already in the stream (exact)${c.note ? `; ${c.note}` : ''}`;
  return (
    `${fmt(c.new)}..${fmt(c.newMax)} new / ${fmt(c.duplicatesMin)}..${fmt(c.duplicates)} already in the stream ` +
    `(not exact: ${c.note ?? 'unknown'})`
  );
}

/** what readStreamTally needs of a NATS connection (a NatsConnection satisfies it) */
export interface RequestLike {
  request(subject: string, payload: string, opts: { timeout: number }): Promise<{ string(): string }>;
}

/**
 * The stream's state for `subjects`: one JetStream API request (`$JS.API.STREAM.INFO.<stream>` with a subjects
 * filter, `filter`: the wildcard covering them, default '>'). Subjects not in `subjects` are left out.
 */
export async function readStreamTally(
  nc: RequestLike,
  stream: string,
  subjects: readonly string[],
  o: { filter?: string; timeoutMs?: number; apiPrefix?: string } = {},
): Promise<StreamTally> {
  const subject = `${o.apiPrefix ?? '$JS.API'}.STREAM.INFO.${stream}`;
  const m = await nc.request(subject, JSON.stringify({ subjects_filter: o.filter ?? '>' }), { timeout: o.timeoutMs ?? 5000 });
  const r = JSON.parse(m.string()) as {
    error?: { description?: string; code?: number };
    state?: { last_seq?: number; subjects?: Record<string, number> };
  };
  if (r.error) throw new Error(`stream info ${stream}: ${r.error.description ?? 'error'} (code ${r.error.code ?? '?'})`);
  const all = r.state?.subjects ?? {};
  const perSubject: Record<string, number> = {};
  for (const s of subjects) perSubject[s] = all[s] ?? 0;
  return { lastSeq: r.state?.last_seq ?? 0, perSubject };
}

/** what StoredTracker reads of a sink's counters (SinkStats) */
export interface TallyStats {
  readonly acked: number;
  readonly failed: number;
  readonly pending: number;
}

/**
 * The stream's account of a run: its state for the run's subjects at the start (`start()`, before the first
 * publish) and at the end (`finish()`, after the last PubAck), see storedCounts. Between them, `current()` reads
 * the stream again (one stream info request, at most once a second): what @md/app-kit's storedMetrics serves.
 */
export class StoredTracker {
  private before: StreamTally | null = null;
  private final: StoredCounts | null = null;
  private last: StoredCounts | null = null;
  private lastAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly nc: RequestLike,
    private readonly stream: string,
    private readonly subjects: readonly string[],
    private readonly stats: () => TallyStats | null,
    /** the wildcard covering the subjects (the subjects filter of the request) */
    private readonly filter = 'market.>',
  ) {}

  /**
   * A tracker on `bus` (an AppBus: its connection and stream) started now, the stream's state for `subjects` read
   * before the first publish; null, with a warning, when the stream's state cannot be read.
   */
  static async begin(
    bus: { nc: RequestLike; stream: { info: { config: { name: string } } } },
    subjects: readonly string[],
    stats: () => TallyStats | null,
    log: { warn(m: string): void },
  ): Promise<StoredTracker | null> {
    const t = new StoredTracker(bus.nc, bus.stream.info.config.name, subjects, stats);
    try {
      await t.start();
      return t;
    } catch (e) {
      log.warn(`stored counts: the stream's state could not be read (${(e as Error)?.message ?? String(e)}): not reported`);
      return null;
    }
  }

  /** read the stream's state before the run (throws what the request throws) */
  async start(timeoutMs = 5000): Promise<void> {
    this.before = await this.read(timeoutMs);
  }

  /** the counts after the run (every PubAck in): null when start() did not succeed or the stream cannot be read */
  async finish(timeoutMs = 5000): Promise<StoredCounts | null> {
    if (!this.before) return null;
    const s = this.stats();
    const after = await this.read(timeoutMs);
    this.final = storedCounts(this.before, after, s?.acked ?? 0, (s?.failed ?? 0) + (s?.pending ?? 0));
    return this.final;
  }

  /** the final counts, or an estimate of now (read at most once a second; in flight events count as possibly stored) */
  async current(timeoutMs = 1000): Promise<StoredCounts | null> {
    if (this.final || !this.before) return this.final;
    if (performance.now() - this.lastAt >= 1000) {
      this.reading ??= this.read(timeoutMs)
        .then((now) => {
          const s = this.stats();
          this.last = storedCounts(this.before as StreamTally, now, s?.acked ?? 0, (s?.failed ?? 0) + (s?.pending ?? 0));
          this.lastAt = performance.now();
        })
        .catch(() => undefined) // NATS away: the last figures stay
        .finally(() => (this.reading = null));
      await this.reading;
    }
    return this.final ?? this.last;
  }

  private read(timeoutMs: number): Promise<StreamTally> {
    return readStreamTally(this.nc, this.stream, this.subjects, { filter: this.filter, timeoutMs });
  }
}
