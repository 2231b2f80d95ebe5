/**
 * Gap-free live, scenario (b): the ingestor SIGKILLed in the middle of the feed and started again 5 s later.
 * The second run takes its resume point from the stream (the last stored event of each live subject) and
 * backfills from REST what the vendor published while no process was up, then goes on live: the stream
 * holds exactly the tape (every id once), and the restart's gaps are announced as filled.
 *
 * GAPFREE_RESTART_S (default 20): the tape's length; GAPFREE_RATE (default 5000) events/s.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { describeMissing, GAPFREE_RATE, GAPFREE_SEED, reliabilityLine, subscribed, until, World } from './gapfree-helpers';

const DURATION_S = Number(process.env.GAPFREE_RESTART_S ?? 20);
let world: World | null = null;
afterAll(async () => world?.close());

describe('gap-free live (b): SIGKILL mid-feed, restart 5 s later', () => {
  it(
    `${DURATION_S} s at ${GAPFREE_RATE} events/s: the stream holds exactly the tape`,
    async () => {
      const w = (world = await World.start({ tape: { seed: GAPFREE_SEED, durationMs: DURATION_S * 1000, rate: GAPFREE_RATE } }));
      const first = w.spawn();
      await subscribed(w, 'the first run to subscribe');
      const player = w.play();
      const t0 = Number(w.tape.firstNs / 1_000_000n);
      // kill it a third into the tape, once it has stored something
      await until(() => Date.now() >= t0 + (DURATION_S * 1000) / 3, DURATION_S * 1000, 'a third of the tape');
      await until(async () => (await w.bus.count()) > 0, 10_000, 'the first run to store events');
      first.proc.kill('SIGKILL');
      expect(await first.exit).toBeNull();
      const killedAt = Date.now();
      await new Promise((r) => setTimeout(r, 5000));
      const second = w.spawn();
      await subscribed(w, 'the second run to subscribe');
      const downMs = Date.now() - killedAt;
      await player.done;
      expect(player.missed, 'the fake vendor had events nobody was subscribed to (the restart)').toBeGreaterThan(0);
      const c = await w.settle(60_000);
      const [code] = (await w.stopApps()).slice(1);
      expect(code).toBe(0);
      const rest = w.restStats();
      console.log(reliabilityLine('b', c, rest, { down_ms: downMs, missed_live: player.missed }));
      expect(c.missing.length, describeMissing(w.expected, c.missing)).toBe(0);
      expect(c.duplicates).toBe(0);
      expect(c.extra.length, `ids not on the tape: ${c.extra.slice(0, 5).join(', ')}`).toBe(0);
      expect(c.stored).toBe(c.tape);
      expect(rest.requests).toBeGreaterThan(0);
      // the restart is announced, and filled
      const restart = w.gaps.filter((g) => g.filled && (g.count ?? 0) > 0);
      expect(
        restart.length,
        `gap announcements: ${JSON.stringify(
          w.gaps.map((g) => g.raw),
          (_, v) => (typeof v === 'bigint' ? String(v) : v),
        )}`,
      ).toBeGreaterThan(0);
      expect(w.gaps.filter((g) => !g.filled)).toEqual([]);
      expect(second.stderr).not.toContain('fake-key-0123456789abcdef');
    },
    DURATION_S * 1000 + 150_000,
  );
});
