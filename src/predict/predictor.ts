/**
 * The cost-predictor interface shared by EWMA, SLR and MLR. A predictor belongs to one query. Per batch the
 * engine asks for a prediction from the batch's features, runs the query, and then tells the predictor what
 * really ran (the features of the batch after shedding, and the measured cost in ns).
 */
export interface CostPredictor {
  /** `ewma`, `slr` or `mlr`. */
  readonly kind: string;
  /** Predicted cost in ns of processing a batch with these features (>= 0). */
  predict(features: Float64Array): number;
  /** Adds an observation to the history (never called for batches flagged for GC). */
  observe(features: Float64Array, costNs: number): void;
  /** Number of observations in the history window. */
  readonly observations: number;
  /** Names of the features the last prediction used (MLR: the FCBF selection; SLR: packets; EWMA: none). */
  readonly selected: readonly string[];
  /**
   * Why the last prediction did not come from the predictor's own model, or null when it did (added after the
   * first version of this contract, hence optional). See {@link PredictionFallback}.
   */
  readonly fallback?: PredictionFallback | null;
}

/**
 * Reasons a prediction fell back to a simpler model:
 * - `warmup`: too few observations for the model; the prediction is an EWMA of past costs (0 before any).
 * - `no-features`: MLR found no feature with |r| above the relevance threshold; SLR on packets was used.
 * - `rank-deficient`: the MLR least-squares system was (numerically) singular; SLR on packets was used.
 * - `constant-predictor`: SLR's predictor (packets) was constant over the window, or absent; the mean cost was used.
 * - `non-finite`: the model produced NaN/Infinity (e.g. a NaN feature); the EWMA of past costs was used.
 */
export type PredictionFallback = 'warmup' | 'no-features' | 'rank-deficient' | 'constant-predictor' | 'non-finite';
