/**
 * What the gap-free scenarios (test/gapfree-*.test.ts) share: a real nats-server, the fake vendor WebSocket
 * server and the fake REST server in this process serving ONE tape (the vendor's truth), the app as a child
 * process (src/main.ts through tsx, on the libraries' sources: gapfree-child.ts), reading the stream back, the
 * gap announcements on md.live.gaps, and the check "stream == tape".
 */
import { hostname } from 'node:os';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { LIVE_GAPS_SUBJECT } from '@md/event-types';
import { Normalizer, normalizeFrame, parseRestJson, type RestJsonValue } from '@md/polygon-normalizer';
import { until } from '@md/test-support';
import { FakeRest, type RestFaults } from '@md/test-support/fake-rest';
import {
  FakeVendor,
  FAKE_API_KEY,
  marketOf,
  type FakeVendorOptions,
  type PlayOptions,
  type TapePlayer,
} from '@md/test-support/fake-vendor';
import { startBus, type Bus } from '@md/test-support/nats';
import { Tape, type TapeEvent, type TapeOptions } from '@md/test-support/tape';
import { sourceTsconfig } from './gapfree-child';
import { counters, spawnApp, type AppProcess } from './helpers';

export { FAKE_API_KEY };

/** the tape's duration in the scenarios that take one (GAPFREE_DURATION_S, default 60 for (a), less for the others) */
export const GAPFREE_DURATION_S = Number(process.env.GAPFREE_DURATION_S ?? 60);
/** the tape's events/s (GAPFREE_RATE) */
export const GAPFREE_RATE = Number(process.env.GAPFREE_RATE ?? 5000);
export const GAPFREE_SEED = Number(process.env.GAPFREE_SEED ?? Date.now() % 1_000_000);

/** one final gap announcement as received (`filled` / `unfilled`; the `open` ones are kept apart), ns exact */
export interface Gap {
  raw: Record<string, RestJsonValue>;
  gapId: string;
  status: 'open' | 'filled' | 'unfilled';
  subject: string;
  item: string;
  /** [fromNs, toNs) */
  fromNs: bigint;
  toNs: bigint;
  reason: string;
  filled: boolean;
  count: number | null;
  why: string | null;
  restRequests: number;
  /** when it was received (ms) */
  at: number;
}

/** one md.live.gaps message body -> Gap (the JSON read losslessly: the ns bounds exceed 2^53); throws naming what is wrong */
export function parseGap(text: string): Gap {
  const v = parseRestJson(text);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`md.live.gaps: not a JSON object: ${text.slice(0, 200)}`);
  const o = v as Record<string, RestJsonValue>;
  const big = (k: string): bigint => {
    const x = o[k];
    if (typeof x === 'bigint') return x;
    if (typeof x === 'number' && Number.isSafeInteger(x)) return BigInt(x);
    throw new Error(`md.live.gaps: ${k} is not an exact integer in ${text.slice(0, 300)}`);
  };
  const status = o.status;
  if (status !== 'open' && status !== 'filled' && status !== 'unfilled')
    throw new Error(`md.live.gaps: bad status in ${text.slice(0, 300)}`);
  if (o.type !== 'gap') throw new Error(`md.live.gaps: type is not "gap" in ${text.slice(0, 300)}`);
  const count = o.count;
  return {
    raw: o,
    gapId: String(o.gap_id),
    status,
    subject: String(o.subject),
    item: String(o.item),
    fromNs: big('from_ns'),
    toNs: big('to_ns'),
    reason: String(o.reason),
    filled: status === 'filled',
    count: typeof count === 'number' ? count : typeof count === 'bigint' ? Number(count) : null,
    why: typeof o.why === 'string' ? o.why : null,
    restRequests: Number(o.rest_requests ?? 0),
    at: Date.now(),
  };
}

/** announcements as JSON text for failure messages (bigints as text) */
export const gapsText = (gs: readonly Gap[]): string =>
  JSON.stringify(
    gs.map((g) => g.raw),
    (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v),
  );

/** one id of the expected set, with the tape event it stands for */
export interface Expected {
  ids: Map<string, TapeEvent>;
  /** the stored-kind events of the tape (option quotes only feed the book: never stored) */
  size: number;
}

/** the Nats-Msg-Id of every tape event that is stored (the WebSocket elements through the library's Normalizer) */
export function expectedIds(tape: Tape, events: readonly TapeEvent[] = tape.events): Expected {
  const ids = new Map<string, TapeEvent>();
  for (const market of ['stocks', 'options'] as const) {
    const xs = events.filter((e) => marketOf(e) === market);
    const norm = new Normalizer({ source: 'massive_ws' });
    for (let k = 0; k < xs.length; k += 5000) {
      const chunk = xs.slice(k, k + 5000);
      const { events: out } = normalizeFrame(`[${chunk.map((e) => tape.wsElement(e)).join(',')}]`, {
        receivedAtNs: 0n,
        cluster: market,
        normalizer: norm,
      });
      // Normalizer.frame returns nothing for option quotes: match the rest in order
      const stored = chunk.filter((e) => !(e.kind === 'Q' && market === 'options'));
      if (out.length !== stored.length) throw new Error(`expectedIds: ${stored.length} stored-kind events normalized to ${out.length}`);
      out.forEach((p, i) => {
        if (ids.has(p.msgId)) throw new Error(`expectedIds: two tape events share the id ${p.msgId}`);
        ids.set(p.msgId, stored[i] as TapeEvent);
      });
    }
  }
  return { ids, size: ids.size };
}

/** what the stream holds: how many copies of each id, and the messages without an id */
export interface StreamIds {
  copies: Map<string, number>;
  messages: number;
  noId: number;
}

/** every message of MARKET_DATA (an ordered consumer from the first), by Nats-Msg-Id */
export async function readStreamIds(bus: Bus): Promise<StreamIds> {
  const nc = bus.nc;
  const jsm = await jetstreamManager(nc);
  const si = await jsm.streams.info('MARKET_DATA');
  const copies = new Map<string, number>();
  let messages = 0;
  let noId = 0;
  if (si.state.messages > 0) {
    const consumer = await jetstream(nc).consumers.get('MARKET_DATA', { deliver_policy: DeliverPolicy.All });
    const msgs = await consumer.consume({ max_messages: 4096 });
    for await (const m of msgs) {
      const id = m.headers?.get('Nats-Msg-Id') ?? '';
      if (id === '') noId++;
      else copies.set(id, (copies.get(id) ?? 0) + 1);
      messages++;
      if (m.seq >= si.state.last_seq) break;
    }
    await msgs.close();
  }
  return { copies, messages, noId };
}

/** stream vs tape: ids stored twice, tape ids missing, stored ids that are not on the tape */
export interface Comparison {
  tape: number;
  stored: number;
  duplicates: number;
  missing: string[];
  extra: string[];
}

export function compare(expected: Expected, s: StreamIds): Comparison {
  let duplicates = 0;
  const extra: string[] = [];
  for (const [id, n] of s.copies) {
    if (n > 1) duplicates += n - 1;
    if (!expected.ids.has(id)) extra.push(id);
  }
  const missing: string[] = [];
  for (const id of expected.ids.keys()) if (!s.copies.has(id)) missing.push(id);
  return { tape: expected.size, stored: s.messages, duplicates, missing, extra };
}

/** the missing ids grouped by item and contiguous run, for a failure message */
export function describeMissing(expected: Expected, missing: readonly string[], max = 10): string {
  const out: string[] = [];
  for (const id of missing.slice(0, max)) {
    const e = expected.ids.get(id);
    out.push(e ? `${id} (sip ${e.sipNs})` : id);
  }
  return `${missing.length} missing${missing.length > max ? `, first ${max}` : ''}: ${out.join(', ')}`;
}

export interface WorldOptions {
  tape: Omit<TapeOptions, 'startMs'> & { startInMs?: number };
  vendor?: FakeVendorOptions;
  rest?: { faults?: RestFaults; pageRowsCap?: number };
}

/** The servers of one scenario and the tape they serve. */
export class World {
  /** the final announcements (filled / unfilled) */
  readonly gaps: Gap[] = [];
  /** the `open` announcements */
  readonly opened: Gap[] = [];
  readonly apps: AppProcess[] = [];
  readonly expected: Expected;
  player: TapePlayer | null = null;
  private gapSub: { unsubscribe(): void } | null = null;

  private constructor(
    readonly bus: Bus,
    readonly vendor: FakeVendor,
    readonly rest: FakeRest,
    readonly tape: Tape,
  ) {
    this.expected = expectedIds(tape);
  }

  static async start(o: WorldOptions): Promise<World> {
    // the tape starts once the servers, the expected ids (~20 us per event) and the app's start are done
    const events = (o.tape.durationMs * o.tape.rate) / 1000;
    const { startInMs = 6000 + Math.round(events * 0.04), ...topts } = o.tape;
    const tape = Tape.generate({ ...topts, startMs: Date.now() + startInMs });
    const [bus, vendor, rest] = await Promise.all([
      startBus(),
      FakeVendor.start(o.vendor),
      FakeRest.start({ tape, faults: o.rest?.faults, pageRowsCap: o.rest?.pageRowsCap }),
    ]);
    const w = new World(bus, vendor, rest, tape);
    const sub = bus.nc.subscribe(LIVE_GAPS_SUBJECT, {
      callback: (err, m) => {
        if (err) return;
        const g = parseGap(new TextDecoder().decode(m.data));
        (g.status === 'open' ? w.opened : w.gaps).push(g);
      },
    });
    w.gapSub = sub;
    await bus.nc.flush();
    return w;
  }

  /** the app's arguments for this world (stocks session only unless `args` says otherwise) */
  appArgs(extra: readonly string[] = []): string[] {
    return [
      '--sessions',
      'stocks',
      '--stats-interval',
      '1',
      '--backoff-initial-ms',
      '50',
      '--backoff-max-ms',
      '400',
      '--rest-url',
      this.rest.url,
      ...extra,
    ];
  }

  /** spawn the app (child process on the libraries' sources) */
  spawn(extra: readonly string[] = [], env: Record<string, string> = {}): AppProcess {
    const app = spawnApp(this.appArgs(extra), {
      POLYGON_API_KEY: FAKE_API_KEY,
      POLYGON_STOCKS_WS_URL: this.vendor.url('stocks'),
      POLYGON_OPTIONS_WS_URL: this.vendor.url('options'),
      NATS_URL: this.bus.server.url,
      TSX_TSCONFIG_PATH: sourceTsconfig(),
      ...env,
    });
    this.apps.push(app);
    return app;
  }

  /** play the tape on the WebSocket in real time */
  play(opts: PlayOptions = {}): TapePlayer {
    const lateMs = Date.now() - Number(this.tape.firstNs / 1_000_000n);
    if (lateMs > 0) throw new Error(`the tape started ${lateMs} ms before play(): give World.start a larger tape.startInMs`);
    this.player = this.vendor.play(this.tape, opts);
    return this.player;
  }

  /** the Unix ms of the tape's last event */
  get endMs(): number {
    return Number(this.tape.lastNs / 1_000_000n);
  }

  /**
   * Wait until the stream holds every tape id (or `timeoutMs` passes; the comparison then says what is
   * missing), then a little longer for late duplicates.
   */
  async settle(timeoutMs: number): Promise<Comparison> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await this.bus.count();
      if ((n >= this.expected.size && this.openGaps().length === 0) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 1000));
    return compare(this.expected, await readStreamIds(this.bus));
  }

  /** the gaps announced open and not (yet) final */
  openGaps(): Gap[] {
    const final = new Set(this.gaps.map((g) => g.gapId));
    return this.opened.filter((g) => !final.has(g.gapId));
  }

  /**
   * stop every app still running (SIGTERM, then SIGKILL after 20 s) and return their exit codes (in spawn order).
   * With --ha, the standbys first: a leader stopped first releases the lease and a standby would take over (a
   * restart window cut short by its own stop, announced unfilled) during the teardown.
   */
  async stopApps(): Promise<(number | null)[]> {
    const count = (t: string, re: RegExp) => t.match(re)?.length ?? 0;
    const leading = (a: AppProcess) => count(a.stderr, /lease .*acquired/g) > count(a.stderr, /lease .*lost/g);
    for (const a of [...this.apps].sort((x, y) => Number(leading(x)) - Number(leading(y)))) {
      if (a.exited === undefined) {
        a.proc.kill('SIGTERM');
        const t = setTimeout(() => a.proc.kill('SIGKILL'), 20_000);
        await a.exit;
        clearTimeout(t);
      }
    }
    return Promise.all(this.apps.map((a) => a.exit));
  }

  /** REST requests answered, and how many of them were 429 */
  restStats(): { requests: number; r429: number; r401: number } {
    return { requests: this.rest.requests, r429: this.rest.byStatus[429] ?? 0, r401: this.rest.byStatus[401] ?? 0 };
  }

  async close(): Promise<void> {
    for (const a of this.apps) if (a.exited === undefined) a.proc.kill('SIGKILL');
    await Promise.all(this.apps.map((a) => a.exit));
    this.player?.stop();
    this.gapSub?.unsubscribe();
    await this.vendor.close();
    await this.rest.close();
    await this.bus.close();
  }
}

/** a run of consecutive tape events of one item missing from the stream, with the stored events around it */
export interface Hole {
  item: string;
  subject: string;
  events: TapeEvent[];
  /** the last stored event of the item before the run, the first one after it (null: none) */
  before: TapeEvent | null;
  after: TapeEvent | null;
}

/** the holes of the stream, per item, in tape order */
export function holesOf(w: World, stored: StreamIds): Hole[] {
  const byItem = new Map<string, { id: string; e: TapeEvent }[]>();
  for (const [id, e] of w.expected.ids) {
    const item = `${e.kind}.${e.sym}`;
    let xs = byItem.get(item);
    if (!xs) byItem.set(item, (xs = []));
    xs.push({ id, e });
  }
  const out: Hole[] = [];
  for (const [item, xs] of byItem) {
    let cur: Hole | null = null;
    let before: TapeEvent | null = null;
    for (const { id, e } of xs) {
      if (stored.copies.has(id)) {
        if (cur) {
          cur.after = e;
          out.push(cur);
          cur = null;
        }
        before = e;
      } else {
        cur ??= { item, subject: id.slice(0, id.indexOf(':')), events: [], before, after: null };
        cur.events.push(e);
      }
    }
    if (cur) out.push(cur);
  }
  return out;
}

/** the holes and the gap announcements, for a failure message */
export async function diagnose(w: World): Promise<string> {
  const holes = holesOf(w, await readStreamIds(w.bus));
  const hs = holes
    .slice(0, 8)
    .map(
      (h) =>
        `${h.item}: ${h.events.length} from ${h.events[0]?.sipNs} to ${h.events.at(-1)?.sipNs} (before ${h.before?.sipNs}, after ${h.after?.sipNs})`,
    );
  const logs = w.apps.map((a, i) =>
    a.stderr
      .split('\n')
      .filter((l) => /gap|resume|lease|ha:|backfill|REST|rest/i.test(l) && !/ INFO stats /.test(l))
      .slice(-60)
      .map((l) => `[app ${i}] ${l}`)
      .join('\n'),
  );
  return `holes:\n${hs.join('\n')}\ngaps: ${gapsText(w.gaps)}\n${logs.join('\n')}`;
}

/** vendor ms of an event, as ns at the start of that ms */
export const msFloorNs = (e: TapeEvent): bigint => (e.sipNs / 1_000_000n) * 1_000_000n;

/** the `RELIABILITY:` line of a scenario */
export function reliabilityLine(
  scenario: string,
  c: Comparison,
  rest: { requests: number; r429: number },
  extra: Record<string, string | number> = {},
): string {
  const more = Object.entries(extra)
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  return (
    `RELIABILITY: scenario=${scenario} tape=${c.tape} stored=${c.stored} duplicates=${c.duplicates} missing=${c.missing.length} ` +
    `rest_requests=${rest.requests} rest_429=${rest.r429}${more}`
  );
}

/** wait until the app has subscribed its stocks items on a live connection */
export async function subscribed(w: World, what = 'the stocks subscription', timeoutMs = 30_000): Promise<void> {
  await w.vendor.waitFor(() => w.vendor.subscriptions('stocks').size >= 2, timeoutMs, what);
}

/** the last stats/final line of an app, parsed */
export function lastCounters(app: AppProcess): ReturnType<typeof counters> | null {
  const l = app.statLines().at(-1);
  return l === undefined ? null : counters(l);
}

/** this test process's host name (the default --instance-id starts with it) */
export const HOST = hostname();
export { until };
