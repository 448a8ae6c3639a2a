/**
 * Error types shared by every layer. The CLI maps them to exit codes: a {@link UserError} (bad input, bad
 * flag, bad file) exits 1 with its one-line message and no stack trace; anything else is an internal error
 * and exits 2.
 *
 * A message says what went wrong and where (file, byte offset, line, column); `hint` says what to do.
 */
export class UserError extends Error {
  /** Stable machine-readable code, e.g. `capture.bad-magic`, `series.missing-columns`. */
  readonly code: string;
  /** What the user can do about it; printed after the message. */
  readonly hint?: string;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.code = code;
    this.hint = hint;
  }
}

/** Thrown by the capture layer for anything wrong with a trace file; nothing else escapes a reader. */
export class CaptureError extends UserError {
  /** The file being read, when known. */
  readonly file?: string;
  /** Byte offset in the (decompressed) file where the problem was found, when known. */
  readonly offset?: number;

  constructor(code: string, message: string, opts: { file?: string; offset?: number; hint?: string } = {}) {
    const where = [opts.file, opts.offset !== undefined ? `byte offset ${opts.offset}` : undefined]
      .filter(Boolean)
      .join(', ');
    super(code, where ? `${message} (${where})` : message, opts.hint);
    this.name = 'CaptureError';
    this.file = opts.file;
    this.offset = opts.offset;
  }
}

/** Thrown by the dataset layer (src/series) for bad tables, columns, values or splits. */
export class SeriesError extends UserError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, hint);
    this.name = 'SeriesError';
  }
}

/** Thrown by the forecaster for bad configs, checkpoints or datasets. */
export class ForecastError extends UserError {
  constructor(code: string, message: string, hint?: string) {
    super(code, message, hint);
    this.name = 'ForecastError';
  }
}
