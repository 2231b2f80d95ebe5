/**
 * replay-publisher: Databento DBN files -> @md/dbn-reader -> @md/stream-merge -> @md/nats-bus (or stdout).
 * Logs and progress go to stderr; the final statistics table to stdout (stderr with --sink stdout).
 */
import { randomUUID } from 'node:crypto';
import { REPLAY_STATUS_SUBJECT, SUBJECTS } from '@md/event-types';
import { JetStreamPublisher, StdoutSink, type EventSink } from '@md/nats-bus';
import { ensureSampleSession, openBus, type Bus } from './bootstrap.js';
import { ConfigError, DEFAULT_ACK_WINDOW, HELP, parseConfig, type ReplayConfig } from './config.js';
import { checkDataRootDir, planReplay, type ReplayPlan } from './plan.js';
import { Replayer } from './replayer.js';
import { findResumePoint } from './resume.js';
import { DataRootSource } from './source.js';
import { isoNs, jsonWithBigints, progressBar, progressLine, statsForJson, statsTable, type ReplayStats } from './stats.js';

const SUBJECT_OF = { trades: SUBJECTS.futuresTrades, mbp10: SUBJECTS.futuresMbp10, options: SUBJECTS.optionTrades } as const;

/** the progress bar's current text (a log line first ends it) */
let lastBar = '';

function log(msg: string): void {
  if (lastBar) process.stderr.write('\n');
  lastBar = '';
  process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
}

async function main(): Promise<number> {
  let cfg: ReplayConfig | 'help';
  try {
    cfg = parseConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`replay-publisher: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (cfg === 'help') {
    process.stdout.write(HELP);
    return 0;
  }

  // ---- data: the given root, or the cached sample session; config errors before anything connects ----
  let rootDir: string;
  let plan: ReplayPlan;
  let source: DataRootSource;
  try {
    if (cfg.dataRoot === null) {
      rootDir = (await ensureSampleSession(cfg.sampleDir, log)).root;
      log(`no data root given (REPLAY_DATA_ROOT / --data-root): replaying the sample session ${rootDir}`);
    } else {
      rootDir = cfg.dataRoot;
      checkDataRootDir(rootDir);
    }
    source = new DataRootSource(rootDir, (m) => log(`warning: ${m}`));
    plan = await planReplay(cfg, source, rootDir);
  } catch (e) {
    if (e instanceof ConfigError || (e as Error).name === 'DbnDataRootError') {
      process.stderr.write(`replay-publisher: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  for (const w of plan.warnings) log(`warning: ${w}`);

  // ---- sink ----
  let bus: Bus | null = null;
  let sink: EventSink;
  let resumeAfter: string | null = null;
  if (cfg.sink === 'stdout') {
    sink = new StdoutSink(process.stdout);
  } else {
    try {
      bus = await openBus(cfg.natsUrl, cfg.autoServer, log, process.env, { replicas: cfg.replicas });
      const r = bus.stream.info.config.num_replicas ?? 1;
      log(`nats: ${bus.url}, stream ${bus.stream.info.config.name} ${bus.stream.action}${r > 1 ? ` (${r} replicas)` : ''}`);
      if (r > 1 && cfg.mode === 'batch') {
        // a leader change can drop core publishes silently on a replicated stream: one PubAck per event there
        if (cfg.modeExplicit) log(`warning: --mode batch on a stream with ${r} replicas: a leader change can lose events silently; --mode ack is safe`);
        else {
          cfg.mode = 'ack';
          cfg.window = cfg.windowExplicit ? cfg.window : DEFAULT_ACK_WINDOW;
          log(`stream has ${r} replicas: publishing in ack mode (one PubAck per event; --mode batch to override)`);
        }
      }
      if (cfg.resume) {
        const subjects = [...new Set(Object.values(plan.perDate).flat())].map((k) => SUBJECT_OF[k]);
        const files = (await Promise.all(plan.dates.map((d) => source.fileNames(d)))).flat();
        const rp = await findResumePoint(bus.nc, bus.stream.info.config.name, subjects, files);
        if (rp) {
          resumeAfter = rp.msgId;
          log(`resume: the stream holds this replay up to ${rp.subject} seq ${rp.seq} (msg id ${rp.msgId}); continuing after it`);
        } else {
          log('resume: nothing of this replay in the stream yet: starting from the beginning');
        }
      }
    } catch (e) {
      log(`error: ${(e as Error).message}`);
      if (bus) await bus.close().catch(() => undefined);
      return 1;
    }
    sink = new JetStreamPublisher(bus.nc, { mode: cfg.mode, window: cfg.window, log: (m) => log(`warn: ${m}`) });
  }

  // ---- progress: lines every N events, or on a terminal a bar redrawn 5 times a second ----
  const tty = cfg.progressBar === true || (cfg.progressBar === 'auto' && process.stderr.isTTY === true);
  const replayer = new Replayer({
    source,
    sink,
    speed: cfg.speed,
    maxGapMs: cfg.maxGapMs,
    reorderWindowNs: cfg.reorderWindowNs,
    order: cfg.order,
    resumeAfterMsgId: resumeAfter,
    progressEvery: tty ? 0 : cfg.progressEvery,
    shutdownTimeoutMs: cfg.shutdownTimeoutMs,
    log,
    onProgress: (s, wallMs, pos) => log(progressLine(s, wallMs, pos)),
  });
  const barTimer = tty
    ? setInterval(() => {
        const c = replayer.current;
        if (!c || c.stats.events === 0) return;
        const line = progressBar(c.stats, performance.now() - c.t0, c.pos);
        if (line !== lastBar) process.stderr.write(`\r${line}\x1b[K`);
        lastBar = line;
      }, 200)
    : null;
  barTimer?.unref();

  // ---- status messages (core NATS, outside market.>) ----
  const replayId = randomUUID();
  const base = {
    replay_id: replayId,
    dates: plan.dates,
    kinds: plan.perDate,
    speed: cfg.speed,
    order: cfg.order,
    reorder_window_ns: cfg.reorderWindowNs,
    data_root: rootDir,
    resume_after: resumeAfter,
  };
  const status = async (type: string, extra: Record<string, unknown> = {}) => {
    if (!bus || !cfg.status) return;
    try {
      bus.nc.publish(REPLAY_STATUS_SUBJECT, jsonWithBigints({ type, ...base, at: new Date().toISOString(), ...extra }));
      await bus.nc.flush();
    } catch (e) {
      log(`warn: status message not sent: ${(e as Error).message}`);
    }
  };

  // ---- signals ----
  let signalled = 0;
  const onSignal = (sig: string) => {
    signalled++;
    if (signalled > 1) {
      log(`${sig} again: exiting without waiting`);
      process.exit(130);
    }
    log(`${sig}: stopping, waiting for outstanding confirmations`);
    replayer.stop();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  let stdoutClosed = false;
  const isEpipe = (m: string | undefined) => stdoutClosed && !!m && /EPIPE/.test(m);
  if (cfg.sink === 'stdout') {
    // the reader went away (`| head`): stop reading, exit 0
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') {
        if (!stdoutClosed) log('stdout closed (EPIPE): stopping');
        stdoutClosed = true;
        replayer.stop();
      }
    });
  }

  log(
    `replaying ${plan.dates.join(', ')} from ${rootDir} at speed ${cfg.speed === 0 ? '0 (as fast as possible)' : `${cfg.speed}x`}, ` +
      `order ${cfg.order}, reorder window ${Number(cfg.reorderWindowNs / 1000n) / 1000} ms, sink ${cfg.sink}${cfg.sink === 'nats' ? ` (${cfg.mode} mode)` : ''}`,
  );
  await status('started');
  let stats: ReplayStats;
  let code = 0;
  try {
    stats = cfg.continuous || plan.dates.length > 1
      ? await replayer.replayContinuous(plan.dates, plan.kinds, { start: plan.start, end: plan.end })
      : await replayer.replayDate(plan.dates[0], plan.start(plan.dates[0]), plan.end(plan.dates[0]), plan.kinds);
  } catch (e) {
    if (barTimer) clearInterval(barTimer);
    if (lastBar) process.stderr.write('\n');
    if (isEpipe((e as Error).message)) return 0;
    log(`error: ${(e as Error).message}`);
    await status('failed', { error: (e as Error).message });
    await sink.close().catch(() => undefined);
    if (bus) await bus.close();
    return 1;
  }
  if (barTimer) clearInterval(barTimer);
  if (lastBar) process.stderr.write('\n');
  if (isEpipe(stats.error)) stats.error = undefined;
  if (stats.error) code = 1;
  await status(stats.error ? 'failed' : stats.stopped ? 'stopped' : 'completed', { stats: statsForJson(stats) });
  try {
    await sink.close();
  } catch (e) {
    if (!isEpipe((e as Error).message)) {
      log(`error: ${(e as Error).message}`);
      code = 1;
    }
  }
  const table = `replay ${stats.stopped ? 'stopped' : stats.error ? 'failed' : 'complete'}: ${stats.events} events, ${isoNs(stats.firstEventNs)} .. ${isoNs(stats.lastEventNs)}\n${statsTable(stats)}\n`;
  if (cfg.sink === 'stdout') process.stderr.write(table);
  else process.stdout.write(table);
  if (bus) {
    if (bus.server) log(`stopping the local nats-server ${bus.server.url}`);
    await bus.close();
  }
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
    // stdout may still be flushing: let the event loop end by itself, but never hang
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`replay-publisher: fatal: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
