import { describe, expect, it } from 'vitest';
import { classifyStatus, EventError, FrameError, parseFrame, type Cluster, type VendorMessage } from '@md/polygon-normalizer';
import { at, frames, haveFixtures, indexOf } from './fixtures';

const RECV = 1765898100500123456n;
const dataCount = (ms: VendorMessage[]) => ms.filter((m) => m.kind !== 'status').length;

describe.skipIf(!haveFixtures)('fixture sessions: every line parses to the events index.json lists', () => {
  for (const [file, cluster] of [
    ['stocks.jsonl', 'stocks'],
    ['options.jsonl', 'options'],
  ] as [string, Cluster][]) {
    it(file, () => {
      const idx = indexOf(file);
      const lines = frames(file);
      expect(lines.length).toBe(idx.length);
      for (const e of idx) {
        for (const cl of [cluster, 'auto'] as Cluster[]) {
          const r = parseFrame(at(lines, e.line - 1), { receivedAtNs: RECV, cluster: cl, frame: e.line });
          expect(r.frameError, `${file}:${e.line}`).toBeNull();
          expect(r.errors, `${file}:${e.line}`).toEqual([]);
          expect(r.ignored, `${file}:${e.line}`).toEqual([]);
          const got: Record<string, number> = {};
          for (const m of r.messages) {
            const k = m.kind === 'status' ? 'status' : m.kind.endsWith('trade') ? 'T' : 'Q';
            got[k] = (got[k] ?? 0) + 1;
            if (m.kind !== 'status') expect(m.kind.startsWith(cluster === 'stocks' ? 'stock' : 'option')).toBe(true);
          }
          expect(got, `${file}:${e.line}`).toEqual(e.events);
          expect(r.receivedAtNs).toBe(RECV);
          // arrival (array) order is kept
          expect(r.messages.map((m) => m.index)).toEqual(r.messages.map((_, i) => i));
        }
      }
    });
  }

  it('control.jsonl: each status is read and classified', () => {
    const idx = indexOf('control.jsonl');
    const lines = frames('control.jsonl');
    const expected: Record<number, string> = {
      1: 'auth_failed',
      2: 'auth_failed',
      3: 'auth_failed',
      4: 'auth_timeout',
      5: 'max_connections',
      6: 'max_connections',
      7: 'max_connections',
      8: 'error',
      9: 'error',
      10: 'error',
      11: 'unsubscribed',
      12: 'auth_success',
      13: 'auth_failed',
      14: 'force_disconnect',
      15: 'slow_consumer',
      16: 'auth_required',
    };
    expect(lines.length).toBe(idx.length);
    for (const e of idx) {
      const r = parseFrame(at(lines, e.line - 1), { receivedAtNs: RECV });
      expect(r.messages).toHaveLength(1);
      const m = at(r.messages, 0);
      if (m.kind !== 'status') throw new Error('expected a status');
      expect(m.status).toBe(e.status);
      const info = classifyStatus(m);
      expect(info.kind, `control.jsonl:${e.line}`).toBe(expected[e.line]);
      expect(info.fatal).toBe(expected[e.line] === 'auth_failed');
      if (info.kind === 'unsubscribed') expect(info.item).toBe('T.SPY');
    }
  });
});

describe.skipIf(!haveFixtures)('malformed.jsonl: the handling index.json suggests, line by line', () => {
  const idx = haveFixtures ? indexOf('malformed.jsonl') : [];
  const lines = haveFixtures ? frames('malformed.jsonl') : [];
  it('has one index entry per line', () => expect(lines.length).toBe(idx.length));
  for (const e of idx) {
    it(`line ${e.line}: ${e.case} -> ${e.expect}`, () => {
      const r = parseFrame(at(lines, e.line - 1), { receivedAtNs: RECV, frame: e.line });
      // the surviving data events are exactly the count index.json gives
      expect(dataCount(r.messages)).toBe(e.valid_events);
      const ex = e.expect!;
      if (ex.startsWith('reject_frame')) {
        expect(r.frameError).toBeInstanceOf(FrameError);
        expect(r.frameError!.message).toContain(`frame ${e.line}`);
        expect(r.messages).toEqual([]);
      } else {
        expect(r.frameError).toBeNull();
      }
      if (ex === 'no_events') expect([r.messages, r.errors, r.ignored]).toEqual([[], [], []]);
      if (ex.startsWith('tolerate_as_single_event')) {
        expect(r.elements).toBe(1);
        expect(r.messages).toHaveLength(1);
        expect(r.warnings.join()).toMatch(/bare object/);
      }
      if (ex === 'reject_each_element') {
        expect(r.errors).toHaveLength(r.elements);
        expect(r.elements).toBeGreaterThan(0);
      }
      if (ex.startsWith('reject_event')) {
        expect(r.errors.length).toBeGreaterThanOrEqual(1);
        for (const err of r.errors) {
          expect(err).toBeInstanceOf(EventError);
          expect(err.index).toBe(0);
          expect(err.reason.length).toBeGreaterThan(5);
        }
      }
      if (ex.startsWith('ignore_event')) {
        expect(r.ignored).toHaveLength(1);
        expect(r.errors).toEqual([]);
      }
      if (ex.startsWith('keep_valid_events')) {
        expect(r.errors.map((x) => x.index)).toEqual([1]);
        expect(r.ignored.map((x) => x.index)).toEqual([2]);
        expect(r.messages.map((m) => m.index)).toEqual([0, 3]);
      }
      if (ex === 'log_only') {
        expect(r.messages).toHaveLength(1);
        expect(classifyStatus(r.messages[0] as never).kind).toBe('unknown');
      }
    });
  }

  it('names the field and reason of refused events', () => {
    const reason = (line: number) =>
      parseFrame(at(lines, line - 1), { receivedAtNs: RECV })
        .errors.map((x) => `${x.field}: ${x.reason}`)
        .join();
    expect(reason(9)).toMatch(/^p: expected a finite number, got string "676.41"/);
    expect(reason(10)).toMatch(/^c: /);
    expect(reason(11)).toMatch(/^bs: .*200.5/);
    expect(reason(13)).toMatch(/^t: .*seconds/);
    expect(reason(14)).toMatch(/^t: .*nanoseconds/);
    expect(reason(29)).toMatch(/^p: .*> 0/);
    // the vendor's exact digits, not the rounded double
    expect(reason(30)).toContain('q: expected an integer sequence number >= 0, got 9007199254740993');
    expect(reason(31)).toMatch(/^sym: .*right must be C or P/);
    expect(reason(32)).toMatch(/^sym: .*strike/);
    expect(reason(33)).toMatch(/^sym: .*month 13/);
    expect(reason(34)).toMatch(/without the "O:" prefix/);
    expect(parseFrame(at(lines, 35), { receivedAtNs: RECV }).frameError!.reason).toMatch(/byte-order mark/);
  });

  it('accepts the exponent-form t exactly and keeps the last duplicate key (JSON.parse and Python json.loads agree)', () => {
    const r12 = parseFrame(at(lines, 11), { receivedAtNs: RECV });
    expect(r12.messages[0]).toMatchObject({ kind: 'stock_trade', t: 1765898100490 });
    const r28 = parseFrame(at(lines, 27), { receivedAtNs: RECV });
    expect(r28.messages[0]).toMatchObject({ kind: 'stock_trade', p: 999.99 });
  });
});

describe('parseFrame edge cases', () => {
  it('refuses option events on the stocks cluster and stock events on the options cluster', () => {
    const opt = '[{"ev":"T","sym":"O:SPY251216C00676000","x":302,"p":2.23,"s":5,"t":1765898100112,"q":1}]';
    expect(parseFrame(opt, { receivedAtNs: 0n, cluster: 'stocks' }).errors[0]?.reason).toMatch(/stocks cluster/);
    expect(parseFrame(opt, { receivedAtNs: 0n, cluster: 'options' }).messages[0]?.kind).toBe('option_trade');
    const stk = '[{"ev":"T","sym":"SPY","x":12,"p":676.41,"s":100,"t":1765898100058,"q":9125002}]';
    expect(parseFrame(stk, { receivedAtNs: 0n, cluster: 'options' }).errors[0]?.field).toBe('sym');
  });
  it('q is optional (null) and must be a non-negative safe integer when present', () => {
    const noQ = parseFrame('[{"ev":"T","sym":"SPY","p":1.5,"s":1,"t":1765898100058}]', { receivedAtNs: 0n });
    expect(noQ.messages[0]).toMatchObject({ q: null, x: null, c: null });
    expect(parseFrame('[{"ev":"T","sym":"SPY","p":1.5,"s":1,"t":1765898100058,"q":-1}]', { receivedAtNs: 0n }).errors[0]?.field).toBe('q');
    expect(
      parseFrame('[{"ev":"T","sym":"SPY","p":1.5,"s":1,"t":1765898100058,"q":9007199254740991}]', { receivedAtNs: 0n }).messages[0],
    ).toMatchObject({ q: 9007199254740991 });
  });
  it('quotes may have zero prices and sizes (an empty side), trades may not have a zero price', () => {
    const r = parseFrame('[{"ev":"Q","sym":"O:SPY251216C00690000","bp":0,"ap":0.01,"bs":0,"as":10,"t":1765898100058,"q":5}]', {
      receivedAtNs: 0n,
    });
    expect(r.messages[0]).toMatchObject({ kind: 'option_quote', bp: 0, bs: 0 });
  });
});
