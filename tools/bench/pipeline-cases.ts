/**
 * The in-process cases of tools/bench/pipeline.ts (decode-only floor, object path, object path + merge), the
 * pre-encoded events of the core-publish ceiling, and the JetStream helpers (fresh stream, stored count).
 */
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { decodeDbn, mapDbnFile } from '@md/dbn-reader';
import { encode, lookup, MSG_ID_HEADER, SCHEMA_HEADER, STREAM_NAME } from '@md/event-types';
import { ensureStream } from '@md/nats-bus';
import { DataRootSource, REPLAY_DEFAULTS } from '@md/replay-engine';
import { mergeBatchesByKey } from '@md/stream-merge';
import { at } from './narrow.ts';
import type { Session } from './pipeline-util.ts';

/** events (or records) handled by one case; the caller times it */
export type InProcessCase = (s: Session) => Promise<number>;

/** 1. DBN records decoded (objects of the decoder's batches), nothing mapped */
export const decodeFloor: InProcessCase = async (s) => {
  let n = 0;
  for (const path of [s.trades, s.mbp10]) for await (const b of decodeDbn(path).batches()) n += b.length;
  return n;
};

/** 2. per file: DBN -> canonical event objects with their message ids -> the contract's JSON bytes */
export const objectPath: InProcessCase = async (s) => {
  let n = 0;
  let bytes = 0;
  let ids = 0;
  for (const [path, kind] of [
    [s.trades, 'trades'],
    [s.mbp10, 'mbp10'],
  ] as const) {
    for await (const b of mapDbnFile(path, { kind }).batches()) {
      for (const p of b) {
        bytes += encode(p.event, p.subject).length;
        ids += p.msgId.length;
      }
      n += b.length;
    }
  }
  if (n > 0 && (bytes === 0 || ids === 0)) throw new Error('object path: nothing encoded');
  return n;
};

function mergedSession(s: Session) {
  const src = new DataRootSource(s.root);
  return mergeBatchesByKey([src.batches('trades', s.date, {}), src.batches('mbp10', s.date, {})], {
    key: (p) => (p.event as { ts_event_ns: bigint }).ts_event_ns,
    reorderWindowNs: REPLAY_DEFAULTS.reorderWindowNs,
  });
}

/** 2b. the replay's read side: the data root's two files merged in ts_event order (100 ms window), then encoded */
export const objectPathMerged: InProcessCase = async (s) => {
  let n = 0;
  let bytes = 0;
  for await (const b of mergedSession(s)) {
    for (const p of b) bytes += encode(p.event, p.subject).length + p.msgId.length;
    n += b.length;
  }
  if (n > 0 && bytes === 0) throw new Error('object path + merge: nothing encoded');
  return n;
};

/** rows 1, 2 and 2b by key (pipeline.ts runs each in a child process of its own) */
export const IN_PROCESS: Record<string, InProcessCase> = { '1': decodeFloor, '2': objectPath, '2b': objectPathMerged };

/**
 * The session's events in replay order, encoded once, packed (what the core-publish ceiling sends): the bodies in
 * one buffer with offsets, subjects and schema ids by index, so the heap holds few objects (the msg id strings).
 */
export interface Encoded {
  n: number;
  subjects: string[];
  schemaIds: string[];
  kind: Uint8Array;
  msgIds: string[];
  bodies: Uint8Array;
  offsets: Uint32Array;
}

export async function encodeSession(s: Session): Promise<Encoded> {
  const subjects: string[] = [];
  const kinds: number[] = [];
  const msgIds: string[] = [];
  let parts: Uint8Array[] = [];
  for await (const b of mergedSession(s)) {
    for (const p of b) {
      let k = subjects.indexOf(p.subject);
      if (k < 0) k = subjects.push(p.subject) - 1;
      kinds.push(k);
      msgIds.push(p.msgId);
      parts.push(encode(p.event, p.subject));
    }
  }
  const offsets = new Uint32Array(parts.length + 1);
  for (let i = 0; i < parts.length; i++) offsets[i + 1] = at(offsets, i, 'offset') + at(parts, i, 'body').length;
  const bodies = new Uint8Array(at(offsets, parts.length, 'offset'));
  for (let i = 0; i < parts.length; i++) bodies.set(at(parts, i, 'body'), at(offsets, i, 'offset'));
  parts = [];
  const schemaIds = subjects.map((x) => lookup(x).schemaId);
  return { n: msgIds.length, subjects, schemaIds, kind: Uint8Array.from(kinds), msgIds, bodies, offsets };
}

export async function freshStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(STREAM_NAME).catch(() => undefined);
  await ensureStream(nc, { name: STREAM_NAME, storage: 'file', replicas: 1 });
}

export async function streamInfo(nc: NatsConnection): Promise<{ messages: number; storage: string; replicas: number }> {
  const i = await (await jetstreamManager(nc)).streams.info(STREAM_NAME);
  return { messages: i.state.messages, storage: String(i.config.storage), replicas: i.config.num_replicas };
}

export async function waitForCount(nc: NatsConnection, n: number, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = (await streamInfo(nc)).messages;
    if (have >= n) return;
    if (Date.now() > deadline) throw new Error(`stream ${STREAM_NAME} holds ${have} of ${n} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * 5. the core-publish ceiling: the same subjects, bodies and headers (Nats-Msg-Id, md-schema) published with
 * nc.publish (no acks), a yield every 1024 messages, a flush, then a wait until the stream holds them all.
 */
export async function coreCeiling(nc: NatsConnection, e: Encoded): Promise<void> {
  for (let i = 0; i < e.n; i++) {
    const k = at(e.kind, i, 'kind');
    const h = headers();
    h.set(MSG_ID_HEADER, at(e.msgIds, i, 'msg id'));
    h.set(SCHEMA_HEADER, at(e.schemaIds, k, 'schema id'));
    nc.publish(at(e.subjects, k, 'subject'), e.bodies.subarray(at(e.offsets, i, 'offset'), at(e.offsets, i + 1, 'offset')), { headers: h });
    if ((i & 1023) === 1023) await new Promise<void>((r) => setImmediate(r));
  }
  await nc.flush();
  await waitForCount(nc, e.n);
}
