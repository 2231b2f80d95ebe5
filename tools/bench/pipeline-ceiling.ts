/**
 * The core-publish ceiling of tools/bench/pipeline.ts and its JetStream helpers (fresh stream, stored count).
 *
 * The ceiling is the fastest that JetStreamPublisher's batch mode could possibly go on this connection: the
 * session's own messages (same subjects, same bodies, the same two headers with the same bytes as the publisher's
 * EventHeaders: `NATS/1.0`, `Nats-Msg-Id: <id>`, `md-schema: <schema id>`), every one of them pre-encoded into
 * packed buffers before the clock starts, sent with plain `nc.publish` (no reply subject, no marker, no window),
 * handed to nats.js in bursts with a macrotask between bursts (as the publisher's outbox does), one `flush()`,
 * then a wait until the stream (R1, file storage, same server, a fresh stream) holds every message. Nothing is
 * allocated per message but the two `subarray` views: the header object is one reused instance whose encode()
 * returns the message's pre-encoded header bytes (nats.js calls it synchronously inside publish and keeps a
 * reference to the returned bytes, which are never written again).
 */
import { MsgHdrsImpl, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { encode, lookup, MSG_ID_HEADER, SCHEMA_HEADER, STREAM_NAME } from '@md/event-types';
import { ensureStream } from '@md/nats-bus';
import { at } from './narrow.ts';
import { mergedSession } from './pipeline-cases.ts';
import type { Session } from './pipeline-util.ts';

/** The session's messages in replay order, packed: bodies in one buffer, header bytes in another, with offsets. */
export interface Encoded {
  n: number;
  subjects: string[];
  /** subject index per message */
  kind: Uint8Array;
  bodies: Uint8Array;
  offsets: Uint32Array;
  hdrs: Uint8Array;
  hoffsets: Uint32Array;
}

/** the header block EventHeaders writes for (msgId, schemaId) without an order chain (publisher-headers.ts) */
export const headerText = (msgId: string, schemaId: string): string =>
  `NATS/1.0\r\n${MSG_ID_HEADER}: ${msgId}\r\n${SCHEMA_HEADER}: ${schemaId}\r\n\r\n`;

function pack(parts: Uint8Array[]): { bytes: Uint8Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(parts.length + 1);
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = at(offsets, i, 'offset') + at(parts, i, 'part').length;
  const bytes = new Uint8Array(at(offsets, parts.length, 'offset'));
  for (let i = 0; i < parts.length; i++) bytes.set(at(parts, i, 'part'), at(offsets, i, 'offset'));
  return { bytes, offsets };
}

export async function encodeSession(s: Session): Promise<Encoded> {
  const subjects: string[] = [];
  const schemaIds: string[] = [];
  const kinds: number[] = [];
  let bodies: Uint8Array[] = [];
  let hdrs: Uint8Array[] = [];
  for await (const b of mergedSession(s)) {
    for (const p of b) {
      let k = subjects.indexOf(p.subject);
      if (k < 0) {
        k = subjects.push(p.subject) - 1;
        schemaIds.push(lookup(p.subject).schemaId);
      }
      kinds.push(k);
      bodies.push(encode(p.event, p.subject));
      hdrs.push(Buffer.from(headerText(p.msgId, at(schemaIds, k, 'schema id')), 'utf8'));
    }
  }
  const b = pack(bodies);
  bodies = [];
  const h = pack(hdrs);
  hdrs = [];
  return {
    n: kinds.length,
    subjects,
    kind: Uint8Array.from(kinds),
    bodies: b.bytes,
    offsets: b.offsets,
    hdrs: h.bytes,
    hoffsets: h.offsets,
  };
}

/** one header object for every message: encode() returns the bytes of the message being published */
class PackedHeaders extends MsgHdrsImpl {
  wire: Uint8Array = new Uint8Array(0);
  override encode(): Uint8Array {
    return this.wire;
  }
}

/**
 * one JetStream manager per connection, with a long request timeout: on a loaded (shared) machine the server may
 * take seconds to answer right after a million-message burst; a timed-out request is retried
 */
const managers = new WeakMap<NatsConnection, Promise<JetStreamManager>>();
async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  let m = managers.get(nc);
  if (!m) managers.set(nc, (m = retry(() => jetstreamManager(nc, { timeout: 30_000 }))));
  return m;
}
async function retry<T>(f: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= tries || (e as Error).name !== 'TimeoutError') throw e;
    }
  }
}

export async function freshStream(nc: NatsConnection): Promise<void> {
  const jsm = await manager(nc);
  await jsm.streams.delete(STREAM_NAME).catch(() => undefined);
  await ensureStream(nc, { name: STREAM_NAME, storage: 'file', replicas: 1 });
}

export async function streamInfo(nc: NatsConnection): Promise<{ messages: number; storage: string; replicas: number }> {
  const jsm = await manager(nc);
  const i = await retry(() => jsm.streams.info(STREAM_NAME));
  return { messages: i.state.messages, storage: String(i.config.storage), replicas: i.config.num_replicas };
}

export async function waitForCount(nc: NatsConnection, n: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = (await streamInfo(nc)).messages;
    if (have >= n) return;
    if (Date.now() > deadline) throw new Error(`stream ${STREAM_NAME} holds ${have} of ${n} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** bursts tried per run (messages per macrotask); the fastest is the ceiling. 512: the publisher's outbox. */
export const CEILING_BURSTS = [512, 4096] as const;

/** One ceiling pass into a fresh stream: seconds from the first publish until the stream holds every message. */
export async function coreCeiling(nc: NatsConnection, e: Encoded, burst: number): Promise<number> {
  await freshStream(nc);
  (globalThis as { gc?: () => void }).gc?.(); // the encoding's garbage, not the ceiling's
  const h = new PackedHeaders();
  const opts = { headers: h };
  const { bodies, offsets, hdrs, hoffsets, kind, subjects } = e;
  const t0 = performance.now();
  // plain indexing in the loop (the arrays are built above, every index is in range)
  for (let i = 0; i < e.n; i++) {
    h.wire = hdrs.subarray(hoffsets[i]!, hoffsets[i + 1]!);
    nc.publish(subjects[kind[i]!]!, bodies.subarray(offsets[i]!, offsets[i + 1]!), opts);
    if (i % burst === burst - 1) await new Promise<void>((r) => setImmediate(r));
  }
  await nc.flush();
  await waitForCount(nc, e.n);
  const secs = (performance.now() - t0) / 1000;
  const stored = (await streamInfo(nc)).messages;
  if (stored !== e.n) throw new Error(`ceiling: the stream holds ${stored} messages, ${e.n} were published`);
  return secs;
}
