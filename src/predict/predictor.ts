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
}
