/** The log format settable after creation, structured fields in both formats, the same redaction in both. */
import { describe, expect, it } from 'vitest';
import { createLogger, runMain, type LoggerOptions, type ProcessLike } from '../src/index.ts';

const T0 = new Date('2025-12-16T14:30:00.123Z');
function capture(opts: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const log = createLogger({ now: () => T0, write: (l) => void lines.push(l), ...opts });
  return { log, lines };
}
const SEED = 'SUAMK2FG4MI6UE3ACF3FK3OIQBCEIEZV7NSWFFEW63UXMRLFM2XLAXK4GY';

describe('logger: format and fields', () => {
  it('the format is settable (like the level) and checked', () => {
    const { log, lines } = capture({ name: 'app' });
    log.info('one');
    log.format = 'json';
    log.info('two');
    expect(lines[0]).toBe('2025-12-16T14:30:00.123Z INFO one\n');
    expect(JSON.parse(lines[1] ?? '')).toEqual({ time: '2025-12-16T14:30:00.123Z', level: 'info', name: 'app', msg: 'two' });
    expect(() => {
      log.format = 'xml' as 'json';
    }).toThrow(/log format must be one of text, json, got "xml"/);
    expect(() => createLogger({ format: 'yaml' as 'text' })).toThrow(TypeError);
    expect(log.format).toBe('json');
  });

  it('json: fields at the top level; bigints as strings, Errors as their message, nested values; a reserved name gets a _', () => {
    const { log, lines } = capture({ format: 'json', name: 'app' });
    log.warn('gap', { from_ns: 1765895400123456789n, count: 3, ok: true, err: new Error('boom'), nested: { n: 2n, l: [1n] }, msg: 'x' });
    const line = lines[0] ?? '';
    expect(line.endsWith('}\n')).toBe(true);
    expect(line.split('\n')).toHaveLength(2);
    expect(JSON.parse(line)).toEqual({
      time: '2025-12-16T14:30:00.123Z',
      level: 'warn',
      name: 'app',
      msg: 'gap',
      from_ns: '1765895400123456789',
      count: 3,
      ok: true,
      err: 'boom',
      nested: { n: '2', l: ['1'] },
      _msg: 'x',
    });
  });

  it('text: fields as key=value after the message, quoted when they hold blanks', () => {
    const { log, lines } = capture();
    log.info('published', { subject: 'market.stocks.trades', n: 5, ns: 17n, why: 'a b', o: { x: 1n } });
    expect(lines[0]).toBe('2025-12-16T14:30:00.123Z INFO published subject=market.stocks.trades n=5 ns=17 why="a b" o={"x":"1"}\n');
  });

  it('the same secrets redacted in both formats, in the message and in field values (nested too)', () => {
    for (const format of ['text', 'json'] as const) {
      const { log, lines } = capture({ format, secrets: ['k-secret-123'] });
      log.addSecret('hunter2-pw');
      log.error('auth k-secret-123 failed', {
        url: 'nats://bob:hunter2-pw@h:4222',
        seed: SEED,
        deep: { key: 'k-secret-123', list: ['tok@host:4222'] },
        err: new Error('token k-secret-123 refused'),
      });
      const line = lines[0] ?? '';
      for (const s of ['k-secret-123', 'hunter2-pw', SEED, 'tok@']) expect(line, `${format}: ${line}`).not.toContain(s);
      expect(line).toContain('***');
      if (format === 'json') {
        const o = JSON.parse(line) as Record<string, unknown>;
        expect(o.msg).toBe('auth *** failed');
        expect(o.url).toBe('nats://bob:***@h:4222');
        expect(o.seed).toBe('***');
        expect(o.deep).toEqual({ key: '***', list: ['***@host:4222'] });
        expect(o.err).toBe('token *** refused');
      } else expect(line).toContain('url=nats://bob:***@h:4222');
    }
  });

  it("runMain's own lines (a configuration error, a fatal error) follow the json format", async () => {
    const err: string[] = [];
    const proc = (): ProcessLike => ({
      argv: ['node', 'x'],
      env: {},
      stdout: { write: () => true },
      stderr: { write: (s: string) => (err.push(s), true) },
      on: () => undefined,
      exit: () => undefined,
    });
    const p1 = proc();
    const log = createLogger({ name: 'app', format: 'json', write: (l) => void p1.stderr.write(l), secrets: ['s3cret-value'] });
    const { ConfigError } = await import('../src/index.ts');
    expect(
      await runMain('app', () => Promise.reject(new ConfigError('--x: bad s3cret-value')), { process: p1, logger: log, exitDelayMs: 10 }),
    ).toBe(2);
    expect(await runMain('app', () => Promise.reject(new Error('kaput')), { process: proc(), logger: log, exitDelayMs: 10 })).toBe(1);
    const objs = err.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs[0]).toMatchObject({ level: 'error', name: 'app', msg: 'app: --x: bad ***' });
    expect(objs[1]).toMatchObject({ level: 'error', name: 'app' });
    expect(String(objs[1]?.msg)).toMatch(/^app: fatal: Error: kaput/);
  });
});
