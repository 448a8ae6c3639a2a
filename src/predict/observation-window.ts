/**
 * Read access to a window of (features, cost) observations, as the fits need it. {@link CostHistory} and the
 * MLR predictor's {@link SlidingCorrelations} both provide it.
 */
export interface ObservationWindow {
  /** Rows in use. */
  readonly count: number;
  /** Features per row. */
  readonly width: number;
  /** Feature rows, row-major: row r occupies [r * width, (r + 1) * width). */
  readonly x: Float64Array;
  /** Cost of row r in ns. */
  readonly y: Float64Array;
}
