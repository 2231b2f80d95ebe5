/** `md audit`'s report: a text for people, or one JSON object (nanoseconds as exact integers). */
import { LIVE_GAPS_SUBJECT } from '@md/event-types';
import { hasFindings, type AuditReport } from './audit.js';
import { isoNs } from './time.js';

/** JSON with bigints written as exact integers (never through a JavaScript number) */
export function jsonWithBigints(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `@@${x}@@` : x)).replace(/"@@(-?\d+)@@"/g, '$1');
}

export function auditJson(r: AuditReport): string {
  const { all: _all, ...gaps } = r.gaps;
  return jsonWithBigints({ ...r, gaps, findings: hasFindings(r) });
}

const t = (ns: bigint | null) => (ns === null ? '-' : isoNs(ns));
const n = (x: number) => x.toLocaleString('en-US');

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_c, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((c, i) => (i === 0 || i >= r.length - 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

export function auditText(r: AuditReport): string {
  const L: string[] = [];
  const scope = r.subjects.length ? ` subjects ${r.subjects.join(' ')}` : '';
  L.push(
    r.end_seq >= r.first_seq
      ? `stream ${r.stream}${scope}: seq ${r.first_seq}..${r.end_seq}, ${n(r.messages)} messages read in ${(r.elapsed_ms / 1000).toFixed(2)} s`
      : `stream ${r.stream}${scope}: no messages`,
  );
  if (r.per_subject.length) {
    L.push('');
    const rows = [['subject', 'events', 'undecodable', 'order breaks', 'first event (stream order)', 'last event (stream order)']];
    for (const s of r.per_subject) rows.push([s.subject, n(s.events), n(s.undecodable), n(s.order_breaks), t(s.first_ns), t(s.last_ns)]);
    L.push(...table(rows));
  }
  for (const [subject, count] of Object.entries(r.other_subjects))
    L.push(`  (${subject}: ${n(count)} messages, not market events: not checked)`);
  L.push('');
  L.push(`message ids: ${n(r.distinct_ids)} distinct, ${n(r.without_id)} messages without Nats-Msg-Id`);
  L.push(`duplicates: ${n(r.duplicates)}${r.duplicates ? ' (extra copies of a message id already stored)' : ''}`);
  for (const d of r.duplicate_examples) L.push(`  ${d.msg_id}: seq ${d.first_seq} and seq ${d.seq} (${d.subject})`);
  L.push(`order breaks: ${n(r.order_breaks)}${r.order_breaks ? ' (ts_event_ns lower than the previous event of its subject)' : ''}`);
  for (const b of r.order_break_examples)
    L.push(
      `  ${b.subject} seq ${b.seq} ${isoNs(b.ts_event_ns)} (${b.ts_event_ns}) after seq ${b.prev_seq} ${isoNs(b.prev_ts_event_ns)} (${b.prev_ts_event_ns})`,
    );
  if (r.backfill_breaks) L.push(`  (and ${n(r.backfill_breaks)} older events backfilled by REST into announced gap windows: expected)`);
  L.push(`undecodable: ${n(r.undecodable)}`);
  for (const u of r.undecodable_examples) L.push(`  seq ${u.seq} ${u.subject}: ${u.error}`);
  const g = r.gaps;
  if (g.stream === null) {
    L.push(
      `gaps: ${LIVE_GAPS_SUBJECT} is not in any stream (the live ingestor announces gaps on core NATS only; a stream storing ${LIVE_GAPS_SUBJECT} lets audit read them)`,
    );
  } else {
    L.push(
      `gaps (${LIVE_GAPS_SUBJECT}, stream ${g.stream}): ${n(g.windows)} windows from ${n(g.announcements)} announcements: ${n(g.open)} open, ${n(g.filled)} filled, ${n(g.unfilled)} unfilled`,
    );
    for (const w of g.unfilledWindows)
      L.push(
        `  unfilled ${w.gap_id} ${w.subject} ${w.item} [${isoNs(w.from_ns)}, ${isoNs(w.to_ns)}) ${w.reason}${w.why ? `: ${w.why}` : ''}`,
      );
    for (const i of g.invalid) L.push(`  seq ${i.seq}: not a gap announcement: ${i.error}`);
  }
  if (!r.complete) L.push(`incomplete: interrupted after ${n(r.messages)} messages (the counts above cover those)`);
  L.push('');
  const what = [r.duplicates && 'duplicates', r.order_breaks && 'order breaks', r.undecodable && 'undecodable messages'].filter(Boolean);
  L.push(hasFindings(r) ? `result: ${what.join(', ')} found (exit 3)` : 'result: clean');
  return L.join('\n') + '\n';
}
