/**
 * Gap-free live, the limits of a backfill: scenario (f) a hole older than --backfill-max (3 s here; the
 * ingestor is down 6 s): announced, not filled (nothing older than the limit is fetched); scenario (g) a
 * queue overflow under a burst (a small --queue-size; the fake vendor holds its frames 2 s and sends them at
 * once): the dropped events are backfilled, stream == tape.
 *
 * GAPFREE_LIMITS_S (default 12): each tape's length; events/s GAPFREE_RATE / 2.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeMissing,
  gapsText,
  GAPFREE_RATE,
  GAPFREE_SEED,
  readStreamIds,
  reliabilityLine,
  subscribed,
  until,
  World,
} from './gapfree-helpers';

const DURATION_S = Number(process.env.GAPFREE_LIMITS_S ?? 12);
const RATE = Math.max(100, Math.round(GAPFREE_RATE / 2));
let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});
const json = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

describe('gap-free live: the limits of a backfill', () => {
  it(
    '(f) a hole older than --backfill-max (3 s; down 6 s): announced, not filled',
    async () => {
      const w = (world = await World.start({ tape: { seed: GAPFREE_SEED + 2, durationMs: DURATION_S * 1000, rate: RATE } }));
      const args = ['--backfill-max', '3s'];
      const first = w.spawn(args);
      await subscribed(w, 'the first run');
      const player = w.play();
      const t0 = Number(w.tape.firstNs / 1_000_000n);
      await until(() => Date.now() >= t0 + 3000, 20_000, '3 s of tape');
      await until(async () => (await w.bus.count()) > 0, 10_000, 'the first run to store events');
      first.proc.kill('SIGKILL');
      await first.exit;
      const killedAt = Date.now();
      await new Promise((r) => setTimeout(r, 6000));
      const second = w.spawn(args);
      await subscribed(w, 'the second run');
      const downMs = Date.now() - killedAt;
      await player.done;
      await until(() => w.gaps.some((g) => !g.filled), 30_000, 'an unfilled gap announcement').catch((e: Error) => {
        throw new Error(`${e.message}: ${gapsText(w.gaps)}\n${second.stderr.slice(-3000)}`);
      });
      const c = await w.settle(5000);
      const rest = w.restStats();
      const unfilled = w.gaps.filter((g) => !g.filled);
      console.log(
        reliabilityLine('f', c, rest, {
          down_ms: downMs,
          backfill_max_ms: 3000,
          gaps_unfilled: unfilled.length,
          missed_live: player.missed,
        }),
      );
      expect(c.duplicates).toBe(0);
      expect(c.extra.length).toBe(0);
      expect(c.missing.length, 'the hole beyond --backfill-max stays a hole').toBeGreaterThan(0);
      expect(unfilled.length, json(w.gaps.map((g) => g.raw))).toBeGreaterThan(0);
      // every missing event is inside an announced unfilled gap of its subject
      const subjectOf = (id: string) => id.slice(0, id.indexOf(':'));
      for (const id of c.missing) {
        const e = w.expected.ids.get(id)!;
        const msNs = (e.sipNs / 1_000_000n) * 1_000_000n;
        const inGap = unfilled.some((g) => (g.subject === '' || g.subject === subjectOf(id)) && g.fromNs <= e.sipNs && msNs <= g.toNs);
        expect(inGap, `missing ${id} (sip ${e.sipNs}) in no unfilled gap: ${json(unfilled.map((g) => g.raw))}`).toBe(true);
      }
      // nothing older than the limit was asked of REST: every request's lower bound is within 3 s (+ overlap) of the restart
      for (const l of w.rest.log) {
        const m = /timestamp\.gte=(\d+)/.exec(l.query) ?? /timestamp\.gt=(\d+)/.exec(l.query);
        if (!m) continue;
        const gteMs = Number(BigInt(m[1] as string) / 1_000_000n);
        expect(gteMs, `REST asked for ${l.query}`).toBeGreaterThanOrEqual(killedAt + 6000 - 3000 - 2000);
      }
      // live after the restart is all there
      const stored = await readStreamIds(w.bus);
      const late = [...w.expected.ids].filter(([, e]) => e.sipNs >= w.tape.lastNs - 1_000_000_000n);
      expect(late.filter(([id]) => !stored.copies.has(id)).length).toBe(0);
      expect((await w.stopApps()).at(-1)).toBe(0);
    },
    DURATION_S * 1000 + 120_000,
  );

  it(
    '(g) a queue overflow under a burst (--queue-size 500): backfilled, stream == tape',
    async () => {
      const w = (world = await World.start({ tape: { seed: GAPFREE_SEED + 3, durationMs: DURATION_S * 1000, rate: RATE } }));
      const app = w.spawn(['--queue-size', '500']);
      await subscribed(w);
      // the vendor's clock stands still for 2 s at 40 % of the tape, then jumps: 2 s of events in one frame
      const t0 = Number(w.tape.firstNs / 1_000_000n);
      const holdFrom = t0 + DURATION_S * 400;
      const holdTo = holdFrom + 2000;
      const player = w.play({ clock: () => (Date.now() >= holdFrom && Date.now() < holdTo ? holdFrom : Date.now()) });
      await player.done;
      const c = await w.settle(60_000);
      const rest = w.restStats();
      const fin = app.statLines().at(-1) ?? '';
      const dropped = Number(/dropped=(\d+)/.exec(fin)?.[1] ?? NaN);
      const filled = w.gaps.filter((g) => g.filled);
      console.log(reliabilityLine('g', c, rest, { queue_dropped: dropped, gaps_filled: filled.length, missed_live: player.missed }));
      expect(await w.stopApps()).toEqual([0]);
      expect(dropped, 'the burst overflowed the queue').toBeGreaterThan(0);
      expect(c.missing.length, describeMissing(w.expected, c.missing)).toBe(0);
      expect(c.duplicates).toBe(0);
      expect(c.stored).toBe(c.tape);
      expect(w.gaps.filter((g) => !g.filled).map((g) => g.raw)).toEqual([]);
      expect(filled.length).toBeGreaterThan(0);
      expect(
        filled.some((g) => /overflow|drop|queue/i.test(g.reason)),
        json(filled.map((g) => g.raw)),
      ).toBe(true);
    },
    DURATION_S * 1000 + 120_000,
  );
});
