/**
 * JetStreamPublisher: encodes events with the @md/event-types codec and publishes them into JetStream with
 * their deterministic Nats-Msg-Id (and md-schema) headers, keeping at most `window` events unconfirmed.
 *
 * Both modes publish with nats.js core `publish` and read the stream's PubAcks on ONE wildcard inbox
 * subscription owned by the publisher (no request object, promise or timer per message: a sweeper timer
 * checks the oldest unconfirmed event against the ack timeout).
 *
 * - mode 'ack': every event carries a reply subject and is confirmed by its own PubAck (duplicates exact).
 * - mode 'batch': events go out as plain core publishes; every `batchSize` events (or `batchMs`) one event
 *   carries a reply subject (a "marker"). A connection delivers in order and the server stores a
 *   connection's messages for one stream in order, so the marker's PubAck confirms every event sent before
 *   it on the same connection (same "generation", see below). After an idle `batchMs` the newest
 *   unconfirmed event is re-sent with a reply subject (the duplicate window drops the copy) so the tail is
 *   confirmed too.
 *
 * Failures (disconnect, ack timeout, 503 no responders / JetStream temporarily unavailable) start a
 * recovery: new publishes wait, the generation is bumped (older markers then confirm only themselves),
 * the oldest unconfirmed event is re-sent as a probe (same message id) until it is acknowledged (bounded
 * retries with exponential backoff; time spent disconnected does not count), then every other unconfirmed
 * event is re-sent in order, each with its own reply subject. JetStream's duplicate window drops whatever
 * had already been stored, so every event is stored exactly once (within the window).
 *
 * Order ('ack' mode by default, option `chain`): every event also expects the stream's last message to be
 * the event accepted before it (Nats-Expected-Last-Msg-Id, publisher-chain.ts). An event lost in flight
 * (a stream leader change on a cluster) then cannot be overtaken: its successors are refused (10070) and
 * re-sent behind it by the same recovery, so the stream keeps the publish order.
 *
 * The code: publisher-types.ts (options, stats, the sink interface), publisher-base.ts (state, flush/close,
 * connection status), publisher-recovery.ts (probe and re-send), publisher-acks.ts, publisher-headers.ts,
 * publisher-chain.ts (the order chain), publisher-rows.ts (EncodedBatch rows); here: the hot path.
 */
import type { Msg } from '@nats-io/transport-node';
import { lookup, type EncodedBatch, type Publishable, type RegistryEntry } from '@md/event-types';
import { parseAck } from './publisher-acks.js';
import { badHeaderValue, EventHeaders } from './publisher-headers.js';
import { PublisherRecovery } from './publisher-recovery.js';
import { RowReader } from './publisher-rows.js';
import type { Entry, EventSink } from './publisher-types.js';

export {
  DEFAULT_ACK_WINDOW,
  DEFAULT_BATCH_WINDOW,
  type ConfirmListener,
  type EventSink,
  type PublisherOptions,
  type SinkStats,
} from './publisher-types.js';

const RESOLVED: Promise<void> = Promise.resolve();
/** events handed to nats.js per burst */
const OUTBOX_MAX = 256;

export class JetStreamPublisher extends PublisherRecovery implements EventSink {
  private readonly registryCache = new Map<string, RegistryEntry>();
  private outboxScheduled = false;
  private nextSeq = 1;
  private sinceMarker = 0;
  private lastMarkerAt = 0;
  private lastSendAt = 0;
  private readonly rowReader = new RowReader();

  /** Encode `p.event` with the codec of `p.subject` and publish it with its message id and schema headers. */
  publish(p: Publishable): Promise<void> {
    let reg = this.registryCache.get(p.subject);
    let body: Uint8Array;
    try {
      if (!reg) {
        reg = lookup(p.subject);
        this.registryCache.set(p.subject, reg);
      }
      body = reg.encode(p.event as never);
    } catch (e) {
      return Promise.reject(e); // unknown subject, or an event its schema refuses (EncodeError names the field)
    }
    return this.publishEncoded(p.subject, body, p.msgId, reg.schemaId, p.event.source);
  }

  /** Publish an already-encoded body (`source`: the event's, for onConfirmEvent). Resolves once accepted into the window. */
  publishEncoded(subject: string, body: Uint8Array, msgId: string, schemaId: string, source = ''): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closing) return Promise.reject(new Error('JetStreamPublisher is closed'));
    if (!msgId) return Promise.reject(new TypeError(`publish to ${subject}: a message id is required`));
    if (badHeaderValue(msgId) || badHeaderValue(schemaId)) {
      return Promise.reject(new TypeError(`publish to ${subject}: message id / schema id must not contain CR or LF`));
    }
    if (this.queue.length === 0 && this.canAdmit()) {
      this.admit(subject, body, msgId, schemaId, source);
      return RESOLVED;
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ subject, body, msgId, schemaId, source, resolve, reject });
    });
  }

  /** EventSink.tryPublishRow: row `row` of `b` admitted now (body: a view of `b.bytes`) when there is room, else false */
  tryPublishRow(b: EncodedBatch, row: number): boolean {
    if (this.queue.length !== 0 || this.closing || !this.canAdmit()) return false;
    const schemaId = this.rowReader.schemaIdOf(b, row);
    const msgId = this.rowReader.msgIdOf(b, row);
    if (schemaId === '' || msgId === '' || badHeaderValue(msgId)) return false; // publishRow says why
    this.admit(this.rowReader.subjectOf(b, row), b.bytes.subarray(b.bodyStart[row], b.bodyEnd[row]), msgId, schemaId, b.source);
    return true;
  }

  /** EventSink.publishRow: as publishEncoded for row `row` of `b` */
  publishRow(b: EncodedBatch, row: number): Promise<void> {
    const subject = this.rowReader.subjectOf(b, row);
    const schemaId = this.rowReader.schemaIdOf(b, row);
    if (schemaId === '') {
      try {
        lookup(subject);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const body = b.bytes.subarray(b.bodyStart[row], b.bodyEnd[row]);
    return this.publishEncoded(subject, body, this.rowReader.msgIdOf(b, row), schemaId, b.source);
  }

  // ---- internals ----

  private canAdmit(): boolean {
    return !this.recovering && this.connected && this.pending.size < this.window && !this.fatal;
  }

  private admit(subject: string, body: Uint8Array, msgId: string, schemaId: string, source: string): void {
    const now = performance.now();
    const hdrs = new EventHeaders(msgId, schemaId, this.chain.enabled ? this.chain.next(msgId, now) : null);
    const e: Entry = {
      seq: this.nextSeq++,
      subject,
      body,
      hdrs,
      msgId,
      schemaId,
      source,
      gen: 0,
      attempt: 0,
      syncAttempt: -1,
      sentAt: 0,
      tries: 0,
    };
    this.pending.set(e.seq, e);
    this.counters.published++;
    if (this.mode === 'ack') {
      this.send(e, true, now);
    } else {
      const marker = ++this.sinceMarker >= this.batchSize || now - this.lastMarkerAt >= this.batchMs;
      this.send(e, marker, now);
    }
  }

  /**
   * Send (or re-send) an entry; with a reply subject when `withReply`. Sends are collected in an outbox and
   * handed to nats.js in bursts (OUTBOX_MAX, or at the next macrotask): nats.js flushes its socket buffer in
   * a microtask, so a caller awaiting every publish() would otherwise cost one socket write per event.
   */
  protected override send(e: Entry, withReply: boolean, now = performance.now()): void {
    e.attempt++;
    e.gen = this.gen;
    e.sentAt = now;
    this.lastSendAt = now;
    if (withReply) {
      this.outbox.push(e, `${this.inbox}.${e.seq}.${e.attempt}`);
      if (this.mode === 'batch') {
        this.sinceMarker = 0;
        this.lastMarkerAt = now;
      }
      this.unmarkedTail = null;
    } else {
      this.outbox.push(e, null);
      this.unmarkedTail = e;
    }
    if (this.outbox.length >= 2 * OUTBOX_MAX) this.flushOutbox();
    else if (!this.outboxScheduled) {
      this.outboxScheduled = true;
      setImmediate(this.flushOutboxCb);
    }
  }

  private readonly flushOutboxCb = () => {
    this.outboxScheduled = false;
    this.flushOutbox();
  };

  /** hand every collected send to nats.js now (in order) */
  protected override flushOutbox(): void {
    const box = this.outbox;
    if (box.length === 0) return;
    this.outbox = [];
    let failed = false;
    for (let i = 0; i < box.length; i += 2) {
      const e = box[i] as Entry;
      const reply = box[i + 1] as string | null;
      if (!this.pending.has(e.seq)) continue;
      try {
        if (reply) this.nc.publish(e.subject, e.body, { headers: e.hdrs, reply });
        else this.nc.publish(e.subject, e.body, { headers: e.hdrs });
      } catch (err) {
        // closed connection, or a payload above the server's max_payload: not retryable
        this.fail(e, (err as Error).message);
        this.log?.(`publisher: ${e.subject} msg id ${e.msgId} not sent: ${(err as Error).message}`);
        failed = true;
        if (this.nc.isClosed()) {
          this.onConnectionClosed(err as Error);
          return;
        }
      }
    }
    if (failed) this.progress();
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

  protected override onReply(msg: Msg, prefixLen: number): void {
    const rest = msg.subject.slice(prefixLen);
    const dot = rest.indexOf('.');
    const seq = Number(rest.slice(0, dot));
    const attempt = Number(rest.slice(dot + 1));
    const e = this.pending.get(seq);
    const outcome = parseAck(msg, this.chain.enabled);
    if (this.probe && this.probe.seq === seq && this.probe.attempt === attempt) {
      const p = this.probe;
      this.probe = null;
      p.done(outcome);
      return;
    }
    if (!e) return; // already confirmed (a late reply to an earlier attempt)
    switch (outcome.kind) {
      case 'ok': {
        const cumulative = this.mode === 'batch' && attempt === e.attempt && e.gen === this.gen;
        let n = 0;
        if (cumulative) {
          // everything sent before this marker on the same connection generation has been processed
          for (const p of this.pending.values()) {
            if (p.seq >= seq) break;
            if (p.gen === e.gen && this.confirm(p, false)) n++;
          }
        }
        const sentAt = e.sentAt;
        const duplicate = outcome.duplicate && attempt !== e.syncAttempt;
        if (this.confirm(e, duplicate)) n++;
        if (this.onConfirm !== undefined && n > 0) this.notifyConfirm(n, sentAt, duplicate);
        if (this.unmarkedTail && !this.pending.has(this.unmarkedTail.seq)) this.unmarkedTail = null;
        this.progress();
        break;
      }
      case 'permanent':
        this.fail(e, outcome.why);
        this.log?.(`publisher: ${e.subject} msg id ${e.msgId} refused: ${outcome.why}`);
        if (this.mode === 'batch') this.startRecovery(`marker refused: ${outcome.why}`);
        this.progress();
        break;
      case 'transient':
      case 'chain': // a predecessor is not stored (lost in a leader change), or another writer: re-send in order
        if (attempt === e.attempt) this.startRecovery(`${e.subject} msg id ${e.msgId}: ${outcome.why}`);
        break;
      default:
        break;
    }
  }

  /** admit queued publishers while there is room, wake flush() when everything is confirmed */
  protected override progress(): void {
    while (this.queue.length > 0 && this.canAdmit()) {
      const w = this.queue.shift()!;
      this.admit(w.subject, w.body, w.msgId, w.schemaId, w.source);
      w.resolve();
    }
    if ((this.pending.size === 0 && this.queue.length === 0) || this.fatal) {
      const ws = this.flushWaiters;
      this.flushWaiters = [];
      for (const w of ws) w();
    }
  }
}
