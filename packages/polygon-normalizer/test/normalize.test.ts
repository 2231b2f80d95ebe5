import { describe, expect, it } from 'vitest';
import { decode, encodeToString, type OptionTrade, type StockQuote, type StockTrade } from '@md/event-types';
import { msToNs, Normalizer, normalizeFrame, parseFrame, QuoteBook, stockQuoteMsgId, type Cluster } from '@md/polygon-normalizer';
import { at, frames, haveFixtures } from './fixtures';

const RECV = 1765898100512345678n;

describe('field by field', () => {
  it('stock trade (TRF print, odd lot, sub-penny)', () => {
    const line =
      '[{"ev":"T","sym":"SPY","i":"71675577324512","x":4,"p":676.405,"s":37,"c":[37],"t":1765898100141,"pt":1765898100138,"q":9125017,"z":2,"trfi":202,"trft":1765898100141,"ds":"37.0"}]';
    const n = new Normalizer({ source: 'massive_ws' });
    const { events } = normalizeFrame(line, { receivedAtNs: RECV, cluster: 'stocks', normalizer: n });
    expect(events).toHaveLength(1);
    const p = at(events, 0);
    expect(p.subject).toBe('market.stocks.trades');
    expect(p.msgId).toBe('market.stocks.trades:SPY:1765898100141:9125017:4:71675577324512');
    const e = p.event as StockTrade;
    expect(e).toStrictEqual({
      ts_event_ns: 1765898100141000000n,
      ts_recv_ns: RECV,
      source: 'massive_ws',
      symbol: 'SPY',
      price: 676.405,
      size: 37,
      exchange: 4,
      conditions: [37],
      seq: 9125017,
    } satisfies StockTrade);
    expect(Object.keys(e)).toEqual(['ts_event_ns', 'ts_recv_ns', 'source', 'symbol', 'price', 'size', 'exchange', 'conditions', 'seq']);
    expect(encodeToString(e, p.subject)).toBe(
      '{"ts_event_ns":1765898100141000000,"ts_recv_ns":1765898100512345678,"source":"massive_ws","symbol":"SPY","price":676.405,"size":37,"exchange":4,"conditions":[37],"seq":9125017}',
    );
  });

  it('stock trade without c, stock quote (shares)', () => {
    const line =
      '[{"ev":"T","sym":"SPY","i":"53011","x":11,"p":676.0,"s":500,"t":1765898100611,"q":9125060,"z":2},{"ev":"Q","sym":"SPY","bx":11,"ax":11,"bp":676.41,"ap":676.42,"bs":360,"as":120,"c":0,"i":[604],"t":1765898100612,"q":83515340,"z":2}]';
    const n = new Normalizer({ source: 'polygon_ws' });
    const { events } = normalizeFrame(line, { receivedAtNs: RECV, cluster: 'stocks', normalizer: n });
    const trade = at(events, 0);
    expect((trade.event as StockTrade).conditions).toBeNull();
    expect(encodeToString(trade.event, trade.subject)).toContain('"price":676.0,');
    expect(events[1]).toStrictEqual({
      subject: 'market.stocks.quotes',
      msgId: 'market.stocks.quotes:SPY:1765898100612:83515340',
      event: {
        ts_event_ns: 1765898100612000000n,
        ts_recv_ns: RECV,
        source: 'polygon_ws',
        symbol: 'SPY',
        bid_px: 676.41,
        ask_px: 676.42,
        bid_sz: 360,
        ask_sz: 120,
        bid_exch: 11,
        ask_exch: 11,
        seq: 83515340,
      } satisfies StockQuote,
    });
    expect(n.book.get('SPY')).toEqual({ bid: 676.41, ask: 676.42, bidSize: 360, askSize: 120, t: 1765898100612 });
  });

  it('option trade with opt_bid/opt_ask from the quote book; option quotes are not published', () => {
    const n = new Normalizer({ source: 'massive_ws' });
    const q = normalizeFrame(
      '[{"ev":"Q","sym":"O:SPY251216C00676000","bx":302,"ax":313,"bp":2.21,"ap":2.23,"bs":85,"as":112,"t":1765898100095,"q":1193224501}]',
      { receivedAtNs: RECV, cluster: 'options', normalizer: n },
    );
    expect(q.events).toEqual([]);
    expect(q.parsed.messages[0]?.kind).toBe('option_quote');
    const t = normalizeFrame(
      '[{"ev":"T","sym":"O:SPY251216C00676000","x":302,"p":2.23,"s":5,"c":[209],"t":1765898100112,"q":1193224588}]',
      { receivedAtNs: RECV + 1n, cluster: 'options', normalizer: n },
    );
    expect(t.events).toStrictEqual([
      {
        subject: 'market.options.trades',
        msgId: 'market.options.trades:O:SPY251216C00676000:1765898100112:302:2.23:5:209:0',
        event: {
          ts_event_ns: 1765898100112000000n,
          ts_recv_ns: RECV + 1n,
          source: 'massive_ws',
          underlying: 'SPY',
          option_symbol: 'O:SPY251216C00676000',
          exp_date: '2025-12-16',
          strike: 676,
          right: 'C',
          price: 2.23,
          size: 5,
          opt_bid: 2.21,
          opt_ask: 2.23,
          aggressor: 1,
          conditions: [209],
          seq: 1193224588,
        } satisfies OptionTrade,
      },
    ]);
    // the bytes decode back to the same event (exact ns)
    const trade = at(t.events, 0);
    const bytes = encodeToString(trade.event, trade.subject);
    expect(decode('market.options.trades', bytes)).toStrictEqual(trade.event);
  });

  it('no quote yet: opt_bid/opt_ask null, aggressor 0; underlying mapping for SPXW', () => {
    const n = new Normalizer({ source: 'massive_ws', underlyingOf: (r) => (r === 'SPXW' ? 'SPX' : r) });
    const { events } = normalizeFrame('[{"ev":"T","sym":"O:SPXW251216P06800000","x":302,"p":12.5,"s":1,"t":1765898100112}]', {
      receivedAtNs: RECV,
      normalizer: n,
    });
    const e = at(events, 0).event as OptionTrade;
    expect([e.underlying, e.strike, e.right, e.opt_bid, e.opt_ask, e.aggressor, e.seq, e.conditions]).toEqual([
      'SPX',
      6800,
      'P',
      null,
      null,
      0,
      null,
      null,
    ]);
    expect(events[0]?.msgId).toBe('market.options.trades:O:SPXW251216P06800000:1765898100112:302:12.5:1:-:0');
  });

  it('ms -> ns is exact bigint arithmetic', () => {
    expect(msToNs(1765898100141)).toBe(1765898100141000000n);
    expect(msToNs(9_999_999_999_999)).toBe(9_999_999_999_999_000_000n);
    expect(stockQuoteMsgId('BRK.B', 1, null)).toBe('market.stocks.quotes:BRK.B:1:-');
  });

  it('message ids come from vendor fields only: two normalizers on the same frames agree whatever the clock', () => {
    const line =
      '[{"ev":"T","sym":"O:SPY251216P00675000","x":323,"p":1.42,"s":40,"c":[233],"t":1765898100455,"q":1193226007},{"ev":"T","sym":"O:SPY251216P00675000","x":323,"p":1.42,"s":40,"c":[233],"t":1765898100455,"q":1193226008}]';
    const a = normalizeFrame(line, { receivedAtNs: 1n, normalizer: new Normalizer({ source: 'massive_ws' }) }).events.map((p) => p.msgId);
    const b = normalizeFrame(line, { receivedAtNs: 2n, normalizer: new Normalizer({ source: 'polygon_ws' }) }).events.map((p) => p.msgId);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(2); // identical prints of one ms stay distinct through their ordinal
    expect(a).toEqual([
      'market.options.trades:O:SPY251216P00675000:1765898100455:323:1.42:40:233:0',
      'market.options.trades:O:SPY251216P00675000:1765898100455:323:1.42:40:233:1',
    ]);
  });
});

describe.skipIf(!haveFixtures)('aggressor cases of the fixtures README (arrival order)', () => {
  function aggressors(file: string, cluster: Cluster): Record<number, number[]> {
    const n = new Normalizer({ source: 'massive_ws' });
    const out: Record<number, number[]> = {};
    frames(file).forEach((text, i) => {
      const parsed = parseFrame(text, { receivedAtNs: RECV, cluster });
      for (const m of parsed.messages) {
        if (m.kind === 'stock_trade') (out[i + 1] ??= []).push(n.book.aggressor(m.sym, m.p));
        const p = m.kind === 'status' ? null : n.message(m, RECV);
        if (p && m.kind === 'option_trade') (out[i + 1] ??= []).push((p.event as OptionTrade).aggressor);
      }
    });
    return out;
  }
  it('stocks.jsonl: 6 -> +1, 7 -> 0, 8 -> +1 +1, 9 -> 0, 10 -> 0, 11 -> -1, 12 -> +1, 13 -> 0 +1 (stale quote kept)', () => {
    expect(aggressors('stocks.jsonl', 'stocks')).toEqual({ 6: [1], 7: [0], 8: [1, 1], 9: [0], 10: [0], 11: [-1], 12: [1], 13: [0, 1] });
  });
  it('options.jsonl: at the ask +1, at the bid -1, mid 0, no quote 0, new strike, block above the ask', () => {
    expect(aggressors('options.jsonl', 'options')).toEqual({ 8: [1], 9: [-1, -1], 10: [0, 0], 11: [0, 0], 14: [1], 15: [1], 16: [1] });
  });
  it('options.jsonl opt_bid/opt_ask: the latest quote that arrived before the trade', () => {
    const n = new Normalizer({ source: 'massive_ws' });
    const got: [string, number | null, number | null][] = [];
    for (const text of frames('options.jsonl')) {
      for (const p of normalizeFrame(text, { receivedAtNs: RECV, cluster: 'options', normalizer: n }).events) {
        const e = p.event as OptionTrade;
        got.push([`${e.strike}${e.right}`, e.opt_bid, e.opt_ask]);
      }
    }
    expect(got).toEqual([
      ['676C', 2.21, 2.23],
      ['676P', 1.8, 1.82],
      ['676P', 1.8, 1.82],
      ['677C', 1.75, 1.77],
      ['676C', 2.21, 2.23],
      ['675P', null, null],
      ['675P', null, null],
      ['678C', 1.37, 1.39],
      ['676C', 2.21, 2.23],
      ['677C', 1.75, 1.77],
    ]);
  });
  it('every fixture event encodes and decodes back exactly', () => {
    for (const [file, cluster] of [
      ['stocks.jsonl', 'stocks'],
      ['options.jsonl', 'options'],
    ] as [string, Cluster][]) {
      const n = new Normalizer({ source: 'massive_ws' });
      let count = 0;
      for (const text of frames(file)) {
        for (const p of normalizeFrame(text, { receivedAtNs: RECV, cluster, normalizer: n }).events) {
          expect(decode(p.subject, encodeToString(p.event, p.subject))).toStrictEqual(p.event);
          count++;
        }
      }
      expect(count).toBe(file === 'stocks.jsonl' ? 19 : 10);
    }
  });
});

describe('QuoteBook', () => {
  it('aggressor rules, empty sides, forget', () => {
    const b = new QuoteBook();
    expect(b.aggressor('X', 1)).toBe(0);
    b.update('X', 1.0, 1.1, 1, 1, 1);
    expect([b.aggressor('X', 1.1), b.aggressor('X', 1.2), b.aggressor('X', 1.0), b.aggressor('X', 0.9), b.aggressor('X', 1.05)]).toEqual([
      1, 1, -1, -1, 0,
    ]);
    b.update('X', 0, 0.05, 0, 10, 2); // no bid
    expect([b.aggressor('X', 0.05), b.aggressor('X', 0.01)]).toEqual([1, 0]);
    b.update('X', 0.5, 0, 3, 0, 3); // no offer
    expect([b.aggressor('X', 0.6), b.aggressor('X', 0.5)]).toEqual([0, -1]);
    b.update('X', 1, 1, 1, 1, 4); // locked: the ask is tested first
    expect(b.aggressor('X', 1)).toBe(1);
    expect(b.forget('X')).toBe(true);
    expect(b.aggressor('X', 1)).toBe(0);
    expect(b.size).toBe(0);
  });
});
