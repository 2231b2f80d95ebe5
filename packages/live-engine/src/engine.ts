/**
 * LiveEngine: wires the two vendor sessions (@md/polygon-normalizer/session), the normalizers (one quote book
 * per session), the strike manager, the bounded queue and an EventSink of the caller's. The socket handlers
 * only parse, normalize and push into the queue (never wait); one pump loop takes from the queue and awaits
 * the sink (backpressure stays on this side of the queue: a full queue drops by policy and counts).
 */
import { SUBJECTS, type Publishable, type StockTrade } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import { BoundedQueue, Normalizer, nyDate, StrikeManager, type ParsedFrame, type SubscriptionDiff } from '@md/polygon-normalizer';
import { VendorSession, type Logger } from '@md/polygon-normalizer/session';
import { Histogram } from '@md/stream-merge';
import { liveConfig, type LiveEngineConfig, type LiveEngineOptions } from './config.js';
import { newCounters, type IngestCounters } from './stats.js';

const anchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
/** wall clock in Unix ns (Date.now() anchored, hrtime resolution): each event's ts_recv_ns */
export const nowNs = (): bigint => anchorNs + process.hrtime.bigint();

/** The default logger: the CLI's line format on stderr, debug lines left out. */
export const stderrLogger: Logger = (level, msg) => {
  if (level !== 'debug') process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
};

/** How the engine ended (`done`). */
export interface LiveEngineResult {
  /** 0 after stop() (or the code given to it), 3 after an authentication failure */
  code: number;
  reason: string;
}

export class LiveEngine {
  /** the resolved configuration: LIVE_DEFAULTS with the options over them */
  readonly config: LiveEngineConfig;
  readonly counters: IngestCounters = newCounters();
  /** event time -> hand-over to the sink, ms (reset after each periodic stats line) */
  readonly lag = new Histogram();
  readonly queue: BoundedQueue<Publishable>;
  readonly stocks: VendorSession | null = null;
  readonly options: VendorSession | null = null;
  readonly strikes: StrikeManager | null = null;
  private readonly stockNorm: Normalizer;
  private readonly optionNorm: Normalizer;
  private pumpDone: Promise<void> | null = null;
  private dayTimer: NodeJS.Timeout | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private resolveDone!: (r: LiveEngineResult) => void;
  /** resolves when the engine ends by itself (fatal) or after stop() */
  readonly done: Promise<LiveEngineResult>;
  private firstPublishErrors = 0;

  /**
   * @param options an API key; anything else overrides LIVE_DEFAULTS (the CLI's defaults)
   * @param sink where the events go (a JetStreamPublisher, a StdoutSink, one of the caller's)
   * @param log every log line (default: stderr)
   * @throws LiveConfigError, or the strike manager's RangeError (bad expiry, root or grid), before anything connects
   */
  constructor(
    options: LiveEngineOptions,
    private readonly sink: EventSink,
    private readonly log: Logger = stderrLogger,
  ) {
    const cfg = liveConfig(options);
    this.config = cfg;
    this.done = new Promise((r) => (this.resolveDone = r));
    this.queue = new BoundedQueue(cfg.queueSize, cfg.dropPolicy);
    this.stockNorm = new Normalizer({ source: cfg.stocksSource });
    this.optionNorm = new Normalizer({ source: cfg.optionsSource });
    const common = {
      apiKey: cfg.apiKey,
      log,
      nowNs,
      maxPayload: cfg.maxPayload,
      idleTimeoutMs: cfg.idleTimeoutMs,
      pingIntervalMs: cfg.pingIntervalMs,
      stepTimeoutMs: cfg.stepTimeoutMs,
      backoffInitialMs: cfg.backoffInitialMs,
      backoffMaxMs: cfg.backoffMaxMs,
      stableResetMs: cfg.stableResetMs,
      maxConnectionsCooldownMs: cfg.maxConnectionsCooldownMs,
      onFatal: (e: Error) => this.onFatal(e),
    };
    if (cfg.sessions.stocks) {
      this.stocks = new VendorSession({
        ...common,
        name: 'stocks',
        url: cfg.stocksUrl,
        cluster: 'stocks',
        onFrame: (p) => this.onStocksFrame(p),
      });
      this.stocks.apply({ subscribe: [`T.${cfg.underlying}`, `Q.${cfg.underlying}`], unsubscribe: [] });
    }
    if (cfg.sessions.options) {
      const strikes = new StrikeManager({
        root: cfg.optionRoot,
        expDate: cfg.expiry ?? nyDate(),
        range: cfg.strikeRange,
        increment: cfg.strikeIncrement,
        recentreThreshold: cfg.recentreThreshold,
        focusStrike: cfg.focusStrike,
      });
      this.strikes = strikes;
      this.options = new VendorSession({
        ...common,
        name: 'options',
        url: cfg.optionsUrl,
        cluster: 'options',
        onFrame: (p) => this.onOptionsFrame(p),
      });
      if (cfg.initialPrice !== null) this.onUnderlyingPrice(cfg.initialPrice);
      else if (cfg.focusStrike !== null) this.applyStrikes(strikes.setFocus(cfg.focusStrike));
    }
  }

  start(): void {
    this.pumpDone = this.pump();
    this.stocks?.start();
    this.options?.start();
    const strikes = this.strikes;
    if (strikes && this.config.expiry === null) {
      this.dayTimer = setInterval(() => this.applyStrikes(strikes.setExpiry(nyDate())), 30_000);
      this.dayTimer.unref();
    }
    if (this.config.statsIntervalMs > 0) {
      this.statsTimer = setInterval(() => this.logStats('stats'), this.config.statsIntervalMs);
      this.statsTimer.unref();
    }
  }

  /** Close the sockets, publish what is queued, wait for the sink's confirmations. */
  stop(reason = 'stopped', code = 0): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        if (this.dayTimer) clearInterval(this.dayTimer);
        if (this.statsTimer) clearInterval(this.statsTimer);
        await Promise.all([this.stocks?.close(), this.options?.close()]);
        this.queue.close();
        // the pump may be blocked in sink.publish() (a publisher recovering from "no responders" holds new events
        // back): wait for it at most the shutdown timeout, then close the sink with what is left of it, which
        // rejects the waiting publish (counted in publish_errors) so the pump can end
        const deadline = Date.now() + this.config.shutdownTimeoutMs;
        const pumped = await settlesWithin(this.pumpDone, this.config.shutdownTimeoutMs);
        try {
          // JetStreamPublisher.close takes a timeout (shutdown with NATS gone must not hang); other sinks ignore it
          const left = Math.max(1, deadline - Date.now());
          await (this.sink as EventSink & { close(timeoutMs?: number): Promise<void> }).close(left);
        } catch (e) {
          this.log('error', `sink: ${(e as Error).message}`);
        }
        if (!pumped) await settlesWithin(this.pumpDone, 1000);
        this.logStats('final');
        this.resolveDone({ code, reason });
      })();
    }
    return this.stopping;
  }

  /** One line of counters. */
  statsLine(): string {
    const c = this.counters;
    const lag = this.lag;
    // no sample since the last line: '-', not the histogram's 0
    const [p50, p99] = lag.count === 0 ? [NaN, NaN] : [lag.quantile(0.5), lag.quantile(0.99)];
    const s = this.sink.stats;
    c.reconnects = (this.stocks?.stats.reconnects ?? 0) + (this.options?.stats.reconnects ?? 0);
    const f = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(1));
    return (
      `frames=${c.frames} stock_trades=${c.events.stock_trade} stock_quotes=${c.events.stock_quote} option_trades=${c.events.option_trade} ` +
      `option_quotes=${c.events.option_quote} status=${c.events.status} malformed_frames=${c.malformedFrames} malformed_events=${c.malformedEvents} ` +
      `ignored=${c.ignored} dropped=${this.queue.dropped} queue=${this.queue.length}/${this.queue.capacity} queue_hw=${this.queue.highWater} ` +
      `reconnects=${c.reconnects} published=${s.published} acked=${s.acked} duplicates=${s.duplicates} failed=${s.failed} pending=${s.pending} ` +
      `publish_errors=${c.publishErrors} lag_ms_p50=${f(p50)} lag_ms_p99=${f(p99)} lag_ms_max=${f(this.lag.max)} lag_n=${this.lag.count}` +
      (this.strikes
        ? ` centre=${this.strikes.centre ?? '-'} atm=${this.strikes.atm ?? '-'} expiry=${this.strikes.expiry} option_items=${this.strikes.items().length}`
        : '')
    );
  }

  private logStats(kind: 'stats' | 'final'): void {
    this.log('info', `${kind} ${this.statsLine()}`);
    if (kind === 'stats') this.lag.reset();
  }

  private onFatal(e: Error): void {
    this.log('error', e.message);
    void this.stop(e.message, 3);
  }

  private count(p: ParsedFrame): void {
    const c = this.counters;
    c.frames++;
    if (p.frameError) {
      c.malformedFrames++;
      this.log('warn', p.frameError.message);
    }
    if (p.errors.length) {
      c.malformedEvents += p.errors.length;
      for (const e of p.errors.slice(0, 3)) this.log('warn', e.message);
    }
    c.ignored += p.ignored.length;
    for (const m of p.messages) c.events[m.kind]++;
  }

  private onStocksFrame(p: ParsedFrame): void {
    this.count(p);
    if (p.messages.length === 0) return;
    const out = this.stockNorm.frame(p);
    for (const ev of out) {
      if (ev.subject === SUBJECTS.stockTrades && this.strikes) {
        const t = ev.event as StockTrade;
        if (t.symbol === this.config.underlying) this.onUnderlyingPrice(t.price);
      }
      this.enqueue(ev);
    }
  }

  private onOptionsFrame(p: ParsedFrame): void {
    this.count(p);
    if (p.messages.length === 0) return;
    for (const ev of this.optionNorm.frame(p)) this.enqueue(ev);
  }

  private enqueue(ev: Publishable): void {
    if (!this.queue.push(ev)) this.counters.dropped = this.queue.dropped;
  }

  private onUnderlyingPrice(px: number): void {
    const strikes = this.strikes;
    if (!strikes) return; // only called with an options session
    const d = strikes.onUnderlyingPrice(px);
    if (d) {
      if (d.subscribe.length || d.unsubscribe.length) {
        this.log('info', `options: re-centred at ${px} (ATM ${strikes.atm}): +${d.subscribe.length} -${d.unsubscribe.length} item(s)`);
      }
      this.applyStrikes(d);
    }
  }

  private applyStrikes(d: SubscriptionDiff): void {
    if (!d.subscribe.length && !d.unsubscribe.length) return;
    // a contract whose quotes we stop receiving would keep a stale quote: forget it
    for (const i of d.unsubscribe) if (i.startsWith('Q.')) this.optionNorm.book.forget(i.slice(2));
    this.options?.apply(d);
  }

  private async pump(): Promise<void> {
    const q = this.queue;
    for (;;) {
      let p: Publishable | undefined;
      while ((p = q.shift()) !== undefined) {
        const lagMs = Date.now() - Number(p.event.ts_event_ns / 1_000_000n);
        this.lag.add(lagMs);
        try {
          await this.sink.publish(p);
          this.counters.published++;
        } catch (e) {
          this.counters.publishErrors++;
          if (this.firstPublishErrors++ < 10) this.log('error', `publish ${p.subject} ${p.msgId}: ${(e as Error).message}`);
        }
      }
      if (!(await q.wait())) return;
    }
  }
}

/** true when `p` settles within `ms` (the timer never outlives it) */
async function settlesWithin(p: Promise<unknown> | null, ms: number): Promise<boolean> {
  if (!p) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
