/**
 * consumeEvents: iterate decoded, validated events (exact bigint timestamps) from the market-data stream,
 * with an ordered consumer (default; nothing is stored on the server) or a durable one (acknowledged).
 *
 * Durable consumers are at-least-once: an event is acknowledged when the loop asks for the next one;
 * when the loop stops, the events delivered to this client but not processed are nak'ed (redelivered at
 * once); messages still in flight at that moment come back after the ack wait (`ackWaitMs`, default 30 s).
 *
 * nats-server 2.9 has no multi-subject consumer filter (`filter_subjects` needs 2.10), so:
 * - no subject or one subject: the consumer filters on the server;
 * - several subjects: the consumer reads the whole stream in stream order and this helper filters on the
 *   client (non-matching messages of a durable consumer are acknowledged and skipped).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { lookup, MSG_ID_HEADER, STREAM_NAME, type MarketEvent, type Subject } from '@md/event-types';
import { ConsumeDecodeError } from './errors.js';

export interface ConsumedEvent {
  subject: Subject;
  event: MarketEvent;
  msgId?: string;
  streamSeq: number;
  /** the exact message body */
  data: Uint8Array;
}

export interface ConsumeOptions {
  /** subjects to deliver (exact subjects or wildcards); default: everything in the stream */
  subjects?: string[];
  /** durable consumer name (created if missing, explicit acks); default: an ordered consumer */
  durable?: string;
  /** default MARKET_DATA */
  stream?: string;
  /** 'all' (default) or 'new' (only messages stored from now on) */
  deliver?: 'all' | 'new';
  /** durable only, used when the consumer is created: redelivery delay of unacknowledged messages; default 30 s */
  ackWaitMs?: number;
  /** start at this stream sequence (overrides `deliver`) */
  startSeq?: number;
  /** called for a message that does not decode/validate; the message is skipped. Without it, iteration throws ConsumeDecodeError. */
  onInvalid?: (err: ConsumeDecodeError) => void;
}

export type EventConsumer = AsyncIterable<ConsumedEvent> & { stop(): Promise<void> };

/** true when `subject` matches the NATS pattern (`*` one token, `>` one or more trailing tokens) */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

export function consumeEvents(nc: NatsConnection, opts: ConsumeOptions = {}): EventConsumer {
  const stream = opts.stream ?? STREAM_NAME;
  const subjects = opts.subjects ?? [];
  const serverFilter = subjects.length === 1 ? subjects[0] : undefined;
  const clientFilter = subjects.length > 1 ? subjects : null;
  let messages: ConsumerMessages | null = null;
  let stopped = false;

  const policy =
    opts.startSeq !== undefined
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: opts.startSeq }
      : { deliver_policy: opts.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All };

  // durable: messages arrive through a callback into our own queue, so that whatever was delivered but not
  // processed when the loop stops can be nak'ed (redelivered at once instead of after the ack wait).
  // The queue is bounded by the consumer's max_ack_pending (unacknowledged messages stop delivery).
  const queue: JsMsg[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  async function open(): Promise<ConsumerMessages> {
    const js = jetstream(nc);
    if (opts.durable) {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.consumers.info(stream, opts.durable);
      } catch {
        await jsm.consumers.add(stream, {
          durable_name: opts.durable,
          ack_policy: AckPolicy.Explicit,
          max_ack_pending: 1024,
          ...(opts.ackWaitMs !== undefined ? { ack_wait: opts.ackWaitMs * 1_000_000 } : {}),
          ...policy,
          ...(serverFilter ? { filter_subject: serverFilter } : {}),
        });
      }
      const c = await js.consumers.get(stream, opts.durable);
      return c.consume({
        max_messages: 64,
        callback: (m) => {
          queue.push(m);
          notify();
        },
      });
    }
    const c = await js.consumers.get(stream, {
      ...policy,
      ...(serverFilter ? { filter_subjects: serverFilter } : {}),
    });
    return c.consume({ max_messages: 512 });
  }

  function decodeMsg(m: JsMsg): ConsumedEvent | null {
    const subject = m.subject;
    try {
      const reg = lookup(subject);
      const event = reg.decode(m.data);
      const msgId = m.headers?.get(MSG_ID_HEADER) || undefined;
      return { subject: reg.subject, event, msgId, streamSeq: m.seq, data: m.data };
    } catch (err) {
      const e = new ConsumeDecodeError(`stream ${stream} seq ${m.seq} subject ${subject}: ${(err as Error).message}`, subject, m.seq, {
        cause: err,
      });
      if (opts.onInvalid) {
        opts.onInvalid(e);
        return null;
      }
      throw e;
    }
  }

  const wanted = (subject: string) => !clientFilter || clientFilter.some((p) => subjectMatches(p, subject));

  async function* iterateOrdered(msgs: ConsumerMessages): AsyncGenerator<ConsumedEvent> {
    for await (const m of msgs) {
      if (!wanted(m.subject)) continue;
      const ev = decodeMsg(m);
      if (ev) yield ev;
      if (stopped) break;
    }
  }

  async function* iterateDurable(msgs: ConsumerMessages): AsyncGenerator<ConsumedEvent> {
    let current: JsMsg | null = null;
    let closed = false;
    const closedP = msgs.closed().then(
      () => {
        closed = true;
      },
      () => {
        closed = true;
      },
    );
    try {
      for (;;) {
        while (queue.length === 0 && !stopped && !closed) {
          await Promise.race([new Promise<void>((r) => (wake = r)), closedP]);
        }
        if (stopped || queue.length === 0) break;
        const m = queue.shift()!;
        if (!wanted(m.subject)) {
          m.ack();
          continue;
        }
        current = m;
        let ev: ConsumedEvent | null;
        try {
          ev = decodeMsg(m);
        } catch (e) {
          m.term();
          current = null;
          throw e;
        }
        if (ev) yield ev;
        // the caller asked for the next event: it has processed this one
        m.ack();
        current = null;
      }
    } finally {
      // delivered but not processed: hand back for immediate redelivery (at-least-once)
      current?.nak();
      for (const m of queue.splice(0)) m.nak();
    }
  }

  async function* iterate(): AsyncGenerator<ConsumedEvent> {
    if (stopped) return;
    messages = await open();
    try {
      if (stopped) return;
      yield* opts.durable ? iterateDurable(messages) : iterateOrdered(messages);
    } finally {
      await messages.close().catch(() => undefined);
    }
  }

  return {
    [Symbol.asyncIterator]: () => iterate(),
    async stop() {
      stopped = true;
      notify();
      if (messages) await messages.close().catch(() => undefined);
    },
  };
}
