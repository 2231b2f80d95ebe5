/**
 * The publisher's order chain: every event carries `Nats-Expected-Last-Msg-Id: <msg id of the event this
 * publisher accepted before it>`, so the stream stores an event only right after its predecessor.
 *
 * Why: on a replicated stream a leader change loses the messages in flight to the old leader without any
 * answer, while later messages of the same connection can already be stored by the new leader; re-sent
 * after their timeout, the lost ones would land behind newer ones. With the chain, nothing newer than a
 * lost event can be stored (each later event is refused with err_code 10070 "wrong last msg ID"), and the
 * recovery re-sends from the oldest unconfirmed event, in order.
 *
 * nats-server 2.9 checks the expectation when the message is applied (after the raft commit, in log
 * order), so a pipeline of chained messages from one connection is stored at full speed; a duplicate
 * message id is answered as a duplicate before the expectation is looked at, so re-sends of stored events
 * still confirm. The expectation is stream-wide ("the stream's last message"): another writer on the
 * stream breaks it. Then the probe is re-anchored on the stream's actual last message (order among this
 * publisher's own events is kept: everything older is resolved); re-anchored too often, the chain pauses
 * (plain publishes: exactly once still holds, order across a leader change is not protected meanwhile).
 */
export const EXPECTED_LAST_MSG_ID_HEADER = 'Nats-Expected-Last-Msg-Id';
/** JSStreamWrongLastMsgIDErrF: `{"error":{"code":400,"err_code":10070,"description":"wrong last msg ID: <id>"}}` */
export const WRONG_LAST_MSG_ID_ERR_CODE = 10070;
const PREFIX = 'wrong last msg ID: ';

/** The stream's last message id named by a 10070 error ('' when that message had none), or null for another error. */
export function wrongLastMsgId(error: { code?: number; err_code?: number; description?: string }): string | null {
  if (error.err_code !== WRONG_LAST_MSG_ID_ERR_CODE) return null;
  const d = error.description ?? '';
  return d.startsWith(PREFIX) ? d.slice(PREFIX.length) : '';
}

export interface OrderChainOptions {
  /** chain events (default: true in 'ack' mode, false in 'batch' mode) */
  enabled: boolean;
  /** re-anchors within `anchorWindowMs` that pause the chain (another writer is active); default 3 */
  maxAnchors?: number;
  /** default 10,000 ms */
  anchorWindowMs?: number;
  /** how long the chain stays paused; default 30,000 ms */
  pauseMs?: number;
}

export interface OrderChainStats {
  /** events are published with an expectation right now */
  armed: boolean;
  /** probes re-anchored on a stream's last message that was not the expected predecessor */
  anchors: number;
  /** times the chain was paused (another writer on the stream) */
  pauses: number;
}

export class OrderChain {
  readonly enabled: boolean;
  private readonly maxAnchors: number;
  private readonly anchorWindowMs: number;
  private readonly pauseMs: number;
  /** msg id of the event accepted last (the next one's expectation) */
  private last: string | null = null;
  private pausedUntil = 0;
  private recentAnchors: number[] = [];
  private anchors = 0;
  private pauses = 0;

  constructor(opts: OrderChainOptions) {
    this.enabled = opts.enabled;
    this.maxAnchors = opts.maxAnchors ?? 3;
    this.anchorWindowMs = opts.anchorWindowMs ?? 10_000;
    this.pauseMs = opts.pauseMs ?? 30_000;
  }

  armed(now = performance.now()): boolean {
    return this.enabled && now >= this.pausedUntil;
  }

  /** the expectation of a newly accepted event (null: none), remembering it as the next one's predecessor */
  next(msgId: string, now: number): string | null {
    const prev = this.last;
    this.last = msgId;
    return prev !== null && this.armed(now) ? prev : null;
  }

  /**
   * A probe was refused because the stream's last message is not its predecessor: 'anchor' (re-send it
   * expecting that message), or 'pause' (too many: another writer is active; publish without expectations).
   */
  onMismatch(now: number): 'anchor' | 'pause' {
    this.recentAnchors = this.recentAnchors.filter((t) => now - t < this.anchorWindowMs);
    if (this.recentAnchors.length + 1 >= this.maxAnchors) {
      this.recentAnchors = [];
      this.pausedUntil = now + this.pauseMs;
      this.pauses++;
      return 'pause';
    }
    this.recentAnchors.push(now);
    this.anchors++;
    return 'anchor';
  }

  get pauseMsOption(): number {
    return this.pauseMs;
  }

  get stats(): OrderChainStats {
    return { armed: this.armed(), anchors: this.anchors, pauses: this.pauses };
  }
}
