/**
 * Several DBN inputs read as one, as Databento's merge decoder (`dbn::decode::MergeDecoder`) does for
 * `dbn FILE1 FILE2 ...`:
 *
 * - records: a k-way merge on each record's index timestamp (`ts_recv` for the record types that have one,
 *   else `hd.ts_event`), ties going to the input named first; each input's own order is kept. Streams: one
 *   decoded batch per input is held at a time.
 * - metadata: version, dataset, stype_in, stype_out, ts_out and symbol_cstr_len must agree (else a
 *   MetadataMergeError naming the field and both files); a differing schema becomes none (mixed); start is
 *   the earliest, end the latest, limit none; symbols, partial and not_found are united (first-seen order);
 *   the mapping intervals of one raw symbol are merged (overlapping intervals of one symbol joined, the same
 *   interval twice kept once, conflicting ones an error).
 */
import type { DbnMetadata, MappingInterval, SymbolMapping } from './metadata.js';
import type { AnyDbnRecord } from './records.js';

/** Inputs whose metadata cannot be merged (exit 1: the data do not fit together). */
export class MetadataMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetadataMergeError';
  }
}

/** The timestamp Databento's merge orders on (`Record::raw_index_ts`). */
export function indexTs(rec: AnyDbnRecord): bigint {
  const t = (rec as { ts_recv?: bigint }).ts_recv;
  return t !== undefined ? t : rec.hd.ts_event;
}

function mergeIntervals(a: MappingInterval[], b: MappingInterval[], raw: string): MappingInterval[] {
  const out: MappingInterval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === undefined) {
      out.push(y!);
      j++;
    } else if (y === undefined) {
      out.push(x);
      i++;
    } else if (x.startDate === y.startDate && x.endDate === y.endDate) {
      if (x.symbol !== y.symbol)
        throw new MetadataMergeError(`mappings of ${raw}: conflicting intervals mapping to ${x.symbol} and ${y.symbol}`);
      out.push(x);
      i++;
      j++;
    } else if (x.endDate <= y.startDate) {
      out.push(x);
      i++;
    } else if (x.startDate >= y.endDate) {
      out.push(y);
      j++;
    } else if (x.symbol === y.symbol) {
      out.push({
        startDate: x.startDate < y.startDate ? x.startDate : y.startDate,
        endDate: x.endDate > y.endDate ? x.endDate : y.endDate,
        symbol: x.symbol,
      });
      i++;
      j++;
    } else {
      throw new MetadataMergeError(
        `mappings of ${raw}: overlapping intervals ${x.startDate}..${x.endDate} -> ${x.symbol} and ${y.startDate}..${y.endDate} -> ${y.symbol}`,
      );
    }
  }
  return out;
}

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

/** The metadata of several inputs as one (see the module comment); `files` name them in messages. */
export function mergeMetadata(metas: readonly DbnMetadata[], files: readonly string[]): DbnMetadata {
  const first = metas[0];
  if (first === undefined) throw new MetadataMergeError('no inputs');
  if (metas.length === 1) return first;
  const merged: DbnMetadata = { ...first, mappings: first.mappings.map((m) => ({ ...m, intervals: [...m.intervals] })) };
  const byRaw = new Map<string, SymbolMapping>(merged.mappings.map((m) => [m.rawSymbol, m]));
  metas.forEach((m, k) => {
    if (k === 0) return;
    const check = (field: string, a: unknown, b: unknown): void => {
      if (a !== b)
        throw new MetadataMergeError(`cannot merge ${files[k]} with ${files[0]}: ${field} mismatch (${String(b)} vs ${String(a)})`);
    };
    check('version', first.version, m.version);
    check('dataset', first.dataset, m.dataset);
    check('stype_in', first.stypeInId, m.stypeInId);
    check('stype_out', first.stypeOutId, m.stypeOutId);
    check('ts_out', first.tsOut, m.tsOut);
    check('symbol_cstr_len', first.symbolCstrLen, m.symbolCstrLen);
    if (merged.schemaId !== m.schemaId) {
      merged.schema = null;
      merged.schemaId = 0xffff;
    }
    if (m.start < merged.start) merged.start = m.start;
    if (m.end !== null && (merged.end === null || m.end > merged.end)) merged.end = m.end;
    for (const mp of m.mappings) {
      const have = byRaw.get(mp.rawSymbol);
      if (have === undefined) {
        const copy = { rawSymbol: mp.rawSymbol, intervals: [...mp.intervals] };
        merged.mappings.push(copy);
        byRaw.set(mp.rawSymbol, copy);
      } else {
        try {
          have.intervals = mergeIntervals(have.intervals, mp.intervals, mp.rawSymbol);
        } catch (e) {
          throw new MetadataMergeError(`cannot merge ${files[k]} with ${files[0]}: ${(e as Error).message}`);
        }
      }
    }
  });
  merged.limit = 0n; // a limit loses its meaning in a merge
  merged.symbols = union(metas.map((m) => m.symbols));
  merged.partial = union(metas.map((m) => m.partial));
  merged.notFound = union(metas.map((m) => m.notFound));
  return merged;
}

interface Head<R> {
  it: AsyncIterator<R[]>;
  batch: R[];
  i: number;
  /** input position: ties go to the lower */
  idx: number;
  key: bigint;
}

function less<R>(a: Head<R>, b: Head<R>): boolean {
  return a.key < b.key || (a.key === b.key && a.idx < b.idx);
}

/** A binary min-heap of the inputs' next records. */
class HeadHeap<R> {
  readonly items: Head<R>[] = [];
  push(h: Head<R>): void {
    const a = this.items;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Head<R> | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Next non-empty batch of an input, or null at its end. */
async function nextBatch<R>(it: AsyncIterator<R[]>): Promise<R[] | null> {
  for (;;) {
    const r = await it.next();
    if (r.done === true) return null;
    if (r.value.length > 0) return r.value;
  }
}

/**
 * The records of `inputs` (each an iterable of record batches, e.g. `DbnStream.batches()`) merged by index
 * timestamp, in batches of up to `batchSize`. Leaving early (break, an error) closes every input.
 */
export async function* mergeRecordBatches<R extends AnyDbnRecord>(
  inputs: ReadonlyArray<AsyncIterable<R[]>>,
  batchSize = 512,
): AsyncGenerator<R[]> {
  if (inputs.length === 1) {
    yield* inputs[0]!;
    return;
  }
  const its = inputs.map((s) => s[Symbol.asyncIterator]());
  const heap = new HeadHeap<R>();
  try {
    for (let idx = 0; idx < its.length; idx++) {
      const it = its[idx]!;
      const batch = await nextBatch(it);
      if (batch !== null) heap.push({ it, batch, i: 0, idx, key: indexTs(batch[0]!) });
    }
    let out: R[] = [];
    for (;;) {
      const h = heap.pop();
      if (h === undefined) break;
      out.push(h.batch[h.i]!);
      h.i++;
      if (h.i >= h.batch.length) {
        const b = await nextBatch(h.it);
        if (b !== null) {
          h.batch = b;
          h.i = 0;
        }
      }
      if (h.i < h.batch.length) {
        h.key = indexTs(h.batch[h.i]!);
        heap.push(h);
      }
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(its.map((it) => it.return?.().catch(() => undefined)));
  }
}
