/** Sample events (one per schema) and their golden bytes, shared by the tests. */
import type { FuturesTrade, GreeksSnapshot, MBP10, OptionTrade, StockQuote, StockTrade } from '../src/index.js';

export const stockTrade: StockTrade = {
  ts_event_ns: 1702900800123000000n,
  ts_recv_ns: 1702900800123456789n,
  source: 'polygon_ws',
  symbol: 'AAPL',
  price: 195.71,
  size: 100,
  exchange: 4,
  conditions: [12, 37],
  seq: 4523,
};
export const stockTradeJson =
  '{"ts_event_ns":1702900800123000000,"ts_recv_ns":1702900800123456789,"source":"polygon_ws","symbol":"AAPL","price":195.71,"size":100,"exchange":4,"conditions":[12,37],"seq":4523}';

export const stockQuote: StockQuote = {
  ts_event_ns: 1702900800124000000n,
  ts_recv_ns: 1702900800124100000n,
  source: 'massive_ws',
  symbol: 'SPY',
  bid_px: 470.5,
  ask_px: 471.0,
  bid_sz: 300,
  ask_sz: 200,
  bid_exch: 11,
  ask_exch: null,
  seq: null,
};
export const stockQuoteJson =
  '{"ts_event_ns":1702900800124000000,"ts_recv_ns":1702900800124100000,"source":"massive_ws","symbol":"SPY","bid_px":470.5,"ask_px":471.0,"bid_sz":300,"ask_sz":200,"bid_exch":11,"ask_exch":null,"seq":null}';

export const optionTrade: OptionTrade = {
  ts_event_ns: 1765900800000000000n,
  ts_recv_ns: 1765900800000123456n,
  source: 'polygon_ws',
  underlying: 'SPY',
  option_symbol: 'O:SPY251216C00676000',
  exp_date: '2025-12-16',
  strike: 676,
  right: 'C',
  price: 1.25,
  size: 10,
  opt_bid: 1.2,
  opt_ask: null,
  aggressor: 1,
  conditions: null,
  seq: 77,
};
export const optionTradeJson =
  '{"ts_event_ns":1765900800000000000,"ts_recv_ns":1765900800000123456,"source":"polygon_ws","underlying":"SPY","option_symbol":"O:SPY251216C00676000","exp_date":"2025-12-16","strike":676.0,"right":"C","price":1.25,"size":10,"opt_bid":1.2,"opt_ask":null,"aggressor":1,"conditions":null,"seq":77}';

export const futuresTrade: FuturesTrade = {
  ts_event_ns: 1609160400000704060n,
  ts_recv_ns: 1609160400000711344n,
  source: 'replay',
  symbol: 'ESH1',
  price: 3720.25,
  size: 1,
  aggressor: -1,
  exchange: 'CME',
  conditions: null,
  seq: 1170352,
};
export const futuresTradeJson =
  '{"ts_event_ns":1609160400000704060,"ts_recv_ns":1609160400000711344,"source":"replay","symbol":"ESH1","price":3720.25,"size":1,"aggressor":-1,"exchange":"CME","conditions":null,"seq":1170352}';

export const mbp10: MBP10 = {
  ts_event_ns: 1609160400000429831n,
  ts_recv_ns: 1609160400000431665n,
  source: 'replay',
  symbol: 'ESH1',
  levels: Array.from({ length: 10 }, (_, k) => ({
    bid_px: k === 9 ? null : 3720 - 0.25 * k,
    bid_sz: k === 9 ? 0 : 10 + k,
    ask_px: 3720.25 + 0.25 * k,
    ask_sz: 20 + k,
  })),
  is_snapshot: false,
  seq: 1170340,
};
export const mbp10Json =
  '{"ts_event_ns":1609160400000429831,"ts_recv_ns":1609160400000431665,"source":"replay","symbol":"ESH1","levels":[' +
  '{"bid_px":3720.0,"bid_sz":10,"ask_px":3720.25,"ask_sz":20},{"bid_px":3719.75,"bid_sz":11,"ask_px":3720.5,"ask_sz":21},' +
  '{"bid_px":3719.5,"bid_sz":12,"ask_px":3720.75,"ask_sz":22},{"bid_px":3719.25,"bid_sz":13,"ask_px":3721.0,"ask_sz":23},' +
  '{"bid_px":3719.0,"bid_sz":14,"ask_px":3721.25,"ask_sz":24},{"bid_px":3718.75,"bid_sz":15,"ask_px":3721.5,"ask_sz":25},' +
  '{"bid_px":3718.5,"bid_sz":16,"ask_px":3721.75,"ask_sz":26},{"bid_px":3718.25,"bid_sz":17,"ask_px":3722.0,"ask_sz":27},' +
  '{"bid_px":3718.0,"bid_sz":18,"ask_px":3722.25,"ask_sz":28},{"bid_px":null,"bid_sz":0,"ask_px":3722.5,"ask_sz":29}' +
  '],"is_snapshot":false,"seq":1170340}';

export const greeks: GreeksSnapshot = {
  ts_event_ns: 1765900800000000000n,
  ts_recv_ns: 1765900800000500000n,
  source: 'massive_rest',
  underlying: 'SPX',
  option_symbol: 'O:SPXW251216P06000000',
  exp_date: '2025-12-16',
  strike: 6000,
  right: 'P',
  underlying_px: 6010.5,
  iv: 0.1234,
  delta: -0.45,
  gamma: 0.0012,
  theta: -1.5e-5,
  vega: 2.0,
  rho: null,
  seq: null,
};
export const greeksJson =
  '{"ts_event_ns":1765900800000000000,"ts_recv_ns":1765900800000500000,"source":"massive_rest","underlying":"SPX","option_symbol":"O:SPXW251216P06000000","exp_date":"2025-12-16","strike":6000.0,"right":"P","underlying_px":6010.5,"iv":0.1234,"delta":-0.45,"gamma":0.0012,"theta":-1.5e-05,"vega":2.0,"rho":null,"seq":null}';

export const SAMPLES = [
  { schemaId: 'stocks.trades.v1', subject: 'market.stocks.trades', event: stockTrade, json: stockTradeJson },
  { schemaId: 'stocks.quotes.v1', subject: 'market.stocks.quotes', event: stockQuote, json: stockQuoteJson },
  { schemaId: 'options.trades.v1', subject: 'market.options.trades', event: optionTrade, json: optionTradeJson },
  { schemaId: 'futures.trades.v1', subject: 'market.futures.trades', event: futuresTrade, json: futuresTradeJson },
  { schemaId: 'futures.mbp10.v1', subject: 'market.futures.mbp10', event: mbp10, json: mbp10Json },
  { schemaId: 'options.greeks.v1', subject: 'market.options.greeks', event: greeks, json: greeksJson },
] as const;

/** python3 available? (tests that need it skip with a message otherwise) */
import { spawnSync } from 'node:child_process';
export const havePython = spawnSync('python3', ['-c', 'import json'], { encoding: 'utf8' }).status === 0;

/** Run a python3 script with the given stdin; returns stdout (throws with stderr on failure). */
export function python(script: string, input: string): string {
  const r = spawnSync('python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}
