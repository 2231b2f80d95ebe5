/**
 * Zero-configuration helpers: the NATS connection (starting a local nats-server when none is reachable and
 * no URL was configured) and the sample session (generated once into a cache directory outside git).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSampleSession } from '@md/dbn-reader';
import {
  busOptionsFromEnv,
  connectBus,
  ensureStream,
  isNatsReachable,
  redactSecrets,
  redactUrl,
  splitServers,
  startNatsServer,
  type BusOptions,
  type EnsureStreamResult,
  type LocalNatsServer,
  type NatsConnection,
} from '@md/nats-bus';

export interface Bus {
  nc: NatsConnection;
  /** the server URL(s) connected to (credentials redacted) */
  url: string;
  /** the nats-server this process started (stopped by close()), or null */
  server: LocalNatsServer | null;
  stream: EnsureStreamResult;
  close(): Promise<void>;
}

/**
 * Connect to NATS (NATS_URL / natsUrl, credentials from the environment). When `autoServer` and nothing
 * answers at the URL, start a local nats-server with JetStream on a free loopback port in a temporary
 * directory instead. Then provision MARKET_DATA (idempotent). Errors name the URL (secrets redacted) and,
 * for a missing nats-server, the install command.
 */
export async function openBus(
  natsUrl: string | null,
  autoServer: boolean,
  log: (msg: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  streamOpts: { replicas?: number } = {},
): Promise<Bus> {
  const opts: BusOptions = { ...busOptionsFromEnv(env), name: 'replay-publisher', log };
  if (natsUrl) opts.servers = splitServers(natsUrl);
  // credentials written into the URLs are used by connectBus and removed from text by redactSecrets
  const servers = splitServers(opts.servers);
  const display = servers.map(redactUrl);
  let server: LocalNatsServer | null = null;
  if (autoServer && !(await isNatsReachable(servers, 1000))) {
    log(`no NATS server at ${redactSecrets(display.join(','), opts)}: starting a local nats-server (JetStream, temporary store)`);
    server = await startNatsServer(); // NatsServerNotInstalledError names `apt-get install -y nats-server`
    opts.servers = [server.url];
    display.splice(0, display.length, server.url);
    log(`local nats-server ${server.url} (pid ${server.pid}, store ${server.storeDir}); it stops when the replay ends`);
  }
  let nc: NatsConnection | null = null;
  try {
    nc = await connectBus(opts);
    const stream = await provision(nc, streamOpts.replicas, log);
    const url = redactSecrets(display.join(','), opts);
    const conn = nc;
    return {
      nc,
      url,
      server,
      stream,
      async close() {
        try {
          await conn.drain();
        } catch {
          /* already closed */
        }
        if (server) await server.dispose();
      },
    };
  } catch (e) {
    if (nc) await nc.close().catch(() => undefined);
    if (server) await server.dispose().catch(() => undefined);
    throw new Error(redactSecrets((e as Error).message, opts), { cause: e });
  }
}

/**
 * ensureStream (MARKET_DATA, created with `replicas` when missing). An existing stream that captures the
 * contract's subjects is used as it is even when other settings differ (replicas, max age, duplicate window,
 * ...: an operator's choice, logged); one with other subjects is refused (events would not be stored).
 */
async function provision(nc: NatsConnection, replicas: number | undefined, log: (msg: string) => void): Promise<EnsureStreamResult> {
  const r = await ensureStream(nc, { ...(replicas ? { replicas } : {}), acceptExisting: 'subjects' });
  if (r.differences.length) {
    log(`stream ${r.info.config.name} exists with other settings (${r.differences.map((d) => `${d.field} ${JSON.stringify(d.actual)}`).join(', ')}): using it as it is`);
  }
  return r;
}

/** seed and version of the cached sample session: change either to regenerate */
export const SAMPLE_SEED = 20_251_216;
const SAMPLE_TAG = `sample-v1-seed${SAMPLE_SEED}`;

/**
 * node_modules/.cache/md-replay-sample of the workspace root (the node_modules holding npm's
 * `.package-lock.json`; else the nearest node_modules) above this module or the cwd; else the OS temp dir.
 */
export function defaultSampleCacheDir(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  let nearest: string | null = null;
  for (const start of starts) {
    let d = resolve(start);
    for (;;) {
      const nm = join(d, 'node_modules');
      if (existsSync(join(nm, '.package-lock.json'))) return join(nm, '.cache', 'md-replay-sample');
      if (nearest === null && existsSync(nm)) nearest = nm;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return nearest ? join(nearest, '.cache', 'md-replay-sample') : join(tmpdir(), 'md-replay-sample');
}

/**
 * The sample session's data root, generated on first use (deterministic seed) and reused afterwards.
 * Generation goes to a temporary sibling directory renamed into place when complete, so an interrupted
 * generation is never mistaken for a finished one and two concurrent first runs do not collide.
 */
export async function ensureSampleSession(cacheDir: string | null, log: (msg: string) => void): Promise<{ root: string; generated: boolean }> {
  let base = cacheDir ?? defaultSampleCacheDir();
  let root = join(base, SAMPLE_TAG);
  let marker = join(root, '.complete');
  if (existsSync(marker)) return { root, generated: false };
  try {
    mkdirSync(base, { recursive: true });
  } catch (e) {
    if (cacheDir) throw e;
    base = join(tmpdir(), 'md-replay-sample'); // e.g. a read-only install
    root = join(base, SAMPLE_TAG);
    marker = join(root, '.complete');
    if (existsSync(marker)) return { root, generated: false };
    mkdirSync(base, { recursive: true });
  }
  const tmp = await mkdtemp(join(base, `.${SAMPLE_TAG}.tmp-`));
  log(`generating the sample session into ${root} (once; seed ${SAMPLE_SEED})`);
  const t0 = performance.now();
  try {
    const r = await generateSampleSession({ root: tmp, seed: SAMPLE_SEED });
    writeFileSync(join(tmp, '.complete'), JSON.stringify({ seed: SAMPLE_SEED, date: r.date, counts: r.counts, at: new Date().toISOString() }));
    if (existsSync(root)) rmSync(root, { recursive: true, force: true }); // an incomplete leftover
    try {
      renameSync(tmp, root);
    } catch (e) {
      if (!existsSync(marker)) throw e; // another process finished first: use theirs
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  log(`sample session ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { root, generated: true };
}

export function readSampleInfo(root: string): unknown {
  try {
    return JSON.parse(readFileSync(join(root, '.complete'), 'utf8'));
  } catch {
    return null;
  }
}
