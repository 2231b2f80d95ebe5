/**
 * The fast path encoder (issue 12): a DBN record in place (the decoder's bytes, before any object is built)
 * -> the contract's JSON body and the DBN message id, written into a reused OutBuffer. Byte for byte what the
 * object path writes (mapping.ts's toFuturesTrade / toMbp10 / toOptionTrade, then @md/event-types `encode`,
 * and `dbnMsgId`); test/fast-encode.test.ts checks that on random and real records.
 *
 * Per record it reads the fields with DataView at their layout offsets (layouts.ts: trades, MBP-1 and MBP-10
 * share the header and the first 48 bytes in every DBN version), writes digits by hand (64-bit values from two
 * 32-bit halves, no bigint), and copies pre-encoded bytes for everything constant per file or per symbol
 * (keys, subject, file name, symbol, exchange, the option's identity). No allocation per event on the usual
 * route (see price.ts for the rare prices that take the exact slow route).
 *
 * Not published (encode returns null, `reason` says why):
 * - 'skipped': a record of another type than the kind maps (the caller applies SymbolMappingMsg records);
 * - 'invalid': what the mapping refuses (DbnMappingError: undefined ts_event/ts_recv, UNDEF_PRICE trade price,
 *   a bad option symbol); `message()` gives the mapping's text;
 * - 'refused': what the codec refuses at publish time (EncodeError): a timestamp above INT64_MAX, an empty symbol;
 *   `message()` gives the EncodeError's text (field, value and schema id, as the codec writes it).
 */
import { EncodeError, EVENT_SOURCES, SCHEMA_IDS, SUBJECTS, type EventSource, type Subject } from '@md/event-types';
import { DbnMappingError, exchangeFor, type DbnEventKind } from '../mapping.js';
import { ascii, put, u64, uint, type OutBuffer } from './out.js';
import { kTsEvent, kTsRecv } from './keys.js';
import { LEVELS_MAX, LevelsWriter } from './levels.js';
import { PRICE_MAX, price } from './price.js';
import { PriceCache } from './price-cache.js';
import { optionPart, type OptionPart } from './option.js';

export { OutBuffer } from './out.js';

/** What the encoder knows of the file (what mapping.ts's MapContext holds, bar the record index). */
export interface FastContext {
  kind: DbnEventKind;
  /** base name of the DBN file, as in the message ids */
  fileBaseName: string;
  /** the file's dataset (metadata): GLBX.MDP3 gives FuturesTrade exchange `CME` */
  dataset?: string | null;
  /** the body's `source` (default 'replay'; the generated sample session is 'sim') */
  source?: EventSource;
}

/** A record in place: what the decoder's RawRecord (scanDbn) carries. */
export interface RecordBytes {
  bytes: Uint8Array;
  view: DataView;
  offset: number;
  /** record size in bytes */
  size: number;
}

export const FAST_SUBJECT = { futuresTrades: 0, optionTrades: 1, futuresMbp10: 2 } as const;
export type FastSubject = (typeof FAST_SUBJECT)[keyof typeof FAST_SUBJECT];
/** subject name by FastSubject */
export const FAST_SUBJECTS: readonly Subject[] = [SUBJECTS.futuresTrades, SUBJECTS.optionTrades, SUBJECTS.futuresMbp10];

/** One encoded event: offsets into `out.bytes` (the object is reused by the encoder: copy what you keep). */
export interface FastEncoded {
  subject: FastSubject;
  bodyStart: number;
  bodyEnd: number;
  idStart: number;
  idEnd: number;
}

export type FastReason = 'skipped' | 'invalid' | 'refused';

const te = new TextEncoder();
const K = {
  tsEvent: ascii('{"ts_event_ns":'),
  tsRecv: ascii(',"ts_recv_ns":'),
  price: ascii(',"price":'),
  size: ascii(',"size":'),
  aggressor: [ascii(',"aggressor":0'), ascii(',"aggressor":1'), ascii(',"aggressor":-1')],
  exchange: ascii(',"exchange":'),
  condSeq: ascii(',"conditions":null,"seq":'),
  optBid: ascii(',"opt_bid":'),
  optAsk: ascii(',"opt_ask":'),
  nul: ascii('null'),
  snapshot: [ascii(',"is_snapshot":false,"seq":'), ascii(',"is_snapshot":true,"seq":')],
};
const SIDE_A = 0x41;
const SIDE_B = 0x42;
const SNAPSHOT = 0x20;
const U32_MAX = 0xffffffff;
/** bound on the fixed-size bytes of a body and id (keys, numbers, prices): strings are added per event */
const FIXED_MAX = 400 + 3 * PRICE_MAX + LEVELS_MAX;

/** record sizes the layouts need: header + MBP head = 48, + one level = 80, + ten = 368 */
const MIN_SIZE = { trade: 48, mbp1: 80, mbp10: 368 };

export class FastEncoder {
  /** why the last encode returned null */
  reason: FastReason | null = null;
  private readonly res: FastEncoded = { subject: 0, bodyStart: 0, bodyEnd: 0, idStart: 0, idEnd: 0 };
  private readonly kind: DbnEventKind;
  /** `:fileBaseName:` */
  private readonly idFile: Uint8Array;
  /** `,"source":"<source>","symbol":` (`"underlying":` for options) */
  private readonly kSymbol: Uint8Array;
  private readonly kUnderlying: Uint8Array;
  private readonly schemaId: string;
  private readonly symbols = new Map<string, Uint8Array>();
  /** per symbol (trades, MBP-10): `,"source":..,"symbol":<name>` (+ `,"price":` for trades), one block */
  private readonly heads = new Map<string, Uint8Array>();
  /** per option part: `,"source":..,"underlying":<part>,"price":` */
  private readonly optHeads = new Map<OptionPart, Uint8Array>();
  /** trades: `,"aggressor":..,"exchange":..,"conditions":null,"seq":` by publisher_id * 3 + side (0 N, 1 B, 2 A) */
  private readonly tails: Array<Uint8Array | undefined> = [];
  /** `}` + `subject:` (the body's end and the id's start) */
  private readonly kClose: Uint8Array;
  /** trade price texts by raw value */
  private readonly prices = new PriceCache();
  private readonly options = new Map<string, OptionPart>();
  private readonly exchanges: Array<Uint8Array | undefined> = [];
  private lastMessage: (() => string) | null = null;
  private readonly levels = new LevelsWriter();
  private lastIndex = 0;

  constructor(readonly ctx: FastContext) {
    const k = ctx.kind;
    if (k !== 'trades' && k !== 'mbp10' && k !== 'options') {
      throw new TypeError(`FastEncoder: kind must be 'trades', 'mbp10' or 'options', got ${String(k)}`);
    }
    this.kind = k;
    const subject = k === 'trades' ? SUBJECTS.futuresTrades : k === 'mbp10' ? SUBJECTS.futuresMbp10 : SUBJECTS.optionTrades;
    this.res.subject = k === 'trades' ? FAST_SUBJECT.futuresTrades : k === 'mbp10' ? FAST_SUBJECT.futuresMbp10 : FAST_SUBJECT.optionTrades;
    this.kClose = te.encode('}' + subject + ':');
    this.idFile = te.encode(':' + ctx.fileBaseName + ':');
    const source = ctx.source ?? 'replay';
    if (!(EVENT_SOURCES as readonly string[]).includes(source)) {
      throw new TypeError(`FastEncoder: source must be one of ${EVENT_SOURCES.join('|')}, got ${JSON.stringify(source)}`);
    }
    this.kSymbol = ascii(`,"source":${JSON.stringify(source)},"symbol":`);
    this.kUnderlying = ascii(`,"source":${JSON.stringify(source)},"underlying":`);
    this.schemaId = k === 'trades' ? SCHEMA_IDS.futuresTrades : k === 'mbp10' ? SCHEMA_IDS.futuresMbp10 : SCHEMA_IDS.optionTrades;
  }

  /** the mapping's message for the last 'invalid' record (as DbnMappingError writes it), or the codec's refusal */
  message(): string {
    return this.lastMessage === null ? '' : this.lastMessage();
  }

  private fail(reason: FastReason, recordIndex: number, text: () => string): null {
    this.reason = reason;
    this.lastIndex = recordIndex;
    this.lastMessage =
      reason === 'invalid'
        ? () => new DbnMappingError(text(), { fileBaseName: this.ctx.fileBaseName, recordIndex: this.lastIndex }).message
        : text;
    return null;
  }

  /** a refusal with the codec's EncodeError text for `field` */
  private refuse(recordIndex: number, field: string, text: () => string): null {
    this.fail('refused', recordIndex, () => new EncodeError(field, text(), this.schemaId).message);
    return null;
  }

  /** the JSON text of a symbol (as the codec writes strings: JSON.stringify's escapes, UTF-8), cached */
  private symbolBytes(symbol: string): Uint8Array {
    let s = this.symbols.get(symbol);
    if (s === undefined) {
      s = te.encode(JSON.stringify(symbol));
      if (this.symbols.size > 100_000) this.symbols.clear();
      this.symbols.set(symbol, s);
    }
    return s;
  }

  private headBytes(symbol: string): Uint8Array {
    let h = this.heads.get(symbol);
    if (h === undefined) {
      h = concat(this.kSymbol, this.symbolBytes(symbol), this.kind === 'trades' ? K.price : EMPTY);
      if (this.heads.size > 100_000) this.heads.clear();
      this.heads.set(symbol, h);
    }
    return h;
  }

  private optHeadBytes(opt: OptionPart): Uint8Array {
    let h = this.optHeads.get(opt);
    if (h === undefined) {
      h = concat(this.kUnderlying, opt.bytes, K.price);
      if (this.optHeads.size > 100_000) this.optHeads.clear();
      this.optHeads.set(opt, h);
    }
    return h;
  }

  private tailBytes(publisherId: number, side: number): Uint8Array {
    const i = publisherId * 3 + side;
    let t = this.tails[i];
    if (t === undefined) {
      t = concat(K.aggressor[side] as Uint8Array, K.exchange, this.exchangeBytes(publisherId), K.condSeq);
      this.tails[i] = t;
    }
    return t;
  }

  private exchangeBytes(publisherId: number): Uint8Array {
    let e = this.exchanges[publisherId];
    if (e === undefined) {
      const x = exchangeFor(publisherId, this.ctx.dataset);
      e = x === null ? K.nul : te.encode(JSON.stringify(x));
      this.exchanges[publisherId] = e;
    }
    return e;
  }

  /**
   * Encodes the record at `rec.offset` (its event's body, then its message id) at `out.pos`, advancing it.
   * `recordIndex` is the record's position among the records the decoder yields (as in the object path's
   * ids: unknown rtypes not counted), `symbol` the file's symbology for its instrument at its ts_recv (the
   * OSI raw symbol or `O:` ticker for options). Returns the (reused) offsets, or null with `reason` set.
   */
  encode(rec: RecordBytes, recordIndex: number, symbol: string, out: OutBuffer): FastEncoded | null {
    const u8 = rec.bytes;
    const dv = rec.view;
    const o = rec.offset;
    const rtype = u8[o + 1];
    const kind = this.kind;
    let min: number;
    if (kind === 'mbp10') min = rtype === 0x0a ? MIN_SIZE.mbp10 : 0;
    else if (rtype === 0x00) min = MIN_SIZE.trade;
    else min = kind === 'options' && rtype === 0x01 ? MIN_SIZE.mbp1 : 0;
    if (min === 0) {
      this.reason = 'skipped';
      this.lastMessage = null;
      return null;
    }
    if (rec.size < min) {
      throw new RangeError(
        `FastEncoder: record #${recordIndex} of rtype 0x${(rtype ?? 0).toString(16)} is ${rec.size} bytes, its layout needs ${min}`,
      );
    }
    // checks in the mapping's order: times, (option symbol), price; then the codec's
    const evLo = dv.getUint32(o + 8, true);
    const evHi = dv.getUint32(o + 12, true);
    const rvLo = dv.getUint32(o + 32, true);
    const rvHi = dv.getUint32(o + 36, true);
    if (evLo === U32_MAX && evHi === U32_MAX) return this.fail('invalid', recordIndex, () => 'ts_event is undefined (u64::MAX)');
    if (rvLo === U32_MAX && rvHi === U32_MAX) return this.fail('invalid', recordIndex, () => 'ts_recv is undefined (u64::MAX)');
    let opt: OptionPart | undefined;
    if (kind === 'options') {
      opt = this.options.get(symbol);
      if (opt === undefined) {
        opt = optionPart(symbol);
        if (this.options.size > 100_000) this.options.clear();
        this.options.set(symbol, opt);
      }
      const err = opt.error;
      if (err !== null) return this.fail('invalid', recordIndex, () => err);
    }
    const tradePxUndef = dv.getUint32(o + 16, true) === U32_MAX && dv.getUint32(o + 20, true) === 0x7fffffff;
    if (kind !== 'mbp10' && tradePxUndef) return this.fail('invalid', recordIndex, () => 'price is undefined (UNDEF_PRICE)');
    // the codec checks the fields in the contract's order: ts_event_ns, ts_recv_ns, source, symbol
    if (evHi >= 0x80000000) return this.refuse(recordIndex, 'ts_event_ns', () => `${halves(evHi, evLo)} is outside the int64 range`);
    if (rvHi >= 0x80000000) return this.refuse(recordIndex, 'ts_recv_ns', () => `${halves(rvHi, rvLo)} is outside the int64 range`);
    if (symbol.length === 0) return this.refuse(recordIndex, 'symbol', () => 'must not be empty');

    const head = opt === undefined ? this.headBytes(symbol) : this.optHeadBytes(opt);
    out.ensure(FIXED_MAX + head.length + this.idFile.length);
    const b = out.bytes;
    const bodyStart = out.pos;
    let p = kTsEvent(b, bodyStart);
    p = u64(b, p, evHi, evLo);
    p = kTsRecv(b, p);
    const rvStart = p;
    p = u64(b, p, rvHi, rvLo);
    const rvEnd = p;
    p = put(b, p, head);
    const side = u8[o + 29];
    const seq = dv.getUint32(o + 44, true);
    let seqStart: number;
    if (kind === 'trades') {
      p = this.prices.write(b, p, dv, o + 16);
      p = put(b, p, K.size);
      p = uint(b, p, dv.getUint32(o + 24, true));
      p = put(b, p, this.tailBytes(dv.getUint16(o + 2, true), side === SIDE_B ? 1 : side === SIDE_A ? 2 : 0));
      seqStart = p;
      p = uint(b, p, seq);
    } else if (kind === 'options') {
      const aggr = side === SIDE_B ? K.aggressor[1] : side === SIDE_A ? K.aggressor[2] : K.aggressor[0];
      p = price(b, p, dv, o + 16);
      p = put(b, p, K.size);
      p = uint(b, p, dv.getUint32(o + 24, true));
      const top = rtype === 0x01;
      p = put(b, p, K.optBid);
      p = top ? this.nullablePrice(b, p, dv, o + 48) : put(b, p, K.nul);
      p = put(b, p, K.optAsk);
      p = top ? this.nullablePrice(b, p, dv, o + 56) : put(b, p, K.nul);
      p = put(b, p, aggr as Uint8Array);
      p = put(b, p, K.condSeq);
      seqStart = p;
      p = uint(b, p, seq);
    } else {
      p = this.levels.write(b, p, dv, o);
      p = put(b, p, K.snapshot[((u8[o + 30] as number) & SNAPSHOT) !== 0 ? 1 : 0] as Uint8Array);
      seqStart = p;
      p = uint(b, p, seq);
    }
    const bodyEnd = p + 1;
    // the id: subject:instrument_id:ts_recv:sequence:fileBaseName:recordIndex
    p = put(b, p, this.kClose);
    p = uint(b, p, dv.getUint32(o + 4, true));
    b[p++] = 0x3a;
    for (let i = rvStart; i < rvEnd; i++) b[p++] = b[i] as number; // ts_recv's digits, as the body has them
    b[p++] = 0x3a;
    for (let i = seqStart; i < bodyEnd - 1; i++) b[p++] = b[i] as number; // the sequence's digits, as the body has them
    p = put(b, p, this.idFile);
    p = uint(b, p, recordIndex);
    out.pos = p;
    const r = this.res;
    r.bodyStart = bodyStart;
    r.bodyEnd = bodyEnd;
    r.idStart = bodyEnd;
    r.idEnd = p;
    this.reason = null;
    return r;
  }

  private nullablePrice(b: Uint8Array, p: number, dv: DataView, o: number): number {
    if (dv.getUint32(o, true) === U32_MAX && dv.getUint32(o + 4, true) === 0x7fffffff) return put(b, p, K.nul);
    return price(b, p, dv, o);
  }
}

const EMPTY = new Uint8Array(0);

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const x of parts) n += x.length;
  const r = new Uint8Array(n);
  n = 0;
  for (const x of parts) {
    r.set(x, n);
    n += x.length;
  }
  return r;
}

/** the exact value of two u32 halves (for a refusal's message only: never on the wire) */
function halves(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}
