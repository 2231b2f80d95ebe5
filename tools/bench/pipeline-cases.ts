/**
 * The in-process cases of tools/bench/pipeline.ts: decode-only floor, object path, object path + merge, fast path
 * (each run in a child process of its own, see pipeline.ts), and the V8 heap bytes a case allocates.
 */
import { GCProfiler } from 'node:v8';
import * as reader from '@md/dbn-reader';
import { decodeDbn, mapDbnFile } from '@md/dbn-reader';
import { encode } from '@md/event-types';
import { DataRootSource, REPLAY_DEFAULTS } from '@md/replay-engine';
import { mergeBatchesByKey } from '@md/stream-merge';
import { fastEncodeFile as fastFromSource } from '../../packages/dbn-reader/src/fast/file.ts';
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

export function mergedSession(s: Session) {
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

/**
 * fastEncodeFile from @md/dbn-reader's built dist when the package exports it, else from its source (through the
 * tsx loader this bench runs under): FAST_FROM says which one ran
 */
const fromDist = (reader as Record<string, unknown>).fastEncodeFile as typeof fastFromSource | undefined;
export const FAST_FROM = fromDist ? '@md/dbn-reader dist' : 'packages/dbn-reader/src (not exported by the dist yet)';
const fastEncodeFile = fromDist ?? fastFromSource;

/** 2f. per file: fastEncodeFile, DBN records in place -> the contract's JSON body + message id bytes in one reused buffer */
export const fastPath: InProcessCase = async (s) => {
  let n = 0;
  let bytes = 0;
  for (const [path, kind] of [
    [s.trades, 'trades'],
    [s.mbp10, 'mbp10'],
  ] as const) {
    const st = await fastEncodeFile(path, { kind }, (_out, r) => {
      bytes += r.bodyEnd - r.bodyStart + (r.idEnd - r.idStart);
    });
    n += st.events;
  }
  if (n > 0 && bytes === 0) throw new Error('fast path: nothing encoded');
  return n;
};

/** rows 1, 2, 2b and 2f by key (pipeline.ts runs each in a child process of its own) */
export const IN_PROCESS: Record<string, InProcessCase> = { '1': decodeFloor, '2': objectPath, '2b': objectPathMerged, '2f': fastPath };

/**
 * Runs `f` and returns the V8 heap bytes it allocated: over the collections during the run, the sum of (heap used
 * before a collection - heap used after the previous one, or at the start), plus the growth after the last one.
 * Buffers outside the V8 heap (file chunks, the output buffer's backing store) are not counted.
 */
export async function heapAllocated<T>(f: () => Promise<T>): Promise<{ result: T; bytes: number; gcs: number }> {
  const prof = new GCProfiler();
  const start = process.memoryUsage().heapUsed;
  prof.start();
  const result = await f();
  const end = process.memoryUsage().heapUsed;
  const stats = prof.stop().statistics;
  let last = start;
  let bytes = 0;
  for (const g of stats) {
    bytes += g.beforeGC.heapStatistics.usedHeapSize - last;
    last = g.afterGC.heapStatistics.usedHeapSize;
  }
  bytes += end - last;
  return { result, bytes, gcs: stats.length };
}
