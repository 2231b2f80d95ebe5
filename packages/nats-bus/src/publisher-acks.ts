/** The outcome of a PubAck (or of a probe waiting for one), parsed from the reply message. */
import type { Msg } from '@nats-io/transport-node';
import { wrongLastMsgId } from './publisher-chain.js';

export type ProbeOutcome =
  | { kind: 'ok'; duplicate: boolean }
  | { kind: 'transient'; why: string }
  | { kind: 'permanent'; why: string }
  | { kind: 'disconnected' }
  /** refused by the order chain: the stream's last message (`last`) is not the expected predecessor */
  | { kind: 'chain'; why: string; last: string };

const td = new TextDecoder();

const ch = (s: string) => s.charCodeAt(0);
const STREAM_KEY = Buffer.from('{"stream":"', 'latin1');
const SEQ_KEY = Buffer.from('"seq":', 'latin1');
const DUP_KEY = Buffer.from(',"duplicate":', 'latin1');
const TRUE = Buffer.from('true', 'latin1');
const [QUOTE, BACKSLASH, COMMA, SPACE, CLOSE, ZERO, NINE] = ['"', '\\', ',', ' ', '}', '0', '9'].map(ch) as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];

/** `key` at `d[i..]`: the index after it, or -1 */
function expectBytes(d: Uint8Array, i: number, key: Uint8Array): number {
  if (i + key.length > d.length) return -1;
  for (let k = 0; k < key.length; k++) if (d[i + k] !== key[k]) return -1;
  return i + key.length;
}

/**
 * The PubAck of a stored message as nats-server writes it (`{"stream":"<name>", "seq":<n>}`, a duplicate with
 * `,"duplicate": true` before the `}`; the spaces optional), read without JSON.parse: 1 stored, 2 duplicate, 0 when
 * the bytes are anything else (an error, a domain, other fields, escapes: parseAck then parses the JSON).
 */
export function fastPubAck(d: Uint8Array): 0 | 1 | 2 {
  let i = expectBytes(d, 0, STREAM_KEY);
  if (i < 0) return 0;
  for (; i < d.length && d[i] !== QUOTE; i++) if (d[i] === BACKSLASH || (d[i] as number) < 0x20) return 0;
  if (d[i + 1] !== COMMA) return 0;
  i += 2;
  if (d[i] === SPACE) i++;
  i = expectBytes(d, i, SEQ_KEY);
  if (i < 0) return 0;
  const digits = i;
  while (i < d.length && (d[i] as number) >= ZERO && (d[i] as number) <= NINE) i++;
  if (i === digits) return 0;
  let dup = false;
  if (d[i] === COMMA) {
    i = expectBytes(d, i, DUP_KEY);
    if (i < 0) return 0;
    if (d[i] === SPACE) i++;
    i = expectBytes(d, i, TRUE);
    if (i < 0) return 0;
    dup = true;
  }
  return d[i] === CLOSE && i === d.length - 1 ? (dup ? 2 : 1) : 0;
}

const OK: ProbeOutcome = Object.freeze({ kind: 'ok', duplicate: false });
const DUPLICATE: ProbeOutcome = Object.freeze({ kind: 'ok', duplicate: true });

/**
 * The decimal number in `s` from `at` up to `end` (exclusive), or -1 when that is empty or not only digits
 * (a reply subject's `<seq>.<attempt>`, read without slicing it).
 */
export function digitsAt(s: string, at: number, end: number): number {
  if (at >= end) return -1;
  let n = 0;
  for (let i = at; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Parse a PubAck (or a status reply) into an outcome. `chainEnabled`: the publisher's order chain is on, so a
 * "wrong last msg ID" refusal (10070) is a 'chain' outcome (re-sent in order) rather than a permanent one.
 */
export function parseAck(msg: Msg, chainEnabled: boolean): ProbeOutcome {
  const code = msg.headers?.code ?? 0;
  if (code === 503) return { kind: 'transient', why: 'no responders (no stream captures the subject, or JetStream unavailable)' };
  if (msg.data.length === 0) {
    return code >= 400
      ? { kind: 'permanent', why: `status ${code} ${msg.headers?.description ?? ''}`.trim() }
      : { kind: 'transient', why: 'empty PubAck' };
  }
  const fast = fastPubAck(msg.data);
  if (fast !== 0) return fast === 1 ? OK : DUPLICATE;
  let r: { error?: { code?: number; err_code?: number; description?: string }; duplicate?: boolean; stream?: string };
  try {
    r = JSON.parse(td.decode(msg.data));
  } catch {
    return { kind: 'permanent', why: `unparsable PubAck ${JSON.stringify(td.decode(msg.data).slice(0, 200))}` };
  }
  if (r.error) {
    const last = wrongLastMsgId(r.error);
    if (last !== null && chainEnabled) return { kind: 'chain', why: `${r.error.description} (err_code ${r.error.err_code})`, last };
    const why = `${r.error.description ?? 'JetStream error'} (code ${r.error.code}, err_code ${r.error.err_code})`;
    return r.error.code === 503 || r.error.code === 408 ? { kind: 'transient', why } : { kind: 'permanent', why };
  }
  return { kind: 'ok', duplicate: r.duplicate === true };
}
