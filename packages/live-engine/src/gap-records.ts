/**
 * The durable record of the open windows of the hot-standby leaders (docs/gap-free-live.md section 6). The
 * md.live.gaps announcements are core NATS: a standby not running, or not subscribed, when a window was announced
 * never sees it, and a leader killed with a window open never fills it (the next leader's resume point is past
 * it). So every announcement of this process's engines also updates a KV record (GapRecords of @md/nats-bus):
 *
 * | announcement | record |
 * |---|---|
 * | `open` | written: the announcement JSON (exact ns bounds, session, subject, item, gap id, reason) |
 * | `filled` | deleted |
 * | `unfilled`, its engine stopped or lost the lease before filling it (`inheritable`) | kept as it is (not written: a leader that already filled it and deleted the record must not see it again) |
 * | `unfilled` for any other reason (REST refused it, retries exhausted, `--backfill-max`, backfill disabled) | deleted: no leader would do better |
 *
 * and every new leader lists the records at the start of its term and passes them to `engine.inherit()`, except
 * the windows an engine of this very process still fills (a retiring one). The writes of one window are made in
 * announcement order (one chain per gap id).
 */
import type { Logger } from '@md/polygon-normalizer/session';
import { gapJson, type GapAnnouncement } from './gaps.js';
import { inheritable, parseGapJson } from './inherit.js';

/** Where the open windows are kept (`GapRecords` of @md/nats-bus is one): text values by gap id. */
export interface GapRecordStore {
  put(id: string, value: string): Promise<void>;
  delete(id: string): Promise<void>;
  list(): Promise<readonly { id: string; value: string }[]>;
}

/** What an announcement does to its window's record. */
export function recordAction(g: GapAnnouncement): 'put' | 'delete' | 'keep' {
  if (g.status === 'open') return inheritable(g) ? 'put' : 'keep';
  if (g.status === 'filled') return 'delete';
  // stopped before it was filled: the record written at `open` stays for the next leader. Not written again: a
  // leader that took it over meanwhile (this engine was retiring, not dead) may have filled it and deleted it
  return inheritable(g) ? 'keep' : 'delete';
}

export class GapRecorder {
  readonly stats = { puts: 0, deletes: 0, failures: 0, listed: 0 };
  /** windows announced open by an engine of this process and not final yet */
  private readonly local = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: GapRecordStore,
    private readonly log: Logger,
  ) {}

  /** An announcement of an engine of this process: the record follows it. */
  announced(g: GapAnnouncement): void {
    if (g.status === 'open') this.local.add(g.gap_id);
    else this.local.delete(g.gap_id);
    const action = recordAction(g);
    if (action === 'keep') return;
    const value = action === 'put' ? gapJson(g) : '';
    const id = g.gap_id;
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.then(async () => {
      try {
        if (action === 'put') {
          await this.store.put(id, value);
          this.stats.puts++;
        } else {
          await this.store.delete(id);
          this.stats.deletes++;
        }
      } catch (e) {
        this.stats.failures++;
        this.log('warn', `ha: gap record ${id} (${action} after ${g.status}): ${(e as Error).message}`);
      }
    });
    this.chains.set(id, next);
    void next.then(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
  }

  /** resolves once every write asked so far is done (tests, shutdown) */
  async settled(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /**
   * The recorded windows a new term takes over (those of this process's own engines still at work left out); []
   * when the store does not answer within `timeoutMs` (logged: the term starts anyway).
   */
  async inheritable(timeoutMs: number): Promise<GapAnnouncement[]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const recs = await Promise.race([
        this.store.list(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      const out: GapAnnouncement[] = [];
      for (const r of recs) {
        const g = parseGapJson(r.value);
        if (!g || g.gap_id !== r.id) {
          this.log('warn', `ha: gap record ${r.id}: not a gap announcement: left alone`);
          continue;
        }
        if (this.local.has(g.gap_id) || !inheritable(g)) continue;
        out.push(g);
      }
      this.stats.listed += out.length;
      return out;
    } catch (e) {
      this.log('error', `ha: reading the gap records: ${(e as Error).message}: the windows earlier leaders left open are not taken over`);
      return [];
    } finally {
      clearTimeout(timer);
    }
  }
}
