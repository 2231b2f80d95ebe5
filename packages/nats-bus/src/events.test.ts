/** Tests through the @md/event-types codec: publish(p), consumeEvents, StdoutSink. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { encode, SUBJECTS, type FuturesTrade, type MBP10, type Publishable } from '@md/event-types';
import {
  connectBus,
  ConsumeDecodeError,
  consumeEvents,
  ensureStream,
  JetStreamPublisher,
  StdoutSink,
  type ConsumedEvent,
  type NatsConnection,
} from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { at, readStream } from './test-util.js';

const TS = 1702900800123456789n; // beyond 2^53: must survive exactly

function trade(i: number): Publishable<FuturesTrade> {
  const ts = TS + BigInt(i);
  return {
    subject: SUBJECTS.futuresTrades,
    msgId: `${SUBJECTS.futuresTrades}:5482:${ts + 7n}:${i}:t.dbn:${i}`,
    event: {
      ts_event_ns: ts,
      ts_recv_ns: ts + 7n,
      source: 'replay',
      symbol: 'ESH6',
      price: 4700 + i * 0.25,
      size: 1 + (i % 5),
      aggressor: ((i % 3) - 1) as 1 | -1 | 0,
      exchange: 'CME',
      conditions: null,
      seq: i,
    },
  };
}

function book(i: number): Publishable<MBP10> {
  const ts = TS + 1_000_000n + BigInt(i);
  return {
    subject: SUBJECTS.futuresMbp10,
    msgId: `${SUBJECTS.futuresMbp10}:5482:${ts}:${i}:m.dbn:${i}`,
    event: {
      ts_event_ns: ts,
      ts_recv_ns: ts + 3n,
      source: 'replay',
      symbol: 'ESH6',
      levels: Array.from({ length: 10 }, (_, k) => ({
        bid_px: k === 9 ? null : 4700 - k * 0.25,
        bid_sz: k === 9 ? 0 : 10 + k,
        ask_px: 4700.25 + k * 0.25,
        ask_sz: 5 + k,
      })),
      is_snapshot: i === 0,
      seq: i,
    },
  };
}

async function take(it: AsyncIterable<ConsumedEvent>, n: number): Promise<ConsumedEvent[]> {
  const out: ConsumedEvent[] = [];
  if (n === 0) return out;
  for await (const e of it) {
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
}

describe('publish(p) + consumeEvents through the codec', () => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  const trades = Array.from({ length: 300 }, (_, i) => trade(i));
  const books = Array.from({ length: 100 }, (_, i) => book(i));

  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
    await ensureStream(nc);
    const pub = new JetStreamPublisher(nc, { mode: 'batch', batchSize: 50 });
    for (let i = 0; i < 300; i++) {
      await pub.publish(at(trades, i));
      if (i % 3 === 0) await pub.publish(at(books, i / 3));
    }
    await pub.close();
    expect(pub.stats).toMatchObject({ published: 400, acked: 400, failed: 0 });
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it('stores the codec bytes with Nats-Msg-Id and md-schema headers', async () => {
    const stored = await readStream(nc, 'MARKET_DATA');
    expect(stored.length).toBe(400);
    const trade0 = at(trades, 0);
    const t0 = stored.find((m) => m.msgId === trade0.msgId)!;
    expect(Buffer.from(t0.data).equals(Buffer.from(encode(trade0.event, trade0.subject)))).toBe(true);
    expect(t0.schema).toBe('futures.trades.v1');
    const book5 = at(books, 5);
    const b5 = stored.find((m) => m.msgId === book5.msgId)!;
    expect(Buffer.from(b5.data).equals(Buffer.from(encode(book5.event, book5.subject)))).toBe(true);
    expect(b5.schema).toBe('futures.mbp10.v1');
    expect(new TextDecoder().decode(t0.data)).toContain(`"ts_event_ns":${TS}`);
  });

  it('ordered consumer, one subject (server filter): decoded events with exact bigint timestamps', async () => {
    const c = consumeEvents(nc, { subjects: [SUBJECTS.futuresTrades] });
    const got = await take(c, 300);
    await c.stop();
    expect(got.map((g) => g.msgId)).toEqual(trades.map((t) => t.msgId));
    expect(at(got, 0).event.ts_event_ns).toBe(TS);
    expect(typeof at(got, 0).event.ts_event_ns).toBe('bigint');
    expect(at(got, 299).event).toEqual(at(trades, 299).event);
    expect(got.every((g) => g.subject === SUBJECTS.futuresTrades)).toBe(true);
  });

  it('several subjects: stream order, client-side filter', async () => {
    const c = consumeEvents(nc, { subjects: [SUBJECTS.futuresMbp10, SUBJECTS.stockTrades] });
    const got = await take(c, 100);
    await c.stop();
    expect(got.map((g) => g.msgId)).toEqual(books.map((b) => b.msgId));
    expect(at((at(got, 0).event as MBP10).levels, 9).bid_px).toBeNull();
    const seqs = got.map((g) => g.streamSeq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('durable consumer: resumes after the last acknowledged event, redelivers what was not processed', async () => {
    const c1 = consumeEvents(nc, { durable: 'svc1', subjects: [SUBJECTS.futuresTrades], ackWaitMs: 1000 });
    const first = await take(c1, 10);
    await c1.stop();
    expect(first.map((g) => g.msgId)).toEqual(trades.slice(0, 10).map((t) => t.msgId));
    // 0..8 were acknowledged (the loop asked for the next one); the 10th (seq 9) was yielded when the loop
    // broke: at-least-once, so it comes back, as does everything delivered but not processed
    const c2 = consumeEvents(nc, { durable: 'svc1', subjects: [SUBJECTS.futuresTrades] });
    const seen = new Set<number>();
    for await (const e of c2) {
      const seq = (e.event as FuturesTrade).seq!;
      expect(seq).toBeGreaterThanOrEqual(9);
      seen.add(seq);
      if (seen.size === 291) break;
    }
    await c2.stop();
    expect(seen.size).toBe(291);
    expect(Math.min(...seen)).toBe(9);
    expect(Math.max(...seen)).toBe(299);
  });

  it("deliver 'new' sees only what is published afterwards; a bad message throws ConsumeDecodeError or is skipped", async () => {
    const c = consumeEvents(nc, { deliver: 'new', subjects: [SUBJECTS.futuresTrades] });
    const it = c[Symbol.asyncIterator]();
    const nextP = it.next();
    await new Promise((r) => setTimeout(r, 200));
    nc.publish(SUBJECTS.futuresTrades, new TextEncoder().encode('{"not":"a trade"}'));
    const err = await nextP.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsumeDecodeError);
    expect((err as ConsumeDecodeError).subject).toBe(SUBJECTS.futuresTrades);
    await c.stop();

    const bad: ConsumeDecodeError[] = [];
    const c2 = consumeEvents(nc, { subjects: [SUBJECTS.futuresTrades], startSeq: 1, onInvalid: (e) => bad.push(e) });
    const got = await take(c2, 300);
    await c2.stop();
    expect(got.length).toBe(300);
    const pub = new JetStreamPublisher(nc);
    await pub.publish(trade(1000));
    await pub.close();
    const c3 = consumeEvents(nc, { subjects: [SUBJECTS.futuresTrades], onInvalid: (e) => bad.push(e) });
    const all = await take(c3, 301);
    await c3.stop();
    expect(at(all, 300).msgId).toBe(trade(1000).msgId);
    expect(bad.length).toBeGreaterThanOrEqual(1);
  });
});

describe('publish(p) input errors', () => {
  it('an invalid event or an unknown subject rejects (never throws synchronously) and publishes nothing', async () => {
    const srv = await startNatsServer();
    const nc = await connectBus({ servers: srv.url });
    try {
      await ensureStream(nc);
      const pub = new JetStreamPublisher(nc);
      const bad = { ...trade(1), event: { ...trade(1).event, size: -3 } };
      let p: Promise<void> | null = null;
      expect(() => (p = pub.publish(bad))).not.toThrow();
      await expect(p).rejects.toThrow(/size/);
      await expect(pub.publish({ ...trade(2), subject: 'market.nope' as never })).rejects.toThrow(/market\.nope/);
      await pub.publish(trade(3));
      await pub.close();
      expect(pub.stats).toMatchObject({ published: 1, acked: 1, failed: 0 });
    } finally {
      await nc.close();
      await srv.dispose();
    }
  });
});

describe('StdoutSink', () => {
  it('writes subject<TAB>exact body lines in order and waits for drain', async () => {
    const chunks: Buffer[] = [];
    let writes = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        writes++;
        chunks.push(Buffer.from(chunk));
        setTimeout(cb, 1); // a slow reader
      },
    });
    const sink = new StdoutSink(out);
    const evs = Array.from({ length: 2000 }, (_, i) => (i % 4 === 0 ? book(i) : trade(i)));
    let waited = 0;
    for (const e of evs) {
      let done = false;
      const p = sink.publish(e).then(() => (done = true));
      await Promise.resolve();
      if (!done) waited++;
      await p;
    }
    await sink.close();
    const text = Buffer.concat(chunks).toString('utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(2000);
    lines.forEach((l, i) => {
      const e = at(evs, i);
      expect(l).toBe(`${e.subject}\t${new TextDecoder().decode(encode(e.event, e.subject))}`);
    });
    expect(waited).toBeGreaterThan(0);
    expect(writes).toBeLessThan(2000); // coalesced
    expect(sink.stats).toMatchObject({ published: 2000, acked: 2000, failed: 0, pending: 0 });
  });
});
