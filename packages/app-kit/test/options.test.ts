import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ConfigError,
  defineOptions,
  formatDuration,
  isConfigError,
  nearestFlag,
  opt,
  OptionTableError,
  parseBoolean,
  parseDuration,
  parseOptions,
  type InferOptions,
  type ParsedOptions,
} from '../src/index.ts';

/** a table shaped like the replay-publisher's, to parse against */
const REPLAY = defineOptions({
  dataRoot: opt.string({ env: 'REPLAY_DATA_ROOT', default: null, placeholder: 'DIR', help: 'the DBN data root' }),
  date: opt.list({
    env: 'REPLAY_DATE',
    placeholder: 'YYYY-MM-DD[,...]',
    item: (t, name) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(t)) throw new ConfigError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(t)}`);
      return t;
    },
    default: [],
  }),
  continuous: opt.boolean({ env: 'REPLAY_CONTINUOUS' }),
  speed: opt.number({ env: 'REPLAY_SPEED', min: 0, default: (v) => (v.dataRoot === null ? 0 : 1), defaultText: '1; 0 for the sample' }),
  maxGap: opt.duration({ env: 'REPLAY_MAX_GAP', unit: 's', as: 'ms', default: '5' }),
  options: opt.boolean({ env: 'REPLAY_INCLUDE_OPTIONS', default: 'auto' }),
  trades: opt.boolean({ default: true }),
  order: opt.enum({ choices: ['ts_event', 'ts_recv'], env: 'REPLAY_ORDER', default: 'ts_event' }),
  reorderWindow: opt.duration({ env: 'REPLAY_REORDER_WINDOW', unit: 'ms', as: 'ns', default: '100ms', max: '1h' }),
  sink: opt.enum({ choices: ['nats', 'stdout'], short: 's', env: 'REPLAY_SINK', default: 'nats' }),
  natsUrl: opt.string({ env: 'NATS_URL' }),
  localServer: opt.boolean({ env: 'REPLAY_LOCAL_SERVER', default: (v) => v.natsUrl === undefined }),
  mode: opt.enum({ choices: ['batch', 'ack'], aliases: ['publish-mode'], env: ['REPLAY_PUBLISH_MODE', 'PUBLISH_MODE'], default: 'batch' }),
  window: opt.number({ env: 'REPLAY_PUBLISH_WINDOW', int: true, min: 1, default: (v) => (v.mode === 'batch' ? 2048 : 1024) }),
  replicas: opt.number({ env: 'REPLAY_STREAM_REPLICAS', int: true, min: 1, max: 5 }),
  progressEvery: opt.number({ int: true, min: 0, default: 10_000 }),
  idleTimeout: opt.duration({ unit: 's', as: 'ms', default: 60, check: (ms) => (ms > 0 ? undefined : 'must be > 0') }),
  speedLabelled: opt.number({ flag: 'speed2', env: 'REPLAY_SPEED2', min: 0, label: '--speed2 / REPLAY_SPEED2' }),
  apiKey: opt.string({ flag: false, env: ['POLYGON_API_KEY', 'MASSIVE_API_KEY'] }),
});

type Replay = ParsedOptions<typeof REPLAY>;
function parse(argv: string[], env: Record<string, string> = {}): Replay {
  const r = parseOptions(REPLAY, { argv, env });
  if (r === 'help') throw new Error('unexpected help');
  return r;
}
const values = (argv: string[], env: Record<string, string> = {}) => parse(argv, env).values;
const message = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    parse(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('E_CONFIG');
    return (e as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
};

describe('types inferred from the table', () => {
  it('one value type per option, defaults included', () => {
    type V = InferOptions<typeof REPLAY>;
    expectTypeOf<V['dataRoot']>().toEqualTypeOf<string | null>();
    expectTypeOf<V['date']>().toEqualTypeOf<string[]>();
    expectTypeOf<V['continuous']>().toEqualTypeOf<boolean>();
    expectTypeOf<V['speed']>().toEqualTypeOf<number>();
    expectTypeOf<V['maxGap']>().toEqualTypeOf<number>();
    expectTypeOf<V['options']>().toEqualTypeOf<boolean | 'auto'>();
    expectTypeOf<V['order']>().toEqualTypeOf<'ts_event' | 'ts_recv'>();
    expectTypeOf<V['reorderWindow']>().toEqualTypeOf<bigint>();
    expectTypeOf<V['natsUrl']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<V['localServer']>().toEqualTypeOf<boolean>();
    expectTypeOf<V['replicas']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<V['apiKey']>().toEqualTypeOf<string | undefined>();
    const _t = defineOptions({
      a: opt.boolean({ default: undefined }),
      b: opt.list({ choices: ['stocks', 'options'], default: ['stocks', 'options'] }),
      c: opt.custom({ parse: (s) => ({ len: s.length }), default: null }),
      d: opt.duration({ unit: 'ms', as: 'ns' }),
      e: opt.enum({ choices: ['x', 'y'] }),
      f: opt.custom({ parse: Number, default: (v) => (v.a ? 1 : null) }),
    });
    type W = InferOptions<typeof _t>;
    expectTypeOf<W['a']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<W['b']>().toEqualTypeOf<('stocks' | 'options')[]>();
    expectTypeOf<W['c']>().toEqualTypeOf<{ len: number } | null>();
    expectTypeOf<W['d']>().toEqualTypeOf<bigint | undefined>();
    expectTypeOf<W['e']>().toEqualTypeOf<'x' | 'y' | undefined>();
    expectTypeOf<W['f']>().toEqualTypeOf<number | null>();
    // @ts-expect-error a default that is not one of the choices
    opt.enum({ choices: ['a', 'b'], default: 'c' });
    // @ts-expect-error a number option with a string default
    opt.number({ default: '1' });
    // @ts-expect-error list items must be choices
    opt.list({ choices: ['a'], default: ['b'] });
  });
});

describe('parseOptions: sources', () => {
  it('defaults, including defaults computed from other values', () => {
    const v = values([]);
    expect(v).toMatchObject({
      dataRoot: null,
      date: [],
      continuous: false,
      speed: 0,
      maxGap: 5000,
      options: 'auto',
      trades: true,
      order: 'ts_event',
      reorderWindow: 100_000_000n,
      sink: 'nats',
      localServer: true,
      mode: 'batch',
      window: 2048,
      progressEvery: 10_000,
      idleTimeout: 60_000,
    });
    expect(v.natsUrl).toBeUndefined();
    expect(v.replicas).toBeUndefined();
    expect(values(['--data-root', '/d']).speed).toBe(1);
    expect(values(['--mode', 'ack']).window).toBe(1024);
    expect(values([], { NATS_URL: 'nats://h:4222' }).localServer).toBe(false);
    expect(parse([]).given).toEqual({});
  });

  it('flags override the environment, which overrides the default; given tells which and by what name', () => {
    const env = { REPLAY_SPEED: '10', REPLAY_DATE: '2025-12-16', REPLAY_INCLUDE_OPTIONS: 'false', REPLAY_CONTINUOUS: 'yes' };
    const a = parse([], env);
    expect([a.values.speed, a.values.date, a.values.options, a.values.continuous]).toEqual([10, ['2025-12-16'], false, true]);
    expect(a.given.speed).toEqual({ source: 'env', name: 'REPLAY_SPEED', alias: false, text: '10' });
    const b = parse(['--speed', '0.5', '--date=2025-12-17', '--options', '--no-continuous'], env);
    expect([b.values.speed, b.values.date, b.values.options, b.values.continuous]).toEqual([0.5, ['2025-12-17'], true, false]);
    expect(b.given.speed).toEqual({ source: 'flag', name: '--speed', alias: false, text: '0.5' });
    expect(b.given.continuous).toMatchObject({ source: 'flag', name: '--no-continuous' });
    expect(b.given.order).toBeUndefined();
  });

  it('an empty or blank environment variable is unset', () => {
    expect(values([], { REPLAY_SPEED: '', REPLAY_SINK: '  ' })).toMatchObject({ speed: 0, sink: 'nats' });
  });

  it('aliases: flag and environment; the first variable set wins; alias use is reported', () => {
    const a = parse(['--publish-mode', 'ack']);
    expect(a.values.mode).toBe('ack');
    expect(a.given.mode).toEqual({ source: 'flag', name: '--publish-mode', alias: true, text: 'ack' });
    expect(a.aliasesUsed).toEqual([{ key: 'mode', used: '--publish-mode', canonical: '--mode' }]);
    const b = parse([], { PUBLISH_MODE: 'ack' });
    expect(b.aliasesUsed).toEqual([{ key: 'mode', used: 'PUBLISH_MODE', canonical: 'REPLAY_PUBLISH_MODE' }]);
    expect(values([], { REPLAY_PUBLISH_MODE: 'batch', PUBLISH_MODE: 'ack' }).mode).toBe('batch');
    expect(values([], { POLYGON_API_KEY: 'p-1', MASSIVE_API_KEY: 'm-1' }).apiKey).toBe('p-1');
    expect(values([], { MASSIVE_API_KEY: 'm-1' }).apiKey).toBe('m-1');
  });

  it('--flag value, --flag=value, a short flag, a negative number as a value, the last of repeated flags', () => {
    expect(values(['-s', 'stdout']).sink).toBe('stdout');
    expect(values(['--sink=stdout']).sink).toBe('stdout');
    expect(values(['--sink', 'stdout', '--sink', 'nats']).sink).toBe('nats');
    expect(message(['--speed', '-1'])).toBe('--speed must be a number >= 0, got "-1"');
    expect(message(['--speed', '-.5'])).toBe('--speed must be a number >= 0, got "-.5"');
  });

  it('booleans: --x, --no-x, --x=false; environment 1/true/yes/on and 0/false/no/off', () => {
    expect(values(['--no-trades']).trades).toBe(false);
    expect(values(['--trades=off']).trades).toBe(false);
    for (const t of ['1', 'true', 'YES', ' on ']) expect(values([], { REPLAY_CONTINUOUS: t }).continuous).toBe(true);
    for (const f of ['0', 'false', 'No', 'OFF']) expect(values([], { REPLAY_CONTINUOUS: f }).continuous).toBe(false);
    expect(message([], { REPLAY_CONTINUOUS: 'maybe' })).toBe('REPLAY_CONTINUOUS must be true or false, got "maybe"');
    expect(message(['--trades=perhaps'])).toBe('--trades must be true or false, got "perhaps"');
    expect(message(['--options', '--no-options'])).toBe('--options and --no-options contradict each other');
    expect(message(['--no-options=1'])).toMatch(/^Option '--no-options' does not take an argument/);
  });

  it('lists: comma-separated, trimmed, empties dropped, repeated flags accumulate, each item parsed', () => {
    expect(values(['--date', ' 2025-01-02 , ,2025-01-03']).date).toEqual(['2025-01-02', '2025-01-03']);
    expect(values(['--date', '2025-01-02', '--date', '2025-01-03']).date).toEqual(['2025-01-02', '2025-01-03']);
    expect(message(['--date', '2025-01-02,yesterday'])).toBe('--date must be a date YYYY-MM-DD, got "yesterday"');
    expect(message([], { REPLAY_DATE: 'x' })).toBe('REPLAY_DATE must be a date YYYY-MM-DD, got "x"');
    const t = defineOptions({ sessions: opt.list({ choices: ['stocks', 'options'], default: ['stocks', 'options'] }) });
    expect(() => parseOptions(t, { argv: ['--sessions', 'stocks,futures'], env: {} })).toThrow(
      '--sessions item must be one of stocks, options, got "futures"',
    );
    const d = parseOptions(t, { argv: [], env: {} });
    expect(d !== 'help' && d.values.sessions).toEqual(['stocks', 'options']);
    // the default array is a copy: mutating the result does not change the table
    if (d !== 'help') d.values.sessions.pop();
    const e = parseOptions(t, { argv: [], env: {} });
    expect(e !== 'help' && e.values.sessions).toEqual(['stocks', 'options']);
  });

  it('durations: exact ns or ms, units, bare numbers in the stated unit', () => {
    expect(values(['--reorder-window', '250us']).reorderWindow).toBe(250_000n);
    expect(values(['--reorder-window', '1.5s']).reorderWindow).toBe(1_500_000_000n);
    expect(values(['--reorder-window', '7']).reorderWindow).toBe(7_000_000n);
    expect(values(['--reorder-window', '1h']).reorderWindow).toBe(3_600_000_000_000n);
    expect(values(['--max-gap', '0.25']).maxGap).toBe(250);
    expect(values(['--max-gap', '500us']).maxGap).toBe(0.5);
    expect(values(['--max-gap', '2min']).maxGap).toBe(120_000);
    expect(message(['--max-gap', '-2'])).toBe('--max-gap must be a duration like 250ms, 1s, 500us or a number of s, got "-2"');
    expect(message(['--reorder-window', '5 minutes'])).toMatch(/^--reorder-window must be a duration like .* got "5 minutes"$/);
    expect(message(['--reorder-window', '2h'])).toBe('--reorder-window must be at most 1h, got "2h"');
    // as: 'ms' is bounded by Node's timers (2^31-1 ms) unless told otherwise
    expect(message(['--max-gap', '3000000'])).toBe('--max-gap must be <= 2147483 (seconds), got "3000000"');
    expect(values(['--max-gap', '2147483']).maxGap).toBe(2_147_483_000);
    expect(parseDuration('100000ns', 'ms')).toBe(100_000n);
    expect(parseDuration('.5', 's')).toBe(500_000_000n);
    expect(parseDuration('1.0000000015s', 's')).toBe(1_000_000_001n);
    expect(formatDuration(100_000_000n)).toBe('100ms');
    expect(formatDuration(90_000_000_000n)).toBe('90s');
    expect(formatDuration(1n)).toBe('1ns');
  });

  it('numbers: int, min, max with unit; a check of given values', () => {
    expect(message(['--window', '0'])).toBe('--window must be an integer >= 1, got "0"');
    expect(message(['--window', '1.5'])).toBe('--window must be an integer >= 1, got "1.5"');
    expect(message(['--replicas', '9'])).toBe('--replicas must be <= 5, got "9"');
    expect(message([], { REPLAY_STREAM_REPLICAS: 'three' })).toBe('REPLAY_STREAM_REPLICAS must be an integer >= 1, got "three"');
    expect(message(['--speed', 'NaN'])).toBe('--speed must be a number >= 0, got "NaN"');
    expect(message(['--speed', ''])).toBe('--speed must be a number >= 0, got ""');
    expect(message(['--idle-timeout', '0'])).toBe('--idle-timeout must be > 0');
    expect(values(['--progress-every', '1e3']).progressEvery).toBe(1000);
  });

  it('enums and strings', () => {
    expect(message(['--sink', 'kafka'])).toBe('--sink must be one of nats, stdout, got "kafka"');
    expect(message([], { REPLAY_ORDER: 'seq' })).toBe('REPLAY_ORDER must be one of ts_event, ts_recv, got "seq"');
    expect(message([], { PUBLISH_MODE: 'fast' })).toBe('PUBLISH_MODE must be one of batch, ack, got "fast"');
    expect(message(['--data-root', ''])).toBe('--data-root must not be empty');
    expect(message(['--data-root='])).toBe('--data-root must not be empty');
  });

  it('a label replaces the name in messages', () => {
    expect(message(['--speed2', 'x'])).toBe('--speed2 / REPLAY_SPEED2 must be a number >= 0, got "x"');
    expect(message([], { REPLAY_SPEED2: '-3' })).toBe('--speed2 / REPLAY_SPEED2 must be a number >= 0, got "-3"');
  });

  it('the error names the option and the value in fields too', () => {
    try {
      parse([], { REPLAY_SPEED: 'fast' });
    } catch (e) {
      expect([(e as ConfigError).option, (e as ConfigError).value]).toEqual(['REPLAY_SPEED', 'fast']);
      expect(isConfigError(e)).toBe(true);
    }
    expect(isConfigError({ code: 'E_CONFIG', message: 'from the other copy of the package' })).toBe(true);
    expect(isConfigError(new Error('x'))).toBe(false);
  });
});

describe('parseOptions: the command line itself', () => {
  it('unknown flags name the flag and suggest the nearest one', () => {
    expect(message(['--bogus'])).toBe("Unknown option '--bogus' (see --help)");
    expect(message(['--spede', '1'])).toBe("Unknown option '--spede', did you mean '--speed'? (see --help)");
    expect(message(['--reorder-windw', '1'])).toMatch(/did you mean '--reorder-window'\?/);
    expect(message(['--no-trade'])).toMatch(/did you mean '--no-trades'\?/);
    expect(message(['-x'])).toBe("Unknown option '-x' (see --help)");
    expect(nearestFlag('hlep', ['help', 'sink'])).toBe('help');
    expect(nearestFlag('zzzz', ['help', 'sink'])).toBeUndefined();
  });

  it('a missing value', () => {
    expect(message(['--speed'])).toBe("Option '--speed <value>' argument missing (see --help)");
    expect(message(['--sink', '--speed', '1'])).toMatch(
      /^Option '--sink <value>' argument missing \('--speed' looks like an option; .*--sink=--speed\)/,
    );
  });

  it('positionals: refused by default; when allowed, returned in order, `--` ends the options, `-` is one', () => {
    expect(message(['extra'])).toBe("Unexpected argument 'extra'. This command does not take positional arguments (see --help)");
    const t = defineOptions({ limit: opt.number({ int: true, min: 0, default: Infinity }), pretty: opt.boolean() });
    const r = parseOptions(t, {
      argv: ['json', '--limit', '3', 'file.dbn', '--pretty', '--', '--not-a-flag', '-'],
      env: {},
      positionals: true,
    });
    expect(r !== 'help' && [r.positionals, r.values]).toEqual([['json', 'file.dbn', '--not-a-flag', '-'], { limit: 3, pretty: true }]);
    const s = parseOptions(t, { argv: ['metadata', '-'], env: {}, positionals: true });
    expect(s !== 'help' && s.positionals).toEqual(['metadata', '-']);
  });

  it("--help / -h: 'help', even with other mistakes; a custom hint; help handling can be turned off", () => {
    expect(parseOptions(REPLAY, { argv: ['--help'], env: {} })).toBe('help');
    expect(parseOptions(REPLAY, { argv: ['-h', '--speed', '-1'], env: {} })).toBe('help');
    expect(parseOptions(REPLAY, { argv: ['--nope', '-h'], env: { REPLAY_SPEED: 'x' } })).toBe('help');
    expect(() => parseOptions(REPLAY, { argv: ['--nope'], env: {}, hint: '' })).toThrow(/^Unknown option '--nope'$/);
    expect(() => parseOptions(REPLAY, { argv: ['--help'], env: {}, help: false })).toThrow(/Unknown option '--help'/);
  });

  it('custom parsers: a ConfigError passes through, any other error is wrapped with the name', () => {
    const t = defineOptions({
      start: opt.custom({
        env: 'REPLAY_START',
        parse: (text, name) => {
          if (text === 'bad') throw new ConfigError(`${name}: ${JSON.stringify(text)} is not a time of day`);
          if (text === 'boom') throw new RangeError('month 13 is not 01..12');
          return { text };
        },
        default: null,
      }),
    });
    expect(() => parseOptions(t, { argv: ['--start', 'bad'], env: {} })).toThrow('--start: "bad" is not a time of day');
    expect(() => parseOptions(t, { argv: [], env: { REPLAY_START: 'boom' } })).toThrow('REPLAY_START: month 13 is not 01..12');
    const r = parseOptions(t, { argv: ['--start', '14:30'], env: {} });
    expect(r !== 'help' && r.values.start).toEqual({ text: '14:30' });
  });

  it('defaults read other values in any order; a cycle is a table error', () => {
    const t = defineOptions({
      a: opt.number({ default: (v) => (v.b as number) + 1 }),
      b: opt.number({ default: 1 }),
      c: opt.boolean({ default: (_v, ctx) => ctx.given('b') }),
    });
    expect(parseOptions(t, { argv: [], env: {} })).toMatchObject({ values: { a: 2, b: 1, c: false } });
    expect(parseOptions(t, { argv: ['--b', '5'], env: {} })).toMatchObject({ values: { a: 6, b: 5, c: true } });
    const cyc = defineOptions({ x: opt.number({ default: (v) => v.y as number }), y: opt.number({ default: (v) => v.x as number }) });
    expect(() => parseOptions(cyc, { argv: [], env: {} })).toThrow(OptionTableError);
  });
});

describe('defineOptions: the table is checked', () => {
  it('refuses duplicate flags, envs, shorts, --help / -h, and bad names', () => {
    expect(() => defineOptions({ a: opt.string({ flag: 'x' }), b: opt.string({ flag: 'x' }) })).toThrow(/flag x is already used by a/);
    expect(() => defineOptions({ a: opt.boolean({ flag: 'x' }), b: opt.string({ flag: 'no-x' }) })).toThrow(/flag no-x/);
    expect(() => defineOptions({ a: opt.string({ env: 'X' }), b: opt.string({ env: ['Y', 'X'] }) })).toThrow(/environment variable X/);
    expect(() => defineOptions({ help: opt.string() })).toThrow(/flag help/);
    expect(() => defineOptions({ a: opt.string({ short: 'h' }) })).toThrow(/short flag h/);
    expect(() => defineOptions({ a: opt.string({ flag: '--bad name' }) })).toThrow(/bad flag name/);
    expect(() => defineOptions({ a: opt.string({ flag: false }) })).toThrow(/neither a flag nor an environment variable/);
    expect(() => opt.duration({ unit: 's', as: 'ns', default: 'soon' })).toThrow(OptionTableError);
    expect(() => defineOptions({ a: opt.enum({ choices: ['x'], default: 'y' as 'x' }) })).toThrow(/not one of the choices/);
    expect(() => defineOptions({ dataRoot: opt.string(), 'data-root': opt.string() })).toThrow(/flag data-root/);
  });

  it('the flag defaults to the key in kebab-case', () => {
    const t = defineOptions({ maxPayloadBytes: opt.number({ default: 1 }) });
    expect(parseOptions(t, { argv: ['--max-payload-bytes', '7'], env: {} })).toMatchObject({ values: { maxPayloadBytes: 7 } });
  });

  it('parseBoolean alone', () => {
    expect(parseBoolean(' TRUE ')).toBe(true);
    expect(() => parseBoolean('2', 'X')).toThrow('X must be true or false, got "2"');
  });
});
