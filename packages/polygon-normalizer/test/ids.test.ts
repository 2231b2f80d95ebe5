import { describe, expect, it } from 'vitest';
import {
  Normalizer,
  normalizeFrame,
  optionTradeKey,
  optionTradeMsgId,
  parseFrame,
  readTradeId,
  stockQuoteMsgId,
  stockTradeMsgId,
  TradeOrdinals,
} from '@md/polygon-normalizer';
import { Rng } from '@md/test-support';

const OPT = 'O:SPY251216C00676000';

describe('message ids (event contract section 7)', () => {
  it('stock trades: subject:SYM:t:q:x:i, absent parts -', () => {
    expect(stockTradeMsgId('SPY', 1765898100141, 9125017, 4, '00220725')).toBe('market.stocks.trades:SPY:1765898100141:9125017:4:00220725');
    expect(stockTradeMsgId('BRK.B', 1765898100141, null, null, null)).toBe('market.stocks.trades:BRK.B:1765898100141:-:-:-');
    expect(stockTradeMsgId('SPY', 1, 0, 0, '')).toBe('market.stocks.trades:SPY:1:0:0:-');
  });
  it('stock quotes: subject:SYM:t:q', () => {
    expect(stockQuoteMsgId('SPY', 1765898100612, 83515340)).toBe('market.stocks.quotes:SPY:1765898100612:83515340');
    expect(stockQuoteMsgId('SPY', 1765898100612, null)).toBe('market.stocks.quotes:SPY:1765898100612:-');
  });
  it('option trades: subject:SYM:t:x:p:s:c:n with the contract float text', () => {
    expect(optionTradeMsgId(OPT, 1765898100112, 302, 2.23, 5, [209], 0)).toBe(
      `market.options.trades:${OPT}:1765898100112:302:2.23:5:209:0`,
    );
    expect(optionTradeMsgId(OPT, 1765898100112, null, 3, 1, null, 2)).toBe(`market.options.trades:${OPT}:1765898100112:-:3.0:1:-:2`);
    expect(optionTradeKey(7, 0.00001, 10, [])).toBe('7:1e-05:10:-');
    expect(optionTradeKey(7, 1234.5, 10, [209, 12, 37])).toBe('7:1234.5:10:209.12.37');
    expect(() => optionTradeKey(7, NaN, 1, null)).toThrow(RangeError);
  });
  it('readTradeId keeps the vendor text, refuses what cannot be an id part', () => {
    expect(readTradeId('00220725')).toEqual({ id: '00220725' });
    expect(readTradeId(52992)).toEqual({ id: '52992' });
    expect(readTradeId(undefined)).toEqual({ id: null });
    expect(readTradeId('')).toEqual({ id: null });
    expect(readTradeId('a:b')).toMatchObject({ reason: expect.stringMatching(/':'/) });
    expect(readTradeId('a\r\nb')).toMatchObject({ reason: expect.stringMatching(/printable ASCII/) });
    expect(readTradeId(1.5)).toMatchObject({ reason: expect.stringMatching(/number 1.5/) });
    expect(readTradeId([1])).toMatchObject({ reason: expect.stringMatching(/object/) });
    expect(readTradeId('9'.repeat(65))).toMatchObject({ reason: expect.stringMatching(/64/) });
  });
  it('parseFrame keeps a stock trade id exactly (leading zeros) and refuses a bad one on field i', () => {
    const f = (i: string) => `[{"ev":"T","sym":"SPY","i":${i},"x":4,"p":676.4,"s":1,"t":1765898100141,"q":1}]`;
    expect(parseFrame(f('"00220725"'), { receivedAtNs: 0n }).messages[0]).toMatchObject({ kind: 'stock_trade', i: '00220725' });
    expect(parseFrame(f('52992'), { receivedAtNs: 0n }).messages[0]).toMatchObject({ i: '52992' });
    expect(parseFrame('[{"ev":"T","sym":"SPY","p":1.5,"s":1,"t":1765898100058}]', { receivedAtNs: 0n }).messages[0]).toMatchObject({
      i: null,
    });
    const bad = parseFrame(f('{"a":1}'), { receivedAtNs: 0n });
    expect(bad.messages).toEqual([]);
    expect(bad.errors[0]?.field).toBe('i');
  });
  it('the same q on two exchanges (the vendor repeats q) gives two ids', () => {
    const line =
      '[{"ev":"T","sym":"SPY","i":"1","x":4,"p":676.4,"s":1,"t":1765898100141,"q":77},{"ev":"T","sym":"SPY","i":"1","x":12,"p":676.4,"s":1,"t":1765898100141,"q":77}]';
    const ids = normalizeFrame(line, { receivedAtNs: 0n, normalizer: new Normalizer({ source: 'massive_ws' }) }).events.map((e) => e.msgId);
    expect(ids).toEqual(['market.stocks.trades:SPY:1765898100141:77:4:1', 'market.stocks.trades:SPY:1765898100141:77:12:1']);
  });
});

describe('TradeOrdinals', () => {
  it('counts identical (t, key) per symbol in arrival order', () => {
    const o = new TradeOrdinals();
    expect([o.next(OPT, 1000, 'k'), o.next(OPT, 1000, 'k'), o.next(OPT, 1000, 'k')]).toEqual([0, 1, 2]);
    expect(o.next(OPT, 1000, 'other')).toBe(0);
    expect(o.next(OPT, 1001, 'k')).toBe(0);
    expect(o.next('O:SPY251216P00676000', 1000, 'k')).toBe(0);
    expect(o.next(OPT, 1000, 'k')).toBe(3); // an older t arriving late still counts on
    expect(o.forget(OPT)).toBe(true);
    expect(o.next(OPT, 1000, 'k')).toBe(0);
  });
  it('drops counts older than the newest t of the symbol minus 10 s', () => {
    const o = new TradeOrdinals();
    const t0 = 1_765_898_100_000;
    o.next(OPT, t0, 'k');
    o.next(OPT, t0 + 10_000, 'k'); // exactly the horizon: kept
    expect(o.next(OPT, t0, 'k')).toBe(1);
    o.next(OPT, t0 + 11_001, 'k'); // t0 is now more than 10 s behind
    expect(o.keys).toBe(2);
    expect(o.next(OPT, t0, 'k')).toBe(0); // pruned: counted afresh
  });
  it('memory is bounded by the last 10 s of trades, over many symbols and hours', () => {
    const r = new Rng(7);
    const o = new TradeOrdinals();
    let t = 1_765_898_100_000;
    let maxKeys = 0;
    for (let i = 0; i < 200_000; i++) {
      t += r.int(0, 20); // ~10 ms apart on average: about 1,000 trades per 10 s
      o.next(`O:SPY251216C00${r.int(600, 799)}000`, t, `${r.int(300, 320)}:1.5:${r.int(1, 3)}:-`);
      if (i % 1000 === 0) maxKeys = Math.max(maxKeys, o.keys);
    }
    expect(maxKeys).toBeLessThan(1_500);
    // a symbol with no trade for 10 s is dropped whole
    o.next('O:QQQ251216C00500000', t, 'k');
    o.next('O:QQQ251216C00500001', t + 12_000, 'k');
    expect(o.size).toBe(1);
  });
  it('two copies holding identical trades of one ms in different orders get the same ids', () => {
    const trade = (x: number, p: number, c: string) => `{"ev":"T","sym":"${OPT}","x":${x},"p":${p},"s":1,"c":[${c}],"t":1765898100112}`;
    const a = [trade(302, 2.23, '209'), trade(302, 2.23, '209'), trade(313, 2.23, '209'), trade(302, 2.23, '209'), trade(302, 2.22, '209')];
    const b = [a[2], a[4], a[0], a[1], a[3]];
    const ids = (xs: (string | undefined)[]) =>
      normalizeFrame(`[${xs.join(',')}]`, { receivedAtNs: 0n, normalizer: new Normalizer({ source: 'massive_ws' }) })
        .events.map((e) => e.msgId)
        .sort();
    expect(ids(a)).toEqual(ids(b));
    expect(new Set(ids(a)).size).toBe(5);
    expect(ids(a).filter((id) => id.includes(':302:2.23:1:209:'))).toHaveLength(3);
  });
});
