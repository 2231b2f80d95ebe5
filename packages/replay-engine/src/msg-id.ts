/**
 * What a DBN message id (`subject:instrument:ts_recv:sequence:fileBaseName:recordIndex`, see docs/event-contract.md;
 * parsed by @md/dbn-reader's parseDbnMsgId) says about its event, for messages that name it and for resume.
 */
import { parseDbnMsgId } from '@md/dbn-reader';

/** 'market.futures.trades event from glbx-mdp3-20250102.trades.dbn record 17 (msg id ...)' out of a DBN message id */
export function describeEvent(msgId: string): string {
  const p = parseDbnMsgId(msgId);
  if (!p) return `event ${msgId}`;
  return `${p.subject} event from ${p.file} record ${p.recordIndex} (msg id ${msgId})`;
}

/** the YYYY-MM-DD date named in a DBN message id's file name part (…-YYYYMMDD.…), or null */
export function dateOfMsgId(msgId: string): string | null {
  const m = /-(\d{4})(\d{2})(\d{2})\.[^:]*:\d+$/.exec(msgId);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}
