/**
 * The replayer into a real nats-server (started here on a free port): the DBN fixtures and a generated session, read
 * back message by message; duplicates inside the window; pacing at speed 1 and 0.
 */
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDbn, mapDbnFile, type DbnRecord } from '@md/dbn-reader';
import { generateSampleSession } from '@md/dbn-reader/sample';
import { encode, fixedToFloat, SUBJECTS, type FuturesTrade, type MBP10, type Publishable } from '@md/event-types';
import { JetStreamPublisher } from '@md/nats-bus';
import { DataRootSource, Replayer } from '../src/index.js';
import { firstStepBack, fixtureDataRoot, haveDbnFixtures, readAll, startBus, tempDir, type Bus, type Stored } from './helpers';

const UNDEF_PRICE = 0x7fff_ffff_ffff_ffffn;
const sideToAggressor = (s: string) => (s === 'B' ? 1 : s === 'A' ? -1 : 0);

/** the contract's events of a fixture file, built here from the decoded records (not through the library's mapping) */
async function expectedFromFixture(path: string, kind: 'trades' | 'mbp10'): Promise<Publishable[]> {
  const out: Publishable[] = [];
  let i = 0;
  for await (const r of decodeDbn(path) as AsyncIterable<DbnRecord & Record<string, unknown>>) {
    const rec = r as unknown as {
      hd: { instrument_id: number; ts_event: bigint };
      ts_recv: bigint;
      price: bigint;
      size: number;
      side: string;
      sequence: number;
      flags: number;
      levels?: { bid_px: bigint; ask_px: bigint; bid_sz: number; ask_sz: number }[];
    };
    if (kind === 'mbp10' && !rec.levels) throw new Error(`${path}: an MBP-10 record without levels`);
    const base = { ts_event_ns: rec.hd.ts_event, ts_recv_ns: rec.ts_recv, source: 'replay' as const, symbol: 'ESH1' };
    const subject = kind === 'trades' ? SUBJECTS.futuresTrades : SUBJECTS.futuresMbp10;
    const event: FuturesTrade | MBP10 =
      kind === 'trades'
        ? {
            ...base,
            price: fixedToFloat(rec.price),
            size: rec.size,
            aggressor: sideToAggressor(rec.side),
            exchange: 'CME',
            conditions: null,
            seq: rec.sequence,
          }
        : {
            ...base,
            levels: (rec.levels ?? []).map((l) => ({
              bid_px: l.bid_px === UNDEF_PRICE ? null : fixedToFloat(l.bid_px),
              bid_sz: l.bid_px === UNDEF_PRICE ? 0 : l.bid_sz,
              ask_px: l.ask_px === UNDEF_PRICE ? null : fixedToFloat(l.ask_px),
              ask_sz: l.ask_px === UNDEF_PRICE ? 0 : l.ask_sz,
            })),
            is_snapshot: (rec.flags & 0x20) !== 0,
            seq: rec.sequence,
          };
    out.push({ subject, event, msgId: `${subject}:${rec.hd.instrument_id}:${rec.ts_recv}:${rec.sequence}:${basename(path)}:${i++}` });
  }
  return out;
}

function checkStored(stored: Stored[], expected: Publishable[]): void {
  expect(stored).toHaveLength(expected.length);
  // counts per subject
  const per = (xs: { subject: string }[]) => xs.reduce<Record<string, number>>((a, x) => ((a[x.subject] = (a[x.subject] ?? 0) + 1), a), {});
  expect(per(stored)).toEqual(per(expected));
  // every message id present, once; bytes equal to the codec's encoding of the expected event
  const byId = new Map(expected.map((p) => [p.msgId, p]));
  const seen = new Set<string>();
  for (const m of stored) {
    // plain checks (an expect() per message is slow): the first problem fails the test with its details
    if (!m.msgId) throw new Error(`stream seq ${m.seq} has no message id`);
    const e = byId.get(m.msgId);
    if (!e) throw new Error(`stream seq ${m.seq}: unexpected msg id ${m.msgId}`);
    if (seen.has(m.msgId)) throw new Error(`stream seq ${m.seq}: msg id ${m.msgId} stored twice`);
    seen.add(m.msgId);
    if (m.subject !== e.subject) throw new Error(`stream seq ${m.seq}: subject ${m.subject}, expected ${e.subject}`);
    const want = Buffer.from(encode(e.event, e.subject));
    if (!Buffer.from(m.data).equals(want))
      throw new Error(`stream seq ${m.seq} (${m.msgId}): body\n${Buffer.from(m.data)}\nexpected\n${want}`);
  }
  expect(seen.size).toBe(expected.length);
  // non-decreasing ts_event_ns in stream order, across all subjects
  const back = firstStepBack(stored.map((m) => m.tsEvent));
  if (back >= 0) {
    const [prev, cur] = [stored[back - 1], stored[back]];
    throw new Error(`stream seq ${cur?.seq}: ts_event ${cur?.tsEvent} < previous ${prev?.tsEvent}`);
  }
}

const freshStream = (b: Bus) => b.purge();

let bus: Bus;
beforeAll(async () => {
  bus = await startBus();
});
afterAll(async () => {
  await bus?.close();
});

async function replay(root: string, date: string, mode: 'ack' | 'batch', opts: { speed?: number; start?: bigint; end?: bigint } = {}) {
  const pub = new JetStreamPublisher(bus.nc, { mode });
  const r = new Replayer({ source: new DataRootSource(root), sink: pub, speed: opts.speed ?? 0, reorderWindowNs: 100_000_000n });
  const t0 = performance.now();
  const stats = await r.replayDate(date, opts.start, opts.end, { trades: true, mbp10: true, options: 'auto' });
  const wallMs = performance.now() - t0;
  await pub.close();
  return { stats, wallMs, pub };
}

describe.skipIf(!haveDbnFixtures)('DBN fixtures -> JetStream', () => {
  it('every record stored once, exact bytes, ts_event order, message ids; a second replay stores nothing new', async () => {
    await freshStream(bus);
    const root = fixtureDataRoot();
    const expected = [
      ...(await expectedFromFixture(join(root, 'trades', 'glbx-mdp3-20201228.trades.dbn.zst'), 'trades')),
      ...(await expectedFromFixture(join(root, 'MBP-10', 'glbx-mdp3-20201228.mbp-10.dbn.zst'), 'mbp10')),
    ];
    expect(expected).toHaveLength(4);
    const { stats } = await replay(root, '2020-12-28', 'ack');
    expect(stats.events).toBe(4);
    expect(stats.perKind).toEqual({ trades: 2, stockTrades: 0, options: 0, stockQuotes: 0, mbp10: 2 });
    checkStored(await readAll(bus.nc, 4), expected);
    const again = await replay(root, '2020-12-28', 'ack');
    expect(again.pub.stats.duplicates).toBe(4);
    expect(await bus.count()).toBe(4);
  });
});

describe('generated session -> JetStream', () => {
  let root: string;
  let date: string;
  let expected: Publishable[];
  beforeAll(async () => {
    root = tempDir('replay-gen-');
    const r = await generateSampleSession({ root, seed: 7, trades: 6000, mbp10: 3000, options: 400 });
    date = r.date;
    expected = [];
    for (const [kind, path] of [
      ['trades', r.trades],
      ['mbp10', r.mbp10],
      ['options', r.options],
    ] as const) {
      if (!path) throw new Error(`no ${kind} file generated`);
      for await (const p of mapDbnFile(path, { kind })) expected.push(p);
    }
  }, 120_000);

  for (const mode of ['batch', 'ack'] as const) {
    it(`${mode} mode: counts per subject, exact bytes, ts_event order, ids; replaying again stores nothing new`, async () => {
      await freshStream(bus);
      const { stats } = await replay(root, date, mode);
      expect(stats.events).toBe(expected.length);
      expect(stats.perKind.options).toBeGreaterThan(0);
      expect(await bus.count()).toBe(expected.length);
      const stored = await readAll(bus.nc, expected.length);
      checkStored(stored, expected);
      const again = await replay(root, date, mode);
      expect(again.stats.events).toBe(expected.length);
      expect(await bus.count()).toBe(expected.length);
      if (mode === 'ack') expect(again.pub.stats.duplicates).toBe(expected.length);
    });
  }

  it('speed 1 over ~3 s of event time takes ~3 s of wall time; speed 0 does not wait', async () => {
    // the busiest 3 s of the session
    const ts = expected.map((p) => (p.event as { ts_event_ns: bigint }).ts_event_ns).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const at = (i: number): bigint => {
      const t = ts[i];
      if (t === undefined) throw new RangeError(`no event ${i}`);
      return t;
    };
    let best = 0;
    let bestStart = at(0);
    for (let i = 0, j = 0; i < ts.length; i++) {
      while (at(i) - at(j) >= 3_000_000_000n) j++;
      if (i - j + 1 > best) [best, bestStart] = [i - j + 1, at(j)];
    }
    const start = bestStart;
    const end = bestStart + 3_000_000_000n;
    await freshStream(bus);
    const fast = await replay(root, date, 'batch', { speed: 0, start, end });
    expect(fast.stats.events).toBeGreaterThan(0);
    expect(fast.wallMs).toBeLessThan(1500);
    await freshStream(bus);
    const real = await replay(root, date, 'batch', { speed: 1, start, end });
    expect(real.stats.events).toBe(fast.stats.events);
    const span = Number(real.stats.eventSpanNs / 1_000_000n);
    expect(span).toBeGreaterThan(2000);
    expect(real.wallMs).toBeGreaterThanOrEqual(span - 5);
    expect(real.wallMs).toBeLessThan(span + 1500);
    expect(real.stats.achievedSpeed).toBeGreaterThan(0.6);
    expect(real.stats.achievedSpeed).toBeLessThanOrEqual(1.01);
    expect(await bus.count()).toBe(fast.stats.events);
  });
});
