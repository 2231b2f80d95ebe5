import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  dayStartNs,
  parseConfig,
  parseDate,
  parseDurationNs,
  parseTimeSpec,
  resolveTime,
  type ReplayConfig,
} from '../src/config';

const cfg = (argv: string[], env: Record<string, string> = {}) => parseConfig(argv, env) as ReplayConfig;

describe('config', () => {
  it('defaults: speed decided by the data (null), batch mode, ts_event order, options off, every date, full session, 100 ms reorder window', () => {
    const c = cfg([]);
    expect([
      c.dates,
      c.latest,
      c.session,
      c.bronzeRoot,
      c.optionsSource,
      c.bronzeFutures,
      c.futuresSymbol,
      c.sample,
      c.natsUrlExplicit,
    ]).toEqual([[], false, 'full', null, 'auto', false, 'ES', false, false]);
    expect([cfg(['--date', 'latest']).latest, cfg(['--date', 'latest']).dates, cfg(['--nats-url', 'nats://x:1']).natsUrlExplicit]).toEqual([
      true,
      [],
      true,
    ]);
    expect([
      cfg(['--include-options']).options,
      cfg([], { REPLAY_INCLUDE_OPTIONS: 'true' }).options,
      cfg([], { REPLAY_USE_BRONZE_FUTURES: 'true', REPLAY_FUTURES_SYMBOL: 'NQ' }),
    ]).toMatchObject([true, true, { bronzeFutures: true, futuresSymbol: 'NQ' }]);
    expect([c.dataRoot, c.speed, c.mode, c.order, c.options, c.trades, c.mbp10, c.sink, c.natsUrl, c.autoServer, c.resume]).toEqual([
      null,
      null,
      'batch',
      'ts_event',
      false,
      true,
      true,
      'nats',
      null,
      true,
      false,
    ]);
    expect(c.reorderWindowNs).toBe(100_000_000n);
    expect(c.maxGapMs).toBe(5000);
    expect(c.progressEvery).toBe(10_000);
    expect([c.window, cfg(['--mode', 'ack']).window]).toEqual([2048, 1024]);
    expect([
      c.modeExplicit,
      c.windowExplicit,
      c.replicas,
      cfg(['--mode', 'batch']).modeExplicit,
      cfg(['--replicas', '3']).replicas,
    ]).toEqual([false, false, undefined, true, 3]);
    expect(() => cfg(['--replicas', '0'])).toThrow(/--replicas must be an integer >= 1/);
    // the default speed is decided once the data is known (main.ts: real time with data, 0 for the sample)
    expect([cfg(['--data-root', '/d']).speed, cfg(['--speed', '2']).speed]).toEqual([null, 2]);
  });

  it('environment sets, flags override', () => {
    const env = {
      REPLAY_SPEED: '10',
      REPLAY_DATE: '2025-12-16',
      REPLAY_INCLUDE_OPTIONS: 'false',
      NATS_URL: 'nats://a:4222,nats://b:4222',
      REPLAY_DATA_ROOT: '/data',
    };
    const a = cfg([], env);
    expect([a.speed, a.dates, a.options, a.natsUrl, a.autoServer, a.dataRoot]).toEqual([
      10,
      ['2025-12-16'],
      false,
      'nats://a:4222,nats://b:4222',
      false,
      '/data',
    ]);
    const b = cfg(
      [
        '--speed',
        '0.5',
        '--date',
        '20251217',
        '--options',
        '--nats-url',
        'nats://c:1',
        '--data-root',
        '/other',
        '--mode',
        'ack',
        '--window',
        '64',
      ],
      env,
    );
    expect([b.speed, b.dates, b.options, b.natsUrl, b.dataRoot, b.mode, b.window]).toEqual([
      0.5,
      ['2025-12-17'],
      true,
      'nats://c:1',
      '/other',
      'ack',
      64,
    ]);
    expect(cfg(['--no-options'], { REPLAY_INCLUDE_OPTIONS: '1' }).options).toBe(false);
    expect(cfg(['--no-local-server']).autoServer).toBe(false);
    expect(cfg(['--local-server'], { NATS_URL: 'nats://127.0.0.1:1' }).autoServer).toBe(true);
    expect(cfg([], { NATS_URL: 'nats://127.0.0.1:1', REPLAY_LOCAL_SERVER: 'true' }).autoServer).toBe(true);
  });

  it('start/end, reorder window, max gap, order, continuous', () => {
    const c = cfg([
      '--start',
      '14:30',
      '--end',
      '2020-12-28T21:00:00.5Z',
      '--reorder-window',
      '250us',
      '--max-gap',
      '0',
      '--order',
      'ts_recv',
      '--continuous',
      '--date',
      '2020-12-28,2020-12-29',
    ]);
    expect(c.start).toEqual({ kind: 'time-of-day', ns: 52_200_000_000_000n, text: '14:30' });
    expect(c.end?.ns).toBe(1609189200_500_000_000n);
    expect(c.reorderWindowNs).toBe(250_000n);
    expect(c.maxGapMs).toBe(0);
    expect(c.order).toBe('ts_recv');
    expect([c.continuous, c.dates]).toEqual([true, ['2020-12-28', '2020-12-29']]);
    expect(resolveTime(c.start!, '2020-12-28')).toBe(dayStartNs('2020-12-28') + 52_200_000_000_000n);
    expect(parseTimeSpec('x', '1609165800123456789')).toEqual({ kind: 'instant', ns: 1609165800123456789n, text: '1609165800123456789' });
    expect(parseTimeSpec('x', '09:30:00.000000001').ns).toBe(34_200_000_000_001n);
    expect(parseDurationNs('x', '1.5', 's')).toBe(1_500_000_000n);
    expect(parseDurationNs('x', '7', 'ms')).toBe(7_000_000n);
    expect(parseDate('x', '2024-02-29')).toBe('2024-02-29');
  });

  it('refuses bad values with a clear message naming the option', () => {
    expect(() => cfg(['--speed', '-1'])).toThrow(/--speed \/ REPLAY_SPEED must be a number >= 0, got "-1"/);
    expect(() => cfg([], { REPLAY_SPEED: 'fast' })).toThrow(/REPLAY_SPEED must be a number/);
    expect(() => cfg(['--date', '2025-13-01'])).toThrow(/is not a calendar date/);
    expect(() => cfg(['--date', '2023-02-29'])).toThrow(/is not a calendar date/);
    expect(() => cfg(['--date', 'yesterday'])).toThrow(/must be a date YYYY-MM-DD/);
    expect(() => cfg(['--date', '2025-12-16,2025-12-17'])).toThrow(/need --continuous/);
    expect(() => cfg(['--start', '25:00'])).toThrow(/not a time of day/);
    expect(() => cfg(['--start', '10:00', '--end', '09:00'])).toThrow(/--end \(09:00\) must be after --start \(10:00\)/);
    expect(() => cfg(['--sink', 'kafka'])).toThrow(/--sink must be one of nats, stdout/);
    expect(() => cfg(['--mode', 'fast'])).toThrow(/must be one of batch, ack/);
    expect(() => cfg(['--order', 'seq'])).toThrow(/--order must be one of ts_event, ts_recv/);
    expect(() => cfg(['--window', '0'])).toThrow(/--window must be an integer >= 1/);
    expect(() => cfg(['--reorder-window', '5 minutes'])).toThrow(/--reorder-window/);
    expect(() => cfg(['--nope'])).toThrow(/Unknown option '--nope'/);
    expect(() => cfg(['positional'])).toThrow(ConfigError);
    expect(() => cfg(['--options', '--no-options'])).toThrow(/contradict/);
    expect(() => cfg([], { REPLAY_INCLUDE_OPTIONS: 'maybe' })).toThrow(/REPLAY_INCLUDE_OPTIONS must be true or false/);
    expect(() => cfg(['--no-trades', '--no-mbp10', '--no-options'])).toThrow(/nothing to replay/);
    expect(() => cfg(['--resume', '--sink', 'stdout'])).toThrow(/--resume needs --sink nats/);
    expect(parseConfig(['--help'], {})).toBe('help');
    expect(parseConfig(['-h', '--speed', '-1'], {})).toBe('help');
  });
});

describe('config: one name for one thing (the names the live-ingestor uses too) and the documented aliases', () => {
  const cases: {
    key: 'mode' | 'window' | 'replicas' | 'sink';
    canonical: string;
    alias: string;
    flag?: string;
    aliasFlag?: string;
    a: string;
    b: string;
  }[] = [
    {
      key: 'mode',
      canonical: 'NATS_PUBLISH_MODE',
      alias: 'REPLAY_PUBLISH_MODE',
      flag: '--publish-mode',
      aliasFlag: '--mode',
      a: 'ack',
      b: 'batch',
    },
    {
      key: 'window',
      canonical: 'NATS_PUBLISH_WINDOW',
      alias: 'REPLAY_PUBLISH_WINDOW',
      flag: '--publish-window',
      aliasFlag: '--window',
      a: '64',
      b: '96',
    },
    { key: 'replicas', canonical: 'NATS_STREAM_REPLICAS', alias: 'REPLAY_STREAM_REPLICAS', flag: '--replicas', a: '3', b: '2' },
    { key: 'sink', canonical: 'MD_SINK', alias: 'REPLAY_SINK', flag: '--sink', a: 'stdout', b: 'nats' },
  ];
  const value = (key: string, text: string) => (/^\d+$/.test(text) ? Number(text) : text);
  it.each(cases.map((c) => [c.key, c] as const))('%s: each alias gives what the canonical name gives', (key, c) => {
    const v = value(key, c.a);
    expect(cfg([], { [c.canonical]: c.a })[key]).toBe(v);
    expect(cfg([], { [c.alias]: c.a })[key]).toBe(v);
    if (c.flag) expect(cfg([c.flag, c.a])[key]).toBe(v);
    if (c.aliasFlag) expect(cfg([c.aliasFlag, c.a])[key]).toBe(v);
  });
  it.each(cases.map((c) => [c.key, c] as const))('%s: the canonical variable wins over its alias; a flag over both', (key, c) => {
    expect(cfg([], { [c.alias]: c.b, [c.canonical]: c.a })[key]).toBe(value(key, c.a));
    if (c.flag) expect(cfg([c.flag, c.b], { [c.canonical]: c.a, [c.alias]: c.a })[key]).toBe(value(key, c.b));
    // the alias flag and the canonical flag are one option: the last one given wins (as for any repeated flag)
    if (c.aliasFlag && c.flag) {
      expect(cfg([c.aliasFlag, c.b, c.flag, c.a])[key]).toBe(value(key, c.a));
      expect(cfg([c.flag, c.a, c.aliasFlag, c.b])[key]).toBe(value(key, c.b));
    }
  });
  it('an alias counts as given: an explicit mode / window stays on a replicated stream', () => {
    expect([cfg(['--mode', 'batch']).modeExplicit, cfg([], { REPLAY_PUBLISH_MODE: 'batch' }).modeExplicit]).toEqual([true, true]);
    expect([cfg(['--window', '8']).windowExplicit, cfg([], { REPLAY_PUBLISH_WINDOW: '8' }).windowExplicit]).toEqual([true, true]);
    expect(cfg([], { REPLAY_PUBLISH_MODE: 'ack' }).window).toBe(1024);
  });
  it('the shared options: --nats-url / NATS_URL, --shutdown-timeout / MD_SHUTDOWN_TIMEOUT_S, --log-level / MD_LOG_LEVEL', () => {
    expect([cfg([], { NATS_URL: 'nats://x:1' }).natsUrl, cfg(['--nats-url', 'nats://y:2'], { NATS_URL: 'nats://x:1' }).natsUrl]).toEqual([
      'nats://x:1',
      'nats://y:2',
    ]);
    expect([cfg([]).shutdownTimeoutMs, cfg(['--shutdown-timeout', '1.5']).shutdownTimeoutMs]).toEqual([30_000, 1500]);
    expect(cfg([], { MD_SHUTDOWN_TIMEOUT_S: '2' }).shutdownTimeoutMs).toBe(2000);
    expect([cfg([]).logLevel, cfg(['--log-level', 'debug']).logLevel, cfg([], { MD_LOG_LEVEL: 'warn' }).logLevel]).toEqual([
      'info',
      'debug',
      'warn',
    ]);
    expect(() => cfg(['--log-level', 'loud'])).toThrow(/--log-level must be one of debug, info, warn, error, got "loud"/);
    expect(() => cfg([], { NATS_STREAM_REPLICAS: '7' })).toThrow(/NATS_STREAM_REPLICAS must be <= 5, got "7"/);
  });
});
