/**
 * --resume: where did an interrupted replay stop? The publisher sends one replay's events over one connection
 * in a deterministic order, and the stream stores a connection's messages in order, so what an interrupted run
 * stored is a prefix of the replay's event sequence. Its end is the newest stored message (highest stream
 * sequence) among the last message of each replayed subject whose message id names one of this replay's files.
 * The restarted replay skips every event up to and including that message id and continues; what was sent but
 * not confirmed before the interruption is sent again and dropped by the duplicate window if it was stored.
 *
 * Uses the JetStream API request `$JS.API.STREAM.MSG.GET.<stream>` with `last_by_subj` (nats-server 2.9).
 */
import type { NatsConnection } from '@md/nats-bus';
import { MSG_ID_HEADER } from '@md/event-types';

export interface StoredMessage {
  subject: string;
  seq: number;
  msgId: string | null;
  data: Uint8Array;
}

export interface ResumePoint {
  msgId: string;
  seq: number;
  subject: string;
}

const te = new TextEncoder();
const td = new TextDecoder();

function headerValue(hdrs: string, name: string): string | null {
  const want = name.toLowerCase();
  for (const line of hdrs.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === want) return line.slice(i + 1).trim();
  }
  return null;
}

/** the last message stored on `subject` in `stream`, or null when there is none */
export async function lastBySubject(nc: NatsConnection, stream: string, subject: string, timeoutMs = 5000): Promise<StoredMessage | null> {
  const res = await nc.request(`$JS.API.STREAM.MSG.GET.${stream}`, te.encode(JSON.stringify({ last_by_subj: subject })), { timeout: timeoutMs });
  const body = JSON.parse(td.decode(res.data)) as {
    error?: { code: number; err_code?: number; description?: string };
    message?: { subject: string; seq: number; hdrs?: string; data?: string };
  };
  if (body.error) {
    if (body.error.code === 404) return null; // no message (10037) on that subject
    throw new Error(`stream ${stream}: last message on ${subject}: ${body.error.description ?? JSON.stringify(body.error)}`);
  }
  const m = body.message!;
  const hdrs = m.hdrs ? Buffer.from(m.hdrs, 'base64').toString('utf8') : '';
  return {
    subject: m.subject,
    seq: m.seq,
    msgId: hdrs ? headerValue(hdrs, MSG_ID_HEADER) : null,
    data: m.data ? new Uint8Array(Buffer.from(m.data, 'base64')) : new Uint8Array(0),
  };
}

/** file name part of a DBN message id (`subject:instrument:ts_recv:sequence:fileBaseName:recordIndex`) */
export function fileOfMsgId(msgId: string): string | null {
  const parts = msgId.split(':');
  if (parts.length < 6) return null;
  return parts.slice(4, -1).join(':');
}

/**
 * The resume point of a replay of `files` (base names) on `subjects`: the newest stored message among the last
 * message of each subject, if its message id names one of the files; null when the stream holds nothing of it.
 */
export async function findResumePoint(nc: NatsConnection, stream: string, subjects: string[], files: string[]): Promise<ResumePoint | null> {
  const names = new Set(files);
  let best: ResumePoint | null = null;
  for (const subject of subjects) {
    const m = await lastBySubject(nc, stream, subject);
    if (!m || !m.msgId) continue;
    const f = fileOfMsgId(m.msgId);
    if (f === null || !names.has(f)) continue;
    if (!best || m.seq > best.seq) best = { msgId: m.msgId, seq: m.seq, subject: m.subject };
  }
  return best;
}
