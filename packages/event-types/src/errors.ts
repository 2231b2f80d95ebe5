/** Base class of the codec's errors. `field` names the offending field (`levels[3].bid_px`, `conditions[2]`),
 * or is `''` when the problem is not tied to one field (not an object, trailing bytes, ...). */
export class CodecError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'CodecError';
    this.field = field;
  }
}

/** An event could not be encoded: a field has the wrong type or a value the contract does not allow. */
export class EncodeError extends CodecError {
  /** the schema id the event was encoded as (when known) */
  readonly schemaId: string | undefined;
  constructor(field: string, message: string, schemaId?: string) {
    super(field, schemaId ? `${message} (encoding ${schemaId})` : message);
    this.name = 'EncodeError';
    this.schemaId = schemaId;
  }
}

/** A message body is not a valid event of its schema. `offset` is the character offset in the decoded text
 * where the problem was found (-1 when not known). */
export class DecodeError extends CodecError {
  readonly offset: number;
  readonly schemaId: string | undefined;
  constructor(field: string, message: string, offset = -1, schemaId?: string) {
    super(field, `${message}${offset >= 0 ? ` at offset ${offset}` : ''}${schemaId ? ` (decoding ${schemaId})` : ''}`);
    this.name = 'DecodeError';
    this.offset = offset;
    this.schemaId = schemaId;
  }
}

/** A subject or schema id that is not in the registry. */
export class UnknownSubjectError extends Error {
  readonly subject: string;
  constructor(subject: string, known: readonly string[]) {
    super(`unknown subject or schema id ${JSON.stringify(subject)}; known: ${known.join(', ')}`);
    this.name = 'UnknownSubjectError';
    this.subject = subject;
  }
}

/** A malformed option ticker (or OptionTicker object passed to formatOptionTicker). */
export class OptionTickerError extends Error {
  readonly ticker: string;
  constructor(ticker: string, message: string) {
    super(`invalid option ticker ${JSON.stringify(ticker)}: ${message}`);
    this.name = 'OptionTickerError';
    this.ticker = ticker;
  }
}
