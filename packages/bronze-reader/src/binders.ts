/**
 * Row -> canonical event, per table: each binder takes the column arrays of one window of rows, by the
 * names of the table's columns in TABLE_COLUMNS (tables.ts; a name not there does not compile), and maps row i.
 */
import {
  SUBJECTS,
  type FuturesTrade,
  type MBP10,
  type MBP10Level,
  type OptionTrade,
  type StockQuote,
  type StockTrade,
} from '@md/event-types';
import { bronzeMsgId, Fingerprint } from './msg-id.js';
import {
  aggressor,
  conditions,
  expDate,
  float,
  floatOrNull,
  int,
  intOrNull,
  invalid,
  nonNeg,
  ns,
  seqOf,
  size,
  str,
  UNDEF_PRICE_FLOAT,
  wrap,
} from './rules.js';
import type { BindContext, BronzeTable, Col, RowResult, TableCols } from './tables.js';

type Binder<T extends BronzeTable> = (c: TableCols<T>, ctx: BindContext) => (i: number) => RowResult;

const stockTrades: Binder<'stock_trades'> = (c, ctx) => {
  const fp = new Fingerprint();
  const subject = SUBJECTS.stockTrades;
  return wrap((i) => {
    const price = float(c.price[i], 'price');
    if (!(price > 0)) invalid(`price ${price} <= 0`);
    const event: StockTrade = {
      ts_event_ns: ns(c.ts_event_ns[i], 'ts_event_ns'),
      ts_recv_ns: ns(c.ts_recv_ns[i], 'ts_recv_ns'),
      source: ctx.source(c.source[i]),
      symbol: str(c.symbol[i], 'symbol', 1, 10),
      price,
      size: size(c.size[i], 'size'),
      exchange: intOrNull(c.exchange[i], 'exchange'),
      conditions: conditions(c.conditions[i]),
      seq: seqOf(c.seq[i]),
    };
    fp.reset().num(event.price).num(event.size).numOrNull(event.exchange).list(event.conditions);
    return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
  });
};

const stockQuotes: Binder<'stock_quotes'> = (c, ctx) => {
  const fp = new Fingerprint();
  const subject = SUBJECTS.stockQuotes;
  return wrap((i) => {
    const bid = nonNeg(float(c.bid_px[i], 'bid_px'), 'bid_px');
    const ask = nonNeg(float(c.ask_px[i], 'ask_px'), 'ask_px');
    if (bid > 0 && ask > 0 && ask < bid) invalid(`crossed quote: ask_px ${ask} < bid_px ${bid}`);
    const event: StockQuote = {
      ts_event_ns: ns(c.ts_event_ns[i], 'ts_event_ns'),
      ts_recv_ns: ns(c.ts_recv_ns[i], 'ts_recv_ns'),
      source: ctx.source(c.source[i]),
      symbol: str(c.symbol[i], 'symbol', 1, 10),
      bid_px: bid,
      ask_px: ask,
      bid_sz: nonNeg(int(c.bid_sz[i], 'bid_sz'), 'bid_sz'),
      ask_sz: nonNeg(int(c.ask_sz[i], 'ask_sz'), 'ask_sz'),
      bid_exch: intOrNull(c.bid_exch[i], 'bid_exch'),
      ask_exch: intOrNull(c.ask_exch[i], 'ask_exch'),
      seq: seqOf(c.seq[i]),
    };
    fp.reset().num(bid).num(ask).num(event.bid_sz).num(event.ask_sz).numOrNull(event.bid_exch).numOrNull(event.ask_exch);
    return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
  });
};

const optionTrades: Binder<'option_trades'> = (c, ctx) => {
  const fp = new Fingerprint();
  const subject = SUBJECTS.optionTrades;
  return wrap((i) => {
    const strike = float(c.strike[i], 'strike');
    if (!(strike > 0)) invalid(`strike ${strike} <= 0`);
    const right = c.right[i];
    if (right !== 'C' && right !== 'P') return invalid(`right ${JSON.stringify(right)} is not C or P`);
    const oBid = floatOrNull(c.opt_bid[i], 'opt_bid');
    const oAsk = floatOrNull(c.opt_ask[i], 'opt_ask');
    if (oBid !== null) nonNeg(oBid, 'opt_bid');
    if (oAsk !== null) nonNeg(oAsk, 'opt_ask');
    const event: OptionTrade = {
      ts_event_ns: ns(c.ts_event_ns[i], 'ts_event_ns'),
      ts_recv_ns: ns(c.ts_recv_ns[i], 'ts_recv_ns'),
      source: ctx.source(c.source[i]),
      underlying: str(c.underlying[i], 'underlying', 1, 10),
      option_symbol: str(c.option_symbol[i], 'option_symbol', 1, Infinity),
      exp_date: expDate(c.exp_date[i]),
      strike,
      right,
      price: nonNeg(float(c.price[i], 'price'), 'price'),
      size: size(c.size[i], 'size'),
      opt_bid: oBid,
      opt_ask: oAsk,
      aggressor: aggressor(c.aggressor[i]),
      conditions: conditions(c.conditions[i]),
      seq: seqOf(c.seq[i]),
    };
    fp.reset()
      .str(event.underlying)
      .str(event.exp_date)
      .num(strike)
      .str(right)
      .num(event.price)
      .num(event.size)
      .numOrNull(oBid)
      .numOrNull(oAsk)
      .num(event.aggressor)
      .list(event.conditions);
    return {
      subject,
      event,
      msgId: bronzeMsgId(subject, event.option_symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()),
    };
  });
};

const futuresTrades: Binder<'futures_trades'> = (c, ctx) => {
  const fp = new Fingerprint();
  const subject = SUBJECTS.futuresTrades;
  return wrap((i) => {
    const price = float(c.price[i], 'price');
    if (!(price > 0)) invalid(`price ${price} <= 0`);
    const exchange = c.exchange[i];
    if (exchange !== null && exchange !== undefined && typeof exchange !== 'string') invalid('exchange is not a string');
    const event: FuturesTrade = {
      ts_event_ns: ns(c.ts_event_ns[i], 'ts_event_ns'),
      ts_recv_ns: ns(c.ts_recv_ns[i], 'ts_recv_ns'),
      source: ctx.source(c.source[i]),
      symbol: str(c.symbol[i], 'symbol', 1, 20),
      price,
      size: size(c.size[i], 'size'),
      aggressor: aggressor(c.aggressor[i]),
      exchange: (exchange ?? null) as string | null,
      conditions: conditions(c.conditions[i]),
      seq: seqOf(c.seq[i]),
    };
    fp.reset().num(price).num(event.size).num(event.aggressor).strOrNull(event.exchange).list(event.conditions);
    return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
  });
};

const futuresMbp10: Binder<'futures_mbp10'> = (c, ctx) => {
  const at = (name: string): Col => (c as Record<string, Col>)[name] as Col;
  const bpx: Col[] = [];
  const bsz: Col[] = [];
  const apx: Col[] = [];
  const asz: Col[] = [];
  for (let n = 1; n <= 10; n++) {
    bpx.push(at(`bid_px_${n}`));
    bsz.push(at(`bid_sz_${n}`));
    apx.push(at(`ask_px_${n}`));
    asz.push(at(`ask_sz_${n}`));
  }
  const fp = new Fingerprint();
  const subject = SUBJECTS.futuresMbp10;
  const side = (pxCol: Col, szCol: Col, i: number, f: string): [number | null, number] => {
    const px = nonNeg(float(pxCol[i], `${f}_px`), `${f}_px`);
    const sz = nonNeg(int(szCol[i], `${f}_sz`), `${f}_sz`);
    // 0.0 is the writer's padding of a missing level; DBN's undefined price may have been stored as its float
    return px === 0 || px === UNDEF_PRICE_FLOAT ? [null, 0] : [px, sz];
  };
  return wrap((i) => {
    const levels: MBP10Level[] = new Array(10);
    fp.reset();
    for (let k = 0; k < 10; k++) {
      const [bp, bs] = side(bpx[k] as Col, bsz[k] as Col, i, `bid_${k + 1}`);
      const [ap, as] = side(apx[k] as Col, asz[k] as Col, i, `ask_${k + 1}`);
      levels[k] = { bid_px: bp, bid_sz: bs, ask_px: ap, ask_sz: as };
      fp.numOrNull(bp).num(bs).numOrNull(ap).num(as);
    }
    const s = c.is_snapshot[i];
    if (s !== null && s !== undefined && typeof s !== 'boolean') invalid('is_snapshot is not a boolean');
    const event: MBP10 = {
      ts_event_ns: ns(c.ts_event_ns[i], 'ts_event_ns'),
      ts_recv_ns: ns(c.ts_recv_ns[i], 'ts_recv_ns'),
      source: ctx.source(c.source[i]),
      symbol: str(c.symbol[i], 'symbol', 1, 20),
      levels,
      is_snapshot: s === true,
      seq: seqOf(c.seq[i]),
    };
    fp.num(event.is_snapshot ? 1 : 0);
    return { subject, event, msgId: bronzeMsgId(subject, event.symbol, event.ts_event_ns, event.ts_recv_ns, event.seq, fp.digest()) };
  });
};

export const BINDERS: { readonly [T in BronzeTable]: Binder<T> } = {
  stock_trades: stockTrades,
  stock_quotes: stockQuotes,
  option_trades: optionTrades,
  futures_trades: futuresTrades,
  futures_mbp10: futuresMbp10,
};
