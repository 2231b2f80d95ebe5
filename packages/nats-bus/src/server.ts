/**
 * A real local nats-server (Debian's 2.9.10 or any other on PATH) for tests, benchmarks and demos:
 * free loopback port, temporary JetStream store, readiness wait, stop / kill (any signal) / restart on
 * the same port and store, cleanup when the Node process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { NatsServerNotInstalledError, NatsServerStartError } from './errors.js';

export interface StartNatsServerOptions {
  /** TCP port on 127.0.0.1; default: a free port (found by binding port 0) */
  port?: number;
  /** enable JetStream (`-js -sd storeDir`); default true */
  jetstream?: boolean;
  /** JetStream store directory; default: a new temporary directory, removed by dispose() or at process exit */
  storeDir?: string;
  /** extra command-line arguments */
  args?: string[];
  /** a nats-server configuration file's text (written to a temporary file and passed with `-c`) */
  configText?: string;
  /** the binary; default NATS_SERVER_BIN ?? 'nats-server' */
  bin?: string;
  /** how long to wait for "Server is ready"; default 15 s */
  readyTimeoutMs?: number;
}

export interface LocalNatsServer {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  storeDir: string;
  /** pid of the current process (changes on restart) */
  readonly pid: number;
  /** whether the process is currently running (false after stop, kill -9 or a crash) */
  readonly running: boolean;
  /** send `signal` (default SIGTERM) and wait for the exit (SIGKILL after 10 s). The store is kept. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** send a signal without waiting (SIGKILL, SIGSTOP, SIGCONT, ...) */
  kill(signal: NodeJS.Signals): void;
  /**
   * SIGSTOP, then wait (up to timeoutMs, default 5000) until every thread of the process is stopped, so that
   * nothing sent afterwards is answered before `kill('SIGCONT')`. kill('SIGSTOP') alone is not enough: one
   * thread takes the signal and only then stops the others, and on a loaded machine the server can go on
   * answering for several milliseconds meanwhile (a test saw 100 PubAcks arrive after kill('SIGSTOP')).
   */
  freeze(timeoutMs?: number): Promise<void>;
  /** stop if running (SIGTERM), then start again on the same port and store, and wait until ready */
  restart(): Promise<void>;
  /** stop, then remove the temporary directories this helper created */
  dispose(): Promise<void>;
  /** the last lines the server printed */
  logs(): string[];
}

const LOG_LINES = 200;
const live = new Set<ServerHandle>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const h of live) h.cleanupSync();
  });
}

/** Find `bin` on PATH (or check it directly when it contains a slash). */
function resolveBin(bin: string): string {
  const isExec = (p: string) => {
    try {
      accessSync(p, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (bin.includes('/')) {
    if (isExec(bin)) return bin;
    throw new NatsServerNotInstalledError(bin);
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    if (isExec(p)) return p;
  }
  // Debian installs it in /usr/sbin, which is not on every user's PATH
  for (const dir of ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin']) {
    const p = join(dir, bin);
    if (isExec(p)) return p;
  }
  throw new NatsServerNotInstalledError(bin);
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, release it). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

class ServerHandle implements LocalNatsServer {
  url: string;
  port: number;
  storeDir: string;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private lines: string[] = [];
  private readonly tempDirs: string[] = [];
  private readonly argv: string[];

  constructor(
    private readonly bin: string,
    port: number,
    storeDir: string | undefined,
    private readonly opts: StartNatsServerOptions,
  ) {
    this.port = port;
    this.url = `nats://127.0.0.1:${port}`;
    const js = opts.jetstream ?? true;
    if (storeDir === undefined) {
      storeDir = mkdtempSync(join(tmpdir(), 'md-nats-store-'));
      this.tempDirs.push(storeDir);
    }
    this.storeDir = storeDir;
    const argv: string[] = [];
    if (opts.configText !== undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'md-nats-conf-'));
      this.tempDirs.push(dir);
      const file = join(dir, 'nats-server.conf');
      writeFileSync(file, opts.configText, { mode: 0o600 });
      argv.push('-c', file);
    }
    argv.push('-a', '127.0.0.1', '-p', String(port));
    if (js) argv.push('-js', '-sd', storeDir);
    argv.push(...(opts.args ?? []));
    this.argv = argv;
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  logs(): string[] {
    return [...this.lines];
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > LOG_LINES) this.lines.splice(0, this.lines.length - LOG_LINES);
  }

  async start(): Promise<void> {
    const timeoutMs = this.opts.readyTimeoutMs ?? 15_000;
    this.lines = [];
    const proc = spawn(this.bin, this.argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    live.add(this);
    installExitHook();
    this.exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));

    await new Promise<void>((resolve, reject) => {
      let done = false;
      let partial = '';
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const onData = (chunk: Buffer) => {
        partial += chunk.toString('utf8');
        const parts = partial.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          this.push(line);
          if (line.includes('Server is ready')) {
            // the log line comes after the listener is up; double-check with a TCP connect
            void waitForPort(this.port, 5_000).then(
              () => finish(),
              (e: Error) => finish(new NatsServerStartError(`nats-server on port ${this.port}: ${e.message}`, this.logs())),
            );
          }
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') finish(new NatsServerNotInstalledError(this.bin));
        else finish(new NatsServerStartError(`could not start ${this.bin}: ${e.message}`, this.logs()));
      });
      proc.once('exit', (code, signal) => {
        finish(
          new NatsServerStartError(
            `nats-server exited before it was ready (code ${code}, signal ${signal}) on 127.0.0.1:${this.port}`,
            this.logs(),
          ),
        );
      });
      const timer = setTimeout(() => {
        finish(new NatsServerStartError(`nats-server not ready on 127.0.0.1:${this.port} after ${timeoutMs} ms`, this.logs()));
      }, timeoutMs);
    }).catch(async (err) => {
      if (this.running) {
        proc.kill('SIGKILL');
        await this.exited;
      }
      throw err;
    });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.proc && this.running) this.proc.kill(signal);
  }

  async freeze(timeoutMs = 5000): Promise<void> {
    const pid = this.pid;
    if (!this.running) throw new NatsServerStartError(`nats-server on port ${this.port} is not running: cannot freeze it`, this.logs());
    this.kill('SIGSTOP');
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const stopped = allThreadsStopped(pid);
      // without /proc (not Linux) the state cannot be read: give the signal a moment instead
      if (stopped === null) return new Promise((r) => setTimeout(r, 100));
      if (stopped) return;
      if (!this.running) throw new NatsServerStartError(`nats-server on port ${this.port} exited while being frozen`, this.logs());
      if (performance.now() > deadline)
        throw new NatsServerStartError(`nats-server on port ${this.port} not stopped ${timeoutMs} ms after SIGSTOP`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    if (this.running) {
      // a stopped (SIGSTOP) process cannot act on SIGTERM until continued
      proc.kill('SIGCONT');
      proc.kill(signal);
      const t = setTimeout(() => {
        if (this.running) proc.kill('SIGKILL');
      }, 10_000);
      await this.exited;
      clearTimeout(t);
    } else {
      await this.exited;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.removeTempDirs();
    live.delete(this);
  }

  private removeTempDirs(): void {
    for (const d of this.tempDirs.splice(0)) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  }

  /** process 'exit' hook: synchronous only */
  cleanupSync(): void {
    if (this.proc && this.running) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.removeTempDirs();
  }
}

/**
 * Whether every thread of `pid` is in the stopped state ('T', or 't' when traced) according to
 * /proc/<pid>/task/<tid>/stat; null when /proc is not available.
 */
function allThreadsStopped(pid: number): boolean | null {
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return existsSync('/proc/self/stat') ? false : null;
  try {
    return readdirSync(dir).every((tid) => {
      // the state follows the command name, which is in parentheses and may itself contain ') '
      const stat = readFileSync(`${dir}/${tid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't';
    });
  } catch {
    return false; // a thread ended between the listing and the read: look again
  }
}

/** Resolves once a TCP connection to 127.0.0.1:port succeeds (polling), rejects after timeoutMs. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not accepting connections after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Start a local nats-server (JetStream on by default) on 127.0.0.1 and wait until it is ready.
 * Throws NatsServerNotInstalledError when the binary is missing, NatsServerStartError when it fails to start.
 */
export async function startNatsServer(opts: StartNatsServerOptions = {}): Promise<LocalNatsServer> {
  const bin = resolveBin(opts.bin ?? process.env.NATS_SERVER_BIN ?? 'nats-server');
  const attempts = opts.port === undefined ? 3 : 1;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = opts.port ?? (await findFreePort());
    const h = new ServerHandle(bin, port, opts.storeDir, opts);
    try {
      await h.start();
      return h;
    } catch (err) {
      lastErr = err;
      await h.dispose().catch(() => undefined);
      if (err instanceof NatsServerNotInstalledError) throw err;
      // a free port can be taken between finding and binding it: try another one
      if (!(err instanceof NatsServerStartError) || !/address already in use/i.test(err.message)) throw err;
    }
  }
  throw lastErr;
}

/** host/port pairs of NATS server URLs (`nats://h:p`, `tls://h:p`, `h:p`, `h`), credentials ignored */
export function parseServerUrls(servers: string | string[]): { host: string; port: number }[] {
  const list = (Array.isArray(servers) ? servers : servers.split(',')).map((s) => s.trim()).filter(Boolean);
  return list.map((s) => {
    const u = new URL(/^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`);
    const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    return { host, port: u.port ? Number(u.port) : 4222 };
  });
}

/**
 * Whether a NATS server answers (sends its INFO line) at any of `servers` within timeoutMs (default 1000).
 * No credentials are needed or sent.
 */
export async function isNatsReachable(servers: string | string[], timeoutMs = 1000): Promise<boolean> {
  let targets: { host: string; port: number }[];
  try {
    targets = parseServerUrls(servers);
  } catch {
    return false;
  }
  const probe = (host: string, port: number) =>
    new Promise<boolean>((resolve) => {
      let buf = '';
      const s = createConnection({ host, port });
      const done = (ok: boolean) => {
        clearTimeout(t);
        s.destroy();
        resolve(ok);
      };
      const t = setTimeout(() => done(false), timeoutMs);
      s.on('data', (d) => {
        buf += d.toString('latin1');
        if (buf.length >= 5) done(buf.startsWith('INFO '));
      });
      s.once('error', () => done(false));
      s.once('close', () => done(false));
    });
  const results = await Promise.all(targets.map((t) => probe(t.host, t.port)));
  return results.some(Boolean);
}

export interface LocalNatsCluster {
  /** the nodes, in start order */
  servers: LocalNatsServer[];
  /** their client URLs, comma-separated (a NATS_URL value) */
  url: string;
  /** stop every node and remove their temporary directories */
  dispose(): Promise<void>;
}

/**
 * Start a cluster of `size` nats-server nodes on loopback (routes between all of them, JetStream on,
 * one store per node) and wait until JetStream answers (a meta leader is elected), so that streams with
 * `replicas` up to `size` can be created. Each node can be stopped, killed and restarted like a single server.
 */
export async function startNatsCluster(
  opts: { size?: number; name?: string; bin?: string; readyTimeoutMs?: number } = {},
): Promise<LocalNatsCluster> {
  const size = opts.size ?? 3;
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`cluster size must be an integer >= 2, got ${size}`);
  const name = opts.name ?? 'md-local';
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  while (clientPorts.length < size) {
    const p = await findFreePort();
    const r = await findFreePort();
    if (p === r || clientPorts.includes(p) || routePorts.includes(p) || clientPorts.includes(r) || routePorts.includes(r)) continue;
    clientPorts.push(p);
    routePorts.push(r);
  }
  const servers: LocalNatsServer[] = [];
  const dispose = async () => {
    await Promise.all(servers.map((s) => s.dispose()));
  };
  try {
    const started = await Promise.all(
      clientPorts.map((port, i) =>
        startNatsServer({
          port,
          bin: opts.bin,
          readyTimeoutMs: opts.readyTimeoutMs,
          configText:
            `server_name: ${name}-${i + 1}\n` +
            `cluster {\n  name: ${name}\n  listen: 127.0.0.1:${routePorts[i]}\n` +
            `  routes: [\n${routePorts.map((r) => `    nats-route://127.0.0.1:${r}`).join('\n')}\n  ]\n}\n`,
        }),
      ),
    );
    servers.push(...started);
    const first = started[0];
    if (!first) throw new RangeError('cluster without nodes'); // size >= 2 is checked above
    await waitForJetStream(first.url, opts.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { servers, url: servers.map((s) => s.url).join(','), dispose };
}

/** Poll `$JS.API.INFO` until JetStream answers without error (e.g. a cluster elected its meta leader). */
export async function waitForJetStream(url: string, timeoutMs = 30_000): Promise<void> {
  const nc = await connect({ servers: url, maxReconnectAttempts: -1 });
  const deadline = Date.now() + timeoutMs;
  let last = '';
  try {
    for (;;) {
      try {
        const m = await nc.request('$JS.API.INFO', undefined, { timeout: 1000 });
        const r = JSON.parse(new TextDecoder().decode(m.data)) as { error?: { description?: string } };
        if (!r.error) return;
        last = r.error.description ?? 'error';
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new NatsServerStartError(`JetStream at ${url} not ready after ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await nc.close();
  }
}
