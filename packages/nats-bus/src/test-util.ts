/** Helpers shared by this package's tests (not part of the public API). */
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';

export interface RawStored {
  seq: number;
  subject: string;
  data: Uint8Array;
  msgId: string | undefined;
  schema: string | undefined;
}

/** Every message of `stream` (ordered consumer), in stream order. */
export async function readStream(nc: NatsConnection, stream: string): Promise<RawStored[]> {
  const jsm = await jetstreamManager(nc);
  const si = await jsm.streams.info(stream);
  const total = si.state.messages;
  const out: RawStored[] = [];
  if (total === 0) return out;
  const c = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
  const msgs = await c.consume({ max_messages: 1000 });
  for await (const m of msgs) {
    out.push({
      seq: m.seq,
      subject: m.subject,
      data: m.data,
      msgId: m.headers?.get('Nats-Msg-Id') || undefined,
      schema: m.headers?.get('md-schema') || undefined,
    });
    if (m.seq >= si.state.last_seq) break;
  }
  await msgs.close();
  return out;
}

export async function streamCount(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(stream)).state.messages;
}

const te = new TextEncoder();
/** A FuturesTrade-shaped body of about 216 bytes (not through the codec: transport tests only). */
export function fakeBody(i: number): Uint8Array {
  const ts = 1702900800123456789n + BigInt(i);
  return te.encode(
    `{"ts_event_ns":${ts},"ts_recv_ns":${ts + 1000n},"source":"replay","symbol":"ESH6","price":${4700 + (i % 100) * 0.25},` +
      `"size":${1 + (i % 7)},"aggressor":${(i % 3) - 1},"exchange":"CME","conditions":null,"seq":${i}}`,
  );
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** xs[i], failing the test with a clear message when there is no such element (noUncheckedIndexedAccess) */
export function at<T>(xs: readonly T[], i: number): T {
  if (i < 0 || i >= xs.length) throw new RangeError(`index ${i} out of range (length ${xs.length})`);
  return xs[i] as T;
}

/** f(), retried every 500 ms on errors (a cluster's JetStream API times out during a leader election) */
export async function settle<T>(f: () => Promise<T>, attempts = 15): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= attempts) throw e;
      await sleep(500);
    }
  }
}
