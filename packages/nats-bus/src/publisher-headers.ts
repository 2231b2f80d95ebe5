/** The headers every event is published with (encoded once per event), and the check of their values. */
import { MsgHdrsImpl } from '@nats-io/transport-node';
import { MSG_ID_HEADER, SCHEMA_HEADER } from '@md/event-types';
import { EXPECTED_LAST_MSG_ID_HEADER } from './publisher-chain.js';

/**
 * The two headers of every event, encoded once (nats.js would re-encode a MsgHdrs on every publish and
 * re-send): the wire bytes are exactly what nats.js writes (`NATS/1.0`, `Key: value` lines, blank line).
 */
export class EventHeaders extends MsgHdrsImpl {
  private readonly wire: Uint8Array;
  constructor(msgId: string, schemaId: string, expectLastMsgId: string | null = null) {
    super();
    this.headers.set(MSG_ID_HEADER, [msgId]);
    this.headers.set(SCHEMA_HEADER, [schemaId]);
    let text = `NATS/1.0\r\n${MSG_ID_HEADER}: ${msgId}\r\n${SCHEMA_HEADER}: ${schemaId}\r\n`;
    if (expectLastMsgId) {
      this.headers.set(EXPECTED_LAST_MSG_ID_HEADER, [expectLastMsgId]);
      text += `${EXPECTED_LAST_MSG_ID_HEADER}: ${expectLastMsgId}\r\n`;
    }
    // Buffer.from: pooled, ~3x faster than TextEncoder for short strings on Node 20
    this.wire = Buffer.from(`${text}\r\n`, 'utf8');
  }
  override encode(): Uint8Array {
    return this.wire;
  }
}

/** a header value must not contain CR or LF (it would end the header line) */
export const badHeaderValue = (v: string) => v.includes('\r') || v.includes('\n');
