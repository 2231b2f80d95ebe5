/**
 * LiveHa: the hot standby. Several instances run; the one holding a lease (a NATS KV key, @md/nats-bus
 * Lease) runs a LiveEngine (vendor sockets open; its start is a gap from the stream's resume point, filled
 * from REST), the others wait. A lost lease closes the vendor sockets at once (the vendor allows one
 * connection per key and cluster), then stops the engine (what is queued is still published: the ids are
 * deterministic, so an overlap with the new leader stores nothing twice); the instance stands by again.
 * docs/gap-free-live.md section 6.
 */
import type { Logger } from '@md/polygon-normalizer/session';
import type { LiveEngineResult } from './engine.js';

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
  readonly done: Promise<LiveEngineResult>;
}

export interface LiveHaOptions {
  /** a new engine for each term as leader */
  makeEngine: () => HaEngine;
  log?: Logger;
}

export class LiveHa {
  readonly handlers: LeaseHandlers;
  readonly stats = { acquired: 0, lost: 0, terms: 0 };
  /** the engine of the current term (null while standing by) */
  engine: HaEngine | null = null;
  /** resolves when the controller stopped: by stop(), or an engine that ended by itself with a non-zero code */
  readonly done: Promise<LiveEngineResult>;
  private lease: LeaseLike | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private resolveDone!: (r: LiveEngineResult) => void;
  private readonly log: Logger;

  constructor(private readonly o: LiveHaOptions) {
    this.log = o.log ?? (() => {});
    this.done = new Promise((r) => (this.resolveDone = r));
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
        await this.lease?.stop(true);
        this.resolveDone({ code: 0, reason });
      })();
    }
    return this.stopping;
  }

  private acquired(): void {
    if (this.stopping) return;
    this.stats.acquired++;
    this.chain = this.chain.then(() => {
      if (this.stopping || this.engine || (this.lease && !this.lease.held)) return;
      this.log('info', 'ha: lease acquired: leading (vendor sockets open, start backfilled from the stream)');
      const e = this.o.makeEngine();
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
    this.log('warn', `ha: lease lost (${why}): vendor sockets closed; standing by`);
    this.chain = this.chain.then(() => e.stop(`lease lost: ${why}`));
  }
}
