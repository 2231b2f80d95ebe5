/**
 * A fake Polygon/Massive WebSocket server for tests and benchmarks: a real `ws` WebSocketServer on
 * loopback speaking the protocol of docs/polygon-ws.md (connected, auth success/failure, per-item
 * subscribe acks), with fault injection (drop connections, refuse auth, max_connections, stop answering
 * pings, half-open sockets, send raw frames), and a player that sends a `Tape` live to the subscribers (`play`). Used by the session tests of @md/polygon-normalizer, the engine tests of
 * @md/live-engine, the live-ingestor's process and fault tests and tools/bench/live-*.ts.
 */
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { itemOf, msOf, type Tape, type TapeEvent } from './tape.js';

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
  /** set by FakeVendor.halfOpen(): nothing is sent or read any more, the socket stays open */
  halfOpen = false;
  /** send one frame (any text, sent as is; a Buffer goes out as a TEXT frame with those bytes, even invalid UTF-8) */
  send(frame: string | Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN || this.halfOpen) return;
    this.framesSent++;
    if (typeof frame === 'string') this.ws.send(frame);
    else this.ws.send(frame, { binary: false });
  }
}

export interface PlayOptions {
  /** play only this market's events (default: every event, routed by symbol: `O:` -> options, else stocks) */
  market?: 'stocks' | 'options';
  /** a frame per connection every this many ms (default 20) */
  frameMs?: number;
  /** the tape clock in Unix ms (default Date.now): events with sip ms <= clock() are due */
  clock?: () => number;
  /** called at every tick before the due events are sent (drop connections here) */
  onTick?: (p: TapePlayer, nowMs: number) => void;
}

/** the market an event is played on */
export function marketOf(e: { sym: string }): 'stocks' | 'options' {
  return e.sym.startsWith('O:') ? 'options' : 'stocks';
}

/**
 * Plays a tape to the authenticated connections of a FakeVendor: every `frameMs`, the events that fell due
 * (sip ms <= clock()) go, in one frame per connection, to each connection subscribed to their item
 * (`T.SYM`, `Q.SYM`, or `T.*` / `Q.*`). An event that falls due while no connection holds its item is
 * `missed`: it is never sent later (the vendor does not replay).
 */
export class TapePlayer {
  /** events sent: `total` counts an event once per connection that got it; `byConn` by connection id */
  readonly sent = { total: 0, byConn: new Map<number, number>() };
  /** events that reached at least one connection, in tape order */
  readonly delivered: TapeEvent[] = [];
  /** events that fell due while nobody subscribed them, in tape order */
  readonly missedEvents: TapeEvent[] = [];
  /** frames sent */
  frames = 0;
  /** resolves when the tape's end has been reached (or stop() was called) */
  readonly done: Promise<void>;
  onTick: ((p: TapePlayer, nowMs: number) => void) | undefined;
  private pos = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private resolveDone!: () => void;
  private readonly events: readonly TapeEvent[];
  private stopped = false;

  constructor(
    private readonly fv: FakeVendor,
    readonly tape: Tape,
    private readonly opts: PlayOptions = {},
  ) {
    this.events = opts.market ? tape.events.filter((e) => marketOf(e) === opts.market) : tape.events;
    this.onTick = opts.onTick;
    this.done = new Promise((r) => (this.resolveDone = r));
    this.timer = setInterval(() => this.tick(), opts.frameMs ?? 20);
  }

  get missed(): number {
    return this.missedEvents.length;
  }

  /** how many of the played events are already due */
  get position(): number {
    return this.pos;
  }

  /** the events this player plays (the tape, or one market of it) */
  get played(): readonly TapeEvent[] {
    return this.events;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.resolveDone();
  }

  /** one step (the timer calls it; tests may too) */
  tick(): void {
    if (this.stopped) return;
    const now = (this.opts.clock ?? Date.now)();
    this.onTick?.(this, now);
    if (this.stopped) return;
    const batches = new Map<FakeConnection, string[]>();
    const live = { stocks: this.fv.live('stocks'), options: this.fv.live('options') };
    while (this.pos < this.events.length) {
      const e = this.events[this.pos] as TapeEvent;
      if (msOf(e) > now) break;
      this.pos++;
      const item = itemOf(e);
      const wild = `${e.kind}.*`;
      let got = 0;
      for (const c of live[marketOf(e)]) {
        if (!c.subs.has(item) && !c.subs.has(wild)) continue;
        let b = batches.get(c);
        if (!b) batches.set(c, (b = []));
        b.push(this.tape.wsElement(e));
        got++;
      }
      if (got) {
        this.delivered.push(e);
        this.sent.total += got;
      } else this.missedEvents.push(e);
    }
    for (const [c, b] of batches) {
      c.send(`[${b.join(',')}]`);
      this.frames++;
      this.sent.byConn.set(c.id, (this.sent.byConn.get(c.id) ?? 0) + b.length);
    }
    if (this.pos >= this.events.length) this.stop();
  }
}

export class FakeVendor {
  readonly messages: ClientMessage[] = [];
  readonly connections: FakeConnection[] = [];
  authAttempts = 0;
  /** per market, the most authenticated connections that were open at the same time */
  readonly maxConcurrent: Record<string, number> = {};
  private readonly players: TapePlayer[] = [];
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

  /** the number of authenticated, open connections of a market right now */
  connectionsOpen(market: string): number {
    return this.live(market).length;
  }

  /** Play a tape live to the subscribers (see TapePlayer); close() stops every player. */
  play(tape: Tape, opts: PlayOptions = {}): TapePlayer {
    const p = new TapePlayer(this, tape, opts);
    this.players.push(p);
    return p;
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

  /**
   * Make every open connection of a market (all when none given) half-open: the server stops sending and
   * stops reading (the socket is paused: a close frame or a ping from the client is never answered) without
   * closing anything, like a peer that hung or a network path that went dead. Returns how many; close() ends them.
   */
  halfOpen(market?: string): number {
    let n = 0;
    for (const c of this.connections) {
      if ((market && c.market !== market) || c.ws.readyState !== WebSocket.OPEN) continue;
      c.halfOpen = true;
      (c.ws as unknown as { _socket?: { pause(): void } })._socket?.pause();
      n++;
    }
    return n;
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
    for (const p of this.players) p.stop();
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
    if (c.halfOpen) return; // read before the pause took effect: ignored like the rest
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
        const open = this.live(c.market).length;
        if (open > (this.maxConcurrent[c.market] ?? 0)) this.maxConcurrent[c.market] = open;
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
