/**
 * Connecting to NATS: one server or a cluster, reconnect forever with exponential backoff and jitter,
 * user/password, token, NKey seed, creds file and TLS. Secrets never reach logs or error messages.
 */
import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { BusConnectError } from './errors.js';

export interface BusOptions {
  /** one URL, a comma-separated list, or an array; default nats://localhost:4222 */
  servers?: string | string[];
  /** client name shown by the server's monitoring */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** an NKey user seed (`SU...`) */
  nkeySeed?: string;
  /** path of a `.creds` file (JWT + NKey seed) */
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** connection events (disconnect, reconnect, errors), secrets redacted */
  log?: (msg: string) => void;
  /** keep retrying the first connect instead of failing fast when no server answers; default false */
  waitForServer?: boolean;
  /** reconnect backoff: first wait (default 100 ms), doubling per failed attempt up to maxMs (default 2000 ms) */
  reconnectBackoff?: { initialMs?: number; maxMs?: number; jitterMs?: number };
  /** handshake timeout per attempt in ms; default 5000 */
  timeoutMs?: number;
  /**
   * replicas for a MARKET_DATA stream the app creates (NATS_STREAM_REPLICAS); not used by connectBus, pass
   * it to ensureStream: `ensureStream(nc, { replicas: opts.streamReplicas })`
   */
  streamReplicas?: number;
}

export const DEFAULT_NATS_URL = 'nats://localhost:4222';

/** Split a NATS_URL-style value (comma-separated) into a list of server URLs. */
export function splitServers(servers: string | string[] | undefined): string[] {
  const list = Array.isArray(servers) ? servers : (servers ?? '').split(',');
  const out = list.map((s) => s.trim()).filter(Boolean);
  return out.length ? out : [DEFAULT_NATS_URL];
}

/**
 * BusOptions from the environment: NATS_URL (comma-separated; default nats://localhost:4222; may carry
 * `user:password@` or `token@`), NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS,
 * NATS_TLS_CA, NATS_TLS_CERT, NATS_TLS_KEY, NATS_STREAM_REPLICAS (1..5; a RangeError naming it otherwise).
 */
export function busOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): BusOptions {
  const v = (k: string) => {
    const x = env[k];
    return x !== undefined && x.trim() !== '' ? x.trim() : undefined;
  };
  const o: BusOptions = { servers: splitServers(v('NATS_URL')) };
  if (v('NATS_USER') !== undefined) o.user = v('NATS_USER');
  if (env.NATS_PASSWORD !== undefined && env.NATS_PASSWORD !== '') o.pass = env.NATS_PASSWORD;
  if (v('NATS_TOKEN') !== undefined) o.token = v('NATS_TOKEN');
  if (v('NATS_NKEY_SEED') !== undefined) o.nkeySeed = v('NATS_NKEY_SEED');
  if (v('NATS_CREDS') !== undefined) o.credsFile = v('NATS_CREDS');
  const ca = v('NATS_TLS_CA');
  const cert = v('NATS_TLS_CERT');
  const key = v('NATS_TLS_KEY');
  if (ca || cert || key) {
    o.tls = {};
    if (ca) o.tls.caFile = ca;
    if (cert) o.tls.certFile = cert;
    if (key) o.tls.keyFile = key;
  }
  const r = v('NATS_STREAM_REPLICAS');
  if (r !== undefined) {
    const n = Number(r);
    if (!/^\d+$/.test(r) || n < 1 || n > 5)
      throw new RangeError(`NATS_STREAM_REPLICAS must be an integer from 1 to 5, got ${JSON.stringify(r)}`);
    o.streamReplicas = n;
  }
  return o;
}

/** A server URL split into the URL without its userinfo and the credentials it carried (percent-decoded). */
export interface UrlCredentials {
  url: string;
  user?: string;
  pass?: string;
  token?: string;
}

// `scheme://userinfo@host...` or scheme-less `userinfo@host:port`; the userinfo ends at the last `@`
const USERINFO = /^(?:([a-z][a-z0-9+.-]*):\/\/)?([^/\s]*)@([^@/\s]+.*)$/i;

/** USERINFO's parts (groups 2 and 3 always take part in a match; the scheme is optional) */
function matchUserinfo(server: string): { scheme: string | undefined; userinfo: string; rest: string } | null {
  const m = USERINFO.exec(server);
  if (!m || m[2] === undefined || m[3] === undefined) return null;
  return { scheme: m[1], userinfo: m[2], rest: m[3] };
}

const pctDecode = (x: string) => {
  try {
    return decodeURIComponent(x);
  } catch {
    return x;
  }
};

/**
 * `nats://alice:pw@h:4222` -> { url: 'nats://h:4222', user: 'alice', pass: 'pw' }; `nats://tok@h` -> token;
 * without a scheme (`alice:pw@h:4222`) the URL stays scheme-less; a URL without userinfo is returned as is.
 */
export function splitUrlCredentials(server: string): UrlCredentials {
  const m = matchUserinfo(server.trim());
  if (!m) return { url: server };
  const { scheme, userinfo, rest } = m;
  const url = scheme ? `${scheme}://${rest}` : rest;
  const i = userinfo.indexOf(':');
  if (i >= 0) return { url, user: pctDecode(userinfo.slice(0, i)), pass: pctDecode(userinfo.slice(i + 1)) };
  return userinfo ? { url, token: pctDecode(userinfo) } : { url };
}

/**
 * The options connectBus really uses: server URLs without userinfo, and the credentials of the first URL
 * that carries some as user/pass or token, unless an explicit credential option (user, pass, token,
 * nkeySeed, credsFile) is set (then those win and the URL credentials are dropped).
 */
export function resolveUrlCredentials(opts: BusOptions): BusOptions {
  const parts = splitServers(opts.servers).map(splitUrlCredentials);
  const out: BusOptions = { ...opts, servers: parts.map((p) => p.url) };
  const explicit = [opts.user, opts.pass, opts.token, opts.nkeySeed, opts.credsFile].some((x) => x !== undefined);
  const first = parts.find((p) => p.user !== undefined || p.token !== undefined);
  if (first && !explicit) {
    if (first.user !== undefined) {
      out.user = first.user;
      out.pass = first.pass;
    } else out.token = first.token;
  }
  return out;
}

/** every secret value known to `opts`, including passwords and tokens written into its server URLs */
function secretsOf(opts: BusOptions): string[] {
  const list = [opts.pass, opts.token, opts.nkeySeed];
  for (const p of splitServers(opts.servers).map(splitUrlCredentials)) list.push(p.pass, p.token);
  // also the raw (percent-encoded) form, as written in NATS_URL
  for (const s of splitServers(opts.servers)) {
    const m = matchUserinfo(s.trim());
    if (m) {
      const i = m.userinfo.indexOf(':');
      list.push(i >= 0 ? m.userinfo.slice(i + 1) : m.userinfo);
    }
  }
  return [...new Set(list.filter((x): x is string => !!x))].sort((a, b) => b.length - a.length);
}

/**
 * `nats://user:secret@host:4222` -> `nats://user:***@host:4222`; also hides bare `token@host`, with or
 * without a scheme (`user:secret@host:4222` -> `user:***@host:4222`).
 */
export function redactUrl(url: string): string {
  const m = matchUserinfo(url);
  if (!m) return url;
  const { scheme, userinfo: cred, rest } = m;
  const i = cred.indexOf(':');
  return `${scheme ? `${scheme}://` : ''}${i >= 0 ? `${cred.slice(0, i)}:***` : '***'}@${rest}`;
}

/**
 * Remove every known secret value from a text (used on errors coming from the client library): the
 * password, token and NKey seed options, the passwords and tokens written into the server URLs of `opts`,
 * and the password part of any `scheme://user:password@` or scheme-less `user:password@host` in the text.
 */
export function redactSecrets(text: string, opts: BusOptions): string {
  let out = text;
  for (const s of secretsOf(opts)) out = out.split(s).join('***');
  out = out.replace(/([a-z][a-z0-9+.-]*:\/\/)([^@/\s]*)@/gi, (_m, scheme: string, cred: string) => {
    const i = cred.indexOf(':');
    return i >= 0 ? `${scheme}${cred.slice(0, i)}:***@` : `${scheme}***@`;
  });
  // scheme-less user:password@host (a word boundary before the user, no '/' in between)
  return out.replace(
    /(^|[\s,;'"(=<[])([^\s@/:,;'"()<>[\]]+):([^\s@/]+)@(?=[^\s@/])/g,
    (_m, pre: string, user: string) => `${pre}${user}:***@`,
  );
}

/** the servers as written (credentials redacted) and the kinds of credentials in use */
function describe(opts: BusOptions, written: BusOptions = opts): string {
  const servers = splitServers(written.servers).map(redactUrl).join(',');
  const auth: string[] = [];
  if (opts.user) auth.push(`user "${opts.user}"`);
  if (opts.token) auth.push('token');
  if (opts.nkeySeed) auth.push('nkey');
  if (opts.credsFile) auth.push(`creds file ${opts.credsFile}`);
  if (opts.tls) auth.push('tls');
  return `${servers}${auth.length ? ` (${auth.join(', ')})` : ''}`;
}

function buildAuthenticators(opts: BusOptions): Authenticator[] {
  const a: Authenticator[] = [];
  if (opts.user !== undefined || opts.pass !== undefined) a.push(usernamePasswordAuthenticator(opts.user ?? '', opts.pass));
  if (opts.token !== undefined) a.push(tokenAuthenticator(opts.token));
  if (opts.nkeySeed !== undefined) {
    const seed = new TextEncoder().encode(opts.nkeySeed.trim());
    a.push(nkeyAuthenticator(seed));
  }
  if (opts.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(opts.credsFile);
    } catch (e) {
      throw new BusConnectError(`cannot read NATS creds file ${opts.credsFile}: ${(e as Error).message}`, 'other');
    }
    a.push(credsAuthenticator(creds));
  }
  return a;
}

/** The nats.js connection options connectBus uses (exported for inspection and tests). */
export function natsConnectionOptions(given: BusOptions): NodeConnectionOptions {
  const opts = resolveUrlCredentials(given);
  const initial = opts.reconnectBackoff?.initialMs ?? 100;
  const max = opts.reconnectBackoff?.maxMs ?? 2000;
  const jitter = opts.reconnectBackoff?.jitterMs ?? Math.min(250, max / 4);
  // nats.js asks the handler for a delay every time its dial loop wakes up; keep the value for one
  // attempt stable (the attempt counter advances when a new dial starts, reset on reconnect)
  const state = { attempt: 0, lastAttemptAt: 0, cached: -1 };
  const reconnectDelayHandler = () => {
    if (state.cached < 0) {
      const base = Math.min(max, initial * 2 ** Math.min(state.attempt, 20));
      state.cached = base + Math.random() * jitter;
    }
    return state.cached;
  };
  const o: NodeConnectionOptions & { __backoff?: typeof state } = {
    servers: splitServers(opts.servers),
    name: opts.name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: initial,
    reconnectJitter: jitter,
    reconnectJitterTLS: jitter,
    reconnectDelayHandler,
    waitOnFirstConnect: opts.waitForServer ?? false,
    timeout: opts.timeoutMs ?? 5000,
    pingInterval: 20_000,
    maxPingOut: 3,
  };
  Object.defineProperty(o, '__backoff', { value: state, enumerable: false });
  const auth = buildAuthenticators(opts);
  if (auth.length) o.authenticator = auth.length === 1 ? auth[0] : auth;
  if (opts.tls) {
    o.tls = {};
    if (opts.tls.caFile) o.tls.caFile = opts.tls.caFile;
    if (opts.tls.certFile) o.tls.certFile = opts.tls.certFile;
    if (opts.tls.keyFile) o.tls.keyFile = opts.tls.keyFile;
  }
  return o;
}

function classify(err: unknown): BusConnectError['kind'] {
  const e = err as { name?: string; message?: string; code?: string };
  const text = `${e?.name ?? ''} ${e?.message ?? ''} ${e?.code ?? ''}`;
  if (/authoriz|authentic|auth_|permission|user.*expired/i.test(text)) return 'auth';
  if (/tls|ssl|certificate|self.signed/i.test(text)) return 'tls';
  if (/refused|ECONNREFUSED|timeout|ENOTFOUND|EHOSTUNREACH|ECONNRESET|connection/i.test(text)) return 'unreachable';
  return 'other';
}

/**
 * Connect to NATS. Fails fast (BusConnectError, kind 'auth' / 'unreachable' / 'tls') when the first
 * connect does not succeed, unless `waitForServer`; afterwards reconnects forever with backoff + jitter.
 * Authentication refused twice in a row after a reconnect closes the connection (no retry storm).
 * Credentials inside a server URL (`nats://user:password@host`, `nats://token@host`, `user:password@host:port`)
 * are used when no credential option is set, and the URL is passed to the client without them.
 */
export async function connectBus(given: BusOptions = {}): Promise<NatsConnection> {
  // credentials written into the server URLs become user/pass or token; `given` keeps them for redaction
  const opts = resolveUrlCredentials(given);
  const log = opts.log;
  const co = natsConnectionOptions(opts) as NodeConnectionOptions & {
    __backoff: { attempt: number; cached: number };
  };
  const backoff = co.__backoff;
  let nc: NatsConnection;
  try {
    nc = await connect(co);
  } catch (err) {
    const kind = classify(err);
    const detail = redactSecrets((err as Error)?.message ?? String(err), given);
    const what =
      kind === 'auth'
        ? 'authentication refused'
        : kind === 'unreachable'
          ? 'no server reachable'
          : kind === 'tls'
            ? 'TLS handshake failed'
            : 'connect failed';
    throw new BusConnectError(`cannot connect to NATS at ${describe(opts, given)}: ${what}: ${detail}`, kind);
  }
  // backoff bookkeeping and logging from the status stream
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          backoff.attempt = 0;
          backoff.cached = -1;
          log?.(`nats: disconnected from ${redactUrl(String(s.server))}`);
          break;
        case 'reconnecting':
          backoff.attempt++;
          backoff.cached = -1;
          break;
        case 'reconnect':
          backoff.attempt = 0;
          backoff.cached = -1;
          log?.(`nats: reconnected to ${redactUrl(String(s.server))}`);
          break;
        case 'error':
          log?.(`nats: error: ${redactSecrets(String((s as { error?: Error }).error?.message ?? ''), given)}`);
          break;
        case 'staleConnection':
          log?.('nats: stale connection, reconnecting');
          break;
        default:
          break;
      }
    }
  })().catch(() => undefined);
  log?.(`nats: connected to ${redactUrl(nc.getServer())}`);
  return nc;
}
