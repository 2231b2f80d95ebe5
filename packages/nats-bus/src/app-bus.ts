/**
 * openAppBus: what an app does before it publishes, in one place (the replay-publisher and the
 * live-ingestor did it each in its own way): connect (URL or NATS_URL, credentials from the environment),
 * start a local nats-server when asked to and none answers, provision MARKET_DATA accepting an existing
 * stream by policy, and choose the publish mode the stream allows: a replicated stream gets 'ack' mode
 * unless the mode was given explicitly (in 'batch' mode a leader change can drop core publishes silently).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { busOptionsFromEnv, connectBus, redactSecrets, redactUrl, splitServers, type BusOptions } from './connect.js';
import { NatsBusError } from './errors.js';
import { DEFAULT_ACK_WINDOW, DEFAULT_BATCH_WINDOW, JetStreamPublisher, type PublisherOptions } from './publisher.js';
import { isNatsReachable, startNatsServer, type LocalNatsServer } from './server.js';
import { desiredStreamConfig, ensureStream, type EnsureStreamResult, type StreamConfigInput } from './stream.js';

export type AppBusLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface AppBusOptions {
  /** client name shown by the server's monitoring, e.g. 'replay-publisher' */
  name: string;
  /** NATS URL(s), comma-separated, credentials allowed (`nats://user:pw@host`); null: NATS_URL of `env`, else nats://localhost:4222 */
  url: string | null;
  /** where NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS, NATS_TLS_* (and NATS_URL) are read; default process.env */
  env?: NodeJS.ProcessEnv;
  /** replicas of the stream when this call creates it (an existing stream keeps its own); default 1 */
  replicas?: number;
  /** which existing stream is used as it is (ensureStream's policy); default 'subjects' */
  acceptExisting?: StreamConfigInput['acceptExisting'];
  /** the publish mode asked for; default 'ack' */
  mode?: 'ack' | 'batch';
  /** whether the user chose `mode` (then a replicated stream keeps it, with a warning); default false */
  modeExplicit?: boolean;
  /** how the user sets the mode, named in the log lines (e.g. '--publish-mode'); default 'publish mode' */
  modeFlag?: string;
  /** the publisher window asked for; default the publisher's for the effective mode */
  window?: number;
  /** whether the user chose `window` (else switching to 'ack' mode also takes the 'ack' default window); default false */
  windowExplicit?: boolean;
  /** start a local nats-server (JetStream, temporary store, free loopback port) when none answers at the URL; default false */
  localServer?: boolean;
  /** what happens, by level (connection events are 'info'; secrets are never in the text) */
  log?: (level: AppBusLogLevel, msg: string) => void;
}

export interface AppBus {
  nc: NatsConnection;
  /** the server URL(s) connected to, credentials redacted (the local server's URL when one was started) */
  url: string;
  stream: EnsureStreamResult;
  /** replicas of the stream (as it exists: possibly not what `replicas` asked for) */
  replicas: number;
  /** the effective publish mode (after the replicated-stream rule) */
  mode: 'ack' | 'batch';
  /** the effective publisher window */
  window: number;
  /** the nats-server this call started (stopped by close()), or null */
  server: LocalNatsServer | null;
  /** a JetStreamPublisher with the effective mode and window, its log at 'warn'; `extra` options override those */
  publisher(extra?: Partial<PublisherOptions>): JetStreamPublisher;
  /** `text` without the secrets of the connection options (passwords, tokens, seeds, URL credentials) */
  redact(text: string): string;
  /**
   * Drain the connection, then stop the local server if one was started. With `timeoutMs` it is bounded
   * (a drain waits for the server: forever when it is down or frozen): a drain not done by then is given up
   * and the connection closed at once, a local server not stopped by then is killed (SIGKILL). `timeoutMs`
   * 0: close at once, no drain (nothing left worth flushing, e.g. after a stop with unconfirmed events).
   */
  close(timeoutMs?: number): Promise<void>;
}

/** `p` settled within `ms` (Infinity: waits for it); the timer never outlives it */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Infinity) {
    await p.catch(() => undefined);
    return true;
  }
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      new Promise<false>((r) => (t = setTimeout(() => r(false), Math.max(0, ms)))),
    ]);
  } finally {
    clearTimeout(t);
  }
}

/** AppBus.close: drain (bounded), else close hard; then the local server (bounded, then SIGKILL) */
async function closeBounded(
  conn: NatsConnection,
  local: LocalNatsServer | null,
  timeoutMs: number | undefined,
  log: (level: AppBusLogLevel, msg: string) => void,
): Promise<void> {
  const deadline = timeoutMs === undefined ? Infinity : performance.now() + Math.max(0, timeoutMs);
  if (!conn.isClosed()) {
    const drained = timeoutMs === 0 ? false : await within(conn.isDraining() ? conn.closed() : conn.drain(), deadline - performance.now());
    if (!drained) {
      if (timeoutMs !== 0) log('warn', `nats: the connection did not drain within ${timeoutMs} ms: closed without it`);
      // close() does not wait for the server (no flush of the socket); the reconnect loop ends with it
      await within(conn.close(), 1000);
    }
  }
  if (local) {
    const stopped = local.dispose();
    // at least a moment for SIGTERM (it stops in milliseconds when it runs at all)
    if (!(await within(stopped, Math.max(200, deadline - performance.now())))) {
      log('warn', `nats: the local nats-server (pid ${local.pid}) did not stop in time: killed`);
      local.kill('SIGKILL');
      await within(stopped, 1000);
    }
  }
}

/**
 * Open the bus for an app. Throws, with nothing left running: RangeError for invalid options (`replicas` out of 1..5,
 * a bad NATS_STREAM_REPLICAS in `env`, ...) before anything is started; BusConnectError when no server
 * answers or the login is refused; NatsServerNotInstalledError / NatsServerStartError (the local server);
 * StreamConfigMismatchError for an existing stream the `acceptExisting` policy refuses;
 * JetStreamUnavailableError; anything else as a NatsBusError with the secrets removed from its message.
 */
export async function openAppBus(options: AppBusOptions): Promise<AppBus> {
  const log = options.log ?? (() => undefined);
  const modeFlag = options.modeFlag ?? 'publish mode';
  let mode = options.mode ?? 'ack';
  if (mode !== 'ack' && mode !== 'batch') throw new RangeError(`publish mode must be 'ack' or 'batch', got ${String(mode)}`);
  if (options.window !== undefined && (!Number.isInteger(options.window) || options.window < 1)) {
    throw new RangeError(`publisher window must be a positive integer, got ${options.window}`);
  }
  desiredStreamConfig({ replicas: options.replicas }); // a RangeError for bad replicas before anything starts
  const busOpts: BusOptions = { ...busOptionsFromEnv(options.env ?? process.env), name: options.name, log: (m) => log('info', m) };
  if (options.url !== null) busOpts.servers = splitServers(options.url);
  // redaction keeps the options as configured: a local server replaces the servers, not the secrets to hide
  const secrets: BusOptions = { ...busOpts };
  const redact = (text: string) => redactSecrets(text, secrets);
  const servers = splitServers(busOpts.servers);
  let display = servers.map(redactUrl).join(',');

  let server: LocalNatsServer | null = null;
  let nc: NatsConnection | null = null;
  try {
    if (options.localServer && !(await isNatsReachable(servers, 1000))) {
      log('info', `no NATS server at ${redact(display)}: starting a local nats-server (JetStream, temporary store)`);
      server = await startNatsServer(); // NatsServerNotInstalledError names `apt-get install -y nats-server`
      busOpts.servers = [server.url];
      display = server.url;
      log('info', `local nats-server ${server.url} (pid ${server.pid}, store ${server.storeDir}); it stops when the bus is closed`);
    }
    log('debug', `nats: connecting to ${redact(display)} as ${options.name}`);
    nc = await connectBus(busOpts);
    const stream = await ensureStream(nc, {
      ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
      acceptExisting: options.acceptExisting ?? 'subjects',
    });
    const name = stream.info.config.name;
    const replicas = stream.info.config.num_replicas ?? 1;
    const other = stream.differences.map((d) => `${d.field} ${JSON.stringify(d.actual)}`).join(', ');
    log(
      'info',
      `nats: stream ${name} ${stream.action} (${replicas} replica(s))${other ? `; its settings differ from this app's defaults (${other}): used as it is` : ''}`,
    );
    let window = options.window;
    if (replicas > 1 && mode === 'batch') {
      // a marker's PubAck confirms the core publishes before it only while one leader stores them: a leader
      // change can drop some without anyone noticing (README: publisher modes), one PubAck per event cannot
      if (options.modeExplicit) {
        log('warn', `nats: ${modeFlag} batch on a replicated stream: a leader change can lose events silently (ack mode would not)`);
      } else {
        mode = 'ack';
        if (!options.windowExplicit) window = undefined;
        log(
          'info',
          `nats: stream ${name} has ${replicas} replicas: publishing in ack mode (one PubAck per event; ${modeFlag} batch to override)`,
        );
      }
    }
    const effectiveWindow = window ?? (mode === 'ack' ? DEFAULT_ACK_WINDOW : DEFAULT_BATCH_WINDOW);
    log('info', `nats: publish mode ${mode} (window ${effectiveWindow})`);

    const conn = nc;
    const local = server;
    let closing: Promise<void> | null = null;
    return {
      nc: conn,
      url: redact(display),
      stream,
      replicas,
      mode,
      window: effectiveWindow,
      server: local,
      publisher: (extra = {}) => new JetStreamPublisher(conn, { mode, window: effectiveWindow, log: (m) => log('warn', m), ...extra }),
      redact,
      close(timeoutMs?: number) {
        closing ??= closeBounded(conn, local, timeoutMs, log);
        return closing;
      },
    };
  } catch (e) {
    if (nc) await nc.close().catch(() => undefined);
    if (server) await server.dispose().catch(() => undefined);
    // this package's errors and RangeErrors carry no secrets; anything else (e.g. a JetStream API error) is redacted
    if (e instanceof NatsBusError || e instanceof RangeError) throw e;
    throw new NatsBusError(redact((e as Error)?.message ?? String(e)), { cause: e });
  }
}
