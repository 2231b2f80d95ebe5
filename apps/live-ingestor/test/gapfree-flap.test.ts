/**
 * Gap-free live, the vendor's connection limit: two instances WITHOUT --ha on one key against a vendor that
 * allows one connection per market (a second one gets `max_connections` and is closed). The one that is
 * refused must not flap: it waits --max-connections-cooldown between attempts, so over a window the vendor
 * sees at most one attempt per cooldown (plus the holder's one connection), and the holder is never kicked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { GAPFREE_SEED, subscribed, World } from './gapfree-helpers';

const COOLDOWN_S = 3;
const WINDOW_S = Number(process.env.GAPFREE_FLAP_WINDOW_S ?? 16);
let world: World | null = null;
afterAll(async () => world?.close());

describe('gap-free live: two instances without --ha on one key', () => {
  it(
    `do not reconnect faster than --max-connections-cooldown (${COOLDOWN_S} s) over ${WINDOW_S} s`,
    async () => {
      const w = (world = await World.start({
        tape: { seed: GAPFREE_SEED, durationMs: 1000, rate: 10 },
        vendor: { maxConnectionsPerMarket: 1 },
      }));
      const args = ['--max-connections-cooldown', String(COOLDOWN_S), '--no-backfill'];
      const a = w.spawn(args);
      await subscribed(w, 'the first instance to subscribe');
      const holder = w.vendor.live('stocks')[0];
      expect(holder).toBeDefined();
      const authsBefore = w.vendor.messages.filter((m) => m.action === 'auth').length;
      const start = Date.now();
      const b = w.spawn(args);
      await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
      const auths = w.vendor.messages.filter((m) => m.action === 'auth').slice(authsBefore);
      const times = auths.map((m) => m.at);
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      const maxAttempts = Math.floor(WINDOW_S / COOLDOWN_S) + 1;
      console.log(
        `RELIABILITY: scenario=flap window_s=${WINDOW_S} cooldown_s=${COOLDOWN_S} connects=${auths.length} (bound ${maxAttempts}) ` +
          `min_interval_ms=${gaps.length ? Math.min(...gaps) : '-'} holder_kept=${holder?.ws.readyState === 1}`,
      );
      expect(a.exited, a.stderr.slice(-2000)).toBeUndefined();
      expect(b.exited, b.stderr.slice(-2000)).toBeUndefined();
      // the refused instance tried again (it waits, it does not give up), but at most once per cooldown
      expect(auths.length).toBeGreaterThanOrEqual(2);
      expect(auths.length).toBeLessThanOrEqual(maxAttempts);
      for (const g of gaps) expect(g, `attempts ${g} ms apart`).toBeGreaterThanOrEqual(COOLDOWN_S * 1000 * 0.95);
      // the first instance kept its one connection all along
      expect(holder?.ws.readyState).toBe(1);
      expect(w.vendor.live('stocks')).toEqual([holder]);
      expect(b.stderr).toMatch(/MAX_CONNECTIONS/);
      expect(a.stderr).not.toMatch(/MAX_CONNECTIONS/);
      expect(Date.now() - start).toBeGreaterThanOrEqual(WINDOW_S * 1000);
      const codes = await w.stopApps();
      expect(codes).toEqual([0, 0]);
    },
    WINDOW_S * 1000 + 60_000,
  );
});
