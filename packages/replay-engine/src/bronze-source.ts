/**
 * A Bronze Parquet lake (the system this replaces; @md/bronze-reader streams it) as a ReplaySource, and
 * CombinedSource: a DBN data root and a Bronze lake together, each kind of each date from one of them.
 *
 * Layout read: `<root>[/bronze]/<table>/<key>=<value>/date=YYYY-MM-DD/hour=HH/part-*.parquet` (UTC date and hour):
 * stocks/trades and stocks/quotes under symbol=SPY, options/trades under underlying=SPY, futures/trades and
 * futures/mbp10 under symbol=ES (REPLAY_FUTURES_SYMBOL). A Bronze date is a UTC date, as a DBN file's.
 */
import { ENCODED_TABLES, listBronzeDates, readBronze, readBronzeEncoded, type BronzeTable, type InvalidRow } from '@md/bronze-reader';
import { parseDbnMsgId } from '@md/dbn-reader';
import type { EncodedBatch, Publishable } from '@md/event-types';
import { dateOfMsgId as dateOfDbnMsgId } from './msg-id.js';
import type { EncodedReadOptions, ReplaySource } from './source.js';
import { KINDS, type ReplayKind } from './stats.js';

/** the Bronze table of each replayed kind */
export const BRONZE_TABLE_OF_KIND: Readonly<Record<ReplayKind, BronzeTable>> = Object.freeze({
  trades: 'futures_trades',
  stockTrades: 'stock_trades',
  options: 'option_trades',
  stockQuotes: 'stock_quotes',
  mbp10: 'futures_mbp10',
});

const BRONZE_ID = /^(market\.[a-z0-9.]+):(.+):(\d+):(\d+):(\d+|-):([0-9a-f]{16})$/;

/** a Bronze message id's parts (`subject:symbol:ts_event:ts_recv:seq|-:fingerprint`, @md/bronze-reader), or null */
export function parseBronzeMsgId(id: string): { subject: string; symbol: string; tsEventNs: bigint; date: string } | null {
  const m = BRONZE_ID.exec(id);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return null;
  const ts = BigInt(m[3]);
  const date = new Date(Number(ts / 1_000_000n)).toISOString().slice(0, 10);
  return { subject: m[1], symbol: m[2], tsEventNs: ts, date };
}

/** a DBN message id: its file part names a .dbn[.zst] file */
const isDbnMsgId = (id: string) => /\.dbn(\.zst)?$/.test(parseDbnMsgId(id)?.file ?? '');

export interface BronzeSourceOptions {
  /** the lake root (holding `bronze/`) or the `bronze/` folder itself */
  root: string;
  /** the kinds this source gives (default: all five) */
  kinds?: readonly ReplayKind[];
  /** the `symbol=` folder of the futures tables (REPLAY_FUTURES_SYMBOL; default ES) */
  futuresSymbol?: string;
  /** the `symbol=` folder of the stocks tables (default SPY) */
  stockSymbol?: string;
  /** the `underlying=` folder of option trades (default SPY, as the old replay hard-coded) */
  underlying?: string;
  /** warnings: invalid rows (file and row), empty hours, a date without data */
  onWarning?: (msg: string) => void;
  /** invalid rows named in a warning per (kind, date) at most (default 10; all are counted) */
  maxInvalidWarnings?: number;
}

export class BronzeSource implements ReplaySource {
  readonly kinds: readonly ReplayKind[];
  private readonly dates = new Map<ReplayKind, Promise<string[]>>();
  /** rows skipped because they fail the old system's rules, per kind */
  readonly invalid: Record<ReplayKind, number> = { trades: 0, stockTrades: 0, options: 0, stockQuotes: 0, mbp10: 0 };

  constructor(private readonly o: BronzeSourceOptions) {
    this.kinds = o.kinds ?? KINDS;
  }

  private partition(kind: ReplayKind): string | undefined {
    if (kind === 'trades' || kind === 'mbp10') return this.o.futuresSymbol;
    if (kind === 'options') return this.o.underlying;
    return this.o.stockSymbol;
  }

  availableDates(kind?: ReplayKind): Promise<string[]> {
    if (kind === undefined) return Promise.all(this.kinds.map((k) => this.availableDates(k))).then((xs) => [...new Set(xs.flat())].sort());
    if (!this.kinds.includes(kind)) return Promise.resolve([]);
    const known = this.dates.get(kind);
    if (known) return known;
    const p = listBronzeDates(this.o.root, BRONZE_TABLE_OF_KIND[kind], this.partition(kind));
    this.dates.set(kind, p);
    return p;
  }

  async has(kind: ReplayKind, date: string): Promise<boolean> {
    return (await this.availableDates(kind)).includes(date);
  }

  /** Bronze message ids name no file (they are content-derived): resume uses ownsMsgId */
  async fileNames(): Promise<string[]> {
    return [];
  }

  /** readBronze's / readBronzeEncoded's options for a kind, date and range (invalid rows counted and warned) */
  private readOptions(kind: ReplayKind, date: string, range: { start?: bigint; end?: bigint }) {
    let warned = 0;
    const max = this.o.maxInvalidWarnings ?? 10;
    const warn = this.o.onWarning;
    return {
      root: this.o.root,
      table: BRONZE_TABLE_OF_KIND[kind],
      date,
      ...(this.partition(kind) !== undefined ? { symbol: this.partition(kind) } : {}),
      ...(range.start !== undefined ? { startNs: range.start } : {}),
      ...(range.end !== undefined ? { endNs: range.end } : {}),
      onInvalid: (r: InvalidRow) => {
        this.invalid[kind]++;
        if (warned++ < max) warn?.(`Bronze ${r.file} row ${r.row} skipped: ${r.reason}`);
        else if (warned === max + 1) warn?.(`Bronze ${BRONZE_TABLE_OF_KIND[kind]} ${date}: more invalid rows skipped (counted, not named)`);
      },
      ...(warn ? { onWarn: warn } : {}),
    };
  }

  batches(kind: ReplayKind, date: string, range: { start?: bigint; end?: bigint }): AsyncIterable<Publishable[]> {
    return readBronze(this.readOptions(kind, date, range));
  }

  /**
   * The fast lane (@md/bronze-reader readBronzeEncoded): batches()'s events, order, ids, warnings and errors,
   * already encoded. null for a kind whose table has no encoded form (ENCODED_TABLES: option trades).
   */
  encodedBatches(
    kind: ReplayKind,
    date: string,
    range: { start?: bigint; end?: bigint },
    o: EncodedReadOptions,
  ): AsyncIterable<EncodedBatch> | null {
    if (!ENCODED_TABLES.includes(BRONZE_TABLE_OF_KIND[kind])) return null;
    return readBronzeEncoded({
      ...this.readOptions(kind, date, range),
      order: o.order,
      ...(o.onRefused !== undefined ? { onRefused: o.onRefused } : {}),
    });
  }

  bronzeHint(kind: ReplayKind, date: string): string {
    return `a Bronze ${BRONZE_TABLE_OF_KIND[kind]} date=${date} folder under ${this.o.root}`;
  }

  async ownsMsgId(id: string, dates: readonly string[]): Promise<boolean> {
    const p = parseBronzeMsgId(id);
    return p !== null && dates.includes(p.date);
  }

  dateOfMsgId(id: string): string | null {
    return parseBronzeMsgId(id)?.date ?? null;
  }
}

export interface CombinedSourceOptions {
  /** the DBN data root (DataRootSource), if any */
  dbn: ReplaySource | null;
  /** the Bronze lake (BronzeSource), if any */
  bronze: ReplaySource | null;
  /** option trades: from DBN, from Bronze, or 'auto' (default): DBN when the date has a DBN options file, else Bronze */
  options?: 'dbn' | 'bronze' | 'auto';
  /** futures trades and MBP-10: from DBN (default) or from Bronze (REPLAY_USE_BRONZE_FUTURES) */
  futures?: 'dbn' | 'bronze';
}

/**
 * A DBN data root and a Bronze lake as one source: each kind of each date comes from one of them (stock trades
 * and quotes from Bronze; futures from DBN unless `futures: 'bronze'`; options as `options` says); the dates are
 * the union of both.
 */
export class CombinedSource implements ReplaySource {
  constructor(private readonly o: CombinedSourceOptions) {}

  /** the source that gives `kind` on `date` (null: none) */
  async providerFor(kind: ReplayKind, date: string): Promise<ReplaySource | null> {
    const { dbn, bronze } = this.o;
    if (kind === 'stockTrades' || kind === 'stockQuotes') return bronze;
    if (kind === 'trades' || kind === 'mbp10') return (this.o.futures ?? 'dbn') === 'bronze' ? bronze : dbn;
    const choice = this.o.options ?? 'auto';
    if (choice === 'dbn') return dbn;
    if (choice === 'bronze') return bronze;
    return dbn && (await dbn.has('options', date)) ? dbn : bronze;
  }

  private candidates(kind: ReplayKind): ReplaySource[] {
    const { dbn, bronze } = this.o;
    const out =
      kind === 'stockTrades' || kind === 'stockQuotes'
        ? [bronze]
        : kind === 'trades' || kind === 'mbp10'
          ? [(this.o.futures ?? 'dbn') === 'bronze' ? bronze : dbn]
          : (this.o.options ?? 'auto') === 'dbn'
            ? [dbn]
            : (this.o.options ?? 'auto') === 'bronze'
              ? [bronze]
              : [dbn, bronze];
    return out.filter((s): s is ReplaySource => s !== null);
  }

  async availableDates(kind?: ReplayKind): Promise<string[]> {
    const kinds = kind === undefined ? KINDS : [kind];
    const set = new Set<string>();
    for (const k of kinds) for (const s of this.candidates(k)) for (const d of await s.availableDates(k)) set.add(d);
    return [...set].sort();
  }

  async has(kind: ReplayKind, date: string): Promise<boolean> {
    const p = await this.providerFor(kind, date);
    return p !== null && (await p.has(kind, date));
  }

  async fileNames(date: string): Promise<string[]> {
    return this.o.dbn ? this.o.dbn.fileNames(date) : [];
  }

  batches(kind: ReplayKind, date: string, range: { start?: bigint; end?: bigint }): AsyncIterable<Publishable[]> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const p = await self.providerFor(kind, date);
        if (!p) throw new Error(`no source gives ${kind} for ${date}`);
        yield* p.batches(kind, date, range);
      },
    };
  }

  /**
   * The fast lane: the kind's provider's encodedBatches (null when it has none, or returns null). For option
   * trades on 'auto' the provider is known only once the DBN root is asked: then both candidates must give a
   * fast lane (each is lazy: the one not chosen is never iterated).
   */
  encodedBatches(
    kind: ReplayKind,
    date: string,
    range: { start?: bigint; end?: bigint },
    o: EncodedReadOptions,
  ): AsyncIterable<EncodedBatch> | null {
    const cands = this.candidates(kind);
    if (cands.length === 0) return null;
    const lanes = new Map<ReplaySource, AsyncIterable<EncodedBatch>>();
    for (const s of cands) {
      const lane = s.encodedBatches?.(kind, date, range, o) ?? null;
      if (lane === null) return null;
      lanes.set(s, lane);
    }
    const known = !(kind === 'options' && (this.o.options ?? 'auto') === 'auto');
    if (known && cands.length === 1) return lanes.get(cands[0] as ReplaySource) as AsyncIterable<EncodedBatch>;
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const p = await self.providerFor(kind, date);
        const lane = p === null ? undefined : lanes.get(p);
        if (lane === undefined) throw new Error(`no source gives ${kind} for ${date}`);
        yield* lane;
      },
    };
  }

  async check(): Promise<void> {
    await this.o.dbn?.check?.();
    await this.o.bronze?.check?.();
  }

  bronzeHint(kind: ReplayKind, date: string): string {
    return this.o.bronze?.bronzeHint?.(kind, date) ?? 'a Bronze lake (--bronze-root)';
  }

  async ownsMsgId(id: string, dates: readonly string[]): Promise<boolean> {
    if (isDbnMsgId(id)) {
      const names = new Set((await Promise.all(dates.map((d) => this.fileNames(d)))).flat());
      return names.has(parseDbnMsgId(id)?.file ?? '');
    }
    const p = parseBronzeMsgId(id);
    return this.o.bronze !== null && p !== null && dates.includes(p.date);
  }

  dateOfMsgId(id: string): string | null {
    return isDbnMsgId(id) ? dateOfDbnMsgId(id) : (parseBronzeMsgId(id)?.date ?? null);
  }
}
