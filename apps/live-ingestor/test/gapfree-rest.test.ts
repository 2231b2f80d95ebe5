/**
 * Gap-free live, the REST side of a backfill: scenario (d) the first REST requests answered 429 (rate
 * limited): the client backs off and the backfill completes, stream == tape; scenario (e) REST answers 401
 * (a key without REST access): the gap is announced unfilled with its exact bounds, no retry storm, and live
 * goes on. One socket drop in the middle of a short tape makes the gap.
 *
 * GAPFREE_REST_S (default 12): each tape's length; events/s GAPFREE_RATE / 2.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIVE_DEFAULTS } from '@md/live-engine';
import {
  describeMissing,
  gapsText,
  GAPFREE_RATE,
  GAPFREE_SEED,
  holesOf,
  msFloorNs,
  readStreamIds,
  reliabilityLine,
  subscribed,
  until,
  World,
} from './gapfree-helpers';

const DURATION_S = Number(process.env.GAPFREE_REST_S ?? 12);
const RATE = Math.max(100, Math.round(GAPFREE_RATE / 2));
const RATE_LIMITED = 3;
let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

/** play the tape, cut the socket once at 40 % of it, wait until it is back, and let the tape end */
async function oneDrop(w: World): Promise<{ droppedAt: number; missed: number }> {
  await subscribed(w);
  const first = Number(w.tape.firstNs / 1_000_000n);
  const at = first + DURATION_S * 400;
  let droppedAt = 0;
  const player = w.play({
    onTick: (_p, now) => {
      if (droppedAt === 0 && now >= at) {
        w.vendor.dropAll('stocks');
        droppedAt = now;
      }
    },
  });
  await player.done;
  expect(droppedAt).toBeGreaterThan(0);
  return { droppedAt, missed: player.missed };
}

describe('gap-free live: REST faults during a backfill', () => {
  it(
    `(d) the first ${RATE_LIMITED} REST requests answered 429: the backfill completes, stream == tape`,
    async () => {
      const w = (world = await World.start({
        tape: { seed: GAPFREE_SEED, durationMs: DURATION_S * 1000, rate: RATE },
        rest: { faults: { rateLimitFirst: RATE_LIMITED } },
      }));
      const app = w.spawn();
      const { missed } = await oneDrop(w);
      const c = await w.settle(60_000);
      const rest = w.restStats();
      console.log(reliabilityLine('d', c, rest, { missed_live: missed, gaps: w.gaps.length }));
      expect(await w.stopApps()).toEqual([0]);
      expect(rest.r429).toBe(RATE_LIMITED);
      expect(rest.requests).toBeGreaterThan(RATE_LIMITED);
      expect(missed).toBeGreaterThan(0);
      expect(c.missing.length, describeMissing(w.expected, c.missing)).toBe(0);
      expect(c.duplicates).toBe(0);
      expect(c.stored).toBe(c.tape);
      expect(w.gaps.filter((g) => !g.filled).map((g) => g.raw)).toEqual([]);
      expect(w.gaps.filter((g) => g.filled).length).toBeGreaterThan(0);
      expect(app.stderr).toMatch(/429/);
    },
    DURATION_S * 1000 + 120_000,
  );

  it(
    '(e) REST answers 401: the gap is announced unfilled with its exact bounds, no retry storm, live goes on',
    async () => {
      const w = (world = await World.start({
        tape: { seed: GAPFREE_SEED + 1, durationMs: DURATION_S * 1000, rate: RATE },
        rest: { faults: { status401: true } },
      }));
      const app = w.spawn();
      const { missed } = await oneDrop(w);
      // nothing can be backfilled: wait for what live brings, and for the announcements
      await until(() => w.gaps.some((g) => !g.filled), 30_000, 'an unfilled gap announcement');
      const c = await w.settle(5_000);
      const rest = w.restStats();
      console.log(
        reliabilityLine('e', c, rest, { rest_401: rest.r401, missed_live: missed, gaps_unfilled: w.gaps.filter((g) => !g.filled).length }),
      );
      expect(app.exited, app.stderr.slice(-2000)).toBeUndefined();
      expect(rest.r401).toBeGreaterThan(0);
      expect(rest.r401, 'a retry storm on 401').toBeLessThanOrEqual(4);
      expect(c.duplicates).toBe(0);
      expect(c.missing.length).toBeGreaterThan(0);
      const unfilled = w.gaps.filter((g) => !g.filled);
      expect(w.gaps.filter((g) => g.filled && (g.count ?? 0) > 0)).toEqual([]);
      for (const g of unfilled) expect(g.why ?? '', gapsText([g])).toMatch(/401|auth|key/i);
      // exact bounds: each hole of an item (its events the stream lacks) is covered by one unfilled gap of that
      // item from the millisecond of the last event received before the drop (inclusive) to the first live event
      // after the reconnect plus the overlap (LIVE_DEFAULTS.backfillOverlapMs), its whole last millisecond included
      const stored = await readStreamIds(w.bus);
      const holes = holesOf(w, stored);
      expect(holes.length).toBeGreaterThan(0);
      expect(holes.reduce((n, h) => n + h.events.length, 0)).toBe(c.missing.length);
      for (const h of holes) {
        const g = unfilled.find((x) => x.item === h.item && x.fromNs <= h.events[0]!.sipNs && h.events.at(-1)!.sipNs < x.toNs);
        expect(g, `hole of ${h.item} from ${h.events[0]!.sipNs}: no unfilled gap covers it: ${gapsText(unfilled)}`).toBeDefined();
        expect(g!.subject).toBe(h.subject);
        expect(h.before && h.after, 'a hole at the very start or end of the tape').toBeTruthy();
        expect(g!.fromNs, `gap ${g!.gapId}: from_ns`).toBe(msFloorNs(h.before!));
        // the window ends at the session's first live event after the reconnect (whichever item it was on)
        const lastMissing = h.events.at(-1)!.sipNs;
        let firstLive = h.after!;
        for (const [id, e] of w.expected.ids)
          if (e.sipNs > lastMissing && e.sipNs < firstLive.sipNs && stored.copies.has(id)) firstLive = e;
        expect(g!.toNs, `gap ${g!.gapId}: to_ns`).toBe(msFloorNs(firstLive) + BigInt(LIVE_DEFAULTS.backfillOverlapMs + 1) * 1_000_000n);
      }
      // live goes on: the tape's last second is stored
      const lastSecond = [...w.expected.ids].filter(([, e]) => e.sipNs >= w.tape.lastNs - 1_000_000_000n);
      expect(lastSecond.length).toBeGreaterThan(0);
      expect(lastSecond.filter(([id]) => !stored.copies.has(id)).length).toBe(0);
      expect(await w.stopApps()).toEqual([0]);
    },
    DURATION_S * 1000 + 120_000,
  );
});
