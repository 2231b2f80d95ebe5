import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { SUBJECTS } from '@md/event-types';
import {
  connectBus,
  ensureStream,
  JetStreamPublisher,
  lastMessageOn,
  MessageLookupError,
  NatsBusError,
  storedMessagesSince,
  type NatsConnection,
  type StoredMessage,
} from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { fakeBody, sleep } from './test-util.js';

const STREAM = 'STORED_SINCE';
const A = SUBJECTS.stockTrades;
const B = SUBJECTS.stockQuotes;
const N = 20_000;

interface Stored {
  seq: number;
  subject: string;
  msgId: string;
  timeMs: number;
}

/**
 * every message of the stream with its stored time, read independently (an ordered consumer from the start);
 * the time from the exact nanoseconds (JsMsg.time goes through a JS number and can be 1 ms off)
 */
async function everything(nc: NatsConnection): Promise<Stored[]> {
  const c = await jetstream(nc).consumers.get(STREAM, { deliver_policy: DeliverPolicy.All });
  const msgs = await c.consume({ max_messages: 2000 });
  const out: Stored[] = [];
  for await (const m of msgs) {
    out.push({ seq: m.seq, subject: m.subject, msgId: m.headers!.get('Nats-Msg-Id'), timeMs: Number(m.timestampNanos / 1_000_000n) });
    if (out.length === N) break;
  }
  await msgs.close();
  return out;
}

async function collect(it: AsyncIterable<StoredMessage>): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  for await (const m of it) out.push(m);
  return out;
}

describe('storedMessagesSince', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  let midMs = 0;
  let all: Stored[] = [];

  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
    await ensureStream(nc, { name: STREAM });
    const pub = new JetStreamPublisher(nc, { mode: 'batch' });
    // two halves a pause apart: midMs lies between them; the subjects alternate irregularly
    for (let i = 0; i < N; i++) {
      if (i === N / 2) {
        await pub.flush();
        await sleep(30);
        midMs = Date.now();
        await sleep(30);
      }
      const subject = i % 3 === 0 ? B : A;
      await pub.publishEncoded(subject, fakeBody(i), `${subject}:${i}`, subject === A ? 'stocks.trades.v1' : 'stocks.quotes.v1');
    }
    await pub.close();
    all = await everything(nc);
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it('exactly the messages of the subject stored at or after a mid time: ids, bytes, sequences, times', async () => {
    expect(all).toHaveLength(N);
    const want = all.filter((m) => m.subject === A && m.timeMs >= midMs);
    // the pause splits the halves: everything of A in the second half, nothing of the first
    expect(want.map((m) => m.msgId)).toEqual(
      Array.from({ length: N / 2 }, (_, k) => N / 2 + k)
        .filter((i) => i % 3 !== 0)
        .map((i) => `${A}:${i}`),
    );
    const t0 = performance.now();
    const got = await collect(storedMessagesSince(nc, STREAM, A, midMs));
    const ms = performance.now() - t0;
    console.log(`STORED: since mid: ${got.length} messages in ${ms.toFixed(0)} ms = ${Math.round(got.length / (ms / 1000))} msg/s`);
    expect(got.map((m) => m.msgId)).toEqual(want.map((m) => m.msgId));
    expect(got.map((m) => m.seq)).toEqual(want.map((m) => m.seq));
    expect(got.map((m) => m.timeMs)).toEqual(want.map((m) => m.timeMs));
    expect(got.every((m) => m.subject === A)).toBe(true);
    const i = Number(got[100]!.msgId!.split(':').pop());
    expect(Buffer.from(got[100]!.data).equals(Buffer.from(fakeBody(i)))).toBe(true);
  });

  it('the boundary is the stored time itself: since the time of a message in a dense run includes it and its same-ms peers', async () => {
    // a message in the middle of the second half whose millisecond also holds earlier messages of A
    const dense = all.filter((m) => m.subject === A && m.timeMs > midMs);
    const pivot = dense[Math.floor(dense.length / 2)]!;
    const want = all.filter((m) => m.subject === A && m.timeMs >= pivot.timeMs).map((m) => m.msgId);
    const got = (await collect(storedMessagesSince(nc, STREAM, A, pivot.timeMs))).map((m) => m.msgId);
    expect(got).toEqual(want);
    expect(got).toContain(pivot.msgId);
    // one ms later: the pivot's millisecond is excluded
    const later = (await collect(storedMessagesSince(nc, STREAM, A, pivot.timeMs + 1))).map((m) => m.msgId);
    expect(later).toEqual(all.filter((m) => m.subject === A && m.timeMs > pivot.timeMs).map((m) => m.msgId));
    expect(later).not.toContain(pivot.msgId);
  });

  it('lastMessageOn gives the same stored time as the read-back', async () => {
    const last = await lastMessageOn(nc, STREAM, B);
    const lastB = all.filter((m) => m.subject === B).pop()!;
    expect(last).toMatchObject({ seq: lastB.seq, msgId: lastB.msgId, timeMs: lastB.timeMs });
    expect(Math.abs(last!.timeMs - Date.now())).toBeLessThan(120_000);
  });

  it('a wildcard subject, max, and a read-back rate over all 20,000', async () => {
    const t0 = performance.now();
    const got = await collect(storedMessagesSince(nc, STREAM, 'market.stocks.>', 0, { batch: 2000 }));
    const ms = performance.now() - t0;
    console.log(`STORED: rate=${Math.round(got.length / (ms / 1000))} msg/s (${got.length} messages, ${ms.toFixed(0)} ms)`);
    expect(got.map((m) => m.msgId)).toEqual(all.map((m) => m.msgId));
    const first = await collect(storedMessagesSince(nc, STREAM, B, midMs, { max: 7 }));
    expect(first.map((m) => m.msgId)).toEqual(
      all
        .filter((m) => m.subject === B && m.timeMs >= midMs)
        .slice(0, 7)
        .map((m) => m.msgId),
    );
    expect(await collect(storedMessagesSince(nc, STREAM, B, midMs, { max: 0 }))).toEqual([]);
  });

  it('stops at the last message present when the iteration started', async () => {
    const it = storedMessagesSince(nc, STREAM, B, midMs, { batch: 10 });
    const firstStep = await it.next();
    expect(firstStep.done).toBe(false);
    const pub = new JetStreamPublisher(nc, { mode: 'ack' });
    for (let i = 0; i < 50; i++) await pub.publishEncoded(B, fakeBody(i), `late:${i}`, 'stocks.quotes.v1');
    await pub.close();
    const rest: StoredMessage[] = [];
    for await (const m of { [Symbol.asyncIterator]: () => it }) rest.push(m);
    const ids = [firstStep.value!.msgId, ...rest.map((m) => m.msgId)];
    expect(ids).toEqual(all.filter((m) => m.subject === B && m.timeMs >= midMs).map((m) => m.msgId));
    // the late ones are there for a new call
    const again = await collect(storedMessagesSince(nc, STREAM, B, midMs));
    expect(again.slice(-50).map((m) => m.msgId)).toEqual(Array.from({ length: 50 }, (_, i) => `late:${i}`));
  });

  it('empty: a time after the last message, a subject without messages', async () => {
    const lastA = (await lastMessageOn(nc, STREAM, A))!;
    expect(await collect(storedMessagesSince(nc, STREAM, A, lastA.timeMs + 1))).toEqual([]);
    expect(await collect(storedMessagesSince(nc, STREAM, SUBJECTS.optionTrades, 0))).toEqual([]);
  });

  it('no such stream: MessageLookupError naming the stream and the subject', async () => {
    const err = await collect(storedMessagesSince(nc, 'NO_SUCH_STREAM', A, midMs)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageLookupError);
    expect(err).toBeInstanceOf(NatsBusError);
    expect(err).toMatchObject({ stream: 'NO_SUCH_STREAM', subject: A });
    expect((err as Error).message).toMatch(/^stream NO_SUCH_STREAM: messages since .*Z on market\.stocks\.trades: .*stream not found/);
  });

  it('bad arguments are RangeErrors', async () => {
    await expect(collect(storedMessagesSince(nc, STREAM, A, Number.NaN))).rejects.toThrow(RangeError);
    await expect(collect(storedMessagesSince(nc, STREAM, A, 0, { max: -1 }))).rejects.toThrow(/max must be/);
  });
});
