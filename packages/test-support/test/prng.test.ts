import { describe, expect, it } from 'vitest';
import { CountingSink, MemorySink, Rng, rng, until } from '@md/test-support';

describe('rng', () => {
  it('is mulberry32: the known first outputs for seed 1, and the same sequence for the same seed', () => {
    const r = rng(1);
    const first = [r(), r(), r()];
    // mulberry32(1): 0.6270739405881613, 0.002735721180215478, 0.5274470399599522
    expect(first).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    const again = rng(1);
    expect([again(), again(), again()]).toEqual(first);
    expect(rng(2)()).not.toBe(first[0]);
  });

  it('Rng follows the same sequence and keeps int() inside its bounds', () => {
    const a = new Rng(42);
    const f = rng(42);
    expect(a.next()).toBe(f());
    for (let i = 0; i < 10_000; i++) {
      const x = a.int(-3, 5);
      expect(Number.isInteger(x) && x >= -3 && x <= 5).toBe(true);
    }
    expect(a.u64() >= 0n && a.u64() < 1n << 64n).toBe(true);
    expect(() => a.pick([])).toThrow(/empty/);
  });
});

describe('fake sinks', () => {
  it('MemorySink keeps events in order and reports them confirmed; CountingSink counts', async () => {
    const m = new MemorySink();
    const c = new CountingSink();
    for (let i = 0; i < 3; i++) {
      const p = { subject: 'market.futures.trades', event: { i }, msgId: `m${i}` } as never;
      await m.publish(p);
      await c.publish(p);
    }
    expect(m.events.map((e) => e.msgId)).toEqual(['m0', 'm1', 'm2']);
    expect(m.stats).toMatchObject({ published: 3, acked: 3, failed: 0, pending: 0 });
    expect(c.stats.acked).toBe(3);
  });

  it('until resolves when the condition holds and names what it waited for when it does not', async () => {
    let n = 0;
    await until(() => ++n > 2, 1000);
    expect(n).toBe(3);
    await expect(until(() => false, 50, 'nothing')).rejects.toThrow(/waiting for nothing/);
  });
});
