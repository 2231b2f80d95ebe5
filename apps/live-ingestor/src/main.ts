/**
 * live-ingestor: Polygon.io / Massive.com WebSocket feeds -> @md/live-engine -> NATS JetStream (@md/nats-bus's
 * openAppBus) or stdout. Wiring only: @md/app-kit's runMain (exit codes, signals, EPIPE) and its logger, the one
 * place where secrets are redacted. Logs go to stderr.
 */
import { ConfigError, createLogger, runMain } from '@md/app-kit';
import { LIVE_GAPS_SUBJECT } from '@md/event-types';
import { gapJson, LiveEngine, LiveHa, type GapAnnouncement, type LiveEngineOptions } from '@md/live-engine';
import { Lease, openAppBus, StdoutSink, type AppBus, type EventSink } from '@md/nats-bus';
import { HELP, parseConfig } from './config.js';
import { resumePointOf } from './resume.js';

/** what the engine calls: JetStreamPublisher.close takes the shutdown timeout (StdoutSink ignores it) */
type Sink = EventSink & { close(timeoutMs?: number): Promise<void> };
const log = createLogger({ name: 'live-ingestor' });
const message = (e: unknown) => (e as Error)?.message ?? String(e);

void runMain(
  'live-ingestor',
  async (ctx) => {
    const cfg = parseConfig(ctx.argv, ctx.env);
    if (cfg === 'help') return void ctx.stdout.write(HELP);
    log.level = cfg.logLevel;
    // the key and the NATS secrets by value; credentials inside URLs and nkey seeds by pattern
    log.addSecret(cfg.apiKey, ctx.env.NATS_PASSWORD, ctx.env.NATS_TOKEN, ctx.env.NATS_NKEY_SEED);

    // the engine before the sink: its own checks (expiry, option root, strike grid) refuse a value before anything
    // connects (exit 2); it reaches the sink (stdout, or the bus's publisher once connected) through `out`
    let sink: Sink | undefined = cfg.sink === 'stdout' ? new StdoutSink(process.stdout) : undefined;
    const out: Sink = {
      publish: (p) => sink!.publish(p),
      flush: () => sink!.flush(),
      close: (ms?: number) => sink!.close(ms),
      get stats() {
        return sink!.stats;
      },
    };
    // gap announcements (docs/gap-free-live.md): core NATS JSON on md.live.gaps, ns bounds as exact integers; with
    // the stdout sink, logged (stdout carries only events)
    let bus: AppBus | null = null;
    const announce = (g: GapAnnouncement) => {
      if (bus) bus.nc.publish(LIVE_GAPS_SUBJECT, gapJson(g));
      else log.info(`${LIVE_GAPS_SUBJECT} ${gapJson(g)}`);
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
      sink = bus.publisher();
    }
    const what = [
      cfg.sessions.stocks && `stocks ${cfg.stocksUrl} (${cfg.stocksSource})`,
      cfg.sessions.options && `options ${cfg.optionsUrl} (${cfg.optionsSource})`,
    ];
    log.info(
      `starting: ${what.filter(Boolean).join(', ')}; underlying ${cfg.underlying}, strikes ATM +-${cfg.strikeRange} step ${cfg.strikeIncrement}, sink ${cfg.sink}`,
    );

    // the first SIGINT / SIGTERM (or EPIPE on stdout): close the sockets, publish what is queued, wait for the acks
    // (the engine gives the sink the shutdown timeout; runMain exits 1 if all of it takes 5 s longer)
    let ended = false;
    let stop: (reason: string, code: number) => Promise<void>;
    let done: Promise<{ code: number; reason: string }>;
    if (cfg.ha && bus) {
      // hot standby: only the holder of the lease runs an engine (vendor sockets open); a lost lease closes them at once
      let spare: LiveEngine | null = first;
      const h = new LiveHa({
        makeEngine: () => {
          const e = spare ?? newEngine();
          spare = null;
          return e;
        },
        log: (level, m) => log.log(level, m),
      });
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
        // the sink, shared by every term, closed once (what is queued is published, acks awaited)
        await out.close(cfg.shutdownTimeoutMs).catch((e: unknown) => log.error(`sink: ${message(e)}`));
        return forced ?? r;
      });
      ctx.setShutdownTimeout(2 * cfg.shutdownTimeoutMs + 5000, 1);
      h.run(lease);
    } else {
      stop = (reason, code) => first.stop(reason, code);
      done = first.done;
      ctx.setShutdownTimeout(cfg.shutdownTimeoutMs + 5000, 1);
      first.start();
    }
    ctx.onStop((reason) => stop(reason, 0));
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
    await bus?.close();

    if (bus) {
      const publishErrors = engines.reduce((n, e) => n + e.counters.publishErrors, 0);
      const failed = Math.max(publishErrors, out.stats.failed);
      const lost = `${failed} event(s) failed to publish (publish_errors=${publishErrors}, failed=${out.stats.failed})`;
      if (failed > 0) [code, reason] = code === 0 ? [4, `${reason}: ${lost}`] : [code, `${reason}; ${lost}`];
    }
    if (code !== 0) ctx.stderr.write(`live-ingestor: ${log.redact(bus ? bus.redact(reason) : reason)}\n`);
    return code;
  },
  { logger: log, stopMessage: 'closing sockets, publishing what is queued, waiting for acks' },
);
