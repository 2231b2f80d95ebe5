/**
 * Reading back what a stream stored, e.g. where an interrupted replay stopped (the replay's --resume): the
 * JetStream manager's `streams.getMessage` (`$JS.API.STREAM.MSG.GET`, available on nats-server 2.9; not the
 * direct-get API, which needs `allow_direct` on the stream).
 */
import type { NatsConnection } from '@nats-io/transport-node';
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
}

/**
 * The last message `stream` stored on `subject` (an exact subject, or a wildcard: the newest of its matches),
 * null when the stream has no message on it. Anything else (no such stream, JetStream unavailable, a
 * timeout) throws MessageLookupError naming the stream and subject, the client's error as its cause.
 */
export async function lastMessageOn(nc: NatsConnection, stream: string, subject: string): Promise<StoredMessage | null> {
  const fail = (err: unknown): never => {
    throw new MessageLookupError(
      `stream ${stream}: last message on ${subject}: ${(err as Error)?.message ?? String(err)}`,
      stream,
      subject,
      {
        cause: err,
      },
    );
  };
  let m;
  try {
    const jsm = await manager(nc);
    // null when there is no message on the subject (JetStream error 10037): that is the answer, not an error
    m = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  } catch (err) {
    return fail(err);
  }
  if (m === null) return null;
  // MsgHdrs.get answers '' for a missing header
  const msgId = m.header.get(MSG_ID_HEADER);
  return { subject: m.subject, seq: m.seq, msgId: msgId === '' ? null : msgId, data: m.data };
}
