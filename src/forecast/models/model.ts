/** The contract every neural forecaster implements, and helpers they share. */
import { tf } from '../backend.ts';
import type { ParamStore } from '../params.ts';
import type { SparseAdjacency } from '../../series/index.ts';

/** Static facts about the dataset a model is built for. */
export interface ModelContext {
  K: number;
  L: number;
  H: number;
  hidden: number;
  /** Metric group of each task (index into groupNames), for exclusive decoder heads. */
  groupOf: Int32Array;
  groupCount: number;
  adjacency: SparseAdjacency;
  patch: number;
  lowRank: number;
  graph: boolean;
  /** Message width d_g of the graph propagation (eq. 3). */
  graphDim: number;
}

/** Inputs of one batch: x [B*K, L] z-scored and imputed, tod [B*K, 2] time-of-day (sin, cos) of the origin. */
export interface ModelInput {
  x: tf.Tensor2D;
  tod: tf.Tensor2D;
  B: number;
}

export interface NeuralForecaster {
  readonly params: ParamStore;
  /** Forecasts [B*K, H] in z space for horizons 1..H. Called inside tf.tidy/variableGrads by the trainer. */
  forward(input: ModelInput): tf.Tensor2D;
  /**
   * Optional inference-only forward: the same outputs as `forward` (up to float rounding) with fewer, larger
   * kernels and no gradient bookkeeping. Used by forecastZ; never differentiated.
   */
  infer?(input: ModelInput): tf.Tensor2D;
  /** Frees non-parameter constants (adjacency, masks). Parameters are freed by params.dispose(). */
  dispose(): void;
}

/**
 * Instance normalisation used by every neural model (NLinear-style, one protocol for all): subtract each task's
 * last input value, forecast the deviation, add the value back. Returns [xn, last].
 */
export function subtractLast(x: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const L = x.shape[1];
  const last = tf.slice(x, [0, L - 1], [-1, 1]);
  return [tf.sub(x, last) as tf.Tensor2D, last];
}

/** Reorders rows b*K+k of [B*K, F] into [K, B*F] (tasks as rows) and back. */
export function tasksToRows(x: tf.Tensor2D, B: number, K: number): tf.Tensor2D {
  const F = x.shape[1];
  return tf.reshape(tf.transpose(tf.reshape(x, [B, K, F]), [1, 0, 2]), [K, B * F]);
}
export function rowsToTasks(x: tf.Tensor2D, B: number, K: number): tf.Tensor2D {
  const F = x.shape[1] / B;
  return tf.reshape(tf.transpose(tf.reshape(x, [K, B, F]), [1, 0, 2]), [B * K, F]);
}
