/**
 * MultiSeries: one aligned, masked multi-task time series (T steps x K series), the in-memory form of a
 * prepared dataset (`loadcast series prepare` writes it to DuckDB; `openDataset` reads it back). This is the
 * contract between the dataset layer (src/series) and the forecaster (src/forecast).
 *
 * Layout is time-major: value of series k at step t is `values[t * K + k]`. Missing values are NaN in `values`
 * and 0 in `mask` (1 = observed). Nothing is zero-filled: consumers decide how to impute model inputs and must
 * leave masked targets out of losses and metrics.
 */
export interface MultiSeries {
  /** Number of time steps. */
  readonly T: number;
  /** Number of series (tasks) = entities x metrics present. */
  readonly K: number;
  /** Fixed step of the grid, in seconds. */
  readonly stepSeconds: number;
  /** Time of step 0, seconds (source clock: Unix seconds, or seconds since trace start for Alibaba). */
  readonly startTime: number;
  /** Series names `entity:metric`, length K. */
  readonly names: readonly string[];
  /** Entity of each series, length K. */
  readonly entityOf: readonly string[];
  /** Metric of each series, length K. */
  readonly metricOf: readonly string[];
  /** Raw (source-unit) values, T x K time-major, NaN = missing. */
  readonly values: Float64Array;
  /** 1 = observed, 0 = missing; T x K time-major. */
  readonly mask: Uint8Array;
  /** Chronological split: train = [0, trainEnd), validation = [trainEnd, valEnd), test = [valEnd, T). */
  readonly split: { readonly trainEnd: number; readonly valEnd: number };
  /** Per-series z-score statistics from the training part only. */
  readonly stats: {
    readonly mean: Float64Array;
    readonly std: Float64Array;
    /** 1 where the series is constant in training (std < 1e-6): it cannot be z-scored and is left out of pooled metrics. */
    readonly constant: Uint8Array;
  };
  /** Sparse task adjacency (row-normalised, with self-loops), CSR over K x K. */
  readonly adjacency: SparseAdjacency;
  /** Stable fingerprint of values, mask, split and adjacency (hex), used to match checkpoints to data. */
  readonly fingerprint: string;
}

/** A K x K sparse matrix in compressed sparse row form. */
export interface SparseAdjacency {
  /** `topology`, `statistical`, `identity` (or a `+`-joined combination). */
  readonly kind: string;
  /** Row pointers, length K + 1. */
  readonly rowPtr: Int32Array;
  /** Column index of each non-zero. */
  readonly colIdx: Int32Array;
  /** Value of each non-zero. */
  readonly values: Float64Array;
}
