import type { Publishable } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import { Normalizer, parseFrame } from '@md/polygon-normalizer';
import { LiveEngine, type LeaseHandlers, type LeaseLike, type LiveEngineOptions, type Logger, type ResumePoint } from '@md/live-engine';
import { FAKE_API_KEY, marketOf, type FakeVendor } from '@md/test-support/fake-vendor';
import type { Tape, TapeEvent } from '@md/test-support/tape';
import { havePolygonFixtures as haveFixtures, POLYGON_FIXTURES_DIR as FIXTURES_DIR } from '@md/test-support/fixtures';

export { dataFrames, frames, havePolygonFixtures as haveFixtures, POLYGON_FIXTURES_DIR as FIXTURES_DIR } from '@md/test-support/fixtures';
export { startBus, type Bus } from '@md/test-support/nats';

if (!haveFixtures)
  console.warn(`polygon fixtures not found at ${FIXTURES_DIR} (set POLYGON_FIXTURES_DIR): live-engine fixture tests skipped`);

export { at } from '@md/test-support';

export const KEY = FAKE_API_KEY;
export const STOCKS_ONLY = { sessions: { stocks: true, options: false } };

/** the engine's defaults pointed at the fake vendor, with a pinned expiry and centre and fast reconnects */
export function testConfig(fv: FakeVendor, over: Partial<LiveEngineOptions> = {}): LiveEngineOptions {
  return {
    apiKey: KEY,
    stocksUrl: fv.url('stocks'),
    optionsUrl: fv.url('options'),
    expiry: '2025-12-16',
    initialPrice: 676.4,
    statsIntervalMs: 0,
    backoffInitialMs: 50,
    backoffMaxMs: 200,
    ...over,
  };
}

export class LogCapture {
  readonly lines: string[] = [];
  readonly log: Logger = (level, msg) => {
    this.lines.push(`${level} ${msg}`);
  };
  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l));
  }
}

/** a started engine and its captured log */
export function engine(cfg: LiveEngineOptions, sink: EventSink, logs = new LogCapture()): { ing: LiveEngine; logs: LogCapture } {
  const ing = new LiveEngine(cfg, sink, logs.log);
  ing.start();
  return { ing, logs };
}

/** what the WebSocket path makes of a tape: each event through the session's Normalizer, in tape order */
export function wsPath(tape: Tape): { byId: Map<string, Publishable>; idOf: Map<TapeEvent, string> } {
  const norms = { stocks: new Normalizer({ source: 'massive_ws' }), options: new Normalizer({ source: 'massive_ws' }) };
  const byId = new Map<string, Publishable>();
  const idOf = new Map<TapeEvent, string>();
  for (const e of tape.events) {
    const m = marketOf(e);
    const parsed = parseFrame(`[${tape.wsElement(e)}]`, { receivedAtNs: 0n, cluster: m });
    for (const p of norms[m].frame(parsed)) {
      if (byId.has(p.msgId)) throw new Error(`tape id ${p.msgId} twice`);
      byId.set(p.msgId, p);
      idOf.set(e, p.msgId);
    }
  }
  return { byId, idOf };
}

/** the stream's resume point of a subject as the app would read it, from what a sink holds */
export function resumeFrom(events: readonly Publishable[]): (subject: string) => ResumePoint | null {
  return (subject) => {
    let max: bigint | null = null;
    for (const p of events) if (p.subject === subject && (max === null || p.event.ts_event_ns > max)) max = p.event.ts_event_ns;
    if (max === null) return null;
    const at = events.filter((p) => p.subject === subject && p.event.ts_event_ns === max);
    const last = at.at(-1)?.event as { price?: number } | undefined;
    return { tsEventNs: max, ids: at.map((p) => p.msgId), price: subject === 'market.stocks.trades' ? (last?.price ?? null) : null };
  };
}

/** unique ids of what a sink holds, and the copies */
export function dedup(events: readonly Publishable[]): { seen: Map<string, Publishable>; duplicates: number } {
  const seen = new Map<string, Publishable>();
  let duplicates = 0;
  for (const p of events) {
    if (seen.has(p.msgId)) duplicates++;
    else seen.set(p.msgId, p);
  }
  return { seen, duplicates };
}

/** a lease the test hands out (grant / revoke), for LiveHa */
export class TestLease implements LeaseLike {
  held = false;
  constructor(private readonly h: LeaseHandlers) {}
  run(): void {}
  async stop(): Promise<void> {
    this.held = false;
  }
  grant(): void {
    this.held = true;
    this.h.onAcquired();
  }
  revoke(why: string): void {
    this.held = false;
    this.h.onLost(why);
  }
}
