/**
 * The simple entry point: a data root (or any ReplaySource) into a sink, planned and replayed with the CLI's
 * defaults (REPLAY_DEFAULTS) for everything not given. The replay-publisher CLI is this plus option parsing,
 * the NATS connection, resume, progress display and status messages.
 */
import { existsSync, statSync } from 'node:fs';
import type { EventSource } from '@md/event-types';
import type { EventSink } from '@md/nats-bus';
import type { ReplayClock } from '@md/stream-merge';
import { BronzeSource, CombinedSource } from './bronze-source.js';
import { ReplayPlanError } from './errors.js';
import { checkDataRootDir, planReplay, type ReplayPlan, type ReplayPlanOptions } from './plan.js';
import { Replayer, type ReplayTuning } from './replayer.js';
import { DataRootSource, type ReplaySource } from './source.js';
import type { Position, ReplayStats } from './stats.js';

/** a DBN data root and/or a Bronze lake, and which of them gives what */
export interface RootsInput {
  /** the DBN data root */
  dataRoot?: string | null;
  /** the Bronze Parquet lake (the folder holding `bronze/`, or `bronze/` itself) */
  bronzeRoot?: string | null;
  /** option trades: 'dbn', 'bronze', or 'auto' (default: DBN when the date has a DBN options file, else Bronze) */
  optionsSource?: 'dbn' | 'bronze' | 'auto';
  /** futures trades and MBP-10 from Bronze instead of DBN (the old REPLAY_USE_BRONZE_FUTURES) */
  bronzeFutures?: boolean;
  /** the Bronze futures partition (`symbol=ES`, the old REPLAY_FUTURES_SYMBOL) */
  futuresSymbol?: string;
  /** the `source` of DBN events (default: the mapping's 'replay'; 'sim' for the generated sample session) */
  eventSource?: EventSource;
}

/** where the events come from: a DBN data root and/or a Bronze lake, or a source of your own */
export type ReplayInput = (RootsInput & { source?: never }) | { source: ReplaySource; dataRoot?: never; bronzeRoot?: never };

/**
 * The ReplaySource of a DBN data root and/or a Bronze lake (checked: ReplayPlanError when a root is missing):
 * DataRootSource alone, or a CombinedSource with a BronzeSource.
 */
export function sourceForRoots(o: RootsInput, warn?: (msg: string) => void): ReplaySource {
  const dataRoot = o.dataRoot ?? null;
  const bronzeRoot = o.bronzeRoot ?? null;
  if (dataRoot === null && bronzeRoot === null) throw new ReplayPlanError('DATA_ROOT_NOT_FOUND', 'no data root and no Bronze root given');
  if (dataRoot !== null) checkDataRootDir(dataRoot);
  const dbn = dataRoot !== null ? new DataRootSource(dataRoot, warn, o.eventSource ? { eventSource: o.eventSource } : {}) : null;
  if (bronzeRoot === null) return dbn as DataRootSource;
  if (!existsSync(bronzeRoot) || !statSync(bronzeRoot).isDirectory())
    throw new ReplayPlanError('BRONZE_ROOT_NOT_FOUND', `Bronze root ${bronzeRoot} does not exist or is not a directory`);
  const bronze = new BronzeSource({
    root: bronzeRoot,
    ...(o.futuresSymbol ? { futuresSymbol: o.futuresSymbol } : {}),
    ...(warn ? { onWarning: warn } : {}),
  });
  return new CombinedSource({ dbn, bronze, options: o.optionsSource ?? 'auto', futures: o.bronzeFutures ? 'bronze' : 'dbn' });
}

export type ReplayOptions = ReplayInput &
  ReplayPlanOptions &
  ReplayTuning & {
    /** where the events go; flushed at the end, never closed (it is yours) */
    sink: EventSink;
  };

export class ReplayEngine {
  readonly source: ReplaySource;
  private readonly replayer: Replayer;
  private planned: Promise<ReplayPlan> | null = null;
  private rootError: unknown = null;

  constructor(private readonly o: ReplayOptions) {
    if (o.source) this.source = o.source;
    else {
      const log = o.log;
      try {
        this.source = sourceForRoots(o, log ? (m) => log(`warning: ${m}`) : undefined);
      } catch (e) {
        this.rootError = e; // raised by plan() / run(), as every other planning error
        this.source = { availableDates: async () => [], has: async () => false, fileNames: async () => [], batches: () => [] as never };
      }
    }
    this.replayer = new Replayer({ ...o, source: this.source });
  }

  /** the dates and kinds this replay reads (ReplayPlanError when there is nothing to replay); computed once */
  plan(): Promise<ReplayPlan> {
    this.planned ??= (async () => {
      if (this.rootError) throw this.rootError;
      const names = [this.o.dataRoot, this.o.bronzeRoot].filter((x): x is string => typeof x === 'string');
      return planReplay(this.o, this.source, names.length ? names.join(' + ') : 'the source');
    })();
    return this.planned;
  }

  /** plan, then replay every planned date into the sink; resolves with the statistics (stopped=true after stop()) */
  async run(): Promise<ReplayStats> {
    const plan = await this.plan();
    for (const w of plan.warnings) this.o.log?.(`warning: ${w}`);
    const [first, ...more] = plan.dates;
    if (first !== undefined && !this.o.continuous && more.length === 0)
      return this.replayer.replayDate(first, plan.start(first), plan.end(first), plan.perDate[first] ?? plan.kinds);
    return this.replayer.replayContinuous(plan.dates, plan.kinds, plan);
  }

  /** stop reading: run() resolves after the event being handed over, once the sink confirmed what it holds */
  stop(): void {
    this.replayer.stop();
  }

  /** the replay clock (speed > 0): pause(), resume(), setSpeed(), stats() */
  get replayClock(): ReplayClock | null {
    return this.replayer.replayClock;
  }

  /** the replay in progress (live counters, position), for a progress display driven by a timer */
  get current(): { stats: ReplayStats; pos: Position; t0: number } | null {
    return this.replayer.current;
  }
}

/**
 * Replay a data root into a sink with the CLI's defaults:
 * `await replay({ dataRoot: '/data/databento', sink })` publishes every date in ascending order, futures trades and
 * MBP-10 (option trades with `options: true`), in ts_event order (100 ms reorder window) at real time.
 */
export function replay(o: ReplayOptions): Promise<ReplayStats> {
  return new ReplayEngine(o).run();
}
