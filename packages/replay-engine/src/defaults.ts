/**
 * The replay's defaults, defined once. The engine applies them (replay(), ReplayEngine, Replayer, planReplay) and
 * the replay-publisher CLI takes its own defaults from here, so a library replay and a CLI replay of the same data
 * root publish the same event sequence.
 */

/** merge key: ts_event (the contract's order on the wire) or ts_recv (Databento's file order) */
export type ReplayOrder = 'ts_event' | 'ts_recv';

/** which event kinds a replay reads */
export interface IncludeKinds {
  trades: boolean;
  mbp10: boolean;
  /** 'auto': when the date has an options file */
  options: boolean | 'auto';
}

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
  readonly include: Readonly<IncludeKinds>;
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
  include: Object.freeze({ trades: true, mbp10: true, options: 'auto' }),
  progressEvery: 10_000,
  shutdownTimeoutMs: 30_000,
  publishWindow: Object.freeze({ batch: 2048, ack: 1024 }),
});
