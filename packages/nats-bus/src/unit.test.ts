import { describe, expect, it } from 'vitest';
import { desiredStreamConfig, diffStreamConfig, JetStreamPublisher, subjectMatches } from './index.js';

describe('subjectMatches', () => {
  it('handles exact subjects, * and >', () => {
    expect(subjectMatches('market.futures.trades', 'market.futures.trades')).toBe(true);
    expect(subjectMatches('market.*.trades', 'market.stocks.trades')).toBe(true);
    expect(subjectMatches('market.*.trades', 'market.stocks.quotes')).toBe(false);
    expect(subjectMatches('market.>', 'market.futures.mbp10')).toBe(true);
    expect(subjectMatches('market.>', 'market')).toBe(false);
    expect(subjectMatches('market.futures', 'market.futures.trades')).toBe(false);
    expect(subjectMatches('market.futures.trades.x', 'market.futures.trades')).toBe(false);
  });
});

describe('stream config diff', () => {
  it('reports only the fields ensureStream sets; subject order does not matter', () => {
    const want = desiredStreamConfig({ subjects: ['a.>', 'b.>'] });
    expect(diffStreamConfig(want, { ...want, subjects: ['b.>', 'a.>'], max_msgs: 10 })).toEqual([]);
    expect(diffStreamConfig(want, { ...want, num_replicas: 3, max_age: 1 })).toEqual([
      { field: 'max_age', expected: 86_400_000_000_000, actual: 1 },
      { field: 'num_replicas', expected: 1, actual: 3 },
    ]);
  });
});

describe('JetStreamPublisher options', () => {
  it('rejects a bad mode or window before touching the connection', () => {
    const nc = {} as never;
    expect(() => new JetStreamPublisher(nc, { mode: 'fast' as never })).toThrow(/mode/);
    expect(() => new JetStreamPublisher(nc, { window: 0 })).toThrow(/window/);
  });
});
