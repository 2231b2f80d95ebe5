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
