/** Forecaster configuration: one object for every model, stored in checkpoints and results. */
import { ForecastError } from '../errors.ts';

export const MODEL_KINDS = ['shared', 'dlinear', 'mlp', 'lstm', 'bilstm', 'transformer', 'naive', 'snaive'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export const NEURAL_KINDS: readonly ModelKind[] = ['shared', 'dlinear', 'mlp', 'lstm', 'bilstm', 'transformer'];

/** How the per-task weights w_k of the multi-task loss (eq. 6) are chosen. */
export type LossWeighting = 'uniform' | 'inverse-variance' | 'learned';

export interface ForecastConfig {
  model: ModelKind;
  /** Look-back L (input steps). */
  lookback: number;
  /** Horizon H: steps 1..H are forecast at once. */
  horizon: number;
  /** Hidden size d. */
  hidden: number;
  /** Maximum epochs (early stopping may end sooner). */
  epochs: number;
  seed: number;
  /** Windows (time origins) per batch; each carries all K tasks. 0 = automatic (about 1024 rows / K). */
  batchSize: number;
  lr: number;
  /** Early stopping: epochs without validation improvement before stopping. */
  patience: number;
  /** Wall-clock cap on training, minutes (0 = none). */
  maxMinutes: number;
  /** Cap on optimiser steps per epoch (0 = one pass over all training windows). */
  stepsPerEpoch: number;
  /** Eq. 6 weighting of tasks. */
  lossWeights: LossWeighting;
  /** Shared model: patch length of the encoder (eq. 1). */
  patch: number;
  /** Shared model: rank of the learned low-rank adjacency added to the dataset's (eq. 3); 0 = none. */
  lowRank: number;
  /** Shared model: use graph propagation (eq. 3-4); false for the ablation. */
  graph: boolean;
  /** Shared model: message width of the graph propagation (eq. 3). */
  graphDim: number;
}

export const DEFAULT_CONFIG: ForecastConfig = {
  model: 'shared',
  lookback: 96,
  horizon: 8,
  hidden: 128,
  epochs: 30,
  seed: 42,
  batchSize: 0,
  lr: 1e-3,
  patience: 4,
  maxMinutes: 0,
  stepsPerEpoch: 0,
  lossWeights: 'uniform',
  patch: 8,
  lowRank: 4,
  graph: true,
  graphDim: 16,
};

/** Merges and validates a partial config. */
export function makeConfig(partial: Partial<ForecastConfig>): ForecastConfig {
  const c: ForecastConfig = { ...DEFAULT_CONFIG, ...partial };
  if (!MODEL_KINDS.includes(c.model)) {
    throw new ForecastError('forecast.bad-model', `unknown model "${c.model}"`, `use one of ${MODEL_KINDS.join(', ')}`);
  }
  const positiveInt = (name: keyof ForecastConfig, min = 1): void => {
    const v = c[name] as number;
    if (!Number.isInteger(v) || v < min) {
      throw new ForecastError('forecast.bad-config', `--${name} must be an integer >= ${min}, got ${v}`, 'fix the flag value');
    }
  };
  positiveInt('lookback', 2);
  positiveInt('horizon');
  positiveInt('hidden');
  positiveInt('epochs', 0);
  positiveInt('batchSize', 0);
  positiveInt('patience', 1);
  positiveInt('stepsPerEpoch', 0);
  positiveInt('patch');
  positiveInt('lowRank', 0);
  positiveInt('graphDim');
  if (!(c.lr > 0)) throw new ForecastError('forecast.bad-config', `--lr must be > 0, got ${c.lr}`, 'e.g. --lr 0.001');
  if (!['uniform', 'inverse-variance', 'learned'].includes(c.lossWeights)) {
    throw new ForecastError('forecast.bad-config', `unknown loss weighting "${c.lossWeights}"`, 'use uniform, inverse-variance or learned');
  }
  return c;
}

/** Batch size actually used: explicit, or about 1024 task rows per batch, between 1 and 32 windows. */
export function effectiveBatch(c: ForecastConfig, K: number): number {
  if (c.batchSize > 0) return c.batchSize;
  return Math.max(1, Math.min(32, Math.floor(1024 / K)));
}
