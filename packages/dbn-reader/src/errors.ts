/**
 * Typed errors of the DBN decoder and encoder. Every decoding error names the input (`file`, when
 * known) and the byte `offset` where the problem was found. For zstd input, `offset` is a position
 * in the decompressed stream and `compressedOffset` the input position, when known.
 */
export class DbnError extends Error {
  readonly file?: string;
  readonly offset: number;
  readonly compressedOffset?: number;
  constructor(message: string, opts: { file?: string; offset: number; compressedOffset?: number; cause?: unknown }) {
    const where = `${opts.file ?? '<input>'} at byte offset ${opts.offset}${
      opts.compressedOffset !== undefined ? ` (compressed offset ${opts.compressedOffset})` : ''
    }`;
    super(`${message} [${where}]`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = new.target.name;
    this.file = opts.file;
    this.offset = opts.offset;
    if (opts.compressedOffset !== undefined) this.compressedOffset = opts.compressedOffset;
  }
}

/** The data ends inside the prelude, the metadata, a record header or a record. */
export class DbnTruncatedError extends DbnError {}

/** The input starts with neither `DBN` nor a zstd frame (and no fragment `version` was given). */
export class DbnBadMagicError extends DbnError {}

/** The version byte is not 1, 2 or 3. */
export class DbnUnsupportedVersionError extends DbnError {
  readonly version: number;
  constructor(version: number, opts: { file?: string; offset: number; compressedOffset?: number }) {
    super(`unsupported DBN version ${version} (this reader supports 1, 2 and 3)`, opts);
    this.version = version;
  }
}

/** A record's length is zero / below the header size, or too short for its record type. */
export class DbnBadRecordLengthError extends DbnError {
  readonly length: number;
  readonly rtype: number;
  constructor(message: string, length: number, rtype: number, opts: { file?: string; offset: number; compressedOffset?: number }) {
    super(message, opts);
    this.length = length;
    this.rtype = rtype;
  }
}

/** The metadata is malformed (length below 100, bad counts, non-zero schema definition, ...). */
export class DbnMetadataError extends DbnError {}

/** The zstd data is corrupt, or ends inside a frame. */
export class DbnZstdError extends DbnError {}

/** Reading the input failed (file not found, stream error). `cause` holds the original error. */
export class DbnIoError extends DbnError {}

/** A record or metadata could not be encoded (missing or out-of-range field). */
export class DbnEncodeError extends Error {
  readonly field?: string;
  constructor(message: string, field?: string, cause?: unknown) {
    super(message, cause !== undefined ? { cause } : undefined);
    this.name = 'DbnEncodeError';
    this.field = field;
  }
}
