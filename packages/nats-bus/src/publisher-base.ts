/**
 * PublisherBase: the state of a JetStreamPublisher (options, window, counters, the reply inbox, the sweeper
 * timer, the connection's status), failing events (one, or all when giving up), and the lifecycle: flush(),
 * close(), the connection's disconnects, reconnects and close. The recovery (publisher-recovery.ts) and the
 * hot path (publisher.ts: admit, send, onReply, confirm) build on it.
 */
import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { PublishError } from './errors.js';
import { OrderChain, type OrderChainStats } from './publisher-chain.js';
import type { ProbeOutcome } from './publisher-acks.js';
import {
  DEFAULT_ACK_WINDOW,
  DEFAULT_BATCH_WINDOW,
  type ConfirmListener,
  type Entry,
  type PublisherOptions,
  type SinkStats,
  type Waiter,
} from './publisher-types.js';

export abstract class PublisherBase {
  readonly mode: 'ack' | 'batch';
  readonly window: number;
  protected readonly ackTimeoutMs: number;
  protected readonly maxRetries: number;
  protected readonly batchSize: number;
  protected readonly batchMs: number;
  protected readonly backoffInitial: number;
  protected readonly backoffMax: number;
  protected readonly log?: (msg: string) => void;
  protected readonly onConfirm?: ConfirmListener;
  protected readonly onConfirmEvent?: (subject: string, source: string) => void;
  protected readonly chain: OrderChain;

  protected readonly inbox: string;
  private readonly sub: Subscription;
  private readonly timer: NodeJS.Timeout;
  protected readonly pending = new Map<number, Entry>();
  protected readonly queue: Waiter[] = [];
  protected flushWaiters: (() => void)[] = [];
  protected connWaiters: (() => void)[] = [];
  /** pairs: entry, reply subject (or null) */
  protected outbox: (Entry | string | null)[] = [];

  protected gen = 0;
  protected connected = true;
  protected recovering = false;
  protected closing = false;
  protected fatal: Error | null = null;
  /** the newest event sent without a reply subject and not followed by a marker yet */
  protected unmarkedTail: Entry | null = null;
  /** when the latest send was made (batch mode: the tail is confirmed after an idle batchMs) */
  protected lastSendAt = 0;
  protected probe: { seq: number; attempt: number; done: (o: ProbeOutcome) => void } | null = null;
  private failedSinceFlush = 0;
  private firstFailure: { subject: string; msgId: string; why: string } | null = null;

  protected readonly counters = { published: 0, acked: 0, duplicates: 0, retried: 0, failed: 0 };
  private statusIter: { stop?: () => void } | null = null;

  constructor(
    protected readonly nc: NatsConnection,
    opts: PublisherOptions = {},
  ) {
    this.mode = opts.mode ?? 'ack';
    if (this.mode !== 'ack' && this.mode !== 'batch')
      throw new RangeError(`publisher mode must be 'ack' or 'batch', got ${String(this.mode)}`);
    this.window = opts.window ?? (this.mode === 'ack' ? DEFAULT_ACK_WINDOW : DEFAULT_BATCH_WINDOW);
    if (!Number.isInteger(this.window) || this.window < 1)
      throw new RangeError(`publisher window must be a positive integer, got ${this.window}`);
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 5000;
    this.maxRetries = opts.maxRetries ?? 30;
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 512, this.window));
    this.batchMs = opts.batchMs ?? 20;
    this.backoffInitial = opts.retryBackoff?.initialMs ?? 100;
    this.backoffMax = opts.retryBackoff?.maxMs ?? 2000;
    this.log = opts.log;
    this.onConfirm = opts.onConfirm;
    this.onConfirmEvent = opts.onConfirmEvent;
    const chain = opts.chain ?? (this.mode === 'ack' ? 'auto' : false);
    this.chain = new OrderChain({ enabled: chain === 'auto' ? Boolean(nc.info?.cluster) : chain, pauseMs: opts.chainPauseMs });

    this.inbox = createInbox();
    const prefixLen = this.inbox.length + 1;
    this.sub = nc.subscribe(`${this.inbox}.>`, {
      callback: (err, msg) => {
        if (!err) this.onReply(msg, prefixLen);
      },
    });
    const tick = Math.max(5, Math.min(this.batchMs, 100, Math.floor(this.ackTimeoutMs / 4)));
    this.timer = setInterval(() => this.onTick(), tick);
    this.timer.unref();
    this.watchStatus();
    nc.closed().then(
      (err) => this.onConnectionClosed(err ?? undefined),
      (err: Error) => this.onConnectionClosed(err),
    );
  }

  get stats(): SinkStats {
    return { ...this.counters, pending: this.pending.size };
  }

  /** the order chain: enabled, armed now, re-anchors and pauses so far (another writer on the stream) */
  get chainStats(): OrderChainStats & { enabled: boolean } {
    return { enabled: this.chain.enabled, ...this.chain.stats };
  }

  /**
   * Wait until every accepted event is confirmed; throws PublishError if some failed since the last flush.
   * With `timeoutMs`, whatever is still unconfirmed (or waiting to be accepted) then is counted failed
   * (e.g. on shutdown while the server is unreachable).
   */
  async flush(timeoutMs?: number): Promise<void> {
    if (this.mode === 'batch') this.confirmTail();
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    let notAccepted = 0;
    while ((this.pending.size > 0 || this.queue.length > 0) && !this.fatal) {
      const left = deadline - performance.now();
      if (left <= 0) {
        notAccepted = this.queue.length;
        this.giveUp(`not confirmed within the flush timeout of ${timeoutMs} ms`);
        break;
      }
      await new Promise<void>((r) => {
        const t = left === Infinity ? null : setTimeout(r, left);
        this.flushWaiters.push(() => {
          if (t) clearTimeout(t);
          r();
        });
      });
    }
    if (this.failedSinceFlush > 0) {
      const n = this.failedSinceFlush;
      const f = this.firstFailure!;
      this.failedSinceFlush = 0;
      this.firstFailure = null;
      throw new PublishError(
        `${n} event(s) could not be confirmed stored${notAccepted ? ` and ${notAccepted} waiting publish() call(s) were rejected` : ''}; ` +
          `first: ${f.subject} msg id ${f.msgId}: ${f.why}`,
        n,
        { subject: f.subject, msgId: f.msgId },
      );
    }
    if (notAccepted > 0) {
      throw new PublishError(`${notAccepted} waiting publish() call(s) rejected: nothing could be accepted within ${timeoutMs} ms`, 0);
    }
  }

  /**
   * flush(timeoutMs), then release the inbox subscription and timers (the connection stays open: drain it
   * yourself). With `timeoutMs` it is bounded whatever the server does (down, reconnecting, frozen, a full
   * window): what is unconfirmed then is counted failed, waiting publish() calls are rejected, and a recovery
   * in progress (probe, backoff, wait for the reconnect) ends.
   */
  async close(timeoutMs?: number): Promise<void> {
    if (this.closing) return;
    let err: unknown = null;
    try {
      await this.flush(timeoutMs);
    } catch (e) {
      err = e;
    }
    this.closing = true;
    // publish() calls made while the flush ran and still waiting for room (e.g. a recovery holds them back): rejected
    for (const w of this.queue.splice(0)) {
      w.reject(
        new PublishError(`${w.subject} msg id ${w.msgId}: not accepted: the publisher closed`, 1, { subject: w.subject, msgId: w.msgId }),
      );
    }
    clearInterval(this.timer);
    this.statusIter?.stop?.();
    // end a recovery in progress: the probe waiting for its PubAck, the wait for a reconnect
    this.probe?.done({ kind: 'disconnected' });
    this.probe = null;
    const ws = this.connWaiters;
    this.connWaiters = [];
    for (const w of ws) w();
    if (!this.nc.isClosed()) {
      try {
        this.sub.unsubscribe();
      } catch {
        /* connection going away */
      }
    }
    if (err) throw err;
  }

  // ---- implemented by the recovery (publisher-recovery.ts) and the publisher (publisher.ts) ----

  protected abstract onReply(msg: Msg, prefixLen: number): void;
  protected abstract onTick(): void;
  /** batch mode: make sure the newest unconfirmed event is followed by a marker */
  protected abstract confirmTail(): void;
  /** admit queued publishers while there is room, wake flush() when everything is confirmed */
  protected abstract progress(): void;
  protected abstract startRecovery(reason: string): void;

  // ---- failures, the connection ----

  protected fail(e: Entry, why: string): void {
    if (!this.pending.delete(e.seq)) return;
    this.counters.failed++;
    this.failedSinceFlush++;
    if (!this.firstFailure) this.firstFailure = { subject: e.subject, msgId: e.msgId, why };
  }

  private watchStatus(): void {
    const it = this.nc.status();
    this.statusIter = it as unknown as { stop?: () => void };
    void (async () => {
      for await (const s of it) {
        if (this.closing) break;
        if (s.type === 'disconnect') {
          this.connected = false;
          this.gen++;
          this.startRecovery('disconnected');
        } else if (s.type === 'reconnect') {
          this.connected = true;
          const ws = this.connWaiters;
          this.connWaiters = [];
          for (const w of ws) w();
          this.progress();
        }
      }
    })().catch(() => undefined);
  }

  /** count everything unconfirmed and everything waiting to be accepted as failed */
  private giveUp(why: string): void {
    this.outbox = [];
    const n = this.pending.size;
    for (const e of [...this.pending.values()]) this.fail(e, why);
    // publishers still waiting for room were never accepted: their publish() rejects
    for (const w of this.queue.splice(0)) {
      w.reject(new PublishError(`${w.subject} msg id ${w.msgId}: not accepted: ${why}`, 1, { subject: w.subject, msgId: w.msgId }));
    }
    if (n) this.log?.(`publisher: ${n} event(s) failed: ${why}`);
    this.progress();
  }

  protected onConnectionClosed(err?: Error): void {
    if (this.fatal || (this.closing && this.pending.size === 0)) return;
    this.fatal = new PublishError(
      `NATS connection closed${err ? `: ${err.message}` : ''}; ${this.pending.size} event(s) unconfirmed`,
      this.pending.size,
    );
    if (this.pending.size) this.log?.(`publisher: ${this.fatal.message}`);
    for (const e of [...this.pending.values()]) this.fail(e, 'connection closed');
    for (const w of this.queue.splice(0)) w.reject(this.fatal);
    const ws = this.connWaiters;
    this.connWaiters = [];
    for (const w of ws) w();
    this.probe?.done({ kind: 'disconnected' });
    this.progress();
  }
}
