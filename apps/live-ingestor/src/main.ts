/**
 * live-ingestor: Polygon.io / Massive.com WebSocket feeds -> @md/polygon-normalizer -> NATS JetStream
 * (or stdout). Logs go to stderr; the API key never appears in them.
 */
import {
  busOptionsFromEnv,
  connectBus,
  ensureStream,
  JetStreamPublisher,
  redactSecrets,
  StdoutSink,
  type BusOptions,
  type EventSink,
  type NatsConnection,
} from '@md/nats-bus';
import { ConfigError, HELP, makeRedactor, MAX_TIMER_MS, parseConfig, type LiveConfig } from './config.js';
import { LiveIngestor } from './ingestor.js';
import type { Logger } from './session.js';

async function main(): Promise<number> {
  let cfg: LiveConfig | 'help';
  try {
    cfg = parseConfig(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`live-ingestor: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (cfg === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const redact = makeRedactor([cfg.apiKey]);
  const debug = process.env.LIVE_DEBUG === '1';
  const log: Logger = (level, msg) => {
    if (level === 'debug' && !debug) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${redact(msg)}\n`);
  };

  let nc: NatsConnection | null = null;
  let sink: EventSink;
  let busOpts: BusOptions = {};
  if (cfg.sink === 'stdout') {
    sink = new StdoutSink(process.stdout);
  } else {
    try {
      busOpts = { ...busOptionsFromEnv(), name: 'live-ingestor', log: (m: string) => log('info', m) };
    } catch (e) {
      process.stderr.write(`live-ingestor: ${redact((e as Error).message)}\n`);
      return 2;
    }
    let mode = cfg.publishMode;
    try {
      nc = await connectBus(busOpts);
      // an existing MARKET_DATA that captures the subjects is used as it is: replicas, max age, duplicate
      // window, storage are an operator's choices (logged); created with --replicas / NATS_STREAM_REPLICAS
      const r = await ensureStream(nc, { replicas: cfg.streamReplicas, acceptExisting: 'subjects' });
      const replicas = r.info.config.num_replicas ?? 1;
      const other = r.differences.map((d) => `${d.field} ${JSON.stringify(d.actual)}`).join(', ');
      log('info', `nats: stream ${r.info.config.name} ${r.action} (${replicas} replica(s))${other ? `; its settings differ from this app's defaults (${other}): used as it is` : ''}`);
      if (replicas > 1) {
        // batch mode: a leader change can drop core publishes silently (@md/nats-bus README)
        if (!cfg.publishModeGiven) mode = 'ack';
        else if (mode === 'batch') log('warn', `nats: --publish-mode batch on a replicated stream: a leader change can lose events silently (ack mode would not)`);
      }
    } catch (e) {
      log('error', `${redactSecrets((e as Error).message, busOpts)}`);
      if (nc) await nc.close().catch(() => {});
      return 1;
    }
    log('info', `nats: publish mode ${mode}`);
    sink = new JetStreamPublisher(nc, { mode, window: cfg.publishWindow, log: (m) => log('warn', m) });
  }

  let ing: LiveIngestor;
  try {
    ing = new LiveIngestor(cfg, sink, log);
  } catch (e) {
    // e.g. an --expiry / --option-root / --strike-increment the strike manager refuses
    process.stderr.write(`live-ingestor: ${redact((e as Error).message)}\n`);
    await sink.close().catch(() => {});
    if (nc) await nc.close().catch(() => {});
    return 2;
  }
  log(
    'info',
    `starting: ${[cfg.sessions.stocks && `stocks ${cfg.stocksUrl} (${cfg.stocksSource})`, cfg.sessions.options && `options ${cfg.optionsUrl} (${cfg.optionsSource})`]
      .filter(Boolean)
      .join(', ')}; underlying ${cfg.underlying}, strikes ATM +-${cfg.strikeRange} step ${cfg.strikeIncrement}, sink ${cfg.sink}`,
  );
  let signalled = 0;
  const onSignal = (sig: string) => {
    signalled++;
    if (signalled > 1) {
      log('warn', `${sig} again: exiting without waiting`);
      process.exit(130);
    }
    log('info', `${sig}: closing sockets, publishing what is queued, waiting for acks`);
    const t = setTimeout(() => {
      log('error', `shutdown took longer than ${cfg.shutdownTimeoutMs} ms: exiting`);
      process.exit(1);
    }, Math.min(MAX_TIMER_MS, (cfg as LiveConfig).shutdownTimeoutMs + 5000));
    t.unref();
    void ing.stop(`${sig}`, 0);
  };
  if (cfg.sink === 'stdout') {
    // the reader went away (`| head`): stop instead of failing every event
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') {
        log('warn', 'stdout closed (EPIPE): stopping');
        void ing.stop('stdout closed', 0);
      }
    });
  }
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  let ended = false;
  if (nc) {
    // @md/nats-bus closes the connection for good (e.g. authentication refused twice after a reconnect):
    // every event would fail from now on, so stop (publishing what can be, then exit 1) instead of going on
    void nc.closed().then((err) => {
      if (ended || signalled > 0) return;
      const why = redactSecrets(err?.message ?? 'closed by the client', busOpts);
      log('error', `nats: the connection is closed for good (${why}): stopping`);
      void ing.stop(`NATS connection closed: ${why}`, 1);
    });
  }
  ing.start();
  const r = await ing.done;
  ended = true;
  if (nc) {
    try {
      await nc.drain();
    } catch {
      /* already closed */
    }
  }
  let code = r.code;
  let reason = r.reason;
  if (cfg.sink === 'nats') {
    const failed = Math.max(ing.counters.publishErrors, sink.stats.failed);
    if (failed > 0) {
      const what = `${failed} event(s) failed to publish (publish_errors=${ing.counters.publishErrors}, failed=${sink.stats.failed})`;
      if (code === 0) {
        code = 4;
        reason = `${reason}: ${what}`;
      } else reason = `${reason}; ${what}`;
    }
  }
  if (code !== 0) process.stderr.write(`live-ingestor: ${redact(redactSecrets(reason, busOpts))}\n`);
  return code;
}

main().then(
  (code) => {
    process.exitCode = code;
    // stdout may still be flushing: let the event loop end by itself, but never hang
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`live-ingestor: fatal: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
