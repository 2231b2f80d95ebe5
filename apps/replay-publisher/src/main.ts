/**
 * replay-publisher: Databento DBN files -> @md/replay-engine -> NATS JetStream (@md/nats-bus's openAppBus) or stdout.
 * Wiring only: @md/app-kit's runMain (exit codes, signals, EPIPE) and logger. Logs and progress go to stderr; the
 * final statistics table to stdout (stderr with --sink stdout).
 */
import { randomUUID } from 'node:crypto';
import { createLogger, EXIT_CODES, peekLogFormat, runMain } from '@md/app-kit';
import { REPLAY_STATUS_SUBJECT } from '@md/event-types';
import { openAppBus, StdoutSink, StoredTracker, type AppBus, type EventSink } from '@md/nats-bus';
import { ConfigError } from '@md/app-kit';
import { ensureSampleSession, findResumePointFor, planReplay, REPLAY_DEFAULTS, sourceForRoots } from '@md/replay-engine';
import { defaultDataRoot, replaySubjects } from '@md/replay-engine';
import { isoNs, jsonWithBigints, progressBar, progressLine, statsForJson, statsTable } from '@md/replay-engine';
import { Replayer, ReplayPlanError, type Position, type ReplayStats } from '@md/replay-engine';
import { busOptions, HELP, parseConfig } from './config.js';
import { ReplayMetrics } from './metrics.js';

/** the progress bar's current text: a log line first ends it */
let bar = '';
const endBar = () => {
  if (bar) process.stderr.write('\n');
  bar = '';
};
const log = createLogger({ name: 'replay-publisher', beforeWrite: endBar });
/** the engine's lines: 'warning: ...' at warn, the rest at info */
const engineLog = (m: string) => (m.startsWith('warning: ') ? log.warn(m.slice(9)) : log.info(m));
/** openAppBus's stream line without differences: said by the app's own `nats: <url>, stream ...` line */
const PLAIN_STREAM_LINE = /^nats: stream \S+ \w+ \(\d+ replica\(s\)\)$/;
const message = (e: unknown) => (e as Error)?.message ?? String(e);
/** once stopping: the longest wait for one more step that needs the server (a status message, the drain) */
const STOP_STEP_MS = 300;
/** true when `p` settles within `ms` (the timer never outlives it) */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const ok = p.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([ok, new Promise<false>((r) => (t = setTimeout(() => r(false), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

void runMain(
  'replay-publisher',
  async (ctx) => {
    log.format = peekLogFormat(ctx.argv, ctx.env); // a configuration error is written in the asked format too
    const cfg = parseConfig(ctx.argv, ctx.env);
    if (cfg === 'help') return void process.stdout.write(HELP);
    log.level = cfg.logLevel;
    log.format = cfg.logFormat;
    const metrics = await ReplayMetrics.start(cfg, log); // --metrics-port: /metrics, /healthz, /readyz (a port in use: exit 2)
    log.addSecret(ctx.env.NATS_PASSWORD, ctx.env.NATS_TOKEN, ctx.env.NATS_NKEY_SEED); // URL credentials and seeds: by pattern

    // ---- data: the given roots, ./dbn-data, or the cached sample session; configuration errors (exit 2) before anything connects ----
    let root = cfg.dataRoot;
    let sample = cfg.sample;
    if (root === null && !sample) {
      root = defaultDataRoot(process.cwd());
      if (root !== null) log.info(`data root: ${root} (the default: a dbn-data folder; --data-root / REPLAY_DATA_ROOT to choose another)`);
      else if (cfg.bronzeRoot === null) {
        if (cfg.sink === 'nats' && cfg.natsUrlExplicit)
          throw new ConfigError(
            'no data: no --data-root / REPLAY_DATA_ROOT, no ./dbn-data and no --bronze-root / REPLAY_BRONZE_ROOT; the synthetic sample ' +
              'session is not published into the configured NATS server (NATS_URL / --nats-url) unless --sample is given: ' +
              'pass --sample to publish it there, or give a data root',
          );
        sample = true;
      }
    }
    if (sample) {
      root = (await ensureSampleSession(cfg.sampleDir, engineLog)).root;
      log.info(
        `${cfg.sample ? '--sample' : 'no data root (REPLAY_DATA_ROOT / --data-root, ./dbn-data) and no Bronze root'}: ` +
          `replaying the synthetic sample session ${root} (source "sim")`,
      );
    }
    const dataName = [root, cfg.bronzeRoot].filter((x) => x !== null).join(' + ');
    const source = sourceForRoots(
      {
        dataRoot: root,
        bronzeRoot: cfg.bronzeRoot,
        optionsSource: cfg.optionsSource,
        bronzeFutures: cfg.bronzeFutures,
        futuresSymbol: cfg.futuresSymbol,
        ...(sample ? { eventSource: 'sim' as const } : {}),
      },
      (m) => log.warn(m),
    );
    const plan = await planReplay(cfg, source, dataName);
    for (const w of plan.warnings) log.warn(w);
    const speed = cfg.speed ?? (sample ? REPLAY_DEFAULTS.sampleSpeed : REPLAY_DEFAULTS.speed);

    // ---- sink: the bus (connect, maybe a local server, MARKET_DATA, publish mode), resume point; or stdout ----
    let bus: AppBus | null = null;
    let resumeAfter: string | null = null;
    if (cfg.sink === 'nats') {
      try {
        bus = await openAppBus(busOptions(cfg, ctx.env, (l, m) => log.log(PLAIN_STREAM_LINE.test(m) ? 'debug' : l, m)));
        const { action, info } = bus.stream;
        log.info(`nats: ${bus.url}, stream ${info.config.name} ${action}${bus.replicas > 1 ? ` (${bus.replicas} replicas)` : ''}`);
        const rp = cfg.resume ? await findResumePointFor(bus.nc, info.config.name, plan, source) : null;
        resumeAfter = rp?.msgId ?? null;
        if (rp)
          log.info(`resume: the stream holds this replay up to ${rp.subject} seq ${rp.seq} (msg id ${rp.msgId}); continuing after it`);
        else if (cfg.resume) log.info('resume: nothing of this replay in the stream yet: starting from the beginning');
      } catch (e) {
        log.error(message(e));
        await bus?.close().catch(() => undefined);
        return 1;
      }
    }
    const rawSink = bus
      ? bus.publisher(metrics ? { onConfirm: metrics.publish.onConfirm, onConfirmEvent: metrics.publish.onConfirmEvent } : {})
      : new StdoutSink(process.stdout);
    const sink: EventSink = metrics ? metrics.wrap(rawSink as Parameters<ReplayMetrics['wrap']>[0]) : rawSink;
    // the stream's state for this replay's subjects before the first publish: the summary's "stored new / already in the stream"
    const tally = bus ? await StoredTracker.begin(bus, replaySubjects(plan), () => sink.stats, log) : null;
    if (bus) metrics?.bus(bus, tally);

    // ---- progress: a line every N events, or on a terminal a bar redrawn 5 times a second ----
    const tty = cfg.logFormat === 'text' && (cfg.progressBar === true || (cfg.progressBar === 'auto' && process.stderr.isTTY === true));
    const { maxGapMs, reorderWindowNs, order, shutdownTimeoutMs } = cfg;
    const onProgress = (s: ReplayStats, wallMs: number, pos: Position) => log.info(progressLine(s, wallMs, pos));
    const tuning = {
      speed,
      maxGapMs,
      reorderWindowNs,
      order,
      progressEvery: tty ? 0 : cfg.progressEvery,
      shutdownTimeoutMs,
      onProgress,
      fastPath: !cfg.objectPath,
    };
    const replayer = new Replayer({ ...tuning, source, sink, resumeAfterMsgId: resumeAfter, log: engineLog });
    const barTimer = tty
      ? setInterval(() => {
          const c = replayer.current;
          const line = c && c.stats.events > 0 ? progressBar(c.stats, performance.now() - c.t0, c.pos) : bar;
          if (line !== bar) process.stderr.write(`\r${line}\x1b[K`);
          bar = line;
        }, 200)
      : undefined;
    barTimer?.unref();

    // ---- status messages (core NATS, outside market.>) ----
    /** the replay's unconfirmed events once it returned (a publish() given up while waiting for room included) */
    let unconfirmedAtStop = 0;
    const base = { replay_id: randomUUID(), dates: plan.dates, kinds: plan.perDate, speed, order, reorder_window_ns: reorderWindowNs };
    const status = async (type: string, extra: Record<string, unknown> = {}) => {
      if (!bus || !cfg.status) return;
      try {
        const body = {
          type,
          ...base,
          data_root: root,
          bronze_root: cfg.bronzeRoot,
          session: cfg.session,
          resume_after: resumeAfter,
          at: new Date().toISOString(),
          ...extra,
        };
        bus.nc.publish(REPLAY_STATUS_SUBJECT, jsonWithBigints(body));
        // stopping: the flush waits for the server, forever when it is down or frozen; with events unconfirmed it did
        // not answer within the shutdown timeout already: the status goes out only if the connection still can
        if (ctx.stopReason === undefined) await bus.nc.flush();
        else if (sink.stats.failed + sink.stats.pending + unconfirmedAtStop > 0) return;
        else if (!(await settlesWithin(bus.nc.flush(), STOP_STEP_MS)))
          throw new Error(`the server did not answer within ${STOP_STEP_MS} ms`);
      } catch (e) {
        log.warn(`status message not sent: ${message(e)}`);
      }
    };

    // ---- stop: the first SIGINT / SIGTERM or EPIPE stops reading; then at most the shutdown timeout for the acks ----
    // the replayer waits at most the shutdown timeout from the signal (reconnects included), then gives up what is
    // unconfirmed (exit 4); the bus then closes in STOP_STEP_MS; runMain's backstop below is never reached unless a bug
    ctx.onStop(() => replayer.stop());
    ctx.setShutdownTimeout(shutdownTimeoutMs + 900, EXIT_CODES.unconfirmed, () => {
      const s = sink.stats;
      return `${s.published - s.acked} event(s) unconfirmed (published ${s.published}, confirmed ${s.acked})`;
    });
    /** the sink's close and the bus's close, bounded once a stop was requested (the acks were waited for already) */
    const closeSink = () => (sink as EventSink & { close(ms?: number): Promise<void> }).close(ctx.stopReason ? 1 : undefined);
    const closeBus = (unconfirmed: number) => bus?.close(ctx.stopReason ? (unconfirmed > 0 ? 0 : STOP_STEP_MS) : undefined);
    const epipe = () => ctx.stopReason === 'EPIPE';
    const speedText = speed === 0 ? '0 (as fast as possible)' : `${speed}x`;
    log.info(
      `replaying ${plan.dates.length > 4 ? `${plan.dates.length} dates, ${plan.dates[0]} .. ${plan.dates[plan.dates.length - 1]}` : plan.dates.join(', ')} from ${dataName}${cfg.session !== 'full' ? ` (session ${cfg.session})` : ''} at speed ${speedText}, order ${order}, reorder window ${Number(reorderWindowNs / 1000n) / 1000} ms, ` +
        `sink ${cfg.sink}${bus ? ` (${bus.mode} mode)` : ''}`,
    );
    metrics?.attach(replayer, plan, speed, ctx.signal);
    await status('started');
    let stats: ReplayStats;
    try {
      const [first, ...more] = plan.dates; // a plan has at least one date
      const one = !cfg.continuous && more.length === 0 && first !== undefined;
      stats = await (one
        ? replayer.replayDate(first, plan.start(first), plan.end(first), plan.perDate[first] ?? plan.kinds)
        : replayer.replayContinuous(plan.dates, plan.kinds, plan));
    } catch (e) {
      if (epipe()) return 0;
      log.error(message(e));
      await status('failed', { error: message(e) });
      await closeSink().catch(() => undefined);
      await closeBus(sink.stats.pending);
      return 1;
    } finally {
      clearInterval(barTimer);
      endBar();
    }
    if (epipe()) stats.error = undefined;
    unconfirmedAtStop = stats.unconfirmed ?? 0;
    await status(stats.error ? 'failed' : stats.stopped ? 'stopped' : 'completed', { stats: statsForJson(stats) });
    const closeError = await closeSink().catch((e: unknown) => (epipe() ? undefined : message(e)));
    if (closeError) log.error(closeError);
    // stopping with events unconfirmed: the server is away, its state cannot be read (and the shutdown budget is short)
    const away = ctx.stopReason !== undefined && sink.stats.pending + sink.stats.failed + unconfirmedAtStop > 0;
    const stored = away
      ? null
      : await tally?.finish(ctx.stopReason ? 200 : 5000).catch((e: unknown) => void log.warn(`stored counts: ${message(e)}`));
    if (stored) stats.stored = stored;
    metrics?.finished(stats);
    const unconfirmed = stats.unconfirmed ?? 0;
    const outcome = stats.stopped ? 'stopped' : stats.error ? 'failed' : 'complete';
    const table = `replay ${outcome}: ${stats.events} events, ${isoNs(stats.firstEventNs)} .. ${isoNs(stats.lastEventNs)}\n${statsTable(stats)}\n`;
    if (cfg.sink === 'stdout' && log.format === 'json')
      log.info(`replay ${outcome}`, { stats: statsForJson(stats) }); // stderr holds JSON lines only
    else (cfg.sink === 'stdout' ? process.stderr : process.stdout).write(table);
    if (bus?.server) log.info(`stopping the local nats-server ${bus.server.url}`);
    await closeBus(unconfirmed);
    await metrics?.close(cfg.metricsLingerS * 1000, ctx.signal); // --metrics-linger: the final counts for one more scrape
    if (stats.stopped && unconfirmed > 0 && !epipe()) {
      // the last line: how many, and that --resume continues from what the stream holds
      log.error(
        `${ctx.stopReason}: stopped with ${unconfirmed} unconfirmed event(s) (not confirmed stored within the shutdown timeout of ` +
          `${shutdownTimeoutMs / 1000} s, or failed): exit ${EXIT_CODES.unconfirmed}; --resume continues after the last stored event`,
      );
      return EXIT_CODES.unconfirmed;
    }
    return stats.error || closeError ? 1 : 0;
  },
  {
    logger: log,
    stopMessage: 'stopping, waiting for outstanding confirmations',
    isConfigError: (e) => e instanceof ReplayPlanError || (e as Error)?.name === 'DbnDataRootError',
  },
);
