import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, lookup, type EncodedBatch, type EventSource, type Publishable } from '@md/event-types';
import { rng } from '@md/test-support';
import { connectBus, ensureStream, JetStreamPublisher, StdoutSink, type EventSink, type NatsConnection } from './index.js';
import { startNatsServer, type LocalNatsServer } from './testing.js';
import { at, readStream } from './test-util.js';

const te = new TextEncoder();

/** the events as one EncodedBatch (bodies from the codec, ids as ASCII bytes), key = ts_event */
function batchOf(ps: Publishable[], source: string): EncodedBatch {
  const subjects: string[] = [];
  const n = ps.length;
  const subject = new Uint8Array(n);
  const [bodyStart, bodyEnd, idStart, idEnd] = [0, 0, 0, 0].map(() => new Int32Array(n)) as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const keyHi = new Uint32Array(n);
  const keyLo = new Uint32Array(n);
  const parts: Uint8Array[] = [];
  let off = 0;
  ps.forEach((p, i) => {
    let s = subjects.indexOf(p.subject);
    if (s < 0) s = subjects.push(p.subject) - 1;
    subject[i] = s;
    const body = encode(p.event, p.subject);
    const id = te.encode(p.msgId);
    bodyStart[i] = off;
    bodyEnd[i] = off += body.length;
    idStart[i] = off;
    idEnd[i] = off += id.length;
    parts.push(body, id);
    const ts = p.event.ts_event_ns;
    keyHi[i] = Number(ts >> 32n);
    keyLo[i] = Number(ts & 0xffffffffn);
  });
  const bytes = new Uint8Array(off);
  let o = 0;
  for (const x of parts) {
    bytes.set(x, o);
    o += x.length;
  }
  return { length: n, bytes, subjects, subject, bodyStart, bodyEnd, idStart, idEnd, keyHi, keyLo, tsHi: keyHi, tsLo: keyLo, source };
}

/** futures trades and MBP-10 books, mixed, with extreme prices and timestamps */
function events(n: number, seed: number, source: EventSource = 'replay'): Publishable[] {
  const r = rng(seed);
  const out: Publishable[] = [];
  for (let i = 0; i < n; i++) {
    const ts = i === 0 ? (1n << 63n) - 1n : 1702900800123456789n + BigInt(i) * 1000n + BigInt(Math.floor(r() * 999));
    const recv = i === 0 ? ts : ts + 5000n;
    const env = { ts_event_ns: ts, ts_recv_ns: recv, source };
    if (r() < 0.7) {
      out.push({
        subject: 'market.futures.trades',
        msgId: `market.futures.trades:42:${recv}:${i}:glbx-mdp3-20231218.trades.dbn:${i}`,
        event: {
          ...env,
          symbol: 'ESH4',
          price: r() < 0.05 ? 1.7976931348623157e308 : 4700 + Math.floor(r() * 400) * 0.25,
          size: 1 + Math.floor(r() * 50),
          aggressor: (Math.floor(r() * 3) - 1) as -1 | 0 | 1,
          exchange: 'CME',
          conditions: null,
          seq: i,
        },
      } as Publishable);
    } else {
      const levels = Array.from({ length: 10 }, (_, l) =>
        l > 7
          ? { bid_px: null, bid_sz: 0, ask_px: null, ask_sz: 0 }
          : { bid_px: 4700 - l * 0.25, bid_sz: 1 + l, ask_px: 4700.25 + l * 0.25, ask_sz: 2 + l },
      );
      out.push({
        subject: 'market.futures.mbp10',
        msgId: `market.futures.mbp10:42:${recv}:${i}:glbx-mdp3-20231218.mbp-10.dbn:${i}`,
        event: { ...env, symbol: 'ESH4', levels, is_snapshot: false, seq: i },
      } as Publishable);
    }
  }
  return out;
}

/** batches of random sizes (some empty) */
function batchesOf(ps: Publishable[], seed: number, source: string): EncodedBatch[] {
  const r = rng(seed);
  const out: EncodedBatch[] = [];
  for (let i = 0; i < ps.length;) {
    const k = r() < 0.1 ? 0 : 1 + Math.floor(r() * 300);
    out.push(batchOf(ps.slice(i, i + k), source));
    i += k;
  }
  return out;
}

/** the fast lane as a replay drives it: tryPublishRow, and publishRow only when it says no */
async function publishRows(sink: EventSink, bs: EncodedBatch[]): Promise<number> {
  let waited = 0;
  for (const b of bs)
    for (let row = 0; row < b.length; row++) {
      if (sink.tryPublishRow!(b, row)) continue;
      waited++;
      await sink.publishRow!(b, row);
    }
  return waited;
}

/** a stream that takes a while per chunk and asks to wait early (highWaterMark 4 KiB) */
function slowStream(into: Buffer[]): Writable {
  return new Writable({
    highWaterMark: 4096,
    write(chunk: Buffer, _enc, cb) {
      into.push(Buffer.from(chunk));
      setTimeout(cb, 1);
    },
  });
}

describe('StdoutSink rows', () => {
  it('writes the same bytes as publish() of the same events, also when the stream asks to wait', async () => {
    const ps = events(3000, 1);
    const a: Buffer[] = [];
    const objSink = new StdoutSink(slowStream(a));
    for (const p of ps) await objSink.publish(p);
    await objSink.close();
    const b: Buffer[] = [];
    const rowSink = new StdoutSink(slowStream(b));
    const waited = await publishRows(rowSink, batchesOf(ps, 2, 'replay'));
    await rowSink.close();
    expect(waited).toBeGreaterThan(0); // the drain path was taken
    expect(Buffer.concat(b).equals(Buffer.concat(a))).toBe(true);
    expect(Buffer.concat(a).toString().split('\n').length).toBe(ps.length + 1);
    expect(rowSink.stats).toEqual(objSink.stats);
    expect(rowSink.tryPublishRow(batchOf(ps.slice(0, 1), 'replay'), 0)).toBe(false); // closed
    await expect(rowSink.publishRow(batchOf(ps.slice(0, 1), 'replay'), 0)).rejects.toThrow(/closed/);
  });
});

describe.each(['ack', 'batch'] as const)('JetStreamPublisher rows, mode %s', (mode) => {
  let srv: LocalNatsServer;
  let nc: NatsConnection;
  const stream = `ROWS_${mode.toUpperCase()}`;

  beforeAll(async () => {
    srv = await startNatsServer();
    nc = await connectBus({ servers: srv.url });
    await ensureStream(nc, { name: stream, subjects: ['market.>'] });
  });
  afterAll(async () => {
    await nc?.close();
    await srv?.dispose();
  });

  it('every row stored once, with its message id, schema header and the codec bytes; sources for onConfirmEvent', async () => {
    const ps = events(4000, 3, 'sim');
    const confirmed = new Map<string, number>();
    const pub = new JetStreamPublisher(nc, {
      mode,
      window: 128,
      batchSize: 50,
      onConfirmEvent: (s, src) => confirmed.set(`${s} ${src}`, (confirmed.get(`${s} ${src}`) ?? 0) + 1),
    });
    const waited = await publishRows(pub, batchesOf(ps, 4, 'sim'));
    await pub.flush();
    expect(waited).toBeGreaterThan(0); // the window filled: publishRow waited for room
    expect(pub.stats).toMatchObject({ published: ps.length, acked: ps.length, failed: 0, pending: 0, duplicates: 0 });
    const stored = await readStream(nc, stream);
    expect(stored.length).toBe(ps.length);
    stored.forEach((m, i) => {
      const p = at(ps, i);
      expect(m.subject).toBe(p.subject);
      expect(m.msgId).toBe(p.msgId);
      expect(m.schema).toBe(lookup(p.subject).schemaId);
      expect(Buffer.from(m.data).equals(Buffer.from(encode(p.event, p.subject)))).toBe(true);
    });
    const trades = ps.filter((p) => p.subject === 'market.futures.trades').length;
    expect(Object.fromEntries(confirmed)).toEqual({
      'market.futures.trades sim': trades,
      'market.futures.mbp10 sim': ps.length - trades,
    });
    // the same rows again: nothing new stored (same ids)
    await publishRows(pub, [batchOf(ps.slice(0, 500), 'sim')]);
    await pub.close();
    expect((await readStream(nc, stream)).length).toBe(ps.length);
    expect(pub.tryPublishRow(batchOf(ps.slice(0, 1), 'sim'), 0)).toBe(false); // closed
    await expect(pub.publishRow(batchOf(ps.slice(0, 1), 'sim'), 0)).rejects.toThrow(/closed/);
  });

  it('refuses a row of an unknown subject or with a CR in its id (publishRow says why)', async () => {
    const pub = new JetStreamPublisher(nc, { mode });
    const p = at(events(1, 5), 0);
    const b = batchOf([p], 'replay');
    const unknown = { ...b, subjects: ['market.nope'] };
    expect(pub.tryPublishRow(unknown, 0)).toBe(false);
    await expect(pub.publishRow(unknown, 0)).rejects.toThrow(/market\.nope/);
    const crId = batchOf([{ ...p, msgId: 'a\rb' }], 'replay');
    expect(pub.tryPublishRow(crId, 0)).toBe(false);
    await expect(pub.publishRow(crId, 0)).rejects.toThrow(/CR or LF/);
    expect(pub.stats.published).toBe(0);
    await pub.close();
  });
});
