/** Per-series z-scoring with training statistics only (DESIGN.md forecasting protocol). */
import type { MultiSeries } from './dataset.ts';

/**
 * T x K time-major z-scored values, (x - mean_k) / std_k with the training statistics of `ds.stats`; NaN where
 * missing. A series constant in training (`stats.constant[k] = 1`) has std stored as 1, so it comes out as
 * x - mean (still usable as a model input; left out of pooled z-scale metrics by the evaluator).
 */
export function zScore(ds: MultiSeries): Float32Array {
  const { T, K, values } = ds;
  const { mean, std } = ds.stats;
  const out = new Float32Array(T * K);
  const inv = new Float64Array(K);
  for (let k = 0; k < K; k++) inv[k] = 1 / std[k]!;
  for (let t = 0; t < T; t++) {
    const row = t * K;
    for (let k = 0; k < K; k++) out[row + k] = (values[row + k]! - mean[k]!) * inv[k]!;
  }
  return out;
}

/** Inverse of {@link zScore} for one value of series k. */
export function unZScore(ds: MultiSeries, k: number, z: number): number {
  return z * ds.stats.std[k]! + ds.stats.mean[k]!;
}
