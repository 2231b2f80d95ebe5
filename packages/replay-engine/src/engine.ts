/**
 * The simple entry point: a data root (or any ReplaySource) into a sink, planned and replayed with the CLI's
 * defaults (REPLAY_DEFAULTS) for everything not given. The replay-publisher CLI is this plus option parsing,
 * the NATS connection, resume, progress display and status messages.
 */
import type { EventSink } from '@md/nats-bus';
import type { ReplayClock } from '@md/stream-merge';
import { checkDataRootDir, planReplay, type ReplayPlan, type ReplayPlanOptions } from './plan.js';
import { Replayer, type ReplayTuning } from './replayer.js';
import { DataRootSource, type ReplaySource } from './source.js';
import type { Position, ReplayStats } from './stats.js';

/** where the events come from: a DBN data root directory, or a source of your own */
export type ReplayInput = { dataRoot: string; source?: never } | { source: ReplaySource; dataRoot?: never };

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

  constructor(private readonly o: ReplayOptions) {
    if (o.source) this.source = o.source;
    else {
      const log = o.log;
      this.source = new DataRootSource(o.dataRoot, log ? (m) => log(`warning: ${m}`) : undefined);
    }
    this.replayer = new Replayer({ ...o, source: this.source });
  }

  /** the dates and kinds this replay reads (ReplayPlanError when there is nothing to replay); computed once */
  plan(): Promise<ReplayPlan> {
    this.planned ??= (async () => {
      if (this.o.dataRoot !== undefined) checkDataRootDir(this.o.dataRoot);
      return planReplay(this.o, this.source, this.o.dataRoot ?? 'the source');
    })();
    return this.planned;
  }

  /** plan, then replay every planned date into the sink; resolves with the statistics (stopped=true after stop()) */
  async run(): Promise<ReplayStats> {
    const plan = await this.plan();
    for (const w of plan.warnings) this.o.log?.(`warning: ${w}`);
    const [first, ...more] = plan.dates;
    if (first !== undefined && !this.o.continuous && more.length === 0)
      return this.replayer.replayDate(first, plan.start(first), plan.end(first), plan.kinds);
    return this.replayer.replayContinuous(plan.dates, plan.kinds, { start: plan.start, end: plan.end });
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
 * `await replay({ dataRoot: '/data/databento', sink })` publishes the latest date, every kind, in ts_event order
 * (100 ms reorder window) at real time.
 */
export function replay(o: ReplayOptions): Promise<ReplayStats> {
  return new ReplayEngine(o).run();
}
