/** Why a Bronze file could not be read. */
export type BronzeErrorCode =
  /** the file does not start with the Parquet magic `PAR1` */
  | 'not_parquet'
  /** it starts like Parquet but its footer is missing or cut short */
  | 'truncated'
  /** the footer or a column chunk cannot be decoded */
  | 'corrupt'
  /** a column the table requires is absent */
  | 'missing_column'
  /** a column has a physical type the reader cannot use (e.g. `ts_event_ns` not INT64) */
  | 'bad_column_type'
  /** the file or folder cannot be read */
  | 'io';

/**
 * A Bronze file that cannot be read. Raised after every row read before it was delivered (see README).
 * `file` is the path of the file, `column` the column at fault when there is one.
 */
export class BronzeError extends Error {
  override readonly name = 'BronzeError';
  readonly code: BronzeErrorCode;
  readonly file: string;
  readonly column: string | undefined;
  /** 0-based row group of the file, when the failure is inside one */
  readonly rowGroup: number | undefined;
  constructor(code: BronzeErrorCode, file: string, detail: string, opts: { column?: string; rowGroup?: number; cause?: unknown } = {}) {
    const where = [
      opts.column !== undefined ? `column ${opts.column}` : null,
      opts.rowGroup !== undefined ? `row group ${opts.rowGroup}` : null,
    ]
      .filter((x) => x !== null)
      .join(', ');
    super(
      `Bronze file ${file}${where ? ` (${where})` : ''}: ${detail} [${code}]`,
      opts.cause !== undefined ? { cause: opts.cause } : undefined,
    );
    this.code = code;
    this.file = file;
    this.column = opts.column;
    this.rowGroup = opts.rowGroup;
  }
}
