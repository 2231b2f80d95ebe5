/**
 * StrikeManager: which option contracts the options session holds, I/O-free. 0DTE (the expiry the caller
 * gives, normally nyDate()), ATM +- N strikes on a configurable grid, calls and puts, trade and quote
 * channels; re-centres when the underlying's trade price moves >= threshold from the last centre; an
 * optional focus strike keeps its -1..+2 strikes subscribed. Every change returns only the difference.
 */
import { formatOptionTicker } from '@md/event-types';

export interface SubscriptionDiff {
  /** items to subscribe (`T.O:...`, `Q.O:...`), in a stable order */
  subscribe: string[];
  /** items to unsubscribe */
  unsubscribe: string[];
}

export interface StrikeManagerOptions {
  /** option root, e.g. SPY */
  root: string;
  /** expiry YYYY-MM-DD (0DTE: nyDate()) */
  expDate: string;
  /** strikes on each side of the ATM strike; default 3 */
  range?: number;
  /** strike grid step in dollars; default 1 (SPY near the money) */
  increment?: number;
  /** re-centre when |price - centre| >= this; default 0.50 */
  recentreThreshold?: number;
  /** channels per contract; default ['T', 'Q'] (quotes feed opt_bid/opt_ask/aggressor) */
  channels?: readonly ('T' | 'Q')[];
  /** a strike whose -1..+2 range stays subscribed whatever the centre */
  focusStrike?: number | null;
}

/** Today's date (YYYY-MM-DD) in America/New_York: the 0DTE expiry. */
export function nyDate(at: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

const EMPTY: SubscriptionDiff = Object.freeze({ subscribe: [], unsubscribe: [] }) as SubscriptionDiff;

export class StrikeManager {
  readonly root: string;
  readonly range: number;
  readonly increment: number;
  readonly threshold: number;
  readonly channels: readonly ('T' | 'Q')[];
  private readonly incMilli: number;
  private readonly thresholdMicro: number;
  private expDate: string;
  private focusMilli: number | null = null;
  private centrePx: number | null = null;
  private atmMilli: number | null = null;
  /** the items currently held (after the last diff) */
  private held = new Set<string>();

  constructor(opts: StrikeManagerOptions) {
    this.root = opts.root;
    this.range = opts.range ?? 3;
    this.increment = opts.increment ?? 1;
    this.threshold = opts.recentreThreshold ?? 0.5;
    this.channels = opts.channels ?? ['T', 'Q'];
    if (!Number.isInteger(this.range) || this.range < 0) throw new RangeError(`strike range must be an integer >= 0, got ${this.range}`);
    this.incMilli = Math.round(this.increment * 1000);
    if (!(this.incMilli > 0) || this.incMilli / 1000 !== this.increment)
      throw new RangeError(`strike increment must be a positive multiple of 0.001, got ${this.increment}`);
    if (!(this.threshold > 0)) throw new RangeError(`re-centre threshold must be > 0, got ${this.threshold}`);
    this.thresholdMicro = Math.round(this.threshold * 1e6);
    this.expDate = opts.expDate;
    formatOptionTicker({ underlying: this.root, expDate: this.expDate, right: 'C', strike: 1 }); // validates root and date
    if (opts.focusStrike != null) this.focusMilli = this.toGrid(opts.focusStrike);
  }

  /** price of the last re-centre (null before the first underlying price) */
  get centre(): number | null {
    return this.centrePx;
  }
  /** the ATM strike (null before the first underlying price) */
  get atm(): number | null {
    return this.atmMilli === null ? null : this.atmMilli / 1000;
  }
  get expiry(): string {
    return this.expDate;
  }
  get focus(): number | null {
    return this.focusMilli === null ? null : this.focusMilli / 1000;
  }

  /** Items held now (what a reconnect must re-subscribe), in a stable order. */
  items(): string[] {
    return [...this.held];
  }

  /** The strikes held now, ascending. */
  strikes(): number[] {
    return this.strikeSet().map((m) => m / 1000);
  }

  /** Feed every underlying trade price: returns the difference when it re-centres, else null. */
  onUnderlyingPrice(px: number): SubscriptionDiff | null {
    if (!(px > 0) || !Number.isFinite(px)) return null;
    if (this.centrePx !== null && Math.round(Math.abs(px - this.centrePx) * 1e6) < this.thresholdMicro) return null;
    this.centrePx = px;
    this.atmMilli = Math.round((px * 1000) / this.incMilli) * this.incMilli;
    return this.apply();
  }

  /** Hold (or with null, release) a focus strike: its -1..+2 strikes stay subscribed. */
  setFocus(strike: number | null): SubscriptionDiff {
    this.focusMilli = strike === null ? null : this.toGrid(strike);
    return this.apply();
  }

  /** Switch expiry (the New York date rolled): every contract changes. */
  setExpiry(expDate: string): SubscriptionDiff {
    if (expDate === this.expDate) return EMPTY;
    formatOptionTicker({ underlying: this.root, expDate, right: 'C', strike: 1 });
    this.expDate = expDate;
    return this.apply();
  }

  /** The option ticker of a strike/right on the current expiry. */
  ticker(strike: number, right: 'C' | 'P'): string {
    return formatOptionTicker({ underlying: this.root, expDate: this.expDate, right, strike });
  }

  private toGrid(strike: number): number {
    if (!(strike > 0)) throw new RangeError(`focus strike must be > 0, got ${strike}`);
    return Math.round((strike * 1000) / this.incMilli) * this.incMilli;
  }

  private strikeSet(): number[] {
    const s = new Set<number>();
    if (this.atmMilli !== null) for (let k = -this.range; k <= this.range; k++) s.add(this.atmMilli + k * this.incMilli);
    if (this.focusMilli !== null) for (let k = -1; k <= 2; k++) s.add(this.focusMilli + k * this.incMilli);
    return [...s].filter((m) => m > 0 && m <= 99_999_999).sort((a, b) => a - b);
  }

  private wanted(): string[] {
    const out: string[] = [];
    for (const m of this.strikeSet()) {
      for (const right of ['C', 'P'] as const) {
        const t = formatOptionTicker({ underlying: this.root, expDate: this.expDate, right, strike: m / 1000 });
        for (const ch of this.channels) out.push(`${ch}.${t}`);
      }
    }
    return out;
  }

  private apply(): SubscriptionDiff {
    const want = this.wanted();
    const wantSet = new Set(want);
    const subscribe = want.filter((i) => !this.held.has(i));
    const unsubscribe = [...this.held].filter((i) => !wantSet.has(i));
    this.held = new Set(want);
    return { subscribe, unsubscribe };
  }
}
