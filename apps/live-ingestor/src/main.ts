/**
 * live-ingestor: Polygon.io / Massive.com WebSocket feeds -> @md/live-engine -> NATS JetStream (@md/nats-bus's
 * openAppBus) or stdout. Wiring only: @md/app-kit's runMain (exit codes, signals, EPIPE) and its logger, the one
 * place where secrets are redacted. Logs go to stderr.
 */
import { ConfigError, createLogger, EXIT_CODES, peekLogFormat, runMain } from '@md/app-kit';
import { LIVE_GAPS_SUBJECT } from '@md/event-types';
import { gapJson, LiveEngine, LiveHa, liveSubjects, resumePointOf, storedStatsLine, type GapAnnouncement } from '@md/live-engine';
import type { LiveEngineOptions } from '@md/live-engine';
import { GapRecords, Lease, openAppBus, StdoutSink, StoredTracker, type AppBus, type EventSink } from '@md/nats-bus';
import { HELP, parseConfig } from './config.js';
import { LiveMetrics } from './metrics.js';

/** what the engine calls: JetStreamPublisher.close takes the shutdown timeout (StdoutSink ignores it) */
type Sink = EventSink & { close(timeoutMs?: number): Promise<void> };
const log = createLogger({ name: 'live-ingestor' });
const message = (e: unknown) => (e as Error)?.message ?? String(e);

void runMain(
  'live-ingestor',
  async (ctx) => {
    log.format = peekLogFormat(ctx.argv, ctx.env); // a configuration error is written in the asked format too
    const cfg = parseConfig(ctx.argv, ctx.env);
    if (cfg === 'help') return void ctx.stdout.write(HELP);
    log.level = cfg.logLevel;
    log.format = cfg.logFormat;
    // the key and the NATS secrets by value; credentials inside URLs and nkey seeds by pattern
    log.addSecret(cfg.apiKey, ctx.env.NATS_PASSWORD, ctx.env.NATS_TOKEN, ctx.env.NATS_NKEY_SEED);

    // the engine before the sink: its own checks (expiry, option root, strike grid) refuse a value before anything
    // connects (exit 2); it reaches the sink (stdout, or the bus's publisher once connected) through `out`
    let sink: Sink | undefined = cfg.sink === 'stdout' ? new StdoutSink(process.stdout) : undefined;
    /** --metrics-port: per event handed to the sink, its counts and feed lag (undefined without metrics) */
    const perEvent: { onEvent?: (p: Parameters<Sink['publish']>[0]) => void } = {};
    const out: Sink = {
      publish: (p) => {
        perEvent.onEvent?.(p);
        return sink!.publish(p);
      },
      flush: () => sink!.flush(),
      close: (ms?: number) => sink!.close(ms),
      get stats() {
        return sink!.stats;
      },
    };
    // gap announcements (docs/gap-free-live.md): core NATS JSON on md.live.gaps, ns bounds as exact integers; with
    // the stdout sink, logged (stdout carries only events)
    let bus: AppBus | null = null;
    /** --ha: the controller, which keeps the open windows' records in NATS KV (the next leader fills them) */
    let ha: LiveHa | null = null;
    const announce = (g: GapAnnouncement) => {
      if (bus) bus.nc.publish(LIVE_GAPS_SUBJECT, gapJson(g));
      else log.info(`${LIVE_GAPS_SUBJECT} ${gapJson(g)}`);
      ha?.announced(g);
    };
    // every start (a restart, a deploy, a standby taking over) is a gap from the stream's resume point
    const hooks: Partial<LiveEngineOptions> = {
      announce,
      resumePoint: cfg.sink === 'nats' ? (subject) => resumePointOf(bus!.nc, subject) : undefined,
      // hot standby: one sink for every term as leader, closed once at the end
      closeSinkOnStop: !cfg.ha,
    };
    const engines: LiveEngine[] = [];
    const newEngine = () => {
      const e = new LiveEngine({ ...cfg, ...hooks }, out, (level, m) => log.log(level, m));
      engines.push(e);
      return e;
    };
    let first: LiveEngine;
    try {
      first = newEngine();
    } catch (e) {
      throw new ConfigError(message(e));
    }

    const metrics = await LiveMetrics.start(cfg, engines, () => (sink ? sink.stats : null), log); // a port in use: exit 2
    if (metrics) perEvent.onEvent = metrics.onEvent;
    let tally: StoredTracker | null = null;
    if (cfg.sink === 'nats') {
      try {
        bus = await openAppBus({
          name: 'live-ingestor',
          url: cfg.natsUrl,
          env: { ...ctx.env, NATS_STREAM_REPLICAS: undefined }, // read (and checked) by the option table: cfg.replicas
          replicas: cfg.replicas,
          mode: cfg.publishMode,
          modeExplicit: cfg.publishModeGiven,
          modeFlag: '--publish-mode',
          window: cfg.publishWindow,
          windowExplicit: cfg.publishWindowGiven,
          log: (level, m) => log.log(level, m),
        });
      } catch (e) {
        log.error(message(e)); // openAppBus's errors carry no secrets
        return 1;
      }
      sink = bus.publisher(metrics ? { onConfirm: metrics.publish.onConfirm, onConfirmEvent: metrics.publish.onConfirmEvent } : {});
      // the stream's state for the live subjects now: the final "stored_new / already_stored" line
      tally = await StoredTracker.begin(bus, liveSubjects(cfg.sessions), () => out.stats, log);
      metrics?.bus(bus, tally);
    }
    const what = [
      cfg.sessions.stocks && `stocks ${cfg.stocksUrl} (${cfg.stocksSource})`,
      cfg.sessions.options && `options ${cfg.optionsUrl} (${cfg.optionsSource})`,
    ];
    log.info(
      `starting: ${what.filter(Boolean).join(', ')}; underlying ${cfg.underlying}, strikes ATM +-${cfg.strikeRange} step ${cfg.strikeIncrement}, sink ${cfg.sink}`,
    );

    // the first SIGINT / SIGTERM (or EPIPE on stdout): close the sockets, publish what is queued, wait for the acks, all
    // within the shutdown timeout from the signal (the engine's one deadline); what is unconfirmed then: exit 4. runMain's
    // backstop (shutdown timeout + 900 ms, exit 4) is only reached if a step is not bounded (a bug)
    let ended = false;
    let stopAt = 0;
    const unconfirmedNow = () =>
      engines.reduce((n, e) => n + e.counters.publishErrors + e.queue.length + e.lane.length, 0) + out.stats.failed + out.stats.pending;
    const backstop = () => `${unconfirmedNow()} event(s) unconfirmed`;
    let stop: (reason: string, code: number) => Promise<void>;
    let done: Promise<{ code: number; reason: string }>;
    if (cfg.ha && bus) {
      // hot standby: only the holder of the lease runs an engine (vendor sockets open); a lost lease closes them at once
      let spare: LiveEngine | null = first;
      let records: GapRecords;
      try {
        records = await GapRecords.open(bus.nc, { scope: cfg.haKey });
      } catch (e) {
        log.error(`--ha: ${message(e)}`);
        await bus.close();
        return 1;
      }
      const h = new LiveHa({
        records,
        makeEngine: () => {
          const e = spare ?? newEngine();
          spare = null;
          return e;
        },
        log: (level, m) => log.log(level, m),
      });
      ha = h;
      let lease: Lease;
      try {
        lease = await Lease.open(bus.nc, {
          key: cfg.haKey,
          holder: cfg.instanceId,
          ttlMs: cfg.haTtlMs,
          log: (level, m) => log.log(level, m),
          ...h.handlers,
        });
      } catch (e) {
        log.error(`--ha: ${message(e)}`);
        await bus.close();
        return 1;
      }
      log.info(`--ha: instance ${cfg.instanceId} standing by for the lease ${lease.bucket}/${lease.key} (ttl ${cfg.haTtlMs} ms)`);
      let forced: { code: number; reason: string } | null = null;
      stop = async (reason, code) => {
        if (code !== 0) forced ??= { code, reason };
        await h.stop(reason);
      };
      done = h.done.then(async (r) => {
        // the sink, shared by every term, closed once (what is queued is published, acks awaited), in what is left
        // of the shutdown timeout when a signal stopped it
        const ms = stopAt ? Math.max(1, stopAt + cfg.shutdownTimeoutMs - performance.now()) : cfg.shutdownTimeoutMs;
        await out.close(ms).catch((e: unknown) => log.error(`sink: ${message(e)}`));
        return forced ?? r;
      });
      ctx.setShutdownTimeout(cfg.shutdownTimeoutMs + 900, EXIT_CODES.unconfirmed, backstop);
      h.run(lease);
    } else {
      stop = (reason, code) => first.stop(reason, code);
      done = first.done;
      ctx.setShutdownTimeout(cfg.shutdownTimeoutMs + 900, EXIT_CODES.unconfirmed, backstop);
      first.start();
    }
    ctx.onStop((reason) => {
      stopAt = performance.now();
      return stop(reason, 0);
    });
    // @md/nats-bus closes the connection for good (e.g. authentication refused twice after a reconnect): every
    // event would fail from now on, so stop (publishing what can be, then exit 1) instead of going on
    const nats = bus;
    void nats?.nc.closed().then((err) => {
      if (ended || ctx.stopReason !== undefined) return;
      const why = nats.redact(err?.message ?? 'closed by the client');
      log.error(`nats: the connection is closed for good (${why}): stopping`);
      void stop(`NATS connection closed: ${why}`, 1);
    });
    let { code, reason } = await done;
    ended = true;
    // the stream's account of the run (not when stopping with events unconfirmed: the server is away)
    const stored =
      tally && !(ctx.stopReason && unconfirmedNow() > 0)
        ? await tally.finish(ctx.stopReason ? 200 : 5000).catch((e: unknown) => void log.warn(`stored counts: ${message(e)}`))
        : null;
    if (stored) log.info(`final ${storedStatsLine(stored)}`);
    // stopping: the acks were waited for already; a drain bounded (none when events are unconfirmed: nothing to flush)
    const unconfirmed = unconfirmedNow();
    await bus?.close(ctx.stopReason ? (unconfirmed > 0 ? 0 : 300) : undefined);
    await metrics?.close();

    if (bus) {
      const publishErrors = engines.reduce((n, e) => n + e.counters.publishErrors, 0);
      // publish_errors (never accepted) and failed (accepted, given up) are different events; queued ones never went out
      const lost =
        `${unconfirmed} event(s) failed to publish (publish_errors=${publishErrors}, failed=${out.stats.failed}); ` +
        `unconfirmed=${unconfirmed} (not confirmed stored within the shutdown timeout of ${cfg.shutdownTimeoutMs / 1000} s, or failed)`;
      if (unconfirmed > 0) [code, reason] = code === 0 ? [EXIT_CODES.unconfirmed, `${reason}: ${lost}`] : [code, `${reason}; ${lost}`];
    }
    if (code !== 0) {
      const line = `live-ingestor: ${log.redact(bus ? bus.redact(reason) : reason)}`;
      if (log.format === 'json')
        log.error(line); // --log-format json: every line on stderr is a JSON object
      else ctx.stderr.write(`${line}\n`);
    }
    return code;
  },
  { logger: log, stopMessage: 'closing sockets, publishing what is queued, waiting for acks' },
);
