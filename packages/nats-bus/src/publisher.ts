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
 * Per event nothing is kept but one Entry: its header block is written into shared chunks (publisher-headers.ts;
 * a row's message id copied byte for byte, no string), its body stays a range of the caller's bytes, and the views
 * nats.js needs are made at publish time (publisher-send.ts).
 *
 * The code: publisher-types.ts (options, stats, the sink interface, Entry), publisher-base.ts (state, flush/close,
 * connection status), publisher-recovery.ts (the sweeper, the batch tail, probe and re-send), publisher-acks.ts,
 * publisher-headers.ts (the header bytes), publisher-send.ts, publisher-chain.ts (the order chain),
 * publisher-rows.ts (EncodedBatch rows); here: the hot path.
 */
import type { Msg } from '@nats-io/transport-node';
import { lookup, type EncodedBatch, type Publishable, type RegistryEntry } from '@md/event-types';
import { digitsAt, parseAck } from './publisher-acks.js';
import { badHeaderValue, HeaderWriter } from './publisher-headers.js';
import { EntrySender } from './publisher-send.js';
import { PublisherRecovery } from './publisher-recovery.js';
import { RowReader } from './publisher-rows.js';
import { Entry, type EventSink } from './publisher-types.js';

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
  private readonly rowReader = new RowReader();
  private readonly headers = new HeaderWriter();
  private readonly sender = new EntrySender(this.nc);

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
      this.admit(subject, body, 0, body.length, -1, msgId, schemaId, source);
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
    const s = b.idStart[row] as number;
    const end = b.idEnd[row] as number;
    if (schemaId === '' || s >= end) return false; // publishRow says why
    // the id's bytes copied straight into the header block (no string); the chain needs the id as text
    const hdrAt = this.chain.enabled ? -1 : this.headers.fromBytes(b.bytes, s, end, this.headers.schemaSuffix(schemaId), null);
    let msgId: string | null = null;
    if (hdrAt < 0) {
      msgId = this.rowReader.msgIdOf(b, row);
      if (badHeaderValue(msgId)) return false;
    }
    this.admit(
      this.rowReader.subjectOf(b, row),
      b.bytes,
      b.bodyStart[row] as number,
      b.bodyEnd[row] as number,
      hdrAt,
      msgId,
      schemaId,
      b.source,
    );
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

  /**
   * accept an event (body `src[bodyAt..bodyEnd)`): its header block just written at `hdrAt` of the writer's chunk
   * (a row's, no chain), or (-1) written here for `msgId`
   */
  private admit(
    subject: string,
    src: Uint8Array,
    bodyAt: number,
    bodyEnd: number,
    hdrAt: number,
    msgId: string | null,
    schemaId: string,
    source: string,
  ): void {
    const now = performance.now();
    const h = this.headers;
    if (hdrAt < 0) {
      const id = msgId as string;
      hdrAt = h.fromString(id, h.schemaSuffix(schemaId), this.chain.enabled ? this.chain.next(id, now) : null);
    }
    const e = new Entry(this.nextSeq++, subject, src, bodyAt, bodyEnd, h.chunk, hdrAt, h.end, msgId, schemaId, source);
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
      if (!this.pending.has(e.seq)) continue;
      try {
        this.sender.publish(e, box[i + 1] as string | null);
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

  protected override onReply(msg: Msg, prefixLen: number): void {
    // <inbox>.<seq>.<attempt>; anything else reads as -1 (matches no event)
    const subj = msg.subject;
    const dot = subj.indexOf('.', prefixLen);
    const seq = dot < 0 ? -1 : digitsAt(subj, prefixLen, dot);
    const attempt = dot < 0 ? -1 : digitsAt(subj, dot + 1, subj.length);
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
      this.admit(w.subject, w.body, 0, w.body.length, -1, w.msgId, w.schemaId, w.source);
      w.resolve();
    }
    if ((this.pending.size === 0 && this.queue.length === 0) || this.fatal) {
      const ws = this.flushWaiters;
      this.flushWaiters = [];
      for (const w of ws) w();
    }
  }
}
