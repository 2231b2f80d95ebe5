import { describe, expect, it } from 'vitest';
import { STREAM_NAME, STREAM_SUBJECTS } from '@md/event-types';
import {
  BusConnectError,
  ConsumeDecodeError,
  desiredStreamConfig,
  diffStreamConfig,
  JetStreamPublisher,
  JetStreamUnavailableError,
  MessageLookupError,
  NatsBusError,
  PublishError,
  StreamConfigMismatchError,
  subjectMatches,
} from './index.js';
import { NatsServerNotInstalledError, NatsServerStartError } from './testing.js';

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

describe('entries', () => {
  it("the local nats-server helpers (and the fault tests' seeded PRNG) are on the testing entry only, not the main one", async () => {
    const main: Record<string, unknown> = await import('./index.js');
    const testing: Record<string, unknown> = await import('./testing.js');
    expect(Object.keys(testing).sort()).toEqual([
      'NatsServerNotInstalledError',
      'NatsServerStartError',
      'findFreePort',
      'parseServerUrls',
      'rng',
      'startNatsCluster',
      'startNatsServer',
      'waitForJetStream',
    ]);
    for (const k of Object.keys(testing)) expect(main[k], k).toBeUndefined();
  });

  it("the stream name and subjects are the contract's (@md/event-types), defined nowhere else", async () => {
    expect(desiredStreamConfig()).toMatchObject({ name: STREAM_NAME, subjects: [...STREAM_SUBJECTS] });
    const main: Record<string, unknown> = await import('./index.js');
    expect(main.DEFAULT_STREAM_NAME).toBeUndefined();
    expect(main.DEFAULT_STREAM_SUBJECTS).toBeUndefined();
  });

  it('every error of the package is a NatsBusError', () => {
    const errors = [
      new BusConnectError('x', 'other'),
      new ConsumeDecodeError('x', 's', 1),
      new JetStreamUnavailableError('x'),
      new MessageLookupError('x', 'S', 's'),
      new PublishError('x', 1),
      new StreamConfigMismatchError('S', []),
      new NatsServerNotInstalledError('nats-server'),
      new NatsServerStartError('x'),
    ];
    for (const e of errors) {
      expect(e).toBeInstanceOf(NatsBusError);
      expect(e.name).toBe(e.constructor.name);
    }
  });
});
