import { describe, expect, it } from 'vitest';
import { createLogger, parseOptions } from '@md/app-kit';
import { LIVE_DEFAULTS, liveConfig, sourceForUrl } from '@md/live-engine';
import { ConfigError, HELP, OPTIONS, parseConfig, type LiveConfig } from '../src/config';

const cfg = (argv: string[], env: Record<string, string> = { POLYGON_API_KEY: 'k-123456' }) => parseConfig(argv, env) as LiveConfig;

describe('config', () => {
  it('defaults: real-time Massive hosts, SPY, 3 strikes, massive_ws', () => {
    const c = cfg([]);
    expect([c.stocksUrl, c.optionsUrl, c.stocksSource, c.underlying, c.strikeRange, c.strikeIncrement, c.sink]).toEqual([
      'wss://socket.massive.com/stocks',
      'wss://socket.massive.com/options',
      'massive_ws',
      'SPY',
      3,
      1,
      'nats',
    ]);
  });
  it('delayed feed, legacy Polygon host names -> polygon_ws', () => {
    const c = cfg(['--feed', 'delayed', '--vendor', 'polygon']);
    expect([c.stocksUrl, c.optionsUrl, c.stocksSource, c.optionsSource]).toEqual([
      'wss://delayed.polygon.io/stocks',
      'wss://delayed.polygon.io/options',
      'polygon_ws',
      'polygon_ws',
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
  it("defaults are @md/live-engine's: parsing no flag gives what the engine resolves from only a key", () => {
    const c = cfg([]);
    const e = liveConfig({ apiKey: c.apiKey });
    for (const [k, v] of Object.entries(e)) expect(c[k as keyof LiveConfig], k).toEqual(v);
    expect(c.queueSize).toBe(LIVE_DEFAULTS.queueSize);
    expect(HELP).toContain(`(${LIVE_DEFAULTS.idleTimeoutMs / 1000})`);
  });
  it("the logger's redaction hides the key everywhere", () => {
    const r = (t: string) => createLogger({ secrets: ['abcdef123'] }).redact(t);
    expect(r('key abcdef123 and again abcdef123.')).toBe('key *** and again ***.');
  });
});

describe('one name for one thing (the names the replay-publisher uses too), and the documented aliases', () => {
  const KEY = { POLYGON_API_KEY: 'k-123456' };
  const canonical: [flag: string, env: string, text: string, key: keyof LiveConfig, value: unknown][] = [
    ['--nats-url', 'NATS_URL', 'nats://h:4333', 'natsUrl', 'nats://h:4333'],
    ['--publish-mode', 'NATS_PUBLISH_MODE', 'batch', 'publishMode', 'batch'],
    ['--publish-window', 'NATS_PUBLISH_WINDOW', '64', 'publishWindow', 64],
    ['--replicas', 'NATS_STREAM_REPLICAS', '3', 'replicas', 3],
    ['--shutdown-timeout', 'MD_SHUTDOWN_TIMEOUT_S', '2.5', 'shutdownTimeoutMs', 2500],
    ['--sink', 'MD_SINK', 'stdout', 'sink', 'stdout'],
    ['--log-level', 'MD_LOG_LEVEL', 'debug', 'logLevel', 'debug'],
    ['--idle-timeout', 'LIVE_IDLE_TIMEOUT_S', '7', 'idleTimeoutMs', 7000],
  ];
  it.each(canonical)('%s and %s mean the same; the flag wins over the variable', (flag, env, text, key, value) => {
    expect(cfg([flag, text])[key]).toEqual(value);
    expect(cfg([], { ...KEY, [env]: text })[key]).toEqual(value);
    expect(cfg([], KEY)[key]).not.toEqual(value);
    const other = cfg([], KEY)[key];
    expect(cfg([flag, text], { ...KEY, [env]: String(other ?? '') })[key]).toEqual(value);
  });
  it('defaults: --sink nats, --publish-mode ack (not chosen), --log-level info, NATS_URL unset (nats://localhost:4222)', () => {
    const c = cfg([]);
    expect([c.sink, c.publishMode, c.publishModeGiven, c.publishWindowGiven, c.logLevel, c.natsUrl]).toEqual([
      'nats',
      'ack',
      false,
      false,
      'info',
      null,
    ]);
    expect(cfg([], { ...KEY, NATS_PUBLISH_MODE: 'ack' }).publishModeGiven).toBe(true);
    expect(cfg([], { ...KEY, NATS_PUBLISH_WINDOW: '8' }).publishWindowGiven).toBe(true);
  });
  it('MASSIVE_API_KEY is an alias of POLYGON_API_KEY: the same key; both set: POLYGON_API_KEY wins', () => {
    expect(cfg([], { MASSIVE_API_KEY: 'm-123456' }).apiKey).toBe(cfg([], { POLYGON_API_KEY: 'm-123456' }).apiKey);
    expect(cfg([], { POLYGON_API_KEY: 'p-123456', MASSIVE_API_KEY: 'm-123456' }).apiKey).toBe('p-123456');
    expect(cfg([], { POLYGON_API_KEY: '', MASSIVE_API_KEY: 'm-123456' }).apiKey).toBe('m-123456'); // empty = unset
  });
  it('LIVE_DEBUG is an alias of MD_LOG_LEVEL: 1 = debug, 0 = info; both set: MD_LOG_LEVEL wins; the flag wins over both', () => {
    expect(cfg([], { ...KEY, LIVE_DEBUG: '1' }).logLevel).toBe(cfg([], { ...KEY, MD_LOG_LEVEL: 'debug' }).logLevel);
    expect(cfg([], { ...KEY, LIVE_DEBUG: '0' }).logLevel).toBe('info');
    expect(cfg([], { ...KEY, LIVE_DEBUG: '1', MD_LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(cfg(['--log-level', 'error'], { ...KEY, LIVE_DEBUG: '1', MD_LOG_LEVEL: 'warn' }).logLevel).toBe('error');
    expect(() => cfg([], { ...KEY, LIVE_DEBUG: 'maybe' })).toThrow('LIVE_DEBUG must be true or false, got "maybe"');
    expect(() => cfg([], { ...KEY, MD_LOG_LEVEL: 'loud' })).toThrow('MD_LOG_LEVEL must be one of debug, info, warn, error, got "loud"');
  });
  it('an alias used is reported with its canonical name', () => {
    const p = parseOptions(OPTIONS, { argv: [], env: { MASSIVE_API_KEY: 'm-123456', LIVE_DEBUG: '1' } });
    expect(p !== 'help' && p.aliasesUsed.map((a) => [a.used, a.canonical])).toEqual([
      ['MASSIVE_API_KEY', 'POLYGON_API_KEY'],
      ['LIVE_DEBUG', 'MD_LOG_LEVEL'],
    ]);
  });
});

describe('TLS', () => {
  it('nothing in the app turns certificate verification off (nor in the engine and the session it runs)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    // the live path's code: the app's wiring, @md/live-engine, @md/polygon-normalizer (its session opens the sockets)
    const dirs = ['../src/', '../../../packages/live-engine/src/', '../../../packages/polygon-normalizer/src/'].map(
      (d) => new URL(d, import.meta.url),
    );
    const files = dirs.flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => new URL(f, dir)),
    );
    expect(files.length).toBeGreaterThan(3);
    expect(files.some((f) => f.pathname.endsWith('polygon-normalizer/src/session.ts'))).toBe(true);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f.pathname).not.toMatch(/rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity/);
    }
  });
});
