/**
 * Bronze option trades -> the contract's JSON bytes and the Bronze message id, straight from a window's
 * columns (no OptionTrade object, no bigint per row): timestamps and seq as uint32 halves, numbers as doubles
 * from typed arrays, strings (dictionary values: the same string objects row after row) encoded once per
 * distinct value. A row is encoded here only when every field is of the usual shape and passes the old
 * system's rules; any other row (a rule broken, a null where a value is required, a legacy text column) goes
 * to the object path's binder (binders.ts) for that row, which gives its reason, or its event then encoded by
 * @md/event-types' `encode`: the same result by construction.
 */
import { SUBJECTS } from '@md/event-types';
import { Fingerprint } from '../msg-id.js';
import { expDate } from '../rules.js';
import { put, u64, uint, float, int, utf8 } from './out.js';
import { MIN_EXP_DAYS, RowEncoder, strEntry, type StrEntry, type WindowCols } from './row-encoder.js';

const K = {
  tsEvent: utf8('{"ts_event_ns":'),
  tsRecv: utf8(',"ts_recv_ns":'),
  underlying: utf8(',"underlying":'),
  optionSymbol: utf8(',"option_symbol":'),
  expDate: utf8(',"exp_date":"'),
  strike: utf8('","strike":'),
  right: [utf8(',"right":"C","price":'), utf8(',"right":"P","price":')],
  size: utf8(',"size":'),
  optBid: utf8(',"opt_bid":'),
  optAsk: utf8(',"opt_ask":'),
  aggressor: [utf8(',"aggressor":-1,"conditions":'), utf8(',"aggressor":0,"conditions":'), utf8(',"aggressor":1,"conditions":')],
  seq: utf8(',"seq":'),
  nul: utf8('null'),
};
const SUBJECT = SUBJECTS.optionTrades;
const ID_PREFIX = `${SUBJECT}:`;
/** a row's bytes beyond its strings and conditions: keys, 2 x 19 digits, 4 floats of at most 24, id */
const FIXED = 420;
/** exp_date values handled here (up to year 9999; beyond, the object path) */
const MAX_EXP_DAYS = 2_932_896;

/** b[s, e) copied to p (a few digits) */
function copy(b: Uint8Array, p: number, s: number, e: number): number {
  for (let k = s; k < e; k++) b[p++] = b[k] as number;
  return p;
}

const concat = (x: Uint8Array, y: Uint8Array): Uint8Array => {
  const o = new Uint8Array(x.length + y.length);
  o.set(x);
  o.set(y, x.length);
  return o;
};

export class OptionTradesEncoder extends RowEncoder {
  private readonly fp = new Fingerprint();
  private readonly underlyings = new Map<unknown, StrEntry>();
  private readonly symbols = new Map<unknown, StrEntry>();
  private readonly dates = new Map<number, Uint8Array>();
  /** `,"source":"…","underlying":` in one run */
  private readonly sourceUnderlying = concat(this.sourceBytes, K.underlying);

  protected readonly subjectIndex = 0;
  static readonly subjects: readonly string[] = [SUBJECT];
  protected readonly f64Columns = ['strike', 'price', 'size', 'opt_bid', 'opt_ask', 'aggressor'] as const;
  protected readonly i64Columns = ['ts_event_ns', 'ts_recv_ns', 'seq'] as const;
  protected readonly jsColumns = ['underlying', 'option_symbol', 'exp_date', 'right', 'conditions'] as const;
  protected readonly symbolColumn = 'option_symbol';

  /** writes row i of the window; false: the row is not of the usual shape (the caller takes the object path) */
  protected fast(i: number, w: WindowCols): boolean {
    const { f, fn, lo, hi, ln, js } = w;
    const tsN = ln.ts_event_ns as Uint8Array;
    const trN = ln.ts_recv_ns as Uint8Array;
    if (tsN[i] !== 0 || trN[i] !== 0) return false;
    const teHi = (hi.ts_event_ns as Uint32Array)[i] as number;
    const teLo = (lo.ts_event_ns as Uint32Array)[i] as number;
    const trHi = (hi.ts_recv_ns as Uint32Array)[i] as number;
    const trLo = (lo.ts_recv_ns as Uint32Array)[i] as number;
    if (!this.tsOk(teHi, teLo) || !this.tsOk(trHi, trLo)) return false;
    if ((fn.strike as Uint8Array)[i] !== 0 || (fn.price as Uint8Array)[i] !== 0 || (fn.size as Uint8Array)[i] !== 0) return false;
    const strike = (f.strike as Float64Array)[i] as number;
    const price = (f.price as Float64Array)[i] as number;
    const size = (f.size as Float64Array)[i] as number;
    if (!(strike > 0 && strike < Infinity) || !(price >= 0 && price < Infinity) || !(Number.isSafeInteger(size) && size >= 1)) return false;
    const right = js.right?.[i];
    const r = right === 'C' ? 0 : right === 'P' ? 1 : -1;
    if (r < 0) return false;
    const bN = (fn.opt_bid as Uint8Array)[i] as number;
    const aN = (fn.opt_ask as Uint8Array)[i] as number;
    if (bN > 1 || aN > 1) return false;
    const bid = (f.opt_bid as Float64Array)[i] as number;
    const ask = (f.opt_ask as Float64Array)[i] as number;
    if ((bN === 0 && !(bid >= 0 && bid < Infinity)) || (aN === 0 && !(ask >= 0 && ask < Infinity))) return false;
    const gN = (fn.aggressor as Uint8Array)[i] as number;
    const agg = gN === 1 ? 0 : ((f.aggressor as Float64Array)[i] as number);
    if (gN > 1 || !(agg === 0 || agg === 1 || agg === -1)) return false;
    const sN = (ln.seq as Uint8Array)[i] as number;
    const sHi = (hi.seq as Uint32Array)[i] as number;
    if (sN > 1 || (sN === 0 && sHi >= 0x200000)) return false;
    const u = strEntry(this.underlyings, js.underlying?.[i], 10, ID_PREFIX);
    const s = strEntry(this.symbols, js.option_symbol?.[i], Infinity, ID_PREFIX);
    if (u === null || s === null) return false;
    const ed = js.exp_date?.[i];
    if (typeof ed !== 'number' || !Number.isInteger(ed) || ed < MIN_EXP_DAYS || ed > MAX_EXP_DAYS) return false;
    const cond = js.conditions?.[i];
    if (cond !== null && cond !== undefined) {
      if (!Array.isArray(cond)) return false;
      for (let k = 0; k < cond.length; k++) if (!Number.isSafeInteger(cond[k])) return false;
    }
    const date = expDate(ed);
    let dateBytes = this.dates.get(ed);
    if (dateBytes === undefined) {
      dateBytes = utf8(date);
      if (this.dates.size > 10_000) this.dates.clear();
      this.dates.set(ed, dateBytes);
    }

    // the body
    const conds = cond as number[] | null | undefined;
    const out = this.builder.out;
    out.ensure(FIXED + 2 * s.json.length + u.json.length + (conds ? conds.length * 18 : 0));
    const b = out.buf;
    const bodyStart = out.pos;
    const te0 = bodyStart + K.tsEvent.length;
    let p = put(b, bodyStart, K.tsEvent);
    p = u64(b, p, teHi, teLo);
    const te1 = p;
    p = put(b, p, K.tsRecv);
    const tr0 = p;
    p = u64(b, p, trHi, trLo);
    const tr1 = p;
    p = put(b, p, this.sourceUnderlying);
    p = put(b, p, u.json);
    p = put(b, p, K.optionSymbol);
    p = put(b, p, s.json);
    p = put(b, p, K.expDate);
    p = put(b, p, dateBytes);
    p = put(b, p, K.strike);
    p = float(b, p, strike);
    p = put(b, p, K.right[r] as Uint8Array);
    p = float(b, p, price);
    p = put(b, p, K.size);
    p = uint(b, p, size);
    p = put(b, p, K.optBid);
    p = bN === 1 ? put(b, p, K.nul) : float(b, p, bid);
    p = put(b, p, K.optAsk);
    p = aN === 1 ? put(b, p, K.nul) : float(b, p, ask);
    p = put(b, p, K.aggressor[agg + 1] as Uint8Array);
    if (conds === null || conds === undefined) p = put(b, p, K.nul);
    else {
      b[p++] = 91;
      for (let k = 0; k < conds.length; k++) {
        if (k > 0) b[p++] = 44;
        p = int(b, p, conds[k] as number);
      }
      b[p++] = 93;
    }
    p = put(b, p, K.seq);
    const sLo = (lo.seq as Uint32Array)[i] as number;
    const sq0 = p;
    p = sN === 1 ? put(b, p, K.nul) : uint(b, p, sHi * 4294967296 + sLo);
    const sq1 = p;
    b[p++] = 125;
    const bodyEnd = p;

    // the id: subject:option_symbol:ts_event:ts_recv:seq|-:fingerprint
    const fp = this.fp
      .reset()
      .str(u.value)
      .str(date)
      .num(strike)
      .str(right as string)
      .num(price)
      .num(size);
    fp.numOrNull(bN === 1 ? null : bid)
      .numOrNull(aN === 1 ? null : ask)
      .num(agg)
      .list(conds ?? null);
    // the digits of ts_event, ts_recv and seq as the body has them
    p = put(b, p, s.id);
    p = copy(b, p, te0, te1);
    b[p++] = 58;
    p = copy(b, p, tr0, tr1);
    b[p++] = 58;
    if (sN === 1) b[p++] = 45;
    else p = copy(b, p, sq0, sq1);
    b[p++] = 58;
    p = fp.digestInto(b, p);
    out.pos = p;
    this.builder.row(this.subjectIndex, bodyStart, bodyEnd, bodyEnd, p, teHi, teLo, trHi, trLo);
    return true;
  }
}
