/**
 * A fake Polygon/Massive WebSocket server for tests and benchmarks: a real `ws` WebSocketServer on
 * loopback speaking the protocol of docs/polygon-ws.md (connected, auth success/failure, per-item
 * subscribe acks), with fault injection (drop connections, refuse auth, max_connections, stop answering
 * pings, send raw frames). Used by the session tests of @md/polygon-normalizer, the engine tests of
 * @md/live-engine, the live-ingestor's process and fault tests and tools/bench/live-*.ts.
 */
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

/** the key the fake accepts unless told otherwise */
export const FAKE_API_KEY = 'fake-key-0123456789abcdef';

export interface ClientMessage {
  /** connection id (1, 2, ... in accept order) */
  conn: number;
  market: string;
  action: string;
  params: string;
  /** ms since the server started */
  at: number;
}

export interface FakeVendorOptions {
  /** the accepted API key (default FAKE_API_KEY) */
  apiKey?: string;
  /** what auth answers: 'ok' (key must match), 'fail' (always auth_failed), 'plan' (auth_failed, no WebSocket access) */
  auth?: 'ok' | 'fail' | 'plan';
  /** send `max_connections` and close right after auth_success when more than this many authenticated connections share a market */
  maxConnectionsPerMarket?: number;
  /** answer WebSocket pings (default true); false to exercise the client's idle watchdog */
  autoPong?: boolean;
  /** refuse subscriptions to items matching this (status error "not authorized") */
  refuse?: RegExp;
}

export class FakeConnection {
  readonly subs = new Set<string>();
  authenticated = false;
  constructor(
    readonly id: number,
    readonly market: string,
    readonly ws: WebSocket,
  ) {}
  /** frames sent to this connection (protocol frames included) */
  framesSent = 0;
  /** send one frame (any text, sent as is; a Buffer goes out as a TEXT frame with those bytes, even invalid UTF-8) */
  send(frame: string | Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.framesSent++;
    if (typeof frame === 'string') this.ws.send(frame);
    else this.ws.send(frame, { binary: false });
  }
}

export class FakeVendor {
  readonly messages: ClientMessage[] = [];
  readonly connections: FakeConnection[] = [];
  authAttempts = 0;
  private readonly t0 = Date.now();
  private nextId = 1;
  private listeners: (() => void)[] = [];

  private constructor(
    readonly wss: WebSocketServer,
    readonly port: number,
    readonly opts: FakeVendorOptions,
  ) {}

  static async start(opts: FakeVendorOptions = {}): Promise<FakeVendor> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: opts.autoPong ?? true, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    const fv = new FakeVendor(wss, (wss.address() as AddressInfo).port, opts);
    wss.on('connection', (ws, req) => fv.onConnection(ws, (req.url ?? '/').replace(/^\//, '')));
    return fv;
  }

  /** ws://127.0.0.1:PORT/<market> */
  url(market: 'stocks' | 'options' | string): string {
    return `ws://127.0.0.1:${this.port}/${market}`;
  }

  /** open, authenticated connections of a market */
  live(market: string): FakeConnection[] {
    return this.connections.filter((c) => c.market === market && c.authenticated && c.ws.readyState === WebSocket.OPEN);
  }

  /** Send a frame to every authenticated connection of a market; returns how many got it. */
  broadcast(market: string, frame: string | Buffer): number {
    const cs = this.live(market);
    for (const c of cs) c.send(frame);
    return cs.length;
  }

  /** Abruptly drop every connection of a market (no close frame, like a network cut). */
  dropAll(market?: string): void {
    for (const c of this.connections) if (!market || c.market === market) c.ws.terminate();
  }

  /** Resolves when pred() holds (checked on every client message and connection change, and every 20 ms). */
  async waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (pred()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pred()) done(null);
      };
      const iv = setInterval(check, 20);
      const to = setTimeout(() => done(new Error(`fake vendor: timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      const done = (e: Error | null) => {
        clearInterval(iv);
        clearTimeout(to);
        this.listeners = this.listeners.filter((l) => l !== check);
        if (e) reject(e);
        else resolve();
      };
      this.listeners.push(check);
    });
  }

  /** the subscription set of the newest authenticated connection of a market */
  subscriptions(market: string): Set<string> {
    return this.live(market).at(-1)?.subs ?? new Set();
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  private onConnection(ws: WebSocket, market: string): void {
    const c = new FakeConnection(this.nextId++, market, ws);
    this.connections.push(c);
    c.send(JSON.stringify([{ ev: 'status', status: 'connected', message: 'Connected Successfully' }]));
    ws.on('message', (data) => this.onMessage(c, data.toString()));
    ws.on('close', () => this.notify());
    ws.on('error', () => {});
    this.notify();
  }

  private onMessage(c: FakeConnection, text: string): void {
    let m: { action?: unknown; params?: unknown };
    try {
      m = JSON.parse(text);
    } catch {
      c.send(JSON.stringify([{ ev: 'status', status: 'error', message: 'Invalid JSON' }]));
      return;
    }
    const action = String(m.action);
    const params = typeof m.params === 'string' ? m.params : '';
    this.messages.push({ conn: c.id, market: c.market, action, params, at: Date.now() - this.t0 });
    const st = (status: string, message: string) => ({ ev: 'status', status, message });
    if (action === 'auth') {
      this.authAttempts++;
      const mode = this.opts.auth ?? 'ok';
      if (mode === 'plan') {
        c.send(
          JSON.stringify([st('auth_failed', "Your plan doesn't include websocket access. Visit https://massive.com/pricing to upgrade.")]),
        );
        c.ws.close(1008, 'auth failed');
      } else if (mode === 'fail' || params !== (this.opts.apiKey ?? FAKE_API_KEY)) {
        c.send(JSON.stringify([st('auth_failed', 'authentication failed')]));
        c.ws.close(1008, 'auth failed');
      } else {
        c.authenticated = true;
        c.send(JSON.stringify([st('auth_success', 'authenticated')]));
        const max = this.opts.maxConnectionsPerMarket;
        if (max !== undefined && this.live(c.market).length > max) {
          c.send(JSON.stringify([st('max_connections', 'Maximum number of websocket connections exceeded. ')]));
          c.ws.close(1008, 'max connections');
        }
      }
    } else if (action === 'subscribe' || action === 'unsubscribe') {
      if (!c.authenticated) {
        c.send(JSON.stringify([st('auth_required', 'Please authenticate before subscribing.')]));
      } else {
        const acks = [];
        for (const item of params.split(',').filter(Boolean)) {
          if (action === 'subscribe' && this.opts.refuse?.test(item)) {
            acks.push(st('error', 'not authorized'));
            continue;
          }
          if (action === 'subscribe') c.subs.add(item);
          else c.subs.delete(item);
          acks.push(st('success', `${action}d to: ${item}`)); // sic: 'unsubscribed to:'
        }
        if (acks.length) c.send(JSON.stringify(acks));
      }
    }
    this.notify();
  }
}
