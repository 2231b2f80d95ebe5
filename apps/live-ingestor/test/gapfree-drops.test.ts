/**
 * Gap-free live, scenario (a): the vendor drops the socket every few seconds (a network cut, no close frame)
 * while playing a tape of SPY trades and quotes at 5,000 events/s. After each reconnect the ingestor fetches
 * from REST what it missed between the last event it had and the first live one: the stream holds exactly
 * the tape (every id once, none missing) and every gap is announced as filled.
 *
 * GAPFREE_DURATION_S (default 60) sets the tape's length, GAPFREE_RATE (default 5000) the events/s,
 * GAPFREE_SEED the tape and the drop times.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '@md/test-support';
import {
  describeMissing,
  diagnose,
  GAPFREE_DURATION_S,
  GAPFREE_RATE,
  GAPFREE_SEED,
  reliabilityLine,
  subscribed,
  World,
} from './gapfree-helpers';

let world: World | null = null;
afterAll(async () => world?.close());

describe('gap-free live (a): the socket dropped every few seconds', () => {
  it(
    `${GAPFREE_DURATION_S} s at ${GAPFREE_RATE} events/s, a drop every 2-4 s: the stream holds exactly the tape, every gap filled`,
    async () => {
      const rand = rng(GAPFREE_SEED);
      const w = (world = await World.start({ tape: { seed: GAPFREE_SEED, durationMs: GAPFREE_DURATION_S * 1000, rate: GAPFREE_RATE } }));
      const app = w.spawn();
      await subscribed(w);
      const endMs = w.endMs;
      let drops = 0;
      let nextDrop = Number(w.tape.firstNs / 1_000_000n) + 2000 + rand() * 2000;
      const player = w.play({
        onTick: (_p, now) => {
          if (now < nextDrop || now > endMs - 1500) return;
          if (w.vendor.live('stocks').length === 0) return; // still reconnecting: drop the next one
          w.vendor.dropAll('stocks');
          drops++;
          nextDrop = now + 2000 + rand() * 2000;
        },
      });
      await player.done;
      expect(app.exited, `the ingestor exited during the run:\n${app.stderr.slice(-3000)}`).toBeUndefined();
      const c = await w.settle(90_000);
      const rest = w.restStats();
      const filled = w.gaps.filter((g) => g.filled);
      console.log(
        reliabilityLine('a', c, rest, {
          drops,
          missed_live: player.missed,
          gaps: w.gaps.length,
          gaps_filled: filled.length,
          backfilled: filled.reduce((n, g) => n + (g.count ?? 0), 0),
        }),
      );
      expect(await w.stopApps()).toEqual([0]);
      expect(drops).toBeGreaterThanOrEqual(Math.floor(GAPFREE_DURATION_S / 4) - 1);
      expect(player.missed, 'events the vendor sent while no socket was up').toBeGreaterThan(0);
      expect(c.missing.length, `${describeMissing(w.expected, c.missing)}\n${await diagnose(w)}`).toBe(0);
      expect(c.duplicates).toBe(0);
      expect(c.extra.length, `ids not on the tape: ${c.extra.slice(0, 5).join(', ')}`).toBe(0);
      expect(c.stored).toBe(c.tape);
      // every gap announced, and filled: at least one per drop and item (T.SPY, Q.SPY) with events
      const unfilled = w.gaps.filter((g) => !g.filled);
      expect(unfilled.map((g) => g.raw)).toEqual([]);
      expect(filled.length).toBeGreaterThanOrEqual(drops);
      expect(filled.reduce((n, g) => n + (g.count ?? 0), 0)).toBeGreaterThanOrEqual(player.missed);
      expect(app.stderr).not.toContain('fake-key-0123456789abcdef');
    },
    GAPFREE_DURATION_S * 1000 + 180_000,
  );
});
