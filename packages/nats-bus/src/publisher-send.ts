/**
 * Handing one pending event to nats.js (`nc.publish`) without allocating anything kept per event: the views of its
 * body and header block are made here (short-lived: nats.js drops them at its socket flush), the header object
 * (WireHeaders, publisher-headers.ts) and the two option objects are reused for every publish.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { WireHeaders } from './publisher-headers.js';
import type { Entry } from './publisher-types.js';

export class EntrySender {
  private readonly wire = new WireHeaders();
  private readonly plainOpts = { headers: this.wire };
  private readonly replyOpts = { headers: this.wire, reply: '' };

  constructor(private readonly nc: NatsConnection) {}

  /** publish `e` with the reply subject `reply` (or none); throws what nc.publish throws */
  publish(e: Entry, reply: string | null): void {
    const hb = e.hdrBuf;
    // read by nats.js inside this publish only (encode() is called synchronously)
    this.wire.wire = e.hdrAt === 0 && e.hdrEnd === hb.length ? hb : hb.subarray(e.hdrAt, e.hdrEnd);
    const src = e.src;
    const body = e.bodyAt === 0 && e.bodyEnd === src.length ? src : src.subarray(e.bodyAt, e.bodyEnd);
    if (reply) {
      this.replyOpts.reply = reply;
      this.nc.publish(e.subject, body, this.replyOpts);
    } else {
      this.nc.publish(e.subject, body, this.plainOpts); // (nats.js writes reply: '' into it)
    }
  }
}
