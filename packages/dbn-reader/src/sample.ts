/**
 * A synthetic but realistic trading session, written as real DBN files in the data-root layout
 * (see data-root.ts), deterministic from a seed: the replay demo, the tests and the benchmarks use it.
 *
 * - ES futures (`ESH5` by default), GLBX.MDP3 `trades` and `mbp-10` for one UTC day: activity
 *   follows the CME day (quiet overnight, busy around the 14:30 UTC open and the 21:00 close,
 *   halted 22:00-23:00, reopening at 23:00), with random bursty minutes and clustered arrivals.
 *   One book drives both files: trades happen at the best bid (seller aggressor, side `A`) or ask
 *   (buyer, side `B`), the mid is a random walk in 0.25 ticks around ~5900, and MBP-10 records
 *   (adds, cancels, modifies, trade prints) carry the 10 levels of that same book, with the deep
 *   levels sometimes empty. The first MBP-10 record is a snapshot (flag 0x20).
 * - Times as in real data: ts_recv = ts_event + a few hundred us, `ts_in_delta` ~20 us, records
 *   in ts_recv order, and now and then a ts_event a little earlier than the previous record's.
 * - SPY 0DTE OPRA option trades (OPRA.PILLAR `trades`) on a few strikes around the money during
 *   regular hours, priced from the ES-implied SPY level (Bachelier model with decaying time value).
 *
 * Each folder also gets a `symbology.json` in Databento's batch format.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UNDEF_PRICE } from '@md/event-types';
import { DbnEncoder } from './encoder.js';
import { at, f64At, intAt } from './indexing.js';
import type { DbnMetadataInput } from './metadata.js';
import type { BidAskPair, Mbp10Msg, TradeMsg } from './records.js';
import { dateToNs } from './symbology.js';

export interface SampleSessionOptions {
  /** data root to write into (folders are created) */
  root: string;
  /** UTC date `YYYY-MM-DD` (default 2025-01-02) */
  date?: string;
  /** PRNG seed (default 1): same seed and options -> identical bytes */
  seed?: number;
  /** ES trade records (default 300,000; 0 writes no trades file) */
  trades?: number;
  /** ES MBP-10 records (default 150,000; 0 writes no MBP-10 file) */
  mbp10?: number;
  /** SPY option trade records (default 20,000; 0 writes no options file) */
  options?: number;
  /** 'zstd' (default, `.dbn.zst`) or 'none' (`.dbn`) */
  compression?: 'zstd' | 'none';
  /** futures raw symbol (default `ESH5`) */
  futuresSymbol?: string;
}

export interface SampleSessionResult {
  date: string;
  /** every file written (DBN files and symbology.json), absolute or as joined from root */
  files: string[];
  trades: string | null;
  mbp10: string | null;
  options: string | null;
  counts: { trades: number; mbp10: number; options: number };
  instruments: { futures: { symbol: string; instrumentId: number }; options: Array<{ symbol: string; instrumentId: number }> };
}

export const SAMPLE_DEFAULTS = Object.freeze({ date: '2025-01-02', seed: 1, trades: 300_000, mbp10: 150_000, options: 20_000 });

/** ES instrument id used by the sample (arbitrary, u32). */
export const SAMPLE_ES_INSTRUMENT_ID = 42_140_878;
const OPT_ID_BASE = 1_291_845_000;

const TICK = 250_000_000n; // 0.25 in fixed-point 1e-9
const MIN_NS = 60_000_000_000;

/** sfc32 seeded through splitmix32: fast, 128-bit state, deterministic. */
function makeRng(seed: number): () => number {
  let s = seed >>> 0;
  const sm = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

const expRand = (rng: () => number, mean: number): number => -Math.log(1 - rng()) * mean;

/** Relative activity of each UTC minute of the day for CME equity-index futures. */
function futuresMinuteWeights(rng: () => number): Float64Array {
  const w = new Float64Array(1440);
  for (let m = 0; m < 1440; m++) {
    const h = m / 60;
    let base: number;
    if (h >= 22 && h < 23)
      base = 0; // daily maintenance halt
    else if (h >= 23)
      base = 0.25; // next session's open
    else if (h < 7)
      base = 0.15; // Asia
    else if (h < 13.5)
      base = 0.3; // Europe
    else if (h < 14.5)
      base = 0.8; // US pre-open, data releases
    else if (h < 15.5)
      base = 3.0; // cash open
    else if (h < 19.5) base = 1.2;
    else if (h < 21)
      base = 2.2; // into the cash close
    else base = 0.4;
    if (base > 0) {
      base *= Math.exp((rng() - 0.5) * 0.8); // minute-to-minute noise
      if (rng() < 0.02) base *= 4 + rng() * 6; // a burst minute (news, sweeps)
    }
    w[m] = base;
  }
  return w;
}

/** Regular-hours (14:30-21:00 UTC) activity for options: U-shaped. */
function optionsMinuteWeights(rng: () => number): Float64Array {
  const w = new Float64Array(1440);
  for (let m = 14 * 60 + 30; m < 21 * 60; m++) {
    const x = (m - (14 * 60 + 30)) / 390; // 0..1 through the session
    let base = 0.6 + 2.2 * (x - 0.5) * (x - 0.5) * 4 * 0.5 + (x > 0.92 ? 1.5 : 0); // 0DTE activity rises into the close
    base *= Math.exp((rng() - 0.5) * 0.8);
    if (rng() < 0.02) base *= 3 + rng() * 4;
    w[m] = base;
  }
  return w;
}

/** Splits n over the minutes in proportion to the weights (cumulative rounding: sums to n exactly). */
function allocate(n: number, w: Float64Array): Int32Array {
  let total = 0;
  for (const x of w) total += x;
  const out = new Int32Array(w.length);
  if (total === 0 || n === 0) return out;
  let cum = 0;
  let prev = 0;
  w.forEach((x, i) => {
    cum += x;
    const upto = i === w.length - 1 ? n : Math.round((cum / total) * n);
    out[i] = upto - prev;
    prev = upto;
  });
  return out;
}

/** n clustered arrival offsets (ns, ascending) within [0, 60 s): a mix of bursts and quiet gaps. */
function minuteArrivals(n: number, rng: () => number, buf: Float64Array): Float64Array {
  const out = buf.length >= n ? buf.subarray(0, n) : new Float64Array(n);
  if (n === 0) return out;
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += rng() < 0.35 ? expRand(rng, 0.03) : expRand(rng, 1);
    out[i] = t;
  }
  const scale = (MIN_NS - 1) / (t + expRand(rng, 1));
  out.forEach((x, i) => (out[i] = Math.floor(x * scale)));
  return out;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf). */
function normCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

const yymmdd = (date: string): string => date.slice(2, 4) + date.slice(5, 7) + date.slice(8, 10);

/** OSI raw symbol: root padded to 6, YYMMDD, C|P, strike x 1000 as 8 digits. */
export function osiSymbol(root: string, date: string, right: 'C' | 'P', strike: number): string {
  return `${root.padEnd(6, ' ')}${yymmdd(date)}${right}${String(Math.round(strike * 1000)).padStart(8, '0')}`;
}

function nextDate(date: string): string {
  return new Date(Number(dateToNs(date) / 1_000_000n) + 86_400_000).toISOString().slice(0, 10);
}

function metadataFor(
  dataset: string,
  schema: string,
  date: string,
  ids: Array<{ symbol: string; instrumentId: number }>,
): DbnMetadataInput {
  const end = nextDate(date);
  return {
    dataset,
    schema,
    start: dateToNs(date),
    end: dateToNs(end),
    limit: 0n,
    stypeIn: 'raw_symbol',
    stypeOut: 'instrument_id',
    symbols: ids.map((x) => x.symbol),
    mappings: ids.map((x) => ({ rawSymbol: x.symbol, intervals: [{ startDate: date, endDate: end, symbol: String(x.instrumentId) }] })),
  };
}

function symbologyJson(date: string, ids: Array<{ symbol: string; instrumentId: number }>): string {
  const end = nextDate(date);
  const result: Record<string, Array<{ d0: string; d1: string; s: string }>> = {};
  for (const x of ids) result[x.symbol] = [{ d0: date, d1: end, s: String(x.instrumentId) }];
  return (
    JSON.stringify(
      {
        result,
        symbols: ids.map((x) => x.symbol),
        stype_in: 'raw_symbol',
        stype_out: 'instrument_id',
        start_date: date,
        end_date: end,
        partial: [],
        not_found: [],
        message: 'OK',
        status: 0,
      },
      null,
      2,
    ) + '\n'
  );
}

/** Writes the sample session (see the module comment) and returns what it wrote. */
export async function generateSampleSession(opts: SampleSessionOptions): Promise<SampleSessionResult> {
  const date = opts.date ?? SAMPLE_DEFAULTS.date;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new RangeError(`generateSampleSession: date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const seed = opts.seed ?? SAMPLE_DEFAULTS.seed;
  const nTrades = opts.trades ?? SAMPLE_DEFAULTS.trades;
  const nMbp = opts.mbp10 ?? SAMPLE_DEFAULTS.mbp10;
  const nOpt = opts.options ?? SAMPLE_DEFAULTS.options;
  for (const [k, v] of [
    ['trades', nTrades],
    ['mbp10', nMbp],
    ['options', nOpt],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`generateSampleSession: ${k} must be an integer >= 0, got ${v}`);
  }
  const zstd = (opts.compression ?? 'zstd') === 'zstd';
  const ext = zstd ? '.dbn.zst' : '.dbn';
  const futSym = opts.futuresSymbol ?? 'ESH5';
  const compact = date.replaceAll('-', '');
  const day0 = dateToNs(date);
  const root = opts.root;
  const files: string[] = [];

  const rng = makeRng(seed);
  const esId = { symbol: futSym, instrumentId: SAMPLE_ES_INSTRUMENT_ID };
  const esIds = [esId];

  // ---- ES: one book drives trades and MBP-10 --------------------------------------------------
  let tradesPath: string | null = null;
  let mbpPath: string | null = null;
  let tEnc: DbnEncoder | null = null;
  let mEnc: DbnEncoder | null = null;
  const encOpts = { compression: zstd ? ('zstd' as const) : ('none' as const) };
  if (nTrades > 0 || nMbp > 0) {
    await mkdir(join(root, 'trades'), { recursive: true });
    await mkdir(join(root, 'MBP-10'), { recursive: true });
  }
  if (nTrades > 0) {
    tradesPath = join(root, 'trades', `glbx-mdp3-${compact}.trades${ext}`);
    tEnc = new DbnEncoder(tradesPath, metadataFor('GLBX.MDP3', 'trades', date, esIds), encOpts);
  }
  if (nMbp > 0) {
    mbpPath = join(root, 'MBP-10', `glbx-mdp3-${compact}.mbp-10${ext}`);
    mEnc = new DbnEncoder(mbpPath, metadataFor('GLBX.MDP3', 'mbp-10', date, esIds), encOpts);
  }

  // book state: bid level i at tick (bid0 - i), ask level i at (bid0 + 1 + i)
  let bid0 = 23_600 + Math.round((rng() - 0.5) * 80); // ~5900
  const bidSz = new Int32Array(10);
  const askSz = new Int32Array(10);
  // fixed-point prices of ticks, cached (BigInt arithmetic per level per record is the hot spot)
  const pxCache = new Map<number, bigint>();
  const pxOf = (tick: number): bigint => {
    let v = pxCache.get(tick);
    if (v === undefined) {
      v = BigInt(tick) * TICK;
      pxCache.set(tick, v);
    }
    return v;
  };
  const newSize = (lvl: number): number => 5 + Math.floor(rng() * (20 + lvl * 12));
  for (let i = 0; i < 10; i++) {
    bidSz[i] = newSize(i);
    askSz[i] = newSize(i);
  }
  let bidDepth = 10;
  let askDepth = 10;
  // probability that a trade moves the price one tick: keeps a day's range realistic at any size
  const moveProb = Math.min(0.3, Math.max(0.002, 25_000 / Math.max(1, nTrades)));
  let momentum = 0;
  let seq = 10_000_000 + Math.floor(rng() * 1_000_000);
  const minuteMid = new Float64Array(1440);

  const trade: TradeMsg = {
    rtype: 0x00,
    hd: { length: 12, rtype: 0x00, publisher_id: 1, instrument_id: SAMPLE_ES_INSTRUMENT_ID, ts_event: 0n },
    price: 0n,
    size: 0,
    action: 'T',
    side: 'N',
    flags: 0x80,
    depth: 0,
    ts_recv: 0n,
    ts_in_delta: 0,
    sequence: 0,
  };
  const levels: BidAskPair[] = [];
  for (let i = 0; i < 10; i++) levels.push({ bid_px: UNDEF_PRICE, ask_px: UNDEF_PRICE, bid_sz: 0, ask_sz: 0, bid_ct: 0, ask_ct: 0 });
  const book: Mbp10Msg = {
    rtype: 0x0a,
    hd: { length: 92, rtype: 0x0a, publisher_id: 1, instrument_id: SAMPLE_ES_INSTRUMENT_ID, ts_event: 0n },
    price: 0n,
    size: 0,
    action: 'A',
    side: 'N',
    flags: 0x80,
    depth: 0,
    ts_recv: 0n,
    ts_in_delta: 0,
    sequence: 0,
    levels,
  };
  const fillLevels = (): void => {
    levels.forEach((l, i) => {
      if (i < bidDepth) {
        l.bid_px = pxOf(bid0 - i);
        l.bid_sz = intAt(bidSz, i);
        l.bid_ct = 1 + Math.floor(intAt(bidSz, i) / 3);
      } else {
        l.bid_px = UNDEF_PRICE;
        l.bid_sz = 0;
        l.bid_ct = 0;
      }
      if (i < askDepth) {
        l.ask_px = pxOf(bid0 + 1 + i);
        l.ask_sz = intAt(askSz, i);
        l.ask_ct = 1 + Math.floor(intAt(askSz, i) / 3);
      } else {
        l.ask_px = UNDEF_PRICE;
        l.ask_sz = 0;
        l.ask_ct = 0;
      }
    });
  };
  /** the book moves one tick up (+1) or down (-1): levels shift, a fresh level appears at the far end */
  const shift = (dir: 1 | -1): void => {
    bid0 += dir;
    const [grow, shrink] = dir === 1 ? [bidSz, askSz] : [askSz, bidSz];
    // the side the price moves into loses its best level; the other gains a new best level
    shrink.copyWithin(0, 1); // levels 1..9 move to 0..8
    shrink[9] = newSize(9);
    grow.copyWithin(1, 0, 9); // levels 0..8 move to 1..9
    grow[0] = 1 + Math.floor(rng() * 8);
    if (dir === 1) {
      bidDepth = Math.min(10, bidDepth + 1);
      if (askDepth < 10) askDepth = Math.max(1, askDepth - 1);
    } else {
      askDepth = Math.min(10, askDepth + 1);
      if (bidDepth < 10) bidDepth = Math.max(1, bidDepth - 1);
    }
  };

  let lastRecvT = 0n;
  let lastRecvM = 0n;
  let lastEventT = 0n;
  let lastEventM = 0n;
  /** ts_event / ts_recv / ts_in_delta for an event at offset `t` (ns) into the day */
  const stamp = (
    rec: { hd: { ts_event: bigint }; ts_recv: bigint; ts_in_delta: number },
    t: number,
    lastEvent: bigint,
    lastRecv: bigint,
  ): void => {
    let ev = day0 + BigInt(t);
    // now and then an event that reached the capture server late: ts_event steps back a little
    if (lastEvent > 0n && rng() < 0.004) ev = lastEvent - BigInt(1 + Math.floor(rng() * 150_000));
    const inDelta = 12_000 + Math.floor(rng() * 18_000);
    let recv = ev + BigInt(50_000 + Math.floor(expRand(rng, 200_000)) + inDelta);
    if (recv <= lastRecv) recv = lastRecv + 1n;
    rec.hd.ts_event = ev;
    rec.ts_recv = recv;
    rec.ts_in_delta = inDelta;
  };

  let tDone = 0;
  let mDone = 0;
  if (nTrades > 0 || nMbp > 0) {
    const wT = futuresMinuteWeights(rng);
    const perMinT = allocate(nTrades, wT);
    // MBP-10 updates follow the same activity profile (with their own noise)
    const wM = new Float64Array(1440);
    wT.forEach((x, m) => (wM[m] = x * Math.exp((rng() - 0.5) * 0.4)));
    const perMinM = allocate(nMbp, wM);
    let bufT = new Float64Array(4096);
    let bufM = new Float64Array(4096);
    let first = true;
    for (let m = 0; m < 1440; m++) {
      const nt = intAt(perMinT, m);
      const nm = intAt(perMinM, m);
      if (bufT.length < nt) bufT = new Float64Array(nt * 2);
      if (bufM.length < nm) bufM = new Float64Array(nm * 2);
      // arrival offsets of this minute's trades and book updates, merged in time order below
      const tArr = minuteArrivals(nt, rng, bufT);
      const mArr = minuteArrivals(nm, rng, bufM);
      const base = m * MIN_NS;
      let i = 0;
      let j = 0;
      while (i < nt || j < nm) {
        const isTrade = j >= nm || (i < nt && f64At(tArr, i) <= f64At(mArr, j));
        seq += 1 + (rng() < 0.3 ? 1 : 0);
        if (isTrade) {
          const t = base + f64At(tArr, i++);
          // aggressor with some persistence (order flow is autocorrelated)
          const r = rng();
          const side = r < 0.01 ? 'N' : rng() < 0.5 + momentum * 0.15 ? 'B' : 'A';
          const buy = side === 'B' || (side === 'N' && r < 0.005);
          momentum = momentum * 0.9 + (buy ? 0.1 : -0.1);
          let size = 1 + Math.floor(expRand(rng, 2.5));
          if (rng() < 0.02) size *= 5 + Math.floor(rng() * 20);
          trade.side = side;
          trade.size = size;
          trade.price = pxOf(buy ? bid0 + 1 : bid0);
          trade.sequence = seq;
          trade.flags = 0x80;
          stamp(trade, t, lastEventT, lastRecvT);
          lastEventT = trade.hd.ts_event;
          lastRecvT = trade.ts_recv;
          if (tEnc !== null) {
            const pw = tEnc.write(trade); // a promise only when the encoder flushed: await it before reusing the record
            if (pw !== undefined) await pw;
          }
          tDone++;
          // the trade takes liquidity from the best level it hit
          const lvl = buy ? askSz : bidSz;
          lvl[0] = intAt(lvl, 0) - size;
          if (intAt(lvl, 0) <= 0 || rng() < moveProb) shift(buy ? 1 : -1);
          if (intAt(lvl, 0) <= 0) lvl[0] = 1 + Math.floor(rng() * 5);
        } else {
          const t = base + f64At(mArr, j++);
          let action: string;
          let side: 'A' | 'B' = rng() < 0.5 ? 'B' : 'A';
          let depth = Math.min(9, Math.floor(expRand(rng, 2.2)));
          let px: bigint;
          let size: number;
          let flags = 0x80;
          if (first) {
            action = 'R';
            side = 'B';
            depth = 0;
            flags = 0x80 | 0x20; // the session's first record: a book snapshot
            first = false;
            px = UNDEF_PRICE;
            size = 0;
          } else {
            const sz = side === 'B' ? bidSz : askSz;
            const d = side === 'B' ? bidDepth : askDepth;
            const r = rng();
            if (rng() < 0.003) {
              // a thin moment: the deep levels of one side empty out
              const nd = 6 + Math.floor(rng() * 4);
              if (side === 'B') bidDepth = Math.min(bidDepth, nd);
              else askDepth = Math.min(askDepth, nd);
            }
            if (depth >= d) {
              // refill the first empty level
              depth = d;
              action = 'A';
              size = newSize(depth);
              sz[depth] = size;
              if (side === 'B') bidDepth = Math.min(10, bidDepth + 1);
              else askDepth = Math.min(10, askDepth + 1);
            } else if (r < 0.45) {
              action = 'A';
              size = 1 + Math.floor(expRand(rng, 4));
              sz[depth] = intAt(sz, depth) + size;
            } else if (r < 0.85) {
              action = 'C';
              size = Math.min(intAt(sz, depth) - 1, 1 + Math.floor(expRand(rng, 4)));
              if (size <= 0) {
                action = 'A';
                size = 1 + Math.floor(rng() * 4);
                sz[depth] = intAt(sz, depth) + size;
              } else sz[depth] = intAt(sz, depth) - size;
            } else if (r < 0.95) {
              action = 'M';
              size = 1 + Math.floor(expRand(rng, 4));
              const cur = intAt(sz, depth);
              sz[depth] = Math.max(1, cur + (rng() < 0.5 ? -1 : 1) * Math.min(size, cur - 1));
            } else {
              // a trade print in the book feed, at the touch
              action = 'T';
              depth = 0;
              size = 1 + Math.floor(expRand(rng, 2.5));
              side = rng() < 0.5 ? 'B' : 'A';
            }
            px = action === 'T' ? pxOf(side === 'B' ? bid0 + 1 : bid0) : pxOf(side === 'B' ? bid0 - depth : bid0 + 1 + depth);
          }
          fillLevels();
          book.action = action;
          book.side = side;
          book.depth = depth;
          book.price = px;
          book.size = size;
          book.flags = flags;
          book.sequence = seq;
          stamp(book, t, lastEventM, lastRecvM);
          lastEventM = book.hd.ts_event;
          lastRecvM = book.ts_recv;
          if (mEnc !== null) {
            const pw = mEnc.write(book); // a promise only when the encoder flushed: await it before reusing the record
            if (pw !== undefined) await pw;
          }
          mDone++;
        }
      }
      minuteMid[m] = bid0 + 0.5;
    }
  }
  if (tEnc !== null) await tEnc.close();
  if (mEnc !== null) await mEnc.close();
  if (tradesPath !== null) {
    files.push(tradesPath);
    const p = join(root, 'trades', 'symbology.json');
    await writeFile(p, symbologyJson(date, esIds));
    files.push(p);
  }
  if (mbpPath !== null) {
    files.push(mbpPath);
    const p = join(root, 'MBP-10', 'symbology.json');
    await writeFile(p, symbologyJson(date, esIds));
    files.push(p);
  }

  // ---- SPY 0DTE options -------------------------------------------------------------------------
  const optIds: Array<{ symbol: string; instrumentId: number }> = [];
  let optPath: string | null = null;
  let oDone = 0;
  if (nOpt > 0) {
    // fill minutes without futures activity with the last known mid (or the start level)
    let last = bid0 + 0.5;
    minuteMid.forEach((x, m) => {
      if (x === 0) minuteMid[m] = last;
      else last = x;
    });
    const spyAt = (m: number): number => (f64At(minuteMid, m) * 0.25) / 10 - 1.6; // SPY ~ ES/10 less a basis
    const open = 14 * 60 + 30;
    const atm = Math.round(spyAt(open));
    const strikes: number[] = [];
    for (let k = -3; k <= 3; k++) strikes.push(atm + k);
    const contracts: Array<{ strike: number; right: 'C' | 'P'; id: number; symbol: string }> = [];
    for (const s of strikes) {
      for (const right of ['C', 'P'] as const) {
        const id = OPT_ID_BASE + contracts.length;
        const symbol = osiSymbol('SPY', date, right, s);
        contracts.push({ strike: s, right, id, symbol });
        optIds.push({ symbol, instrumentId: id });
      }
    }
    await mkdir(join(root, 'options'), { recursive: true });
    optPath = join(root, 'options', `opra-pillar-${compact}.trades${ext}`);
    const oEnc = new DbnEncoder(optPath, metadataFor('OPRA.PILLAR', 'trades', date, optIds), encOpts);
    const ot: TradeMsg = {
      rtype: 0x00,
      hd: { length: 12, rtype: 0x00, publisher_id: 30, instrument_id: 0, ts_event: 0n },
      price: 0n,
      size: 0,
      action: 'T',
      side: 'N',
      flags: 0x80,
      depth: 0,
      ts_recv: 0n,
      ts_in_delta: 0,
      sequence: 0,
    };
    const perMin = allocate(nOpt, optionsMinuteWeights(rng));
    let buf = new Float64Array(4096);
    let oseq = 1_000 + Math.floor(rng() * 1000);
    let lastRecv = 0n;
    let lastEvent = 0n;
    const close = 21 * 60;
    const w = new Float64Array(contracts.length);
    for (let m = 0; m < 1440; m++) {
      const n = intAt(perMin, m);
      if (n === 0) continue;
      if (buf.length < n) buf = new Float64Array(n * 2);
      const arrivals = minuteArrivals(n, rng, buf);
      const S = spyAt(m);
      const sigma = 0.009 * S * Math.sqrt(Math.max(close - m, 1) / 390); // $ over the rest of the day
      // near-the-money contracts trade most
      let wsum = 0;
      contracts.forEach((k, c) => {
        const x = (k.strike - S) / Math.max(sigma, 0.3);
        const wc = Math.exp(-0.5 * x * x) + 0.05;
        w[c] = wc;
        wsum += wc;
      });
      for (let i = 0; i < n; i++) {
        let r = rng() * wsum;
        let c = 0;
        while (c < contracts.length - 1 && (r -= f64At(w, c)) > 0) c++;
        const k = at(contracts, c);
        const d = k.right === 'C' ? (S - k.strike) / sigma : (k.strike - S) / sigma;
        const intrinsic = Math.max(0, k.right === 'C' ? S - k.strike : k.strike - S);
        const value =
          (k.right === 'C' ? S - k.strike : k.strike - S) * normCdf(d) + (sigma * Math.exp(-0.5 * d * d)) / Math.sqrt(2 * Math.PI);
        const fair = Math.max(intrinsic, value);
        const half = Math.max(0.01, Math.round(fair * 0.02 * 100) / 100);
        const sr = rng();
        const side = sr < 0.45 ? 'B' : sr < 0.9 ? 'A' : 'N';
        const cents = Math.max(1, Math.round((fair + (side === 'B' ? half : side === 'A' ? -half : 0)) * 100));
        ot.price = BigInt(cents) * 10_000_000n;
        ot.size = 1 + Math.floor(expRand(rng, rng() < 0.05 ? 40 : 4));
        ot.side = side;
        ot.hd.instrument_id = k.id;
        ot.hd.publisher_id = 20 + Math.floor(rng() * 18); // one of the OPRA venues
        oseq += 1 + Math.floor(rng() * 40);
        ot.sequence = oseq;
        stamp(ot, m * MIN_NS + f64At(arrivals, i), lastEvent, lastRecv);
        lastEvent = ot.hd.ts_event;
        lastRecv = ot.ts_recv;
        const pw = oEnc.write(ot); // a promise only when the encoder flushed: await it before reusing the record
        if (pw !== undefined) await pw;
        oDone++;
      }
    }
    await oEnc.close();
    files.push(optPath);
    const p = join(root, 'options', 'symbology.json');
    await writeFile(p, symbologyJson(date, optIds));
    files.push(p);
  }

  return {
    date,
    files,
    trades: tradesPath,
    mbp10: mbpPath,
    options: optPath,
    counts: { trades: tDone, mbp10: mDone, options: oDone },
    instruments: { futures: esId, options: optIds },
  };
}
