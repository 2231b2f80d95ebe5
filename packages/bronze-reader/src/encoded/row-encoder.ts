/**
 * What every table's encoder of the encoded path shares (option-trades.ts is one): the window's columns in
 * typed scratch arrays, the row loop with the time-range and contract filters, the object path for the rows the
 * table's `fast` leaves (binders.ts: its reason, or its event through @md/event-types' `encode`), the step-back
 * warning, the counts. One encoder per file, as the object path's readBronzeFile.
 */
import { bigIntToHalves, encode, EncodeError, type EventSource, type Publishable } from '@md/event-types';
import { WINDOW, type FileReadContext, type FileWindow } from '../file-reader.js';
import type { Col, RowResult } from '../tables.js';
import type { BatchBuilder } from './batch-builder.js';
import { utf8 } from './out.js';

/** days from 1970-01-01 to 2000-01-01 (the old rule `exp_date >= 2000-01-01`, rules.ts) */
export const MIN_EXP_DAYS = 10_957;

/** the window's columns: numbers as doubles (f, nulls in fn), int64 as halves (lo/hi, nulls in ln), the rest as values */
export interface WindowCols {
  f: Record<string, Float64Array>;
  fn: Record<string, Uint8Array>;
  lo: Record<string, Uint32Array>;
  hi: Record<string, Uint32Array>;
  ln: Record<string, Uint8Array>;
  js: Record<string, ArrayLike<unknown> | null>;
}

/** a string column's value, checked once per distinct value: its JSON text and (symbols) its id prefix */
export interface StrEntry {
  value: string;
  json: Uint8Array;
  id: Uint8Array;
}

const BAD: StrEntry = { value: '', json: new Uint8Array(0), id: new Uint8Array(0) };

/** the entry of a string value of 1..max characters without CR/LF (rules.ts `str`), or null */
export function strEntry(cache: Map<unknown, StrEntry>, v: unknown, max: number, prefix: string): StrEntry | null {
  let e = cache.get(v);
  if (e === undefined) {
    if (typeof v !== 'string' || v.length < 1 || v.length > max || v.includes('\n') || v.includes('\r')) e = BAD;
    // the codec's string text: JSON.stringify's escapes, UTF-8 (the id: the text itself)
    else e = { value: v, json: utf8(JSON.stringify(v)), id: utf8(`${prefix}${v}:`) };
    if (cache.size > 10_000) cache.clear();
    cache.set(v, e);
  }
  return e === BAD ? null : e;
}

export interface RowEncoderOptions {
  path: string;
  ctx: FileReadContext;
  builder: BatchBuilder;
  source: EventSource;
  /** an event the codec refuses (left out): its id and the codec's message */
  onRefused: ((msgId: string, message: string) => void) | undefined;
}

/** signed 64-bit halves of a bigint bound (hi as a signed int32) */
const bound = (v: bigint | undefined): [number, number] | null => {
  if (v === undefined) return null;
  const u = BigInt.asUintN(64, v);
  return [Number(BigInt.asIntN(32, u >> 32n)), Number(u & 0xffffffffn)];
};
const lt = (hi: number, lo: number, b: [number, number]): boolean => (hi | 0) < b[0] || ((hi | 0) === b[0] && lo < b[1]);

/** 2000-01-01 and 2100-01-01 in ns (rules.ts MIN_TS_NS, MAX_TS_NS) as halves */
const [MIN_HI, MIN_LO] = bigIntToHalves(946_684_800_000_000_000n);
const [MAX_HI, MAX_LO] = bigIntToHalves(4_102_444_800_000_000_000n);

export abstract class RowEncoder {
  protected abstract readonly subjectIndex: number;
  protected abstract readonly f64Columns: readonly string[];
  protected abstract readonly i64Columns: readonly string[];
  protected abstract readonly jsColumns: readonly string[];
  protected abstract readonly symbolColumn: string;
  /** writes row i and adds it to the builder; false: not of the usual shape (the object path takes it) */
  protected abstract fast(i: number, w: WindowCols): boolean;

  protected readonly builder: BatchBuilder;
  protected readonly sourceBytes: Uint8Array;
  private readonly cols: WindowCols = { f: {}, fn: {}, lo: {}, hi: {}, ln: {}, js: {} };
  private readonly start: [number, number] | null;
  private readonly end: [number, number] | null;
  private lastHi = -1;
  private lastLo = 0;
  private warnedOrder = false;
  private w: FileWindow | null = null;
  /** the object path's row mapper of the current window (made at its first slow row) */
  private map: ((i: number) => RowResult) | null = null;

  constructor(private readonly o: RowEncoderOptions) {
    this.builder = o.builder;
    this.sourceBytes = utf8(`,"source":${JSON.stringify(o.source)}`);
    this.start = bound(o.ctx.startNs);
    this.end = bound(o.ctx.endNs);
  }

  private scratch(): void {
    const c = this.cols;
    if (c.f[this.f64Columns[0] ?? ''] !== undefined) return;
    for (const n of this.f64Columns) {
      c.f[n] = new Float64Array(WINDOW);
      c.fn[n] = new Uint8Array(WINDOW);
    }
    for (const n of this.i64Columns) {
      c.lo[n] = new Uint32Array(WINDOW);
      c.hi[n] = new Uint32Array(WINDOW);
      c.ln[n] = new Uint8Array(WINDOW);
    }
  }

  /** takes a window: its columns into the scratch arrays */
  window(w: FileWindow): void {
    this.scratch();
    this.w = w;
    this.map = null;
    const { a, b, pages } = w;
    const c = this.cols;
    for (const n of this.f64Columns) {
      const p = pages.get(n);
      if (p === undefined) (c.fn[n] as Uint8Array).fill(1);
      else p.windowF64(a, b, c.f[n] as Float64Array, c.fn[n] as Uint8Array);
    }
    for (const n of this.i64Columns) {
      const p = pages.get(n);
      if (p === undefined) (c.ln[n] as Uint8Array).fill(1);
      else p.windowI64(a, b, c.lo[n] as Uint32Array, c.hi[n] as Uint32Array, c.ln[n] as Uint8Array);
    }
    for (const n of this.jsColumns) c.js[n] = pages.get(n)?.window(a, b) ?? null;
  }

  protected tsOk(hi: number, lo: number): boolean {
    return (hi > MIN_HI || (hi === MIN_HI && lo >= MIN_LO)) && (hi < MAX_HI || (hi === MAX_HI && lo <= MAX_LO));
  }

  /** encodes rows from..end of the window until the builder is full; returns the next row */
  rows(from: number): number {
    const w = this.w as FileWindow;
    const n = w.b - w.a;
    const { stats, contract } = this.o.ctx;
    const c = this.cols;
    const { start, end } = this;
    const sym = contract !== undefined ? c.js[this.symbolColumn] : null;
    const filtering = start !== null || end !== null || contract !== undefined;
    const tsN = c.ln.ts_event_ns as Uint8Array;
    const tsHi = c.hi.ts_event_ns as Uint32Array;
    const tsLo = c.lo.ts_event_ns as Uint32Array;
    const builder = this.builder;
    let i = from;
    for (; i < n && !builder.full; i++) {
      if (filtering && tsN[i] === 0) {
        const hi = tsHi[i] as number;
        const lo = tsLo[i] as number;
        if ((start !== null && lt(hi, lo, start)) || (end !== null && !lt(hi, lo, end)) || (sym !== null && sym?.[i] !== contract)) {
          stats.filtered++;
          continue;
        }
      }
      if (this.fast(i, c)) this.order(tsHi[i] as number, tsLo[i] as number, i);
      else this.slow(i);
    }
    return i;
  }

  private order(hi: number, lo: number, i: number): void {
    if (hi < this.lastHi || (hi === this.lastHi && lo < this.lastLo)) {
      this.o.ctx.stats.outOfOrder++;
      if (!this.warnedOrder) {
        this.warnedOrder = true;
        const te = (BigInt(hi) << 32n) | BigInt(lo);
        const last = (BigInt(this.lastHi) << 32n) | BigInt(this.lastLo);
        this.o.ctx.onWarn?.(
          `${this.o.path}: row ${(this.w as FileWindow).first + i} steps back in ts_event_ns (${te} < ${last}); the file is not sorted, events may come out of order`,
        );
      }
    }
    this.lastHi = hi;
    this.lastLo = lo;
  }

  /** row i through the object path (binders.ts), then the codec */
  private slow(i: number): void {
    const w = this.w as FileWindow;
    if (this.map === null) {
      const cols: Record<string, Col> = {};
      for (const [n, p] of w.pages) cols[n] = p.window(w.a, w.b);
      this.map = this.o.ctx.spec.bind(cols, { source: this.o.ctx.source });
    }
    const r = this.map(i);
    const { stats, onInvalid } = this.o.ctx;
    if (typeof r === 'string') {
      stats.invalid++;
      onInvalid?.({ file: this.o.path, row: w.first + i, reason: r });
      return;
    }
    const e = r.event;
    const [hi, lo] = bigIntToHalves(e.ts_event_ns);
    this.order(hi, lo, i);
    this.append(r);
  }

  private append(r: Publishable): void {
    let body: Uint8Array;
    try {
      body = encode(r.event, r.subject);
    } catch (err) {
      if (!(err instanceof EncodeError)) throw err;
      this.o.onRefused?.(r.msgId, err.message);
      return;
    }
    const id = utf8(r.msgId);
    const out = this.builder.out;
    out.ensure(body.length + id.length);
    const bs = out.pos;
    out.buf.set(body, bs);
    out.buf.set(id, bs + body.length);
    out.pos = bs + body.length + id.length;
    const [hi, lo] = bigIntToHalves(r.event.ts_event_ns);
    const [rh, rl] = bigIntToHalves(r.event.ts_recv_ns);
    this.builder.row(this.subjectIndex, bs, bs + body.length, bs + body.length, out.pos, hi, lo, rh, rl);
  }
}
