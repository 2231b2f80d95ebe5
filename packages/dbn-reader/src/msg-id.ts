/**
 * The message id of an event mapped from a DBN record (the JetStream de-duplication key, see
 * docs/event-contract.md), formatted and parsed side by side:
 *
 *   `${subject}:${instrument_id}:${ts_recv}:${sequence}:${fileBaseName}:${recordIndex}`
 *
 * The subject and the numbers never contain ':', the file's base name may: the parser takes the four
 * fields on the left and the record index on the right, and the file name is everything in between.
 */

/** What a DBN message id says. */
export interface DbnMsgIdParts {
  subject: string;
  instrumentId: number;
  tsRecv: bigint;
  sequence: number;
  /** the DBN file's base name (may contain ':') */
  file: string;
  /** 0-based position of the record among the records decoded from the file */
  recordIndex: number;
}

/**
 * Formats the message id of the event of one record. Called once per event: no checks here, the mappers
 * pass a registry subject, the record's u32/u64 fields and the file context.
 */
export function dbnMsgId(
  subject: string,
  instrumentId: number,
  tsRecv: bigint,
  sequence: number,
  ctx: { readonly fileBaseName: string; readonly recordIndex: number },
): string {
  return `${subject}:${instrumentId}:${tsRecv}:${sequence}:${ctx.fileBaseName}:${ctx.recordIndex}`;
}

/** a decimal integer as `${n}` writes it: no sign, no leading zeros */
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const U32_MAX = 0xffffffff;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

function u32(s: string): number | null {
  if (!DECIMAL.test(s) || s.length > 10) return null;
  const n = Number(s);
  return n <= U32_MAX ? n : null;
}

/**
 * Parses a DBN message id (see `dbnMsgId`); null for anything that is not one: fewer than six fields,
 * an empty subject, a number that is not a canonical decimal (`007`, `-1`, `1e3`) or out of its range
 * (u32 instrument id and sequence, u64 ts_recv, safe-integer record index). The file name is returned as
 * written (it may be empty or contain ':'), so `dbnMsgId` of the parts gives the id back.
 */
export function parseDbnMsgId(id: string): DbnMsgIdParts | null {
  if (typeof id !== 'string') return null;
  const c1 = id.indexOf(':');
  const c2 = c1 < 0 ? -1 : id.indexOf(':', c1 + 1);
  const c3 = c2 < 0 ? -1 : id.indexOf(':', c2 + 1);
  const c4 = c3 < 0 ? -1 : id.indexOf(':', c3 + 1);
  const last = id.lastIndexOf(':');
  // c4 < last: the file field (possibly empty) sits between the 4th and the last ':'
  if (c1 <= 0 || c4 < 0 || last <= c4) return null;
  const subject = id.slice(0, c1);
  const instrumentId = u32(id.slice(c1 + 1, c2));
  const tsText = id.slice(c2 + 1, c3);
  const sequence = u32(id.slice(c3 + 1, c4));
  const indexText = id.slice(last + 1);
  if (instrumentId === null || sequence === null || !DECIMAL.test(tsText) || !DECIMAL.test(indexText)) return null;
  const tsRecv = BigInt(tsText);
  const recordIndex = Number(indexText);
  if (tsRecv > U64_MAX || !Number.isSafeInteger(recordIndex)) return null;
  return { subject, instrumentId, tsRecv, sequence, file: id.slice(c4 + 1, last), recordIndex };
}
