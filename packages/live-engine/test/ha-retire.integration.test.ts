/**
 * The hot standby losing its lease while its start backfill runs (the CI failure of the app's gapfree-ha scenario:
 * a leader under load missed its lease refreshes a second after taking over, its restart window was announced
 * unfilled, and the next leader's resume point, the newest stored event, was past the hole: 4,472 events never
 * stored). A lost lease closes the vendor sockets at once, but the windows already bounded are still filled from
 * REST by the engine that bounded them (nobody else knows them), then it stops. LiveHa.stop() ends that at once.
 * Fake vendor + fake REST + a MemorySink standing for the stream; the lease is the test's (TestLease).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Publishable } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import { gapJson, LiveEngine, LiveHa, parseGapJson, type GapAnnouncement } from '@md/live-engine';
import { MemorySink, until } from '@md/test-support';
import { FakeVendor } from '@md/test-support/fake-vendor';
import { FakeRest } from '@md/test-support/fake-rest';
import { Tape } from '@md/test-support/tape';
import { dedup, LogCapture, resumeFrom, STOCKS_ONLY, TestLease, testConfig, wsPath } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch(() => {});
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface World {
  fv: FakeVendor;
  fr: FakeRest;
  tape: Tape;
  mem: MemorySink;
  instance: (name: string, o?: { restUrl?: string }) => Instance;
}

interface Instance {
  ha: LiveHa;
  lease: TestLease;
  gaps: GapAnnouncement[];
  logs: LogCapture[];
  /** the process dies: nothing it announces or publishes from now on gets out */
  kill: () => void;
}

/** `share`: every announcement goes, as its JSON text, to every instance's LiveHa.observe (md.live.gaps) */
async function world(seed: number, durationMs: number, share = false): Promise<World> {
  const tape = Tape.generate({ seed, startMs: Date.now() + 1500, durationMs, rate: 1500 });
  const fv = await FakeVendor.start();
  cleanups.push(() => fv.close());
  const fr = await FakeRest.start({ tape });
  cleanups.push(() => fr.close());
  const mem = new MemorySink();
  // one stream for every term of every instance, never closed by an engine
  const stream: EventSink = {
    get stats() {
      return mem.stats;
    },
    publish: (p: Publishable) => mem.publish(p),
    flush: () => mem.flush(),
    close: async () => {},
  };
  const all: LiveHa[] = [];
  const instance = (name: string, o: { restUrl?: string } = {}): Instance => {
    const gaps: GapAnnouncement[] = [];
    const logs: LogCapture[] = [];
    let dead = false;
    const out: EventSink = { ...stream, publish: (p: Publishable) => (dead ? Promise.resolve() : stream.publish(p)) };
    Object.defineProperty(out, 'stats', { get: () => mem.stats });
    const announce = (g: GapAnnouncement) => {
      if (dead) return;
      gaps.push(g);
      if (share) for (const h of all) h.observe(parseGapJson(gapJson(g)) as GapAnnouncement);
    };
    const ha = new LiveHa({
      makeEngine: () => {
        const log = new LogCapture();
        logs.push(log);
        const cfg = testConfig(fv, {
          ...STOCKS_ONLY,
          restUrl: o.restUrl ?? fr.url,
          backfillDelayMs: 300,
          announce,
          resumePoint: resumeFrom(mem.events),
          closeSinkOnStop: false,
        });
        return new LiveEngine(cfg, out, log.log);
      },
    });
    all.push(ha);
    const lease = new TestLease(ha.handlers);
    ha.run(lease);
    cleanups.push(() => ha.stop(`${name} test end`));
    return { ha, lease, gaps, logs, kill: () => (dead = true) };
  };
  return { fv, fr, tape, mem, instance };
}

const restart = (gaps: readonly GapAnnouncement[], status: GapAnnouncement['status']) =>
  gaps.filter((g) => g.reason === 'restart' && g.status === status);
/** a REST request answered later than now (the fake REST's slowMs holds it) */
const inFlight = (fr: FakeRest) => fr.log.some((l) => l.status === 0);

describe('LiveHa: the lease lost while the start backfill runs', () => {
  it('A -> B -> A, B losing the lease with its restart windows mid-request: B still fills them, the sink holds the tape', async () => {
    const w = await world(41, 7000);
    const { fv, fr, tape, mem } = w;
    const A = w.instance('A');
    const B = w.instance('B');
    A.lease.grant();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'A subscribed');
    const player = fv.play(tape);
    await sleep(tape.options.startMs + 2000 - Date.now());
    A.lease.revoke('taken over');
    await sleep(300); // the standby's next attempt
    B.lease.grant();
    // B's first live event bounds its start: one restart window per item, from the stream's resume point
    await until(() => restart(B.gaps, 'open').length === 2, 10_000, "B's restart windows open");
    fr.faults.slowMs = 800;
    await until(() => inFlight(fr), 5000, "B's backfill asking REST");
    // B loses the lease now (a refresh timed out under load): its vendor socket closes at once
    B.lease.revoke('no successful refresh for 1667 ms');
    expect(B.ha.leading).toBe(false);
    await fv.waitFor(() => fv.connectionsOpen('stocks') === 0, 200, "B's socket closed at once");
    fr.faults.slowMs = 0;
    await sleep(300);
    // A leads again: its resume point is the newest stored event (B's live ones), past B's window
    A.lease.grant();
    await fv.waitFor(() => fv.connectionsOpen('stocks') === 1, 5000, 'A connected again');
    await player.done;
    await until(
      () => restart(A.gaps, 'open').length === 2 && restart(A.gaps, 'open').length === restart(A.gaps, 'filled').length,
      20_000,
      "A's second start filled",
    );
    await until(() => B.gaps.filter((g) => g.status !== 'open').length === 2, 20_000, "B's windows final");
    await sleep(300);

    expect(player.missed).toBeGreaterThan(300); // the two hand-overs: events nobody received live
    expect(fv.maxConcurrent.stocks).toBe(1);
    // B's windows were filled by B after it lost the lease, and they reach before A's second start
    const bFilled = restart(B.gaps, 'filled');
    expect(bFilled.map((g) => g.item).sort()).toEqual(['Q.SPY', 'T.SPY']);
    expect(bFilled.reduce((n, g) => n + (g.count ?? 0), 0)).toBeGreaterThan(0);
    const aSecond = restart(A.gaps, 'filled');
    for (const g of bFilled) {
      const a = aSecond.find((x) => x.item === g.item) as GapAnnouncement;
      expect(g.from_ns < a.from_ns, `${g.item}: B's window starts before A's second one`).toBe(true);
    }
    expect([...A.gaps, ...B.gaps].filter((g) => g.status === 'unfilled')).toEqual([]);
    // B's retired engine stopped by itself once its windows were final
    await until(() => B.logs[0]?.has(/^info final /) ?? false, 5000, "B's engine final line");

    const { byId } = wsPath(tape);
    const { seen, duplicates } = dedup(mem.events);
    const missing = [...byId.keys()].filter((id) => !seen.has(id));
    const extra = [...seen.keys()].filter((id) => !byId.has(id));
    console.log(
      `HA RETIRE: tape=${byId.size} stored=${seen.size} missing=${missing.length} duplicates=${duplicates} ` +
        `B backfilled after losing the lease=${bFilled.reduce((n, g) => n + (g.count ?? 0), 0)} missed live=${player.missed}`,
    );
    expect(missing.slice(0, 5)).toEqual([]);
    expect(missing.length).toBe(0);
    expect(extra).toEqual([]);
  }, 40_000);

  it('LiveHa.stop() while a retired engine still backfills: it stops at once, its windows announced unfilled (stopped)', async () => {
    const w = await world(42, 4000);
    const { fv, fr, tape } = w;
    const A = w.instance('A');
    const B = w.instance('B');
    A.lease.grant();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'A subscribed');
    const player = fv.play(tape);
    cleanups.push(async () => player.stop());
    await sleep(tape.options.startMs + 1500 - Date.now());
    A.lease.revoke('taken over');
    await sleep(200);
    B.lease.grant();
    await until(() => restart(B.gaps, 'open').length === 2, 10_000, "B's restart windows open");
    fr.faults.slowMs = 20_000; // REST never answers in time
    await until(() => inFlight(fr), 5000, "B's backfill asking REST");
    B.lease.revoke('taken over');
    await sleep(200);
    expect(restart(B.gaps, 'unfilled')).toEqual([]); // still backfilling
    const t0 = Date.now();
    await B.ha.stop('SIGTERM');
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(5000);
    const un = restart(B.gaps, 'unfilled');
    expect(un.map((g) => g.item).sort()).toEqual(['Q.SPY', 'T.SPY']);
    for (const g of un) expect(g.why).toMatch(/stopp/);
    expect(B.gaps.filter((g) => g.status === 'open').length).toBe(B.gaps.filter((g) => g.status !== 'open').length);
  }, 40_000);

  it('the leader killed with its restart windows open: the next leader, which saw them announced, fills them under their gap ids', async () => {
    const w = await world(43, 7000, true);
    const { fv, tape, mem } = w;
    // B's REST never answers in time: a killed process fills nothing
    const deadRest = await FakeRest.start({ tape, faults: { slowMs: 60_000 } });
    cleanups.push(() => deadRest.close());
    const A = w.instance('A');
    const B = w.instance('B', { restUrl: deadRest.url });
    A.lease.grant();
    await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'A subscribed');
    const player = fv.play(tape);
    await sleep(tape.options.startMs + 2000 - Date.now());
    A.lease.revoke('taken over');
    await sleep(300);
    B.lease.grant();
    await until(() => restart(B.gaps, 'open').length === 2, 10_000, "B's restart windows open");
    await sleep(500); // B publishes live past its window: the next resume point is past it
    // SIGKILL of B: its lease expires, nothing more from it
    B.kill();
    B.lease.revoke('expired on the server');
    await sleep(300);
    A.lease.grant();
    await fv.waitFor(() => fv.connectionsOpen('stocks') === 1, 5000, 'A connected again');
    await player.done;
    const bIds = restart(B.gaps, 'open').map((g) => g.gap_id);
    await until(() => bIds.every((id) => A.gaps.some((g) => g.gap_id === id && g.status === 'filled')), 20_000, "B's windows filled by A");
    await until(
      () => A.gaps.filter((g) => g.status === 'open').length === 2 && A.gaps.filter((g) => g.status === 'filled').length === 4,
      20_000,
      "A's own start filled",
    );
    await sleep(300);

    expect(player.missed).toBeGreaterThan(300);
    expect(fv.maxConcurrent.stocks).toBe(1);
    expect(B.gaps.filter((g) => g.status !== 'open')).toEqual([]); // B died before any final
    const taken = A.gaps.filter((g) => bIds.includes(g.gap_id));
    expect(taken.map((g) => [g.status, g.item]).sort()).toEqual([
      ['filled', 'Q.SPY'],
      ['filled', 'T.SPY'],
    ]);
    for (const g of taken) {
      const b = B.gaps.find((x) => x.gap_id === g.gap_id) as GapAnnouncement;
      expect([g.from_ns, g.to_ns]).toEqual([b.from_ns, b.to_ns]); // the same interval, exact
    }
    expect(taken.reduce((n, g) => n + (g.count ?? 0), 0)).toBeGreaterThan(300);
    expect(A.gaps.filter((g) => g.status === 'unfilled')).toEqual([]);
    const { byId } = wsPath(tape);
    const { seen, duplicates } = dedup(mem.events);
    const missing = [...byId.keys()].filter((id) => !seen.has(id));
    console.log(
      `HA INHERIT: tape=${byId.size} stored=${seen.size} missing=${missing.length} copies=${duplicates} ` +
        `B's windows filled by A=${taken.reduce((n, g) => n + (g.count ?? 0), 0)} missed live=${player.missed}`,
    );
    expect(missing.slice(0, 5)).toEqual([]);
    expect(missing.length).toBe(0);
    expect([...seen.keys()].filter((id) => !byId.has(id))).toEqual([]);
  }, 40_000);
});
