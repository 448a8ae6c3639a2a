/** Online per-query cost predictors (seed 004 section IV): EWMA and SLR baselines, FCBF + MLR. */
export type { CostPredictor, PredictionFallback } from './predictor.ts';
export { createPredictor, parsePredictorKind, PREDICTOR_KINDS } from './create.ts';
export type { PredictorKind, PredictorOptions } from './create.ts';
export { EwmaPredictor } from './ewma.ts';
export { SlrPredictor, fitSimpleRegression } from './slr.ts';
export type { SlrOptions, SimpleFit } from './slr.ts';
export { MlrPredictor } from './mlr.ts';
export type { MlrOptions } from './mlr.ts';
export { CorrelationWorkspace, selectFeatures } from './fcbf.ts';
export type { FeatureCorrelations } from './fcbf.ts';
export { SlidingCorrelations } from './sliding-correlations.ts';
export { WindowRegression } from './window-regression.ts';
export type { RegressionMode } from './window-regression.ts';
export { REGRESSION_MODES } from './window-regression.ts';
export { ResidualFeedback } from './residual-feedback.ts';
export type { ObservationWindow } from './observation-window.ts';
export { CostHistory } from './history.ts';
export { solveLeastSquares } from './ols.ts';
