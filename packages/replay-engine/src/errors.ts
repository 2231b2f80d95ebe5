/** Typed errors of @md/replay-engine: every one carries a `code`, so callers branch on it, not on message text. */
import { describeEvent } from './msg-id.js';

export type ReplayErrorCode =
  | ReplayPlanErrorCode
  /** the resume point (a message id) is not among the events of this replay */
  | 'RESUME_POINT_NOT_FOUND'
  /** the sink refused an event for another reason than the event itself */
  | 'PUBLISH_FAILED';

export type ReplayPlanErrorCode =
  | 'DATA_ROOT_NOT_FOUND'
  | 'DATA_ROOT_NOT_A_DIRECTORY'
  | 'NO_DBN_FILES'
  | 'DATE_NOT_FOUND'
  | 'NO_OPTIONS_FILE'
  /** a metadata.json beside the files disagrees with them (dataset, schema) or is not JSON */
  | 'METADATA_MISMATCH'
  /** the Bronze root is missing or not a directory */
  | 'BRONZE_ROOT_NOT_FOUND'
  | 'NOTHING_TO_REPLAY'
  | 'EMPTY_TIME_WINDOW';

export class ReplayError extends Error {
  override name = 'ReplayError';
  constructor(
    readonly code: ReplayErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The options and the data root's contents do not make a replay (no files, an unknown date, an empty window...):
 * raised before anything is read or published. The CLI maps it to exit 2 with this message.
 */
export class ReplayPlanError extends ReplayError {
  override name = 'ReplayPlanError';
  declare readonly code: ReplayPlanErrorCode;
  constructor(code: ReplayPlanErrorCode, message: string) {
    super(code, message);
  }
}

export class ResumePointNotFoundError extends ReplayError {
  override name = 'ResumePointNotFoundError';
  constructor(readonly msgId: string) {
    super(
      'RESUME_POINT_NOT_FOUND',
      `--resume: the last stored event of this replay (msg id ${msgId}) is not among the events of this replay; ` +
        'was the interrupted run made with other data, --order or --reorder-window? Nothing was published.',
    );
  }
}

/** A publish failed for another reason than the event itself (connection closed, sink error): names the event. */
export class ReplayPublishError extends ReplayError {
  override name = 'ReplayPublishError';
  constructor(
    readonly msgId: string,
    cause: Error,
  ) {
    super('PUBLISH_FAILED', `${describeEvent(msgId)}: ${cause?.message ?? String(cause)}`, { cause });
  }
}
