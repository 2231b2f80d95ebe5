/**
 * @md/polygon-normalizer/session: one WebSocket session to a Polygon/Massive cluster (stocks or options),
 * the only I/O of this package, on an entry of its own so that the main entry stays I/O-free (and `ws`
 * is loaded only by those who open a socket). Protocol: docs/polygon-ws.md.
 * connect -> `connected` -> auth -> `auth_success` -> subscribe the desired set (chunks) -> stream.
 * Reconnects with jittered exponential backoff and re-subscribes; an idle watchdog (no frame nor pong for
 * idleTimeoutMs) forces a reconnect; `auth_failed` is fatal (no retry); `max_connections` is reported
 * and followed by a long cooldown. The frame handler is synchronous: the reader never waits on anything.
 */
import { isUtf8 } from 'node:buffer';
import WebSocket from 'ws';
import { FrameError } from './errors.js';
import { parseFrame, type Cluster, type ParsedFrame, type StatusMessage } from './parse.js';
import { classifyStatus, type StatusInfo } from './status.js';
import type { SubscriptionDiff } from './strikes.js';

/** The server refused the key, the plan lacks WebSocket access or every subscription was refused: the session has stopped for good. */
export class AuthError extends Error {
  override name = 'AuthError';
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string) => void;

export interface SessionOptions {
  name: string;
  url: string;
  apiKey: string;
  cluster: Cluster;
  log: Logger;
  /** every parsed frame, in arrival order (synchronous) */
  onFrame: (parsed: ParsedFrame) => void;
  /** auth refused: the session has stopped for good */
  onFatal: (err: Error) => void;
  /** wall clock in Unix ns (each frame's ParsedFrame.receivedAtNs) */
  nowNs: () => bigint;
  /** largest frame accepted, bytes: a bigger one closes the socket (1009) and reconnects */
  maxPayload: number;
  /** reconnect when neither a frame nor a pong arrived for this long */
  idleTimeoutMs: number;
  /** WebSocket pings (the protocol has no heartbeat); 0: none */
  pingIntervalMs: number;
  /** limit of each step (connect, "connected", auth reply) before a reconnect */
  stepTimeoutMs: number;
  /** first reconnect delay; doubles up to backoffMaxMs, +-50% jitter */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** streaming this long resets the backoff (not auth_success: max_connections may follow it) */
  stableResetMs: number;
  /** the least wait after a max_connections status */
  maxConnectionsCooldownMs: number;
  /** items per subscribe/unsubscribe message; default 200 */
  chunkSize?: number;
  /**
   * Streaming state changes (synchronous): `lost` when a streaming connection is lost (once per outage, with
   * the wall-clock ms of the loss), `streaming` when auth_success came and the desired set was sent
   * (the first connection too). Not called after close() / closeNow() or a fatal error.
   */
  onState?: (state: SessionState, atMs: number) => void;
}

/** what SessionOptions.onState reports */
export type SessionState = 'lost' | 'streaming';

export interface SessionStats {
  connects: number;
  reconnects: number;
  frames: number;
  bytes: number;
  authFailures: number;
  maxConnections: number;
  idleTimeouts: number;
  subscribeAcks: number;
  unsubscribeAcks: number;
  refusals: number;
  unknownStatuses: number;
  /** frames above maxPayload (each closes the socket) */
  oversizedFrames: number;
}

/** the largest delay Node's timers accept */
const MAX_DELAY_MS = 2_147_483_647;

/** b[i] where the caller's loop guarantees i < b.length (noUncheckedIndexedAccess cannot see it) */
function byteAt(b: Uint8Array, i: number): number {
  const x = b[i];
  if (x === undefined) throw new RangeError(`byte offset ${i} outside 0..${b.length - 1}`);
  return x;
}

/** offset of the first byte that breaks UTF-8 in `b` (b is known not to be valid UTF-8) */
export function firstInvalidUtf8Offset(b: Uint8Array): number {
  // the longest valid prefix: isUtf8 on prefixes (binary search would be wrong: a prefix can end inside a
  // valid sequence), so walk the sequences by hand
  let i = 0;
  while (i < b.length) {
    const c = byteAt(b, i);
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c < 0x80) n = 0;
    else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n >= b.length && n > 0) return i; // truncated sequence
    for (let k = 1; k <= n; k++) {
      const x = byteAt(b, i + k);
      const [l, h] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (x < l || x > h) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/** the ParsedFrame of a frame refused because it is not valid UTF-8 (counted malformed like any refused frame) */
function invalidUtf8Frame(data: Buffer, receivedAtNs: bigint, frame: string): ParsedFrame {
  const at = firstInvalidUtf8Offset(data);
  const bad = data
    .subarray(at, Math.min(data.length, at + 4))
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
  const reason = `not valid UTF-8: first invalid byte at offset ${at} of ${data.length} (bytes ${bad}); skipped, not decoded`;
  return {
    receivedAtNs,
    messages: [],
    errors: [],
    ignored: [],
    // the preview shows the frame's start up to the bad byte (valid UTF-8: >= 150 whole characters in 600
    // bytes, cut to 120), never a U+FFFD-decoded text
    frameError: new FrameError(reason, data.subarray(0, Math.min(at, 600)).toString('utf8').slice(0, 120), frame),
    warnings: [],
    elements: 0,
  };
}

/** replies to the first subscription round after auth */
interface FirstRound {
  sent: number;
  acked: number;
  refused: number;
  message: string;
}

type State = 'idle' | 'connecting' | 'awaiting_connected' | 'authenticating' | 'streaming' | 'waiting' | 'stopped';

export class VendorSession {
  readonly name: string;
  readonly stats: SessionStats = {
    connects: 0,
    reconnects: 0,
    frames: 0,
    bytes: 0,
    authFailures: 0,
    maxConnections: 0,
    idleTimeouts: 0,
    subscribeAcks: 0,
    unsubscribeAcks: 0,
    refusals: 0,
    unknownStatuses: 0,
    oversizedFrames: 0,
  };
  private readonly o: SessionOptions;
  private ws: WebSocket | null = null;
  private state: State = 'idle';
  private readonly desired = new Set<string>();
  private attempt = 0;
  private lastActivity = 0;
  private stepTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private cooldownMs = 0;
  private frameNo = 0;
  private closeWaiters: (() => void)[] = [];
  private authenticatedOnce = false;
  /** why the current socket failed before it opened (DNS, refused, TLS, HTTP status): said once, in onClose */
  private connectError: (Error & { code?: string }) | null = null;
  /** the first subscription round after auth: if the server refuses every item as "not authorized", the plan lacks the feed */
  private firstRound: FirstRound | null = null;
  /** wall-clock ms when the streaming connection was lost (null while streaming or before the first) */
  private lostAt: number | null = null;

  constructor(opts: SessionOptions) {
    this.o = opts;
    this.name = opts.name;
  }

  get isStreaming(): boolean {
    return this.state === 'streaming';
  }

  /** the current desired subscription set (what a reconnect re-subscribes) */
  subscriptions(): string[] {
    return [...this.desired];
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.connect();
  }

  /** Apply a difference to the desired set; sent at once when streaming (unsubscribe first: frees room). */
  apply(diff: SubscriptionDiff): void {
    for (const i of diff.unsubscribe) this.desired.delete(i);
    for (const i of diff.subscribe) this.desired.add(i);
    if (this.state === 'streaming') {
      this.sendItems('unsubscribe', diff.unsubscribe);
      this.sendItems('subscribe', diff.subscribe);
    }
  }

  /** Close the socket (code 1000) and stop reconnecting. Resolves when the socket is closed. */
  async close(timeoutMs = 3000): Promise<void> {
    const ws = this.ws;
    this.stopTimers();
    this.state = 'stopped';
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((r) => this.closeWaiters.push(r));
    try {
      ws.close(1000, 'client shutdown');
    } catch {
      ws.terminate();
    }
    const t = setTimeout(() => ws.terminate(), timeoutMs);
    await closed;
    clearTimeout(t);
  }

  /** Drop the socket at once (no close handshake) and stop reconnecting: a standby that lost its lease. */
  closeNow(): void {
    const ws = this.ws;
    this.stopTimers();
    this.state = 'stopped';
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }

  // ---- internals ----

  private connect(): void {
    this.state = 'connecting';
    this.stats.connects++;
    // skipUTF8Validation: a text frame with invalid UTF-8 would otherwise close the socket (1007); onMessage
    // checks it instead (isUtf8) and counts the frame malformed, naming the first bad byte: never decoded
    // with U+FFFD (bad bytes inside a string value would leave valid JSON and a corrupted symbol).
    const ws = new WebSocket(this.o.url, {
      maxPayload: this.o.maxPayload,
      handshakeTimeout: this.o.stepTimeoutMs,
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    this.ws = ws;
    this.connectError = null;
    this.step(`connect to ${this.o.url}`);
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.state = 'awaiting_connected';
      this.lastActivity = Date.now();
      this.step('"connected" status');
      this.startWatchdog(ws);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(ws, data, isBinary));
    ws.on('pong', () => {
      this.lastActivity = Date.now();
    });
    ws.on('error', (err: Error & { code?: string }) => {
      if (this.ws !== ws) return;
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.stats.oversizedFrames++;
        this.o.log(
          'error',
          `${this.name}: a frame exceeded --max-payload ${this.o.maxPayload} bytes (${err.message}): the socket is closed (1009) and reconnected`,
        );
      } else if (ws.readyState === WebSocket.CONNECTING || this.state === 'connecting') {
        this.connectError = err; // said once, as what it is, when the socket closes (it never opened)
      } else this.o.log('warn', `${this.name}: socket error: ${err.message}`);
    });
    ws.on('close', (code: number, reason: Buffer) => this.onClose(ws, code, reason.toString()));
  }

  private step(what: string): void {
    if (this.stepTimer) clearTimeout(this.stepTimer);
    this.stepTimer = setTimeout(() => {
      this.stepTimer = null;
      this.o.log('warn', `${this.name}: no ${what} within ${this.o.stepTimeoutMs} ms: reconnecting`);
      this.ws?.terminate();
    }, this.o.stepTimeoutMs);
    this.stepTimer.unref?.();
  }

  private clearStep(): void {
    if (this.stepTimer) clearTimeout(this.stepTimer);
    this.stepTimer = null;
  }

  private startWatchdog(ws: WebSocket): void {
    const check = Math.max(20, Math.min(1000, Math.floor(this.o.idleTimeoutMs / 4)));
    this.watchdog = setInterval(() => {
      if (this.ws !== ws) return;
      const idle = Date.now() - this.lastActivity;
      if (idle > this.o.idleTimeoutMs) {
        this.stats.idleTimeouts++;
        this.o.log('warn', `${this.name}: no frame or pong for ${idle} ms (idle timeout ${this.o.idleTimeoutMs} ms): reconnecting`);
        ws.terminate();
      }
    }, check);
    this.watchdog.unref?.();
    if (this.o.pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => {
        if (this.ws === ws && ws.readyState === WebSocket.OPEN) ws.ping();
      }, this.o.pingIntervalMs);
      this.pingTimer.unref?.();
    }
  }

  private onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (this.ws !== ws) return;
    const recv = this.o.nowNs();
    this.lastActivity = Date.now();
    this.stats.frames++;
    this.stats.bytes += data.length;
    if (isBinary) this.o.log('warn', `${this.name}: binary frame of ${data.length} bytes (expected text): read as UTF-8`);
    const frame = `${this.name}#${++this.frameNo}`;
    if (!isUtf8(data)) {
      this.o.onFrame(invalidUtf8Frame(data, recv, frame));
      return;
    }
    const parsed = parseFrame(data.toString('utf8'), { receivedAtNs: recv, cluster: this.o.cluster, frame });
    for (const m of parsed.messages) if (m.kind === 'status') this.onStatus(ws, m);
    if (this.state === 'stopped' && this.ws !== ws) return;
    this.o.onFrame(parsed);
  }

  private onStatus(ws: WebSocket, m: StatusMessage): void {
    const info: StatusInfo = classifyStatus(m);
    switch (info.kind) {
      case 'connected':
        if (this.state === 'awaiting_connected') {
          this.state = 'authenticating';
          this.step('auth reply');
          ws.send(JSON.stringify({ action: 'auth', params: this.o.apiKey }));
        }
        break;
      case 'auth_success':
        if (this.state !== 'authenticating') break;
        this.clearStep();
        this.state = 'streaming';
        this.o.log(
          'info',
          `${this.name}: authenticated at ${this.o.url}${this.lostAt !== null ? ` (reconnected: data gap from ${new Date(this.lostAt).toISOString()}, ${Date.now() - this.lostAt} ms)` : ''}; subscribing ${this.desired.size} item(s)`,
        );
        this.lostAt = null;
        this.authenticatedOnce = true;
        this.firstRound = this.desired.size > 0 ? { sent: this.desired.size, acked: 0, refused: 0, message: '' } : null;
        this.sendItems('subscribe', [...this.desired]);
        this.o.onState?.('streaming', Date.now());
        // reset the backoff only after a stable stretch (not on auth_success: max_connections may follow)
        this.stableTimer = setTimeout(() => {
          this.attempt = 0;
          this.cooldownMs = 0;
        }, this.o.stableResetMs);
        this.stableTimer.unref?.();
        break;
      case 'auth_failed': {
        this.stats.authFailures++;
        const plan = /plan/i.test(m.message);
        const err = new AuthError(
          `${this.name}: authentication refused by ${this.o.url}: "${m.message}". ` +
            (plan
              ? 'The account plan does not include WebSocket access for this feed (check the plan, or --feed delayed).'
              : 'Check POLYGON_API_KEY / MASSIVE_API_KEY.') +
            ' Not retrying.',
        );
        this.fatal(err);
        break;
      }
      case 'max_connections':
        this.stats.maxConnections++;
        this.cooldownMs = this.o.maxConnectionsCooldownMs;
        this.o.log(
          'error',
          `${this.name}: MAX_CONNECTIONS from ${this.o.url}: "${m.message.trim()}". Another connection of this account is on the same cluster ` +
            `(a second ingestor, a laptop, an old pod); the server closes one of them. Reconnecting after a ${Math.round(this.o.maxConnectionsCooldownMs / 1000)} s cooldown.`,
        );
        break;
      case 'auth_timeout':
      case 'force_disconnect':
      case 'slow_consumer':
        this.o.log('warn', `${this.name}: status ${m.status}: "${m.message}" (the server closes the connection; reconnecting)`);
        break;
      case 'subscribed':
        this.stats.subscribeAcks++;
        if (this.firstRound) this.firstRoundReply(this.firstRound, true, m.message);
        break;
      case 'unsubscribed':
        this.stats.unsubscribeAcks++;
        break;
      case 'error':
        this.stats.refusals++;
        if (this.firstRound && /not authorized/i.test(m.message)) {
          if (this.firstRoundReply(this.firstRound, false, m.message)) break;
        }
        this.o.log(
          'error',
          `${this.name}: request refused: "${m.message}"` +
            (/not authorized/i.test(m.message)
              ? ' (the plan does not include this channel or feed)'
              : /limit/i.test(m.message)
                ? ' (subscription limit of this connection)'
                : ''),
        );
        break;
      case 'auth_required':
        this.o.log('warn', `${this.name}: status auth_required: "${m.message}"`);
        break;
      default:
        this.stats.unknownStatuses++;
        this.o.log('warn', `${this.name}: unknown status ${JSON.stringify(m.status)}: "${m.message}"`);
    }
  }

  /** count a reply of the first subscription round (r: this.firstRound); true when it turned out fatal */
  private firstRoundReply(r: FirstRound, ok: boolean, message: string): boolean {
    if (ok) r.acked++;
    else {
      r.refused++;
      r.message = message;
    }
    if (r.acked + r.refused < r.sent) return false;
    this.firstRound = null;
    if (r.acked === 0 && r.refused > 0) {
      this.fatal(
        new AuthError(
          `${this.name}: every subscription (${r.refused}) was refused by ${this.o.url}: "${r.message}". ` +
            'The account plan does not include this feed (real-time vs delayed host: --feed; channel entitlements). Not retrying.',
        ),
      );
      return true;
    }
    return false;
  }

  private fatal(err: Error): void {
    this.stopTimers();
    this.state = 'stopped';
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    this.o.onFatal(err);
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.clearTimersOfSocket();
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const w of waiters) w();
    if (this.state === 'stopped') return;
    if (this.authenticatedOnce && this.lostAt === null) {
      this.lostAt = Date.now();
      this.o.onState?.('lost', this.lostAt);
    }
    const hint = code === 1009 ? ` (a frame exceeded --max-payload ${this.o.maxPayload} bytes)` : '';
    this.attempt++;
    const base = Math.min(this.o.backoffMaxMs, this.o.backoffInitialMs * 2 ** Math.min(this.attempt - 1, 30));
    let delay = Math.round(base * (0.5 + Math.random())); // +-50% jitter
    if (this.cooldownMs > 0) delay = Math.max(delay, this.cooldownMs);
    delay = Math.min(delay, MAX_DELAY_MS); // a larger delay would fire after 1 ms
    this.state = 'waiting';
    this.stats.reconnects++;
    const failed = this.connectError;
    this.connectError = null;
    this.o.log(
      'warn',
      failed
        ? `${this.name}: could not connect to ${this.o.url}: ${describeConnectError(failed)}; reconnect #${this.attempt} in ${delay} ms`
        : `${this.name}: connection closed (code ${code}${reason ? ` "${reason}"` : ''})${hint}; reconnect #${this.attempt} in ${delay} ms`,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'waiting') this.connect();
    }, delay);
  }

  private sendItems(action: 'subscribe' | 'unsubscribe', items: string[]): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || items.length === 0) return;
    const n = this.o.chunkSize ?? 200;
    for (let i = 0; i < items.length; i += n) ws.send(JSON.stringify({ action, params: items.slice(i, i + n).join(',') }));
    this.o.log('debug', `${this.name}: ${action} ${items.length} item(s)`);
  }

  private clearTimersOfSocket(): void {
    this.clearStep();
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.watchdog = this.pingTimer = this.stableTimer = null;
  }

  private stopTimers(): void {
    this.clearTimersOfSocket();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }
}

/** A socket that never opened, said as what it was: DNS, refused, unreachable, TLS, an HTTP status instead of the upgrade. */
export function describeConnectError(err: Error & { code?: string; hostname?: string; address?: string; port?: number }): string {
  const code = err.code ?? '';
  const where = err.address ? `${err.address}${err.port ? `:${err.port}` : ''}` : '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME')
    return `DNS lookup of ${err.hostname ?? 'the host'} failed (${code}${code === 'EAI_AGAIN' ? ': temporary' : ''})`;
  if (code === 'ECONNREFUSED') return `connection refused${where ? ` by ${where}` : ''} (ECONNREFUSED)`;
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ECONNRESET')
    return `${code === 'ECONNRESET' ? 'connection reset' : code === 'ETIMEDOUT' ? 'connect timed out' : 'host unreachable'}${where ? ` (${where})` : ''} (${code})`;
  if (/certificate|self[- ]signed|SSL|TLS|ERR_TLS|CERT_/i.test(`${code} ${err.message}`)) return `TLS handshake failed: ${err.message}`;
  const http = /^Unexpected server response: (\d+)/.exec(err.message);
  if (http) return `the server answered HTTP ${http[1]} instead of upgrading to a WebSocket`;
  return err.message || code || 'unknown error';
}
