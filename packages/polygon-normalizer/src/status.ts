/** Classification of the vendor's status events (docs/polygon-ws.md, status messages), I/O-free. */
import type { StatusMessage } from './parse.js';

export type StatusKind =
  | 'connected'
  | 'auth_success'
  | 'auth_failed'
  | 'auth_timeout'
  | 'auth_required'
  | 'subscribed'
  | 'unsubscribed'
  | 'max_connections'
  | 'force_disconnect'
  | 'slow_consumer'
  | 'error'
  | 'success'
  | 'unknown';

export interface StatusInfo {
  kind: StatusKind;
  /** subscribed / unsubscribed: the item (`T.SPY`, `Q.O:SPY251216C00676000`) */
  item?: string;
  /** true when the session cannot continue with this key (stop, do not retry) */
  fatal: boolean;
  /** true when the server closes (or will close) the connection */
  closes: boolean;
}

const SUB = /^subscribed to: (.+)$/;
const UNSUB = /^unsubscribed to: (.+)$/;

/**
 * What a status message means. Legacy shapes are mapped: `success` + "authenticated" is auth_success,
 * `error` + "authentication failed" is auth_failed. A plan without WebSocket access is `auth_failed` too
 * (terminal). Unknown status values are `unknown` (log them, carry on).
 */
export function classifyStatus(m: Pick<StatusMessage, 'status' | 'message'>): StatusInfo {
  const msg = m.message.trim();
  switch (m.status) {
    case 'connected':
      return { kind: 'connected', fatal: false, closes: false };
    case 'auth_success':
      return { kind: 'auth_success', fatal: false, closes: false };
    case 'auth_failed':
      return { kind: 'auth_failed', fatal: true, closes: true };
    case 'auth_timeout':
      return { kind: 'auth_timeout', fatal: false, closes: true };
    case 'auth_required':
      return { kind: 'auth_required', fatal: false, closes: false };
    case 'max_connections':
      return { kind: 'max_connections', fatal: false, closes: true };
    case 'force_disconnect':
      return { kind: 'force_disconnect', fatal: false, closes: true };
    case 'slow_consumer':
      return { kind: 'slow_consumer', fatal: false, closes: true };
    case 'success': {
      if (msg === 'authenticated') return { kind: 'auth_success', fatal: false, closes: false };
      let r = SUB.exec(msg);
      if (r) return { kind: 'subscribed', item: r[1]?.trim(), fatal: false, closes: false };
      r = UNSUB.exec(msg);
      if (r) return { kind: 'unsubscribed', item: r[1]?.trim(), fatal: false, closes: false };
      return { kind: 'success', fatal: false, closes: false };
    }
    case 'error':
      if (msg === 'authentication failed') return { kind: 'auth_failed', fatal: true, closes: true };
      return { kind: 'error', fatal: false, closes: false };
    default:
      return { kind: 'unknown', fatal: false, closes: false };
  }
}
