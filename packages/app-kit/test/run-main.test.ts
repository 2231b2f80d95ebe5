/** runMain against a fake process: no signal reaches, and no exit stops, the test process. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createLogger,
  EXIT_CODES,
  runMain,
  type Logger,
  type MainContext,
  type ProcessLike,
  type RunMainOptions,
} from '../src/index.ts';

class FakeStream extends EventEmitter {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

class FakeProcess extends EventEmitter implements ProcessLike {
  readonly argv: string[];
  readonly stdout = new FakeStream();
  readonly stderr = new FakeStream();
  readonly exits: number[] = [];
  exitCode: number | string | undefined;
  constructor(
    args: string[] = [],
    readonly env: Record<string, string> = {},
  ) {
    super();
    this.argv = ['node', 'app.js', ...args];
  }
  exit(code: number): void {
    this.exits.push(code);
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const FIXED = () => new Date('2025-01-01T00:00:00.000Z');

function start(
  main: (ctx: MainContext) => number | void | Promise<number | void>,
  opts: Partial<RunMainOptions> = {},
  args: string[] = [],
  setup?: (proc: FakeProcess, logger: Logger) => void,
) {
  const proc = new FakeProcess(args, { APP_X: '1' });
  const logger = createLogger({ name: 'app', now: FIXED, write: (l) => void proc.stderr.write(l) });
  // main runs synchronously inside runMain: anything it relies on is set up first
  setup?.(proc, logger);
  const done = runMain('app', main, { process: proc, logger, exitDelayMs: 20, ...opts });
  return { proc, done, logger };
}

/** a main that waits until it is stopped, then returns `code` */
function waiting(code = 0, onCtx?: (ctx: MainContext) => void) {
  return (ctx: MainContext) =>
    new Promise<number>((resolve) => {
      onCtx?.(ctx);
      ctx.onStop((reason) => {
        ctx.log.info(`handler: ${reason}`);
        setTimeout(() => resolve(code), 5);
      });
    });
}

describe('runMain: exit codes', () => {
  it("main's number is the exit code: exitCode set at once, exit() only after the delay (stdout may flush)", async () => {
    const { proc, done } = start(() => 4);
    expect(await done).toBe(4);
    expect(proc.exitCode).toBe(4);
    expect(proc.exits).toEqual([]);
    await tick(40);
    expect(proc.exits).toEqual([4]);
  });

  it('undefined -> 0; argv without node and the script; env and the streams passed on', async () => {
    let seen: MainContext | undefined;
    const { done } = start(
      (ctx) => {
        seen = ctx;
      },
      {},
      ['--speed', '2'],
    );
    expect(await done).toBe(0);
    expect(seen?.argv).toEqual(['--speed', '2']);
    expect(seen?.env.APP_X).toBe('1');
    expect(seen?.name).toBe('app');
  });

  it('ConfigError -> 2, `<name>: <message>` on stderr, no stack, redacted', async () => {
    const { proc, done } = start(
      () => {
        throw new ConfigError('--speed must be a number >= 0, got "x" (key k-123456)');
      },
      {},
      [],
      (_p, logger) => logger.addSecret('k-123456'),
    );
    expect(await done).toBe(EXIT_CODES.config);
    expect(proc.stderr.text).toBe('app: --speed must be a number >= 0, got "x" (key ***)\n');
  });

  it('a ConfigError of another copy of the package (by its code), and isConfigError for app errors -> 2', async () => {
    const a = start(() => {
      throw Object.assign(new Error('from the CJS copy'), { code: 'E_CONFIG' });
    });
    expect(await a.done).toBe(2);
    class DataRootError extends Error {}
    const b = start(
      () => {
        throw new DataRootError('data root /x does not exist');
      },
      { isConfigError: (e) => e instanceof DataRootError },
    );
    expect(await b.done).toBe(2);
    expect(b.proc.stderr.text).toBe('app: data root /x does not exist\n');
  });

  it('any other error -> 1 at once, `<name>: fatal: <stack>`, redacted (URL credentials too)', async () => {
    const { proc, done } = start(async () => {
      throw new Error('cannot connect to nats://alice:hunter2@h:4222');
    });
    expect(await done).toBe(1);
    expect(proc.exits).toEqual([1]);
    expect(proc.stderr.text).toMatch(/^app: fatal: Error: cannot connect to nats:\/\/alice:\*\*\*@h:4222\n\s+at /);
    expect(proc.stderr.text).not.toContain('hunter2');
  });

  it('a thrown non-Error, an out-of-range return value -> 1', async () => {
    const a = start(() => {
      throw 'just a string';
    });
    expect(await a.done).toBe(1);
    expect(a.proc.stderr.text).toBe('app: fatal: just a string\n');
    const b = start(() => 300);
    expect(await b.done).toBe(1);
    expect(b.proc.stderr.text).toMatch(/main returned 300, not an exit code/);
  });

  it('an uncaught exception -> fatal, 1', async () => {
    const { proc, done } = start(() => new Promise<number>(() => undefined));
    proc.emit('uncaughtException', new Error('late boom'));
    expect(await done).toBe(1);
    expect(proc.stderr.text).toMatch(/^app: fatal: Error: late boom/);
  });

  it("runMain's error lines call the logger's beforeWrite first (a progress bar line is ended)", async () => {
    const { proc, done } = start(
      () => {
        throw new ConfigError('bad');
      },
      {},
      [],
      (p, logger) => {
        logger.beforeWrite = () => p.stderr.write('\n');
        p.stderr.write('[=====>    ]');
      },
    );
    await done;
    expect(proc.stderr.text).toBe('[=====>    ]\napp: bad\n');
  });
});

describe('runMain: signals', () => {
  it('first SIGTERM: logs, calls the stop handlers with the signal, aborts ctx.signal; main returns -> its code', async () => {
    let ctx: MainContext | undefined;
    const { proc, done } = start(
      waiting(0, (c) => (ctx = c)),
      { stopMessage: 'closing sockets, waiting for acks' },
    );
    await tick();
    proc.emit('SIGTERM');
    expect(ctx?.stopReason).toBe('SIGTERM');
    expect(ctx?.signal.aborted).toBe(true);
    expect(ctx?.signal.reason).toBe('SIGTERM');
    expect(await done).toBe(0);
    expect(proc.stderr.text).toBe(
      '2025-01-01T00:00:00.000Z INFO SIGTERM: closing sockets, waiting for acks\n2025-01-01T00:00:00.000Z INFO handler: SIGTERM\n',
    );
  });

  it('a second signal while stopping: 130 at once', async () => {
    const { proc, done } = start((ctx) => new Promise<number>(() => ctx.onStop(() => undefined)));
    await tick();
    proc.emit('SIGINT');
    expect(proc.exits).toEqual([]);
    proc.emit('SIGTERM');
    expect(proc.exits).toEqual([130]);
    expect(await done).toBe(130);
    expect(proc.stderr.text).toMatch(/INFO SIGINT: stopping\n.* WARN SIGTERM again: exiting without waiting\n$/);
  });

  it('a signal before any stop handler is registered: 130 at once (like the default handler)', async () => {
    const { proc, done } = start(() => new Promise<number>(() => undefined));
    proc.emit('SIGINT');
    expect(await done).toBe(130);
    expect(proc.exits).toEqual([130]);
  });

  it('several handlers, unregistering one, a failing one is logged and the others still run', async () => {
    const calls: string[] = [];
    const { proc, done } = start(
      (ctx) =>
        new Promise<number>((resolve) => {
          ctx.onStop(() => {
            throw new Error('handler broke');
          });
          ctx.onStop(async () => {
            throw new Error('async handler broke');
          });
          const off = ctx.onStop(() => void calls.push('removed'));
          off();
          ctx.onStop((r) => {
            calls.push(`kept ${r}`);
            setTimeout(() => resolve(0), 5);
          });
        }),
    );
    await tick();
    proc.emit('SIGINT');
    expect(await done).toBe(0);
    expect(calls).toEqual(['kept SIGINT']);
    expect(proc.stderr.text).toMatch(/ERROR stop handler failed: handler broke/);
    expect(proc.stderr.text).toMatch(/ERROR stop handler failed: async handler broke/);
  });

  it('a handler registered after the stop request is called at once (in a microtask)', async () => {
    const { proc, done } = start(
      (ctx) =>
        new Promise<number>((resolve) => {
          ctx.onStop(() => undefined);
          setTimeout(() => ctx.onStop((r) => resolve(r === 'SIGINT' ? 5 : 6)), 10);
        }),
    );
    await tick();
    proc.emit('SIGINT');
    expect(await done).toBe(5);
  });

  it('shutdown timeout: exits with the given code when stopping takes too long; set through ctx', async () => {
    const { proc, done } = start(
      (ctx) =>
        new Promise<number>(() => {
          ctx.setShutdownTimeout(30, 4);
          ctx.onStop(() => undefined);
        }),
    );
    await tick();
    proc.emit('SIGTERM');
    expect(proc.exits).toEqual([]);
    expect(await done).toBe(4);
    expect(proc.exits).toEqual([4]);
    expect(proc.stderr.text).toMatch(/ERROR shutdown took longer than 30 ms: exiting\n$/);
  });

  it('shutdown timeout with a detail: its text is appended to the line (e.g. the unconfirmed count)', async () => {
    let pending = 7;
    const { proc, done } = start(
      (ctx) =>
        new Promise<number>(() => {
          ctx.setShutdownTimeout(30, EXIT_CODES.unconfirmed, () => `${pending} event(s) unconfirmed`);
          ctx.onStop(() => void (pending = 3));
        }),
    );
    await tick();
    proc.emit('SIGTERM');
    expect(await done).toBe(4);
    expect(proc.stderr.text).toMatch(/ERROR shutdown took longer than 30 ms: exiting; 3 event\(s\) unconfirmed\n$/);
  });

  it('after a stop request, a main that returned exits within 250 ms even if the event loop is held (not exitDelayMs)', async () => {
    const { proc, done } = start(waiting(EXIT_CODES.unconfirmed), { exitDelayMs: 10_000 });
    await tick();
    proc.emit('SIGTERM');
    expect(await done).toBe(4);
    expect(proc.exits).toEqual([]);
    await tick(400);
    expect(proc.exits).toEqual([4]);
  });

  it('the shutdown timeout is bounded to 2^31-1 ms (a larger one would fire at once) and cleared when main returns', async () => {
    const a = start(waiting(0), { shutdownTimeoutMs: 1e12 });
    await tick();
    a.proc.emit('SIGTERM');
    expect(await a.done).toBe(0);
    const b = start(waiting(0), { shutdownTimeoutMs: 30 });
    await tick();
    b.proc.emit('SIGTERM');
    expect(await b.done).toBe(0);
    await tick(60);
    expect(b.proc.exits).toEqual([0]);
    expect(b.proc.stderr.text).not.toMatch(/shutdown took longer/);
  });

  it('a signal after main returned (stdout still flushing): exit at once with the code', async () => {
    const { proc, done } = start(() => 3, { exitDelayMs: 10_000 });
    expect(await done).toBe(3);
    proc.emit('SIGINT');
    expect(proc.exits).toEqual([3]);
  });
});

describe('runMain: EPIPE on stdout', () => {
  const epipe = () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

  it('calls the stop handlers with EPIPE, logs once; a write error that follows ends as 0', async () => {
    const reasons: string[] = [];
    const { proc, done } = start(
      (ctx) =>
        new Promise<number>((_resolve, reject) => {
          ctx.onStop((r) => {
            reasons.push(r);
            setTimeout(() => reject(epipe()), 5);
          });
        }),
    );
    await tick();
    proc.stdout.emit('error', epipe());
    proc.stdout.emit('error', Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' }));
    expect(await done).toBe(0);
    expect(reasons).toEqual(['EPIPE']);
    expect(proc.stderr.text.match(/WARN stdout closed \(EPIPE\): stopping/g)).toHaveLength(1);
  });

  it('without a stop handler: exit 0 at once', async () => {
    const { proc, done } = start(() => new Promise<number>(() => undefined));
    proc.stdout.emit('error', epipe());
    expect(await done).toBe(0);
    expect(proc.exits).toEqual([0]);
  });

  it('another stdout error is fatal; handleEpipe: false leaves stdout errors to the app', async () => {
    const a = start(() => new Promise<number>(() => undefined));
    a.proc.stdout.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    expect(await a.done).toBe(1);
    const b = start(() => 0, { handleEpipe: false });
    expect(b.proc.stdout.listenerCount('error')).toBe(0);
    await b.done;
  });

  it('an EPIPE error thrown without a prior stdout error is an ordinary fatal error', async () => {
    const { done } = start(() => {
      throw epipe();
    });
    expect(await done).toBe(1);
  });
});
