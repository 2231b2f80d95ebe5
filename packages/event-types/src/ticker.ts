/** Option tickers: `O:` + root + YYMMDD + C|P + strike*1000 as 8 digits, parsed from the right. */
import { OptionTickerError } from './errors.js';

export interface OptionTicker {
  /** the root of the ticker (`SPY`, `SPXW`, `BRKB`) */
  underlying: string;
  /** YYYY-MM-DD */
  expDate: string;
  right: 'C' | 'P';
  /** strike in currency units: the 8 digits / 1000 */
  strike: number;
}

const DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ROOT_RE = /^[A-Z0-9.]+$/;

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length > 0;
}

function checkDate(t: string, y: number, m: number, d: number): void {
  if (m < 1 || m > 12) throw new OptionTickerError(t, `month ${String(m).padStart(2, '0')} is not 01..12`);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const max = m === 2 && !leap ? 28 : (DAYS[m] ?? 0); // m is 1..12 here
  if (d < 1 || d > max)
    throw new OptionTickerError(t, `day ${String(d).padStart(2, '0')} does not exist in ${y}-${String(m).padStart(2, '0')}`);
}

/** `O:SPY251216C00676000` -> `{ underlying: 'SPY', expDate: '2025-12-16', right: 'C', strike: 676 }`. Throws OptionTickerError. */
export function parseOptionTicker(ticker: string): OptionTicker {
  if (typeof ticker !== 'string') throw new OptionTickerError(String(ticker), `expected a string, got ${typeof ticker}`);
  const t = ticker;
  if (!t.startsWith('O:')) throw new OptionTickerError(t, 'must start with "O:"');
  // from the right: 8 strike digits, C|P, 6 date digits, then the root (any length >= 1)
  if (t.length < 2 + 6 + 1 + 8) throw new OptionTickerError(t, 'too short: expected O:<root><YYMMDD><C|P><8-digit strike>');
  const strikeDigits = t.slice(-8);
  if (!isDigits(strikeDigits)) {
    throw new OptionTickerError(t, `strike must be the last 8 characters, all digits, got ${JSON.stringify(strikeDigits)}`);
  }
  const r = t.charAt(t.length - 9);
  if (r !== 'C' && r !== 'P') {
    throw new OptionTickerError(
      t,
      `right must be C or P just before the 8-digit strike, got ${JSON.stringify(r)} (a strike of another length?)`,
    );
  }
  const yymmdd = t.slice(t.length - 15, t.length - 9);
  if (!isDigits(yymmdd)) throw new OptionTickerError(t, `expiration must be 6 digits YYMMDD, got ${JSON.stringify(yymmdd)}`);
  const root = t.slice(2, t.length - 15);
  if (root.length === 0) throw new OptionTickerError(t, 'empty root (underlying)');
  if (!ROOT_RE.test(root)) throw new OptionTickerError(t, `root ${JSON.stringify(root)} must be upper-case letters, digits or '.'`);
  const y = 2000 + Number(yymmdd.slice(0, 2));
  const m = Number(yymmdd.slice(2, 4));
  const d = Number(yymmdd.slice(4, 6));
  checkDate(t, y, m, d);
  return {
    underlying: root,
    expDate: `${y}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`,
    right: r,
    strike: Number(strikeDigits) / 1000,
  };
}

/** The inverse of parseOptionTicker. Throws OptionTickerError for a field that cannot be written. */
export function formatOptionTicker(o: OptionTicker): string {
  const label = JSON.stringify(o);
  if (o === null || typeof o !== 'object') throw new OptionTickerError(String(o), 'expected an OptionTicker object');
  const { underlying, expDate, right, strike } = o;
  if (typeof underlying !== 'string' || underlying.length === 0 || !ROOT_RE.test(underlying)) {
    throw new OptionTickerError(
      label,
      `underlying must be a non-empty root of upper-case letters, digits or '.', got ${JSON.stringify(underlying)}`,
    );
  }
  const dm = typeof expDate === 'string' ? /^20(\d\d)-(\d\d)-(\d\d)$/.exec(expDate) : null;
  if (!dm) throw new OptionTickerError(label, `expDate must be YYYY-MM-DD in 2000..2099, got ${JSON.stringify(expDate)}`);
  checkDate(label, 2000 + Number(dm[1]), Number(dm[2]), Number(dm[3]));
  if (right !== 'C' && right !== 'P') throw new OptionTickerError(label, `right must be C or P, got ${JSON.stringify(right)}`);
  if (typeof strike !== 'number' || !Number.isFinite(strike) || strike < 0) {
    throw new OptionTickerError(label, `strike must be a finite number >= 0, got ${strike}`);
  }
  const milli = Math.round(strike * 1000);
  if (milli / 1000 !== strike) throw new OptionTickerError(label, `strike ${strike} is not a multiple of 0.001`);
  if (milli > 99_999_999) throw new OptionTickerError(label, `strike ${strike} does not fit 8 digits (max 99999.999)`);
  return `O:${underlying}${dm[1]}${dm[2]}${dm[3]}${right}${String(milli).padStart(8, '0')}`;
}
