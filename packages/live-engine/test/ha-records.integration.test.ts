/**
 * The open windows of a hot-standby leader kept in NATS KV (GapRecords of @md/nats-bus, a real nats-server): a
 * leader killed while its restart windows are open (its process gone: nothing more from it, its lease left to
 * expire) never fills them, and the next leader's resume point is past them; the next leader reads their records at
 * the start of its term and fills them under their gap ids, with nobody having seen the md.live.gaps announcements.
 * Without the records the same scenario leaves the hole (the control case). Fake vendor + fake REST + a MemorySink
 * standing for the stream; the lease is the test's (TestLease), so the hand-overs are exactly where the test puts them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Publishable } from '@md/event-types';
import { connectBus, GapRecords, type EventSink, type NatsConnection } from '@md/nats-bus';
import { LiveEngine, LiveHa, parseGapJson, type GapAnnouncement, type GapRecordStore } from '@md/live-engine';
import { MemorySink, until } from '@md/test-support';
import { FakeVendor } from '@md/test-support/fake-vendor';
import { FakeRest } from '@md/test-support/fake-rest';
import { Tape } from '@md/test-support/tape';
import { dedup, LogCapture, resumeFrom, startBus, STOCKS_ONLY, TestLease, testConfig, wsPath, type Bus } from './helpers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch(() => {});
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SCOPE = 'live-ingestor.test.stocks';

interface Instance {
  ha: LiveHa;
  lease: TestLease;
  nc: NatsConnection;
  gaps: GapAnnouncement[];
  /** SIGKILL: nothing it announces, publishes or records gets out from now on; its vendor socket and NATS connection drop */
  kill: () => Promise<void>;
}

async function world(seed: number, bus: Bus) {
  const tape = Tape.generate({ seed, startMs: Date.now() + 1500, durationMs: 7000, rate: 1500 });
  const fv = await FakeVendor.start();
  cleanups.push(() => fv.close());
  const fr = await FakeRest.start({ tape });
  cleanups.push(() => fr.close());
  const mem = new MemorySink();
  const instance = async (name: string, o: { restUrl?: string; records?: boolean } = {}): Promise<Instance> => {
    const nc = await connectBus({ servers: bus.server.url });
    cleanups.push(() => nc.close());
    const gaps: GapAnnouncement[] = [];
    let dead = false;
    const out: EventSink = {
      get stats() {
        return mem.stats;
      },
      publish: (p: Publishable) => (dead ? Promise.resolve() : mem.publish(p)),
      flush: () => mem.flush(),
      close: async () => {},
    };
    let records: GapRecordStore | undefined;
    if (o.records !== false) {
      const r = await GapRecords.open(nc, { scope: SCOPE });
      records = {
        put: (id, v) => (dead ? Promise.resolve() : r.put(id, v)),
        delete: (id) => (dead ? Promise.resolve() : r.delete(id)),
        list: () => r.list(),
      };
    }
    const ha: LiveHa = new LiveHa({
      records,
      makeEngine: () =>
        new LiveEngine(
          testConfig(fv, {
            ...STOCKS_ONLY,
            restUrl: o.restUrl ?? fr.url,
            backfillDelayMs: 300,
            // the app's announce: md.live.gaps (not listened to here) and the KV record
            announce: (g) => {
              if (dead) return;
              gaps.push(g);
              ha.announced(g);
            },
            resumePoint: resumeFrom(mem.events),
            closeSinkOnStop: false,
          }),
          out,
          new LogCapture().log,
        ),
    });
    const lease = new TestLease(ha.handlers);
    ha.run(lease);
    cleanups.push(() => ha.stop(`${name} test end`));
    const kill = async () => {
      dead = true;
      ha.engine?.closeSockets();
      await nc.close();
    };
    return { ha, lease, nc, gaps, kill };
  };
  return { tape, fv, fr, mem, instance };
}

const restart = (gaps: readonly GapAnnouncement[], status: GapAnnouncement['status']) =>
  gaps.filter((g) => g.reason === 'restart' && g.status === status);

/** the leader A killed with its restart windows open; B leads again; returns what the test checks */
async function killedLeader(seed: number, withRecords: boolean) {
  const bus = await startBus();
  cleanups.push(() => bus.close());
  const w = await world(seed, bus);
  const { fv, tape, mem } = w;
  // A's REST never answers in time: its restart windows stay open until it dies
  const deadRest = await FakeRest.start({ tape, faults: { slowMs: 60_000 } });
  cleanups.push(() => deadRest.close());
  const B = await w.instance('B', { records: withRecords });
  const A = await w.instance('A', { restUrl: deadRest.url, records: withRecords });
  const view = await GapRecords.open(bus.nc, { scope: SCOPE });

  B.lease.grant();
  await fv.waitFor(() => fv.subscriptions('stocks').size === 2, 10_000, 'B subscribed');
  const player = fv.play(tape);
  await sleep(tape.options.startMs + 2000 - Date.now());
  B.lease.revoke('taken over');
  await sleep(300);
  A.lease.grant();
  await until(() => restart(A.gaps, 'open').length === 2, 10_000, "A's restart windows open");
  await sleep(500); // A publishes live past its windows: the next resume point is past them
  const aOpen = restart(A.gaps, 'open');
  if (withRecords) {
    await A.ha.recorder!.settled();
    const recs = await view.list();
    expect(recs.map((r) => r.id).sort()).toEqual(aOpen.map((g) => g.gap_id).sort());
    for (const r of recs) {
      const g = parseGapJson(r.value) as GapAnnouncement;
      const a = aOpen.find((x) => x.gap_id === r.id) as GapAnnouncement;
      expect([g.status, g.from_ns, g.to_ns, g.item]).toEqual(['open', a.from_ns, a.to_ns, a.item]); // exact bigint bounds
    }
  }
  // SIGKILL of A: no cleanup, no final announcement, its lease is left to expire; nobody listens to md.live.gaps
  await A.kill();
  await sleep(300);
  B.lease.grant();
  await fv.waitFor(() => fv.connectionsOpen('stocks') === 1, 5000, 'B connected again');
  await player.done;
  const aIds = aOpen.map((g) => g.gap_id);
  if (withRecords) {
    await until(() => aIds.every((id) => B.gaps.some((g) => g.gap_id === id && g.status === 'filled')), 20_000, "A's windows filled by B");
  }
  // B's own second start (its restart windows; its first start had an empty stream: no window) filled
  await until(
    () => {
      const own = B.gaps.filter((g) => g.status === 'open');
      return own.length === 2 && own.every((o) => B.gaps.some((g) => g.gap_id === o.gap_id && g.status === 'filled'));
    },
    20_000,
    "B's own starts filled",
  );
  await sleep(300);
  await B.ha.recorder?.settled();
  const { byId } = wsPath(tape);
  const { seen, duplicates } = dedup(mem.events);
  const missing = [...byId.keys()].filter((id) => !seen.has(id));
  const taken = B.gaps.filter((g) => aIds.includes(g.gap_id));
  return { A, B, aOpen, taken, byId, seen, duplicates, missing, player, fv, left: await view.list() };
}

describe('LiveHa: the open windows recorded in NATS KV', () => {
  it('GapRecords: put, list, delete, by scope, the value byte for byte', async () => {
    const bus = await startBus();
    cleanups.push(() => bus.close());
    const a = await GapRecords.open(bus.nc, { scope: 'live-ingestor.a' });
    const b = await GapRecords.open(bus.nc, { scope: 'live-ingestor.ab' });
    const big = '{"from_ns":1765898100112000000123}';
    await a.put('5f0c9a1e-1', big);
    await a.put('5f0c9a1e-2', 'x');
    await b.put('5f0c9a1e-1', 'y');
    await a.put('5f0c9a1e-2', 'z');
    expect((await a.list()).sort((p, q) => p.id.localeCompare(q.id))).toEqual([
      { id: '5f0c9a1e-1', value: big },
      { id: '5f0c9a1e-2', value: 'z' },
    ]);
    await a.delete('5f0c9a1e-1');
    await a.delete('never-written');
    expect(await a.list()).toEqual([{ id: '5f0c9a1e-2', value: 'z' }]);
    expect(await b.list()).toEqual([{ id: '5f0c9a1e-1', value: 'y' }]);
    await expect(a.put('bad.id', 'v')).rejects.toThrow(/not a KV key token/);
  }, 30_000);

  it('the leader killed with its restart windows open: the next leader reads their records and fills them; the tape is complete', async () => {
    const r = await killedLeader(51, true);
    console.log(
      `HA RECORDS: tape=${r.byId.size} stored=${r.seen.size} missing=${r.missing.length} copies=${r.duplicates} ` +
        `A's windows filled by B=${r.taken.reduce((n, g) => n + (g.count ?? 0), 0)} missed live=${r.player.missed} ` +
        `records read by B=${r.B.ha.recorder!.stats.listed} left=${r.left.length}`,
    );
    expect(r.player.missed).toBeGreaterThan(300);
    expect(r.fv.maxConcurrent.stocks).toBe(1);
    expect(r.A.gaps.filter((g) => g.status !== 'open')).toEqual([]); // A died before any final
    expect(r.B.ha.inheritedWindows).toBe(2);
    expect(r.taken.map((g) => [g.status, g.item]).sort()).toEqual([
      ['filled', 'Q.SPY'],
      ['filled', 'T.SPY'],
    ]);
    for (const g of r.taken) {
      const a = r.aOpen.find((x) => x.gap_id === g.gap_id) as GapAnnouncement;
      expect([g.from_ns, g.to_ns]).toEqual([a.from_ns, a.to_ns]); // the same interval, exact
    }
    expect(r.taken.reduce((n, g) => n + (g.count ?? 0), 0)).toBeGreaterThan(300);
    expect(r.B.gaps.filter((g) => g.status === 'unfilled')).toEqual([]);
    expect(r.left).toEqual([]); // every window final for good: no record left
    expect(r.missing.slice(0, 5)).toEqual([]);
    expect(r.missing.length).toBe(0);
    expect([...r.seen.keys()].filter((id) => !r.byId.has(id))).toEqual([]);
  }, 60_000);

  it("control: the same without the records leaves the killed leader's windows a hole", async () => {
    const r = await killedLeader(51, false);
    console.log(`HA RECORDS (control, no records): tape=${r.byId.size} stored=${r.seen.size} missing=${r.missing.length}`);
    expect(r.taken).toEqual([]);
    expect(r.missing.length).toBeGreaterThan(300);
  }, 60_000);
});
