/**
 * @md/cli: the `md` command (bin `md`: `md tail`, `md audit`) and what it is made of, for programs that want
 * the same without the command: audit() and its report, tail(), the --since parser and the exact ISO times.
 */
export { audit, hasFindings, type AuditOptions, type AuditReport, type OrderBreak, type SubjectStats } from './audit.js';
export { auditJson, auditText, jsonWithBigints } from './report.js';
export { tail, type TailHandle, type TailOptions, type TailResult } from './tail.js';
export { LineWriter, type LineSink } from './out.js';
export { jsonLine, keyFields, prettyLine } from './format.js';
export { isoNs, parseIsoNs, parseRelative, parseSince } from './time.js';
export { checkPattern, patternsOverlap } from './subjects.js';
export { gapStreamOf, parseGap, readGaps, type GapReport, type GapWindow } from './gaps.js';
export { endSeq, mdBusOptions, MdError, startOfLast } from './bus.js';
export {
  AUDIT_HELP,
  AUDIT_OPTIONS,
  MAIN_HELP,
  MD_COMMANDS,
  MD_EXIT,
  parseMdArgs,
  TAIL_HELP,
  TAIL_OPTIONS,
  type AuditArgs,
  type MdArgs,
  type MdCommand,
  type TailArgs,
} from './options.js';
