/**
 * An option's identity as the fast path writes it: the text from the value of `underlying` to the value of
 * `right` (`"SPY","option_symbol":"O:SPY251216C00676000","exp_date":"2025-12-16","strike":676.0,"right":"C"`),
 * built once per raw symbol with the mapping's own parser (osiToOptionTicker, parseOptionTicker) and the
 * codec's float text; a symbol the mapping refuses keeps the mapping's message.
 */
import { formatFloat, parseOptionTicker } from '@md/event-types';
import { osiToOptionTicker } from '../mapping.js';

export interface OptionPart {
  /** the bytes after `,"underlying":` up to the end of the `right` value; empty when `error` is set */
  bytes: Uint8Array;
  /** the mapping's message for a symbol that is neither OSI nor `O:` */
  error: string | null;
}

const te = new TextEncoder();

export function optionPart(symbol: string): OptionPart {
  let ticker: string;
  let t;
  try {
    ticker = osiToOptionTicker(symbol);
    t = parseOptionTicker(ticker);
  } catch (e) {
    return {
      bytes: new Uint8Array(0),
      error: `option symbol ${JSON.stringify(symbol)} is not an OSI/O: option ticker: ${(e as Error).message}`,
    };
  }
  const text =
    `${JSON.stringify(t.underlying)},"option_symbol":${JSON.stringify(ticker)},"exp_date":"${t.expDate}",` +
    `"strike":${formatFloat(t.strike)},"right":"${t.right}"`;
  return { bytes: te.encode(text), error: null };
}
