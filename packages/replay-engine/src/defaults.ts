/**
 * The replay's defaults, defined once. The engine applies them (replay(), ReplayEngine, Replayer, planReplay) and
 * the replay-publisher CLI takes its own defaults from here, so a library replay and a CLI replay of the same data
 * root publish the same event sequence.
 */

/** merge key: ts_event (the contract's order on the wire) or ts_recv (Databento's file order) */
export type ReplayOrder = 'ts_event' | 'ts_recv';

/**
 * which event kinds a replay reads: true = asked for (a date without it replays without it, with a warning),
 * 'auto' = when the date has it (silently), false = never
 */
export interface IncludeKinds {
  trades: boolean | 'auto';
  mbp10: boolean | 'auto';
  /** option trades: off unless asked (the default of the system this replaces); 'auto': when the date has them */
  options: boolean | 'auto';
  /** stock trades / quotes (a Bronze lake's stocks tables): 'auto' = when the Bronze root has them for the date */
  stockTrades?: boolean | 'auto';
  stockQuotes?: boolean | 'auto';
}

/** where a date's replay starts: the whole UTC day, 09:30 New York (regular session) or 04:00 New York */
export type ReplaySession = 'full' | 'rth' | 'premarket';

export interface ReplayDefaults {
  /** 1 = real time (the CLI's default with a data root); 0 = as fast as possible */
  readonly speed: number;
  /** the generated sample session (the CLI without a data root) replays as fast as possible */
  readonly sampleSpeed: number;
  /** cap on an idle gap between two events, in ms of wall time (0 = no cap) */
  readonly maxGapMs: number;
  /**
   * input time held back to restore ts_event order: DBN files are in ts_recv order and ts_event steps back a
   * little inside a file; without a window those events go out of order
   */
  readonly reorderWindowNs: bigint;
  readonly order: ReplayOrder;
  readonly include: Readonly<Required<IncludeKinds>>;
  /** no dates given: 'all' = every available date in ascending order ('latest': the latest only) */
  readonly dates: 'all' | 'latest';
  readonly session: ReplaySession;
  /** onProgress every N published events (0 = never) */
  readonly progressEvery: number;
  /** when stopped: wait at most this long for the sink's outstanding confirmations */
  readonly shutdownTimeoutMs: number;
  /**
   * max unconfirmed events of the JetStreamPublisher the CLI creates (batch / ack mode): bounds memory; the
   * publisher's own default (16384) costs ~50 MB more peak RSS for no measurable speed in a replay
   */
  readonly publishWindow: Readonly<{ batch: number; ack: number }>;
}

export const REPLAY_DEFAULTS: ReplayDefaults = Object.freeze({
  speed: 1,
  sampleSpeed: 0,
  maxGapMs: 5000,
  reorderWindowNs: 100_000_000n,
  order: 'ts_event',
  include: Object.freeze({ trades: true, mbp10: true, options: false, stockTrades: 'auto', stockQuotes: 'auto' }),
  dates: 'all',
  session: 'full',
  progressEvery: 10_000,
  shutdownTimeoutMs: 30_000,
  publishWindow: Object.freeze({ batch: 2048, ack: 1024 }),
});
