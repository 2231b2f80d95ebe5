import { afterEach, describe, expect, it, vi } from 'vitest';
import { Histogram, mergeBatchesByKey, pace, paceBatches, ReplayClock } from '@md/stream-merge';
import { rng } from '@md/test-support';
import { at as nth } from './helpers';

const S = 1_000_000_000n; // 1 s in ns
const T0 = 1_702_900_800_000_000_000n;
const at = (sec: number): bigint => T0 + BigInt(Math.round(sec * 1e6)) * 1000n;
const id = (x: bigint): bigint => x;

/** Consume `it` in the background, recording (wall ms, item) for every release. */
function drain<T>(it: AsyncIterable<T>, now: () => number) {
  const got: Array<[number, T]> = [];
  const done = (async () => {
    for await (const x of it) got.push([now(), x]);
  })();
  return { got, done };
}

describe('ReplayClock (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const fake = () => {
    vi.useFakeTimers({ now: 0 });
    return () => Date.now();
  };

  it('speed 1 releases each event at t0 + (ts - ts0)', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    const { got, done } = drain(pace([at(0), at(0.25), at(1), at(1), at(3.5)], clock, id), now);
    await vi.advanceTimersByTimeAsync(4000);
    await done;
    expect(got.map(([t]) => t)).toEqual([0, 250, 1000, 1000, 3500]);
    expect(clock.stats().lateness.max).toBe(0);
  });

  it('speed 4 runs four times as fast', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 4, now, precisionMs: 0 });
    const { got, done } = drain(pace([at(0), at(1), at(2), at(10)], clock, id), now);
    await vi.advanceTimersByTimeAsync(3000);
    await done;
    expect(got.map(([t]) => t)).toEqual([0, 250, 500, 2500]);
  });

  it('caps a long idle gap to maxGapMs of wall time and re-anchors after it', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, maxGapMs: 5000, now, precisionMs: 0 });
    const ts = [at(0), at(1), at(3601), at(3602), at(3610)]; // an hour of nothing, then a 8 s gap (>5 s too)
    const { got, done } = drain(pace(ts, clock, id), now);
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    expect(got.map(([t]) => t)).toEqual([0, 1000, 6000, 7000, 12000]);
    const st = clock.stats();
    expect(st.gapsCapped).toBe(2);
    expect(st.gapSkippedMs).toBe(3600_000 - 5000 + 8000 - 5000);
  });

  it('the gap cap is in wall time: at speed 10 a 40 s gap is 4 s of wall time, not capped', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 10, maxGapMs: 5000, now, precisionMs: 0 });
    const { got, done } = drain(pace([at(0), at(40), at(140)], clock, id), now);
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    expect(got.map(([t]) => t)).toEqual([0, 4000, 9000]); // 100 s gap = 10 s wall -> capped to 5 s
  });

  it('pause holds releases; resume shifts the schedule by the paused time', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    const { got, done } = drain(pace([at(0), at(1), at(2), at(3)], clock, id), now);
    await vi.advanceTimersByTimeAsync(1500);
    expect(got).toHaveLength(2);
    clock.pause();
    expect(clock.paused).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(got).toHaveLength(2); // nothing while paused, although event 2 was due at 2000
    clock.resume();
    await vi.advanceTimersByTimeAsync(5000);
    await done;
    expect(got.map(([t]) => t)).toEqual([0, 1000, 12000, 13000]);
    expect(clock.stats().pausedMs).toBe(10_000);
    expect(clock.stats().lateness.max).toBe(0);
  });

  it('pause before the first event holds it too', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 0, now, precisionMs: 0 });
    clock.pause();
    const { got, done } = drain(pace([at(0), at(1)], clock, id), now);
    await vi.advanceTimersByTimeAsync(1000);
    expect(got).toHaveLength(0);
    clock.resume();
    await vi.advanceTimersByTimeAsync(0);
    await done;
    expect(got).toHaveLength(2);
  });

  it('setSpeed while running re-anchors at the current event-time position', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    const ts = Array.from({ length: 11 }, (_, i) => at(i));
    const { got, done } = drain(pace(ts, clock, id), now);
    await vi.advanceTimersByTimeAsync(2500);
    expect(got).toHaveLength(3);
    clock.setSpeed(5); // position 2.5 s; event 3 is 0.5 s of event time away = 100 ms
    await vi.advanceTimersByTimeAsync(2000);
    await done;
    expect(got.map(([t]) => t)).toEqual([0, 1000, 2000, 2600, 2800, 3000, 3200, 3400, 3600, 3800, 4000]);
  });

  it('setSpeed(0) releases what is pending at once; a later speed re-anchors on the next event', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    const ts = [at(0), at(100), at(200), at(300)];
    let n = 0;
    const got: number[] = [];
    const done = (async () => {
      for await (const _ of pace(ts, clock, id)) {
        got.push(now());
        if (++n === 2) clock.setSpeed(1); // back to pacing after event 2 (at 100 s)
      }
    })();
    await vi.advanceTimersByTimeAsync(10);
    clock.setSpeed(0);
    await vi.advanceTimersByTimeAsync(0);
    // event 2 released at once by speed 0; the consumer then sets speed 1, which re-anchors on event 3
    // (released at once, as the new anchor); event 4 is 100 s later (capped to 5 s)
    expect(got).toEqual([0, 10, 10]);
    await vi.advanceTimersByTimeAsync(6000);
    await done;
    expect(got).toEqual([0, 10, 10, 5010]);
  });

  it('paceBatches releases everything due together and splits a batch where the next item is not due', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    const b1 = [at(0), at(0), at(0.0001), at(1), at(1)];
    const b2 = [at(1), at(2)];
    const { got, done } = drain(paceBatches([b1, [], b2], clock, id), now);
    await vi.advanceTimersByTimeAsync(3000);
    await done;
    expect(got.map(([t, b]) => [t, b.length])).toEqual([
      [0, 2],
      [1, 1], // 0.1 ms later: its own wait (the fake clock has 1 ms steps)
      [1000, 2],
      [1000, 1],
      [2000, 1],
    ]);
    expect(clock.stats().releases).toBe(7);
  });

  it('waitFor resolves when due', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 2, now, precisionMs: 0 });
    await clock.waitFor(at(10));
    let resolved = false;
    const p = clock.waitFor(at(12)).then(() => (resolved = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await p;
    expect(resolved).toBe(true);
    expect(clock.anchor).toEqual({ wallMs: 0, tsNs: at(10) });
  });

  it('no drift over many events: 100,000 events at 10 kHz finish exactly on schedule', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    async function* src() {
      for (let i = 0; i < 100_000; i++) yield T0 + BigInt(i) * 100_000n; // every 0.1 ms, 10 s in all
    }
    let last = 0;
    let n = 0;
    const done = (async () => {
      for await (const b of paceBatches(
        (async function* () {
          let batch: bigint[] = [];
          for await (const t of src()) {
            batch.push(t);
            if (batch.length === 512) {
              yield batch;
              batch = [];
            }
          }
          if (batch.length) yield batch;
        })(),
        clock,
        id,
      )) {
        n += b.length;
        last = now();
      }
    })();
    await vi.advanceTimersByTimeAsync(11_000);
    await done;
    expect(n).toBe(100_000);
    expect(last).toBe(10_000); // 99,999 * 0.1 ms = 9999.9 ms -> released at the 10,000 ms tick
  });

  it('an AbortSignal ends a wait (untilDue -> false), a waitFor, and a paced stream, also while paused', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    await clock.waitFor(at(0));
    const ac = new AbortController();
    const w = clock.waitFor(at(3600), ac.signal);
    await vi.advanceTimersByTimeAsync(100);
    ac.abort();
    expect(await w).toBe(false);
    expect(clock.stats().releases).toBe(1);

    const clock2 = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    const ac2 = new AbortController();
    const { got, done } = drain(paceBatches([[at(0), at(0.5), at(1)], [at(2)]], clock2, id, { signal: ac2.signal }), now);
    await vi.advanceTimersByTimeAsync(600);
    expect(got.map(([, b]) => b.length)).toEqual([1, 1]);
    clock2.pause();
    ac2.abort();
    await vi.advanceTimersByTimeAsync(0);
    await done; // ended although paused and not due
    expect(got).toHaveLength(2);
    clock2.resume();
    expect(await clock2.untilDue(at(5), AbortSignal.abort())).toBe(false);
  });

  it('merge -> paceBatches: three inputs with a reorder window come out in order, each at its time', async () => {
    const now = fake();
    const clock = new ReplayClock({ speed: 1, now, precisionMs: 0 });
    const ms = (x: number) => at(x / 1000);
    const trades = [[ms(0), ms(40)], [ms(90)]];
    const options = [[ms(40)]];
    const mbp = [
      [ms(10), ms(30), ms(20) /* steps back 10 ms */, ms(50)],
      [ms(90), ms(100)],
    ];
    const merged = mergeBatchesByKey<bigint>([trades, options, mbp], { key: id, reorderWindowNs: 10_000_000n });
    const { got, done } = drain(paceBatches(merged, clock, id), now);
    await vi.advanceTimersByTimeAsync(200);
    await done;
    const flat = got.flatMap(([t, b]) => b.map((x) => [t, Number((x - T0) / 1_000_000n)]));
    expect(flat).toEqual([
      [0, 0],
      [10, 10],
      [20, 20],
      [30, 30],
      [40, 40],
      [40, 40],
      [50, 50],
      [90, 90],
      [90, 90],
      [100, 100],
    ]);
    expect(merged.stats.late).toBe(0);
    expect(clock.stats().lateness.max).toBe(0);
  });

  it('rejects bad options with the value named', () => {
    expect(() => new ReplayClock({ speed: -1 })).toThrow(/speed must be a finite number >= 0.*got -1/);
    expect(() => new ReplayClock({ speed: NaN })).toThrow(/speed/);
    expect(() => new ReplayClock({ speed: 1, maxGapMs: -5 })).toThrow(/maxGapMs/);
    expect(() => new ReplayClock({ speed: 1 }).setSpeed(-2)).toThrow(/setSpeed: speed must be/);
  });
});

describe('ReplayClock (real timers)', () => {
  it('speed 0 never waits: 20,000 events an hour apart go straight through', async () => {
    const clock = new ReplayClock({ speed: 0 });
    const ts = Array.from({ length: 20_000 }, (_, i) => T0 + BigInt(i) * 3600n * S);
    const t = performance.now();
    let n = 0;
    for await (const _ of pace(ts, clock, id)) n++;
    const batches: bigint[][] = [ts.slice(0, 10_000), ts.slice(10_000)];
    const out: bigint[][] = [];
    for await (const b of paceBatches(batches, clock, id)) out.push(b);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(n).toBe(20_000);
    expect(out[0]).toBe(batches[0]); // passed through unchanged
    expect(clock.stats()).toMatchObject({ releases: 40_000, paced: 0 });
  });

  async function paced(speed: number, seconds: number, n: number) {
    const clock = new ReplayClock({ speed });
    const ts = Array.from({ length: n }, (_, i) => at((i * seconds) / (n - 1)));
    const lateness: number[] = [];
    const t = performance.now();
    for await (const x of pace(ts, clock, id)) {
      const a = clock.anchor!;
      lateness.push(performance.now() - (a.wallMs + Number(x - a.tsNs) / 1e6 / speed));
    }
    return { elapsed: performance.now() - t, lateness, clock };
  }

  it('speed 1 over 1 s of event time takes ~1 s of wall time, never early', async () => {
    const { elapsed, lateness } = await paced(1, 1, 201);
    expect(elapsed).toBeGreaterThanOrEqual(999);
    expect(elapsed).toBeLessThan(1400); // generous: the machine is shared
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
  });

  it('speed 2 halves it', async () => {
    const { elapsed, lateness } = await paced(2, 1, 201);
    expect(elapsed).toBeGreaterThanOrEqual(499);
    expect(elapsed).toBeLessThan(850);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
  });

  it('no drift: 2,250 bursty events over ~1 s with 0.05 ms of work each end on schedule', async () => {
    const r = rng(7);
    const ts: bigint[] = [];
    let t = 0;
    for (let i = 0; i < 2250; i++) {
      t += r() < 0.1 ? r() * 8e-3 : r() * 1e-4; // mostly 0-100 µs apart, sometimes up to 8 ms
      ts.push(at(t));
    }
    const span = t * 1000;
    const clock = new ReplayClock({ speed: 1 });
    const t0 = performance.now();
    const late: number[] = [];
    for await (const x of pace(ts, clock, id)) {
      const a = clock.anchor!;
      late.push(performance.now() - (a.wallMs + Number(x - a.tsNs) / 1e6));
      const until = performance.now() + 0.05;
      while (performance.now() < until); // work
    }
    const elapsed = performance.now() - t0;
    // one sleep per event (>= 1 ms each with timers: > 2.2 s) would end far behind; anchored pacing ends on time
    // (the bounds leave room for a busy shared machine)
    expect(elapsed).toBeGreaterThanOrEqual(span - 1);
    expect(elapsed).toBeLessThan(span + 500);
    const tail = late.slice(-500);
    expect(Math.max(...tail)).toBeLessThan(250);
  });
});

describe('ReplayClock fine wait modes (real timers)', () => {
  /** Pace a dense stream (an event every 50 µs for 400 ms) while a setImmediate chain measures event-loop turns. */
  async function dense(fineWait: 'block' | 'poll') {
    const clock = new ReplayClock({ speed: 1, fineWait });
    const ts = Array.from({ length: 8000 }, (_, i) => at(i * 5e-5));
    let turns = 0;
    let running = true;
    const tick = () => {
      turns++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const late: number[] = [];
    const t0 = performance.now();
    for await (const x of pace(ts, clock, id)) {
      const a = clock.anchor!;
      late.push(performance.now() - (a.wallMs + Number(x - a.tsNs) / 1e6));
    }
    running = false;
    return { elapsed: performance.now() - t0, turns, late };
  }

  it.each(['block', 'poll'] as const)("fineWait '%s': on schedule, never early, and the event loop keeps turning", async (mode) => {
    const { elapsed, turns, late } = await dense(mode);
    expect(elapsed).toBeGreaterThanOrEqual(399);
    expect(elapsed).toBeLessThan(800);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(0);
    // every wait here is shorter than precisionMs: 'block' sleeps in Atomics.wait, but yields a turn at least every
    // 2 ms (without that, pacing an array would never let the loop turn: ~0 turns in 400 ms)
    expect(turns).toBeGreaterThan(40);
  });

  it('rejects an unknown fineWait', () => {
    expect(() => new ReplayClock({ speed: 1, fineWait: 'spin' as never })).toThrow(/fineWait must be 'poll' or 'block', got spin/);
  });
});

describe('Histogram', () => {
  it('quantiles within ~1% of the exact ones; exact max and mean', () => {
    const r = rng(3);
    const h = new Histogram();
    const xs: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const x = r() < 0.01 ? 5 + r() * 50 : r() * 2;
      xs.push(x);
      h.add(x);
    }
    xs.sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = nth(xs, Math.ceil(q * xs.length) - 1);
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThan(0.011);
    }
    expect(h.max).toBe(xs[xs.length - 1]);
    expect(h.summary().mean).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 9);
    expect(new Histogram().summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});
