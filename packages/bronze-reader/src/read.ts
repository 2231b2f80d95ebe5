/**
 * readBronze: one table, one partition, one UTC date -> batches of canonical events in ts_event_ns order.
 */
import { EVENT_SOURCES, type EventSource, type Publishable } from '@md/event-types';
import { listBronzeFiles, type BronzeDateFiles } from './discovery.js';
import type { BronzeError } from './errors.js';
import { newStats, readBronzeFile, type BronzeStats, type FileReadContext, type InvalidRow } from './file-reader.js';
import { mergeBatches } from './merge.js';
import { walkDay } from './day.js';
import { tableSpec, type BronzeTable } from './tables.js';

export interface BronzeReadOptions {
  /** the lake root (the folder holding `bronze/`), or the `bronze/` folder itself */
  root: string;
  table: BronzeTable;
  /** UTC date `YYYY-MM-DD` (the `date=` partition) */
  date: string;
  /**
   * The partition value: the `symbol=` folder for stocks and futures (`REPLAY_FUTURES_SYMBOL`, default `ES`;
   * stocks default `SPY`), the `underlying=` folder for options (default `SPY`).
   */
  symbol?: string;
  /** keep only rows whose own symbol column (futures `ESZ5`, options `option_symbol`) equals this */
  contract?: string;
  /** keep rows with ts_event_ns >= startNs (Unix ns) */
  startNs?: bigint;
  /** keep rows with ts_event_ns < endNs (Unix ns); exclusive, as the DBN reader's `end` */
  endNs?: bigint;
  /**
   * `source` of the events: `'replay'` (default: what the old replay published, and what the DBN replay
   * writes) or `'original'` (the row's own `source` when it is an EventSource value, else `'replay'`).
   */
  source?: 'replay' | 'original';
  /** largest batch (default 4096 events) */
  batchSize?: number;
  /** drop an event whose message id equals one already delivered at the same ts_event_ns (default false: counted only) */
  dropDuplicates?: boolean;
  /** each row failing the old system's rules (it is skipped and counted) */
  onInvalid?: (r: InvalidRow) => void;
  /** an empty hour folder, a date without data, an unsorted file: each reported once */
  onWarn?: (msg: string) => void;
  /**
   * A file that cannot be read. Without this callback the BronzeError is thrown once the rows read before it
   * (the hour's other files, the file's earlier row groups) were delivered; with it, the error is passed here
   * and reading goes on with the next file.
   */
  onFileError?: (e: BronzeError) => void;
}

/** The events of one (table, date): iterate once; `stats` is live. */
export interface BronzeStream extends AsyncIterable<Publishable[]> {
  readonly stats: BronzeStats;
  readonly table: BronzeTable;
  readonly date: string;
  /** the files found (available once iteration started) */
  files(): Promise<BronzeDateFiles>;
}

const SOURCES = new Set<string>(EVENT_SOURCES);

/** the checks of readBronze's options (a TypeError naming `fn`) */
export function checkReadOptions(o: Omit<BronzeReadOptions, 'source'>, fn: string): void {
  tableSpec(o.table);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.date) || Number.isNaN(Date.parse(`${o.date}T00:00:00Z`))) {
    throw new TypeError(`${fn}: date must be YYYY-MM-DD, got ${JSON.stringify(o.date)}`);
  }
  for (const k of ['startNs', 'endNs'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'bigint') throw new TypeError(`${fn}: ${k} must be a bigint (Unix ns), got ${typeof o[k]}`);
  }
  if (o.batchSize !== undefined && !(Number.isSafeInteger(o.batchSize) && o.batchSize > 0)) {
    throw new TypeError(`${fn}: batchSize must be a positive integer, got ${o.batchSize}`);
  }
}

class BronzeRead implements BronzeStream {
  readonly stats: BronzeStats = newStats();
  private claimed = false;
  private listing: Promise<BronzeDateFiles> | null = null;

  constructor(private readonly o: BronzeReadOptions) {
    checkReadOptions(o, 'readBronze');
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

  [Symbol.asyncIterator](): AsyncIterator<Publishable[]> {
    if (this.claimed) throw new Error('readBronze: the events can be iterated only once');
    this.claimed = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<Publishable[], void, undefined> {
    const o = this.o;
    const stats = this.stats;
    const spec = tableSpec(o.table);
    const warn = o.onWarn;
    const listing = await this.files();
    const batchSize = o.batchSize ?? 4096;
    const source: (v: unknown) => EventSource =
      o.source === 'original' ? (v) => (typeof v === 'string' && SOURCES.has(v) ? (v as EventSource) : 'replay') : () => 'replay';
    const ctx: FileReadContext = {
      spec,
      source,
      startNs: o.startNs,
      endNs: o.endNs,
      contract: o.contract,
      batchSize,
      stats,
      onInvalid: o.onInvalid,
      onWarn: warn,
    };
    const where = `${spec.partitionKey}=${listing.partition} date=${o.date}`;
    if (listing.dateLevelFiles.length === 0 && listing.hours.every((h) => h.files.length === 0)) {
      warn?.(
        `no Bronze ${o.table} data for ${where} (${listing.dir}${listing.hours.length > 0 ? ': only empty hour folders' : ' has no part files'})`,
      );
      stats.emptyHours += listing.hours.length;
      return;
    }
    const { merged, errors } = walkDay<Publishable[]>({
      listing,
      table: o.table,
      date: o.date,
      where,
      startNs: o.startNs,
      endNs: o.endNs,
      stats,
      warn,
      onFileError: o.onFileError,
      readFile: (path) => readBronzeFile(path, ctx),
      merge: (inputs) => mergeBatches(inputs, batchSize),
    });

    // exact duplicates (at-least-once writes) share an id and a ts_event_ns: count them (and drop, if asked).
    // Only rows tied on ts_event_ns are compared: a set is built for a run of equal timestamps only.
    const drop = o.dropDuplicates === true;
    let lastTs: bigint | null = null;
    let firstId = '';
    let tied: Set<string> | null = null;
    for await (const batch of merged) {
      let w = 0;
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i] as Publishable;
        const t = p.event.ts_event_ns;
        if (t !== lastTs) {
          lastTs = t;
          firstId = p.msgId;
          tied = null;
        } else {
          tied ??= new Set([firstId]);
          if (tied.has(p.msgId)) {
            stats.duplicates++;
            if (drop) continue;
          } else tied.add(p.msgId);
        }
        if (drop) batch[w] = p;
        w++;
      }
      const out = drop && w < batch.length ? batch.slice(0, w) : batch;
      stats.events += out.length;
      if (out.length > 0) yield out;
    }
    if (errors.length > 0) throw errors[0] as BronzeError;
  }
}

/**
 * Reads one Bronze table for one UTC date: the hour folders in order, the part files of each hour merged by
 * ts_event_ns (ties: file name order, then row order), legacy date-level files merged in. Batches of
 * `Publishable` events (`{ subject, event, msgId }`), ts_event_ns never decreasing (see README).
 */
export function readBronze(o: BronzeReadOptions): BronzeStream {
  return new BronzeRead(o);
}
