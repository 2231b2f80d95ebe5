/** Typed errors of @md/polygon-normalizer. They are returned (never thrown) by parseFrame. */

/** Base class of every parse problem: `frame` is the caller's frame label (e.g. a counter), if given. */
export class PolygonParseError extends Error {
  override name = 'PolygonParseError';
}

/** The whole frame could not be read (not JSON, not an array or object, trailing garbage, BOM, ...). */
export class FrameError extends PolygonParseError {
  override name = 'FrameError';
  constructor(
    /** why the frame was refused */
    readonly reason: string,
    /** the first 120 characters of the frame, for the log */
    readonly preview: string,
    /** the frame's label (e.g. a frame counter), if the caller gave one */
    readonly frame?: string | number,
  ) {
    super(`frame${frame !== undefined ? ` ${frame}` : ''} rejected: ${reason} (starts with ${JSON.stringify(preview)})`);
  }
}

/** One element of a frame was refused; the other elements of the frame are unaffected. */
export class EventError extends PolygonParseError {
  override name = 'EventError';
  constructor(
    /** 0-based position of the element in the frame's array */
    readonly index: number,
    /** the element's `ev` when it had a string one */
    readonly ev: string | undefined,
    /** the offending field (`ev`, `sym`, `p`, `t`, `q`, ... or `(element)`) */
    readonly field: string,
    /** why it was refused */
    readonly reason: string,
    readonly frame?: string | number,
  ) {
    super(
      `${frame !== undefined ? `frame ${frame} ` : ''}event ${index}${ev !== undefined ? ` (ev ${JSON.stringify(ev)})` : ''}: ` +
        `field ${field}: ${reason}`,
    );
  }
}
