/** Test support of the replay engine: an in-memory source, temporary data roots, a local JetStream. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DbnEncoder, type BidAskPair, type DbnMetadataInput, type Mbp10Msg, type TradeMsg } from '@md/dbn-reader';
import type { Publishable } from '@md/event-types';
import { rng } from '@md/test-support';
import { DBN_FIXTURES_DIR, haveDbnFixtures } from '@md/test-support/fixtures';
import { dayStartNs, type ReplayKind, type ReplaySource } from '../src/index.js';

export { DBN_FIXTURES_DIR, fixtureDataRoot, haveDbnFixtures, tempDir } from '@md/test-support/fixtures';
export { readAll, startBus, type Bus, type Stored } from '@md/test-support/nats';

/** An in-memory ReplaySource: per date and kind, the batches the replay reads. */
export class MemorySource implements ReplaySource {
  constructor(private readonly data: Record<string, Partial<Record<ReplayKind, Publishable[][]>>>) {}
  async availableDates(kind?: ReplayKind): Promise<string[]> {
    return Object.keys(this.data)
      .filter((d) => !kind || this.data[d]?.[kind])
      .sort();
  }
  async has(kind: ReplayKind, date: string): Promise<boolean> {
    return !!this.data[date]?.[kind];
  }
  async fileNames(date: string): Promise<string[]> {
    return Object.keys(this.data[date] ?? {}).map((k) => `${k}-${date.replace(/-/g, '')}.dbn`);
  }
  /** the batches, each filtered to [start, end) on ts_event like a file source */
  async *batches(kind: ReplayKind, date: string, range: { start?: bigint; end?: bigint } = {}): AsyncIterable<Publishable[]> {
    const inRange = (p: Publishable) => {
      const t = (p.event as { ts_event_ns: bigint }).ts_event_ns;
      return (range.start === undefined || t >= range.start) && (range.end === undefined || t < range.end);
    };
    for (const b of this.data[date]?.[kind] ?? []) yield b.filter(inRange);
  }
}

if (!haveDbnFixtures)
  console.warn(`DBN fixtures not found at ${DBN_FIXTURES_DIR} (set DBN_FIXTURES_DIR): replay-engine fixture tests skipped`);

const COMPACT_ID = 5482;
const TICK = 250_000_000n; // 0.25 in DBN fixed point (1e-9)

/**
 * A small data root written with the DBN encoder: ES trades and MBP-10 books on one date, `events` records per
 * file within `spanMs` of event time (so a real-time replay takes about that long). As in real data, records are
 * in ts_recv order and ts_event lags ts_recv by 0..`maxLagMs`, so ts_event steps back inside a file: without a
 * reorder window of at least `maxLagMs` the replay goes out of ts_event order.
 */
export async function writeCompactSession(
  root: string,
  o: {
    date?: string;
    events?: number;
    spanMs?: number;
    maxLagMs?: number;
    seed?: number;
    /** first ts_recv (default 14:30 UTC of the date) */
    t0Ns?: bigint;
    /** which files to write (default both) */
    kinds?: readonly ('trades' | 'mbp10')[];
  } = {},
): Promise<{ date: string; events: number }> {
  const date = o.date ?? '2024-03-15';
  const n = o.events ?? 200;
  const spanNs = BigInt(o.spanMs ?? 300) * 1_000_000n;
  const maxLagUs = (o.maxLagMs ?? 30) * 1000;
  const r = rng(o.seed ?? 11);
  const compact = date.replace(/-/g, '');
  const day0 = dayStartNs(date);
  const next = new Date(Number(day0 / 1_000_000n) + 86_400_000).toISOString().slice(0, 10);
  const t0 = o.t0Ns ?? day0 + 14n * 3_600_000_000_000n + 30n * 60_000_000_000n; // 14:30 UTC
  const write = new Set(o.kinds ?? ['trades', 'mbp10']);
  const meta = (schema: string): DbnMetadataInput => ({
    dataset: 'GLBX.MDP3',
    schema,
    start: day0,
    end: day0 + 86_400_000_000_000n,
    stypeIn: 'raw_symbol',
    stypeOut: 'instrument_id',
    symbols: ['ESM4'],
    mappings: [{ rawSymbol: 'ESM4', intervals: [{ startDate: date, endDate: next, symbol: String(COMPACT_ID) }] }],
  });
  /** ts_recv increasing through the span, ts_event = ts_recv - lag */
  const times = (): { recv: bigint; event: bigint }[] =>
    Array.from({ length: n }, (_, i) => {
      const recv = t0 + (spanNs * BigInt(i)) / BigInt(n) + 1000n;
      return { recv, event: recv - BigInt(Math.floor(r() * maxLagUs)) * 1000n };
    });
  mkdirSync(join(root, 'trades'), { recursive: true });
  mkdirSync(join(root, 'MBP-10'), { recursive: true });
  const hd = (ts: bigint, rtype: 0x00 | 0x0a, length: number) => ({
    length,
    rtype,
    publisher_id: 1,
    instrument_id: COMPACT_ID,
    ts_event: ts,
  });
  const px = (ticks: number) => BigInt(ticks) * TICK;
  const tEnc = write.has('trades') ? new DbnEncoder(join(root, 'trades', `glbx-mdp3-${compact}.trades.dbn`), meta('trades')) : null;
  let seq = 1000;
  for (const t of tEnc ? times() : []) {
    const rec: TradeMsg = {
      rtype: 0x00,
      hd: hd(t.event, 0x00, 12),
      price: px(20_000 + Math.floor(r() * 8)),
      size: 1 + Math.floor(r() * 5),
      action: 'T',
      side: r() < 0.5 ? 'A' : 'B',
      flags: 0x80,
      depth: 0,
      ts_recv: t.recv,
      ts_in_delta: 20_000,
      sequence: seq++,
    };
    await tEnc?.write(rec);
  }
  await tEnc?.close();
  const mEnc = write.has('mbp10') ? new DbnEncoder(join(root, 'MBP-10', `glbx-mdp3-${compact}.mbp-10.dbn`), meta('mbp-10')) : null;
  for (const t of mEnc ? times() : []) {
    const bid = 20_000 + Math.floor(r() * 8);
    const levels: BidAskPair[] = Array.from({ length: 10 }, (_, l) => ({
      bid_px: px(bid - l),
      ask_px: px(bid + 1 + l),
      bid_sz: 1 + l,
      ask_sz: 2 + l,
      bid_ct: 1,
      ask_ct: 1,
    }));
    const rec: Mbp10Msg = {
      rtype: 0x0a,
      hd: hd(t.event, 0x0a, 92),
      price: px(bid),
      size: 1,
      action: 'A',
      side: 'B',
      flags: 0x80,
      depth: 0,
      ts_recv: t.recv,
      ts_in_delta: 20_000,
      sequence: seq++,
      levels,
    };
    await mEnc?.write(rec);
  }
  await mEnc?.close();
  return { date, events: write.size * n };
}

/** ts_event_ns of a published event */
export const tsEvent = (p: Publishable): bigint => (p.event as { ts_event_ns: bigint }).ts_event_ns;

/** index of the first event whose ts_event is below its predecessor's, or -1 when non-decreasing */
export function firstStepBack(ts: readonly bigint[]): number {
  for (let i = 1; i < ts.length; i++) {
    const prev = ts[i - 1];
    const cur = ts[i];
    if (prev !== undefined && cur !== undefined && cur < prev) return i;
  }
  return -1;
}
