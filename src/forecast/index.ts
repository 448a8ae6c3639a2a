/**
 * Forecasting (seed 000): the shared-representation multi-task forecaster, its baselines, training, metrics and
 * checkpoints, on TensorFlow.js (wasm backend by default).
 */
export { useBackend, BACKEND_NAMES } from './backend.ts';
export type { BackendName } from './backend.ts';
export { MODEL_KINDS, NEURAL_KINDS, DEFAULT_CONFIG, makeConfig, effectiveBatch } from './config.ts';
export type { ForecastConfig, ModelKind, LossWeighting } from './config.ts';
export { prepare, origins, allocBatch, fillBatch } from './windows.ts';
export type { Prepared, Part, BatchBuffers } from './windows.ts';
export { createForecaster, forecastZ } from './forecaster.ts';
export type { Forecaster } from './forecaster.ts';
export { train, partMse } from './train.ts';
export type { TrainResult, EpochInfo, TrainHooks } from './train.ts';
export { computeMetrics, naiveForecast, seasonalNaiveForecast } from './metrics.ts';
export type { ForecastMetrics, HorizonMetrics } from './metrics.ts';
export { saveCheckpoint } from './checkpoint.ts';
export type { CheckpointBody } from './checkpoint.ts';
export { evaluate, forecastFuture, loadForecaster } from './evaluate.ts';
export { dense2d } from './dense.ts';
