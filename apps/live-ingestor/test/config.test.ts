import { describe, expect, it } from 'vitest';
import { ConfigError, makeRedactor, parseConfig, sourceForUrl, type LiveConfig } from '../src/config';

const cfg = (argv: string[], env: Record<string, string> = { POLYGON_API_KEY: 'k-123456' }) => parseConfig(argv, env) as LiveConfig;

describe('config', () => {
  it('defaults: real-time Massive hosts, SPY, 3 strikes, massive_ws', () => {
    const c = cfg([]);
    expect([c.stocksUrl, c.optionsUrl, c.stocksSource, c.underlying, c.strikeRange, c.strikeIncrement, c.sink]).toEqual([
      'wss://socket.massive.com/stocks', 'wss://socket.massive.com/options', 'massive_ws', 'SPY', 3, 1, 'nats',
    ]);
  });
  it('delayed feed, legacy Polygon host names -> polygon_ws', () => {
    const c = cfg(['--feed', 'delayed', '--vendor', 'polygon']);
    expect([c.stocksUrl, c.optionsUrl, c.stocksSource, c.optionsSource]).toEqual([
      'wss://delayed.polygon.io/stocks', 'wss://delayed.polygon.io/options', 'polygon_ws', 'polygon_ws',
    ]);
    expect(sourceForUrl('wss://socket.polygon.io/stocks')).toBe('polygon_ws');
    const h = cfg(['--host', 'business.polygon.io']);
    expect([h.stocksUrl, h.optionsSource]).toEqual(['wss://business.polygon.io/stocks', 'polygon_ws']);
    expect(sourceForUrl('ws://127.0.0.1:9/stocks')).toBe('massive_ws');
  });
  it('env sets, flags override; MASSIVE_API_KEY accepted', () => {
    const env = { MASSIVE_API_KEY: 'm-123456', LIVE_UNDERLYING: 'qqq', LIVE_STRIKE_RANGE: '5', POLYGON_STOCKS_WS_URL: 'ws://h:1/stocks' };
    const a = cfg([], env);
    expect([a.apiKey, a.underlying, a.strikeRange, a.stocksUrl]).toEqual(['m-123456', 'QQQ', 5, 'ws://h:1/stocks']);
    const b = cfg(['--underlying', 'IWM', '--strike-range', '2', '--stocks-url', 'wss://x/stocks', '--source', 'polygon_ws'], env);
    expect([b.underlying, b.strikeRange, b.stocksUrl, b.stocksSource]).toEqual(['IWM', 2, 'wss://x/stocks', 'polygon_ws']);
  });
  it('refuses bad values with a clear message', () => {
    expect(() => parseConfig([], {})).toThrow(/no API key/);
    expect(() => cfg(['--strike-range', '-1'])).toThrow(ConfigError);
    expect(() => cfg(['--stocks-url', 'http://x'])).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => cfg(['--sink', 'kafka'])).toThrow(/--sink must be one of nats, stdout/);
    expect(() => cfg(['--nope'])).toThrow(/Unknown option/);
    expect(() => cfg(['--sessions', 'options'])).toThrow(/--initial-price/);
    expect(cfg(['--sessions', 'options', '--initial-price', '676']).sessions).toEqual({ stocks: false, options: true });
    expect(parseConfig(['--help'], {})).toBe('help');
  });
  it('redactor hides the key everywhere', () => {
    const r = makeRedactor(['abcdef123']);
    expect(r('key abcdef123 and again abcdef123.')).toBe('key *** and again ***.');
  });
});

describe('TLS', () => {
  it('nothing in the app turns certificate verification off', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../src/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      expect(text, f).not.toMatch(/rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity/);
    }
  });
});
