/**
 * The apps' HTTP endpoint for operations: `/metrics` (Prometheus text format), `/healthz` (200 while the process
 * runs) and `/readyz` (200 when every readiness condition holds, else 503 naming what is not ready). Off unless
 * a port is given; 127.0.0.1 unless a host is. Unref'd: it never keeps the program alive.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';
import type { Registry } from './metrics.js';

/**
 * Named readiness conditions: each is either ready (null) or not, with a short reason. A condition never set
 * is not ready ("starting"); `declare` the conditions at the start so that /readyz names them from the beginning.
 */
export class Readiness {
  private readonly conditions = new Map<string, string | null | (() => string | null)>();

  /** conditions that start as not ready, each with its reason (e.g. `{ nats: 'NATS not connected' }`) */
  declare(conditions: Readonly<Record<string, string>>): this {
    for (const [k, why] of Object.entries(conditions)) if (!this.conditions.has(k)) this.conditions.set(k, why);
    return this;
  }

  /** condition `key` holds */
  ready(key: string): void {
    this.conditions.set(key, null);
  }

  /** condition `key` does not hold, because `why` */
  notReady(key: string, why: string): void {
    this.conditions.set(key, why);
  }

  /** condition `key` is read when asked: `check()` returns null when it holds, else why not (e.g. from a session's state) */
  check(key: string, check: () => string | null): void {
    this.conditions.set(key, check);
  }

  /** the reasons of the conditions that do not hold (empty: ready; no condition at all: not ready, 'starting') */
  reasons(): string[] {
    if (this.conditions.size === 0) return ['starting'];
    const out: string[] = [];
    for (const c of this.conditions.values()) {
      const why = typeof c === 'function' ? c() : c;
      if (why !== null) out.push(why);
    }
    return out;
  }

  get isReady(): boolean {
    return this.reasons().length === 0;
  }
}

export interface MetricsServerOptions {
  /** the interface to listen on (default 127.0.0.1) */
  host?: string;
  /** the port; 0: any free one (see `port` of the result) */
  port: number;
  registry: Registry;
  readiness?: Readiness;
  /** named in the errors (default '--metrics-port' / '--metrics-host') */
  portFlag?: string;
  hostFlag?: string;
  /** a line when listening (with the bound port) and when a request fails */
  log?: Pick<Logger, 'info' | 'warn'>;
}

export interface MetricsServer {
  readonly host: string;
  /** the bound port (the chosen one with port 0) */
  readonly port: number;
  /** http://HOST:PORT */
  readonly url: string;
  /** stop listening and close the open connections (keep-alive scrapers) */
  close(): Promise<void>;
  /**
   * Keep serving `ms` longer (a batch job's last counts for one more scrape), or until `signal` aborts
   * (already aborted: at once). The server does not hold the program: this timer does, while it runs.
   */
  linger(ms: number, signal?: AbortSignal): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

function listenError(e: NodeJS.ErrnoException, host: string, port: number, portFlag: string, hostFlag: string): Error {
  const at = `${host}:${port}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `${portFlag}: ${at} is already in use (another process listens there): choose another port, or 0 for a free one`,
        {
          option: portFlag,
          value: String(port),
        },
      );
    case 'EACCES':
      return new ConfigError(`${portFlag}: listening on ${at} is not permitted (ports below 1024 need privileges)`, {
        option: portFlag,
        value: String(port),
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(`${hostFlag}: cannot listen on ${JSON.stringify(host)}: not an address of this machine (${e.code})`, {
        option: hostFlag,
        value: host,
      });
    default:
      return new ConfigError(`${portFlag}: cannot listen on ${at}: ${e.message}`, { option: portFlag, value: String(port), cause: e });
  }
}

/**
 * Listen on host:port and serve /metrics, /healthz and /readyz (GET and HEAD; anything else 404 / 405).
 * A port in use (or not permitted, or a host that is not local) rejects with a ConfigError naming the flag.
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const host = o.host ?? '127.0.0.1';
  const portFlag = o.portFlag ?? '--metrics-port';
  const hostFlag = o.hostFlag ?? '--metrics-host';
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)
    throw new ConfigError(`${portFlag} must be a port 0..65535, got ${o.port}`, { option: portFlag, value: String(o.port) });
  const reply = (res: ServerResponse, status: number, body: string, type = TEXT, head = false) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(head ? undefined : body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return reply(res, 405, 'method not allowed\n');
    }
    if (path === '/healthz') return reply(res, 200, 'ok\n', TEXT, head);
    if (path === '/readyz') {
      const why = o.readiness ? o.readiness.reasons() : [];
      return why.length === 0 ? reply(res, 200, 'ready\n', TEXT, head) : reply(res, 503, `not ready: ${why.join('; ')}\n`, TEXT, head);
    }
    if (path === '/metrics') return reply(res, 200, await o.registry.metrics(), o.registry.contentType, head);
    return reply(res, 404, 'not found: /metrics, /healthz, /readyz\n');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.log?.warn(`metrics: ${req.url ?? ''}: ${(e as Error)?.message ?? String(e)}`);
      if (!res.headersSent) reply(res, 500, `error: ${(e as Error)?.message ?? String(e)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(listenError(e, host, o.port, portFlag, hostFlag));
    server.once('error', onError);
    server.listen(o.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => o.log?.warn(`metrics: ${e.message}`));
  // an operations endpoint never keeps the program alive (neither the server nor a scraper's keep-alive connection)
  server.unref();
  server.on('connection', (socket) => socket.unref());
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  o.log?.info(`metrics: ${url}/metrics, /healthz, /readyz`);
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
    linger(ms, signal) {
      if (ms <= 0 || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const t = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}
