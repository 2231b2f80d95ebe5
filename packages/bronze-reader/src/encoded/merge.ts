/**
 * merge.ts for EncodedBatch streams: k-way merge of sorted streams by ts_event_ns (tsHi/tsLo, unsigned: the
 * rows are validated timestamps >= 2000). Ties: the lower input index first, then the input's own order. One
 * batch per input is held; the rows taken are copied into new batches. One input passes through unchanged.
 */
import type { EncodedBatch } from '@md/event-types';
import { CursorHeap } from '../heap.js';
import { type BatchBuilder } from './batch-builder.js';

interface Cursor {
  it: AsyncIterator<EncodedBatch>;
  batch: EncodedBatch | null;
  pos: number;
  idx: number;
  hi: number;
  lo: number;
}

const before = (a: Cursor, b: Cursor): boolean => a.hi < b.hi || (a.hi === b.hi && (a.lo < b.lo || (a.lo === b.lo && a.idx < b.idx)));

async function advance(c: Cursor): Promise<boolean> {
  for (;;) {
    const r = await c.it.next();
    if (r.done) return false;
    if (r.value.length > 0) {
      c.batch = r.value;
      c.pos = 0;
      c.hi = r.value.tsHi[0] as number;
      c.lo = r.value.tsLo[0] as number;
      return true;
    }
  }
}

/** copies row i of b into the builder */
export function copyRow(out: BatchBuilder, b: EncodedBatch, i: number): void {
  const bs = b.bodyStart[i] as number;
  const be = b.bodyEnd[i] as number;
  const is = b.idStart[i] as number;
  const ie = b.idEnd[i] as number;
  const o = out.out;
  o.ensure(be - bs + (ie - is));
  const p = o.pos;
  o.buf.set(b.bytes.subarray(bs, be), p);
  o.buf.set(b.bytes.subarray(is, ie), p + (be - bs));
  o.pos = p + (be - bs) + (ie - is);
  out.row(
    b.subject[i] as number,
    p,
    p + (be - bs),
    p + (be - bs),
    o.pos,
    b.tsHi[i] as number,
    b.tsLo[i] as number,
    b.keyHi[i] as number,
    b.keyLo[i] as number,
  );
}

export async function* mergeEncoded(
  inputs: readonly AsyncIterable<EncodedBatch>[],
  newBuilder: () => BatchBuilder,
): AsyncGenerator<EncodedBatch, void, undefined> {
  if (inputs.length === 0) return;
  if (inputs.length === 1) {
    yield* inputs[0] as AsyncIterable<EncodedBatch>;
    return;
  }
  const cursors: Cursor[] = inputs.map((x, idx) => ({ it: x[Symbol.asyncIterator](), batch: null, pos: 0, idx, hi: 0, lo: 0 }));
  const heap = new CursorHeap<Cursor>(before);
  const out = newBuilder();
  try {
    for (const c of cursors) if (await advance(c)) heap.push(c);
    while (heap.size > 0) {
      const c = heap.pop() as Cursor;
      const next = heap.peek();
      const b = c.batch as EncodedBatch;
      let p = c.pos;
      // take rows from c while they still sort before the next input's head
      while (p < b.length && !out.full) {
        if (next !== undefined) {
          const hi = b.tsHi[p] as number;
          const lo = b.tsLo[p] as number;
          const ok = hi < next.hi || (hi === next.hi && (lo < next.lo || (lo === next.lo && c.idx < next.idx)));
          if (!ok) break;
        }
        copyRow(out, b, p++);
      }
      c.pos = p;
      if (out.full) yield out.take() as EncodedBatch;
      if (p < b.length) {
        c.hi = b.tsHi[p] as number;
        c.lo = b.tsLo[p] as number;
        heap.push(c);
      } else if (await advance(c)) heap.push(c);
    }
    const last = out.take();
    if (last !== null) yield last;
  } finally {
    await Promise.all(cursors.map((c) => c.it.return?.()));
  }
}
