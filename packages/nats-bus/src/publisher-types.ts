/**
 * The publisher's public types (the sink interface both apps publish through, its stats, the options of
 * JetStreamPublisher) and its window defaults; and the internal records of an event in flight (Entry) and of
 * a publish() call waiting for room (Waiter), which the package does not export.
 */
import type { EncodedBatch, Publishable } from '@md/event-types';
import { msgIdOfHeader } from './publisher-headers.js';

export interface SinkStats {
  /** events accepted by publish() */
  published: number;
  /** events confirmed stored (including duplicates) */
  acked: number;
  /** confirmed events the stream reported as duplicates (batch mode: only those individually acknowledged) */
  duplicates: number;
  /** re-sends after a timeout, no responders or a reconnect */
  retried: number;
  /** events given up on after the bounded retries (or refused by the server) */
  failed: number;
  /** events accepted but not yet confirmed (never more than the window) */
  pending: number;
}

/** The common sink interface both apps publish through. */
export interface EventSink {
  /** resolves when accepted (may wait: backpressure); rejects only on a fatal error */
  publish(p: Publishable): Promise<void>;
  /** every accepted event confirmed stored (or written); rejects with PublishError if some failed since the last flush */
  flush(): Promise<void>;
  /** flush + release */
  close(): Promise<void>;
  readonly stats: SinkStats;
  /**
   * The fast replay lane (optional; both or neither): row `row` of an already-encoded batch, published like
   * publish() would publish its event (same bytes, message id and headers). true: accepted now (counted in
   * `stats.published`); false: nothing was done, call publishRow, which waits for room (or rejects: closed, a
   * fatal error, a message id the headers cannot carry). The sink may keep views of `b.bytes` until confirmed.
   */
  tryPublishRow?(b: EncodedBatch, row: number): boolean;
  publishRow?(b: EncodedBatch, row: number): Promise<void>;
}

export interface PublisherOptions {
  /** 'ack' (one PubAck per event; default) or 'batch' (core publishes confirmed in bulk) */
  mode?: 'ack' | 'batch';
  /** max events awaiting confirmation; default 1024 ('ack') / 16384 ('batch') */
  window?: number;
  /** PubAck timeout in ms; default 5000 */
  ackTimeoutMs?: number;
  /**
   * re-sends of one event (while connected) before it and everything unconfirmed is counted failed; default 30:
   * with the default backoff about a minute of "JetStream unavailable" (a stream leader election on a loaded
   * cluster took longer than the ~9 s that 8 retries gave)
   */
  maxRetries?: number;
  /** batch mode: one marker every N events; default 512 */
  batchSize?: number;
  /** batch mode: at most this many ms between markers, and the idle delay before the tail is confirmed; default 20 */
  batchMs?: number;
  /** backoff between retries: initialMs doubling up to maxMs (default 100 .. 2000), plus up to 20% jitter */
  retryBackoff?: { initialMs?: number; maxMs?: number };
  /** recovery and failure events */
  log?: (msg: string) => void;
  /**
   * called when a PubAck confirms events: `count` events confirmed by it (batch-mode markers confirm many),
   * `latencyMs` = now - the send time of the acknowledged message (performance.now based); `duplicate` as the
   * PubAck said (except batch mode's own tail-confirmation re-send, whose "duplicate" is expected: false, as in
   * `stats.duplicates`). Called only when set (nothing is allocated per event for it); an error it throws is logged.
   */
  onConfirm?: ConfirmListener;
  /**
   * called once per confirmed event with its subject and its event's `source` ('' when published with
   * publishEncoded without one): per-subject / per-source confirmed counts (metrics). Called only when set.
   */
  onConfirmEvent?: (subject: string, source: string) => void;
  /**
   * the order chain (see publisher-chain.ts): every event expects the stream's last message to be its
   * predecessor (`Nats-Expected-Last-Msg-Id`), so a leader change cannot store newer events before a lost
   * older one. 'auto' (the default in 'ack' mode): on when the server connected to is part of a cluster
   * (`nc.info.cluster`), off on a single server (where a connection's lost messages cannot be overtaken);
   * batch mode: off unless true
   */
  chain?: boolean | 'auto';
  /** how long the chain pauses when another writer keeps breaking it; default 30,000 ms */
  chainPauseMs?: number;
}

/** PublisherOptions.onConfirm */
export type ConfirmListener = (count: number, latencyMs: number, duplicate: boolean) => void;

/** `window` defaults: 'ack' mode waits for one PubAck per event; 'batch' mode keeps many markers (512 events each) in flight */
export const DEFAULT_ACK_WINDOW = 1024;
export const DEFAULT_BATCH_WINDOW = 16384;

/** an accepted event until it is confirmed or failed (internal) */
export class Entry {
  /** generation of the latest send */
  gen = 0;
  /** number of sends so far (the reply subject carries it) */
  attempt = 0;
  /** attempt number of a tail-confirmation re-send (its "duplicate" is expected, not counted) */
  syncAttempt = -1;
  sentAt = 0;
  /** re-sends counted against maxRetries */
  tries = 0;

  constructor(
    readonly seq: number,
    readonly subject: string,
    /** the body: `src[bodyAt..bodyEnd)` (a row's: the batch's bytes; no view kept per event) */
    readonly src: Uint8Array,
    readonly bodyAt: number,
    readonly bodyEnd: number,
    /** the header block as published: `hdrBuf[hdrAt..hdrEnd)` (publisher-headers.ts; replaced when a recovery re-anchors the chain) */
    public hdrBuf: Uint8Array,
    public hdrAt: number,
    public hdrEnd: number,
    /** the message id, or null: read from the header block when asked for (rows: the bytes were copied, no string made) */
    private id: string | null,
    readonly schemaId: string,
    /** the event's source (for onConfirmEvent) */
    readonly source: string,
  ) {}

  get msgId(): string {
    return (this.id ??= msgIdOfHeader(this.hdrBuf, this.hdrAt, this.hdrEnd));
  }

  /** replace the header block (a recovery re-anchoring or pausing the order chain) */
  setHeader(hdr: Uint8Array): void {
    this.hdrBuf = hdr;
    this.hdrAt = 0;
    this.hdrEnd = hdr.length;
  }
}

/** a publish() call waiting for room in the window (internal) */
export interface Waiter {
  subject: string;
  body: Uint8Array;
  msgId: string;
  schemaId: string;
  source: string;
  resolve: () => void;
  reject: (e: Error) => void;
}
