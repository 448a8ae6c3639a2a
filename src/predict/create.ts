/** Factory for the three cost predictors behind {@link CostPredictor}. */
import { UserError } from '../errors.ts';
import { EwmaPredictor } from './ewma.ts';
import { MlrPredictor } from './mlr.ts';
import type { CostPredictor } from './predictor.ts';
import { SlrPredictor } from './slr.ts';
import type { RegressionMode } from './window-regression.ts';

export type PredictorKind = 'ewma' | 'slr' | 'mlr';
export const PREDICTOR_KINDS: readonly PredictorKind[] = ['ewma', 'slr', 'mlr'];

export interface PredictorOptions {
  /** Names of the feature vector's entries (one must be `packets` for SLR and the MLR fallback). */
  featureNames: readonly string[];
  /** History window in batches (60). */
  history?: number;
  /** EWMA weight on the newest cost (0.3, seed eq. 2); also the warm-up fallback of SLR/MLR. */
  alpha?: number;
  /** FCBF relevance threshold |r| (0.6). */
  relevance?: number;
  /** MLR: observations before the regression is used (10). */
  minObservations?: number;
  /** MLR: most features selected (15). */
  maxFeatures?: number;
  /** MLR: `relative` (default) or the seed's plain `ols` (./window-regression.ts). */
  regression?: RegressionMode;
  /** MLR: correct by the AR(1) model of recent residuals (default true; ./residual-feedback.ts). */
  feedback?: boolean;
}

/** One predictor per query: `createPredictor('mlr', { featureNames: FEATURE_NAMES })`. */
export function createPredictor(kind: PredictorKind, opts: PredictorOptions): CostPredictor {
  switch (kind) {
    case 'ewma':
      return new EwmaPredictor({ alpha: opts.alpha, history: opts.history });
    case 'slr':
      return new SlrPredictor({ featureNames: opts.featureNames, history: opts.history, alpha: opts.alpha });
    case 'mlr':
      return new MlrPredictor(opts);
    default:
      throw new UserError('predict.bad-kind', `unknown predictor '${String(kind)}'`, `Use one of: ${PREDICTOR_KINDS.join(', ')}.`);
  }
}

/** Parses a `--predictor` value. */
export function parsePredictorKind(text: string, flag = '--predictor'): PredictorKind {
  const k = text.trim().toLowerCase();
  if ((PREDICTOR_KINDS as readonly string[]).includes(k)) return k as PredictorKind;
  throw new UserError('predict.bad-kind', `${flag}: unknown predictor '${text}'`, `Use one of: ${PREDICTOR_KINDS.join(', ')}.`);
}
