import { describe, expect, it } from 'vitest';
import { defaultOptionRoot, LIVE_DEFAULTS, LIVE_HOSTS, liveConfig, LiveConfigError, REST_URLS, sourceForUrl } from '@md/live-engine';

describe('liveConfig: LIVE_DEFAULTS under the options, derived fields filled in', () => {
  it('only a key: real-time Massive hosts, massive_ws, SPY, both sessions, the CLI timings', () => {
    const c = liveConfig({ apiKey: 'k' });
    expect(c).toEqual({
      apiKey: 'k',
      stocksUrl: 'wss://socket.massive.com/stocks',
      optionsUrl: 'wss://socket.massive.com/options',
      stocksSource: 'massive_ws',
      optionsSource: 'massive_ws',
      sessions: { stocks: true, options: true },
      underlying: 'SPY',
      optionRoot: 'SPY',
      strikeRange: 3,
      strikeIncrement: 1,
      recentreThreshold: 0.5,
      focusStrike: null,
      expiry: null,
      initialPrice: null,
      idleTimeoutMs: 60_000,
      pingIntervalMs: 20_000,
      stepTimeoutMs: 10_000,
      maxPayload: 8 * 1024 * 1024,
      queueSize: 100_000,
      dropPolicy: 'drop-newest',
      statsIntervalMs: 10_000,
      backoffInitialMs: 500,
      backoffMaxMs: 30_000,
      stableResetMs: 60_000,
      maxConnectionsCooldownMs: 60_000,
      shutdownTimeoutMs: 15_000,
      restUrl: 'https://api.massive.com',
      backfill: true,
      backfillMaxMs: 900_000,
      backfillOverlapMs: 1000,
      backfillDelayMs: 1000,
      restTimeoutMs: 10_000,
      restConcurrency: 2,
    });
    // every number of the result comes from LIVE_DEFAULTS (defined once)
    for (const [k, v] of Object.entries(LIVE_DEFAULTS)) if (k !== 'feed' && k !== 'vendor') expect(c[k as keyof typeof c], k).toEqual(v);
  });

  it('feed / vendor / host pick the URLs; the source follows the host; explicit URLs and sources win', () => {
    const d = liveConfig({ apiKey: 'k', feed: 'delayed', vendor: 'polygon' });
    expect([d.stocksUrl, d.optionsUrl, d.stocksSource, d.optionsSource]).toEqual([
      `wss://${LIVE_HOSTS.polygon.delayed}/stocks`,
      'wss://delayed.polygon.io/options',
      'polygon_ws',
      'polygon_ws',
    ]);
    expect(liveConfig({ apiKey: 'k', host: 'business.massive.com' }).optionsUrl).toBe('wss://business.massive.com/options');
    const u = liveConfig({ apiKey: 'k', stocksUrl: 'ws://127.0.0.1:9/stocks', optionsSource: 'polygon_ws' });
    expect([u.stocksUrl, u.stocksSource, u.optionsUrl, u.optionsSource]).toEqual([
      'ws://127.0.0.1:9/stocks',
      'massive_ws',
      'wss://socket.massive.com/options',
      'polygon_ws',
    ]);
    expect(sourceForUrl('wss://socket.polygon.io/stocks')).toBe('polygon_ws');
    expect(sourceForUrl('not a url')).toBe('massive_ws');
  });

  it('the REST URL follows the vendor (or a *.polygon.io WebSocket host) unless given; backfill numbers are checked', () => {
    expect(liveConfig({ apiKey: 'k', vendor: 'polygon' }).restUrl).toBe('https://api.polygon.io');
    expect(liveConfig({ apiKey: 'k', host: 'business.polygon.io' }).restUrl).toBe(REST_URLS.polygon);
    expect(liveConfig({ apiKey: 'k', host: 'business.massive.com' }).restUrl).toBe('https://api.massive.com');
    expect(liveConfig({ apiKey: 'k', restUrl: 'http://127.0.0.1:9' }).restUrl).toBe('http://127.0.0.1:9');
    expect(liveConfig({ apiKey: 'k', backfill: false, backfillMaxMs: 0 })).toMatchObject({ backfill: false, backfillMaxMs: 0 });
    expect(() => liveConfig({ apiKey: 'k', restConcurrency: 0 })).toThrow(/restConcurrency must be an integer >= 1, got 0/);
    expect(() => liveConfig({ apiKey: 'k', backfillOverlapMs: -1 })).toThrow(/backfillOverlapMs must be an integer >= 0/);
  });

  it('the option root follows the underlying unless given; undefined options keep the default', () => {
    expect(liveConfig({ apiKey: 'k', underlying: 'BRK.B' }).optionRoot).toBe('BRKB');
    expect(defaultOptionRoot('BRK.B')).toBe('BRKB');
    expect(liveConfig({ apiKey: 'k', underlying: 'SPX', optionRoot: 'SPXW' }).optionRoot).toBe('SPXW');
    expect(liveConfig({ apiKey: 'k', strikeRange: undefined, queueSize: 5 })).toMatchObject({ strikeRange: 3, queueSize: 5 });
  });

  it('refuses a missing key and no session (LiveConfigError); the defaults cannot be changed', () => {
    expect(() => liveConfig({ apiKey: '' })).toThrow(LiveConfigError);
    expect(() => liveConfig({ apiKey: 'k', sessions: { stocks: false, options: false } })).toThrow(/sessions/);
    expect(Object.isFrozen(LIVE_DEFAULTS) && Object.isFrozen(LIVE_DEFAULTS.sessions) && Object.isFrozen(LIVE_HOSTS.massive)).toBe(true);
    const c = liveConfig({ apiKey: 'k' });
    c.sessions.options = false; // the result is the caller's: LIVE_DEFAULTS stays as it is
    expect(LIVE_DEFAULTS.sessions.options).toBe(true);
  });
});
