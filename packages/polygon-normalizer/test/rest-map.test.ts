import { describe, expect, it } from 'vitest';
import { encodeToString, type Publishable } from '@md/event-types';
import {
  Normalizer,
  parseFrame,
  parseRestJson,
  restQuoteMessage,
  restSipNs,
  restTradeMessage,
  RestRowError,
  type DataMessage,
} from '@md/polygon-normalizer';

const OPT = 'O:SPY251216C00676000';
const RECV_WS = 1765898100512345678n;
const RECV_REST = 1765898999000000001n;

const rows = (text: string): unknown[] => (parseRestJson(text) as { results: unknown[] }).results;

describe('restTradeMessage / restQuoteMessage', () => {
  it('stock trade: t = floor(sip_timestamp / 1e6), q, x, i (leading zeros), conditions', () => {
    const [r] = rows(
      '{"results":[{"conditions":[12,37],"correction":1,"exchange":11,"id":"00183276","participant_timestamp":1765898100141636600,"price":156.43,"sequence_number":7179341,"sip_timestamp":1765898100141999999,"size":10,"tape":3,"trf_id":3,"trf_timestamp":1765898100090806500}]}',
    );
    expect(restTradeMessage('AAPL', r, 0)).toStrictEqual({
      kind: 'stock_trade',
      index: 0,
      sym: 'AAPL',
      p: 156.43,
      s: 10,
      x: 11,
      c: [12, 37],
      t: 1765898100141,
      q: 7179341,
      i: '00183276',
    });
    expect(restSipNs('AAPL', r, 0)).toBe(1765898100141999999n);
  });
  it('option trade (no id, no sequence number): the ticker is parsed; conditions [] -> null', () => {
    const [r] = rows('{"results":[{"conditions":[],"exchange":302,"price":2.23,"sip_timestamp":1765898100112000000,"size":5}]}');
    const m = restTradeMessage(OPT, r, 4);
    expect(m).toStrictEqual({
      kind: 'option_trade',
      index: 4,
      sym: OPT,
      ticker: { underlying: 'SPY', expDate: '2025-12-16', right: 'C', strike: 676 },
      p: 2.23,
      s: 5,
      x: 302,
      c: null,
      t: 1765898100112,
      q: null,
    });
  });
  it('quotes: stock and option; an absent side is 0, absent exchanges null', () => {
    const [s, o] = rows(
      '{"results":[{"ask_exchange":15,"ask_price":155.87,"ask_size":300,"bid_exchange":19,"bid_price":155.85,"bid_size":400,"indicators":[604],"participant_timestamp":1765898100800402200,"sequence_number":19288684,"sip_timestamp":1765898100800638700,"tape":3},' +
        '{"ask_price":0.05,"ask_size":10,"sequence_number":790000001,"sip_timestamp":1765898100801000000}]}',
    );
    expect(restQuoteMessage('AAPL', s, 0)).toStrictEqual({
      kind: 'stock_quote',
      index: 0,
      sym: 'AAPL',
      bp: 155.85,
      ap: 155.87,
      bs: 400,
      as: 300,
      bx: 19,
      ax: 15,
      t: 1765898100800,
      q: 19288684,
    });
    expect(restQuoteMessage('O:SPY251216P00600000', o, 1)).toMatchObject({
      kind: 'option_quote',
      bp: 0,
      bs: 0,
      ap: 0.05,
      as: 10,
      bx: null,
      ax: null,
      q: 790000001,
    });
  });
  it.each([
    [
      'price',
      '{"exchange":4,"id":"1","sip_timestamp":1765898100141000000,"size":1}',
      /row 3: field price: expected a finite number, missing/,
    ],
    ['price', '{"price":0,"sip_timestamp":1765898100141000000,"size":1}', /field price: expected a number > 0, got 0/],
    ['size', '{"price":1.5,"sip_timestamp":1765898100141000000,"size":0.5}', /field size: expected an integer >= 0, got 0.5/],
    ['sip_timestamp', '{"price":1.5,"size":1}', /field sip_timestamp: expected integer nanoseconds as a bigint .*missing/],
    [
      'sip_timestamp',
      '{"price":1.5,"size":1,"sip_timestamp":1765898100141}',
      /field sip_timestamp: .*13-digit milliseconds, got 1765898100141/,
    ],
    [
      'sequence_number',
      '{"price":1.5,"size":1,"sip_timestamp":1765898100141000000,"sequence_number":9007199254740993}',
      /9007199254740993, above 2\^53-1/,
    ],
    [
      'sequence_number',
      '{"price":1.5,"size":1,"sip_timestamp":1765898100141000000,"sequence_number":-1}',
      /field sequence_number: expected an integer >= 0/,
    ],
    ['conditions', '{"price":1.5,"size":1,"sip_timestamp":1765898100141000000,"conditions":12}', /field conditions: expected an array/],
    [
      'conditions',
      '{"price":1.5,"size":1,"sip_timestamp":1765898100141000000,"conditions":[1,"2"]}',
      /field conditions: expected integer condition codes/,
    ],
    ['exchange', '{"price":1.5,"size":1,"sip_timestamp":1765898100141000000,"exchange":"Q"}', /field exchange: expected an integer/],
    ['id', '{"price":1.5,"size":1,"sip_timestamp":1765898100141000000,"id":"a:b"}', /field id: trade id "a:b"/],
    ['(row)', '[1]', /row 3: field \(row\): expected a row object, got an array/],
  ])('stock trade refused on %s', (field, row, re) => {
    const [r] = rows(`{"results":[${row}]}`);
    let err: unknown;
    try {
      restTradeMessage('SPY', r, 3);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RestRowError);
    expect((err as RestRowError).field).toBe(field);
    expect((err as RestRowError).row).toBe(3);
    expect((err as Error).message).toMatch(/^SPY row 3: /);
    expect((err as Error).message).toMatch(re);
  });
  it('refuses bad tickers as parse.ts does', () => {
    const [r] = rows('{"results":[{"price":1.5,"size":1,"sip_timestamp":1765898100141000000}]}');
    expect(() => restTradeMessage('O:SPY251316C00676000', r, 0)).toThrow(/field \(ticker\): .*month 13/);
    expect(() => restQuoteMessage('SPY251216C00676000', r, 0)).toThrow(/without the "O:" prefix/);
    expect(() => restTradeMessage('', r, 0)).toThrow(/empty ticker/);
  });
});

describe('a REST row makes the same event as its WebSocket copy (bar source and ts_recv_ns)', () => {
  // the same events, as the two sockets carried them and as the two REST endpoints return them (merged by
  // sip_timestamp, the order the WebSocket delivered them)
  const ws = {
    stocks: [
      '[{"ev":"Q","sym":"SPY","bx":11,"ax":12,"bp":676.41,"ap":676.42,"bs":360,"as":120,"c":0,"i":[604],"t":1765898100058,"q":83515300,"z":2},' +
        '{"ev":"T","sym":"SPY","i":"00220725","x":4,"p":676.42,"s":37,"c":[37],"t":1765898100141,"pt":1765898100138,"q":9125017,"z":2,"trfi":202,"trft":1765898100141,"ds":"37.0"}]',
      '[{"ev":"T","sym":"SPY","i":"53011","x":11,"p":676.0,"s":500,"t":1765898100611,"q":9125060,"z":2}]',
    ],
    options: [
      `[{"ev":"Q","sym":"${OPT}","bx":302,"ax":313,"bp":2.21,"ap":2.23,"bs":85,"as":112,"t":1765898100095,"q":1193224501}]`,
      `[{"ev":"T","sym":"${OPT}","x":302,"p":2.23,"s":5,"c":[209],"t":1765898100112},{"ev":"T","sym":"${OPT}","x":302,"p":2.23,"s":5,"c":[209],"t":1765898100112},` +
        `{"ev":"T","sym":"${OPT}","x":313,"p":2.21,"s":1,"t":1765898100112},{"ev":"T","sym":"${OPT}","x":302,"p":2.23,"s":5,"c":[209],"t":1765898100112}]`,
      `[{"ev":"Q","sym":"${OPT}","bx":302,"ax":313,"bp":2.2,"ap":2.24,"bs":5,"as":7,"t":1765898100300,"q":1193224600},{"ev":"T","sym":"${OPT}","x":309,"p":3,"s":2,"c":[209,219],"t":1765898100301,"q":1193224601}]`,
    ],
  };
  const rest: [string, 'trades' | 'quotes', string][] = [
    [
      'SPY',
      'quotes',
      '{"ask_exchange":12,"ask_price":676.42,"ask_size":120,"bid_exchange":11,"bid_price":676.41,"bid_size":360,"conditions":[0],"indicators":[604],"participant_timestamp":1765898100057900000,"sequence_number":83515300,"sip_timestamp":1765898100058123456,"tape":2}',
    ],
    [
      'SPY',
      'trades',
      '{"conditions":[37],"exchange":4,"id":"00220725","participant_timestamp":1765898100138000000,"price":676.42,"sequence_number":9125017,"sip_timestamp":1765898100141987654,"size":37,"tape":2,"trf_id":202,"trf_timestamp":1765898100141000000}',
    ],
    [
      'SPY',
      'trades',
      '{"conditions":[],"exchange":11,"id":"53011","price":676.0,"sequence_number":9125060,"sip_timestamp":1765898100611000000,"size":500,"tape":2}',
    ],
    [
      OPT,
      'quotes',
      '{"ask_exchange":313,"ask_price":2.23,"ask_size":112,"bid_exchange":302,"bid_price":2.21,"bid_size":85,"sequence_number":1193224501,"sip_timestamp":1765898100095000001}',
    ],
    // the identical trades of one ms in another order than the socket's
    [OPT, 'trades', '{"conditions":[209],"exchange":302,"price":2.23,"sip_timestamp":1765898100112000001,"size":5}'],
    [OPT, 'trades', '{"exchange":313,"price":2.21,"sip_timestamp":1765898100112000002,"size":1}'],
    [OPT, 'trades', '{"conditions":[209],"exchange":302,"price":2.23,"sip_timestamp":1765898100112000002,"size":5}'],
    [OPT, 'trades', '{"conditions":[209],"exchange":302,"price":2.23,"sip_timestamp":1765898100112999999,"size":5}'],
    [
      OPT,
      'quotes',
      '{"ask_exchange":313,"ask_price":2.24,"ask_size":7,"bid_exchange":302,"bid_price":2.2,"bid_size":5,"sequence_number":1193224600,"sip_timestamp":1765898100300500000}',
    ],
    [
      OPT,
      'trades',
      '{"conditions":[209,219],"exchange":309,"price":3.0,"sequence_number":1193224601,"sip_timestamp":1765898100301000000,"size":2}',
    ],
  ];

  function wsEvents(): Publishable[] {
    const n = new Normalizer({ source: 'massive_ws' });
    const out: Publishable[] = [];
    for (const [cluster, frames] of Object.entries(ws) as ['stocks' | 'options', string[]][])
      for (const f of frames) {
        const parsed = parseFrame(f, { receivedAtNs: RECV_WS, cluster });
        expect(parsed.errors).toEqual([]);
        n.frame(parsed, out);
      }
    return out;
  }
  function restEvents(): Publishable[] {
    const n = new Normalizer({ source: 'massive_rest' });
    const out: Publishable[] = [];
    rest.forEach(([ticker, kind, row], i) => {
      const [r] = rows(`{"status":"OK","results":[${row}]}`);
      const m: DataMessage = kind === 'trades' ? restTradeMessage(ticker, r, i) : restQuoteMessage(ticker, r, i);
      const p = n.message(m, RECV_REST);
      if (p) out.push(p);
    });
    return out;
  }

  it('byte for byte with the event-types encoder, and the same message ids', () => {
    const a = wsEvents();
    const b = restEvents();
    expect(a).toHaveLength(8);
    expect(b).toHaveLength(8);
    // same multiset of ids (the REST copy has the identical trades in another order)
    expect(b.map((p) => p.msgId).sort()).toEqual(a.map((p) => p.msgId).sort());
    for (const p of a) {
      const q = b.find((x) => x.msgId === p.msgId)!;
      const wsBytes = encodeToString(p.event, p.subject);
      const restBytes = encodeToString(q.event, q.subject);
      expect(restBytes).toContain(`"ts_recv_ns":${RECV_REST},"source":"massive_rest",`);
      expect(
        restBytes.replace(`"ts_recv_ns":${RECV_REST},"source":"massive_rest",`, `"ts_recv_ns":${RECV_WS},"source":"massive_ws",`),
      ).toBe(wsBytes);
    }
    const ids = a.map((p) => p.msgId);
    expect(ids).toEqual([
      'market.stocks.quotes:SPY:1765898100058:83515300',
      'market.stocks.trades:SPY:1765898100141:9125017:4:00220725',
      'market.stocks.trades:SPY:1765898100611:9125060:11:53011',
      `market.options.trades:${OPT}:1765898100112:302:2.23:5:209:0`,
      `market.options.trades:${OPT}:1765898100112:302:2.23:5:209:1`,
      `market.options.trades:${OPT}:1765898100112:313:2.21:1:-:0`,
      `market.options.trades:${OPT}:1765898100112:302:2.23:5:209:2`,
      `market.options.trades:${OPT}:1765898100301:309:3.0:2:209.219:0`,
    ]);
    // aggressor and opt_bid/opt_ask came from the quotes fed before the trades, in both paths
    const bytes = (ps: Publishable[], i: number) => encodeToString(ps[i]!.event, ps[i]!.subject);
    expect(bytes(a, 3)).toContain('"price":2.23,"size":5,"opt_bid":2.21,"opt_ask":2.23,"aggressor":1,"conditions":[209],"seq":null}');
    expect(bytes(a, 5)).toContain('"opt_bid":2.21,"opt_ask":2.23,"aggressor":-1,"conditions":null,');
    expect(bytes(a, 7)).toContain(
      '"price":3.0,"size":2,"opt_bid":2.2,"opt_ask":2.24,"aggressor":1,"conditions":[209,219],"seq":1193224601}',
    );
    expect(bytes(a, 2)).toContain('"conditions":null,"seq":9125060}');
    expect(bytes(b, 0)).toBe(
      `{"ts_event_ns":1765898100058000000,"ts_recv_ns":${RECV_REST},"source":"massive_rest","symbol":"SPY","bid_px":676.41,"ask_px":676.42,"bid_sz":360,"ask_sz":120,"bid_exch":11,"ask_exch":12,"seq":83515300}`,
    );
  });
});
