/**
 * One deterministic tape of vendor events (stock and option trades and quotes) that the fake WebSocket
 * vendor plays live (`FakeVendor.play`) and the fake REST server serves as history (`FakeRest`), so that a
 * test can compare what a client got from both copies with the one truth.
 *
 * What the tape is made to contain, because the live ingestor's identity and backfill rules depend on it:
 * - bursts: several events in the same millisecond, some with the very same nanosecond;
 * - sip timestamps with nanosecond digits (never a multiple of 1e6), so ms <-> ns conversions show;
 * - stock trade ids that repeat across exchanges (ids are unique per exchange only), some with leading zeros;
 * - runs of identical option trades (same contract, ms, exchange, price, size, conditions);
 * - conditions absent (`null`), empty (`[]`) and present;
 * - a quote of every symbol before its first trade (option aggressor logic needs a book);
 * - prices on a cent grid; the stock around 676 drifting slowly.
 * Sequence numbers are one series per (kind, symbol), increasing in time with gaps.
 */
import { Rng } from './prng.js';

export interface TapeTrade {
  kind: 'T';
  sym: string;
  sipNs: bigint;
  seq: number;
  x: number;
  p: number;
  s: number;
  c: number[] | null;
  /** stock trades: the trade id string (unique per exchange only); options: null */
  i: string | null;
  /** tape (1/2/3), stock events only */
  z?: number;
}

export interface TapeQuote {
  kind: 'Q';
  sym: string;
  sipNs: bigint;
  seq: number;
  bx: number;
  bp: number;
  bs: number;
  ax: number;
  ap: number;
  as: number;
  z?: number;
}

export type TapeEvent = TapeTrade | TapeQuote;

export interface TapeOptions {
  seed: number;
  /** Unix ms of the first event (the opening quotes) */
  startMs: number;
  /** events fall in [startMs, startMs + durationMs) */
  durationMs: number;
  /** events per second over all symbols */
  rate: number;
  /** the stock symbol (default 'SPY') */
  stockSymbol?: string;
  /** option tickers (`O:...`); default none */
  optionSymbols?: string[];
  /** fraction of the events on options (default 0.3 when optionSymbols are given, else 0) */
  optionShare?: number;
}

const NS_PER_MS = 1_000_000n;
const STOCK_EXCHANGES = [11, 12, 15, 19, 21] as const; // ids counted per exchange from the same base: they repeat
const PADDED_EXCHANGE = 10; // ids written with 8 digits, leading zeros
const TRF_EXCHANGE = 4; // long FINRA TRF ids
const OPTION_EXCHANGES = [302, 303, 307, 308, 312, 313, 316, 319, 322, 323, 325] as const;
const STOCK_TRADE_CONDS: (number[] | null)[] = [null, null, null, [], [37], [12, 37], [14, 41], [12]];
const OPTION_TRADE_CONDS: (number[] | null)[] = [null, [], [209], [209], [219], [233], [227]];

const cents = (x: number): number => Math.round(x * 100) / 100;

/** the item key of an event: `T.SYM` / `Q.SYM` (the WebSocket subscription item) */
export function itemOf(e: { kind: 'T' | 'Q'; sym: string }): string {
  return `${e.kind}.${e.sym}`;
}

/** the vendor millisecond of an event: floor(sipNs / 1e6) */
export function msOf(e: { sipNs: bigint }): number {
  return Number(e.sipNs / NS_PER_MS);
}

/** (sipNs, seq) order */
export function compareEvents(a: { sipNs: bigint; seq: number }, b: { sipNs: bigint; seq: number }): number {
  if (a.sipNs !== b.sipNs) return a.sipNs < b.sipNs ? -1 : 1;
  return a.seq - b.seq;
}

/** index of the first event of `xs` (sorted by (sipNs, seq)) at or after (ns, seq) */
export function lowerBound(xs: readonly TapeEvent[], ns: bigint, seq: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = xs[mid] as TapeEvent;
    if (e.sipNs < ns || (e.sipNs === ns && e.seq < seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface Draft {
  ev: Omit<TapeTrade, 'seq'> | Omit<TapeQuote, 'seq'>;
  order: number;
}

interface SymState {
  sym: string;
  option: boolean;
  mid: number;
  halfSpread: number;
  /** the last option trade, for identical runs */
  lastTrade?: Omit<TapeTrade, 'seq' | 'sipNs'>;
}

export class Tape {
  readonly events: readonly TapeEvent[];
  /** the symbols on the tape: the stock first, then the options */
  readonly symbols: readonly string[];
  private readonly items = new Map<string, TapeEvent[]>();

  private constructor(
    readonly options: TapeOptions,
    events: TapeEvent[],
    symbols: string[],
  ) {
    this.events = events;
    this.symbols = symbols;
    for (const e of events) {
      const k = itemOf(e);
      let xs = this.items.get(k);
      if (!xs) this.items.set(k, (xs = []));
      xs.push(e);
    }
  }

  static generate(o: TapeOptions): Tape {
    if (!Number.isSafeInteger(o.startMs) || o.startMs < 1e12) throw new RangeError(`Tape: startMs must be Unix ms, got ${o.startMs}`);
    if (!(o.durationMs >= 1)) throw new RangeError(`Tape: durationMs must be >= 1, got ${o.durationMs}`);
    if (!(o.rate > 0)) throw new RangeError(`Tape: rate must be > 0, got ${o.rate}`);
    const r = new Rng(o.seed);
    const stock = o.stockSymbol ?? 'SPY';
    const optionSyms = o.optionSymbols ?? [];
    for (const s of optionSyms) if (!s.startsWith('O:')) throw new RangeError(`Tape: option symbol ${s} lacks the O: prefix`);
    const optionShare = optionSyms.length ? (o.optionShare ?? 0.3) : 0;
    const states: SymState[] = [
      { sym: stock, option: false, mid: 676 + r.int(0, 100) / 100, halfSpread: 0.005 },
      ...optionSyms.map((sym) => ({ sym, option: true, mid: 0.5 + r.int(0, 1500) / 100, halfSpread: 0.01 * r.int(1, 3) })),
    ];
    const stockState = states[0] as SymState;
    const optionStates = states.slice(1);
    const tradeIds = new Map<number, number>();
    for (const x of STOCK_EXCHANGES) tradeIds.set(x, 52_000);
    tradeIds.set(PADDED_EXCHANGE, 220_700);
    let trfId = 71_675_577_324_000;

    const drafts: Draft[] = [];
    let order = 0;
    const add = (ev: Draft['ev']) => drafts.push({ ev, order: order++ });

    const quote = (st: SymState, ms: number, off: number): Omit<TapeQuote, 'seq'> => {
      const bp = Math.max(0, cents(st.mid - st.halfSpread - (st.option ? 0 : 0.005)));
      const ap = cents(Math.max(bp + 0.01, st.mid + st.halfSpread + (st.option ? 0 : 0.005)));
      const q: Omit<TapeQuote, 'seq'> = {
        kind: 'Q',
        sym: st.sym,
        sipNs: BigInt(ms) * NS_PER_MS + BigInt(off),
        bx: st.option ? r.pick(OPTION_EXCHANGES) : r.pick([11, 12, 15, 19]),
        bp,
        bs: st.option ? r.int(1, 400) : 100 * r.int(1, 40) + r.pick([0, 0, 0, 37]),
        ax: st.option ? r.pick(OPTION_EXCHANGES) : r.pick([11, 12, 15, 19]),
        ap,
        as: st.option ? r.int(1, 400) : 100 * r.int(1, 40),
      };
      if (!st.option) q.z = 2;
      return q;
    };
    const trade = (st: SymState, ms: number, off: number): Omit<TapeTrade, 'seq'> => {
      const sipNs = BigInt(ms) * NS_PER_MS + BigInt(off);
      const side = r.next() < 0.5 ? -1 : 1;
      const p = Math.max(0.01, cents(st.mid + side * st.halfSpread + (st.option ? 0 : side * 0.005)));
      if (st.option) {
        const t: Omit<TapeTrade, 'seq' | 'sipNs'> = {
          kind: 'T',
          sym: st.sym,
          x: r.pick(OPTION_EXCHANGES),
          p,
          s: r.pick([1, 1, 1, 2, 5, 10, 20, 40]),
          c: r.pick(OPTION_TRADE_CONDS),
          i: null,
        };
        st.lastTrade = t;
        return { ...t, c: t.c && [...t.c], sipNs };
      }
      const u = r.next();
      let x: number;
      let i: string;
      if (u < 0.2) {
        x = TRF_EXCHANGE;
        i = String((trfId += r.int(1, 40)));
      } else if (u < 0.3) {
        x = PADDED_EXCHANGE;
        const n = (tradeIds.get(x) ?? 0) + 1;
        tradeIds.set(x, n);
        i = String(n).padStart(8, '0');
      } else {
        x = r.pick(STOCK_EXCHANGES);
        const n = (tradeIds.get(x) ?? 0) + 1;
        tradeIds.set(x, n);
        i = String(n);
      }
      const c = r.pick(STOCK_TRADE_CONDS);
      return { kind: 'T', sym: st.sym, sipNs, x, p, s: r.pick([1, 5, 10, 37, 100, 100, 100, 200, 500]), c: c && [...c], i, z: 2 };
    };

    // the opening: one quote per symbol in the first millisecond, before any trade
    for (const st of states) add(quote(st, o.startMs, r.int(1, 999_999)));

    const total = Math.max(states.length, Math.round((o.rate * o.durationMs) / 1000));
    const clusterMs: number[] = [];
    let planned = states.length;
    const sizes: number[] = [];
    while (planned < total) {
      const k = Math.min(total - planned, r.next() < 0.5 ? 1 : r.int(2, 6));
      sizes.push(k);
      planned += k;
      clusterMs.push(o.durationMs > 1 ? o.startMs + r.int(1, o.durationMs - 1) : o.startMs);
    }
    clusterMs.sort((a, b) => a - b);
    clusterMs.forEach((ms, ci) => {
      const k = sizes[ci] as number;
      // sub-ms offsets, sorted; some repeat the previous one exactly (same ns)
      const offs: number[] = [];
      for (let j = 0; j < k; j++) offs.push(j > 0 && r.next() < 0.15 ? (offs[j - 1] as number) : r.int(1, 999_999));
      offs.sort((a, b) => a - b);
      let j = 0;
      while (j < k) {
        const off = offs[j] as number;
        const st = optionStates.length && r.next() < optionShare ? r.pick(optionStates) : stockState;
        // a slow drift of the mid on the cent grid
        if (r.next() < 0.05) st.mid = Math.max(0.05, cents(st.mid + (r.next() < 0.5 ? -0.01 : 0.01)));
        if (r.next() < 0.5) {
          add(quote(st, ms, off));
          j++;
          continue;
        }
        const t = trade(st, ms, off);
        add(t);
        j++;
        // identical option trades in the same millisecond (a sweep printed as several equal prints)
        if (st.option && st.lastTrade && j < k && r.next() < 0.35) {
          const run = r.int(1, k - j);
          for (let n = 0; n < run; n++, j++)
            add({ ...st.lastTrade, c: st.lastTrade.c && [...st.lastTrade.c], sipNs: BigInt(ms) * NS_PER_MS + BigInt(offs[j] as number) });
        }
      }
    });

    drafts.sort((a, b) => (a.ev.sipNs === b.ev.sipNs ? a.order - b.order : a.ev.sipNs < b.ev.sipNs ? -1 : 1));
    const seqs = new Map<string, number>();
    const base = (k: 'T' | 'Q', option: boolean) =>
      option ? (k === 'T' ? 1_193_224_000 : 790_000_000) : k === 'T' ? 9_125_000 : 83_515_000;
    const events: TapeEvent[] = drafts.map(({ ev }) => {
      const key = itemOf(ev);
      const prev = seqs.get(key) ?? base(ev.kind, ev.sym.startsWith('O:')) + r.int(0, 999);
      const seq = prev + r.int(1, 3);
      seqs.set(key, seq);
      return { ...ev, seq } as TapeEvent;
    });
    events.sort(compareEvents);
    return new Tape(o, events, [stock, ...optionSyms]);
  }

  /** ns of the tape's first and last event */
  get firstNs(): bigint {
    return this.events[0]?.sipNs ?? 0n;
  }
  get lastNs(): bigint {
    return this.events.at(-1)?.sipNs ?? 0n;
  }

  /** the events of one item (`T.SYM` / `Q.SYM`), sorted by (sipNs, seq) */
  item(kind: 'T' | 'Q', sym: string): readonly TapeEvent[] {
    return this.items.get(`${kind}.${sym}`) ?? [];
  }

  /** the WebSocket element (JSON object text) of an event, as the vendor writes it (optional keys omitted) */
  wsElement(e: TapeEvent): string {
    const t = msOf(e);
    if (e.kind === 'T') {
      const parts = [`"ev":"T"`, `"sym":${JSON.stringify(e.sym)}`];
      if (e.i !== null) parts.push(`"i":${JSON.stringify(e.i)}`);
      parts.push(`"x":${e.x}`, `"p":${e.p}`, `"s":${e.s}`);
      if (e.c !== null) parts.push(`"c":[${e.c.join(',')}]`);
      parts.push(`"t":${t}`, `"q":${e.seq}`);
      if (e.z !== undefined) parts.push(`"z":${e.z}`);
      return `{${parts.join(',')}}`;
    }
    const z = e.z !== undefined ? `,"z":${e.z}` : '';
    return `{"ev":"Q","sym":${JSON.stringify(e.sym)},"bx":${e.bx},"ax":${e.ax},"bp":${e.bp},"ap":${e.ap},"bs":${e.bs},"as":${e.as},"t":${t},"q":${e.seq}${z}}`;
  }

  /**
   * The REST v3 row (JSON object text) of an event: ns timestamps as raw 19-digit integers; stock trades with
   * id, sequence_number and tape; option trades without id nor sequence_number; option quotes with
   * sequence_number and only the eight documented fields. Absent conditions are omitted, empty ones are `[]`.
   */
  restRow(e: TapeEvent): string {
    const pt = participantNs(e);
    const option = e.sym.startsWith('O:');
    if (e.kind === 'T') {
      const parts: string[] = [];
      if (e.c !== null) parts.push(`"conditions":[${e.c.join(',')}]`);
      parts.push(`"exchange":${e.x}`);
      if (!option && e.i !== null) parts.push(`"id":${JSON.stringify(e.i)}`);
      parts.push(`"participant_timestamp":${pt}`, `"price":${e.p}`);
      if (!option) parts.push(`"sequence_number":${e.seq}`);
      parts.push(`"sip_timestamp":${e.sipNs}`, `"size":${e.s}`);
      if (!option && e.z !== undefined) parts.push(`"tape":${e.z}`);
      return `{${parts.join(',')}}`;
    }
    const head = `"ask_exchange":${e.ax},"ask_price":${e.ap},"ask_size":${e.as},"bid_exchange":${e.bx},"bid_price":${e.bp},"bid_size":${e.bs}`;
    if (option) return `{${head},"sequence_number":${e.seq},"sip_timestamp":${e.sipNs}}`;
    const z = e.z !== undefined ? `,"tape":${e.z}` : '';
    return `{${head},"participant_timestamp":${pt},"sequence_number":${e.seq},"sip_timestamp":${e.sipNs}${z}}`;
  }

  /** the events of one item with gteNs <= sipNs < ltNs, ascending */
  select(kind: 'T' | 'Q', sym: string, gteNs: bigint, ltNs: bigint): TapeEvent[] {
    const xs = this.item(kind, sym);
    if (ltNs <= gteNs) return [];
    return xs.slice(lowerBound(xs, gteNs, -Infinity), lowerBound(xs, ltNs, -Infinity));
  }

  /** the number of events with sipNs <= ns (the index of the first later one) */
  indexAfter(ns: bigint): number {
    return lowerBound(this.events, ns + 1n, -Infinity);
  }
}

/** a participant (exchange) time a little before the SIP time, derived from the event so both copies agree */
function participantNs(e: TapeEvent): bigint {
  return e.sipNs - BigInt(1_000 + ((e.seq * 7919) % 250_000));
}
