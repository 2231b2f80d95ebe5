/**
 * parseFrame: one WebSocket text frame of the Polygon/Massive feed -> typed vendor messages, plus a typed
 * error per refused element. No I/O, no clock: the caller passes the frame's arrival time.
 *
 * Policy (see README "Malformed input"): one JSON.parse per frame; a frame that is not JSON (truncated,
 * NaN, trailing garbage, two arrays, BOM) or whose top level is neither an array nor an object is a
 * FrameError. A bare object is tolerated as a one-element frame (with a warning). Every element is then
 * validated on its own: a refused element is an EventError (index + field + reason), an unknown `ev` is
 * ignored (counted), and the good elements of the same frame always come through.
 */
import { parseOptionTicker, type OptionTicker } from '@md/event-types';
import { EventError, FrameError } from './errors.js';
import { readTradeId } from './ids.js';

/** Which socket the frame came from: decides how `T`/`Q` are read. `auto`: by the `O:` prefix of `sym`. */
export type Cluster = 'stocks' | 'options' | 'auto';

interface DataBase {
  /** 0-based position in the frame */
  index: number;
  /** the vendor ticker (`SPY`, `O:SPY251216C00676000`) */
  sym: string;
  /** vendor timestamp, Unix milliseconds (validated: safe integer of 13 digits) */
  t: number;
  /** vendor sequence number, or null when absent (validated: safe integer >= 0) */
  q: number | null;
}
export interface StockTradeMessage extends DataBase {
  kind: 'stock_trade';
  p: number;
  s: number;
  x: number | null;
  c: number[] | null;
  /** the vendor's trade id (`i`), exactly as written (leading zeros kept), or null when absent; part of the message id */
  i: string | null;
}
export interface StockQuoteMessage extends DataBase {
  kind: 'stock_quote';
  bp: number;
  ap: number;
  bs: number;
  as: number;
  bx: number | null;
  ax: number | null;
}
export interface OptionTradeMessage extends DataBase {
  kind: 'option_trade';
  ticker: OptionTicker;
  p: number;
  s: number;
  x: number | null;
  c: number[] | null;
}
export interface OptionQuoteMessage extends DataBase {
  kind: 'option_quote';
  ticker: OptionTicker;
  bp: number;
  ap: number;
  bs: number;
  as: number;
  bx: number | null;
  ax: number | null;
}
export interface StatusMessage {
  kind: 'status';
  index: number;
  /** the raw status value (`connected`, `auth_success`, ... or anything new: see classifyStatus) */
  status: string;
  message: string;
}
export type DataMessage = StockTradeMessage | StockQuoteMessage | OptionTradeMessage | OptionQuoteMessage;
export type VendorMessage = DataMessage | StatusMessage;
export type MessageKind = VendorMessage['kind'];

/** An element skipped on purpose (unknown or foreign `ev`, status without a status value). */
export interface IgnoredEvent {
  index: number;
  ev: string;
  reason: string;
}

export interface ParsedFrame {
  receivedAtNs: bigint;
  /** accepted messages in frame (arrival) order */
  messages: VendorMessage[];
  /** refused elements */
  errors: EventError[];
  /** skipped elements */
  ignored: IgnoredEvent[];
  /** set when the whole frame was refused (then messages/errors/ignored are empty) */
  frameError: FrameError | null;
  /** tolerated oddities (bare object frame, status without status) */
  warnings: string[];
  /** number of elements in the frame (1 for a tolerated bare object, 0 for a refused frame) */
  elements: number;
}

export interface ParseOptions {
  /** arrival time of the frame, Unix ns (the caller's clock; becomes ts_recv_ns) */
  receivedAtNs: bigint;
  /** default 'auto' */
  cluster?: Cluster;
  /** a label for error messages (e.g. a frame counter) */
  frame?: string | number;
}

/** 13-digit Unix milliseconds: 2001-09-09 .. 2286-11-20 */
const MS_MIN = 1_000_000_000_000;
const MS_MAX = 9_999_999_999_999;
/** a stock symbol that looks like an OCC option ticker without the `O:` prefix */
const OCC_NO_PREFIX = /^[A-Z0-9.]{1,6}\d{6}[CP]\d{8}$/;

/** Option tickers are few and repeat on every event: cache the parse (bounded). */
const tickerCache = new Map<string, OptionTicker | string>();
const TICKER_CACHE_MAX = 20_000;

function ticker(sym: string): OptionTicker | string {
  let r = tickerCache.get(sym);
  if (r === undefined) {
    try {
      r = parseOptionTicker(sym);
    } catch (e) {
      r = (e as Error).message;
    }
    if (tickerCache.size >= TICKER_CACHE_MAX) tickerCache.clear();
    tickerCache.set(sym, r);
  }
  return r;
}

class Reject {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {}
}

const describe = (v: unknown): string =>
  v === undefined
    ? 'missing'
    : `got ${typeof v === 'string' ? `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}` : (JSON.stringify(v) ?? String(v))}`;

function num(o: Record<string, unknown>, k: string, positive: boolean): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Reject(k, `expected a finite number, ${describe(v)}`);
  if (positive ? !(v > 0) : v < 0) throw new Reject(k, `expected a number ${positive ? '> 0' : '>= 0'}, got ${v}`);
  return v;
}

function size(o: Record<string, unknown>, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Reject(k, `expected an integer >= 0, ${describe(v)}`);
  return v;
}

function optInt(o: Record<string, unknown>, k: string): number | null {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Reject(k, `expected an integer, ${describe(v)}`);
  return v;
}

function conditions(o: Record<string, unknown>): number[] | null {
  const v = o.c;
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new Reject('c', `expected an array of integer condition codes, ${describe(v)}`);
  for (const x of v)
    if (typeof x !== 'number' || !Number.isSafeInteger(x))
      throw new Reject('c', `expected integer condition codes, got ${JSON.stringify(v)}`);
  return v as number[];
}

function timestamp(o: Record<string, unknown>): number {
  const v = o.t;
  if (typeof v !== 'number') throw new Reject('t', `expected Unix milliseconds (13-digit integer), ${describe(v)}`);
  if (!Number.isSafeInteger(v) || v < MS_MIN || v > MS_MAX) {
    const unit =
      Number.isFinite(v) && v > 0
        ? v < 1e11
          ? ' (looks like seconds)'
          : v >= 1e17
            ? ' (looks like nanoseconds)'
            : v >= 1e14
              ? ' (looks like microseconds)'
              : ''
        : '';
    throw new Reject('t', `expected Unix milliseconds (13-digit integer), got ${v}${unit}`);
  }
  return v;
}

/**
 * q is an optional sequence number that feeds the message id, so it must be exact. Every integer lexeme
 * above 2^53-1 parses to a double >= 2^53, which Number.isSafeInteger refuses: checking the parsed value
 * is exact. The raw text is read only to quote the vendor's digits in the error message.
 */
function sequence(o: Record<string, unknown>, text: string): number | null {
  const v = o.q;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    let shown = describe(v);
    if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) > Number.MAX_SAFE_INTEGER) {
      const raw = rawNumberNear(text, 'q', v);
      shown = `got ${raw ?? v}, above 2^53-1: a JavaScript number cannot hold it exactly and the message id needs it exactly`;
    }
    throw new Reject('q', `expected an integer sequence number >= 0, ${shown}`);
  }
  return v;
}

/** the raw digits of `"key":<number>` in the text whose parsed value is `v` (error path only) */
function rawNumberNear(text: string, key: string, v: number): string | undefined {
  const re = new RegExp(`"${key}"\\s*:\\s*(-?\\d[\\d.eE+-]*)`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) if (Number(m[1]) === v) return m[1];
  return undefined;
}

function symbol(o: Record<string, unknown>): string {
  const v = o.sym;
  if (typeof v !== 'string' || v.length === 0) throw new Reject('sym', `expected a non-empty ticker string, ${describe(v)}`);
  return v;
}

function readElement(el: unknown, index: number, cluster: Cluster, text: string, out: ParsedFrame, frame?: string | number): void {
  if (el === null || typeof el !== 'object' || Array.isArray(el)) {
    out.errors.push(
      new EventError(
        index,
        undefined,
        '(element)',
        `expected an event object, ${Array.isArray(el) ? 'got an array' : describe(el)}`,
        frame,
      ),
    );
    return;
  }
  const o = el as Record<string, unknown>;
  const ev = o.ev;
  if (typeof ev !== 'string') {
    out.errors.push(new EventError(index, undefined, 'ev', `expected the event type as a string, ${describe(ev)}`, frame));
    return;
  }
  try {
    if (ev === 'T' || ev === 'Q') {
      const sym = symbol(o);
      const isOption = cluster === 'options' || (cluster === 'auto' && sym.startsWith('O:'));
      let tk: OptionTicker | undefined;
      if (isOption) {
        const r = ticker(sym);
        if (typeof r === 'string') throw new Reject('sym', r);
        tk = r;
      } else if (sym.startsWith('O:')) {
        throw new Reject('sym', `option ticker ${sym} on the stocks cluster`);
      } else if (OCC_NO_PREFIX.test(sym)) {
        throw new Reject('sym', `${sym} looks like an option ticker without the "O:" prefix`);
      }
      if (ev === 'T') {
        const p = num(o, 'p', true);
        const s = size(o, 's');
        const x = optInt(o, 'x');
        const c = conditions(o);
        const t = timestamp(o);
        const q = sequence(o, text);
        if (tk) out.messages.push({ kind: 'option_trade', index, sym, ticker: tk, p, s, x, c, t, q });
        else {
          const id = readTradeId(o.i);
          if ('reason' in id) throw new Reject('i', id.reason);
          out.messages.push({ kind: 'stock_trade', index, sym, p, s, x, c, t, q, i: id.id });
        }
      } else {
        const bp = num(o, 'bp', false);
        const ap = num(o, 'ap', false);
        const bs = size(o, 'bs');
        const as = size(o, 'as');
        const bx = optInt(o, 'bx');
        const ax = optInt(o, 'ax');
        const t = timestamp(o);
        const q = sequence(o, text);
        out.messages.push(
          tk
            ? { kind: 'option_quote', index, sym, ticker: tk, bp, ap, bs, as, bx, ax, t, q }
            : { kind: 'stock_quote', index, sym, bp, ap, bs, as, bx, ax, t, q },
        );
      }
    } else if (ev === 'status') {
      const st = o.status;
      if (typeof st !== 'string') {
        out.ignored.push({ index, ev, reason: `status event without a string status (${describe(st)})` });
        out.warnings.push(`event ${index}: status event without a string status field ignored`);
        return;
      }
      const m = o.message;
      out.messages.push({
        kind: 'status',
        index,
        status: st,
        message: typeof m === 'string' ? m : m === undefined ? '' : JSON.stringify(m),
      });
    } else {
      out.ignored.push({ index, ev, reason: `event type ${JSON.stringify(ev)} is not handled on the ${cluster} cluster` });
    }
  } catch (e) {
    if (e instanceof Reject) out.errors.push(new EventError(index, ev, e.field, e.reason, frame));
    else throw e;
  }
}

/** Parse one frame's text. Never throws on bad input: problems come back in `frameError` / `errors`. */
export function parseFrame(text: string, opts: ParseOptions): ParsedFrame {
  const cluster = opts.cluster ?? 'auto';
  const out: ParsedFrame = {
    receivedAtNs: opts.receivedAtNs,
    messages: [],
    errors: [],
    ignored: [],
    frameError: null,
    warnings: [],
    elements: 0,
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const why = text.charCodeAt(0) === 0xfeff ? 'starts with a byte-order mark (U+FEFF)' : `not valid JSON: ${(e as Error).message}`;
    out.frameError = new FrameError(why, text.slice(0, 120), opts.frame);
    return out;
  }
  if (Array.isArray(v)) {
    out.elements = v.length;
    for (let i = 0; i < v.length; i++) readElement(v[i], i, cluster, text, out, opts.frame);
  } else if (v !== null && typeof v === 'object') {
    out.elements = 1;
    out.warnings.push('frame is a bare object, not an array: read as a one-element frame');
    readElement(v, 0, cluster, text, out, opts.frame);
  } else {
    out.frameError = new FrameError(
      `top level is ${v === null ? 'null' : typeof v}, expected an array of events`,
      text.slice(0, 120),
      opts.frame,
    );
  }
  return out;
}

/** Count messages by kind (for stats). */
export function countByKind(messages: readonly VendorMessage[]): Record<MessageKind, number> {
  const c: Record<MessageKind, number> = { stock_trade: 0, stock_quote: 0, option_trade: 0, option_quote: 0, status: 0 };
  for (const m of messages) c[m.kind]++;
  return c;
}
