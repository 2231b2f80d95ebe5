/**
 * The kit's typed errors. Each has a stable `code`: callers test the code rather than `instanceof`, which fails
 * when the ESM and the CJS build of this package are both loaded in one process (two copies of each class).
 */

/** What the user configured is wrong (a flag, an environment variable, a combination): exit code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'E_CONFIG' as const;
  /** the flag or environment variable the message names, as the user wrote it (when there is one) */
  readonly option: string | undefined;
  /** the offending value, as given (when there is one) */
  readonly value: string | undefined;
  constructor(message: string, details: { option?: string; value?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.option = details.option;
    this.value = details.value;
  }
}

/** True for a ConfigError of any copy of this package (ESM or CJS), by its code. */
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError || (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'E_CONFIG');
}

/** The option table itself is wrong (two options with one flag, a bad default, ...): a programming error. */
export class OptionTableError extends Error {
  override readonly name = 'OptionTableError';
  readonly code = 'E_OPTION_TABLE' as const;
}

/** A README has no (or an unterminated) `<!-- options:NAME -->` ... `<!-- /options:NAME -->` block. */
export class ReadmeOptionsError extends Error {
  override readonly name = 'ReadmeOptionsError';
  readonly code = 'E_README_OPTIONS' as const;
  constructor(
    message: string,
    /** the NAME of the markers */
    readonly marker: string,
  ) {
    super(message);
  }
}
