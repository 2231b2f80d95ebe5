import { Histogram, type LatenessSummary } from './histogram.js';

export interface ReplayClockOptions {
  /** Replay speed: 1 = real time, 2 = twice as fast, 0 = as fast as possible (never waits). */
  speed: number;
  /**
   * Cap on an idle gap in event time, in milliseconds of WALL time (default 5000). A longer gap is shortened to
   * this much wall time and the schedule re-anchors after it. `Infinity` disables the cap.
   */
  maxGapMs?: number;
  /**
   * The last `precisionMs` of every wait are not left to a timer (default 2; timers fire up to ~1-2 ms late,
   * more under load) but spent as `fineWait` says. 0 = timers only (less precise).
   */
  precisionMs?: number;
  /** Width of the "start" and "end" lateness windows, ms of wall time (default 5000). */
  windowMs?: number;
  /**
   * How the last `precisionMs` of a wait are spent. 'block' (default) = Atomics.wait, a precise kernel sleep
   * (futex with a timeout): no CPU, but it blocks the event loop for up to `precisionMs`; the clock still gives
   * the event loop a turn (setImmediate) at least every `precisionMs` of wall time, so I/O (acks, pings) keeps
   * flowing. 'poll' = setImmediate polling: the event loop keeps running, but it burns a core while waiting, and
   * under CPU contention the scheduler then preempts it for longer (worse lateness: see the README's figures).
   */
  fineWait?: 'poll' | 'block';
  /** Monotonic wall clock in ms (default `performance.now()`); for tests. */
  now?: () => number;
}

export interface ReplayClockStats {
  speed: number;
  paused: boolean;
  /** events released (also counted at speed 0) */
  releases: number;
  /** releases whose lateness was measured (speed > 0) */
  paced: number;
  /** idle gaps shortened to maxGapMs */
  gapsCapped: number;
  /** wall time saved by the gap cap, ms */
  gapSkippedMs: number;
  /** total wall time spent paused, ms */
  pausedMs: number;
  /** how late each release was against its schedule, ms (p50/p90/p99/max/mean) */
  lateness: LatenessSummary;
  /** the same for the first `windowMs` of wall time after the first release */
  latenessStart: LatenessSummary;
  /** the same for the most recent one to two windows (drift shows as end >> start) */
  latenessEnd: LatenessSummary;
}

function checkSpeed(speed: number, where: string): void {
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < 0) {
    throw new RangeError(`${where}: speed must be a finite number >= 0 (0 = as fast as possible), got ${String(speed)}`);
  }
}

const defaultNow = (): number => performance.now();

/**
 * Paces events by their timestamps: at speed s > 0 an event with time `ts` (ns) is due at wall time
 * `t0 + (ts - ts0) / s`, where (t0, ts0) is the anchor set by the first event. Every due time is computed from
 * the anchor, never by sleeping per event, so no drift accumulates. Re-anchors after a capped idle gap, on
 * resume (the pause is not counted) and on a speed change (the current event-time position is kept).
 *
 * Use it from one consumer, with timestamps fed in stream order (`pace`/`paceBatches` do this). Timestamps that
 * step backwards are due at once (their due time is in the past).
 */
export class ReplayClock {
  private _speed: number;
  private readonly maxGapMs: number;
  private readonly precisionMs: number;
  private readonly windowMs: number;
  private readonly block: boolean;
  readonly now: () => number;

  private anchored = false;
  private anchorWall = 0;
  private anchorTs = 0n;
  private lastTs = 0n;
  private _paused = false;
  private pausedAt = 0;
  private pausedMs = 0;
  private gapsCapped = 0;
  private gapSkippedMs = 0;
  private releases = 0;
  private wakers = new Set<() => void>();
  /** wall time of the last event-loop turn taken while waiting */
  private lastTurn = -Infinity;

  private readonly total = new Histogram();
  private readonly start = new Histogram();
  private cur = new Histogram();
  private prev = new Histogram();
  private curWindow = 0;
  private firstRelease: number | undefined;

  constructor(options: ReplayClockOptions) {
    checkSpeed(options?.speed, 'ReplayClock');
    const maxGapMs = options.maxGapMs ?? 5000;
    if (typeof maxGapMs !== 'number' || Number.isNaN(maxGapMs) || maxGapMs < 0) {
      throw new RangeError(`ReplayClock: maxGapMs must be a number >= 0 (Infinity = no cap), got ${String(maxGapMs)}`);
    }
    const precisionMs = options.precisionMs ?? 2;
    if (!Number.isFinite(precisionMs) || precisionMs < 0) throw new RangeError(`ReplayClock: precisionMs must be >= 0, got ${precisionMs}`);
    const windowMs = options.windowMs ?? 5000;
    if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`ReplayClock: windowMs must be > 0, got ${windowMs}`);
    this._speed = options.speed;
    this.maxGapMs = maxGapMs;
    this.precisionMs = precisionMs;
    this.windowMs = windowMs;
    if (options.fineWait !== undefined && options.fineWait !== 'poll' && options.fineWait !== 'block') {
      throw new RangeError(`ReplayClock: fineWait must be 'poll' or 'block', got ${String(options.fineWait)}`);
    }
    this.block = options.fineWait !== 'poll';
    this.now = options.now ?? defaultNow;
  }

  get speed(): number {
    return this._speed;
  }

  get paused(): boolean {
    return this._paused;
  }

  /** The current anchor: wall time (ms, `now()` scale) of event time `tsNs`; null before the first event / at speed 0. */
  get anchor(): { wallMs: number; tsNs: bigint } | null {
    return this.anchored ? { wallMs: this.anchorWall, tsNs: this.anchorTs } : null;
  }

  /**
   * Register the next event time and return its due wall time (ms, `now()` scale); -Infinity at speed 0.
   * Anchors on the first event; caps a long gap since the previous event (re-anchoring after it).
   */
  schedule(tsNs: bigint): number {
    if (this._speed === 0) {
      if (tsNs > this.lastTs) this.lastTs = tsNs;
      return -Infinity;
    }
    if (!this.anchored) {
      this.anchored = true;
      this.anchorWall = this._paused ? this.pausedAt : this.now();
      this.anchorTs = tsNs;
      this.lastTs = tsNs;
      return this.anchorWall;
    }
    if (tsNs > this.lastTs) {
      if (this.maxGapMs !== Infinity) {
        const gapMs = Number(tsNs - this.lastTs) / (1e6 * this._speed);
        if (gapMs > this.maxGapMs) {
          this.anchorWall = this.dueAt(this.lastTs) + this.maxGapMs;
          this.anchorTs = tsNs;
          this.gapsCapped++;
          this.gapSkippedMs += gapMs - this.maxGapMs;
        }
      }
      this.lastTs = tsNs;
    }
    return this.dueAt(tsNs);
  }

  /** Due wall time of `tsNs` under the current anchor and speed (no registration). */
  dueAt(tsNs: bigint): number {
    if (this._speed === 0 || !this.anchored) return -Infinity;
    return this.anchorWall + Number(tsNs - this.anchorTs) / (1e6 * this._speed);
  }

  /**
   * Wait until `tsNs` (already registered with `schedule`) is due, honouring pause/resume/setSpeed that happen
   * meanwhile: a timer until `precisionMs` before, then the fine wait. Resolves true when due, false when
   * `signal` aborted the wait first (also while paused).
   */
  async untilDue(tsNs: bigint, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    const onAbort = (): void => this.notify();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.waitLoop(tsNs, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async waitLoop(tsNs: bigint, signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      if (this._paused) {
        await this.changed();
        continue;
      }
      if (this._speed === 0 || !this.anchored) return true;
      const d = this.dueAt(tsNs) - this.now();
      if (d <= 0) return true;
      if (d > this.precisionMs) {
        await this.sleep(d - this.precisionMs);
        this.lastTurn = this.now();
      } else if (this.block && this.now() - this.lastTurn < this.precisionMs) {
        blockFor(d);
      } else {
        await immediate(); // an event-loop turn: I/O callbacks run
        this.lastTurn = this.now();
      }
    }
  }

  /**
   * Register `tsNs`, wait until it is due, and record the release (its lateness). Resolves true when released,
   * false when `signal` aborted the wait (nothing recorded).
   */
  async waitFor(tsNs: bigint, signal?: AbortSignal): Promise<boolean> {
    const due = this.schedule(tsNs);
    if (this._paused || due > this.now()) {
      if (!(await this.untilDue(tsNs, signal))) return false;
    }
    this.recordRelease(this.dueAt(tsNs), this.now());
    return true;
  }

  /** Record one release at `nowMs` of an event due at `dueMs` (-Infinity = unpaced: counted only). */
  recordRelease(dueMs: number, nowMs: number): void {
    this.releases++;
    if (dueMs === -Infinity) return;
    this.note(nowMs - dueMs, nowMs);
  }

  /** Record the release at `nowMs` of `n` events due at `dues[0..n)`. */
  recordReleases(dues: ArrayLike<number>, n: number, nowMs: number): void {
    for (let i = 0; i < n; i++) {
      const due = dues[i];
      if (due === undefined) throw new RangeError(`recordReleases: n = ${n} but dues has ${dues.length} entries`);
      this.recordRelease(due, nowMs);
    }
  }

  /** Count `n` releases made without pacing (speed 0). */
  recordUnpaced(n: number): void {
    this.releases += n;
  }

  private note(lateMs: number, nowMs: number): void {
    const late = lateMs > 0 ? lateMs : 0;
    if (this.firstRelease === undefined) this.firstRelease = nowMs;
    const w = Math.floor((nowMs - this.firstRelease) / this.windowMs);
    this.total.add(late);
    if (w === 0) this.start.add(late);
    if (w !== this.curWindow) {
      if (w === this.curWindow + 1) {
        const t = this.prev;
        this.prev = this.cur;
        this.cur = t;
        this.cur.reset();
      } else {
        this.prev.reset();
        this.cur.reset();
      }
      this.curWindow = w;
    }
    this.cur.add(late);
  }

  /** Stop releasing: waits in progress stay pending until `resume()`. */
  pause(): void {
    if (this._paused) return;
    this._paused = true;
    this.pausedAt = this.now();
    this.notify();
  }

  /** Continue: the schedule is shifted by the time spent paused (re-anchored). */
  resume(): void {
    if (!this._paused) return;
    const d = this.now() - this.pausedAt;
    this._paused = false;
    this.pausedMs += d;
    if (this.anchored) this.anchorWall += d;
    this.notify();
  }

  /**
   * Change the speed while running: re-anchors at the current event-time position, so what is already
   * waiting is rescheduled at the new rate. 0 = stop pacing (everything pending is released).
   */
  setSpeed(speed: number): void {
    checkSpeed(speed, 'ReplayClock.setSpeed');
    if (speed === this._speed) return;
    if (this.anchored && this._speed > 0 && speed > 0) {
      const at = this._paused ? this.pausedAt : this.now();
      const pos = this.anchorTs + BigInt(Math.round((at - this.anchorWall) * 1e6 * this._speed));
      this.anchorTs = pos;
      this.anchorWall = at;
    } else {
      this.anchored = false; // re-anchors on the next event
    }
    this._speed = speed;
    this.notify();
  }

  stats(): ReplayClockStats {
    const end = new Histogram().merge(this.prev).merge(this.cur);
    return {
      speed: this._speed,
      paused: this._paused,
      releases: this.releases,
      paced: this.total.count,
      gapsCapped: this.gapsCapped,
      gapSkippedMs: this.gapSkippedMs,
      pausedMs: this.pausedMs + (this._paused ? this.now() - this.pausedAt : 0),
      lateness: this.total.summary(),
      latenessStart: this.start.summary(),
      latenessEnd: end.summary(),
    };
  }

  // ---- waiting ----
  private notify(): void {
    const ws = [...this.wakers];
    this.wakers.clear();
    for (const w of ws) w();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.wakers.add(resolve));
  }

  /** setTimeout(ms), cut short by pause/resume/setSpeed. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}

let cell: Int32Array | undefined;
/** Sleep `ms` synchronously in the kernel (futex with a timeout): precise, no CPU, blocks the event loop. */
function blockFor(ms: number): void {
  cell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(cell, 0, 0, ms);
}

function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
