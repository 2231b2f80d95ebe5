import { describe, expect, it } from 'vitest';
import { BoundedQueue, nyDate, StrikeManager } from '@md/polygon-normalizer';

const T = (k: string) => [`T.O:SPY251216${k}`, `Q.O:SPY251216${k}`];

describe('nyDate', () => {
  it('is the calendar date in New York (EST and EDT)', () => {
    expect(nyDate(new Date('2025-12-16T15:15:00Z'))).toBe('2025-12-16');
    expect(nyDate(new Date('2025-12-17T04:59:59Z'))).toBe('2025-12-16'); // 23:59:59 EST
    expect(nyDate(new Date('2025-12-17T05:00:00Z'))).toBe('2025-12-17');
    expect(nyDate(new Date('2025-07-01T03:59:59Z'))).toBe('2025-06-30'); // 23:59:59 EDT
    expect(nyDate(new Date('2025-07-01T04:00:00Z'))).toBe('2025-07-01');
  });
});

describe('StrikeManager', () => {
  it('first price: ATM +- N strikes, calls and puts, T and Q', () => {
    const m = new StrikeManager({ root: 'SPY', expDate: '2025-12-16', range: 1 });
    expect(m.items()).toEqual([]);
    const d = m.onUnderlyingPrice(676.4)!;
    expect(d.unsubscribe).toEqual([]);
    expect(d.subscribe).toEqual([
      ...T('C00675000'),
      ...T('P00675000'),
      ...T('C00676000'),
      ...T('P00676000'),
      ...T('C00677000'),
      ...T('P00677000'),
    ]);
    expect(m.atm).toBe(676);
    expect(m.strikes()).toEqual([675, 676, 677]);
    expect(m.items()).toEqual(d.subscribe);
  });

  it('re-centres only on a move >= 0.50 from the last centre, sending the difference', () => {
    const m = new StrikeManager({ root: 'SPY', expDate: '2025-12-16', range: 3 });
    m.onUnderlyingPrice(676.4);
    expect(m.items()).toHaveLength(7 * 2 * 2);
    expect(m.onUnderlyingPrice(676.89)).toBeNull(); // 0.49
    expect(m.onUnderlyingPrice(675.91)).toBeNull();
    const d = m.onUnderlyingPrice(676.9)!; // exactly 0.50 (despite 676.9 - 676.4 = 0.4999999999999)
    expect(m.centre).toBe(676.9);
    expect(m.atm).toBe(677);
    expect(d).toEqual({ subscribe: [...T('C00680000'), ...T('P00680000')], unsubscribe: [...T('C00673000'), ...T('P00673000')] });
    // a re-centre that keeps the same ATM strike sends nothing
    expect(m.onUnderlyingPrice(677.4)).toEqual({ subscribe: [], unsubscribe: [] });
    // a big jump replaces everything
    const j = m.onUnderlyingPrice(690)!;
    expect(j.unsubscribe).toHaveLength(28);
    expect(j.subscribe).toHaveLength(28);
  });

  it('focus strike keeps its -1..+2 range; increment configurable', () => {
    const m = new StrikeManager({ root: 'SPY', expDate: '2025-12-16', range: 1, focusStrike: 670, channels: ['T'] });
    m.onUnderlyingPrice(676.2);
    expect(m.strikes()).toEqual([669, 670, 671, 672, 675, 676, 677]);
    const d = m.setFocus(null);
    expect(d.subscribe).toEqual([]);
    expect(d.unsubscribe).toEqual([
      'T.O:SPY251216C00669000',
      'T.O:SPY251216P00669000',
      'T.O:SPY251216C00670000',
      'T.O:SPY251216P00670000',
      'T.O:SPY251216C00671000',
      'T.O:SPY251216P00671000',
      'T.O:SPY251216C00672000',
      'T.O:SPY251216P00672000',
    ]);
    const h = new StrikeManager({ root: 'SPX', expDate: '2025-12-16', range: 1, increment: 2.5, channels: ['T'] });
    h.onUnderlyingPrice(6801.3);
    expect(h.strikes()).toEqual([6800, 6802.5, 6805]); // 6801.3 is nearest 6802.5
    expect(h.items()[0]).toBe('T.O:SPX251216C06800000');
  });

  it('expiry roll replaces every contract', () => {
    const m = new StrikeManager({ root: 'SPY', expDate: '2025-12-16', range: 0 });
    m.onUnderlyingPrice(676);
    const d = m.setExpiry('2025-12-17');
    expect(d.unsubscribe).toEqual(T('C00676000').concat(T('P00676000')));
    expect(d.subscribe).toEqual(['T.O:SPY251217C00676000', 'Q.O:SPY251217C00676000', 'T.O:SPY251217P00676000', 'Q.O:SPY251217P00676000']);
    expect(m.setExpiry('2025-12-17')).toEqual({ subscribe: [], unsubscribe: [] });
  });

  it('validates its options', () => {
    expect(() => new StrikeManager({ root: 'SPY', expDate: '2025-13-01' })).toThrow(/month/);
    expect(() => new StrikeManager({ root: 'SPY', expDate: '2025-12-16', increment: 0 })).toThrow(/increment/);
    expect(() => new StrikeManager({ root: 'SPY', expDate: '2025-12-16', range: -1 })).toThrow(/range/);
  });
});

describe('BoundedQueue', () => {
  it('drop-newest refuses when full and counts', () => {
    const q = new BoundedQueue<number>(2, 'drop-newest');
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, false]);
    expect([q.dropped, q.length, q.highWater, q.enqueued]).toEqual([1, 2, 2, 2]);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([1, 2, undefined]);
  });
  it('drop-oldest evicts and keeps the newest; ring wraps', () => {
    const q = new BoundedQueue<number>(3, 'drop-oldest');
    for (let i = 1; i <= 7; i++) q.push(i);
    expect(q.dropped).toBe(4);
    expect([q.shift(), q.shift()]).toEqual([5, 6]);
    q.push(8);
    q.push(9);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([7, 8, 9, undefined]);
  });
  it('wait() wakes on push and resolves false once closed and drained', async () => {
    const q = new BoundedQueue<string>(4);
    const w = q.wait();
    q.push('a');
    expect(await w).toBe(true);
    expect(q.shift()).toBe('a');
    const w2 = q.wait();
    q.close();
    expect(await w2).toBe(false);
    expect(q.push('b')).toBe(false);
  });
});
