/**
 * Gaps that are not socket drops, end to end without NATS (fake vendor + fake REST + a MemorySink standing
 * for the stream): a queue overflow under a burst, a restart from the stream's resume point (the option
 * contracts from a strike manager's copy), and the hot standby (LiveHa) handing the lease back and forth.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Publishable } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import { LiveEngine, LiveHa, type GapAnnouncement, type LeaseHandlers, type LeaseLike, type LiveEngineOptions } from '@md/live-engine';
import { MemorySink, until } from '@md/test-support';
import { FakeVendor } from '@md/test-support/fake-vendor';
import { FakeRest } from '@md/test-support/fake-rest';
import { Tape } from '@md/test-support/tape';
import { dedup, LogCapture, resumeFrom, testConfig, wsPath } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch(() => {});
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CALL = 'O:SPY251216C00676000';
const PUT = 'O:SPY251216P00676000';

async function fakes(tape: Tape): Promise<{ fv: FakeVendor; fr: FakeRest }> {
  const fv = await FakeVendor.start();
  cleanups.push(() => fv.close());
  const fr = await FakeRest.start({ tape });
  cleanups.push(() => fr.close());
  return { fv, fr };
}

function cfg(fv: FakeVendor, fr: FakeRest, gaps: GapAnnouncement[], over: Partial<LiveEngineOptions> = {}): LiveEngineOptions {
  return testConfig(fv, {
    sessions: { stocks: true, options: true },
    strikeRange: 0,
    recentreThreshold: 1000,
    restUrl: fr.url,
    backfillDelayMs: 300,
    announce: (g) => gaps.push(g),
    ...over,
  });
}

function expectTape(events: readonly Publishable[], tape: Tape, what: string): { duplicates: number; rest: number } {
  const { byId } = wsPath(tape);
  const { seen, duplicates } = dedup(events);
  const missing = [...byId.keys()].filter((id) => !seen.has(id));
  const extra = [...seen.keys()].filter((id) => !byId.has(id));
  const rest = events.filter((p) => p.event.source === 'massive_rest').length;
  console.log(
    `${what}: tape=${byId.size} stored=${seen.size} duplicates=${duplicates} missing=${missing.length} extra=${extra.length} backfilled=${rest}`,
  );
  expect(missing.slice(0, 5), `${what}: missing`).toEqual([]);
  expect(extra.slice(0, 5), `${what}: extra`).toEqual([]);
  return { duplicates, rest };
}

async function allFinal(gaps: GapAnnouncement[], min: number): Promise<void> {
  await until(
    () => {
      const open = gaps.filter((g) => g.status === 'open').length;
      return open >= min && open === gaps.filter((g) => g.status !== 'open').length;
    },
    30_000,
    'every gap final',
  );
}

describe('gaps beyond socket drops', () => {
  it('a queue overflow under a burst: the dropped events are backfilled, the sink holds the tape', async () => {
    const tape = Tape.generate({ seed: 3, startMs: Date.now() + 1500, durationMs: 5000, rate: 2500, optionSymbols: [CALL, PUT] });
    const { fv, fr } = await fakes(tape);
    const gaps: GapAnnouncement[] = [];
    const mem = new MemorySink();
    const slowUntil = tape.options.startMs + 1500;
    // a sink that stalls during the first 1.5 s of the tape (a slow NATS), then keeps up
    const sink: EventSink = {
      get stats() {
        return mem.stats;
      },
      publish: async (p) => {
        if (Date.now() < slowUntil) await sleep(2);
        await mem.publish(p);
      },
      flush: () => mem.flush(),
      close: () => mem.close(),
    };
    const ing = new LiveEngine(cfg(fv, fr, gaps, { queueSize: 100 }), sink, new LogCapture().log);
    cleanups.push(() => ing.stop());
    ing.start();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2 && fv.subscriptions('options').size === 4, 10_000, 'subscriptions');
    const player = fv.play(tape);
    await player.done;
    await sleep(500);
    await allFinal(gaps, 1);
    expect(ing.queue.dropped).toBeGreaterThan(100);
    expect(player.missed).toBe(0);
    const { rest } = expectTape(mem.events, tape, 'OVERFLOW');
    const finals = gaps.filter((g) => g.status !== 'open');
    expect(finals.every((g) => g.status === 'filled' && g.reason === 'overflow')).toBe(true);
    // exactly the dropped events come back from REST
    expect(rest).toBe(ing.queue.dropped);
    expect(finals.reduce((n, g) => n + (g.count ?? 0), 0)).toBe(ing.queue.dropped);
  }, 40_000);

  it('a restart: the new engine backfills from the stream resume point; option contracts from a strike manager copy', async () => {
    const tape = Tape.generate({ seed: 21, startMs: Date.now() + 1500, durationMs: 7000, rate: 1500, optionSymbols: [CALL, PUT] });
    const { fv, fr } = await fakes(tape);
    const gaps: GapAnnouncement[] = [];
    const stream = new MemorySink();
    const a = new LiveEngine(cfg(fv, fr, gaps), stream, new LogCapture().log);
    cleanups.push(() => a.stop());
    a.start();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2 && fv.subscriptions('options').size === 4, 10_000, 'subscriptions');
    const player = fv.play(tape);
    await sleep(tape.options.startMs + 2500 - Date.now());
    await a.stop('deploy');
    await sleep(1500); // the ingestor is down
    const stored = stream.events.length;
    const resumes: string[] = [];
    const resume = resumeFrom([...stream.events]);
    const b = new LiveEngine(
      cfg(fv, fr, gaps, {
        resumePoint: (s) => {
          resumes.push(s);
          return resume(s);
        },
      }),
      stream,
      new LogCapture().log,
    );
    cleanups.push(() => b.stop());
    b.start();
    await player.done;
    await sleep(500);
    await allFinal(gaps, 4);
    expect(resumes.sort()).toEqual(['market.options.trades', 'market.stocks.quotes', 'market.stocks.trades']);
    expect(player.missed).toBeGreaterThan(500);
    expect(stream.events.length).toBeGreaterThan(stored);
    const { duplicates } = expectTape(stream.events, tape, 'RESTART');
    expect(duplicates).toBe(0);
    const restart = gaps.filter((g) => g.reason === 'restart' && g.status !== 'open');
    expect(restart.every((g) => g.status === 'filled')).toBe(true);
    const items = new Set(restart.map((g) => g.item));
    for (const i of ['T.SPY', 'Q.SPY', `T.${CALL}`, `T.${PUT}`]) expect(items.has(i), i).toBe(true);
    // the start of each window is the subject's last stored event
    const spy = restart.find((g) => g.item === 'T.SPY') as GapAnnouncement;
    expect(spy.from_ns).toBe(resume('market.stocks.trades')?.tsEventNs);
  }, 40_000);

  it('hot standby: the lease goes A -> B -> A; sockets closed at once on loss, never two connections, the sink holds the tape', async () => {
    const tape = Tape.generate({ seed: 33, startMs: Date.now() + 1500, durationMs: 7000, rate: 1500, optionSymbols: [CALL, PUT] });
    const { fv, fr } = await fakes(tape);
    const gaps: GapAnnouncement[] = [];
    const mem = new MemorySink();
    let sinkCloses = 0;
    const stream: EventSink = {
      get stats() {
        return mem.stats;
      },
      publish: (p) => mem.publish(p),
      flush: () => mem.flush(),
      close: async () => {
        sinkCloses++;
      },
    };
    /** a lease the test hands out */
    class TestLease implements LeaseLike {
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
    const instance = (name: string) => {
      const ha = new LiveHa({
        makeEngine: () =>
          new LiveEngine(cfg(fv, fr, gaps, { resumePoint: resumeFrom(mem.events), closeSinkOnStop: false }), stream, new LogCapture().log),
      });
      const lease = new TestLease(ha.handlers);
      ha.run(lease);
      cleanups.push(() => ha.stop(`${name} test end`));
      return { ha, lease };
    };
    const A = instance('A');
    const B = instance('B');
    // A's first term starts before the tape: nothing stored yet, no start gap
    A.lease.grant();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2 && fv.subscriptions('options').size === 4, 10_000, 'subscriptions');
    expect(A.ha.leading && !B.ha.leading).toBe(true);
    const player = fv.play(tape);
    const failovers: number[] = [];
    const handOver = async (from: typeof A, to: typeof A) => {
      from.lease.revoke('taken over');
      expect(from.ha.leading).toBe(false);
      // the vendor sockets close at once, before the engine has even stopped
      await fv.waitFor(() => fv.connectionsOpen('stocks') === 0 && fv.connectionsOpen('options') === 0, 200, 'sockets closed at once');
      const t0 = Date.now();
      await sleep(300); // the standby's next attempt
      to.lease.grant();
      await fv.waitFor(() => fv.connectionsOpen('stocks') === 1 && fv.connectionsOpen('options') === 1, 5000, 'the new leader connected');
      failovers.push(Date.now() - t0);
    };
    await sleep(tape.options.startMs + 2000 - Date.now());
    await handOver(A, B);
    await sleep(2000);
    await handOver(B, A);
    await player.done;
    await sleep(500);
    await allFinal(gaps, 4);
    expect(fv.maxConcurrent.stocks).toBe(1);
    expect(fv.maxConcurrent.options).toBe(1);
    expect(A.ha.stats.terms).toBe(2);
    expect(B.ha.stats.terms).toBe(1);
    expect(sinkCloses, 'the sink survives the engines of each term').toBe(0);
    const { duplicates } = expectTape(mem.events, tape, 'HA');
    console.log(`HA: failover (lease granted -> vendor sockets open) ${failovers.join(', ')} ms; duplicates ${duplicates}`);
    const finals = gaps.filter((g) => g.status !== 'open');
    expect(finals.every((g) => g.status === 'filled' && g.reason === 'restart')).toBe(true);
  }, 40_000);
});
