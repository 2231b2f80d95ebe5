/**
 * A folder of Databento batch files, laid out as the replay expects:
 *
 * ```
 * root/trades/glbx-mdp3-YYYYMMDD.trades.dbn[.zst]
 * root/MBP-10/glbx-mdp3-YYYYMMDD.mbp-10.dbn[.zst]
 * root/options/opra-pillar-YYYYMMDD.trades.dbn[.zst]
 * ```
 * Each folder may also hold `symbology.json` (used as a fallback after each file's own metadata)
 * and `metadata.json` (the batch job's description; not needed, its presence is reported).
 * The dataset prefix of a file name is not checked: any `<prefix>-YYYYMMDD.<schema>.dbn[.zst]`
 * in the kind's folder counts.
 */
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EncodedBatch, EventSource, Publishable } from '@md/event-types';
import { fastEncodedBatches, type FastBatchOptions } from './fast/batches.js';
import { mapDbnFile, type DbnEventKind, type MapFileOptions, type MappedEvents, type MapWarning } from './mapping.js';
import { loadSymbologyJson, type SymbolMap } from './symbology.js';

export const DATA_ROOT_KINDS: readonly DbnEventKind[] = ['trades', 'mbp10', 'options'];

/** Folder and file schema of each kind. */
export const DATA_ROOT_LAYOUT: Readonly<Record<DbnEventKind, { folder: string; schema: string; prefix: string }>> = Object.freeze({
  trades: { folder: 'trades', schema: 'trades', prefix: 'glbx-mdp3' },
  mbp10: { folder: 'MBP-10', schema: 'mbp-10', prefix: 'glbx-mdp3' },
  options: { folder: 'options', schema: 'trades', prefix: 'opra-pillar' },
});

/** The data root is missing, a date has no file, or a file name is ambiguous. */
export class DbnDataRootError extends Error {
  readonly path?: string;
  constructor(message: string, path?: string) {
    super(path !== undefined ? `${message} (${path})` : message);
    this.name = 'DbnDataRootError';
    this.path = path;
  }
}

export interface ReadOptions {
  /** keep events with ts_event >= start (Unix ns) */
  start?: bigint;
  /** keep events with ts_event < end (Unix ns) */
  end?: bigint;
  /** see MapFileOptions.filterOn */
  filterOn?: 'ts_event' | 'ts_recv';
  /** see MapFileOptions.unmapped */
  unmapped?: 'fallback' | 'skip';
}

/** ReadOptions of the fast lane (`encodedBatches`): the rows' key, the bodies' source, the codec's refusals. */
export interface EncodedReadOptions extends ReadOptions {
  /** keyHi / keyLo of each row: ts_event (default) or ts_recv */
  order?: 'ts_event' | 'ts_recv';
  /** the bodies' `source` (default 'replay') */
  source?: EventSource;
  /** a record the codec refuses (absent from the batches): its message id and the EncodeError's message */
  onRefused?: (msgId: string, message: string) => void;
}

export interface DataRootOptions {
  /** called for unmapped instruments, invalid records, symbology problems, duplicate files */
  onWarning?: (w: MapWarning) => void;
}

export interface DateFiles {
  date: string;
  trades?: string;
  mbp10?: string;
  options?: string;
}

const FILE_RE = /^(.+)-(\d{4})(\d{2})(\d{2})\.([a-z0-9-]+)\.dbn(\.zst)?$/;

interface FolderIndex {
  /** date -> path */
  files: Map<string, string>;
  symbologyJson: string | null;
  metadataJson: string | null;
}

/** See the module comment. Methods read the folders once and cache what they found (see `refresh`). */
export class DbnDataRoot {
  private readonly folders = new Map<DbnEventKind, Promise<FolderIndex>>();
  private readonly symbology = new Map<DbnEventKind, Promise<SymbolMap | null>>();
  private rootChecked: Promise<void> | null = null;

  constructor(
    readonly root: string,
    readonly opts: DataRootOptions = {},
  ) {}

  /** Forgets what was read from the folders (listings, symbology.json): the next call looks again. */
  refresh(): void {
    this.folders.clear();
    this.symbology.clear();
    this.rootChecked = null;
  }

  private checkRoot(): Promise<void> {
    return (this.rootChecked ??= access(this.root).catch(() => {
      throw new DbnDataRootError('DBN data root not found', this.root);
    }));
  }

  private index(kind: DbnEventKind): Promise<FolderIndex> {
    let p = this.folders.get(kind);
    if (p === undefined) {
      p = this.scan(kind);
      this.folders.set(kind, p);
    }
    return p;
  }

  private async scan(kind: DbnEventKind): Promise<FolderIndex> {
    await this.checkRoot();
    const { folder, schema } = DATA_ROOT_LAYOUT[kind];
    const dir = join(this.root, folder);
    const idx: FolderIndex = { files: new Map(), symbologyJson: null, metadataJson: null };
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return idx; // no folder: no dates of this kind
    }
    names.sort();
    for (const name of names) {
      if (name === 'symbology.json') idx.symbologyJson = join(dir, name);
      else if (name === 'metadata.json') idx.metadataJson = join(dir, name);
      const m = FILE_RE.exec(name);
      if (!m || m[5] !== schema) continue;
      const date = `${m[2]}-${m[3]}-${m[4]}`;
      const prev = idx.files.get(date);
      if (prev !== undefined) {
        // prefer the compressed copy (what Databento delivers); say so
        const keep = name.endsWith('.zst') ? join(dir, name) : prev;
        this.opts.onWarning?.({
          kind: 'symbology',
          message: `two ${folder} files for ${date}: ${prev} and ${join(dir, name)}; using ${keep}`,
          file: keep,
        });
        idx.files.set(date, keep);
      } else idx.files.set(date, join(dir, name));
    }
    return idx;
  }

  /** Dates (`YYYY-MM-DD`, sorted) with a file of `kind`; without `kind`, with a file of any kind. */
  async availableDates(kind?: DbnEventKind): Promise<string[]> {
    if (kind !== undefined && !DATA_ROOT_KINDS.includes(kind)) {
      throw new TypeError(`availableDates: kind must be one of ${DATA_ROOT_KINDS.join(', ')}, got ${String(kind)}`);
    }
    const kinds = kind !== undefined ? [kind] : DATA_ROOT_KINDS;
    const set = new Set<string>();
    for (const k of kinds) for (const d of (await this.index(k)).files.keys()) set.add(d);
    return [...set].sort();
  }

  /** The files of one date (kinds without a file are absent). */
  async filesFor(date: string): Promise<DateFiles> {
    checkDate(date);
    const out: DateFiles = { date };
    for (const k of DATA_ROOT_KINDS) {
      const p = (await this.index(k)).files.get(date);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }

  /** The path of the `kind` file for `date`; DbnDataRootError naming the available dates when there is none. */
  async fileFor(kind: DbnEventKind, date: string): Promise<string> {
    checkDate(date);
    const idx = await this.index(kind);
    const p = idx.files.get(date);
    if (p === undefined) {
      const dates = [...idx.files.keys()].sort();
      const { folder, schema } = DATA_ROOT_LAYOUT[kind];
      throw new DbnDataRootError(
        `no ${kind} file for ${date} in ${folder}/ (expected <dataset>-${date.replaceAll('-', '')}.${schema}.dbn[.zst]); ` +
          (dates.length > 0 ? `available: ${summarize(dates)}` : 'that folder has no DBN files'),
        join(this.root, folder),
      );
    }
    return p;
  }

  /** The folder's symbology.json as a SymbolMap (null when the folder has none). */
  symbologyFor(kind: DbnEventKind): Promise<SymbolMap | null> {
    let p = this.symbology.get(kind);
    if (p === undefined) {
      p = this.index(kind).then((idx) => (idx.symbologyJson !== null ? loadSymbologyJson(idx.symbologyJson) : null));
      this.symbology.set(kind, p);
    }
    return p;
  }

  /** Path of the folder's metadata.json, or null. */
  async metadataJsonFor(kind: DbnEventKind): Promise<string | null> {
    return (await this.index(kind)).metadataJson;
  }

  /**
   * The events of one kind and date (MappedEvents: async-iterable, `.batches()`, `.stats`).
   * Resolves once the file is found; iteration then streams it.
   */
  async events(kind: DbnEventKind, date: string, o: ReadOptions = {}): Promise<MappedEvents> {
    const path = await this.fileFor(kind, date);
    const symbols = await this.symbologyFor(kind);
    const opts: MapFileOptions = { kind, symbols, onWarning: this.opts.onWarning };
    if (o.start !== undefined) opts.start = o.start;
    if (o.end !== undefined) opts.end = o.end;
    if (o.filterOn !== undefined) opts.filterOn = o.filterOn;
    if (o.unmapped !== undefined) opts.unmapped = o.unmapped;
    return mapDbnFile(path, opts);
  }

  /** FuturesTrade events of `date` (async iterable). Errors (missing date/file) surface on the first `next()`. */
  trades(date: string, o: ReadOptions = {}): AsyncIterable<Publishable> {
    return this.lazy('trades', date, o, false) as AsyncIterable<Publishable>;
  }
  /** MBP10 events of `date`. */
  mbp10(date: string, o: ReadOptions = {}): AsyncIterable<Publishable> {
    return this.lazy('mbp10', date, o, false) as AsyncIterable<Publishable>;
  }
  /** OptionTrade events of `date`. */
  options(date: string, o: ReadOptions = {}): AsyncIterable<Publishable> {
    return this.lazy('options', date, o, false) as AsyncIterable<Publishable>;
  }
  /** FuturesTrade events of `date` in arrays (one per decoded batch; fastest). */
  tradesBatches(date: string, o: ReadOptions = {}): AsyncIterable<Publishable[]> {
    return this.lazy('trades', date, o, true) as AsyncIterable<Publishable[]>;
  }
  mbp10Batches(date: string, o: ReadOptions = {}): AsyncIterable<Publishable[]> {
    return this.lazy('mbp10', date, o, true) as AsyncIterable<Publishable[]>;
  }
  optionsBatches(date: string, o: ReadOptions = {}): AsyncIterable<Publishable[]> {
    return this.lazy('options', date, o, true) as AsyncIterable<Publishable[]>;
  }

  /**
   * The events of one kind and date already encoded (EncodedBatch, one per decoded chunk; fast/batches.ts):
   * the same file, symbology fallback, window and warnings as the `*Batches` methods, byte for byte what the
   * object path publishes. Errors (missing date/file) surface on the first `next()`.
   */
  encodedBatches(kind: DbnEventKind, date: string, o: EncodedReadOptions = {}): AsyncIterable<EncodedBatch> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const path = await self.fileFor(kind, date);
        const symbols = await self.symbologyFor(kind);
        const opts: FastBatchOptions = { kind, symbols, onWarning: self.opts.onWarning };
        if (o.start !== undefined) opts.start = o.start;
        if (o.end !== undefined) opts.end = o.end;
        if (o.filterOn !== undefined) opts.filterOn = o.filterOn;
        if (o.unmapped !== undefined) opts.unmapped = o.unmapped;
        if (o.order !== undefined) opts.order = o.order;
        if (o.source !== undefined) opts.source = o.source;
        if (o.onRefused !== undefined) opts.onRefused = o.onRefused;
        yield* fastEncodedBatches(path, opts);
      },
    };
  }

  private lazy(kind: DbnEventKind, date: string, o: ReadOptions, batched: boolean): AsyncIterable<Publishable | Publishable[]> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const ev = await self.events(kind, date, o);
        if (batched) yield* ev.batches();
        else yield* ev;
      },
    };
  }
}

function checkDate(date: string): void {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new DbnDataRootError(`date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  }
}

function summarize(dates: string[]): string {
  return dates.length <= 6
    ? dates.join(', ')
    : `${dates.slice(0, 3).join(', ')}, ... ${dates.slice(-2).join(', ')} (${dates.length} dates)`;
}
