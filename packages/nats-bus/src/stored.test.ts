import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { STREAM_NAME, SUBJECTS } from '@md/event-types';
import {
  connectBus,
  ensureStream,
  JetStreamPublisher,
  lastMessageOn,
  MessageLookupError,
  NatsBusError,
  type NatsConnection,
} from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { fakeBody } from './test-util.js';

describe('lastMessageOn', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
    await ensureStream(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it('null for a subject without messages (also on an empty stream)', async () => {
    expect(await lastMessageOn(nc, STREAM_NAME, SUBJECTS.futuresTrades)).toBeNull();
  });

  it('the newest message of the subject: subject, stream sequence, message id, the exact bytes', async () => {
    const pub = new JetStreamPublisher(nc, { mode: 'ack' });
    for (let i = 0; i < 5; i++) await pub.publishEncoded(SUBJECTS.futuresTrades, fakeBody(i), `trade-${i}`, 'futures.trades.v1');
    for (let i = 0; i < 2; i++) await pub.publishEncoded(SUBJECTS.futuresMbp10, fakeBody(100 + i), `book-${i}`, 'futures.mbp10.v1');
    await pub.close();

    const t = await lastMessageOn(nc, STREAM_NAME, SUBJECTS.futuresTrades);
    expect(t).toEqual({ subject: SUBJECTS.futuresTrades, seq: 5, msgId: 'trade-4', data: fakeBody(4), timeMs: expect.any(Number) });
    const b = await lastMessageOn(nc, STREAM_NAME, SUBJECTS.futuresMbp10);
    expect(b).toMatchObject({ subject: SUBJECTS.futuresMbp10, seq: 7, msgId: 'book-1' });
    expect(Buffer.from(b!.data).equals(Buffer.from(fakeBody(101)))).toBe(true);
    // a wildcard: the newest of every match
    expect((await lastMessageOn(nc, STREAM_NAME, 'market.futures.>'))?.msgId).toBe('book-1');
    expect(await lastMessageOn(nc, STREAM_NAME, SUBJECTS.optionTrades)).toBeNull();
  });

  it('a message stored without Nats-Msg-Id: msgId null', async () => {
    await jetstream(nc).publish(SUBJECTS.stockTrades, new TextEncoder().encode('{"x":1}'));
    const m = await lastMessageOn(nc, STREAM_NAME, SUBJECTS.stockTrades);
    expect(m).toMatchObject({ subject: SUBJECTS.stockTrades, msgId: null });
    expect(new TextDecoder().decode(m!.data)).toBe('{"x":1}');
  });

  it('no such stream: MessageLookupError naming the stream and the subject', async () => {
    const err = await lastMessageOn(nc, 'NO_SUCH_STREAM', SUBJECTS.futuresTrades).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MessageLookupError);
    expect(err).toBeInstanceOf(NatsBusError);
    expect(err).toMatchObject({ stream: 'NO_SUCH_STREAM', subject: SUBJECTS.futuresTrades });
    expect((err as Error).message).toMatch(/^stream NO_SUCH_STREAM: last message on market\.futures\.trades: .*stream not found/);
  });
});
