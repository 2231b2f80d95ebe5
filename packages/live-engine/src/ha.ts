/**
 * LiveHa: the hot standby. Several instances run; the one holding a lease (a NATS KV key, @md/nats-bus
 * Lease) runs a LiveEngine (vendor sockets open; its start is a gap from the stream's resume point, filled
 * from REST), the others wait. A lost lease closes the vendor sockets at once (the vendor allows one
 * connection per key and cluster); the engine then retires: what is queued is still published and the windows
 * it already bounded are still filled from REST (the next leader starts from the newest stored event, past
 * them), then it stops (the ids are deterministic, so an overlap with the new leader stores nothing twice).
 * The instance stands by again at once, and may lead again while a retired engine still backfills. A leader
 * killed outright fills nothing: its open windows are recorded in NATS KV (`records`, gap-records.ts: written at
 * `open`, deleted when final for good), and every new leader reads them at the start of its term and takes them
 * over under their gap ids; a standby fed the md.live.gaps announcements (observe()) also takes over those it saw
 * announced and not filled (inherit.ts).
 * docs/gap-free-live.md section 6.
 */
import type { Logger } from '@md/polygon-normalizer/session';
import type { LiveEngineResult } from './engine.js';
import type { GapAnnouncement } from './gaps.js';
import { GapRecorder, type GapRecordStore } from './gap-records.js';
import { GapBook } from './inherit.js';

/** What LiveHa needs of a lease (`Lease` of @md/nats-bus is one). */
export interface LeaseLike {
  /** contend, then keep it, until stop() */
  run(): void | Promise<void>;
  /** stop contending; `release` deletes the key when held so a standby takes over at once */
  stop(release?: boolean): Promise<void>;
  readonly held: boolean;
}

/** The callbacks to give the lease when opening it (`Lease.open(nc, { ...ha.handlers })`). */
export interface LeaseHandlers {
  onAcquired: () => void;
  onLost: (why: string) => void;
}

/** What LiveHa needs of an engine (a LiveEngine made with `closeSinkOnStop: false` and a `resumePoint`). */
export interface HaEngine {
  start(): void;
  stop(reason?: string, code?: number): Promise<void>;
  /** drop the vendor sockets at once */
  closeSockets(): void;
  /**
   * the lease is lost: sockets closed at once, the windows already bounded still filled (at most `maxMs`), then
   * stop(reason); stop() meanwhile ends it (LiveEngine.retire). Without it, a lost lease calls stop().
   */
  retire?(reason: string, maxMs: number): Promise<void>;
  /** before start(): the windows earlier leaders left unfilled, to fill under their gap ids (LiveEngine.inherit) */
  inherit?(gs: readonly GapAnnouncement[]): void;
  readonly done: Promise<LiveEngineResult>;
}

export interface LiveHaOptions {
  /** a new engine for each term as leader */
  makeEngine: () => HaEngine;
  log?: Logger;
  /** how long an engine that lost the lease may go on filling its windows from REST (default RETIRE_BACKFILL_MS) */
  retireMs?: number;
  /**
   * the durable record of open windows (GapRecords of @md/nats-bus, scoped by the lease key): every announcement of
   * this process's engines goes to announced(), and each term starts by taking over the recorded windows
   */
  records?: GapRecordStore;
  /** how long a new term waits for the records (default GAP_RECORDS_READ_MS) */
  recordsReadMs?: number;
}

/** LiveHaOptions.recordsReadMs: 3 s */
export const GAP_RECORDS_READ_MS = 3000;

/** LiveHaOptions.retireMs: 2 minutes */
export const RETIRE_BACKFILL_MS = 120_000;

export class LiveHa {
  readonly handlers: LeaseHandlers;
  readonly stats = { acquired: 0, lost: 0, terms: 0 };
  /** windows of earlier leaders handed to this instance's engines (engine.inherit) */
  inheritedWindows = 0;
  /** the KV record of open windows (null without LiveHaOptions.records) */
  readonly recorder: GapRecorder | null;
  /** the engine of the current term (null while standing by) */
  engine: HaEngine | null = null;
  /** resolves when the controller stopped: by stop(), or an engine that ended by itself with a non-zero code */
  readonly done: Promise<LiveEngineResult>;
  private lease: LeaseLike | null = null;
  /** engines of earlier terms still filling their windows after the lease was lost */
  private readonly retiring = new Set<HaEngine>();
  /** the windows announced on md.live.gaps and not filled (observe()): the next term takes them over */
  readonly book = new GapBook();
  private chain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private resolveDone!: (r: LiveEngineResult) => void;
  private readonly log: Logger;

  constructor(private readonly o: LiveHaOptions) {
    this.log = o.log ?? (() => {});
    this.done = new Promise((r) => (this.resolveDone = r));
    this.recorder = o.records ? new GapRecorder(o.records, this.log) : null;
    this.handlers = {
      onAcquired: () => this.acquired(),
      onLost: (why) => this.lost(why),
    };
  }

  /** Contend for `lease` (opened with this.handlers). */
  run(lease: LeaseLike): void {
    this.lease = lease;
    void Promise.resolve(lease.run()).catch((e: unknown) => this.log('error', `ha: lease: ${(e as Error).message}`));
  }

  /**
   * Every announcement on md.live.gaps (subscribe while standing by): a leader killed with a window open never
   * fills it and the next leader's resume point is past it, so the next term of this instance takes it over.
   */
  observe(g: GapAnnouncement): void {
    this.book.observe(g);
  }

  /**
   * Every announcement of this process's engines (the engines' `announce` hook calls it, whichever term made
   * them): with LiveHaOptions.records, the window's KV record follows it (gap-records.ts). Never throws.
   */
  announced(g: GapAnnouncement): void {
    this.recorder?.announced(g);
  }

  /** whether this instance leads now */
  get leading(): boolean {
    return this.engine !== null;
  }

  /** Stop the engine (publishing what it holds), then release the lease. */
  stop(reason = 'stopped'): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        const e = this.engine;
        this.engine = null;
        await this.chain;
        if (e) await e.stop(reason);
        await Promise.all([...this.retiring].map((r) => r.stop(reason)));
        // the last record writes (the deletes of windows filled) reach the bucket before the connection goes
        if (this.recorder) {
          let t: NodeJS.Timeout | undefined;
          await Promise.race([this.recorder.settled(), new Promise((r) => (t = setTimeout(r, 2000)))]);
          clearTimeout(t);
        }
        await this.lease?.stop(true);
        this.resolveDone({ code: 0, reason });
      })();
    }
    return this.stopping;
  }

  private acquired(): void {
    if (this.stopping) return;
    this.stats.acquired++;
    this.chain = this.chain.then(async () => {
      const skip = () => this.stopping || this.engine || (this.lease && !this.lease.held);
      if (skip()) return;
      // the windows earlier leaders left open (a killed one's among them): recorded in KV, or seen on md.live.gaps
      const recorded = this.recorder ? await this.recorder.inheritable(this.o.recordsReadMs ?? GAP_RECORDS_READ_MS) : [];
      if (skip()) return;
      this.log('info', 'ha: lease acquired: leading (vendor sockets open, start backfilled from the stream)');
      const e = this.o.makeEngine();
      const taken = new Map<string, GapAnnouncement>();
      for (const g of [...recorded, ...this.book.take()]) if (!taken.has(g.gap_id)) taken.set(g.gap_id, g);
      if (e.inherit && taken.size > 0) {
        this.log('info', `ha: taking over ${taken.size} window(s) earlier leaders left unfilled (${recorded.length} from the gap records)`);
        this.inheritedWindows += taken.size;
        e.inherit([...taken.values()]);
      }
      this.engine = e;
      this.stats.terms++;
      void e.done.then((r) => {
        // an engine that ended by itself (authentication refused): give the lease up, end with its code
        if (this.engine === e && r.code !== 0) {
          this.engine = null;
          this.log('error', `ha: the engine ended (${r.reason}): releasing the lease`);
          void (async () => {
            await this.lease?.stop(true);
            this.stopping ??= Promise.resolve();
            this.resolveDone(r);
          })();
        }
      });
      e.start();
    });
  }

  private lost(why: string): void {
    this.stats.lost++;
    const e = this.engine;
    this.engine = null;
    if (!e) return;
    // at once: another instance may connect to the vendor any moment now
    e.closeSockets();
    const reason = `lease lost: ${why}`;
    if (!e.retire) {
      this.log('warn', `ha: lease lost (${why}): vendor sockets closed; standing by`);
      this.chain = this.chain.then(() => e.stop(reason));
      return;
    }
    // the next leader starts from the newest stored event, past this engine's windows: it fills them itself (a next
    // leader fills them too only if it observe()d them). A next term of this instance does not wait for that: its
    // engine is another one, on the same sink
    this.log('warn', `ha: lease lost (${why}): vendor sockets closed; standing by (the gaps already bounded are still backfilled)`);
    this.retiring.add(e);
    void e
      .retire(reason, this.o.retireMs ?? RETIRE_BACKFILL_MS)
      .catch((err: unknown) => this.log('error', `ha: the engine that lost the lease: ${(err as Error).message}`))
      .finally(() => this.retiring.delete(e));
  }
}
