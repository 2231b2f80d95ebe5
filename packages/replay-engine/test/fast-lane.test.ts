/**
 * The fast lane (EncodedBatch rows, tryPublishRow) against the object lane (Publishables, publish): the same
 * bytes on stdout, the same statistics and warnings, the same stored messages in JetStream.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamPublisher, StdoutSink, type EventSink } from '@md/nats-bus';
import { encode, type EncodedBatch, type Publishable } from '@md/event-types';
import { MemorySink } from '@md/test-support';
import {
  DataRootSource,
  ensureSampleSession,
  Replayer,
  ResumePointNotFoundError,
  type ReplayStats,
  type ReplayTuning,
} from '../src/index.js';
import { MemorySource, readAll, startBus, tempDir, writeCompactSession, type Bus } from './helpers';
import type { EncodedReadOptions, ReplayKind, ReplaySource } from '../src/index.js';

/** a StdoutSink into memory that counts the rows it was given (to see which lane ran) */
class RowCountingSink extends StdoutSink {
  rowCalls = 0;
  readonly chunks: Buffer[];
  constructor() {
    const chunks: Buffer[] = [];
    super(
      new Writable({
        write(c: Buffer, _e, cb) {
          chunks.push(Buffer.from(c));
          cb();
        },
      }),
    );
    this.chunks = chunks;
  }
  override tryPublishRow(b: EncodedBatch, row: number): boolean {
    this.rowCalls++;
    return super.tryPublishRow(b, row);
  }
}

/** the statistics that do not depend on timing */
function comparable(s: ReplayStats) {
  const { wallMs, achievedSpeed, eventsPerSec, peakRssBytes, lateness, ...rest } = s;
  void wallMs;
  void achievedSpeed;
  void eventsPerSec;
  void peakRssBytes;
  return { ...rest, latenessCount: lateness?.count };
}

interface Run {
  bytes: Buffer;
  stats: ReplayStats;
  logs: string[];
  rows: number;
  progress: string[];
}

async function replayToStdout(
  source: () => ReplaySource,
  date: string,
  tuning: ReplayTuning,
  fastPath: boolean,
  range: { start?: bigint; end?: bigint } = {},
): Promise<Run> {
  const sink = new RowCountingSink();
  const logs: string[] = [];
  const progress: string[] = [];
  const r = new Replayer({
    source: source(),
    sink,
    speed: 0,
    progressEvery: 50,
    onProgress: (s, _ms, pos) =>
      progress.push(`${s.events} ${s.perKind.trades}/${s.perKind.mbp10}/${s.perKind.options} ${s.firstEventNs} ${pos.nowNs}`),
    ...tuning,
    fastPath,
    log: (m) => logs.push(m),
  });
  const stats = await r.replayDate(date, range.start ?? null, range.end ?? null, { trades: true, mbp10: true, options: 'auto' });
  return { bytes: Buffer.concat(sink.chunks), stats, logs, rows: sink.rowCalls, progress };
}

async function expectSame(
  source: () => ReplaySource,
  date: string,
  tuning: ReplayTuning = {},
  range: { start?: bigint; end?: bigint } = {},
) {
  const obj = await replayToStdout(source, date, tuning, false, range);
  const fast = await replayToStdout(source, date, tuning, true, range);
  expect(obj.rows).toBe(0);
  expect(fast.rows).toBeGreaterThanOrEqual(fast.stats.events); // the fast lane ran
  expect(fast.stats.events).toBeGreaterThan(0);
  expect(fast.bytes.length).toBeGreaterThan(0);
  expect(fast.bytes.equals(obj.bytes)).toBe(true);
  expect(comparable(fast.stats)).toEqual(comparable(obj.stats));
  expect(fast.logs).toEqual(obj.logs);
  expect(fast.progress).toEqual(obj.progress);
  return { obj, fast };
}

describe('fast lane = object lane (stdout)', () => {
  let compact: string;
  let compactDate: string;
  let sample: string;
  const compactSource = () => new DataRootSource(compact);
  beforeAll(async () => {
    compact = tempDir('fast-lane-');
    compactDate = (await writeCompactSession(compact, { events: 1500, maxLagMs: 30, spanMs: 300, seed: 5 })).date;
    sample = (await ensureSampleSession(null, () => undefined)).root;
  }, 120_000);

  it('the sample session (trades, options, MBP-10; source sim), ts_event order', async () => {
    const src = () => new DataRootSource(sample, undefined, { eventSource: 'sim' });
    const date = (await src().availableDates())[0] as string;
    const { fast } = await expectSame(src, date, { progressEvery: 5000 });
    expect(fast.stats.perKind.options).toBeGreaterThan(0);
    expect(fast.stats.perKind.mbp10).toBeGreaterThan(0);
    expect(fast.bytes.toString().includes('"source":"sim"')).toBe(true);
  }, 120_000);

  it('a DBN-encoder data root: default window (late events none), window 0 (late events), ts_recv order', async () => {
    await expectSame(compactSource, compactDate);
    const { fast } = await expectSame(compactSource, compactDate, { reorderWindowNs: 0n });
    expect(fast.stats.late).toBeGreaterThan(0); // the late rule was exercised
    await expectSame(compactSource, compactDate, { order: 'ts_recv', reorderWindowNs: 0n });
  });

  it('with start / end, and resumed after a message id', async () => {
    const all = new MemorySink();
    await new Replayer({ source: compactSource(), sink: all, speed: 0 }).replayDate(compactDate);
    const ts = all.events.map((p) => (p.event as { ts_event_ns: bigint }).ts_event_ns).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const { fast } = await expectSame(compactSource, compactDate, {}, { start: ts[500], end: ts[2000] });
    expect(fast.stats.events).toBeLessThan(all.events.length);
    const resumeAfter = all.events[1234]?.msgId ?? '';
    const r = await expectSame(compactSource, compactDate, { resumeAfterMsgId: resumeAfter });
    expect(r.fast.stats.skipped).toBe(1235);
    expect(r.fast.stats.events).toBe(all.events.length - 1235);
    // a resume point that is not there: the same error in both lanes
    for (const fastPath of [false, true]) {
      const rp = new Replayer({
        source: compactSource(),
        sink: new RowCountingSink(),
        speed: 0,
        fastPath,
        resumeAfterMsgId: `${resumeAfter}9`,
      });
      await expect(rp.replayDate(compactDate)).rejects.toThrow(ResumePointNotFoundError);
    }
  });

  it('paced (speed > 0): the same bytes, statistics and number of paced releases', async () => {
    const root = tempDir('fast-lane-paced-');
    const { date } = await writeCompactSession(root, { events: 150, spanMs: 200, seed: 9 });
    const { fast } = await expectSame(() => new DataRootSource(root), date, { speed: 2 });
    expect(fast.stats.lateness?.count).toBe(fast.stats.events);
    expect(fast.stats.wallMs).toBeGreaterThan(80); // ~200 ms of event time at 2x
  });

  it('stop() during a paced fast replay: stopped, what was handed over is written, nothing unconfirmed', async () => {
    const root = tempDir('fast-lane-stop-');
    const { date } = await writeCompactSession(root, { events: 400, spanMs: 2000, seed: 3 });
    const sink = new RowCountingSink();
    const r = new Replayer({ source: new DataRootSource(root), sink, speed: 1 });
    setTimeout(() => r.stop(), 300);
    const stats = await r.replayDate(date);
    expect(stats.stopped).toBe(true);
    expect(stats.events).toBeGreaterThan(0);
    expect(stats.events).toBeLessThan(800);
    expect(sink.rowCalls).toBe(stats.events);
    expect(Buffer.concat(sink.chunks).toString().split('\n').length - 1).toBe(stats.events);
    expect(stats.unconfirmed).toBe(0);
  });
});

const te = new TextEncoder();

/** Publishables as one EncodedBatch the way a producer makes one: refused events left out and reported */
function encodeBatch(ps: Publishable[], o: EncodedReadOptions, source: string): EncodedBatch {
  const subjects: string[] = [];
  const rows: { s: number; body: Uint8Array; id: Uint8Array; key: bigint; ts: bigint }[] = [];
  for (const p of ps) {
    let body: Uint8Array;
    try {
      body = encode(p.event, p.subject);
    } catch (e) {
      o.onRefused?.(p.msgId, (e as Error).message);
      continue;
    }
    let s = subjects.indexOf(p.subject);
    if (s < 0) s = subjects.push(p.subject) - 1;
    const ev = p.event as { ts_event_ns: bigint; ts_recv_ns: bigint };
    rows.push({ s, body, id: te.encode(p.msgId), key: o.order === 'ts_recv' ? ev.ts_recv_ns : ev.ts_event_ns, ts: ev.ts_event_ns });
  }
  const n = rows.length;
  const [bodyStart, bodyEnd, idStart, idEnd] = [0, 0, 0, 0].map(() => new Int32Array(n)) as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const [keyHi, keyLo, tsHi, tsLo] = [0, 0, 0, 0].map(() => new Uint32Array(n)) as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  const bytes = new Uint8Array(rows.reduce((a, r) => a + r.body.length + r.id.length, 0));
  const subject = new Uint8Array(n);
  let off = 0;
  rows.forEach((r, i) => {
    subject[i] = r.s;
    bytes.set(r.body, off);
    bodyStart[i] = off;
    bodyEnd[i] = off += r.body.length;
    bytes.set(r.id, off);
    idStart[i] = off;
    idEnd[i] = off += r.id.length;
    keyHi[i] = Number(r.key >> 32n);
    keyLo[i] = Number(r.key & 0xffffffffn);
    tsHi[i] = Number(r.ts >> 32n);
    tsLo[i] = Number(r.ts & 0xffffffffn);
  });
  return { length: n, bytes, subjects, subject, bodyStart, bodyEnd, idStart, idEnd, keyHi, keyLo, tsHi, tsLo, source };
}

/** a MemorySource with the fast lane built from its batches (none for `without`) */
class EncodedMemorySource extends MemorySource {
  constructor(
    data: ConstructorParameters<typeof MemorySource>[0],
    private readonly without: ReplayKind | null = null,
  ) {
    super(data);
  }
  encodedBatches(
    kind: ReplayKind,
    date: string,
    range: { start?: bigint; end?: bigint },
    o: EncodedReadOptions,
  ): AsyncIterable<EncodedBatch> | null {
    if (kind === this.without) return null;
    const inner = this.batches(kind, date, range);
    return {
      async *[Symbol.asyncIterator]() {
        for await (const b of inner) yield encodeBatch(b, o, 'replay');
      },
    };
  }
}

describe('fast lane = object lane (a source of its own)', () => {
  const date = '2024-03-15';
  const t0 = 1710513000000000000n;
  const trade = (i: number, recv: bigint = t0 + BigInt(i) * 1000n + 7n): Publishable =>
    ({
      subject: 'market.futures.trades',
      msgId: `market.futures.trades:5482:${recv}:${i}:glbx-mdp3-20240315.trades.dbn:${i}`,
      event: {
        ts_event_ns: t0 + BigInt(i) * 1000n,
        ts_recv_ns: recv,
        source: 'replay',
        symbol: 'ESM4',
        price: 5000.25,
        size: 1,
        aggressor: 1,
        exchange: 'CME',
        conditions: null,
        seq: i,
      },
    }) as Publishable;
  const book = (i: number): Publishable =>
    ({
      subject: 'market.futures.mbp10',
      msgId: `market.futures.mbp10:5482:${t0 + BigInt(i) * 1000n + 9n}:${i}:glbx-mdp3-20240315.mbp-10.dbn:${i}`,
      event: {
        ts_event_ns: t0 + BigInt(i) * 1000n,
        ts_recv_ns: t0 + BigInt(i) * 1000n + 9n,
        source: 'replay',
        symbol: 'ESM4',
        levels: Array.from({ length: 10 }, () => ({ bid_px: 5000, bid_sz: 2, ask_px: 5000.25, ask_sz: 3 })),
        is_snapshot: false,
        seq: i,
      },
    }) as Publishable;
  // trades 3 and 40 carry a ts_recv above INT64_MAX: the codec refuses them (ties with books at the same ts_event)
  const trades = Array.from({ length: 60 }, (_, i) => trade(i, i === 3 || i === 40 ? 1n << 63n : undefined));
  const books = Array.from({ length: 60 }, (_, i) => book(i));
  const data = { [date]: { trades: [trades.slice(0, 25), [], trades.slice(25)], mbp10: [books.slice(0, 7), books.slice(7)] } };

  it('refused events: the same count and warnings; ties trades before MBP-10', async () => {
    const { fast } = await expectSame(() => new EncodedMemorySource(data), date, { progressEvery: 7 });
    expect(fast.stats.invalid).toBe(2);
    expect(fast.logs.filter((l) => l.includes('the codec refuses it')).length).toBe(2);
    expect(fast.stats.events).toBe(118);
  });

  it('a kind without EncodedBatches: the date takes the object lane', async () => {
    const obj = await replayToStdout(() => new EncodedMemorySource(data), date, {}, false);
    const mixed = await replayToStdout(() => new EncodedMemorySource(data, 'mbp10'), date, {}, true);
    expect(mixed.rows).toBe(0);
    expect(mixed.bytes.equals(obj.bytes)).toBe(true);
  });
});

describe('fast lane = object lane (JetStream)', () => {
  let bus: Bus;
  beforeAll(async () => {
    bus = await startBus();
  }, 30_000);
  afterAll(async () => {
    await bus?.close();
  });

  it.each(['ack', 'batch'] as const)(
    'mode %s: the same messages stored, in the same order',
    async (mode) => {
      const root = tempDir('fast-lane-js-');
      const { date } = await writeCompactSession(root, { events: 2500, seed: 21 });
      const stored: { subject: string; msgId: string | undefined; data: string }[][] = [];
      const rows: number[] = [];
      for (const fastPath of [false, true]) {
        await bus.purge();
        const pub = new JetStreamPublisher(bus.nc, { mode, window: 256 });
        let n = 0;
        const sink: EventSink = pub;
        const orig = pub.tryPublishRow.bind(pub);
        pub.tryPublishRow = (b, row) => (n++, orig(b, row));
        const stats = await new Replayer({ source: new DataRootSource(root), sink, speed: 0, fastPath }).replayDate(date);
        await pub.close();
        expect(stats.events).toBe(5000);
        expect(stats.unconfirmed).toBe(0);
        expect(await bus.count()).toBe(5000);
        stored.push(
          (await readAll(bus.nc, 5000)).map((m) => ({ subject: m.subject, msgId: m.msgId, data: Buffer.from(m.data).toString() })),
        );
        rows.push(n);
      }
      expect(rows[0]).toBe(0);
      expect(rows[1]).toBeGreaterThanOrEqual(5000);
      expect(new Set(stored[1]?.map((m) => m.msgId)).size).toBe(5000);
      expect(stored[1]).toEqual(stored[0]);
    },
    60_000,
  );
});
