/**
 * Where the replayed events come from: a ReplaySource (any, e.g. in memory for tests), DataRootSource (a DBN data
 * root: @md/dbn-reader's DbnDataRoot, layout in docs/dbn-format.md) seen per kind and date, BronzeSource (a Bronze
 * Parquet lake, bronze-source.ts) and CombinedSource (both: which one gives each kind, see there).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DATA_ROOT_LAYOUT, DbnDataRoot, type EncodedReadOptions as DbnEncodedReadOptions } from '@md/dbn-reader';
import type { EncodedBatch, EventSource, Publishable } from '@md/event-types';
import { ReplayPlanError } from './errors.js';
import type { ReplayKind } from './stats.js';

export interface ReplaySource {
  /** dates with at least one file of `kind` (any kind when omitted), 'YYYY-MM-DD', sorted */
  availableDates(kind?: ReplayKind): Promise<string[]>;
  /** whether `date` has a file of `kind` */
  has(kind: ReplayKind, date: string): Promise<boolean>;
  /** base names of the files a replay of `date` reads (message ids name them) */
  fileNames(date: string): Promise<string[]>;
  /** the events of one kind and date, in file order, in batches; [start, end) on ts_event when given */
  batches(kind: ReplayKind, date: string, range: { start?: bigint; end?: bigint }): AsyncIterable<Publishable[]>;
  /** checks of the source's own description (e.g. metadata.json against the files): a ReplayPlanError */
  check?(): Promise<void>;
  /** where a file of `kind` for `date` would be, for an error message */
  bronzeHint?(kind: ReplayKind, date: string): string;
  /**
   * resume: whether a stored message id is an event of this source among `dates`; its date. Without them the
   * DBN rule applies (the file base name in the id among fileNames(), its YYYYMMDD).
   */
  ownsMsgId?(msgId: string, dates: readonly string[]): Promise<boolean>;
  dateOfMsgId?(msgId: string): string | null;
  /**
   * The fast lane (issue 12): the same events as batches(), in the same order, already encoded as the
   * contract's JSON (byte for byte what the object path publishes, with the same message ids and warnings).
   * null: this kind of this date cannot take the fast lane, and the replay of the date uses batches().
   */
  encodedBatches?(
    kind: ReplayKind,
    date: string,
    range: { start?: bigint; end?: bigint },
    o: EncodedReadOptions,
  ): AsyncIterable<EncodedBatch> | null;
}

/** ReplaySource.encodedBatches' options */
export interface EncodedReadOptions {
  /** which timestamp fills EncodedBatch.keyHi / keyLo (the replay's order) */
  order: 'ts_event' | 'ts_recv';
  /**
   * an event the contract's codec refuses (e.g. a timestamp above INT64_MAX): left out of every batch; called
   * with its message id and the codec's message (what the object path's EncodeError says)
   */
  onRefused?: (msgId: string, message: string) => void;
}

export interface DataRootSourceOptions {
  /**
   * the `source` field of every event (the DBN mapping says 'replay'); the generated sample session is
   * replayed with 'sim', the contract's value for synthetic data
   */
  eventSource?: EventSource;
}

const KIND_OF_FOLDER = { trades: 'trades', mbp10: 'mbp10', options: 'options' } as const;

export class DataRootSource implements ReplaySource {
  readonly root: DbnDataRoot;
  constructor(
    readonly dir: string,
    onWarning?: (msg: string) => void,
    private readonly opts: DataRootSourceOptions = {},
  ) {
    this.root = new DbnDataRoot(dir, onWarning ? { onWarning: (w) => onWarning(w.message) } : {});
  }

  availableDates(kind?: ReplayKind): Promise<string[]> {
    if (kind !== undefined && !(kind in KIND_OF_FOLDER)) return Promise.resolve([]);
    return this.root.availableDates(kind as keyof typeof KIND_OF_FOLDER | undefined);
  }

  async has(kind: ReplayKind, date: string): Promise<boolean> {
    return (await this.availableDates(kind)).includes(date);
  }

  async fileNames(date: string): Promise<string[]> {
    const f = await this.root.filesFor(date);
    return [f.trades, f.mbp10, f.options].filter((x): x is string => typeof x === 'string').map((x) => basename(x));
  }

  batches(kind: ReplayKind, date: string, range: { start?: bigint; end?: bigint }): AsyncIterable<Publishable[]> {
    const inner =
      kind === 'trades'
        ? this.root.tradesBatches(date, range)
        : kind === 'mbp10'
          ? this.root.mbp10Batches(date, range)
          : kind === 'options'
            ? this.root.optionsBatches(date, range)
            : null;
    if (inner === null) throw new TypeError(`DataRootSource: a DBN data root has no ${kind}`);
    const src = this.opts.eventSource;
    if (src === undefined) return inner;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const b of inner) {
          for (const p of b) (p.event as { source: EventSource }).source = src;
          yield b;
        }
      },
    };
  }

  /** the fast lane: DbnDataRoot.encodedBatches with this source's `source` field ('replay' unless set); null for a kind a data root has not */
  encodedBatches(
    kind: ReplayKind,
    date: string,
    range: { start?: bigint; end?: bigint },
    o: EncodedReadOptions,
  ): AsyncIterable<EncodedBatch> | null {
    if (kind !== 'trades' && kind !== 'mbp10' && kind !== 'options') return null;
    const opts: DbnEncodedReadOptions = { order: o.order, source: this.opts.eventSource ?? 'replay' };
    if (range.start !== undefined) opts.start = range.start;
    if (range.end !== undefined) opts.end = range.end;
    if (o.onRefused !== undefined) opts.onRefused = o.onRefused;
    return this.root.encodedBatches(kind, date, opts);
  }

  /**
   * Databento's metadata.json beside the files (a folder's batch job description): its query's dataset and
   * schema must be those of the folder's files (schema: the folder's, e.g. mbp-10 in MBP-10/; dataset: the file
   * name prefix, glbx-mdp3 = GLBX.MDP3). A mismatch, or a metadata.json that is not JSON, is a ReplayPlanError
   * naming the file; everything else in it is not used.
   */
  async check(): Promise<void> {
    for (const kind of Object.keys(KIND_OF_FOLDER) as (keyof typeof KIND_OF_FOLDER)[]) {
      const path = await this.root.metadataJsonFor(kind);
      if (path === null) continue;
      let q: { dataset?: unknown; schema?: unknown };
      try {
        const j = JSON.parse(readFileSync(path, 'utf8')) as { query?: { dataset?: unknown; schema?: unknown } };
        q = j?.query ?? {};
      } catch (e) {
        throw new ReplayPlanError('METADATA_MISMATCH', `${path}: not a readable metadata.json (${(e as Error).message})`);
      }
      const { schema } = DATA_ROOT_LAYOUT[kind];
      if (typeof q.schema === 'string' && q.schema !== schema)
        throw new ReplayPlanError(
          'METADATA_MISMATCH',
          `${path}: schema ${JSON.stringify(q.schema)} does not match the folder's ${schema} files (${DATA_ROOT_LAYOUT[kind].folder}/)`,
        );
      if (typeof q.dataset !== 'string') continue;
      const want = q.dataset.toLowerCase().replace(/\./g, '-');
      const dates = await this.root.availableDates(kind);
      for (const d of dates) {
        const file = (await this.root.filesFor(d))[kind];
        const name = file ? basename(file) : '';
        if (file && !name.startsWith(`${want}-`))
          throw new ReplayPlanError(
            'METADATA_MISMATCH',
            `${path}: dataset ${q.dataset} does not match ${file} (a ${want}-YYYYMMDD.${schema}.dbn[.zst] file was expected)`,
          );
      }
    }
  }
}
