/**
 * A leadership lease on a NATS KV bucket (JetStream KV, nats-server 2.9): one key per role, its value the
 * holder's id. Taking it is a create (a put that expects the key absent, expired or deleted); keeping it is an
 * update that expects the holder's last revision, every refreshMs. The bucket's max age is the ttl, so a key
 * nobody refreshes disappears ttl after its last write and a standby's next create takes it.
 *
 * Exactly one holder: every write is a compare-and-set on the key's last revision, and a holder that cannot
 * refresh gives the lease up locally `ttl - refreshMs/2` after sending its last successful write, before the
 * server can let a standby take it (the entry expires ttl after it was stored, which is after it was sent).
 *
 * Measured on nats-server 2.9.10 (file and memory storage): an entry disappears 2-11 ms after its max age.
 * A standby that sees the key held reads the entry's stored time and makes an extra attempt just after
 * it would expire, so a dead holder is replaced within about ttl (not ttl + pollMs) when the clocks of the
 * server and the standby agree; the regular attempts every pollMs are the fallback when they do not.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiError, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { randomUUID } from 'node:crypto';
import { NatsBusError } from './errors.js';

export const DEFAULT_LEASE_BUCKET = 'md_live_lease';
export const DEFAULT_LEASE_TTL_MS = 5000;

/** A lease could not be set up (bad options, a bucket whose max age is not the ttl, JetStream unavailable). */
export class LeaseError extends NatsBusError {
  override readonly name = 'LeaseError';
  constructor(
    message: string,
    readonly bucket: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type LeaseLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LeaseOptions {
  /** KV bucket, default 'md_live_lease' */
  bucket?: string;
  /** the role, e.g. 'live-ingestor.massive.realtime' (a KV key: tokens of [-/_=.a-zA-Z0-9] separated by dots) */
  key: string;
  /** this instance's id (unique per running instance) */
  holder: string;
  /** lease time to live, default 5000 ms: the bucket's max age */
  ttlMs?: number;
  /** refresh period of the holder, default ttl/3 (at most ttl/2) */
  refreshMs?: number;
  /** period of a standby's attempts, default min(1000, ttl/5) */
  pollMs?: number;
  /** replicas of the bucket when this creates it (default 1) */
  replicas?: number;
  log?: (level: LeaseLogLevel, msg: string) => void;
  /** this instance now holds the lease */
  onAcquired?: () => void;
  /** this instance no longer holds it (taken by another, could not refresh in time, connection closed); not called by stop() */
  onLost?: (why: string) => void;
}

export interface LeaseStats {
  acquired: number;
  lost: number;
  refreshes: number;
  refreshFailures: number;
}

type Phase = 'idle' | 'standby' | 'held' | 'stopped';

/**
 * The key's value: `{"holder":...,"token":...}`, the token random per Lease object, so an entry is recognised
 * as this object's own (a write whose answer was lost) and never as another instance's with the same holder id.
 */
interface LeaseValue {
  holder: string;
  token: string | null;
}

function parseValue(e: KvEntry): LeaseValue {
  const raw = e.string();
  try {
    const v = JSON.parse(raw) as { holder?: unknown; token?: unknown };
    if (typeof v?.holder === 'string') return { holder: v.holder, token: typeof v.token === 'string' ? v.token : null };
  } catch {
    /* written by something else: the raw value names the holder */
  }
  return { holder: raw, token: null };
}

const isWrongLastSeq = (e: unknown) =>
  e instanceof JetStreamApiError && (e.code === 10071 || e.code === 10164 || /wrong last sequence/i.test(e.message));
const errMsg = (e: unknown) => (e as Error)?.message ?? String(e);
/** wait after the computed expiry of the holder's entry before the extra attempt (expiry granularity + margin) */
const EXPIRY_MARGIN_MS = 20;
const EXTRA_ATTEMPTS_PER_REVISION = 3;

export class Lease {
  readonly holder: string;
  readonly key: string;
  readonly bucket: string;
  readonly ttlMs: number;
  readonly refreshMs: number;
  readonly pollMs: number;
  readonly stats: LeaseStats = { acquired: 0, lost: 0, refreshes: 0, refreshFailures: 0 };

  private phase: Phase = 'idle';
  private revision = 0;
  private deadline: ReturnType<typeof setTimeout> | undefined;
  /** when the lease is lost locally without a successful write (performance.now() ms) */
  private deadlineAt = 0;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  /** an earliest time for the next standby attempt (performance.now() ms), set after a local loss */
  private notBefore = 0;
  private extraFor = { revision: 0, tries: 0 };
  private readonly opTimeoutMs: number;
  private readonly token = randomUUID();
  private readonly value: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly opts: LeaseOptions,
    ttlMs: number,
    refreshMs: number,
    pollMs: number,
  ) {
    this.holder = opts.holder;
    this.value = JSON.stringify({ holder: this.holder, token: this.token });
    this.key = opts.key;
    this.bucket = opts.bucket ?? DEFAULT_LEASE_BUCKET;
    this.ttlMs = ttlMs;
    this.refreshMs = refreshMs;
    this.pollMs = pollMs;
    this.opTimeoutMs = Lease.opTimeout(refreshMs);
    void nc.closed().then(() => {
      if (this.phase === 'held') this.lose('connection closed');
      if (this.phase !== 'stopped') {
        this.phase = 'stopped';
        this.wake?.();
      }
    });
  }

  private static opTimeout(refreshMs: number): number {
    return Math.max(100, Math.min(refreshMs, 2000));
  }

  /**
   * Create (or bind) the bucket (history 1, max age = ttl) and return an idle lease; call run() to contend.
   * An existing bucket whose max age is not the ttl is refused (LeaseError): a shorter one would let two
   * holders overlap, none would keep a dead holder's lease forever.
   */
  static async open(nc: NatsConnection, opts: LeaseOptions): Promise<Lease> {
    const bucket = opts.bucket ?? DEFAULT_LEASE_BUCKET;
    const fail = (msg: string, cause?: unknown): never => {
      throw new LeaseError(`lease ${bucket}/${opts.key}: ${msg}`, bucket, opts.key, cause === undefined ? undefined : { cause });
    };
    const ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!Number.isInteger(ttlMs) || ttlMs < 100) fail(`ttlMs must be an integer >= 100, got ${ttlMs}`);
    const refreshMs = opts.refreshMs ?? Math.floor(ttlMs / 3);
    if (!Number.isFinite(refreshMs) || refreshMs <= 0 || refreshMs > ttlMs / 2) {
      fail(`refreshMs must be > 0 and <= ttl/2 (${ttlMs / 2}), got ${refreshMs}`);
    }
    const pollMs = opts.pollMs ?? Math.min(1000, Math.floor(ttlMs / 5));
    if (!Number.isFinite(pollMs) || pollMs <= 0) fail(`pollMs must be > 0, got ${pollMs}`);
    if (!opts.holder) fail('holder must be a non-empty id');
    const replicas = opts.replicas ?? 1;
    let kv: KV;
    let maxAgeNs: number;
    try {
      // set up with the connection's default timeouts (creating a stream on a busy server can take seconds)
      const setup = await new Kvm(nc).create(bucket, { history: 1, ttl: ttlMs, replicas, storage: StorageType.File });
      // validates the key (throws on an invalid one) without writing
      await setup.get(opts.key);
      const info = await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`);
      maxAgeNs = info.config.max_age;
      // the lease's own operations time out after min(refreshMs, 2 s): a late answer is as good as none
      const js = jetstream(nc, { timeout: Lease.opTimeout(refreshMs), checkAPI: false });
      kv = await new Kvm(js).open(bucket, { allow_direct: info.config.allow_direct === true });
    } catch (err) {
      return fail(`creating or binding the bucket: ${errMsg(err)}`, err);
    }
    if (maxAgeNs !== ttlMs * 1_000_000) {
      fail(`the bucket exists with max age ${maxAgeNs / 1e6} ms, not the lease ttl ${ttlMs} ms (use another bucket or that ttl)`);
    }
    return new Lease(nc, kv, opts, ttlMs, refreshMs, pollMs);
  }

  /**
   * Whether this instance holds the lease now: check it before acting as the leader. It turns false at once on
   * a loss, also when the event loop was blocked past the local deadline (the loss is then reported here).
   */
  get held(): boolean {
    if (this.phase === 'held' && performance.now() >= this.deadlineAt) this.lose(this.deadlineReason());
    return this.phase === 'held';
  }

  private deadlineReason(): string {
    return `no successful refresh for ${Math.round(this.ttlMs - this.refreshMs / 2)} ms`;
  }

  /** Contend for the lease (standby attempts every pollMs), then keep it (refresh every refreshMs) until stop(). Idempotent. */
  run(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'standby';
    this.loopDone = this.loop().catch((err: unknown) => this.log('error', `loop failed: ${errMsg(err)}`));
  }

  /** The current holder per the bucket (null when the key is absent, expired or deleted). */
  async current(): Promise<{ holder: string; revision: number } | null> {
    const e = await this.kv.get(this.key);
    if (!e || e.operation !== 'PUT') return null;
    return { holder: parseValue(e).holder, revision: e.revision };
  }

  /** Stop contending; if held and `release` (default true), delete the key (only our revision) so a standby takes over at once. */
  async stop(release = true): Promise<void> {
    this.phase = 'stopped';
    this.clearDeadline();
    this.wake?.();
    await this.loopDone;
    // our last write when it may still be the key's (also one stored while stopping); the delete compares it
    const heldRev = this.revision;
    if (release && heldRev > 0 && !this.nc.isClosed()) {
      try {
        await this.kv.delete(this.key, { previousSeq: heldRev });
        this.log('info', `released (revision ${heldRev})`);
      } catch (err) {
        this.log('warn', `release failed (the key expires ttl after the last refresh): ${errMsg(err)}`);
      }
    }
    this.revision = 0;
  }

  private log(level: LeaseLogLevel, msg: string): void {
    this.opts.log?.(level, `lease ${this.bucket}/${this.key} (${this.holder}): ${msg}`);
  }

  private async loop(): Promise<void> {
    let next = performance.now();
    while (this.phase !== 'stopped') {
      await this.sleepUntil(Math.max(next, this.phase === 'standby' ? this.notBefore : 0));
      // (read through a call: TypeScript keeps its narrowing of the field across the await)
      if (this.phaseNow() === 'stopped') break;
      next = this.phase === 'held' ? await this.refreshOnce() : await this.attemptOnce();
    }
  }

  private phaseNow(): Phase {
    return this.phase;
  }

  private sleepUntil(at: number): Promise<void> {
    const ms = at - performance.now();
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }

  /** a standby's attempt; returns when to act next */
  private async attemptOnce(): Promise<number> {
    const sentAt = performance.now();
    let entry: KvEntry | null;
    try {
      const rev = await this.kv.put(this.key, this.value, { previousSeq: 0, timeout: this.opTimeoutMs });
      return this.acquired(rev, sentAt);
    } catch (err) {
      if (!isWrongLastSeq(err)) {
        this.log('debug', `attempt failed: ${errMsg(err)}`);
        return performance.now() + this.pollMs;
      }
    }
    try {
      entry = await this.kv.get(this.key);
      // deleted (released) or purged: take it over the marker's revision; our own entry (a create or refresh
      // whose answer was lost, e.g. sent to a stalled server): take it back, the update compares its revision
      if (entry && (entry.operation !== 'PUT' || parseValue(entry).token === this.token)) {
        if (entry.operation === 'PUT') this.log('info', `taking back our own entry (revision ${entry.revision})`);
        const at = performance.now();
        const rev = await this.kv.put(this.key, this.value, { previousSeq: entry.revision, timeout: this.opTimeoutMs });
        return this.acquired(rev, at);
      }
    } catch (err) {
      this.log('debug', `attempt failed: ${errMsg(err)}`);
      return performance.now() + this.pollMs;
    }
    const regular = performance.now() + this.pollMs;
    if (!entry) return performance.now() + 10; // expired between the put and the get
    // held by someone else: try again just after it would expire
    if (this.extraFor.revision !== entry.revision) this.extraFor = { revision: entry.revision, tries: 0 };
    const remaining = entry.created.getTime() + this.ttlMs - Date.now();
    if (remaining < this.pollMs && this.extraFor.tries < EXTRA_ATTEMPTS_PER_REVISION) {
      const wait = this.extraFor.tries === 0 ? Math.max(0, remaining) + EXPIRY_MARGIN_MS : 50;
      this.extraFor.tries++;
      return Math.min(regular, performance.now() + wait);
    }
    return regular;
  }

  private acquired(rev: number, sentAt: number): number {
    this.revision = rev;
    if (this.phase === 'stopped') return sentAt; // stop() releases it
    this.phase = 'held';
    this.armDeadline(sentAt);
    this.stats.acquired++;
    this.log('info', `acquired (revision ${rev})`);
    this.callback(() => this.opts.onAcquired?.());
    return sentAt + this.refreshMs;
  }

  /** the holder's refresh; returns when to act next */
  private async refreshOnce(): Promise<number> {
    const sentAt = performance.now();
    const rev = this.revision;
    try {
      const nrev = await this.kv.update(this.key, this.value, rev, this.opTimeoutMs);
      this.revision = nrev;
      if (this.phase === 'stopped') return sentAt;
      if (this.phase !== 'held') {
        // lost locally while this write was in flight, but it was stored: nobody wrote in between (it
        // compared the revision); keep the lease if the new deadline is still ahead
        if (sentAt + this.ttlMs - this.refreshMs / 2 <= performance.now()) return performance.now() + this.pollMs;
        this.phase = 'held';
        this.stats.acquired++;
        this.log('info', `acquired again by a late refresh (revision ${nrev})`);
        this.callback(() => this.opts.onAcquired?.());
      }
      this.armDeadline(sentAt);
      this.stats.refreshes++;
      return sentAt + this.refreshMs;
    } catch (err) {
      if (this.phase !== 'held') return performance.now();
      if (!isWrongLastSeq(err)) {
        this.stats.refreshFailures++;
        this.log('warn', `refresh failed: ${errMsg(err)}`);
        return performance.now() + Math.max(20, this.refreshMs / 4);
      }
    }
    // the revision moved: another holder, a deletion, the expiry, or our own write whose answer was lost
    let why: string;
    try {
      const e = await this.kv.get(this.key);
      if (this.phase !== 'held') return performance.now();
      if (e && e.operation === 'PUT' && parseValue(e).token === this.token) {
        // a write of ours that timed out was stored: continue from it (its stored time is after our last deadline base)
        this.log('info', `adopting revision ${e.revision} (a timed-out refresh was stored)`);
        this.revision = e.revision;
        return performance.now();
      }
      why = !e
        ? 'expired on the server'
        : e.operation === 'PUT'
          ? `taken by ${parseValue(e).holder}`
          : `key ${e.operation === 'DEL' ? 'deleted' : 'purged'}`;
    } catch (err) {
      if (this.phase !== 'held') return performance.now();
      why = `revision ${rev} is no longer the key's last (${errMsg(err)})`;
    }
    this.lose(why);
    return performance.now();
  }

  private armDeadline(sentAt: number): void {
    this.clearDeadline();
    this.deadlineAt = sentAt + this.ttlMs - this.refreshMs / 2;
    this.deadline = setTimeout(() => this.lose(this.deadlineReason()), Math.max(0, this.deadlineAt - performance.now()));
  }

  private clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private lose(why: string): void {
    if (this.phase !== 'held') return;
    this.clearDeadline();
    this.phase = 'standby';
    this.revision = 0;
    this.stats.lost++;
    // standbys first: this instance contends again once its own entry can have expired
    this.notBefore = performance.now() + this.ttlMs;
    this.log('warn', `lost: ${why}`);
    this.callback(() => this.opts.onLost?.(why));
  }

  private callback(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.log('error', `callback threw: ${errMsg(err)}`);
    }
  }
}
