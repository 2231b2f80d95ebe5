/**
 * Reading back what a stream stored: where an interrupted replay stopped (the replay's --resume), and what
 * the live ingestor stored since a time (its resume after a restart).
 * - lastMessageOn: the JetStream manager's `streams.getMessage` (`$JS.API.STREAM.MSG.GET`, available on
 *   nats-server 2.9; not the direct-get API, which needs `allow_direct` on the stream);
 * - storedMessagesSince: an ordered consumer (ephemeral, no acks, flow-controlled by the client's pulls)
 *   with deliver policy by_start_time and filter_subject, both on nats-server 2.9.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { MSG_ID_HEADER } from '@md/event-types';
import { MessageLookupError } from './errors.js';
import { manager } from './stream.js';

/** A message as the stream stored it. */
export interface StoredMessage {
  subject: string;
  /** stream sequence */
  seq: number;
  /** its Nats-Msg-Id header, null when it has none */
  msgId: string | null;
  /** the body, byte for byte */
  data: Uint8Array;
  /** when the stream stored it: Unix ms (the server's nanosecond time, floored) */
  timeMs: number;
}

export interface StoredSinceOptions {
  /** at most this many messages (default 1,000,000) */
  max?: number;
  /** fail when no message arrives for this long while more are due (default 5000 ms) */
  timeoutMs?: number;
  /** messages requested per pull (default 1000) */
  batch?: number;
}

const lookupError = (stream: string, subject: string, what: string, err: unknown) =>
  err instanceof MessageLookupError
    ? err
    : new MessageLookupError(`stream ${stream}: ${what} ${subject}: ${(err as Error)?.message ?? String(err)}`, stream, subject, {
        cause: err,
      });

/**
 * The last message `stream` stored on `subject` (an exact subject, or a wildcard: the newest of its matches),
 * null when the stream has no message on it. Anything else (no such stream, JetStream unavailable, a
 * timeout) throws MessageLookupError naming the stream and subject, the client's error as its cause.
 */
export async function lastMessageOn(nc: NatsConnection, stream: string, subject: string): Promise<StoredMessage | null> {
  let m;
  try {
    const jsm = await manager(nc);
    // null when there is no message on the subject (JetStream error 10037): that is the answer, not an error
    m = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  } catch (err) {
    throw lookupError(stream, subject, 'last message on', err);
  }
  if (m === null) return null;
  // MsgHdrs.get answers '' for a missing header
  const msgId = m.header.get(MSG_ID_HEADER);
  // the API's time is RFC 3339 with nanoseconds; Date.parse keeps the milliseconds (floors)
  return { subject: m.subject, seq: m.seq, msgId: msgId === '' ? null : msgId, data: m.data, timeMs: Date.parse(m.timestamp) };
}

/**
 * The messages `stream` stored on `subject` (exact or wildcard) at or after the wall time `sinceMs` (Unix ms,
 * the server's clock), in stream order, up to the last one stored on it when the iteration started (messages
 * stored meanwhile are not read), at most `max`. Nothing when there is none. Failures (no such
 * stream, JetStream unavailable, no message for `timeoutMs` while more are due) throw MessageLookupError
 * naming the stream and subject.
 */
export async function* storedMessagesSince(
  nc: NatsConnection,
  stream: string,
  subject: string,
  sinceMs: number,
  opts: StoredSinceOptions = {},
): AsyncGenerator<StoredMessage> {
  const max = opts.max ?? 1_000_000;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const batch = opts.batch ?? 1000;
  if (!Number.isFinite(sinceMs)) throw new RangeError(`storedMessagesSince: sinceMs must be a finite Unix ms time, got ${sinceMs}`);
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`storedMessagesSince: max must be an integer >= 0, got ${max}`);
  if (!(timeoutMs > 0)) throw new RangeError(`storedMessagesSince: timeoutMs must be > 0, got ${timeoutMs}`);
  const what = `messages since ${new Date(sinceMs).toISOString()} on`;
  // the end: the last message on the subject now; none, or older than sinceMs: nothing to read
  let last: StoredMessage | null;
  try {
    last = await lastMessageOn(nc, stream, subject);
  } catch (err) {
    throw lookupError(stream, subject, what, (err as Error).cause ?? err);
  }
  if (last === null || last.timeMs < sinceMs || max === 0) return;

  let msgs: ConsumerMessages;
  try {
    const c = await jetstream(nc, { timeout: timeoutMs }).consumers.get(stream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Math.max(0, sinceMs)).toISOString(),
    });
    msgs = await c.consume({ max_messages: batch });
  } catch (err) {
    throw lookupError(stream, subject, what, err);
  }
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      void msgs.close();
    }, timeoutMs);
  };
  let n = 0;
  let lastSeq = 0;
  try {
    arm();
    for await (const m of msgs) {
      arm();
      if (m.seq > last.seq) return; // the end was removed meanwhile (max age, a purge): nothing past it
      lastSeq = m.seq;
      const id = m.headers?.get(MSG_ID_HEADER);
      yield { subject: m.subject, seq: m.seq, msgId: id ? id : null, data: m.data, timeMs: Number(m.timestampNanos / 1_000_000n) };
      if (++n >= max || m.seq >= last.seq) return;
    }
  } catch (err) {
    throw lookupError(stream, subject, what, err);
  } finally {
    clearTimeout(timer);
    await msgs.close().catch(() => undefined);
  }
  // the iterator ended before the end was reached
  throw lookupError(
    stream,
    subject,
    what,
    new Error(
      timedOut
        ? `no message for ${timeoutMs} ms after ${n} (last seq ${lastSeq}, expected up to seq ${last.seq})`
        : `the consumer stopped after ${n} messages (last seq ${lastSeq}, expected up to seq ${last.seq})`,
    ),
  );
}
