/**
 * readBronzeEncoded: readBronze's events as EncodedBatch (the fast replay lane, issue 12): the same events in
 * the same order (hours in order, part files merged by ts_event_ns with the same ties), the same counts,
 * warnings, invalid rows and BronzeError (thrown after the same good rows), the same message ids, and bodies
 * byte for byte what @md/event-types' `encode` writes of readBronze's event. Tables: ENCODED_TABLES.
 */
import type { EncodedBatch, EventSource } from '@md/event-types';
import { listBronzeFiles, type BronzeDateFiles } from '../discovery.js';
import { walkDay } from '../day.js';
import type { BronzeError } from '../errors.js';
import { newStats, type BronzeStats, type FileReadContext } from '../file-reader.js';
import { checkReadOptions, type BronzeReadOptions } from '../read.js';
import { tableSpec, type BronzeTable } from '../tables.js';
import { type BatchBuilder } from './batch-builder.js';
import { builderFor, ENCODED_TABLES, readBronzeFileEncoded, type EncodedContext } from './file.js';
import { mergeEncoded } from './merge.js';

export { ENCODED_TABLES };

export interface BronzeEncodedOptions extends Omit<BronzeReadOptions, 'source'> {
  /** EncodedBatch.keyHi / keyLo: ts_event_ns (default) or ts_recv_ns; the order is ts_event_ns either way */
  order?: 'ts_event' | 'ts_recv';
  /** `source` of the events: 'replay' only (the encoded form has one source a batch) */
  source?: 'replay';
  /** an event the contract's codec refuses: left out, its id and the codec's message (a Bronze row valid by the old rules is never refused) */
  onRefused?: (msgId: string, message: string) => void;
}

export interface BronzeEncodedStream extends AsyncIterable<EncodedBatch> {
  readonly stats: BronzeStats;
  readonly table: BronzeTable;
  readonly date: string;
  files(): Promise<BronzeDateFiles>;
}

const td = new TextDecoder();
const idOf = (b: EncodedBatch, i: number): string => td.decode(b.bytes.subarray(b.idStart[i], b.idEnd[i]));

/** the rows of b whose keep[i] is 1, as a new batch over the same bytes */
function select(b: EncodedBatch, keep: Uint8Array, n: number): EncodedBatch {
  const pick = <T extends Uint8Array | Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
    const out = make(n);
    for (let i = 0, w = 0; i < b.length; i++) if (keep[i] === 1) out[w++] = a[i] as number;
    return out;
  };
  const tsHi = pick(b.tsHi, (k) => new Uint32Array(k));
  const tsLo = pick(b.tsLo, (k) => new Uint32Array(k));
  return {
    ...b,
    length: n,
    subject: pick(b.subject, (k) => new Uint8Array(k)),
    bodyStart: pick(b.bodyStart, (k) => new Int32Array(k)),
    bodyEnd: pick(b.bodyEnd, (k) => new Int32Array(k)),
    idStart: pick(b.idStart, (k) => new Int32Array(k)),
    idEnd: pick(b.idEnd, (k) => new Int32Array(k)),
    tsHi,
    tsLo,
    keyHi: b.keyHi === b.tsHi ? tsHi : pick(b.keyHi, (k) => new Uint32Array(k)),
    keyLo: b.keyLo === b.tsLo ? tsLo : pick(b.keyLo, (k) => new Uint32Array(k)),
  };
}

class BronzeEncodedRead implements BronzeEncodedStream {
  readonly stats: BronzeStats = newStats();
  private claimed = false;
  private listing: Promise<BronzeDateFiles> | null = null;

  constructor(private readonly o: BronzeEncodedOptions) {
    checkReadOptions(o, 'readBronzeEncoded');
    if (!ENCODED_TABLES.includes(o.table)) {
      throw new TypeError(`readBronzeEncoded: no encoded form of ${o.table} (tables: ${ENCODED_TABLES.join(', ')})`);
    }
    if (o.source !== undefined && o.source !== 'replay') throw new TypeError(`readBronzeEncoded: source must be 'replay'`);
  }

  get table(): BronzeTable {
    return this.o.table;
  }
  get date(): string {
    return this.o.date;
  }

  files(): Promise<BronzeDateFiles> {
    this.listing ??= listBronzeFiles(this.o.root, this.o.table, this.o.date, this.o.symbol);
    return this.listing;
  }

  [Symbol.asyncIterator](): AsyncIterator<EncodedBatch> {
    if (this.claimed) throw new Error('readBronzeEncoded: the events can be iterated only once');
    this.claimed = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<EncodedBatch, void, undefined> {
    const o = this.o;
    const stats = this.stats;
    const spec = tableSpec(o.table);
    const warn = o.onWarn;
    const listing = await this.files();
    const source: EventSource = 'replay';
    const ctx: FileReadContext = {
      spec,
      source: () => source,
      startNs: o.startNs,
      endNs: o.endNs,
      contract: o.contract,
      batchSize: o.batchSize ?? 4096,
      stats,
      onInvalid: o.onInvalid,
      onWarn: warn,
    };
    const ectx: EncodedContext = { byRecv: o.order === 'ts_recv', source, onRefused: o.onRefused };
    const newBuilder = (): BatchBuilder => builderFor(ctx, ectx, ctx.batchSize);
    const where = `${spec.partitionKey}=${listing.partition} date=${o.date}`;
    if (listing.dateLevelFiles.length === 0 && listing.hours.every((h) => h.files.length === 0)) {
      warn?.(
        `no Bronze ${o.table} data for ${where} (${listing.dir}${listing.hours.length > 0 ? ': only empty hour folders' : ' has no part files'})`,
      );
      stats.emptyHours += listing.hours.length;
      return;
    }
    const { merged, errors } = walkDay<EncodedBatch>({
      listing,
      table: o.table,
      date: o.date,
      where,
      startNs: o.startNs,
      endNs: o.endNs,
      stats,
      warn,
      onFileError: o.onFileError,
      readFile: (path) => readBronzeFileEncoded(path, ctx, ectx),
      merge: (inputs) => mergeEncoded(inputs, newBuilder),
    });

    // exact duplicates share an id and a ts_event_ns (readBronze's rule): ids compared within a run of equal timestamps only
    const drop = o.dropDuplicates === true;
    let lastHi = -1;
    let lastLo = -1;
    let first: [EncodedBatch, number] | null = null;
    let tied: Set<string> | null = null;
    for await (const batch of merged) {
      let keep: Uint8Array | null = null;
      let w = 0;
      for (let i = 0; i < batch.length; i++) {
        const hi = batch.tsHi[i] as number;
        const lo = batch.tsLo[i] as number;
        if (hi !== lastHi || lo !== lastLo) {
          lastHi = hi;
          lastLo = lo;
          first = [batch, i];
          tied = null;
        } else {
          tied ??= new Set([idOf(...(first as [EncodedBatch, number]))]);
          const id = idOf(batch, i);
          if (tied.has(id)) {
            stats.duplicates++;
            if (drop) {
              keep ??= new Uint8Array(batch.length).fill(1, 0, i);
              continue;
            }
          } else tied.add(id);
        }
        if (keep !== null) keep[i] = 1;
        w++;
      }
      const out = keep !== null ? select(batch, keep, w) : batch;
      stats.events += out.length;
      if (out.length > 0) yield out;
    }
    if (errors.length > 0) throw errors[0] as BronzeError;
  }
}

/** readBronze's events as EncodedBatch (see the top of this file); iterate once, `stats` is live */
export function readBronzeEncoded(o: BronzeEncodedOptions): BronzeEncodedStream {
  return new BronzeEncodedRead(o);
}
