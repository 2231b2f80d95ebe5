/**
 * PublisherRecovery: what a JetStreamPublisher does after a failure (disconnect, ack timeout, 503 no
 * responders / JetStream temporarily unavailable, a refusal by the order chain). New publishes wait, the
 * generation is bumped (older markers then confirm only themselves), the oldest unconfirmed event is re-sent
 * as a probe (same message id) until it is acknowledged (bounded retries with exponential backoff; time spent
 * disconnected does not count), then every other unconfirmed event is re-sent in order, each with its own
 * reply subject. JetStream's duplicate window drops whatever had already been stored.
 * Also the sweeper (onTick: the ack timeout of the oldest unconfirmed event, batch mode's idle tail).
 */
import type { ProbeOutcome } from './publisher-acks.js';
import { PublisherBase } from './publisher-base.js';
import { headerBytes } from './publisher-headers.js';
import type { Entry } from './publisher-types.js';

/** unref'd: a retry backoff never keeps a stopping process alive (the connection holds the loop while it matters) */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export abstract class PublisherRecovery extends PublisherBase {
  /**
   * Send (or re-send) an entry; with a reply subject when `withReply` (publisher.ts: sends are collected in
   * an outbox handed to nats.js in bursts).
   */
  protected abstract send(e: Entry, withReply: boolean, now?: number): void;
  /** hand every collected send to nats.js now (in order) */
  protected abstract flushOutbox(): void;

  /** count a confirmed event (false: it was not pending any more) */
  protected confirm(e: Entry, duplicate: boolean): boolean {
    if (!this.pending.delete(e.seq)) return false;
    this.counters.acked++;
    if (duplicate) this.counters.duplicates++;
    if (this.onConfirmEvent !== undefined) this.onConfirmEvent(e.subject, e.source);
    return true;
  }

  /** call PublisherOptions.onConfirm (only when set), logging what it throws */
  protected notifyConfirm(count: number, sentAt: number, duplicate: boolean): void {
    try {
      this.onConfirm!(count, performance.now() - sentAt, duplicate);
    } catch (err) {
      this.log?.(`publisher: onConfirm threw: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  /** batch mode: make sure the newest unconfirmed event is followed by a marker */
  protected override confirmTail(): void {
    const t = this.unmarkedTail;
    if (!t || this.recovering || !this.connected) return;
    if (!this.pending.has(t.seq)) {
      this.unmarkedTail = null;
      return;
    }
    this.send(t, true);
    t.syncAttempt = t.attempt;
    this.flushOutbox();
  }

  protected override onTick(): void {
    if (this.closing || this.fatal) return;
    const now = performance.now();
    if (this.mode === 'batch' && this.unmarkedTail && now - this.lastSendAt >= this.batchMs) this.confirmTail();
    if (this.recovering || this.pending.size === 0) return;
    const oldest = this.pending.values().next().value as Entry;
    if (now - oldest.sentAt > this.ackTimeoutMs) {
      this.startRecovery(`no PubAck within ${this.ackTimeoutMs} ms for ${oldest.subject} msg id ${oldest.msgId}`);
    }
  }

  protected override startRecovery(reason: string): void {
    if (this.recovering || this.fatal || this.closing) return;
    this.recovering = true;
    this.gen++;
    this.unmarkedTail = null;
    this.outbox = []; // still pending: the recovery re-sends them in order
    this.log?.(`publisher: recovering (${reason}); ${this.pending.size} event(s) unconfirmed`);
    void this.recover().finally(() => {
      this.recovering = false;
      this.progress();
    });
  }

  private backoff(tries: number): number {
    const base = Math.min(this.backoffMax, this.backoffInitial * 2 ** Math.max(0, tries - 1));
    return base + Math.random() * base * 0.2;
  }

  private async waitConnected(): Promise<void> {
    while (!this.connected && !this.fatal && !this.closing) await new Promise<void>((r) => this.connWaiters.push(r));
  }

  private sendProbe(e: Entry): Promise<ProbeOutcome> {
    return new Promise<ProbeOutcome>((resolve) => {
      let settled = false;
      const done = (o: ProbeOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        resolve(o);
      };
      const t = setTimeout(() => {
        if (this.probe?.seq === e.seq) this.probe = null;
        done({ kind: 'transient', why: `no PubAck within ${this.ackTimeoutMs} ms` });
      }, this.ackTimeoutMs);
      t.unref();
      this.send(e, true);
      this.flushOutbox();
      if (!this.pending.has(e.seq)) {
        done({ kind: 'permanent', why: 'send failed' });
        return;
      }
      this.probe = { seq: e.seq, attempt: e.attempt, done };
      // a disconnect while waiting: resolve early (the reply cannot arrive on the new connection)
      const gen = this.gen;
      const poll = setInterval(() => {
        if (settled) clearInterval(poll);
        else if (!this.connected || this.gen !== gen || this.fatal || this.closing) {
          clearInterval(poll);
          if (this.probe?.seq === e.seq) this.probe = null;
          done({ kind: 'disconnected' });
        }
      }, 20);
      poll.unref();
    });
  }

  /**
   * The probe (the oldest unconfirmed event: everything older is confirmed or failed) was refused because the
   * stream's last message `last` is not its predecessor (another writer, or a predecessor that failed): expect
   * `last` instead (order among this publisher's events still holds), or, when that keeps happening, pause the
   * chain and re-send everything unconfirmed without expectations.
   */
  private onChainMismatch(first: Entry, last: string): void {
    if (this.chain.onMismatch(performance.now()) === 'anchor') {
      first.setHeader(headerBytes(first.msgId, first.schemaId, last || null));
      return;
    }
    for (const e of this.pending.values()) e.setHeader(headerBytes(e.msgId, e.schemaId));
    this.log?.(
      `publisher: the stream's last message (${last ? `msg id ${last}` : 'no msg id'}) keeps differing from this publisher's last event: ` +
        `another writer on the stream; publishing without the order chain for ${this.chain.pauseMsOption} ms (exactly once still holds; ` +
        `order across a stream leader change is not protected meanwhile)`,
    );
  }

  private async recover(): Promise<void> {
    while (this.pending.size > 0 && !this.fatal && !this.closing) {
      await this.waitConnected();
      if (this.fatal || this.closing || this.pending.size === 0) return;
      const gen = this.gen;
      const first = this.pending.values().next().value as Entry;
      this.counters.retried++;
      const o = await this.sendProbe(first);
      if (o.kind === 'ok') {
        if (this.confirm(first, o.duplicate) && this.onConfirm !== undefined) this.notifyConfirm(1, first.sentAt, o.duplicate);
        if (this.gen !== gen || !this.connected) continue; // disconnected meanwhile: probe again
        // the stream takes messages again: re-send everything else, in order, each with its own PubAck
        for (const e of [...this.pending.values()]) {
          this.counters.retried++;
          this.send(e, true);
        }
        this.flushOutbox();
        return;
      }
      if (o.kind === 'permanent') {
        this.fail(first, o.why);
        this.log?.(`publisher: ${first.subject} msg id ${first.msgId} refused: ${o.why}`);
        continue;
      }
      if (o.kind === 'disconnected') continue;
      if (o.kind === 'chain') {
        this.onChainMismatch(first, o.last);
        first.tries++;
        if (first.tries <= this.maxRetries) continue; // at once: the stream takes messages
      } else first.tries++;
      if (first.tries > this.maxRetries) {
        const n = this.pending.size;
        for (const e of [...this.pending.values()]) this.fail(e, `${o.why}; gave up after ${this.maxRetries} retries`);
        this.log?.(`publisher: ${n} event(s) failed: ${o.why}`);
        return;
      }
      await sleep(this.backoff(first.tries));
    }
  }
}
