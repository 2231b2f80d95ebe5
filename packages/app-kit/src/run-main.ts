/**
 * runMain: the one place where a program's outcome becomes an exit code, where SIGINT / SIGTERM mean "stop
 * gracefully, and now" (first / second), and where a closed stdout (EPIPE) means "stop, that is fine".
 */
import { isConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { MAX_TIMER_MS, type Env } from './options.js';

/** The documented exit codes; an app adds its own (3, 4, ...) by returning them from main. */
export const EXIT_CODES = {
  /** done, or stopped gracefully */
  ok: 0,
  /** an unexpected error (the stack is printed) */
  fatal: 1,
  /** bad configuration: a ConfigError (one line, no stack) */
  config: 2,
  /**
   * stopped (signal / EPIPE), but some events were not confirmed stored: not confirmed within the shutdown
   * timeout, or refused / failed (the count is in the last log line and the summary)
   */
  unconfirmed: 4,
  /** a second SIGINT / SIGTERM: exited without waiting (128 + SIGINT) */
  interrupted: 130,
} as const;

/** Why a stop was requested: a signal, or the reader of stdout went away. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'EPIPE';
export type StopHandler = (reason: StopReason) => void | Promise<void>;

/** What runMain needs of stdout / stderr (process.stdout satisfies it). */
export interface OutputStream {
  write(chunk: string): boolean;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  readonly isTTY?: boolean;
}

/** What runMain needs of `process` (for tests: a fake that does not signal or exit the test process). */
export interface ProcessLike {
  /** like process.argv: [node, script, ...arguments] */
  readonly argv: readonly string[];
  readonly env: Env;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  on(event: 'uncaughtException', listener: (err: Error) => void): unknown;
  exit(code: number): void;
  exitCode?: number | string | undefined;
}

export interface MainContext {
  readonly name: string;
  /** the arguments after the script (`process.argv.slice(2)`) */
  readonly argv: string[];
  readonly env: Env;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** the program's logger (level 'info' until the app sets `ctx.log.level`); runMain's own lines use it too */
  readonly log: Logger;
  /** aborted at the first stop request, with the StopReason as its reason */
  readonly signal: AbortSignal;
  /** set at the first stop request */
  readonly stopReason: StopReason | undefined;
  /**
   * Registers what to do on the first SIGINT / SIGTERM, or when stdout closes (EPIPE): stop reading, flush,
   * let main return. Registered after a stop was requested: called at once (in a microtask). Returns an
   * unregister function. While no handler is registered, a signal exits at once (130) and an EPIPE exits 0.
   */
  onStop(handler: StopHandler): () => void;
  /**
   * When stopping takes longer than `ms` after the stop request, exit with `exitCode` (default 1). Set it once
   * the configuration is known; a later call replaces it (and is armed at once when a stop is under way).
   * `detail()`, when given, is called then and its text appended to the log line (e.g. the unconfirmed count).
   */
  setShutdownTimeout(ms: number, exitCode?: number, detail?: () => string): void;
}

export interface RunMainOptions {
  /** default: the real `process` */
  process?: ProcessLike;
  /** default: createLogger({ name, level: 'info' }) writing to the process's stderr */
  logger?: Logger;
  /** logged at the first signal as `<SIGNAL>: <stopMessage>` (default 'stopping') */
  stopMessage?: string;
  /** like ctx.setShutdownTimeout, from the start */
  shutdownTimeoutMs?: number;
  shutdownExitCode?: number;
  /**
   * after main resolves, exit anyway after this long if something still holds the event loop (default 2000 ms;
   * after a stop request at most 250 ms: a stop is bounded by the shutdown timeout, not by a leftover timer)
   */
  exitDelayMs?: number;
  /** stop on EPIPE on stdout (default true); false: the app handles stdout errors itself */
  handleEpipe?: boolean;
  /** more errors to report as configuration errors (exit 2, `<name>: <message>`), e.g. a data-root error */
  isConfigError?: (e: unknown) => boolean;
  /** report uncaught exceptions / unhandled rejections as fatal (redacted, exit 1) (default true) */
  handleUncaught?: boolean;
}

/** an error caused by writing to a closed stdout */
function isEpipeError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || /\bEPIPE\b/.test(String((e as Error)?.message ?? ''));
}

/** the longest wait for the event loop to end after main returned from a stop request */
const STOPPED_EXIT_DELAY_MS = 250;

function clampTimer(ms: number): number {
  return Math.max(0, Math.min(MAX_TIMER_MS, Number.isFinite(ms) ? Math.round(ms) : MAX_TIMER_MS));
}

/**
 * Runs `main(ctx)` and exits with: the number main returns (undefined: 0; 3, 4, ...: app-specific), 2 on a
 * ConfigError (`<name>: <message>` on stderr), 1 on any other error (`<name>: fatal: <stack>`), 130 on a
 * second SIGINT / SIGTERM (at once). After main resolves: process.exitCode is set and the event loop may end
 * by itself (stdout flushes); an unref'd timer exits after `exitDelayMs` in case something still holds it.
 * Everything written to stderr here is redacted with the logger's secrets. Resolves to the exit code.
 */
export function runMain(
  name: string,
  main: (ctx: MainContext) => number | void | Promise<number | void>,
  options: RunMainOptions = {},
): Promise<number> {
  const proc: ProcessLike = options.process ?? process;
  const log = options.logger ?? createLogger({ name, write: (line) => void proc.stderr.write(line) });
  const abort = new AbortController();
  const handlers = new Set<StopHandler>();
  let stopReason: StopReason | undefined;
  let epipe = false;
  let exitCode: number | undefined;
  let exited = false;
  let shutdown: { ms: number; code: number; detail?: () => string } | undefined =
    options.shutdownTimeoutMs === undefined ? undefined : { ms: options.shutdownTimeoutMs, code: options.shutdownExitCode ?? 1 };
  let shutdownTimer: ReturnType<typeof setTimeout> | undefined;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));

  const errLine = (text: string) => {
    if (log.format === 'json') return log.error(text); // one JSON object per line, like every other line
    log.beforeWrite?.();
    proc.stderr.write(`${log.redact(text)}\n`);
  };
  /** decide the exit code (first decision wins); immediate: exit now, else let the loop end (bounded) */
  const finish = (code: number, immediate: boolean) => {
    if (exitCode === undefined) {
      exitCode = code;
      proc.exitCode = code;
      if (shutdownTimer) clearTimeout(shutdownTimer);
      resolveDone(code);
      if (!immediate) {
        const delay = options.exitDelayMs ?? 2000;
        const t = setTimeout(() => exitNow(code), stopReason === undefined ? delay : Math.min(delay, STOPPED_EXIT_DELAY_MS));
        t.unref?.();
      }
    }
    if (immediate) exitNow(exitCode);
  };
  const exitNow = (code: number) => {
    if (exited) return;
    exited = true;
    proc.exit(code);
  };
  const fatal = (e: unknown) => {
    errLine(`${name}: fatal: ${(e as Error)?.stack ?? String(e)}`);
    finish(EXIT_CODES.fatal, true);
  };
  const call = (h: StopHandler, reason: StopReason) => {
    try {
      const r = h(reason);
      if (r && typeof (r as Promise<void>).then === 'function')
        (r as Promise<void>).catch((e: unknown) => log.error(`stop handler failed: ${(e as Error)?.message ?? String(e)}`));
    } catch (e) {
      log.error(`stop handler failed: ${(e as Error)?.message ?? String(e)}`);
    }
  };
  const armShutdown = () => {
    if (!shutdown || stopReason === undefined || exitCode !== undefined) return;
    if (shutdownTimer) clearTimeout(shutdownTimer);
    const { ms, code, detail } = shutdown;
    shutdownTimer = setTimeout(() => {
      let more = '';
      try {
        more = detail ? detail() : '';
      } catch (e) {
        more = `(detail failed: ${(e as Error)?.message ?? String(e)})`;
      }
      log.error(`shutdown took longer than ${ms} ms: exiting${more ? `; ${more}` : ''}`);
      finish(code, true);
    }, clampTimer(ms));
    shutdownTimer.unref?.();
  };
  const requestStop = (reason: StopReason) => {
    stopReason = reason;
    abort.abort(reason);
    armShutdown();
    for (const h of [...handlers]) call(h, reason);
  };

  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (exitCode !== undefined) {
      // main is done, only stdout may still be flushing: the user asked to stop, so stop now
      finish(exitCode, true);
      return;
    }
    if (stopReason !== undefined) {
      log.warn(`${sig} again: exiting without waiting`);
      finish(EXIT_CODES.interrupted, true);
      return;
    }
    if (handlers.size === 0) {
      // nothing registered to stop gracefully yet (still starting up): behave like the default handler
      stopReason = sig;
      log.warn(`${sig}: exiting`);
      finish(EXIT_CODES.interrupted, true);
      return;
    }
    log.info(`${sig}: ${options.stopMessage ?? 'stopping'}`);
    requestStop(sig);
  };
  proc.on('SIGINT', () => onSignal('SIGINT'));
  proc.on('SIGTERM', () => onSignal('SIGTERM'));
  // a log reader that went away must not crash the program (there is nobody left to tell)
  proc.stderr.on?.('error', () => undefined);
  if (options.handleEpipe ?? true) {
    proc.stdout.on?.('error', (e: Error) => {
      if (epipe) return; // later writes to the closed pipe fail too
      if (!isEpipeError(e)) {
        fatal(e);
        return;
      }
      epipe = true;
      if (exitCode !== undefined) {
        finish(exitCode, true); // nothing more can be written
        return;
      }
      if (stopReason !== undefined) return;
      log.warn('stdout closed (EPIPE): stopping');
      if (handlers.size === 0) {
        stopReason = 'EPIPE';
        finish(EXIT_CODES.ok, true);
        return;
      }
      requestStop('EPIPE');
    });
  }
  if (options.handleUncaught ?? true) proc.on('uncaughtException', (e: Error) => fatal(e));

  const ctx: MainContext = {
    name,
    argv: proc.argv.slice(2),
    env: proc.env,
    stdout: proc.stdout,
    stderr: proc.stderr,
    log,
    signal: abort.signal,
    get stopReason() {
      return stopReason;
    },
    onStop(h) {
      handlers.add(h);
      if (stopReason !== undefined) {
        const reason = stopReason;
        queueMicrotask(() => {
          if (handlers.has(h)) call(h, reason);
        });
      }
      return () => void handlers.delete(h);
    },
    setShutdownTimeout(ms, code = EXIT_CODES.fatal, detail) {
      shutdown = { ms, code, ...(detail ? { detail } : {}) };
      armShutdown();
    },
  };

  void (async () => {
    try {
      const r = await main(ctx);
      const code = r === undefined ? 0 : r;
      if (!Number.isInteger(code) || code < 0 || code > 255) {
        errLine(`${name}: fatal: main returned ${String(code)}, not an exit code 0..255`);
        finish(EXIT_CODES.fatal, false);
      } else finish(code, false);
    } catch (e) {
      if (isConfigError(e) || options.isConfigError?.(e)) {
        errLine(`${name}: ${(e as Error)?.message ?? String(e)}`);
        finish(EXIT_CODES.config, false);
      } else if (epipe && isEpipeError(e)) {
        finish(EXIT_CODES.ok, false); // a write failed because the reader went away: that is how it ends
      } else fatal(e);
    }
  })();
  return done;
}
