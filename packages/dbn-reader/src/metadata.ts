/** DBN metadata: type, parser (v1/v2/v3) and writer. Layout: docs/dbn-format.md §2. */
import {
  schemaId as schemaIdOf,
  schemaName,
  stypeId as stypeIdOf,
  stypeName,
  SYMBOL_CSTR_LEN,
  SYMBOL_CSTR_LEN_V1,
  UNDEF_TIMESTAMP,
  type SchemaName,
  type STypeName,
} from './constants.js';
import { DbnEncodeError, DbnMetadataError } from './errors.js';
import { byteAt } from './indexing.js';

export interface MappingInterval {
  /** first UTC date the mapping holds, inclusive, `YYYY-MM-DD` */
  startDate: string;
  /** UTC date the mapping stops holding, exclusive, `YYYY-MM-DD` */
  endDate: string;
  /** the symbol on the `stype_out` side (for stype_out instrument_id: the id as decimal text) */
  symbol: string;
}

export interface SymbolMapping {
  /** the symbol on the `stype_in` side */
  rawSymbol: string;
  intervals: MappingInterval[];
}

export interface DbnMetadata {
  /** DBN version the records are presented in: 3 with upgradePolicy 'upgrade', else the file's */
  version: number;
  /** version byte found in the file */
  sourceVersion: number;
  dataset: string;
  /** schema name, null for none/mixed (0xFFFF) or an id this library does not know (see schemaId) */
  schema: SchemaName | null;
  /** the raw schema id (0xFFFF = none/mixed) */
  schemaId: number;
  /** query start, UNIX ns */
  start: bigint;
  /** exclusive query end, UNIX ns; null when not set (u64::MAX or 0 in the file) */
  end: bigint | null;
  /** record limit; 0n = no limit */
  limit: bigint;
  stypeIn: STypeName | null;
  /** raw stype_in id (0xFF = none/mixed) */
  stypeInId: number;
  stypeOut: STypeName | null;
  stypeOutId: number;
  /** every record carries an 8-byte `ts_out` send timestamp */
  tsOut: boolean;
  /** length of each symbol string in the metadata as read from the file (22 in v1) */
  symbolCstrLen: number;
  symbols: string[];
  partial: string[];
  notFound: string[];
  mappings: SymbolMapping[];
}

/** What the encoder needs; a decoded `DbnMetadata` is accepted as is. */
export interface DbnMetadataInput {
  dataset: string;
  /** schema name or null (mixed); ignored when `schemaId` is given */
  schema?: SchemaName | string | null;
  schemaId?: number;
  start: bigint;
  end?: bigint | null;
  limit?: bigint;
  stypeIn?: STypeName | string | null;
  stypeInId?: number;
  stypeOut?: STypeName | string | null;
  stypeOutId?: number;
  tsOut?: boolean;
  /** symbol string length for v2/v3 output; default 71 (v1 is always 22) */
  symbolCstrLen?: number;
  symbols?: string[];
  partial?: string[];
  notFound?: string[];
  mappings?: SymbolMapping[];
}

export const METADATA_FIXED_LEN = 100;
export const PRELUDE_LEN = 8;

const utf8 = new TextDecoder('utf-8');
const utf8enc = new TextEncoder();

/** Decodes a NUL-padded C string field (stops at the first NUL, or at the end of `bytes`). */
export function readCString(bytes: Uint8Array, start: number, len: number): string {
  let end = start;
  const stop = start + len;
  let ascii = true;
  while (end < stop) {
    const b = bytes[end];
    if (b === undefined || b === 0) break;
    if (b > 0x7f) ascii = false;
    end++;
  }
  if (end === start) return '';
  if (ascii && end - start <= 32) {
    let s = '';
    // start <= i < end: every byte was read by the loop above
    for (let i = start; i < end; i++) s += String.fromCharCode(byteAt(bytes, i));
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/** Writes `s` as UTF-8 into a `len`-byte NUL-padded field; throws if it does not fit. */
export function writeCString(bytes: Uint8Array, start: number, len: number, s: string, field: string): void {
  const r = utf8enc.encodeInto(s, bytes.subarray(start, start + len));
  if (r.read < s.length) {
    throw new DbnEncodeError(`field '${field}': "${s}" does not fit in ${len} bytes`, field);
  }
  bytes.fill(0, start + r.written, start + len);
}

export function formatDate(d: number): string {
  const y = Math.floor(d / 10000);
  const m = Math.floor(d / 100) % 100;
  const day = d % 100;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function parseDate(s: string, field: string): number {
  const m = /^(\d{1,6})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new DbnEncodeError(`field '${field}': date '${s}' is not YYYY-MM-DD`, field);
  const v = Number(m[1]) * 10000 + Number(m[2]) * 100 + Number(m[3]);
  if (v > 0xffffffff) throw new DbnEncodeError(`field '${field}': date '${s}' out of range`, field);
  return v;
}

/**
 * Parses the metadata. `buf` starts at the `DBN` prelude and holds at least
 * `8 + metadata_length` bytes. `baseOffset` is the stream offset of `buf[0]` (for errors).
 */
export function parseMetadata(buf: Uint8Array, opts: { file?: string; baseOffset?: number; upgrade: boolean }): DbnMetadata {
  const base = opts.baseOffset ?? 0;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // DataView reads: a buffer shorter than the fixed part throws a RangeError, never yields undefined
  const version = dv.getUint8(3);
  const metaLen = dv.getUint32(4, true);
  const end = PRELUDE_LEN + metaLen;
  const fail = (msg: string, at: number): never => {
    throw new DbnMetadataError(msg, { file: opts.file, offset: base + at });
  };
  if (metaLen < METADATA_FIXED_LEN) fail(`metadata length ${metaLen} is below the fixed part's 100 bytes`, 4);
  const dataset = readCString(buf, 8, 16);
  const schemaRaw = dv.getUint16(24, true);
  const start = dv.getBigUint64(26, true);
  const endRaw = dv.getBigUint64(34, true);
  const limit = dv.getBigUint64(42, true);
  let pos: number;
  let stypeInRaw: number;
  let stypeOutRaw: number;
  let tsOut: number;
  let symLen: number;
  if (version === 1) {
    stypeInRaw = dv.getUint8(58);
    stypeOutRaw = dv.getUint8(59);
    tsOut = dv.getUint8(60);
    symLen = SYMBOL_CSTR_LEN_V1;
  } else {
    stypeInRaw = dv.getUint8(50);
    stypeOutRaw = dv.getUint8(51);
    tsOut = dv.getUint8(52);
    symLen = dv.getUint16(53, true);
  }
  pos = 108;
  const need = (n: number, what: string): void => {
    if (pos + n > end) fail(`metadata ends inside ${what} (metadata length ${metaLen})`, pos);
  };
  need(4, 'schema_definition_length');
  const schemaDefLen = dv.getUint32(pos, true);
  if (schemaDefLen !== 0) fail(`schema_definition_length is ${schemaDefLen}; only 0 is defined`, pos);
  pos += 4;
  const readSymbols = (what: string): string[] => {
    need(4, `${what} count`);
    const n = dv.getUint32(pos, true);
    pos += 4;
    if (n * symLen > end - pos) fail(`${what} count ${n} x ${symLen} bytes runs past the metadata end`, pos - 4);
    // with a (corrupt) symbol length of 0 the count is bounded by nothing: refuse it
    if (symLen === 0 && n > 0) fail(`${what} count ${n} with a symbol_cstr_len of 0`, pos - 4);
    const out: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = readCString(buf, pos, symLen);
      pos += symLen;
    }
    return out;
  };
  const symbols = readSymbols('symbols');
  const partial = readSymbols('partial');
  const notFound = readSymbols('not_found');
  need(4, 'mappings count');
  const nMap = dv.getUint32(pos, true);
  pos += 4;
  if (nMap * (symLen + 4) > end - pos) fail(`mappings count ${nMap} runs past the metadata end`, pos - 4);
  const mappings: SymbolMapping[] = new Array(nMap);
  for (let i = 0; i < nMap; i++) {
    need(symLen + 4, 'a mapping');
    const rawSymbol = readCString(buf, pos, symLen);
    pos += symLen;
    const k = dv.getUint32(pos, true);
    pos += 4;
    if (k * (8 + symLen) > end - pos) fail(`mapping interval count ${k} runs past the metadata end`, pos - 4);
    const intervals: MappingInterval[] = new Array(k);
    for (let j = 0; j < k; j++) {
      intervals[j] = {
        startDate: formatDate(dv.getUint32(pos, true)),
        endDate: formatDate(dv.getUint32(pos + 4, true)),
        symbol: readCString(buf, pos + 8, symLen),
      };
      pos += 8 + symLen;
    }
    mappings[i] = { rawSymbol, intervals };
  }
  return {
    version: opts.upgrade ? 3 : version,
    sourceVersion: version,
    dataset,
    schema: schemaRaw === 0xffff ? null : schemaName(schemaRaw),
    schemaId: schemaRaw,
    start,
    end: endRaw === UNDEF_TIMESTAMP || endRaw === 0n ? null : endRaw,
    limit,
    stypeIn: stypeInRaw === 0xff ? null : stypeName(stypeInRaw),
    stypeInId: stypeInRaw,
    stypeOut: stypeOutRaw === 0xff ? null : stypeName(stypeOutRaw),
    stypeOutId: stypeOutRaw,
    tsOut: tsOut !== 0,
    symbolCstrLen: symLen,
    symbols,
    partial,
    notFound,
    mappings,
  };
}

/** Encodes prelude + metadata for DBN `version` (v3 pads so records start on an 8-byte boundary). */
export function encodeMetadata(meta: DbnMetadataInput, version: 1 | 2 | 3 = 3): Uint8Array {
  const symLen = version === 1 ? SYMBOL_CSTR_LEN_V1 : (meta.symbolCstrLen ?? SYMBOL_CSTR_LEN);
  if (!Number.isInteger(symLen) || symLen < 1 || symLen > 0xffff) {
    throw new DbnEncodeError(`symbolCstrLen ${symLen} out of range`, 'symbolCstrLen');
  }
  const symbols = meta.symbols ?? [];
  const partial = meta.partial ?? [];
  const notFound = meta.notFound ?? [];
  const mappings = meta.mappings ?? [];
  let len = METADATA_FIXED_LEN + 4 + 4 * 4 + (symbols.length + partial.length + notFound.length) * symLen;
  for (const m of mappings) len += symLen + 4 + m.intervals.length * (8 + symLen);
  if (version === 3) len += (8 - ((PRELUDE_LEN + len) % 8)) % 8;
  const buf = new Uint8Array(PRELUDE_LEN + len);
  const dv = new DataView(buf.buffer);
  buf[0] = 0x44;
  buf[1] = 0x42;
  buf[2] = 0x4e;
  buf[3] = version;
  dv.setUint32(4, len, true);
  writeCString(buf, 8, 16, meta.dataset, 'dataset');
  const sid = meta.schemaId ?? schemaIdOf(meta.schema ?? null);
  dv.setUint16(24, sid, true);
  dv.setBigUint64(26, meta.start, true);
  dv.setBigUint64(34, meta.end ?? UNDEF_TIMESTAMP, true);
  dv.setBigUint64(42, meta.limit ?? 0n, true);
  const sin = meta.stypeInId ?? stypeIdOf(meta.stypeIn ?? null);
  const sout = meta.stypeOutId ?? stypeIdOf(meta.stypeOut ?? null);
  if (version === 1) {
    dv.setBigUint64(50, UNDEF_TIMESTAMP, true); // deprecated record_count
    buf[58] = sin;
    buf[59] = sout;
    buf[60] = meta.tsOut ? 1 : 0;
  } else {
    buf[50] = sin;
    buf[51] = sout;
    buf[52] = meta.tsOut ? 1 : 0;
    dv.setUint16(53, symLen, true);
  }
  let pos = 108;
  dv.setUint32(pos, 0, true);
  pos += 4;
  const writeSyms = (list: string[], what: string): void => {
    dv.setUint32(pos, list.length, true);
    pos += 4;
    for (const s of list) {
      writeCString(buf, pos, symLen, s, what);
      pos += symLen;
    }
  };
  writeSyms(symbols, 'symbols');
  writeSyms(partial, 'partial');
  writeSyms(notFound, 'notFound');
  dv.setUint32(pos, mappings.length, true);
  pos += 4;
  for (const m of mappings) {
    writeCString(buf, pos, symLen, m.rawSymbol, 'mappings.rawSymbol');
    pos += symLen;
    dv.setUint32(pos, m.intervals.length, true);
    pos += 4;
    for (const iv of m.intervals) {
      dv.setUint32(pos, parseDate(iv.startDate, 'mappings.intervals.startDate'), true);
      dv.setUint32(pos + 4, parseDate(iv.endDate, 'mappings.intervals.endDate'), true);
      writeCString(buf, pos + 8, symLen, iv.symbol, 'mappings.intervals.symbol');
      pos += 8 + symLen;
    }
  }
  return buf;
}
