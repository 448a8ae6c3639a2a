/** Per-batch and per-interval records the engine produces, and the sinks that receive them. */
import type { QueryResult } from '../queries/index.ts';

/** What happened to one batch. Per-query arrays are indexed like the engine's query list. */
export interface BatchRecord {
  /** Batch index since the start of the run. */
  readonly index: number;
  /** Batch start, ns since the epoch. */
  readonly startNs: bigint;
  /** Packets that arrived in the batch's time bin. */
  readonly packets: number;
  /** Packets dropped without control because the capture buffer was full. */
  readonly drops: number;
  /** Still learning: no shedding, not counted in the accuracy and budget statistics. */
  readonly warmup: boolean;
  /** A major GC ran during the batch: kept out of the history and of the prediction-error statistics. */
  readonly gc: boolean;
  /**
   * Some query took >= faultFlagPages minor page faults (fresh memory, e.g. a table doubling): that query's
   * observation stayed out of its history and the batch out of the error term; still scored.
   */
  readonly alloc?: boolean;
  /** Per query: minor page faults during its process() call (only when the guard is on). */
  readonly pageFaults?: Float64Array;
  /** The budget pays for queries + overhead (true) or the queries only (false). */
  readonly budgetCoversTotal: boolean;
  /** Per-batch budget in ns (Infinity when none is set or not yet known). */
  readonly budgetNs: number;
  /** Time available to the queries this batch: budget - overhead estimate - backlog. */
  readonly availableNs: number;
  /** The shedding controller's error term ê when the batch was planned (NaN without a controller). */
  readonly errorTerm?: number;
  /** Work still queued from earlier batches when this one arrived. */
  readonly backlogNs: number;
  /** Features + prediction + shedding + history time of this batch. */
  readonly overheadNs: number;
  /** Sum of the queries' measured costs. */
  readonly queriesNs: number;
  /** overheadNs by phase. */
  readonly split?: OverheadSplit;
  /** Shedding passes (feature re-extraction + re-prediction rounds); 0 when not shedding. */
  readonly shedPasses: number;
  /** Per query: prediction for the full (admitted) batch. */
  readonly predictedFull: Float64Array;
  /** Per query: final prediction for the selection it processed. */
  readonly predicted: Float64Array;
  /** Per query: measured cost in ns. */
  readonly measured: Float64Array;
  /** Per query: sampling rate applied (1 = unsampled, 0 = disabled this batch). */
  readonly rate: Float64Array;
  /** Per query: packets the query processed. */
  readonly processed: Float64Array;
  /** Per query: 1 when its predictor learned from this batch (not GC-flagged, ran, not flagged for page faults). */
  readonly learned: Uint8Array;
  /** Per query and shadow predictor kind: prediction for the same selection (experiments compare predictors). */
  readonly shadow?: Readonly<Record<string, Float64Array>>;
}

/**
 * Where a batch's overhead went (ns): `featuresNs` admission + features of the admitted batch; `predictNs` every
 * query's prediction on them; `shedNs` the shedding phase (planning, sampling, re-extraction, re-prediction,
 * flow hashes); `postNs` GC window, history updates and the feature commit. Their sum is overheadNs (up to
 * clock rounding).
 */
export interface OverheadSplit {
  featuresNs: number;
  predictNs: number;
  shedNs: number;
  postNs: number;
}

/** Receives every batch, with the features of the admitted batch. */
export interface TelemetrySink {
  writeBatch(rec: BatchRecord, features: Float64Array): void;
  close(): Promise<void>;
}

/** One query's interval result with the rates the engine applied during the interval. */
export interface IntervalResult {
  readonly result: QueryResult;
  /** Rates applied by the engine in this interval: min and packet-weighted mean over its batches. */
  readonly engineRates: { readonly min: number; readonly mean: number };
}

export interface ResultSink {
  write(r: IntervalResult): void;
  close(): Promise<void>;
}
