/**
 * DBN records -> canonical events (docs/event-contract.md), in a module of its own: the
 * decoder does not depend on it.
 *
 * - trades (TradeMsg)          -> FuturesTrade  on `market.futures.trades`
 * - MBP-10 (Mbp10Msg)          -> MBP10         on `market.futures.mbp10`
 * - OPRA trades (TradeMsg/TBBO)-> OptionTrade   on `market.options.trades`
 *
 * `source` is 'replay', `ts_event_ns` = hd.ts_event, `ts_recv_ns` = ts_recv (never the wall
 * clock), prices go from the fixed-point bigint straight to the correctly rounded double with
 * `fixedToFloat` (never via a lossy path), aggressor from side (B 1, A -1, else 0), `seq` =
 * sequence. The message id is
 * `${subject}:${instrument_id}:${ts_recv}:${sequence}:${fileBaseName}:${recordIndex}` (msg-id.ts).
 */
import { basename } from 'node:path';
import {
  fixedToFloat,
  formatOptionTicker,
  parseOptionTicker,
  SUBJECTS,
  type FuturesTrade,
  type MBP10,
  type MBP10Level,
  type OptionTrade,
  type Publishable,
  UNDEF_PRICE,
} from '@md/event-types';
import { FLAGS, UNDEF_TIMESTAMP } from './constants.js';
import type { DbnStats } from './decode/parser.js';
import type { DbnInput } from './decode/source.js';
import { decodeDbn } from './decode/stream.js';
import type { DbnMetadata } from './metadata.js';
import { dbnMsgId } from './msg-id.js';
import type { DbnRecord, Mbp10Msg, Mbp1Msg, TradeMsg } from './records.js';
import { SymbolMap } from './symbology.js';

/** Where a record comes from: enough for its message id and the FuturesTrade `exchange`. */
export interface MapContext {
  /** base name of the DBN file (e.g. `glbx-mdp3-20250102.trades.dbn.zst`) */
  fileBaseName: string;
  /** 0-based position of the record among the records decoded from the file */
  recordIndex: number;
  /** the file's dataset (metadata), e.g. `GLBX.MDP3`: GLBX.MDP3 records get exchange `CME` */
  dataset?: string | null;
}

/** A record that carries what the trade mappers read (trades; MBP-1/TBBO and MBP-10 also fit). */
export type TradeLike = TradeMsg | Mbp1Msg | Mbp10Msg;

/** Thrown by the mappers for a record that cannot become a valid event (e.g. an undefined price). */
export class DbnMappingError extends Error {
  readonly file: string;
  readonly recordIndex: number;
  constructor(message: string, ctx: MapContext) {
    super(`${message} [${ctx.fileBaseName} record #${ctx.recordIndex}]`);
    this.name = 'DbnMappingError';
    this.file = ctx.fileBaseName;
    this.recordIndex = ctx.recordIndex;
  }
}

/** Databento publisher id -> venue (MIC-like code), from the dbn crate's publisher table. */
export const PUBLISHER_VENUES: Readonly<Record<number, string>> = Object.freeze({
  1: 'GLBX',
  2: 'XNAS',
  3: 'XBOS',
  4: 'XPSX',
  5: 'BATS',
  6: 'BATY',
  7: 'EDGA',
  8: 'EDGX',
  9: 'XNYS',
  10: 'XCIS',
  11: 'XASE',
  12: 'XCHI',
  13: 'XCIS',
  14: 'XCIS',
  15: 'MEMX',
  16: 'EPRL',
  17: 'FINN',
  18: 'FINC',
  19: 'FINY',
  20: 'AMXO',
  21: 'XBOX',
  22: 'XCBO',
  23: 'EMLD',
  24: 'EDGO',
  25: 'GMNI',
  26: 'XISX',
  27: 'MCRY',
  28: 'XMIO',
  29: 'ARCO',
  30: 'OPRA',
  31: 'MPRL',
  32: 'XNDQ',
  33: 'XBXO',
  34: 'C2OX',
  35: 'XPHL',
  36: 'BATO',
  37: 'MXOP',
  38: 'IEXG',
  39: 'XCHI',
  40: 'XCIS',
  41: 'IEXG',
});

/**
 * FuturesTrade `exchange`: `CME` for GLBX.MDP3 records (dataset GLBX.MDP3, or publisher 1 when the
 * dataset is unknown), as the system this replaces wrote; otherwise the publisher's venue; null
 * when the publisher is unknown.
 */
export function exchangeFor(publisherId: number, dataset?: string | null): string | null {
  if (dataset === 'GLBX.MDP3' || ((dataset === undefined || dataset === null || dataset === '') && publisherId === 1)) return 'CME';
  return PUBLISHER_VENUES[publisherId] ?? null;
}

/** Aggressor from DBN side: `B` -> 1, `A` -> -1, anything else (`N`) -> 0. */
export function aggressorFromSide(side: string): 1 | -1 | 0 {
  return side === 'B' ? 1 : side === 'A' ? -1 : 0;
}

function checkTimes(rec: { hd: { ts_event: bigint }; ts_recv: bigint }, ctx: MapContext): void {
  if (rec.hd.ts_event === UNDEF_TIMESTAMP) throw new DbnMappingError('ts_event is undefined (u64::MAX)', ctx);
  if (rec.ts_recv === UNDEF_TIMESTAMP) throw new DbnMappingError('ts_recv is undefined (u64::MAX)', ctx);
}

function price(raw: bigint, ctx: MapContext, what: string): number {
  if (raw === UNDEF_PRICE) throw new DbnMappingError(`${what} is undefined (UNDEF_PRICE)`, ctx);
  return fixedToFloat(raw);
}

/** A trades record -> FuturesTrade. `symbol` is the instrument's raw symbol (e.g. `ESH5`). */
export function toFuturesTrade(rec: TradeLike, symbol: string, ctx: MapContext): Publishable<FuturesTrade> {
  checkTimes(rec, ctx);
  const subject = SUBJECTS.futuresTrades;
  const event: FuturesTrade = {
    ts_event_ns: rec.hd.ts_event,
    ts_recv_ns: rec.ts_recv,
    source: 'replay',
    symbol,
    price: price(rec.price, ctx, 'price'),
    size: rec.size,
    aggressor: aggressorFromSide(rec.side),
    exchange: exchangeFor(rec.hd.publisher_id, ctx.dataset),
    conditions: null,
    seq: rec.sequence,
  };
  return { subject, event, msgId: dbnMsgId(subject, rec.hd.instrument_id, rec.ts_recv, rec.sequence, ctx) };
}

/**
 * fixedToFloat memo per book slot (level x side): consecutive MBP-10 records mostly repeat the prices of
 * their levels, so the conversion is skipped when a slot's raw price is the one converted last time.
 * Same bigint in, same (correctly rounded) double out: exactness is unchanged. ~4x faster level mapping.
 * Every slot starts at UNDEF_PRICE, which never reaches slotPrice (callers map it to null first), so no
 * raw price can match a slot that was never converted.
 */
const slotRaw: bigint[] = new Array<bigint>(20).fill(UNDEF_PRICE);
const slotFloat: number[] = new Array<number>(20).fill(0);
function slotPrice(slot: number, raw: bigint): number {
  const memo = slotFloat[slot];
  if (memo !== undefined && raw === slotRaw[slot]) return memo;
  const f = fixedToFloat(raw);
  slotRaw[slot] = raw;
  slotFloat[slot] = f;
  return f;
}

/**
 * An MBP-10 record -> MBP10: its 10 bid/ask pairs in order, an undefined price written as null
 * with size 0; `is_snapshot` exactly when the flags carry the snapshot bit (0x20).
 */
export function toMbp10(rec: Mbp10Msg, symbol: string, ctx: MapContext): Publishable<MBP10> {
  checkTimes(rec, ctx);
  const subject = SUBJECTS.futuresMbp10;
  const src = rec.levels;
  if (src === undefined || src.length !== 10) throw new DbnMappingError(`MBP-10 record has ${src?.length ?? 0} levels, expected 10`, ctx);
  const levels: MBP10Level[] = new Array(10);
  let i = 0;
  for (const l of src) {
    const bidNull = l.bid_px === UNDEF_PRICE;
    const askNull = l.ask_px === UNDEF_PRICE;
    levels[i] = {
      bid_px: bidNull ? null : slotPrice(2 * i, l.bid_px),
      bid_sz: bidNull ? 0 : l.bid_sz,
      ask_px: askNull ? null : slotPrice(2 * i + 1, l.ask_px),
      ask_sz: askNull ? 0 : l.ask_sz,
    };
    i++;
  }
  const event: MBP10 = {
    ts_event_ns: rec.hd.ts_event,
    ts_recv_ns: rec.ts_recv,
    source: 'replay',
    symbol,
    levels,
    is_snapshot: (rec.flags & FLAGS.SNAPSHOT) !== 0,
    seq: rec.sequence,
  };
  return { subject, event, msgId: dbnMsgId(subject, rec.hd.instrument_id, rec.ts_recv, rec.sequence, ctx) };
}

/**
 * An OPRA raw symbol in OSI form (`SPY   251216C00676000`: root padded to 6, YYMMDD, C|P, strike x
 * 1000 as 8 digits) -> the contract's ticker `O:SPY251216C00676000`. A symbol already in `O:` form
 * is validated and returned. Throws OptionTickerError (from @md/event-types) when it is neither.
 */
export function osiToOptionTicker(raw: string): string {
  if (raw.startsWith('O:')) return formatOptionTicker(parseOptionTicker(raw));
  const s = raw.trimEnd();
  // root from the left (any length, space padded), 15 fixed characters from the right
  const tail = s.slice(-15);
  const root = s.slice(0, s.length - 15).trim();
  return formatOptionTicker(parseOptionTicker(`O:${root}${tail}`));
}

const tickerCache = new Map<string, { ticker: string; underlying: string; expDate: string; strike: number; right: 'C' | 'P' }>();

function optionParts(symbol: string) {
  let p = tickerCache.get(symbol);
  if (p === undefined) {
    const ticker = osiToOptionTicker(symbol);
    const t = parseOptionTicker(ticker);
    p = { ticker, underlying: t.underlying, expDate: t.expDate, strike: t.strike, right: t.right };
    if (tickerCache.size > 100_000) tickerCache.clear();
    tickerCache.set(symbol, p);
  }
  return p;
}

/**
 * An OPRA trade -> OptionTrade. `optionSymbol` is the OSI raw symbol (`SPY   251216C00676000`) or
 * the `O:` ticker. `opt_bid`/`opt_ask` come from the record's top level when it has one (TBBO /
 * MBP-1: the book just before the trade), else null; `conditions` is null.
 */
export function toOptionTrade(rec: TradeLike, optionSymbol: string, ctx: MapContext): Publishable<OptionTrade> {
  checkTimes(rec, ctx);
  const subject = SUBJECTS.optionTrades;
  let p;
  try {
    p = optionParts(optionSymbol);
  } catch (e) {
    throw new DbnMappingError(`option symbol ${JSON.stringify(optionSymbol)} is not an OSI/O: option ticker: ${(e as Error).message}`, ctx);
  }
  const top = (rec as Mbp1Msg).levels?.[0];
  const event: OptionTrade = {
    ts_event_ns: rec.hd.ts_event,
    ts_recv_ns: rec.ts_recv,
    source: 'replay',
    underlying: p.underlying,
    option_symbol: p.ticker,
    exp_date: p.expDate,
    strike: p.strike,
    right: p.right,
    price: price(rec.price, ctx, 'price'),
    size: rec.size,
    opt_bid: top !== undefined && top.bid_px !== UNDEF_PRICE ? fixedToFloat(top.bid_px) : null,
    opt_ask: top !== undefined && top.ask_px !== UNDEF_PRICE ? fixedToFloat(top.ask_px) : null,
    aggressor: aggressorFromSide(rec.side),
    conditions: null,
    seq: rec.sequence,
  };
  return { subject, event, msgId: dbnMsgId(subject, rec.hd.instrument_id, rec.ts_recv, rec.sequence, ctx) };
}

// ---------------------------------------------------------------------------------------------
// whole files

export type DbnEventKind = 'trades' | 'mbp10' | 'options';

/** Prefix of the symbol given to a record whose instrument has no mapping: `UNMAPPED:<instrument_id>`. */
export const UNMAPPED_PREFIX = 'UNMAPPED:';

export interface MapStats {
  /** records decoded from the file */
  records: number;
  /** events produced (after the start/end filter) */
  events: number;
  /** records outside [start, end) */
  filtered: number;
  /** events whose instrument had no symbol mapping (published as `UNMAPPED:<id>`) */
  unmapped: number;
  /** records of another type than the kind maps (definitions, status, ...), skipped */
  skipped: number;
  /** SymbolMappingMsg records applied to the symbol map */
  symbolMappings: number;
  /** records that cannot become a valid event (undefined price or timestamp, bad option symbol), skipped */
  invalid: number;
}

export interface MapWarning {
  kind: 'unmapped' | 'invalid' | 'symbology';
  message: string;
  file: string;
  recordIndex?: number;
  instrumentId?: number;
}

export interface MapFileOptions {
  kind: DbnEventKind;
  /** keep events with key >= start (Unix ns) */
  start?: bigint;
  /** keep events with key < end (Unix ns) */
  end?: bigint;
  /** timestamp the start/end filter applies to (default 'ts_event', the replay's ordering key) */
  filterOn?: 'ts_event' | 'ts_recv';
  /**
   * Stop reading once a record's ts_recv is at or past `end + endSlackNs` (files are sorted by
   * ts_recv; ts_event trails ts_recv by far less than this). Default 60 s. Only with filterOn ts_event.
   */
  endSlackNs?: bigint;
  /** extra symbology consulted after the file's own (metadata + SymbolMappingMsg), e.g. a symbology.json */
  symbols?: SymbolMap | null;
  /**
   * `'fallback'` (default): a record with no symbol gets `UNMAPPED:<instrument_id>` (counted in
   * stats.unmapped, one warning per instrument); `'skip'`: such records are dropped (counted too).
   */
  unmapped?: 'fallback' | 'skip';
  /** called for unmapped instruments (once per instrument), invalid records and symbology problems */
  onWarning?: (w: MapWarning) => void;
  /** name used in message ids (default: the path's base name; required for non-path inputs) */
  fileBaseName?: string;
}

/** What `mapDbnFile` returns: the events (once), with running stats and the file's metadata. */
export interface MappedEvents<E extends Publishable = Publishable> extends AsyncIterable<E> {
  readonly stats: MapStats;
  /** the decoder's stats (records, bytes) */
  readonly decodeStats: DbnStats;
  /** the file's metadata (null for fragments); available once iteration started */
  metadata(): Promise<DbnMetadata | null>;
  /** the same events in arrays (one per decoded batch): much less per-event overhead */
  batches(): AsyncIterable<E[]>;
}

class MappedFile implements MappedEvents {
  readonly stats: MapStats = { records: 0, events: 0, filtered: 0, unmapped: 0, skipped: 0, symbolMappings: 0, invalid: 0 };
  private readonly stream;
  private claimed = false;

  constructor(
    readonly input: DbnInput,
    readonly opts: MapFileOptions,
  ) {
    if (typeof input !== 'string' && opts.fileBaseName === undefined) {
      throw new TypeError('mapDbnFile: fileBaseName is required when the input is not a file path (message ids name the file)');
    }
    this.stream = decodeDbn(input, {
      fileName: opts.fileBaseName !== undefined && typeof input !== 'string' ? opts.fileBaseName : undefined,
    });
  }

  get decodeStats(): DbnStats {
    return this.stream.stats;
  }

  metadata(): Promise<DbnMetadata | null> {
    return this.stream.metadata();
  }

  batches(): AsyncIterable<Publishable[]> {
    if (this.claimed) throw new Error('mapDbnFile: the events can be iterated only once');
    this.claimed = true;
    return this.run();
  }

  [Symbol.asyncIterator](): AsyncIterator<Publishable> {
    const b = this.batches();
    return (async function* () {
      for await (const batch of b) yield* batch;
    })();
  }

  private async *run(): AsyncGenerator<Publishable[], void, undefined> {
    const o = this.opts;
    const kind = o.kind;
    if (kind !== 'trades' && kind !== 'mbp10' && kind !== 'options') {
      throw new TypeError(`mapDbnFile: kind must be 'trades', 'mbp10' or 'options', got ${String(kind)}`);
    }
    const stats = this.stats;
    const file = o.fileBaseName ?? basename(this.input as string);
    const warn = o.onWarning;
    const meta = await this.stream.metadata();
    const symbols = SymbolMap.fromMetadata(meta);
    if (o.symbols) symbols.fallback = o.symbols;
    if (warn) for (const w of symbols.warnings) warn({ kind: 'symbology', message: w.message, file });
    const ctx: MapContext = { fileBaseName: file, recordIndex: 0, dataset: meta?.dataset ?? null };
    const start = o.start;
    const end = o.end;
    const onRecv = o.filterOn === 'ts_recv';
    const stopAt = end !== undefined && !onRecv ? end + (o.endSlackNs ?? 60_000_000_000n) : undefined;
    const skipUnmapped = o.unmapped === 'skip';
    const warnedIds = new Set<number>();
    const wantRtype = kind === 'mbp10' ? 0x0a : 0x00;
    let index = 0;
    for await (const batch of this.stream.batches()) {
      const out: Publishable[] = [];
      let stop = false;
      for (let i = 0; i < batch.length; i++) {
        const rec = batch[i] as DbnRecord;
        const idx = index++;
        const rt = rec.hd.rtype;
        if (rt !== wantRtype && !(kind === 'options' && rt === 0x01)) {
          if (rt === 0x16) {
            symbols.applySymbolMapping(rec as never);
            stats.symbolMappings++;
          } else stats.skipped++;
          continue;
        }
        const r = rec as TradeLike;
        const tsRecv = r.ts_recv;
        if (stopAt !== undefined && tsRecv >= stopAt) {
          stop = true;
          break;
        }
        if (start !== undefined || end !== undefined) {
          const key = onRecv ? tsRecv : r.hd.ts_event;
          if ((start !== undefined && key < start) || (end !== undefined && key >= end)) {
            stats.filtered++;
            continue;
          }
        }
        const id = r.hd.instrument_id;
        let sym = symbols.symbolFor(id, tsRecv);
        if (sym === null) {
          stats.unmapped++;
          if (!warnedIds.has(id)) {
            warnedIds.add(id);
            warn?.({
              kind: 'unmapped',
              message: `instrument ${id} has no symbol mapping at ts_recv ${tsRecv}${skipUnmapped ? '; its records are skipped' : `; published as ${UNMAPPED_PREFIX}${id}`}`,
              file,
              recordIndex: idx,
              instrumentId: id,
            });
          }
          if (skipUnmapped) continue;
          sym = UNMAPPED_PREFIX + id;
        }
        ctx.recordIndex = idx;
        try {
          out.push(
            kind === 'trades'
              ? toFuturesTrade(r, sym, ctx)
              : kind === 'mbp10'
                ? toMbp10(r as Mbp10Msg, sym, ctx)
                : toOptionTrade(r, sym, ctx),
          );
        } catch (e) {
          if (!(e instanceof DbnMappingError)) throw e;
          stats.invalid++;
          warn?.({ kind: 'invalid', message: e.message, file, recordIndex: idx, instrumentId: id });
        }
      }
      stats.records = index;
      stats.events += out.length;
      if (out.length > 0) yield out;
      if (stop) return;
    }
  }
}

/**
 * Reads a DBN file (a path, or any decoder input with `fileBaseName`) and maps its records to canonical events (`kind` picks the mapping). Symbols
 * come from the file's metadata, then SymbolMappingMsg records met in the stream, then
 * `opts.symbols`; an instrument with none gets `UNMAPPED:<instrument_id>` (see `unmapped`).
 * Events keep the file's order. `start`/`end` filter on ts_event (or ts_recv) in Unix ns.
 */
export function mapDbnFile(input: DbnInput, opts: MapFileOptions): MappedEvents {
  return new MappedFile(input, opts);
}

/** `mapDbnFile(path, opts).batches()`: Publishable[] per decoded batch (fastest). */
export function mapDbnFileBatches(input: DbnInput, opts: MapFileOptions): AsyncIterable<Publishable[]> {
  return new MappedFile(input, opts).batches();
}
