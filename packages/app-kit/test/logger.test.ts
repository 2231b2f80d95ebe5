import { describe, expect, it } from 'vitest';
import { createLogger, redact, type LoggerOptions } from '../src/index.ts';

const T0 = new Date('2025-12-16T14:30:00.123Z');
function capture(opts: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const log = createLogger({ now: () => T0, write: (l) => void lines.push(l), ...opts });
  return { log, lines };
}

/** a syntactically valid user seed (SU + 56 base32 characters) */
const SEED = 'SUAMK2FG4MI6UE3ACF3FK3OIQBCEIEZV7NSWFFEW63UXMRLFM2XLAXK4GY';

describe('createLogger', () => {
  it('text format: <ISO time> <LEVEL> <message>, newline-terminated', () => {
    const { log, lines } = capture();
    log.info('nats: stream MARKET_DATA created');
    log.warn('slow');
    log.error('bad');
    expect(lines).toEqual([
      '2025-12-16T14:30:00.123Z INFO nats: stream MARKET_DATA created\n',
      '2025-12-16T14:30:00.123Z WARN slow\n',
      '2025-12-16T14:30:00.123Z ERROR bad\n',
    ]);
  });

  it('levels: below the level nothing is written; the level can change; enabled()', () => {
    const { log, lines } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    expect(lines).toHaveLength(1);
    expect(log.enabled('info')).toBe(false);
    log.level = 'debug';
    log.debug('now');
    expect(lines[1]).toMatch(/ DEBUG now\n$/);
    expect(log.enabled('debug')).toBe(true);
    expect(() => {
      log.level = 'verbose' as 'debug';
    }).toThrow(/log level must be one of debug, info, warn, error/);
    expect(() => createLogger({ level: 'loud' as 'info' })).toThrow(TypeError);
  });

  it('json format: one object per line with time, level, name and the redacted message', () => {
    const { log, lines } = capture({ format: 'json', name: 'live-ingestor', secrets: ['k-secret-123'] });
    log.warn('key k-secret-123 "quoted"');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      time: '2025-12-16T14:30:00.123Z',
      level: 'warn',
      name: 'live-ingestor',
      msg: 'key *** "quoted"',
    });
  });

  it('redacts registered secrets (also added later) everywhere in a message', () => {
    const { log, lines } = capture({ secrets: ['abcdef123', undefined, ''] });
    log.info('key abcdef123 and again abcdef123.');
    log.addSecret('hunter2-pw', null);
    log.error('auth failed for hunter2-pw');
    expect(lines.map((l) => l.slice(25))).toEqual(['INFO key *** and again ***.\n', 'ERROR auth failed for ***\n']);
    expect(log.redact('abcdef123/hunter2-pw')).toBe('***/***');
  });

  it('beforeWrite runs before every written line (not for filtered ones), and can be set later', () => {
    const events: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => void events.push(`line ${l.trim().split(' ').pop()}`) });
    log.beforeWrite = () => events.push('end bar');
    log.debug('hidden');
    log.info('a');
    log.beforeWrite = undefined;
    log.info('b');
    expect(events).toEqual(['end bar', 'line a', 'line b']);
  });
});

describe('redact', () => {
  it('registered secrets, longest first, also percent-encoded / decoded; short ones are left', () => {
    expect(redact('token Tok-Xy12 and Tok-Xy12345', ['Tok-Xy12', 'Tok-Xy12345'])).toBe('token *** and ***');
    expect(redact('pass Url/Pw-77 raw Url%2FPw-77', ['Url/Pw-77'])).toBe('pass *** raw ***');
    expect(redact('pass Url/Pw-77 raw Url%2FPw-77', ['Url%2FPw-77'])).toBe('pass *** raw ***');
    expect(redact('a b c abc', ['abc', 'a'])).toBe('a b c abc');
  });

  it('credentials in URLs, with or without a scheme, in comma-separated lists, unregistered', () => {
    expect(redact('connect nats://alice:s3cret@h:4222 failed')).toBe('connect nats://alice:***@h:4222 failed');
    expect(redact('nats://tok3n@h:4222')).toBe('nats://***@h:4222');
    expect(redact('tls://u:p@ss/w0rd@h:4222')).toBe('tls://u:***@h:4222');
    expect(redact('NATS_URL=nats://a:p1@h1:4222,nats://b:p2@h2:4222,nats://h3:4222')).toBe(
      'NATS_URL=nats://a:***@h1:4222,nats://b:***@h2:4222,nats://h3:4222',
    );
    expect(redact('cannot connect to NATS at alice:hunter2@127.0.0.1:4222: refused')).toBe(
      'cannot connect to NATS at alice:***@127.0.0.1:4222: refused',
    );
    expect(redact('servers tok3n@127.0.0.1:4222,bob:pw@10.0.0.2:4222')).toBe('servers ***@127.0.0.1:4222,bob:***@10.0.0.2:4222');
    expect(redact('{"url":"wss://user:pw@socket.massive.com/stocks"}')).toBe('{"url":"wss://user:***@socket.massive.com/stocks"}');
    // left alone: URLs without credentials, e-mail addresses, times, paths with '@'
    for (const plain of [
      'stream MARKET_DATA at nats://h:4222, 2 servers',
      'mail ops@example.com about it',
      'at 14:30:00.000Z',
      'https://example.com/a@b',
      'wss://socket.massive.com/stocks',
    ]) {
      expect(redact(plain)).toBe(plain);
    }
    // idempotent
    const once = redact('nats://a:b@h, c:d@h2, e@h3:1');
    expect(redact(once)).toBe(once);
  });

  it('nkey seeds by pattern (58 characters), public keys left alone', () => {
    expect(SEED).toHaveLength(58);
    expect(redact(`seed ${SEED} in a line`)).toBe('seed *** in a line');
    expect(redact(`NATS_NKEY_SEED=${SEED}`)).toBe('NATS_NKEY_SEED=***');
    const pub = 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4';
    expect(redact(`user ${pub}`)).toBe(`user ${pub}`);
  });

  it('creds file contents: the seed is hidden', () => {
    const creds = `-----BEGIN NATS USER JWT-----\neyJhbGciOi.x.y\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${SEED}\n------END USER NKEY SEED------\n`;
    expect(redact(creds)).not.toContain(SEED);
  });
});
