/**
 * Symbology: instrument id -> raw symbol over time (docs/dbn-format.md §8).
 *
 * Sources, all folded into one `SymbolMap`:
 * - the metadata's `mappings` (UTC date intervals, start inclusive, end exclusive);
 * - `SymbolMappingMsg` records in the stream (live data; `[start_ts, end_ts)` in ns);
 * - Databento's batch `symbology.json` (`loadSymbologyJson`).
 *
 * A lookup takes the record's index timestamp (`ts_recv` for trades and MBP records) and returns
 * the symbol of the most recently added interval that contains it, or null.
 */
import { readFile } from 'node:fs/promises';
import type { DbnMetadata, SymbolMapping } from './metadata.js';
import type { SymbolMappingMsg, SymbolMappingMsgV1 } from './records.js';
import { stypeName, UNDEF_TIMESTAMP } from './constants.js';

const NS_PER_DAY = 86_400_000_000_000n;

/** `YYYY-MM-DD` -> Unix ns of that date's 00:00 UTC. Throws RangeError on a malformed date. */
export function dateToNs(date: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid date: ${JSON.stringify(date)}`);
  return BigInt(ms) * 1_000_000n;
}

/** Unix ns -> the UTC date `YYYY-MM-DD` it falls on. */
export function nsToDate(ns: bigint): string {
  const day = ns >= 0n ? ns / NS_PER_DAY : (ns - NS_PER_DAY + 1n) / NS_PER_DAY;
  return new Date(Number(day) * 86_400_000).toISOString().slice(0, 10);
}

export interface SymbolInterval {
  /** inclusive, Unix ns */
  start: bigint;
  /** exclusive, Unix ns (`UNDEF_TIMESTAMP` = open-ended) */
  end: bigint;
  symbol: string;
}

interface Entry {
  intervals: SymbolInterval[];
  /** the interval of the last hit (fast path for runs of records of one instrument) */
  last: SymbolInterval | null;
}

/** Where an interval came from, for `SymbolMap.add*` callers and warnings. */
export type SymbologySource = 'metadata' | 'record' | 'symbology.json' | 'manual';

export interface SymbolMapWarning {
  source: SymbologySource;
  message: string;
}

/**
 * Instrument id -> symbol over time intervals. Later additions win where intervals overlap (a
 * SymbolMappingMsg mid-stream overrides what the metadata said from its start on).
 */
export class SymbolMap {
  private readonly byId = new Map<number, Entry>();
  /** consulted when this map has no interval for a lookup (e.g. a folder's symbology.json) */
  fallback: SymbolMap | null = null;
  /** problems met while adding mappings (unusable stypes, bad ids): never fatal */
  readonly warnings: SymbolMapWarning[] = [];

  /** A map from a file's metadata (see `addMetadata`). */
  static fromMetadata(meta: DbnMetadata | null | undefined): SymbolMap {
    const m = new SymbolMap();
    if (meta) m.addMetadata(meta);
    return m;
  }

  /** number of instruments with at least one interval (fallback excluded) */
  get size(): number {
    return this.byId.size;
  }

  /** instrument ids known to this map (fallback excluded) */
  instrumentIds(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }

  /** the intervals of one instrument, in the order they were added */
  intervalsFor(instrumentId: number): readonly SymbolInterval[] {
    return this.byId.get(instrumentId)?.intervals ?? [];
  }

  /** Adds `[start, end)` (ns) -> symbol for an instrument. Empty symbols are ignored. */
  addInterval(instrumentId: number, start: bigint, end: bigint, symbol: string): void {
    if (symbol === '') return;
    let e = this.byId.get(instrumentId);
    if (e === undefined) {
      e = { intervals: [], last: null };
      this.byId.set(instrumentId, e);
    }
    e.intervals.push({ start, end, symbol });
    e.last = null;
  }

  /** Adds a UTC date interval `[startDate, endDate)` (`YYYY-MM-DD`). */
  addDateInterval(instrumentId: number, startDate: string, endDate: string, symbol: string): void {
    this.addInterval(instrumentId, dateToNs(startDate), dateToNs(endDate), symbol);
  }

  /**
   * Adds a list of mappings as found in metadata or symbology.json. `stypeIn`/`stypeOut` say which
   * side holds the instrument id: with stype_out `instrument_id` (the usual historical request) the
   * interval's symbol is the id and the mapping's `rawSymbol` is the symbol; with stype_in
   * `instrument_id` the roles swap. Otherwise the mappings cannot map ids and are skipped (warning).
   */
  addMappings(
    mappings: readonly SymbolMapping[],
    stypeIn: string | null,
    stypeOut: string | null,
    source: SymbologySource = 'manual',
  ): void {
    if (mappings.length === 0) return;
    let idSide: 'out' | 'in';
    if (stypeOut === 'instrument_id') idSide = 'out';
    else if (stypeIn === 'instrument_id') idSide = 'in';
    else {
      this.warnings.push({
        source,
        message: `mappings from stype_in ${stypeIn ?? 'null'} to stype_out ${stypeOut ?? 'null'} cannot map instrument ids (neither side is instrument_id); ${mappings.length} mapping(s) ignored`,
      });
      return;
    }
    for (const m of mappings) {
      for (const iv of m.intervals) {
        if (iv.symbol === '') continue;
        const idText = idSide === 'out' ? iv.symbol : m.rawSymbol;
        const symbol = idSide === 'out' ? m.rawSymbol : iv.symbol;
        const id = /^\d+$/.test(idText) ? Number(idText) : NaN;
        if (!Number.isSafeInteger(id) || id > 0xffffffff) {
          this.warnings.push({
            source,
            message: `mapping ${JSON.stringify(m.rawSymbol)}: instrument id ${JSON.stringify(idText)} is not a u32; interval ignored`,
          });
          continue;
        }
        let start: bigint;
        let end: bigint;
        try {
          start = dateToNs(iv.startDate);
          end = dateToNs(iv.endDate);
        } catch (e) {
          this.warnings.push({ source, message: `mapping ${JSON.stringify(m.rawSymbol)}: ${(e as Error).message}; interval ignored` });
          continue;
        }
        this.addInterval(id, start, end, symbol);
      }
    }
  }

  /** Adds the metadata's mappings (its stype_in/stype_out decide which side is the id). */
  addMetadata(meta: DbnMetadata): void {
    this.addMappings(meta.mappings, meta.stypeIn ?? stypeName(meta.stypeInId), meta.stypeOut ?? stypeName(meta.stypeOutId), 'metadata');
  }

  /**
   * Applies a SymbolMappingMsg (rtype 0x16): `hd.instrument_id` is `stype_out_symbol` (the raw
   * symbol; `stype_in_symbol` when the out side is empty) from `start_ts` up to `end_ts` (an
   * undefined end_ts means open-ended). Overrides earlier intervals where they overlap.
   */
  applySymbolMapping(rec: SymbolMappingMsg | SymbolMappingMsgV1): void {
    const sym = rec.stype_out_symbol !== '' ? rec.stype_out_symbol : rec.stype_in_symbol;
    const start = rec.start_ts === UNDEF_TIMESTAMP ? 0n : rec.start_ts;
    const end = rec.end_ts === 0n ? UNDEF_TIMESTAMP : rec.end_ts;
    this.addInterval(rec.hd.instrument_id, start, end, sym);
  }

  /** The symbol of `instrumentId` at `tsNs` (the record's index time), or null when unknown. */
  symbolFor(instrumentId: number, tsNs: bigint): string | null {
    const e = this.byId.get(instrumentId);
    if (e !== undefined) {
      const l = e.last;
      if (l !== null && tsNs >= l.start && tsNs < l.end) return l.symbol;
      const ivs = e.intervals;
      for (let i = ivs.length - 1; i >= 0; i--) {
        const iv = ivs[i];
        if (iv !== undefined && tsNs >= iv.start && tsNs < iv.end) {
          // only cache when no later interval could shadow part of this one
          e.last = i === ivs.length - 1 ? iv : null;
          return iv.symbol;
        }
      }
    }
    return this.fallback !== null ? this.fallback.symbolFor(instrumentId, tsNs) : null;
  }

  /** Copies every interval of `other` into this map (after this map's own: `other` wins on overlap). */
  merge(other: SymbolMap): void {
    for (const [id, e] of other.byId) for (const iv of e.intervals) this.addInterval(id, iv.start, iv.end, iv.symbol);
  }
}

/** The parsed form of Databento's `symbology.json` (the `symbology.resolve` response). */
export interface SymbologyJson {
  result: Record<string, Array<{ d0: string; d1: string; s: string }>>;
  symbols?: string[];
  stype_in?: string;
  stype_out?: string;
  start_date?: string;
  end_date?: string;
  partial?: string[];
  not_found?: string[];
  message?: string;
  status?: number;
}

export class SymbologyJsonError extends Error {
  readonly file?: string;
  constructor(message: string, file?: string) {
    super(file !== undefined ? `${file}: ${message}` : message);
    this.name = 'SymbologyJsonError';
    this.file = file;
  }
}

/**
 * Builds a SymbolMap from a symbology.json object. `stype_in`/`stype_out` are the string names
 * (default: `raw_symbol` -> `instrument_id`, the usual batch request). Each `result` entry says the
 * input symbol X was `s` from `d0` (inclusive) up to `d1` (exclusive); entries with an empty `s`
 * are skipped (as Databento's Python client does). Throws SymbologyJsonError on a malformed shape.
 */
export function parseSymbologyJson(json: unknown, file?: string): SymbolMap {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SymbologyJsonError('expected a JSON object with a "result" field', file);
  }
  const o = json as Partial<SymbologyJson>;
  if (o.result === null || typeof o.result !== 'object' || Array.isArray(o.result)) {
    throw new SymbologyJsonError('"result" must be an object of input symbol -> [{d0, d1, s}, ...]', file);
  }
  const stypeIn = typeof o.stype_in === 'string' ? o.stype_in : 'raw_symbol';
  const stypeOut = typeof o.stype_out === 'string' ? o.stype_out : 'instrument_id';
  const mappings: SymbolMapping[] = [];
  for (const [raw, list] of Object.entries(o.result)) {
    if (!Array.isArray(list)) throw new SymbologyJsonError(`result[${JSON.stringify(raw)}] must be an array`, file);
    const intervals = list.map((iv, i) => {
      if (iv === null || typeof iv !== 'object' || typeof iv.d0 !== 'string' || typeof iv.d1 !== 'string' || typeof iv.s !== 'string') {
        throw new SymbologyJsonError(`result[${JSON.stringify(raw)}][${i}] must have string fields d0, d1 and s`, file);
      }
      for (const d of [iv.d0, iv.d1]) {
        try {
          dateToNs(d);
        } catch {
          throw new SymbologyJsonError(`result[${JSON.stringify(raw)}][${i}]: ${JSON.stringify(d)} is not a YYYY-MM-DD date`, file);
        }
      }
      return { startDate: iv.d0.slice(0, 10), endDate: iv.d1.slice(0, 10), symbol: iv.s };
    });
    mappings.push({ rawSymbol: raw, intervals });
  }
  const map = new SymbolMap();
  map.addMappings(mappings, stypeIn, stypeOut, 'symbology.json');
  return map;
}

/** Reads a Databento batch `symbology.json` file into a SymbolMap (see parseSymbologyJson). */
export async function loadSymbologyJson(path: string): Promise<SymbolMap> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SymbologyJsonError(`cannot read: ${(e as Error).message}`, path);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SymbologyJsonError(`not valid JSON: ${(e as Error).message}`, path);
  }
  return parseSymbologyJson(json, path);
}
