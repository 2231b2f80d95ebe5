/**
 * K-way merge of sorted batch streams by ts_event_ns. Ties: the lower input index first, and within one
 * input its own order. One batch per input is held. With one input the batches pass through unchanged.
 */
import type { Publishable } from '@md/event-types';
import { CursorHeap } from './heap.js';

interface Cursor {
  it: AsyncIterator<Publishable[]>;
  batch: Publishable[];
  pos: number;
  idx: number;
  key: bigint;
}

/** does a sort before b */
const before = (a: Cursor, b: Cursor): boolean => a.key < b.key || (a.key === b.key && a.idx < b.idx);

async function advance(c: Cursor): Promise<boolean> {
  for (;;) {
    const r = await c.it.next();
    if (r.done) return false;
    if (r.value.length > 0) {
      c.batch = r.value;
      c.pos = 0;
      c.key = (r.value[0] as Publishable).event.ts_event_ns;
      return true;
    }
  }
}

export async function* mergeBatches(
  inputs: readonly AsyncIterable<Publishable[]>[],
  batchSize: number,
): AsyncGenerator<Publishable[], void, undefined> {
  if (inputs.length === 0) return;
  if (inputs.length === 1) {
    yield* inputs[0] as AsyncIterable<Publishable[]>;
    return;
  }
  const cursors: Cursor[] = inputs.map((x, idx) => ({ it: x[Symbol.asyncIterator](), batch: [], pos: 0, idx, key: 0n }));
  const heap = new CursorHeap<Cursor>(before);
  try {
    for (const c of cursors) if (await advance(c)) heap.push(c);
    let out: Publishable[] = [];
    while (heap.size > 0) {
      const c = heap.pop() as Cursor;
      const next = heap.peek();
      // take rows from c while they still sort before the next input's head
      const b = c.batch;
      let p = c.pos;
      if (next === undefined) {
        while (p < b.length) out.push(b[p++] as Publishable);
      } else {
        const nk = next.key;
        const tieOk = c.idx < next.idx;
        while (p < b.length) {
          const k = (b[p] as Publishable).event.ts_event_ns;
          if (k < nk || (k === nk && tieOk)) out.push(b[p++] as Publishable);
          else break;
        }
      }
      c.pos = p;
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
      if (p < b.length) {
        c.key = (b[p] as Publishable).event.ts_event_ns;
        heap.push(c);
      } else if (await advance(c)) heap.push(c);
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(cursors.map((c) => c.it.return?.()));
  }
}
