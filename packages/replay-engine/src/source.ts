/**
 * Where the replayed events come from: a ReplaySource (any, e.g. in memory for tests) or DataRootSource, a DBN data
 * root (@md/dbn-reader's DbnDataRoot, layout in docs/dbn-format.md) seen per kind and date.
 */
import { basename } from 'node:path';
import { DbnDataRoot } from '@md/dbn-reader';
import type { Publishable } from '@md/event-types';
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
}

export class DataRootSource implements ReplaySource {
  readonly root: DbnDataRoot;
  constructor(
    readonly dir: string,
    onWarning?: (msg: string) => void,
  ) {
    this.root = new DbnDataRoot(dir, onWarning ? { onWarning: (w) => onWarning(w.message) } : {});
  }

  availableDates(kind?: ReplayKind): Promise<string[]> {
    return this.root.availableDates(kind);
  }

  async has(kind: ReplayKind, date: string): Promise<boolean> {
    return (await this.root.availableDates(kind)).includes(date);
  }

  async fileNames(date: string): Promise<string[]> {
    const f = await this.root.filesFor(date);
    return [f.trades, f.mbp10, f.options].filter((x): x is string => typeof x === 'string').map((x) => basename(x));
  }

  batches(kind: ReplayKind, date: string, range: { start?: bigint; end?: bigint }): AsyncIterable<Publishable[]> {
    if (kind === 'trades') return this.root.tradesBatches(date, range);
    if (kind === 'mbp10') return this.root.mbp10Batches(date, range);
    return this.root.optionsBatches(date, range);
  }
}
