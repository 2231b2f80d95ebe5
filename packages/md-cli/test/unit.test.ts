/** The pieces without NATS: --since, ISO times, subject patterns, gap announcements, the id set, the arguments. */
import { describe, expect, it } from 'vitest';
import { isConfigError } from '@md/app-kit';
import { checkPattern, isoNs, jsonWithBigints, parseGap, parseIsoNs, parseMdArgs, parseSince, patternsOverlap } from '../src/index.js';
import { IdSet } from '../src/id-set.js';

const NOW = 1765895700112000001n;

describe('--since', () => {
  it('takes Unix ns exactly, durations back from now, ISO times with up to 9 fractional digits', () => {
    expect(parseSince('1765895700112000001')).toBe(1765895700112000001n);
    expect(parseSince('5m', '--since', NOW)).toBe(NOW - 300_000_000_000n);
    expect(parseSince('1.5h', '--since', NOW)).toBe(NOW - 5_400_000_000_000n);
    expect(parseSince('250ms', '--since', NOW)).toBe(NOW - 250_000_000n);
    expect(parseSince('2025-12-16T14:35:00.112000001Z')).toBe(1765895700112000001n);
    expect(parseSince('2025-12-16T09:35:00.112000001-05:00')).toBe(1765895700112000001n);
    expect(parseSince('2025-12-16T14:35:00Z')).toBe(1765895700000000000n);
    expect(parseSince('2025-12-16')).toBe(1765843200000000000n);
  });
  it('refuses what it cannot read, naming the flag', () => {
    for (const bad of ['yesterday', '5 m', '-5m', '2025-13-01', '2025-02-30T00:00:00Z', '']) {
      let err: unknown;
      try {
        parseSince(bad);
      } catch (e) {
        err = e;
      }
      expect(isConfigError(err), bad).toBe(true);
      expect((err as Error).message).toMatch(/^--since/);
    }
  });
  it('ISO text with 9 fractional digits round-trips exactly', () => {
    for (const ns of [0n, 1n, NOW, 1609160400000704060n, 4102444799999999999n]) expect(parseIsoNs(isoNs(ns))).toBe(ns);
    expect(isoNs(NOW)).toBe('2025-12-16T14:35:00.112000001Z');
    expect(isoNs(-1n)).toBe('1969-12-31T23:59:59.999999999Z');
  });
});

describe('subjects', () => {
  it('checks patterns and their overlap with a stream', () => {
    expect(checkPattern('market.futures.*')).toBe('market.futures.*');
    for (const bad of ['market..x', 'market.>.x', 'mar*ket', 'a b', '']) expect(() => checkPattern(bad)).toThrow(/is not a NATS subject/);
    expect(patternsOverlap('market.>', 'market.stocks.*')).toBe(true);
    expect(patternsOverlap('market.>', 'md.live.gaps')).toBe(false);
    expect(patternsOverlap('market.*.trades', 'market.stocks.quotes')).toBe(false);
    expect(patternsOverlap('market.*', 'market.stocks.trades')).toBe(false);
  });
});

describe('gap announcements', () => {
  it('reads ns bounds exactly (past 2^53)', () => {
    const g = parseGap(
      '{"type":"gap","status":"unfilled","gap_id":"x-1","session":"stocks","subject":"market.stocks.trades","item":"T.SPY","symbol":"SPY",' +
        '"from_ns":1765898100112000001,"to_ns":1765898104051000003,"reason":"disconnect","count":0,"why":"retries exhausted","rest_requests":4,"at":"2025-12-16T15:15:05.120Z"}',
    );
    expect([g.from_ns, g.to_ns, g.status, g.why]).toEqual([1765898100112000001n, 1765898104051000003n, 'unfilled', 'retries exhausted']);
    expect(() => parseGap('{"type":"gap","status":"lost"}')).toThrow(/status must be open, filled or unfilled/);
    expect(jsonWithBigints({ a: 1765898100112000001n })).toBe('{"a":1765898100112000001}');
  });
});

describe('IdSet', () => {
  it('finds the first copy of a repeated id, grows, and tells a hash collision from a duplicate', () => {
    const s = new IdSet(16);
    for (let i = 1; i <= 10_000; i++) expect(s.add(`market.stocks.trades:SPY:${1765898100141 + i}:${i}:4:x`, i)).toBe(0);
    expect(s.size).toBe(10_000);
    const again = 'market.stocks.trades:SPY:1765898100146:5:4:x';
    expect(s.add(again, 20_000)).toBe(5);
    expect(s.confirm(again, 20_000, true)).toBe(true);
    // the message at the first seq has another id: a collision, remembered exactly from then on
    const other = 'market.stocks.trades:SPY:1765898100147:6:4:x';
    expect(s.add(other, 20_001)).toBe(6);
    expect(s.confirm(other, 20_001, false)).toBe(false);
    expect(s.add(other, 20_002)).toBe(20_001);
    expect(s.confirm(other, 20_002, false)).toBe(true);
    expect(s.size).toBe(10_001);
  });
  it('costs 23 to 46 bytes per id (printed)', () => {
    const s = new IdSet();
    const n = 1_000_000;
    let candidates = 0;
    for (let i = 1; i <= n; i++)
      if (s.add(`market.futures.trades:5482:${1609160400099150057n + BigInt(i)}:${i}:f.dbn.zst:${i}`, i) !== 0) candidates++;
    console.log(`IdSet: ${n} ids in ${s.bytes} bytes = ${(s.bytes / n).toFixed(1)} bytes per id; ${candidates} hash collisions`);
    expect(s.size).toBe(n - candidates);
    expect(candidates).toBe(0);
    expect(s.bytes / n).toBeLessThanOrEqual(46);
  });
});

describe('arguments', () => {
  const env = {};
  it('commands, subjects, defaults', () => {
    expect(parseMdArgs(['tail'], env)).toMatchObject({
      command: 'tail',
      subjects: [],
      last: 10,
      follow: true,
      pretty: false,
      stream: 'MARKET_DATA',
    });
    expect(parseMdArgs(['audit', 'market.>', '--json'], { MD_STREAM: 'X' })).toMatchObject({
      command: 'audit',
      subjects: ['market.>'],
      json: true,
      stream: 'X',
    });
    expect(parseMdArgs(['--help'], env)).toHaveProperty('help');
    expect(parseMdArgs(['tail', '-h'], env)).toHaveProperty('help');
  });
  it('usage errors', () => {
    expect(() => parseMdArgs(['adit'], env)).toThrow(`unknown command "adit", did you mean 'audit'?`);
    expect(() => parseMdArgs(['tail', '--since', '5m', '--last', '3'], env)).toThrow('--since and --last contradict each other');
    expect(() => parseMdArgs(['tail', '--limit', '0'], env)).toThrow('--limit must be an integer >= 1, got "0"');
    expect(() => parseMdArgs(['audit', '--jsn'], env)).toThrow(`did you mean '--json'?`);
    expect(() => parseMdArgs(['tail', 'market..x'], env)).toThrow('SUBJECT "market..x" is not a NATS subject');
  });
});
