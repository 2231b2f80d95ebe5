/**
 * LiveEngine: wires the two vendor sessions (@md/polygon-normalizer/session), the normalizers (one quote book
 * per session), the strike manager, the bounded queue and an EventSink of the caller's. The socket handlers
 * only parse, normalize and push into the queue (never wait); one pump loop takes from the queue and awaits
 * the sink (backpressure stays on this side of the queue: a full queue drops by policy and counts).
 */
import { randomBytes } from 'node:crypto';
import { SUBJECTS, type EventSource, type Publishable, type StockTrade, type Subject } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import { BoundedQueue, Normalizer, nyDate, StrikeManager, type ParsedFrame, type SubscriptionDiff } from '@md/polygon-normalizer';
import { RestClient, RestError } from '@md/polygon-normalizer/rest';
import { VendorSession, type Logger, type SessionState } from '@md/polygon-normalizer/session';
import { Histogram } from '@md/stream-merge';
import { BackfillLane, BackfillRunner, type RestFactory, type RestSource } from './backfill.js';
import { liveConfig, type LiveEngineConfig, type LiveEngineHooks, type LiveEngineOptions, type ResumePoint } from './config.js';
import { gapJson, GapKeeper, GapLedger, type GapAnnouncement, type LiveIds, type SessionName } from './gaps.js';
import { windowOfAnnouncement } from './inherit.js';
import { newCounters, type IngestCounters } from './stats.js';
import { ItemTracker } from './tracker.js';

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
  /** the same lag, of the live events handed over while a backfill was running (its cost to live); never reset */
  readonly lagWhileBackfilling = new Histogram();
  /** ... and while none was (the baseline); never reset */
  readonly lagIdle = new Histogram();
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
  /** per item, the last event received (docs/gap-free-live.md section 3) */
  readonly tracker = new ItemTracker();
  /** the announcements and their counters */
  readonly gaps: GapLedger;
  private readonly keeper: GapKeeper;
  /** backfilled events, drained by the pump after the live queue */
  readonly lane = new BackfillLane(1000);
  readonly backfill: BackfillRunner;
  private readonly restInstance: RestSource | null;
  private readonly hooks: LiveEngineHooks;
  private readonly abort = new AbortController();
  private readonly resumes = new Map<Subject, Promise<ResumePoint | null>>();
  private readonly gapTag = randomBytes(4).toString('hex');
  private gapSeq = 0;
  private readonly startPlans: Promise<void>[] = [];
  private retiring: Promise<void> | null = null;
  private readonly inherited: GapAnnouncement[] = [];
  private wakeRetire: (() => void) | null = null;

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
    this.hooks = {
      announce: options.announce,
      resumePoint: options.resumePoint,
      rest: options.rest,
      closeSinkOnStop: options.closeSinkOnStop,
    };
    this.done = new Promise((r) => (this.resolveDone = r));
    this.queue = new BoundedQueue<Publishable>(cfg.queueSize, cfg.dropPolicy, (p) =>
      this.keeper.dropped(p.subject === SUBJECTS.optionTrades ? 'options' : 'stocks', p),
    );
    const announce = options.announce ?? ((g: GapAnnouncement) => this.log('info', `gap ${gapJson(g)}`));
    this.gaps = new GapLedger((g) => {
      if (g.status !== 'open') {
        this.log(
          g.status === 'filled' ? 'info' : 'warn',
          `gap ${g.status}: ${g.item} [${g.from_ns}, ${g.to_ns}) ${g.reason}` +
            (g.status === 'filled' ? `: ${g.count} event(s) backfilled` : `: ${g.why}`) +
            ` (${g.rest_requests} REST request(s))`,
        );
      }
      try {
        announce(g);
      } catch (e) {
        this.log('error', `gap announcement ${g.gap_id}: ${(e as Error).message}`);
      }
    });
    let rest: RestFactory | null = null;
    this.restInstance = null;
    if (cfg.backfill) {
      const r = options.rest;
      if (typeof r === 'function') rest = r;
      else if (r) {
        this.restInstance = r;
        rest = () => countingView(r);
      } else {
        const restLog = (level: 'debug' | 'info' | 'warn' | 'error', msg: string) => log(level, msg);
        rest = () => new RestClient({ baseUrl: cfg.restUrl, apiKey: cfg.apiKey, timeoutMs: cfg.restTimeoutMs, log: restLog });
      }
    }
    this.backfill = new BackfillRunner({
      rest,
      concurrency: cfg.restConcurrency,
      lane: this.lane,
      sourceFor: (session) => restSourceOf(session === 'stocks' ? cfg.stocksSource : cfg.optionsSource),
      nowNs,
      signal: this.abort.signal,
      describe: describeRestError,
      settled: (w, count, requests, why) => {
        if (why === null) this.gaps.done(w, count, requests);
        else this.gaps.fail(w, why, count, requests);
        if (w.live) this.keeper.release(w.session, w.live);
      },
    });
    this.keeper = new GapKeeper({
      tracker: this.tracker,
      ledger: this.gaps,
      overlapMs: cfg.backfillOverlapMs,
      delayMs: cfg.backfillDelayMs,
      maxMs: cfg.backfillMaxMs,
      now: Date.now,
      setTimer: (fn, ms) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
      newGapId: () => `${this.gapTag}-${++this.gapSeq}`,
      bookQuote: (session, symbol) => {
        const q = (session === 'stocks' ? this.stockNorm : this.optionNorm).book.get(symbol);
        return q ? { ...q } : null;
      },
      holdsQuotes: (symbol) => this.options?.subscriptions().includes(`Q.${symbol}`) ?? false,
      ready: (w) => this.backfill.submit(w),
      onStartBounds: (session, endMs, live) => this.planStart(session, endMs, live),
    });
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
    const onState = (name: SessionName) => (st: SessionState, atMs: number) => this.onSessionState(name, st, atMs);
    if (cfg.sessions.stocks) {
      this.stocks = new VendorSession({
        ...common,
        name: 'stocks',
        url: cfg.stocksUrl,
        cluster: 'stocks',
        onFrame: (p) => this.onStocksFrame(p),
        onState: onState('stocks'),
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
        onState: onState('options'),
      });
      if (cfg.initialPrice !== null) this.onUnderlyingPrice(cfg.initialPrice);
      else if (cfg.focusStrike !== null) this.applyStrikes(strikes.setFocus(cfg.focusStrike));
    }
  }

  /**
   * Before start(): windows earlier leaders announced and did not fill (LiveHa's GapBook, from md.live.gaps); this
   * engine fills them under their gap ids, whatever its resume point (which is past them). Sessions it does not run
   * are left out.
   */
  inherit(gs: readonly GapAnnouncement[]): void {
    for (const g of gs) if (g.session === 'stocks' ? this.stocks : this.options) this.inherited.push(g);
  }

  start(): void {
    for (const g of this.inherited.splice(0)) {
      this.log(
        'info',
        `gap ${g.gap_id}: ${g.item} [${g.from_ns}, ${g.to_ns}) ${g.reason}, announced ${g.status} by an earlier leader: taken over`,
      );
      this.keeper.inherit(windowOfAnnouncement(g, Date.now(), this.config.backfillDelayMs));
    }
    const rp = this.hooks.resumePoint;
    if (rp) {
      // the resume points are read while the sockets connect; each session's start is a gap until its first live event
      const subjects: Subject[] = [];
      if (this.stocks) subjects.push(SUBJECTS.stockTrades, SUBJECTS.stockQuotes);
      if (this.options) subjects.push(SUBJECTS.optionTrades);
      for (const subject of subjects) {
        this.resumes.set(
          subject,
          Promise.resolve()
            .then(() => rp(subject))
            .catch((e: unknown) => {
              this.log('error', `resume point of ${subject}: ${(e as Error).message}: its start is not backfilled`);
              return null;
            }),
        );
      }
      const now = Date.now();
      if (this.stocks) this.keeper.expectStart('stocks', now);
      if (this.options) this.keeper.expectStart('options', now);
    }
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

  /** Drop the vendor sockets at once, no close handshake, no reconnect (a standby that lost its lease); stop() still follows. */
  closeSockets(): void {
    this.stocks?.closeNow();
    this.options?.closeNow();
  }

  /**
   * The lease was lost (hot standby, LiveHa): the vendor sockets are dropped at once and nothing live comes in any
   * more, but the windows this engine already bounded (its start from the resume point, a disconnect, an overflow)
   * are still filled from REST, which is not limited to one connection: the next leader's resume point is the
   * newest event stored, past them, so nobody else would fill them. Then stop(reason). An outage not yet bounded
   * is announced unfilled at once (this term stored nothing after it: the next leader's start covers it). At most
   * `maxMs`; stop() meanwhile ends it at once (what is still open is announced unfilled, as by any stop).
   */
  retire(reason: string, maxMs: number): Promise<void> {
    if (this.stopping) return this.stopping;
    if (!this.retiring) {
      this.closeSockets();
      this.keeper.endOutages(`${reason}: the vendor sockets were closed before the outage ended`);
      const woken = new Promise<void>((r) => (this.wakeRetire = r));
      this.retiring = (async () => {
        await settlesWithin(Promise.race([this.windowsSettled(), woken]), maxMs);
        await this.stop(reason);
      })();
    }
    return this.retiring;
  }

  /** resolves once every window opened is final and none is still to open (start plans, overflow), or stop() began */
  private async windowsSettled(): Promise<void> {
    while (!this.stopping) {
      await Promise.allSettled(this.startPlans);
      if (this.gaps.pending.length === 0 && this.backfill.busy === 0 && !this.keeper.overflowPending) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Close the sockets, publish what is queued, wait for the sink's confirmations: all of it within the shutdown
   * timeout from this call, whatever the vendor (a half-open socket is dropped after VENDOR_CLOSE_MS) or the bus
   * (down, frozen, a full window) do; what is not confirmed by then is counted (`unconfirmed`, in the final
   * line). Backfills still running are aborted; every gap not filled by then is announced unfilled (why: stopped).
   */
  stop(reason = 'stopped', code = 0): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        // one deadline for every step below
        const deadline = performance.now() + this.config.shutdownTimeoutMs;
        const left = (cap = Infinity) => Math.max(0, Math.min(cap, deadline - performance.now()));
        this.wakeRetire?.();
        if (this.dayTimer) clearInterval(this.dayTimer);
        if (this.statsTimer) clearInterval(this.statsTimer);
        // a close handshake (1000) for a vendor that answers; a half-open socket never does: dropped (closeNow)
        const grace = left(VENDOR_CLOSE_MS);
        await settlesWithin(Promise.all([this.stocks?.close(grace), this.options?.close(grace)]), grace);
        this.closeSockets();
        const why = `stopped (${reason}) before it was filled`;
        this.keeper.stop(why);
        for (const w of this.backfill.drain()) this.gaps.fail(w, why, 0, 0);
        this.abort.abort(new Error(why));
        this.lane.close();
        await settlesWithin(Promise.allSettled(this.startPlans), left(2000));
        await settlesWithin(this.backfill.idle(), left(2000));
        for (const w of this.gaps.pending) this.gaps.fail(w, why, 0, 0);
        this.queue.close();
        // the pump may be blocked in sink.publish() (a full window, a publisher recovering from a disconnect or
        // "no responders"): wait for it until the deadline, then close the sink with what is left of it, which
        // gives up the unconfirmed and rejects the waiting publish (counted in publish_errors) so the pump can end
        const pumped = await settlesWithin(this.pumpDone, left());
        if (this.hooks.closeSinkOnStop !== false) {
          try {
            // JetStreamPublisher.close takes a timeout (shutdown with NATS gone must not hang); other sinks ignore it
            await (this.sink as EventSink & { close(timeoutMs?: number): Promise<void> }).close(Math.max(1, left()));
          } catch (e) {
            this.log('error', `sink: ${(e as Error).message}`);
          }
        }
        // a closed sink refuses the rest of the queue at once
        if (!pumped) await settlesWithin(this.pumpDone, 200);
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
      `publish_errors=${c.publishErrors} lag_ms_p50=${f(p50)} lag_ms_p99=${f(p99)} lag_ms_max=${f(this.lag.max)} lag_n=${this.lag.count} ` +
      `gaps=${this.gaps.gaps} gaps_filled=${this.gaps.filled} gaps_unfilled=${this.gaps.unfilled} backfilled=${this.backfill.backfilled} ` +
      `rest_requests=${this.restRequests} rest_429=${this.rest429}` +
      (this.strikes
        ? ` centre=${this.strikes.centre ?? '-'} atm=${this.strikes.atm ?? '-'} expiry=${this.strikes.expiry} option_items=${this.strikes.items().length}`
        : '')
    );
  }

  /** REST requests made (backfills and the start planner), retries and 429s included */
  get restRequests(): number {
    return this.restInstance ? this.restInstance.stats.requests : this.backfill.requests;
  }

  /** 429 answers absorbed */
  get rest429(): number {
    return this.restInstance ? this.restInstance.stats.rateLimited : this.backfill.rateLimited;
  }

  private onSessionState(name: SessionName, st: SessionState, atMs: number): void {
    const s = name === 'stocks' ? this.stocks : this.options;
    if (st === 'lost') this.keeper.lost(name, atMs, s?.subscriptions() ?? []);
    else this.keeper.streaming(name, atMs);
  }

  /**
   * A session's start got its end (first live event + overlap): its windows run from each subject's resume
   * point; the option contracts are those a strike manager with the same configuration would have held
   * over the underlying's REST trades of the window (and those held now).
   */
  private planStart(session: SessionName, endMs: number, live: LiveIds): void {
    const plan = (async () => {
      try {
        const subjects = session === 'stocks' ? [SUBJECTS.stockTrades, SUBJECTS.stockQuotes] : [SUBJECTS.optionTrades];
        for (const subject of subjects) {
          const rp = await (this.resumes.get(subject) ?? Promise.resolve(null));
          if (!rp) continue;
          const fromMs = Number(rp.tsEventNs / 1_000_000n);
          if (fromMs > endMs) continue;
          let items: string[];
          if (subject === SUBJECTS.stockTrades) items = [`T.${this.config.underlying}`];
          else if (subject === SUBJECTS.stockQuotes) items = [`Q.${this.config.underlying}`];
          else
            items = (await this.startOptionItems(Math.max(fromMs, endMs - this.config.backfillMaxMs), endMs)).filter((i) =>
              i.startsWith('T.'),
            );
          for (const item of items) this.keeper.startWindow(session, item, fromMs, endMs, rp.ids, live);
        }
      } catch (e) {
        this.log('error', `start backfill of ${session}: ${(e as Error).message}`);
      } finally {
        this.keeper.seal(session, live);
      }
    })();
    this.startPlans.push(plan);
  }

  /** the option items a strike manager would have held over [fromMs, endMs] (plus those held now) */
  private async startOptionItems(fromMs: number, endMs: number): Promise<string[]> {
    const live = this.strikes;
    const cfg = this.config;
    const items = new Set<string>(live?.items() ?? []);
    const sm = new StrikeManager({
      root: cfg.optionRoot,
      expDate: cfg.expiry ?? nyDate(new Date(fromMs)),
      range: cfg.strikeRange,
      increment: cfg.strikeIncrement,
      recentreThreshold: cfg.recentreThreshold,
      focusStrike: cfg.focusStrike,
    });
    const add = (d: SubscriptionDiff | null) => d && d.subscribe.forEach((i) => items.add(i));
    const stored = await (this.resumes.get(SUBJECTS.stockTrades) ?? Promise.resolve(null));
    const seed = stored?.price ?? cfg.initialPrice;
    if (seed != null) add(sm.onUnderlyingPrice(seed));
    else if (cfg.focusStrike !== null) add(sm.setFocus(cfg.focusStrike));
    add({ subscribe: sm.items(), unsubscribe: [] });
    if (cfg.sessions.stocks) {
      try {
        await this.backfill.withSource(async (src) => {
          const from = BigInt(fromMs) * 1_000_000n;
          const to = (BigInt(endMs) + 1n) * 1_000_000n;
          for await (const page of src.pages('trades', cfg.underlying, from, to, this.abort.signal)) {
            for (const r of page) if (r.msg.kind === 'stock_trade') add(sm.onUnderlyingPrice(r.msg.p));
          }
        });
      } catch (e) {
        this.log(
          'warn',
          `start backfill: the underlying's REST trades (for the option contracts held): ${describeRestError(e)}; using the contracts known`,
        );
      }
    }
    return [...items];
  }

  /**
   * Events received and not confirmed stored: refused by the sink or given up (publish_errors), failed or still
   * pending in the sink, still queued (live queue and backfill lane). 0 after a clean stop.
   */
  get unconfirmed(): number {
    const s = this.sink.stats;
    return this.counters.publishErrors + s.failed + s.pending + this.queue.length + this.lane.length;
  }

  private logStats(kind: 'stats' | 'final'): void {
    this.log('info', `${kind} ${this.statsLine()}${kind === 'final' ? ` unconfirmed=${this.unconfirmed}` : ''}`);
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
      this.keeper.live('stocks', ev);
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
    for (const ev of this.optionNorm.frame(p)) {
      this.keeper.live('options', ev);
      this.enqueue(ev);
    }
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
    // a contract added while the socket is down was held during the gap: it joins it
    this.keeper.hold('options', d.subscribe);
  }

  /**
   * The one publisher: live events first; a backfilled event only when the live queue is empty (so a
   * backfill costs a live event at most one publish of waiting). docs/gap-free-live.md section 5.
   */
  private async pump(): Promise<void> {
    const q = this.queue;
    const lane = this.lane;
    let fromLane = 0;
    for (;;) {
      let p: Publishable | undefined = q.shift();
      if (p !== undefined) {
        const lagMs = Date.now() - Number(p.event.ts_event_ns / 1_000_000n);
        this.lag.add(lagMs);
        (this.backfill.busy > 0 ? this.lagWhileBackfilling : this.lagIdle).add(lagMs);
        this.keeper.queueLevel(q.length, q.capacity);
      } else {
        p = lane.shift();
        // a sink that confirms at once and a lane refilled at once would never let the socket readers in: yield now and then
        if (p !== undefined && ++fromLane % 64 === 0) await new Promise((r) => setImmediate(r));
      }
      if (p !== undefined) {
        try {
          await this.sink.publish(p);
          this.counters.published++;
        } catch (e) {
          this.counters.publishErrors++;
          if (this.firstPublishErrors++ < 10) this.log('error', `publish ${p.subject} ${p.msgId}: ${(e as Error).message}`);
        }
        continue;
      }
      const waits: Promise<unknown>[] = [];
      if (!q.isClosed) waits.push(q.wait());
      if (!lane.closed || lane.length > 0) waits.push(lane.wait());
      if (waits.length === 0) return;
      await Promise.race(waits);
    }
  }
}

/** massive_ws -> massive_rest, polygon_ws -> polygon_rest */
export function restSourceOf(live: EventSource): EventSource {
  return live === 'polygon_ws' ? 'polygon_rest' : live === 'massive_ws' ? 'massive_rest' : live;
}

/** how a backfill failure reads in its announcement */
export function describeRestError(e: unknown): string {
  if (e instanceof RestError) return `${e.code}${e.status !== null ? ` (HTTP ${e.status})` : ''}: ${e.message}`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** one shared REST instance seen per window: its stats since the window began */
function countingView(r: RestSource): RestSource {
  const r0 = r.stats.requests;
  const l0 = r.stats.rateLimited;
  return {
    get stats() {
      return { requests: r.stats.requests - r0, rateLimited: r.stats.rateLimited - l0 };
    },
    pages: (kind, ticker, fromNs, toNs, signal) => r.pages(kind, ticker, fromNs, toNs, signal),
  };
}

/** stop(): how long a vendor socket's close handshake may take before the socket is dropped */
const VENDOR_CLOSE_MS = 1000;

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
