/**
 * How `md tail` prints an event: one JSON line (the stored body byte for byte, with the stream sequence, the
 * subject and the message id around it), or `--pretty`, a line for people: the event time (ISO 8601, 9
 * fractional digits), the subject, the stream sequence and the event's key fields.
 */
import {
  formatFloat,
  type MarketEvent,
  type MBP10,
  type OptionTrade,
  type StockQuote,
  type StockTrade,
  type FuturesTrade,
} from '@md/event-types';
import { isoNs } from './time.js';

const td = new TextDecoder();

/** `{"seq":12,"subject":"market.futures.trades","msg_id":"...","event":<the body as stored>}` */
export function jsonLine(seq: number, subject: string, msgId: string | undefined, body: Uint8Array | string): string {
  const text = typeof body === 'string' ? body : td.decode(body);
  return `{"seq":${seq},"subject":${JSON.stringify(subject)},"msg_id":${msgId === undefined ? 'null' : JSON.stringify(msgId)},"event":${text}}`;
}

const px = (v: number | null | undefined) => (v === null || v === undefined ? '-' : formatFloat(v));
const side = (a: number) => (a === 1 ? 'buy' : a === -1 ? 'sell' : '');

/** the key fields of an event, by its subject */
export function keyFields(subject: string, e: MarketEvent): string {
  switch (subject) {
    case 'market.stocks.trades': {
      const t = e as StockTrade;
      return `${t.symbol} ${px(t.price)} x ${t.size}${t.exchange === null ? '' : ` ex ${t.exchange}`}`;
    }
    case 'market.stocks.quotes': {
      const q = e as StockQuote;
      return `${q.symbol} ${px(q.bid_px)} x ${q.bid_sz} / ${px(q.ask_px)} x ${q.ask_sz}`;
    }
    case 'market.options.trades': {
      const o = e as OptionTrade;
      const quote = o.opt_bid === null && o.opt_ask === null ? '' : ` (${px(o.opt_bid)} / ${px(o.opt_ask)})`;
      return `${o.option_symbol} ${px(o.price)} x ${o.size}${quote}${o.aggressor ? ` ${side(o.aggressor)}` : ''}`;
    }
    case 'market.futures.trades': {
      const f = e as FuturesTrade;
      return `${f.symbol} ${px(f.price)} x ${f.size}${f.aggressor ? ` ${side(f.aggressor)}` : ''}`;
    }
    case 'market.futures.mbp10': {
      const b = e as MBP10;
      const top = b.levels[0];
      const book = top ? `${px(top.bid_px)} x ${top.bid_sz} / ${px(top.ask_px)} x ${top.ask_sz}` : '-';
      return `${b.symbol} ${book}${b.is_snapshot ? ' snapshot' : ''}`;
    }
    default: {
      const r = e as unknown as Record<string, unknown>;
      const sym = r.symbol ?? r.option_symbol ?? r.underlying;
      return typeof sym === 'string' ? sym : '';
    }
  }
}

/** `2026-12-01T14:30:00.123456789Z market.futures.trades #12 ESZ6 6012.25 x 3 buy [replay]` */
export function prettyLine(seq: number, subject: string, e: MarketEvent): string {
  return `${isoNs(e.ts_event_ns)} ${subject} #${seq} ${keyFields(subject, e)} [${e.source}]`;
}
