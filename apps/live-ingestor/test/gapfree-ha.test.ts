/**
 * Gap-free live, scenario (c): two instances with --ha on one lease (NATS KV, --ha-ttl 2 s); the leader is
 * SIGKILLed twice (each killed one started again as a standby). A standby takes the lease, connects and
 * backfills from the stream's resume point: the stream holds exactly the tape; the failover time (kill ->
 * the new leader subscribed at the vendor) is measured against the target ttl + 2 s; the fake vendor never
 * sees more than one connection at a time.
 *
 * GAPFREE_HA_S (default 24): the tape's length; events/s GAPFREE_RATE / 2.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AppProcess } from './helpers';
import { describeMissing, diagnose, GAPFREE_RATE, GAPFREE_SEED, reliabilityLine, subscribed, until, World } from './gapfree-helpers';

const DURATION_S = Number(process.env.GAPFREE_HA_S ?? 24);
const RATE = Math.max(100, Math.round(GAPFREE_RATE / 2));
const TTL_S = 2;
/** two instances start (tsx, on the sources) before the tape does: 12 s was not enough on a loaded machine (GAPFREE_HA_START_MS) */
const START_IN_MS = Number(process.env.GAPFREE_HA_START_MS ?? 20_000);
let world: World | null = null;
afterAll(async () => world?.close());

const count = (s: string, re: RegExp) => s.match(re)?.length ?? 0;
/** an instance holds the lease when it logged more acquisitions than losses */
const leads = (a: AppProcess) => a.exited === undefined && count(a.stderr, /lease .*acquired/g) > count(a.stderr, /lease .*lost/g);

describe('gap-free live (c): hot standby on a NATS KV lease', () => {
  it(
    `two instances with --ha --ha-ttl ${TTL_S}, the leader SIGKILLed twice: exactly the tape, failover < ttl + 2 s, one vendor connection at a time`,
    async () => {
      const w = (world = await World.start({
        tape: { seed: GAPFREE_SEED + 4, durationMs: DURATION_S * 1000, rate: RATE, startInMs: START_IN_MS },
      }));
      const args = ['--ha', '--ha-ttl', String(TTL_S)];
      const a = w.spawn([...args, '--instance-id', 'ha-a']);
      await subscribed(w, 'the first leader');
      w.spawn([...args, '--instance-id', 'ha-b']);
      await until(() => /standby|lease/i.test(w.apps[1]?.stderr ?? ''), 20_000, 'the second instance to start as a standby');
      expect(leads(a)).toBe(true);
      const player = w.play();
      const t0 = Number(w.tape.firstNs / 1_000_000n);
      const failovers: number[] = [];
      for (const [k, frac] of [0.3, 0.65].entries()) {
        // the tape starts START_IN_MS after setup: wait until the point, plus a margin (not a fixed span from now)
        const at = t0 + DURATION_S * 1000 * frac;
        await until(() => Date.now() >= at, Math.max(0, at - Date.now()) + 10_000, `${frac * 100} % of the tape`);
        // under load a lease may be between holders at this instant (lost to a refresh timeout): wait for one
        await until(() => w.apps.some(leads), (TTL_S + 5) * 1000, 'an instance to lead').catch(() => {});
        const leader = w.apps.find(leads);
        expect(leader, `no instance leads: ${w.apps.map((x) => x.stderr.slice(-500)).join('\n---\n')}`).toBeDefined();
        const lastConn = w.vendor.connections.at(-1)?.id ?? 0;
        leader!.proc.kill('SIGKILL');
        const killedAt = Date.now();
        await leader!.exit;
        await w.vendor.waitFor(
          () => w.vendor.live('stocks').some((c) => c.id > lastConn && c.subs.size >= 2),
          (TTL_S + 10) * 1000,
          `a standby to take over after kill ${k + 1}`,
        );
        failovers.push(Date.now() - killedAt);
        // the killed one comes back as a standby
        w.spawn([...args, '--instance-id', `ha-${k === 0 ? 'a' : 'b'}${k + 2}`]);
      }
      await player.done;
      const c = await w.settle(60_000);
      const rest = w.restStats();
      console.log(
        reliabilityLine('c', c, rest, {
          failover_ms: failovers.join(','),
          max_concurrent: w.vendor.maxConcurrent.stocks ?? 0,
          vendor_connections: w.vendor.connections.length,
          missed_live: player.missed,
        }),
      );
      const codes = await w.stopApps();
      expect(codes.filter((x) => x === null)).toHaveLength(2); // the two SIGKILLed
      expect(codes.filter((x) => x !== null)).toEqual([0, 0]);
      expect(w.vendor.maxConcurrent.stocks).toBe(1);
      for (const f of failovers) expect(f, `failover ${f} ms`).toBeLessThan((TTL_S + 2) * 1000);
      expect(c.missing.length, `${describeMissing(w.expected, c.missing)}\n${await diagnose(w)}`).toBe(0);
      expect(c.duplicates).toBe(0);
      expect(c.extra.length).toBe(0);
      expect(c.stored).toBe(c.tape);
      expect(w.gaps.filter((g) => !g.filled).map((g) => g.raw)).toEqual([]);
    },
    DURATION_S * 1000 + 150_000,
  );
});
